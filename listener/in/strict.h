/*
 * The strictness of HTTP in: request lines, paths, header fields and body
 * framing that hooks refuse (400, 414) before they look at anything else.
 */
#ifndef STRICT_H
#define STRICT_H

#include <stdint.h>

struct MHD_Connection;

/* What a request's headers say about its body's length, and their form. */
struct strict_framing {
	unsigned int	lengths;	/* Content-Length headers */
	unsigned int	encodings;	/* Transfer-Encoding headers */
	int		not_chunked;	/* an encoding other than chunked */
	int		too_large;	/* a Content-Length over the cap */
	uint64_t	length;		/* the (last) Content-Length */
	int		malformed;	/* a field not "name: value" */
	uint64_t	cap;		/* on a body's length */
};

int	strict_uri_too_long(const char *, uint64_t);
int	strict_has_dot_segment(const char *);
int	strict_request_line_clean(const char *, const char *);
void	strict_framing(struct MHD_Connection *, uint64_t,
	    struct strict_framing *);
int	strict_framing_ambiguous(const struct strict_framing *);

#endif
