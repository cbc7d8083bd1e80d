/*
 * Unit tests for sessions: valid names, where the paths go (FISH_HOME, the
 * XDG_STATE_HOME and HOME fallbacks), creating and checking the private
 * directory, reaching the socket only through it and only when its
 * listener is ours (some cases need root, to play another user), and
 * telling whether a listener holds the pid file's lock.
 */
#include "config.h"

#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "session.h"
#include "tap.h"
#include "xmalloc.h"

/* Longest socket path that fits in sockaddr_un. */
#define SOCKET_PATH_MAX 107

/* Another user, played when the tests run as root. */
#define OTHER_UID	4242

static char	*tmpdir;

/* Clear every variable session paths depend on. */
static void
clear_env(void)
{
	unsetenv("FISH_HOME");
	unsetenv("FISH_SESSION");
	unsetenv("XDG_STATE_HOME");
	unsetenv("XDG_RUNTIME_DIR");
}

/* Tell whether s starts with prefix. */
static int
starts_with(const char *s, const char *prefix)
{
	return (s != NULL && strncmp(s, prefix, strlen(prefix)) == 0);
}

/* Tell whether s ends with suffix. */
static int
ends_with(const char *s, const char *suffix)
{
	size_t	len, slen = strlen(suffix);

	if (s == NULL || (len = strlen(s)) < slen)
		return (0);
	return (strcmp(s + len - slen, suffix) == 0);
}

/* Return the permission bits of path, or -1. */
static int
mode_of(const char *path)
{
	struct stat	sb;

	if (stat(path, &sb) == -1)
		return (-1);
	return ((int)(sb.st_mode & 07777));
}

/* Write text as the whole contents of path. */
static int
write_file(const char *path, const char *text)
{
	int	fd;
	ssize_t	n;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) == -1)
		return (-1);
	n = write(fd, text, strlen(text));
	close(fd);
	return (n == (ssize_t)strlen(text) ? 0 : -1);
}

/* Remove one file or directory for nftw. */
static int
remove_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return (remove(path));
}

/* Test session_name_valid and session_default_name. */
static void
test_names(void)
{
	static const char	*good[] = {
		"default", "a", "Z", "0", "ci-run_1.2", "a..b", "a-", "a.",
		("01234567890123456789012345678901"
		    "23456789012345678901234567890123")
	};
	static const char	*bad[] = {
		"", ".", "..", ".hidden", "-x", "a/b", "/a", "a b", "a\tb",
		"a\n", "a:b", "a*", "caf\xc3\xa9", "a\\b",
		("01234567890123456789012345678901"
		    "234567890123456789012345678901234")
	};
	size_t			 i;

	for (i = 0; i < sizeof good / sizeof good[0]; i++)
		ok(session_name_valid(good[i]), "'%s' is a valid name",
		    good[i]);
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		ok(!session_name_valid(bad[i]), "bad name %zu is invalid", i);

	clear_env();
	is_str(session_default_name(), "default",
	    "the default session is \"default\"");
	setenv("FISH_SESSION", "", 1);
	is_str(session_default_name(), "default",
	    "an empty FISH_SESSION means \"default\"");
	setenv("FISH_SESSION", "work", 1);
	is_str(session_default_name(), "work",
	    "FISH_SESSION names the session");
	unsetenv("FISH_SESSION");
}

/* Test the paths session_init fills in. */
static void
test_paths(void)
{
	struct session	 s;
	char		*home, *want, *cause = NULL, cwd[PATH_MAX];

	clear_env();
	xasprintf(&home, "%s/home", tmpdir);
	setenv("FISH_HOME", home, 1);
	setenv("XDG_STATE_HOME", "/ignored", 1);
	ok(session_init(&s, "ci", &cause) == 0, "session_init succeeds");
	is_str(s.name, "ci", "the name is kept");
	is_str(s.home, home, "FISH_HOME is the home");
	xasprintf(&want, "%s/sessions/ci", home);
	is_str(s.dir, want, "the directory is FISH_HOME/sessions/NAME");
	free(want);
	xasprintf(&want, "%s/sessions/ci/control.sock", home);
	is_str(s.socket_path, want, "the socket is in the session directory");
	free(want);
	xasprintf(&want, "%s/sessions/ci/listener.pid", home);
	is_str(s.pid_path, want, "the pid file is listener.pid");
	free(want);
	xasprintf(&want, "%s/sessions/ci/start.lock", home);
	is_str(s.lock_path, want, "the start lock is start.lock");
	free(want);
	xasprintf(&want, "%s/sessions/ci/listener.log", home);
	is_str(s.log_path, want, "the log is listener.log");
	free(want);
	xasprintf(&want, "%s/sessions/ci/config.json", home);
	is_str(s.config_path, want, "the settings are config.json");
	free(want);
	xasprintf(&want, "%s/sessions/ci/journal", home);
	is_str(s.journal_path, want, "the journal is journal");
	free(want);
	session_release(&s);
	ok(s.name == NULL && s.dir == NULL && s.socket_path == NULL,
	    "release clears the paths");
	free(home);

	ok(session_init(&s, "../etc", &cause) == -1 && cause != NULL &&
	    strstr(cause, "'../etc'") != NULL,
	    "an invalid name is refused with a cause naming it");
	free(cause);
	cause = NULL;

	/* A relative FISH_HOME is made absolute. */
	if (getcwd(cwd, sizeof cwd) != NULL) {
		setenv("FISH_HOME", "rel/fh", 1);
		xasprintf(&want, "%s/rel/fh", cwd);
		ok(session_init(&s, "x", &cause) == 0,
		    "a relative FISH_HOME is accepted");
		is_str(s.home, want, "a relative FISH_HOME is made absolute");
		session_release(&s);
		free(want);
	}

	/* XDG_STATE_HOME, then HOME. */
	clear_env();
	setenv("XDG_STATE_HOME", "/xdg/state", 1);
	setenv("HOME", "/home/nobody", 1);
	ok(session_init(&s, "x", &cause) == 0 &&
	    s.home != NULL && strcmp(s.home, "/xdg/state/fish") == 0,
	    "without FISH_HOME the home is $XDG_STATE_HOME/fish");
	is_str(s.socket_path, "/xdg/state/fish/sessions/x/control.sock",
	    "the socket follows XDG_STATE_HOME");
	session_release(&s);
	setenv("FISH_HOME", "", 1);
	ok(session_init(&s, "x", &cause) == 0 &&
	    s.home != NULL && strcmp(s.home, "/xdg/state/fish") == 0,
	    "an empty FISH_HOME is ignored");
	session_release(&s);
	setenv("XDG_STATE_HOME", "relative/state", 1);
	ok(session_init(&s, "x", &cause) == 0 && s.home != NULL &&
	    strcmp(s.home, "/home/nobody/.local/state/fish") == 0,
	    "a relative XDG_STATE_HOME is ignored for $HOME/.local/state");
	session_release(&s);
	unsetenv("XDG_STATE_HOME");
	ok(session_init(&s, "x", &cause) == 0 && s.home != NULL &&
	    strcmp(s.home, "/home/nobody/.local/state/fish") == 0,
	    "without either the home is $HOME/.local/state/fish");
	session_release(&s);
}

/* Listen on a Unix socket at path, relative to the directory at. */
static int
listen_at(int at, const char *path)
{
	struct sockaddr_un	sun;
	int			fd;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	(void)snprintf(sun.sun_path, sizeof sun.sun_path, "/proc/self/fd/%d/%s",
	    at, path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return (-1);
	if (bind(fd, (struct sockaddr *)&sun, sizeof sun) == -1 ||
	    listen(fd, 8) == -1) {
		close(fd);
		return (-1);
	}
	return (fd);
}

/* Tell whether a connection waits to be accepted on listening socket fd. */
static int
has_pending(int fd)
{
	struct stat	sb;
	int		c;

	if (fcntl(fd, F_SETFL, O_NONBLOCK) == -1 ||
	    (c = accept(fd, NULL, NULL)) == -1)
		return (0);
	close(c);
	return (fstat(fd, &sb) == 0);
}

/* Test that the socket stays in the session directory, however long. */
static void
test_long_paths(void)
{
	struct session	 s;
	char		*home, *cause = NULL;
	int		 lfd, fd;

	clear_env();
	setenv("XDG_RUNTIME_DIR", "/run/ignored", 1);
	xasprintf(&home, "%s/%0*d", tmpdir, 150, 0);
	setenv("FISH_HOME", home, 1);
	ok(session_init(&s, "a", &cause) == 0, "init with a 200-byte home");
	ok(strlen(s.socket_path) > SOCKET_PATH_MAX &&
	    ends_with(s.socket_path, "/sessions/a/control.sock") &&
	    starts_with(s.socket_path, home),
	    "the socket stays in the session directory, past 107 bytes");
	ok(session_prepare(&s, &cause) == 0, "prepare a long session");
	is_int(mode_of(s.dir), 0700, "the long session directory is 0700");
	lfd = listen_at(s.dir_fd, SESSION_SOCKET);
	ok(lfd != -1, "listen in the long session directory");
	fd = session_connect(&s, &cause);
	ok(fd != -1 && cause == NULL,
	    "connect to a socket whose path passes 107 bytes");
	ok(has_pending(lfd), "the connection reached that listener");
	if (fd != -1)
		close(fd);
	if (lfd != -1)
		close(lfd);
	session_release(&s);
	unsetenv("XDG_RUNTIME_DIR");
	free(home);
}

/* Test session_connect: when it connects, refuses, or finds nobody. */
static void
test_connect(void)
{
	struct session	 s, impostor;
	char		*home, *moved, *cause = NULL;
	int		 lfd, fd, other;

	clear_env();
	xasprintf(&home, "%s/conn/home", tmpdir);
	setenv("FISH_HOME", home, 1);
	session_init(&s, "c", &cause);
	errno = 0;
	ok(session_connect(&s, &cause) == -1 && cause == NULL &&
	    errno == ENOENT, "no directory: nobody answers (ENOENT)");
	is_int(mode_of(home), -1, "and connecting creates nothing");
	ok(session_prepare(&s, &cause) == 0, "prepare the session");
	errno = 0;
	ok(session_connect(&s, &cause) == -1 && cause == NULL &&
	    errno == ENOENT, "no socket: nobody answers (ENOENT)");
	write_file(s.socket_path, "x");
	errno = 0;
	ok(session_connect(&s, &cause) == -1 && cause == NULL &&
	    errno == ECONNREFUSED,
	    "a file in the socket's place is left over (ECONNREFUSED)");
	unlink(s.socket_path);
	lfd = listen_at(s.dir_fd, SESSION_SOCKET);
	ok((fd = session_connect(&s, &cause)) != -1 && cause == NULL,
	    "a listener of ours is connected to");
	if (fd != -1)
		close(fd);
	has_pending(lfd);

	/*
	 * Swap FISH_HOME for another whose session has a listener: the open
	 * session still reaches its own, through its descriptor.
	 */
	xasprintf(&moved, "%s/conn/moved", tmpdir);
	ok(rename(home, moved) == 0, "move FISH_HOME away");
	session_init(&impostor, "c", &cause);
	ok(session_prepare(&impostor, &cause) == 0,
	    "make another FISH_HOME in its place");
	other = listen_at(impostor.dir_fd, SESSION_SOCKET);
	session_release(&impostor);
	ok(other != -1, "a listener in the new FISH_HOME");
	ok((fd = session_connect(&s, &cause)) != -1,
	    "connect after the swap");
	ok(has_pending(lfd) && !has_pending(other),
	    "the connection reached the checked directory's listener");
	if (fd != -1)
		close(fd);
	if (other != -1)
		close(other);
	if (lfd != -1)
		close(lfd);
	session_release(&s);

	/* A session directory others can write is refused. */
	session_init(&s, "c", &cause);
	chmod(s.dir, 0777);
	ok(session_connect(&s, &cause) == -1 && cause != NULL &&
	    strstr(cause, "writable by other users") != NULL,
	    "a session directory of mode 0777 is refused");
	is_int(mode_of(s.dir), 0777, "and left as it was");
	free(cause);
	cause = NULL;
	chmod(s.dir, 0700);
	session_release(&s);
	free(moved);
	free(home);
}

/* Listen at path as OTHER_UID, in a child; return its pid (root only). */
static pid_t
listen_as_other(int at, const char *path, int ready[2])
{
	pid_t	pid;
	int	fd;
	char	c = 'x';

	if ((pid = fork()) != 0)
		return (pid);
	/* Bound as root, in our directory; listening as the other user. */
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	{
		struct sockaddr_un	sun;

		memset(&sun, 0, sizeof sun);
		sun.sun_family = AF_UNIX;
		(void)snprintf(sun.sun_path, sizeof sun.sun_path,
		    "/proc/self/fd/%d/%s", at, path);
		if (fd == -1 || bind(fd, (struct sockaddr *)&sun,
		    sizeof sun) == -1)
			_exit(1);
	}
	if (setresgid(OTHER_UID, OTHER_UID, OTHER_UID) == -1 ||
	    setresuid(OTHER_UID, OTHER_UID, OTHER_UID) == -1 ||
	    listen(fd, 8) == -1)
		_exit(1);
	if (write(ready[1], &c, 1) != 1)
		_exit(1);
	pause();
	_exit(0);
}

/* Test that what belongs to another user is refused (root only). */
static void
test_connect_other_user(void)
{
	struct session	 s;
	char		*home, *cause = NULL, c;
	int		 lfd, ready[2];
	pid_t		 pid;

	if (geteuid() != 0) {
		ok(1, "# SKIP another user's socket needs root");
		return;
	}
	clear_env();
	xasprintf(&home, "%s/other/home", tmpdir);
	setenv("FISH_HOME", home, 1);
	session_init(&s, "o", &cause);
	session_prepare(&s, &cause);

	lfd = listen_at(s.dir_fd, SESSION_SOCKET);
	ok(lfd != -1 && fchownat(s.dir_fd, SESSION_SOCKET, OTHER_UID,
	    OTHER_UID, AT_SYMLINK_NOFOLLOW) == 0,
	    "a socket file that belongs to another user");
	ok(session_connect(&s, &cause) == -1 && cause != NULL &&
	    strstr(cause, "belongs to another user (uid 4242)") != NULL &&
	    strstr(cause, "sent it nothing") != NULL,
	    "is refused, saying whose it is");
	ok(!has_pending(lfd), "and never connected to");
	free(cause);
	cause = NULL;
	close(lfd);
	unlinkat(s.dir_fd, SESSION_SOCKET, 0);

	if (pipe(ready) == -1 ||
	    (pid = listen_as_other(s.dir_fd, SESSION_SOCKET, ready)) == -1) {
		ok(0, "fork a listener of another user");
		goto out;
	}
	close(ready[1]);
	ok(read(ready[0], &c, 1) == 1,
	    "a socket of ours on which another user listens");
	close(ready[0]);
	ok(session_connect(&s, &cause) == -1 && cause != NULL &&
	    strstr(cause, "runs as another user (uid 4242") != NULL,
	    "is refused by its peer credentials");
	free(cause);
	cause = NULL;
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);

	ok(chown(s.dir, OTHER_UID, OTHER_UID) == 0, "a session directory "
	    "of another user");
	session_release(&s);
	session_init(&s, "o", &cause);
	ok(session_connect(&s, &cause) == -1 && cause != NULL &&
	    strstr(cause, "belongs to another user") != NULL,
	    "is refused before anything in it is used");
	free(cause);
	cause = NULL;
	ok(session_prepare(&s, &cause) == -1 && cause != NULL,
	    "and a start refuses it too");
	free(cause);
	cause = NULL;
	/* Ours again, as the test found it. */
	if (chown(s.dir, 0, 0) == -1)
		diag("cannot give %s back: %s", s.dir, strerror(errno));
out:
	session_release(&s);
	free(home);
}

/* Test session_enter: the listener's files, relative to its directory. */
static void
test_enter(void)
{
	struct session	 s;
	struct stat	 a, b;
	char		*home, *cause = NULL;

	clear_env();
	xasprintf(&home, "%s/enter/home", tmpdir);
	setenv("FISH_HOME", home, 1);
	session_init(&s, "e", &cause);
	ok(session_enter(&s, &cause) == -1 && cause != NULL,
	    "a session not opened cannot be entered");
	free(cause);
	cause = NULL;
	ok(session_prepare(&s, &cause) == 0 && session_enter(&s, &cause) == 0,
	    "enter a prepared session");
	ok(stat(".", &a) == 0 && fstat(s.dir_fd, &b) == 0 &&
	    a.st_ino == b.st_ino && a.st_dev == b.st_dev,
	    "the working directory is the session directory");
	is_str(s.dir, ".", "the directory is then '.'");
	is_str(s.socket_path, "control.sock", "the socket is relative");
	is_str(s.journal_path, "journal", "the journal is relative");
	is_str(s.pid_path, "listener.pid", "the pid file is relative");
	if (chdir(tmpdir) == -1)
		ok(0, "chdir back: %s", strerror(errno));
	session_release(&s);
	free(home);
}

/* Test session_purge: all of it goes, through the descriptors. */
static void
test_purge(void)
{
	struct session	 s;
	char		*home, *path, *cause = NULL;

	clear_env();
	xasprintf(&home, "%s/purge/home", tmpdir);
	setenv("FISH_HOME", home, 1);
	session_init(&s, "p", &cause);
	ok(session_purge(&s, &cause) == -1 && cause != NULL,
	    "a session not opened cannot be purged");
	free(cause);
	cause = NULL;
	session_prepare(&s, &cause);
	xasprintf(&path, "%s/journal/deeper", s.dir);
	mkdir(s.journal_path, 0700);
	mkdir(path, 0700);
	free(path);
	xasprintf(&path, "%s/journal/deeper/f", s.dir);
	write_file(path, "x");
	free(path);
	write_file(s.config_path, "{}");
	xasprintf(&path, "%s/outside", tmpdir);
	write_file(path, "keep");
	if (symlink(path, s.log_path) == -1)
		ok(0, "symlink: %s", strerror(errno));
	ok(session_purge(&s, &cause) == 0, "purge a session");
	is_int(mode_of(s.dir), -1, "its directory is gone");
	ok(mode_of(path) != -1, "a link in it is removed, not followed");
	free(path);
	session_release(&s);
	free(home);
}

/* Test session_prepare on a normal session. */
static void
test_prepare(void)
{
	struct session	 s;
	char		*home, *file, *cause = NULL;

	clear_env();
	xasprintf(&home, "%s/prep/deeper/home", tmpdir);
	setenv("FISH_HOME", home, 1);
	ok(session_init(&s, "p", &cause) == 0, "init a session to prepare");
	is_int(mode_of(s.dir), -1, "init creates nothing");
	ok(session_prepare(&s, &cause) == 0,
	    "prepare creates the directory and its parents");
	is_int(mode_of(s.dir), 0700, "the session directory is 0700");
	is_int(mode_of(home), 0700, "missing parents are made 0700");
	ok(session_prepare(&s, &cause) == 0, "prepare twice is harmless");
	session_release(&s);
	session_init(&s, "p", &cause);
	ok(chmod(s.dir, 0755) == 0 && session_prepare(&s, &cause) == 0,
	    "prepare an open directory");
	is_int(mode_of(s.dir), 0700, "prepare closes an open directory");
	session_release(&s);
	session_init(&s, "p", &cause);
	ok(chmod(s.dir, 0770) == 0 && session_prepare(&s, &cause) == -1 &&
	    cause != NULL && strstr(cause, "chmod 700") != NULL,
	    "prepare refuses a group-writable directory, saying how to fix it");
	is_int(mode_of(s.dir), 0770, "and leaves it as it was");
	free(cause);
	cause = NULL;
	ok(chmod(s.dir, 0700) == 0 && chmod(home, 0707) == 0 &&
	    session_prepare(&s, &cause) == -1 && cause != NULL &&
	    strstr(cause, "writable by other users") != NULL,
	    "prepare refuses a $FISH_HOME others can write");
	free(cause);
	cause = NULL;
	ok(chmod(home, 0700) == 0 && session_prepare(&s, &cause) == 0,
	    "prepare works again once it is private");
	session_release(&s);

	/* Something in the way. */
	xasprintf(&file, "%s/prep/file", tmpdir);
	write_file(file, "x");
	setenv("FISH_HOME", file, 1);
	ok(session_init(&s, "p", &cause) == 0 &&
	    session_prepare(&s, &cause) == -1 && cause != NULL &&
	    strstr(cause, "not a directory") != NULL,
	    "a file where a directory belongs fails with a cause");
	free(cause);
	cause = NULL;
	session_release(&s);
	setenv("FISH_HOME", home, 1);
	ok(session_init(&s, "f", &cause) == 0, "init a session to block");
	write_file(s.dir, "x");
	ok(session_prepare(&s, &cause) == -1 && cause != NULL &&
	    strstr(cause, "not a directory") != NULL,
	    "a file as the session directory fails with a cause");
	free(cause);
	cause = NULL;
	session_release(&s);
	free(file);

	/* Links: FISH_HOME may be one; the session directory may not. */
	xasprintf(&file, "%s/prep/link", tmpdir);
	ok(symlink(home, file) == 0, "a link to FISH_HOME");
	setenv("FISH_HOME", file, 1);
	ok(session_init(&s, "p", &cause) == 0 &&
	    session_prepare(&s, &cause) == 0, "FISH_HOME may be a link");
	session_release(&s);
	free(file);
	setenv("FISH_HOME", home, 1);
	session_init(&s, "l", &cause);
	xasprintf(&file, "%s/prep/elsewhere", tmpdir);
	mkdir(file, 0700);
	ok(symlink(file, s.dir) == 0 && session_prepare(&s, &cause) == -1 &&
	    cause != NULL && strstr(cause, "symbolic link") != NULL,
	    "a session directory that is a link is refused");
	free(cause);
	session_release(&s);
	free(file);
	free(home);
}

/* Test session_listener_pid against locks taken by this process. */
static void
test_listener_pid(void)
{
	struct session	 s;
	char		*home, *cause = NULL;
	int		 fd;

	clear_env();
	xasprintf(&home, "%s/pid", tmpdir);
	setenv("FISH_HOME", home, 1);
	if (session_init(&s, "l", &cause) == -1 ||
	    session_prepare(&s, &cause) == -1) {
		ok(0, "prepare a session: %s", cause);
		free(cause);
		free(home);
		return;
	}
	is_int(session_listener_pid(&s), 0, "no pid file means no listener");
	write_file(s.pid_path, "12345\n");
	is_int(session_listener_pid(&s), 0,
	    "an unlocked pid file means no listener");

	fd = open(s.pid_path, O_RDWR);
	ok(fd != -1 && flock(fd, LOCK_EX | LOCK_NB) == 0,
	    "take the listener's lock on another descriptor");
	is_int(session_listener_pid(&s), 12345,
	    "a locked pid file gives the listener's pid");
	is_int(session_listener_pid(&s), 12345,
	    "asking again does not disturb the lock");
	ok(ftruncate(fd, 0) == 0 && session_listener_pid(&s) == -1,
	    "a locked empty pid file means starting up");
	ok(pwrite(fd, "junk", 4, 0) == 4 && session_listener_pid(&s) == -1,
	    "a locked pid file without a pid means starting up");
	ok(pwrite(fd, "0\n", 2, 0) == 2 && ftruncate(fd, 2) == 0 &&
	    session_listener_pid(&s) == -1, "a pid of 0 is not a pid");
	ok(pwrite(fd, "777\n", 4, 0) == 4 && flock(fd, LOCK_UN) == 0 &&
	    session_listener_pid(&s) == 0, "a released lock means no listener");
	ok(flock(fd, LOCK_SH) == 0 && session_listener_pid(&s) == 0,
	    "a shared lock is not the listener's");
	close(fd);
	is_int(session_listener_pid(&s), 0,
	    "closing the descriptor releases the lock");
	session_release(&s);
	free(home);
}

/* Run every case and print the plan. */
int
main(void)
{
	char	template[] = "/tmp/fish-unit-session.XXXXXX";

	umask(022);
	if ((tmpdir = mkdtemp(template)) == NULL) {
		ok(0, "mkdtemp: %s", strerror(errno));
		return (done_testing());
	}
	if (chdir(tmpdir) == -1)
		ok(0, "chdir '%s': %s", tmpdir, strerror(errno));
	test_names();
	test_paths();
	test_long_paths();
	test_connect();
	test_connect_other_user();
	test_enter();
	test_purge();
	test_prepare();
	test_listener_pid();
	if (chdir("/") == -1 ||
	    nftw(tmpdir, remove_one, 16, FTW_DEPTH | FTW_PHYS) == -1)
		ok(0, "remove '%s': %s", tmpdir, strerror(errno));
	return (done_testing());
}
