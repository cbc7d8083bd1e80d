/*
 * What the files of the server share (httpd.c, httpd-conn.c,
 * httpd-access.c): struct httpd, and the calls between them.  Private to
 * those three.
 */
#ifndef HTTPD_PRIVATE_H
#define HTTPD_PRIVATE_H

#include <sys/queue.h>
#include <sys/socket.h>

#include <stddef.h>
#include <stdint.h>

#include <microhttpd.h>

#include "limit.h"
#include "request.h"

struct clients;
struct forward;
struct hold;
struct httpd_conn;
struct loop;
struct loop_timer;
struct reject;
struct store;

/* A short fixed answer, made once (httpd_canned). */
struct httpd_canned {
	const char		*text;
	unsigned int		 retry_after;
	struct MHD_Response	*response;
};

struct httpd {
	struct MHD_Daemon	*daemon;
	struct loop		*loop;
	struct store		*store;
	struct limits		 limits;	/* on hooks' requests */
	struct requests		 requests;	/* and their bodies' memory */
	struct hold		*hold;		/* requests to --hold hooks */
	struct forward		*forward;	/* to --forward-to hooks */
	struct reject		*reject;	/* the caps on rejected ones */
	struct clients		*clients;	/* per address, behind a
						   tunnel (clients.c) */
	uint64_t		 clients_refused; /* over --max-per-ip */
	int			 stopping;	/* answer new requests 503 */
	int			 epoll_fd;
	uint64_t		 progress;	/* callbacks MHD has made */
	uint64_t		 progress_seen;	/* at the last prepare */
	int64_t			 log_window;	/* see httpd_log */
	unsigned int		 logged;
	uint64_t		 log_dropped;
	unsigned int		 mhd_status;	/* of the last error MHD
						   answered itself, or 0 */
	int			 starved;	/* accept failed with no
						   connection: httpd_run */
	struct loop_timer	*starve_timer;	/* MHD paused until then */
	struct httpd_canned	*canned;	/* short answers made */
	size_t			 ncanned;

	/* Connections (httpd-conn.c). */
	TAILQ_HEAD(, httpd_conn) conns;
	TAILQ_HEAD(, httpd_conn) idle;		/* idle the longest first */
	size_t			 open;		/* connections not cut */
	unsigned int		 conn_limit;	/* MHD's connection limit */
	struct loop_timer	*sweep;		/* at the earliest deadline */
	struct loop_timer	*room;		/* see httpd_make_room */
};

/* httpd-conn.c: connections, their deadlines, idle ones. */
void	httpd_notify(void *, struct MHD_Connection *, void **,
	    enum MHD_ConnectionNotificationCode);
void	httpd_client_turn(struct MHD_Connection *, void *);
void	httpd_server_turn(struct MHD_Connection *);
void	httpd_conn_busy(struct httpd *, struct MHD_Connection *);
void	httpd_conn_idle(struct httpd *, struct MHD_Connection *);
void	httpd_conn_stop(struct httpd *);
enum MHD_Result httpd_accept(void *, const struct sockaddr *, socklen_t);
const char *httpd_conn_remote(struct MHD_Connection *);

/* httpd-access.c: requests, from the request line to completion. */
void	*httpd_uri_logger(void *, const char *, struct MHD_Connection *);
enum MHD_Result httpd_access(void *, struct MHD_Connection *, const char *,
	    const char *, const char *, const char *, size_t *, void **);
void	httpd_completed(void *, struct MHD_Connection *, void **,
	    enum MHD_RequestTerminationCode);
void	httpd_canned_free(struct httpd *);
void	httpd_unsynced_stop(struct httpd *);

#endif
