/*
 * fish sign and fish verify, run by the listener executable: the fish
 * client checks its arguments, then execs this with stdin inherited, so
 * the HMAC code and GnuTLS stay out of the client.  Messages read as the
 * client's own ("fish: verify: ..."); the secret is never printed.
 */
#include "clock.h"
#include "compat.h"
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "signature-tool.h"
#include "signature.h"
#include "sigspec.h"
#include "xmalloc.h"

#define SIGNATURE_TOOL_USAGE \
	"usage: fish-listener --sign SPEC [--id ID] [--timestamp T]\n" \
	"       fish-listener --verify SPEC [--tolerance SECONDS] [--now T]" \
	" [-H 'Name: value']...\n" \
	"(run by " FISH_NAME " sign and " FISH_NAME " verify)\n"

/* Tell whether argv asks for the tool mode rather than a listener. */
int
signature_tool_wanted(int argc, char **argv)
{
	return (argc > 1 && (strcmp(argv[1], "--sign") == 0 ||
	    strcmp(argv[1], "--verify") == 0));
}

/* Print "fish: MODE: message" on stderr. */
static void __attribute__((__format__(__printf__, 2, 3)))
signature_tool_warnx(const char *mode, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	fprintf(stderr, "fish: %s: ", mode);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

/* Parse unix seconds: decimal digits only.  Return 0 or -1. */
static int
signature_tool_seconds(const char *s, int64_t *out)
{
	char		*end;
	long long	 v;

	if (*s < '0' || *s > '9')
		return (-1);
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return (-1);
	*out = v;
	return (0);
}

/* Read all of stdin into *body; return 0 or -1 with errno. */
static int
signature_tool_read(char **body, size_t *len)
{
	size_t	size = 65536, used = 0;
	ssize_t	n;
	char	*buf;

	buf = xmalloc(size);
	for (;;) {
		if (used == size) {
			size *= 2;
			buf = xrealloc(buf, size);
		}
		n = read(STDIN_FILENO, buf + used, size - used);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			free(buf);
			return (-1);
		}
		if (n == 0)
			break;
		used += n;
	}
	*body = buf;
	*len = used;
	return (0);
}

/*
 * Add a "Name: value" line to headers as a [name, value] pair, the value
 * without surrounding blanks.  Return 0 or -1.
 */
static int
signature_tool_header(struct json_object *headers, const char *line)
{
	struct json_object	*pair;
	const char		*colon, *value;
	size_t			 nlen, vlen;

	if ((colon = strchr(line, ':')) == NULL || colon == line)
		return (-1);
	nlen = colon - line;
	if (strcspn(line, " \t") < nlen)
		return (-1);
	value = colon + 1 + strspn(colon + 1, " \t");
	vlen = strlen(value);
	while (vlen > 0 && strchr(" \t\r\n", value[vlen - 1]) != NULL)
		vlen--;
	pair = json_object_new_array();
	json_object_array_add(pair, json_object_new_string_len(line, nlen));
	json_object_array_add(pair, json_object_new_string_len(value, vlen));
	json_object_array_add(headers, pair);
	return (0);
}

/* Print the headers that sign stdin. */
static int
signature_tool_sign(const struct sigspec *spec, const char *id,
    int64_t timestamp)
{
	struct json_object	*headers, *pair;
	char			*body, *cause;
	size_t			 len, i;
	int			 status = 0;

	if (signature_tool_read(&body, &len) == -1) {
		signature_tool_warnx("sign", "cannot read the body: %s",
		    strerror(errno));
		return (1);
	}
	headers = json_object_new_array();
	if (signature_sign(spec, body, len, id, timestamp, headers,
	    &cause) == -1) {
		signature_tool_warnx("sign", "%s", cause);
		free(cause);
		status = 2;
		goto out;
	}
	for (i = 0; i < json_object_array_length(headers); i++) {
		pair = json_object_array_get_idx(headers, i);
		printf("%s: %s\n",
		    json_object_get_string(json_object_array_get_idx(pair, 0)),
		    json_object_get_string(json_object_array_get_idx(pair, 1)));
	}
	if (fflush(stdout) == EOF || ferror(stdout)) {
		signature_tool_warnx("sign", "stdout: %s", strerror(errno));
		status = 1;
	}
out:
	json_object_put(headers);
	free(body);
	return (status);
}

/* Check that headers sign stdin. */
static int
signature_tool_verify(const struct sigspec *spec,
    struct json_object *headers, int64_t now, int64_t tolerance)
{
	char	*body, *reason;
	size_t	 len;
	int	 status = 0;

	/*
	 * Without headers no body can pass: say which header is missing now
	 * rather than wait for a body, maybe typed on a terminal, to refuse.
	 */
	if (json_object_array_length(headers) == 0) {
		body = xstrdup("");
		len = 0;
	} else if (signature_tool_read(&body, &len) == -1) {
		signature_tool_warnx("verify", "cannot read the body: %s",
		    strerror(errno));
		return (1);
	}
	if (!signature_verify(spec, headers, body, len, now, tolerance,
	    &reason)) {
		signature_tool_warnx("verify", "%s", reason);
		free(reason);
		status = 1;
	}
	free(body);
	return (status);
}

/* Run fish sign or fish verify; return the exit status. */
int
signature_tool_main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "header", required_argument, NULL, 'H' },
		{ "id", required_argument, NULL, 'i' },
		{ "now", required_argument, NULL, 'n' },
		{ "sign", required_argument, NULL, 's' },
		{ "timestamp", required_argument, NULL, 't' },
		{ "tolerance", required_argument, NULL, 'T' },
		{ "verify", required_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 }
	};
	struct json_object	*headers;
	struct sigspec		 spec;
	const char		*mode = argv[1] + 2, *spectext = NULL;
	const char		*id = NULL;
	char			*cause;
	int64_t			 now = clock_wall_ms() / 1000, tolerance;
	int			 ch, status = 2;

	tolerance = SIGNATURE_TOLERANCE_S;
	headers = json_object_new_array();
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "H:", options, NULL)) != -1) {
		switch (ch) {
		case 'H':
			if (signature_tool_header(headers, optarg) == -1) {
				signature_tool_warnx(mode, "expected 'Name:"
				    " value' after -H");
				goto out;
			}
			break;
		case 'i':
			id = optarg;
			break;
		case 'n':
		case 't':
			if (signature_tool_seconds(optarg, &now) == -1) {
				signature_tool_warnx(mode, "invalid unix"
				    " time '%s'", optarg);
				goto out;
			}
			break;
		case 's':
		case 'v':
			if (spectext != NULL)
				goto usage;
			spectext = optarg;
			break;
		case 'T':
			if (signature_tool_seconds(optarg, &tolerance) == -1) {
				signature_tool_warnx(mode, "invalid tolerance"
				    " '%s'", optarg);
				goto out;
			}
			break;
		default:
			goto usage;
		}
	}
	if (optind != argc || spectext == NULL)
		goto usage;
	if (sigspec_parse(spectext, &spec, &cause) == -1) {
		signature_tool_warnx(mode, "%s", cause);
		free(cause);
		goto out;
	}
	if (strcmp(mode, "sign") == 0)
		status = signature_tool_sign(&spec, id, now);
	else
		status = signature_tool_verify(&spec, headers, now,
		    tolerance);
	sigspec_free(&spec);
	goto out;

usage:
	fputs(SIGNATURE_TOOL_USAGE, stderr);
out:
	json_object_put(headers);
	return (status);
}
