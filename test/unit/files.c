/*
 * Unit tests for the budget of open files: how a limit is shared out
 * between hooks' connections, control clients and outbound sockets, and
 * that the shares never add up to more than the limit.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>

#include "files.h"
#include "tap.h"

/* A limit and --max-connections, and the shares expected of them. */
struct budget_case {
	const char	*name;
	uint64_t	 limit;
	uint64_t	 max_connections;
	uint64_t	 connections;
	size_t		 control;
	size_t		 outbound;
};

static const struct budget_case cases[] = {
	/* Low: half to connections, the rest shared. */
	{ "64 files", 64, 512, 32, FILES_CONTROL_MIN, 4 },
	/* All but FILES_RESERVE to connections, half the rest to clients. */
	{ "200 files", 200, 1000, 136, 20, 20 },
	/* So low that only the floors are left, one outbound socket still. */
	{ "32 files", 32, 512, 16, FILES_CONTROL_MIN, 1 },
	/* Plenty: --max-connections and the most clients. */
	{ "a million files", 1048576, 512, 512, FILES_CONTROL_MAX,
	    1048576 - 512 - FILES_OWN - FILES_CONTROL_MAX },
	/* No limit: nothing counted. */
	{ "no limit", 0, 512, 512, FILES_CONTROL_MAX, 0 },
};

/* Each case's shares, and that they fit in the limit with our own. */
static void
test_budget(void)
{
	const struct budget_case	*c;
	struct files			 f;
	size_t				 i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		c = &cases[i];
		files_budget(c->limit, c->max_connections, &f);
		ok(f.connections == c->connections, "%s: connections",
		    c->name);
		ok(f.control == c->control, "%s: control clients", c->name);
		ok(f.outbound == c->outbound, "%s: outbound sockets",
		    c->name);
		/* Below twice our own files, only the floors can be kept. */
		ok(c->limit < 2 * FILES_OWN || f.connections + f.control +
		    f.outbound + FILES_OWN <= c->limit, "%s: the shares fit",
		    c->name);
	}
}

int
main(void)
{
	test_budget();
	return (done_testing());
}
