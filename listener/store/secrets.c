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

struct secrets {
	struct json_object	*entries;	/* by token */
	char			*dir;
	char			*path;
};

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
 * set (caller frees): its hooks then reject every request.  A NULL dir
 * makes a store in memory only, never written (a replicated store's: its
 * secrets live in Redis, store-redis-secrets.c).
 */
struct secrets *
secrets_load(const char *dir, char **warning)
{
	struct secrets		*sec;
	struct buffer		 b;
	struct json_object	*o = NULL;
	char			*cause = NULL;

	*warning = NULL;
	sec = xcalloc(1, sizeof *sec);
	if (dir == NULL) {
		sec->entries = json_object_new_object();
		return (sec);
	}
	sec->dir = xstrdup(dir);
	xasprintf(&sec->path, "%s/%s", dir, SECRETS_FILE);
	buffer_init(&b);
	if (secrets_read(sec->path, &b) == -1) {
		if (errno != ENOENT)
			xasprintf(warning, "cannot read %s: %s", sec->path,
			    strerror(errno));
	} else if ((o = jsonptr_parse(buffer_peek(&b), buffer_unread(&b),
	    &cause)) == NULL || !json_object_is_type(o, json_type_object)) {
		xasprintf(warning, "ignoring unreadable %s", sec->path);
		json_object_put(o);
		o = NULL;
		free(cause);
	}
	buffer_release(&b);
	sec->entries = o != NULL ? o : json_object_new_object();
	return (sec);
}

/*
 * Write the store to its file atomically and durably: a temporary file
 * made 0600, synced, renamed over the old one, then the directory synced
 * so that the rename itself survives a crash.
 */
static int
secrets_save(struct secrets *sec, char **cause)
{
	const char	*text;
	char		*tmp;
	int		 fd, dir_fd;

	if (sec->path == NULL)
		return (0);
	text = json_object_to_json_string_ext(sec->entries,
	    JSON_C_TO_STRING_PRETTY);
	xasprintf(&tmp, "%s.tmp", sec->path);
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
	if (close(fd) == -1 || rename(tmp, sec->path) == -1) {
		unlink(tmp);
		goto fail;
	}
	free(tmp);
	if ((dir_fd = open(sec->dir, O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1 || fsync(dir_fd) == -1) {
		if (dir_fd != -1)
			close(dir_fd);
		xasprintf(cause, "cannot sync %s: %s", sec->dir,
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
secrets_get(struct secrets *sec, const char *token, const char *scheme)
{
	struct json_object	*entry;
	const char		*stored;

	if (sec == NULL ||
	    !json_object_object_get_ex(sec->entries, token, &entry) ||
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
secrets_set(struct secrets *sec, const char *token, const char *scheme,
    const char *secret, char **cause)
{
	struct json_object	*entry, *old = NULL;

	if (sec == NULL) {
		xasprintf(cause, "the secrets store is not loaded");
		return (-1);
	}
	if (json_object_object_get_ex(sec->entries, token, &old))
		json_object_get(old);
	entry = json_object_new_object();
	json_object_object_add(entry, "scheme", json_object_new_string(scheme));
	json_object_object_add(entry, "secret", json_object_new_string(secret));
	json_object_object_add(sec->entries, token, entry);
	if (secrets_save(sec, cause) == -1) {
		if (old != NULL)
			json_object_object_add(sec->entries, token, old);
		else
			json_object_object_del(sec->entries, token);
		return (-1);
	}
	json_object_put(old);
	return (0);
}

/* Forget the secret of the hook token, durably.  Return 0, or -1. */
int
secrets_remove(struct secrets *sec, const char *token, char **cause)
{
	if (sec == NULL ||
	    !json_object_object_get_ex(sec->entries, token, NULL))
		return (0);
	json_object_object_del(sec->entries, token);
	return (secrets_save(sec, cause));
}

/*
 * Forget every secret whose token keep(token, arg) refuses (hooks that are
 * gone or closed), writing the file once if anything went.  Return 0, or
 * -1.
 */
int
secrets_keep(struct secrets *sec, int (*keep)(const char *, void *),
    void *arg, char **cause)
{
	struct json_object_iterator	 it, end;
	char				**drop;
	size_t				 n = 0, i;
	int				 ret = 0;

	if (sec == NULL)
		return (0);
	drop = xcalloc((size_t)json_object_object_length(sec->entries) + 1,
	    sizeof *drop);
	it = json_object_iter_begin(sec->entries);
	end = json_object_iter_end(sec->entries);
	for (; !json_object_iter_equal(&it, &end); json_object_iter_next(&it)) {
		if (!keep(json_object_iter_peek_name(&it), arg))
			drop[n++] = xstrdup(json_object_iter_peek_name(&it));
	}
	for (i = 0; i < n; i++) {
		json_object_object_del(sec->entries, drop[i]);
		free(drop[i]);
	}
	if (n > 0)
		ret = secrets_save(sec, cause);
	free(drop);
	return (ret);
}

/* Forget the store (its owner closes). */
void
secrets_free(struct secrets *sec)
{
	if (sec == NULL)
		return;
	json_object_put(sec->entries);
	free(sec->path);
	free(sec->dir);
	free(sec);
}
