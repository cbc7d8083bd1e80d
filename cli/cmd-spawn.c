/*
 * fish spawn: create a hook and print its URL.
 */
#include "config.h"

#include <string.h>

#include "client.h"
#include "fish.h"
#include "output.h"
#include "proto.h"

#define LABEL_MAX	64

static int	cmd_spawn_exec(int, char **);

const struct cmd_entry cmd_spawn_entry = {
	.name = "spawn",
	.usage = "[--name LABEL]",
	.summary = "create a hook and print its URL",
	.help =
	    "Create a hook, a receiver with an unguessable URL, and print the\n"
	    "URL.  Requests to it are recorded and answered 200; take them with\n"
	    "fish wait.\n"
	    "\n"
	    "  --name LABEL  also call the hook LABEL (1-64 of A-Z a-z 0-9 . _ -)\n"
	    "  -h, --help    show this help\n",
	.exec = cmd_spawn_exec
};

static const struct option cmd_spawn_options[] = {
	{ "name", required_argument, NULL, 'n' },
	CMD_OPTIONS_END
};

/* Tell whether a hook label is acceptable. */
static int
cmd_spawn_label_valid(const char *label)
{
	size_t	len = strlen(label);

	return (len >= 1 && len <= LABEL_MAX && label[0] != '-' &&
	    strspn(label, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789._-") == len);
}

/* Create the hook. */
static int
cmd_spawn_exec(int argc, char **argv)
{
	const struct cmd_entry	*entry = &cmd_spawn_entry;
	struct client		 c;
	struct proto_frame	 frame;
	struct json_object	*request;
	const char		*name = NULL, *url;
	int			 ch, status;

	while ((ch = cmd_getopt(entry, argc, argv, "", cmd_spawn_options)) !=
	    -1) {
		switch (ch) {
		case 'n':
			name = optarg;
			break;
		case CMD_HELP:
			return (EXIT_OK);
		default:
			return (EXIT_USAGE);
		}
	}
	if (optind != argc)
		return (cmd_usage_error(entry, "unexpected argument '%s'",
		    argv[optind]));
	if (name != NULL && !cmd_spawn_label_valid(name))
		return (cmd_usage_error(entry, "invalid label '%s' (use 1-64 of"
		    " letters, digits, '.', '_' and '-', not starting with '-')",
		    name));

	if ((status = client_open(&c, fish_session, CLIENT_START)) != EXIT_OK)
		return (status);
	proto_frame_init(&frame);
	request = proto_request("spawn");
	if (name != NULL)
		json_object_object_add(request, "name",
		    json_object_new_string(name));
	if ((status = client_call(&c, request, NULL, 0, &frame,
	    -1)) != EXIT_OK ||
	    (status = client_reply_status(&frame)) != EXIT_OK)
		goto fail;

	if ((url = proto_string(frame.json, "url")) == NULL) {
		fish_warnx("spawn: the listener's reply has no URL");
		status = EXIT_FAILED;
		goto fail;
	}
	if (output_printf("%s\n", url) == -1) {
		fish_warn("spawn: stdout");
		status = EXIT_FAILED;
	}
fail:
	json_object_put(request);
	proto_frame_release(&frame);
	client_close(&c);
	return (status);
}
