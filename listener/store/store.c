/*
 * The store (see store.h): opening it (replaying the journal, then giving
 * hooks their secrets and timers), the group commit around the journal's,
 * the one counter of sequence numbers, appending records (every one the
 * store writes goes through store_append, which tells store_on_record's
 * callback), reading a message's records, observers of the timeline, and
 * counts.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "buffer.h"
#include "clock.h"
#include "journal.h"
#include "jsonptr.h"
#include "log.h"
#include "loop.h"
#include "secrets.h"
#include "store-private.h"
#include "store-redis.h"
#include "xmalloc.h"

/*
 * The group commit, run before every wait of the loop: sync once, then
 * release all that waited for it.  A failed sync is fatal (see
 * journal_sync): after one, a retry may falsely succeed.
 */
static int64_t
store_prepare(void *arg)
{
	store_commit(arg);
	return (-1);
}

/*
 * Open the store: replay the journal in config->journal_dir into hooks and
 * the message index, load the secrets of verifying hooks, arm the hooks'
 * times to live and the retention timer, and register the group commit
 * with the loop.  Return NULL with *cause on failure; *warnings (if set,
 * caller frees) holds one line per problem found, for the log.
 */
struct store *
store_open(const struct store_config *config, char **warnings, char **cause)
{
	struct store	*s;
	struct buffer	 b;
	char		*warning;

	*warnings = NULL;
	s = xcalloc(1, sizeof *s);
	s->loop = config->loop;
	/* A replicated store keeps its secrets in Redis, not in a file. */
	if (config->redis == NULL)
		s->session_dir = xstrdup(config->session_dir);
	s->clock = config->clock != NULL ? config->clock : clock_wall_ms;
	s->retain_ms = config->retain_ms;
	s->next_seq = 1;
	buffer_init(&s->scratch);
	TAILQ_INIT(&s->hooks);
	TAILQ_INIT(&s->spares);
	TAILQ_INIT(&s->retired);
	TAILQ_INIT(&s->waiters);
	hook_init(s);
	s->journal = journal_open(config->journal_dir, store_replay, s,
	    &warning, cause);
	if (s->journal == NULL) {
		store_close(s);
		return (NULL);
	}
	buffer_init(&b);
	if (warning != NULL) {
		buffer_add_line(&b, "%s", warning);
		free(warning);
	}
	hook_start(s, &b);
	s->opened = 1;
	s->provisional = STORE_SEQ_PROVISIONAL;
	if (config->redis != NULL && journal_records(s->journal) > 0) {
		/* The stream rebuilds it: a cache reused would apply twice. */
		xasprintf(cause, "%s: a Redis store's journal must start "
		    "empty", config->journal_dir);
		buffer_release(&b);
		store_close(s);
		return (NULL);
	}
	if (config->redis != NULL &&
	    (s->redis = store_redis_open(s, config, cause)) == NULL) {
		buffer_release(&b);
		store_close(s);
		return (NULL);
	}
	if (b.len > 0)
		*warnings = buffer_detach(&b, NULL);
	buffer_release(&b);
	loop_prepare_add(s->loop, store_prepare, s);
	loop_prepare_add(s->loop, waiter_prepare, s);
	retention_start(s);
	return (s);
}

/*
 * Close the store: what is not yet durable is dropped, and so are the
 * callbacks waiting for it (each told by its dropped callback, if it has
 * one).  Commit first (store_commit) to keep it.  What the disk had no
 * room for is dropped so, and said: none of it was acknowledged (on a
 * replicated store, Redis has what it acknowledged), but a callback
 * answered 503 was to be queued once there was room.  "Dropped" is not
 * said: a write cut short by the full disk may have left a prefix of
 * them in the page cache, and recovery at the next start reads back
 * every whole record of it (doc/journal.md).  Which ones is not known
 * here: a short pwrite's count is lost to the retry that writes the
 * same bytes again.  How many were written is said beside: those
 * appended since open but not pending, so that what the stop kept is
 * not left to be guessed.
 */
void
store_close(struct store *s)
{
	uint64_t	n, appended, syncs;

	if (s == NULL)
		return;
	if (journal_no_room(s->journal) != 0 &&
	    (n = journal_pending(s->journal)) > 0) {
		journal_counts(s->journal, &appended, &syncs);
		log_warnx("journal: stopping for want of room on disk with "
		    "%llu record%s not written%s and %llu written%s since the "
		    "listener started", (unsigned long long)n,
		    n == 1 ? "" : "s", s->redis == NULL ? " (none was "
		    "acknowledged; some may be recovered at the next start)" :
		    " to the local cache (what Redis acknowledged is read "
		    "again from it at the next start)",
		    (unsigned long long)(appended - n),
		    s->redis == NULL ? "" : " to it");
	}
	store_redis_close(s->redis);
	retention_stop(s);
	loop_prepare_remove(s->loop, store_prepare, s);
	loop_prepare_remove(s->loop, waiter_prepare, s);
	journal_close(s->journal);
	hook_free_all(s);
	message_free_all(s);
	secrets_free(s->secrets);
	buffer_release(&s->scratch);
	free(s->busy);
	free(s->observers);
	free(s->session_dir);
	free(s);
}

/*
 * Run cb(arg) once everything appended so far is durable; if the store is
 * closed before, it never runs, and arg is not the store's to free.
 */
void
store_after_sync(struct store *s, store_synced_cb cb, void *arg)
{
	store_after_sync_or_drop(s, cb, NULL, arg);
}

/*
 * Run cb(arg) once everything appended so far is durable, or dropped(arg)
 * if the store is closed before (see the top of store.h).
 */
void
store_after_sync_or_drop(struct store *s, store_synced_cb cb,
    store_dropped_cb dropped, void *arg)
{
	store_after_sync_within(s, 0, cb, NULL, dropped, arg);
}

/*
 * Run cb(arg) once everything appended so far is durable, or failed(arg,
 * why) instead if the store finds it cannot be made durable soon: a
 * replicated store's Redis has fewer replicas than --store-replicas
 * wants, or has not acknowledged it within STORE_COMMAND_WAIT_MS; the
 * journal has had no room on disk to write it for that long (what was
 * written may still be made durable later, but cb will not run).  If the
 * store is closed before either, dropped(arg) (unless NULL) instead.
 */
void
store_after_sync_or_fail(struct store *s, store_synced_cb cb,
    store_unsynced_cb failed, store_dropped_cb dropped, void *arg)
{
	store_after_sync_within(s, STORE_COMMAND_WAIT_MS, cb, failed, dropped,
	    arg);
}

/*
 * As store_after_sync_or_fail, with ms for the bound instead (a send's
 * --timeout).
 */
void
store_after_sync_within(struct store *s, int64_t ms, store_synced_cb cb,
    store_unsynced_cb failed, store_dropped_cb dropped, void *arg)
{
	if (s->redis != NULL)
		store_redis_after_sync(s->redis, ms, cb, failed, dropped, arg);
	else
		journal_after_sync_within(s->journal, failed != NULL ?
		    loop_now() + ms : 0, cb, failed, dropped, arg);
}

/*
 * The journal alone has had no room on disk to write what waits: tell
 * those that asked and waited long enough (a command's reply, a request's
 * answer) rather than keep them waiting until there is room.
 */
static void
store_no_room_fail(struct store *s)
{
	char	 since[CLOCK_SINCE_LEN], *why;

	if (s->redis != NULL || clock_format_since(journal_no_room(s->journal),
	    clock_wall_ms(), since, sizeof since) == -1)
		return;
	xasprintf(&why, "has had no room on disk for its journal since %s",
	    since);
	journal_fail_waiting(s->journal, loop_now(), why);
	free(why);
}

/*
 * The group commit: make everything appended durable and run what waited
 * for it (also at a stop).  A failed sync ends the process; no room on
 * disk does not: what waits goes on waiting, and the journal writes it
 * at a later commit (the loop runs one at least every second), once
 * there is room.  Problems the journal met meanwhile (a segment it could
 * not prepare, the disk full, then not) are logged.
 */
void
store_commit(struct store *s)
{
	char	*cause, *warnings, *line, *next;

	journal_room_poll(s->journal);
	switch (journal_commit(s->journal, &cause)) {
	case -1:
		fatalx("%s; stopping without acknowledging anything more",
		    cause);
	case 1:
		store_no_room_fail(s);
		break;
	}
	if ((warnings = journal_warnings(s->journal)) == NULL)
		return;
	for (line = warnings; line != NULL; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		log_warnx("%s", line);
	}
	free(warnings);
}

/*
 * Hand out the next sequence number, for a record about to be appended:
 * the only place one is taken.  A replicated store hands out provisional
 * ones: Redis gives the real one (store-redis-send.c).
 */
uint64_t
store_seq_new(struct store *s)
{
	if (s->redis != NULL)
		return (s->provisional++);
	return (s->next_seq++);
}

/*
 * Give back seq, just taken by store_seq_new for a record that was then
 * refused: numbers would otherwise have a gap, and the journal store's
 * counter, raised only by what is replayed, would hand it out again after
 * a restart, to a record a tail told "after" it would skip.
 */
static void
store_seq_return(struct store *s, uint64_t seq)
{
	if (s->redis != NULL) {
		if (seq + 1 == s->provisional)
			s->provisional--;
	} else if (seq + 1 == s->next_seq)
		s->next_seq--;
}

/*
 * A record (or a checkpoint) says seqs below next are taken: the counter
 * stays above every number replayed or applied, whatever their order.
 */
void
store_seq_raise(struct store *s, uint64_t next)
{
	if (next > s->next_seq)
		s->next_seq = next;
}

/*
 * Append entry e's record to the journal, and tell store_on_record's
 * callback of it (it is not durable yet).  e->seq is the sequence number
 * the record takes, or 0.  Return its position, or JOURNAL_REFUSED for a
 * record too large for the journal: then no one is told, and its seq is
 * given back.
 */
uint64_t
store_append_entry(struct store *s, const struct store_entry *e)
{
	/*
	 * Only a received request, whose size comes from outside, is
	 * refused: it becomes a 413.  Every other record restates what is
	 * in memory already and has no way to fail; none comes near the
	 * limit (bodies are at most 64 MiB).
	 */
	if (e->type == JOURNAL_MESSAGE_RECEIVED &&
	    !journal_fits(s->journal, e->json_len, e->body_len)) {
		store_seq_return(s, e->seq);
		return (JOURNAL_REFUSED);
	}
	if (s->on_record != NULL && !s->restating &&
	    e->type != JOURNAL_CHECKPOINT)
		s->on_record(e, s->on_record_arg);
	return (journal_append_text(s->journal, e->type, e->json,
	    e->json_len, e->body, e->body_len));
}

/* Append a record from its JSON text (see store_append_entry). */
uint64_t
store_append_text(struct store *s, enum journal_type type, uint64_t seq,
    const char *json, size_t json_len, const void *body, size_t len)
{
	struct store_entry	e;

	memset(&e, 0, sizeof e);
	e.type = type;
	e.seq = seq;
	e.json = json;
	e.json_len = json_len;
	e.body = body;
	e.body_len = len;
	return (store_append_entry(s, &e));
}

/*
 * The JSON of entry e without its record's own "seq" (a replicated
 * store's entry carries the number beside it: the real one, from Redis):
 * the member cut out where the writer said it is, or else the record
 * parsed and printed without it.  A record without a number, or one that
 * does not parse, is copied as it is.  Caller frees.
 */
char *
store_entry_unnumbered(const struct store_entry *e, size_t *len)
{
	struct json_object	*o;
	const char		*text;
	char			*copy, *why = NULL;

	if (e->seq_len > 0 && e->seq_at + e->seq_len <= e->json_len) {
		*len = e->json_len - e->seq_len;
		copy = xmalloc(*len);
		memcpy(copy, e->json, e->seq_at);
		memcpy(copy + e->seq_at, e->json + e->seq_at + e->seq_len,
		    *len - e->seq_at);
		return (copy);
	}
	if (e->seq == 0 || (o = jsonptr_parse(e->json, e->json_len,
	    &why)) == NULL) {
		free(why);
		*len = e->json_len;
		return (xmemdup(e->json, e->json_len));
	}
	json_object_object_del(o, "seq");
	text = json_object_to_json_string_length(o,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, len);
	copy = xmemdup(text, *len);
	json_object_put(o);
	return (copy);
}

/* Append a record with its JSON as an object (see store_append_text). */
uint64_t
store_append(struct store *s, enum journal_type type, uint64_t seq,
    struct json_object *o, const void *body, size_t len)
{
	const char	*text;
	size_t		 text_len;

	text = json_object_to_json_string_length(o,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &text_len);
	return (store_append_text(s, type, seq, text, text_len, body, len));
}

/*
 * Call cb(entry, arg) for every record this store writes from now on
 * (not those it applies, nor checkpoints, which restate what is known):
 * the one callback, replacing any before; NULL for none.
 */
void
store_on_record(struct store *s, store_record_cb cb, void *arg)
{
	s->on_record = cb;
	s->on_record_arg = arg;
}

/*
 * Call cb(arg, why) once if the shared store finds that Redis lost
 * entries of the session it had applied (store-redis-apply.c): what it
 * holds in memory is no longer the session's, and only a store opened
 * again, reading the stream afresh, is.  The one callback; NULL for none.
 */
void
store_on_lost(struct store *s, store_lost_cb cb, void *arg)
{
	s->on_lost = cb;
	s->on_lost_arg = arg;
}

/*
 * Call cb(m, arg) when message m, leased to a waiter here, is taken by
 * another writer (store_apply): the lease has ended, the message must not
 * be delivered, and store_take and store_release of it do nothing.  The
 * one callback, replacing any before; NULL for none.
 */
void
store_on_lease_lost(struct store *s, store_observer_cb cb, void *arg)
{
	s->on_lease_lost = cb;
	s->on_lease_lost_arg = arg;
}

/*
 * Make a callback registered with store_after_sync and not run yet,
 * cb(arg), be to_cb(to_arg) instead, run when it would have been: for
 * one who stopped waiting (a request answered 503 from its failure
 * callback, a read that stopped waiting to settle).
 * Return 0, or -1 when it is not waiting (the journal alone runs its
 * callbacks within a pass of the loop, unless its disk is full).
 */
int
store_sync_move(struct store *s, store_synced_cb cb, void *arg,
    store_synced_cb to_cb, void *to_arg)
{
	if (s->redis == NULL)
		return (journal_sync_move(s->journal, cb, arg, to_cb, to_arg));
	return (store_redis_sync_move(s->redis, cb, arg, to_cb, to_arg));
}

/*
 * Catch up what other listeners of the session wrote (an ingress asked
 * for a token it does not know does this before it answers 404), then
 * call done(arg, error): error is NULL, or one line.  Return 0 (done will
 * be called once), or -1 when there is nothing to catch up from now: the
 * store is not replicated, or Redis is not reachable.
 */
int
store_catch_up(struct store *s, store_caught_up_cb done, void *arg)
{
	if (s->redis == NULL)
		return (-1);
	return (store_redis_catch_up(s->redis, done, arg));
}

/*
 * Return the state of a replicated store's Redis, "connected" or
 * "connecting: REASON" (borrowed, until the next event of the loop), or
 * NULL for the journal alone.
 */
const char *
store_state(const struct store *s)
{
	if (s->redis == NULL)
		return (NULL);
	return (store_redis_state(s->redis));
}

/*
 * Tell whether what is written now can be made durable soon: while the
 * journal has room on disk; for a replicated store, also while its Redis
 * is connected and the last WAIT (--store-replicas) counted the replicas
 * wanted.
 */
int
store_reachable(const struct store *s)
{
	if (journal_no_room(s->journal) != 0)
		return (0);
	return (s->redis == NULL || (store_redis_ready(s->redis) &&
	    store_redis_short(s->redis) == NULL));
}

/*
 * Return since when (unix ms) the local journal has had no room on disk
 * for its records, or 0 when it has room.  The store is then not
 * reachable (store_reachable), whichever it is: a replicated store's
 * journal is a cache, but the one its bodies are read back from, and
 * what it cannot write waits in memory.
 */
int64_t
store_no_room(const struct store *s)
{
	return (journal_no_room(s->journal));
}

/* Tell whether the store is the journal, or connected to its Redis. */
int
store_connected(const struct store *s)
{
	return (s->redis == NULL || store_redis_ready(s->redis));
}

/*
 * Return why what is written now cannot be made durable soon, one line
 * ("the listener's journal has had no room on disk since HH:MM:SS", "the
 * session's store is unreachable (connecting: REASON)", "the session's
 * store has 0 of 1 replicas ..."), or NULL when it can.
 * Caller frees.
 */
char *
store_unavailable(const struct store *s)
{
	const char	*why;
	char		*line, since[CLOCK_SINCE_LEN];

	if (clock_format_since(journal_no_room(s->journal), clock_wall_ms(),
	    since, sizeof since) == 0) {
		xasprintf(&line, "the listener's journal has had no room on "
		    "disk since %s", since);
		return (line);
	}
	if (s->redis == NULL)
		return (NULL);
	if (!store_redis_ready(s->redis))
		xasprintf(&line, "the session's store is unreachable (%s)",
		    store_redis_state(s->redis));
	else if ((why = store_redis_short(s->redis)) != NULL)
		xasprintf(&line, "the session's store %s", why);
	else
		return (NULL);
	return (line);
}

/*
 * Return why the store does not hold the session's hooks and messages
 * yet, one line ("the session's store has not been read yet
 * (connecting: REASON)", or "(reading the stream)" while connected), or
 * NULL when it does: always for the journal; a replicated store once it
 * has read the stream to its end once.  Until then a hook spawned
 * elsewhere is unknown here, and "no such hook" would be a lie.  Caller
 * frees.
 */
char *
store_unread(const struct store *s)
{
	char	*line;

	if (s->redis == NULL || store_redis_read(s->redis))
		return (NULL);
	xasprintf(&line, "the session's store has not been read yet (%s)",
	    store_redis_ready(s->redis) ? "reading the stream" :
	    store_redis_state(s->redis));
	return (line);
}

/*
 * Return the replicas a replicated store wants (0: none, or the journal)
 * and, in *seen, those its last WAIT counted (-1: none yet).
 */
int
store_replicas(const struct store *s, int *seen)
{
	*seen = -1;
	if (s->redis == NULL)
		return (0);
	return (store_redis_replicas(s->redis, seen));
}

/*
 * Tell whether every record written so far is durable: after a commit
 * for the journal; for a replicated store, once Redis acknowledged them.
 */
int
store_durable(const struct store *s)
{
	return (s->redis == NULL || store_redis_durable(s->redis));
}

/*
 * Return the bytes of records (their bodies) held until the store is
 * done with them, beyond what a commit writes at once: none for the
 * journal; for a replicated store, until Redis acknowledged them.
 */
uint64_t
store_holding(const struct store *s)
{
	return (s->redis == NULL ? 0 : store_redis_holding(s->redis));
}

/*
 * Tell whether the store knows whether it can store: always for the
 * journal; for a replicated store, once its first connection to Redis is
 * made or has failed.
 */
int
store_settled(const struct store *s)
{
	return (s->redis == NULL || store_redis_tried(s->redis));
}

/*
 * Return the sequence number up to which the timeline is complete: no
 * message numbered up to it can join it from now on, only messages
 * numbered after it.  The journal numbers what it writes in order: all
 * of them.  A replicated store is complete as far as its follower read
 * the stream (store_redis_complete); when that moves on without a
 * message joining the timeline, its observers are told with NULL.
 */
uint64_t
store_complete(const struct store *s)
{
	return (s->redis == NULL ? UINT64_MAX : store_redis_complete(s->redis));
}

/* Return the sequence number the next record will take. */
uint64_t
store_next_seq(struct store *s)
{
	return (s->next_seq);
}

/*
 * Call cb(m, arg) for every message that joins the timeline from now on,
 * or changes in it; cb(NULL, arg) when the timeline becomes complete
 * further (store_complete) with no message joining it.
 */
void
store_observe(struct store *s, store_observer_cb cb, void *arg)
{
	s->observers = xreallocarray(s->observers, s->nobservers + 1,
	    sizeof *s->observers);
	s->observers[s->nobservers].cb = cb;
	s->observers[s->nobservers].arg = arg;
	s->nobservers++;
}

/*
 * Tell every observer that m joined the timeline, or changed in it; NULL:
 * that the timeline is complete further (store_complete).
 */
void
store_notify(struct store *s, struct message *m)
{
	size_t	i;

	for (i = 0; i < s->nobservers; i++)
		s->observers[i].cb(m, s->observers[i].arg);
}

/*
 * Read message m's record into rec (release it with
 * journal_record_release), or return -1 with *cause.  A request we sent
 * whose start and outcome are records of their own reads as one whole
 * record: the start's fields with the outcome's added, "request_body_len",
 * and the request body followed by the response body.  Its "seq" is the
 * message's: a replicated store caches a record it wrote under a
 * provisional number, and renumbers the message once Redis gave the real
 * one (message_renumber).
 */
int
store_read(struct store *s, const struct message *m, struct journal_record *rec,
    char **cause)
{
	struct journal_record	 outcome;
	char			*body;

	if (journal_read(s->journal, m->offset, rec, cause) == -1)
		return (-1);
	if (s->redis != NULL)
		json_object_object_add(rec->json, "seq",
		    json_object_new_int64((int64_t)m->seq));
	if (m->hook != NULL || rec->type != JOURNAL_MESSAGE_SENDING)
		return (0);
	json_object_object_add(rec->json, "request_body_len",
	    json_object_new_int64((int64_t)rec->body_len));
	if (m->state != MESSAGE_SENT)
		return (0);
	if (journal_read(s->journal, m->outcome, &outcome, cause) == -1) {
		journal_record_release(rec);
		return (-1);
	}
	json_object_object_foreach(outcome.json, key, value) {
		if (strcmp(key, "seq") != 0)
			json_object_object_add(rec->json, key,
			    json_object_get(value));
	}
	body = xmalloc(rec->body_len + outcome.body_len + 1);
	memcpy(body, rec->body, rec->body_len);
	memcpy(body + rec->body_len, outcome.body, outcome.body_len);
	free(rec->storage);
	rec->storage = body;
	rec->body = body;
	rec->body_len += outcome.body_len;
	journal_record_release(&outcome);
	return (0);
}

/*
 * Read the record of how received message m was answered, when it was
 * held or forwarded: return 0 with rec, 1 when it has none (yet), or -1
 * with *cause.
 */
int
store_read_answer(struct store *s, const struct message *m,
    struct journal_record *rec, char **cause)
{
	if (m->answer == 0)
		return (1);
	return (journal_read(s->journal, m->answer, rec, cause));
}

/* Fill in the counts a status reply shows. */
void
store_stats(struct store *s, struct store_stats *st)
{
	memset(st, 0, sizeof *st);
	st->hooks = s->nhooks;
	st->received = s->nreceived;
	st->queued = s->nqueued;
	st->journal_bytes = journal_bytes(s->journal);
	st->journal_records = journal_records(s->journal);
	st->journal_segments = journal_segments(s->journal);
	journal_counts(s->journal, &st->journal_appended, &st->journal_syncs);
	st->damage = *journal_damage(s->journal);
}
