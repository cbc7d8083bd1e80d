/*
 * Tunnel specs (fish start --tunnel): which client to run beside the
 * listener, its command line for the listener's local address, and how to
 * find the public URL it announces in a line of its output.  Pure: the
 * listener runs and supervises the client (listener/listener-tunnel.c).
 */
#ifndef TUNNEL_H
#define TUNNEL_H

#include <regex.h>

enum tunnel_kind {
	TUNNEL_CLOUDFLARED,
	TUNNEL_NGROK,
	TUNNEL_SSH,
	TUNNEL_CMD,
};

/* A spec, read. */
struct tunnel_spec {
	enum tunnel_kind kind;
	char		*destination;	/* ssh: [user@]host */
	char		*host;		/* ssh: host, for the URL */
	char		*port;		/* ssh: the server's port, or NULL */
	char		*command;	/* cmd: as given, with {port} */
};

/* A spec, ready to read a client's output. */
struct tunnel_matcher {
	const struct tunnel_spec *spec;
	regex_t		 regex;
	int		 groups;	/* the URL is group 1 */
	int		 own;		/* --tunnel-url-pattern, not the preset's */
};

int	 tunnel_parse(const char *, struct tunnel_spec *, char **);
void	 tunnel_release(struct tunnel_spec *);
int	 tunnel_pattern_valid(const char *, char **);
const char *tunnel_program(const struct tunnel_spec *);
const char *tunnel_install_hint(const struct tunnel_spec *);
char	**tunnel_argv(const struct tunnel_spec *, const char *, int);
void	 tunnel_argv_free(char **);
int	 tunnel_matcher_init(struct tunnel_matcher *,
	    const struct tunnel_spec *, const char *, char **);
void	 tunnel_matcher_release(struct tunnel_matcher *);
char	*tunnel_match(const struct tunnel_matcher *, const char *);

#endif
