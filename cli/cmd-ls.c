/*
 * fish ls: list the session's hooks with their URL, how many messages each
 * received and how many wait to be taken, and whether it is open.
 */
#include "config.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "buffer.h"
#include "client.h"
#include "clock.h"
#include "compat.h"
#include "fish.h"
#include "output.h"
#include "proto.h"
#include "timeline.h"
#include "xmalloc.h"

/*
 * How long ls --no-start waits for the listener's answer: a shell
 * completion or prompt must not hang on a listener that is stopped
 * (SIGSTOP, a debugger) or wedged.
 */
#define LS_NO_START_MS	2000

static int	cmd_ls_exec(int, char **);

const struct cmd_entry cmd_ls_entry = {
	.name = "ls",
	.usage = "[--json] [--no-start]",
	.args = { 0, 0 },
	.summary = "list the hooks",
	.help =
	    "List the session's hooks, oldest first: name (- when none), URL,\n"
	    "messages received, messages waiting to be taken, and state (open\n"
	    "or closed; \"open, verifies SCHEME\" for a hook spawned with\n"
	    "--verify, never with its secret; \"recovered\" for a hook whose\n"
	    "creation record journal damage took: its messages can be taken,\n"
	    "it accepts nothing new).  With fish start --tunnel, a line on stderr\n"
	    "says when the tunnel's URL changed, or it is not up.\n"
	    "\n"
	    "  --json        print one JSON object per hook and line: name, url,\n"
	    "                token, received, queued, state, created_at; and\n"
	    "                verify (the scheme), tolerance, secret_missing\n"
	    "                for a hook that checks signatures\n"
	    "  --no-start    exit 3 rather than start the listener when it is\n"
	    "                not running, or does not answer within 2s (for\n"
	    "                shell completions and prompts); exit 4 without a\n"
	    "                word when the session does not exist\n"
	    "  -h, --help    show this help\n",
	.exec = cmd_ls_exec
};

static const struct option cmd_ls_options[] = {
	{ "json", no_argument, NULL, 'j' },
	{ "no-start", no_argument, NULL, 'n' },
	CMD_OPTIONS_END
};

/* The columns of the table. */
enum {
	LS_NAME,
	LS_URL,
	LS_RECEIVED,
	LS_WAITING,
	LS_STATE,
	LS_COLUMNS
};

static const char *cmd_ls_headings[LS_COLUMNS] = {
	"NAME", "URL", "RECEIVED", "WAITING", "STATE"
};

/* Return the text of one cell of a hook's row; caller frees. */
static char *
cmd_ls_cell(struct json_object *hook, int column)
{
	const char	*s = NULL;
	char		*text;

	switch (column) {
	case LS_NAME:
		s = proto_string(hook, "name");
		break;
	case LS_URL:
		s = proto_string(hook, "url");
		break;
	case LS_RECEIVED:
	case LS_WAITING:
		xasprintf(&text, "%" PRId64, proto_int(hook, column ==
		    LS_RECEIVED ? "received" : "queued", 0));
		return (text);
	case LS_STATE:
		s = proto_string(hook, "state");
		if (s != NULL && strcmp(s, "open") == 0 &&
		    proto_string(hook, "verify") != NULL) {
			xasprintf(&text, "open, verifies %s%s",
			    proto_string(hook, "verify"),
			    proto_bool(hook, "secret_missing") ?
			    " (secret missing)" : "");
			return (text);
		}
		break;
	}
	return (xstrdup(s == NULL ? "-" : s));
}

/* Print the hooks as an aligned table with a heading line. */
static int
cmd_ls_table(struct json_object *list)
{
	char	**cells;
	size_t	  n = json_object_array_length(list), i;
	int	  column;

	cells = xcalloc((n + 1) * LS_COLUMNS, sizeof *cells);
	for (column = 0; column < LS_COLUMNS; column++)
		cells[column] = xstrdup(cmd_ls_headings[column]);
	for (i = 0; i < n; i++) {
		for (column = 0; column < LS_COLUMNS; column++)
			cells[(i + 1) * LS_COLUMNS + column] = cmd_ls_cell(
			    json_object_array_get_idx(list, i), column);
	}
	return (output_table(cells, n + 1, LS_COLUMNS));
}

/* Print the hooks as JSON, one per line. */
static int
cmd_ls_json(struct json_object *list)
{
	size_t	n = json_object_array_length(list), i;

	for (i = 0; i < n; i++) {
		if (output_json(json_object_array_get_idx(list, i)) != 0)
			return (-1);
	}
	return (0);
}

/*
 * Say on stderr when the tunnel's URL changed (the senders given the old
 * URLs must be given these) or the tunnel is not up.
 */
static void
cmd_ls_tunnel(struct json_object *reply)
{
	struct json_object	*t;
	const char		*state, *previous;

	if (!json_object_object_get_ex(reply, "tunnel_state", &t) ||
	    !json_object_is_type(t, json_type_object))
		return;
	state = proto_string(t, "state");
	if ((previous = proto_string(t, "previous_url")) != NULL)
		fish_warnx("ls: the tunnel's URL changed at %s (it was %s): "
		    "the URLs of hooks are now under %s", proto_string(t,
		    "url_changed_at"), previous, proto_string(t, "url"));
	if (state != NULL && strcmp(state, "up") != 0)
		fish_warnx("ls: the tunnel is %s (see " FISH_NAME " status)",
		    state);
}

/* List the hooks. */
static int
cmd_ls_exec(int argc, char **argv)
{
	const struct cmd_entry	*entry = &cmd_ls_entry;
	struct client		 c;
	struct proto_frame	 frame;
	struct json_object	*request, *list;
	int64_t			 deadline = -1;
	int			 ch, json = 0, start = CLIENT_START, status, ret;

	while ((ch = cmd_getopt(entry, argc, argv, "", cmd_ls_options)) != -1) {
		switch (ch) {
		case 'j':
			json = 1;
			break;
		case 'n':
			start = CLIENT_QUIET;
			break;
		case CMD_HELP:
			return (EXIT_OK);
		default:
			return (EXIT_USAGE);
		}
	}
	proto_frame_init(&frame);
	if (start == CLIENT_QUIET)
		deadline = clock_mono_ms() + LS_NO_START_MS;
	if ((status = client_open_until(&c, fish_session, start,
	    deadline)) != EXIT_OK)
		return (status);
	request = proto_request("ls");
	status = client_call(&c, request, NULL, 0, &frame, deadline);
	if (status == EXIT_OK)
		status = client_reply_status(&frame);
	else if (status == EXIT_TIMEOUT)
		status = EXIT_UNAVAILABLE;	/* not answering: quietly */
	else if (status == CLIENT_IN_DOUBT)
		status = client_in_doubt(&c, "ls");
	client_close(&c);
	if (status != EXIT_OK)
		goto fail;
	if (!json_object_object_get_ex(frame.json, "hooks", &list) ||
	    !json_object_is_type(list, json_type_array)) {
		fish_warnx("ls: the listener's reply has no hooks");
		status = EXIT_FAILED;
		goto fail;
	}
	cmd_ls_tunnel(frame.json);
	ret = json ? cmd_ls_json(list) : cmd_ls_table(list);
	if (ret != 0)
		status = timeline_write_error("ls");
fail:
	json_object_put(request);
	proto_frame_release(&frame);
	return (status);
}
