/*
 * Unit tests for HTTP in (listener/in/), linked with the floors below it
 * and lib/ only: servers are objects (two in one process keep their own
 * limits and holds), and a forwarded request parts from its outbound
 * request when the server is done with it first (a stop, a sender that
 * hung up), so that the app's late answer finds nothing freed.
 *
 * Everything is real: a store in a temporary directory, libmicrohttpd on
 * loopback, curl for the forwards; the sender is a socket of the test's,
 * and the app behind a forwarding hook a listening socket of the test's
 * that answers when the test says so.  The loop is driven by hand.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <err.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "address.h"
#include "proto.h"
#include "buffer.h"
#include "hold.h"
#include "hook.h"
#include "httpc.h"
#include "httpd.h"
#include "limit.h"
#include "loop.h"
#include "outbound.h"
#include "settings.h"
#include "store.h"
#include "tap.h"
#include "tree.h"
#include "xmalloc.h"

/* How long a test waits for something to happen before it fails (ms). */
#define DEADLINE_MS	10000

/* How long the loop may sleep at once, so that tests look often (ms). */
#define TICK_MS		10

static char	*tmpdir;

/* A store with HTTP out, as the listener has them. */
struct fixture {
	char		*dir;
	char		*journal;
	struct loop	*loop;
	struct store	*store;
	struct httpc	*httpc;
	struct outbound	*outbound;
};

/* A server under test and the port it listens on. */
struct server {
	struct httpd	*httpd;
	char		*address;	/* 127.0.0.1:PORT */
};

/* Make a store in a directory of its own, and HTTP out; return 0 or -1. */
static int
setup(struct fixture *f, const char *name)
{
	struct store_config	 config;
	char			*cause = NULL, *warnings = NULL;

	memset(f, 0, sizeof *f);
	xasprintf(&f->dir, "%s/%s", tmpdir, name);
	xasprintf(&f->journal, "%s/journal", f->dir);
	if (mkdir(f->dir, 0700) == -1) {
		diag("mkdir %s: %s", f->dir, strerror(errno));
		return (-1);
	}
	f->loop = loop_new();
	memset(&config, 0, sizeof config);
	config.journal_dir = f->journal;
	config.session_dir = f->dir;
	config.loop = f->loop;
	config.retain_ms = STORE_RETAIN_DEFAULT_MS;
	f->store = store_open(&config, &warnings, &cause);
	free(warnings);
	if (f->store == NULL) {
		diag("store_open: %s", cause);
		free(cause);
		return (-1);
	}
	f->httpc = httpc_new(f->loop);
	f->outbound = outbound_new(f->loop, f->httpc, f->store, "test", 0);
	return (0);
}

/* Stop HTTP out and close the store, in the listener's order. */
static void
teardown(struct fixture *f)
{
	if (f->outbound != NULL) {
		outbound_stop(f->outbound);
		outbound_cancel(f->outbound);
	}
	if (f->store != NULL)
		store_commit(f->store);
	httpc_free(f->httpc);
	outbound_free(f->outbound);
	store_close(f->store);
	if (f->loop != NULL)
		loop_free(f->loop);
	free(f->journal);
	free(f->dir);
}

/* Start a server of the fixture's store on a port of its own. */
static int
server_start(struct fixture *f, struct server *s, const struct limits *limits)
{
	struct httpd_config	 config;
	char			*cause = NULL;
	int			 fd;

	memset(s, 0, sizeof *s);
	if ((fd = address_bind("127.0.0.1:0", &s->address, &cause)) == -1) {
		diag("bind: %s", cause);
		free(cause);
		return (-1);
	}
	memset(&config, 0, sizeof config);
	config.loop = f->loop;
	config.store = f->store;
	config.outbound = f->outbound;
	config.limits = limits;
	config.fd = fd;
	if ((s->httpd = httpd_start(&config, &cause)) == NULL) {
		diag("httpd_start: %s", cause);
		free(cause);
		close(fd);
		return (-1);
	}
	return (0);
}

/* Stop a server as the listener does. */
static void
server_stop(struct server *s)
{
	if (s->httpd != NULL) {
		httpd_quiesce(s->httpd);
		httpd_stop(s->httpd);
	}
	s->httpd = NULL;
	free(s->address);
	s->address = NULL;
}

/* Spawn a hook with settings given as JSON text (or none). */
static struct hook *
spawn(struct fixture *f, const char *json)
{
	struct json_object	*settings = NULL;
	struct hook		*h;
	char			*cause = NULL;

	if (json != NULL)
		settings = json_tokener_parse(json);
	h = store_spawn(f->store, NULL, settings, NULL, 0, &cause);
	if (h == NULL) {
		diag("spawn: %s", cause);
		free(cause);
	}
	json_object_put(settings);
	return (h);
}

/* Connect to 127.0.0.1:PORT and return the socket, or -1. */
static int
connect_to(const char *address)
{
	struct sockaddr_in	 sin;
	const char		*port = strrchr(address, ':');
	int			 fd;

	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons((uint16_t)strtoul(port + 1, NULL, 10));
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
	    connect(fd, (struct sockaddr *)&sin, sizeof sin) == -1) {
		diag("connect %s: %s", address, strerror(errno));
		if (fd != -1)
			close(fd);
		return (-1);
	}
	return (fd);
}

/* Send a POST of body to hook h on a new connection; return it or -1. */
static int
post(const struct server *s, const struct hook *h, const char *body)
{
	char	*text;
	size_t	 len;
	int	 fd;

	if ((fd = connect_to(s->address)) == -1)
		return (-1);
	len = (size_t)xasprintf(&text, "POST /%s HTTP/1.1\r\nHost: test\r\n"
	    "Content-Length: %zu\r\n\r\n%s", h->token, strlen(body), body);
	if (write(fd, text, len) != (ssize_t)len) {
		diag("write: %s", strerror(errno));
		close(fd);
		fd = -1;
	}
	free(text);
	return (fd);
}

/* A tick: wake the loop soon again (arg: the timer, now fired). */
static void
tick(void *arg)
{
	*(struct loop_timer **)arg = NULL;
}

/* Run the loop once, for at most TICK_MS of waiting. */
static void
run_once(struct fixture *f)
{
	struct loop_timer	*t;

	t = loop_timer_add(f->loop, loop_now() + TICK_MS, tick, &t);
	loop_run_once(f->loop);
	loop_timer_cancel(f->loop, t);
}

/*
 * Read what has come on fd into b, without waiting; return 1 once it
 * holds a whole response head or the peer closed, else 0.
 */
static int
read_some(int fd, struct buffer *b)
{
	char	data[4096];
	ssize_t	n;

	while ((n = recv(fd, data, sizeof data, MSG_DONTWAIT)) > 0)
		buffer_add(b, data, (size_t)n);
	if (n == 0)
		return (1);
	return (memmem(buffer_peek(b), buffer_unread(b), "\r\n\r\n", 4) !=
	    NULL);
}

/* Return the status of the HTTP response in b, or 0. */
static int
status_of(struct buffer *b)
{
	const char	*p = buffer_peek(b);
	int		 status = 0;

	if (buffer_unread(b) >= 12 && strncmp(p, "HTTP/1.1 ", 9) == 0)
		status = (int)strtol(p + 9, NULL, 10);
	return (status);
}

/*
 * Run the loop (f not NULL) or just wait (the server is gone) until the
 * response on fd has come; return its status, 0 if none in time.
 */
static int
response(struct fixture *f, int fd)
{
	struct buffer	 b;
	struct pollfd	 pfd;
	int64_t		 deadline = loop_now() + DEADLINE_MS;
	int		 status;

	buffer_init(&b);
	while (!read_some(fd, &b) && loop_now() < deadline) {
		if (f != NULL)
			run_once(f);
		else {
			pfd.fd = fd;
			pfd.events = POLLIN;
			poll(&pfd, 1, TICK_MS);
		}
	}
	status = status_of(&b);
	buffer_release(&b);
	return (status);
}

/*
 * Run the loop until what has come on fd holds text, or the deadline;
 * return 1 if it came.
 */
static int
run_until_read(struct fixture *f, int fd, const char *text)
{
	struct buffer	 b;
	char		 data[4096];
	ssize_t		 n;
	int64_t		 deadline = loop_now() + DEADLINE_MS;
	int		 found = 0;

	buffer_init(&b);
	while (!found && loop_now() < deadline) {
		while ((n = recv(fd, data, sizeof data, MSG_DONTWAIT)) > 0)
			buffer_add(&b, data, (size_t)n);
		found = memmem(buffer_peek(&b), buffer_unread(&b), text,
		    strlen(text)) != NULL;
		if (!found)
			run_once(f);
	}
	buffer_release(&b);
	return (found);
}

/* Run the loop until the store has n messages queued, or the deadline. */
static int
run_until_queued(struct fixture *f, uint64_t n)
{
	struct store_stats	st;
	int64_t			deadline = loop_now() + DEADLINE_MS;

	store_stats(f->store, &st);
	while (st.queued < n && loop_now() < deadline) {
		run_once(f);
		store_stats(f->store, &st);
	}
	return (st.queued >= n);
}

/* Run the loop until HTTP out has a transfer under way, or the deadline. */
static int
run_until_sending(struct fixture *f)
{
	int64_t	deadline = loop_now() + DEADLINE_MS;

	while (!httpc_active(f->httpc) && loop_now() < deadline)
		run_once(f);
	return (httpc_active(f->httpc));
}

/* Run the loop until a server has no request left, or the deadline. */
static int
run_until_idle(struct fixture *f, struct server *s)
{
	int64_t	deadline = loop_now() + DEADLINE_MS;

	while ((httpd_requests(s->httpd) > 0 || httpc_active(f->httpc)) &&
	    loop_now() < deadline)
		run_once(f);
	return (httpd_requests(s->httpd) == 0 && !httpc_active(f->httpc));
}

/* The limits fish start uses when none is given: every default. */
static void
default_limits(struct limits *limits)
{
	struct settings	 none, in_force;
	char		*cause = NULL;

	settings_init(&none);
	settings_init(&in_force);
	if (settings_resolve(&in_force, &none, NULL, NULL, &cause) == -1)
		errx(1, "settings: %s", cause);
	settings_limits(&in_force, limits);
	settings_release(&in_force);
	settings_release(&none);
}

/*
 * Two servers in one process: each keeps its own limits, requests in
 * progress and held requests.
 */
static void
test_two_servers(void)
{
	struct fixture	 f;
	struct server	 a, b;
	struct limits	 la, lb;
	struct hook	*plain, *held;
	uint64_t	 seq = 0;
	char		*cause = NULL;
	int		 fd = -1, fd2, ret;

	memset(&a, 0, sizeof a);
	memset(&b, 0, sizeof b);
	default_limits(&la);
	default_limits(&lb);
	lb.max_body = 4;
	if (!ok(setup(&f, "two") == 0 && server_start(&f, &a, &la) == 0 &&
	    server_start(&f, &b, &lb) == 0, "two servers start on one store"))
		goto out;
	plain = spawn(&f, NULL);
	held = spawn(&f, "{\"hold\": true}");
	if (plain == NULL || held == NULL)
		goto out;
	fd = post(&a, plain, "hello");
	is_int(response(&f, fd), 200, "one server takes a 5-byte body");
	close(fd);
	fd = post(&b, plain, "hello");
	is_int(response(&f, fd), 413, "the other, with --max-body 4, does not");
	close(fd);

	fd = post(&b, held, "held");
	ok(run_until_queued(&f, 2), "the other holds a request");
	fd2 = post(&a, plain, "other");
	is_int(response(&f, fd2), 200, "the first answers one meanwhile");
	close(fd2);
	ok(httpd_requests(b.httpd) == 1 && httpd_requests(a.httpd) == 0,
	    "each server counts its own requests");
	ret = hold_reply(httpd_hold(a.httpd), held->token, 200, NULL, "", 0,
	    &seq, &cause);
	ok(ret != EXIT_OK, "a server cannot reply to what another holds");
	free(cause);
	cause = NULL;
	ret = hold_reply(httpd_hold(b.httpd), held->token, 202, NULL, "", 0,
	    &seq, &cause);
	is_int(ret, EXIT_OK, "the server that holds it replies");
	free(cause);
	is_int(response(&f, fd), 202, "with the status of the reply");
	close(fd);
out:
	server_stop(&a);
	server_stop(&b);
	teardown(&f);
}

/* A request forwarded to an app of the test's that has not answered. */
struct forwarded {
	struct fixture	 f;
	struct server	 s;
	char		*app;		/* its address */
	int		 app_fd;	/* its listening socket */
	int		 fd;		/* the sender's connection */
};

/*
 * Start a server whose hook forwards to an app that accepts nothing yet,
 * send a request to it, and run the loop until it is forwarded; return 0
 * or -1.
 */
static int
forwarded_setup(struct forwarded *fw, const char *name)
{
	struct limits	 limits;
	struct hook	*h;
	char		*cause = NULL, *json;

	memset(fw, 0, sizeof *fw);
	fw->app_fd = fw->fd = -1;
	default_limits(&limits);
	if (!ok(setup(&fw->f, name) == 0 &&
	    server_start(&fw->f, &fw->s, &limits) == 0, "a server starts"))
		return (-1);
	if ((fw->app_fd = address_bind("127.0.0.1:0", &fw->app, &cause)) ==
	    -1) {
		ok(0, "bind the app: %s", cause);
		free(cause);
		return (-1);
	}
	xasprintf(&json, "{\"forward_to\": \"http://%s\"}", fw->app);
	h = spawn(&fw->f, json);
	free(json);
	if (h == NULL || (fw->fd = post(&fw->s, h, "to the app")) == -1)
		return (-1);
	return (ok(run_until_sending(&fw->f),
	    "the request is forwarded to the app") ? 0 : -1);
}

/* Stop and close everything of a forwarded request's test. */
static void
forwarded_teardown(struct forwarded *fw)
{
	server_stop(&fw->s);
	if (fw->fd != -1)
		close(fw->fd);
	if (fw->app_fd != -1)
		close(fw->app_fd);
	free(fw->app);
	teardown(&fw->f);
}

/*
 * A server stopped while the app of a forwarding hook has not answered:
 * the sender gets 503, and when HTTP out ends the forward afterwards
 * (the listener cancels it later), its callback finds nothing of the
 * request, which MHD has freed meanwhile.
 */
static void
test_stop_during_forward(void)
{
	struct forwarded	fw;

	if (forwarded_setup(&fw, "stop") == -1)
		goto out;
	ok(httpd_requests(fw.s.httpd) == 1, "and waits for its answer");
	/* The server stops first; HTTP out ends its forward after. */
	server_stop(&fw.s);
	is_int(response(NULL, fw.fd), 503, "the sender gets 503 at the stop");
	outbound_stop(fw.f.outbound);
	outbound_cancel(fw.f.outbound);
	ok(!httpc_active(fw.f.httpc), "the forward ends after its request "
	    "(nothing freed is touched: ASan and valgrind say so)");
out:
	forwarded_teardown(&fw);
}

/*
 * A sender that hangs up while the app of a forwarding hook is slow: the
 * app's late answer is relayed to nobody, and the request ends cleanly.
 */
static void
test_hang_up_during_forward(void)
{
	struct forwarded	 fw;
	struct pollfd		 pfd;
	const char		*answer = "HTTP/1.1 201 Created\r\n"
				    "Content-Length: 4\r\n"
				    "Connection: close\r\n\r\nlate";
	int64_t			 deadline;
	int			 conn = -1;

	if (forwarded_setup(&fw, "hangup") == -1)
		goto out;
	close(fw.fd);
	fw.fd = -1;
	/* The app takes the request once its sender has gone. */
	pfd.fd = fw.app_fd;
	pfd.events = POLLIN;
	deadline = loop_now() + DEADLINE_MS;
	while (poll(&pfd, 1, 0) == 0 && loop_now() < deadline)
		run_once(&fw.f);
	if (!ok((conn = accept(fw.app_fd, NULL, NULL)) != -1 &&
	    run_until_read(&fw.f, conn, "to the app"),
	    "the app gets the forward"))
		goto out;
	ok(write(conn, answer, strlen(answer)) == (ssize_t)strlen(answer),
	    "the app answers after the sender hung up");
	ok(run_until_idle(&fw.f, &fw.s), "the answer goes nowhere, and the "
	    "request ends");
out:
	if (conn != -1)
		close(conn);
	forwarded_teardown(&fw);
}

int
main(void)
{
	char	template[] = "/tmp/fish-unit-httpd.XXXXXX";

	if ((tmpdir = mkdtemp(template)) == NULL) {
		ok(0, "mkdtemp: %s", strerror(errno));
		return (done_testing());
	}
	test_two_servers();
	test_stop_during_forward();
	test_hang_up_during_forward();
	if (tree_remove(tmpdir) == -1)
		ok(0, "remove '%s': %s", tmpdir, strerror(errno));
	return (done_testing());
}
