/*
 * The client side of the control protocol: find the session's listener,
 * start it when it is not running, exchange frames with it (client.c), and
 * start or stop it on request (client-start.c).
 *
 * Functions returning int return an exit status (EXIT_OK on success).  On
 * failure they have already printed the one-line error on stderr, except
 * where noted.
 */
#ifndef CLIENT_H
#define CLIENT_H

#include <signal.h>
#include <stdint.h>

#include "buffer.h"
#include "proto.h"
#include "session.h"
#include "settings.h"

struct client {
	struct session	 session;
	int		 fd;
	int		 flags;
	int64_t		 deadline;	/* for starting the listener, -1: none */
	int		 refused;	/* errno of what client_connect refused
					   (said unless a quiet full queue), or 0 */
	struct buffer	 in;
	int64_t		 look_at;	/* next look at a silent listener */
	int64_t		 stopped_since;	/* seen stopped since (mono ms), -1 */
	int		 stopped;	/* given up on: it stayed stopped */
	int		 acting;	/* the request sent last has effects
					   (client_acting) */
};

/* Flags for client_open. */
#define CLIENT_START	0x1	/* start the listener if it is not running */
#define CLIENT_CREATE	0x10	/* and make the session if there is none */
#define CLIENT_QUIET	0x2	/* no message when it is not running */
#define CLIENT_RESTART	0x8	/* restart it only if it crashed */
#define CLIENT_RESILIENT 0x4	/* losing the listener is not reported: the
				   caller reconnects (client_reconnect) */
#define CLIENT_BOUNDED	0x20	/* the caller's deadline alone bounds its
				   waits: a stopped listener is not given
				   up on (client-silence.c) */

/*
 * From client_call: the listener was lost after the request had left, and
 * nothing was said (an internal value, never an exit status).
 */
#define CLIENT_IN_DOUBT	(-1)

extern volatile sig_atomic_t client_interrupted;

/* client.c */
int	 client_open(struct client *, const char *, int);
int	 client_open_until(struct client *, const char *, int, int64_t);
int	 client_reconnect(struct client *);
void	 client_close(struct client *);
void	 client_catch(int);
void	 client_catch_waiting(int);
int	 client_send(struct client *, struct json_object *, const void *,
	    size_t);
int	 client_receive(struct client *, struct proto_frame *, int64_t);
int	 client_call(struct client *, struct json_object *, const void *,
	    size_t, struct proto_frame *, int64_t);
int	 client_reply_status(const struct proto_frame *);
int	 client_in_doubt(const struct client *, const char *);
int	 client_no_session(const char *);
void	 client_not_found(const char *);
int	 client_request(const char *, struct json_object *, const void *,
	    size_t, struct proto_frame *);

/* client-start.c */

/* How long fish stop waits, by default, for the listener to finish. */
#define CLIENT_STOP_TIMEOUT_MS	15000

int	 client_start(const char *, const struct settings *, int);
int	 client_stop(const char *, int, uint64_t);
const char *client_listener_path(void);

/*
 * Between client.c and client-start.c only.  client_connect returns
 * CLIENT_ABSENT, with errno saying why and nothing printed, when no
 * listener answers.
 */
#define CLIENT_ABSENT	(-1)
int	 client_init(struct client *, const char *, int);
int	 client_connect(struct client *);
int	 client_left(int64_t, int);
int	 client_autostart(struct client *, const struct settings *);

/* client-silence.c, for client.c */
void	 client_heard(struct client *);
int	 client_silence_timeout(const struct client *, int);
int	 client_silence(struct client *);
/* client-silence.c, for client-start.c too */
char	 client_process_state(pid_t);
/* client-silence.c, for status and sessions */
char	*client_why_silent(pid_t, const char **);

#endif
