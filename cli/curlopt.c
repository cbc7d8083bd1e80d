/*
 * curl's request options for fish send (see curlopt.h).  Each function
 * returns an exit status: EXIT_OK, or with *cause set to one line saying
 * what is wrong EXIT_FAILED for a file that cannot be read (as with
 * --data @FILE) and EXIT_USAGE for a malformed option.
 */
#include "config.h"

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

/*
 * Read a whole file (or stdin for "-"), at most the largest body.  Return
 * it with its length, or NULL with *cause naming the file and why.
 */
char *
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
 * does (kind is "host" or "proxy").  Return "USER:PASSWORD", or NULL when
 * there is no terminal to ask on (a script's stdin) or nothing could be
 * read.
 */
static char *
curlopt_ask(const char *kind, const char *user)
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
	(void)dprintf(fd, "Enter %s password for user '%s':", kind, user);
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
 * Take USER:PASSWORD of -u or --proxy-user (flag) from arg: return a copy
 * in *both, to be wiped and freed, and blank the password in arg so that
 * ps no longer shows it.  A user without a password is asked for it on a
 * terminal, as curl asks; in a script (stdin not a terminal) that is a
 * usage error, never a wait.
 */
static int
curlopt_credentials(char *arg, const char *flag, const char *kind,
    char **both, char **cause)
{
	char	*colon;

	if ((colon = strchr(arg, ':')) == NULL) {
		if ((*both = curlopt_ask(kind, arg)) == NULL) {
			xasprintf(cause, "%s needs USER:PASSWORD when stdin is "
			    "not a terminal to ask on", flag);
			return (EXIT_USAGE);
		}
		return (EXIT_OK);
	}
	*both = xstrdup(arg);
	explicit_bzero(colon + 1, strlen(colon + 1));
	return (EXIT_OK);
}

/* Wipe and free what curlopt_credentials returned. */
static void
curlopt_wipe(char *s)
{
	if (s != NULL) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

/*
 * -u USER:PASSWORD: add the Basic Authorization header curl would send,
 * unless one is given (curl's own header wins, as with curl); the
 * password is taken as curlopt_credentials says.
 */
int
curlopt_user(struct items *items, char *arg, char **cause)
{
	char	*both, *encoded, *line;
	int	 ret;

	if ((ret = curlopt_credentials(arg, "-u", "host", &both, cause)) !=
	    EXIT_OK)
		return (ret);
	if (items_has_header(items, "Authorization")) {
		curlopt_wipe(both);
		return (EXIT_OK);
	}
	encoded = base64_encode(both, strlen(both));
	curlopt_wipe(both);
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
 * --data-urlencode SPEC: add one part to an urlencoded body, in curl's
 * five forms: "content", "=content", "name=content", "@file" and
 * "name@file"; only content is encoded.
 */
int
curlopt_urlencode(struct buffer *body, const char *spec, char **cause)
{
	const char	*equals, *at, *content;
	char		*data;
	size_t		 name_len, len;

	equals = strchr(spec, '=');
	at = strchr(spec, '@');
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

/*
 * Pick the proxy for url as curl would from the environment of this
 * command: http_proxy for http (never HTTP_PROXY, which a CGI request can
 * set), https_proxy or HTTPS_PROXY for https, else all_proxy or
 * ALL_PROXY; hosts reached directly from no_proxy or NO_PROXY.  What the
 * flags gave (*proxy, *noproxy not NULL) stays.  An empty value is no
 * proxy.
 */
static void
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
 * Take a proxy option of a command's (ch and its argument, as getopt gave
 * them).  Return 1 when ch is one, 0 when not.
 */
int
curlopt_proxy_option(struct proxy_options *po, int ch, char *arg)
{
	char	*colon;

	switch (ch) {
	case 'x':
		po->proxy = arg;
		return (1);
	case PROXY_OPTION_NOPROXY:
		po->noproxy = arg;
		return (1);
	case PROXY_OPTION_USER:
		/*
		 * Keep a copy and blank the password in argv now, not when
		 * the request is made: reading the body (--data @-) may
		 * take long, and ps would show it meanwhile.
		 */
		curlopt_wipe(po->user);
		po->user = xstrdup(arg);
		if ((colon = strchr(arg, ':')) != NULL)
			explicit_bzero(colon + 1, strlen(colon + 1));
		return (1);
	case PROXY_OPTION_HEADER:
		po->headers = xreallocarray(po->headers, po->nheaders + 1,
		    sizeof *po->headers);
		po->headers[po->nheaders++] = arg;
		return (1);
	}
	return (0);
}

/*
 * Add the proxy options to a control request: the proxy for url (for
 * either scheme when url is NULL: "proxy" for http, "proxy_https" for
 * https), the hosts reached without it ("noproxy"), from the flags else
 * the environment (curlopt_proxy); --proxy-user ("proxy_user", its
 * password asked for if not given) and --proxy-header, "Name: value" or
 * @FILE as -H takes them ("proxy_headers").  Return an exit status, with
 * *cause when it is not EXIT_OK.
 */
int
curlopt_proxy_add(struct json_object *request, const char *url,
    const struct proxy_options *po, char **cause)
{
	struct items	 headers;
	const char	*proxy, *noproxy;
	char		*both;
	size_t		 i;
	int		 ret = EXIT_OK;

	items_init(&headers, "");
	for (i = 0; i < po->nheaders && ret == EXIT_OK; i++) {
		if (po->headers[i][0] == '@')
			ret = curlopt_header_file(&headers, po->headers[i] + 1,
			    cause);
		else if (items_add_header(&headers, po->headers[i],
		    cause) != 0)
			ret = EXIT_USAGE;
	}
	if (ret == EXIT_OK && po->user != NULL &&
	    (ret = curlopt_credentials(po->user, "--proxy-user", "proxy",
	    &both, cause)) == EXIT_OK) {
		json_object_object_add(request, "proxy_user",
		    json_object_new_string(both));
		curlopt_wipe(both);
	}
	if (ret != EXIT_OK) {
		items_release(&headers);
		return (ret);
	}
	if (po->nheaders > 0)
		json_object_object_add(request, "proxy_headers",
		    json_object_get(headers.headers));
	items_release(&headers);

	proxy = po->proxy;
	noproxy = po->noproxy;
	curlopt_proxy(url != NULL ? url : "http:", &proxy, &noproxy);
	if (proxy != NULL)
		json_object_object_add(request, "proxy",
		    json_object_new_string(proxy));
	if (url == NULL) {
		proxy = po->proxy;
		noproxy = po->noproxy;
		curlopt_proxy("https:", &proxy, &noproxy);
		if (proxy != NULL)
			json_object_object_add(request, "proxy_https",
			    json_object_new_string(proxy));
	}
	if (noproxy != NULL)
		json_object_object_add(request, "noproxy",
		    json_object_new_string(noproxy));
	return (EXIT_OK);
}

/*
 * Free what the proxy options hold (not the arguments they point to),
 * wiping the --proxy-user copy.
 */
void
curlopt_proxy_release(struct proxy_options *po)
{
	curlopt_wipe(po->user);
	po->user = NULL;
	free(po->headers);
	po->headers = NULL;
	po->nheaders = 0;
}
