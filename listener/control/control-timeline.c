/*
 * Timeline requests (see timeline.h).
 *
 * Entries are envelopes: for a received message the same object wait
 * --json prints (without the body) plus "direction": "received"; for a sent
 * request the envelope of envelope_sent plus "direction": "sent".  Each
 * entry travels in its own frame with the body bytes as payload (for a sent
 * request: the request body, then the response body), and a log ends with
 * a frame {"end": true}.  The in-memory index finds messages by sequence
 * number, so the cost of a log is that of the entries it prints, not of the
 * journal's size.  A log's entries are sent as its client reads them, a
 * part whenever less than CONTROL_OUT_BOUND waits to be written, so a slow
 * or stopped reader holds little of them in the listener's memory.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "control.h"
#include "duration.h"
#include "envelope.h"
#include "hook.h"
#include "httpc.h"
#include "journal.h"
#include "listener.h"
#include "message.h"
#include "outbound.h"
#include "proto.h"
#include "control-timeline.h"
#include "xmalloc.h"

struct subscriber {
	uint64_t	  conn_id;
	struct hook	**hooks;
	size_t		  nhooks;
};

static struct subscriber	*subscribers;
static size_t			 nsubscribers;

/*
 * Resolve the request's "hooks" list.  Return the number found (0 for an
 * absent or empty list, meaning every hook), or -1 after replying 4 for an
 * unknown one.
 */
static ssize_t
timeline_hooks(struct conn *c, struct proto_frame *f, struct hook ***hooks)
{
	struct json_object	*list;
	const char		*handle;
	char			*text;
	size_t			 i, n;

	*hooks = NULL;
	if (!json_object_object_get_ex(f->json, "hooks", &list) ||
	    !json_object_is_type(list, json_type_array) ||
	    (n = json_object_array_length(list)) == 0)
		return (0);
	*hooks = xcalloc(n, sizeof **hooks);
	for (i = 0; i < n; i++) {
		handle = json_object_get_string(json_object_array_get_idx(list,
		    i));
		if (handle == NULL || ((*hooks)[i] = hook_find(handle)) == NULL) {
			xasprintf(&text, "no such hook '%s'", handle == NULL ?
			    "" : handle);
			control_error(c, EXIT_NOT_FOUND, text);
			free(text);
			free(*hooks);
			*hooks = NULL;
			return (-1);
		}
	}
	return ((ssize_t)n);
}

/* Tell whether message m belongs to one of hooks (all when n is 0). */
static int
timeline_selected(const struct message *m, struct hook **hooks, size_t n)
{
	size_t	i;

	if (n == 0)
		return (1);
	for (i = 0; i < n; i++) {
		if (m->hook == hooks[i])
			return (1);
	}
	return (0);
}

/* Build the entry of message m from its record. */
static struct json_object *
timeline_entry(const struct message *m, const struct journal_record *rec)
{
	struct json_object	*e;

	if (m->hook != NULL) {
		e = envelope_new(rec->json, m->hook);
		json_object_object_add(e, "direction",
		    json_object_new_string("received"));
		json_object_object_add(e, "state", json_object_new_string(
		    m->state == MESSAGE_TAKEN ? "taken" :
		    m->state == MESSAGE_REJECTED ? "rejected" : "queued"));
	} else {
		e = envelope_sent(rec->json);
		json_object_object_add(e, "direction",
		    json_object_new_string("sent"));
	}
	return (e);
}

/* Send message m's entry to c as a frame; return -1 if unreadable. */
static int
timeline_send_entry(struct conn *c, const struct message *m)
{
	struct journal_record	 rec;
	struct json_object	*r;
	char			*cause;

	if (journal_read(listener.journal, m->offset, &rec, &cause) == -1) {
		free(cause);
		return (-1);
	}
	r = proto_reply(EXIT_OK, NULL);
	json_object_object_add(r, "entry", timeline_entry(m, &rec));
	control_reply(c, r, rec.body, rec.body_len);
	journal_record_release(&rec);
	return (0);
}

/*
 * Return when message m joined the timeline (unix ms), reading its record.
 * A sent request gets its seq when it finishes, so its time is then, not
 * sent_at: times must grow with seq for log --since to stop at the first
 * older one.
 */
static int64_t
timeline_time(const struct message *m)
{
	struct journal_record	 rec;
	char			*cause;
	int64_t			 when;

	if (journal_read(listener.journal, m->offset, &rec, &cause) == -1) {
		free(cause);
		return (0);
	}
	if (m->hook != NULL)
		when = proto_int(rec.json, "received_at", 0);
	else
		when = proto_int(rec.json, "sent_at", 0) +
		    proto_int(rec.json, "time_ms", 0);
	journal_record_release(&rec);
	return (when);
}

/*
 * A log in progress: the entries still to send are those of the selected
 * hooks with sequence numbers from next to last.  It holds sequence numbers,
 * not messages, since retention may forget a message meanwhile; such a
 * message is skipped.
 */
struct log_cursor {
	uint64_t	  next;
	uint64_t	  last;
	struct hook	**hooks;
	size_t		  nhooks;
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
	free(lc);
}

/* Return the index in all (n messages) of the first with seq >= seq. */
static size_t
timeline_lower_bound(struct message **all, size_t n, uint64_t seq)
{
	size_t	lo = 0, hi = n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (all[mid]->seq < seq)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (lo);
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

	all = message_all(&n);
	i = timeline_lower_bound(all, n, lc->next);
	for (; i < n && all[i]->seq <= lc->last; i++) {
		if (control_pending(c) >= CONTROL_OUT_BOUND ||
		    sent >= LOG_STEP_ENTRIES || looked >= LOG_STEP_MESSAGES)
			return;
		m = all[i];
		lc->next = m->seq + 1;
		looked++;
		if (timeline_selected(m, lc->hooks, lc->nhooks) &&
		    timeline_send_entry(c, m) == 0)
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
	ssize_t			  nhooks;
	size_t			  n, i, nchosen = 0;
	int64_t			  limit, since, cutoff = 0;

	if ((nhooks = timeline_hooks(c, f, &hooks)) == -1)
		return;
	limit = proto_int(f->json, "limit", 0);
	since = proto_int(f->json, "since_ms", -1);
	if (since >= 0)
		cutoff = listener_wallclock() - since;
	lc = xcalloc(1, sizeof *lc);
	lc->hooks = hooks;
	lc->nhooks = (size_t)nhooks;
	all = message_all(&n);
	/* Walk back from the newest; stop at the limit or the cutoff. */
	for (i = n; i > 0; i--) {
		if (limit > 0 && (int64_t)nchosen >= limit)
			break;
		if (!timeline_selected(all[i - 1], hooks, (size_t)nhooks))
			continue;
		if (since >= 0 && timeline_time(all[i - 1]) < cutoff)
			break;
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
	int64_t		 seq = proto_int(f->json, "seq", -1);
	char		*text;

	if (seq < 0 || (m = message_find((uint64_t)seq)) == NULL ||
	    timeline_send_entry(c, m) == -1) {
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
	struct json_object	*r, *list;
	struct hook		*h;

	(void)f;
	list = json_object_new_array();
	TAILQ_FOREACH(h, hook_all(), entry)
		json_object_array_add(list, timeline_hook(h));
	r = proto_reply(EXIT_OK, NULL);
	json_object_object_add(r, "hooks", list);
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

/* A message joined the timeline: send it to every live subscriber. */
static void
timeline_notify(struct message *m)
{
	struct subscriber	*s;
	struct conn		*c;
	size_t			 i = 0;

	while (i < nsubscribers) {
		s = &subscribers[i];
		if ((c = control_find(s->conn_id)) == NULL) {
			free(s->hooks);
			subscribers[i] = subscribers[--nsubscribers];
			continue;
		}
		if (timeline_selected(m, s->hooks, s->nhooks))
			timeline_send_entry(c, m);
		i++;
	}
}

/*
 * The listener is stopping: tell every subscriber, so that tail ends rather
 * than restarting it as it would after a crash.
 */
void
timeline_stop(void)
{
	struct conn	*c;
	size_t		 i;
	char		*text;

	xasprintf(&text, "session '%s' was stopped", listener.session.name);
	for (i = 0; i < nsubscribers; i++) {
		if ((c = control_find(subscribers[i].conn_id)) != NULL)
			control_error(c, EXIT_UNAVAILABLE, text);
		free(subscribers[i].hooks);
	}
	free(text);
	free(subscribers);
	subscribers = NULL;
	nsubscribers = 0;
}

/*
 * Reply to "tail": acknowledge, then send the entry of every message that
 * joins the timeline until the client goes away.
 */
void
timeline_tail(struct conn *c, struct proto_frame *f)
{
	struct subscriber	*s;
	struct hook		**hooks;
	ssize_t			  n;

	if ((n = timeline_hooks(c, f, &hooks)) == -1)
		return;
	subscribers = xreallocarray(subscribers, nsubscribers + 1,
	    sizeof *subscribers);
	s = &subscribers[nsubscribers++];
	s->conn_id = control_id(c);
	s->hooks = hooks;
	s->nhooks = (size_t)n;
	message_observe(timeline_notify);
	control_reply(c, proto_reply(EXIT_OK, NULL), NULL, 0);
}

/* Tell whether a recorded header should not be sent again as it was. */
static int
timeline_hop_header(const char *name)
{
	static const char *const hop[] = {
		"host", "content-length", "connection", "transfer-encoding",
		"expect", "keep-alive", "te", "upgrade",
	};
	size_t	i;

	for (i = 0; i < sizeof hop / sizeof hop[0]; i++) {
		if (strcasecmp(name, hop[i]) == 0)
			return (1);
	}
	return (0);
}

/*
 * Reply to "replay": send message "seq" again.  A received request goes to
 * its hook (through our own listen address, whatever the public URL), or
 * below "to" with its path and query; a sent one to its URL or to "to".
 */
void
timeline_replay(struct conn *c, struct proto_frame *f)
{
	struct journal_record	 rec;
	struct httpc_request	 req;
	struct json_object	*list, *headers, *pair;
	struct message		*m;
	const char		*to = proto_string(f->json, "to");
	const char		*path, *query;
	int64_t			 seq = proto_int(f->json, "seq", -1);
	uint64_t		*conn_id;
	char			*url, *text, *cause;
	size_t			 i, n;

	if (seq < 0 || (m = message_find((uint64_t)seq)) == NULL ||
	    journal_read(listener.journal, m->offset, &rec, &cause) == -1) {
		xasprintf(&text, "no message %lld in the journal", (long long)seq);
		control_error(c, EXIT_NOT_FOUND, text);
		free(text);
		return;
	}
	memset(&req, 0, sizeof req);
	req.method = proto_string(rec.json, "method");
	req.body = rec.body;
	req.body_len = rec.body_len;
	req.timeout_ms = proto_int(f->json, "timeout_ms", 30000);
	if (m->hook != NULL) {
		path = proto_string(rec.json, "path");
		query = proto_string(rec.json, "query");
		if (path == NULL || strcmp(path, "/") == 0)
			path = "";
		if (to != NULL)
			xasprintf(&url, "%s%s%s%s", to, path,
			    query != NULL && *query != '\0' ? "?" : "",
			    query != NULL ? query : "");
		else
			xasprintf(&url, "http://%s/%s%s%s%s", listener.listen,
			    m->hook->token, path,
			    query != NULL && *query != '\0' ? "?" : "",
			    query != NULL ? query : "");
	} else {
		url = xstrdup(to != NULL ? to : proto_string(rec.json, "url"));
		req.body_len = (size_t)proto_int(rec.json, "request_body_len",
		    0);
		if (req.body_len > rec.body_len)
			req.body_len = rec.body_len;
	}
	req.url = url;
	headers = json_object_new_array();
	list = NULL;
	json_object_object_get_ex(rec.json, "headers", &list);
	n = list == NULL ? 0 : json_object_array_length(list);
	for (i = 0; i < n; i++) {
		pair = json_object_array_get_idx(list, i);
		if (!timeline_hop_header(json_object_get_string(
		    json_object_array_get_idx(pair, 0))))
			json_object_array_add(headers, json_object_get(pair));
	}
	req.headers = headers;
	conn_id = xmalloc(sizeof *conn_id);
	*conn_id = control_id(c);
	outbound_send(&req, 0, control_send_done, NULL, conn_id);
	json_object_put(headers);
	free(url);
	journal_record_release(&rec);
}
