/*
 * The answer options that fish spawn and fish reply share: --status N,
 * -H 'Name: value' and --body TEXT|@FILE.
 */
#ifndef RESPONSE_H
#define RESPONSE_H

#include <stddef.h>

#include <json-c/json.h>

struct cmd_entry;

struct response {
	int			 status;	/* 0 when not given */
	struct json_object	*headers;	/* [[name, value], ...] */
	char			*body;		/* NULL when not given */
	size_t			 body_len;
};

void	 response_init(struct response *);
void	 response_release(struct response *);
int	 response_status(const struct cmd_entry *, struct response *,
	    const char *);
int	 response_header(const struct cmd_entry *, struct response *,
	    const char *);
int	 response_body(const struct cmd_entry *, struct response *,
	    const char *, size_t);
void	 response_add(struct response *, struct json_object *);

#endif
