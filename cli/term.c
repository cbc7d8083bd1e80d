/*
 * Writing for a terminal (see term.h).
 *
 * Colours follow https://no-color.org: --color=always and --color=never
 * decide; otherwise colour only a terminal, never when NO_COLOR is set to
 * anything but the empty string, nor for TERM=dumb.
 *
 * Strangers' bytes are shown as cat -v shows them (^[ for ESC, ^? for DEL,
 * M-x for bytes above 127), except that newlines and tabs pass, and so do
 * well-formed UTF-8 characters other than the C1 controls U+0080-U+009F:
 * text in any script reads as it is, and no byte of a body can start an
 * escape sequence.
 */
#include "config.h"

#include <sys/ioctl.h>

#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "buffer.h"
#include "term.h"

/* Columns assumed when the terminal does not say. */
#define TERM_DEFAULT_WIDTH	80

/* Parse the value of --color; -1 if it is none of auto, always, never. */
int
term_colour_parse(const char *s, enum term_colour *mode)
{
	if (strcmp(s, "auto") == 0)
		*mode = TERM_COLOUR_AUTO;
	else if (strcmp(s, "always") == 0)
		*mode = TERM_COLOUR_ALWAYS;
	else if (strcmp(s, "never") == 0)
		*mode = TERM_COLOUR_NEVER;
	else
		return (-1);
	return (0);
}

/* Tell whether TERM says the terminal understands no escape sequences. */
int
term_dumb(void)
{
	const char	*s = getenv("TERM");

	return (s != NULL && strcmp(s, "dumb") == 0);
}

/* Tell whether to colour what goes to fd. */
int
term_colour(enum term_colour mode, int fd)
{
	const char	*s;

	if (mode != TERM_COLOUR_AUTO)
		return (mode == TERM_COLOUR_ALWAYS);
	s = getenv("NO_COLOR");
	if (s != NULL && *s != '\0')
		return (0);
	return (isatty(fd) && !term_dumb());
}

/*
 * Tell whether fd is a terminal this process may draw on: not one it was
 * put in the background of (fish wait ... &), where a status line would
 * land in the middle of someone else's output.
 */
int
term_foreground(int fd)
{
	pid_t	pgrp;

	if (!isatty(fd))
		return (0);
	pgrp = tcgetpgrp(fd);
	return (pgrp == -1 || pgrp == getpgrp());
}

/* Return the width of the terminal on fd in columns (80 when unknown). */
size_t
term_width(int fd)
{
	struct winsize	ws;

	if (ioctl(fd, TIOCGWINSZ, &ws) == -1 || ws.ws_col == 0)
		return (TERM_DEFAULT_WIDTH);
	return (ws.ws_col);
}

/* Return the length of the well-formed UTF-8 character at p, 0 if none. */
static size_t
term_utf8_char(const unsigned char *p, size_t len)
{
	size_t		n, i;
	unsigned int	cp, min;

	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		n = 2;
		cp = p[0] & 0x1f;
		min = 0x80;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		n = 3;
		cp = p[0] & 0x0f;
		min = 0x800;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		n = 4;
		cp = p[0] & 0x07;
		min = 0x10000;
	} else
		return (0);
	if (len < n)
		return (0);
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return (0);
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return (0);
	/* The C1 controls: some terminals take U+009B as CSI. */
	if (cp <= 0x9f)
		return (0);
	return (n);
}

/* Add one byte to b as cat -v shows it. */
static void
term_escape_byte(struct buffer *b, unsigned char c)
{
	char	text[4];
	size_t	n = 0;

	if (c >= 0x80) {
		text[n++] = 'M';
		text[n++] = '-';
		c &= 0x7f;
	}
	if (c < 0x20) {
		text[n++] = '^';
		text[n++] = (char)(c + 0x40);
	} else if (c == 0x7f) {
		text[n++] = '^';
		text[n++] = '?';
	} else
		text[n++] = (char)c;
	buffer_add(b, text, n);
}

/* Return how many bytes at p term_escape passes as they are. */
static size_t
term_clean_span(const unsigned char *p, const unsigned char *end)
{
	const unsigned char	*start = p;
	size_t			 n;

	while (p < end) {
		if ((*p >= 0x20 && *p < 0x7f) || *p == '\n' || *p == '\t')
			p++;
		else if (*p >= 0x80 && (n = term_utf8_char(p, end - p)) != 0)
			p += n;
		else
			break;
	}
	return (p - start);
}

/* Tell whether data has nothing term_escape would escape. */
int
term_printable(const void *data, size_t len)
{
	return (term_clean_span(data, (const unsigned char *)data + len) ==
	    len);
}

/* Add data to b with every control character escaped (see above). */
void
term_escape(struct buffer *b, const void *data, size_t len)
{
	const unsigned char	*p = data, *end = p + len;
	size_t			 n;

	while (p < end) {
		n = term_clean_span(p, end);
		buffer_add(b, p, n);
		p += n;
		if (p < end)
			term_escape_byte(b, *p++);
	}
}

/*
 * Return the colour of an HTTP status: 2xx green, 3xx cyan, 4xx yellow, 5xx
 * and anything else (no answer) red.
 */
const char *
term_status_colour(long long status)
{
	if (status >= 200 && status <= 299)
		return (TERM_GREEN);
	if (status >= 300 && status <= 399)
		return (TERM_CYAN);
	if (status >= 400 && status <= 499)
		return (TERM_YELLOW);
	return (TERM_RED);
}
