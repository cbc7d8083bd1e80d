/*
 * Unit tests for cli/term.c: --color values and the colour of each class
 * of HTTP status.
 */
#include "config.h"

#include "tap.h"
#include "term.h"

int
main(void)
{
	enum term_colour	mode;

	ok(term_colour_parse("auto", &mode) == 0 && mode == TERM_COLOUR_AUTO,
	    "--color=auto");
	ok(term_colour_parse("always", &mode) == 0 &&
	    mode == TERM_COLOUR_ALWAYS, "--color=always");
	ok(term_colour_parse("never", &mode) == 0 && mode == TERM_COLOUR_NEVER,
	    "--color=never");
	ok(term_colour_parse("yes", &mode) == -1, "--color=yes is refused");
	ok(term_colour(TERM_COLOUR_ALWAYS, -1) == 1, "always colours anything");
	ok(term_colour(TERM_COLOUR_NEVER, -1) == 0, "never colours nothing");
	ok(term_colour(TERM_COLOUR_AUTO, -1) == 0, "auto: no terminal, no colour");

	is_str(term_status_colour(204), TERM_GREEN, "2xx is green");
	is_str(term_status_colour(302), TERM_CYAN, "3xx is cyan");
	is_str(term_status_colour(404), TERM_YELLOW, "4xx is yellow");
	is_str(term_status_colour(503), TERM_RED, "5xx is red");
	is_str(term_status_colour(0), TERM_RED, "no status is red");
	return (done_testing());
}
