/*
 * Unit tests for the budget of open files: how a limit is shared out
 * between hooks' connections, control clients and outbound sockets, and
 * that the shares never add up to more than the limit from FILES_FIT_MIN
 * up.
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
	/* Just enough for the floors: one outbound socket still. */
	{ "58 files", 58, 512, 29, FILES_CONTROL_MIN, 1 },
	{ "57 files", 57, 512, 28, FILES_CONTROL_MIN, 1 },
	{ "60 files", 60, 512, 30, FILES_CONTROL_MIN, 2 },
	/* Lower: the floors kept, fewer connections, so that all fit. */
	{ "56 files", 56, 512, 27, FILES_CONTROL_MIN, 1 },
	{ "48 files", 48, 512, 19, FILES_CONTROL_MIN, 1 },
	{ "32 files", 32, 512, 3, FILES_CONTROL_MIN, 1 },
	/* Too low for anything to fit: one connection, the floors. */
	{ "20 files", 20, 512, 1, FILES_CONTROL_MIN, 1 },
	/* Plenty: --max-connections and the most clients. */
	{ "a million files", 1048576, 512, 512, FILES_CONTROL_MAX,
	    1048576 - 512 - FILES_OWN - FILES_CONTROL_MAX },
	/* No limit: nothing counted. */
	{ "no limit", 0, 512, 512, FILES_CONTROL_MAX, 0 },
};

static int	files_fit(const struct files *);

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
		ok(c->limit < FILES_FIT_MIN || files_fit(&f),
		    "%s: the shares fit", c->name);
	}
}

/* Tell whether a budget's shares and our own files fit in its limit. */
static int
files_fit(const struct files *f)
{
	return (f->connections >= 1 && f->control >= FILES_CONTROL_MIN &&
	    f->outbound >= 1 && f->connections + f->control + f->outbound +
	    FILES_OWN <= f->limit);
}

/* Every limit from 48 to 64, where the floors come close to the limit. */
static void
test_low(void)
{
	struct files	f;
	uint64_t	limit;

	for (limit = 48; limit <= 64; limit++) {
		files_budget(limit, 512, &f);
		ok(files_fit(&f), "%llu files: the shares fit",
		    (unsigned long long)limit);
	}
}

/* Every limit from FILES_FIT_MIN up, with few and many connections. */
static void
test_fit(void)
{
	struct files	f;
	uint64_t	limit, bad = 0;

	for (limit = FILES_FIT_MIN; limit <= 70000; limit++) {
		files_budget(limit, 512, &f);
		bad += !files_fit(&f);
		files_budget(limit, 65536, &f);
		bad += !files_fit(&f);
	}
	ok(bad == 0, "the shares fit from %d files up (%llu do not)",
	    FILES_FIT_MIN, (unsigned long long)bad);
}

int
main(void)
{
	test_budget();
	test_low();
	test_fit();
	return (done_testing());
}
