/*
 * Control requests about hooks and the session: status, spawn, reply (to
 * a held request), close and stop.
 */
#include "config.h"

#include <dirent.h>
#include <stdlib.h>
#include <unistd.h>

#include <json-c/json.h>

#include "clock.h"
#include "control.h"
#include "envelope.h"
#include "escape.h"
#include "hold.h"
#include "hook.h"
#include "httpd.h"
#include "listener.h"
#include "proto.h"
#include "settings.h"
#include "store.h"
#include "xmalloc.h"

/* Add what recovery found lost in the journal at start to a reply. */
static void
control_hooks_damage(struct json_object *r, const struct journal_damage *d)
{
	json_object_object_add(r, "journal_damaged_regions",
	    json_object_new_int64((int64_t)d->regions));
	json_object_object_add(r, "journal_damaged_bytes",
	    json_object_new_int64((int64_t)d->bytes));
	json_object_object_add(r, "journal_records_dropped",
	    json_object_new_int64((int64_t)d->records_dropped));
	json_object_object_add(r, "journal_segments_missing",
	    json_object_new_int64((int64_t)d->segments_missing));
	json_object_object_add(r, "journal_segments_unreadable",
	    json_object_new_int64((int64_t)d->segments_unreadable));
}

/*
 * Text others wrote (other listeners' heartbeats, Redis's words) as a JSON
 * string: kept as data for machines (status --json), not made '?'; fish
 * status escapes it when it prints it (cmd-status.c).  Only bytes that are
 * not UTF-8 are shown escaped here, as JSON cannot hold them.
 */
static struct json_object *
control_hooks_plain(const char *s)
{
	struct json_object	*o;
	char			*text;

	text = escape_json_text(s);
	o = json_object_new_string(text);
	free(text);
	return (o);
}

/*
 * Add this listener's name and the session's other listeners seen in the
 * last minute (their heartbeats, as the last one read them) to a reply.
 */
static void
control_hooks_listeners(struct json_object *r, struct store *s)
{
	const struct store_listener	*seen;
	const char			*name = store_listener_name(s);
	struct json_object		*list, *o;
	size_t				 n, i;
	int64_t				 now = clock_wall_ms();

	if (name != NULL)
		json_object_object_add(r, "listener",
		    json_object_new_string(name));
	list = json_object_new_array();
	seen = store_listeners_seen(s, &n);
	for (i = 0; i < n; i++) {
		o = json_object_new_object();
		json_object_object_add(o, "name",
		    control_hooks_plain(seen[i].name));
		json_object_object_add(o, "host",
		    control_hooks_plain(seen[i].host));
		json_object_object_add(o, "pid",
		    json_object_new_int64(seen[i].pid));
		if (seen[i].public_url != NULL)
			json_object_object_add(o, "public_url",
			    control_hooks_plain(seen[i].public_url));
		json_object_object_add(o, "seen_ago_ms", json_object_new_int64(
		    now > seen[i].last_seen ? now - seen[i].last_seen : 0));
		json_object_array_add(list, o);
	}
	json_object_object_add(r, "listeners", list);
}

/*
 * Return how many files the listener has open now, or -1 when /proc
 * cannot tell (none free to look with, at the limit).
 */
static int64_t
control_hooks_open_files(void)
{
	DIR		*dir;
	struct dirent	*de;
	int64_t		 n = 0;

	if ((dir = opendir("/proc/self/fd")) == NULL)
		return (-1);
	while ((de = readdir(dir)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(dir);
	return (n - 1);		/* not the one that read the directory */
}

/*
 * Add the open files' budget (lib/files.c) to status reply r: the limit
 * (0: none), how many are open now, and each use's share (outbound 0:
 * as many as wanted).
 */
static void
control_hooks_files(struct json_object *r)
{
	const struct files	*files = &listener.files;
	int64_t			 open;

	json_object_object_add(r, "files_limit",
	    json_object_new_int64((int64_t)files->limit));
	if ((open = control_hooks_open_files()) >= 0)
		json_object_object_add(r, "files_open",
		    json_object_new_int64(open));
	json_object_object_add(r, "files_connections",
	    json_object_new_int64((int64_t)files->connections));
	json_object_object_add(r, "files_control",
	    json_object_new_int64((int64_t)files->control));
	json_object_object_add(r, "files_outbound",
	    json_object_new_int64((int64_t)files->outbound));
}

/* Reply to "status". */
void
control_hooks_status(struct conn *c, struct proto_frame *f)
{
	struct json_object	*r, *tunnel;
	struct store_stats	 st;
	const char		*state;
	char			*s;
	int64_t			 since;
	int			 seen;

	(void)f;
	store_stats(control_store(c), &st);
	r = proto_reply(EXIT_OK, NULL);
	json_object_object_add(r, "session",
	    json_object_new_string(listener.session.name));
	json_object_object_add(r, "pid", json_object_new_int(getpid()));
	s = envelope_base_url();
	json_object_object_add(r, "url", json_object_new_string(s));
	free(s);
	settings_status(&listener.settings, r);
	if ((state = store_state(control_store(c))) != NULL) {
		json_object_object_add(r, "store_state",
		    control_hooks_plain(state));
		control_hooks_listeners(r, control_store(c));
		if (store_replicas(control_store(c), &seen) > 0 && seen >= 0)
			json_object_object_add(r, "store_replicas_seen",
			    json_object_new_int(seen));
	}
	if ((tunnel = envelope_tunnel()) != NULL)
		json_object_object_add(r, "tunnel_state", tunnel);
	json_object_object_add(r, "hooks",
	    json_object_new_int64((int64_t)st.hooks));
	json_object_object_add(r, "messages",
	    json_object_new_int64((int64_t)st.received));
	json_object_object_add(r, "queued",
	    json_object_new_int64((int64_t)st.queued));
	json_object_object_add(r, "journal_bytes",
	    json_object_new_int64((int64_t)st.journal_bytes));
	json_object_object_add(r, "journal_records",
	    json_object_new_int64((int64_t)st.journal_records));
	json_object_object_add(r, "journal_segments",
	    json_object_new_int64((int64_t)st.journal_segments));
	json_object_object_add(r, "journal_appended",
	    json_object_new_int64((int64_t)st.journal_appended));
	json_object_object_add(r, "journal_syncs",
	    json_object_new_int64((int64_t)st.journal_syncs));
	if ((since = store_no_room(control_store(c))) != 0)
		json_object_object_add(r, "journal_no_room_since",
		    json_object_new_int64(since));
	control_hooks_damage(r, &st.damage);
	control_hooks_files(r);
	httpd_status(listener.httpd, r);
	s = envelope_time(listener.started_at);
	json_object_object_add(r, "started_at", json_object_new_string(s));
	free(s);
	control_reply(c, r, NULL, 0);
}

/* Reply to "spawn": create (or find, by name) a hook and give its URL. */
void
control_hooks_spawn(struct conn *c, struct proto_frame *f)
{
	struct json_object	*r;
	struct hook		*h;
	const char		*name = proto_string(f->json, "name");
	char			*cause = NULL, *url;

	if (store_spawn_check(f->json, f->payload_len, &cause) == -1) {
		control_errorf(c, EXIT_USAGE, "%s", cause);
		free(cause);
		return;
	}
	if ((h = store_spawn(control_store(c), name, f->json, f->payload,
	    f->payload_len, &cause)) == NULL) {
		control_errorf(c, EXIT_FAILED, "%s", cause);
		free(cause);
		return;
	}
	r = proto_reply(EXIT_OK, NULL);
	url = envelope_hook_url(h);
	json_object_object_add(r, "url", json_object_new_string(url));
	json_object_object_add(r, "token", json_object_new_string(h->token));
	if (h->name != NULL)
		json_object_object_add(r, "name", json_object_new_string(h->name));
	free(url);
	/* A spare hook's token is durable already (see the store's spare.c). */
	if (h->token_durable)
		control_reply(c, r, NULL, 0);
	else
		control_reply_after_sync(c, r);
}

/*
 * Reply to "reply": answer a request held by a --hold hook, named by its
 * "message" (a sequence number, or a hook for its oldest held request),
 * with "status", "headers" and the payload as the body.
 */
void
control_hooks_reply(struct conn *c, struct proto_frame *f)
{
	struct json_object	*headers = NULL, *r;
	const char		*message = NULL;
	int64_t			 status = 200;
	uint64_t		 seq;
	char			*cause = NULL;
	int			 ret;

	switch (proto_get_string(f->json, "message", 1, CONTROL_HANDLE_MAX,
	    &message)) {
	case PROTO_ABSENT:
		control_errorf(c, EXIT_USAGE, "reply needs a message");
		return;
	case PROTO_INVALID:
		control_invalid(c, f, "message");
		return;
	}
	if (proto_get_int(f->json, "status", 200, 599, &status) ==
	    PROTO_INVALID) {
		control_invalid(c, f, "status");
		return;
	}
	if (proto_get_headers(f->json, "headers", CONTROL_HEADERS_MAX,
	    &headers) == PROTO_INVALID) {
		control_invalid(c, f, "headers");
		return;
	}
	ret = hold_reply(httpd_hold(listener.httpd), message,
	    (unsigned int)status, headers, f->payload, f->payload_len, &seq,
	    &cause);
	if (ret != EXIT_OK) {
		control_errorf(c, ret, "%s", cause);
		free(cause);
		return;
	}
	r = proto_reply(EXIT_OK, NULL);
	json_object_object_add(r, "seq", json_object_new_int64((int64_t)seq));
	control_reply_after_sync(c, r);
}

/* Reply to "close": close a hook; later requests to it get 410 Gone. */
void
control_hooks_close(struct conn *c, struct proto_frame *f)
{
	const char	*handle = NULL;
	struct hook	*h;

	if (proto_get_string(f->json, "hook", 0, CONTROL_HANDLE_MAX,
	    &handle) != PROTO_VALID) {
		control_invalid(c, f, "hook");
		return;
	}
	if ((h = store_find(control_store(c), handle)) == NULL) {
		control_errorf(c, EXIT_NOT_FOUND, "no such hook '%s'", handle);
		return;
	}
	store_close_hook(control_store(c), h);
	control_reply_after_sync(c, proto_reply(EXIT_OK, NULL));
}

/* Reply to "stop", then begin a graceful shutdown. */
void
control_hooks_stop(struct conn *c, struct proto_frame *f)
{
	(void)f;
	control_reply(c, proto_reply(EXIT_OK, NULL), NULL, 0);
	listener_shutdown();
}
