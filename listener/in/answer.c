/*
 * Building the answers of hooks (see answer.h).  Headers that libmicrohttpd
 * manages itself (framing, connection, date) are never copied into a
 * response: it would refuse them or send them twice.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>
#include <microhttpd.h>

#include "answer.h"
#include "hook.h"
#include "httpc.h"
#include "jsonptr.h"
#include "store.h"
#include "xmalloc.h"

/* Headers that belong to one hop of a connection, not to the message. */
static const char *answer_hop_headers[] = {
	"Connection", "Content-Length", "Date", "Expect", "Host", "Keep-Alive",
	"Proxy-Authenticate", "Proxy-Authorization", "Proxy-Connection", "TE",
	"Trailer", "Transfer-Encoding", "Upgrade",
};

/* Tell whether a header belongs to the connection rather than the message. */
int
answer_hop_header(const char *name)
{
	size_t	i;

	for (i = 0; i < sizeof answer_hop_headers /
	    sizeof answer_hop_headers[0]; i++) {
		if (strcasecmp(name, answer_hop_headers[i]) == 0)
			return (1);
	}
	return (0);
}

/* Tell whether a [[name, value], ...] list sets a header. */
static int
answer_has_header(struct json_object *headers, const char *name)
{
	struct json_object	*pair;
	const char		*key;
	size_t			 i;

	for (i = 0; headers != NULL && i < json_object_array_length(headers);
	    i++) {
		pair = json_object_array_get_idx(headers, i);
		key = json_object_get_string(json_object_array_get_idx(pair, 0));
		if (key != NULL && strcasecmp(key, name) == 0)
			return (1);
	}
	return (0);
}

/* Add a [[name, value], ...] list to a response, minus hop headers. */
static void
answer_add_headers(struct MHD_Response *response, struct json_object *headers)
{
	struct json_object	*pair;
	const char		*key, *value;
	size_t			 i;

	for (i = 0; headers != NULL && i < json_object_array_length(headers);
	    i++) {
		pair = json_object_array_get_idx(headers, i);
		key = json_object_get_string(json_object_array_get_idx(pair, 0));
		value = json_object_get_string(json_object_array_get_idx(pair,
		    1));
		if (key == NULL || value == NULL || answer_hop_header(key))
			continue;
		MHD_add_response_header(response, key, value);
	}
}

/*
 * Make a response with these headers ([[name, value], ...] or NULL) and
 * body (copied).  Return NULL only if libmicrohttpd cannot.
 */
struct MHD_Response *
answer_new(struct json_object *headers, const void *body, size_t len)
{
	struct MHD_Response	*response;

	response = MHD_create_response_from_buffer(len, (void *)(len == 0 ?
	    "" : body), MHD_RESPMEM_MUST_COPY);
	if (response != NULL)
		answer_add_headers(response, headers);
	return (response);
}

/* Free a hook's canned answer (its store_hook_cache callback). */
static void
answer_canned_free(void *response)
{
	MHD_destroy_response(response);
}

/*
 * Return hook h's answer from its settings (status aside: MHD takes it
 * with the response), made on its first request and kept with the hook
 * until the settings change (store_hook_cache); NULL only if
 * libmicrohttpd cannot make it.  Every request shares it: MHD counts the
 * connections a response is queued on, and frees it after the last,
 * so the caller queues it and never destroys it.  Copied, since a
 * connection may still be sending it after the hook's body is freed.
 */
struct MHD_Response *
answer_canned(struct hook *h)
{
	struct MHD_Response	*response;

	if (h->cache != NULL)
		return (h->cache);
	response = answer_new(h->headers, h->body, h->body_len);
	if (response != NULL)
		store_hook_cache(h, response, answer_canned_free);
	return (response);
}

/* Make a plain-text response, unless the headers name another type. */
struct MHD_Response *
answer_text(struct json_object *headers, const char *text)
{
	return (answer_text_len(headers, text, strlen(text)));
}

/* Make a plain-text response of len bytes of text, which may hold NULs. */
struct MHD_Response *
answer_text_len(struct json_object *headers, const char *text, size_t len)
{
	struct MHD_Response	*response;

	response = answer_new(headers, text, len);
	if (response != NULL && !answer_has_header(headers, "Content-Type"))
		MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE,
		    "text/plain; charset=utf-8");
	return (response);
}

/*
 * Return the value a handshake asks the hook to echo (allocated), or NULL
 * when the request has none: the query parameter named by the hook's echo
 * setting, or, for a JSON pointer (/challenge), that field of a JSON body.
 * Either may hold NUL bytes (%00, \u0000): its length is set in *text_len.
 */
char *
answer_echo(const struct hook *h, struct MHD_Connection *connection,
    const void *body, size_t len, size_t *text_len)
{
	struct json_object	*root, *value;
	const char		*s;
	char			*cause = NULL, *text = NULL;

	if (h->echo == NULL)
		return (NULL);
	if (*h->echo != '/') {
		if (MHD_lookup_connection_value_n(connection,
		    MHD_GET_ARGUMENT_KIND, h->echo, strlen(h->echo), &s,
		    text_len) != MHD_YES || s == NULL)
			return (NULL);
		return (xmemdup(s, *text_len));
	}
	if (len == 0)
		return (NULL);
	root = jsonptr_parse(body, len, &cause);
	if (root != NULL && jsonptr_get(root, h->echo, &value, &cause) == 0 &&
	    value != NULL)
		text = jsonptr_text(value, text_len);
	free(cause);
	json_object_put(root);
	return (text);
}

/* Where answer_add_header puts a request's headers. */
struct answer_headers {
	struct json_object	*array;
	int			 hop;	/* keep those of the connection */
};

/* Add one request header to the array (arg: answer_headers). */
static enum MHD_Result
answer_add_header(void *arg, enum MHD_ValueKind kind, const char *key,
    const char *value)
{
	struct answer_headers	*a = arg;
	struct json_object	*pair;

	(void)kind;
	if (!a->hop && answer_hop_header(key))
		return (MHD_YES);
	pair = json_object_new_array_ext(2);
	json_object_array_add(pair, json_object_new_string(key));
	json_object_array_add(pair, json_object_new_string(value == NULL ?
	    "" : value));
	json_object_array_add(a->array, pair);
	return (MHD_YES);
}

/* Return the request's headers as [[name, value], ...], as received. */
struct json_object *
answer_request_headers(struct MHD_Connection *connection)
{
	struct answer_headers	a = { json_object_new_array(), 1 };

	MHD_get_connection_values(connection, MHD_HEADER_KIND,
	    answer_add_header, &a);
	return (a.array);
}

/*
 * Return the request's headers to pass on to the app, minus those of the
 * connection (the app gets its own Host).
 */
struct json_object *
answer_forward_headers(struct MHD_Connection *connection)
{
	struct answer_headers	a = { json_object_new_array(), 0 };

	MHD_get_connection_values(connection, MHD_HEADER_KIND,
	    answer_add_header, &a);
	return (a.array);
}

/*
 * Return the URL to pass a request on to (allocated): the hook's
 * forward-to URL followed by what came below the hook's own URL, the
 * sub-path and the query.
 */
char *
answer_forward_url(const struct hook *h, const char *rest)
{
	size_t	 len = strlen(h->forward_to);
	char	*url;

	while (len > 0 && h->forward_to[len - 1] == '/' && *rest == '/')
		len--;
	xasprintf(&url, "%.*s%.*s", (int)len, h->forward_to,
	    (int)strcspn(rest, "#"), rest);
	return (url);
}

/* Make the response that relays the app's answer to the sender. */
struct MHD_Response *
answer_relay(const struct httpc_result *result)
{
	return (answer_new(result->headers, buffer_peek(&result->body),
	    buffer_unread(&result->body)));
}
