/*
 * Session paths, the checked session directory, and liveness (see
 * session.h for the layout and for why everything goes through the
 * directory's descriptor).
 */
#include "compat.h"
#include "config.h"

#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "session.h"
#include "xmalloc.h"

/* How long a connect waits for room in a listener's full queue. */
#define SESSION_BUSY_MS		3000
#define SESSION_BUSY_RETRY_MS	10

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

/* Return dir/name, or name alone when dir is NULL; caller frees. */
static char *
session_path(const char *dir, const char *name)
{
	char	*path;

	if (dir == NULL)
		return (xstrdup(name));
	xasprintf(&path, "%s/%s", dir, name);
	return (path);
}

/* Free the paths of the session's files. */
static void
session_free_paths(struct session *s)
{
	free(s->socket_path);
	free(s->pid_path);
	free(s->lock_path);
	free(s->log_path);
	free(s->config_path);
	free(s->journal_path);
}

/* Fill in the paths of the session's files, under dir (NULL: relative). */
static void
session_set_paths(struct session *s, const char *dir)
{
	session_free_paths(s);
	s->socket_path = session_path(dir, SESSION_SOCKET);
	s->pid_path = session_path(dir, SESSION_PID);
	s->lock_path = session_path(dir, SESSION_LOCK);
	s->log_path = session_path(dir, SESSION_LOG);
	s->config_path = session_path(dir, SESSION_CONFIG);
	s->journal_path = session_path(dir, SESSION_JOURNAL);
}

/*
 * Fill in the paths of session name.  Nothing is opened or created; see
 * session_open.
 */
int
session_init(struct session *s, const char *name, char **cause)
{
	memset(s, 0, sizeof *s);
	s->dir_fd = s->parent_fd = -1;
	if (!session_name_valid(name)) {
		xasprintf(cause, "invalid session name '%s' (use "
		    SESSION_NAME_RULE ")", name);
		return (-1);
	}
	if ((s->home = session_home(cause)) == NULL)
		return (-1);
	s->name = xstrdup(name);
	xasprintf(&s->dir, "%s/sessions/%s", s->home, name);
	session_set_paths(s, s->dir);
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

/* Flags of session_open_dir. */
#define SESSION_CREATE	0x1	/* make it (0700) when missing */
#define SESSION_PRIVATE	0x2	/* wholly ours: no link, no access for others */

/*
 * Open directory name under at (path names it in messages), creating it
 * first with SESSION_CREATE, and check what was opened: a directory owned
 * by us that nobody else can write.  Like tmux, refuse rather than fix:
 * someone else may already have put something there; but a SESSION_PRIVATE
 * directory (the session's own) must not be a symbolic link and silently
 * loses others' read access.  $FISH_HOME and its sessions/ may be links:
 * what counts is the directory they lead to.  Return the descriptor, or -1
 * with *cause and errno (ENOENT when it does not exist).
 */
static int
session_open_dir(int at, const char *name, const char *path, int flags,
    char **cause)
{
	struct stat	sb;
	int		fd, saved;

	if ((flags & SESSION_CREATE) && mkdirat(at, name, 0700) == -1 &&
	    errno != EEXIST) {
		saved = errno;
		xasprintf(cause, "cannot create '%s': %s", path,
		    strerror(saved));
		errno = saved;
		return (-1);
	}
	if (flags & SESSION_PRIVATE)
		fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		    O_CLOEXEC);
	else
		fd = openat(at, name, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd == -1 || fstat(fd, &sb) == -1) {
		saved = errno;
		/* O_NOFOLLOW|O_DIRECTORY on a link fails ELOOP or ENOTDIR. */
		if ((saved == ELOOP || saved == ENOTDIR) &&
		    (flags & SESSION_PRIVATE) &&
		    fstatat(at, name, &sb, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISLNK(sb.st_mode))
			saved = ELOOP;
		if (saved == ELOOP && (flags & SESSION_PRIVATE))
			xasprintf(cause, "'%s' is a symbolic link; " FISH_NAME
			    " keeps a session's state only in a directory of "
			    "its own", path);
		else if (saved == ENOTDIR)
			xasprintf(cause, "'%s' is not a directory; move it "
			    "away or set FISH_HOME elsewhere", path);
		else
			xasprintf(cause, "cannot use '%s': %s", path,
			    strerror(saved));
		if (fd != -1)
			close(fd);
		errno = saved;
		return (-1);
	}
	if (sb.st_uid != geteuid()) {
		xasprintf(cause, "'%s' belongs to another user (uid %lu), not "
		    "to you; " FISH_NAME " will not use it: set FISH_HOME "
		    "elsewhere", path, (unsigned long)sb.st_uid);
		goto fail;
	}
	if ((sb.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
		xasprintf(cause, "'%s' is writable by other users; make it "
		    "private with 'chmod 700 %s'", path, path);
		goto fail;
	}
	if ((flags & SESSION_PRIVATE) && (sb.st_mode & 077) != 0 &&
	    fchmod(fd, 0700) == -1) {
		xasprintf(cause, "cannot make '%s' private: %s", path,
		    strerror(errno));
		goto fail;
	}
	return (fd);

fail:
	close(fd);
	errno = EPERM;
	return (-1);
}

/*
 * Open the session directory, checking $FISH_HOME, then its sessions/,
 * then the session's own directory, each before anything in it is used;
 * with create, make whatever is missing.  Return 0 (s->dir_fd is open), or
 * -1 with *cause and errno (ENOENT: something does not exist yet).
 */
int
session_open(struct session *s, int create, char **cause)
{
	char	*sessions;
	int	 home_fd = -1, parent_fd = -1, dir_fd = -1, flags, saved;

	if (s->dir_fd != -1)
		return (0);
	flags = create ? SESSION_CREATE : 0;
	if (create && session_mkdirs(s->home, cause) == -1)
		return (-1);
	xasprintf(&sessions, "%s/sessions", s->home);
	if ((home_fd = session_open_dir(AT_FDCWD, s->home, s->home, 0,
	    cause)) != -1 &&
	    (parent_fd = session_open_dir(home_fd, "sessions", sessions, flags,
	    cause)) != -1)
		dir_fd = session_open_dir(parent_fd, s->name, s->dir,
		    flags | SESSION_PRIVATE, cause);
	saved = errno;
	free(sessions);
	if (home_fd != -1)
		close(home_fd);
	if (dir_fd == -1) {
		if (parent_fd != -1)
			close(parent_fd);
		errno = saved;
		return (-1);
	}
	s->parent_fd = parent_fd;
	s->dir_fd = dir_fd;
	return (0);
}

/*
 * Open $FISH_HOME/sessions/ (O_PATH), checked as session_open checks it,
 * creating nothing.  Return the descriptor, or -1 with *cause and errno
 * (ENOENT: there is none yet).
 */
int
session_open_sessions(char **cause)
{
	char	*home, *sessions;
	int	 home_fd, fd = -1, saved;

	if ((home = session_home(cause)) == NULL) {
		errno = EINVAL;
		return (-1);
	}
	xasprintf(&sessions, "%s/sessions", home);
	if ((home_fd = session_open_dir(AT_FDCWD, home, home, 0,
	    cause)) != -1) {
		fd = session_open_dir(home_fd, "sessions", sessions, 0, cause);
		saved = errno;
		close(home_fd);
		errno = saved;
	}
	saved = errno;
	free(sessions);
	free(home);
	errno = saved;
	return (fd);
}

/* Open the session directory, creating it if needed (see session_open). */
int
session_prepare(struct session *s, char **cause)
{
	return (session_open(s, 1, cause));
}

/*
 * Make the open session directory the working directory, and the
 * session's paths relative to it: the listener's way of reaching its
 * files, for its whole life, only through the directory it checked.
 */
int
session_enter(struct session *s, char **cause)
{
	if (s->dir_fd == -1 || fchdir(s->dir_fd) == -1) {
		xasprintf(cause, "cannot enter '%s': %s", s->dir,
		    strerror(s->dir_fd == -1 ? EBADF : errno));
		return (-1);
	}
	free(s->dir);
	s->dir = xstrdup(".");
	session_set_paths(s, NULL);
	return (0);
}

/*
 * Connect fd to the control socket through the session directory's
 * descriptor.  Without /proc, fall back on the path when it fits in a
 * socket address: the peer check in session_connect still stands.
 */
static int
session_connect_fd(const struct session *s, int fd)
{
	struct sockaddr_un	sun;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	(void)snprintf(sun.sun_path, sizeof sun.sun_path, "/proc/self/fd/%d/%s",
	    s->dir_fd, SESSION_SOCKET);
	if (connect(fd, (struct sockaddr *)&sun, sizeof sun) == 0)
		return (0);
	if (errno != ENOENT || access("/proc/self/fd", F_OK) == 0)
		return (-1);
	if (strlen(s->socket_path) >= sizeof sun.sun_path) {
		errno = ENAMETOOLONG;
		return (-1);
	}
	memcpy(sun.sun_path, s->socket_path, strlen(s->socket_path) + 1);
	return (connect(fd, (struct sockaddr *)&sun, sizeof sun));
}

/*
 * Connect non-blocking socket fd to the session's socket, then make it
 * blocking.  A listener whose queue of connections is full (it is
 * stopped, or stuck) leaves a blocking connect(2) hanging for ever: a
 * full queue is tried again every SESSION_BUSY_RETRY_MS for at most
 * SESSION_BUSY_MS (or until s->busy_until, when sooner), then *cause says
 * so (errno EAGAIN).  Return 0, or -1
 * with errno (and *cause when the listener is stuck).
 */
static int
session_connect_wait(const struct session *s, int fd, char **cause)
{
	struct timespec	 pause = { 0, SESSION_BUSY_RETRY_MS * 1000000L };
	int64_t		 until = clock_mono_ms() + SESSION_BUSY_MS;
	int		 flags;

	if (s->busy_until != 0 && s->busy_until < until)
		until = s->busy_until;
	while (session_connect_fd(s, fd) == -1) {
		if (errno != EAGAIN)
			return (-1);
		if (clock_mono_ms() >= until) {
			xasprintf(cause, "the listener on '%s' takes no "
			    "connections: its queue is full (is it stopped or "
			    "stuck? its log is '%s')", s->socket_path,
			    s->log_path);
			errno = EAGAIN;
			return (-1);
		}
		(void)nanosleep(&pause, NULL);
	}
	if ((flags = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) == -1)
		return (-1);
	return (0);
}

/*
 * Connect to the session's listener, having checked, before anything can
 * be sent, the directories on the way (session_open), the socket file (a
 * socket of ours) and the process listening on it (our user, by
 * SO_PEERCRED).  Return the connected socket; or -1 with *cause set when
 * something there must not be trusted (errno EPERM) or the listener's
 * queue of connections stays full (EAGAIN), or with *cause NULL and errno
 * when no listener answers (ENOENT: none ever ran or it stopped;
 * ECONNREFUSED: it died and left its socket, or something else is in its
 * place).
 */
int
session_connect(struct session *s, char **cause)
{
	struct stat	sb;
	struct ucred	cred;
	socklen_t	len = sizeof cred;
	int		fd, saved;

	*cause = NULL;
	if (session_open(s, 0, cause) == -1) {
		if ((saved = errno) == ENOENT) {
			free(*cause);
			*cause = NULL;
		}
		errno = saved;
		return (-1);
	}
	if (fstatat(s->dir_fd, SESSION_SOCKET, &sb, AT_SYMLINK_NOFOLLOW) == -1)
		return (-1);
	if (sb.st_uid != geteuid()) {
		xasprintf(cause, "'%s' belongs to another user (uid %lu), not "
		    "to you; " FISH_NAME " sent it nothing: remove it and run "
		    "the command again", s->socket_path,
		    (unsigned long)sb.st_uid);
		errno = EPERM;
		return (-1);
	}
	/* Anything but a socket of ours is left over; a start replaces it. */
	if (!S_ISSOCK(sb.st_mode)) {
		errno = ECONNREFUSED;
		return (-1);
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    0)) == -1) {
		xasprintf(cause, "cannot make a socket: %s", strerror(errno));
		return (-1);
	}
	if (session_connect_wait(s, fd, cause) == -1) {
		saved = errno;
		close(fd);
		errno = saved;
		return (-1);
	}
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1) {
		xasprintf(cause, "cannot tell who listens on '%s': %s",
		    s->socket_path, strerror(errno));
		close(fd);
		return (-1);
	}
	if (cred.uid != geteuid()) {
		xasprintf(cause, "the listener on '%s' runs as another user "
		    "(uid %lu, pid %ld), not as you; " FISH_NAME " sent it "
		    "nothing: remove that socket and run the command again",
		    s->socket_path, (unsigned long)cred.uid, (long)cred.pid);
		close(fd);
		errno = EPERM;
		return (-1);
	}
	return (fd);
}

/*
 * Remove everything in directory fd (path names it in messages), going
 * down subdirectories only through descriptors.  Return 0 or -1 with
 * *cause.
 */
static int
session_empty(int fd, const char *path, char **cause)
{
	struct dirent	*de;
	DIR		*d;
	char		*sub_path;
	int		 copy, sub, error = 0;

	if ((copy = dup(fd)) == -1 || (d = fdopendir(copy)) == NULL) {
		xasprintf(cause, "cannot read '%s': %s", path,
		    strerror(errno));
		if (copy != -1)
			close(copy);
		return (-1);
	}
	rewinddir(d);
	while (error == 0 && (de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (unlinkat(fd, de->d_name, 0) == 0 || errno == ENOENT)
			continue;
		xasprintf(&sub_path, "%s/%s", path, de->d_name);
		if (errno != EISDIR) {
			xasprintf(cause, "cannot remove '%s': %s", sub_path,
			    strerror(errno));
			error = -1;
		} else if ((sub = openat(fd, de->d_name, O_RDONLY |
		    O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) == -1) {
			xasprintf(cause, "cannot open '%s': %s", sub_path,
			    strerror(errno));
			error = -1;
		} else {
			error = session_empty(sub, sub_path, cause);
			close(sub);
			if (error == 0 && unlinkat(fd, de->d_name,
			    AT_REMOVEDIR) == -1) {
				xasprintf(cause, "cannot remove '%s': %s",
				    sub_path, strerror(errno));
				error = -1;
			}
		}
		free(sub_path);
	}
	closedir(d);
	return (error);
}

/*
 * Delete the open session directory and everything in it, reaching all of
 * it through the checked descriptors.  Return 0 or -1 with *cause.
 */
int
session_purge(struct session *s, char **cause)
{
	if (s->dir_fd == -1 || s->parent_fd == -1) {
		xasprintf(cause, "cannot remove '%s': %s", s->dir,
		    strerror(EBADF));
		return (-1);
	}
	if (session_empty(s->dir_fd, s->dir, cause) == -1)
		return (-1);
	if (unlinkat(s->parent_fd, s->name, AT_REMOVEDIR) == -1 &&
	    errno != ENOENT) {
		xasprintf(cause, "cannot remove '%s': %s", s->dir,
		    strerror(errno));
		return (-1);
	}
	return (0);
}

/* Close the session's directories and free its paths. */
void
session_release(struct session *s)
{
	if (s->dir_fd != -1)
		close(s->dir_fd);
	if (s->parent_fd != -1)
		close(s->parent_fd);
	free(s->name);
	free(s->home);
	free(s->dir);
	session_free_paths(s);
	memset(s, 0, sizeof *s);
	s->dir_fd = s->parent_fd = -1;
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

	if (s->dir_fd == -1 || (fd = openat(s->dir_fd, SESSION_PID,
	    O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1)
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
