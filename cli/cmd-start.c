/*
 * fish start: start the session's listener with chosen settings and print
 * its base URL.  Starting a running session is not an error.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "address.h"
#include "client.h"
#include "fish.h"
#include "output.h"
#include "proto.h"
#include "settings.h"
#include "timeline.h"

static int	cmd_start_exec(int, char **);

const struct cmd_entry cmd_start_entry = {
	.name = "start",
	.usage = "[--listen HOST:PORT] [--public-url URL] [--tunnel SPEC | "
	    "--no-tunnel] [--tunnel-url-pattern REGEX] [--tunnel-timeout D] "
	    "[--retain D] [--idle-exit D] [--store URL] [--store-replicas N] "
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
	    "                      for tunnels and proxies; it wins over --tunnel's\n"
	    "  --tunnel SPEC       run a tunnel client beside the listener, and print\n"
	    "                      hook URLs under the public URL it announces:\n"
	    "                      cloudflared, ngrok, ssh:[user@]host[:port] (a\n"
	    "                      host with GatewayPorts), or cmd:'COMMAND' with\n"
	    "                      {port} for the listener's port; restarted if it\n"
	    "                      exits, stopped with the listener\n"
	    "  --no-tunnel         run no tunnel, forgetting a saved one\n"
	    "  --tunnel-url-pattern REGEX\n"
	    "                      find the URL in the client's output with REGEX\n"
	    "                      (POSIX extended; its first group, if any): needed\n"
	    "                      with cmd:\n"
	    "  --tunnel-timeout D  wait at most D for the URL at start (default\n"
	    "                      30s), else fail with exit status 3\n"
	    "  (behind --tunnel or --public-url, a request from 127.0.0.1 is taken\n"
	    "  to come from the address in its X-Forwarded-For, CF-Connecting-IP\n"
	    "  or Forwarded header)\n"
	    "  --retain D          keep the journal's history for D (default 7d);\n"
	    "                      older messages, taken or not, expire\n"
	    "  --idle-exit D       stop the listener once it has been idle for D:\n"
	    "                      no open hook, no command connected, no request\n"
	    "                      in or out (default never; 0 turns it off); the\n"
	    "                      next command starts it again, losing nothing\n"
	    "  --store URL         keep the session's records in journal (the\n"
	    "                      default) or in a Redis shared by all its\n"
	    "                      listeners: redis://[USER[:PASSWORD]@]HOST[:PORT]\n"
	    "                      [/DB] or unix://[USER[:PASSWORD]@]/PATH[?db=DB];\n"
	    "                      PASSWORD env:NAME or @FILE reads it from there;\n"
	    "                      shown as ***, never on a command line\n"
	    "                      (also FISH_STORE)\n"
	    "  --store-replicas N  with a Redis store, answer a callback (and a\n"
	    "                      command) only once N Redis replicas have its\n"
	    "                      record (WAIT); fewer within 1s: 503, exit 3\n"
	    "                      (default 0, at most 16; also FISH_STORE_REPLICAS)\n"
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
	    "  --max-per-ip N      and at most N from one address (default 64);\n"
	    "                      behind --tunnel or --public-url, at most N\n"
	    "                      requests under way from one client, else 429\n"
	    "  --max-header SIZE   answer 431 to requests whose request line and\n"
	    "                      headers come near SIZE (default 16KiB; 16KiB\n"
	    "                      to 1MiB), 414 to a request line over half of it,\n"
	    "                      counting 64 bytes for each query parameter\n"
	    "  --max-inflight SIZE hold at most SIZE of request bodies in memory at\n"
	    "                      once (default 256MiB); a body that would pass it\n"
	    "                      gets 503 with Retry-After\n"
	    "  --foreground        run the listener in this process, do not detach;\n"
	    "                      its log on stderr says where it listens (no URL\n"
	    "                      is printed)\n"
	    "  -h, --help          show this help\n",
	.exec = cmd_start_exec
};

/* getopt's value for the setting of index i is CMD_START_SETTING + i. */
#define CMD_START_SETTING	256

/*
 * Fill in the options of fish start: --foreground, one for each setting of
 * the settings table, and -h/--help.
 */
static void
cmd_start_options(struct option *options)
{
	static const struct option	 fixed[] = {
		{ "foreground", no_argument, NULL, 'f' },
		CMD_OPTIONS_END
	};
	size_t				 i;

	options[0] = fixed[0];
	for (i = 0; i < SETTINGS_COUNT; i++) {
		options[1 + i].name = settings_option(i) + 2;
		options[1 + i].has_arg = settings_metavar(i) == NULL ?
		    no_argument : required_argument;
		options[1 + i].flag = NULL;
		options[1 + i].val = CMD_START_SETTING + (int)i;
	}
	options[1 + SETTINGS_COUNT] = fixed[1];
	options[2 + SETTINGS_COUNT] = fixed[2];
}

/* Warn once per start when the hooks can be reached from elsewhere. */
static void
cmd_start_warn_exposed(const char *listen)
{
	if (listen != NULL && !address_is_loopback(listen))
		fish_warnx("warning: hooks are reachable from other machines "
		    "on %s", listen);
}

/*
 * Warn when the session's shared store is not connected (state, from the
 * status reply; NULL for the journal): the listener runs, and reconnects.
 */
static void
cmd_start_warn_store(const char *state)
{
	if (state != NULL && strcmp(state, "connected") != 0)
		fish_warnx("warning: the session's store is not connected "
		    "(%s); callbacks get 503 until it is", state);
}

/*
 * Read the options into the settings given and *foreground.  Return -1 to
 * go on, or the exit status once help or a usage error is printed.
 */
static int
cmd_start_parse(int argc, char **argv, struct settings *given,
    int *foreground)
{
	const struct cmd_entry	*entry = &cmd_start_entry;
	struct option		 options[SETTINGS_COUNT + 3];
	char			*cause;
	int			 ch;

	cmd_start_options(options);
	while ((ch = cmd_getopt(entry, argc, argv, "", options)) != -1) {
		if (ch == 'f')
			*foreground = 1;
		else if (ch == CMD_HELP)
			return (EXIT_OK);
		else if (ch < CMD_START_SETTING)
			return (EXIT_USAGE);
		else if (settings_set(given, (size_t)(ch - CMD_START_SETTING),
		    optarg, &cause) == -1) {
			cmd_usage_error(entry, "%s", cause);
			free(cause);
			return (EXIT_USAGE);
		}
	}
	if (settings_check(given, &cause) == -1) {
		cmd_usage_error(entry, "%s", cause);
		free(cause);
		return (EXIT_USAGE);
	}
	/* Later starts, from anywhere, must find the same files. */
	settings_absolute(given);
	return (-1);
}

/* Start the listener and print its URL. */
static int
cmd_start_exec(int argc, char **argv)
{
	struct settings		 given;
	struct client		 c;
	struct proto_frame	 frame;
	struct json_object	*request;
	const char		*url;
	int			 foreground = 0, status;

	settings_init(&given);
	if ((status = cmd_start_parse(argc, argv, &given, &foreground)) != -1)
		goto out;
	status = client_start(fish_session, &given, foreground);
	if (status != EXIT_OK || foreground)
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
	cmd_start_warn_store(proto_string(frame.json, "store_state"));
	if ((url = proto_string(frame.json, "url")) == NULL) {
		fish_warnx("start: the listener's reply has no URL");
		status = EXIT_FAILED;
		goto fail;
	}
	/* Started all the same when its reader went away: quiet, exit 1. */
	if (output_printf("%s\n", url) == -1)
		status = timeline_write_error("start");
fail:
	json_object_put(request);
	proto_frame_release(&frame);
	client_close(&c);
out:
	settings_release(&given);
	return (status);
}
