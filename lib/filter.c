/*
 * Parsing and matching --where filters (see filter.h).  Matching takes the
 * message's journal record (method, path, headers) and its body; the body
 * is parsed as JSON only when a body filter needs it, once per message.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "filter.h"
#include "jsonptr.h"
#include "proto.h"
#include "xmalloc.h"

/*
 * Parse one filter.  Return 0, or -1 with *cause for text that is none of
 * the forms in filter.h.
 */
int
filter_parse(const char *text, struct filter *f, char **cause)
{
	const char	*op, *rest;
	size_t		 name_len;

	memset(f, 0, sizeof *f);
	if (strncmp(text, "header:", 7) == 0) {
		f->subject = FILTER_HEADER;
		rest = text + 7;
	} else if (strncmp(text, "method=", 7) == 0) {
		f->subject = FILTER_METHOD;
		rest = text + 6;
	} else if (strncmp(text, "path=", 5) == 0) {
		f->subject = FILTER_PATH;
		rest = text + 4;
	} else if (*text == '/') {
		f->subject = FILTER_BODY;
		rest = text;
	} else
		goto invalid;

	op = strchr(rest, '=');
	if (op != NULL && op > rest && op[-1] == '!') {
		f->test = FILTER_NOT_EQUAL;
		name_len = (size_t)(op - 1 - rest);
	} else if (op != NULL) {
		f->test = FILTER_EQUAL;
		name_len = (size_t)(op - rest);
	} else {
		f->test = FILTER_PRESENT;
		name_len = strlen(rest);
	}
	if (f->subject == FILTER_METHOD || f->subject == FILTER_PATH) {
		if (f->test != FILTER_EQUAL || name_len != 0)
			goto invalid;
	} else if (name_len == 0 && f->subject == FILTER_HEADER)
		goto invalid;
	f->name = xstrndup(rest, name_len);
	if (op != NULL)
		f->value = xstrdup(op + 1);
	return (0);
invalid:
	xasprintf(cause, "invalid filter '%s' (use /ptr=VALUE, /ptr!=VALUE, "
	    "/ptr, header:NAME=VALUE, method=METHOD or path=PATH)", text);
	return (-1);
}

/* Free a parsed filter. */
void
filter_release(struct filter *f)
{
	free(f->name);
	free(f->value);
	memset(f, 0, sizeof *f);
}

/* Find a header's value in the record's [[name, value], ...] list. */
static const char *
filter_header(struct json_object *record, const char *name)
{
	struct json_object	*list, *pair;
	const char		*pair_name;
	size_t			 i, n;

	if (!json_object_object_get_ex(record, "headers", &list) ||
	    !json_object_is_type(list, json_type_array))
		return (NULL);
	n = json_object_array_length(list);
	for (i = 0; i < n; i++) {
		/* The record comes from the journal: trust no shape. */
		pair = json_object_array_get_idx(list, i);
		if (!json_object_is_type(pair, json_type_array))
			continue;
		pair_name = json_object_get_string(
		    json_object_array_get_idx(pair, 0));
		if (pair_name != NULL && strcasecmp(pair_name, name) == 0)
			return (json_object_get_string(
			    json_object_array_get_idx(pair, 1)));
	}
	return (NULL);
}

/* Compare an optional value with a filter's test. */
static int
filter_test(const struct filter *f, const char *value, int fold)
{
	int	equal;

	if (f->test == FILTER_PRESENT)
		return (value != NULL);
	equal = value != NULL && (fold ? strcasecmp(value, f->value) :
	    strcmp(value, f->value)) == 0;
	return (f->test == FILTER_EQUAL ? equal : !equal);
}

/*
 * Tell whether a message (its journal record and body) passes every one of
 * n filters.
 */
int
filter_match(const struct filter *filters, size_t n, struct json_object *record,
    const char *body, size_t len)
{
	struct json_object	*json = NULL, *value;
	char			*cause = NULL, *text;
	int			 parsed = 0, pass = 1, found;
	size_t			 i;

	for (i = 0; pass && i < n; i++) {
		const struct filter *f = &filters[i];

		switch (f->subject) {
		case FILTER_METHOD:
			pass = filter_test(f, proto_string(record, "method"), 1);
			break;
		case FILTER_PATH:
			pass = filter_test(f, proto_string(record, "path"), 0);
			break;
		case FILTER_HEADER:
			pass = filter_test(f, filter_header(record, f->name), 0);
			break;
		case FILTER_BODY:
			if (!parsed) {
				json = jsonptr_parse(body, len, &cause);
				free(cause);
				cause = NULL;
				parsed = 1;
			}
			found = json != NULL && jsonptr_get(json, f->name, &value,
			    &cause) == 0;
			free(cause);
			cause = NULL;
			text = found ? jsonptr_text(value) : NULL;
			pass = filter_test(f, text, 0);
			free(text);
			break;
		}
	}
	json_object_put(json);
	return (pass);
}
