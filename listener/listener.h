/*
 * The daemon's state, in the one global "listener" that main and control
 * share (control reads the session's settings for status, URLs and
 * errors).  Nothing below control includes this: the store, HTTP out and
 * HTTP in are given what they use when they start.
 */
#ifndef LISTENER_H
#define LISTENER_H

#include <stdint.h>

#include "files.h"
#include "session.h"
#include "settings.h"

struct loop;
struct store;
struct httpd;
struct httpc;
struct outbound;
struct control;
struct tls;
struct tunnel_run;

/*
 * The tunnel client's state (listener-tunnel.c keeps it; control shows
 * it, and envelope.c puts hook URLs under its URL).
 */
struct listener_tunnel {
	const char	*state;		/* "starting", "up", "restarting" */
	char		*url;		/* announced, or NULL: none yet */
	char		*previous_url;	/* before it last changed, or NULL */
	int64_t		 changed_at;	/* unix ms the URL last changed */
	long		 pid;		/* the client's, or 0 */
	unsigned int	 restarts;
};

/* --idle-exit's watch (listener-idle.c). */
struct listener_idle {
	int64_t		 after;		/* D, in ms; 0: never */
	int64_t		 look;		/* ms between looks */
	int64_t		 since;		/* loop_now() once idle, or -1 */
};

struct listener {
	struct session	 session;
	struct loop	*loop;
	struct store	*store;
	struct httpd	*httpd;
	struct httpc	*httpc;
	struct outbound	*outbound;
	struct control	*control;
	struct settings	 settings;	/* in force (listener-config.c), with
					   the listen address as bound */
	struct files	 files;		/* the open files' budget (files.c) */
	struct tls	*tls;		/* the TLS files', loaded, or NULL */
	struct tunnel_run *tunnel;	/* --tunnel's client, or NULL */
	struct listener_tunnel tunnel_state;
	struct listener_idle idle;
	int64_t		 started_at;	/* unix ms */
	int		 stopping;
	char		*stopped_for;	/* why it stopped itself, or NULL */
};

extern struct listener listener;

void	listener_shutdown(void);
char	*listener_stopped_line(void);

/* listener-idle.c */
void	listener_idle_start(void);

#endif
