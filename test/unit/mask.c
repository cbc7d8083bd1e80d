/*
 * Unit tests for mask_credentials and mask_json_field: a URL's password is
 * masked wherever it stands, and nothing else is touched.
 */
#include "config.h"

#include <stdlib.h>

#include <json-c/json.h>

#include "mask.h"
#include "tap.h"

/* Check that text masks as want. */
static void
masks(const char *text, const char *want)
{
	char	*got = mask_credentials(text);

	is_str(got, want, text);
	free(got);
}

int
main(void)
{
	struct json_object	*o;

	masks("http://user:secret@example.test/x",
	    "http://user:***@example.test/x");
	masks("send: POST https://u:p@h:8443/a?b=c: refused",
	    "send: POST https://u:***@h:8443/a?b=c: refused");
	masks("two: http://a:1@x and ftp://b:2@y.",
	    "two: http://a:***@x and ftp://b:***@y.");
	masks("a password with @: http://u:p@ss@host/",
	    "a password with @: http://u:***@host/");
	masks("an empty one: http://u:@host",
	    "an empty one: http://u:***@host");
	masks("'http://u:p@host'", "'http://u:***@host'");
	/* Left alone. */
	masks("http://user@host/ has no password",
	    "http://user@host/ has no password");
	masks("http://host:8080/a@b", "http://host:8080/a@b");
	masks("http://host/?u=a:b@c", "http://host/?u=a:b@c");
	masks("no URL at all: a:b@c", "no URL at all: a:b@c");
	masks("://", "://");
	masks("", "");
	ok(!mask_needed("http://h:1/x"), "a port is no password");
	ok(mask_needed("x http://u:p@h"), "a password is found");

	o = json_tokener_parse("{\"url\":\"http://u:p@h/\",\"n\":1}");
	mask_json_field(o, "url");
	mask_json_field(o, "n");
	mask_json_field(o, "missing");
	is_str(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE),
	    "{\"url\":\"http://u:***@h/\",\"n\":1}",
	    "mask_json_field masks a string member only");
	json_object_put(o);
	return (done_testing());
}
