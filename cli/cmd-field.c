/*
 * fish field: print the value at a JSON pointer of the JSON on stdin.
 * Strings come out raw, anything else as compact JSON.  Needs no listener.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "fish.h"
#include "jsonptr.h"
#include "output.h"
#include "proto.h"
#include "timeline.h"

static int	cmd_field_exec(int, char **);

const struct cmd_entry cmd_field_entry = {
	.name = "field",
	.usage = "PTR [--raw]",
	.args = { 1, 1 },
	.summary = "print the value at a JSON pointer of JSON on stdin",
	.help =
	    "Read JSON on stdin and print the value at the JSON pointer PTR\n"
	    "(RFC 6901, e.g. /id or /items/0/name): strings raw, anything\n"
	    "else as compact JSON.  Exit 4 when there is no such value.  On a\n"
	    "terminal, control characters are escaped.\n"
	    "\n"
	    "  --raw         print control characters as they are, even to a\n"
	    "                terminal\n"
	    "  -h, --help    show this help\n",
	.exec = cmd_field_exec
};

static const struct option cmd_field_options[] = {
	{ "raw", no_argument, NULL, 'r' },
	CMD_OPTIONS_END
};

/* Print the value at the pointer. */
static int
cmd_field_exec(int argc, char **argv)
{
	const struct cmd_entry	*entry = &cmd_field_entry;
	struct json_object	*root = NULL, *value;
	const char		*ptr, *why;
	char			*cause = NULL, *data = NULL, *text = NULL;
	size_t			 len;
	int			 ch, found, raw = 0, status = EXIT_FAILED;

	while ((ch = cmd_getopt(entry, argc, argv, "", cmd_field_options)) !=
	    -1) {
		switch (ch) {
		case 'r':
			raw = 1;
			break;
		case CMD_HELP:
			return (EXIT_OK);
		default:
			return (EXIT_USAGE);
		}
	}
	ptr = argv[optind];

	/* Check the pointer's syntax before waiting for stdin. */
	root = json_object_new_object();
	if (jsonptr_get(root, ptr, &value, &cause) == -1) {
		status = cmd_usage_error(entry, "%s", cause);
		goto fail;
	}
	json_object_put(root);
	root = NULL;

	if ((data = read_all(STDIN_FILENO, PROTO_PAYLOAD_MAX, &len)) == NULL) {
		fish_warn("field: stdin");
		goto fail;
	}
	if (len == strspn(data, " \t\r\n")) {
		fish_warnx("field: invalid JSON on stdin: no input");
		goto fail;
	}
	root = jsonptr_parse(data, len, &cause);
	if (cause != NULL) {
		why = cause;
		if (strncmp(why, "invalid JSON: ", 14) == 0)
			why += 14;
		fish_warnx("field: invalid JSON on stdin: %s", why);
		goto fail;
	}

	/* A document of just null parses to NULL, where json-c finds nothing. */
	value = NULL;
	if (root == NULL)
		found = *ptr == '\0' ? 0 : 1;
	else
		found = jsonptr_get(root, ptr, &value, &cause);
	switch (found) {
	case 0:
		break;
	case 1:
		fish_warnx("field: no value at '%s'", ptr);
		status = EXIT_NOT_FOUND;
		goto fail;
	default:
		status = cmd_usage_error(entry, "%s", cause);
		goto fail;
	}
	/* A string may hold NUL bytes: print its every byte. */
	text = jsonptr_text(value, &len);
	output_escape(isatty(STDOUT_FILENO) && !raw);
	if (output_write(text, len) == -1 || output_write("\n", 1) == -1) {
		status = timeline_write_error("field");
		goto fail;
	}
	status = EXIT_OK;
fail:
	free(text);
	free(cause);
	free(data);
	json_object_put(root);
	return (status);
}
