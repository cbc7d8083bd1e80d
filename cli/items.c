/*
 * Request items, as httpie has them.  The separator of an item is the first
 * of ":=", "==", "=" and ":" from the left; where two start at the same
 * place the longer wins.  So "a:=1" is raw JSON, "a==b" a query parameter,
 * "X-Token:abc" a header and "url=http://x" a string field whose value
 * holds a ':'.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "buffer.h"
#include "compat.h"
#include "items.h"
#include "jsonptr.h"
#include "proto.h"
#include "xmalloc.h"

/* Longer separators first: the first that matches at a place wins. */
static const char *items_separators[] = { ":=", "==", "=", ":" };

/* Start with the URL as given and no headers or fields. */
void
items_init(struct items *items, const char *url)
{
	items->url = xstrdup(url);
	items->headers = json_object_new_array();
	items->body = NULL;
}

/* Free what the items hold. */
void
items_release(struct items *items)
{
	free(items->url);
	json_object_put(items->headers);
	json_object_put(items->body);
}

/* Find an item's separator; return where it starts, NULL for none. */
static const char *
items_separator(const char *item, const char **sep)
{
	const char	*p;
	size_t		 i;

	for (p = item; *p != '\0'; p++) {
		for (i = 0; i < nitems(items_separators); i++) {
			*sep = items_separators[i];
			if (strncmp(p, *sep, strlen(*sep)) == 0)
				return (p);
		}
	}
	return (NULL);
}

/* Append a header; surrounding blanks of the value are dropped. */
static int
items_header(struct items *items, const char *name, size_t namelen,
    const char *value, const char *item, char **cause)
{
	struct json_object	*pair;
	size_t			 len;

	if (!proto_header_name_valid(name, namelen)) {
		xasprintf(cause, "invalid header name '%.*s' in '%s'",
		    (int)namelen, name, item);
		return (-1);
	}
	if (strpbrk(value, "\r\n") != NULL) {
		xasprintf(cause, "header value in '%s' has a line break", item);
		return (-1);
	}
	value += strspn(value, " \t");
	len = strlen(value);
	while (len > 0 && (value[len - 1] == ' ' || value[len - 1] == '\t'))
		len--;

	pair = json_object_new_array();
	json_object_array_add(pair,
	    json_object_new_string_len(name, (int)namelen));
	json_object_array_add(pair, json_object_new_string_len(value, (int)len));
	json_object_array_add(items->headers, pair);
	return (0);
}

/* Append n bytes of s percent-encoded: all but RFC 3986 unreserved ones. */
static void
items_encode(struct buffer *b, const char *s, size_t n)
{
	unsigned char	c;
	size_t		i;

	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || strchr("-._~", c) != NULL)
			buffer_add(b, &c, 1);
		else
			buffer_printf(b, "%%%02X", c);
	}
}

/*
 * Add text, URL-encoded already, to the URL's query, before any fragment:
 * after "?", or "&" when there is a query that does not end with one, as
 * curl -G adds its data (so empty text adds nothing to a URL without a
 * query).
 */
void
items_query_add(struct items *items, const char *text, size_t textlen)
{
	struct buffer	 b;
	const char	*fragment;
	size_t		 len;

	fragment = strchr(items->url, '#');
	len = fragment != NULL ? (size_t)(fragment - items->url) :
	    strlen(items->url);
	if (textlen == 0 && memchr(items->url, '?', len) == NULL)
		return;

	buffer_init(&b);
	buffer_add(&b, items->url, len);
	if (memchr(items->url, '?', len) == NULL)
		buffer_add_str(&b, "?");
	else if (strchr("?&", items->url[len - 1]) == NULL)
		buffer_add_str(&b, "&");
	buffer_add(&b, text, textlen);
	if (fragment != NULL)
		buffer_add_str(&b, fragment);

	free(items->url);
	items->url = buffer_detach(&b, NULL);
}

/* Add key=value to the URL's query, encoded. */
static void
items_query(struct items *items, const char *key, size_t keylen,
    const char *value)
{
	struct buffer	 b;

	buffer_init(&b);
	items_encode(&b, key, keylen);
	buffer_add_str(&b, "=");
	items_encode(&b, value, strlen(value));
	items_query_add(items, buffer_peek(&b), buffer_unread(&b));
	buffer_release(&b);
}

/* Add a field to the JSON body, made on first use. */
static void
items_field(struct items *items, const char *key, size_t keylen,
    struct json_object *value)
{
	char	*name;

	if (items->body == NULL)
		items->body = json_object_new_object();
	name = xstrndup(key, keylen);
	json_object_object_add(items->body, name, value);
	free(name);
}

/* Add one item; return -1 with *cause (allocated) when it is invalid. */
int
items_add(struct items *items, const char *item, char **cause)
{
	struct json_object	*value;
	const char		*at, *sep, *rest;
	size_t			 keylen;
	char			*why;

	if ((at = items_separator(item, &sep)) == NULL || at == item) {
		xasprintf(cause, "invalid item '%s' (use key=value, key:=json,"
		    " key==value or Name:value)", item);
		return (-1);
	}
	keylen = (size_t)(at - item);
	rest = at + strlen(sep);

	if (strcmp(sep, ":") == 0)
		return (items_header(items, item, keylen, rest, item, cause));
	if (strcmp(sep, "==") == 0) {
		items_query(items, item, keylen, rest);
		return (0);
	}
	if (strcmp(sep, "=") == 0) {
		items_field(items, item, keylen, json_object_new_string(rest));
		return (0);
	}
	value = jsonptr_parse(rest, strlen(rest), &why);
	if (why != NULL) {
		xasprintf(cause, "item '%s': %s", item, why);
		free(why);
		return (-1);
	}
	items_field(items, item, keylen, value);
	return (0);
}

/* Add a header given as "Name: value" (from -H). */
int
items_add_header(struct items *items, const char *line, char **cause)
{
	const char	*colon;

	if ((colon = strchr(line, ':')) == NULL) {
		xasprintf(cause, "invalid header '%s' (use 'Name: value')",
		    line);
		return (-1);
	}
	return (items_header(items, line, (size_t)(colon - line), colon + 1,
	    line, cause));
}

/* Tell whether a header is set, ignoring the case of its name. */
int
items_has_header(const struct items *items, const char *name)
{
	struct json_object	*pair;
	size_t			 i;

	for (i = 0; i < json_object_array_length(items->headers); i++) {
		pair = json_object_array_get_idx(items->headers, i);
		if (strcasecmp(json_object_get_string(
		    json_object_array_get_idx(pair, 0)), name) == 0)
			return (1);
	}
	return (0);
}
