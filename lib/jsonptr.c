/*
 * JSON pointer look-ups and the "raw string, else JSON" text of a value that
 * fish field prints.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include <json-c/json.h>
#include <json-c/json_pointer.h>

#include "jsonptr.h"
#include "xmalloc.h"

/*
 * Find the value at ptr.  Return 0 and set *value (borrowed, may be NULL for
 * a JSON null) when found, 1 when absent, -1 with *cause when the pointer is
 * malformed.
 */
int
jsonptr_get(struct json_object *root, const char *ptr,
    struct json_object **value, char **cause)
{
	if (*ptr != '\0' && *ptr != '/') {
		xasprintf(cause, "invalid JSON pointer '%s' (must start with /)",
		    ptr);
		return (-1);
	}
	if (json_pointer_get(root, ptr, value) == 0)
		return (0);
	if (errno == EINVAL) {
		xasprintf(cause, "invalid JSON pointer '%s'", ptr);
		return (-1);
	}
	return (1);
}

/*
 * Return a value as text: strings raw, anything else as compact JSON.  A
 * string may hold NUL bytes (\u0000): its length is set in *len unless len
 * is NULL.  Caller frees.
 */
char *
jsonptr_text(struct json_object *value, size_t *len)
{
	const char	*s;
	size_t		 n;

	if (json_object_is_type(value, json_type_string)) {
		s = json_object_get_string(value);
		n = (size_t)json_object_get_string_len(value);
	} else {
		s = json_object_to_json_string_ext(value,
		    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
		n = strlen(s);
	}
	if (len != NULL)
		*len = n;
	return (xmemdup(s, n));
}

/*
 * Parse a complete JSON text of len bytes.  Trailing garbage is an error, as
 * is a NUL byte inside.  Return the new object (caller puts it) or NULL with
 * *cause; a valid "null" document comes back as NULL too, so callers that
 * care test *cause.
 */
struct json_object *
jsonptr_parse(const char *text, size_t len, char **cause)
{
	struct json_tokener	*tok;
	struct json_object	*obj;
	enum json_tokener_error	 error;
	size_t			 used;

	*cause = NULL;
	if (len > INT32_MAX) {
		*cause = xstrdup("JSON text too large");
		return (NULL);
	}
	tok = json_tokener_new_ex(JSON_TOKENER_DEFAULT_DEPTH);
	if (tok == NULL) {
		*cause = xstrdup("out of memory");
		return (NULL);
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	obj = json_tokener_parse_ex(tok, text, (int)len);
	error = json_tokener_get_error(tok);
	if (error == json_tokener_continue) {
		/* Numbers at the very end need an explicit end of input. */
		obj = json_tokener_parse_ex(tok, "", 1);
		error = json_tokener_get_error(tok);
		used = len;
	} else
		used = json_tokener_get_parse_end(tok);
	if (error != json_tokener_success) {
		xasprintf(cause, "invalid JSON: %s",
		    json_tokener_error_desc(error));
		goto fail;
	}
	while (used < len && memchr(" \t\r\n", text[used], 4) != NULL)
		used++;
	if (used != len) {
		*cause = xstrdup("invalid JSON: unexpected data after the value");
		goto fail;
	}
	json_tokener_free(tok);
	return (obj);
fail:
	json_object_put(obj);
	json_tokener_free(tok);
	return (NULL);
}
