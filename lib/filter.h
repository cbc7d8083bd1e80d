/*
 * Message filters for --where (fish wait, log, tail): conditions on a
 * message's JSON body, headers, method, path, the event it names or the
 * status it was answered with.
 *
 *	/ptr=VALUE		the body's value at /ptr is VALUE (strings
 *				compared raw, others as compact JSON)
 *	/ptr!=VALUE		it is absent or not VALUE
 *	/ptr>N, >=, <, <=	it is a number (or a string that is one)
 *				greater than N, ...
 *	/ptr			it is present
 *	header:NAME=VALUE	the header NAME (any case) is VALUE; the
 *				other tests as for /ptr
 *	header:NAME		the header is present
 *	method=POST		the request method (any case)
 *	path=/x			the path below the hook URL
 *	event=push		the event the message names (filter_event)
 *	status=404		the HTTP status it was answered with (4xx: any
 *				of a class); also !=, >, >=, <, <=
 *
 * A VALUE of = and != may list alternatives, VALUE|VALUE...: = matches
 * any of them, != none.  "\|" is a "|" inside a value and "\\" a "\".
 * Several filters must all match.  Text that could never match (a
 * malformed pointer or header name, a comparison with what is not a
 * number) is refused by filter_parse.
 */
#ifndef FILTER_H
#define FILTER_H

#include <stddef.h>

#include <json-c/json.h>

enum filter_subject {
	FILTER_BODY,
	FILTER_HEADER,
	FILTER_METHOD,
	FILTER_PATH,
	FILTER_EVENT,
	FILTER_STATUS,
};

enum filter_test {
	FILTER_PRESENT,
	FILTER_EQUAL,
	FILTER_NOT_EQUAL,
	FILTER_LESS,
	FILTER_LESS_EQUAL,
	FILTER_GREATER,
	FILTER_GREATER_EQUAL,
};

struct filter {
	enum filter_subject	 subject;
	enum filter_test	 test;
	char			*name;	/* pointer or header name */
	char			*value;	/* as given, escapes and all */
	char			**values; /* the alternatives of = and != */
	size_t			 nvalues;
	double			 number; /* of a comparison */
};

int	 filter_parse(const char *, struct filter *, char **);
void	 filter_release(struct filter *);
int	 filter_parse_list(struct json_object *, struct filter **, size_t *,
	    char **);
void	 filter_free_list(struct filter *, size_t);
int	 filter_match(const struct filter *, size_t, struct json_object *,
	    const char *, size_t);
const char *filter_header(struct json_object *, const char *);
char	*filter_event(struct json_object *, struct json_object *);

#endif
