/*
 * Inside the store (see store.h): struct store, and what its files share.
 * Only files of listener/store/ include this.
 *
 *	store.c		opening, closing, group commit, sequence numbers,
 *			reading records, observers, counts
 *	store-replay.c	rebuilding hooks and the message index from records
 *	store-apply.c	applying records another writer of the session wrote
 *	hook.c		the hook table, spawning, closing, time to live
 *	hook-settings.c	checking, loading and journaling a hook's settings
 *			and its signature checks
 *	message.c	the message index and the hooks' queues
 *	waiter.c	waiters, oldest first, scanning a bounded step at a time
 *	retention.c	rolling and expiring journal segments
 *	secrets.c	the secrets of verifying hooks, out of the journal
 *	spare.c		spare hooks, durable before a spawn asks for one
 *	store-redis.c	replicating the store through a Redis stream
 *			(store-redis-private.h lists its files)
 *	store-lease.c	leases across listeners, for one taker per message
 *	store-heartbeat.c heartbeats, and the other listeners seen
 *	store-retain.c	trimming the stream at checkpoints of the hooks
 */
#ifndef STORE_PRIVATE_H
#define STORE_PRIVATE_H

#include <sys/queue.h>

#include <stddef.h>
#include <stdint.h>

#include "buffer.h"
#include "hook.h"
#include "loop.h"
#include "message.h"
#include "store.h"
#include "waiter.h"

struct buffer;
struct journal;
struct loop;
struct loop_timer;
struct secrets;
struct sigspec;
struct store_redis;

/* A record written here takes a number from here up until Redis gives
 * it its own (store-redis-send.c): above every real one, so it sorts
 * last. */
#define STORE_SEQ_PROVISIONAL	(UINT64_C(1) << 62)

struct store_observer {
	store_observer_cb	 cb;
	void			*arg;
};

struct store {
	struct loop		 *loop;
	struct journal		 *journal;
	char			 *session_dir;	/* NULL: secrets in Redis */
	int64_t			(*clock)(void);
	uint64_t		  next_seq;	/* the next to hand out */
	struct store_redis	 *redis;	/* NULL: the journal alone */
	uint64_t		  provisional;	/* the next, with redis */
	struct buffer		  scratch;	/* a record's JSON, reused */
	struct secrets		 *secrets;

	/* The hook table (hook.c). */
	struct hook_list	  hooks;	/* oldest first */
	size_t			  nhooks;
	uint64_t		  hook_serial;	/* the last one given */
	struct hook		**by_token;
	struct hook		**by_name;
	size_t			  nbuckets;
	struct hook_list	  spares;	/* spare.c: in by_token only */
	size_t			  nspares;
	struct hook_list	  retired;	/* spares withdrawn: in no table,
						   freed at close */
	struct hook		 *spare;	/* the next to hand out, or NULL */
	int			  opened;	/* the journal is replayed */

	/* The message index (message.c), in sequence order. */
	struct message		**messages;
	size_t			  nmessages, messages_size;
	uint64_t		  nreceived;
	uint64_t		  nqueued;
	struct store_observer	 *observers;
	size_t			  nobservers;

	/* Records this store writes, and leases others' takes ended. */
	store_record_cb		  on_record;
	void			 *on_record_arg;
	int			  restating;	/* writing a checkpoint */
	store_observer_cb	  on_lease_lost;
	void			 *on_lease_lost_arg;
	store_lost_cb		  on_lost;	/* Redis lost the session */
	void			 *on_lost_arg;

	/* Waiters (waiter.c), oldest first. */
	TAILQ_HEAD(, waiter)	  waiters;
	size_t			  nbusy;	/* PENDING or SCANNING */
	struct waiter		**busy;		/* waiter_prepare's copy */
	size_t			  busy_size;
	size_t			  turn;		/* who steps first */

	/* Retention (retention.c). */
	int64_t			  retain_ms;
	struct loop_timer	 *retention_timer;
	int			  checkpointed;	/* wrote one: may expire */
	uint64_t		  checkpoint_end;
};

/*
 * What rebuilding one record did (store-replay.c), for the live effects
 * of applying it (store-apply.c).
 */
struct rebuild {
	struct store			*store;
	const struct journal_record	*record;
	int				 flags;
#define REBUILD_CHECK	0x1	/* only tell whether it would be taken */
#define REBUILD_LIVE	0x2	/* another writer's: refuse, never recover */
	const char			*token;
	int64_t				 seq;
	struct hook			*hook;		/* it made or changed */
	struct message			*message;	/* it made or changed */
	enum message_state		 was;		/* message's, before */
	int				 was_closed;	/* hook's, before */
	const char			*why;		/* refused: why */
};

/* store.c */
uint64_t	 store_seq_new(struct store *);
void		 store_seq_raise(struct store *, uint64_t);
void		 store_notify(struct store *, struct message *);
uint64_t	 store_append(struct store *, enum journal_type, uint64_t,
		    struct json_object *, const void *, size_t);
uint64_t	 store_append_entry(struct store *,
		    const struct store_entry *);
uint64_t	 store_append_text(struct store *, enum journal_type, uint64_t,
		    const char *, size_t, const void *, size_t);

/*
 * Tell whether queued message m may be handed to a waiter (peek: one that
 * only looks): a replicated store must hold its lease (store-lease.c).
 */
static inline int
message_offerable(const struct store *s, const struct message *m, int peek)
{
	return (s->redis == NULL || peek || m->claimed_until > loop_now());
}

/* store-redis.c */
void		 store_want(struct store *, struct message *);
int		 store_redis_settled(struct store *);

/* store-redis-secrets.c */
void		 store_secret_changed(struct store *, struct hook *);

/* store-lease.c */
void		 store_lease_changed(struct store *);

/* store-replay.c */
void		 store_replay(const struct journal_record *, void *);
int		 store_rebuild(struct rebuild *);

/* hook.c */
void		 hook_init(struct store *);
void		 hook_free_all(struct store *);
struct hook	*hook_new(struct store *, const char *, const char *,
		    int64_t);
void		 hook_add_index(struct store *, struct hook *);
void		 hook_unindex_token(struct store *, struct hook *);
struct hook	*hook_insert(struct store *, const char *, const char *,
		    int64_t);
struct hook	*hook_find_token(struct store *, const char *, size_t);
struct hook	*hook_find_name(struct store *, const char *);
void		 hook_rename(struct store *, struct hook *, const char *);
struct hook	*hook_recover(struct store *, const char *, int64_t);
void		 hook_arm(struct store *, struct hook *);
void		 hook_closed(struct store *, struct hook *);
void		 hook_start(struct store *, struct buffer *);
void		 hook_checkpoint(struct store *);

/* hook-settings.c */
void		 hook_settings_free(struct store *, struct hook *);
void		 hook_settings_load(struct store *, struct hook *,
		    struct json_object *, const void *, size_t);
void		 hook_settings_differ(struct store *, const struct hook *,
		    struct json_object *, const void *, size_t,
		    struct buffer *);
int		 hook_verify_parse(struct json_object *, struct sigspec *,
		    char **);
int		 hook_secret_equal(const struct sigspec *,
		    const struct sigspec *);
void		 hook_forget_sigspec(struct hook *);
int		 hook_attach_secret(struct store *, struct hook *);
struct json_object *hook_record(const struct hook *);
void		 hook_journal(struct store *, const struct hook *);

/* spare.c */
void		 spare_make(struct store *);
struct hook	*spare_insert(struct store *, const char *, int64_t);
void		 spare_claim(struct store *, struct hook *, int);
struct hook	*spare_take(struct store *, struct json_object *, size_t);
void		 spare_checkpoint(struct store *);
void		 spare_forget(struct store *, struct hook *);

/* message.c */
struct message	*message_insert(struct store *, struct hook *, uint64_t,
		    uint64_t, enum message_state);
void		 message_enqueue(struct message *);
void		 message_unlease(struct store *, struct message *);
void		 message_renumber(struct store *, struct message *, uint64_t);
void		 message_offer(struct store *, struct message *);
void		 message_expire(struct store *, uint64_t);
void		 message_free_all(struct store *);
void		 message_unanswered(struct store *, struct message *);

/* waiter.c */
int64_t		 waiter_prepare(void *);
void		 waiter_dispatch(struct store *, struct message *);
void		 waiter_hook_changed(struct store *, struct hook *);
int		 waiter_any(struct store *, const struct hook *);
int		 waiter_busy_on(struct store *, const struct hook *);
void		 waiter_claimed(struct store *, uint64_t);

/* retention.c */
int64_t		 retention_interval(const struct store *);
void		 retention_start(struct store *);
void		 retention_stop(struct store *);

/* secrets.c, see secrets.h */

#endif
