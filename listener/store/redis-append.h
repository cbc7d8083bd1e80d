/*
 * The Redis store's keys and its atomic append (doc/store-redis.md).
 *
 * A session is one stream, fish:{SESSION}:log, whose entries carry the
 * fields seq, from, type, rec and (for a record with one) body.  A Lua
 * script takes the next seq from fish:{SESSION}:seq and adds the entry
 * in one step, so stream order is seq order for every reader.  The
 * braces are a Redis Cluster hash tag: every key of a session hashes to
 * one slot.  The secrets of verifying hooks live in the hash
 * fish:{SESSION}:secrets (field: the token), never in the stream: an
 * append may set or delete one in the same step as its entry.
 */
#ifndef REDIS_APPEND_H
#define REDIS_APPEND_H

#include <stddef.h>
#include <stdint.h>

#include "redis-conn.h"

/*
 * The outcome of an append: seq and the entry's stream id, or error (one
 * line: Redis's error, or that the connection was lost, and then the
 * entry may or may not have been added: a follower will see it if it
 * was).  Borrowed for the call.
 */
typedef void (*redis_append_cb)(void *arg, uint64_t seq, const char *id,
	    const char *error);

/* Return the key "fish:{SESSION}:WHAT"; caller frees. */
char	*redis_key(const char *session, const char *what);

/*
 * Claim key for value, for ms milliseconds, if no one holds it: SET key
 * value NX PX ms.  The reply is a status ("OK": won) or nil (lost).
 * Return 0 (cb will be called once), or -1 when conn is not ready.
 */
int	 redis_claim(struct redis_conn *conn, const char *key,
	    const char *value, int64_t ms, redis_conn_reply_cb cb, void *arg);

/*
 * Claim key for value as redis_claim does, and also when key holds value
 * already (a claim of ours whose reply was lost with its connection,
 * though Redis ran it): then renew it, for ms from now.  A value
 * NAME/NONCE also takes over a key holding NAME/ with another nonce: an
 * earlier life of the same listener, which is dead, since one listener
 * runs per session directory (its lock).  One script, so nobody else can
 * take the key in between.  The reply is an integer: 1 (ours now) or 0
 * (another's).  Return 0 (cb will be called once), or -1
 * when conn is not ready.
 */
int	 redis_claim_again(struct redis_conn *conn, const char *key,
	    const char *value, int64_t ms, redis_conn_reply_cb cb, void *arg);

/*
 * Load the append script into the server's script cache (SCRIPT LOAD):
 * call it whenever conn becomes ready.  Appends work without it (a
 * NOSCRIPT reply makes them send the script itself), one round trip
 * slower.  Return 0, or -1 when conn is not ready.
 */
int	 redis_append_load(struct redis_conn *conn);

/*
 * Append a record (type, its rec bytes, its body or NULL for none) that
 * listener from wrote, to session's stream.  The bytes are copied.
 * Return 0 (cb will be called once), or -1 when conn is not ready.
 */
int	 redis_append(struct redis_conn *conn, const char *session,
	    const char *from, const char *type, const void *rec,
	    size_t reclen, const void *body, size_t bodylen,
	    redis_append_cb cb, void *arg);

/*
 * A change to the secrets hash made with an append: set token's field to
 * value (valuelen bytes; a secret: wiped from memory once sent), or
 * delete it when value is NULL.
 */
struct redis_secret {
	const char	*token;
	const char	*value;
	size_t		 valuelen;
};

/*
 * redis_append, changing the secrets hash as secret says (NULL: no
 * change) in the same step, unless the session's seq counter is below
 * floor (the highest seq the caller knows Redis gave; 0: none): then
 * Redis lost entries, nothing is done, and cb's error is
 * REDIS_APPEND_LOST, a space and the counter.
 */
int	 redis_append_secret(struct redis_conn *conn, const char *session,
	    const char *from, const char *type, const void *rec,
	    size_t reclen, const void *body, size_t bodylen,
	    const struct redis_secret *secret, uint64_t floor,
	    redis_append_cb cb, void *arg);

/* The error of an append refused because Redis lost entries. */
#define REDIS_APPEND_LOST	"FISHLOST"

#endif
