/*
 * fish-listener: the per-session background process.  It owns all HTTP (in
 * through libmicrohttpd, out through libcurl), the control socket and the
 * journal, in one event loop.
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
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "address.h"
#include "buffer.h"
#include "clock.h"
#include "control.h"
#include "httpc.h"
#include "httpd.h"
#include "listener.h"
#include "listener-config.h"
#include "log.h"
#include "loop.h"
#include "outbound.h"
#include "proto.h"
#include "signature-tool.h"
#include "control-timeline.h"
#include "store.h"
#include "tls.h"
#include "xmalloc.h"

#define STOP_GRACE_MS		5000

struct listener listener;

static int		 ready_fd = -1;
static int		 lock_fd = -1;	/* the start lock, until ready */
static int		 ready_usage;	/* a failure is the command line's */
static int		 pid_fd = -1;

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
	(void)write(ready_fd, line, strlen(line));
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

/* Work out the base URL of hooks: the public URL, or our own address. */
static void
listener_set_base_url(void)
{
	const char	*public_url;
	size_t		 len;

	free(listener.base_url);
	public_url = settings_text(&listener.settings, SETTING_PUBLIC_URL);
	if (public_url != NULL) {
		listener.base_url = xstrdup(public_url);
		len = strlen(listener.base_url);
		while (len > 0 && listener.base_url[len - 1] == '/')
			listener.base_url[--len] = '\0';
	} else
		xasprintf(&listener.base_url, "%s://%s",
		    listener.tls != NULL ? "https" : "http",
		    settings_text(&listener.settings, SETTING_LISTEN));
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

/* Start-up: settings, lock, sockets, journal replay; then serve. */
int
main(int argc, char **argv)
{
	struct listener_args	 args;
	struct limits		 limits;
	const char		*listen;
	sigset_t		 mask;
	char			*cause, *warning, *bound;
	int			 http_fd, sig_fd, usage;
	int64_t			 deadline;
	struct store_config	 store_config;
	struct httpd_config	 httpd_config;
	struct store_stats	 stats;

	/* fish sign and fish verify: one-shot, no session. */
	if (signature_tool_wanted(argc, argv))
		return (signature_tool_main(argc, argv));

	memset(&args, 0, sizeof args);
	args.session = session_default_name();
	args.ready_fd = args.lock_fd = -1;
	if (listener_args_parse(&args, argc, argv) == -1)
		listener_args_usage();
	ready_fd = args.ready_fd;
	lock_fd = args.lock_fd;

	listener_close_inherited();
	log_init();
	signal(SIGPIPE, SIG_IGN);

	if (session_init(&listener.session, args.session, &cause) == -1 ||
	    session_prepare(&listener.session, &cause) == -1 ||
	    session_enter(&listener.session, &cause) == -1)
		listener_fail(cause);
	if (!args.foreground)
		listener_detach();
	listener_lock();

	if (listener_settings(&args, &cause, &usage) == -1) {
		if (usage)
			listener_fail_usage(cause);
		listener_fail(cause);
	}
	http_fd = address_bind(settings_text(&listener.settings,
	    SETTING_LISTEN), &bound, &cause);
	if (http_fd == -1)
		listener_fail(cause);
	/* What is saved and shown is the port chosen, kept from now on. */
	if (settings_set(&listener.settings, SETTING_LISTEN, bound,
	    &cause) == -1)
		fatalx("bound to an invalid address: %s", cause);
	free(bound);
	listener_set_base_url();

	listener.loop = loop_new();
	listener.started_at = clock_wall_ms();
	memset(&store_config, 0, sizeof store_config);
	store_config.journal_dir = listener.session.journal_path;
	store_config.session_dir = listener.session.dir;
	store_config.loop = listener.loop;
	store_config.retain_ms = (int64_t)settings_number(&listener.settings,
	    SETTING_RETAIN);
	/* Before HTTP in: the store's commit runs before MHD's prepare. */
	listener.store = store_open(&store_config, &warning, &cause);
	if (listener.store == NULL)
		listener_fail(cause);
	listener_log_lines(warning);
	listener.httpc = httpc_new(listener.loop);
	listener.outbound = outbound_new(listener.loop, listener.httpc,
	    listener.store, listener.session.name);
	memset(&httpd_config, 0, sizeof httpd_config);
	httpd_config.loop = listener.loop;
	httpd_config.store = listener.store;
	httpd_config.outbound = listener.outbound;
	settings_limits(&listener.settings, &limits);
	httpd_config.limits = &limits;
	httpd_config.tls = listener.tls;
	httpd_config.fd = http_fd;
	if ((listener.httpd = httpd_start(&httpd_config, &cause)) == NULL)
		listener_fail(cause);
	listener.control = control_start(listener.loop, listener.store,
	    listener.outbound, listener.session.socket_path, &cause);
	if (listener.control == NULL)
		listener_fail(cause);
	listener_config_save();

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	if ((sig_fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC)) == -1)
		fatal("signalfd");
	loop_add(listener.loop, sig_fd, EPOLLIN, listener_signal, NULL);

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
	loop_run(listener.loop);

	/*
	 * Graceful stop: new connections are refused, requests in flight are
	 * finished (those received are synced and answered), then we exit.
	 */
	control_notify_stop(listener.control);
	timeline_stop();
	outbound_stop(listener.outbound);
	httpd_quiesce(listener.httpd);
	deadline = loop_now() + STOP_GRACE_MS;
	while ((httpd_requests(listener.httpd) > 0 ||
	    httpc_active(listener.httpc) > 0) && loop_now() < deadline)
		loop_run_once(listener.loop);
	outbound_cancel(listener.outbound);
	store_commit(listener.store);
	control_flush(listener.control);
	control_stop(listener.control);
	httpd_stop(listener.httpd);
	httpc_free(listener.httpc);
	outbound_free(listener.outbound);
	store_close(listener.store);
	loop_free(listener.loop);
	log_info("stopped");
	session_release(&listener.session);
	free(listener.base_url);
	settings_release(&listener.settings);
	tls_free(listener.tls);
	return (0);
}
