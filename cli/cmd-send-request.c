/*
 * The request fish send (cmd-send.c) makes: its headers (-H, and files of
 * them; -u) and its body, from httpie-style items or curl's --data,
 * --json, -F and --data-urlencode.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd-send.h"
#include "curlopt.h"
#include "fish.h"
#include "items.h"
#include "jsonptr.h"
#include "output.h"
#include "proto.h"
#include "xmalloc.h"

/*
 * -G with --data @F or @-: drop the line breaks (CR, LF) of data read from
 * a file, as curl drops them from every --data @F, so that a file ending
 * in a newline makes a clean query.  A body keeps them (fish sends a
 * file as it is).
 */
static void
cmd_send_drop_line_breaks(char *data, size_t *len)
{
	size_t	i, kept = 0;

	for (i = 0; i < *len; i++)
		if (data[i] != '\r' && data[i] != '\n')
			data[kept++] = data[i];
	*len = kept;
}

/*
 * Make a body of the parts of -F (multipart), or of --data and
 * --data-urlencode joined by "&" in order, as curl joins them; with
 * --data-urlencode or -F, its Content-Type unless given (or the data goes
 * in the URL, -G).  Return an exit status; *cause says why it is not
 * EXIT_OK, unless NULL when that was said already.
 */
static int
cmd_send_parts_body(struct items *items, const struct send_parts *parts,
    char **body, size_t *len, char **cause)
{
	struct buffer	 b;
	char		 boundary[64], *line = NULL, *data;
	size_t		 i, data_len;
	int		 status = EXIT_OK;

	buffer_init(&b);
	if (parts->nforms > 0) {
		curlopt_boundary(boundary, sizeof boundary);
		for (i = 0; i < parts->nforms && status == EXIT_OK; i++)
			status = curlopt_form(&b, boundary, parts->forms[i],
			    cause);
		curlopt_form_end(&b, boundary);
		xasprintf(&line, "Content-Type: multipart/form-data; "
		    "boundary=%s", boundary);
	} else {
		for (i = 0; i < parts->ndata && status == EXIT_OK; i++) {
			if (i > 0)
				buffer_add(&b, "&", 1);
			if (parts->data[i].encode) {
				status = curlopt_urlencode(&b,
				    parts->data[i].arg, cause);
				free(line);
				line = xstrdup("Content-Type: "
				    "application/x-www-form-urlencoded");
			} else if ((data = read_body("send", parts->data[i].arg,
			    PROTO_PAYLOAD_MAX, &data_len)) == NULL)
				status = EXIT_FAILED;	/* it said why */
			else {
				if (parts->get && parts->data[i].arg[0] == '@')
					cmd_send_drop_line_breaks(data,
					    &data_len);
				buffer_add(&b, data, data_len);
				free(data);
			}
		}
	}
	if (status == EXIT_OK && buffer_unread(&b) > PROTO_PAYLOAD_MAX) {
		xasprintf(cause, "the body is larger than %u MiB",
		    PROTO_PAYLOAD_MAX >> 20);
		status = EXIT_FAILED;
	}
	if (status == EXIT_OK && line != NULL && !parts->get &&
	    !items_has_header(items, "Content-Type"))
		(void)items_add_header(items, line, cause);
	free(line);
	if (status == EXIT_OK)
		*body = buffer_detach(&b, len);
	buffer_release(&b);
	return (status);
}

/*
 * -G: move the body of --data or --data-urlencode to the URL's query, as
 * curl does; a space or control character, which a URL cannot hold, is a
 * usage error (curl's too).  Return an exit status, with *cause when it is
 * not EXIT_OK.
 */
static int
cmd_send_get(struct items *items, const struct send_parts *parts,
    char **body, size_t *len, char **cause)
{
	size_t	i;

	if (parts->json != NULL || parts->nforms > 0 || items->body != NULL) {
		*cause = xstrdup("-G puts --data or --data-urlencode in the "
		    "URL: not --json, -F or fields");
		return (EXIT_USAGE);
	}
	if (*body == NULL)
		return (EXIT_OK);
	for (i = 0; i < *len; i++) {
		if ((unsigned char)(*body)[i] <= ' ' || (*body)[i] == 0x7f) {
			*cause = xstrdup("-G: the data holds a space or a "
			    "control character, which a URL cannot (use "
			    "--data-urlencode)");
			return (EXIT_USAGE);
		}
	}
	items_query_add(items, *body, *len);
	free(*body);
	*body = NULL;
	*len = 0;
	return (EXIT_OK);
}

/*
 * Add the -H headers (and files of them), -u and the items, then read or
 * make the body.  Return EXIT_OK with the body (or NULL) in *body, else
 * the exit status after printing why.
 */
int
cmd_send_prepare(struct items *items, const struct send_parts *parts,
    char **operands, int count, char **body, size_t *len)
{
	const struct cmd_entry	*entry = &cmd_send_entry;
	struct json_object	*parsed;
	const char		*json = parts->json;
	char			*cause = NULL, *why;
	size_t			 i;
	int			 n, status = EXIT_USAGE;

	for (i = 0; i < parts->nheaders; i++) {
		if (parts->headers[i][0] == '@')
			status = curlopt_header_file(items,
			    parts->headers[i] + 1, &cause);
		else
			status = items_add_header(items, parts->headers[i],
			    &cause) == 0 ? EXIT_OK : EXIT_USAGE;
		if (status != EXIT_OK)
			goto fail;
	}
	status = EXIT_USAGE;
	for (n = 0; n < count; n++) {
		if (items_add(items, operands[n], &cause) != 0)
			goto fail;
	}
	if (parts->user != NULL &&
	    (status = curlopt_user(items, parts->user, &cause)) != EXIT_OK)
		goto fail;
	status = EXIT_USAGE;
	if ((json != NULL) + (parts->ndata > 0) + (items->body != NULL) +
	    (parts->nforms > 0) > 1) {
		cause = xstrdup("give only one body: --json, --data and "
		    "--data-urlencode, -F or fields");
		goto fail;
	}

	if (json != NULL) {
		if ((*body = read_body("send", json, PROTO_PAYLOAD_MAX,
		    len)) == NULL)
			return (EXIT_FAILED);
	} else if (items->body != NULL) {
		*body = xstrdup(json_object_to_json_string_ext(items->body,
		    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
		*len = strlen(*body);
	} else if (parts->nforms > 0 || parts->ndata > 0) {
		if ((status = cmd_send_parts_body(items, parts, body, len,
		    &cause)) != EXIT_OK) {
			if (cause == NULL)
				return (status);
			goto fail;
		}
	}
	if (json != NULL) {
		parsed = jsonptr_parse(*body, *len, &why);
		json_object_put(parsed);
		if (why != NULL) {
			xasprintf(&cause, "--json: %s", why);
			free(why);
			status = EXIT_USAGE;
			goto fail;
		}
	}
	if (parts->get &&
	    (status = cmd_send_get(items, parts, body, len, &cause)) != EXIT_OK)
		goto fail;
	if ((json != NULL || items->body != NULL) &&
	    !items_has_header(items, "Content-Type"))
		items_add_header(items, "Content-Type: application/json", &cause);
	return (EXIT_OK);

fail:
	return (cmd_fail(entry, status, cause));
}
