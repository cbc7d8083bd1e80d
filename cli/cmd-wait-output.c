/*
 * fish wait's output (cmd-wait.c): the "waiting on" line on a terminal,
 * and a message printed as its body, JSON, a field or with its head.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "clock.h"
#include "cmd-wait.h"
#include "jsonptr.h"
#include "output.h"
#include "proto.h"
#include "term.h"
#include "xmalloc.h"

/* How many characters of a hook's token name it when it has no name. */
#define WAIT_TOKEN_CHARS	8

/*
 * Return the status line for a terminal width columns wide: "waiting on
 * WHAT, 3.2s left" (left: milliseconds, -1 without a deadline), WHAT cut
 * short with "..." so that the line leaves the last column free and so
 * never wraps.  Caller frees.
 */
static char *
cmd_wait_progress_text(const char *what, int64_t left, size_t width)
{
	char		 tail[64] = "", *text;
	size_t		 room, fixed;
	int64_t		 tenths;

	if (left >= 0) {
		tenths = (left + 99) / 100;
		(void)snprintf(tail, sizeof tail, ", %" PRId64 ".%" PRId64
		    "s left", tenths / 10, tenths % 10);
	}
	room = width > 1 ? width - 1 : 0;
	fixed = strlen("waiting on ") + strlen(tail);
	xasprintf(&text, "waiting on %s%s", what, tail);
	if (strlen(text) <= room)
		return (text);
	/* Shorten what we wait on; failing that, the whole line. */
	if (fixed + 4 <= room) {
		free(text);
		xasprintf(&text, "waiting on %.*s...%s", (int)(room - fixed - 3),
		    what, tail);
	} else
		text[room] = '\0';
	return (text);
}

/*
 * Draw the status line on stderr if its text changed.  A wait put in the
 * background of its terminal draws nothing.
 */
void
cmd_wait_progress(struct wait_options *wo, int64_t deadline)
{
	int64_t	 left = -1;
	char	*text;

	if (!wo->progress || wo->waiting_on == NULL ||
	    !term_foreground(STDERR_FILENO))
		return;
	if (deadline != -1) {
		left = deadline - clock_mono_ms();
		if (left < 0)
			left = 0;
	}
	text = cmd_wait_progress_text(wo->waiting_on, left,
	    term_width(STDERR_FILENO));
	if (wo->drawn != NULL && strcmp(text, wo->drawn) == 0) {
		free(text);
		return;
	}
	fprintf(stderr, "\r%s\033[K", text);
	fflush(stderr);
	free(wo->drawn);
	wo->drawn = text;
}

/* Erase the status line, if one is drawn. */
void
cmd_wait_progress_erase(struct wait_options *wo)
{
	if (wo->drawn == NULL)
		return;
	fputs("\r\033[K", stderr);
	fflush(stderr);
	free(wo->drawn);
	wo->drawn = NULL;
}

/* Add a hook's name to b as the status line shows it: printable ASCII. */
static void
cmd_wait_add_name(struct buffer *b, const char *name, size_t len)
{
	size_t	i;

	for (i = 0; i < len && name[i] != '\0'; i++)
		buffer_add(b, name[i] > ' ' && name[i] < 0x7f ? &name[i] : "?",
		    1);
}

/*
 * Ask the listener what the hooks are called, to say so on the terminal:
 * each hook's name, or the start of its token.  Errors are left for the
 * wait itself to report.
 */
char *
cmd_wait_describe(struct client *c, struct json_object *hooks)
{
	struct proto_frame	 frame;
	struct json_object	*request, *list, *h;
	struct buffer		 b;
	const char		*name, *url, *token;
	size_t			 i, n;

	request = proto_request("resolve");
	json_object_object_add(request, "hooks", json_object_get(hooks));
	if (client_call(c, request, NULL, 0, &frame, -1) != EXIT_OK) {
		json_object_put(request);
		return (NULL);
	}
	json_object_put(request);
	buffer_init(&b);
	if (proto_status(frame.json) == EXIT_OK &&
	    json_object_object_get_ex(frame.json, "hooks", &list)) {
		n = json_object_array_length(list);
		for (i = 0; i < n; i++) {
			h = json_object_array_get_idx(list, i);
			name = proto_string(h, "name");
			url = proto_string(h, "url");
			if (i > 0)
				buffer_add_str(&b, ", ");
			if (name != NULL)
				cmd_wait_add_name(&b, name, strlen(name));
			else if (url != NULL) {
				token = strrchr(url, '/') != NULL ?
				    strrchr(url, '/') + 1 : url;
				cmd_wait_add_name(&b, token, WAIT_TOKEN_CHARS);
			} else
				buffer_add_str(&b, "?");
		}
	}
	proto_frame_release(&frame);
	if (buffer_unread(&b) == 0) {
		buffer_release(&b);
		return (NULL);
	}
	return (buffer_detach(&b, NULL));
}

/* Print a message's request line and headers, then a blank line. */
static int
cmd_wait_print_head(struct json_object *message)
{
	struct json_object	*headers;
	const char		*query = proto_string(message, "query");
	int			 ret;

	ret = output_printf("%s %s%s%s\n", proto_string(message, "method"),
	    proto_string(message, "path"), query != NULL && *query != '\0' ?
	    "?" : "", query != NULL ? query : "");
	if (json_object_object_get_ex(message, "headers", &headers)) {
		json_object_object_foreach(headers, name, value)
			ret |= output_printf("%s: %s\n", name,
			    json_object_get_string(value));
	}
	return (ret | output_printf("\n"));
}

/*
 * Print the value at --field of the body.  Return 0, EXIT_NOT_FOUND when
 * the body has no such value, -1 on a write error.
 */
static int
cmd_wait_print_field(const struct wait_options *wo,
    const struct proto_frame *frame)
{
	struct json_object	*json, *value;
	char			*cause = NULL, *text;
	size_t			 len;
	int			 ret;

	json = jsonptr_parse(frame->payload, frame->payload_len, &cause);
	if (cause != NULL || jsonptr_get(json, wo->field, &value, &cause) != 0) {
		free(cause);
		json_object_put(json);
		return (EXIT_NOT_FOUND);
	}
	/* A string may hold NUL bytes: print its every byte. */
	text = jsonptr_text(value, &len);
	ret = output_write(text, len);
	if (ret == 0)
		ret = output_write("\n", 1);
	free(text);
	json_object_put(json);
	return (ret);
}

/*
 * Print a taken message as asked.  Return 0, -1 on a write error, or
 * EXIT_NOT_FOUND for a missing --field.
 */
int
cmd_wait_print(struct json_object *message, const struct proto_frame *frame,
    const struct wait_options *wo)
{
	int	ret;

	switch (wo->format) {
	case WAIT_JSON:
		envelope_with_body(message, frame->payload, frame->payload_len);
		return (output_json(message));
	case WAIT_FIELD:
		return (cmd_wait_print_field(wo, frame));
	case WAIT_HEADERS:
		if (cmd_wait_print_head(message) != 0)
			return (-1);
		break;
	case WAIT_BODY:
		break;
	}
	ret = output_write(frame->payload, frame->payload_len);
	if (ret == 0 && (wo->count > 0 || wo->drain))
		ret = output_write("\n", 1);
	return (ret);
}
