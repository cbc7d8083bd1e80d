/*
 * Inside the replicated store (store-redis.c; store-redis.h is what the
 * rest of the store calls): struct store_redis, and what its files
 * share.  Only they include this.
 *
 *	store-redis.c		opening, closing, the connection's state, and
 *				what the rest of the store asks of it
 *	store-redis-sync.c	what waits for records to be acknowledged,
 *				and the deadlines of what asked for one
 *	store-redis-send.c	sending records, and sending again those
 *				of unknown outcome or refused
 *	store-redis-secrets.c	verifying hooks' secrets, in the
 *				secrets hash
 *	store-redis-apply.c	applying the entries the follower brings,
 *				held back while they must wait
 *
 * A function one of them shares with the others is named for its
 * file: store-redis-send.c's sr_flush is store_redis_send_flush.
 */
#ifndef STORE_REDIS_PRIVATE_H
#define STORE_REDIS_PRIVATE_H

#include <sys/queue.h>

#include <stddef.h>
#include <stdint.h>

#include "store.h"
#include "token.h"

struct loop;
struct redis_conn;
struct redis_entry;
struct redis_follow;
struct sr_bound;
struct store_heartbeat;
struct store_lease;
struct store_replicas;
struct store_retain;

/* A record written here, until Redis acknowledged it. */
struct sr_record {
	TAILQ_ENTRY(sr_record)	 entry;		/* unsent */
	struct store_redis	*sr;
	uint64_t		 n;		/* written, from 1 */
	uint64_t		 provisional;	/* its message's seq, or 0 */
	enum journal_type	 type;
	char			*rec;
	size_t			 reclen;
	char			*body;		/* NULL: none */
	size_t			 bodylen;
	/* A secret set or deleted with it. */
	char			*secret_token;	/* NULL: none */
	char			*secret;	/* NULL: delete it */
	size_t			 secretlen;
	uint64_t		 floor;		/* the last sent with it */
};
TAILQ_HEAD(sr_records, sr_record);

/*
 * Something waiting for every record written before it to be durable,
 * or (failed not NULL) to be told that they will not be soon, or
 * (dropped not NULL) that the store closed first.
 */
struct sr_waiting {
	uint64_t		 n;
	store_synced_cb		 cb;
	store_unsynced_cb	 failed;
	store_dropped_cb	 dropped;
	void			*arg;
	struct sr_bound		*bound;		/* with failed: its deadline */
};

/*
 * An entry of another listener held back (store-redis-apply.c), or
 * the spawn of a verifying hook whose secret is being read.
 */
struct sr_held {
	TAILQ_ENTRY(sr_held)	 entry;
	struct store_redis	*sr;
	struct store_entry	 e;
	char			*storage;
	uint64_t		 serial;	/* held, from 1 */
	char			 token[TOKEN_LEN + 1];
	int			 fetch;		/* SR_FETCH_* */
#define SR_FETCH_NONE	0	/* nothing to read, or read */
#define SR_FETCH_SENT	1	/* its HGET is under way */
#define SR_FETCH_DUE	2	/* to send once connected */
};

/* A catch-up whose entries are read, waiting for held ones applied. */
struct sr_catch_up {
	TAILQ_ENTRY(sr_catch_up) entry;
	struct store_redis	*sr;
	store_caught_up_cb	 done;
	void			*arg;
	uint64_t		 mark;		/* held serial to reach */
};

/* A list of records' numbers, each with a seq (few: those in flight). */
struct sr_pair {
	uint64_t		 n;
	uint64_t		 seq;
};
struct sr_seqs {
	struct sr_pair		*v;
	size_t			 n, size;
};

/* The replicated store: what its files share. */
struct store_redis {
	struct store		*store;
	struct loop		*loop;
	char			*session;
	char			*from;
	struct redis_conn	*conn;		/* appends, catch-ups */
	struct redis_follow	*follow;
	struct store_lease	*lease;
	struct store_heartbeat	*heartbeat;
	struct store_retain	*retain;
	struct store_replicas	*replicas;	/* NULL: none wanted */
	size_t			 fromlen;	/* of "LISTENER/NONCE" */
	size_t			 namelen;	/* of "LISTENER/" */
	uint64_t		*earlier;	/* sends of an earlier life */
	size_t			 nearlier, earlier_size;
	struct sr_records	 unsent;
	struct sr_records	 unknown;	/* lost with a connection */
	uint64_t		 written;	/* records numbered so far */
	uint64_t		 holding;	/* bytes of records unacked */
	uint64_t		 acked;		/* all up to here are durable */
	struct sr_seqs		 acked_above;	/* acknowledged above it */
	struct sr_seqs		 replied;	/* not yet followed */
	struct sr_seqs		 followed;	/* not yet replied */
	int			 resolving;	/* a catch-up for unknown */
	char			*refused;	/* state while Redis refuses */
	int64_t			 refused_retry;	/* send them again then */
	int			 read;		/* 1 reading, 2 read: the stream */
	int			 read_once;	/* read to its end and applied */
	uint64_t		 seq_seen;	/* the highest the follower brought */
	uint64_t		 seq_replied;	/* the highest an append's reply gave */
	int64_t			 check_every;	/* store_redis_check_seq, ms */
	int64_t			 check_at;	/* the next, or 0 */
	char			*lost;		/* state once Redis lost entries */
	TAILQ_HEAD(, sr_held)	 held;
	uint64_t		 held_serial;	/* the last one held */
	uint64_t		 released;	/* the last one applied */
	TAILQ_HEAD(, sr_catch_up) catch_ups;	/* waiting for held ones */
	struct sr_waiting	*waiting;
	size_t			 nwaiting, waiting_size;
	int			 closing;
};

/* store-redis-apply.c */
void		 store_redis_counter_lost(struct store_redis *, uint64_t,
		    uint64_t);
void		 store_redis_check_seq(struct store_redis *);
void		 store_redis_apply_lost(struct store_redis *, uint64_t,
		    uint64_t);

/* store-redis-sync.c */
uint64_t	 store_redis_sync_durable(const struct store_redis *);
int		 store_redis_sync_seqs_take(struct sr_seqs *, uint64_t,
		    uint64_t *);
void		 store_redis_sync_seqs_add(struct sr_seqs *, uint64_t,
		    uint64_t);
int		 store_redis_sync_seqs_has(const struct sr_seqs *, uint64_t);
void		 store_redis_sync_bound_cancel(struct store_redis *,
		    struct sr_bound *);
void		 store_redis_sync_run_waiting(struct store_redis *);
void		 store_redis_sync_acked(struct store_redis *, uint64_t);
int		 store_redis_sync_was_acked(const struct store_redis *,
		    uint64_t);
void		 store_redis_sync_on_replicas(void *, uint64_t, const char *);

/* store-redis-send.c */
void		 store_redis_send_record_free(struct sr_record *);
void		 store_redis_send_done(struct store_redis *, struct sr_record *,
		    uint64_t);
void		 store_redis_send_flush(struct store_redis *);
void		 store_redis_send_resolve(struct store_redis *);
int64_t		 store_redis_send_refused_due(struct store_redis *, int64_t);
void		 store_redis_send_on_record(const struct store_entry *, void *);

/* store-redis-secrets.c */
void		 store_redis_secrets_record(struct store_redis *,
		    struct sr_record *, const struct store_entry *);
void		 store_redis_secrets_fetch(struct store_redis *,
		    struct sr_held *);
int		 store_redis_secrets_verifying_spawn(const struct store_entry *,
		    char *);

/* store-redis-apply.c */
void		 store_redis_apply_cut_earlier(struct store_redis *);
void		 store_redis_apply_note_read(struct store_redis *);
void		 store_redis_apply_release_held(struct store_redis *);
void		 store_redis_apply_on_entry(const struct redis_entry *, void *);

#endif
