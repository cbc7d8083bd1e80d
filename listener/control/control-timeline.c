/*
 * Timeline requests (see control-timeline.h); their entries are built and sent by
 * control-timeline-entry.c.
 *
 * Entries are envelopes: for a received message the same object wait
 * --json prints (without the body) plus "direction": "received", the
 * "http_status" it was answered with when known, the "event" its provider
 * names (filter_event), and for a held or forwarded one its "answer"
 * once it has one; a request refused before it was complete (404, 410,
 * 413, ...) is a received entry too, with "state": "refused", "refused"
 * (why) and no body, and "hook": null when no hook was known; for a sent
 * request the envelope of envelope_sent plus "direction": "sent" and its
 * "state": "sending" (under way: no outcome yet), "sent", or "unanswered"
 * (the listener stopped before its outcome was recorded).  Each entry
 * travels in its own frame with the body bytes as payload (for a sent
 * request: the request body, then the response body), and a log ends with
 * a frame {"end": true}.  The in-memory index finds messages by sequence
 * number, so the cost of a log is that of the entries it prints, not of the
 * journal's size.  A log's entries are sent as its client reads them, a
 * part whenever less than CONTROL_OUT_BOUND waits to be written, so a slow
 * or stopped reader holds little of them in the listener's memory.
 *
 * A tail is a cursor over the same index: it sends every durable entry
 * after the one its client printed last, a part at a time as for a log,
 * and once it has caught up, each entry as it becomes durable.  The cursor
 * never passes an entry that is not durable yet, nor one above where the
 * timeline is complete (store_complete: with Redis, an entry of another
 * listener may come after this listener's own that Redis numbered after
 * it), and new entries take higher sequence numbers, so "every selected
 * entry before the cursor has been sent" holds across the catching up
 * and the live part, with nothing missed or sent twice, in seq order;
 * and a client that lost its listener resumes after the sequence number
 * it printed last, which was durable, with nothing before it to come.
 * The outcome of a request whose entry was sent already is sent again,
 * whole, when it comes, and so is a received entry when its answer
 * comes.  An entry that awaits them is sent with "open": true in its
 * frame; one the filters pass over, as {"passed": SEQ, "open": true}, and
 * its outcome they pass over as {"passed": SEQ}.  The client keeps the
 * open ones and tells a listener it resumes on ("open"): of the entries
 * up to its "after", that listener sends the outcome of those, once,
 * and of no other (timeline_owed).  A client that sends no "open" (an
 * older one) gets every outcome that comes of an entry up to "after", as
 * before there was one.
 *
 * Logs and tails may be filtered ("where", as wait's --where: see
 * filter.h), matched against the record with the entry's "http_status".
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "compat.h"
#include "clock.h"
#include "control.h"
#include "control-timeline-private.h"
#include "duration.h"
#include "envelope.h"
#include "filter.h"
#include "hook.h"
#include "journal.h"
#include "jsonptr.h"
#include "listener.h"
#include "message.h"
#include "proto.h"
#include "control-timeline.h"
#include "store.h"
#include "xmalloc.h"

/* The most hooks a request may name. */
#define TIMELINE_HOOKS_MAX	1024

/*
 * The most entries a tail's client keeps as printed open (awaiting their
 * outcome or answer), and tells a listener it resumes on (cmd-tail.c).
 */
#define TIMELINE_OPEN_MAX	16384

/*
 * Marks an entry of a tail's "open" whose outcome was sent: kept in
 * place rather than taken out, which would move all those after it, for
 * each of as many as TIMELINE_OPEN_MAX.  A seq is below 2^63.
 */
#define TIMELINE_OPEN_SENT	(UINT64_C(1) << 63)

/* The most filters, and the longest, a request may give. */
#define TIMELINE_FILTERS_MAX	64
#define TIMELINE_FILTER_LEN	4096

struct subscriber {
	uint64_t		  conn_id;
	struct hook		**hooks;
	size_t			  nhooks;
	struct timeline_filters	  where;
	uint64_t		  next;	/* every selected entry before it
					   has been sent */
	uint64_t		  printed; /* its client printed up to it */
	uint64_t		 *open;	/* of those, the ones it printed
					   open, whose outcome it awaits;
					   sorted; TIMELINE_OPEN_SENT once
					   sent; NULL: a client that knows
					   no "open" */
	size_t			  nopen;
	uint64_t		  owed_next; /* outcomes owed of entries
					   below owed_end (where its cursor
					   began) go from here on */
	uint64_t		  owed_end;
	int			  behind; /* waits for its output to drain */
	TAILQ_ENTRY(subscriber)	  entry;
};

static TAILQ_HEAD(, subscriber)	subscribers =
    TAILQ_HEAD_INITIALIZER(subscribers);

/*
 * Resolve the request's "hooks" list.  Return the number found (0 for an
 * absent or empty list, meaning every hook), or -1 after replying 2 for a
 * list that is not one of strings, or 4 for an unknown hook.
 */
static ssize_t
timeline_hooks(struct conn *c, struct proto_frame *f, struct hook ***hooks)
{
	struct json_object	*list = NULL;
	const char		*handle;
	size_t			 i, n;

	*hooks = NULL;
	if (proto_get_strings(f->json, "hooks", 0, TIMELINE_HOOKS_MAX,
	    CONTROL_HANDLE_MAX, &list) == PROTO_INVALID) {
		control_invalid(c, f, "hooks");
		return (-1);
	}
	if (list == NULL || (n = json_object_array_length(list)) == 0)
		return (0);
	*hooks = xcalloc(n, sizeof **hooks);
	for (i = 0; i < n; i++) {
		handle = json_object_get_string(json_object_array_get_idx(list,
		    i));
		if (((*hooks)[i] = store_find(control_store(c), handle)) ==
		    NULL) {
			control_errorf(c, EXIT_NOT_FOUND, "no such hook '%s'",
			    handle);
			free(*hooks);
			*hooks = NULL;
			return (-1);
		}
	}
	return ((ssize_t)n);
}

/*
 * Parse the request's "where" list into wf.  Return 0, or -1 after
 * replying 2 for a list that is not one of filters.
 */
static int
timeline_where(struct conn *c, struct proto_frame *f,
    struct timeline_filters *wf)
{
	struct json_object	*list = NULL;
	char			*cause;

	memset(wf, 0, sizeof *wf);
	if (proto_get_strings(f->json, "where", 0, TIMELINE_FILTERS_MAX,
	    TIMELINE_FILTER_LEN, &list) == PROTO_INVALID) {
		control_invalid(c, f, "where");
		return (-1);
	}
	if (filter_parse_list(list, &wf->filters, &wf->n, &cause) == -1) {
		control_errorf(c, EXIT_USAGE, "%s", cause);
		free(cause);
		return (-1);
	}
	return (0);
}

/*
 * Get the request's "seq": return 0 with *seq, or -1 after answering 2
 * when it is absent or not a sequence number.
 */
int
timeline_seq(struct conn *c, struct proto_frame *f, int64_t *seq)
{
	if (proto_get_int(f->json, "seq", 0, INT64_MAX, seq) != PROTO_VALID) {
		control_invalid(c, f, "seq");
		return (-1);
	}
	return (0);
}

/*
 * A log in progress: the entries still to send are those of the selected
 * hooks with sequence numbers from next to last.  It holds sequence numbers,
 * not messages, since retention may forget a message meanwhile; such a
 * message is skipped.
 */
struct log_cursor {
	uint64_t		  next;
	uint64_t		  last;
	struct hook		**hooks;
	size_t			  nhooks;
	struct timeline_filters	  where;
};

/* At most this many entries, or messages looked at, per turn of the loop. */
#define LOG_STEP_ENTRIES	64
#define LOG_STEP_MESSAGES	4096

/* Free a log's cursor: it has ended, or its client has gone. */
static void
timeline_log_free(void *arg)
{
	struct log_cursor	*lc = arg;

	free(lc->hooks);
	filter_free_list(lc->where.filters, lc->where.n);
	free(lc);
}

/*
 * Send the next part of a log while c's output stays small, and the end
 * frame once all is sent; called again when c's output has drained.
 */
static void
timeline_log_step(struct conn *c, void *arg)
{
	struct log_cursor	 *lc = arg;
	struct message		**all, *m;
	struct json_object	 *end;
	size_t			  n, i, sent = 0, looked = 0;

	all = store_messages(control_store(c), &n);
	i = store_message_index(control_store(c), lc->next);
	for (; i < n && all[i]->seq <= lc->last; i++) {
		if (control_pending(c) >= CONTROL_OUT_BOUND ||
		    sent >= LOG_STEP_ENTRIES || looked >= LOG_STEP_MESSAGES)
			return;
		m = all[i];
		lc->next = m->seq + 1;
		looked++;
		if (timeline_selected(m, lc->hooks, lc->nhooks) &&
		    timeline_send_entry(c, m, &lc->where) == 0)
			sent++;
	}
	end = proto_reply(EXIT_OK, NULL);
	json_object_object_add(end, "end", json_object_new_boolean(1));
	control_reply(c, end, NULL, 0);
	control_on_drained(c, NULL, NULL, NULL);	/* frees lc */
}

/*
 * Reply to "log": the entries of the selected hooks ("hooks"; sent requests
 * only when no hook is named), the last "limit" of them, no older than
 * "since_ms", oldest first.  The selection is made now; its entries are
 * sent a part at a time, each when the client has read most of the one
 * before, so a large log held up by a slow reader costs the listener only
 * a little memory and keeps it serving others.
 */
void
timeline_log(struct conn *c, struct proto_frame *f)
{
	struct message		**all;
	struct log_cursor	 *lc;
	struct hook		**hooks;
	struct timeline_filters	  where;
	ssize_t			  nhooks;
	size_t			  n, i, nchosen = 0;
	int64_t			  limit, since, cutoff = 0;

	limit = 0;
	since = -1;
	if (proto_get_int(f->json, "limit", 0, INT64_MAX, &limit) ==
	    PROTO_INVALID) {
		control_invalid(c, f, "limit");
		return;
	}
	if (proto_get_int(f->json, "since_ms", 0, PROTO_MS_MAX, &since) ==
	    PROTO_INVALID) {
		control_invalid(c, f, "since_ms");
		return;
	}
	if (timeline_where(c, f, &where) == -1)
		return;
	if ((nhooks = timeline_hooks(c, f, &hooks)) == -1) {
		filter_free_list(where.filters, where.n);
		return;
	}
	if (since >= 0)
		cutoff = clock_wall_ms() - since;
	lc = xcalloc(1, sizeof *lc);
	lc->hooks = hooks;
	lc->nhooks = (size_t)nhooks;
	lc->where = where;
	all = store_messages(control_store(c), &n);
	/* Walk back from the newest; stop at the limit or the cutoff. */
	for (i = n; i > 0; i--) {
		if (limit > 0 && (int64_t)nchosen >= limit)
			break;
		if (!timeline_selected(all[i - 1], hooks, (size_t)nhooks))
			continue;
		if (since >= 0 &&
		    timeline_time(control_store(c), all[i - 1]) < cutoff)
			break;
		if (!timeline_match(control_store(c), all[i - 1], &where))
			continue;
		if (nchosen++ == 0)
			lc->last = all[i - 1]->seq;
		lc->next = all[i - 1]->seq;
	}
	if (nchosen == 0)
		lc->next = lc->last + 1;	/* nothing to send but the end */
	/* The chosen entries are the selected ones from next to last. */
	control_on_drained(c, timeline_log_step, timeline_log_free, lc);
	timeline_log_step(c, lc);
}

/* Reply to "show": the entry of message "seq". */
void
timeline_show(struct conn *c, struct proto_frame *f)
{
	struct message	*m;
	int64_t		 seq;
	char		*text;

	if (timeline_seq(c, f, &seq) == -1)
		return;
	if ((m = store_message(control_store(c), (uint64_t)seq)) == NULL ||
	    timeline_send_entry(c, m, NULL) == -1) {
		xasprintf(&text, "no message %lld in the journal", (long long)seq);
		control_error(c, EXIT_NOT_FOUND, text);
		free(text);
	}
}

/* Describe one hook for ls and resolve. */
static struct json_object *
timeline_hook(const struct hook *h)
{
	struct json_object	*o;
	char			*s;

	o = json_object_new_object();
	json_object_object_add(o, "name", h->name == NULL ? NULL :
	    json_object_new_string(h->name));
	s = envelope_hook_url(h);
	json_object_object_add(o, "url", json_object_new_string(s));
	free(s);
	json_object_object_add(o, "token", json_object_new_string(h->token));
	json_object_object_add(o, "received",
	    json_object_new_int64((int64_t)h->received));
	json_object_object_add(o, "queued",
	    json_object_new_int64((int64_t)h->queued));
	json_object_object_add(o, "state", json_object_new_string(
	    h->recovered ? "recovered" : h->closed ? "closed" : "open"));
	s = envelope_time(h->created_at);
	json_object_object_add(o, "created_at", json_object_new_string(s));
	free(s);
	/* Which checks, never with what secret. */
	if (h->verify != NULL) {
		json_object_object_add(o, "verify",
		    json_object_new_string(h->verify));
		s = duration_format((uint64_t)h->tolerance_ms);
		json_object_object_add(o, "tolerance", json_object_new_string(s));
		free(s);
		if (h->sigspec == NULL && !h->closed)
			json_object_object_add(o, "secret_missing",
			    json_object_new_boolean(1));
	}
	return (o);
}

/* Reply to "ls": every hook, oldest first. */
void
timeline_ls(struct conn *c, struct proto_frame *f)
{
	struct json_object	*r, *list, *tunnel;
	struct hook		*h;

	(void)f;
	list = json_object_new_array();
	TAILQ_FOREACH(h, store_hooks(control_store(c)), entry)
		json_object_array_add(list, timeline_hook(h));
	r = proto_reply(EXIT_OK, NULL);
	json_object_object_add(r, "hooks", list);
	/* So that ls can say the tunnel's URL changed, or is down. */
	if ((tunnel = envelope_tunnel()) != NULL)
		json_object_object_add(r, "tunnel_state", tunnel);
	control_reply(c, r, NULL, 0);
}

/* Reply to "resolve": name and URL of each listed hook, or 4. */
void
timeline_resolve(struct conn *c, struct proto_frame *f)
{
	struct json_object	*r, *list;
	struct hook		**hooks;
	ssize_t			  n, i;

	if ((n = timeline_hooks(c, f, &hooks)) == -1)
		return;
	list = json_object_new_array();
	for (i = 0; i < n; i++)
		json_object_array_add(list, timeline_hook(hooks[i]));
	r = proto_reply(EXIT_OK, NULL);
	json_object_object_add(r, "hooks", list);
	control_reply(c, r, NULL, 0);
	free(hooks);
}

/* Forget a subscriber. */
static void
timeline_tail_free(struct subscriber *sub)
{
	TAILQ_REMOVE(&subscribers, sub, entry);
	free(sub->hooks);
	free(sub->open);
	filter_free_list(sub->where.filters, sub->where.n);
	free(sub);
}

/*
 * Tell whether m has what its entry shows only once it is over: a
 * request we sent, its outcome; a held or forwarded one, its answer.
 */
static int
timeline_over(const struct message *m)
{
	if (m->hook == NULL)
		return (m->state == MESSAGE_SENT ||
		    m->state == MESSAGE_UNANSWERED);
	return (m->answer != 0);
}

/* Return the index of the first of sub's open entries not below seq. */
static size_t
timeline_open_find(const struct subscriber *sub, uint64_t seq)
{
	size_t	lo = 0, hi = sub->nopen, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if ((sub->open[mid] & ~TIMELINE_OPEN_SENT) < seq)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (lo);
}

/*
 * Tell whether the client of a resumed tail is owed m again: it printed
 * m open, awaiting its outcome or answer, which has come.  Its client
 * printed every other entry up to sub->printed as it is, or passed it by:
 * sent again, one would be printed twice.  Mark m sent: it is owed once.
 */
static int
timeline_owed(struct subscriber *sub, const struct message *m)
{
	size_t	lo;

	if (m->seq > sub->printed || !timeline_over(m) || sub->open == NULL)
		return (0);
	lo = timeline_open_find(sub, m->seq);
	if (lo == sub->nopen || sub->open[lo] != m->seq)
		return (0);
	sub->open[lo] |= TIMELINE_OPEN_SENT;
	return (1);
}

/*
 * Tell whether an outcome or answer m just got goes to a resumed tail
 * whose client printed m: when owed, or, to a client that knows no
 * "open" (an older fish tail, which says nothing of what it printed
 * open), whenever it comes, as it did before a client could say.
 */
static int
timeline_owed_now(struct subscriber *sub, const struct message *m)
{
	if (sub->open == NULL)
		return (m->seq <= sub->printed && timeline_over(m));
	return (timeline_owed(sub, m));
}

/*
 * Tell a tail's client that its filters passed m over: {"passed": SEQ},
 * with "open" when m awaits its outcome or answer, which they may match
 * (--status), so that the client keeps it as it keeps an entry printed
 * open; without, when m is over, so that it forgets it.
 */
static void
timeline_tail_passed(struct conn *c, const struct message *m, int open)
{
	struct json_object	*r;

	r = proto_reply(EXIT_OK, NULL);
	json_object_object_add(r, "passed",
	    json_object_new_int64((int64_t)m->seq));
	if (open)
		json_object_object_add(r, "open", json_object_new_boolean(1));
	control_reply(c, r, NULL, 0);
}

/*
 * Send m's entry to a tail, if its filters match it; if not, say that
 * they passed it over when its client keeps it or is to: an entry open
 * as the cursor passes it first (first), else one over.  Return as
 * timeline_send_entry.
 */
static int
timeline_tail_send(struct conn *c, struct subscriber *sub,
    const struct message *m, int first)
{
	int	ret;

	if ((ret = timeline_send_entry(c, m, &sub->where)) != 1)
		return (ret);
	if (first ? timeline_open(m) : timeline_over(m))
		timeline_tail_passed(c, m, first);
	return (ret);
}

static void	timeline_tail_step(struct conn *, void *);

/* Have a tail go on once c's output has drained. */
static void
timeline_tail_wait(struct conn *c, struct subscriber *sub)
{
	if (!sub->behind)
		control_on_drained(c, timeline_tail_step, NULL, sub);
	sub->behind = 1;
}

/*
 * Send a tail's entries from its cursor on while c's output stays small:
 * up to the first entry not yet durable, or above where the timeline is
 * complete, whose turn comes when that changes (timeline_notify).
 * Called again when c's output has drained, if it stopped for that.
 */
static void
timeline_tail_step(struct conn *c, void *arg)
{
	struct subscriber	 *sub = arg;
	struct message		**all, *m;
	size_t			  n, i, sent = 0, looked = 0;
	uint64_t		  complete = store_complete(control_store(c));

	/*
	 * First the outcomes a resumed tail's client is owed below where its
	 * cursor began, over already: the listener it lost may have died
	 * before it sent them, or the client before it read them.  Those
	 * above go as the cursor gets to them.  As many as it printed open,
	 * with their bodies: they wait for c's output to drain as entries do.
	 */
	while (sub->owed_next < sub->owed_end) {
		i = timeline_open_find(sub, sub->owed_next);
		if (i == sub->nopen ||
		    (sub->open[i] & ~TIMELINE_OPEN_SENT) >= sub->owed_end) {
			sub->owed_next = sub->owed_end;
			break;
		}
		if (sub->open[i] & TIMELINE_OPEN_SENT) {
			sub->owed_next = (sub->open[i] & ~TIMELINE_OPEN_SENT) +
			    1;
			continue;
		}
		if (control_pending(c) >= CONTROL_OUT_BOUND ||
		    looked >= LOG_STEP_MESSAGES) {
			timeline_tail_wait(c, sub);
			return;
		}
		sub->owed_next = sub->open[i] + 1;
		looked++;
		m = store_message(control_store(c), sub->open[i]);
		if (m != NULL && m->state != MESSAGE_PENDING &&
		    timeline_owed(sub, m) &&
		    timeline_selected(m, sub->hooks, sub->nhooks))
			timeline_tail_send(c, sub, m, 0);
	}
	all = store_messages(control_store(c), &n);
	for (i = store_message_index(control_store(c), sub->next); i < n;
	    i++) {
		m = all[i];
		if (m->state == MESSAGE_PENDING || m->seq > complete)
			break;
		if (control_pending(c) >= CONTROL_OUT_BOUND ||
		    sent >= LOG_STEP_ENTRIES || looked >= LOG_STEP_MESSAGES) {
			timeline_tail_wait(c, sub);
			return;
		}
		sub->next = m->seq + 1;
		looked++;
		if (m->seq > sub->printed) {
			if (timeline_selected(m, sub->hooks, sub->nhooks) &&
			    timeline_tail_send(c, sub, m, 1) == 0)
				sent++;
		} else if (timeline_owed(sub, m) &&
		    timeline_selected(m, sub->hooks, sub->nhooks) &&
		    timeline_tail_send(c, sub, m, 0) == 0)
			sent++;
	}
	/* Caught up: the next entries come as they become durable. */
	if (sub->behind)
		control_on_drained(c, NULL, NULL, NULL);
	sub->behind = 0;
}

/*
 * A message became durable, a request we sent has its outcome, or one
 * received has its answer, or (m NULL) the timeline is complete further:
 * move every tail on.  An outcome or an answer goes to the tails whose
 * cursor passed its entry already (a message that just became durable is
 * never behind a cursor: it is above where the timeline was complete);
 * the others send it with that entry.  But a resumed tail's client
 * printed every entry up to its "after" as the listener it lost had it:
 * of those, only one it printed open gets its outcome, once
 * (timeline_owed), whether its cursor passed it or not: a listener whose
 * follower is behind applies outcomes the client printed already, and
 * its cursor, stopped below the entry meanwhile (its output to drain, an
 * entry not yet durable), would pass over one the client never saw.
 */
static void
timeline_notify(struct message *m, void *arg)
{
	struct subscriber	*sub, *next;
	struct conn		*c;

	(void)arg;
	TAILQ_FOREACH_SAFE(sub, &subscribers, entry, next) {
		if ((c = control_find(sub->conn_id)) == NULL) {
			timeline_tail_free(sub);
			continue;
		}
		if (m != NULL && m->seq < sub->next) {
			if ((m->seq > sub->printed ||
			    timeline_owed_now(sub, m)) &&
			    timeline_selected(m, sub->hooks, sub->nhooks))
				timeline_tail_send(c, sub, m, 0);
			continue;
		}
		if (m != NULL && timeline_owed_now(sub, m) &&
		    timeline_selected(m, sub->hooks, sub->nhooks))
			timeline_tail_send(c, sub, m, 0);
		if (!sub->behind)
			timeline_tail_step(c, sub);
	}
}

/* Follow the timeline of store: tails move on as messages become durable. */
void
timeline_start(struct store *store)
{
	store_observe(store, timeline_notify, NULL);
}

/*
 * The listener is stopping: tell every subscriber, so that tail ends rather
 * than restarting it as it would after a crash.
 */
void
timeline_stop(void)
{
	struct subscriber	*sub;
	struct conn		*c;
	char			*text;

	text = listener_stopped_line();
	while ((sub = TAILQ_FIRST(&subscribers)) != NULL) {
		if ((c = control_find(sub->conn_id)) != NULL) {
			if (sub->behind)
				control_on_drained(c, NULL, NULL, NULL);
			control_error(c, EXIT_UNAVAILABLE, text);
		}
		timeline_tail_free(sub);
	}
	free(text);
}

/*
 * Return where a tail that starts now begins: after every entry that is
 * durable.  Those not yet durable are the last of the index.  A
 * replicated store's have provisional numbers (above every real one, see
 * store-redis-send.c) until Redis gives them theirs: the tail begins at
 * the next real number then, never past it: a client that loses its
 * listener resumes after the greater of this and the last entry it
 * printed, and told 2^62 it would skip every entry that came meanwhile.
 * Nor does it begin above where the timeline is complete: an entry below
 * that may come yet (timeline_tail_step).
 */
static uint64_t
timeline_now(struct store *store)
{
	struct message	**all;
	size_t		  n, i;
	uint64_t	  next = store_next_seq(store), now;
	uint64_t	  complete = store_complete(store);

	all = store_messages(store, &n);
	for (i = n; i > 0 && all[i - 1]->state == MESSAGE_PENDING; i--)
		;
	now = i == n || all[i]->seq > next ? next : all[i]->seq;
	return (complete < now ? complete + 1 : now);
}

/* Order sequence numbers, for qsort. */
static int
timeline_seq_cmp(const void *a, const void *b)
{
	uint64_t	x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x < y ? -1 : x > y);
}

/*
 * Get the request's "open": the entries up to "after" its client printed
 * open, awaiting their outcome or answer, into sub, sorted.  Return 0, or
 * -1 after answering 2 when it is not a list of at most
 * TIMELINE_OPEN_MAX sequence numbers up to "after".
 */
static int
timeline_tail_open(struct conn *c, struct proto_frame *f,
    struct subscriber *sub, int64_t after)
{
	struct json_object	*list, *v;
	size_t			 i, n, j;
	int64_t			 seq;

	if (!json_object_object_get_ex(f->json, "open", &list))
		return (0);
	if (!json_object_is_type(list, json_type_array) ||
	    (n = json_object_array_length(list)) > TIMELINE_OPEN_MAX ||
	    (n > 0 && after < 0))
		goto invalid;
	sub->open = xcalloc(n == 0 ? 1 : n, sizeof *sub->open);
	for (i = 0; i < n; i++) {
		v = json_object_array_get_idx(list, i);
		if (!json_object_is_type(v, json_type_int) ||
		    (seq = json_object_get_int64(v)) < 1 || seq > after)
			goto invalid;
		sub->open[i] = (uint64_t)seq;
	}
	/*
	 * The client sends them sorted, but another may not: sorting as
	 * they came would take as many steps as their square.
	 */
	if (n > 1)
		qsort(sub->open, n, sizeof *sub->open, timeline_seq_cmp);
	for (i = 0, j = 0; i < n; i++)
		if (j == 0 || sub->open[j - 1] != sub->open[i])
			sub->open[j++] = sub->open[i];
	sub->nopen = j;
	return (0);
invalid:
	control_invalid(c, f, "open");
	return (-1);
}

/*
 * Reply to "tail": acknowledge with "after", the sequence number after
 * which it starts: the request's own "after" (the last entry its client
 * printed), or the last durable one.  Then send the entry of every message
 * after it, those in the journal first, until the client goes away.  A
 * cursor after the request's "after" would send entries that come below
 * it, with Redis while this store's follower is behind the one of the
 * listener the client printed them from, as outcomes: printed twice.  It
 * begins where the timeline is complete, if that is before, and passes
 * over what the client printed.
 */
void
timeline_tail(struct conn *c, struct proto_frame *f)
{
	struct subscriber	*sub;
	struct json_object	*r;
	struct hook		**hooks;
	struct timeline_filters	  where;
	ssize_t			  n;
	int64_t			  after = -1;

	if (proto_get_int(f->json, "after", -1, INT64_MAX - 1, &after) ==
	    PROTO_INVALID) {
		control_invalid(c, f, "after");
		return;
	}
	if (timeline_where(c, f, &where) == -1)
		return;
	if ((n = timeline_hooks(c, f, &hooks)) == -1) {
		filter_free_list(where.filters, where.n);
		return;
	}
	sub = xcalloc(1, sizeof *sub);
	sub->conn_id = control_id(c);
	sub->hooks = hooks;
	sub->nhooks = (size_t)n;
	sub->where = where;
	sub->next = timeline_now(control_store(c));
	if (timeline_tail_open(c, f, sub, after) == -1) {
		free(sub->open);
		free(sub->hooks);
		filter_free_list(sub->where.filters, sub->where.n);
		free(sub);
		return;
	}
	if (after >= 0) {
		sub->printed = (uint64_t)after;
		if (sub->next > sub->printed + 1)
			sub->next = sub->printed + 1;
	}
	TAILQ_INSERT_TAIL(&subscribers, sub, entry);
	r = proto_reply(EXIT_OK, NULL);
	json_object_object_add(r, "after", json_object_new_int64(after >= 0 ?
	    after : (int64_t)(sub->next - 1)));
	control_reply(c, r, NULL, 0);
	control_streaming(c);
	if (sub->open != NULL) {
		sub->owed_next = 1;
		sub->owed_end = sub->next;
	}
	timeline_tail_step(c, sub);
}
