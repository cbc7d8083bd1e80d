/*
 * Build the envelope of a received message from its journal record:
 * seq, hook (URL), name, method, path, query, headers (names lower-cased;
 * repeated headers joined with ", " as RFC 9110 allows), remote (and via,
 * the tunnel or proxy that forwarded it, behind one),
 * received_at (RFC 3339, milliseconds, UTC) and verified: true when the
 * hook checks signatures (spawn --verify) and this one was good, false
 * otherwise, so the member is always there for jq.  A request that failed
 * the check also has "rejected", the reason; only the timeline shows those,
 * with "body_size" and "body_sha256" instead of the body, which is not
 * journaled, and "head_truncated" when its head was cut to fit.
 *
 * Hook URLs are built here and nowhere else.  Users see them under the
 * base URL: the public URL (--public-url, for tunnels and proxies), else
 * the URL the tunnel client announced (--tunnel), else our own
 * scheme://HOST:PORT.  The listener itself reaches a hook through its
 * own listen address (fish replay), never through the public URL, which
 * may lead elsewhere; over HTTPS it trusts its own certificate for that
 * request alone, and checks it against a name the certificate has.
 */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "address.h"
#include "envelope.h"
#include "hook.h"
#include "listener.h"
#include "proto.h"
#include "settings.h"
#include "tls.h"
#include "xmalloc.h"

/* Format unix milliseconds as RFC 3339 UTC with milliseconds. */
char *
envelope_time(int64_t ms)
{
	struct tm	tm;
	time_t		t = (time_t)(ms / 1000);
	char		when[32], *s;

	gmtime_r(&t, &tm);
	strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
	xasprintf(&s, "%s.%03dZ", when, (int)(ms % 1000));
	return (s);
}

/*
 * Return the base URL of hooks, as users see it: the public URL or the
 * tunnel's, without trailing slashes, or our own scheme://HOST:PORT.
 * Caller frees.
 */
char *
envelope_base_url(void)
{
	const char	*public_url;
	char		*url;
	size_t		 len;

	public_url = settings_text(&listener.settings, SETTING_PUBLIC_URL);
	if (public_url == NULL)
		public_url = listener.tunnel_state.url;
	if (public_url == NULL) {
		xasprintf(&url, "%s://%s", listener.tls != NULL ? "https" :
		    "http", settings_text(&listener.settings, SETTING_LISTEN));
		return (url);
	}
	url = xstrdup(public_url);
	len = strlen(url);
	while (len > 0 && url[len - 1] == '/')
		url[--len] = '\0';
	return (url);
}

/*
 * Return the tunnel client's state for status and ls replies: state, url,
 * previous_url and url_changed_at (once it changed), pid, restarts; or
 * NULL when there is no tunnel.
 */
struct json_object *
envelope_tunnel(void)
{
	const struct listener_tunnel	*t = &listener.tunnel_state;
	struct json_object		*o;
	char				*s;

	if (t->state == NULL)
		return (NULL);
	o = json_object_new_object();
	json_object_object_add(o, "state", json_object_new_string(t->state));
	if (t->url != NULL)
		json_object_object_add(o, "url", json_object_new_string(t->url));
	if (t->previous_url != NULL) {
		json_object_object_add(o, "previous_url",
		    json_object_new_string(t->previous_url));
		s = envelope_time(t->changed_at);
		json_object_object_add(o, "url_changed_at",
		    json_object_new_string(s));
		free(s);
	}
	if (t->pid != 0)
		json_object_object_add(o, "pid", json_object_new_int64(t->pid));
	json_object_object_add(o, "restarts",
	    json_object_new_int64((int64_t)t->restarts));
	return (o);
}

/* Return the URL of a hook, as users see it; caller frees. */
char *
envelope_hook_url(const struct hook *h)
{
	char	*base, *s;

	base = envelope_base_url();
	xasprintf(&s, "%s/%s", base, h->token);
	free(base);
	return (s);
}

/*
 * Fill in l with where we reach hook h ourselves, suffix (a path and
 * query, or "") below it: our own listen address (loopback when we listen
 * on every address).  Over HTTPS, l says to trust our own certificate,
 * checked against our address when the certificate has it, else against
 * a name it has, which is then mapped to our address for curl.
 */
void
envelope_hook_local(const struct hook *h, const char *suffix,
    struct envelope_local *l)
{
	char		*address, *host, *name;
	const char	*port, *open, *close;

	memset(l, 0, sizeof *l);
	address = address_local(settings_text(&listener.settings,
	    SETTING_LISTEN));
	if (listener.tls == NULL) {
		xasprintf(&l->url, "http://%s/%s%s", address, h->token, suffix);
		free(address);
		return;
	}
	host = address_host(address);
	port = strrchr(address, ':') + 1;
	if ((name = tls_name(listener.tls, host)) == NULL)
		name = xstrdup(host);	/* the check will fail, saying why */
	open = strchr(name, ':') != NULL ? "[" : "";
	close = *open != '\0' ? "]" : "";
	xasprintf(&l->url, "https://%s%s%s:%s/%s%s", open, name, close, port,
	    h->token, suffix);
	if (strcmp(name, host) != 0)
		xasprintf(&l->connect_to, "%s%s%s:%s:%s", open, name, close,
		    port, address);
	l->trust = settings_text(&listener.settings, SETTING_TLS_CERT);
	free(name);
	free(host);
	free(address);
}

/* Free what envelope_hook_local filled in. */
void
envelope_local_release(struct envelope_local *l)
{
	free(l->url);
	free(l->connect_to);
}

/* Copy a string member of the record into the envelope. */
static void
envelope_copy(struct json_object *to, struct json_object *from,
    const char *key)
{
	const char	*value = proto_string(from, key);

	json_object_object_add(to, key, json_object_new_string(value == NULL ?
	    "" : value));
}

/* Make the headers object from a record's [[name, value], ...] list. */
struct json_object *
envelope_headers(struct json_object *list)
{
	struct json_object	*headers, *pair, *old;
	const char		*value;
	char			*name, *p, *joined;
	size_t			 i, n;

	headers = json_object_new_object();
	n = list == NULL ? 0 : json_object_array_length(list);
	for (i = 0; i < n; i++) {
		pair = json_object_array_get_idx(list, i);
		name = xstrdup(json_object_get_string(
		    json_object_array_get_idx(pair, 0)));
		for (p = name; *p != '\0'; p++)
			*p = (char)tolower((unsigned char)*p);
		value = json_object_get_string(json_object_array_get_idx(pair, 1));
		if (json_object_object_get_ex(headers, name, &old)) {
			xasprintf(&joined, "%s, %s", json_object_get_string(old),
			    value);
			json_object_object_add(headers, name,
			    json_object_new_string(joined));
			free(joined);
		} else
			json_object_object_add(headers, name,
			    json_object_new_string(value));
		free(name);
	}
	return (headers);
}

/*
 * Build the envelope of the received-message record o, of hook h (NULL
 * for a request refused before any hook was known).
 */
struct json_object *
envelope_new(struct json_object *o, const struct hook *h)
{
	struct json_object	*e, *list = NULL;
	const char		*reason;
	char			*s;

	e = json_object_new_object();
	json_object_object_add(e, "seq",
	    json_object_new_int64(proto_int(o, "seq", 0)));
	/* A request refused for want of a hook (404) has none. */
	if (h == NULL) {
		json_object_object_add(e, "hook", NULL);
		json_object_object_add(e, "name", NULL);
	} else {
		s = envelope_hook_url(h);
		json_object_object_add(e, "hook", json_object_new_string(s));
		free(s);
		json_object_object_add(e, "name", h->name == NULL ? NULL :
		    json_object_new_string(h->name));
	}
	envelope_copy(e, o, "method");
	envelope_copy(e, o, "path");
	envelope_copy(e, o, "query");
	json_object_object_get_ex(o, "headers", &list);
	json_object_object_add(e, "headers", envelope_headers(list));
	envelope_copy(e, o, "remote");
	/* Behind a tunnel or proxy: the peer that forwarded it (record.c). */
	if (proto_string(o, "via") != NULL)
		envelope_copy(e, o, "via");
	s = envelope_time(proto_int(o, "received_at", 0));
	json_object_object_add(e, "received_at", json_object_new_string(s));
	free(s);
	json_object_object_add(e, "verified",
	    json_object_new_boolean(proto_bool(o, "verified")));
	if ((reason = proto_string(o, "rejected")) != NULL)
		json_object_object_add(e, "rejected",
		    json_object_new_string(reason));
	/* A rejected request's journaled head: its body is not kept. */
	if (proto_string(o, "body_sha256") != NULL) {
		json_object_object_add(e, "body_size",
		    json_object_new_int64(proto_int(o, "body_size", 0)));
		envelope_copy(e, o, "body_sha256");
	}
	if (proto_bool(o, "head_truncated"))
		json_object_object_add(e, "head_truncated",
		    json_object_new_boolean(1));
	return (e);
}

/*
 * Build the envelope of a sent request from its journal record: seq,
 * method, url, headers, request_body_len, sent_at, status (fish's exit
 * status for it), error, http_status, response_headers and time_ms.
 */
struct json_object *
envelope_sent(struct json_object *o)
{
	struct json_object	*e, *list = NULL;
	const char		*error;
	char			*s;

	e = json_object_new_object();
	json_object_object_add(e, "seq",
	    json_object_new_int64(proto_int(o, "seq", 0)));
	envelope_copy(e, o, "method");
	envelope_copy(e, o, "url");
	json_object_object_get_ex(o, "headers", &list);
	json_object_object_add(e, "headers", envelope_headers(list));
	json_object_object_add(e, "request_body_len",
	    json_object_new_int64(proto_int(o, "request_body_len", 0)));
	s = envelope_time(proto_int(o, "sent_at", 0));
	json_object_object_add(e, "sent_at", json_object_new_string(s));
	free(s);
	json_object_object_add(e, "status",
	    json_object_new_int((int)proto_int(o, "status", 0)));
	if ((error = proto_string(o, "error")) != NULL)
		json_object_object_add(e, "error", json_object_new_string(error));
	json_object_object_add(e, "http_status",
	    json_object_new_int((int)proto_int(o, "http_status", 0)));
	list = NULL;
	json_object_object_get_ex(o, "response_headers", &list);
	json_object_object_add(e, "response_headers", envelope_headers(list));
	json_object_object_add(e, "time_ms",
	    json_object_new_int64(proto_int(o, "time_ms", 0)));
	/* Only in records of requests that follow redirects or retry. */
	if (proto_string(o, "final_url") != NULL)
		envelope_copy(e, o, "final_url");
	if (proto_int(o, "attempt", 0) > 0)
		json_object_object_add(e, "attempt",
		    json_object_new_int64(proto_int(o, "attempt", 0)));
	if (proto_int(o, "retry_of", 0) > 0)
		json_object_object_add(e, "retry_of",
		    json_object_new_int64(proto_int(o, "retry_of", 0)));
	if (proto_int(o, "retry_in_ms", -1) >= 0)
		json_object_object_add(e, "retry_in_ms",
		    json_object_new_int64(proto_int(o, "retry_in_ms", 0)));
	return (e);
}
