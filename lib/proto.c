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

/* Make a new request object for command cmd. */
struct json_object *
proto_request(const char *cmd)
{
	struct json_object	*o = json_object_new_object();

	json_object_object_add(o, "v", json_object_new_int(PROTO_VERSION));
	json_object_object_add(o, "cmd", json_object_new_string(cmd));
	return (o);
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
