/*
 * Session paths and liveness (see session.h for the directory layout).
 */
#include "config.h"

#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "session.h"
#include "xmalloc.h"

#define SESSION_NAME_MAX 64

/* Tell whether a session name is safe as a directory name. */
int
session_name_valid(const char *name)
{
	size_t	i, len = strlen(name);

	if (len == 0 || len > SESSION_NAME_MAX || name[0] == '.' ||
	    name[0] == '-')
		return (0);
	for (i = 0; i < len; i++) {
		if (strchr("abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-", name[i]) == NULL)
			return (0);
	}
	return (1);
}

/* Return $FISH_SESSION, else "default". */
const char *
session_default_name(void)
{
	const char	*s = getenv("FISH_SESSION");

	return (s != NULL && *s != '\0' ? s : "default");
}

/* Return the absolute form of path; caller frees. */
static char *
session_absolute(const char *path)
{
	char	 cwd[PATH_MAX];
	char	*s;

	if (*path == '/' || getcwd(cwd, sizeof cwd) == NULL)
		return (xstrdup(path));
	xasprintf(&s, "%s/%s", cwd, path);
	return (s);
}

/* Work out $FISH_HOME; caller frees. */
static char *
session_home(char **cause)
{
	const char	*s, *home;
	struct passwd	*pw;
	char		*path;

	if ((s = getenv("FISH_HOME")) != NULL && *s != '\0')
		return (session_absolute(s));
	if ((s = getenv("XDG_STATE_HOME")) != NULL && *s == '/') {
		xasprintf(&path, "%s/fish", s);
		return (path);
	}
	if ((home = getenv("HOME")) == NULL || *home == '\0') {
		if ((pw = getpwuid(getuid())) == NULL) {
			*cause = xstrdup("cannot find the home directory "
			    "(set HOME or FISH_HOME)");
			return (NULL);
		}
		home = pw->pw_dir;
	}
	xasprintf(&path, "%s/.local/state/fish", home);
	return (path);
}

/* Hash a path (FNV-1a, 64 bits) to name its socket in the runtime dir. */
static uint64_t
session_hash(const char *s)
{
	uint64_t	h = 0xcbf29ce484222325ULL;

	while (*s != '\0') {
		h ^= (unsigned char)*s++;
		h *= 0x100000001b3ULL;
	}
	return (h);
}

/* Return the short runtime directory for sockets whose path is too long. */
static char *
session_runtime_dir(void)
{
	const char	*base = getenv("XDG_RUNTIME_DIR");
	char		*dir;

	if (base == NULL || *base != '/' || strlen(base) > 60)
		base = "/tmp";
	xasprintf(&dir, "%s/fish-%u", base, (unsigned)getuid());
	return (dir);
}

/*
 * Fill in the paths of session name.  Nothing is created; see
 * session_prepare.
 */
int
session_init(struct session *s, const char *name, char **cause)
{
	struct sockaddr_un	 sun;
	char			*runtime;

	memset(s, 0, sizeof *s);
	if (!session_name_valid(name)) {
		xasprintf(cause, "invalid session name '%s' (use letters, "
		    "digits, '.', '_' and '-')", name);
		return (-1);
	}
	if ((s->home = session_home(cause)) == NULL)
		return (-1);
	s->name = xstrdup(name);
	xasprintf(&s->dir, "%s/sessions/%s", s->home, name);
	xasprintf(&s->socket_path, "%s/control.sock", s->dir);
	if (strlen(s->socket_path) >= sizeof sun.sun_path) {
		free(s->socket_path);
		runtime = session_runtime_dir();
		xasprintf(&s->socket_path, "%s/%016llx.sock", runtime,
		    (unsigned long long)session_hash(s->dir));
		free(runtime);
	}
	xasprintf(&s->pid_path, "%s/listener.pid", s->dir);
	xasprintf(&s->lock_path, "%s/start.lock", s->dir);
	xasprintf(&s->log_path, "%s/listener.log", s->dir);
	xasprintf(&s->config_path, "%s/config.json", s->dir);
	xasprintf(&s->journal_path, "%s/journal", s->dir);
	return (0);
}

/* Create dir and its parents with mode 0700 where missing. */
static int
session_mkdirs(const char *dir, char **cause)
{
	char	*copy, *p, saved;
	int	 error = 0;

	copy = xstrdup(dir);
	for (p = copy + 1; error == 0; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		saved = *p;
		*p = '\0';
		if (mkdir(copy, 0700) == -1 && errno != EEXIST) {
			xasprintf(cause, "cannot create '%s': %s", copy,
			    strerror(errno));
			error = -1;
		}
		*p = saved;
		if (saved == '\0')
			break;
	}
	free(copy);
	return (error);
}

/*
 * Check that dir is a directory owned by us that nobody else can write
 * (like tmux, we refuse rather than fix: someone else may already have put
 * something there).  A directory that is wholly ours (the session's, the
 * runtime one) must not be a symbolic link and loses others' read access
 * too; $FISH_HOME and its sessions/ may be links.
 */
static int
session_check_private(const char *dir, int ours, char **cause)
{
	struct stat	sb;

	if ((ours ? lstat(dir, &sb) : stat(dir, &sb)) == -1) {
		xasprintf(cause, "cannot use '%s': %s", dir, strerror(errno));
		return (-1);
	}
	if (S_ISLNK(sb.st_mode)) {
		xasprintf(cause, "'%s' is a symbolic link; fish keeps a "
		    "session's state only in a directory of its own", dir);
		return (-1);
	}
	if (!S_ISDIR(sb.st_mode) || sb.st_uid != getuid()) {
		xasprintf(cause, "'%s' is not a directory owned by you", dir);
		return (-1);
	}
	if ((sb.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
		xasprintf(cause, "'%s' is writable by other users; make it "
		    "private with 'chmod 700 %s'", dir, dir);
		return (-1);
	}
	if (ours && (sb.st_mode & 077) != 0 && chmod(dir, 0700) == -1) {
		xasprintf(cause, "cannot make '%s' private: %s", dir,
		    strerror(errno));
		return (-1);
	}
	return (0);
}

/*
 * Create the session directory (and the runtime directory) if needed, and
 * check, at every start, that nobody else can write to it or to the
 * directories above it that are ours ($FISH_HOME and its sessions/).
 */
int
session_prepare(struct session *s, char **cause)
{
	char	*runtime, *sessions;
	int	 error;

	if (session_mkdirs(s->dir, cause) == -1)
		return (-1);
	xasprintf(&sessions, "%s/sessions", s->home);
	error = session_check_private(s->home, 0, cause);
	if (error == 0)
		error = session_check_private(sessions, 0, cause);
	free(sessions);
	if (error == -1 || session_check_private(s->dir, 1, cause) == -1)
		return (-1);
	if (strncmp(s->socket_path, s->dir, strlen(s->dir)) == 0)
		return (0);
	runtime = session_runtime_dir();
	error = session_mkdirs(runtime, cause);
	if (error == 0)
		error = session_check_private(runtime, 1, cause);
	free(runtime);
	return (error);
}

/* Free a session's paths. */
void
session_release(struct session *s)
{
	free(s->name);
	free(s->home);
	free(s->dir);
	free(s->socket_path);
	free(s->pid_path);
	free(s->lock_path);
	free(s->log_path);
	free(s->config_path);
	free(s->journal_path);
	memset(s, 0, sizeof *s);
}

/*
 * Return the pid of the session's running listener, 0 when none runs, or -1
 * when one runs but has not written its pid yet.  A listener holds an
 * exclusive lock on its pid file while it lives, so the lock, not the pid
 * (which may have been reused), decides.
 */
pid_t
session_listener_pid(const struct session *s)
{
	char	buf[32];
	ssize_t	n;
	long	pid;
	int	fd;

	if ((fd = open(s->pid_path, O_RDONLY | O_CLOEXEC)) == -1)
		return (0);
	if (flock(fd, LOCK_SH | LOCK_NB) == 0) {
		close(fd);
		return (0);
	}
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return (-1);
	buf[n] = '\0';
	pid = strtol(buf, NULL, 10);
	return (pid > 0 ? (pid_t)pid : -1);
}
