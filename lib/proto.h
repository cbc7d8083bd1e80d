/*
 * The control protocol between fish and its listener.
 *
 * Each message is one frame: an 8-byte header holding two big-endian 32-bit
 * lengths (JSON text, then payload), the JSON text (an object), then the
 * payload bytes (a body, carried raw so binary bodies need no encoding).
 *
 * Requests are objects {"v": PROTO_VERSION, "cmd": NAME, ...}.  Every reply
 * is {"v": PROTO_VERSION, "status": EXIT, "error": TEXT?, ...}: "status" is
 * the exit status the command should end with and "error" the one line it
 * prints.  A peer that sends a malformed frame is disconnected, and so is
 * one that sends a request before the reply to its last: replies name no
 * request (doc/architecture.md, the control protocol).
 *
 * A request that says "interim": true may get interim frames before its
 * reply: {"v": PROTO_VERSION, "interim": WHAT}, with no "status", saying
 * that the request is still under way and the listener alive (WHAT:
 * "scanning", a wait still looking through a long queue past its
 * deadline).  They end nothing: the client skips them and reads on.  A
 * request without "interim" never gets one, so an older client, which
 * would take such a frame for a failed reply, is never sent one.
 *
 * A request whose client has hung up before the listener read it (a
 * client gives up on a listener that stays stopped) is dropped, not done:
 * nobody is left to answer.  stop alone is done all the same.
 *
 * A frame that parses but whose fields are wrong (a string where a number
 * belongs, a number out of range, a list too long) is answered, not
 * dropped: the proto_get_* getters tell a field that is absent from one
 * that is present and valid, or present and invalid, so that a handler can
 * answer "invalid FIELD" with EXIT_USAGE.
 */
#ifndef PROTO_H
#define PROTO_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "buffer.h"

#define PROTO_VERSION		1
#define PROTO_HEADER_LEN	8
#define PROTO_JSON_MAX		(4U << 20)
#define PROTO_PAYLOAD_MAX	(64U << 20)
/* The largest answer body a hook may be given (fish spawn --body). */
#define PROTO_HOOK_BODY_MAX	(1U << 20)
/*
 * The longest duration a request may carry, in ms: about 100 years, as
 * duration_parse allows.  Added to any clock the listener reads it cannot
 * overflow an int64_t.
 */
#define PROTO_MS_MAX		(100LL * 365 * 24 * 3600 * 1000)

/* The longest header name and value a request may carry. */
#define PROTO_HEADER_NAME_MAX	256
#define PROTO_HEADER_VALUE_MAX	(64U << 10)

/* What a proto_get_* getter found. */
#define PROTO_ABSENT		0
#define PROTO_VALID		1
#define PROTO_INVALID		(-1)

/* Exit statuses, shared by the CLI and the listener's replies. */
#define EXIT_OK			0
#define EXIT_FAILED		1
#define EXIT_USAGE		2
#define EXIT_UNAVAILABLE	3
#define EXIT_NOT_FOUND		4
#define EXIT_NETWORK		5
#define EXIT_TIMEOUT		124
#define EXIT_INTERRUPTED	130

struct proto_frame {
	struct json_object	*json;
	char			*payload;	/* NUL-terminated for convenience */
	size_t			 payload_len;
};

void	 proto_frame_init(struct proto_frame *);
void	 proto_frame_release(struct proto_frame *);
int	 proto_frame_parse(struct buffer *, struct proto_frame *, char **);
void	 proto_frame_encode(struct buffer *, struct json_object *, const void *,
	    size_t);
struct json_object *proto_request(const char *);
struct json_object *proto_reply(int, const char *);
struct json_object *proto_interim(const char *);
int	 proto_is_interim(struct json_object *);
int	 proto_status(struct json_object *);
const char *proto_string(struct json_object *, const char *);
int64_t	 proto_int(struct json_object *, const char *, int64_t);
int	 proto_bool(struct json_object *, const char *);
int	 proto_get_int(struct json_object *, const char *, int64_t, int64_t,
	    int64_t *);
int	 proto_get_string(struct json_object *, const char *, size_t, size_t,
	    const char **);
int	 proto_get_bool(struct json_object *, const char *, int *);
int	 proto_get_strings(struct json_object *, const char *, size_t, size_t,
	    size_t, struct json_object **);
int	 proto_get_headers(struct json_object *, const char *, size_t,
	    struct json_object **);
int	 proto_header_name_valid(const char *, size_t);

#endif
