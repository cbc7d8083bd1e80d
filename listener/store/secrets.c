/*
 * The secrets store (see secrets.h).  The file is small (one entry per
 * verifying hook), so it is kept in memory as a JSON object and written
 * whole on every change.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "buffer.h"
#include "jsonptr.h"
#include "proto.h"
#include "secrets.h"
#include "xmalloc.h"

#define SECRETS_FILE	"secrets.json"
#define SECRETS_MAX	(16U << 20)	/* refuse to read a larger file */

static struct json_object	*secrets;
static char			*secrets_dir;
static char			*secrets_path;

/* Read the whole file at path into b; -1 with errno on failure. */
static int
secrets_read(const char *path, struct buffer *b)
{
	char	chunk[4096];
	ssize_t	n;
	int	fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1)
		return (-1);
	while ((n = read(fd, chunk, sizeof chunk)) != 0) {
		if (n == -1) {
			if (errno == EINTR)
				continue;
			close(fd);
			return (-1);
		}
		if (buffer_unread(b) + (size_t)n > SECRETS_MAX) {
			close(fd);
			errno = EFBIG;
			return (-1);
		}
		buffer_add(b, chunk, (size_t)n);
	}
	close(fd);
	return (0);
}

/*
 * Load the store of the session directory dir.  A missing file is an
 * empty store; one that cannot be read or parsed is too, with *warning
 * set (caller frees): its hooks then reject every request.
 */
void
secrets_load(const char *dir, char **warning)
{
	struct buffer		 b;
	struct json_object	*o = NULL;
	char			*cause = NULL;

	*warning = NULL;
	secrets_free();
	secrets_dir = xstrdup(dir);
	xasprintf(&secrets_path, "%s/%s", dir, SECRETS_FILE);
	buffer_init(&b);
	if (secrets_read(secrets_path, &b) == -1) {
		if (errno != ENOENT)
			xasprintf(warning, "cannot read %s: %s", secrets_path,
			    strerror(errno));
	} else if ((o = jsonptr_parse(buffer_peek(&b), buffer_unread(&b),
	    &cause)) == NULL || !json_object_is_type(o, json_type_object)) {
		xasprintf(warning, "ignoring unreadable %s", secrets_path);
		json_object_put(o);
		o = NULL;
		free(cause);
	}
	buffer_release(&b);
	secrets = o != NULL ? o : json_object_new_object();
}

/*
 * Write the store to its file atomically and durably: a temporary file
 * made 0600, synced, renamed over the old one, then the directory synced
 * so that the rename itself survives a crash.
 */
static int
secrets_save(char **cause)
{
	const char	*text;
	char		*tmp;
	int		 fd, dir_fd;

	text = json_object_to_json_string_ext(secrets, JSON_C_TO_STRING_PRETTY);
	xasprintf(&tmp, "%s.tmp", secrets_path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
	    0600);
	if (fd == -1)
		goto fail;
	if (fchmod(fd, 0600) == -1 ||
	    write_all(fd, text, strlen(text)) == -1 ||
	    write_all(fd, "\n", 1) == -1 || fsync(fd) == -1) {
		close(fd);
		unlink(tmp);
		goto fail;
	}
	if (close(fd) == -1 || rename(tmp, secrets_path) == -1) {
		unlink(tmp);
		goto fail;
	}
	free(tmp);
	if ((dir_fd = open(secrets_dir, O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1 || fsync(dir_fd) == -1) {
		if (dir_fd != -1)
			close(dir_fd);
		xasprintf(cause, "cannot sync %s: %s", secrets_dir,
		    strerror(errno));
		return (-1);
	}
	close(dir_fd);
	return (0);
fail:
	xasprintf(cause, "cannot write %s: %s", tmp, strerror(errno));
	free(tmp);
	return (-1);
}

/*
 * Return the secret stored for the hook token, if it was stored for
 * scheme; NULL otherwise.  Borrowed: valid until the next change.
 */
const char *
secrets_get(const char *token, const char *scheme)
{
	struct json_object	*entry;
	const char		*stored;

	if (secrets == NULL ||
	    !json_object_object_get_ex(secrets, token, &entry) ||
	    (stored = proto_string(entry, "scheme")) == NULL ||
	    strcmp(stored, scheme) != 0)
		return (NULL);
	return (proto_string(entry, "secret"));
}

/*
 * Store the secret of the hook token, durably, before returning.  Return
 * 0, or -1 with *cause (the store in memory is then unchanged).
 */
int
secrets_set(const char *token, const char *scheme, const char *secret,
    char **cause)
{
	struct json_object	*entry, *old = NULL;

	if (secrets == NULL) {
		xasprintf(cause, "the secrets store is not loaded");
		return (-1);
	}
	if (json_object_object_get_ex(secrets, token, &old))
		json_object_get(old);
	entry = json_object_new_object();
	json_object_object_add(entry, "scheme", json_object_new_string(scheme));
	json_object_object_add(entry, "secret", json_object_new_string(secret));
	json_object_object_add(secrets, token, entry);
	if (secrets_save(cause) == -1) {
		if (old != NULL)
			json_object_object_add(secrets, token, old);
		else
			json_object_object_del(secrets, token);
		return (-1);
	}
	json_object_put(old);
	return (0);
}

/* Forget the secret of the hook token, durably.  Return 0, or -1. */
int
secrets_remove(const char *token, char **cause)
{
	if (secrets == NULL ||
	    !json_object_object_get_ex(secrets, token, NULL))
		return (0);
	json_object_object_del(secrets, token);
	return (secrets_save(cause));
}

/*
 * Forget every secret whose token keep() refuses (hooks that are gone or
 * closed), writing the file once if anything went.  Return 0, or -1.
 */
int
secrets_keep(int (*keep)(const char *), char **cause)
{
	struct json_object_iterator	 it, end;
	char				**drop;
	size_t				 n = 0, i;
	int				 ret = 0;

	if (secrets == NULL)
		return (0);
	drop = xcalloc((size_t)json_object_object_length(secrets) + 1,
	    sizeof *drop);
	it = json_object_iter_begin(secrets);
	end = json_object_iter_end(secrets);
	for (; !json_object_iter_equal(&it, &end); json_object_iter_next(&it)) {
		if (!keep(json_object_iter_peek_name(&it)))
			drop[n++] = xstrdup(json_object_iter_peek_name(&it));
	}
	for (i = 0; i < n; i++) {
		json_object_object_del(secrets, drop[i]);
		free(drop[i]);
	}
	if (n > 0)
		ret = secrets_save(cause);
	free(drop);
	return (ret);
}

/* Forget the store (at exit). */
void
secrets_free(void)
{
	json_object_put(secrets);
	secrets = NULL;
	free(secrets_path);
	free(secrets_dir);
	secrets_path = secrets_dir = NULL;
}
