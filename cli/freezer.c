/*
 * Whether the cgroup freezer holds a process, and how to thaw it.
 *
 * A process in a frozen cgroup shows state S (cgroup v2) or D (the v1
 * freezer) in /proc/PID/stat, as one at work does, yet never runs: only
 * its cgroup tells.  /proc/PID/cgroup names it, in each hierarchy:
 *
 *	0::/system.slice/docker-ID.scope	the v2 one
 *	6:freezer:/docker/ID			a v1 one, by its controllers
 *
 * The v2 hierarchy is mounted at /sys/fs/cgroup, or at
 * /sys/fs/cgroup/unified beside v1 ones (systemd's hybrid layout); the
 * first of the two whose root has a cgroup.controllers is it (a v1
 * hierarchy and the tmpfs that holds the hybrid's have none).  Not the
 * first that has the cgroup's cgroup.events: in the hybrid layout, the
 * v2 cgroup /unified/x would be read at /sys/fs/cgroup/unified/x, which
 * is the v2 cgroup /x, another one.  "frozen 1" there says the cgroup is frozen,
 * wholly, by its own cgroup.freeze or an ancestor's.  The v1 freezer
 * says FROZEN in /sys/fs/cgroup/freezer/PATH/freezer.state, likewise.
 * Either is frozen only once every process in it is: one that is still
 * freezing is not yet.
 *
 * Paths are read from /proc, and a cgroup outside our cgroup namespace
 * ("/../x") is not under our mounts: such a path, or one with a "." or
 * ".." in it, is not looked at.  Nor is a mount that does not show the
 * hierarchy from our namespace's root (freezer_mount_ours).  Thawing writes to the nearest frozen
 * cgroup from the process up (cgroup.freeze 1, or freezer.self_freezing
 * 1), since thawing a cgroup whose ancestor is frozen thaws nothing.  A
 * cgroup that docker made for a container (docker-ID.scope, by systemd;
 * docker/ID, by itself) is thawed with docker unpause, which also keeps
 * docker's own record of it right.  One that is a systemd unit's
 * (freezer_unit) is named with systemctl thaw beside the write, which
 * keeps systemd's record right too: systemctl freeze froze it, perhaps.
 */
#include "config.h"

#include <sys/types.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buffer.h"
#include "freezer.h"
#include "xmalloc.h"

/* The most of /proc/PID/cgroup read: a line for each hierarchy. */
#define FREEZER_PROC_MAX	16384

/* Where the v2 hierarchy may be mounted, in the order looked at. */
static const char *const freezer_v2_mounts[] = {
	"/sys/fs/cgroup",
	"/sys/fs/cgroup/unified"
};

/* Where the v1 freezer is mounted. */
#define FREEZER_V1_MOUNT	"/sys/fs/cgroup/freezer"

/* How a container id of docker's is spelled. */
#define FREEZER_DOCKER_ID_LEN	64

/* One kind of hierarchy: where it is, and what its files say. */
struct freezer_kind {
	const char	*controller;	/* v1: its name; NULL: v2 */
	const char	*state;		/* the file that says it is frozen */
	const char	*frozen;	/* a line of it that does */
	const char	*self;		/* the file that says it froze itself */
	const char	*thaw;		/* what to write to self to thaw it */
	const char	*thaw_file;	/* where */
};

static const struct freezer_kind freezer_v2 = {
	NULL, "cgroup.events", "frozen 1", "cgroup.freeze", "0",
	"cgroup.freeze"
};
static const struct freezer_kind freezer_v1 = {
	"freezer", "freezer.state", "FROZEN", "freezer.self_freezing",
	"THAWED", "freezer.state"
};

/*
 * Read root, dir, path and name joined into buf (size bytes), whole and
 * NUL-terminated.  Return 0, or -1 when it cannot be read whole.
 */
static int
freezer_read(const char *root, const char *dir, const char *path,
    const char *name, char *buf, size_t size)
{
	char	*full;
	size_t	 used = 0;
	ssize_t	 n;
	int	 fd;

	xasprintf(&full, "%s%s%s/%s", root, dir, path, name);
	fd = open(full, O_RDONLY | O_CLOEXEC);
	free(full);
	if (fd == -1)
		return (-1);
	do {
		n = read(fd, buf + used, size - 1 - used);
		if (n > 0)
			used += (size_t)n;
	} while (n > 0 && used < size - 1);
	close(fd);
	if (n == -1 || used == size - 1)
		return (-1);
	buf[used] = '\0';
	return (0);
}

/* Tell whether text holds line, whole. */
static int
freezer_has_line(const char *text, const char *line)
{
	size_t		 len = strlen(line);
	const char	*p;

	for (p = text; (p = strstr(p, line)) != NULL; p += len) {
		if ((p == text || p[-1] == '\n') &&
		    (p[len] == '\n' || p[len] == '\0'))
			return (1);
	}
	return (0);
}

/* Tell whether the comma-separated list of len bytes names controller. */
static int
freezer_listed(const char *list, size_t len, const char *controller)
{
	size_t		 n = strlen(controller);
	const char	*end = list + len, *comma;

	while (list < end) {
		if ((comma = memchr(list, ',', (size_t)(end - list))) == NULL)
			comma = end;
		if ((size_t)(comma - list) == n && memcmp(list, controller, n) == 0)
			return (1);
		list = comma + 1;
	}
	return (0);
}

/*
 * Return a copy of the len bytes of path when it names a cgroup below
 * the root of our mounts, NULL when not (one outside our cgroup
 * namespace, a "." or ".." in it; the root itself, which cannot be
 * frozen, unless root_ok: then "").
 */
static char *
freezer_path(const char *path, size_t len, int root_ok)
{
	const char	*p, *end = path + len, *slash;
	size_t		 n;

	if (root_ok && len == 1 && path[0] == '/')
		return (xstrdup(""));
	if (len < 2 || path[0] != '/')
		return (NULL);
	for (p = path + 1; p <= end; p = slash + 1) {
		if ((slash = memchr(p, '/', (size_t)(end - p))) == NULL)
			slash = end;
		n = (size_t)(slash - p);
		if (n == 0 || (n == 1 && p[0] == '.') ||
		    (n == 2 && p[0] == '.' && p[1] == '.'))
			return (NULL);
	}
	return (xstrndup(path, len));
}

/*
 * Return the path of the cgroup of the hierarchy of kind in text (of
 * /proc/PID/cgroup, lines "ID:CONTROLLERS:PATH"), or NULL; the root
 * cgroup as "" when root_ok, else NULL.
 */
static char *
freezer_cgroup(const char *text, const struct freezer_kind *kind,
    int root_ok)
{
	const char	*line, *end, *list, *path;
	int		 ours;

	for (line = text; *line != '\0'; line = end + (*end == '\n')) {
		if ((end = strchr(line, '\n')) == NULL)
			end = line + strlen(line);
		if ((list = memchr(line, ':', (size_t)(end - line))) == NULL)
			continue;
		list++;
		if ((path = memchr(list, ':', (size_t)(end - list))) == NULL)
			continue;
		path++;
		if (kind->controller == NULL)
			ours = list == line + 2 && line[0] == '0' &&
			    path == list + 1;
		else
			ours = freezer_listed(list, (size_t)(path - 1 - list),
			    kind->controller);
		if (ours)
			return (freezer_path(path, (size_t)(end - path),
			    root_ok));
	}
	return (NULL);
}

/*
 * Find where the cgroup path of kind is mounted and whether it is
 * frozen.  Return 1 (frozen) or 0, and the mount in *mount.
 */
static int
freezer_frozen(const char *root, const struct freezer_kind *kind,
    const char *path, const char **mount)
{
	char	buf[512];
	size_t	i;

	if (kind->controller != NULL) {
		*mount = FREEZER_V1_MOUNT;
		if (freezer_read(root, *mount, path, kind->state, buf,
		    sizeof buf) == -1)
			return (0);
		return (freezer_has_line(buf, kind->frozen));
	}
	for (i = 0; i < sizeof freezer_v2_mounts / sizeof *freezer_v2_mounts;
	    i++) {
		*mount = freezer_v2_mounts[i];
		if (freezer_read(root, *mount, "", "cgroup.controllers", buf,
		    sizeof buf) == 0)
			break;
	}
	if (i == sizeof freezer_v2_mounts / sizeof *freezer_v2_mounts ||
	    freezer_read(root, *mount, path, kind->state, buf,
	    sizeof buf) == -1)
		return (0);
	return (freezer_has_line(buf, kind->frozen));
}

/*
 * Tell whether mount shows the hierarchy of kind from the root of our
 * cgroup namespace, as /proc/PID/cgroup names its cgroups: it does when
 * our own cgroup there, by /proc/self/cgroup, lists our pid.  A mount of
 * the whole hierarchy seen from a namespace below its root (unshare -C,
 * a container given the host's /sys/fs/cgroup) does not: there a path
 * names another cgroup, a sibling of ours perhaps.  Read only once a
 * cgroup is seen frozen: a cgroup.procs may be long.
 */
static int
freezer_mount_ours(const char *root, const struct freezer_kind *kind,
    const char *mount)
{
	char	 text[FREEZER_PROC_MAX], *path, *file, *line = NULL;
	size_t	 size = 0;
	FILE	*fp;
	int	 found = 0;

	if (freezer_read(root, "/proc/self", "", "cgroup", text,
	    sizeof text) == -1 || (path = freezer_cgroup(text, kind, 1)) == NULL)
		return (0);
	xasprintf(&file, "%s%s%s/cgroup.procs", root, mount, path);
	free(path);
	fp = fopen(file, "re");
	free(file);
	if (fp == NULL)
		return (0);
	while (!found && getline(&line, &size, fp) != -1)
		found = strtol(line, NULL, 10) == (long)getpid();
	free(line);
	fclose(fp);
	return (found);
}

/*
 * Cut path (a copy, changed) to the nearest of it and its ancestors that
 * froze itself; leave it whole when none says so.
 */
static void
freezer_nearest(const char *root, const struct freezer_kind *kind,
    const char *mount, char *path)
{
	char	 buf[64], *cut, *slash;

	cut = xstrdup(path);
	for (;;) {
		if (freezer_read(root, mount, cut, kind->self, buf,
		    sizeof buf) == 0 && freezer_has_line(buf, "1")) {
			path[strlen(cut)] = '\0';
			break;
		}
		if ((slash = strrchr(cut, '/')) == NULL || slash == cut)
			break;
		*slash = '\0';
	}
	free(cut);
}

/*
 * Return docker's id of the container whose cgroup path is (its last
 * part docker-ID.scope, or ID below a part docker), or NULL.  Caller
 * frees.
 */
static char *
freezer_docker(const char *path)
{
	const char	*last = strrchr(path, '/') + 1, *hex = "0123456789abcdef";
	size_t		 n = FREEZER_DOCKER_ID_LEN;

	if (strncmp(last, "docker-", 7) == 0 && strspn(last + 7, hex) == n &&
	    strcmp(last + 7 + n, ".scope") == 0)
		return (xstrndup(last + 7, n));
	if (strlen(last) == n && strspn(last, hex) == n && last - path >= 8 &&
	    strncmp(last - 8, "/docker/", 8) == 0)
		return (xstrdup(last));
	return (NULL);
}

/*
 * Return the name of the systemd unit whose cgroup path is (its last part
 * NAME.service or NAME.scope, below a .slice or a unit of a user manager;
 * systemctl freeze froze it, or can thaw it), or NULL; *user says whether
 * a user manager runs it (a part user@UID.service above it): then it is
 * thawed with systemctl --user.  systemd names a unit's cgroup as the
 * unit, but for one '_' before a name that begins with '_', or that a
 * kernel file or controller might take (cgroup.x, cpu.service: its
 * cg_escape); that one is not the unit's.  Caller frees.
 */
char *
freezer_unit(const char *path, int *user)
{
	const char	*last, *name, *p, *slash;
	size_t		 n, len;
	int		 manager, below = 0;

	*user = 0;
	if ((last = strrchr(path, '/')) == NULL || last == path)
		return (NULL);
	last++;
	/* As cg_unescape: a name that begins with '_' was escaped. */
	name = *last == '_' ? last + 1 : last;
	n = strlen(name);
	if (!(n > 8 && strcmp(name + n - 8, ".service") == 0) &&
	    !(n > 6 && strcmp(name + n - 6, ".scope") == 0))
		return (NULL);
	/*
	 * A unit's cgroup is below a slice's, or a user manager's: not
	 * below another unit's (a cgroup it made of its own, delegated).
	 */
	for (p = path + 1; p < last; p = slash + 1) {
		slash = strchr(p, '/');
		len = (size_t)(slash - p);
		manager = len > 13 && strncmp(p, "user@", 5) == 0 &&
		    strncmp(slash - 8, ".service", 8) == 0 &&
		    strspn(p + 5, "0123456789") == len - 13;
		*user = *user || manager;
		below = manager || (len > 6 && strncmp(slash - 6, ".slice",
		    6) == 0);
	}
	if (!below) {
		*user = 0;
		return (NULL);
	}
	/*
	 * Only what a unit's name may hold (systemd's unit_name_is_valid):
	 * systemctl would take a cgroup named by hand "x*.service" as a
	 * pattern, thawing the units it matches.
	 */
	if (strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789:-_.\\@") != n)
		return (NULL);
	return (xstrdup(name));
}

/*
 * Add s to b as one word of a shell command, quoted when it must be.  A
 * byte outside printable ASCII (a control one, from a cgroup's name) is
 * written as an octal escape in $'...' (bash, zsh, ksh, POSIX.1-2024
 * sh): the line it goes in escapes control bytes as ^[ (lib/escape.c),
 * which would make a command that names no such file.
 */
static void
freezer_add_word(struct buffer *b, const char *s)
{
	const char		*safe = "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789@%+=:,./_-";
	const unsigned char	*p;
	int			 plain = 1;

	if (s[strspn(s, safe)] == '\0') {
		buffer_add_str(b, s);
		return;
	}
	for (p = (const unsigned char *)s; *p != '\0'; p++)
		plain = plain && *p >= 0x20 && *p < 0x7f;
	buffer_add_str(b, plain ? "'" : "$'");
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p == '\'')
			buffer_add_str(b, plain ? "'\\''" : "\\'");
		else if (!plain && *p == '\\')
			buffer_add_str(b, "\\\\");
		else if (*p < 0x20 || *p >= 0x7f)
			buffer_printf(b, "\\%03o", *p);
		else
			buffer_add(b, p, 1);
	}
	buffer_add_str(b, "'");
}

/* Fill f with the frozen cgroup path of kind, mounted at mount. */
static void
freezer_fill(const char *root, const struct freezer_kind *kind,
    const char *mount, char *path, struct freezer *f)
{
	struct buffer	 b;
	char		*file, *id, *unit;
	int		 user;

	freezer_nearest(root, kind, mount, path);
	buffer_init(&b);
	if ((id = freezer_docker(path)) != NULL) {
		buffer_printf(&b, "docker unpause %s", id);
		free(id);
	} else {
		/* systemctl freeze froze it, perhaps: keep systemd right. */
		if (kind->controller == NULL &&
		    (unit = freezer_unit(path, &user)) != NULL) {
			buffer_add_str(&b, user ? "systemctl --user thaw " :
			    "systemctl thaw ");
			freezer_add_word(&b, unit);
			buffer_add_str(&b, ", or: ");
			free(unit);
		}
		xasprintf(&file, "%s%s/%s", mount, path, kind->thaw_file);
		buffer_printf(&b, "echo %s > ", kind->thaw);
		freezer_add_word(&b, file);
		free(file);
	}
	buffer_add(&b, "", 1);
	f->cgroup = path;
	f->thaw = buffer_detach(&b, NULL);
}

/*
 * Tell whether process pid, of /proc under root, is frozen, and with f
 * not NULL fill it.  Return 1 (frozen) or 0 (not, or not known).
 */
static int
freezer_look(const char *root, pid_t pid, struct freezer *f)
{
	const struct freezer_kind	*kinds[] = { &freezer_v2, &freezer_v1 };
	char				 text[FREEZER_PROC_MAX], proc[64];
	char				*path;
	const char			*mount;
	size_t				 i;

	(void)snprintf(proc, sizeof proc, "/proc/%ld", (long)pid);
	if (freezer_read(root, proc, "", "cgroup", text, sizeof text) == -1)
		return (0);
	for (i = 0; i < sizeof kinds / sizeof *kinds; i++) {
		if ((path = freezer_cgroup(text, kinds[i], 0)) == NULL)
			continue;
		if (freezer_frozen(root, kinds[i], path, &mount) &&
		    freezer_mount_ours(root, kinds[i], mount)) {
			if (f != NULL)
				freezer_fill(root, kinds[i], mount, path, f);
			else
				free(path);
			return (1);
		}
		free(path);
	}
	return (0);
}

/*
 * Tell whether the cgroup freezer holds process pid (/proc and /sys under
 * root): cheap, for a look every second.
 */
int
freezer_holds(const char *root, pid_t pid)
{
	return (freezer_look(root, pid, NULL));
}

/*
 * Find the frozen cgroup that holds process pid and how to thaw it.
 * Return 0, or -1 when it is not frozen (thawed since, say).  Release f
 * with freezer_release.
 */
int
freezer_find(const char *root, pid_t pid, struct freezer *f)
{
	f->cgroup = f->thaw = NULL;
	return (freezer_look(root, pid, f) ? 0 : -1);
}

/* Free what freezer_find filled f with. */
void
freezer_release(struct freezer *f)
{
	free(f->cgroup);
	free(f->thaw);
	f->cgroup = f->thaw = NULL;
}
