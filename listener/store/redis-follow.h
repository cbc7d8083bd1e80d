/*
 * Following a session's stream (doc/store-redis.md): on a connection of
 * its own (XREAD BLOCK ties up its connection), read the entries after a
 * given id, hand each to a callback in stream order (which is seq order),
 * and after a lost connection carry on after the last entry handed over,
 * so that none is lost or handed over twice.
 */
#ifndef REDIS_FOLLOW_H
#define REDIS_FOLLOW_H

#include <stddef.h>
#include <stdint.h>

#define REDIS_FOLLOW_BLOCK_MS	2000	/* one XREAD's longest wait */
#define REDIS_FOLLOW_COUNT	128	/* most entries of one read */
#define REDIS_FOLLOW_BYTES	(1 << 20) /* most bytes of one, or one entry */
#define REDIS_FOLLOW_RETRY_MS	1000	/* after an error reply */
#define REDIS_FOLLOW_ID_MAX	48	/* "MS-SEQ", two 64-bit numbers */

struct loop;
struct redis_conn;
struct redis_follow;
struct store_url;

/* One entry of the stream; everything is borrowed for the call. */
struct redis_entry {
	const char	*id;		/* the stream id, "MS-SEQ" */
	uint64_t	 seq;
	const char	*from;		/* the listener that wrote it */
	const char	*type;
	const char	*rec;
	size_t		 reclen;
	const char	*body;		/* NULL: the record has none */
	size_t		 bodylen;
};

typedef void (*redis_follow_cb)(const struct redis_entry *, void *);

/*
 * Follow session's stream on the Redis of url, from the entry after id
 * ("0" for the start).  Entries that are not fish's (a field missing, a
 * bad seq) are skipped, counted and logged.
 */
struct redis_follow *redis_follow_new(struct loop *, const struct store_url *,
	    const char *session, const char *id, redis_follow_cb, void *);

/* A catch-up's end: error is NULL, or one line saying why it failed. */
typedef void (*redis_follow_done_cb)(void *, const char *error);

/*
 * Catch up now: read what the stream holds after the last entry handed
 * over, without blocking, on conn (not the follower's own, which its
 * blocking read ties up), hand it over, then call done.  An ingress does
 * this before it answers 404 for a token it does not know: the hook may
 * have been spawned elsewhere a moment ago.  Entries are never handed
 * over twice, whichever read brings them first.  While a catch-up is in
 * flight on conn, those asked for meanwhile share the next read, sent
 * when it ends.  Return 0 (done will be called once, never from here;
 * done must not free the follower), or -1 when conn is not ready.
 */
int	 redis_follow_catch_up(struct redis_follow *, struct redis_conn *conn,
	    redis_follow_done_cb done, void *);

/* Stop following.  Never from the callback. */
void	 redis_follow_free(struct redis_follow *);

/* The id of the last entry handed over (or the starting id). */
const char *redis_follow_last_id(const struct redis_follow *);

/* The state of its connection, as redis_conn_state says it. */
const char *redis_follow_state(const struct redis_follow *);

/*
 * Tell whether stream id a ("MS-SEQ") comes after id b ("0" comes before
 * everything; one that is not an id, after).
 */
int	 redis_follow_after(const char *a, const char *b);

/* How many entries were skipped as not fish's. */
uint64_t redis_follow_skipped(const struct redis_follow *);

#endif
