/*
 * The store: hooks, the messages they receive and the requests we send,
 * waiters and their leases, sequence numbers, retention, and the secrets
 * of verifying hooks.  It is the only writer of the journal's records and
 * the seam a second backend would implement.  All its state is in struct
 * store, which gets everything it uses at store_open; upper floors include
 * this header (and hook.h, message.h, waiter.h for the types they read),
 * nothing else of the store.
 *
 * Sequence numbers: one counter, shared by received messages and sent
 * requests, taken when a record is appended, and raised above every one
 * seen when the journal is replayed or another writer's record applied.
 *
 * A received request: store_receive journals it (pending); once that is
 * durable (store_after_sync), store_ready queues it and offers it to the
 * waiters, or store_reject only shows it in the timeline.  A waiter gets it
 * leased; store_take (journaled) or store_release ends the lease.
 *
 * A request refused before it was complete (404, 410, 413, ...):
 * store_refuse journals its bounded head; once durable it joins the
 * timeline, never a queue.  How a held or forwarded request was answered
 * (store_answered) is shown with its message (store_read_answer).
 *
 * A request we send: store_sending journals its start (pending); once
 * that is durable, store_started, and only then may it leave; store_sent
 * journals its outcome.
 *
 * Another writer of the same session (a listener sharing its log): what
 * it wrote reaches this store as entries, applied in the log's order
 * (store_apply) with the effects this store's own records have: a spawn
 * makes the hook, a received message is queued and offered to waiters, a
 * take dequeues it (ending a lease held here: store_on_lease_lost), a
 * close ends waits.  Such an entry brings its sequence number, which may
 * be below messages already indexed (a local record whose number came
 * late, from the log): the index keeps sequence order, and the counter
 * stays above every number applied.  Each is also appended to the local
 * journal, a cache for store_read and for reopening.  What this store
 * writes is told, record by record, to store_on_record's callback.
 *
 * Group commit: whatever must wait for its records to be durable
 * registers with store_after_sync.  The store's commit runs before each
 * wait of its loop (registered at open, so before any prepare callback
 * added later, such as HTTP in's, which answers requests) and at
 * store_commit.  A failed sync is fatal: the process exits without
 * acknowledging anything more.  A journal with no room on disk is not:
 * what it could not write waits in memory for room, the store (either)
 * counts as unreachable meanwhile (store_reachable, store_no_room), and
 * callbacks that asked to be told (store_after_sync_or_fail) are, as on
 * a Redis store that does not acknowledge.  A callback still waiting when the store
 * is closed (a Redis store's Redis is down) never runs: one whose arg
 * holds memory is registered with a dropped callback that frees it then
 * (store_after_sync_or_drop), and which must not use what was stopped
 * before the store (the listener closes the store last).
 */
#ifndef STORE_H
#define STORE_H

#include <stddef.h>
#include <stdint.h>

#include "journal.h"

struct buffer;
struct hook;
struct hook_list;
struct json_object;
struct loop;
struct message;
struct store;
struct store_url;
struct waiter;

#define STORE_RETAIN_DEFAULT_MS	(7LL * 24 * 3600 * 1000)

struct store_config {
	const char	*journal_dir;
	const char	*session_dir;	/* secrets.json lives here */
	struct loop	*loop;
	int64_t		 retain_ms;	/* keep about this much history */
	/* The wall clock in unix ms, for times recorded; NULL for the real. */
	int64_t		(*clock)(void);
	/*
	 * Replicate through the Redis of this URL (NULL: the journal alone;
	 * fish start --store), as listener of session.  The journal dir is
	 * then a cache the stream rebuilds: give an empty one (see
	 * doc/store-redis.md).
	 */
	const struct store_url *redis;
	const char	*session;
	const char	*listener;
	int64_t		 lease_ms;	/* 0: STORE_LEASE_MS */
	const char	*public_url;	/* its heartbeat shows it, or NULL */
	int64_t		 heartbeat_ms;	/* 0: STORE_HEARTBEAT_MS */
	/* Acknowledge a record once this many replicas have it (WAIT). */
	int		 replicas;
};

/*
 * A replicated store heartbeats every STORE_HEARTBEAT_MS; the other
 * listeners of its session seen within STORE_HEARTBEAT_WINDOW of those
 * (a minute) are alive, for status.
 */
#define STORE_HEARTBEAT_MS	10000
#define STORE_HEARTBEAT_WINDOW	6

/* Another listener of the session, as its last heartbeat said. */
struct store_listener {
	char		*name;
	char		*host;
	char		*public_url;	/* NULL: none given */
	int64_t		 pid;
	int64_t		 last_seen;	/* unix ms, its clock */
};

/* Counts for status. */
struct store_stats {
	uint64_t		hooks;
	uint64_t		received;	/* received messages kept */
	uint64_t		queued;		/* waiting to be taken */
	uint64_t		journal_bytes;
	uint64_t		journal_records;
	uint64_t		journal_segments;
	uint64_t		journal_appended;	/* records, since start */
	uint64_t		journal_syncs;		/* fdatasyncs of them */
	struct journal_damage	damage;		/* found lost at open */
};

/*
 * A record as a writer of the session wrote it: its type, JSON object (as
 * text) and body, and seq, the sequence number the log gave it, or 0.  A
 * record that takes a number (received 3, sending 8, refused 9) must have
 * one: it becomes the record's "seq", and the counter stays above it.
 * Others name what they are about in their JSON (a token; the "seq" of a
 * message, for a take 5, an outcome 4 or an answer 7); a seq given for
 * them is not used (a reopen could not know it).
 */
struct store_entry {
	enum journal_type	 type;
	uint64_t		 seq;
	const char		*json;
	size_t			 json_len;
	const void		*body;
	size_t			 body_len;
	/*
	 * Where the record's own ,"seq":N member is in json, when its
	 * writer knows (a received request's record: store_received_encode):
	 * seq_len bytes from seq_at; seq_len 0 when not known.
	 */
	size_t			 seq_at;
	size_t			 seq_len;
};

/*
 * A replicated store tells a callback registered with
 * store_after_sync_or_fail (a command's reply, a held request's answer)
 * that its records were not acknowledged within this long.
 */
#define STORE_COMMAND_WAIT_MS	3000

typedef void (*store_synced_cb)(void *);
typedef void (*store_unsynced_cb)(void *, const char *);
typedef void (*store_dropped_cb)(void *);
typedef void (*store_observer_cb)(struct message *, void *);
typedef void (*store_record_cb)(const struct store_entry *, void *);
typedef void (*store_caught_up_cb)(void *, const char *);
typedef void (*store_lost_cb)(void *, const char *);
typedef void (*store_listeners_cb)(void *, const struct store_listener *,
	    size_t, const char *);

struct store	*store_open(const struct store_config *, char **, char **);
void		 store_close(struct store *);
void		 store_after_sync(struct store *, store_synced_cb, void *);
void		 store_after_sync_or_drop(struct store *, store_synced_cb,
		    store_dropped_cb, void *);
void		 store_after_sync_within(struct store *, int64_t,
		    store_synced_cb, store_unsynced_cb, store_dropped_cb,
		    void *);
void		 store_after_sync_or_fail(struct store *, store_synced_cb,
		    store_unsynced_cb, store_dropped_cb, void *);
int		 store_sync_move(struct store *, store_synced_cb, void *,
		    store_synced_cb, void *);
void		 store_commit(struct store *);
void		 store_withdraw_spare(struct store *);

/* Hooks. */
int		 store_spawn_check(struct json_object *, size_t, char **);
struct hook	*store_spawn(struct store *, const char *, struct json_object *,
		    const void *, size_t, char **);
struct hook	*store_find(struct store *, const char *);
struct hook	*store_find_token(struct store *, const char *, size_t);
void		 store_close_hook(struct store *, struct hook *);
struct hook_list *store_hooks(struct store *);
void		 store_hook_cache(struct hook *, void *, void (*)(void *));

/*
 * A received request as its record holds it, for store_receive_fields:
 * the record written straight from these, without a json-c tree, reads
 * byte for byte as store_receive's would from the same fields.
 */
struct store_received {
	const char		 *method;
	const char		 *path;		/* never empty: "/" */
	size_t			  path_len;
	const char		 *query;
	size_t			  query_len;
	const char *const	 *headers;	/* name, value, name, ... */
	size_t			  nheaders;	/* pairs */
	const char		 *remote;	/* ADDRESS:PORT or "" */
	const char		 *via;		/* the peer, when remote came
						   from a forwarding header;
						   else NULL */
	int64_t			  received_at;	/* ms since the epoch */
	int			  verified;	/* its hook verifies, passed */
};

/* Requests received. */
struct message	*store_receive(struct store *, struct hook *,
		    struct json_object *, const void *, size_t);
struct message	*store_receive_fields(struct store *, struct hook *,
		    const struct store_received *, const void *, size_t);
void		 store_received_encode(struct buffer *,
		    const struct store_received *, uint64_t, const char *,
		    size_t *, size_t *);
char		*store_entry_unnumbered(const struct store_entry *,
		    size_t *);
void		 store_ready(struct store *, struct message *);
void		 store_reject(struct store *, struct message *);
void		 store_answered(struct store *, struct json_object *,
		    const void *, size_t);
void		 store_refuse(struct store *, struct hook *,
		    struct json_object *);

/* Requests sent. */
struct message	*store_sending(struct store *, struct json_object *,
		    const void *, size_t);
void		 store_started(struct store *, struct message *);
void		 store_sent(struct store *, struct message *,
		    struct json_object *, const void *, size_t);

/* Waiting, and leases. */
void		 store_wait(struct store *, struct waiter *);
void		 store_unwait(struct store *, struct waiter *);
int		 store_wait_busy(const struct waiter *);
void		 store_take(struct store *, struct message *);
void		 store_release(struct store *, struct message *);
int		 store_lease_kept(const struct store *,
		    const struct message *);

/* Reading the timeline. */
struct message	*store_message(struct store *, uint64_t);
struct message	**store_messages(struct store *, size_t *);
size_t		 store_message_index(struct store *, uint64_t);
uint64_t	 store_next_seq(struct store *);
uint64_t	 store_complete(const struct store *);
int		 store_read(struct store *, const struct message *,
		    struct journal_record *, char **);
int		 store_read_answer(struct store *, const struct message *,
		    struct journal_record *, char **);
void		 store_observe(struct store *, store_observer_cb, void *);
void		 store_stats(struct store *, struct store_stats *);

/* Other writers of the session. */
int		 store_apply(struct store *, const struct store_entry *,
		    char **);
void		 store_on_record(struct store *, store_record_cb, void *);
void		 store_on_lease_lost(struct store *, store_observer_cb,
		    void *);
int		 store_catch_up(struct store *, store_caught_up_cb, void *);
void		 store_on_lost(struct store *, store_lost_cb, void *);
const char	*store_state(const struct store *);
int		 store_reachable(const struct store *);
int64_t		 store_no_room(const struct store *);
int		 store_connected(const struct store *);
char		*store_unavailable(const struct store *);
char		*store_unread(const struct store *);
int		 store_replicas(const struct store *, int *);
int		 store_settled(const struct store *);
int		 store_listeners(struct store *, store_listeners_cb, void *);
const struct store_listener *store_listeners_seen(struct store *, size_t *);
const char	*store_listener_name(struct store *);
int		 store_durable(const struct store *);
void		 store_give_back(struct store *);
int		 store_giving_back(const struct store *);
uint64_t	 store_holding(const struct store *);

#endif
