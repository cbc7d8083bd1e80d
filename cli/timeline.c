/*
 * Printing timeline entries (see timeline.h) for fish log, tail and show.
 *
 * The one-line format is for people on a terminal: received content is never
 * written to it as it is, since a body or path may hold escape sequences.
 * Control characters become spaces in previews (of bodies that are UTF-8
 * text); other fields show them, and bytes that are not UTF-8, as error lines
 * do (escape_line, lib/escape.c).  Colours (see term.c for when): arrows by
 * direction, statuses by class (2xx green, 3xx cyan, 4xx yellow, 5xx and
 * failures red), rejected requests red, sequence numbers and requests under
 * way dim.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buffer.h"
#include "client.h"
#include "escape.h"
#include "filter.h"
#include "fish.h"
#include "mask.h"
#include "output.h"
#include "proto.h"
#include "term.h"
#include "timeline.h"
#include "xmalloc.h"

/* How many characters of a body the one-line format shows. */
#define TIMELINE_PREVIEW	60

#define COLOUR_SENT	TERM_BOLD_CYAN
#define COLOUR_RECEIVED	TERM_BOLD_MAGENTA

/*
 * Parse the value of --color of log and tail, absent meaning always; print
 * a usage error and return -1 if it is not a valid one.
 */
static int
timeline_colour_option(const struct cmd_entry *entry, const char *arg,
    enum term_colour *mode)
{
	if (arg == NULL) {
		*mode = TERM_COLOUR_ALWAYS;
		return (0);
	}
	if (term_colour_parse(arg, mode) == 0)
		return (0);
	cmd_usage_error(entry, "invalid --color '%s' (use auto, always or "
	    "never)", arg);
	return (-1);
}

/*
 * Add the filter a --method, --status, --event or --where option (ch:
 * 'm', 'S', 'e', 'w') of log or tail gives to where; print a usage error
 * and return -1 if it could never match.  --status takes a code, a class
 * (4xx), alternatives (404|410) or a comparison (>=400).
 */
static int
timeline_filter_option(const struct cmd_entry *entry, int ch, const char *arg,
    struct json_object *where)
{
	struct filter	 f;
	char		*text, *cause;

	switch (ch) {
	case 'm':
		xasprintf(&text, "method=%s", arg);
		break;
	case 'S':
		xasprintf(&text, "status%s%s", strchr("<>!=", *arg) != NULL &&
		    *arg != '\0' ? "" : "=", arg);
		break;
	case 'e':
		xasprintf(&text, "event=%s", arg);
		break;
	default:
		text = xstrdup(arg);
		break;
	}
	if (filter_parse(text, &f, &cause) == -1) {
		cmd_usage_error(entry, "%s", cause);
		free(cause);
		free(text);
		return (-1);
	}
	filter_release(&f);
	json_object_array_add(where, json_object_new_string(text));
	free(text);
	return (0);
}

/*
 * Take an option log and tail share: --color into *colour, a filter
 * (--method, --status, --event, --where) into where, --json into *flags.
 * Return 0 when ch was one of them, 1 when it is not (the caller's own),
 * -1 after a usage error.
 */
int
timeline_shared_option(const struct cmd_entry *entry, int ch, const char *arg,
    struct json_object *where, enum term_colour *colour, int *flags)
{
	switch (ch) {
	case 'C':
		return (timeline_colour_option(entry, arg, colour));
	case 'e':
	case 'm':
	case 'S':
	case 'w':
		return (timeline_filter_option(entry, ch, arg, where));
	case 'j':
		*flags |= TIMELINE_JSON;
		return (0);
	default:
		return (1);
	}
}

/* Parse a non-negative decimal integer; -1 if s is not one. */
int
timeline_number(const char *s, int64_t *value)
{
	char		*end;
	uintmax_t	 n;

	if (*s < '0' || *s > '9')
		return (-1);
	errno = 0;
	n = strtoumax(s, &end, 10);
	if (errno != 0 || *end != '\0' || n > INT64_MAX)
		return (-1);
	*value = (int64_t)n;
	return (0);
}

/* Tell whether an entry is a request we sent. */
int
timeline_is_sent(struct json_object *entry)
{
	const char	*s = proto_string(entry, "direction");

	return (s != NULL && strcmp(s, "sent") == 0);
}

/*
 * Tell whether a sent entry has an outcome: not a request still under way
 * ("state": "sending") or one whose listener stopped first ("unanswered").
 */
int
timeline_answered(struct json_object *entry)
{
	const char	*s = proto_string(entry, "state");

	return (s == NULL || strcmp(s, "sent") == 0);
}

/*
 * Return how many of an entry's len body bytes are the request's: a sent
 * one's are followed by its response's; a received one's by the body of
 * its answer, when it was held or forwarded ("body_len" of "answer").
 */
size_t
timeline_request_len(struct json_object *entry, size_t len)
{
	struct json_object	*answer;
	int64_t			 n;

	if (!timeline_is_sent(entry)) {
		if (!json_object_object_get_ex(entry, "answer", &answer))
			return (len);
		n = proto_int(answer, "body_len", 0);
		return (n <= 0 ? len : (uint64_t)n > len ? 0 : len - (size_t)n);
	}
	n = proto_int(entry, "request_body_len", 0);
	if (n < 0)
		return (0);
	return ((uint64_t)n > len ? len : (size_t)n);
}

/*
 * Add a body to a JSON object as member key when it is text (UTF-8
 * without NUL), else base64-encoded as member key_base64.
 */
static void
timeline_add_body(struct json_object *o, const char *key, const void *data,
    size_t len)
{
	char	*encoded, *name;

	if (len == 0 || (memchr(data, '\0', len) == NULL &&
	    utf8_valid(data, len))) {
		json_object_object_add(o, key,
		    json_object_new_string_len(len == 0 ? "" : data, (int)len));
		return;
	}
	encoded = base64_encode(data, len);
	xasprintf(&name, "%s_base64", key);
	json_object_object_add(o, name, json_object_new_string(encoded));
	free(name);
	free(encoded);
}

/*
 * Add an entry's bodies: "body" for a received message, and the "body" of
 * its "answer" when it was held or forwarded and the answer had one;
 * "body" (the request's) and "response_body" for a sent one.  A rejected
 * request's body was not kept: its entry has "body_size" and
 * "body_sha256" instead.
 */
void
timeline_with_bodies(struct json_object *entry, const void *data, size_t len)
{
	struct json_object	*answer;
	size_t			 n;

	if (proto_string(entry, "body_sha256") != NULL ||
	    proto_string(entry, "refused") != NULL)
		return;
	n = timeline_request_len(entry, len);
	if (!timeline_is_sent(entry)) {
		envelope_with_body(entry, data, n);
		if (n < len && json_object_object_get_ex(entry, "answer",
		    &answer))
			timeline_add_body(answer, "body", (const char *)data + n,
			    len - n);
		return;
	}
	timeline_add_body(entry, "body", data, n);
	timeline_add_body(entry, "response_body", (const char *)data + n,
	    len - n);
}

/*
 * Add text to b with control characters (C0, DEL, C1) replaced by
 * replacement and, when collapse is set, runs of them and of spaces
 * reduced to one.  Stop after max characters (0: no limit) and add "…".
 */
static void
timeline_add_clean(struct buffer *b, const char *s, size_t len,
    char replacement, size_t max, int collapse)
{
	const unsigned char	*p = (const unsigned char *)s;
	const unsigned char	*end = p + len;
	size_t			 chars = 0, n;
	int			 blank = 0;

	while (p < end) {
		if (max != 0 && chars == max) {
			buffer_add_str(b, "\xe2\x80\xa6");
			return;
		}
		if (*p < 0x20 || *p == 0x7f || *p == ' ' || (*p == 0xc2 &&
		    p + 1 < end && p[1] >= 0x80 && p[1] <= 0x9f)) {
			n = *p == 0xc2 ? 2 : 1;
			if (collapse && blank) {
				p += n;
				continue;
			}
			buffer_add(b, *p == ' ' ? " " : &replacement, 1);
			blank = 1;
			p += n;
			chars++;
			continue;
		}
		blank = 0;
		/* Copy one UTF-8 character whole. */
		n = 1;
		while (p + n < end && (p[n] & 0xc0) == 0x80)
			n++;
		buffer_add(b, p, n);
		p += n;
		chars++;
	}
}

/* Add a string field of an entry to b, escaped (escape_line). */
static void
timeline_add_field(struct buffer *b, struct json_object *entry,
    const char *key)
{
	const char	*s = proto_string(entry, key);

	if (s != NULL)
		escape_line(b, s, strlen(s));
}

/* Add text to b between a colour and a reset when colour is set. */
static void
timeline_add_coloured(struct buffer *b, int colour, const char *code,
    const char *text)
{
	if (colour)
		buffer_add_str(b, code);
	buffer_add_str(b, text);
	if (colour)
		buffer_add_str(b, TERM_RESET);
}

/*
 * Return the unix ms of an RFC 3339 UTC timestamp as the listener writes
 * them (2026-11-28T12:34:50.653Z), or -1 if it is not one.
 */
int64_t
timeline_ms(const char *when)
{
	struct tm	tm;
	int		ms = 0;

	memset(&tm, 0, sizeof tm);
	if (when == NULL || sscanf(when, "%4d-%2d-%2dT%2d:%2d:%2d.%3d",
	    &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
	    &tm.tm_sec, &ms) != 7)
		return (-1);
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return ((int64_t)timegm(&tm) * 1000 + ms);
}

/* Add the local time of day, HH:MM:SS.mmm, of an RFC 3339 UTC timestamp. */
static void
timeline_add_clock(struct buffer *b, const char *when)
{
	struct tm	tm;
	time_t		t;
	char		text[16];
	int64_t		ms;

	if ((ms = timeline_ms(when)) < 0) {
		buffer_add_str(b, "??:??:??.???");
		return;
	}
	t = (time_t)(ms / 1000);
	localtime_r(&t, &tm);
	strftime(text, sizeof text, "%H:%M:%S", &tm);
	buffer_printf(b, "%s.%03d", text, (int)(ms % 1000));
}

/* Add a byte count for people: 26 B, 1.5 KiB, 3.2 MiB. */
static void
timeline_add_size(struct buffer *b, size_t len)
{
	if (len < 1024)
		buffer_printf(b, "%zu B", len);
	else if (len < 1024 * 1024)
		buffer_printf(b, "%.1f KiB", (double)len / 1024);
	else
		buffer_printf(b, "%.1f MiB", (double)len / (1024 * 1024));
}

/* Add the hook of a received entry: its name, or its token's start. */
static void
timeline_add_hook(struct buffer *b, struct json_object *entry)
{
	const char	*name = proto_string(entry, "name");
	const char	*url = proto_string(entry, "hook"), *token;

	if (name != NULL) {
		escape_line(b, name, strlen(name));
		return;
	}
	if (url == NULL) {
		buffer_add_str(b, "-");
		return;
	}
	token = strrchr(url, '/') != NULL ? strrchr(url, '/') + 1 : url;
	buffer_add(b, token, strnlen(token, 8));
}

/* Add the one-line form of a sent entry. */
static void
timeline_add_sent(struct buffer *b, struct json_object *entry, int colour)
{
	const char	*error = proto_string(entry, "error");
	int64_t		 http_status = proto_int(entry, "http_status", 0);
	char		*text;

	buffer_add_str(b, "  ");
	timeline_add_field(b, entry, "method");
	buffer_add_str(b, " ");
	timeline_add_field(b, entry, "url");
	buffer_add_str(b, "  ");
	if (error == NULL && !timeline_answered(entry))
		xasprintf(&text, "sending");
	else if (proto_int(entry, "status", 0) != EXIT_OK)
		xasprintf(&text, "%s", error != NULL ? error : "failed");
	else
		xasprintf(&text, "%" PRId64, http_status);
	if (colour)
		buffer_add_str(b, !timeline_answered(entry) && error == NULL ?
		    TERM_DIM : proto_int(entry, "status", 0) != EXIT_OK ?
		    TERM_RED : term_status_colour(http_status));
	escape_line(b, text, strlen(text));
	if (colour)
		buffer_add_str(b, TERM_RESET);
	free(text);
	if (timeline_answered(entry))
		buffer_printf(b, "  %" PRId64 " ms",
		    proto_int(entry, "time_ms", 0));
	if (proto_int(entry, "attempt", 0) > 0)
		buffer_printf(b, "  attempt %" PRId64,
		    proto_int(entry, "attempt", 0));
	if (proto_int(entry, "retry_of", 0) > 0)
		buffer_printf(b, " of #%" PRId64,
		    proto_int(entry, "retry_of", 0));
	if (proto_int(entry, "retry_in_ms", -1) >= 0)
		buffer_printf(b, ", retry in %" PRId64 " ms",
		    proto_int(entry, "retry_in_ms", 0));
}

/*
 * Add what the provider calls a received entry's message (its "event"),
 * else its request line, METHOD PATH?QUERY.
 */
static void
timeline_add_request(struct buffer *b, struct json_object *entry)
{
	const char	*query = proto_string(entry, "query");
	const char	*event = proto_string(entry, "event");

	if (event != NULL) {
		escape_line(b, event, strlen(event));
		buffer_add_str(b, " (");
		timeline_add_field(b, entry, "method");
		buffer_add_str(b, ")");
		return;
	}
	/* A 431's method is unknown: MHD refused the head before us. */
	if (proto_string(entry, "method") == NULL ||
	    *proto_string(entry, "method") == '\0')
		buffer_add_str(b, "-");
	else
		timeline_add_field(b, entry, "method");
	buffer_add_str(b, " ");
	timeline_add_field(b, entry, "path");
	if (query != NULL && *query != '\0') {
		buffer_add_str(b, "?");
		timeline_add_field(b, entry, "query");
	}
}

/*
 * Add how a held or forwarded request was answered: "replied 202",
 * "timed out 504", ...
 */
static void
timeline_add_answer(struct buffer *b, struct json_object *entry, int colour)
{
	struct json_object	*answer;
	const char		*outcome;
	int64_t			 status;

	if (!json_object_object_get_ex(entry, "answer", &answer))
		return;
	outcome = proto_string(answer, "outcome");
	status = proto_int(answer, "status", 0);
	buffer_add_str(b, "  ");
	if (outcome != NULL) {
		escape_line(b, outcome, strlen(outcome));
		buffer_add_str(b, " ");
	}
	if (colour)
		buffer_add_str(b, term_status_colour(status));
	buffer_printf(b, "%" PRId64, status);
	if (colour)
		buffer_add_str(b, TERM_RESET);
}

/*
 * Add the one-line form of a refused entry: its hook ("-" for none), the
 * request line, the status and why.  Its body was never read.
 */
static void
timeline_add_refused(struct buffer *b, struct json_object *entry, int colour)
{
	const char	*reason = proto_string(entry, "refused");
	int64_t		 status = proto_int(entry, "http_status", 0);

	buffer_add_str(b, "  ");
	timeline_add_hook(b, entry);
	buffer_add_str(b, "  ");
	timeline_add_request(b, entry);
	buffer_add_str(b, "  ");
	if (colour)
		buffer_add_str(b, term_status_colour(status));
	buffer_printf(b, "%" PRId64 " refused: ", status);
	if (reason != NULL)
		escape_line(b, reason, strlen(reason));
	if (colour)
		buffer_add_str(b, TERM_RESET);
}

/*
 * Add the start of the SHA-256 of a body not kept.  Only the listener
 * writes it, in hex (reject.c), but it is read back from a journal or a
 * Redis that others may have written: it is escaped as every line is,
 * for defence in depth.
 */
static void
timeline_add_digest(struct buffer *b, const char *digest)
{
	size_t	len = strlen(digest);

	buffer_add_str(b, "  body not kept, sha256 ");
	escape_line(b, digest, len > 16 ? 16 : len);
	if (len > 16)
		buffer_add_str(b, "\xe2\x80\xa6");
}

/*
 * Add the one-line form of a received entry.  One that failed its hook's
 * signature check says so, with the reason, before its body, or before
 * the start of its body's SHA-256 when the body was not kept.
 */
static void
timeline_add_received(struct buffer *b, struct json_object *entry,
    const char *body, size_t len, int colour)
{
	const char	*rejected = proto_string(entry, "rejected");
	const char	*digest = proto_string(entry, "body_sha256");

	if (proto_string(entry, "refused") != NULL) {
		timeline_add_refused(b, entry, colour);
		return;
	}
	buffer_add_str(b, "  ");
	timeline_add_hook(b, entry);
	buffer_add_str(b, "  ");
	timeline_add_request(b, entry);
	timeline_add_answer(b, entry, colour);
	buffer_add_str(b, "  ");
	timeline_add_size(b, digest == NULL ? len :
	    (size_t)proto_int(entry, "body_size", 0));
	if (rejected != NULL) {
		buffer_add_str(b, "  ");
		if (colour)
			buffer_add_str(b, TERM_RED);
		buffer_add_str(b, "rejected: ");
		escape_line(b, rejected, strlen(rejected));
		if (colour)
			buffer_add_str(b, TERM_RESET);
	}
	if (digest != NULL) {
		timeline_add_digest(b, digest);
		return;
	}
	if (len == 0)
		return;
	buffer_add_str(b, "  ");
	if (memchr(body, '\0', len) != NULL || !utf8_valid(body, len))
		buffer_add_str(b, "(binary)");
	else {
		/* Skip leading blanks: show a pretty-printed body's content. */
		while (len > 0 && (*body == ' ' || *body == '\n' ||
		    *body == '\r' || *body == '\t')) {
			body++;
			len--;
		}
		timeline_add_clean(b, body, len, ' ', TIMELINE_PREVIEW, 1);
	}
}

/* Print the one-line form of an entry. */
static int
timeline_print_line(struct json_object *entry, const char *body, size_t len,
    int colour)
{
	struct buffer	 b;
	const char	*when;
	int		 sent = timeline_is_sent(entry), ret;
	char		*seq;

	buffer_init(&b);
	timeline_add_coloured(&b, colour, sent ? COLOUR_SENT : COLOUR_RECEIVED,
	    sent ? "\xe2\x86\x92" : "\xe2\x86\x90");
	buffer_add_str(&b, " ");
	when = proto_string(entry, sent ? "sent_at" : "received_at");
	timeline_add_clock(&b, when);
	buffer_add_str(&b, "  ");
	xasprintf(&seq, "#%" PRId64, proto_int(entry, "seq", 0));
	timeline_add_coloured(&b, colour, TERM_DIM, seq);
	free(seq);
	if (sent)
		timeline_add_sent(&b, entry, colour);
	else
		timeline_add_received(&b, entry, body,
		    timeline_request_len(entry, len), colour);
	buffer_add_str(&b, "\n");
	ret = write_all(STDOUT_FILENO, buffer_peek(&b), buffer_unread(&b));
	buffer_release(&b);
	return (ret);
}

/*
 * Return the flags of how log and tail print, given their flags (with
 * TIMELINE_JSON or not) and --color: the one-line format coloured as
 * colour and the terminal say.  On a terminal, JSON lines are escaped as
 * show --json escapes them: json-c leaves DEL, C1 controls and bytes that
 * are not UTF-8 raw, and a stranger's header or body holds what it likes.
 * (The one-line format makes its own text safe.)
 */
int
timeline_style(int flags, enum term_colour colour)
{
	if (flags & TIMELINE_JSON)
		output_escape(isatty(STDOUT_FILENO));
	else if (term_colour(colour, STDOUT_FILENO))
		flags |= TIMELINE_COLOUR;
	return (flags);
}

/*
 * Print an entry with its body bytes: one line for people, or (with
 * TIMELINE_JSON) one JSON line with the bodies, the password of a URL it
 * was sent to masked either way.  Return -1 with errno if stdout fails.
 */
int
timeline_print(struct json_object *entry, const void *body, size_t len,
    int flags)
{
	mask_json_field(entry, "url");
	mask_json_field(entry, "error");
	if (flags & TIMELINE_JSON) {
		timeline_with_bodies(entry, body, len);
		return (output_json(entry));
	}
	return (timeline_print_line(entry, body, len, flags & TIMELINE_COLOUR));
}

/*
 * Receive a log's entries, the first already in frame, until its end
 * frame, handing each with its body bytes to cb(entry, body, len, arg);
 * stop when cb returns an exit status other than 0.  Return the exit
 * status.
 */
int
timeline_receive(struct client *c, struct proto_frame *frame,
    timeline_entry_cb cb, void *arg)
{
	struct json_object	*entry;
	int			 status;

	for (;;) {
		if ((status = client_reply_status(frame)) != EXIT_OK)
			return (status);
		if (proto_bool(frame->json, "end"))
			return (EXIT_OK);
		if (json_object_object_get_ex(frame->json, "entry", &entry) &&
		    (status = cb(entry, frame->payload, frame->payload_len,
		    arg)) != EXIT_OK)
			return (status);
		proto_frame_release(frame);
		if ((status = client_receive(c, frame, -1)) != EXIT_OK)
			return (status);
	}
}

/*
 * Report that stdout failed for command name; stay quiet when the reader
 * went away (fish log | head, fish sessions | head -0), as every command
 * that prints its result does through this.  Return EXIT_FAILED.
 */
int
timeline_write_error(const char *name)
{
	if (errno != EPIPE)
		fish_warn("%s: stdout", name);
	return (EXIT_FAILED);
}
