/*
 * The tunnel client (fish start --tunnel SPEC, see lib/tunnel.c for the
 * specs): the listener runs it beside itself and supervises it.
 *
 * The client runs in its own process group (so that stopping it stops
 * what a cmd: shell started too), with stdin on /dev/null and stdout and
 * stderr on a pipe that the loop reads: each line goes to the session's
 * log ("tunnel: ..."), and the first that announces a URL (the spec's
 * pattern) makes the tunnel up; hook URLs are under that URL from then on
 * (envelope.c), unless --public-url is given, which wins.
 *
 * At start the listener waits for the URL before it says it is ready
 * (tunnel_run_wait), for --tunnel-timeout (30s by default): a client that
 * is missing, exits, or announces nothing by then fails the start.  Once
 * up, a client that exits, or that announces nothing for --tunnel-timeout
 * after a restart, is started again after a back-off: 1s, doubled after
 * each run shorter than TUNNEL_STEADY_MS, up to TUNNEL_BACKOFF_MAX_MS.
 * The URL it announces may change (a quick cloudflared tunnel gets a new
 * name each time): status and ls say so.
 *
 * Its exit is seen through a pidfd in the loop; where pidfd_open fails
 * (a kernel before 5.3, valgrind), by waitpid every TUNNEL_POLL_MS.
 *
 * It stops with the listener (listener_stop): SIGTERM to its group, then
 * SIGKILL after TUNNEL_STOP_MS.  Should the listener die without stopping
 * it, the kernel sends the client SIGTERM (PR_SET_PDEATHSIG).
 */
#include "compat.h"
#include "config.h"

#include <sys/epoll.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "buffer.h"
#include "clock.h"
#include "duration.h"
#include "listener.h"
#include "listener-tunnel.h"
#include "log.h"
#include "loop.h"
#include "tunnel.h"
#include "xmalloc.h"

#define TUNNEL_LINE_MAX		4096
#define TUNNEL_BACKOFF_MS	1000
#define TUNNEL_BACKOFF_MAX_MS	60000
#define TUNNEL_STEADY_MS	60000
#define TUNNEL_STOP_MS		3000
#define TUNNEL_POLL_MS		100	/* exit checks without a pidfd */

struct tunnel_run {
	struct loop		*loop;
	struct tunnel_spec	 spec;
	struct tunnel_matcher	 matcher;
	char			**argv;
	char			*spec_text;
	uint64_t		 timeout_ms;
	int			 url_given;
	pid_t			 pid;		/* 0: not running */
	int			 pidfd;		/* -1: polled (poll) */
	struct loop_timer	*poll;
	int			 out_fd;
	char			 line[TUNNEL_LINE_MAX];
	size_t			 len;
	char			 last[256];	/* the last line, for errors */
	int64_t			 started;	/* loop_now() of this run */
	int			 announced;	/* this run announced a URL */
	int			 starting;	/* the listener waits for it */
	char			*failed;	/* why the start failed */
	unsigned int		 quick;		/* short runs in a row */
	struct loop_timer	*timer;		/* URL deadline, or restart */
};

static struct listener_tunnel *const state = &listener.tunnel_state;

static void	tunnel_run_spawn(struct tunnel_run *);

/* Tell whether program is an executable file on PATH. */
static int
tunnel_run_installed(const char *program)
{
	const char	*path = getenv("PATH"), *end;
	char		*file;
	int		 found = 0;

	if (path == NULL)
		path = "/usr/bin:/bin";
	for (; !found; path = end + 1) {
		end = strchr(path, ':');
		if (end == NULL)
			end = path + strlen(path);
		xasprintf(&file, "%.*s/%s", (int)(end - path), path, program);
		found = end > path && access(file, X_OK) == 0;
		free(file);
		if (*end == '\0')
			break;
	}
	return (found);
}

/* Say the tunnel's URL is url (allocated, taken), logging a change. */
static void
tunnel_run_up(struct tunnel_run *t, char *url)
{
	loop_timer_cancel(t->loop, t->timer);
	t->timer = NULL;
	t->announced = 1;
	t->starting = 0;
	state->state = "up";
	if (state->url != NULL && strcmp(state->url, url) == 0) {
		log_info("tunnel up again at %s", url);
		free(url);
		return;
	}
	if (state->url != NULL) {
		log_warnx("tunnel URL changed from %s to %s", state->url, url);
		free(state->previous_url);
		state->previous_url = state->url;
	} else
		log_info("tunnel up at %s", url);
	state->url = url;
	state->changed_at = clock_wall_ms();
}

/*
 * Tell whether url is printable ASCII, as every URL is (RFC 3986): the
 * tunnel's URL goes into hook URLs that fish spawn, start and status print
 * as they are, so no byte of it may drive a terminal.
 */
static int
tunnel_url_printable(const char *url)
{
	for (; *url != '\0'; url++) {
		if ((unsigned char)*url <= 0x20 || (unsigned char)*url >= 0x7f)
			return (0);
	}
	return (1);
}

/*
 * Take one line of the client's output: log it, and look for the URL in
 * it.  Its bytes are kept as they are: the log escapes them, and so does
 * fish start the error line that quotes the last one (lib/escape.c); a
 * URL holding any of them is ignored (tunnel_url_printable).
 */
static void
tunnel_run_line(struct tunnel_run *t, char *line)
{
	char	*url;

	if (*line == '\0')
		return;
	log_info("tunnel: %s", line);
	(void)snprintf(t->last, sizeof t->last, "%s", line);
	if (t->announced || (url = tunnel_match(&t->matcher, line)) == NULL)
		return;
	if (!tunnel_url_printable(url)) {
		log_warnx("tunnel: '%s' holds a byte no URL holds (a space, a "
		    "control character or one above 127); ignored", url);
		free(url);
		return;
	}
	if (!t->url_given && strncasecmp(url, "http://", 7) != 0 &&
	    strncasecmp(url, "https://", 8) != 0) {
		log_warnx("tunnel: '%s' is not an http:// or https:// URL; "
		    "ignored (give --public-url)", url);
		free(url);
		return;
	}
	tunnel_run_up(t, url);
}

/* Stop reading the client's output. */
static void
tunnel_run_close_output(struct tunnel_run *t)
{
	if (t->out_fd == -1)
		return;
	if (t->len > 0) {
		t->line[t->len] = '\0';
		tunnel_run_line(t, t->line);
		t->len = 0;
	}
	loop_remove(t->loop, t->out_fd);
	close(t->out_fd);
	t->out_fd = -1;
}

/* The client's output is readable: take its whole lines. */
static void
tunnel_run_readable(int fd, uint32_t events, void *arg)
{
	struct tunnel_run	*t = arg;
	char			*nl;
	ssize_t			 n;
	size_t			 used;

	(void)events;
	for (;;) {
		n = read(fd, t->line + t->len, sizeof t->line - 1 - t->len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			return;
		if (n <= 0) {
			tunnel_run_close_output(t);
			return;
		}
		t->len += (size_t)n;
		t->line[t->len] = '\0';
		used = 0;
		while ((nl = memchr(t->line + used, '\n', t->len - used)) !=
		    NULL) {
			*nl = '\0';
			tunnel_run_line(t, t->line + used);
			used = (size_t)(nl - t->line) + 1;
		}
		/* A line longer than the buffer is taken in pieces. */
		if (used == 0 && t->len == sizeof t->line - 1) {
			tunnel_run_line(t, t->line);
			used = t->len;
		}
		memmove(t->line, t->line + used, t->len - used);
		t->len -= used;
	}
}

/* Fail the start, or give up on this run: say why. */
static void __attribute__((__format__(__printf__, 2, 3)))
tunnel_run_fail(struct tunnel_run *t, const char *fmt, ...)
{
	va_list	 ap;
	char	*why;

	va_start(ap, fmt);
	xvasprintf(&why, fmt, ap);
	va_end(ap);
	if (t->starting && t->failed == NULL) {
		if (*t->last != '\0')
			xasprintf(&t->failed, "the tunnel client %s (its last "
			    "line: %s)", why, t->last);
		else
			xasprintf(&t->failed, "the tunnel client %s", why);
	} else
		log_warnx("tunnel client %s", why);
	free(why);
}

/* Start the client again, after the back-off. */
static void
tunnel_run_restart(void *arg)
{
	struct tunnel_run	*t = arg;

	t->timer = NULL;
	state->restarts++;
	tunnel_run_spawn(t);
}

/* Describe how a process ended, from its wait status; caller frees. */
static char *
tunnel_run_exit_text(int status)
{
	char	*s;

	if (WIFSIGNALED(status))
		xasprintf(&s, "was killed by signal %d", WTERMSIG(status));
	else
		xasprintf(&s, "exited with status %d", WEXITSTATUS(status));
	return (s);
}

/* Stop watching for the client's exit. */
static void
tunnel_run_unwatch(struct tunnel_run *t)
{
	if (t->pidfd != -1) {
		loop_remove(t->loop, t->pidfd);
		close(t->pidfd);
		t->pidfd = -1;
	}
	loop_timer_cancel(t->loop, t->poll);
	t->poll = NULL;
}

/*
 * If the client has exited: read what it said last, then restart it.
 * Return whether it had.
 */
static int
tunnel_run_reap(struct tunnel_run *t)
{
	int64_t			 delay;
	pid_t			 pid = t->pid;
	char			*how;
	int			 status = 0;

	if (waitpid(pid, &status, WNOHANG) == 0)
		return (0);
	/* What it started in its group goes with it. */
	kill(-pid, SIGKILL);
	tunnel_run_unwatch(t);
	t->pid = 0;
	state->pid = 0;
	/* What it wrote before it exited is in the pipe still. */
	if (t->out_fd != -1)
		tunnel_run_readable(t->out_fd, EPOLLIN, t);
	tunnel_run_close_output(t);
	loop_timer_cancel(t->loop, t->timer);
	t->timer = NULL;
	how = tunnel_run_exit_text(status);
	if (t->starting) {
		tunnel_run_fail(t, "%s before it announced a URL", how);
		free(how);
		return (1);
	}
	if (loop_now() - t->started >= TUNNEL_STEADY_MS)
		t->quick = 0;
	delay = TUNNEL_BACKOFF_MS << (t->quick < 6 ? t->quick : 6);
	if (delay > TUNNEL_BACKOFF_MAX_MS)
		delay = TUNNEL_BACKOFF_MAX_MS;
	t->quick++;
	log_warnx("tunnel client %s; starting it again in %lldms", how,
	    (long long)delay);
	free(how);
	state->state = "restarting";
	t->timer = loop_timer_add(t->loop, loop_now() + delay,
	    tunnel_run_restart, t);
	return (1);
}

/* The client's pidfd is readable: it has exited. */
static void
tunnel_run_exited(int fd, uint32_t events, void *arg)
{
	(void)fd;
	(void)events;
	tunnel_run_reap(arg);
}

/* Without a pidfd: check whether the client has exited, and again later. */
static void
tunnel_run_poll(void *arg)
{
	struct tunnel_run	*t = arg;

	t->poll = NULL;
	if (!tunnel_run_reap(t))
		t->poll = loop_timer_add(t->loop, loop_now() + TUNNEL_POLL_MS,
		    tunnel_run_poll, t);
}

/*
 * pidfd_open(pid); FISH_TEST_NO_PIDFD (a test build's) makes it fail as a
 * kernel without it does.
 */
static int
tunnel_pidfd_open(pid_t pid)
{
#ifdef FISH_TEST_HOOKS
	if (getenv("FISH_TEST_NO_PIDFD") != NULL) {
		errno = ENOSYS;
		return (-1);
	}
#endif
	return (pidfd_open(pid, 0));
}

/* Watch for the client's exit: through a pidfd, or by polling. */
static void
tunnel_run_watch(struct tunnel_run *t)
{
	static int	said;

	if ((t->pidfd = tunnel_pidfd_open(t->pid)) != -1) {
		fcntl(t->pidfd, F_SETFD, FD_CLOEXEC);
		loop_add(t->loop, t->pidfd, EPOLLIN, tunnel_run_exited, t);
		return;
	}
	if (!said++)
		log_info("no pidfd for the tunnel client (%s): checking for "
		    "its exit every %dms", strerror(errno), TUNNEL_POLL_MS);
	t->poll = loop_timer_add(t->loop, loop_now() + TUNNEL_POLL_MS,
	    tunnel_run_poll, t);
}

/* No URL came in time: fail the start, or end this run (it restarts). */
static void
tunnel_run_deadline(void *arg)
{
	struct tunnel_run	*t = arg;
	char			*when;

	t->timer = NULL;
	when = duration_format(t->timeout_ms);
	tunnel_run_fail(t, "announced no URL within %s", when);
	free(when);
	if (t->pid != 0)
		kill(-t->pid, SIGTERM);
}

/* In the child: run the client, its output on out. */
static void __attribute__((__noreturn__))
tunnel_run_child(struct tunnel_run *t, pid_t parent, int out)
{
	sigset_t	 none;
	char		*text;
	int		 fd;

	setpgid(0, 0);
	(void)prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != parent)
		_exit(1);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	if ((fd = open("/dev/null", O_RDONLY)) != -1 && fd != STDIN_FILENO) {
		dup2(fd, STDIN_FILENO);
		close(fd);
	}
	dup2(out, STDOUT_FILENO);
	dup2(out, STDERR_FILENO);
	closefrom(3);
	execvp(t->argv[0], t->argv);
	xasprintf(&text, "cannot run %s: %s\n", t->argv[0], strerror(errno));
	(void)write_all(STDERR_FILENO, text, strlen(text));
	_exit(127);
}

/* Start the client, and its URL's deadline. */
static void
tunnel_run_spawn(struct tunnel_run *t)
{
	pid_t	parent = getpid();
	int	fds[2];

	t->announced = 0;
	*t->last = '\0';
	t->len = 0;
	t->started = loop_now();
	state->state = "starting";
	if (pipe2(fds, O_CLOEXEC) == -1) {
		tunnel_run_fail(t, "could not start: pipe: %s", strerror(errno));
		goto retry;
	}
	if ((t->pid = fork()) == -1) {
		close(fds[0]);
		close(fds[1]);
		t->pid = 0;
		tunnel_run_fail(t, "could not start: fork: %s",
		    strerror(errno));
		goto retry;
	}
	if (t->pid == 0)
		tunnel_run_child(t, parent, fds[1]);
	setpgid(t->pid, t->pid);
	close(fds[1]);
	t->out_fd = fds[0];
	fcntl(t->out_fd, F_SETFL, fcntl(t->out_fd, F_GETFL) | O_NONBLOCK);
	loop_add(t->loop, t->out_fd, EPOLLIN, tunnel_run_readable, t);
	tunnel_run_watch(t);
	state->pid = (long)t->pid;
	log_info("tunnel client started (pid %ld): %s", (long)t->pid,
	    t->spec_text);
	t->timer = loop_timer_add(t->loop, loop_now() +
	    (int64_t)t->timeout_ms, tunnel_run_deadline, t);
	return;
retry:
	if (!t->starting)
		t->timer = loop_timer_add(t->loop, loop_now() +
		    TUNNEL_BACKOFF_MAX_MS, tunnel_run_restart, t);
}

/*
 * Start the tunnel client that config says.  Return it, or NULL with
 * *cause when its client is not installed.
 */
struct tunnel_run *
tunnel_run_start(const struct tunnel_config *config, char **cause)
{
	struct tunnel_run	*t;
	const char		*program;

	t = xcalloc(1, sizeof *t);
	t->pidfd = t->out_fd = -1;
	t->loop = config->loop;
	if (tunnel_parse(config->spec, &t->spec, cause) == -1 ||
	    tunnel_matcher_init(&t->matcher, &t->spec, config->pattern,
	    cause) == -1) {
		tunnel_release(&t->spec);
		free(t);
		return (NULL);
	}
	program = tunnel_program(&t->spec);
	if (program != NULL && !tunnel_run_installed(program)) {
		xasprintf(cause, "the tunnel client '%s' is not installed (not "
		    "on PATH): %s", program, tunnel_install_hint(&t->spec));
		tunnel_matcher_release(&t->matcher);
		tunnel_release(&t->spec);
		free(t);
		return (NULL);
	}
	t->spec_text = xstrdup(config->spec);
	t->argv = tunnel_argv(&t->spec, config->address, config->tls);
	t->timeout_ms = config->timeout_ms;
	t->url_given = config->url_given;
	t->starting = 1;
	tunnel_run_spawn(t);
	return (t);
}

/*
 * Wait, running the loop, until the client announces its URL.  Return 0,
 * or -1 with *cause when it failed (or the listener is told to stop).
 */
int
tunnel_run_wait(struct tunnel_run *t, char **cause)
{
	while (t->starting && t->failed == NULL && !listener.stopping)
		loop_run_once(t->loop);
	if (t->failed != NULL) {
		*cause = t->failed;
		t->failed = NULL;
		return (-1);
	}
	if (t->starting) {
		*cause = xstrdup("stopped while waiting for the tunnel's URL");
		return (-1);
	}
	return (0);
}

/*
 * Wait until the client has exited (and reap it), or deadline; return
 * whether it did.
 */
static int
tunnel_run_ended(struct tunnel_run *t, int64_t deadline)
{
	struct timespec	 pause = { 0, 10 * 1000000L };
	struct pollfd	 pfd;
	int64_t		 left;
	int		 status;

	pfd.fd = t->pidfd;
	pfd.events = POLLIN;
	while (waitpid(t->pid, &status, WNOHANG) == 0) {
		if ((left = deadline - loop_now()) <= 0)
			return (0);
		/* Without a pidfd, poll(2) just sleeps: look again soon. */
		if (t->pidfd == -1 && left > 10)
			left = 10;
		if (poll(&pfd, 1, (int)left) == -1 && errno != EINTR)
			nanosleep(&pause, NULL);
	}
	return (1);
}

/*
 * Stop the client: SIGTERM to its group, SIGKILL if it has not exited
 * within TUNNEL_STOP_MS; then free t.
 */
void
tunnel_run_stop(struct tunnel_run *t)
{
	int64_t		deadline = loop_now() + TUNNEL_STOP_MS;
	int		status;

	if (t == NULL)
		return;
	loop_timer_cancel(t->loop, t->timer);
	t->timer = NULL;
	if (t->pid != 0) {
		kill(-t->pid, SIGTERM);
		if (!tunnel_run_ended(t, deadline)) {
			log_warnx("tunnel client (pid %ld) did not stop within "
			    "%dms; killing it", (long)t->pid, TUNNEL_STOP_MS);
			kill(-t->pid, SIGKILL);
			while (waitpid(t->pid, &status, 0) == -1 &&
			    errno == EINTR)
				;
		}
		/* What the client started in its group goes with it. */
		kill(-t->pid, SIGKILL);
		log_info("tunnel client stopped");
	}
	tunnel_run_unwatch(t);
	if (t->out_fd != -1) {
		loop_remove(t->loop, t->out_fd);
		close(t->out_fd);
	}
	state->pid = 0;
	free(state->url);
	free(state->previous_url);
	state->url = state->previous_url = NULL;
	tunnel_argv_free(t->argv);
	tunnel_matcher_release(&t->matcher);
	tunnel_release(&t->spec);
	free(t->spec_text);
	free(t->failed);
	free(t);
}
