/*
 * Reading and writing whole streams, and the encodings fish prints.
 *
 * Everything fish prints on stdout goes through write_all, unbuffered, so a
 * command knows whether its output was written before it tells the listener
 * (wait acknowledges a message only then) and binary bodies pass unchanged.
 * A command that prints strangers' bytes to a terminal first turns on
 * output_escape, so that output_write shows control characters escaped.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "escape.h"
#include "fish.h"
#include "output.h"
#include "xmalloc.h"

/* Whether output_write escapes control characters (see escape_text). */
static int	output_escaping;

/* Escape control characters in what output_write writes from now on. */
void
output_escape(int on)
{
	output_escaping = on;
}

/* Write data to stdout, escaped if output_escape said so; -1 with errno. */
int
output_write(const void *data, size_t len)
{
	struct buffer	b;
	int		ret;

	if (!output_escaping)
		return (write_all(STDOUT_FILENO, data, len));
	buffer_init(&b);
	escape_text(&b, data, len);
	ret = write_all(STDOUT_FILENO, buffer_peek(&b), buffer_unread(&b));
	buffer_release(&b);
	return (ret);
}

/* Format text and write it to stdout; -1 with errno. */
int
output_printf(const char *fmt, ...)
{
	va_list	 ap;
	char	*s;
	int	 n, ret;

	va_start(ap, fmt);
	n = xvasprintf(&s, fmt, ap);
	va_end(ap);
	ret = output_write(s, (size_t)n);
	free(s);
	return (ret);
}

/*
 * Print rows of cells (rows * columns of them, the first row the
 * headings) as a table aligned on the widest cell of each column, and
 * free them.  Return 0, or -1 with errno.
 */
int
output_table(char **cells, size_t rows, size_t columns)
{
	struct buffer	  b;
	size_t		 *width, i, column;
	int		  ret;

	width = xcalloc(columns, sizeof *width);
	for (i = 0; i < rows * columns; i++) {
		if (strlen(cells[i]) > width[i % columns])
			width[i % columns] = strlen(cells[i]);
	}
	buffer_init(&b);
	for (i = 0; i < rows * columns; i++) {
		column = i % columns;
		if (column == columns - 1)
			buffer_printf(&b, "%s\n", cells[i]);
		else
			buffer_printf(&b, "%-*s  ", (int)width[column],
			    cells[i]);
		free(cells[i]);
	}
	free(cells);
	free(width);
	ret = write_all(STDOUT_FILENO, buffer_peek(&b), buffer_unread(&b));
	buffer_release(&b);
	return (ret);
}

/* Write a JSON value to stdout as one compact line; -1 with errno. */
int
output_json(struct json_object *o)
{
	const char	*s;
	size_t		 len;

	s = json_object_to_json_string_length(o,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	return (output_printf("%.*s\n", (int)len, s));
}

/*
 * Read fd to its end.  Return the data, NUL-terminated for convenience, and
 * its length in *len; NULL with errno on failure (EFBIG past max bytes).
 */
char *
read_all(int fd, size_t max, size_t *len)
{
	char	*data = NULL;
	size_t	 used = 0, size = 0;
	ssize_t	 n;

	for (;;) {
		if (size - used < 4096) {
			size = size == 0 ? 65536 : size * 2;
			data = xrealloc(data, size);
		}
		n = read(fd, data + used, size - used - 1);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		if (n == 0)
			break;
		used += (size_t)n;
		if (used > max) {
			errno = EFBIG;
			goto fail;
		}
	}
	data[used] = '\0';
	*len = used;
	return (data);
fail:
	free(data);
	return (NULL);
}

/*
 * Tell whether data is well-formed UTF-8: no overlong forms, no surrogates,
 * nothing above U+10FFFF.
 */
int
utf8_valid(const void *data, size_t len)
{
	const unsigned char	*p = data, *end = p + len;
	unsigned char		 c;
	size_t			 follow, i;
	uint32_t		 cp, min;

	while (p < end) {
		c = *p++;
		if (c < 0x80)
			continue;
		if (c >= 0xc2 && c <= 0xdf) {
			follow = 1;
			cp = c & 0x1f;
			min = 0x80;
		} else if (c >= 0xe0 && c <= 0xef) {
			follow = 2;
			cp = c & 0x0f;
			min = 0x800;
		} else if (c >= 0xf0 && c <= 0xf4) {
			follow = 3;
			cp = c & 0x07;
			min = 0x10000;
		} else
			return (0);
		if ((size_t)(end - p) < follow)
			return (0);
		for (i = 0; i < follow; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return (0);
			cp = (cp << 6) | (p[i] & 0x3f);
		}
		p += follow;
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return (0);
	}
	return (1);
}

/*
 * Add a message's body to its JSON envelope: "body" when it is text (UTF-8
 * without NUL), else "body_base64".
 */
void
envelope_with_body(struct json_object *msg, const void *body, size_t len)
{
	char	*encoded;

	if (len == 0) {
		json_object_object_add(msg, "body", json_object_new_string(""));
		return;
	}
	if (memchr(body, '\0', len) == NULL && utf8_valid(body, len)) {
		json_object_object_add(msg, "body",
		    json_object_new_string_len(body, (int)len));
		return;
	}
	encoded = base64_encode(body, len);
	json_object_object_add(msg, "body_base64",
	    json_object_new_string(encoded));
	free(encoded);
}

/*
 * Read a body given as TEXT, @FILE or @- (stdin), binary-safe, at most max
 * bytes.  Return it allocated with its length, or NULL after printing why
 * (who names the command).
 */
char *
read_body(const char *who, const char *spec, size_t max, size_t *len)
{
	const char	*path = spec + 1;
	char		*data;
	int		 fd;

	if (*spec != '@') {
		*len = strlen(spec);
		if (*len > max) {
			fish_warnx("%s: body larger than %zu KiB", who, max >> 10);
			return (NULL);
		}
		return (xstrdup(spec));
	}
	if (strcmp(path, "-") == 0) {
		path = "stdin";
		fd = STDIN_FILENO;
	} else if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		fish_warn("%s: %s", who, path);
		return (NULL);
	}
	data = read_all(fd, max, len);
	if (data == NULL && errno == EFBIG)
		fish_warnx("%s: %s: body larger than %zu KiB", who, path,
		    max >> 10);
	else if (data == NULL)
		fish_warn("%s: %s", who, path);
	if (fd != STDIN_FILENO)
		close(fd);
	return (data);
}
