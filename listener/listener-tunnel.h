/*
 * The tunnel client that fish start --tunnel runs beside the listener: its
 * process, its output, the public URL it announces, its restarts.
 */
#ifndef LISTENER_TUNNEL_H
#define LISTENER_TUNNEL_H

#include <stdint.h>

/* How long the client has to announce its URL, unless --tunnel-timeout. */
#define TUNNEL_TIMEOUT_MS	30000

struct loop;
struct tunnel_run;

/* What the tunnel is given at start. */
struct tunnel_config {
	struct loop	*loop;
	const char	*spec;		/* --tunnel */
	const char	*pattern;	/* --tunnel-url-pattern, or NULL */
	uint64_t	 timeout_ms;	/* for the URL, after each start */
	const char	*address;	/* where the client reaches us */
	int		 tls;		/* over HTTPS */
	int		 url_given;	/* --public-url: any match will do */
};

struct tunnel_run *tunnel_run_start(const struct tunnel_config *, char **);
int		 tunnel_run_wait(struct tunnel_run *, char **);
void		 tunnel_run_stop(struct tunnel_run *);

#endif
