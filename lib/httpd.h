/*
 * HTTP in: the hooks' web server (libmicrohttpd in external-epoll mode,
 * driven by the listener's event loop), and the requests it holds open
 * for fish reply.
 */
#ifndef HTTPD_H
#define HTTPD_H

#include <stddef.h>
#include <stdint.h>

struct httpd;
struct json_object;
struct loop;

#define HTTPD_BODY_MAX		(25U << 20)	/* GitHub's own payload cap */
#define HTTPD_IDLE_TIMEOUT	10		/* seconds */
#define HTTPD_CONNECTIONS_MAX	1000
#define HTTPD_PER_IP_MAX	256

int		 httpd_bind(const char *, char **, char **);
struct httpd	*httpd_start(struct loop *, int, char **);
void		 httpd_quiesce(struct httpd *);
size_t		 httpd_requests(struct httpd *);
void		 httpd_stop(struct httpd *);
int		 httpd_reply(struct httpd *, const char *, unsigned int,
		    struct json_object *, const void *, size_t, uint64_t *,
		    char **);

#endif
