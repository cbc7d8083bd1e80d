/*
 * The limits on hooks' requests (fish start --max-body and friends): their
 * names, defaults, bounds and spellings, shared by fish start, which checks
 * them, the listener, which saves and enforces them, and fish status.
 */
#ifndef LIMIT_H
#define LIMIT_H

#include <stddef.h>
#include <stdint.h>

struct json_object;

struct limits {
	uint64_t	max_body;		/* bytes */
	uint64_t	idle_timeout_ms;	/* a client's time per request */
	uint64_t	max_connections;
	uint64_t	max_per_ip;
	uint64_t	max_header;		/* bytes: MHD's memory a connection */
	uint64_t	max_inflight;		/* bytes: bodies being received */
};

#define LIMIT_COUNT	6

void		 limit_defaults(struct limits *);
const char	*limit_option(size_t);
const char	*limit_key(size_t);
int		 limit_set(struct limits *, size_t, const char *, char **);
int		 limit_find(const char *);
char		*limit_format(const struct limits *, size_t);
struct json_object *limit_json(const struct limits *, size_t);

#endif
