/*
 * Control protocol frames as the listener's control reader sees them (see
 * conn_readable in control.c): bytes arrive in reads of some size, each
 * read is appended to the connection's buffer and every complete frame is
 * taken off it, until a frame is bad or more bytes are needed.  The first
 * input byte sets the read size; the rest is the stream.
 *
 * Each frame taken is read the way dispatch reads it, and must encode back
 * (proto_frame_encode, as replies are sent) to a frame that parses to the
 * same JSON and payload.  Its fields are read with the typed getters the
 * handlers use, whose answers must keep their promises whatever the JSON.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "buffer.h"
#include "fuzz.h"
#include "proto.h"

/* Read every field the handlers read with the typed getters. */
static void
fuzz_proto_getters(struct json_object *o)
{
	static const char *const keys[] = {
		"v", "cmd", "hooks", "where", "timeout_ms", "peek", "seq",
		"interim",
		"headers", "status", "ttl_ms", "expires_at", "name", "url",
	};
	struct json_object	*list;
	const char		*s;
	int64_t			 n;
	size_t			 i, j;
	int			 b, r;

	for (i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		n = -42;
		r = proto_get_int(o, keys[i], 0, PROTO_MS_MAX, &n);
		FUZZ_CHECK(r == PROTO_VALID ? n >= 0 && n <= PROTO_MS_MAX :
		    n == -42);
		s = NULL;
		r = proto_get_string(o, keys[i], 1, 64, &s);
		FUZZ_CHECK(r == PROTO_VALID ? s != NULL && strlen(s) >= 1 &&
		    strlen(s) <= 64 : s == NULL);
		b = -1;
		r = proto_get_bool(o, keys[i], &b);
		FUZZ_CHECK(r == PROTO_VALID ? b == 0 || b == 1 : b == -1);
		list = NULL;
		r = proto_get_strings(o, keys[i], 1, 8, 64, &list);
		FUZZ_CHECK((r == PROTO_VALID) == (list != NULL));
		for (j = 0; list != NULL && j < json_object_array_length(list);
		    j++)
			FUZZ_CHECK(strlen(json_object_get_string(
			    json_object_array_get_idx(list, j))) <= 64);
		list = NULL;
		r = proto_get_headers(o, keys[i], 16, &list);
		FUZZ_CHECK((r == PROTO_VALID) == (list != NULL));
		for (j = 0; list != NULL && j < json_object_array_length(list);
		    j++)
			FUZZ_CHECK(strpbrk(json_object_get_string(
			    json_object_array_get_idx(json_object_array_get_idx(
			    list, j), 1)), "\r\n") == NULL);
	}
}

/* Read a frame as conn_dispatch does, then check it survives encoding. */
static void
fuzz_proto_frame(const struct proto_frame *f)
{
	struct buffer		 b;
	struct proto_frame	 again;
	char			*cause;

	FUZZ_CHECK(json_object_is_type(f->json, json_type_object));
	FUZZ_CHECK(f->payload != NULL);
	(void)proto_int(f->json, "v", -1);
	(void)proto_string(f->json, "cmd");
	(void)proto_bool(f->json, "peek");
	(void)proto_status(f->json);
	fuzz_proto_getters(f->json);

	buffer_init(&b);
	proto_frame_init(&again);
	proto_frame_encode(&b, f->json, f->payload, f->payload_len);
	FUZZ_CHECK(proto_frame_parse(&b, &again, &cause) == 1);
	FUZZ_CHECK(buffer_unread(&b) == 0);
	/*
	 * The same JSON, compared as printed: json-c reads NaN, and a NaN
	 * is never json_object_equal to itself.
	 */
	FUZZ_CHECK(strcmp(json_object_to_json_string_ext(f->json,
	    JSON_C_TO_STRING_PLAIN), json_object_to_json_string_ext(again.json,
	    JSON_C_TO_STRING_PLAIN)) == 0);
	FUZZ_CHECK(again.payload_len == f->payload_len);
	FUZZ_CHECK(memcmp(again.payload, f->payload, f->payload_len) == 0);
	proto_frame_release(&again);
	buffer_release(&b);
}

/* Feed the stream in reads and take every frame off it. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buffer		 in;
	struct proto_frame	 f;
	char			*cause = NULL;
	size_t			 chunk, at = 0, n;
	int			 ret = 0;

	if (size == 0)
		return (0);
	/* Reads of 1 byte up to 64 KiB (what the listener asks for). */
	chunk = (size_t)1 << (data[0] % 17);
	data++;
	size--;

	buffer_init(&in);
	proto_frame_init(&f);
	while (ret != -1 && at < size) {
		n = size - at < chunk ? size - at : chunk;
		buffer_add(&in, data + at, n);
		at += n;
		while ((ret = proto_frame_parse(&in, &f, &cause)) == 1) {
			FUZZ_CHECK(cause == NULL);
			fuzz_proto_frame(&f);
			proto_frame_release(&f);
		}
		FUZZ_CHECK((ret == -1) == (cause != NULL));
	}
	free(cause);
	buffer_release(&in);
	return (0);
}
