/*
 * Unit tests for cli/freezer.c: whether a process is in a frozen cgroup,
 * and how to thaw it, read from /proc and /sys files made in a temporary
 * directory the way the kernel shows them (test/stopped-listener.bats
 * freezes a real listener).
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "freezer.h"
#include "tap.h"
#include "tree.h"
#include "xmalloc.h"

static char	*base;		/* the temporary directory */
static char	*root;		/* that of the layout under test, in it */

/* Write text to root/path, making its directories. */
static void
put(const char *path, const char *text)
{
	char	*full, *slash;
	FILE	*f;

	xasprintf(&full, "%s%s", root, path);
	for (slash = full + strlen(root) + 1; (slash = strchr(slash, '/')) !=
	    NULL; slash++) {
		*slash = '\0';
		(void)mkdir(full, 0700);
		*slash = '/';
	}
	if ((f = fopen(full, "w")) == NULL || fputs(text, f) == EOF ||
	    fclose(f) == EOF)
		ok(0, "write '%s': %s", full, strerror(errno));
	free(full);
}

/*
 * Make root a new tree below base, named name, with a v2 hierarchy
 * mounted at mount (NULL: none), whose root alone has cgroup.controllers,
 * and with v1 not 0 the v1 freezer at /sys/fs/cgroup/freezer; this
 * process is in the root cgroup of each (/proc/self/cgroup, and its
 * cgroup.procs), as a mount seen from our cgroup namespace shows it.
 */
static void
layout(const char *name, const char *mount, int v1)
{
	char	path[128], pids[64];

	free(root);
	xasprintf(&root, "%s/%s", base, name);
	if (mkdir(root, 0700) == -1)
		ok(0, "mkdir '%s': %s", root, strerror(errno));
	(void)snprintf(pids, sizeof pids, "1\n%ld\n", (long)getpid());
	if (mount != NULL) {
		(void)snprintf(path, sizeof path, "%s/cgroup.controllers",
		    mount);
		put(path, "cpu io memory pids\n");
		(void)snprintf(path, sizeof path, "%s/cgroup.procs", mount);
		put(path, pids);
	}
	if (v1)
		put("/sys/fs/cgroup/freezer/cgroup.procs", pids);
	put("/proc/self/cgroup", v1 ? "6:freezer:/\n0::/\n" : "0::/\n");
}

/* Put pid's /proc/PID/cgroup. */
static void
put_proc(long pid, const char *text)
{
	char	path[64];

	(void)snprintf(path, sizeof path, "/proc/%ld/cgroup", pid);
	put(path, text);
}

/* Check that pid is frozen in cgroup, thawed by thaw. */
static void
frozen(long pid, const char *cgroup, const char *thaw, const char *name)
{
	struct freezer	f;

	ok(freezer_holds(root, (pid_t)pid) == 1, "%s: held", name);
	if (!ok(freezer_find(root, (pid_t)pid, &f) == 0, "%s: found", name))
		return;
	is_str(f.cgroup, cgroup, name);
	is_str(f.thaw, thaw, name);
	freezer_release(&f);
}

/* Check that pid is not known to be frozen. */
static void
not_frozen(long pid, const char *name)
{
	struct freezer	f;

	ok(freezer_holds(root, (pid_t)pid) == 0, "%s: not held", name);
	ok(freezer_find(root, (pid_t)pid, &f) == -1 && f.cgroup == NULL,
	    "%s: not found", name);
}

/* The v2 hierarchy alone, at /sys/fs/cgroup (cgroup v2 only). */
static void
test_v2(void)
{
	layout("v2", "/sys/fs/cgroup", 0);
	put_proc(10, "0::/a/b\n");
	put("/sys/fs/cgroup/a/b/cgroup.events", "populated 1\nfrozen 1\n");
	put("/sys/fs/cgroup/a/b/cgroup.freeze", "1\n");
	frozen(10, "/a/b", "echo 0 > /sys/fs/cgroup/a/b/cgroup.freeze",
	    "a frozen v2 cgroup");

	put_proc(11, "0::/a/c\n");
	put("/sys/fs/cgroup/a/c/cgroup.events", "populated 1\nfrozen 0\n");
	put("/sys/fs/cgroup/a/c/cgroup.freeze", "1\n");
	not_frozen(11, "one still freezing");

	put_proc(13, "0::/p/q/r\n");
	put("/sys/fs/cgroup/p/q/r/cgroup.events", "frozen 1\n");
	put("/sys/fs/cgroup/p/q/r/cgroup.freeze", "0\n");
	put("/sys/fs/cgroup/p/q/cgroup.freeze", "0\n");
	put("/sys/fs/cgroup/p/cgroup.freeze", "1\n");
	frozen(13, "/p", "echo 0 > /sys/fs/cgroup/p/cgroup.freeze",
	    "frozen by an ancestor: the ancestor is thawed");

	put_proc(14, "0::/odd dir/it's\n");
	put("/sys/fs/cgroup/odd dir/it's/cgroup.events", "frozen 1\n");
	put("/sys/fs/cgroup/odd dir/it's/cgroup.freeze", "1\n");
	frozen(14, "/odd dir/it's",
	    "echo 0 > '/sys/fs/cgroup/odd dir/it'\\''s/cgroup.freeze'",
	    "a path a shell would split is quoted");

	put_proc(19, "0::/c\033[31m\tit's\\x\n");
	put("/sys/fs/cgroup/c\033[31m\tit's\\x/cgroup.events", "frozen 1\n");
	put("/sys/fs/cgroup/c\033[31m\tit's\\x/cgroup.freeze", "1\n");
	frozen(19, "/c\033[31m\tit's\\x",
	    "echo 0 > $'/sys/fs/cgroup/c\\033[31m\\011it\\'s\\\\x/"
	    "cgroup.freeze'",
	    "control bytes are written as octal escapes in $'...'");

	/* The path is all after the second colon, colons too. */
	put_proc(60, "0::/k:8:/x\n");
	put("/sys/fs/cgroup/k:8:/x/cgroup.events", "frozen 1\n");
	put("/sys/fs/cgroup/k:8:/x/cgroup.freeze", "1\n");
	frozen(60, "/k:8:/x", "echo 0 > /sys/fs/cgroup/k:8:/x/cgroup.freeze",
	    "a path with colons in it");

	put_proc(15, "0::/unified/u\n");
	put("/sys/fs/cgroup/unified/u/cgroup.events", "frozen 1\n");
	put("/sys/fs/cgroup/unified/u/cgroup.freeze", "1\n");
	frozen(15, "/unified/u",
	    "echo 0 > /sys/fs/cgroup/unified/u/cgroup.freeze",
	    "a v2 cgroup named unified is looked for at /sys/fs/cgroup");

	put_proc(16, "0::/s/mine\n");
	put("/sys/fs/cgroup/s/mine/cgroup.events", "frozen 0\n");
	put("/sys/fs/cgroup/s/other/cgroup.events", "frozen 1\n");
	put("/sys/fs/cgroup/s/other/cgroup.freeze", "1\n");
	not_frozen(16, "a frozen sibling");
}

/* The v2 hierarchy beside v1 ones, at /sys/fs/cgroup/unified. */
static void
test_hybrid(void)
{
	layout("hybrid", "/sys/fs/cgroup/unified", 1);
	put_proc(12, "1:name=systemd:/h\n0::/h\n");
	put("/sys/fs/cgroup/unified/h/cgroup.events", "frozen 1\n");
	put("/sys/fs/cgroup/unified/h/cgroup.freeze", "1\n");
	frozen(12, "/h", "echo 0 > /sys/fs/cgroup/unified/h/cgroup.freeze",
	    "the hybrid layout: v2 at /sys/fs/cgroup/unified");

	/* /sys/fs/cgroup/unified/x is /x, not /unified/x. */
	put_proc(17, "0::/unified/x\n");
	put("/sys/fs/cgroup/unified/unified/x/cgroup.events", "frozen 0\n");
	put("/sys/fs/cgroup/unified/x/cgroup.events", "frozen 1\n");
	put("/sys/fs/cgroup/unified/x/cgroup.freeze", "1\n");
	not_frozen(17, "the hybrid layout: a frozen /x is not /unified/x");

	layout("none", NULL, 0);
	put_proc(18, "0::/h\n");
	put("/sys/fs/cgroup/h/cgroup.events", "frozen 1\n");
	not_frozen(18, "no v2 hierarchy mounted where we look");
}

/* The v1 freezer. */
static void
test_v1(void)
{
	layout("v1", NULL, 1);
	put_proc(20, "7:net_cls,freezer:/f\n0::/\n");
	put("/sys/fs/cgroup/freezer/f/freezer.state", "FROZEN\n");
	put("/sys/fs/cgroup/freezer/f/freezer.self_freezing", "1\n");
	frozen(20, "/f",
	    "echo THAWED > /sys/fs/cgroup/freezer/f/freezer.state",
	    "a frozen v1 freezer cgroup, named among controllers");

	put_proc(21, "6:freezer:/g\n0::/\n");
	put("/sys/fs/cgroup/freezer/g/freezer.state", "FREEZING\n");
	not_frozen(21, "a v1 one still freezing");

	put_proc(22, "6:freezerx:/f\n");
	not_frozen(22, "a controller only named alike");
}

/* Containers of docker's, with each of its cgroup drivers. */
static void
test_docker(void)
{
	const char	*id = "0123456789abcdef0123456789abcdef"
	    "0123456789abcdef0123456789abcdef";
	char		 text[256], path[256], thaw[128];

	layout("docker", "/sys/fs/cgroup", 0);
	(void)snprintf(text, sizeof text, "0::/system.slice/docker-%s.scope\n",
	    id);
	put_proc(30, text);
	(void)snprintf(path, sizeof path,
	    "/sys/fs/cgroup/system.slice/docker-%s.scope/cgroup.events", id);
	put(path, "frozen 1\n");
	(void)snprintf(path, sizeof path,
	    "/sys/fs/cgroup/system.slice/docker-%s.scope/cgroup.freeze", id);
	put(path, "1\n");
	(void)snprintf(thaw, sizeof thaw, "docker unpause %s", id);
	(void)snprintf(path, sizeof path, "/system.slice/docker-%s.scope", id);
	frozen(30, path, thaw, "docker's scope, by systemd");

	(void)snprintf(text, sizeof text, "0::/docker/%s\n", id);
	put_proc(31, text);
	(void)snprintf(path, sizeof path, "/sys/fs/cgroup/docker/%s/"
	    "cgroup.events", id);
	put(path, "frozen 1\n");
	(void)snprintf(path, sizeof path, "/docker/%s", id);
	frozen(31, path, thaw, "docker's own cgroup");

	put_proc(32, "0::/system.slice/docker-0123.scope\n");
	put("/sys/fs/cgroup/system.slice/docker-0123.scope/cgroup.events",
	    "frozen 1\n");
	frozen(32, "/system.slice/docker-0123.scope",
	    "systemctl thaw docker-0123.scope, or: echo 0 > "
	    "/sys/fs/cgroup/system.slice/docker-0123.scope/cgroup.freeze",
	    "a name only like docker's is thawed as systemd's unit");
}

/* Check that path names unit (NULL: none), of a user manager's or not. */
static void
unit_is(const char *path, const char *unit, int user)
{
	char	*got;
	int	 got_user;

	got = freezer_unit(path, &got_user);
	if (unit == NULL)
		ok(got == NULL && got_user == 0, "no unit in '%s'", path);
	else {
		is_str(got, unit, path);
		ok(got_user == user, "'%s' is %sa user manager's", path,
		    user ? "" : "not ");
	}
	free(got);
}

/* Units of systemd's, frozen by systemctl freeze, or by hand. */
static void
test_systemd(void)
{
	unit_is("/system.slice/web.service", "web.service", 0);
	unit_is("/system.slice/app-x.slice/run-u7.scope", "run-u7.scope", 0);
	unit_is("/user.slice/user-1000.slice/user@1000.service/app.slice/"
	    "fish.service", "fish.service", 1);
	unit_is("/user.slice/user-1000.slice/user@1000.service/init.scope",
	    "init.scope", 1);
	unit_is("/user.slice/user-1000.slice/session-3.scope",
	    "session-3.scope", 0);
	unit_is("/user.slice/user-1000.slice/user@1000.service",
	    "user@1000.service", 0);
	unit_is("/system.slice/a\\x2db.service", "a\\x2db.service", 0);
	/* systemd's cg_escape: one '_' before a name it might clash. */
	unit_is("/system.slice/_cpu.service", "cpu.service", 0);
	unit_is("/system.slice/_cgroup.x.scope", "cgroup.x.scope", 0);
	unit_is("/system.slice/__x.service", "_x.service", 0);
	unit_is("/system.slice/_.service", NULL, 0);
	unit_is("/web.service", NULL, 0);
	unit_is("/system.slice/.service", NULL, 0);
	unit_is("/system.slice/web.socket", NULL, 0);
	unit_is("/system.slice", NULL, 0);
	unit_is("/system.slice/web.service/payload", NULL, 0);
	unit_is("/system.slice/docker.service/inner.service", NULL, 0);
	unit_is("/user.slice/user-1000.slice/user@x.service/a.slice/"
	    "b.service", "b.service", 0);
	unit_is("/fish-test/x.scope", NULL, 0);
	unit_is("/system.slice/t\tab.service", NULL, 0);
	/* Not a unit's name: systemctl would take it as a pattern. */
	unit_is("/system.slice/x*.service", NULL, 0);
	unit_is("/system.slice/[ab].service", NULL, 0);
	unit_is("/system.slice/a b.service", NULL, 0);
	unit_is("/system.slice/it's.scope", NULL, 0);
	unit_is("/system.slice/getty@tty1.service", "getty@tty1.service", 0);

	layout("systemd", "/sys/fs/cgroup", 0);
	put_proc(60, "0::/system.slice/web.service\n");
	put("/sys/fs/cgroup/system.slice/web.service/cgroup.events",
	    "frozen 1\n");
	put("/sys/fs/cgroup/system.slice/web.service/cgroup.freeze", "1\n");
	frozen(60, "/system.slice/web.service", "systemctl thaw web.service, "
	    "or: echo 0 > /sys/fs/cgroup/system.slice/web.service/"
	    "cgroup.freeze", "a system unit");

	put_proc(61, "0::/user.slice/user-1000.slice/user@1000.service/"
	    "app.slice/run-a\\x2db.scope\n");
	put("/sys/fs/cgroup/user.slice/user-1000.slice/user@1000.service/"
	    "app.slice/run-a\\x2db.scope/cgroup.events", "frozen 1\n");
	put("/sys/fs/cgroup/user.slice/user-1000.slice/user@1000.service/"
	    "app.slice/run-a\\x2db.scope/cgroup.freeze", "1\n");
	frozen(61, "/user.slice/user-1000.slice/user@1000.service/app.slice/"
	    "run-a\\x2db.scope", "systemctl --user thaw 'run-a\\x2db.scope', "
	    "or: echo 0 > '/sys/fs/cgroup/user.slice/user-1000.slice/"
	    "user@1000.service/app.slice/run-a\\x2db.scope/cgroup.freeze'",
	    "a user manager's unit, its name's escape quoted");

	/* Named by hand, not as a unit can be: the echo alone. */
	put_proc(64, "0::/system.slice/it's.scope\n");
	put("/sys/fs/cgroup/system.slice/it's.scope/cgroup.events",
	    "frozen 1\n");
	put("/sys/fs/cgroup/system.slice/it's.scope/cgroup.freeze", "1\n");
	frozen(64, "/system.slice/it's.scope", "echo 0 > "
	    "'/sys/fs/cgroup/system.slice/it'\\''s.scope/cgroup.freeze'",
	    "a cgroup no unit can have");

	/* The cgroup keeps systemd's escape; systemctl gets the unit. */
	put_proc(63, "0::/system.slice/_cpu.service\n");
	put("/sys/fs/cgroup/system.slice/_cpu.service/cgroup.events",
	    "frozen 1\n");
	put("/sys/fs/cgroup/system.slice/_cpu.service/cgroup.freeze", "1\n");
	frozen(63, "/system.slice/_cpu.service", "systemctl thaw cpu.service, "
	    "or: echo 0 > /sys/fs/cgroup/system.slice/_cpu.service/"
	    "cgroup.freeze", "a unit whose cgroup systemd escaped");

	/* Frozen by its slice: the slice is what is thawed, by hand. */
	put_proc(62, "0::/system.slice/cold.slice/db.service\n");
	put("/sys/fs/cgroup/system.slice/cold.slice/db.service/cgroup.events",
	    "frozen 1\n");
	put("/sys/fs/cgroup/system.slice/cold.slice/cgroup.freeze", "1\n");
	frozen(62, "/system.slice/cold.slice", "echo 0 > "
	    "/sys/fs/cgroup/system.slice/cold.slice/cgroup.freeze",
	    "a unit frozen by its slice");
}

/* What is not looked at. */
static void
test_unknown(void)
{
	layout("unknown", "/sys/fs/cgroup", 0);
	not_frozen(40, "no such process");

	put_proc(41, "0::/../outside\n");
	put("/sys/fs/cgroup/outside/cgroup.events", "frozen 1\n");
	not_frozen(41, "a cgroup outside our namespace");

	put_proc(42, "0::/a/./b\n");
	not_frozen(42, "a path with a dot part");

	put_proc(43, "0::/\n");
	put("/sys/fs/cgroup/cgroup.events", "frozen 1\n");
	not_frozen(43, "the root cgroup");

	put_proc(44, "0::/nowhere\n");
	not_frozen(44, "no cgroup files");
}

/* Where we are in a cgroup namespace: a mount that shows it, or not. */
static void
test_namespace(void)
{
	char	pids[64];

	(void)snprintf(pids, sizeof pids, "%ld\n", (long)getpid());
	layout("inside", "/sys/fs/cgroup", 0);
	put("/proc/self/cgroup", "0::/me\n");
	put("/sys/fs/cgroup/me/cgroup.procs", pids);
	put_proc(50, "0::/l\n");
	put("/sys/fs/cgroup/l/cgroup.events", "frozen 1\n");
	put("/sys/fs/cgroup/l/cgroup.freeze", "1\n");
	frozen(50, "/l", "echo 0 > /sys/fs/cgroup/l/cgroup.freeze",
	    "we are in a cgroup of our own, the mount shows it");

	/* Seen from /ns, the host's mount: /l there is the host's /l. */
	layout("host-mount", "/sys/fs/cgroup", 1);
	put("/sys/fs/cgroup/cgroup.procs", "1\n");
	put("/sys/fs/cgroup/ns/cgroup.procs", pids);
	put_proc(51, "0::/l\n");
	put("/sys/fs/cgroup/l/cgroup.events", "frozen 1\n");
	put("/sys/fs/cgroup/l/cgroup.freeze", "1\n");
	put("/sys/fs/cgroup/ns/l/cgroup.events", "frozen 0\n");
	not_frozen(51, "a mount not of our cgroup namespace");

	put_proc(52, "6:freezer:/f\n0::/\n");
	put("/sys/fs/cgroup/freezer/cgroup.procs", "1\n");
	put("/sys/fs/cgroup/freezer/f/freezer.state", "FROZEN\n");
	not_frozen(52, "a v1 freezer mount not of our cgroup namespace");
}

int
main(void)
{
	char	template[] = "/tmp/fish-unit-freezer.XXXXXX";

	if ((base = mkdtemp(template)) == NULL) {
		ok(0, "mkdtemp: %s", strerror(errno));
		return (done_testing());
	}
	test_v2();
	test_hybrid();
	test_v1();
	test_docker();
	test_systemd();
	test_unknown();
	test_namespace();
	free(root);
	if (tree_remove(base) == -1)
		ok(0, "remove '%s': %s", base, strerror(errno));
	return (done_testing());
}
