/*
 * Masking the passwords of URLs in text: every "scheme://user:password@"
 * becomes "scheme://user:***@", the user kept (it says which account) and
 * the password gone, wherever the URL stands in the text.  What a URL's
 * authority is follows RFC 3986: from "://" to the first '/', '?', '#'
 * (or anything that cannot be in a URL: a space, a quote, a control
 * character), with the user information before its last '@'.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "buffer.h"
#include "mask.h"
#include "xmalloc.h"

/* Tell whether c ends a URL's authority. */
static int
mask_authority_end(char c)
{
	return (c == '\0' || c == '/' || c == '?' || c == '#' ||
	    (unsigned char)c <= ' ' || c == '"' || c == '\'' || c == '<' ||
	    c == '>' || c == '\\' || c == '`' || c == 0x7f);
}

/*
 * Find the password of the URL whose "://" is at p: set *start and *end
 * around it (after the ':' of the user information, before its '@') and
 * return 1, or return 0 when it has none.
 */
static int
mask_find(const char *p, const char **start, const char **end)
{
	const char	*host = p + 3, *s, *at = NULL, *colon = NULL;

	for (s = host; !mask_authority_end(*s); s++) {
		if (*s == '@')
			at = s;
	}
	if (at == NULL)
		return (0);
	for (s = host; s < at; s++) {
		if (*s == ':') {
			colon = s;
			break;
		}
	}
	if (colon == NULL)
		return (0);
	*start = colon + 1;
	*end = at;
	return (1);
}

/* Tell whether text holds a URL with a password. */
int
mask_needed(const char *text)
{
	const char	*p, *start, *end;

	for (p = strstr(text, "://"); p != NULL; p = strstr(p + 3, "://")) {
		if (mask_find(p, &start, &end))
			return (1);
	}
	return (0);
}

/* Return text with the password of every URL in it masked; caller frees. */
char *
mask_credentials(const char *text)
{
	struct buffer	 b;
	const char	*p, *from = text, *start, *end;

	if (!mask_needed(text))
		return (xstrdup(text));
	buffer_init(&b);
	for (p = strstr(text, "://"); p != NULL; p = strstr(p + 3, "://")) {
		if (!mask_find(p, &start, &end))
			continue;
		buffer_add(&b, from, (size_t)(start - from));
		buffer_add_str(&b, MASK_PASSWORD);
		from = end;
		p = end - 2;	/* go on after this URL's '@' */
	}
	buffer_add_str(&b, from);
	return (buffer_detach(&b, NULL));
}

/* Mask the passwords of URLs in the string member key of o, if any. */
void
mask_json_field(struct json_object *o, const char *key)
{
	struct json_object	*value;
	char			*masked;

	if (!json_object_object_get_ex(o, key, &value) ||
	    !json_object_is_type(value, json_type_string) ||
	    !mask_needed(json_object_get_string(value)))
		return;
	masked = mask_credentials(json_object_get_string(value));
	json_object_object_add(o, key, json_object_new_string(masked));
	free(masked);
}
