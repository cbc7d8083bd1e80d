/*
 * Showing strangers' bytes (see escape.h).
 *
 * Bytes are shown as cat -v shows them (^[ for ESC, ^? for DEL, M-x for
 * bytes above 127), except that well-formed UTF-8 characters other than
 * the C1 controls U+0080-U+009F pass: text in any script reads as it is,
 * and no byte can start an escape sequence.  Bodies (escape_text) keep
 * their newlines and tabs; a line (escape_line: error and log lines) has
 * them escaped too (^J, ^I), so that a name holding a newline cannot make
 * one error two lines, nor forge a second one.
 */
#include "config.h"

#include <stddef.h>
#include <string.h>

#include "buffer.h"
#include "escape.h"

/* Return the length of the well-formed UTF-8 character at p, 0 if none. */
static size_t
escape_utf8_len(const unsigned char *p, size_t len)
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
	return (n);
}

/*
 * Return the length of the UTF-8 character at p if it passes as it is: 0
 * if it is not well-formed, or is a C1 control (some terminals take
 * U+009B as CSI).
 */
static size_t
escape_utf8_char(const unsigned char *p, size_t len)
{
	size_t	n = escape_utf8_len(p, len);

	if (n == 2 && p[0] == 0xc2 && p[1] <= 0x9f)
		return (0);
	return (n);
}

/* Add one byte to b as cat -v shows it. */
static void
escape_byte(struct buffer *b, unsigned char c)
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

/*
 * Return how many bytes at p pass as they are: newlines and tabs among
 * them unless line says one line must stay one.
 */
static size_t
escape_clean_span(const unsigned char *p, const unsigned char *end, int line)
{
	const unsigned char	*start = p;
	size_t			 n;

	while (p < end) {
		if ((*p >= 0x20 && *p < 0x7f) ||
		    (!line && (*p == '\n' || *p == '\t')))
			p++;
		else if (*p >= 0x80 && (n = escape_utf8_char(p, end - p)) != 0)
			p += n;
		else
			break;
	}
	return (p - start);
}

/* Add data to b with what escape_clean_span does not pass escaped. */
static void
escape_add(struct buffer *b, const void *data, size_t len, int line)
{
	const unsigned char	*p = data, *end = p + len;
	size_t			 n;

	while (p < end) {
		n = escape_clean_span(p, end, line);
		buffer_add(b, p, n);
		p += n;
		if (p < end)
			escape_byte(b, *p++);
	}
}

/* Tell whether data has nothing escape_text would escape. */
int
escape_printable(const void *data, size_t len)
{
	return (escape_clean_span(data, (const unsigned char *)data + len,
	    0) == len);
}

/* Add a body's data to b with every control character but \n, \t escaped. */
void
escape_text(struct buffer *b, const void *data, size_t len)
{
	escape_add(b, data, len, 0);
}

/* Add data to b as (part of) one line: every control character escaped. */
void
escape_line(struct buffer *b, const void *data, size_t len)
{
	escape_add(b, data, len, 1);
}

/*
 * Return s as it is when it is UTF-8 (control characters and all), else
 * as escape_line shows it; caller frees.  For a stranger's text put in a
 * JSON string for machines: JSON holds UTF-8 only (json-c would write the
 * other bytes raw, and readers would reject the whole document), while
 * well-formed text stays data, escaped by whoever prints it on a terminal.
 */
char *
escape_json_text(const char *s)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 len = strlen(s), i = 0, n;
	struct buffer		 b;

	while (i < len) {
		if (p[i] < 0x80)
			i++;
		else if ((n = escape_utf8_len(p + i, len - i)) != 0)
			i += n;
		else
			break;
	}
	buffer_init(&b);
	if (i == len)
		buffer_add(&b, s, len);
	else
		escape_line(&b, s, len);
	return (buffer_detach(&b, NULL));
}
