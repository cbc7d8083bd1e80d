/*
 * Message filters for `fish wait --where`: conditions on a received
 * message's JSON body, headers or method.
 *
 *	/ptr=VALUE		the body's value at /ptr is VALUE (strings
 *				compared raw, others as compact JSON)
 *	/ptr!=VALUE		it is absent or not VALUE
 *	/ptr			it is present
 *	header:NAME=VALUE	the header NAME (any case) is VALUE
 *	header:NAME		the header is present
 *	method=POST		the request method (any case)
 *	path=/x			the path below the hook URL
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
};

enum filter_test {
	FILTER_PRESENT,
	FILTER_EQUAL,
	FILTER_NOT_EQUAL,
};

struct filter {
	enum filter_subject	 subject;
	enum filter_test	 test;
	char			*name;	/* pointer or header name */
	char			*value;
};

int	filter_parse(const char *, struct filter *, char **);
void	filter_release(struct filter *);
int	filter_match(const struct filter *, size_t, struct json_object *,
	    const char *, size_t);

#endif
