/*
 * The answer options shared by fish spawn and fish reply.  Each parser
 * prints its own error and returns -1, so callers only pick the exit
 * status.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fish.h"
#include "items.h"
#include "output.h"
#include "proto.h"
#include "response.h"
#include "xmalloc.h"

/* Headers the listener's HTTP server manages itself. */
static const char *response_reserved[] = {
	"Connection", "Content-Length", "Date", "Keep-Alive", "Trailer",
	"Transfer-Encoding", "Upgrade",
};

/* Start with nothing given. */
void
response_init(struct response *r)
{
	memset(r, 0, sizeof *r);
	r->headers = json_object_new_array();
}

/* Free what the options hold. */
void
response_release(struct response *r)
{
	json_object_put(r->headers);
	free(r->body);
}

/* Parse --status N: a final HTTP status, 200-599. */
int
response_status(const struct cmd_entry *entry, struct response *r,
    const char *s)
{
	size_t	len = strlen(s);
	long	n;

	n = len == 3 && strspn(s, "0123456789") == 3 ? strtol(s, NULL, 10) : 0;
	if (n < 200 || n > 599) {
		cmd_usage_error(entry, "invalid status '%s' (use 200-599)", s);
		return (-1);
	}
	r->status = (int)n;
	return (0);
}

/* Parse -H 'Name: value'; refuse what the server sets itself. */
int
response_header(const struct cmd_entry *entry, struct response *r,
    const char *line)
{
	struct items	 items;
	char		*cause = NULL;
	size_t		 i, namelen = strcspn(line, ":");
	int		 ret = -1;

	for (i = 0; i < sizeof response_reserved /
	    sizeof response_reserved[0]; i++) {
		if (namelen == strlen(response_reserved[i]) &&
		    strncasecmp(line, response_reserved[i], namelen) == 0) {
			cmd_usage_error(entry, "header '%s' is set by the "
			    "listener itself", response_reserved[i]);
			return (-1);
		}
	}
	items_init(&items, "");
	if (items_add_header(&items, line, &cause) != 0) {
		cmd_usage_error(entry, "%s", cause);
		free(cause);
		goto fail;
	}
	json_object_array_add(r->headers, json_object_get(
	    json_object_array_get_idx(items.headers, 0)));
	ret = 0;
fail:
	items_release(&items);
	return (ret);
}

/*
 * Parse --body TEXT, @FILE or @- (stdin), binary-safe, up to max bytes.
 */
int
response_body(const struct cmd_entry *entry, struct response *r,
    const char *spec, size_t max)
{
	free(r->body);
	r->body = read_body(entry->name, spec, max, &r->body_len);
	return (r->body == NULL ? -1 : 0);
}

/* Add the options given to a control request ("status", "headers"). */
void
response_add(struct response *r, struct json_object *request)
{
	if (r->status != 0)
		json_object_object_add(request, "status",
		    json_object_new_int(r->status));
	if (json_object_array_length(r->headers) > 0)
		json_object_object_add(request, "headers",
		    json_object_get(r->headers));
}
