/*
 * Unit tests for the JSON pointer helpers: look-ups (RFC 6901 escapes,
 * array indexes, absent and malformed pointers), the text fish field prints,
 * and strict parsing of whole documents.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "jsonptr.h"
#include "tap.h"

static const char doc[] =
    "{\"a\":{\"b\":[10,20,{\"c\":null}]},\"x~y\":1,\"x/y\":2,"
    "\"s\":\"two\\nlines\",\"n\":1.5,\"t\":true,\"o\":{\"k\":\"v\",\"l\":[1]},"
    "\"e\":\"\"}";

/* Stands for "not yet set" in cause, which jsonptr_parse must clear. */
static char	unset[] = "unset";

/* Parse text, which must be valid. */
static struct json_object *
parse(const char *text)
{
	struct json_object	*o;
	char			*cause = NULL;

	o = jsonptr_parse(text, strlen(text), &cause);
	if (cause != NULL) {
		ok(0, "fixture parses: %s", cause);
		free(cause);
	}
	return (o);
}

/* Look up ptr, expecting it present, and return its text (or NULL). */
static char *
text_at(struct json_object *root, const char *ptr)
{
	struct json_object	*value = NULL;
	char			*cause = NULL;

	if (jsonptr_get(root, ptr, &value, &cause) != 0) {
		free(cause);
		return (NULL);
	}
	return (jsonptr_text(value, NULL));
}

/* Check that ptr is found and prints as want. */
static void
found(struct json_object *root, const char *ptr, const char *want)
{
	char	*s, name[128];

	s = text_at(root, ptr);
	snprintf(name, sizeof name, "'%s' is %s", ptr, want);
	is_str(s, want, name);
	free(s);
}

/* Check that ptr is well formed but names nothing. */
static void
absent(struct json_object *root, const char *ptr)
{
	struct json_object	*value = NULL;
	char			*cause = NULL;

	ok(jsonptr_get(root, ptr, &value, &cause) == 1 && cause == NULL,
	    "'%s' is absent", ptr);
	free(cause);
}

/* Check that ptr is refused as malformed, with a message naming it. */
static void
malformed(struct json_object *root, const char *ptr)
{
	struct json_object	*value = NULL;
	char			*cause = NULL;

	ok(jsonptr_get(root, ptr, &value, &cause) == -1 && cause != NULL &&
	    strstr(cause, ptr) != NULL, "'%s' is malformed", ptr);
	free(cause);
}

/* Check that len bytes of text parse to a value printed as want. */
static void
parses(const char *text, size_t len, const char *want, const char *name)
{
	struct json_object	*o;
	char			*cause = unset, *s;

	o = jsonptr_parse(text, len, &cause);
	if (o == NULL || cause != NULL) {
		ok(0, "%s (refused: %s)", name, cause ? cause : "null");
		free(cause);
		return;
	}
	s = jsonptr_text(o, NULL);
	is_str(s, want, name);
	free(s);
	json_object_put(o);
}

/* Check that len bytes of text are refused with a cause. */
static void
refused(const char *text, size_t len, const char *name)
{
	struct json_object	*o;
	char			*cause = NULL;

	o = jsonptr_parse(text, len, &cause);
	ok(o == NULL && cause != NULL &&
	    strncmp(cause, "invalid JSON", 12) == 0, "%s", name);
	json_object_put(o);
	free(cause);
}

/* Run every case and print the plan. */
int
main(void)
{
	struct json_object	*root, *value, *o;
	char			*cause, *s;
	size_t			 len;

	root = parse(doc);
	ok(root != NULL, "the fixture document parses");

	/* jsonptr_get */
	value = NULL;
	cause = NULL;
	ok(jsonptr_get(root, "", &value, &cause) == 0 && value == root,
	    "'' is the whole document");
	found(root, "/a/b/0", "10");
	found(root, "/a/b/1", "20");
	found(root, "/a/b", "[10,20,{\"c\":null}]");
	found(root, "/x~0y", "1");
	found(root, "/x~1y", "2");
	s = text_at(root, "/s");
	is_str(s, "two\nlines", "'/s' is the string raw, newline unescaped");
	free(s);
	found(root, "/e", "");
	found(root, "/t", "true");
	found(root, "/n", "1.5");
	found(root, "/o", "{\"k\":\"v\",\"l\":[1]}");
	found(root, "/o/l/0", "1");
	value = root;
	ok(jsonptr_get(root, "/a/b/2/c", &value, &cause) == 0 &&
	    value == NULL, "a JSON null is found, as a NULL value");
	s = jsonptr_text(value, NULL);
	is_str(s, "null", "a JSON null prints as null");
	free(s);
	absent(root, "/nope");
	absent(root, "/a/nope");
	absent(root, "/a/b/3");
	absent(root, "/a/b/99");
	absent(root, "/s/deeper");
	absent(root, "/x/y");
	absent(root, "/a/");
	malformed(root, "a");
	malformed(root, "a/b");
	malformed(root, "#/a");
	malformed(root, " /a");

	/* jsonptr_text of values made directly. */
	o = json_object_new_string_len("a\0b", 3);
	s = jsonptr_text(o, &len);
	ok(s != NULL && memcmp(s, "a\0b", 4) == 0 && len == 3,
	    "a string with a NUL byte is copied whole, its length told");
	free(s);
	json_object_put(o);
	o = json_object_new_string("a/b \"q\"");
	s = jsonptr_text(o, NULL);
	is_str(s, "a/b \"q\"", "strings are printed raw, without quotes");
	free(s);
	json_object_put(o);
	o = json_object_new_array();
	json_object_array_add(o, json_object_new_string("a/b"));
	json_object_array_add(o, json_object_new_int64(-42));
	s = jsonptr_text(o, NULL);
	is_str(s, "[\"a/b\",-42]",
	    "arrays print as compact JSON without escaped slashes");
	free(s);
	json_object_put(o);

	/* jsonptr_parse */
	parses("{\"k\":[1,2]}", 11, "{\"k\":[1,2]}", "an object parses");
	parses("42", 2, "42", "a bare number at the end of input parses");
	parses("-0.5", 4, "-0.5", "a bare fraction at the end parses");
	parses("\"str\"", 5, "str", "a bare string parses");
	parses("true", 4, "true", "a bare true parses");
	parses(" \t\r\n{} \r\n\t", 10, "{}", "whitespace around is allowed");
	parses(" 42\n", 4, "42", "whitespace around a number is allowed");
	parses("[1]xyz", 3, "[1]", "only len bytes are read");
	cause = unset;
	ok(jsonptr_parse("null", 4, &cause) == NULL && cause == NULL,
	    "null parses to NULL without a cause");
	refused("{} x", 4, "trailing garbage is refused");
	refused("{}{}", 4, "two documents are refused");
	refused("4 2", 3, "two numbers are refused");
	refused("42x", 3, "a number with trailing letters is refused");
	refused("{}\0", 3, "a trailing NUL byte is refused");
	refused("{\"a\":1}\0x", 9, "a NUL byte then garbage is refused");
	refused("", 0, "empty input is refused");
	refused("   ", 3, "only whitespace is refused");
	refused("{\"a\":", 5, "a truncated object is refused");
	refused("[1,", 3, "a truncated array is refused");
	refused("nul", 3, "a truncated literal is refused");
	refused("[1,]", 4, "a trailing comma is refused");
	refused("{a:1}", 5, "an unquoted key is refused");
	refused("tru", 3, "an unknown literal is refused");

	json_object_put(root);
	return (done_testing());
}
