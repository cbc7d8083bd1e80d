/*
 * Sessions: where a session's state lives, how fish reaches it without
 * trusting any path another user could have changed, and whether its
 * listener runs.
 *
 * $FISH_HOME (default ${XDG_STATE_HOME:-$HOME/.local/state}/fish) holds
 * sessions/NAME/, mode 0700, with:
 *	control.sock	the listener's control socket, mode 0600
 *	listener.pid	the listener's pid; the listener holds an exclusive
 *			flock(2) on it for its whole life, so a held lock means
 *			"alive" and a free lock means any pid in it is stale
 *	start.lock	held by whoever starts the listener, and by the listener
 *			itself until it is ready, so commands racing to start
 *			it make one and wait for it
 *	listener.log	the listener's stderr
 *	config.json	the listener's saved settings (listen address with
 *			its chosen port, public URL, TLS files, retention,
 *			limits), reused on every start
 *	journal/	the durable record of everything (see journal.h)
 *
 * Trust: $FISH_HOME, sessions/ and NAME/ are each opened, then checked
 * through the descriptor (a directory of ours that no other user can
 * write; NAME/ no symbolic link either), before anything in them is used,
 * and everything below is reached through the descriptor from then on.
 * The listener makes NAME/ its working directory (session_enter); the
 * client connects through /proc/self/fd/N/control.sock and checks that
 * the listener runs as its user before it sends a byte.  So nothing
 * another user does to a path after the check (a symbolic link swapped, a
 * directory renamed) can redirect what fish opens, binds or connects to,
 * and a socket path has no length limit to work around.
 */
#ifndef SESSION_H
#define SESSION_H

#include <sys/types.h>

#include <stdint.h>

/* The files of a session directory, by name. */
#define SESSION_SOCKET	"control.sock"
#define SESSION_PID	"listener.pid"
#define SESSION_LOCK	"start.lock"
#define SESSION_LOG	"listener.log"
#define SESSION_CONFIG	"config.json"
#define SESSION_JOURNAL	"journal"
/* A Redis store's local journal, its cache (doc/store-redis.md). */
#define SESSION_STORE_CACHE	"redis-cache"

/*
 * The paths name the files for messages and, in the listener after
 * session_enter, relative to its working directory.
 */
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
	int	 dir_fd;	/* the checked NAME/, or -1 */
	int	 parent_fd;	/* the checked sessions/, or -1 */
	int64_t	 busy_until;	/* a full queue: retry till (mono ms); 0 */
};

/* The longest session name, and what a name is, for messages. */
#define SESSION_NAME_MAX	64
#define SESSION_NAME_RULE	"1 to 64 letters, digits, '.', '_' and '-', " \
	"not starting with '.' or '-'"

int	 session_name_valid(const char *);
const char *session_default_name(void);
int	 session_init(struct session *, const char *, char **);
int	 session_open(struct session *, int, char **);
int	 session_prepare(struct session *, char **);
int	 session_enter(struct session *, char **);
int	 session_connect(struct session *, char **);
int	 session_purge(struct session *, char **);
void	 session_release(struct session *);
pid_t	 session_listener_pid(const struct session *);
int	 session_open_sessions(char **);

/* session-list.c */
struct json_object;
int	 session_list(char ***, size_t *, char **);
void	 session_list_free(char **, size_t);
struct json_object *session_read_config(const struct session *);
int64_t	 session_changed_at(const struct session *);

#endif
