/*
 * What hooks answer: libmicrohttpd responses built from a hook's settings
 * (fish spawn --status, -H, --body), from fish reply, from the value a
 * handshake asks to have echoed (--echo), or relayed from the local app a
 * hook forwards to (--forward-to).
 */
#ifndef ANSWER_H
#define ANSWER_H

#include <stddef.h>

#include <json-c/json.h>

struct MHD_Connection;
struct MHD_Response;
struct hook;
struct httpc_result;

int		 answer_hop_header(const char *);
struct MHD_Response *answer_new(struct json_object *, const void *, size_t);
struct MHD_Response *answer_text(struct json_object *, const char *);
struct MHD_Response *answer_text_len(struct json_object *, const char *,
		    size_t);
struct MHD_Response *answer_canned(struct hook *);
char		*answer_echo(const struct hook *, struct MHD_Connection *,
		    const void *, size_t, size_t *);
struct json_object *answer_request_headers(struct MHD_Connection *);
struct json_object *answer_forward_headers(struct MHD_Connection *);
char		*answer_forward_url(const struct hook *, const char *);
struct MHD_Response *answer_relay(const struct httpc_result *);

#endif
