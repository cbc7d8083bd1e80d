/*
 * httpie-style request items for fish send: key=value (JSON string field),
 * key:=json (raw JSON field), key==value (query parameter), Name:value
 * (header).
 */
#ifndef ITEMS_H
#define ITEMS_H

#include <json-c/json.h>

struct items {
	char			*url;		/* with query parameters added */
	struct json_object	*headers;	/* [[name, value], ...] */
	struct json_object	*body;		/* object of fields, or NULL */
};

void	 items_init(struct items *, const char *);
void	 items_release(struct items *);
int	 items_add(struct items *, const char *, char **);
int	 items_add_header(struct items *, const char *, char **);
void	 items_query_add(struct items *, const char *, size_t);
int	 items_has_header(const struct items *, const char *);

#endif
