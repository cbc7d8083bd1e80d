/*
 * Tunnel specs (fish start --tunnel SPEC): the presets and cmd:.
 *
 *	cloudflared		cloudflared tunnel --no-autoupdate --url
 *				http://ADDRESS; the URL is the
 *				https://WORDS.trycloudflare.com it prints
 *	ngrok			ngrok http PORT --log stdout --log-format
 *				json; the URL is the "url" of its "started
 *				tunnel" line
 *	ssh:[user@]host[:port]	ssh -N -R 0:ADDRESS [user@]host, the server
 *				choosing the remote port; the URL is
 *				http://host:N from its "Allocated port N for
 *				remote forward" line
 *	cmd:COMMAND		sh -c COMMAND, {port} replaced by our port;
 *				the URL is what --tunnel-url-pattern matches
 *
 * A pattern (POSIX extended) finds the URL in a line of output: its first
 * group if it has one, else the whole match.  --tunnel-url-pattern
 * replaces a preset's.  Over HTTPS, the presets reach us by https:// and
 * cloudflared is told not to check our certificate, which is ours.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "tunnel.h"
#include "xmalloc.h"

/* The presets' patterns, by kind; cmd: has none of its own. */
static const char *const tunnel_patterns[] = {
	[TUNNEL_CLOUDFLARED] =
	    "https://[-a-z0-9]+-[a-z0-9]+\\.trycloudflare\\.com",
	[TUNNEL_NGROK] =
	    "\"msg\":\"started tunnel\".*\"url\":\"(https?://[^\"]+)\"",
	[TUNNEL_SSH] = "Allocated port ([0-9]+) for remote forward",
	[TUNNEL_CMD] = NULL,
};

/* Where to get each client, for the message when it is missing. */
static const char *const tunnel_hints[] = {
	[TUNNEL_CLOUDFLARED] = "install cloudflared: the Debian package "
	    "'cloudflared' from https://pkg.cloudflare.com, or a binary from "
	    "https://github.com/cloudflare/cloudflared/releases",
	[TUNNEL_NGROK] = "install ngrok: the Debian package 'ngrok' from "
	    "https://ngrok-agent.s3.amazonaws.com, or a binary from "
	    "https://ngrok.com/download",
	[TUNNEL_SSH] = "install the Debian package 'openssh-client'",
	[TUNNEL_CMD] = NULL,
};

/* The clients' programs, looked for on PATH. */
static const char *const tunnel_programs[] = {
	[TUNNEL_CLOUDFLARED] = "cloudflared",
	[TUNNEL_NGROK] = "ngrok",
	[TUNNEL_SSH] = "ssh",
	[TUNNEL_CMD] = NULL,
};

/* Tell whether s is a port number, 1 to 65535. */
static int
tunnel_port_valid(const char *s)
{
	size_t	len = strlen(s);

	return (len > 0 && len <= 5 && strspn(s, "0123456789") == len &&
	    strtol(s, NULL, 10) > 0 && strtol(s, NULL, 10) <= 65535);
}

/* Read ssh:'s [user@]host[:port] (host may be [ADDR]).  Return 0 or -1. */
static int
tunnel_parse_ssh(const char *s, struct tunnel_spec *t)
{
	const char	*at, *host, *end, *colon;
	size_t		 hostlen;

	at = strrchr(s, '@');
	host = at == NULL ? s : at + 1;
	if (at == s || *host == '\0' || *s == '-')
		return (-1);
	if (*host == '[') {
		if ((end = strchr(host, ']')) == NULL || end == host + 1)
			return (-1);
		colon = end[1] == ':' ? end + 1 : NULL;
		if (colon == NULL && end[1] != '\0')
			return (-1);
		host++;
		hostlen = (size_t)(end - host);
	} else {
		colon = strchr(host, ':');
		hostlen = colon == NULL ? strlen(host) : (size_t)(colon - host);
	}
	if (hostlen == 0 || strcspn(host, " \t/") < hostlen)
		return (-1);
	if (colon != NULL && !tunnel_port_valid(colon + 1))
		return (-1);
	t->host = xstrndup(host, hostlen);
	t->destination = xstrndup(s, (size_t)(host - s) + hostlen);
	/* Bracketed: ssh wants the address alone. */
	if (host[-1] == '[') {
		free(t->destination);
		xasprintf(&t->destination, "%.*s%s", (int)(at == NULL ? 0 :
		    at + 1 - s), s, t->host);
	}
	t->port = colon == NULL ? NULL : xstrdup(colon + 1);
	return (0);
}

/*
 * Read a tunnel spec into t.  Return 0, or -1 with *cause (caller frees),
 * leaving t empty.
 */
int
tunnel_parse(const char *spec, struct tunnel_spec *t, char **cause)
{
	memset(t, 0, sizeof *t);
	if (strcmp(spec, "cloudflared") == 0)
		t->kind = TUNNEL_CLOUDFLARED;
	else if (strcmp(spec, "ngrok") == 0)
		t->kind = TUNNEL_NGROK;
	else if (strncmp(spec, "ssh:", 4) == 0) {
		t->kind = TUNNEL_SSH;
		if (tunnel_parse_ssh(spec + 4, t) == -1) {
			xasprintf(cause, "invalid tunnel '%s' (use "
			    "ssh:[user@]host[:port])", spec);
			return (-1);
		}
	} else if (strncmp(spec, "cmd:", 4) == 0) {
		t->kind = TUNNEL_CMD;
		if (strstr(spec + 4, "{port}") == NULL) {
			xasprintf(cause, "invalid tunnel '%s' (the command "
			    "must have {port}, where the listener's port goes)",
			    spec);
			return (-1);
		}
		t->command = xstrdup(spec + 4);
	} else {
		xasprintf(cause, "invalid tunnel '%s' (use cloudflared, ngrok, "
		    "ssh:[user@]host[:port] or cmd:COMMAND)", spec);
		return (-1);
	}
	return (0);
}

/* Free what a spec holds. */
void
tunnel_release(struct tunnel_spec *t)
{
	free(t->destination);
	free(t->host);
	free(t->port);
	free(t->command);
	memset(t, 0, sizeof *t);
}

/* Check a URL pattern.  Return 0, or -1 with *cause. */
int
tunnel_pattern_valid(const char *pattern, char **cause)
{
	regex_t	regex;
	char	why[128];
	int	error;

	if ((error = regcomp(&regex, pattern, REG_EXTENDED)) != 0) {
		regerror(error, &regex, why, sizeof why);
		xasprintf(cause, "invalid tunnel URL pattern '%s': %s",
		    pattern, why);
		return (-1);
	}
	regfree(&regex);
	return (0);
}

/* Return the program a preset runs (looked for on PATH), or NULL: cmd:. */
const char *
tunnel_program(const struct tunnel_spec *t)
{
	return (tunnel_programs[t->kind]);
}

/* Return how to install a preset's client, or NULL: cmd:. */
const char *
tunnel_install_hint(const struct tunnel_spec *t)
{
	return (tunnel_hints[t->kind]);
}

/* Replace every {port} in command by port; caller frees. */
static char *
tunnel_expand(const char *command, const char *port)
{
	const char	*at;
	char		*s = xstrdup(""), *next;

	while ((at = strstr(command, "{port}")) != NULL) {
		xasprintf(&next, "%s%.*s%s", s, (int)(at - command), command,
		    port);
		free(s);
		s = next;
		command = at + 6;
	}
	xasprintf(&next, "%s%s", s, command);
	free(s);
	return (next);
}

/*
 * Return the client's command line, a NULL-terminated array (free it with
 * tunnel_argv_free), to reach the listener at address (HOST:PORT or
 * [ADDR]:PORT, as it is reached from this machine), over HTTPS if tls.
 */
char **
tunnel_argv(const struct tunnel_spec *t, const char *address, int tls)
{
	const char	*scheme = tls ? "https" : "http";
	const char	*port = strrchr(address, ':') + 1;
	char		**argv;
	size_t		 n = 0;

	argv = xcalloc(24, sizeof *argv);
	switch (t->kind) {
	case TUNNEL_CLOUDFLARED:
		argv[n++] = xstrdup("cloudflared");
		argv[n++] = xstrdup("tunnel");
		argv[n++] = xstrdup("--no-autoupdate");
		if (tls)
			argv[n++] = xstrdup("--no-tls-verify");
		argv[n++] = xstrdup("--url");
		xasprintf(&argv[n++], "%s://%s", scheme, address);
		break;
	case TUNNEL_NGROK:
		argv[n++] = xstrdup("ngrok");
		argv[n++] = xstrdup("http");
		/* ngrok's PORT means localhost:PORT over plain HTTP. */
		if (!tls && strncmp(address, "127.0.0.1:", 10) == 0)
			argv[n++] = xstrdup(port);
		else
			xasprintf(&argv[n++], "%s://%s", scheme, address);
		argv[n++] = xstrdup("--log");
		argv[n++] = xstrdup("stdout");
		argv[n++] = xstrdup("--log-format");
		argv[n++] = xstrdup("json");
		break;
	case TUNNEL_SSH:
		argv[n++] = xstrdup("ssh");
		argv[n++] = xstrdup("-N");
		argv[n++] = xstrdup("-T");
		argv[n++] = xstrdup("-o");
		argv[n++] = xstrdup("BatchMode=yes");
		argv[n++] = xstrdup("-o");
		argv[n++] = xstrdup("ExitOnForwardFailure=yes");
		argv[n++] = xstrdup("-o");
		argv[n++] = xstrdup("ServerAliveInterval=15");
		argv[n++] = xstrdup("-o");
		argv[n++] = xstrdup("ServerAliveCountMax=3");
		if (t->port != NULL) {
			argv[n++] = xstrdup("-p");
			argv[n++] = xstrdup(t->port);
		}
		argv[n++] = xstrdup("-R");
		xasprintf(&argv[n++], "0:%s", address);
		argv[n++] = xstrdup("--");
		argv[n++] = xstrdup(t->destination);
		break;
	case TUNNEL_CMD:
		argv[n++] = xstrdup("/bin/sh");
		argv[n++] = xstrdup("-c");
		argv[n++] = tunnel_expand(t->command, port);
		break;
	}
	argv[n] = NULL;
	return (argv);
}

/* Free a command line from tunnel_argv. */
void
tunnel_argv_free(char **argv)
{
	size_t	i;

	if (argv == NULL)
		return;
	for (i = 0; argv[i] != NULL; i++)
		free(argv[i]);
	free(argv);
}

/*
 * Make ready to find the URL in t's client's output: with pattern, or if
 * it is NULL the preset's.  Return 0, or -1 with *cause (cmd: with no
 * pattern, or a bad one).
 */
int
tunnel_matcher_init(struct tunnel_matcher *m, const struct tunnel_spec *t,
    const char *pattern, char **cause)
{
	memset(m, 0, sizeof *m);
	m->spec = t;
	if (pattern == NULL)
		pattern = tunnel_patterns[t->kind];
	else
		m->own = 1;
	if (pattern == NULL) {
		*cause = xstrdup("--tunnel cmd:... needs --tunnel-url-pattern");
		return (-1);
	}
	if (tunnel_pattern_valid(pattern, cause) == -1 ||
	    regcomp(&m->regex, pattern, REG_EXTENDED) != 0)
		return (-1);
	m->groups = (int)m->regex.re_nsub;
	return (0);
}

/* Free what a matcher holds. */
void
tunnel_matcher_release(struct tunnel_matcher *m)
{
	regfree(&m->regex);
}

/*
 * Return the public URL that a line of the client's output announces, or
 * NULL when it announces none; caller frees.  ssh's preset makes it from
 * the host and the port the server allocated.
 */
char *
tunnel_match(const struct tunnel_matcher *m, const char *line)
{
	regmatch_t	 match[2];
	const char	*open, *close;
	char		*url;
	int		 i;

	if (regexec(&m->regex, line, 2, match, 0) != 0)
		return (NULL);
	i = m->groups > 0 && match[1].rm_so != -1 ? 1 : 0;
	if (match[i].rm_eo <= match[i].rm_so)
		return (NULL);
	if (m->spec->kind == TUNNEL_SSH && !m->own) {
		open = strchr(m->spec->host, ':') != NULL ? "[" : "";
		close = *open != '\0' ? "]" : "";
		xasprintf(&url, "http://%s%s%s:%.*s", open, m->spec->host,
		    close, (int)(match[1].rm_eo - match[1].rm_so),
		    line + match[1].rm_so);
		return (url);
	}
	return (xstrndup(line + match[i].rm_so,
	    (size_t)(match[i].rm_eo - match[i].rm_so)));
}
