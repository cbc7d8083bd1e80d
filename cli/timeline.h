/*
 * Printing the session's timeline: the one-line format of fish log and
 * fish tail, the JSON form of entries with their bodies, and what the
 * timeline commands share (their options, filters among them).
 *
 * An entry is the listener's description of one message: received
 * ("direction": "received", the envelope of wait --json without its body)
 * or sent ("direction": "sent"; "state": "sending" while under way,
 * "unanswered" when the listener stopped before its outcome was recorded,
 * else "sent").  Its body bytes travel beside it: for a sent request, the
 * request body (entry.request_body_len bytes) followed by the response
 * body.
 */
#ifndef CLI_TIMELINE_H
#define CLI_TIMELINE_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "fish.h"
#include "term.h"

struct client;
struct proto_frame;

/* Handed each entry of a log (timeline_receive). */
typedef int (*timeline_entry_cb)(struct json_object *, const void *, size_t,
    void *);

/* Flags for timeline_print. */
#define TIMELINE_JSON	0x1	/* NDJSON instead of the one-line format */
#define TIMELINE_COLOUR	0x2	/* colour the one-line format */

int	 timeline_shared_option(const struct cmd_entry *, int, const char *,
	    struct json_object *, enum term_colour *, int *);
int	 timeline_number(const char *, int64_t *);
int64_t	 timeline_ms(const char *);
int	 timeline_is_sent(struct json_object *);
int	 timeline_answered(struct json_object *);
size_t	 timeline_request_len(struct json_object *, size_t);
void	 timeline_with_bodies(struct json_object *, const void *, size_t);
int	 timeline_style(int, enum term_colour);
int	 timeline_print(struct json_object *, const void *, size_t, int);
int	 timeline_write_error(const char *);
int	 timeline_receive(struct client *, struct proto_frame *,
	    timeline_entry_cb, void *);

#endif
