/*
 * HTTP out: the requests of fish send and fish replay and a hook's
 * --forward-to, through libcurl's multi interface inside the listener's
 * event loop (connections are kept alive and reused).
 */
#ifndef HTTPC_H
#define HTTPC_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "buffer.h"

/* The most of a response body kept (what a control frame can carry). */
#define HTTPC_RESPONSE_MAX	(64U << 20)

struct httpc;
struct loop;

struct httpc_request {
	const char		*method;
	const char		*url;
	struct json_object	*headers;	/* [[name, value], ...] */
	const char		*body;
	size_t			 body_len;
	int64_t			 timeout_ms;	/* the whole request */
	int			 follow;	/* follow redirects */
	const char		*trust;		/* a PEM file whose certificates
						   alone to trust (our own), or
						   NULL: the system's */
	const char		*connect_to;	/* HOST:PORT:ADDR:PORT: connect
						   to ADDR:PORT for HOST:PORT,
						   or NULL */
	const char		*proxy;		/* the proxy URL, or NULL:
						   none, whatever the
						   listener's environment */
	const char		*noproxy;	/* hosts reached directly
						   (curl's NO_PROXY), or NULL */
	const char		*proxy_user;	/* USER:PASSWORD for the
						   proxy (curl --proxy-user),
						   or NULL */
	struct json_object	*proxy_headers;	/* [[name, value], ...]
						   sent to the proxy alone
						   (--proxy-header), or
						   NULL */
	int			 insecure;	/* do not check the server's
						   certificate (curl -k) */
	int			 compressed;	/* ask for a compressed
						   answer and decode it */
	int			 verbose;	/* keep the heads in trace */
	size_t			 max_response;	/* body bytes at most, or 0:
						   HTTPC_RESPONSE_MAX */
};

struct httpc_result {
	int			 status;	/* EXIT_OK, EXIT_NETWORK, ... */
	char			*error;		/* when status is not EXIT_OK */
	long			 http_status;
	struct json_object	*headers;	/* [[name, value], ...] */
	struct buffer		 head;		/* status line and headers,
						   as received */
	struct buffer		 body;
	int64_t			 time_ms;
	int			 transient;	/* a network error that a
						   retry may cure */
	int64_t			 retry_after_ms; /* Retry-After, or -1 */
	char			*final_url;	/* after redirects, or NULL */
	unsigned int		 attempt;	/* set by outbound: 1, 2, ... */
	char			*note;		/* set by outbound: why no
						   later attempt was made */
	struct buffer		 trace;		/* with verbose: the heads
						   sent ("> ") and received
						   ("< "), line by line */
	long			 redirects;	/* followed */
	int			 unverified;	/* the server's certificate
						   could not be checked */
};

/*
 * Told how a request ended; the result is released when it returns.  It
 * may take what the result holds instead of copying it (a body may be
 * large): moved out, and the result left empty but releasable (NULL
 * pointers, buffers as buffer_init leaves them).
 */
typedef void (*httpc_done_cb)(struct httpc_result *, void *);

struct httpc	*httpc_new(struct loop *);
void		 httpc_free(struct httpc *);
void		 httpc_limit(struct httpc *, size_t);
void		 httpc_send(struct httpc *, const struct httpc_request *,
		    httpc_done_cb, void *);
void		 httpc_cancel(struct httpc *, const char *);
int		 httpc_active(const struct httpc *);

#endif
