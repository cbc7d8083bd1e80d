/*
 * Unit tests for cli/term.c: how strangers' bytes are shown on a terminal
 * (as cat -v shows them, UTF-8 text kept), --color values and the colour
 * of each class of HTTP status.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "buffer.h"
#include "tap.h"
#include "term.h"

/* Check that len bytes of in are shown as want. */
static void
escapes(const char *in, size_t len, const char *want, const char *name)
{
	struct buffer	 b;
	char		*got;

	buffer_init(&b);
	term_escape(&b, in, len);
	buffer_add(&b, "", 1);
	got = buffer_detach(&b, NULL);
	is_str(got, want, name);
	ok(term_printable(in, len) == (strcmp(in, want) == 0 &&
	    strlen(in) == len), "%s: term_printable agrees", name);
	free(got);
}

int
main(void)
{
	enum term_colour	mode;

	escapes("plain text\n\twith tab", 20, "plain text\n\twith tab",
	    "printable ASCII, newlines and tabs pass");
	escapes("\033[31mred\033[0m", 12, "^[[31mred^[[0m",
	    "escape sequences are shown, not sent");
	escapes("\a\b\r\x7f", 4, "^G^H^M^?", "C0 controls and DEL");
	escapes("a\0b", 3, "a^@b", "NUL");
	escapes("h\xc3\xa9llo \xe2\x9c\x93 \xf0\x9f\x90\x9f", 15,
	    "h\xc3\xa9llo \xe2\x9c\x93 \xf0\x9f\x90\x9f",
	    "UTF-8 text of 2, 3 and 4 bytes passes");
	escapes("\xc2\x9b" "2J", 4, "M-BM-^[2J",
	    "a C1 control (U+009B, CSI) is escaped");
	escapes("\xc2\xa0", 2, "\xc2\xa0", "U+00A0, just past C1, passes");
	escapes("\xff\xfe", 2, "M-^?M-~", "bytes that are never UTF-8");
	escapes("\xc3", 1, "M-C", "a sequence cut short");
	escapes("\xe2\x9c", 2, "M-bM-^\\", "a 3-byte sequence cut short");
	escapes("\xc0\xaf", 2, "M-@M-/", "an overlong form");
	escapes("\xed\xa0\x80", 3, "M-mM- M-^@", "a surrogate");
	escapes("\xf4\x90\x80\x80", 4, "M-tM-^PM-^@M-^@", "past U+10FFFF");
	escapes("\x9b", 1, "M-^[", "a lone 8-bit CSI");
	escapes("", 0, "", "nothing");

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
