/*
 * Unit tests for the Redis store's foundation (redis-conn, redis-append,
 * redis-follow) against a real redis-server of the test's own, started
 * with test/helpers/redis-start: AUTH as an ACL user and with a password
 * alone, SELECT, appends from two connections, a follower, SCRIPT FLUSH,
 * and the server SIGKILLed and restarted under all of them.
 * Skipped (TAP "1..0 # SKIP") without redis-server.
 */
#include "config.h"

#include <sys/wait.h>

#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

#include "loop.h"
#include "redis-append.h"
#include "redis-conn.h"
#include "redis-follow.h"
#include "redis-server.h"
#include "store-url.h"
#include "tap.h"
#include "xmalloc.h"

#define WAIT_MS		20000	/* longest wait for anything */
#define MAX_ENTRIES	1000

static struct loop	*loop;

/* What the follower handed over, in order. */
static struct {
	uint64_t	 seq;
	char		 from[16];
	char		 type[16];
	char		 rec[64];
	size_t		 reclen;
	int		 has_body;
	char		 body[64];
} entries[MAX_ENTRIES];
static int		 nentries;

/* The outcomes of appends, by the index given as their argument. */
static struct {
	int		 done;
	uint64_t	 seq;
	char		 error[256];
} appends[MAX_ENTRIES];

/* Run the loop until done(arg) or WAIT_MS; return done(arg). */
static int
run_until(int (*done)(void *), void *arg)
{
	int64_t	deadline = loop_now() + WAIT_MS;

	while (!done(arg) && loop_now() < deadline)
		loop_run_once(loop);
	return (done(arg));
}

/* Tell whether a connection is ready. */
static int
is_ready(void *arg)
{
	return (redis_conn_ready(arg));
}

/* Tell whether a connection is not ready. */
static int
is_down(void *arg)
{
	return (!redis_conn_ready(arg));
}

/* Tell whether a connection's state holds the text of arg's second half. */
struct state_wait {
	struct redis_conn	*conn;
	const char		*text;
};
static int
state_has(void *arg)
{
	struct state_wait	*w = arg;

	return (strstr(redis_conn_state(w->conn), w->text) != NULL);
}

/* The reply of a command run by command(): a copy of its text. */
struct reply_wait {
	int	 done;
	int	 type;
	char	 text[1024];
	long long integer;
};
static int
reply_done(void *arg)
{
	return (((struct reply_wait *)arg)->done);
}
static void
on_reply(struct redis_conn *conn, struct redisReply *r, void *arg)
{
	struct reply_wait	*w = arg;

	(void)conn;
	w->done = 1;
	w->type = r == NULL ? -1 : r->type;
	if (r != NULL && r->str != NULL)
		snprintf(w->text, sizeof w->text, "%s", r->str);
	if (r != NULL)
		w->integer = r->integer;
}

/* Run a command (words split at spaces) on conn and wait for its reply. */
static int
command(struct redis_conn *conn, struct reply_wait *w, const char *line)
{
	char		*copy = xstrdup(line), *p, *words[16];
	const char	*argv[16];
	size_t		 len[16];
	int		 argc = 0;

	memset(w, 0, sizeof *w);
	for (p = copy; argc < 16 && (words[argc] = strsep(&p, " ")) != NULL;
	    argc++) {
		argv[argc] = words[argc];
		len[argc] = strlen(words[argc]);
	}
	if (redis_conn_command(conn, 0, on_reply, w, argc, argv, len) == -1) {
		free(copy);
		return (-1);
	}
	free(copy);
	return (run_until(reply_done, w) ? 0 : -1);
}

/*
 * Open a connection to url text, loading the append script when up
 * (while load_scripts says so: after the restart no one does, and the
 * appends must go through NOSCRIPT).
 */
static int		 load_scripts = 1;
static void
on_state_load(struct redis_conn *conn, int up, void *arg)
{
	(void)arg;
	if (up && load_scripts)
		redis_append_load(conn);
}
static struct redis_conn *
conn_open(const char *text, int load)
{
	struct store_url	 url;
	struct redis_conn	*conn;
	char			*cause;

	if (store_url_parse(text, &url, &cause) == -1) {
		diag("%s", cause);
		free(cause);
		return (NULL);
	}
	conn = redis_conn_new(loop, &url, load ? on_state_load : NULL, NULL);
	store_url_free(&url);
	return (conn);
}

/* An append's outcome. */
static void
on_append(void *arg, uint64_t seq, const char *id, const char *error)
{
	size_t	i = (size_t)(uintptr_t)arg;

	(void)id;
	appends[i].done = 1;
	appends[i].seq = seq;
	if (error != NULL)
		snprintf(appends[i].error, sizeof appends[i].error, "%s",
		    error);
}
static int
appends_done(void *arg)
{
	int	i, n = *(int *)arg;

	for (i = 0; i < n; i++) {
		if (!appends[i].done)
			return (0);
	}
	return (1);
}

/* A follower's entry. */
static void
on_entry(const struct redis_entry *e, void *arg)
{
	(void)arg;
	if (nentries == MAX_ENTRIES)
		return;
	entries[nentries].seq = e->seq;
	snprintf(entries[nentries].from, sizeof entries[nentries].from, "%s",
	    e->from);
	snprintf(entries[nentries].type, sizeof entries[nentries].type, "%s",
	    e->type);
	entries[nentries].reclen = e->reclen < 64 ? e->reclen : 64;
	memcpy(entries[nentries].rec, e->rec, entries[nentries].reclen);
	entries[nentries].has_body = e->body != NULL;
	if (e->body != NULL)
		snprintf(entries[nentries].body, sizeof entries[nentries].body,
		    "%.*s", (int)e->bodylen, e->body);
	nentries++;
}
static int
entries_at_least(void *arg)
{
	return (nentries >= *(int *)arg);
}

/* A catch-up's end. */
struct catch_up_wait {
	int	 done;
	char	 error[256];
};
static void
on_catch_up(void *arg, const char *error)
{
	struct catch_up_wait	*w = arg;

	w->done = 1;
	if (error != NULL)
		snprintf(w->error, sizeof w->error, "%s", error);
}
static int
catch_up_done(void *arg)
{
	return (((struct catch_up_wait *)arg)->done);
}

/* Tell whether the follower has handed over seqs 1..n, in order, once. */
static int
entries_in_order(int n)
{
	int	i;

	if (nentries != n) {
		diag("%d entries, expected %d", nentries, n);
		return (0);
	}
	for (i = 0; i < n; i++) {
		if (entries[i].seq != (uint64_t)i + 1) {
			diag("entry %d has seq %llu", i,
			    (unsigned long long)entries[i].seq);
			return (0);
		}
	}
	return (1);
}

/* Nothing listens: the state says why, and attempts go on. */
static void
test_refused(void)
{
	struct redis_conn	*conn;
	struct state_wait	 s;
	char			 url[512];

	snprintf(url, sizeof url, "unix://%s/none.sock", dir);
	conn = conn_open(url, 0);
	s.conn = conn;
	s.text = "No such file or directory";
	ok(run_until(state_has, &s), "no socket: %s", redis_conn_state(conn));
	redis_conn_free(conn);
	conn = conn_open("redis://127.0.0.1:1", 0);
	s.conn = conn;
	s.text = "Connection refused";
	ok(run_until(state_has, &s), "nothing on the port: %s",
	    redis_conn_state(conn));
	ok(!redis_conn_ready(conn), "and it is not ready");
	redis_conn_free(conn);
}

/* ACL user, wrong password, password alone, SELECT, Unix socket. */
static void
test_auth(void)
{
	struct redis_conn	*admin, *conn;
	struct reply_wait	 w;
	struct state_wait	 s;
	char			 url[512];

	snprintf(url, sizeof url, "redis://127.0.0.1:%d", port);
	admin = conn_open(url, 0);
	ok(run_until(is_ready, admin), "connects without a password");
	is_str(redis_conn_state(admin), "connected", "its state says so");
	command(admin, &w, "ACL SETUSER fish on >fish-pw ~fish:* +@all");
	is_str(w.text, "OK", "ACL SETUSER makes the user fish");

	snprintf(url, sizeof url, "redis://fish:fish-pw@127.0.0.1:%d/3", port);
	conn = conn_open(url, 0);
	ok(run_until(is_ready, conn), "connects as an ACL user");
	command(conn, &w, "ACL WHOAMI");
	is_str(w.text, "fish", "AUTH USER PASSWORD made it the user fish");
	command(conn, &w, "CLIENT INFO");
	ok(strstr(w.text, " db=3 ") != NULL, "SELECT chose database 3");
	redis_conn_free(conn);

	snprintf(url, sizeof url, "redis://fish:wrong-hunter2@127.0.0.1:%d",
	    port);
	conn = conn_open(url, 0);
	s.conn = conn;
	s.text = "AUTH failed";
	ok(run_until(state_has, &s), "a wrong password: %s",
	    redis_conn_state(conn));
	ok(strstr(redis_conn_state(conn), "WRONGPASS") != NULL &&
	    strstr(redis_conn_state(conn), "hunter2") == NULL,
	    "the state says why, without the password");
	ok(!redis_conn_ready(conn), "and the connection is not ready");
	redis_conn_free(conn);

	command(admin, &w, "CONFIG SET requirepass default-pw");
	is_str(w.text, "OK", "the default user needs a password now");
	snprintf(url, sizeof url, "unix://:default-pw@%s?db=2", sock);
	conn = conn_open(url, 0);
	ok(run_until(is_ready, conn),
	    "connects on the Unix socket with a password alone");
	command(conn, &w, "CLIENT INFO");
	ok(strstr(w.text, " db=2 ") != NULL, "?db=2 chose database 2");
	redis_conn_free(conn);
	snprintf(url, sizeof url, "redis://127.0.0.1:%d", port);
	conn = conn_open(url, 0);
	s.conn = conn;
	s.text = "NOAUTH";
	ok(run_until(state_has, &s), "no password where one is needed: %s",
	    redis_conn_state(conn));
	redis_conn_free(conn);
	command(admin, &w, "ACL SETUSER default nopass");
	is_str(w.text, "OK", "the default user needs none again");
	redis_conn_free(admin);
}

/* Append n records alternately on a and b, from index first; wait. */
static void
append_both(struct redis_conn *a, struct redis_conn *b, int first, int n)
{
	char	rec[32];
	int	i, r, last = first + n;

	for (i = first; i < last; i++) {
		/* A NUL in the record: the bytes go through whole. */
		snprintf(rec, sizeof rec, "rec%d", i);
		rec[3] = '\0';
		r = redis_append(i % 2 == 0 ? a : b, "t1", i % 2 == 0 ?
		    "a" : "b", "msg", rec, 4 + strlen(rec + 4),
		    i % 3 == 0 ? NULL : "body", i % 3 == 0 ? 0 : 4,
		    on_append, (void *)(uintptr_t)i);
		if (r == -1)
			appends[i].done = 1;
	}
	run_until(appends_done, &last);
}

/* Tell whether appends first..first+n-1 all succeeded. */
static int
appends_ok(int first, int n)
{
	int	i;

	for (i = first; i < first + n; i++) {
		if (appends[i].seq == 0) {
			diag("append %d: %s", i, appends[i].error);
			return (0);
		}
	}
	return (1);
}

/* Appends, the follower, SCRIPT FLUSH, SIGKILL and restart. */
static void
test_stream(void)
{
	struct redis_conn	*a, *b, *admin;
	struct redis_follow	*f;
	struct reply_wait	 w;
	struct catch_up_wait	 catch_up;
	struct store_url	 url;
	char			 text[512], *cause;
	int			 i, n, increasing = 1, seen[201];
	uint64_t		 last_a = 0, last_b = 0;

	snprintf(text, sizeof text, "redis://127.0.0.1:%d", port);
	a = conn_open(text, 1);
	/* b never loads the script: its appends go through NOSCRIPT. */
	b = conn_open(text, 0);
	admin = conn_open(text, 0);
	store_url_parse(text, &url, &cause);
	f = redis_follow_new(loop, &url, "t1", "0", on_entry, NULL);
	store_url_free(&url);
	ok(run_until(is_ready, a) && run_until(is_ready, b) &&
	    run_until(is_ready, admin), "three connections are ready");

	append_both(a, b, 0, 100);
	ok(appends_ok(0, 100), "100 appends from two connections succeed");
	memset(seen, 0, sizeof seen);
	for (i = 0; i < 100; i++) {
		if (appends[i].seq >= 1 && appends[i].seq <= 100)
			seen[appends[i].seq]++;
		if (i % 2 == 0) {
			increasing &= appends[i].seq > last_a;
			last_a = appends[i].seq;
		} else {
			increasing &= appends[i].seq > last_b;
			last_b = appends[i].seq;
		}
	}
	for (i = 1; i <= 100; i++) {
		if (seen[i] != 1)
			break;
	}
	is_int(i, 101, "their seqs are 1 to 100, each once");
	ok(increasing, "each connection's seqs increase in its order");
	n = 100;
	ok(run_until(entries_at_least, &n) && entries_in_order(100),
	    "the follower hands over seqs 1 to 100 in order");
	for (n = 0, i = 0; i < 100; i++)
		n += strcmp(entries[i].from, "b") == 0;
	is_int(n, 50, "half of them from the other connection");
	ok(entries[0].reclen == 4 && memcmp(entries[0].rec, "rec\0", 4) == 0,
	    "a record's bytes come whole, NUL and all");
	ok(strcmp(entries[0].type, "msg") == 0, "the type comes along");
	for (n = 0, i = 0; i < 100; i++)
		n += entries[i].has_body &&
		    strcmp(entries[i].body, "body") == 0;
	is_int(n, 66, "bodies come along, and none where there was none");

	command(admin, &w, "SCRIPT FLUSH");
	append_both(a, b, 100, 2);
	ok(appends_ok(100, 2), "appends after SCRIPT FLUSH succeed (NOSCRIPT)");
	n = 102;
	ok(run_until(entries_at_least, &n) && entries_in_order(102),
	    "and the follower has them");

	load_scripts = 0;
	ok(helper("redis-stop", "-KILL", NULL, 0) == 0,
	    "redis-server is SIGKILLed");
	ok(run_until(is_down, a) && run_until(is_down, b),
	    "the connections notice: %s", redis_conn_state(a));
	ok(strncmp(redis_conn_state(a), "connecting: ", 12) == 0,
	    "the state says it is connecting again");
	ok(redis_append(a, "t1", "a", "msg", "x", 1, NULL, 0, on_append,
	    (void *)(uintptr_t)199) == -1, "no append while it is down");
	ok(server_start() == 0, "redis-server restarts on its port");
	ok(run_until(is_ready, a) && run_until(is_ready, b),
	    "the connections reconnect");
	append_both(a, b, 102, 20);
	ok(appends_ok(102, 20), "appends after the restart succeed");
	ok(appends[102].seq == 103 || appends[103].seq == 103,
	    "seqs carry on from the AOF");
	ok(run_until(is_ready, admin) &&
	    command(admin, &w, "INFO errorstats") == 0 &&
	    strstr(w.text, "errorstat_NOSCRIPT:count=") != NULL,
	    "the restarted server had lost the script: NOSCRIPT, then EVAL");
	n = 122;
	ok(run_until(entries_at_least, &n) && entries_in_order(122),
	    "the follower resumes: seqs 1 to 122, none lost or twice");
	is_int(redis_follow_skipped(f), 0, "no entry skipped");

	/* A server that stops answering: the append's deadline passes. */
	kill(server_pid, SIGSTOP);
	redis_append(a, "t1", "a", "msg", "late", 4, NULL, 0, on_append,
	    (void *)(uintptr_t)122);
	n = 123;
	run_until(appends_done, &n);
	ok(appends[122].seq == 0 &&
	    strstr(appends[122].error, "connection lost") != NULL,
	    "a server that stops answering fails the append: %s",
	    appends[122].error);
	ok(strstr(redis_conn_state(a), "no reply in 5000 ms") != NULL,
	    "the state says why: %s", redis_conn_state(a));
	kill(server_pid, SIGCONT);
	ok(run_until(is_ready, a), "it reconnects once the server answers");
	append_both(a, b, 123, 2);
	ok(appends_ok(123, 2), "appends succeed again");
	n = (int)appends[124].seq > (int)appends[123].seq ?
	    (int)appends[124].seq : (int)appends[123].seq;
	ok(run_until(entries_at_least, &n) && entries_in_order(n),
	    "the follower has every entry once, in order (%d: the failed"
	    " append may have run)", n);

	/* A catch-up on another connection hands over what is new, once. */
	memset(&catch_up, 0, sizeof catch_up);
	append_both(a, b, 125, 1);
	ok(appends_ok(125, 1) && redis_follow_catch_up(f, admin,
	    on_catch_up, &catch_up) == 0 && run_until(catch_up_done,
	    &catch_up) && catch_up.error[0] == '\0',
	    "a catch-up succeeds");
	ok(entries_in_order((int)appends[125].seq),
	    "once it is done, the follower has handed over the last append");
	append_both(a, b, 126, 1);
	n = (int)appends[126].seq;
	ok(run_until(entries_at_least, &n) && entries_in_order(n),
	    "and the blocking read hands over none of them again");
	memset(&catch_up, 0, sizeof catch_up);
	redis_follow_catch_up(f, admin, on_catch_up, &catch_up);
	redis_follow_free(f);
	ok(run_until(catch_up_done, &catch_up) &&
	    strcmp(catch_up.error, "the follower was closed") == 0,
	    "a catch-up in flight when the follower is freed says so");
	redis_conn_free(admin);
	redis_conn_free(b);
	redis_conn_free(a);
}

/* Bytes handed over in the loop's current pass, and the most in one. */
static size_t	pass_bytes, pass_bytes_max;

static int64_t
on_pass(void *arg)
{
	(void)arg;
	pass_bytes = 0;
	return (-1);
}
static void
on_large_entry(const struct redis_entry *e, void *arg)
{
	pass_bytes += e->reclen + e->bodylen;
	if (pass_bytes > pass_bytes_max)
		pass_bytes_max = pass_bytes;
	on_entry(e, arg);
}

/*
 * A stream of large bodies is read a little at a time: each read brings
 * at most REDIS_FOLLOW_BYTES (or one entry, when larger), not 128 entries.
 */
static void
test_large_entries(void)
{
	struct redis_conn	*a;
	struct redis_follow	*f;
	struct store_url	 url;
	char			 text[512], *cause, *body;
	size_t			 bodylen = 300 << 10;
	int			 i, n = 24;

	snprintf(text, sizeof text, "redis://127.0.0.1:%d", port);
	a = conn_open(text, 1);
	ok(run_until(is_ready, a), "a connection is ready");
	body = malloc(bodylen);
	memset(body, 'x', bodylen);
	memset(appends, 0, sizeof appends);
	for (i = 0; i < n; i++) {
		if (redis_append(a, "t2", "a", "msg", "rec", 3, body, bodylen,
		    on_append, (void *)(uintptr_t)i) == -1)
			appends[i].done = 1;
	}
	run_until(appends_done, &n);
	free(body);
	ok(appends_ok(0, n), "24 bodies of 300 KiB are appended");

	nentries = 0;
	loop_prepare_add(loop, on_pass, NULL);
	store_url_parse(text, &url, &cause);
	f = redis_follow_new(loop, &url, "t2", "0", on_large_entry, NULL);
	store_url_free(&url);
	ok(run_until(entries_at_least, &n) && entries_in_order(n),
	    "a new follower hands over all 24, in order");
	ok(pass_bytes_max <= REDIS_FOLLOW_BYTES,
	    "no read brought more than %d bytes (the most: %zu)",
	    REDIS_FOLLOW_BYTES, pass_bytes_max);
	loop_prepare_remove(loop, on_pass, NULL);
	redis_follow_free(f);
	redis_conn_free(a);
}

int
main(void)
{
	int	r;

	signal(SIGPIPE, SIG_IGN);
	if ((r = server_setup()) == 77) {
		printf("1..0 # SKIP redis-server not installed"
		    " (scripts/deps)\n");
		return (0);
	}
	if (!ok(r == 0, "redis-server starts on port %d", port))
		return (done_testing());
	loop = loop_new();
	test_refused();
	test_auth();
	test_stream();
	test_large_entries();
	loop_free(loop);
	server_teardown();
	return (done_testing());
}
