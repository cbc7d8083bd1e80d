/*
 * Unit tests for sessions: valid names, where the paths go (FISH_HOME, the
 * XDG_STATE_HOME and HOME fallbacks, the runtime directory when the socket
 * path would be too long), creating the private directory, and telling
 * whether a listener holds the pid file's lock.
 */
#include "config.h"

#include <sys/file.h>
#include <sys/stat.h>

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

/* Test that a socket path too long for sockaddr_un moves to a runtime dir. */
static void
test_long_paths(void)
{
	struct session	 s, other;
	char		*home, *run, *prefix, *cause = NULL;
	size_t		 pad;

	clear_env();
	xasprintf(&run, "%s/run", tmpdir);
	setenv("XDG_RUNTIME_DIR", run, 1);

	/* FISH_HOME/sessions/a/control.sock is FISH_HOME plus 24 bytes. */
	pad = SOCKET_PATH_MAX - 24 - strlen(tmpdir) - 1;
	xasprintf(&home, "%s/%0*d", tmpdir, (int)pad, 0);
	setenv("FISH_HOME", home, 1);
	ok(session_init(&s, "a", &cause) == 0, "init with a 107-byte socket");
	is_int(strlen(s.socket_path), SOCKET_PATH_MAX,
	    "a socket path of exactly 107 bytes is used as is");
	ok(starts_with(s.socket_path, s.dir),
	    "a 107-byte socket stays in the session directory");
	session_release(&s);
	free(home);

	xasprintf(&home, "%s/%0*d", tmpdir, (int)pad + 1, 0);
	setenv("FISH_HOME", home, 1);
	ok(session_init(&s, "a", &cause) == 0, "init with a 108-byte socket");
	xasprintf(&prefix, "%s/fish-%u/", run, (unsigned)getuid());
	ok(starts_with(s.socket_path, prefix) &&
	    ends_with(s.socket_path, ".sock") &&
	    strlen(s.socket_path) == strlen(prefix) + 16 + 5,
	    "a 108-byte socket moves to $XDG_RUNTIME_DIR/fish-UID/HASH.sock");
	ok(strlen(s.socket_path) <= SOCKET_PATH_MAX,
	    "the moved socket path fits");
	ok(starts_with(s.pid_path, s.dir),
	    "the other files stay in the session directory");
	ok(session_init(&other, "b", &cause) == 0 &&
	    strcmp(other.socket_path, s.socket_path) != 0 &&
	    starts_with(other.socket_path, prefix),
	    "another session gets another runtime socket");
	session_release(&other);
	ok(session_init(&other, "a", &cause) == 0 &&
	    strcmp(other.socket_path, s.socket_path) == 0,
	    "the same session always gets the same runtime socket");
	session_release(&other);

	/* session_prepare makes both directories. */
	ok(session_prepare(&s, &cause) == 0, "prepare a long session");
	is_int(mode_of(s.dir), 0700, "the long session directory is 0700");
	prefix[strlen(prefix) - 1] = '\0';
	is_int(mode_of(prefix), 0700, "the runtime directory is made 0700");
	session_release(&s);
	free(prefix);
	free(home);

	/* Without a usable XDG_RUNTIME_DIR, /tmp. */
	xasprintf(&home, "%s/%0*d", tmpdir, (int)pad + 40, 0);
	setenv("FISH_HOME", home, 1);
	xasprintf(&prefix, "/tmp/fish-%u/", (unsigned)getuid());
	unsetenv("XDG_RUNTIME_DIR");
	ok(session_init(&s, "a", &cause) == 0 &&
	    starts_with(s.socket_path, prefix),
	    "without XDG_RUNTIME_DIR the runtime socket is in /tmp");
	session_release(&s);
	setenv("XDG_RUNTIME_DIR", "run/relative", 1);
	ok(session_init(&s, "a", &cause) == 0 &&
	    starts_with(s.socket_path, prefix),
	    "a relative XDG_RUNTIME_DIR is ignored");
	session_release(&s);
	setenv("XDG_RUNTIME_DIR", "/run/user/0123456789012345678901234567890"
	    "12345678901234567890", 1);
	ok(session_init(&s, "a", &cause) == 0 &&
	    starts_with(s.socket_path, prefix),
	    "an XDG_RUNTIME_DIR over 60 bytes is ignored");
	session_release(&s);
	unsetenv("XDG_RUNTIME_DIR");
	free(prefix);
	free(home);
	free(run);
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
	ok(chmod(s.dir, 0755) == 0 && session_prepare(&s, &cause) == 0,
	    "prepare an open directory");
	is_int(mode_of(s.dir), 0700, "prepare closes an open directory");
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
	    strstr(cause, "cannot create") != NULL,
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
	test_prepare();
	test_listener_pid();
	if (chdir("/") == -1 ||
	    nftw(tmpdir, remove_one, 16, FTW_DEPTH | FTW_PHYS) == -1)
		ok(0, "remove '%s': %s", tmpdir, strerror(errno));
	return (done_testing());
}
