/*
 * fish start: start the session's listener with chosen settings and print
 * its base URL.  Starting a running session is not an error.
 */
#include "config.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "address.h"
#include "client.h"
#include "fish.h"
#include "output.h"
#include "proto.h"
#include "xmalloc.h"

static int	cmd_start_exec(int, char **);

const struct cmd_entry cmd_start_entry = {
	.name = "start",
	.usage = "[--listen HOST:PORT] [--public-url URL] [--retain D] "
	    "[--tls-cert FILE --tls-key FILE | --no-tls] [--max-body SIZE] "
	    "[--idle-timeout D] [--max-connections N] [--max-per-ip N] "
	    "[--max-header SIZE] [--max-inflight SIZE] [--foreground]",
	.args = { 0, 0 },
	.summary = "start the session's listener and print its URL",
	.help =
	    "Start the session's listener, unless it is running, and print its\n"
	    "base URL.  Other commands start it when needed; use start to choose\n"
	    "settings, which are saved for later starts.\n"
	    "\n"
	    "  --listen HOST:PORT  listen there (default 127.0.0.1:0, a free port\n"
	    "                      chosen once and kept); [ADDR]:PORT for IPv6\n"
	    "  --public-url URL    print hook URLs under URL (http:// or https://),\n"
	    "                      for tunnels and proxies\n"
	    "  --retain D          keep the journal's history for D (default 7d);\n"
	    "                      older messages, taken or not, expire\n"
	    "  --tls-cert FILE     serve HTTPS with this PEM certificate (chain)\n"
	    "  --tls-key FILE      and this unencrypted PEM private key\n"
	    "  --no-tls            serve plain HTTP, forgetting saved TLS files\n"
	    "  --max-body SIZE     answer 413 to bodies over SIZE (default 25MiB;\n"
	    "                      e.g. 512k, 1000000)\n"
	    "  --idle-timeout D    cut connections whose client takes longer than D\n"
	    "                      to send a request or read its answer, or stays\n"
	    "                      idle that long (default 10s)\n"
	    "  --max-connections N serve at most N connections at once (default 512),\n"
	    "                      cutting idle ones near it to make room\n"
	    "  --max-per-ip N      and at most N from one address (default 64)\n"
	    "  --max-header SIZE   answer 431 to requests whose request line and\n"
	    "                      headers come near SIZE (default 64KiB; 16KiB\n"
	    "                      to 1MiB), 414 to a request line over half of it,\n"
	    "                      counting 64 bytes for each query parameter\n"
	    "  --max-inflight SIZE hold at most SIZE of request bodies in memory at\n"
	    "                      once (default 256MiB); a body that would pass it\n"
	    "                      gets 503 with Retry-After\n"
	    "  --foreground        run the listener in this process, do not detach\n"
	    "  -h, --help          show this help\n",
	.exec = cmd_start_exec
};

static const struct option cmd_start_options[] = {
	{ "foreground", no_argument, NULL, 'f' },
	{ "listen", required_argument, NULL, 'l' },
	{ "public-url", required_argument, NULL, 'u' },
	{ "retain", required_argument, NULL, 'r' },
	{ "tls-cert", required_argument, NULL, 'c' },
	{ "tls-key", required_argument, NULL, 'k' },
	{ "no-tls", no_argument, NULL, 'n' },
	{ "max-body", required_argument, NULL, 'B' },
	{ "idle-timeout", required_argument, NULL, 'I' },
	{ "max-connections", required_argument, NULL, 'C' },
	{ "max-per-ip", required_argument, NULL, 'P' },
	{ "max-header", required_argument, NULL, 'H' },
	{ "max-inflight", required_argument, NULL, 'F' },
	CMD_OPTIONS_END
};

/*
 * Check the value of the limit option that getopt returned as ch, and
 * keep it in settings.  Return 0, or -1 after a usage error.
 */
static int
cmd_start_limit(int ch, const char *value, struct client_settings *settings)
{
	const struct option	*o;
	struct limits		 limits;
	char			*cause;
	int			 i = -1;

	for (o = cmd_start_options; o->name != NULL; o++) {
		if (o->val == ch)
			i = limit_find(o->name);
	}
	if (i == -1)
		return (-1);
	if (limit_set(&limits, (size_t)i, value, &cause) == -1) {
		cmd_usage_error(&cmd_start_entry, "%s", cause);
		free(cause);
		return (-1);
	}
	settings->limits[i] = value;
	return (0);
}

/* Tell whether s is a port number, 0 to 65535. */
static int
cmd_start_port_valid(const char *s)
{
	size_t	len = strlen(s);

	return (len >= 1 && len <= 5 && strspn(s, "0123456789") == len &&
	    strtol(s, NULL, 10) <= 65535);
}

/* Tell whether a listen address has the shape HOST:PORT or [ADDR]:PORT. */
static int
cmd_start_listen_valid(const char *listen)
{
	const char	*end;
	size_t		 len;

	if (*listen == '[') {
		end = strchr(listen, ']');
		if (end == NULL || end == listen + 1 || end[1] != ':')
			return (0);
		len = (size_t)(end - listen - 1);
		if (strspn(listen + 1, "0123456789abcdefABCDEF:.") != len)
			return (0);
		return (cmd_start_port_valid(end + 2));
	}
	if ((end = strchr(listen, ':')) == NULL || end == listen)
		return (0);
	len = (size_t)(end - listen);
	if (strcspn(listen, " \t/@[]") < len)
		return (0);
	return (cmd_start_port_valid(end + 1));
}

/*
 * Return path made absolute against the current directory, the user's, so
 * that later starts (from anywhere) find the same file; caller frees.
 * Symbolic links are kept: a renewed certificate often replaces a link's
 * target.
 */
static char *
cmd_start_absolute(const char *path)
{
	char	 cwd[PATH_MAX], *s;

	if (*path == '/' || getcwd(cwd, sizeof cwd) == NULL)
		return (xstrdup(path));
	xasprintf(&s, "%s/%s", cwd, path);
	return (s);
}

/* Warn once per start when the hooks can be reached from elsewhere. */
static void
cmd_start_warn_exposed(const char *listen)
{
	if (listen != NULL && !address_is_loopback(listen))
		fish_warnx("warning: hooks are reachable from other machines "
		    "on %s", listen);
}

/* Start the listener and print its URL. */
static int
cmd_start_exec(int argc, char **argv)
{
	const struct cmd_entry	*entry = &cmd_start_entry;
	struct client_settings	 settings;
	struct client		 c;
	struct proto_frame	 frame;
	struct json_object	*request;
	const char		*url, *cert_arg = NULL, *key_arg = NULL;
	char			*cert = NULL, *key = NULL;
	uint64_t		 retain;
	int			 ch, status;

	memset(&settings, 0, sizeof settings);
	while ((ch = cmd_getopt(entry, argc, argv, "", cmd_start_options)) !=
	    -1) {
		switch (ch) {
		case 'f':
			settings.foreground = 1;
			break;
		case 'B':
		case 'I':
		case 'C':
		case 'P':
		case 'H':
		case 'F':
			if (cmd_start_limit(ch, optarg, &settings) == -1)
				return (EXIT_USAGE);
			break;
		case 'l':
			if (!cmd_start_listen_valid(optarg))
				return (cmd_usage_error(entry, "invalid listen"
				    " address '%s' (use HOST:PORT or"
				    " [ADDR]:PORT)", optarg));
			settings.listen = optarg;
			break;
		case 'u':
			if (!cmd_url_valid(optarg))
				return (cmd_usage_error(entry, "invalid public"
				    " URL '%s' (use http://... or https://...)",
				    optarg));
			settings.public_url = optarg;
			break;
		case 'r':
			if (cmd_duration(entry, optarg, &retain) != 0)
				return (EXIT_USAGE);
			if (retain == 0)
				return (cmd_usage_error(entry, "--retain must "
				    "be more than 0"));
			settings.retain = optarg;
			break;
		case 'n':
			settings.no_tls = 1;
			break;
		case 'c':
		case 'k':
			if (*optarg == '\0')
				return (cmd_usage_error(entry, "--tls-%s needs a "
				    "file", ch == 'c' ? "cert" : "key"));
			if (ch == 'c')
				cert_arg = optarg;
			else
				key_arg = optarg;
			break;
		case CMD_HELP:
			return (EXIT_OK);
		default:
			return (EXIT_USAGE);
		}
	}
	if ((cert_arg == NULL) != (key_arg == NULL))
		return (cmd_usage_error(entry, "--tls-cert and --tls-key go "
		    "together"));
	if (settings.no_tls && cert_arg != NULL)
		return (cmd_usage_error(entry, "--no-tls and --tls-cert "
		    "contradict each other"));
	if (cert_arg != NULL) {
		settings.tls_cert = cert = cmd_start_absolute(cert_arg);
		settings.tls_key = key = cmd_start_absolute(key_arg);
	}

	status = client_start(fish_session, &settings);
	if (status != EXIT_OK || settings.foreground)
		goto out;

	if ((status = client_open(&c, fish_session, 0)) != EXIT_OK)
		goto out;
	proto_frame_init(&frame);
	request = proto_request("status");
	if ((status = client_call(&c, request, NULL, 0, &frame,
	    -1)) != EXIT_OK ||
	    (status = client_reply_status(&frame)) != EXIT_OK)
		goto fail;

	cmd_start_warn_exposed(proto_string(frame.json, "listen"));
	if ((url = proto_string(frame.json, "url")) == NULL) {
		fish_warnx("start: the listener's reply has no URL");
		status = EXIT_FAILED;
		goto fail;
	}
	if (output_printf("%s\n", url) == -1) {
		fish_warn("start: stdout");
		status = EXIT_FAILED;
	}
fail:
	json_object_put(request);
	proto_frame_release(&frame);
	client_close(&c);
out:
	free(cert);
	free(key);
	return (status);
}
