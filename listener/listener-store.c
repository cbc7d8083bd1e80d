/*
 * Where the listener's store keeps the session's records (--store): the
 * embedded journal, or a Redis shared by the session's listeners
 * (doc/store-redis.md).  For Redis, the store is opened with the URL,
 * the replicas each record must reach (--store-replicas), the session's
 * name, this listener's name among the session's
 * listeners, and a journal directory that is only a cache: emptied at
 * every start, so that the store reads the session's stream again from
 * its start and applies each entry once.
 *
 * The listener's name is this machine's host name and a short checksum
 * of the session directory's device and inode numbers: stable across
 * restarts, and different for two listeners of one machine (each has its
 * own FISH_HOME).
 */
#include "compat.h"
#include "config.h"

#include <sys/random.h>
#include <sys/stat.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buffer.h"
#include "hex.h"
#include "listener.h"
#include "listener-store.h"
#include "log.h"
#include "settings.h"
#include "store.h"
#include "store-url.h"
#include "xmalloc.h"

/* The cache of a Redis store's records, in the session's directory. */

/* Host names are cut to this in the listener's name. */
#define LISTENER_STORE_HOST_MAX	64
#define LISTENER_STORE_ID_FILE	"listener-id"	/* in the session directory */
#define LISTENER_STORE_ID_LEN	8		/* hex digits */

static struct store_url	 listener_store_url;
static int		 listener_store_parsed;
static char		*listener_store_name;
static char		*listener_store_cache;

/* Remove every file of the directory open at fd.  Return 0, or -1. */
static int
listener_store_empty(int fd)
{
	struct dirent	*entry;
	DIR		*dir;
	int		 copy, error = 0;

	if ((copy = dup(fd)) == -1)
		return (-1);
	if ((dir = fdopendir(copy)) == NULL) {
		close(copy);
		return (-1);
	}
	while ((entry = readdir(dir)) != NULL) {
		if (strcmp(entry->d_name, ".") == 0 ||
		    strcmp(entry->d_name, "..") == 0)
			continue;
		/* A directory in it is none of ours: unlinkat refuses it. */
		if (unlinkat(fd, entry->d_name, 0) == -1) {
			error = errno;
			break;
		}
	}
	closedir(dir);
	errno = error;
	return (error == 0 ? 0 : -1);
}

/*
 * Make the cache directory in the session's directory, or empty it: our
 * own directory, mode 0700, never reached through a symbolic link.
 * Return 0, or -1 with *cause.
 */
static int
listener_store_cache_prepare(char **cause)
{
	const struct session	*s = &listener.session;
	struct stat		 st;
	int			 fd;

	xasprintf(&listener_store_cache, "%s/%s", s->dir,
	    SESSION_STORE_CACHE);
	if (mkdirat(s->dir_fd, SESSION_STORE_CACHE, 0700) == -1 &&
	    errno != EEXIST)
		goto fail;
	fd = openat(s->dir_fd, SESSION_STORE_CACHE,
	    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1)
		goto fail;
	if (fstat(fd, &st) == -1) {
		close(fd);
		goto fail;
	}
	/* Nothing is removed from a directory that is not ours alone. */
	if (st.st_uid != geteuid() || (st.st_mode & 077) != 0) {
		close(fd);
		xasprintf(cause, "%s is not ours alone (mode 0700)",
		    listener_store_cache);
		return (-1);
	}
	if (listener_store_empty(fd) == -1) {
		close(fd);
		goto fail;
	}
	close(fd);
	return (0);
fail:
	xasprintf(cause, "cannot prepare %s: %s", listener_store_cache,
	    strerror(errno));
	return (-1);
}

/*
 * Read the session's listener id (LISTENER_STORE_ID_FILE: 8 lowercase hex
 * digits and a newline) into id.  Return 0, or -1 with errno: ENOENT (no
 * file), ELOOP (a symbolic link), EINVAL (not an id), or why it could not
 * be read.
 */
static int
listener_store_id_read(char id[LISTENER_STORE_ID_LEN + 1])
{
	char	buf[LISTENER_STORE_ID_LEN + 2];
	ssize_t	n;
	int	fd, i, saved;

	if ((fd = openat(listener.session.dir_fd, LISTENER_STORE_ID_FILE,
	    O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)) == -1)
		return (-1);
	if ((n = read(fd, buf, sizeof buf)) == -1 && errno == EAGAIN)
		n = 0;		/* a FIFO: not an id */
	saved = errno;
	close(fd);
	if (n == -1) {
		errno = saved;
		return (-1);
	}
	errno = EINVAL;
	if (n != LISTENER_STORE_ID_LEN + 1 || buf[LISTENER_STORE_ID_LEN] != '\n')
		return (-1);
	for (i = 0; i < LISTENER_STORE_ID_LEN; i++) {
		if (hex_digit_value(buf[i]) == -1 ||
		    isupper((unsigned char)buf[i]))
			return (-1);
	}
	memcpy(id, buf, LISTENER_STORE_ID_LEN);
	id[LISTENER_STORE_ID_LEN] = '\0';
	return (0);
}

/*
 * Make a new random id and keep it in the session directory, through a
 * file renamed over the old, so that a crash leaves one whole, and the
 * directory synced, so that a crash does not lose the rename (the next
 * start would make another id, and not know its earlier life's leases).
 * Return 0, or -1 with errno.
 */
static int
listener_store_id_new(char id[LISTENER_STORE_ID_LEN + 1])
{
	static const char	 tmp[] = LISTENER_STORE_ID_FILE ".new";
	uint8_t			 raw[LISTENER_STORE_ID_LEN / 2];
	int			 fd, dir = listener.session.dir_fd, saved;

	if (getrandom(raw, sizeof raw, 0) != (ssize_t)sizeof raw)
		return (-1);
	hex_encode_lower(raw, sizeof raw, id);
	id[LISTENER_STORE_ID_LEN] = '\n';
	fd = openat(dir, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW |
	    O_CLOEXEC, 0600);
	if (fd == -1)
		return (-1);
	if (write_all(fd, id, LISTENER_STORE_ID_LEN + 1) == -1 ||
	    fsync(fd) == -1 || renameat(dir, tmp, dir,
	    LISTENER_STORE_ID_FILE) == -1 || fsync(dir) == -1) {
		saved = errno;
		close(fd);
		unlinkat(dir, tmp, 0);
		errno = saved;
		return (-1);
	}
	close(fd);
	id[LISTENER_STORE_ID_LEN] = '\0';
	return (0);
}

/*
 * Make this listener's name: HOST-ID, ID random, made once per session
 * directory and kept in it, so that it is the same across restarts (a
 * listener takes over its earlier life's leases by name) and no two
 * directories share it, whatever their host names and inode numbers.
 * Return 0, or -1 with *cause.
 */
static int
listener_store_name_make(char **cause)
{
	char		host[LISTENER_STORE_HOST_MAX + 1];
	char		id[LISTENER_STORE_ID_LEN + 1];
	size_t		i;

	if (listener_store_id_read(id) == -1) {
		if (errno != ENOENT && errno != ELOOP && errno != EINVAL) {
			xasprintf(cause, "cannot read the listener's id from "
			    "the session's %s: %s", LISTENER_STORE_ID_FILE,
			    strerror(errno));
			return (-1);
		}
		if (errno != ENOENT)
			log_warnx("%s is not a listener id: making a new one",
			    LISTENER_STORE_ID_FILE);
		if (listener_store_id_new(id) == -1) {
			xasprintf(cause, "cannot keep the listener's id in "
			    "the session's %s: %s", LISTENER_STORE_ID_FILE,
			    strerror(errno));
			return (-1);
		}
	}
	if (gethostname(host, sizeof host) == -1 || *host == '\0')
		memcpy(host, "localhost", sizeof "localhost");
	host[LISTENER_STORE_HOST_MAX] = '\0';
	/* The stream's "from" field ends the name at '/'. */
	for (i = 0; host[i] != '\0'; i++) {
		if (host[i] == '/' || host[i] < '!' || host[i] > '~')
			host[i] = '_';
	}
	xasprintf(&listener_store_name, "%s-%s", host, id);
	return (0);
}

/*
 * Fill in config for the store in force (--store): nothing for the
 * journal; for Redis, its URL, the session, this listener's name and a
 * fresh cache for a journal.  Return 0, or -1 with *cause.
 */
int
listener_store_configure(struct store_config *config, char **cause)
{
	const char	*text = settings_text(&listener.settings,
			    SETTING_STORE);
#ifdef FISH_TEST_HOOKS
	const char	*every;
#endif

	if (text == NULL || strcmp(text, "journal") == 0)
		return (0);
	if (store_url_parse(text, &listener_store_url, cause) == -1)
		return (-1);
	listener_store_parsed = 1;
	if (listener_store_url.password_env != NULL)
		listener_store_forget_env(listener_store_url.password_env);
	if (listener_store_url.kind == STORE_JOURNAL)
		return (0);
	if (listener_store_cache_prepare(cause) == -1)
		return (-1);
	if (listener_store_name_make(cause) == -1)
		return (-1);
	config->journal_dir = listener_store_cache;
	config->redis = &listener_store_url;
	config->session = listener.session.name;
	config->listener = listener_store_name;
	config->replicas = (int)settings_number(&listener.settings,
	    SETTING_STORE_REPLICAS);
	/* The other listeners' status shows it. */
	if (settings_is_set(&listener.settings, SETTING_PUBLIC_URL))
		config->public_url = settings_text(&listener.settings,
		    SETTING_PUBLIC_URL);
#ifdef FISH_TEST_HOOKS
	/* Test builds only: heartbeats this often, in ms, not every 10 s. */
	if ((every = getenv("FISH_TEST_HEARTBEAT_MS")) != NULL)
		config->heartbeat_ms = strtoll(every, NULL, 10);
	/* And leases this long, in ms, not 30 s. */
	if ((every = getenv("FISH_TEST_LEASE_MS")) != NULL)
		config->lease_ms = strtoll(every, NULL, 10);
#endif
	return (0);
}

/*
 * Variable name held the Redis password, or a URL with it, and has been
 * read: remove it, so that no child of ours (a tunnel client) inherits
 * it, and wipe its value first, since unsetenv leaves the string where
 * it was, and /proc/PID/environ (ps e) shows that memory.  Every entry
 * of that name: an environment may hold one twice (execve takes any
 * array), getenv finds the first and unsetenv removes them all.
 */
void
listener_store_forget_env(const char *name)
{
	char	**entry, *value;
	size_t	  len = strlen(name);

	for (entry = environ; *entry != NULL; entry++) {
		if (strncmp(*entry, name, len) != 0 || (*entry)[len] != '=')
			continue;
		value = *entry + len + 1;
		explicit_bzero(value, strlen(value));
	}
	unsetenv(name);
}

/* Free what listener_store_configure made (the store is closed). */
void
listener_store_release(void)
{
	if (listener_store_parsed)
		store_url_free(&listener_store_url);
	listener_store_parsed = 0;
	free(listener_store_name);
	listener_store_name = NULL;
	free(listener_store_cache);
	listener_store_cache = NULL;
}
