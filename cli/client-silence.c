/*
 * Telling a listener that is slow from one that cannot answer.
 *
 * No fixed bound on a request is right: a listener may rightly be silent
 * for long (recovering a large journal, a Redis store within its bounds,
 * send's own outbound request, a wait or a tail that has nothing to say
 * yet).  So silence alone never ends a request.  After CLIENT_LOOK_MS of
 * it, and every CLIENT_LOOK_MS after, the client looks at the listener's
 * process, the peer of its connection (SO_PEERCRED: known even while the
 * connection waits unaccepted in the queue of a listener that was stopped
 * before it came), in /proc/PID/stat:
 *
 *	T, t (stopped by SIGSTOP, Ctrl-Z, a debugger)	it cannot answer
 *	in a frozen cgroup (docker pause, systemctl	it cannot answer
 *	freeze: state S or D, see freezer.c)
 *	anything else (running, sleeping, disk sleep)	it is working
 *	no such process, or no /proc			keep waiting
 *
 * A listener that runs but is wedged (a bug that sleeps for ever) looks
 * like one at work, and is waited for.
 *
 * The client gives up only on a listener found stopped (or frozen: the same,
 * here and below) at every look for CLIENT_STOPPED_MS with nothing heard
 * meanwhile, so a short stop (a Ctrl-Z and fg, a debugger's breakpoint) ends
 * nothing, wherever in a long silence it falls.  A listener that is gone
 * closes the connection, and the caller's path for a lost listener follows;
 * without /proc the client waits as it always did.  Giving up says one line
 * and makes every later send, receive and reconnect on the client fail
 * quietly with EXIT_UNAVAILABLE, so that no command says it twice or waits
 * again.  What it asked and the listener had not read is not done when the
 * listener runs again: its client has hung up (conn_gone, in
 * listener/control/control-input.c).
 *
 * A caller whose own deadline bounds its wait (fish stop, which says
 * what it asked of a listener that did not stop in time) sets
 * CLIENT_BOUNDED, and is left to it.
 *
 * Starting it, a client has no connection yet: it waits for the start
 * lock, or for the readiness line of the listener it started
 * (client-start.c), and looks at the listener that holds the session's
 * pid lock, which may be stopped while it recovers its journal.
 *
 * FISH_TEST_STOPPED_MS (a test build's) shortens CLIENT_STOPPED_MS, and
 * the looks with it.
 */
#include "config.h"

#include <sys/ioctl.h>
#include <sys/socket.h>

#include <linux/sockios.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "clock.h"
#include "fish.h"
#include "freezer.h"
#include "xmalloc.h"

/* How long a listener must stay stopped before a client gives up on it. */
#define CLIENT_STOPPED_MS	5000

/* How often a silent listener is looked at, at most. */
#define CLIENT_LOOK_MS		1000

/* Return how long the listener must stay stopped, in ms. */
static int64_t
client_stopped_ms(void)
{
#ifdef FISH_TEST_HOOKS
	const char	*s;
	long long	 ms;

	if ((s = getenv("FISH_TEST_STOPPED_MS")) != NULL &&
	    (ms = strtoll(s, NULL, 10)) > 0)
		return (ms);
#endif
	return (CLIENT_STOPPED_MS);
}

/* Return the time between two looks: a few of them in a stop. */
static int64_t
client_look_ms(void)
{
	int64_t	look = client_stopped_ms() / 4;

	if (look > CLIENT_LOOK_MS)
		return (CLIENT_LOOK_MS);
	return (look < 10 ? 10 : look);
}

/* Note that the listener was heard from, or asked: silence begins anew. */
void
client_heard(struct client *c)
{
	c->look_at = clock_mono_ms() + client_look_ms();
	c->stopped_since = -1;
}

/*
 * Return what a poll may wait, at most timeout ms (-1: for ever), so that
 * it wakes for the next look at the listener.
 */
int
client_silence_timeout(const struct client *c, int timeout)
{
	int64_t	left = c->look_at - clock_mono_ms();

	if (left < 0)
		left = 0;
	if (timeout != -1 && timeout < left)
		return (timeout);
	return ((int)left);
}

/*
 * Return the state letter of process pid from /proc/PID/stat, or 0 when
 * it cannot be read (no such process, no /proc).  The name in parentheses
 * before it may hold anything, parentheses too: the state follows the
 * last one.
 */
char
client_process_state(pid_t pid)
{
	char	 path[64], buf[512], *p;
	ssize_t	 n;
	int	 fd;

	(void)snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return (0);
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return (0);
	buf[n] = '\0';
	if ((p = strrchr(buf, ')')) == NULL || p[1] != ' ')
		return (0);
	return (p[2]);
}

/*
 * Tell whether /proc shows our own PID namespace: in a container that
 * sees the host's /proc, /proc/PID is another process than pid PID of
 * ours (SO_PEERCRED and the pid file give pids of our namespace).
 */
static int
client_proc_ours(void)
{
	static int	ours = -1;
	char		link[32];
	ssize_t		n;

	if (ours == -1) {
		n = readlink("/proc/self", link, sizeof link - 1);
		ours = 0;
		if (n > 0) {
			link[n] = '\0';
			ours = strtol(link, NULL, 10) == (long)getpid();
		}
	}
	return (ours);
}

/*
 * Return a line that says what holds traced process pid and what lets it
 * run again: its tracer (TracerPid in /proc/PID/status) by pid and name
 * when that can be read.  Caller frees.
 */
static char *
client_traced_why(pid_t pid)
{
	char		 path[64], buf[4096], comm[64], *p;
	const char	*tail = "; it runs again once that continues or "
			    "detaches it";
	char		*why;
	ssize_t		 n;
	long		 tracer = 0;
	int		 fd;

	(void)snprintf(path, sizeof path, "/proc/%ld/status", (long)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) != -1) {
		n = read(fd, buf, sizeof buf - 1);
		close(fd);
		buf[n > 0 ? n : 0] = '\0';
		if ((p = strstr(buf, "\nTracerPid:")) != NULL)
			tracer = strtol(p + 11, NULL, 10);
	}
	if (tracer <= 0) {
		xasprintf(&why, "held by a debugger or tracer%s", tail);
		return (why);
	}
	/*
	 * Its name, as ps shows it: a byte not printable ASCII as '?' (any
	 * program may name itself an escape sequence, PR_SET_NAME).
	 */
	comm[0] = '\0';
	(void)snprintf(path, sizeof path, "/proc/%ld/comm", tracer);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) != -1) {
		n = read(fd, comm, sizeof comm - 1);
		close(fd);
		if (n > 0 && comm[n - 1] == '\n')
			n--;
		comm[n > 0 ? n : 0] = '\0';
		for (p = comm; *p != '\0'; p++) {
			if (*p < 0x20 || *p >= 0x7f)
				*p = '?';
		}
	}
	if (comm[0] != '\0')
		xasprintf(&why, "held by a debugger or tracer, pid %ld (%s)%s",
		    tracer, comm, tail);
	else
		xasprintf(&why, "held by a debugger or tracer, pid %ld%s",
		    tracer, tail);
	return (why);
}

/*
 * Give up on c's listener, stopped: hang up first, so that a request it
 * has not read all of is dropped when it runs again (conn_gone, in
 * listener/control/control-input.c), then tell whether it had read all
 * of the request (nothing of ours left in the socket), and so may still
 * carry it out.
 */
static int
client_hang_up(struct client *c)
{
	int	unread = 0;

	if (c->fd == -1)
		return (0);
	(void)shutdown(c->fd, SHUT_RDWR);
	if (ioctl(c->fd, SIOCOUTQ, &unread) == -1)
		return (0);
	return (unread == 0);
}

/*
 * Return the pid of the listener at the other end of c; unconnected, that
 * of the one holding the session's pid lock (one that starts holds it
 * before it takes connections); 0 or -1 when there is none or it cannot
 * be told.
 */
static pid_t
client_listener(const struct client *c)
{
	struct ucred	cred;
	socklen_t	len = sizeof cred;

	if (!client_proc_ours())
		return (0);
	if (c->fd == -1)
		return (session_listener_pid(&c->session));
	if (getsockopt(c->fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1)
		return (0);
	return (cred.pid);
}

/*
 * Return what holds c's listener pid from answering: 'T' (stopped), 't'
 * (traced), 'F' (in a frozen cgroup); 0 when nothing does.
 */
static char
client_held(pid_t pid)
{
	char	state = client_process_state(pid);

	if (state == 'T' || state == 't')
		return (state);
	if (state != 0 && state != 'Z' && freezer_holds(FREEZER_ROOT, pid))
		return ('F');
	return (0);
}

/*
 * Say that c gave up on its listener pid, held as held says (client_held;
 * f: the frozen cgroup, for 'F'); read: it had read the request.
 */
static void
client_say_held(const struct client *c, pid_t pid, char held,
    const struct freezer *f, int read)
{
	const char	*had = read ? ", having read the request, which it "
			    "may still carry out once it runs" : "";
	char		*why;

	if (held == 't') {
		why = client_traced_why(pid);
		fish_warnx("the listener of session '%s' (pid %ld) is %s%s",
		    c->session.name, (long)pid, why, read ? "; it had read the "
		    "request, and may still carry it out once it runs" : "");
		free(why);
	} else if (held == 'T')
		fish_warnx("the listener of session '%s' (pid %ld) is stopped%s; "
		    "resume it with: kill -CONT %ld", c->session.name,
		    (long)pid, had, (long)pid);
	else
		fish_warnx("the listener of session '%s' (pid %ld) is in the "
		    "frozen cgroup '%s'%s; thaw it with: %s", c->session.name,
		    (long)pid, f->cgroup, had, f->thaw);
}

/*
 * Describe why listener pid, found not answering by a caller with a
 * deadline of its own (status, sessions), does not: what holds it and the
 * one command that lets it run again, as "stopped by a signal; resume it
 * with: kill -CONT N".  Return NULL when that cannot be told (it runs or
 * is stuck, or /proc is not ours).  *held gets a word for JSON:
 * "stopped", "traced" or "frozen" (NULL with NULL).  Caller frees.
 */
char *
client_why_silent(pid_t pid, const char **held)
{
	struct freezer	 f = { NULL, NULL };
	char		*why = NULL;

	*held = NULL;
	if (pid <= 0 || !client_proc_ours())
		return (NULL);
	switch (client_held(pid)) {
	case 'T':
		*held = "stopped";
		xasprintf(&why, "stopped by a signal; resume it with: "
		    "kill -CONT %ld", (long)pid);
		break;
	case 't':
		*held = "traced";
		why = client_traced_why(pid);
		break;
	case 'F':
		/* Thawed since the look: it runs, and is only slow. */
		if (freezer_find(FREEZER_ROOT, pid, &f) == -1)
			break;
		*held = "frozen";
		xasprintf(&why, "in the frozen cgroup '%s'; thaw it with: %s",
		    f.cgroup, f.thaw);
		freezer_release(&f);
		break;
	}
	return (why);
}

/*
 * After a poll ended in silence: look at the listener when it is time to.
 * Return EXIT_OK to keep waiting, or EXIT_UNAVAILABLE once it has stayed
 * stopped or frozen long enough, having said so.
 */
int
client_silence(struct client *c)
{
	struct freezer	f = { NULL, NULL };
	int64_t		now = clock_mono_ms();
	pid_t		pid;
	char		held;
	int		read;

	if (now < c->look_at)
		return (EXIT_OK);
	c->look_at = now + client_look_ms();
	if ((c->flags & CLIENT_BOUNDED) || (pid = client_listener(c)) <= 0)
		return (EXIT_OK);
	if ((held = client_held(pid)) == 0) {
		c->stopped_since = -1;
		return (EXIT_OK);
	}
	if (c->stopped_since == -1)
		c->stopped_since = now;
	if (now - c->stopped_since < client_stopped_ms())
		return (EXIT_OK);
	/* Its cgroup may have been thawed since the look: then it runs. */
	if (held == 'F' && freezer_find(FREEZER_ROOT, pid, &f) == -1)
		return (EXIT_OK);
	read = client_hang_up(c) && c->acting;
	client_say_held(c, pid, held, &f, read);
	freezer_release(&f);
	c->stopped = 1;
	return (EXIT_UNAVAILABLE);
}
