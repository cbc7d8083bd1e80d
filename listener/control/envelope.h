/*
 * Message envelopes: the JSON description of a received message that
 * `fish wait --json` prints (the body is added by the client, which gets it
 * as raw bytes).
 */
#ifndef ENVELOPE_H
#define ENVELOPE_H

#include <stdint.h>

#include <json-c/json.h>

struct hook;

struct json_object *envelope_new(struct json_object *, const struct hook *);
struct json_object *envelope_sent(struct json_object *);
struct json_object *envelope_headers(struct json_object *);
char	*envelope_time(int64_t);
char	*envelope_hook_url(const struct hook *);

#endif
