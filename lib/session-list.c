/*
 * The sessions of $FISH_HOME, for fish sessions and fish stop --all: their
 * names, and what can be read of a session without its listener (its
 * saved settings, when its journal last changed).
 *
 * Nothing here starts a listener or creates a directory.  $FISH_HOME and
 * its sessions/ are checked through their descriptors as session_open
 * does (session_open_dir) before they are read, and each session is then
 * opened with session_open, which checks its own directory; a file in it
 * is opened through that descriptor, never through a symbolic link, and
 * read only when it is a regular file of ours of a bounded size.
 */
#include "config.h"

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "session.h"
#include "xmalloc.h"

/* The largest config.json read: far more than any settings take. */
#define SESSION_CONFIG_MAX	65536

/* Compare two names for qsort. */
static int
session_list_compare(const void *a, const void *b)
{
	return (strcmp(*(char *const *)a, *(char *const *)b));
}

/*
 * List the names of the sessions under $FISH_HOME, sorted, in *names
 * (*n of them; free with session_list_free).  A $FISH_HOME or sessions/
 * that does not exist has none.  Return 0, or -1 with *cause when they
 * cannot be read or must not be trusted.
 */
int
session_list(char ***names, size_t *n, char **cause)
{
	struct dirent	*de;
	DIR		*d;
	size_t		 size = 0;
	int		 fd, read_fd;

	*names = NULL;
	*n = 0;
	if ((fd = session_open_sessions(cause)) == -1) {
		if (errno != ENOENT)
			return (-1);
		free(*cause);
		*cause = NULL;
		return (0);
	}
	read_fd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	close(fd);
	if (read_fd == -1 || (d = fdopendir(read_fd)) == NULL) {
		xasprintf(cause, "cannot read the sessions directory: %s",
		    strerror(errno));
		if (read_fd != -1)
			close(read_fd);
		return (-1);
	}
	while ((de = readdir(d)) != NULL) {
		if (!session_name_valid(de->d_name))
			continue;
		if (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN)
			continue;
		if (*n == size) {
			size = size == 0 ? 16 : size * 2;
			*names = xreallocarray(*names, size, sizeof **names);
		}
		(*names)[(*n)++] = xstrdup(de->d_name);
	}
	closedir(d);
	if (*n > 0)
		qsort(*names, *n, sizeof **names, session_list_compare);
	return (0);
}

/* Free what session_list returned. */
void
session_list_free(char **names, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/*
 * Read the open session's saved settings (config.json).  Return them (the
 * caller puts them), or NULL when there are none or they cannot be read.
 */
struct json_object *
session_read_config(const struct session *s)
{
	struct json_object	*json = NULL;
	struct stat		 sb;
	char			*text = NULL;
	ssize_t			 got;
	int			 fd;

	if (s->dir_fd == -1 || (fd = openat(s->dir_fd, SESSION_CONFIG,
	    O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)) == -1)
		return (NULL);
	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode) ||
	    sb.st_uid != geteuid() || sb.st_size > SESSION_CONFIG_MAX)
		goto fail;
	text = xmalloc((size_t)sb.st_size + 1);
	if ((got = pread(fd, text, (size_t)sb.st_size, 0)) != sb.st_size)
		goto fail;
	text[got] = '\0';
	json = json_tokener_parse(text);
	if (json != NULL && !json_object_is_type(json, json_type_object)) {
		json_object_put(json);
		json = NULL;
	}
fail:
	free(text);
	close(fd);
	return (json);
}

/*
 * Return the newest modification time of the files in the session's
 * directory name (in unix milliseconds), or -1 when it has none.
 */
static int64_t
session_dir_changed_at(const struct session *s, const char *name)
{
	struct dirent	*de;
	struct stat	 sb;
	DIR		*d;
	int64_t		 newest = -1, at;
	int		 fd;

	if (s->dir_fd == -1 || (fd = openat(s->dir_fd, name,
	    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return (-1);
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return (-1);
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' || fstatat(fd, de->d_name, &sb,
		    AT_SYMLINK_NOFOLLOW) == -1 || !S_ISREG(sb.st_mode) ||
		    sb.st_size == 0)
			continue;
		at = (int64_t)sb.st_mtim.tv_sec * 1000 +
		    sb.st_mtim.tv_nsec / 1000000;
		if (at > newest)
			newest = at;
	}
	closedir(d);
	return (newest);
}

/*
 * Return when the open session's journal last changed: its own, or a
 * Redis store's cache (the newest modification time of their files, in
 * unix milliseconds), or -1 when it has none.
 */
int64_t
session_changed_at(const struct session *s)
{
	int64_t	journal, cache;

	journal = session_dir_changed_at(s, SESSION_JOURNAL);
	cache = session_dir_changed_at(s, SESSION_STORE_CACHE);
	return (journal > cache ? journal : cache);
}
