/*
 * The daemon's state, in the one global "listener" that main and control
 * share (control reads the session's settings for status, URLs and
 * errors).  Nothing below control includes this: the store, HTTP out and
 * HTTP in are given what they use when they start.
 */
#ifndef LISTENER_H
#define LISTENER_H

#include <stdint.h>

#include "limit.h"
#include "session.h"

struct loop;
struct store;
struct httpd;
struct httpc;
struct outbound;
struct control;
struct tls;

struct listener {
	struct session	 session;
	struct loop	*loop;
	struct store	*store;
	struct httpd	*httpd;
	struct httpc	*httpc;
	struct outbound	*outbound;
	struct control	*control;
	char		*listen;	/* HOST:PORT as bound (port resolved) */
	char		*base_url;	/* scheme://host:port[/prefix] of hooks */
	char		*public_url;	/* or NULL */
	char		*tls_cert;	/* certificate and key files (absolute */
	char		*tls_key;	/* paths), or NULL for plain HTTP */
	struct tls	*tls;		/* their content, loaded */
	int64_t		 started_at;	/* unix ms */
	int64_t		 retain_ms;	/* journal retention period */
	struct limits	 limits;	/* on hooks' requests (HTTP in's) */
	int		 stopping;
};

extern struct listener listener;

void	listener_shutdown(void);

#endif
