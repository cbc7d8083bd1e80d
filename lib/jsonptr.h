/*
 * JSON pointers (RFC 6901) over json-c values, for fish field, --field and
 * --where.
 */
#ifndef JSONPTR_H
#define JSONPTR_H

#include <json-c/json.h>

int	 jsonptr_get(struct json_object *, const char *, struct json_object **,
	    char **);
char	*jsonptr_text(struct json_object *, size_t *);
struct json_object *jsonptr_parse(const char *, size_t, char **);

#endif
