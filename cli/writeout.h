/*
 * Results for scripts: curl's -w FORMAT with the variables fish can fill
 * in honestly, and the JSON result that -w '%{json}', fish replay --json
 * print (status, headers, body, time, attempts).
 */
#ifndef WRITEOUT_H
#define WRITEOUT_H

#include <stddef.h>

#include <json-c/json.h>

/* What a request came to, for -w and the JSON result. */
struct writeout {
	struct json_object	*reply;		/* the listener's, or NULL */
	const char		*url;		/* as asked */
	const void		*body;
	size_t			 body_len;
	const char		*error;		/* when it failed, or NULL */
};

int	 writeout_check(const char *, char **);
int	 writeout_print(const char *, const struct writeout *);
struct json_object *writeout_json(const struct writeout *);

#endif
