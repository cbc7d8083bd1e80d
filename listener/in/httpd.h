/*
 * HTTP in: the hooks' web server (libmicrohttpd in external-epoll mode,
 * driven by the listener's event loop).
 */
#ifndef HTTPD_H
#define HTTPD_H

#include <stddef.h>

struct httpd;
struct json_object;
struct loop;
struct store;

/* Open files kept for other uses than hooks' connections. */
#define HTTPD_FD_RESERVE	64

struct httpd	*httpd_start(struct loop *, struct store *, int, char **);
void		 httpd_quiesce(struct httpd *);
size_t		 httpd_requests(struct httpd *);
void		 httpd_status(struct httpd *, struct json_object *);
void		 httpd_stop(struct httpd *);

#endif
