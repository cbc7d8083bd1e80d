/*
 * Parsing and matching --where filters (see filter.h).  Matching takes the
 * message's journal record (method, path, headers, and for the timeline
 * the status it was answered with) and its body; the body is parsed as
 * JSON only when a filter needs it, once per message.
 *
 * A filter is checked whole when it is parsed, so that one that could
 * never match is refused at once (wait would otherwise wait for its
 * timeout): a JSON pointer must be well formed (RFC 6901: "~" only in
 * "~0" and "~1"), a header name a token (RFC 9110), a method a token, a
 * status a three-digit code or class, and a comparison's value a number.
 */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "buffer.h"
#include "filter.h"
#include "jsonptr.h"
#include "proto.h"
#include "xmalloc.h"

/* The operators, longest first so that ">=" is not read as ">". */
static const struct {
	const char		*text;
	enum filter_test	 test;
} filter_operators[] = {
	{ "!=", FILTER_NOT_EQUAL },
	{ ">=", FILTER_GREATER_EQUAL },
	{ "<=", FILTER_LESS_EQUAL },
	{ "=", FILTER_EQUAL },
	{ ">", FILTER_GREATER },
	{ "<", FILTER_LESS },
};

/* The subjects named by a word and an operator. */
static const struct {
	const char		*word;
	enum filter_subject	 subject;
} filter_words[] = {
	{ "method", FILTER_METHOD },
	{ "path", FILTER_PATH },
	{ "event", FILTER_EVENT },
	{ "status", FILTER_STATUS },
};

/* Tell whether s (len bytes) is a token of RFC 9110 (a header name). */
static int
filter_token(const char *s, size_t len)
{
	size_t	i;

	if (len == 0)
		return (0);
	for (i = 0; i < len; i++) {
		if (strchr("!#$%&'*+-.^_`|~", s[i]) == NULL &&
		    !((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z')))
			return (0);
	}
	return (1);
}

/* Tell whether a JSON pointer of len bytes is well formed (RFC 6901). */
static int
filter_pointer(const char *s, size_t len)
{
	size_t	i;

	for (i = 0; i < len; i++) {
		if (s[i] == '~' && (i + 1 == len ||
		    (s[i + 1] != '0' && s[i + 1] != '1')))
			return (0);
	}
	return (1);
}

/* Read s whole as a finite number; -1 if it is not one. */
static int
filter_number(const char *s, double *number)
{
	char	*end;

	if (*s == '\0' || strchr(" \t\n\r\f\v", *s) != NULL)
		return (-1);
	errno = 0;
	*number = strtod(s, &end);
	if (errno != 0 || *end != '\0' || !isfinite(*number))
		return (-1);
	return (0);
}

/* Tell whether s is a status code (100-599) or a class (1xx-5xx). */
static int
filter_status_text(const char *s)
{
	if (strlen(s) != 3 || s[0] < '1' || s[0] > '5')
		return (0);
	if (s[1] == 'x' && s[2] == 'x')
		return (1);
	return (s[1] >= '0' && s[1] <= '9' && s[2] >= '0' && s[2] <= '9');
}

/* Split value into its alternatives: "|" between, "\|" and "\\" escaped. */
static void
filter_split(struct filter *f)
{
	struct buffer	 b;
	const char	*p;

	buffer_init(&b);
	for (p = f->value;; p++) {
		if (*p == '\\' && (p[1] == '|' || p[1] == '\\')) {
			buffer_add(&b, ++p, 1);
			continue;
		}
		if (*p != '|' && *p != '\0') {
			buffer_add(&b, p, 1);
			continue;
		}
		f->values = xreallocarray(f->values, f->nvalues + 1,
		    sizeof *f->values);
		f->values[f->nvalues++] = xmemdup(buffer_peek(&b),
		    buffer_unread(&b));
		buffer_release(&b);
		buffer_init(&b);
		if (*p == '\0')
			break;
	}
	buffer_release(&b);
}

/*
 * Check that a parsed filter can match: return NULL, or why it cannot
 * (a static string).
 */
static const char *
filter_check(struct filter *f)
{
	size_t	i;

	if (f->subject == FILTER_BODY && !filter_pointer(f->name,
	    strlen(f->name)))
		return ("malformed JSON pointer (\"~\" must be \"~0\" or \"~1\")");
	if (f->subject == FILTER_HEADER && !filter_token(f->name,
	    strlen(f->name)))
		return ("malformed header name");
	if (f->test == FILTER_PRESENT)
		return (NULL);
	if (f->test != FILTER_EQUAL && f->test != FILTER_NOT_EQUAL) {
		if (f->subject == FILTER_METHOD || f->subject == FILTER_PATH ||
		    f->subject == FILTER_EVENT)
			return ("only = and != compare it");
		if (filter_number(f->value, &f->number) == -1)
			return ("a comparison needs a number");
		return (NULL);
	}
	filter_split(f);
	for (i = 0; i < f->nvalues; i++) {
		if (f->subject == FILTER_METHOD &&
		    !filter_token(f->values[i], strlen(f->values[i])))
			return ("malformed method");
		if (f->subject == FILTER_STATUS &&
		    !filter_status_text(f->values[i]))
			return ("a status is 100 to 599, or a class such as 4xx");
	}
	return (NULL);
}

/*
 * Parse one filter.  Return 0, or -1 with *cause for text that is none of
 * the forms in filter.h, or that could never match.
 */
int
filter_parse(const char *text, struct filter *f, char **cause)
{
	const char	*rest, *op = NULL, *why;
	size_t		 i, j, len, name_len, op_len = 0;

	memset(f, 0, sizeof *f);
	rest = NULL;
	if (strncmp(text, "header:", 7) == 0) {
		f->subject = FILTER_HEADER;
		rest = text + 7;
	} else if (*text == '/') {
		f->subject = FILTER_BODY;
		rest = text;
	} else {
		for (i = 0; i < sizeof filter_words / sizeof *filter_words;
		    i++) {
			len = strlen(filter_words[i].word);
			if (strncmp(text, filter_words[i].word, len) == 0 &&
			    strchr("!=<>", text[len]) != NULL &&
			    text[len] != '\0') {
				f->subject = filter_words[i].subject;
				rest = text + len;
				break;
			}
		}
		if (rest == NULL)
			goto invalid;
	}

	/* The first operator splits the name from the value. */
	for (i = 0; rest[i] != '\0' && op == NULL; i++) {
		for (j = 0; j < sizeof filter_operators /
		    sizeof *filter_operators; j++) {
			len = strlen(filter_operators[j].text);
			if (strncmp(rest + i, filter_operators[j].text,
			    len) == 0) {
				op = rest + i;
				op_len = len;
				f->test = filter_operators[j].test;
				break;
			}
		}
	}
	name_len = op == NULL ? strlen(rest) : (size_t)(op - rest);
	if (f->subject == FILTER_BODY || f->subject == FILTER_HEADER) {
		if (name_len == 0 && f->subject == FILTER_HEADER)
			goto invalid;
	} else if (op == NULL || name_len != 0)
		goto invalid;
	f->name = xstrndup(rest, name_len);
	if (op != NULL)
		f->value = xstrdup(op + op_len);
	if ((why = filter_check(f)) != NULL) {
		xasprintf(cause, "filter '%s' can never match: %s", text, why);
		filter_release(f);
		return (-1);
	}
	return (0);
invalid:
	xasprintf(cause, "invalid filter '%s' (use /ptr=VALUE, /ptr!=VALUE, "
	    "/ptr>N, /ptr, header:NAME=VALUE, method=METHOD, path=PATH, "
	    "event=NAME or status=CODE)", text);
	return (-1);
}

/*
 * Parse a JSON array of filter texts into *filters (caller frees with
 * filter_free_list) and *n.  Return 0, or -1 with *cause.
 */
int
filter_parse_list(struct json_object *list, struct filter **filters,
    size_t *n, char **cause)
{
	size_t	i, count;

	*filters = NULL;
	*n = 0;
	count = list == NULL ? 0 : json_object_array_length(list);
	if (count == 0)
		return (0);
	*filters = xcalloc(count, sizeof **filters);
	for (i = 0; i < count; i++) {
		if (filter_parse(json_object_get_string(
		    json_object_array_get_idx(list, i)), &(*filters)[i],
		    cause) == -1) {
			filter_free_list(*filters, *n);
			*filters = NULL;
			*n = 0;
			return (-1);
		}
		(*n)++;
	}
	return (0);
}

/* Free n filters made by filter_parse_list. */
void
filter_free_list(struct filter *filters, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		filter_release(&filters[i]);
	free(filters);
}

/* Free a parsed filter. */
void
filter_release(struct filter *f)
{
	size_t	i;

	for (i = 0; i < f->nvalues; i++)
		free(f->values[i]);
	free(f->values);
	free(f->name);
	free(f->value);
	memset(f, 0, sizeof *f);
}

/*
 * Find a header's value in the record's [[name, value], ...] list (the
 * first of that name, in any case); NULL if it has none.
 */
const char *
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

/*
 * Return the event a message names, as its provider says it (caller
 * frees), or NULL: the header X-GitHub-Event (GitHub), X-Gitlab-Event
 * (GitLab) or X-Event-Key (Bitbucket), else the string "type" of a JSON
 * body that is a Stripe event (a Stripe-Signature header, or "object":
 * "event") or a Standard Webhooks message (a webhook-id header).  body is
 * the parsed body, or NULL.
 */
char *
filter_event(struct json_object *record, struct json_object *body)
{
	static const char	*headers[] = {
		"X-GitHub-Event", "X-Gitlab-Event", "X-Event-Key",
	};
	const char		*value, *object;
	size_t			 i;

	for (i = 0; i < sizeof headers / sizeof *headers; i++) {
		if ((value = filter_header(record, headers[i])) != NULL &&
		    *value != '\0')
			return (xstrdup(value));
	}
	if (body == NULL || !json_object_is_type(body, json_type_object) ||
	    (value = proto_string(body, "type")) == NULL || *value == '\0')
		return (NULL);
	object = proto_string(body, "object");
	if (filter_header(record, "Stripe-Signature") != NULL ||
	    filter_header(record, "webhook-id") != NULL ||
	    (object != NULL && strcmp(object, "event") == 0))
		return (xstrdup(value));
	return (NULL);
}

/* Tell whether a status matches one alternative: a code or a class. */
static int
filter_status_equal(int64_t status, const char *text)
{
	if (text[1] == 'x')
		return (status / 100 == text[0] - '0');
	return (status == strtol(text, NULL, 10));
}

/* Compare a number with a filter's comparison. */
static int
filter_compare(const struct filter *f, double number)
{
	switch (f->test) {
	case FILTER_LESS:
		return (number < f->number);
	case FILTER_LESS_EQUAL:
		return (number <= f->number);
	case FILTER_GREATER:
		return (number > f->number);
	case FILTER_GREATER_EQUAL:
		return (number >= f->number);
	default:
		return (0);
	}
}

/*
 * Compare an optional value (or status, when value is NULL and status is
 * not negative) with a filter's test.
 */
static int
filter_test(const struct filter *f, const char *value, int64_t status,
    int fold)
{
	double	number;
	size_t	i;
	int	equal = 0;

	if (f->test == FILTER_PRESENT)
		return (value != NULL);
	if (f->test != FILTER_EQUAL && f->test != FILTER_NOT_EQUAL) {
		if (value == NULL && status >= 0)
			return (filter_compare(f, (double)status));
		return (value != NULL && filter_number(value, &number) == 0 &&
		    filter_compare(f, number));
	}
	for (i = 0; i < f->nvalues && !equal; i++) {
		if (value == NULL)
			equal = status >= 0 &&
			    filter_status_equal(status, f->values[i]);
		else
			equal = (fold ? strcasecmp(value, f->values[i]) :
			    strcmp(value, f->values[i])) == 0;
	}
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
	size_t			 i, text_len;

	for (i = 0; pass && i < n; i++) {
		const struct filter *f = &filters[i];

		if ((f->subject == FILTER_BODY || f->subject == FILTER_EVENT) &&
		    !parsed) {
			json = jsonptr_parse(body, len, &cause);
			free(cause);
			cause = NULL;
			parsed = 1;
		}
		switch (f->subject) {
		case FILTER_METHOD:
			pass = filter_test(f, proto_string(record, "method"),
			    -1, 1);
			break;
		case FILTER_PATH:
			pass = filter_test(f, proto_string(record, "path"), -1,
			    0);
			break;
		case FILTER_HEADER:
			pass = filter_test(f, filter_header(record, f->name),
			    -1, 0);
			break;
		case FILTER_STATUS:
			pass = filter_test(f, NULL,
			    proto_int(record, "http_status", -1), 0);
			break;
		case FILTER_EVENT:
			text = filter_event(record, json);
			pass = filter_test(f, text, -1, 0);
			free(text);
			break;
		case FILTER_BODY:
			found = json != NULL && jsonptr_get(json, f->name, &value,
			    &cause) == 0;
			free(cause);
			cause = NULL;
			text = found ? jsonptr_text(value, &text_len) : NULL;
			/*
			 * A string holding a NUL byte equals no value a
			 * filter can be given, and is no number: its
			 * start alone must not be compared.
			 */
			if (text != NULL && strlen(text) != text_len)
				pass = f->test == FILTER_PRESENT ||
				    f->test == FILTER_NOT_EQUAL;
			else
				pass = filter_test(f, text, -1, 0);
			free(text);
			break;
		}
	}
	json_object_put(json);
	return (pass);
}
