/*
 * Sessions: where a session's state lives and whether its listener runs.
 *
 * $FISH_HOME (default ${XDG_STATE_HOME:-$HOME/.local/state}/fish) holds
 * sessions/NAME/, mode 0700 (no listener starts while $FISH_HOME, sessions/
 * or NAME/ is writable by others), with:
 *	control.sock	the listener's control socket (unless the path is too
 *			long for sockaddr_un; then a short runtime path is used)
 *	listener.pid	the listener's pid; the listener holds an exclusive
 *			flock(2) on it for its whole life, so a held lock means
 *			"alive" and a free lock means any pid in it is stale
 *	start.lock	taken by commands that auto-start the listener
 *	listener.log	the listener's stderr
 *	config.json	the listener's saved settings (listen address, chosen
 *			port, public URL), reused on every start
 *	journal/	the durable record of everything (see journal.h)
 */
#ifndef SESSION_H
#define SESSION_H

#include <sys/types.h>

struct session {
	char	*name;
	char	*home;
	char	*dir;
	char	*socket_path;
	char	*pid_path;
	char	*lock_path;
	char	*log_path;
	char	*config_path;
	char	*journal_path;
};

int	 session_name_valid(const char *);
const char *session_default_name(void);
int	 session_init(struct session *, const char *, char **);
int	 session_prepare(struct session *, char **);
void	 session_release(struct session *);
pid_t	 session_listener_pid(const struct session *);

#endif
