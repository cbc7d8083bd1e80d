/*
 * Unit tests for --where filters: parsing each form, refusing malformed
 * ones, and matching bodies, headers, methods and paths.
 */
#include "config.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "filter.h"
#include "tap.h"

/* The journal record of a request: method, path and headers. */
static const char record_text[] =
    "{\"method\":\"POST\",\"path\":\"/events\","
    "\"headers\":[[\"Content-Type\",\"application/json\"],"
    "[\"X-Kind\",\"order\"],[\"X-Count\",\"12\"],"
    "[\"X-GitHub-Event\",\"push\"]],\"http_status\":202}";

static const char body[] =
    "{\"type\":\"order\",\"id\":7,\"ok\":true,\"tags\":[\"a\",\"b\"],"
    "\"x\":null,\"pipe\":\"a|b\"}";

/* Tell whether the request matches the filters given as text. */
static int
matches(const char *first, ...)
{
	struct filter		 filters[8];
	struct json_object	*record;
	const char		*text;
	char			*cause = NULL;
	va_list			 ap;
	size_t			 n = 0, i;
	int			 match;

	va_start(ap, first);
	for (text = first; text != NULL; text = va_arg(ap, const char *)) {
		if (filter_parse(text, &filters[n], &cause) == -1) {
			free(cause);
			va_end(ap);
			return (-1);
		}
		n++;
	}
	va_end(ap);
	record = json_tokener_parse(record_text);
	match = filter_match(filters, n, record, body, strlen(body));
	json_object_put(record);
	for (i = 0; i < n; i++)
		filter_release(&filters[i]);
	return (match);
}

/* Check that text is refused with a message naming it. */
static void
refuses(const char *text)
{
	struct filter	 f;
	char		*cause = NULL;

	ok(filter_parse(text, &f, &cause) == -1 && cause != NULL &&
	    strstr(cause, text) != NULL, "'%s' is refused", text);
	free(cause);
}

/* Return the event a record and body name, or "(none)"; caller frees. */
static char *
event_of(const char *record_json, const char *body_json)
{
	struct json_object	*record, *json;
	char			*event;

	record = json_tokener_parse(record_json);
	json = json_tokener_parse(body_json);
	event = filter_event(record, json);
	json_object_put(record);
	json_object_put(json);
	return (event == NULL ? strdup("(none)") : event);
}

/* Check the event named by a record and body. */
static void
event_is(const char *record_json, const char *body_json, const char *want,
    const char *what)
{
	char	*event = event_of(record_json, body_json);

	is_str(event, want, what);
	free(event);
}

/* Run every case and print the plan. */
int
main(void)
{
	struct filter		 f;
	struct json_object	*record;
	char			*cause = NULL;

	ok(filter_parse("/a/b=c=d", &f, &cause) == 0 &&
	    f.subject == FILTER_BODY && f.test == FILTER_EQUAL &&
	    strcmp(f.name, "/a/b") == 0 && strcmp(f.value, "c=d") == 0,
	    "a body filter splits at the first '='");
	filter_release(&f);
	ok(filter_parse("/a!=1", &f, &cause) == 0 &&
	    f.test == FILTER_NOT_EQUAL && strcmp(f.name, "/a") == 0,
	    "'!=' is a not-equal test");
	filter_release(&f);
	ok(filter_parse("/a", &f, &cause) == 0 && f.test == FILTER_PRESENT,
	    "a bare pointer is a presence test");
	filter_release(&f);
	ok(filter_parse("header:X-Kind=order", &f, &cause) == 0 &&
	    f.subject == FILTER_HEADER && strcmp(f.name, "X-Kind") == 0,
	    "a header filter keeps the name");
	filter_release(&f);

	refuses("type=order");
	refuses("header:");
	refuses("header:=x");
	refuses("method");
	refuses("path");
	refuses("");
	refuses("/a~2=1");
	refuses("/a~=1");
	refuses("header:Content Type=x");
	refuses("header:X-A:b");
	refuses("/n>abc");
	refuses("/n<");
	refuses("method=GET|P O");
	refuses("method>1");
	refuses("event<2");
	refuses("status=200|20");
	refuses("status=6xx");
	refuses("status>x");
	refuses("status");
	refuses("event");

	is_int(matches("/type=order", NULL), 1, "a string field matches raw");
	is_int(matches("/id=7", NULL), 1, "a number matches as JSON");
	is_int(matches("/ok=true", NULL), 1, "a boolean matches as JSON");
	is_int(matches("/tags/1=b", NULL), 1, "an array element matches");
	is_int(matches("/tags=[\"a\",\"b\"]", NULL), 1,
	    "an array matches as compact JSON");
	is_int(matches("/type=ping", NULL), 0, "another value does not match");
	is_int(matches("/type!=ping", NULL), 1, "!= matches another value");
	is_int(matches("/missing!=x", NULL), 1, "!= matches an absent value");
	is_int(matches("/type!=order", NULL), 0, "!= refuses the same value");
	is_int(matches("/ok", NULL), 1, "presence of a field");
	is_int(matches("/missing", NULL), 0, "absence of a field");
	is_int(matches("/x", NULL), 1, "a null field is present");
	is_int(matches("header:x-kind=order", NULL), 1,
	    "header names are compared in any case");
	is_int(matches("header:X-Kind=Order", NULL), 0,
	    "header values are compared exactly");
	is_int(matches("header:x-kind", NULL), 1, "presence of a header");
	is_int(matches("header:x-other", NULL), 0, "absence of a header");
	is_int(matches("method=post", NULL), 1, "methods in any case");
	is_int(matches("method=GET", NULL), 0, "another method");
	is_int(matches("method!=GET", NULL), 1, "!= of a method");
	is_int(matches("path=/events", NULL), 1, "the path");
	is_int(matches("path=/other", NULL), 0, "another path");
	is_int(matches("/type=order", "method=POST", "header:x-kind", NULL), 1,
	    "all of several filters must match");
	is_int(matches("/type=order", "method=GET", NULL), 0,
	    "one failing filter fails the match");

	is_int(matches("/id>5", NULL), 1, "a number greater than another");
	is_int(matches("/id>7", NULL), 0, "a number not greater than itself");
	is_int(matches("/id>=7", NULL), 1, ">= takes the number itself");
	is_int(matches("/id<7.5", NULL), 1, "< compares with a fraction");
	is_int(matches("/id<=6", NULL), 0, "<= refuses a greater number");
	is_int(matches("/type>1", NULL), 0, "a word is no number");
	is_int(matches("/missing<1", NULL), 0, "an absent value compares false");
	is_int(matches("/ok>0", NULL), 0, "a boolean is no number");
	is_int(matches("header:X-Count>=10", NULL), 1,
	    "a header value read as a number");
	is_int(matches("/type=ping|order", NULL), 1,
	    "= matches any of its alternatives");
	is_int(matches("/type=ping|pong", NULL), 0,
	    "= matches none of other alternatives");
	is_int(matches("/type!=ping|order", NULL), 0,
	    "!= refuses a value among its alternatives");
	is_int(matches("/type!=ping|pong", NULL), 1,
	    "!= passes a value none of them");
	is_int(matches("/pipe=a\\|b", NULL), 1, "\\| is a bar in a value");
	is_int(matches("method=GET|post", NULL), 1,
	    "alternatives of methods, in any case");
	is_int(matches("status=202", NULL), 1, "a status matches its code");
	is_int(matches("status=2xx", NULL), 1, "a status matches its class");
	is_int(matches("status=4xx|5xx", NULL), 0, "classes as alternatives");
	is_int(matches("status!=4xx", NULL), 1, "!= of a class");
	is_int(matches("status>=400", NULL), 0, "a status compared");
	is_int(matches("event=push", NULL), 1,
	    "the event of a GitHub delivery");
	is_int(matches("event!=push", NULL), 0, "!= of an event");

	event_is("{\"headers\":[[\"x-gitlab-event\",\"Push Hook\"]]}", "{}",
	    "Push Hook", "GitLab names its event in X-Gitlab-Event");
	event_is("{\"headers\":[[\"X-Event-Key\",\"repo:push\"]]}", "{}",
	    "repo:push", "Bitbucket names its event in X-Event-Key");
	event_is("{\"headers\":[]}",
	    "{\"object\":\"event\",\"type\":\"charge.succeeded\"}",
	    "charge.succeeded", "a Stripe event names its type");
	event_is("{\"headers\":[[\"webhook-id\",\"msg_1\"]]}",
	    "{\"type\":\"invoice.paid\"}", "invoice.paid",
	    "a Standard Webhooks message names its type");
	event_is("{\"headers\":[]}", "{\"type\":\"order\"}", "(none)",
	    "any body's type is not an event");
	event_is("{\"headers\":[]}", "[1]", "(none)", "nor is an array");

	/* A damaged journal record: pairs not [name, value] crashed it. */
	record = json_tokener_parse("{\"headers\":[7,[],[null,\"x\"],"
	    "[\"X-Kind\",\"order\"]]}");
	if (filter_parse("header:x-kind=order", &f, &cause) == 0) {
		is_int(filter_match(&f, 1, record, "", 0), 1,
		    "headers of another shape are skipped");
		filter_release(&f);
	}
	json_object_put(record);

	return (done_testing());
}
