/*
 * HTTP in's connections (see httpd.c), tracked from MHD's connection
 * notifier: each has a deadline that only its client can miss, and idle
 * ones make room for new ones near the connection limit.
 *
 * A deadline runs while it is the client's turn: to send its next request
 * (from the connection's start, and between keep-alive requests), or to
 * read an answer (once a suspended request is resumed with it).  While a
 * request is ours to answer (being journaled, held, forwarded) there is
 * none.  A client that misses its deadline is cut (see httpd_sweep).
 *
 * Its peer address is formatted once, when it opens, for the records of
 * all its requests.
 *
 * Behind a tunnel or proxy, the per-address connection cap is ours, not
 * MHD's (see clients.c): a peer that is not loopback may have at most
 * --max-per-ip connections (httpd_accept refuses more), and the tunnel's
 * own, from loopback, are capped only in total.
 */
#include "config.h"

#include <sys/ioctl.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <netdb.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <microhttpd.h>

#include "clients.h"
#include "httpd-private.h"
#include "loop.h"
#include "record.h"
#include "xmalloc.h"

/*
 * How long a connection may idle before it may be cut to make room, and
 * how many of the oldest with unread bytes to pass over (httpd_make_room).
 */
#define HTTPD_IDLE_GRACE_MS	500
#define HTTPD_ROOM_SCAN		16

/*
 * A connection, from MHD's NOTIFY_CONNECTION: when its client must have
 * sent the whole of its next request, or read the whole answer; and
 * whether it is idle, with no request under way (nothing sent yet, or
 * between keep-alive requests).
 */
struct httpd_conn {
	struct MHD_Connection	*connection;
	int64_t			 deadline;	/* loop_now() ms; 0: our turn */
	int			 idle;		/* on the idle list */
	int64_t			 idle_since;	/* loop_now() ms */
	int			 cut;		/* shut down, not yet closed */
	int			 counted;	/* in h->clients, as key */
	struct clients_key	 key;
	/* ADDRESS:PORT, [ADDRESS]:PORT for IPv6, or "". */
	char			 remote[NI_MAXHOST + NI_MAXSERV + 3];
	TAILQ_ENTRY(httpd_conn)	 entry;
	TAILQ_ENTRY(httpd_conn)	 idle_entry;	/* idle the longest first */
};

/* Return our state of an MHD connection. */
static struct httpd_conn *
httpd_conn_of(struct MHD_Connection *connection)
{
	const union MHD_ConnectionInfo	*info;

	info = MHD_get_connection_info(connection,
	    MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	return (info == NULL ? NULL : info->socket_context);
}

/* Describe a connection's peer as ADDRESS:PORT into conn->remote, once. */
static void
httpd_conn_describe(struct httpd_conn *conn)
{
	char	*remote = record_remote(conn->connection);

	snprintf(conn->remote, sizeof conn->remote, "%s", remote);
	free(remote);
}

/*
 * Return the key of a connection's peer in h->clients into key, if it is
 * to be counted there: known, and not loopback (a tunnel's).
 */
static int
httpd_conn_key(struct MHD_Connection *connection, struct clients_key *key)
{
	const union MHD_ConnectionInfo	*info;

	info = MHD_get_connection_info(connection,
	    MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	return (info != NULL && clients_key_sockaddr(info->client_addr,
	    key) == 0 && !clients_key_loopback(key));
}

/*
 * MHD's accept policy, behind a tunnel or proxy: refuse a connection from
 * a peer that is not loopback and has --max-per-ip open already (what
 * MHD's own per-address cap does, which is off then).  The new connection
 * is counted when MHD starts it (httpd_notify), before it accepts another.
 */
enum MHD_Result
httpd_accept(void *arg, const struct sockaddr *sa, socklen_t len)
{
	struct httpd		*h = arg;
	struct clients_key	 key;

	(void)len;
	if (clients_key_sockaddr(sa, &key) == -1 || clients_key_loopback(&key))
		return (MHD_YES);
	return (clients_count(h->clients, &key, CLIENTS_CONNECTION) <
	    h->limits.max_per_ip ? MHD_YES : MHD_NO);
}

/* Return a connection's peer as ADDRESS:PORT, or "" if it is unknown. */
const char *
httpd_conn_remote(struct MHD_Connection *connection)
{
	struct httpd_conn	*conn = httpd_conn_of(connection);

	return (conn == NULL ? "" : conn->remote);
}

static void	httpd_sweep(void *);
static void	httpd_room(void *);

/*
 * Put a connection on the idle list (at its end: idle the shortest) or
 * take it off.  A connection that was cut stays off.
 */
static void
httpd_set_idle(struct httpd *h, struct httpd_conn *conn, int idle)
{
	if (idle && !conn->idle && !conn->cut) {
		TAILQ_INSERT_TAIL(&h->idle, conn, idle_entry);
		conn->idle_since = loop_now();
	} else if (!idle && conn->idle)
		TAILQ_REMOVE(&h->idle, conn, idle_entry);
	else
		return;
	conn->idle = idle;
}

/*
 * Cut a connection: shutdown(2) makes the socket readable at EOF; MHD
 * notices, closes the connection and calls httpd_completed and
 * httpd_notify itself.
 */
static void
httpd_cut(struct httpd *h, struct httpd_conn *conn)
{
	const union MHD_ConnectionInfo	*info;

	conn->deadline = 0;
	if (conn->cut)
		return;
	httpd_set_idle(h, conn, 0);
	conn->cut = 1;
	h->open--;
	info = MHD_get_connection_info(conn->connection,
	    MHD_CONNECTION_INFO_CONNECTION_FD);
	if (info != NULL)
		shutdown(info->connect_fd, SHUT_RDWR);
}

/* Tell whether bytes wait unread on a connection's socket. */
static int
httpd_pending(struct httpd_conn *conn)
{
	const union MHD_ConnectionInfo	*info;
	int				 n;

	info = MHD_get_connection_info(conn->connection,
	    MHD_CONNECTION_INFO_CONNECTION_FD);
	return (info != NULL && ioctl(info->connect_fd, FIONREAD, &n) == 0 &&
	    n > 0);
}

/*
 * Keep room for new connections near MHD's connection limit, by cutting
 * the connections idle the longest.  At the limit MHD accepts nothing, and
 * new connections (a real callback's among them) would wait in the
 * kernel's queue until idle ones time out: 600 connections that send
 * nothing held callbacks up for the whole idle timeout.  So, as nginx
 * reuses idle keep-alive connections, the listener keeps an eighth of the
 * limit free by cutting connections that do nothing, oldest first; it
 * looks again whenever a connection comes or becomes idle, and when the
 * next one would be old enough.
 *
 * Idle means no whole request line yet, or between keep-alive requests.
 * But a connection is not cut in its first HTTPD_IDLE_GRACE_MS of idling
 * (a client may connect, or get an answer, a moment before it sends), nor
 * when bytes wait unread on it (MHD accepts a burst of connections before
 * it reads any).  Requests under way are never cut here.
 */
static void
httpd_make_room(struct httpd *h)
{
	struct httpd_conn	*conn, *next;
	int64_t			 now = loop_now(), when = 0;
	int			 scanned = 0;

	conn = TAILQ_FIRST(&h->idle);
	while (h->open >= h->conn_limit - h->conn_limit / 8 && conn != NULL) {
		next = TAILQ_NEXT(conn, idle_entry);
		if (conn->idle_since + HTTPD_IDLE_GRACE_MS > now) {
			/* The rest are younger still. */
			when = conn->idle_since + HTTPD_IDLE_GRACE_MS;
			break;
		}
		if (!httpd_pending(conn))
			httpd_cut(h, conn);
		else if (++scanned == HTTPD_ROOM_SCAN) {
			when = now + HTTPD_IDLE_GRACE_MS / 8;
			break;
		}
		conn = next;
	}
	if (when != 0 && h->room == NULL)
		h->room = loop_timer_add(h->loop, when, httpd_room, h);
}

/* The next idle connection is old enough to be cut, if room is needed. */
static void
httpd_room(void *arg)
{
	struct httpd	*h = arg;

	h->room = NULL;
	httpd_make_room(h);
}

/*
 * Give a connection's client the idle timeout from now to do its part:
 * send the next request, or read an answer (arg: the httpd).
 */
void
httpd_client_turn(struct MHD_Connection *connection, void *arg)
{
	struct httpd_conn	*conn = httpd_conn_of(connection);
	struct httpd		*h = arg;

	if (conn == NULL)
		return;
	conn->deadline = loop_now() + (int64_t)h->limits.idle_timeout_ms;
	/* Deadlines only grow: a sweep already planned comes sooner. */
	if (h->sweep == NULL)
		h->sweep = loop_timer_add(h->loop, conn->deadline, httpd_sweep,
		    h);
}

/* The request is ours to answer (durable, held, forwarded): no deadline. */
void
httpd_server_turn(struct MHD_Connection *connection)
{
	struct httpd_conn	*conn = httpd_conn_of(connection);

	if (conn != NULL)
		conn->deadline = 0;
}

/*
 * Cut every connection whose client missed its deadline, and plan the next
 * sweep.  MHD's own timeout is not enough: every byte a client trickles
 * resets it, so a slowloris could hold a connection for ever.
 */
static void
httpd_sweep(void *arg)
{
	struct httpd			*h = arg;
	struct httpd_conn		*conn;
	int64_t				 now = loop_now(), next = 0;

	h->sweep = NULL;
	TAILQ_FOREACH(conn, &h->conns, entry) {
		if (conn->deadline == 0)
			continue;
		if (conn->deadline > now) {
			if (next == 0 || conn->deadline < next)
				next = conn->deadline;
			continue;
		}
		httpd_cut(h, conn);
	}
	if (next != 0)
		h->sweep = loop_timer_add(h->loop, next, httpd_sweep, h);
}

/*
 * MHD's connection notifier: track each connection for its deadline and
 * while it is idle.
 */
void
httpd_notify(void *arg, struct MHD_Connection *connection,
    void **socket_context, enum MHD_ConnectionNotificationCode code)
{
	struct httpd		*h = arg;
	struct httpd_conn	*conn;

	switch (code) {
	case MHD_CONNECTION_NOTIFY_STARTED:
		conn = xcalloc(1, sizeof *conn);
		conn->connection = connection;
		httpd_conn_describe(conn);
		if (h->clients != NULL && httpd_conn_key(connection,
		    &conn->key))
			conn->counted = clients_take(h->clients, &conn->key,
			    CLIENTS_CONNECTION, UINT64_MAX);
		TAILQ_INSERT_TAIL(&h->conns, conn, entry);
		h->open++;
		httpd_set_idle(h, conn, 1);
		*socket_context = conn;
		httpd_client_turn(connection, h);
		httpd_make_room(h);
		break;
	case MHD_CONNECTION_NOTIFY_CLOSED:
		if ((conn = *socket_context) == NULL)
			break;
		httpd_set_idle(h, conn, 0);
		if (!conn->cut)
			h->open--;
		TAILQ_REMOVE(&h->conns, conn, entry);
		if (conn->counted)
			clients_give(h->clients, &conn->key,
			    CLIENTS_CONNECTION);
		free(conn);
		*socket_context = NULL;
		break;
	}
}

/* A connection has a request under way: it is not idle. */
void
httpd_conn_busy(struct httpd *h, struct MHD_Connection *connection)
{
	struct httpd_conn	*conn = httpd_conn_of(connection);

	if (conn != NULL)
		httpd_set_idle(h, conn, 0);
}

/*
 * A connection's request is over: it is idle until the next, and may be
 * cut to make room.
 */
void
httpd_conn_idle(struct httpd *h, struct MHD_Connection *connection)
{
	struct httpd_conn	*conn = httpd_conn_of(connection);

	if (conn != NULL) {
		httpd_set_idle(h, conn, 1);
		httpd_make_room(h);
	}
}

/* Stop the sweeps (the server stops; MHD has closed every connection). */
void
httpd_conn_stop(struct httpd *h)
{
	loop_timer_cancel(h->loop, h->sweep);
	loop_timer_cancel(h->loop, h->room);
	h->sweep = h->room = NULL;
}
