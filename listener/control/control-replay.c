/*
 * Timeline requests: replay (see control-timeline.h).  A received request
 * is sent again to its hook, through our own listen address whatever the
 * public URL (envelope_hook_local builds where, over TLS too), or below
 * another URL; a sent one to its URL or another.  Either goes out as any
 * send does (outbound_send): journaled before it leaves, its outcome
 * joining the timeline.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "control.h"
#include "control-timeline.h"
#include "envelope.h"
#include "httpc.h"
#include "journal.h"
#include "message.h"
#include "outbound.h"
#include "proto.h"
#include "store.h"
#include "xmalloc.h"

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
 * Read message seq to replay it into rec.  Return it, or NULL once the
 * error is sent: there is no such message, or it was rejected or refused,
 * so its body was not kept.
 */
static struct message *
timeline_replay_read(struct conn *c, int64_t seq, struct journal_record *rec)
{
	struct message	*m;
	char		*text, *cause;

	if ((m = store_message(control_store(c), (uint64_t)seq)) == NULL ||
	    store_read(control_store(c), m, rec, &cause) == -1) {
		if (m != NULL)
			free(cause);
		xasprintf(&text, "no message %lld in the journal", (long long)seq);
		control_error(c, EXIT_NOT_FOUND, text);
		free(text);
		return (NULL);
	}
	/* A refused request is journaled as a bounded head, without body. */
	if (m->refused) {
		control_error(c, EXIT_FAILED, "it was refused and its body "
		    "was not kept, so it cannot be replayed");
		journal_record_release(rec);
		return (NULL);
	}
	/* A rejected request is journaled as a bounded head, without body. */
	if (proto_string(rec->json, "body_sha256") != NULL) {
		control_error(c, EXIT_FAILED, "it was rejected and its body "
		    "was not kept, so it cannot be replayed");
		journal_record_release(rec);
		return (NULL);
	}
	return (m);
}

/*
 * Return the recorded headers of rec to send again: all but those of the
 * connection it came on (a new reference).
 */
static struct json_object *
timeline_replay_headers(struct json_object *rec)
{
	struct json_object	*headers, *list = NULL, *pair;
	size_t			 i, n;

	headers = json_object_new_array();
	json_object_object_get_ex(rec, "headers", &list);
	n = list == NULL ? 0 : json_object_array_length(list);
	for (i = 0; i < n; i++) {
		pair = json_object_array_get_idx(list, i);
		if (!timeline_hop_header(json_object_get_string(
		    json_object_array_get_idx(pair, 0))))
			json_object_array_add(headers, json_object_get(pair));
	}
	return (headers);
}

/*
 * Fill in where a replay of received message m (recorded as rec) goes:
 * below "to" if given, else to its own hook, through our own listen
 * address (envelope_hook_local), with its path and query.
 */
static void
timeline_replay_to_hook(const struct message *m, struct json_object *rec,
    const char *to, struct envelope_local *l)
{
	const char	*path, *query;
	char		*suffix;

	path = proto_string(rec, "path");
	query = proto_string(rec, "query");
	if (path == NULL || strcmp(path, "/") == 0)
		path = "";
	xasprintf(&suffix, "%s%s%s", path,
	    query != NULL && *query != '\0' ? "?" : "",
	    query != NULL ? query : "");
	if (to != NULL) {
		memset(l, 0, sizeof *l);
		xasprintf(&l->url, "%s%s", to, suffix);
	} else
		envelope_hook_local(m->hook, suffix, l);
	free(suffix);
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
	struct envelope_local	 local;
	struct message		*m;
	const char		*to = NULL, *proxy_https = NULL;
	int64_t			 seq, timeout_ms = 30000;
	uint64_t		*conn_id;

	if (timeline_seq(c, f, &seq) == -1)
		return;
	if (proto_get_string(f->json, "to", 1, CONTROL_URL_MAX, &to) ==
	    PROTO_INVALID) {
		control_invalid(c, f, "to");
		return;
	}
	if (proto_get_int(f->json, "timeout_ms", 1, PROTO_MS_MAX,
	    &timeout_ms) == PROTO_INVALID) {
		control_invalid(c, f, "timeout_ms");
		return;
	}
	memset(&req, 0, sizeof req);
	if (control_send_options(c, f, &req) == -1)
		return;
	/* The client's proxy for either scheme: the URL is known here. */
	if (proto_get_string(f->json, "proxy_https", 1, CONTROL_URL_MAX,
	    &proxy_https) == PROTO_INVALID) {
		control_invalid(c, f, "proxy_https");
		return;
	}
	if ((m = timeline_replay_read(c, seq, &rec)) == NULL)
		return;
	req.method = proto_string(rec.json, "method");
	req.body = rec.body;
	req.body_len = rec.body_len;
	req.timeout_ms = timeout_ms;
	if (m->hook != NULL)
		timeline_replay_to_hook(m, rec.json, to, &local);
	else {
		memset(&local, 0, sizeof local);
		local.url = xstrdup(to != NULL ? to :
		    proto_string(rec.json, "url"));
		req.body_len = (size_t)proto_int(rec.json, "request_body_len",
		    0);
		if (req.body_len > rec.body_len)
			req.body_len = rec.body_len;
	}
	req.url = local.url;
	req.trust = local.trust;
	req.connect_to = local.connect_to;
	/* The client's proxy is for others: our own hooks are reached here. */
	if (m->hook != NULL && to == NULL)
		req.proxy = NULL;
	else if (strncasecmp(req.url, "https:", 6) == 0)
		req.proxy = proxy_https;
	req.headers = timeline_replay_headers(rec.json);
	conn_id = xmalloc(sizeof *conn_id);
	*conn_id = control_id(c);
	outbound_send(control_outbound(c), &req, 0, control_send_done, NULL,
	    conn_id);
	json_object_put(req.headers);
	envelope_local_release(&local);
	journal_record_release(&rec);
}
