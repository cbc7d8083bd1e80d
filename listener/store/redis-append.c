/*
 * The atomic append to a session's stream (redis-append.h).
 *
 * The script runs as EVALSHA by its SHA-1, computed here once; a server
 * that does not have it cached (it restarted, or SCRIPT FLUSH) answers
 * NOSCRIPT, and the append is sent again as EVAL with the script itself,
 * which caches it.  Appends take their seqs in the order they were sent,
 * but for those sent again after a NOSCRIPT: another append may get
 * ahead of them.  Callers take the seq from the reply, never from the
 * order.  The "#!lua" line makes Redis 7 refuse the
 * script before it runs when the server is out of memory (maxmemory,
 * noeviction), so that no seq is taken without its entry.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/crypto.h>
#include <hiredis/hiredis.h>

#include "log.h"
#include "redis-append.h"
#include "redis-conn.h"
#include "xmalloc.h"

/*
 * KEYS: seq, log, secrets.  ARGV: from, type, rec, body, has a body
 * ("1"), what to do to the secrets hash ("set", "del" or ""), its
 * field (a token), its value, the floor: the highest seq the writer
 * knows Redis gave.  The secret goes to the hash in the same step as the
 * entry, never into the entry.  A seq counter below the floor went back:
 * Redis lost entries (REDIS_APPEND_LOST); nothing is added then, so that
 * a record its writer cannot acknowledge never reaches another listener.
 */
static const char redis_append_script[] =
	"#!lua\n"
	"local last = tonumber(redis.call('GET', KEYS[1]) or '0')\n"
	"if last < tonumber(ARGV[9]) then\n"
	"  return redis.error_reply('" REDIS_APPEND_LOST " ' .. last)\n"
	"end\n"
	"if ARGV[6] == 'set' then\n"
	"  redis.call('HSET', KEYS[3], ARGV[7], ARGV[8])\n"
	"elseif ARGV[6] == 'del' then\n"
	"  redis.call('HDEL', KEYS[3], ARGV[7])\n"
	"end\n"
	"local seq = redis.call('INCR', KEYS[1])\n"
	"local id\n"
	"if ARGV[5] == '1' then\n"
	"  id = redis.call('XADD', KEYS[2], '*', 'seq', seq, 'from', ARGV[1],"
	" 'type', ARGV[2], 'rec', ARGV[3], 'body', ARGV[4])\n"
	"else\n"
	"  id = redis.call('XADD', KEYS[2], '*', 'seq', seq, 'from', ARGV[1],"
	" 'type', ARGV[2], 'rec', ARGV[3])\n"
	"end\n"
	"return {seq, id}\n";

/* EVALSHA sha 3 seq log secrets, then the 9 ARGV */
#define REDIS_APPEND_ARGS	15

struct redis_append_op {
	redis_append_cb	 cb;
	void		*arg;
	int		 argc;
	char		*argv[REDIS_APPEND_ARGS];
	size_t		 len[REDIS_APPEND_ARGS];
	int		 sent_script;	/* EVAL after NOSCRIPT */
};

/* Return the script's SHA-1 in hex, as EVALSHA wants it. */
static const char *
redis_append_sha(void)
{
	static char	hex[41];
	unsigned char	digest[20];
	size_t		i;

	if (hex[0] != '\0')
		return (hex);
	if (gnutls_hash_fast(GNUTLS_DIG_SHA1, redis_append_script,
	    sizeof redis_append_script - 1, digest) != 0)
		fatalx("redis: cannot hash the append script");
	for (i = 0; i < sizeof digest; i++)
		snprintf(hex + 2 * i, 3, "%02x", digest[i]);
	return (hex);
}

/* Return "fish:{SESSION}:WHAT"; caller frees. */
char *
redis_key(const char *session, const char *what)
{
	char	*key;

	xasprintf(&key, "fish:{%s}:%s", session, what);
	return (key);
}

/* Send the six words of a claim, as C strings. */
static int
redis_claim_send(struct redis_conn *conn, const char **argv,
    redis_conn_reply_cb cb, void *arg)
{
	size_t	lens[6];
	int	i;

	for (i = 0; i < 6; i++)
		lens[i] = strlen(argv[i]);
	return (redis_conn_command(conn, 0, cb, arg, 6, argv, lens));
}

/* Claim a key for a time if no one holds it; see redis-append.h. */
int
redis_claim(struct redis_conn *conn, const char *key, const char *value,
    int64_t ms, redis_conn_reply_cb cb, void *arg)
{
	char		 px[32];
	const char	*argv[6] = { "SET", key, value, "NX", "PX", px };

	snprintf(px, sizeof px, "%lld", (long long)ms);
	return (redis_claim_send(conn, argv, cb, arg));
}

/*
 * redis_claim_again's script: KEYS[1] the key, ARGV value and ms.  A
 * holder that is not value but shares its NAME/ (up to value's last '/')
 * is an earlier life of the claimer: it is taken over too.
 */
static const char redis_claim_again_script[] =
	"#!lua\n"
	"local holder = redis.call('GET', KEYS[1])\n"
	"if holder and holder ~= ARGV[1] then\n"
	"  local name = string.match(ARGV[1], '^(.*/)')\n"
	"  if not name or string.sub(holder, 1, #name) ~= name then\n"
	"    return 0\n"
	"  end\n"
	"end\n"
	"redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])\n"
	"return 1\n";

/* Claim a key, or renew our own claim of it; see redis-append.h. */
int
redis_claim_again(struct redis_conn *conn, const char *key,
    const char *value, int64_t ms, redis_conn_reply_cb cb, void *arg)
{
	char		 px[32];
	const char	*argv[6] = { "EVAL", redis_claim_again_script, "1", key,
			    value, px };

	snprintf(px, sizeof px, "%lld", (long long)ms);
	return (redis_claim_send(conn, argv, cb, arg));
}

/* Load the script; see redis-append.h. */
int
redis_append_load(struct redis_conn *conn)
{
	static char	 what[] = "SCRIPT LOAD";
	const char	*argv[3] = { "SCRIPT", "LOAD", redis_append_script };
	size_t		 len[3] = { 6, 4, 0 };

	len[2] = sizeof redis_append_script - 1;
	return (redis_conn_command(conn, 0, redis_conn_log_error, what, 3,
	    argv, len));
}

/* Free an append's copies. */
static void
redis_append_op_free(struct redis_append_op *op)
{
	int	i;

	/* The last may be a secret: wipe it (EVAL changed 0 and 1's len). */
	for (i = 0; i < op->argc; i++) {
		if (i >= 2)
			explicit_bzero(op->argv[i], op->len[i]);
		free(op->argv[i]);
	}
	free(op);
}

/* Send the append (again): EVALSHA, or EVAL once the script was missing. */
static int
redis_append_send(struct redis_conn *, struct redis_append_op *);

/* The reply to the script: seq and id, NOSCRIPT, or an error. */
static void
redis_append_on_reply(struct redis_conn *conn, struct redisReply *reply,
    void *arg)
{
	struct redis_append_op	*op = arg;
	char			 error[256];

	if (reply == NULL) {
		snprintf(error, sizeof error, "redis connection lost (%s)",
		    redis_conn_state(conn));
		op->cb(op->arg, 0, NULL, error);
	} else if (reply->type == REDIS_REPLY_ERROR &&
	    strncmp(reply->str, "NOSCRIPT", 8) == 0 && !op->sent_script) {
		op->sent_script = 1;
		if (redis_append_send(conn, op) == 0)
			return;
		snprintf(error, sizeof error, "redis connection lost (%s)",
		    redis_conn_state(conn));
		op->cb(op->arg, 0, NULL, error);
	} else if (reply->type == REDIS_REPLY_ERROR) {
		op->cb(op->arg, 0, NULL, reply->str);
	} else if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2 ||
	    reply->element[0]->type != REDIS_REPLY_INTEGER ||
	    reply->element[0]->integer <= 0 ||
	    reply->element[1]->type != REDIS_REPLY_STRING) {
		op->cb(op->arg, 0, NULL, "redis: unexpected reply to append");
	} else {
		op->cb(op->arg, (uint64_t)reply->element[0]->integer,
		    reply->element[1]->str, NULL);
	}
	redis_append_op_free(op);
}

/* Send the append; see above. */
static int
redis_append_send(struct redis_conn *conn, struct redis_append_op *op)
{
	const char	*argv[REDIS_APPEND_ARGS];
	int		 i;

	for (i = 0; i < op->argc; i++)
		argv[i] = op->argv[i];
	if (op->sent_script) {
		argv[0] = "EVAL";
		argv[1] = redis_append_script;
		op->len[0] = 4;
		op->len[1] = sizeof redis_append_script - 1;
	}
	return (redis_conn_command(conn, 0, redis_append_on_reply, op,
	    op->argc, argv, op->len));
}

/* Copy len bytes at p into argument i of op. */
static void
redis_append_arg(struct redis_append_op *op, const void *p, size_t len)
{
	op->argv[op->argc] = xmalloc(len + 1);
	if (len > 0)
		memcpy(op->argv[op->argc], p, len);
	op->argv[op->argc][len] = '\0';
	op->len[op->argc++] = len;
}

/* Append a record to a session's stream; see redis-append.h. */
int
redis_append(struct redis_conn *conn, const char *session, const char *from,
    const char *type, const void *rec, size_t reclen, const void *body,
    size_t bodylen, redis_append_cb cb, void *arg)
{
	return (redis_append_secret(conn, session, from, type, rec, reclen,
	    body, bodylen, NULL, 0, cb, arg));
}

/* Append a record and change a secret with it; see redis-append.h. */
int
redis_append_secret(struct redis_conn *conn, const char *session,
    const char *from, const char *type, const void *rec, size_t reclen,
    const void *body, size_t bodylen, const struct redis_secret *secret,
    uint64_t floor, redis_append_cb cb, void *arg)
{
	static const char *const keys[] = { "seq", "log", "secrets" };
	struct redis_append_op	*op;
	const char		*what = "";
	char			*key, floortext[24];
	size_t			 i;

	if (!redis_conn_ready(conn))
		return (-1);
	op = xcalloc(1, sizeof *op);
	op->cb = cb;
	op->arg = arg;
	redis_append_arg(op, "EVALSHA", 7);
	redis_append_arg(op, redis_append_sha(), 40);
	redis_append_arg(op, "3", 1);
	for (i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		key = redis_key(session, keys[i]);
		redis_append_arg(op, key, strlen(key));
		free(key);
	}
	redis_append_arg(op, from, strlen(from));
	redis_append_arg(op, type, strlen(type));
	redis_append_arg(op, rec, reclen);
	redis_append_arg(op, body != NULL ? body : "", bodylen);
	redis_append_arg(op, body != NULL ? "1" : "0", 1);
	if (secret != NULL)
		what = secret->value != NULL ? "set" : "del";
	redis_append_arg(op, what, strlen(what));
	redis_append_arg(op, secret != NULL ? secret->token : "",
	    secret != NULL ? strlen(secret->token) : 0);
	redis_append_arg(op, secret != NULL && secret->value != NULL ?
	    secret->value : "", secret != NULL && secret->value != NULL ?
	    secret->valuelen : 0);
	snprintf(floortext, sizeof floortext, "%" PRIu64, floor);
	redis_append_arg(op, floortext, strlen(floortext));
	if (redis_append_send(conn, op) == -1) {
		redis_append_op_free(op);
		return (-1);
	}
	return (0);
}
