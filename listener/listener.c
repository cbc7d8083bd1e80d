/*
 * fish-listener: the per-session background process.  It owns all HTTP (in
 * through libmicrohttpd, out through libcurl), the control socket and the
 * journal, in one event loop.  main reads as its life: enter the session
 * (listener_enter), work out the settings and listen (listener_configure,
 * with listener-config.c), start the floors bottom up (listener_start:
 * store, HTTP out, HTTP in, control), serve (listener_run), and stop in the
 * order listener_stop explains.
 *
 * Started by fish with --ready-fd N: once it serves (or has failed), it
 * writes one line there, "ok" or "error: WHY", and closes it; the starting
 * command waits for that line instead of polling.  "usage: WHY" is a
 * failure caused by a setting given on our command line (a TLS file that
 * will not do), which the starting command reports as a usage error.
 * With --lock-fd N, N is the session's start lock, which we hold until
 * then, so other commands wait for us instead of starting another.
 *
 * Our working directory is the session directory, checked once and
 * entered through its descriptor (session_enter): every file we open
 * later, by a relative path, is in it whatever happens to the paths
 * above it.  So we never chdir anywhere else (not even to / as other
 * daemons do): the session's paths would lead elsewhere.
 *
 * Group commit: everything that must be durable before it is acknowledged
 * (received requests, new hooks, takes) is appended to the journal by the
 * store and registers a callback with store_after_sync.  Before each wait
 * for events the store syncs the journal once and runs all those callbacks
 * (journal_commit), so one fdatasync covers every request of the pass.
 */
#include "compat.h"
#include "config.h"

#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "address.h"
#include "buffer.h"
#include "clock.h"
#include "control.h"
#include "files.h"
#include "httpc.h"
#include "httpd.h"
#include "listener.h"
#include "listener-config.h"
#include "listener-store.h"
#include "listener-tunnel.h"
#include "log.h"
#include "loop.h"
#include "outbound.h"
#include "proto.h"
#include "record.h"
#include "control-timeline.h"
#include "signature-tool.h"
#include "store.h"
#include "tls.h"
#include "xmalloc.h"

#define STOP_GRACE_MS		5000
/* At a stop, Redis's acknowledgement of the last records (a command's). */
#define STOP_STORE_MS		5000
/* A first connection to a shared store's Redis, or its failure (5 s). */
#define LISTENER_STORE_SETTLE_MS	6000

struct listener listener;

static int		 ready_fd = -1;
static int		 lock_fd = -1;	/* the start lock, until ready */
static int		 ready_usage;	/* a failure is the command line's */
static int		 pid_fd = -1;
static int		 store_settling; /* reading the stream at the start */

/* Begin a graceful stop: stop accepting, finish what is in flight. */
void
listener_shutdown(void)
{
	if (listener.stopping)
		return;
	listener.stopping = 1;
	log_info("stopping");
	loop_stop(listener.loop);
}

/*
 * Return the line that tells a client the session stopped under it:
 * "session 'S' was stopped", and why when it stopped itself.  Caller
 * frees.
 */
char *
listener_stopped_line(void)
{
	char	*line;

	if (listener.stopped_for != NULL)
		xasprintf(&line, "session '%s' was stopped: %s",
		    listener.session.name, listener.stopped_for);
	else
		xasprintf(&line, "session '%s' was stopped",
		    listener.session.name);
	return (line);
}

/* A signal arrived through the signalfd. */
static void
listener_signal(int fd, uint32_t events, void *arg)
{
	struct signalfd_siginfo	si;

	(void)events;
	(void)arg;
	if (read(fd, &si, sizeof si) != sizeof si)
		return;
	log_info("got signal %u", si.ssi_signo);
	listener_shutdown();
}

/*
 * Report start-up success or failure to the command that started us, and
 * let the others that wait for the start lock in.
 */
static void
listener_ready(const char *error)
{
	char	*line;

	if (lock_fd != -1)
		close(lock_fd);
	lock_fd = -1;
	if (ready_fd == -1) {
		if (error != NULL)
			fprintf(stderr, "fish-listener: %s\n", error);
		return;
	}
	if (error == NULL)
		line = xstrdup("ok\n");
	else
		xasprintf(&line, "%s: %s\n", ready_usage ? "usage" : "error",
		    error);
	(void)write_all(ready_fd, line, strlen(line));
	free(line);
	close(ready_fd);
	ready_fd = -1;
}

/*
 * Fail to start: tell the starter and the log, and exit as fish would (in
 * the foreground, our status is fish start's): 2 when a setting on our
 * command line was at fault, else 3.
 */
static void __attribute__((__noreturn__))
listener_fail(char *cause)
{
	log_warnx("cannot start: %s", cause);
	listener_ready(cause);
	exit(ready_usage ? 2 : 3);
}

/* Fail to start because of a setting given on our command line. */
static void __attribute__((__noreturn__))
listener_fail_usage(char *cause)
{
	ready_usage = 1;
	listener_fail(cause);
}

/*
 * Take the session's pid lock, held for our whole life: it is how others
 * know we are alive (see session_listener_pid).
 */
static void
listener_lock(void)
{
	char	*cause, line[32];
	int	 n;

	pid_fd = open(listener.session.pid_path, O_RDWR | O_CREAT | O_CLOEXEC,
	    0600);
	if (pid_fd == -1) {
		xasprintf(&cause, "cannot open %s: %s",
		    listener.session.pid_path, strerror(errno));
		listener_fail(cause);
	}
	if (flock(pid_fd, LOCK_EX | LOCK_NB) == -1) {
		xasprintf(&cause, "a listener for session '%s' is already "
		    "running", listener.session.name);
		listener_fail(cause);
	}
	/* Overwrite, then cut: on a full disk the old bytes' space is reused. */
	n = snprintf(line, sizeof line, "%ld\n", (long)getpid());
	if (pwrite(pid_fd, line, (size_t)n, 0) != n ||
	    ftruncate(pid_fd, n) == -1) {
		xasprintf(&cause, "cannot write %s: %s",
		    listener.session.pid_path, strerror(errno));
		listener_fail(cause);
	}
}

/* Point stdio at /dev/null and the log, and close every other fd. */
static void
listener_detach(void)
{
	int	fd;

	if ((fd = open("/dev/null", O_RDWR)) != -1) {
		dup2(fd, STDIN_FILENO);
		dup2(fd, STDOUT_FILENO);
		if (fd > STDERR_FILENO)
			close(fd);
	}
	fd = open(listener.session.log_path, O_WRONLY | O_CREAT | O_APPEND |
	    O_CLOEXEC, 0600);
	if (fd != -1) {
		dup2(fd, STDERR_FILENO);
		close(fd);
	}
}

/* Log each line of text (what opening the store found) as a warning. */
static void
listener_log_lines(char *text)
{
	char	*line, *next;

	for (line = text; line != NULL; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		log_warnx("%s", line);
	}
	free(text);
}

/*
 * Close every descriptor but stdio, the ready pipe and the start lock: a
 * test runner waits for EOF on descriptors we might have inherited.
 */
static void
listener_close_inherited(void)
{
	int	fd, last;

	if (ready_fd != -1 && fcntl(ready_fd, F_SETFD, FD_CLOEXEC) == -1)
		ready_fd = -1;
	if (lock_fd != -1 && fcntl(lock_fd, F_SETFD, FD_CLOEXEC) == -1)
		lock_fd = -1;
	last = ready_fd > lock_fd ? ready_fd : lock_fd;
	for (fd = 3; fd < last; fd++) {
		if (fd != ready_fd && fd != lock_fd)
			close(fd);
	}
	closefrom(last < 3 ? 3 : last + 1);
}

/*
 * Read our command line into args and enter the session: its directory,
 * our log, and its pid lock, which is held for our whole life.
 */
static void
listener_enter(int argc, char **argv, struct listener_args *args)
{
	char	*cause;

	memset(args, 0, sizeof *args);
	args->session = session_default_name();
	args->ready_fd = args->lock_fd = -1;
	if (listener_args_parse(args, argc, argv) == -1)
		listener_args_usage();
	ready_fd = args->ready_fd;
	lock_fd = args->lock_fd;

	listener_close_inherited();
	log_init();
	signal(SIGPIPE, SIG_IGN);

	if (session_init(&listener.session, args->session, &cause) == -1 ||
	    session_prepare(&listener.session, &cause) == -1 ||
	    session_enter(&listener.session, &cause) == -1)
		listener_fail(cause);
	if (!args->foreground)
		listener_detach();
	listener_lock();
#ifdef FISH_TEST_HOOKS
	/* Stopped while it starts, holding the start lock: as by Ctrl-Z. */
	if (getenv("FISH_TEST_STOP_AT_START") != NULL)
		raise(SIGSTOP);
#endif
}

/*
 * Work out the settings in force (listener-config.c) and listen where they
 * say.  Return the listening socket; from now on the listen setting is the
 * address bound, with the port chosen if it was 0, which is kept.
 */
static int
listener_configure(const struct listener_args *args)
{
	char	*cause, *bound;
	int	 fd, usage;

	if (listener_settings(args, &cause, &usage) == -1) {
		if (usage)
			listener_fail_usage(cause);
		listener_fail(cause);
	}
	/* Read now (into the settings): it may hold the password. */
	listener_store_forget_env("FISH_STORE");
	fd = address_bind(settings_text(&listener.settings, SETTING_LISTEN),
	    &bound, &cause);
	if (fd == -1)
		listener_fail(cause);
	if (settings_set(&listener.settings, SETTING_LISTEN, bound,
	    &cause) == -1)
		fatalx("bound to an invalid address: %s", cause);
	free(bound);
	return (fd);
}

static void	listener_store_settle(void);

/*
 * Redis lost entries of the session (the store logged which): what this
 * listener holds is no longer the session, and would hide what is
 * written from now on.  Stop; the next start (a command, a supervisor)
 * reads the stream afresh.  Found while the start reads the stream, the
 * stream itself goes back (its seq key was reset by hand): starting
 * again would not help, so the start fails, saying so.
 */
static void
listener_store_lost(void *arg, const char *why)
{
	char	*cause;

	(void)arg;
	if (store_settling) {
		xasprintf(&cause, "the session's stream in Redis is out of "
		    "order (%s)", why);
		listener_fail(cause);
	}
	log_warnx("stopping: the next start reads the session from Redis "
	    "again");
	listener.stopped_for = xstrdup(why);
	listener_shutdown();
}

/*
 * Open the store: replay the journal, which recreates hooks and queues.
 * Done before HTTP in starts, so that the store's group commit runs, in
 * each loop pass, before libmicrohttpd's (which answers requests).
 */
static void
listener_open_store(void)
{
	struct store_config	 store_config;
	char			*cause, *warning;

	memset(&store_config, 0, sizeof store_config);
	store_config.journal_dir = listener.session.journal_path;
	store_config.session_dir = listener.session.dir;
	store_config.loop = listener.loop;
	store_config.retain_ms = (int64_t)settings_number(&listener.settings,
	    SETTING_RETAIN);
	if (listener_store_configure(&store_config, &cause) == -1)
		listener_fail(cause);
	listener.store = store_open(&store_config, &warning, &cause);
	if (listener.store == NULL)
		listener_fail(cause);
	listener_log_lines(warning);
	store_on_lost(listener.store, listener_store_lost, NULL);
	store_settling = 1;
	listener_store_settle();
	store_settling = 0;
}

/*
 * A shared store: run the loop until its first connection to Redis has
 * failed, or is made and has read the stream (at most
 * LISTENER_STORE_SETTLE_MS), so that the commands of the start (an
 * automatic one's spawn) find it connected and caught up rather than
 * refused or empty.  Unreachable, the listener starts all the same,
 * and reconnects with backoff.
 */
static void
listener_store_settle(void)
{
	const char	*state;
	int64_t		 deadline = loop_now() + LISTENER_STORE_SETTLE_MS;

	if (store_state(listener.store) == NULL)
		return;
	while (!store_settled(listener.store) && loop_now() < deadline)
		loop_run_once(listener.loop);
	if (!store_reachable(listener.store)) {
		state = store_state(listener.store);
		log_warnx("the session's store is not reachable (%s); "
		    "going on, reconnecting", state);
	}
}

/*
 * Start the tunnel client (--tunnel), if any, and wait for the public URL
 * it announces, running the loop: until then the control socket is not
 * there and the start lock is held, so no command sees hook URLs that are
 * not under it.  A client that is missing, exits, or announces nothing
 * within --tunnel-timeout fails the start.
 */
static void
listener_start_tunnel(void)
{
	struct tunnel_config	 config;
	const struct settings	*s = &listener.settings;
	char			*cause, *address;
	uint64_t		 timeout_ms;

	if (!settings_is_set(s, SETTING_TUNNEL))
		return;
	timeout_ms = settings_is_set(s, SETTING_TUNNEL_TIMEOUT) ?
	    settings_number(s, SETTING_TUNNEL_TIMEOUT) : TUNNEL_TIMEOUT_MS;
	address = address_local(settings_text(s, SETTING_LISTEN));
	memset(&config, 0, sizeof config);
	config.loop = listener.loop;
	config.spec = settings_text(s, SETTING_TUNNEL);
	config.pattern = settings_text(s, SETTING_TUNNEL_URL_PATTERN);
	config.timeout_ms = timeout_ms;
	config.address = address;
	config.tls = listener.tls != NULL;
	config.url_given = settings_is_set(s, SETTING_PUBLIC_URL);
	listener.tunnel = tunnel_run_start(&config, &cause);
	free(address);
	if (listener.tunnel == NULL)
		listener_fail(cause);
	if (tunnel_run_wait(listener.tunnel, &cause) == -1) {
		tunnel_run_stop(listener.tunnel);
		listener.tunnel = NULL;
		listener_fail(cause);
	}
}

/* Say how our open files are shared out, at every start. */
static void
listener_log_files(const struct files *files)
{
	if (files->limit == 0) {
		log_info("open files: no limit, none counted");
		return;
	}
	log_info("open files: %llu, shared out as %llu for hooks' "
	    "connections, %zu for control clients, %zu for outbound requests "
	    "and %d for the listener's own", (unsigned long long)files->limit,
	    (unsigned long long)files->connections, files->control,
	    files->outbound, FILES_OWN);
}

/*
 * Share out our open files (files.c), then start HTTP out, HTTP in on
 * http_fd, and the control socket, each within its share.
 */
static void
listener_start_http(int http_fd)
{
	struct httpd_config	 httpd_config;
	struct limits		 limits;
	struct files		*files = &listener.files;
	char			*cause;

	settings_limits(&listener.settings, &limits);
	files_budget(files_limit(), limits.max_connections, files);
	listener_log_files(files);
	listener.httpc = httpc_new(listener.loop);
	listener.outbound = outbound_new(listener.loop, listener.httpc,
	    listener.store, listener.session.name, files->outbound);
	memset(&httpd_config, 0, sizeof httpd_config);
	httpd_config.loop = listener.loop;
	httpd_config.store = listener.store;
	httpd_config.outbound = listener.outbound;
	httpd_config.limits = &limits;
	httpd_config.tls = listener.tls;
	httpd_config.files = files;
	httpd_config.fd = http_fd;
	/* Behind a tunnel or proxy, it names the client (record.c). */
	if (settings_is_set(&listener.settings, SETTING_TUNNEL))
		httpd_config.forwarded = strcmp(settings_text(
		    &listener.settings, SETTING_TUNNEL), "cloudflared") == 0 ?
		    FORWARDED_CLOUDFLARE : FORWARDED_PROXY;
	else if (settings_is_set(&listener.settings, SETTING_PUBLIC_URL))
		httpd_config.forwarded = FORWARDED_PROXY;
	if ((listener.httpd = httpd_start(&httpd_config, &cause)) == NULL)
		listener_fail(cause);
	listener.control = control_start(listener.loop, listener.store,
	    listener.outbound, listener.session.socket_path,
	    files->control, &cause);
	if (listener.control == NULL)
		listener_fail(cause);
}

/* Take SIGTERM, SIGINT and SIGHUP through the loop: each stops us. */
static void
listener_signals(void)
{
	sigset_t	mask;
	int		fd;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	if ((fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC)) == -1)
		fatal("signalfd");
	loop_add(listener.loop, fd, EPOLLIN, listener_signal, NULL);
}

/*
 * Start up on http_fd: the loop, the store, the tunnel, HTTP out and in,
 * the control socket; then save the settings in force, now that they
 * work.  Signals are taken first: a stop while the tunnel starts must
 * stop it too.
 */
static void
listener_start(int http_fd)
{
	listener.loop = loop_new();
	listener.started_at = clock_wall_ms();
	listener_signals();
	listener_open_store();
	listener_start_tunnel();
	listener_start_http(http_fd);
	listener_config_save();
}

/* Say we serve, to the log and to the command that started us; serve. */
static void
listener_run(void)
{
	struct store_stats	 stats;
	const char		*listen;

	listen = settings_text(&listener.settings, SETTING_LISTEN);
	if (!address_is_loopback(listen))
		log_warnx("hooks are reachable from other machines on %s",
		    listen);
	store_stats(listener.store, &stats);
	log_info("session '%s' listening on %s (pid %ld, %llu hooks, %llu "
	    "messages)", listener.session.name, listen, (long)getpid(),
	    (unsigned long long)stats.hooks,
	    (unsigned long long)stats.received);
	listener_ready(NULL);
	listener_idle_start();
	loop_run(listener.loop);
}

/*
 * The graceful stop, once the loop has ended (listener_shutdown).  The
 * order is the point:
 *
 * 1. Tell the clients that wait (wait, tail) that the session stopped, so
 *    they exit rather than restart us; end the retries that wait for their
 *    next attempt, so nobody waits for one that will not be made.
 * 2. Stop accepting HTTP connections, and run the loop until the requests
 *    in flight in (answered only once journaled and synced) and out are
 *    done, or STOP_GRACE_MS has passed.
 * 3. Cancel what is still going out, so each attempt's outcome is
 *    journaled and its caller told; sync the journal once more, so every
 *    record made is durable and the replies that wait for that (spawn,
 *    ack, reply, close, an answer to a request) are queued; a shared
 *    store's records are durable once Redis acknowledged them: run the
 *    loop for that while it is reachable, up to STOP_STORE_MS; tell the
 *    callers of sends whose start is not durable even now (no room on
 *    disk, Redis gone) that they never left; then send the control
 *    clients what is queued for them.
 * 4. Close the control socket, then HTTP in (no connection is suspended
 *    by then: held and forwarded requests were answered in 2), HTTP out,
 *    the tunnel client (it carried the requests of 2, so it goes after
 *    them; we wait for it to exit), the store (the journal), and the loop
 *    they were all on, in the reverse order of start-up.  Once the
 *    control socket is closed (no client can confirm a message now, and
 *    those leased to clients are back in their queues), a shared store
 *    gives back the leases it holds of messages not taken, waiting for
 *    Redis's reply within what is left of STOP_STORE_MS, so that another
 *    listener's waiter has them at once.
 */
static void
listener_stop(void)
{
	int64_t	deadline;

	control_notify_stop(listener.control);
	timeline_stop();
	outbound_stop(listener.outbound);

	httpd_quiesce(listener.httpd);
	deadline = loop_now() + STOP_GRACE_MS;
	while ((httpd_requests(listener.httpd) > 0 ||
	    httpc_active(listener.httpc) > 0) && loop_now() < deadline)
		loop_run_once(listener.loop);

	outbound_cancel(listener.outbound);
	store_withdraw_spare(listener.store);
	store_commit(listener.store);
	deadline = loop_now() + STOP_STORE_MS;
	while (!store_durable(listener.store) &&
	    store_reachable(listener.store) && loop_now() < deadline)
		loop_run_once(listener.loop);
	outbound_unstarted(listener.outbound);
	control_flush(listener.control);

	control_stop(listener.control);
	store_give_back(listener.store);
	while (store_giving_back(listener.store) &&
	    store_reachable(listener.store) && loop_now() < deadline)
		loop_run_once(listener.loop);
	httpd_stop(listener.httpd);
	httpc_free(listener.httpc);
	outbound_free(listener.outbound);
	tunnel_run_stop(listener.tunnel);
	store_close(listener.store);
	listener_store_release();
	loop_free(listener.loop);
	log_info("stopped");
	session_release(&listener.session);
	settings_release(&listener.settings);
	tls_free(listener.tls);
}

/* Start up, serve until told to stop, stop. */
int
main(int argc, char **argv)
{
	struct listener_args	args;

	/* fish sign and fish verify: one-shot, no session. */
	if (signature_tool_wanted(argc, argv))
		return (signature_tool_main(argc, argv));

	listener_enter(argc, argv, &args);
	listener_start(listener_configure(&args));
	listener_run();
	listener_stop();
	/* Stopped for a loss: a supervisor, or a foreground caller, sees it. */
	return (listener.stopped_for != NULL ? EXIT_UNAVAILABLE : 0);
}
