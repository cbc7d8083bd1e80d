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
#include <getopt.h>
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
#include "duration.h"
#include "httpc.h"
#include "httpd.h"
#include "jsonptr.h"
#include "listener.h"
#include "log.h"
#include "loop.h"
#include "outbound.h"
#include "proto.h"
#include "signature-tool.h"
#include "control-timeline.h"
#include "store.h"
#include "tls.h"
#include "xmalloc.h"

#define DEFAULT_LISTEN		"127.0.0.1:0"
#define STOP_GRACE_MS		5000

struct listener listener;

static int		 ready_fd = -1;
static int		 lock_fd = -1;	/* the start lock, until ready */
static int		 ready_usage;	/* a failure is the command line's */
/*
 * The saved settings while start-up reads them.  Kept here, not only in
 * main's frame, so that a start that fails half-way (listener_fail exits)
 * leaves nothing unreachable behind for LeakSanitizer to report.
 */
static struct json_object	*start_config;
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

/* Read the saved settings; missing or unreadable means defaults. */
static struct json_object *
listener_load_config(void)
{
	struct json_object	*config;
	char			 buf[4096], *cause;
	ssize_t			 n;
	int			 fd;

	if ((fd = open(listener.session.config_path, O_RDONLY | O_CLOEXEC)) == -1)
		return (json_object_new_object());
	n = read(fd, buf, sizeof buf);
	close(fd);
	config = n > 0 ? jsonptr_parse(buf, (size_t)n, &cause) : NULL;
	if (config == NULL || !json_object_is_type(config, json_type_object)) {
		if (n > 0) {
			log_warnx("ignoring unreadable %s",
			    listener.session.config_path);
			free(cause);
		}
		json_object_put(config);
		return (json_object_new_object());
	}
	return (config);
}

/* Tell whether the file at path holds exactly the len bytes of text. */
static int
listener_file_is(const char *path, const char *text, size_t len)
{
	char	buf[4096];
	ssize_t	n;
	size_t	at = 0;
	int	fd, same = 1;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return (0);
	while (same && (n = read(fd, buf, sizeof buf)) > 0) {
		if ((size_t)n > len - at || memcmp(buf, text + at, (size_t)n) != 0)
			same = 0;
		at += (size_t)n;
	}
	close(fd);
	return (same && n == 0 && at == len);
}

/*
 * Save the settings in force, atomically (write a copy, then rename), when
 * they differ from the saved ones.  A failure (a full disk) is only a
 * warning: the settings in force are right, and what is queued must stay
 * reachable; but a port chosen now is not kept for the next start.
 */
static void
listener_save_config(void)
{
	struct json_object	*config;
	const char		*text;
	char			*tmp, *retain, *saved;
	size_t			 i;
	int			 fd, error;

	config = json_object_new_object();
	json_object_object_add(config, "listen",
	    json_object_new_string(listener.listen));
	if (listener.public_url != NULL)
		json_object_object_add(config, "public_url",
		    json_object_new_string(listener.public_url));
	if (listener.tls_cert != NULL) {
		json_object_object_add(config, "tls_cert",
		    json_object_new_string(listener.tls_cert));
		json_object_object_add(config, "tls_key",
		    json_object_new_string(listener.tls_key));
	}
	retain = duration_format((uint64_t)listener.retain_ms);
	json_object_object_add(config, "retain", json_object_new_string(retain));
	free(retain);
	for (i = 0; i < LIMIT_COUNT; i++) {
		retain = limit_format(&listener.limits, i);
		json_object_object_add(config, limit_key(i),
		    json_object_new_string(retain));
		free(retain);
	}
	text = json_object_to_json_string_ext(config, JSON_C_TO_STRING_PRETTY);
	xasprintf(&saved, "%s\n", text);
	json_object_put(config);
	if (listener_file_is(listener.session.config_path, saved,
	    strlen(saved))) {
		free(saved);
		return;
	}
	xasprintf(&tmp, "%s.tmp", listener.session.config_path);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600)) == -1)
		goto fail;
	if (write_all(fd, saved, strlen(saved)) == -1 || fsync(fd) == -1) {
		error = errno;
		close(fd);
		errno = error;
		goto fail;
	}
	if (close(fd) == -1 || rename(tmp, listener.session.config_path) == -1)
		goto fail;
	free(tmp);
	free(saved);
	return;
fail:
	error = errno;
	unlink(tmp);
	log_warnx("cannot save %s: %s; going on with the settings in force, "
	    "which the next start will not know", listener.session.config_path,
	    strerror(error));
	free(tmp);
	free(saved);
}

/* Work out the base URL of hooks: the public URL, or our own address. */
static void
listener_set_base_url(void)
{
	size_t	len;

	free(listener.base_url);
	if (listener.public_url != NULL) {
		listener.base_url = xstrdup(listener.public_url);
		len = strlen(listener.base_url);
		while (len > 0 && listener.base_url[len - 1] == '/')
			listener.base_url[--len] = '\0';
	} else
		xasprintf(&listener.base_url, "%s://%s",
		    listener.tls != NULL ? "https" : "http", listener.listen);
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

/*
 * Set the limits on hooks' requests: each as given on our command line
 * (args, by limit), else as saved in config, else the default.
 */
static void
listener_set_limits(struct json_object *config, const char **args)
{
	struct json_object	*value;
	char			*cause, *saved;
	size_t			 i;

	limit_defaults(&listener.limits);
	for (i = 0; i < LIMIT_COUNT; i++) {
		if (args[i] != NULL) {
			if (limit_set(&listener.limits, i, args[i],
			    &cause) == -1)
				listener_fail_usage(cause);
		} else if (json_object_object_get_ex(config, limit_key(i),
		    &value) && limit_set(&listener.limits, i,
		    json_object_get_string(value), &cause) == -1) {
			xasprintf(&saved, "%s, saved in %s", cause,
			    listener.session.config_path);
			free(cause);
			listener_fail(saved);
		}
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

/* Print usage and exit. */
static void __attribute__((__noreturn__))
listener_usage(void)
{
	fprintf(stderr, "usage: fish-listener [--foreground] [--ready-fd N] "
	    "[--lock-fd N] "
	    "[--session NAME] [--listen HOST:PORT] [--public-url URL] "
	    "[--retain D] "
	    "[--tls-cert FILE --tls-key FILE] [--no-tls] [--max-body SIZE] "
	    "[--idle-timeout D] [--max-connections N] [--max-per-ip N] "
	    "[--max-header SIZE] [--max-inflight SIZE]\n"
	    "(started by fish; not meant to be run by hand)\n");
	exit(2);
}

/* Start-up: settings, lock, sockets, journal replay; then serve. */
int
main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "foreground", no_argument, NULL, 'f' },
		{ "listen", required_argument, NULL, 'l' },
		{ "lock-fd", required_argument, NULL, 'L' },
		{ "public-url", required_argument, NULL, 'u' },
		{ "ready-fd", required_argument, NULL, 'r' },
		{ "retain", required_argument, NULL, 'R' },
		{ "session", required_argument, NULL, 's' },
		{ "tls-cert", required_argument, NULL, 'c' },
		{ "tls-key", required_argument, NULL, 'k' },
		{ "no-tls", no_argument, NULL, 'n' },
		{ "max-body", required_argument, NULL, 'M' },
		{ "idle-timeout", required_argument, NULL, 'M' },
		{ "max-connections", required_argument, NULL, 'M' },
		{ "max-per-ip", required_argument, NULL, 'M' },
		{ "max-header", required_argument, NULL, 'M' },
		{ "max-inflight", required_argument, NULL, 'M' },
		{ NULL, 0, NULL, 0 }
	};
	const char		*session_name = session_default_name();
	const char		*listen_arg = NULL, *public_arg = NULL, *s;
	const char		*retain_arg = NULL;
	const char		*limit_args[LIMIT_COUNT] = { NULL };
	const char		*cert_arg = NULL, *key_arg = NULL;
	int			 no_tls = 0;
	uint64_t		 retain;
	sigset_t		 mask;
	char			*cause, *warning, *end, *hint;
	int			 ch, foreground = 0, http_fd, sig_fd;
	int			 option, limit;
	int64_t			 deadline;
	struct store_config	 store_config;
	struct httpd_config	 httpd_config;
	struct store_stats	 stats;

	/* fish sign and fish verify: one-shot, no session. */
	if (signature_tool_wanted(argc, argv))
		return (signature_tool_main(argc, argv));

	while ((ch = getopt_long(argc, argv, "", options, &option)) != -1) {
		switch (ch) {
		case 'f':
			foreground = 1;
			break;
		case 'l':
			listen_arg = optarg;
			break;
		case 'u':
			public_arg = optarg;
			break;
		case 'r':
			ready_fd = (int)strtol(optarg, &end, 10);
			if (*end != '\0' || ready_fd < 3)
				listener_usage();
			break;
		case 'L':
			lock_fd = (int)strtol(optarg, &end, 10);
			if (*end != '\0' || lock_fd < 3)
				listener_usage();
			break;
		case 'R':
			retain_arg = optarg;
			break;
		case 's':
			session_name = optarg;
			break;
		case 'c':
			cert_arg = optarg;
			break;
		case 'k':
			key_arg = optarg;
			break;
		case 'n':
			no_tls = 1;
			break;
		case 'M':
			if ((limit = limit_find(options[option].name)) == -1)
				listener_usage();
			limit_args[limit] = optarg;
			break;
		default:
			listener_usage();
		}
	}
	if (optind != argc || (cert_arg == NULL) != (key_arg == NULL) ||
	    (no_tls && cert_arg != NULL))
		listener_usage();

	listener_close_inherited();
	log_init();
	signal(SIGPIPE, SIG_IGN);

	if (session_init(&listener.session, session_name, &cause) == -1 ||
	    session_prepare(&listener.session, &cause) == -1 ||
	    session_enter(&listener.session, &cause) == -1)
		listener_fail(cause);
	if (!foreground)
		listener_detach();
	listener_lock();

	start_config = listener_load_config();
	if (listen_arg == NULL || address_matches(listen_arg,
	    proto_string(start_config, "listen")))
		listen_arg = proto_string(start_config, "listen");
	if (listen_arg == NULL)
		listen_arg = DEFAULT_LISTEN;
	if (public_arg == NULL && (s = getenv("FISH_PUBLIC_URL")) != NULL &&
	    *s != '\0')
		public_arg = s;
	if (public_arg == NULL)
		public_arg = proto_string(start_config, "public_url");
	if (public_arg != NULL && *public_arg != '\0')
		listener.public_url = xstrdup(public_arg);
	if (retain_arg == NULL)
		retain_arg = proto_string(start_config, "retain");
	listener.retain_ms = STORE_RETAIN_DEFAULT_MS;
	if (retain_arg != NULL) {
		if (duration_parse(retain_arg, &retain, &cause) == -1)
			listener_fail(cause);
		listener.retain_ms = (int64_t)retain;
	}
	listener_set_limits(start_config, limit_args);
	/*
	 * TLS files given now are checked as the user's input; saved ones
	 * that have gone bad since make this start fail like any other.
	 */
	if (cert_arg != NULL) {
		if ((listener.tls = tls_load(cert_arg, key_arg, &cause)) == NULL)
			listener_fail_usage(cause);
	} else if (!no_tls &&
	    (cert_arg = proto_string(start_config, "tls_cert")) != NULL &&
	    (key_arg = proto_string(start_config, "tls_key")) != NULL) {
		if ((listener.tls = tls_load(cert_arg, key_arg, &cause)) == NULL) {
			xasprintf(&hint, "%s (saved by an earlier start: give "
			    "'" FISH_NAME " start' other files, or --no-tls)",
			    cause);
			listener_fail(hint);
		}
	}
	if (listener.tls != NULL) {
		listener.tls_cert = xstrdup(cert_arg);
		listener.tls_key = xstrdup(key_arg);
	}
	http_fd = address_bind(listen_arg, &listener.listen, &cause);
	json_object_put(start_config);
	start_config = NULL;
	if (http_fd == -1)
		listener_fail(cause);
	listener_set_base_url();

	listener.loop = loop_new();
	listener.started_at = clock_wall_ms();
	memset(&store_config, 0, sizeof store_config);
	store_config.journal_dir = listener.session.journal_path;
	store_config.session_dir = listener.session.dir;
	store_config.loop = listener.loop;
	store_config.retain_ms = listener.retain_ms;
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
	httpd_config.limits = &listener.limits;
	httpd_config.tls = listener.tls;
	httpd_config.fd = http_fd;
	if ((listener.httpd = httpd_start(&httpd_config, &cause)) == NULL)
		listener_fail(cause);
	listener.control = control_start(listener.loop, listener.store,
	    listener.outbound, listener.session.socket_path, &cause);
	if (listener.control == NULL)
		listener_fail(cause);
	listener_save_config();

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	if ((sig_fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC)) == -1)
		fatal("signalfd");
	loop_add(listener.loop, sig_fd, EPOLLIN, listener_signal, NULL);

	if (!address_is_loopback(listener.listen))
		log_warnx("hooks are reachable from other machines on %s",
		    listener.listen);
	store_stats(listener.store, &stats);
	log_info("session '%s' listening on %s (pid %ld, %llu hooks, %llu "
	    "messages)", listener.session.name, listener.listen, (long)getpid(),
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
	free(listener.listen);
	free(listener.base_url);
	free(listener.public_url);
	free(listener.tls_cert);
	free(listener.tls_key);
	tls_free(listener.tls);
	return (0);
}
