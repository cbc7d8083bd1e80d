/*
 * Control protocol frames (see proto.h).  Parsing is incremental so the
 * listener can feed it whatever a non-blocking read returned.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "buffer.h"
#include "jsonptr.h"
#include "proto.h"
#include "xmalloc.h"

/* Make an empty frame. */
void
proto_frame_init(struct proto_frame *f)
{
	f->json = NULL;
	f->payload = NULL;
	f->payload_len = 0;
}

/* Free a frame's contents. */
void
proto_frame_release(struct proto_frame *f)
{
	json_object_put(f->json);
	free(f->payload);
	proto_frame_init(f);
}

/*
 * Take one frame off the front of b.  Return 1 with *f filled, 0 when more
 * bytes are needed, -1 with *cause when the bytes cannot be a valid frame.
 */
int
proto_frame_parse(struct buffer *b, struct proto_frame *f, char **cause)
{
	const char	*p = buffer_peek(b);
	uint32_t	 json_len, payload_len;
	struct json_object *json;

	*cause = NULL;
	if (buffer_unread(b) < PROTO_HEADER_LEN)
		return (0);
	json_len = get_u32(p);
	payload_len = get_u32(p + 4);
	if (json_len == 0 || json_len > PROTO_JSON_MAX) {
		*cause = xstrdup("bad frame: invalid JSON length");
		return (-1);
	}
	if (payload_len > PROTO_PAYLOAD_MAX) {
		*cause = xstrdup("bad frame: payload too large");
		return (-1);
	}
	if (buffer_unread(b) - PROTO_HEADER_LEN < (size_t)json_len + payload_len)
		return (0);
	json = jsonptr_parse(p + PROTO_HEADER_LEN, json_len, cause);
	if (json == NULL || !json_object_is_type(json, json_type_object)) {
		json_object_put(json);
		if (*cause == NULL)
			*cause = xstrdup("bad frame: not a JSON object");
		return (-1);
	}
	f->json = json;
	f->payload = xmemdup(p + PROTO_HEADER_LEN + json_len, payload_len);
	f->payload_len = payload_len;
	buffer_drain(b, PROTO_HEADER_LEN + (size_t)json_len + payload_len);
	return (1);
}

/* Append a frame holding json and payload to b. */
void
proto_frame_encode(struct buffer *b, struct json_object *json,
    const void *payload, size_t payload_len)
{
	const char	*text;
	size_t		 len;

	text = json_object_to_json_string_length(json,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	buffer_add_u32(b, (uint32_t)len);
	buffer_add_u32(b, (uint32_t)payload_len);
	buffer_add(b, text, len);
	buffer_add(b, payload, payload_len);
}

/* Make a new object of this version with one string member, key. */
static struct json_object *
proto_new(const char *key, const char *value)
{
	struct json_object	*o = json_object_new_object();

	json_object_object_add(o, "v", json_object_new_int(PROTO_VERSION));
	json_object_object_add(o, key, json_object_new_string(value));
	return (o);
}

/* Make a new request object for command cmd. */
struct json_object *
proto_request(const char *cmd)
{
	return (proto_new("cmd", cmd));
}

/* Make a new reply object with an exit status and optional error line. */
struct json_object *
proto_reply(int status, const char *error)
{
	struct json_object	*o = json_object_new_object();

	json_object_object_add(o, "v", json_object_new_int(PROTO_VERSION));
	json_object_object_add(o, "status", json_object_new_int(status));
	if (error != NULL)
		json_object_object_add(o, "error", json_object_new_string(error));
	return (o);
}

/*
 * Make a new interim frame's object: word that a request is still under
 * way (what), not its reply, so it has no "status".
 */
struct json_object *
proto_interim(const char *what)
{
	return (proto_new("interim", what));
}

/*
 * Tell whether a frame's object is an interim frame, to skip, rather than
 * the reply: it names what is under way and has no "status".
 */
int
proto_is_interim(struct json_object *o)
{
	return (proto_string(o, "interim") != NULL &&
	    !json_object_object_get_ex(o, "status", NULL));
}

/* Return a reply's exit status; a reply without one is a failure. */
int
proto_status(struct json_object *o)
{
	return ((int)proto_int(o, "status", EXIT_FAILED));
}

/* Return a string member, or NULL when absent or not a string. */
const char *
proto_string(struct json_object *o, const char *key)
{
	struct json_object	*v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return (NULL);
	return (json_object_get_string(v));
}

/* Return an integer member, or def when absent or not an integer. */
int64_t
proto_int(struct json_object *o, const char *key, int64_t def)
{
	struct json_object	*v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_int))
		return (def);
	return (json_object_get_int64(v));
}

/* Return a boolean member, false when absent. */
int
proto_bool(struct json_object *o, const char *key)
{
	struct json_object	*v;

	if (!json_object_object_get_ex(o, key, &v))
		return (0);
	return (json_object_get_boolean(v));
}

/*
 * Find member key of o: return PROTO_ABSENT when o has none, else
 * PROTO_VALID with *v lent.  A member that is JSON null is present (and
 * so invalid wherever a value is expected).
 */
static int
proto_member(struct json_object *o, const char *key, struct json_object **v)
{
	*v = NULL;
	if (o == NULL || !json_object_object_get_ex(o, key, v))
		return (PROTO_ABSENT);
	return (PROTO_VALID);
}

/* Tell whether a JSON value is a string of at most max bytes, no NUL. */
static int
proto_string_ok(struct json_object *v, size_t min, size_t max)
{
	const char	*s;
	size_t		 len;

	if (!json_object_is_type(v, json_type_string))
		return (0);
	s = json_object_get_string(v);
	len = (size_t)json_object_get_string_len(v);
	return (len >= min && len <= max && memchr(s, '\0', len) == NULL);
}

/*
 * Get integer member key in [min, max].  Return PROTO_ABSENT (*out left
 * alone, so it may hold a default), PROTO_VALID with *out set, or
 * PROTO_INVALID when it is not an integer (a fraction, a string, null...)
 * or out of range, including values beyond 64 bits, which json-c clamps.
 */
int
proto_get_int(struct json_object *o, const char *key, int64_t min,
    int64_t max, int64_t *out)
{
	struct json_object	*v;
	int64_t			 n;

	if (proto_member(o, key, &v) == PROTO_ABSENT)
		return (PROTO_ABSENT);
	if (!json_object_is_type(v, json_type_int))
		return (PROTO_INVALID);
	n = json_object_get_int64(v);
	if (n == INT64_MAX && json_object_get_uint64(v) != (uint64_t)INT64_MAX)
		return (PROTO_INVALID);
	if (n < min || n > max)
		return (PROTO_INVALID);
	*out = n;
	return (PROTO_VALID);
}

/*
 * Get string member key, min to max bytes long with no NUL byte in it (the
 * listener handles it as a C string).  Return as proto_get_int does.
 */
int
proto_get_string(struct json_object *o, const char *key, size_t min,
    size_t max, const char **out)
{
	struct json_object	*v;

	if (proto_member(o, key, &v) == PROTO_ABSENT)
		return (PROTO_ABSENT);
	if (!proto_string_ok(v, min, max))
		return (PROTO_INVALID);
	*out = json_object_get_string(v);
	return (PROTO_VALID);
}

/* Get boolean member key (JSON true or false, nothing else). */
int
proto_get_bool(struct json_object *o, const char *key, int *out)
{
	struct json_object	*v;

	if (proto_member(o, key, &v) == PROTO_ABSENT)
		return (PROTO_ABSENT);
	if (!json_object_is_type(v, json_type_boolean))
		return (PROTO_INVALID);
	*out = json_object_get_boolean(v);
	return (PROTO_VALID);
}

/*
 * Get member key as a list of min to max strings, each at most len bytes
 * with no NUL; *out is lent.
 */
int
proto_get_strings(struct json_object *o, const char *key, size_t min,
    size_t max, size_t len, struct json_object **out)
{
	struct json_object	*v;
	size_t			 i, n;

	if (proto_member(o, key, &v) == PROTO_ABSENT)
		return (PROTO_ABSENT);
	if (!json_object_is_type(v, json_type_array))
		return (PROTO_INVALID);
	n = json_object_array_length(v);
	if (n < min || n > max)
		return (PROTO_INVALID);
	for (i = 0; i < n; i++) {
		if (!proto_string_ok(json_object_array_get_idx(v, i), 0, len))
			return (PROTO_INVALID);
	}
	*out = v;
	return (PROTO_VALID);
}

/* Tell whether name (len bytes) is an HTTP field name (RFC 9110 token). */
int
proto_header_name_valid(const char *name, size_t len)
{
	size_t	i;

	if (len == 0 || len > PROTO_HEADER_NAME_MAX)
		return (0);
	for (i = 0; i < len; i++) {
		if (name[i] == '\0' || strchr("!#$%&'*+-.^_`|~0123456789"
		    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
		    name[i]) == NULL)
			return (0);
	}
	return (1);
}

/*
 * Get member key as a header list, [[name, value], ...] of at most max
 * pairs: each name a token, each value without CR, LF or NUL (so nothing
 * can smuggle a header line into a request or answer); *out is lent.
 */
int
proto_get_headers(struct json_object *o, const char *key, size_t max,
    struct json_object **out)
{
	struct json_object	*v, *pair, *name, *value;
	const char		*s;
	size_t			 i, n, len;

	if (proto_member(o, key, &v) == PROTO_ABSENT)
		return (PROTO_ABSENT);
	if (!json_object_is_type(v, json_type_array) ||
	    (n = json_object_array_length(v)) > max)
		return (PROTO_INVALID);
	for (i = 0; i < n; i++) {
		pair = json_object_array_get_idx(v, i);
		if (!json_object_is_type(pair, json_type_array) ||
		    json_object_array_length(pair) != 2)
			return (PROTO_INVALID);
		name = json_object_array_get_idx(pair, 0);
		value = json_object_array_get_idx(pair, 1);
		if (!json_object_is_type(name, json_type_string) ||
		    !proto_header_name_valid(json_object_get_string(name),
		    (size_t)json_object_get_string_len(name)) ||
		    !proto_string_ok(value, 0, PROTO_HEADER_VALUE_MAX))
			return (PROTO_INVALID);
		s = json_object_get_string(value);
		len = (size_t)json_object_get_string_len(value);
		if (memchr(s, '\r', len) != NULL || memchr(s, '\n', len) != NULL)
			return (PROTO_INVALID);
	}
	*out = v;
	return (PROTO_VALID);
}
