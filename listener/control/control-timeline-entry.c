/*
 * The entries of the timeline (control-timeline.c): which messages a log or
 * tail selects, whether they pass its filters, and each entry's envelope,
 * built from the message's record and sent in its own frame (see the top
 * of control-timeline.c for what an entry holds).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "answer.h"
#include "control.h"
#include "control-timeline-private.h"
#include "envelope.h"
#include "filter.h"
#include "hook.h"
#include "journal.h"
#include "jsonptr.h"
#include "message.h"
#include "proto.h"
#include "store.h"
#include "xmalloc.h"

/* The largest body looked into for the event it names. */
#define TIMELINE_EVENT_BODY_MAX	(1U << 20)

/* Tell whether message m belongs to one of hooks (all when n is 0). */
int
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

/* Tell whether message m was received (or refused), not sent. */
static int
timeline_received(const struct message *m)
{
	return (m->hook != NULL || m->refused);
}

/*
 * Tell whether m's entry shows it waiting for what its entry shows later:
 * a request we sent still under way, its outcome; a held or forwarded
 * one received, its answer.  A tail's frame says so ("open"): its client
 * keeps those it printed, and a listener it resumes on sends each again
 * once it is over, and no other it printed (control-timeline.c).
 */
int
timeline_open(const struct message *m)
{
	if (!timeline_received(m))
		return (m->state == MESSAGE_SENDING);
	return (!m->refused && m->state != MESSAGE_REJECTED &&
	    m->answer == 0 && (m->hook->hold || m->hook->forward_to != NULL));
}

/*
 * Return the event a received message names, or NULL (caller frees): in
 * a header, else in a JSON body not too large to look into.
 */
static char *
timeline_event(const struct journal_record *rec)
{
	struct json_object	*body;
	char			*event, *cause;

	if ((event = filter_event(rec->json, NULL)) != NULL ||
	    rec->body_len == 0 || rec->body_len > TIMELINE_EVENT_BODY_MAX ||
	    memchr(rec->body, '{', rec->body_len < 64 ? rec->body_len : 64) ==
	    NULL)
		return (event);
	body = jsonptr_parse(rec->body, rec->body_len, &cause);
	free(cause);
	event = filter_event(rec->json, body);
	json_object_put(body);
	return (event);
}

/*
 * Return the headers of list ([[name, value], ...]) that a relayed answer
 * keeps (answer_relay leaves out those of the connection).
 */
static struct json_object *
timeline_relayed_headers(struct json_object *list)
{
	struct json_object	*kept, *pair;
	const char		*name;
	size_t			 i;

	kept = json_object_new_array();
	for (i = 0; json_object_is_type(list, json_type_array) &&
	    i < json_object_array_length(list); i++) {
		pair = json_object_array_get_idx(list, i);
		name = json_object_get_string(json_object_array_get_idx(pair,
		    0));
		if (name != NULL && !answer_hop_header(name))
			json_object_array_add(kept, json_object_get(pair));
	}
	return (kept);
}

/*
 * Give a, the answer record of a forwarded request, the body and headers
 * of the app's answer when fish relayed it.  They are journaled once, as
 * the response of the forward's type-4 record (the message forward_seq
 * names), so they are read from there, after the forward's request body.
 * An answer fish made itself (502, 503) has its own body in a, and one
 * whose forward is gone from the journal stays without a body.
 */
static void
timeline_forwarded(struct store *store, struct journal_record *a)
{
	struct journal_record	 fwd;
	struct json_object	*list;
	struct message		*m;
	const char		*outcome = proto_string(a->json, "outcome");
	int64_t			 seq = proto_int(a->json, "forward_seq", -1);
	int64_t			 n;
	char			*cause;

	if (outcome == NULL || strcmp(outcome, "forwarded") != 0 ||
	    a->body_len > 0 || seq < 0 ||
	    (m = store_message(store, (uint64_t)seq)) == NULL ||
	    m->hook != NULL || m->refused || m->state != MESSAGE_SENT)
		return;
	if (store_read(store, m, &fwd, &cause) == -1) {
		free(cause);
		return;
	}
	n = proto_int(fwd.json, "request_body_len", -1);
	if (proto_int(fwd.json, "status", -1) == EXIT_OK &&
	    proto_int(fwd.json, "http_status", -1) ==
	    proto_int(a->json, "status", -2) && n >= 0 &&
	    (uint64_t)n <= fwd.body_len) {
		if ((uint64_t)n < fwd.body_len) {
			/* The response's bytes follow the request's. */
			free(a->storage);
			a->storage = fwd.storage;
			a->body = fwd.body + n;
			a->body_len = fwd.body_len - (size_t)n;
			fwd.storage = NULL;
		}
		if (!json_object_object_get_ex(a->json, "headers", NULL) &&
		    json_object_object_get_ex(fwd.json, "response_headers",
		    &list))
			json_object_object_add(a->json, "headers",
			    timeline_relayed_headers(list));
	}
	journal_record_release(&fwd);
}

/*
 * Add to the record of received message m (rec->json) the HTTP status it
 * was answered with, when known, as "http_status"; read its answer record
 * into answer and return 1 if it was held or forwarded and has been
 * answered, else return 0.
 */
static int
timeline_status(struct store *store, const struct message *m,
    struct journal_record *rec, struct journal_record *answer)
{
	int64_t	 status = -1;
	int	 answered = 0;
	char	*cause;

	if (m->refused)
		status = proto_int(rec->json, "status", -1);
	else if (m->state == MESSAGE_REJECTED)
		status = 401;
	else if (store_read_answer(store, m, answer, &cause) == 0) {
		status = proto_int(answer->json, "status", -1);
		answered = 1;
	} else if (m->answer != 0)
		free(cause);
	else if (!m->hook->hold && m->hook->forward_to == NULL)
		status = m->hook->status == 0 ? 200 : m->hook->status;
	if (status >= 0)
		json_object_object_add(rec->json, "http_status",
		    json_object_new_int64(status));
	return (answered);
}

/*
 * Tell whether the body of answer a fits in an entry's frame after the
 * request's body of len bytes.
 */
static int
timeline_answer_fits(const struct journal_record *a, size_t len)
{
	return (a->body_len > 0 && a->body_len <= PROTO_PAYLOAD_MAX &&
	    len <= PROTO_PAYLOAD_MAX - a->body_len);
}

/*
 * Describe how a held or forwarded request was answered, from its answer
 * record a: "body_size" is its body's size, and "body_len" how many bytes
 * of it follow the request's body (of len bytes) in the entry's frame:
 * all of them, or none when both would not fit in one.
 */
static struct json_object *
timeline_answer(const struct journal_record *ar, size_t len)
{
	struct json_object	*a, *list = NULL, *o = ar->json;
	char			*s;

	a = json_object_new_object();
	json_object_object_add(a, "outcome", json_object_new_string(
	    proto_string(o, "outcome") == NULL ? "" :
	    proto_string(o, "outcome")));
	json_object_object_add(a, "status",
	    json_object_new_int64(proto_int(o, "status", 0)));
	json_object_object_get_ex(o, "headers", &list);
	json_object_object_add(a, "headers", envelope_headers(list));
	if (proto_int(o, "forward_seq", -1) >= 0)
		json_object_object_add(a, "forward_seq",
		    json_object_new_int64(proto_int(o, "forward_seq", 0)));
	s = envelope_time(proto_int(o, "answered_at", 0));
	json_object_object_add(a, "answered_at", json_object_new_string(s));
	free(s);
	if (ar->body_len > 0) {
		json_object_object_add(a, "body_size",
		    json_object_new_int64((int64_t)ar->body_len));
		json_object_object_add(a, "body_len", json_object_new_int64(
		    timeline_answer_fits(ar, len) ? (int64_t)ar->body_len : 0));
	}
	return (a);
}

/*
 * Build the entry of message m from its record (as timeline_read reads
 * it), and answer, the record of how it was answered, or NULL.
 */
static struct json_object *
timeline_entry(const struct message *m, const struct journal_record *rec,
    const struct journal_record *answer)
{
	struct json_object	*e;
	const char		*state = "sent";
	char			*event;

	if (timeline_received(m)) {
		e = envelope_new(rec->json, m->hook);
		json_object_object_add(e, "direction",
		    json_object_new_string("received"));
		json_object_object_add(e, "state", json_object_new_string(
		    m->refused ? "refused" :
		    m->state == MESSAGE_TAKEN ? "taken" :
		    m->state == MESSAGE_REJECTED ? "rejected" : "queued"));
		if (m->refused)
			json_object_object_add(e, "refused",
			    json_object_new_string(
			    proto_string(rec->json, "reason") == NULL ? "" :
			    proto_string(rec->json, "reason")));
		if (proto_int(rec->json, "http_status", -1) >= 0)
			json_object_object_add(e, "http_status",
			    json_object_new_int64(proto_int(rec->json,
			    "http_status", 0)));
		if ((event = timeline_event(rec)) != NULL) {
			json_object_object_add(e, "event",
			    json_object_new_string(event));
			free(event);
		}
		if (answer != NULL)
			json_object_object_add(e, "answer",
			    timeline_answer(answer, rec->body_len));
		return (e);
	}
	e = envelope_sent(rec->json);
	json_object_object_add(e, "direction", json_object_new_string("sent"));
	if (m->state != MESSAGE_SENT) {
		/* No outcome: none of its fields. */
		json_object_object_del(e, "http_status");
		json_object_object_del(e, "response_headers");
		json_object_object_del(e, "time_ms");
		json_object_object_del(e, "status");
		state = "sending";
	}
	if (m->state == MESSAGE_UNANSWERED) {
		/* It may have reached the server: nobody can tell. */
		json_object_object_add(e, "status",
		    json_object_new_int(EXIT_UNAVAILABLE));
		json_object_object_add(e, "error", json_object_new_string(
		    "no answer recorded: the listener stopped"));
		state = "unanswered";
	}
	json_object_object_add(e, "state", json_object_new_string(state));
	return (e);
}

/*
 * Read message m's record into rec, with the "http_status" it was
 * answered with when known (see timeline_status), and the record of its
 * answer into answer.  Return -1 if it is unreadable; else 1 if it has an
 * answer record (the caller releases both), 0 if not.
 */
static int
timeline_read(struct store *store, const struct message *m,
    struct journal_record *rec, struct journal_record *answer)
{
	char	*cause;

	if (store_read(store, m, rec, &cause) == -1) {
		free(cause);
		return (-1);
	}
	if (timeline_received(m))
		return (timeline_status(store, m, rec, answer));
	return (0);
}

/* Tell whether a message, read into rec, passes the filters wf. */
static int
timeline_passes(const struct message *m, const struct journal_record *rec,
    const struct timeline_filters *wf)
{
	size_t	len = rec->body_len;

	if (wf == NULL || wf->n == 0)
		return (1);
	/* A sent request's body is followed by its response's. */
	if (!timeline_received(m) && proto_int(rec->json, "request_body_len",
	    0) >= 0 && (uint64_t)proto_int(rec->json, "request_body_len", 0) <
	    len)
		len = (size_t)proto_int(rec->json, "request_body_len", 0);
	return (filter_match(wf->filters, wf->n, rec->json, rec->body, len));
}

/*
 * Tell whether message m passes the filters wf, reading it; an unreadable
 * one does not.
 */
int
timeline_match(struct store *store, const struct message *m,
    const struct timeline_filters *wf)
{
	struct journal_record	 rec, answer;
	int			 pass, answered;

	if (wf == NULL || wf->n == 0)
		return (1);
	if ((answered = timeline_read(store, m, &rec, &answer)) == -1)
		return (0);
	pass = timeline_passes(m, &rec, wf);
	if (answered)
		journal_record_release(&answer);
	journal_record_release(&rec);
	return (pass);
}

/*
 * Send message m's entry to c as a frame, if it passes the filters wf
 * (NULL: none).  Return 0 if sent, 1 if filtered out, -1 if unreadable.
 * The frame's payload is the message's body, then that of the answer to
 * a held or forwarded request, when it has one and both fit (see
 * timeline_answer; a relayed answer's body is the forward's, see
 * timeline_forwarded).
 */
int
timeline_send_entry(struct conn *c, const struct message *m,
    const struct timeline_filters *wf)
{
	struct journal_record	 rec, answer;
	struct json_object	*r;
	char			*both;
	int			 ret = 1, answered;

	if ((answered = timeline_read(control_store(c), m, &rec, &answer)) ==
	    -1)
		return (-1);
	if (timeline_passes(m, &rec, wf)) {
		if (answered)
			timeline_forwarded(control_store(c), &answer);
		r = proto_reply(EXIT_OK, NULL);
		json_object_object_add(r, "entry", timeline_entry(m, &rec,
		    answered ? &answer : NULL));
		if (timeline_open(m))
			json_object_object_add(r, "open",
			    json_object_new_boolean(1));
		if (answered && timeline_answer_fits(&answer, rec.body_len)) {
			both = xmalloc(rec.body_len + answer.body_len);
			if (rec.body_len > 0)
				memcpy(both, rec.body, rec.body_len);
			memcpy(both + rec.body_len, answer.body,
			    answer.body_len);
			control_reply(c, r, both, rec.body_len +
			    answer.body_len);
			free(both);
		} else
			control_reply(c, r, rec.body, rec.body_len);
		ret = 0;
	}
	if (answered)
		journal_record_release(&answer);
	journal_record_release(&rec);
	return (ret);
}

/*
 * Return when message m joined the timeline (unix ms), reading its record:
 * times must grow with seq for log --since to stop at the first older one.
 * A request we send takes its seq when it starts, so its time is sent_at;
 * a whole record took its seq when the request ended, so its time is then.
 */
int64_t
timeline_time(struct store *store, const struct message *m)
{
	struct journal_record	 rec;
	char			*cause;
	int64_t			 when;

	if (store_read(store, m, &rec, &cause) == -1) {
		free(cause);
		return (0);
	}
	if (timeline_received(m))
		when = proto_int(rec.json, "received_at", 0);
	else if (rec.type == JOURNAL_MESSAGE_SENDING)
		when = proto_int(rec.json, "sent_at", 0);
	else
		when = proto_int(rec.json, "sent_at", 0) +
		    proto_int(rec.json, "time_ms", 0);
	journal_record_release(&rec);
	return (when);
}
