/*
 * curl's request options for fish send (see curlopt.h).  Each function
 * returns an exit status: EXIT_OK, or with *cause set to one line saying
 * what is wrong EXIT_FAILED for a file that cannot be read (as with
 * --data @FILE) and EXIT_USAGE for a malformed option.
 */
#include "config.h"

#include <sys/random.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <termios.h>
#include <unistd.h>

#include "base64.h"
#include "buffer.h"
#include "curlopt.h"
#include "output.h"
#include "proto.h"
#include "xmalloc.h"

/* What curl guesses for a file's type by its name (-F name=@file). */
static const struct {
	const char	*extension;
	const char	*type;
} curlopt_types[] = {
	{ ".gif", "image/gif" },
	{ ".jpg", "image/jpeg" },
	{ ".jpeg", "image/jpeg" },
	{ ".png", "image/png" },
	{ ".svg", "image/svg+xml" },
	{ ".txt", "text/plain" },
	{ ".htm", "text/html" },
	{ ".html", "text/html" },
	{ ".pdf", "application/pdf" },
	{ ".xml", "application/xml" },
};

/*
 * Read a whole file (or stdin for "-"), at most the largest body.  Return
 * it with its length, or NULL with *cause naming the file and why.
 */
static char *
curlopt_read(const char *path, size_t *len, char **cause)
{
	char	*data;
	int	 fd;

	if (strcmp(path, "-") == 0)
		fd = STDIN_FILENO;
	else if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		return (NULL);
	}
	if ((data = read_all(fd, PROTO_PAYLOAD_MAX, len)) == NULL)
		xasprintf(cause, "%s: %s", fd == STDIN_FILENO ? "stdin" : path,
		    errno == EFBIG ? "larger than the largest body" :
		    strerror(errno));
	if (fd != STDIN_FILENO)
		close(fd);
	return (data);
}

/*
 * Ask for the password of user on the terminal, without echo, as curl
 * does.  Return "USER:PASSWORD", or NULL when there is no terminal to ask
 * on (a script's stdin) or nothing could be read.
 */
static char *
curlopt_ask(const char *user)
{
	struct termios	 saved, quiet;
	char		 password[1024], *both = NULL, c;
	size_t		 len = 0;
	ssize_t		 n;
	int		 fd;

	if (!isatty(STDIN_FILENO) ||
	    (fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY)) == -1)
		return (NULL);
	if (tcgetattr(fd, &saved) == -1)
		goto done;
	quiet = saved;
	quiet.c_lflag &= ~(tcflag_t)ECHO;
	/*
	 * Echo off before the prompt shows, and without flushing: whatever
	 * is typed once the prompt is seen is read, never echoed or lost.
	 */
	if (tcsetattr(fd, TCSANOW, &quiet) == -1)
		goto done;
	(void)dprintf(fd, "Enter host password for user '%s':", user);
	while ((n = read(fd, &c, 1)) == 1 && c != '\n' && c != '\r') {
		if (len < sizeof password - 1)
			password[len++] = c;
	}
	(void)tcsetattr(fd, TCSANOW, &saved);
	(void)write_all(fd, "\n", 1);
	if (n == 1)
		xasprintf(&both, "%s:%.*s", user, (int)len, password);
	explicit_bzero(password, sizeof password);
done:
	close(fd);
	return (both);
}

/*
 * -u USER:PASSWORD: add the Basic Authorization header curl would send,
 * unless one is given (curl's own header wins, as with curl), and blank
 * the password in arg so that ps no longer shows it.  A user without a
 * password is asked for it on a terminal, as curl asks; in a script
 * (stdin not a terminal) that is a usage error, never a wait.
 */
int
curlopt_user(struct items *items, char *arg, char **cause)
{
	char	*colon, *encoded, *line, *asked = NULL;
	int	 ret;

	if ((colon = strchr(arg, ':')) == NULL) {
		if ((asked = curlopt_ask(arg)) == NULL) {
			xasprintf(cause, "-u needs USER:PASSWORD when stdin is "
			    "not a terminal to ask on");
			return (EXIT_USAGE);
		}
		arg = asked;
		colon = strchr(arg, ':');
	}
	if (items_has_header(items, "Authorization")) {
		explicit_bzero(colon + 1, strlen(colon + 1));
		free(asked);
		return (EXIT_OK);
	}
	encoded = base64_encode(arg, strlen(arg));
	explicit_bzero(colon + 1, strlen(colon + 1));
	free(asked);
	xasprintf(&line, "Authorization: Basic %s", encoded);
	ret = items_add_header(items, line, cause) == 0 ? EXIT_OK : EXIT_USAGE;
	explicit_bzero(encoded, strlen(encoded));
	explicit_bzero(line, strlen(line));
	free(encoded);
	free(line);
	return (ret);
}

/*
 * -H @FILE (or @- for stdin): add the headers of a file, one a line, as
 * curl reads them (line ends CR, LF or both; blank lines skipped).
 */
int
curlopt_header_file(struct items *items, const char *path, char **cause)
{
	char	*data, *line, *end;
	size_t	 len;
	int	 ret = EXIT_USAGE;

	if ((data = curlopt_read(path, &len, cause)) == NULL)
		return (EXIT_FAILED);
	if (memchr(data, '\0', len) != NULL) {
		xasprintf(cause, "%s: a NUL byte in a header file", path);
		goto fail;
	}
	for (line = data; *line != '\0'; line = end) {
		end = line + strcspn(line, "\r\n");
		if (end != line) {
			if (*end != '\0')
				*end++ = '\0';
			if (items_add_header(items, line, cause) != 0)
				goto fail;
		} else
			end++;
	}
	ret = EXIT_OK;
fail:
	free(data);
	return (ret);
}

/*
 * Add data percent-encoded as curl's --data-urlencode does: all but
 * A-Za-z0-9-._~, and a space as "+".
 */
static void
curlopt_escape(struct buffer *b, const char *data, size_t len)
{
	static const char	 hex[] = "0123456789ABCDEF";
	unsigned char		 c;
	char			 code[3];
	size_t			 i;

	for (i = 0; i < len; i++) {
		c = (unsigned char)data[i];
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		    c == '_' || c == '~') {
			buffer_add(b, &data[i], 1);
			continue;
		}
		if (c == ' ') {
			buffer_add(b, "+", 1);
			continue;
		}
		code[0] = '%';
		code[1] = hex[c >> 4];
		code[2] = hex[c & 15];
		buffer_add(b, code, 3);
	}
}

/*
 * --data-urlencode SPEC: add one part to an urlencoded body, after an "&"
 * when it is not the first, in curl's five forms: "content", "=content",
 * "name=content", "@file" and "name@file"; only content is encoded.
 */
int
curlopt_urlencode(struct buffer *body, const char *spec, char **cause)
{
	const char	*equals, *at, *content;
	char		*data;
	size_t		 name_len, len;

	equals = strchr(spec, '=');
	at = strchr(spec, '@');
	if (buffer_unread(body) > 0)
		buffer_add(body, "&", 1);
	if (at != NULL && (equals == NULL || at < equals)) {
		name_len = (size_t)(at - spec);
		if ((data = curlopt_read(at + 1, &len, cause)) == NULL)
			return (EXIT_FAILED);
		if (name_len > 0) {
			buffer_add(body, spec, name_len);
			buffer_add(body, "=", 1);
		}
		curlopt_escape(body, data, len);
		free(data);
		return (EXIT_OK);
	}
	content = spec;
	if (equals != NULL) {
		name_len = (size_t)(equals - spec);
		if (name_len > 0) {
			buffer_add(body, spec, name_len);
			buffer_add(body, "=", 1);
		}
		content = equals + 1;
	}
	curlopt_escape(body, content, strlen(content));
	return (EXIT_OK);
}

/* Make a multipart boundary as curl does: dashes, then random hex. */
void
curlopt_boundary(char *out, size_t size)
{
	static const char	 hex[] = "0123456789abcdef";
	unsigned char		 r[12];
	size_t			 i;

	if (getrandom(r, sizeof r, 0) != sizeof r)
		memset(r, 0x5a, sizeof r);	/* any boundary will do */
	(void)snprintf(out, size, "------------------------");
	for (i = 0; i < sizeof r && strlen(out) + 3 <= size; i++) {
		out[24 + 2 * i] = hex[r[i] >> 4];
		out[24 + 2 * i + 1] = hex[r[i] & 15];
		out[24 + 2 * i + 2] = '\0';
	}
}

/* Add a quoted string of a Content-Disposition, with \ before " and \. */
static void
curlopt_quoted(struct buffer *b, const char *s, size_t len)
{
	size_t	i;

	buffer_add(b, "\"", 1);
	for (i = 0; i < len; i++) {
		if (s[i] == '"' || s[i] == '\\')
			buffer_add(b, "\\", 1);
		buffer_add(b, &s[i], 1);
	}
	buffer_add(b, "\"", 1);
}

/* Return curl's guess of a file's type from its name. */
static const char *
curlopt_type(const char *name)
{
	size_t	i, len = strlen(name), elen;

	for (i = 0; i < sizeof curlopt_types / sizeof curlopt_types[0]; i++) {
		elen = strlen(curlopt_types[i].extension);
		if (len > elen && strcasecmp(name + len - elen,
		    curlopt_types[i].extension) == 0)
			return (curlopt_types[i].type);
	}
	return ("application/octet-stream");
}

/*
 * -F SPEC: add one part of a multipart/form-data body: name=value, a
 * file's content as an upload (name=@file, with ;type=TYPE and
 * ;filename=NAME as curl takes them) or as a plain value (name=<file).
 */
int
curlopt_form(struct buffer *body, const char *boundary, const char *spec,
    char **cause)
{
	const char	*equals, *value, *type = NULL, *filename = NULL, *p;
	char		*path = NULL, *data = NULL, *semi;
	size_t		 len;
	int		 upload = 0, ret = EXIT_USAGE;

	if ((equals = strchr(spec, '=')) == NULL || equals == spec) {
		xasprintf(cause, "invalid -F '%s' (use name=value, name=@file "
		    "or name=<file)", spec);
		return (EXIT_USAGE);
	}
	if (strcspn(spec, "\r\n") != strlen(spec)) {
		xasprintf(cause, "invalid -F: a line break in a part");
		return (EXIT_USAGE);
	}
	value = equals + 1;
	if (*value == '@' || *value == '<') {
		upload = *value == '@';
		path = xstrdup(value + 1);
		/* ;type= and ;filename= after the file name, as curl reads. */
		while (upload && (semi = strrchr(path, ';')) != NULL) {
			if (strncmp(semi, ";type=", 6) == 0 && type == NULL)
				type = value + 1 + (semi - path) + 6;
			else if (strncmp(semi, ";filename=", 10) == 0 &&
			    filename == NULL)
				filename = value + 1 + (semi - path) + 10;
			else
				break;
			*semi = '\0';
		}
		if ((data = curlopt_read(path, &len, cause)) == NULL) {
			ret = EXIT_FAILED;
			goto fail;
		}
		if (filename == NULL) {
			filename = (p = strrchr(path, '/')) != NULL ? p + 1 :
			    path;
		}
		if (type == NULL)
			type = curlopt_type(filename);
	} else {
		data = xstrdup(value);
		len = strlen(value);
	}
	if (buffer_unread(body) + len > PROTO_PAYLOAD_MAX) {
		xasprintf(cause, "-F: the form is larger than the largest body");
		ret = EXIT_FAILED;
		goto fail;
	}
	buffer_printf(body, "--%s\r\nContent-Disposition: form-data; name=",
	    boundary);
	curlopt_quoted(body, spec, (size_t)(equals - spec));
	if (upload) {
		buffer_add_str(body, "; filename=");
		curlopt_quoted(body, filename, strcspn(filename, ";"));
		buffer_printf(body, "\r\nContent-Type: %.*s",
		    (int)strcspn(type, ";"), type);
	}
	buffer_add_str(body, "\r\n\r\n");
	buffer_add(body, data, len);
	buffer_add_str(body, "\r\n");
	ret = EXIT_OK;
fail:
	free(path);
	free(data);
	return (ret);
}

/* End a multipart body. */
void
curlopt_form_end(struct buffer *body, const char *boundary)
{
	buffer_printf(body, "--%s--\r\n", boundary);
}

/*
 * Pick the proxy for url as curl would from the environment of this
 * command: http_proxy for http (never HTTP_PROXY, which a CGI request can
 * set), https_proxy or HTTPS_PROXY for https, else all_proxy or
 * ALL_PROXY; hosts reached directly from no_proxy or NO_PROXY.  What the
 * flags gave (*proxy, *noproxy not NULL) stays.  An empty value is no
 * proxy.
 */
void
curlopt_proxy(const char *url, const char **proxy, const char **noproxy)
{
	const char	*s = NULL;

	if (*proxy == NULL) {
		if (strncasecmp(url, "https:", 6) == 0) {
			if ((s = getenv("https_proxy")) == NULL)
				s = getenv("HTTPS_PROXY");
		} else
			s = getenv("http_proxy");
		if (s == NULL && (s = getenv("all_proxy")) == NULL)
			s = getenv("ALL_PROXY");
		*proxy = s;
	}
	if (*proxy != NULL && **proxy == '\0')
		*proxy = NULL;
	if (*noproxy == NULL && (*noproxy = getenv("no_proxy")) == NULL)
		*noproxy = getenv("NO_PROXY");
	if (*noproxy != NULL && **noproxy == '\0')
		*noproxy = NULL;
}

/*
 * Add the proxy for url to a control request, as member key, with the
 * hosts reached without it as "noproxy": those of the flags (proxy,
 * noproxy, or NULL) else of the environment (curlopt_proxy).
 */
void
curlopt_proxy_add(struct json_object *request, const char *key,
    const char *url, const char *proxy, const char *noproxy)
{
	curlopt_proxy(url, &proxy, &noproxy);
	if (proxy != NULL)
		json_object_object_add(request, key,
		    json_object_new_string(proxy));
	if (noproxy != NULL)
		json_object_object_add(request, "noproxy",
		    json_object_new_string(noproxy));
}
