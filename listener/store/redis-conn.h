/*
 * One connection to Redis for the Redis store (doc/store-redis.md):
 * connect over TCP or a Unix socket, AUTH, SELECT, then commands with a
 * callback each; a PING when idle; a reply that takes too long, or the
 * server going away, drops the connection and it reconnects with backoff.
 * Everything runs on the listener's loop; nothing blocks (but hiredis
 * 0.14 resolves a host name with a blocking getaddrinfo: give an
 * address, or a name in /etc/hosts, where that matters).
 *
 * The state reads "connected" or "connecting: REASON", for a status line;
 * REASON never holds the password (Redis's own errors do not).
 */
#ifndef REDIS_CONN_H
#define REDIS_CONN_H

#include <stddef.h>
#include <stdint.h>

#define REDIS_CONN_CONNECT_MS	5000	/* to connect, AUTH, SELECT, PING */
#define REDIS_CONN_COMMAND_MS	5000	/* longest wait for a reply */
#define REDIS_CONN_PING_MS	2000	/* idle this long: PING */
#define REDIS_CONN_TICK_MS	100	/* deadlines checked this often */
/* A reconnect waits at least REDIS_CONN_BACKOFF_MS, at most ..._MAX_MS. */
#define REDIS_CONN_BACKOFF_MS	100
#define REDIS_CONN_BACKOFF_MAX_MS 10000

struct loop;
struct redis_conn;
struct redisReply;
struct store_url;

/*
 * A command's reply: NULL when the connection was lost (or closed) before
 * it came, and then the command may or may not have run.  The reply is
 * freed after the callback returns.
 */
typedef void (*redis_conn_reply_cb)(struct redis_conn *, struct redisReply *,
	    void *);
/* The connection became ready (up is 1) or stopped being (0). */
typedef void (*redis_conn_state_cb)(struct redis_conn *, int up, void *);

/*
 * Connect to the Redis of url (a redis:// or unix:// one, copied) on loop,
 * at once and again whenever the connection is lost.
 */
struct redis_conn *redis_conn_new(struct loop *, const struct store_url *,
	    redis_conn_state_cb, void *);

/*
 * Close the connection: pending commands get their callback with NULL
 * first.  Never from one of its own callbacks.
 */
void	 redis_conn_free(struct redis_conn *);

/*
 * A reply callback for a command whose reply nothing waits for: an error
 * reply is logged, after arg (a const string saying what the command
 * was for).
 */
void	 redis_conn_log_error(struct redis_conn *, struct redisReply *,
	    void *arg);

/*
 * Write what the connection has buffered to its socket now, as far as it
 * goes without blocking: before redis_conn_free, so that a last command
 * (one whose reply nothing waits for) leaves.
 */
void	 redis_conn_flush(struct redis_conn *);

/* Tell whether commands can be sent: connected, authenticated, selected. */
int	 redis_conn_ready(const struct redis_conn *);

/* Bytes of commands buffered, not yet written to the socket. */
size_t	 redis_conn_unwritten(const struct redis_conn *);

/* Tell whether it is ready, or has failed once: not still starting. */
int	 redis_conn_tried(const struct redis_conn *);

/* "connected" or "connecting: REASON" (borrowed, valid until the next
 * event of the connection). */
const char *redis_conn_state(const struct redis_conn *);

/*
 * Send a command (argc arguments of argvlen bytes each, copied) whose
 * reply must come within timeout_ms (0: REDIS_CONN_COMMAND_MS), or the
 * connection is dropped.  Return 0 (cb will be called once), or -1 when
 * the connection is not ready (cb is not called).
 */
int	 redis_conn_command(struct redis_conn *, int64_t timeout_ms,
	    redis_conn_reply_cb, void *, int argc, const char **argv,
	    const size_t *argvlen);

#endif
