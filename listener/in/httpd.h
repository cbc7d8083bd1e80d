/*
 * HTTP in: the hooks' web server (libmicrohttpd in external-epoll mode,
 * driven by the listener's event loop).
 */
#ifndef HTTPD_H
#define HTTPD_H

#include <stddef.h>
#include <stdint.h>

#include "limit.h"

struct files;
struct hold;
struct httpd;
struct json_object;
struct loop;
struct outbound;
struct store;
struct tls;

/* What HTTP in is given at start: it reaches for nothing else. */
struct httpd_config {
	struct loop		*loop;
	struct store		*store;		/* the hooks served */
	struct outbound		*outbound;	/* for --forward-to hooks */
	const struct limits	*limits;	/* on hooks' requests */
	const struct tls	*tls;		/* NULL for plain HTTP */
	const struct files	*files;		/* the budget of open files,
						   or NULL: none */
	int			 fd;		/* the listening socket */
	int			 forwarded;	/* trust the loopback peer's
						   forwarding headers: enum
						   record_forwarded */
};

struct httpd	*httpd_start(const struct httpd_config *, char **);
void		 httpd_quiesce(struct httpd *);
size_t		 httpd_requests(struct httpd *);
struct hold	*httpd_hold(struct httpd *);
void		 httpd_status(struct httpd *, struct json_object *);
void		 httpd_stop(struct httpd *);

#endif
