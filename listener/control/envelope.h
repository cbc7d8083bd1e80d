/*
 * Message envelopes: the JSON description of a received message that
 * `fish wait --json` prints (the body is added by the client, which gets it
 * as raw bytes).  And hook URLs, all built here: the one users see, and the
 * one the listener sends to itself at (fish replay).
 */
#ifndef ENVELOPE_H
#define ENVELOPE_H

#include <stdint.h>

#include <json-c/json.h>

struct hook;

/* Where the listener reaches one of its own hooks (envelope_hook_local). */
struct envelope_local {
	char		*url;
	const char	*trust;		/* our certificate's file, or NULL */
	char		*connect_to;	/* for curl (httpc_request), or NULL */
};

struct json_object *envelope_new(struct json_object *, const struct hook *);
struct json_object *envelope_sent(struct json_object *);
struct json_object *envelope_headers(struct json_object *);
char	*envelope_time(int64_t);
char	*envelope_base_url(void);
struct json_object *envelope_tunnel(void);
char	*envelope_hook_url(const struct hook *);
void	 envelope_hook_local(const struct hook *, const char *,
	    struct envelope_local *);
void	 envelope_local_release(struct envelope_local *);

#endif
