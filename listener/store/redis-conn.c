/*
 * A connection to Redis that keeps itself up (redis-conn.h).
 *
 * hiredis owns the redisAsyncContext and frees it when the server goes
 * away; we free it when we drop the connection (a deadline passed, the
 * handshake failed, redis_conn_free).  Either way conn->ac becomes NULL
 * first, so that the callbacks hiredis then runs for the commands still
 * pending, and its connect and disconnect callbacks, see a context that
 * is no longer ours and only report.  A tick timer checks the deadlines
 * (hiredis 0.14 has no timer hook), sends the idle PING and reconnects
 * when the backoff has passed.
 */
#include "config.h"

#include <sys/queue.h>
#include <sys/random.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/async.h>
#include <hiredis/sds.h>

#include "log.h"
#include "loop.h"
#include "redis-conn.h"
#include "redis-loop.h"
#include "redis-reply.h"
#include "store-url.h"
#include "xmalloc.h"

struct redis_cmd {
	struct redis_conn	*conn;
	redis_conn_reply_cb	 cb;
	void			*arg;
	int64_t			 timeout;	/* ms */
	int64_t			 deadline;
	TAILQ_ENTRY(redis_cmd)	 entry;
};

struct redis_conn {
	struct loop		*loop;
	struct store_url	 url;
	redis_conn_state_cb	 state_cb;
	void			*state_arg;

	redisAsyncContext	*ac;		/* NULL: not connected */
	int			 ready;		/* handshake done */
	int64_t			 connect_deadline;
	int64_t			 retry_at;	/* reconnect then */
	unsigned int		 attempts;	/* failed in a row */
	int64_t			 last_reply;	/* for the PING */
	char			 state[256];

	TAILQ_HEAD(, redis_cmd)	 cmds;		/* awaiting replies */
	struct loop_timer	*tick;
};

static void	redis_conn_connect(struct redis_conn *);

/* Say what the connection is doing, for redis_conn_state. */
static void
redis_conn_say(struct redis_conn *conn, const char *reason)
{
	if (reason == NULL)
		snprintf(conn->state, sizeof conn->state, "connected");
	else
		snprintf(conn->state, sizeof conn->state, "connecting: %s",
		    reason);
	/*
	 * Redis's words, kept as they are: whoever shows them escapes them
	 * (the log and error lines always, fish status too; lib/escape.c).
	 */
}

/*
 * How long to wait before reconnect attempt n (1, 2, ...): full jitter
 * below a ceiling that doubles from REDIS_CONN_BACKOFF_MS up to
 * REDIS_CONN_BACKOFF_MAX_MS, as send --retry does; lib/retry.c is not
 * linked for it, as it takes libcurl along and the store floor has none.
 */
static int64_t
redis_conn_backoff(unsigned int n, uint32_t noise)
{
	int64_t	ceiling = REDIS_CONN_BACKOFF_MS;

	while (n-- > 1 && ceiling < REDIS_CONN_BACKOFF_MAX_MS)
		ceiling *= 2;
	if (ceiling > REDIS_CONN_BACKOFF_MAX_MS)
		ceiling = REDIS_CONN_BACKOFF_MAX_MS;
	return (REDIS_CONN_BACKOFF_MS + (int64_t)(noise %
	    (uint32_t)(ceiling + 1)));
}

/*
 * The connection is gone (hiredis frees ac, or we are about to): say why,
 * tell the owner if it was ready, and schedule the reconnect.  Only the
 * first report of an ac counts.
 */
static void
redis_conn_lost(struct redis_conn *conn, const char *reason)
{
	uint32_t	noise = 0;
	int		was_ready = conn->ready;

	if (conn->ac == NULL)
		return;
	conn->ac = NULL;
	conn->ready = 0;
	redis_conn_say(conn, reason);
	conn->attempts++;
	if (getrandom(&noise, sizeof noise, GRND_NONBLOCK) != sizeof noise)
		noise = (uint32_t)loop_now();
	conn->retry_at = loop_now() + redis_conn_backoff(conn->attempts,
	    noise);
	if (was_ready && conn->state_cb != NULL)
		conn->state_cb(conn, 0, conn->state_arg);
}

/* Drop the connection ourselves, saying why. */
static void
redis_conn_drop(struct redis_conn *conn, const char *reason)
{
	redisAsyncContext	*ac = conn->ac;

	if (ac == NULL)
		return;
	redis_conn_lost(conn, reason);
	/* From one of ac's callbacks, hiredis frees it when that returns. */
	redisAsyncFree(ac);
}

/*
 * Tell why ac failed, from hiredis's error string: the context's own
 * (hiredis copies it to ac only after the connect callback has run).
 */
static const char *
redis_conn_why(const redisAsyncContext *ac)
{
	if (ac->c.err != 0 && ac->c.errstr[0] != '\0')
		return (ac->c.errstr);
	if (ac->err != 0 && ac->errstr != NULL && *ac->errstr != '\0')
		return (ac->errstr);
	return ("connection closed");
}

/* hiredis: the TCP or Unix connect finished, or failed. */
static void
redis_conn_on_connect(const redisAsyncContext *ac, int status)
{
	struct redis_conn	*conn = ac->data;

	if (status != REDIS_OK && conn != NULL && conn->ac == ac)
		redis_conn_lost(conn, redis_conn_why(ac));
}

/* hiredis: the server went away (or we freed ac). */
static void
redis_conn_on_disconnect(const redisAsyncContext *ac, int status)
{
	struct redis_conn	*conn = ac->data;

	(void)status;
	if (conn != NULL && conn->ac == ac)
		redis_conn_lost(conn, redis_conn_why(ac));
}

/*
 * A reply of the handshake (AUTH, SELECT, PING).  An error drops the
 * connection with Redis's reason, prefixed by the command; the PING's
 * reply, last, makes it ready.
 */
static void
redis_conn_on_handshake(redisAsyncContext *ac, void *r, void *privdata)
{
	struct redis_conn	*conn = ac->data;
	redisReply		*reply = r;
	const char		*what = privdata;
	char			 reason[200];

	if (conn == NULL || conn->ac != ac)
		return;
	if (reply == NULL) {
		redis_conn_lost(conn, redis_conn_why(ac));
		return;
	}
	if (reply->type == REDIS_REPLY_ERROR) {
		snprintf(reason, sizeof reason, "%s failed: %s", what,
		    reply->str);
		redis_conn_drop(conn, reason);
		return;
	}
	if (strcmp(what, "PING") != 0)
		return;
	conn->ready = 1;
	conn->attempts = 0;
	conn->last_reply = loop_now();
	redis_conn_say(conn, NULL);
	if (conn->state_cb != NULL)
		conn->state_cb(conn, 1, conn->state_arg);
}

/* Send AUTH (when there is a password), SELECT (a database but 0), PING. */
static int
redis_conn_handshake(struct redis_conn *conn)
{
	redisAsyncContext	*ac = conn->ac;
	const char		*argv[3];
	size_t			 len[3];
	char			 db[16];
	int			 argc = 0;

	if (conn->url.password != NULL) {
		argv[argc] = "AUTH";
		len[argc++] = 4;
		if (conn->url.user != NULL) {
			argv[argc] = conn->url.user;
			len[argc++] = strlen(conn->url.user);
		}
		argv[argc] = conn->url.password;
		len[argc++] = conn->url.password_len;
		if (redisAsyncCommandArgv(ac, redis_conn_on_handshake,
		    (void *)"AUTH", argc, argv, len) != REDIS_OK)
			return (-1);
	}
	if (conn->url.db != 0) {
		snprintf(db, sizeof db, "%d", conn->url.db);
		argv[0] = "SELECT";
		len[0] = 6;
		argv[1] = db;
		len[1] = strlen(db);
		if (redisAsyncCommandArgv(ac, redis_conn_on_handshake,
		    (void *)"SELECT", 2, argv, len) != REDIS_OK)
			return (-1);
	}
	argv[0] = "PING";
	len[0] = 4;
	if (redisAsyncCommandArgv(ac, redis_conn_on_handshake, (void *)"PING",
	    1, argv, len) != REDIS_OK)
		return (-1);
	return (0);
}

/* Start connecting; a failure now waits for the next attempt. */
static void
redis_conn_connect(struct redis_conn *conn)
{
	redisAsyncContext	*ac;
	char			 reason[200];

	if (conn->url.kind == STORE_REDIS_UNIX)
		ac = redisAsyncConnectUnix(conn->url.path);
	else
		ac = redisAsyncConnect(conn->url.host, conn->url.port);
	if (ac == NULL)
		fatalx("redis: out of memory");
	/* Nothing was read yet: every reply of ac is built in an arena. */
	redis_reply_use_arena(ac->c.reader);
	ac->data = conn;
	conn->ac = ac;
	if (ac->err != 0) {
		snprintf(reason, sizeof reason, "%s", redis_conn_why(ac));
		redis_conn_drop(conn, reason);
		return;
	}
	conn->connect_deadline = loop_now() + REDIS_CONN_CONNECT_MS;
	redis_loop_attach(ac, conn->loop);
	redisAsyncSetConnectCallback(ac, redis_conn_on_connect);
	redisAsyncSetDisconnectCallback(ac, redis_conn_on_disconnect);
	if (redis_conn_handshake(conn) == -1)
		redis_conn_drop(conn, "cannot send the handshake");
}

/* The reply to a command of redis_conn_command (or the idle PING). */
static void
redis_conn_on_reply(redisAsyncContext *ac, void *r, void *privdata)
{
	struct redis_cmd	*cmd = privdata;
	struct redis_conn	*conn = cmd->conn;

	TAILQ_REMOVE(&conn->cmds, cmd, entry);
	if (r == NULL && ac == conn->ac)
		redis_conn_lost(conn, redis_conn_why(ac));
	else
		conn->last_reply = loop_now();
	if (cmd->cb != NULL)
		cmd->cb(conn, r, cmd->arg);
	free(cmd);
}

/* Send a command; see redis-conn.h. */
int
redis_conn_command(struct redis_conn *conn, int64_t timeout_ms,
    redis_conn_reply_cb cb, void *arg, int argc, const char **argv,
    const size_t *argvlen)
{
	struct redis_cmd	*cmd;

	if (!conn->ready)
		return (-1);
	cmd = xcalloc(1, sizeof *cmd);
	cmd->conn = conn;
	cmd->cb = cb;
	cmd->arg = arg;
	cmd->timeout = timeout_ms > 0 ? timeout_ms : REDIS_CONN_COMMAND_MS;
	cmd->deadline = loop_now() + cmd->timeout;
	if (redisAsyncCommandArgv(conn->ac, redis_conn_on_reply, cmd, argc,
	    argv, argvlen) != REDIS_OK) {
		free(cmd);
		return (-1);
	}
	TAILQ_INSERT_TAIL(&conn->cmds, cmd, entry);
	return (0);
}

/*
 * Check the deadlines, PING when idle, reconnect when due.  Commands are
 * few (those in flight), so looking at each every tick is cheap; the
 * oldest is not always the first due, as a blocking read waits longer.
 */
static void
redis_conn_tick(void *arg)
{
	struct redis_conn	*conn = arg;
	struct redis_cmd	*cmd;
	const char		*ping = "PING";
	size_t			 len = 4;
	int64_t			 now = loop_now();
	char			 reason[64];

	conn->tick = loop_timer_add(conn->loop, now + REDIS_CONN_TICK_MS,
	    redis_conn_tick, conn);
	if (conn->ac == NULL) {
		if (now >= conn->retry_at)
			redis_conn_connect(conn);
		return;
	}
	if (!conn->ready) {
		if (now >= conn->connect_deadline)
			redis_conn_drop(conn, "connect timed out");
		return;
	}
	TAILQ_FOREACH(cmd, &conn->cmds, entry) {
		if (now >= cmd->deadline) {
			snprintf(reason, sizeof reason, "no reply in %lld ms",
			    (long long)cmd->timeout);
			redis_conn_drop(conn, reason);
			return;
		}
	}
	if (TAILQ_EMPTY(&conn->cmds) &&
	    now - conn->last_reply >= REDIS_CONN_PING_MS)
		redis_conn_command(conn, 0, NULL, NULL, 1, &ping, &len);
}

/* Create a connection and start connecting; see redis-conn.h. */
struct redis_conn *
redis_conn_new(struct loop *loop, const struct store_url *url,
    redis_conn_state_cb state_cb, void *arg)
{
	struct redis_conn	*conn;

	conn = xcalloc(1, sizeof *conn);
	conn->loop = loop;
	conn->url.kind = url->kind;
	conn->url.port = url->port;
	conn->url.db = url->db;
	if (url->host != NULL)
		conn->url.host = xstrdup(url->host);
	if (url->path != NULL)
		conn->url.path = xstrdup(url->path);
	if (url->user != NULL)
		conn->url.user = xstrdup(url->user);
	if (url->password != NULL) {
		conn->url.password = xmalloc(url->password_len + 1);
		memcpy(conn->url.password, url->password,
		    url->password_len + 1);
		conn->url.password_len = url->password_len;
	}
	conn->state_cb = state_cb;
	conn->state_arg = arg;
	TAILQ_INIT(&conn->cmds);
	redis_conn_say(conn, "starting");
	redis_conn_connect(conn);
	conn->tick = loop_timer_add(loop, loop_now() + REDIS_CONN_TICK_MS,
	    redis_conn_tick, conn);
	return (conn);
}

/* Close the connection and free it; see redis-conn.h. */
void
redis_conn_free(struct redis_conn *conn)
{
	if (conn == NULL)
		return;
	loop_timer_cancel(conn->loop, conn->tick);
	/* No state callback: the owner is going away. */
	conn->state_cb = NULL;
	redis_conn_drop(conn, "closed");
	store_url_free(&conn->url);
	free(conn);
}

/* Log an error reply, after what the command was for (arg). */
void
redis_conn_log_error(struct redis_conn *conn, struct redisReply *reply,
    void *arg)
{
	(void)conn;
	if (reply != NULL && reply->type == REDIS_REPLY_ERROR)
		log_warnx("redis: %s: %s", (const char *)arg, reply->str);
}

/* Write what is buffered, without blocking; see redis-conn.h. */
void
redis_conn_flush(struct redis_conn *conn)
{
	if (conn->ac != NULL && conn->ready)
		redisAsyncHandleWrite(conn->ac);
}

/* Tell whether the connection is ready for commands. */
int
redis_conn_ready(const struct redis_conn *conn)
{
	return (conn->ready);
}

/*
 * Return how many bytes of commands hiredis holds, not yet written to the
 * socket (a server that stops reading leaves them there).
 */
size_t
redis_conn_unwritten(const struct redis_conn *conn)
{
	if (conn->ac == NULL || conn->ac->c.obuf == NULL)
		return (0);
	return (sdslen(conn->ac->c.obuf));
}

/* Tell whether the connection is ready, or has failed at least once. */
int
redis_conn_tried(const struct redis_conn *conn)
{
	return (conn->ready || conn->attempts > 0);
}

/* Return what the connection is doing. */
const char *
redis_conn_state(const struct redis_conn *conn)
{
	return (conn->state);
}
