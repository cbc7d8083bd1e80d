/*
 * Control protocol frames as the listener's control reader sees them (see
 * conn_readable in control.c): bytes arrive in reads of some size, each
 * read is appended to the connection's buffer and every complete frame is
 * taken off it, until a frame is bad or more bytes are needed.  The first
 * input byte sets the read size; the rest is the stream.
 *
 * Each frame taken is read the way dispatch reads it, and must encode back
 * (proto_frame_encode, as replies are sent) to a frame that parses to the
 * same JSON and payload.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "buffer.h"
#include "fuzz.h"
#include "proto.h"

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

	buffer_init(&b);
	proto_frame_init(&again);
	proto_frame_encode(&b, f->json, f->payload, f->payload_len);
	FUZZ_CHECK(proto_frame_parse(&b, &again, &cause) == 1);
	FUZZ_CHECK(buffer_unread(&b) == 0);
	FUZZ_CHECK(json_object_equal(f->json, again.json));
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
