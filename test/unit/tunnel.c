/*
 * Unit tests for tunnel specs: reading them, each preset's command line,
 * and finding the URL in lines captured from the real clients' output
 * (cloudflared 2024, ngrok 3 with --log-format json, OpenSSH 9).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "tunnel.h"

/* Return argv joined by spaces, in a static buffer. */
static const char *
joined(char **argv)
{
	static char	buf[1024];
	size_t		i, len = 0;

	*buf = '\0';
	for (i = 0; argv[i] != NULL && len < sizeof buf; i++)
		len += (size_t)snprintf(buf + len, sizeof buf - len, "%s%s",
		    i > 0 ? " " : "", argv[i]);
	return (buf);
}

/* Check the command line of spec for address (and tls). */
static void
command_line(const char *spec, const char *address, int tls,
    const char *want)
{
	struct tunnel_spec	 t;
	char			*cause = NULL, **argv;

	if (tunnel_parse(spec, &t, &cause) == -1) {
		ok(0, "%s is read", spec);
		diag("%s", cause);
		free(cause);
		return;
	}
	argv = tunnel_argv(&t, address, tls);
	is_str(joined(argv), want, spec);
	tunnel_argv_free(argv);
	tunnel_release(&t);
}

/* Check the URL that spec (with pattern, or its own) finds in line. */
static void
url_in(const char *spec, const char *pattern, const char *line,
    const char *want, const char *name)
{
	struct tunnel_spec	 t;
	struct tunnel_matcher	 m;
	char			*cause = NULL, *url;

	if (tunnel_parse(spec, &t, &cause) == -1 ||
	    tunnel_matcher_init(&m, &t, pattern, &cause) == -1) {
		ok(0, "%s", name);
		diag("%s", cause);
		free(cause);
		tunnel_release(&t);
		return;
	}
	url = tunnel_match(&m, line);
	is_str(url, want, name);
	free(url);
	tunnel_matcher_release(&m);
	tunnel_release(&t);
}

/* Check that spec is refused. */
static void
refused(const char *spec)
{
	struct tunnel_spec	 t;
	char			*cause = NULL;

	ok(tunnel_parse(spec, &t, &cause) == -1 && cause != NULL,
	    "'%s' is refused", spec);
	free(cause);
}

/* Run every case and print the plan. */
int
main(void)
{
	struct tunnel_spec	 t;
	struct tunnel_matcher	 m;
	char			*cause = NULL;

	/* tunnel_parse */
	refused("");
	refused("localtunnel");
	refused("ssh:");
	refused("ssh:@host");
	refused("ssh:host:0");
	refused("ssh:host:99999");
	refused("ssh:-oProxyCommand=x");
	refused("ssh:[::1");
	refused("cmd:");
	refused("cmd:bore local 8080");
	ok(tunnel_parse("ssh:me@[::1]:2222", &t, &cause) == 0 &&
	    strcmp(t.destination, "me@::1") == 0 &&
	    strcmp(t.host, "::1") == 0 && strcmp(t.port, "2222") == 0,
	    "ssh: reads a user, an IPv6 host and a port");
	tunnel_release(&t);

	/* tunnel_argv */
	command_line("cloudflared", "127.0.0.1:8080", 0,
	    "cloudflared tunnel --no-autoupdate --url http://127.0.0.1:8080");
	command_line("cloudflared", "127.0.0.1:8443", 1,
	    "cloudflared tunnel --no-autoupdate --no-tls-verify --url "
	    "https://127.0.0.1:8443");
	command_line("ngrok", "127.0.0.1:8080", 0,
	    "ngrok http 8080 --log stdout --log-format json");
	command_line("ngrok", "[::1]:8080", 0,
	    "ngrok http http://[::1]:8080 --log stdout --log-format json");
	command_line("ssh:me@hooks.example.com", "127.0.0.1:8080", 0,
	    "ssh -N -T -o BatchMode=yes -o ExitOnForwardFailure=yes "
	    "-o ServerAliveInterval=15 -o ServerAliveCountMax=3 "
	    "-R 0:127.0.0.1:8080 -- me@hooks.example.com");
	command_line("ssh:hooks.example.com:2222", "127.0.0.1:8080", 0,
	    "ssh -N -T -o BatchMode=yes -o ExitOnForwardFailure=yes "
	    "-o ServerAliveInterval=15 -o ServerAliveCountMax=3 "
	    "-p 2222 -R 0:127.0.0.1:8080 -- hooks.example.com");
	command_line("cmd:bore local {port} --to bore.pub # {port}",
	    "127.0.0.1:8080", 0,
	    "/bin/sh -c bore local 8080 --to bore.pub # 8080");

	/* tunnel_match, on lines the clients print */
	url_in("cloudflared", NULL, "2024-05-01T10:00:00Z INF |  "
	    "https://seasonal-deck-organisms-sf.trycloudflare.com"
	    "                                     |",
	    "https://seasonal-deck-organisms-sf.trycloudflare.com",
	    "cloudflared's URL is found in its banner");
	url_in("cloudflared", NULL, "2024-05-01T10:00:00Z ERR Error "
	    "unmarshaling QuickTunnel response: error=\"Post "
	    "\\\"https://api.trycloudflare.com/tunnel\\\": EOF\"", NULL,
	    "cloudflared's API address is not taken for the URL");
	url_in("ngrok", NULL, "{\"addr\":\"http://localhost:8080\","
	    "\"lvl\":\"info\",\"msg\":\"started tunnel\",\"name\":"
	    "\"command_line\",\"obj\":\"tunnels\",\"t\":"
	    "\"2024-05-01T10:00:00.1+00:00\",\"url\":"
	    "\"https://1a2b-203-0-113-7.ngrok-free.app\"}",
	    "https://1a2b-203-0-113-7.ngrok-free.app",
	    "ngrok's URL is found in its started tunnel line");
	url_in("ngrok", NULL, "{\"lvl\":\"info\",\"msg\":\"client session "
	    "established\",\"obj\":\"tunnels.session\",\"t\":\"2024\"}", NULL,
	    "ngrok's other lines announce nothing");
	/*
	 * cloudflared's console log in colour (on a terminal; see
	 * test/helpers/fake-tunnel-client for where each form comes from):
	 * as it is, and as the listener takes it, control characters '?'.
	 */
	url_in("cloudflared", NULL, "\033[90m2024-05-01T10:00:01Z\033[0m "
	    "\033[32mINF\033[0m |  "
	    "https://seasonal-deck-organisms-sf.trycloudflare.com"
	    "                                      |",
	    "https://seasonal-deck-organisms-sf.trycloudflare.com",
	    "cloudflared's URL is found in its banner in colour");
	url_in("cloudflared", NULL, "?[90m2024-05-01T10:00:01Z?[0m "
	    "?[32mINF?[0m |  https://seasonal-deck-organisms-sf.trycloudflare"
	    ".com                                      |",
	    "https://seasonal-deck-organisms-sf.trycloudflare.com",
	    "and with its escapes made harmless");
	url_in("cloudflared", NULL, "2024-05-01T10:00:01Z INF Thank you for "
	    "trying Cloudflare Tunnel. ... Terms of Use "
	    "(https://www.cloudflare.com/website-terms/) ... by following: "
	    "https://developers.cloudflare.com/cloudflare-one/connections/"
	    "connect-apps", NULL,
	    "cloudflared's disclaimer and its links announce nothing");
	url_in("ngrok", NULL, "{\"t\":\"2024-05-01T10:00:00+0000\","
	    "\"lvl\":\"info\",\"msg\":\"started tunnel\",\"obj\":"
	    "\"tunnels\",\"name\":\"command_line\",\"addr\":{\"Scheme\":"
	    "\"http\",\"Host\":\"127.0.0.1:8080\"},\"url\":"
	    "\"https://1a2b-203-0-113-7.ngrok-free.app\"}",
	    "https://1a2b-203-0-113-7.ngrok-free.app",
	    "ngrok's URL is found with its fields in the order logged");
	url_in("ngrok", NULL, "{\"lvl\":\"info\",\"msg\":\"update "
	    "available\",\"t\":\"2024\",\"url\":"
	    "\"https://ngrok.com/download\"}", NULL,
	    "a \"url\" in another of ngrok's events is not the tunnel's");
	url_in("ngrok", NULL, "t=2024-05-01T10:00:00+0000 lvl=info "
	    "msg=\"started tunnel\" obj=tunnels name=command_line "
	    "addr=http://localhost:8080 "
	    "url=https://1a2b-203-0-113-7.ngrok-free.app", NULL,
	    "ngrok's logfmt form is not what the preset asks for");
	url_in("ssh:me@hooks.example.com", NULL,
	    "Allocated port 41234 for remote forward to 127.0.0.1:8080",
	    "http://hooks.example.com:41234",
	    "ssh's URL is made from the host and the port allocated");
	url_in("ssh:[2001:db8::1]", NULL,
	    "Allocated port 41234 for remote forward to 127.0.0.1:8080",
	    "http://[2001:db8::1]:41234",
	    "ssh's URL brackets an IPv6 host");
	url_in("ssh:me@hooks.example.com", NULL,
	    "Warning: Permanently added 'hooks.example.com' (ED25519)", NULL,
	    "ssh's other lines announce nothing");
	url_in("cmd:bore local {port} --to bore.pub", "listening at "
	    "(bore\\.pub:[0-9]+)", "2024 INFO bore_cli::client: listening at "
	    "bore.pub:41234", "bore.pub:41234",
	    "a pattern's first group is the URL");
	url_in("cmd:x {port}", "https://[a-z]+\\.example", "up: "
	    "https://abc.example now", "https://abc.example",
	    "a pattern with no group: its whole match is the URL");
	url_in("ssh:me@hooks.example.com", "remote forward success",
	    "debug1: remote forward success for: listen 8080",
	    "remote forward success",
	    "a pattern given for ssh: replaces its own, URL made or not");

	/* tunnel_matcher_init */
	if (tunnel_parse("cmd:x {port}", &t, &cause) == 0) {
		ok(tunnel_matcher_init(&m, &t, NULL, &cause) == -1 &&
		    strstr(cause, "--tunnel-url-pattern") != NULL,
		    "cmd: with no pattern needs --tunnel-url-pattern");
		free(cause);
		cause = NULL;
		ok(tunnel_matcher_init(&m, &t, "(", &cause) == -1 &&
		    strstr(cause, "invalid tunnel URL pattern") != NULL,
		    "a bad pattern is refused, saying so");
		free(cause);
		tunnel_release(&t);
	}
	return (done_testing());
}
