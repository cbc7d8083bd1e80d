/*
 * A redis-server of a unit test's own (test/unit/redis.c, store-redis.c):
 * started in a directory of its own with test/helpers/redis-start,
 * SIGKILLed with redis-stop -KILL and restarted on its port with its
 * data, stopped with redis-stop.  Without redis-server a test skips.
 */
#ifndef REDIS_SERVER_H
#define REDIS_SERVER_H

#include <sys/wait.h>

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "xmalloc.h"

static char	 dir[] = "/tmp/fish-redis-XXXXXX";
static char	 helpers[1024];
static int	 port;
static pid_t	 server_pid;
static char	 sock[256];

/* Run the helper script name with dir; return its exit status. */
static inline int
helper(const char *name, const char *flag, char *out, size_t len)
{
	FILE	*f;
	char	*cmd;
	int	 status;

	xasprintf(&cmd, "'%s/%s' %s '%s'", helpers, name, flag, dir);
	f = popen(cmd, "r");
	free(cmd);
	if (f == NULL)
		return (-1);
	if (out != NULL && fgets(out, (int)len, f) == NULL)
		out[0] = '\0';
	status = pclose(f);
	return (WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

/* Start (or restart) the server; 77 when there is none to start. */
static inline int
server_start(void)
{
	char	line[512];
	int	pid, r;

	if ((r = helper("redis-start", "", line, sizeof line)) != 0)
		return (r);
	if (sscanf(line, "%d %d %255s", &port, &pid, sock) != 3)
		return (-1);
	server_pid = pid;
	return (0);
}

/*
 * Make the test's directory and start its server: 0, 77 when there is
 * no redis-server (the caller prints the skip), or -1.
 */
static inline int
server_setup(void)
{
	const char	*src = getenv("FISH_SRC_DIR");
	int		 r;

	snprintf(helpers, sizeof helpers, "%s/test/helpers",
	    src != NULL ? src : FISH_TEST_SRCDIR);
	if (mkdtemp(dir) == NULL)
		return (-1);
	if ((r = server_start()) == 77)
		rmdir(dir);
	return (r);
}

/* Stop the server and remove the test's directory. */
static inline void
server_teardown(void)
{
	char	*cmd;

	helper("redis-stop", "", NULL, 0);
	xasprintf(&cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
	free(cmd);
}

#endif
