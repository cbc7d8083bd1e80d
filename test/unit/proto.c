/*
 * Unit tests for control protocol frames: encoding and incremental parsing
 * (with and without payloads, binary payloads, partial input, frames back
 * to back, bad headers) and the request, reply and interim helpers.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "buffer.h"
#include "proto.h"
#include "tap.h"

/* Append a raw header with the given lengths. */
static void
add_header(struct buffer *b, uint32_t json_len, uint32_t payload_len)
{
	buffer_add_u32(b, json_len);
	buffer_add_u32(b, payload_len);
}

/* Check that b holds a bad frame, refused with a cause. */
static void
refused(struct buffer *b, const char *name)
{
	struct proto_frame	 f;
	char			*cause = NULL;

	proto_frame_init(&f);
	ok(proto_frame_parse(b, &f, &cause) == -1 && cause != NULL &&
	    f.json == NULL, "%s", name);
	free(cause);
	proto_frame_release(&f);
}

/* The typed getters: absent, valid, or invalid, and never a crash. */
static void
getters(void)
{
	struct json_object	*o, *list;
	const char		*s;
	int64_t			 n;
	int			 b;

	o = json_tokener_parse("{\"i\":5,\"neg\":-1,\"zero\":0,"
	    "\"max\":9223372036854775807,\"min\":-9223372036854775808,"
	    "\"over\":99999999999999999999,\"under\":-99999999999999999999,"
	    "\"u64\":18446744073709551615,\"d\":5.0,\"e\":1e3,"
	    "\"s\":\"text\",\"num\":\"5\",\"nul\":\"a\\u0000b\","
	    "\"empty\":\"\",\"t\":true,\"n\":null,\"o\":{},\"a\":[],"
	    "\"strs\":[\"a\",\"bc\"],\"mixed\":[\"a\",1],"
	    "\"nulls\":[null],\"h\":[[\"X-A\",\"1\"],[\"b\",\"\"]],"
	    "\"hcr\":[[\"X-A\",\"1\\r\\nX-B: 2\"]],"
	    "\"hlf\":[[\"X-A\",\"1\\n\"]],\"hname\":[[\"X A\",\"1\"]],"
	    "\"hcolon\":[[\"X:\",\"1\"]],\"hempty\":[[\"\",\"1\"]],"
	    "\"hthree\":[[\"a\",\"b\",\"c\"]],\"hnum\":[[\"a\",1]],"
	    "\"hflat\":[\"a\",\"b\"],\"hnul\":[[\"a\",\"x\\u0000\"]]}");
	ok(o != NULL, "the getters' fixture parses");

	n = 42;
	is_int(proto_get_int(o, "missing", 0, 10, &n), PROTO_ABSENT,
	    "proto_get_int of absent is PROTO_ABSENT");
	is_int(n, 42, "proto_get_int of absent leaves the default");
	is_int(proto_get_int(o, "i", 0, 10, &n), PROTO_VALID,
	    "proto_get_int in range is PROTO_VALID");
	is_int(n, 5, "proto_get_int gives the value");
	is_int(proto_get_int(o, "i", 0, 5, &n), PROTO_VALID,
	    "proto_get_int accepts the maximum");
	is_int(proto_get_int(o, "i", 5, 10, &n), PROTO_VALID,
	    "proto_get_int accepts the minimum");
	n = 42;
	is_int(proto_get_int(o, "i", 0, 4, &n), PROTO_INVALID,
	    "proto_get_int above the range is PROTO_INVALID");
	is_int(n, 42, "an invalid value leaves the default");
	is_int(proto_get_int(o, "i", 6, 10, &n), PROTO_INVALID,
	    "proto_get_int below the range is PROTO_INVALID");
	is_int(proto_get_int(o, "neg", 0, 10, &n), PROTO_INVALID,
	    "a negative number is invalid where it may not be");
	is_int(proto_get_int(o, "zero", 1, 10, &n), PROTO_INVALID,
	    "zero is invalid where it may not be");
	is_int(proto_get_int(o, "max", 0, PROTO_MS_MAX, &n), PROTO_INVALID,
	    "INT64_MAX is beyond a duration");
	is_int(proto_get_int(o, "max", 0, INT64_MAX, &n), PROTO_VALID,
	    "INT64_MAX is valid where allowed");
	is_int(n, INT64_MAX, "INT64_MAX is kept");
	is_int(proto_get_int(o, "min", INT64_MIN, 0, &n), PROTO_VALID,
	    "INT64_MIN is valid where allowed");
	is_int(proto_get_int(o, "over", 0, INT64_MAX, &n), PROTO_INVALID,
	    "a number beyond 64 bits is invalid, not clamped");
	is_int(proto_get_int(o, "u64", 0, INT64_MAX, &n), PROTO_INVALID,
	    "UINT64_MAX is invalid, not clamped");
	is_int(proto_get_int(o, "under", -10, INT64_MAX, &n), PROTO_INVALID,
	    "a number below 64 bits is invalid");
	is_int(proto_get_int(o, "d", 0, 10, &n), PROTO_INVALID,
	    "5.0 is not an integer");
	is_int(proto_get_int(o, "e", 0, 10000, &n), PROTO_INVALID,
	    "1e3 is not an integer");
	is_int(proto_get_int(o, "num", 0, 10, &n), PROTO_INVALID,
	    "a string of digits is not an integer");
	is_int(proto_get_int(o, "t", 0, 10, &n), PROTO_INVALID,
	    "true is not an integer");
	is_int(proto_get_int(o, "n", 0, 10, &n), PROTO_INVALID,
	    "null is present and not an integer");
	is_int(proto_get_int(o, "o", 0, 10, &n), PROTO_INVALID,
	    "an object is not an integer");
	is_int(proto_get_int(NULL, "i", 0, 10, &n), PROTO_ABSENT,
	    "proto_get_int of no object is PROTO_ABSENT");

	s = "default";
	is_int(proto_get_string(o, "missing", 0, 10, &s), PROTO_ABSENT,
	    "proto_get_string of absent is PROTO_ABSENT");
	is_str(s, "default", "proto_get_string of absent leaves the default");
	is_int(proto_get_string(o, "s", 1, 10, &s), PROTO_VALID,
	    "proto_get_string of a string is PROTO_VALID");
	is_str(s, "text", "proto_get_string gives the string");
	is_int(proto_get_string(o, "s", 1, 3, &s), PROTO_INVALID,
	    "a string longer than allowed is invalid");
	is_int(proto_get_string(o, "empty", 1, 3, &s), PROTO_INVALID,
	    "an empty string is invalid where it may not be");
	is_int(proto_get_string(o, "empty", 0, 3, &s), PROTO_VALID,
	    "an empty string is valid where allowed");
	is_int(proto_get_string(o, "nul", 0, 10, &s), PROTO_INVALID,
	    "a string with a NUL byte is invalid");
	is_int(proto_get_string(o, "i", 0, 10, &s), PROTO_INVALID,
	    "a number is not a string");
	is_int(proto_get_string(o, "n", 0, 10, &s), PROTO_INVALID,
	    "null is not a string");
	is_int(proto_get_string(o, "a", 0, 10, &s), PROTO_INVALID,
	    "an array is not a string");

	b = 7;
	is_int(proto_get_bool(o, "missing", &b), PROTO_ABSENT,
	    "proto_get_bool of absent is PROTO_ABSENT");
	is_int(b, 7, "proto_get_bool of absent leaves the default");
	is_int(proto_get_bool(o, "t", &b), PROTO_VALID,
	    "proto_get_bool of true is PROTO_VALID");
	is_int(b, 1, "proto_get_bool gives true");
	is_int(proto_get_bool(o, "i", &b), PROTO_INVALID,
	    "a number is not a boolean");
	is_int(proto_get_bool(o, "s", &b), PROTO_INVALID,
	    "a string is not a boolean");
	is_int(proto_get_bool(o, "n", &b), PROTO_INVALID,
	    "null is not a boolean");

	list = NULL;
	is_int(proto_get_strings(o, "missing", 0, 10, 10, &list), PROTO_ABSENT,
	    "proto_get_strings of absent is PROTO_ABSENT");
	ok(list == NULL, "proto_get_strings of absent leaves the list alone");
	is_int(proto_get_strings(o, "strs", 1, 2, 2, &list), PROTO_VALID,
	    "a list of strings is PROTO_VALID");
	is_int(json_object_array_length(list), 2, "it is the list given");
	is_int(proto_get_strings(o, "strs", 3, 10, 10, &list), PROTO_INVALID,
	    "a list shorter than allowed is invalid");
	is_int(proto_get_strings(o, "strs", 0, 1, 10, &list), PROTO_INVALID,
	    "a list longer than allowed is invalid");
	is_int(proto_get_strings(o, "strs", 0, 10, 1, &list), PROTO_INVALID,
	    "a list with a string too long is invalid");
	is_int(proto_get_strings(o, "a", 0, 10, 10, &list), PROTO_VALID,
	    "an empty list is valid where allowed");
	is_int(proto_get_strings(o, "mixed", 0, 10, 10, &list), PROTO_INVALID,
	    "a list with a number in it is invalid");
	is_int(proto_get_strings(o, "nulls", 0, 10, 10, &list), PROTO_INVALID,
	    "a list with null in it is invalid");
	is_int(proto_get_strings(o, "s", 0, 10, 10, &list), PROTO_INVALID,
	    "a string is not a list");
	is_int(proto_get_strings(o, "o", 0, 10, 10, &list), PROTO_INVALID,
	    "an object is not a list");

	list = NULL;
	is_int(proto_get_headers(o, "missing", 10, &list), PROTO_ABSENT,
	    "proto_get_headers of absent is PROTO_ABSENT");
	is_int(proto_get_headers(o, "h", 10, &list), PROTO_VALID,
	    "[[name, value], ...] is PROTO_VALID");
	ok(list != NULL && json_object_array_length(list) == 2,
	    "proto_get_headers gives the list");
	is_int(proto_get_headers(o, "a", 10, &list), PROTO_VALID,
	    "no headers at all is valid");
	is_int(proto_get_headers(o, "h", 1, &list), PROTO_INVALID,
	    "more headers than allowed is invalid");
	is_int(proto_get_headers(o, "hcr", 10, &list), PROTO_INVALID,
	    "a value with CR LF is invalid");
	is_int(proto_get_headers(o, "hlf", 10, &list), PROTO_INVALID,
	    "a value with LF is invalid");
	is_int(proto_get_headers(o, "hnul", 10, &list), PROTO_INVALID,
	    "a value with NUL is invalid");
	is_int(proto_get_headers(o, "hname", 10, &list), PROTO_INVALID,
	    "a name with a space is invalid");
	is_int(proto_get_headers(o, "hcolon", 10, &list), PROTO_INVALID,
	    "a name with a colon is invalid");
	is_int(proto_get_headers(o, "hempty", 10, &list), PROTO_INVALID,
	    "an empty name is invalid");
	is_int(proto_get_headers(o, "hthree", 10, &list), PROTO_INVALID,
	    "a triple is not a header");
	is_int(proto_get_headers(o, "hnum", 10, &list), PROTO_INVALID,
	    "a number is not a header value");
	is_int(proto_get_headers(o, "hflat", 10, &list), PROTO_INVALID,
	    "a flat list of strings is not a header list");
	is_int(proto_get_headers(o, "o", 10, &list), PROTO_INVALID,
	    "an object is not a header list");
	is_int(proto_header_name_valid("Content-Type", 12), 1,
	    "Content-Type is a header name");
	is_int(proto_header_name_valid("a\0b", 3), 0,
	    "a NUL byte is not in a header name");
	json_object_put(o);
}

/*
 * Interim frames: {v, interim} and no status, told from every reply, and
 * never taken for one (an old client reads no status as a failure).
 */
static void
interim(void)
{
	struct json_object	*o;

	o = proto_interim("scanning");
	is_str(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN),
	    "{\"v\":1,\"interim\":\"scanning\"}",
	    "proto_interim makes {v, interim}");
	ok(proto_is_interim(o), "proto_is_interim knows an interim frame");
	is_int(proto_status(o), EXIT_FAILED,
	    "an interim frame read as a reply is a failure, never a success");
	json_object_put(o);
	o = proto_reply(EXIT_OK, NULL);
	ok(!proto_is_interim(o), "a reply is not an interim frame");
	json_object_object_add(o, "interim", json_object_new_string("x"));
	ok(!proto_is_interim(o), "a frame with a status is a reply");
	json_object_put(o);
	o = json_tokener_parse("{\"v\":1,\"interim\":true}");
	ok(!proto_is_interim(o), "an interim that names nothing is not one");
	json_object_put(o);
}

/* Run every case and print the plan. */
int
main(void)
{
	static const char	 binary[] = "a\0b\0\0\xff\n";
	struct buffer		 b, one;
	struct proto_frame	 f;
	struct json_object	*o;
	char			*cause;
	const char		*s;
	size_t			 i, total;
	int			 r;

	buffer_init(&b);
	proto_frame_init(&f);

	/* proto_request and a frame without payload. */
	o = proto_request("status");
	is_str(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN),
	    "{\"v\":1,\"cmd\":\"status\"}", "proto_request makes {v, cmd}");
	proto_frame_encode(&b, o, NULL, 0);
	total = PROTO_HEADER_LEN + strlen("{\"v\":1,\"cmd\":\"status\"}");
	is_int(buffer_unread(&b), total, "the frame is header plus JSON");
	is_int(get_u32(buffer_peek(&b)), total - PROTO_HEADER_LEN,
	    "the header holds the JSON length");
	is_int(get_u32(buffer_peek(&b) + 4), 0,
	    "the header holds a zero payload length");
	r = proto_frame_parse(&b, &f, &cause);
	is_int(r, 1, "the frame parses");
	is_str(proto_string(f.json, "cmd"), "status", "cmd survives");
	is_int(proto_int(f.json, "v", -1), PROTO_VERSION, "v survives");
	ok(f.payload != NULL && f.payload_len == 0 && f.payload[0] == '\0',
	    "an empty payload is an empty string");
	is_int(buffer_unread(&b), 0, "parsing consumes the frame");
	proto_frame_release(&f);
	ok(f.json == NULL && f.payload == NULL, "release empties the frame");
	json_object_put(o);

	/* A frame with a binary payload, fed one byte at a time. */
	o = proto_reply(EXIT_OK, NULL);
	json_object_object_add(o, "path", json_object_new_string("/a/b"));
	buffer_init(&one);
	proto_frame_encode(&one, o, binary, sizeof binary);
	json_object_put(o);
	total = buffer_unread(&one);
	for (i = 0; i < total; i++) {
		buffer_add(&b, buffer_peek(&one) + i, 1);
		cause = NULL;
		r = proto_frame_parse(&b, &f, &cause);
		if (r != 0 || cause != NULL)
			break;
	}
	is_int(i, total - 1, "partial input returns 0 until the last byte");
	is_int(r, 1, "the last byte completes the frame");
	ok(f.payload_len == sizeof binary &&
	    memcmp(f.payload, binary, sizeof binary) == 0,
	    "a binary payload with NUL bytes survives");
	ok(f.payload[f.payload_len] == '\0', "the payload is NUL-terminated");
	is_str(proto_string(f.json, "path"), "/a/b", "slashes are not mangled");
	proto_frame_release(&f);

	/* Two frames back to back, then a partial third. */
	buffer_add(&b, buffer_peek(&one), total);
	o = proto_request("second");
	proto_frame_encode(&b, o, "xy", 2);
	json_object_put(o);
	buffer_add(&b, buffer_peek(&one), 5);
	r = proto_frame_parse(&b, &f, &cause);
	ok(r == 1 && proto_status(f.json) == EXIT_OK &&
	    f.payload_len == sizeof binary, "the first of two frames parses");
	proto_frame_release(&f);
	r = proto_frame_parse(&b, &f, &cause);
	ok(r == 1 && f.payload_len == 2 && memcmp(f.payload, "xy", 2) == 0,
	    "the second frame parses with its own payload");
	is_str(proto_string(f.json, "cmd"), "second",
	    "the second frame has its own JSON");
	proto_frame_release(&f);
	is_int(proto_frame_parse(&b, &f, &cause), 0,
	    "a partial header after them needs more");
	is_int(buffer_unread(&b), 5, "the partial header is left in place");
	buffer_release(&b);
	buffer_release(&one);

	/* Bad headers and bodies. */
	add_header(&b, 0, 0);
	refused(&b, "a zero JSON length is refused");
	buffer_release(&b);
	add_header(&b, PROTO_JSON_MAX + 1, 0);
	refused(&b, "an oversized JSON length is refused before its bytes");
	buffer_release(&b);
	add_header(&b, 0xffffffffU, 0xffffffffU);
	refused(&b, "all-ones lengths are refused");
	buffer_release(&b);
	add_header(&b, 2, PROTO_PAYLOAD_MAX + 1);
	refused(&b, "an oversized payload length is refused before its bytes");
	buffer_release(&b);
	add_header(&b, PROTO_JSON_MAX, PROTO_PAYLOAD_MAX);
	cause = NULL;
	ok(proto_frame_parse(&b, &f, &cause) == 0 && cause == NULL,
	    "the largest allowed lengths wait for more");
	buffer_release(&b);
	add_header(&b, 2, 0);
	buffer_add(&b, "[]", 2);
	refused(&b, "a JSON array is refused");
	buffer_release(&b);
	add_header(&b, 2, 0);
	buffer_add(&b, "42", 2);
	refused(&b, "a JSON number is refused");
	buffer_release(&b);
	add_header(&b, 4, 0);
	buffer_add(&b, "null", 4);
	refused(&b, "JSON null is refused");
	buffer_release(&b);
	add_header(&b, 4, 1);
	buffer_add(&b, "{\"a\"x", 5);
	refused(&b, "invalid JSON is refused");
	buffer_release(&b);
	add_header(&b, 4, 0);
	buffer_add(&b, "{}{}", 4);
	refused(&b, "two JSON values in one frame are refused");
	buffer_release(&b);
	add_header(&b, 3, 0);
	buffer_add(&b, "{}\0", 3);
	refused(&b, "a NUL byte after the JSON is refused");
	buffer_release(&b);

	/* proto_reply and proto_status. */
	o = proto_reply(EXIT_NOT_FOUND, "no hook 'x'");
	is_int(proto_status(o), EXIT_NOT_FOUND, "proto_status reads status");
	is_str(proto_string(o, "error"), "no hook 'x'", "the error is kept");
	is_int(proto_int(o, "v", 0), PROTO_VERSION, "a reply carries v");
	json_object_put(o);
	o = proto_reply(EXIT_OK, NULL);
	is_int(proto_status(o), EXIT_OK, "a success reply has status 0");
	ok(!json_object_object_get_ex(o, "error", NULL),
	    "a reply without an error has no error member");
	json_object_put(o);
	o = json_object_new_object();
	is_int(proto_status(o), EXIT_FAILED,
	    "a reply without status is a failure");
	json_object_object_add(o, "status", json_object_new_string("0"));
	is_int(proto_status(o), EXIT_FAILED,
	    "a reply with a string status is a failure");
	json_object_put(o);

	/* proto_string, proto_int and proto_bool. */
	cause = NULL;
	o = json_tokener_parse("{\"s\":\"text\",\"i\":-7,\"big\":5000000000,"
	    "\"d\":1.5,\"t\":true,\"f\":false,\"n\":null,\"o\":{}}");
	ok(o != NULL, "the fixture parses");
	is_str(proto_string(o, "s"), "text", "proto_string finds a string");
	s = proto_string(o, "i");
	ok(s == NULL, "proto_string of a number is NULL");
	ok(proto_string(o, "n") == NULL, "proto_string of null is NULL");
	ok(proto_string(o, "missing") == NULL,
	    "proto_string of absent is NULL");
	is_int(proto_int(o, "i", 0), -7, "proto_int finds a negative integer");
	is_int(proto_int(o, "big", 0), 5000000000LL,
	    "proto_int keeps 64 bits");
	is_int(proto_int(o, "d", 99), 99,
	    "proto_int of a fraction is the default");
	is_int(proto_int(o, "s", 99), 99,
	    "proto_int of a string is the default");
	is_int(proto_int(o, "n", 99), 99, "proto_int of null is the default");
	is_int(proto_int(o, "missing", -1), -1,
	    "proto_int of absent is the default");
	is_int(proto_bool(o, "t"), 1, "proto_bool of true");
	is_int(proto_bool(o, "f"), 0, "proto_bool of false");
	is_int(proto_bool(o, "n"), 0, "proto_bool of null is false");
	is_int(proto_bool(o, "missing"), 0, "proto_bool of absent is false");
	json_object_put(o);

	getters();
	interim();
	return (done_testing());
}
