/*
 * Unit tests for lib/escape.c: how strangers' bytes are shown (as cat -v
 * shows them, UTF-8 text kept), in a body and in one line.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "buffer.h"
#include "escape.h"
#include "tap.h"

/* Return len bytes of in as escape shows them.  Caller frees. */
static char *
shown(void (*escape)(struct buffer *, const void *, size_t), const char *in,
    size_t len)
{
	struct buffer	b;

	buffer_init(&b);
	escape(&b, in, len);
	buffer_add(&b, "", 1);
	return (buffer_detach(&b, NULL));
}

/* Check that len bytes of in are shown in a body as want. */
static void
escapes(const char *in, size_t len, const char *want, const char *name)
{
	char	*got = shown(escape_text, in, len);

	is_str(got, want, name);
	ok(escape_printable(in, len) == (strcmp(in, want) == 0 &&
	    strlen(in) == len), "%s: escape_printable agrees", name);
	free(got);
}

/* Check that len bytes of in are shown in one line as want. */
static void
escapes_line(const char *in, size_t len, const char *want, const char *name)
{
	char	*got = shown(escape_line, in, len);

	is_str(got, want, name);
	free(got);
}

/* Check that s is put in JSON as want. */
static void
json_text(const char *s, const char *want, const char *name)
{
	char	*got = escape_json_text(s);

	is_str(got, want, name);
	free(got);
}

int
main(void)
{
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

	escapes_line("a\nb\tc", 5, "a^Jb^Ic", "a line has newlines and tabs "
	    "escaped");
	escapes_line("'x\033]0;t\a\r'", 10, "'x^[]0;t^G^M'", "a line has "
	    "every other control escaped as a body has");
	escapes_line("h\xc3\xa9 \xc2\x9b", 6, "h\xc3\xa9 M-BM-^[",
	    "a line keeps UTF-8 text, not C1 controls");

	json_text("h\033[2J\xc2\x9b\n\x7f \xc3\xa9",
	    "h\033[2J\xc2\x9b\n\x7f \xc3\xa9", "JSON text keeps UTF-8 as data, controls and C1 too");
	json_text("h\033[2J\xff\n", "h^[[2JM-^?^J",
	    "JSON text not UTF-8 is shown as one line instead");
	json_text("\xc2", "M-B", "a JSON text cut mid-character");
	json_text("", "", "empty JSON text");
	return (done_testing());
}
