/*
 * HTTP in: the hooks' web server (libmicrohttpd in external-epoll mode,
 * driven by the listener's event loop).
 */
#ifndef HTTPD_H
#define HTTPD_H

#include <stddef.h>

struct httpd;
struct loop;

#define HTTPD_BODY_MAX		(25U << 20)	/* GitHub's own payload cap */
#define HTTPD_IDLE_TIMEOUT	10		/* seconds */
#define HTTPD_CONNECTIONS_MAX	1000
#define HTTPD_PER_IP_MAX	256

struct httpd	*httpd_start(struct loop *, int, char **);
void		 httpd_quiesce(struct httpd *);
size_t		 httpd_requests(struct httpd *);
void		 httpd_stop(struct httpd *);

#endif
