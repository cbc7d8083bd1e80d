/*
 * Unit tests for the secrets store: an empty store without a file,
 * storing, finding only under the scheme stored, removing, keeping only
 * wanted tokens, the file's mode and what a new load reads back, a
 * damaged file, and a directory it cannot be written to.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "secrets.h"
#include "tap.h"
#include "xmalloc.h"

static char		*tmpdir;
static char		*path;
static struct secrets	*sec;

/* Load the store of dir afresh, forgetting the one loaded before. */
static void
reload(const char *dir, char **warning)
{
	secrets_free(sec);
	sec = secrets_load(dir, warning);
}

/* Load the store of tmpdir, expecting no warning. */
static void
load_quietly(const char *why)
{
	char	*warning;

	reload(tmpdir, &warning);
	is_str(warning, NULL, why);
	free(warning);
}

/* Tell whether the file holds text. */
static int
file_holds(const char *text)
{
	char	 buf[4096];
	ssize_t	 n;
	int	 fd;

	if ((fd = open(path, O_RDONLY)) == -1)
		return (0);
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n < 0)
		return (0);
	buf[n] = '\0';
	return (strstr(buf, text) != NULL);
}

/* No file: an empty store, no warning, and nothing written yet. */
static void
test_empty(void)
{
	char	*cause = NULL;

	load_quietly("a missing file is no warning");
	is_str(secrets_get(sec, "tok1", "github"), NULL,
	    "an empty store has nothing");
	ok(access(path, F_OK) == -1, "loading writes no file");
	is_int(secrets_remove(sec, "tok1", &cause), 0,
	    "removing nothing succeeds");
	free(cause);
}

/* Set, get by scheme, reload, remove. */
static void
test_set_get_remove(void)
{
	struct stat	 st;
	char		*cause = NULL;

	is_int(secrets_set(sec, "tok1", "github", "s3cret", &cause), 0,
	    "a secret is stored");
	is_str(secrets_get(sec, "tok1", "github"), "s3cret", "and found");
	is_str(secrets_get(sec, "tok1", "stripe"), NULL,
	    "but not under another scheme");
	ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600,
	    "the file is mode 0600");
	ok(access("secrets.json.tmp", F_OK) == -1 &&
	    file_holds("s3cret"), "it was renamed into place");
	is_int(secrets_set(sec, "tok2", "hmac-sha256:X-Sig", "other",
	    &cause), 0, "a second secret is stored");
	is_int(secrets_set(sec, "tok1", "github", "rotated", &cause), 0,
	    "a secret is replaced");

	load_quietly("the file is read back");
	is_str(secrets_get(sec, "tok1", "github"), "rotated",
	    "with the new secret");
	is_str(secrets_get(sec, "tok2", "hmac-sha256:X-Sig"), "other",
	    "and the other one");

	is_int(secrets_remove(sec, "tok1", &cause), 0, "a secret is removed");
	is_str(secrets_get(sec, "tok1", "github"), NULL, "and gone");
	ok(!file_holds("rotated"), "from the file too");
	free(cause);
}

/* Keep only tokens the callback wants. */
static int
want_tok3(const char *token, void *arg)
{
	(void)arg;
	return (strcmp(token, "tok3") == 0);
}

/* secrets_keep drops what is not wanted, in memory and in the file. */
static void
test_keep(void)
{
	char	*cause = NULL;

	is_int(secrets_set(sec, "tok3", "stripe", "kept", &cause), 0,
	    "a third secret is stored");
	is_int(secrets_keep(sec, want_tok3, NULL, &cause), 0,
	    "unwanted secrets go");
	is_str(secrets_get(sec, "tok3", "stripe"), "kept",
	    "the wanted one stays");
	is_str(secrets_get(sec, "tok2", "hmac-sha256:X-Sig"), NULL,
	    "the other is gone");
	ok(!file_holds("other") && file_holds("kept"), "in the file too");
	free(cause);
}

/* A damaged file is a warning and an empty store. */
static void
test_damaged(void)
{
	char	*warning;
	int	 fd;

	fd = open(path, O_WRONLY | O_TRUNC);
	ok(fd != -1 && write(fd, "{\"tok", 5) == 5, "damage the file");
	if (fd != -1)
		close(fd);
	reload(tmpdir, &warning);
	ok(warning != NULL && strstr(warning, "ignoring unreadable") != NULL,
	    "a damaged file is reported");
	free(warning);
	is_str(secrets_get(sec, "tok3", "stripe"), NULL, "and gives no secret");
}

/* A directory that cannot be written to: the set fails, memory unchanged. */
static void
test_unwritable(void)
{
	char	*cause = NULL, *gone, *warning;

	xasprintf(&gone, "%s/gone", tmpdir);
	reload(gone, &warning);
	is_str(warning, NULL, "a missing directory reads as an empty store");
	free(warning);
	ok(secrets_set(sec, "tok4", "github", "nope", &cause) == -1 &&
	    cause != NULL && strstr(cause, "cannot write") != NULL,
	    "a store that cannot be written says so");
	is_str(secrets_get(sec, "tok4", "github"), NULL,
	    "and keeps nothing it could not write");
	free(cause);
	free(gone);
}

/* Run every case and print the plan. */
int
main(void)
{
	char	template[] = "/tmp/fish-unit-secrets.XXXXXX";

	if ((tmpdir = mkdtemp(template)) == NULL) {
		ok(0, "mkdtemp: %s", strerror(errno));
		return (done_testing());
	}
	if (chdir(tmpdir) == -1)
		ok(0, "chdir '%s': %s", tmpdir, strerror(errno));
	xasprintf(&path, "%s/secrets.json", tmpdir);
	test_empty();
	test_set_get_remove();
	test_keep();
	test_damaged();
	test_unwritable();
	secrets_free(sec);
	unlink(path);
	unlink("secrets.json.tmp");
	if (chdir("/") == -1 || rmdir(tmpdir) == -1)
		ok(0, "remove '%s': %s", tmpdir, strerror(errno));
	free(path);
	return (done_testing());
}
