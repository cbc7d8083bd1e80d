/*
 * The settings table of fish start.  A row is a setting: its option
 * (--max-body), its name in config.json and in status replies (max_body),
 * its kind, its default, its bounds, and flags saying whether it is saved
 * and shown.  The kind says how a value is written, read, compared and
 * shown:
 *
 *	address		HOST:PORT or [ADDR]:PORT; two compare as
 *			address_matches says (port 0 asks for the port
 *			chosen then, which is kept)
 *	URL		http://... or https://...; compared as text
 *	file		a path, made absolute by the client; as text
 *	duration	250ms, 5s, 2m, 1h, 7d; compared as lengths of time
 *	size		1000000, 512k, 25MiB; compared as byte counts
 *	count		a number; compared as one, shown as a JSON number
 *	flag		no value: set or not; never saved nor shown
 *	tunnel		a tunnel spec (tunnel.c); as text
 *	pattern		a POSIX extended regular expression; as text
 *	store		journal, or a Redis URL (store-url.h); as text,
 *			but shown and compared with running listeners
 *			masked (its password as ***)
 *
 * Numbers are kept as numbers and printed back in a form that parses to
 * the same value, so a saved setting survives restarts exactly.  Two rows
 * may go together (--tls-cert and --tls-key: given both or neither, saved
 * and used as a pair), and a flag may forget a saved setting (--no-tls).
 * A setting that may hold a password (--store) never goes on the
 * listener's command line, which any user may read in /proc: the client
 * gives it in its environment variable (settings_export).
 *
 * This file has the table and what reads, prints and compares values;
 * settings-resolve.c works out the settings in force and saves, shows
 * and compares them.
 */
#include "config.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <json-c/json.h>

#include "address.h"
#include "duration.h"
#include "proto.h"
#include "settings.h"
#include "settings-private.h"
#include "size.h"
#include "store-url.h"
#include "tunnel.h"
#include "xmalloc.h"

/* Metavariables of the kinds in usage lines, by kind. */
static const char *const setting_metavars[] = {
	"HOST:PORT", "URL", "FILE", "D", "SIZE", "N", NULL, "SPEC", "REGEX",
	"URL"
};

/* The limits: saved, shown, named in messages, fields of struct limits. */
#define ROW_LIMITS	(ROW_SAVED | ROW_SHOWN | ROW_NAMED | ROW_LIMIT)

/*
 * The table: option, key, kind, default, min, max, bounds, noun, env,
 * label, flags, with, forgets, field (see settings-private.h).
 */
const struct setting_row settings_table[SETTINGS_COUNT] = {
	[SETTING_LISTEN] = { "--listen", "listen", KIND_ADDRESS,
	    "127.0.0.1:0", 0, 0, NULL, "listen address", NULL, "listen",
	    ROW_SAVED | ROW_SHOWN, ROW_NONE, ROW_NONE, 0 },
	[SETTING_PUBLIC_URL] = { "--public-url", "public_url", KIND_URL,
	    NULL, 0, 0, NULL, "public URL", "FISH_PUBLIC_URL", "public url",
	    ROW_SAVED | ROW_SHOWN, ROW_NONE, ROW_NONE, 0 },
	[SETTING_TLS_CERT] = { "--tls-cert", "tls_cert", KIND_FILE,
	    NULL, 0, 0, NULL, NULL, NULL, "tls cert",
	    ROW_SAVED | ROW_SHOWN, SETTING_TLS_KEY, ROW_NONE, 0 },
	[SETTING_TLS_KEY] = { "--tls-key", "tls_key", KIND_FILE,
	    NULL, 0, 0, NULL, NULL, NULL, "tls key",
	    ROW_SAVED | ROW_SHOWN, SETTING_TLS_CERT, ROW_NONE, 0 },
	[SETTING_NO_TLS] = { "--no-tls", "no_tls", KIND_FLAG,
	    NULL, 0, 0, NULL, NULL, NULL, NULL,
	    0, ROW_NONE, SETTING_TLS_CERT, 0 },
	[SETTING_RETAIN] = { "--retain", "retain", KIND_DURATION,
	    "7d", 1, UINT64_MAX, NULL, NULL, NULL, "retain",
	    ROW_SAVED | ROW_SHOWN | ROW_NAMED, ROW_NONE, ROW_NONE, 0 },
	/* Off unless given; 0 turns a saved one off (listener-idle.c). */
	[SETTING_IDLE_EXIT] = { "--idle-exit", "idle_exit", KIND_DURATION,
	    NULL, 0, 30ULL * 24 * 3600 * 1000, "0 (never) to 30d", NULL, NULL,
	    "idle exit", ROW_SAVED | ROW_SHOWN | ROW_NAMED, ROW_NONE, ROW_NONE,
	    0 },
	/*
	 * GitHub's own payload cap by default; bodies are held in memory.
	 * wait hands a body to its client in one control frame, so no
	 * body may be larger than a frame's payload.
	 */
	[SETTING_MAX_BODY] = { "--max-body", "max_body", KIND_SIZE,
	    "25MiB", 0, PROTO_PAYLOAD_MAX, "0 to 64MiB", NULL, NULL, "body %",
	    ROW_LIMITS, ROW_NONE, ROW_NONE,
	    offsetof(struct limits, max_body) },
	/*
	 * The memory MHD may use for a connection: the request line and
	 * headers must fit in it beside MHD's own few hundred bytes, and
	 * so must the answer's headers, or the connection is cut unanswered.
	 * 16KiB leaves a hook's answer room beside an ordinary request.
	 */
	[SETTING_MAX_HEADER] = { "--max-header", "max_header", KIND_SIZE,
	    "16KiB", 16ULL << 10, 1ULL << 20, "16KiB to 1MiB", NULL, NULL,
	    "header %", ROW_LIMITS, ROW_NONE, ROW_NONE,
	    offsetof(struct limits, max_header) },
	[SETTING_IDLE_TIMEOUT] = { "--idle-timeout", "idle_timeout",
	    KIND_DURATION, "10s", 1, 24ULL * 3600 * 1000, "1ms to 1d", NULL,
	    NULL, "idle %", ROW_LIMITS, ROW_NONE, ROW_NONE,
	    offsetof(struct limits, idle_timeout_ms) },
	[SETTING_MAX_CONNECTIONS] = { "--max-connections", "max_connections",
	    KIND_COUNT, "512", 1, 65536, "1 to 65536", NULL, NULL,
	    "% connections", ROW_LIMITS, ROW_NONE, ROW_NONE,
	    offsetof(struct limits, max_connections) },
	[SETTING_MAX_PER_IP] = { "--max-per-ip", "max_per_ip", KIND_COUNT,
	    "64", 1, 65536, "1 to 65536", NULL, NULL, "% per address",
	    ROW_LIMITS, ROW_NONE, ROW_NONE,
	    offsetof(struct limits, max_per_ip) },
	/*
	 * The bodies of all requests being received at once, held in
	 * memory until journaled: ten bodies of the default --max-body.
	 */
	[SETTING_MAX_INFLIGHT] = { "--max-inflight", "max_inflight",
	    KIND_SIZE, "256MiB", 1ULL << 20, 64ULL << 30, "1MiB to 64GiB",
	    NULL, NULL, "% in flight", ROW_LIMITS, ROW_NONE, ROW_NONE,
	    offsetof(struct limits, max_inflight) },
	/* A tunnel client the listener runs beside itself (tunnel.c). */
	[SETTING_TUNNEL] = { "--tunnel", "tunnel", KIND_TUNNEL,
	    NULL, 0, 0, NULL, NULL, NULL, "tunnel",
	    ROW_SAVED | ROW_SHOWN, ROW_NONE, ROW_NONE, 0 },
	[SETTING_NO_TUNNEL] = { "--no-tunnel", "no_tunnel", KIND_FLAG,
	    NULL, 0, 0, NULL, NULL, NULL, NULL,
	    0, ROW_NONE, SETTING_TUNNEL, 0 },
	[SETTING_TUNNEL_URL_PATTERN] = { "--tunnel-url-pattern",
	    "tunnel_url_pattern", KIND_PATTERN, NULL, 0, 0, NULL, NULL, NULL,
	    "tunnel regex", ROW_SAVED | ROW_SHOWN, ROW_NONE, ROW_NONE, 0 },
	/* Unset: 30s (listener-tunnel.c). */
	[SETTING_TUNNEL_TIMEOUT] = { "--tunnel-timeout", "tunnel_timeout",
	    KIND_DURATION, NULL, 1, 3600 * 1000, "1ms to 1h", NULL, NULL,
	    "tunnel wait", ROW_SAVED | ROW_SHOWN | ROW_NAMED, ROW_NONE,
	    ROW_NONE, 0 },
	/* Where the session's records go: journal, or a Redis shared by
	 * many listeners (doc/store-redis.md). */
	[SETTING_STORE] = { "--store", "store", KIND_STORE, "journal", 0, 0,
	    NULL, NULL, "FISH_STORE", "store",
	    ROW_SAVED | ROW_SHOWN | ROW_SECRET, ROW_NONE, ROW_NONE, 0 },
	/*
	 * Redis replicas that must have each record (WAIT) before it is
	 * acknowledged; unset: none (store-replicas.c).  A replica is a
	 * server: a handful at most.
	 */
	[SETTING_STORE_REPLICAS] = { "--store-replicas", "store_replicas",
	    KIND_COUNT, NULL, 0, 16, "0 to 16", NULL, "FISH_STORE_REPLICAS",
	    "store replicas", ROW_SAVED | ROW_SHOWN | ROW_NAMED, ROW_NONE,
	    ROW_NONE, 0 },
};

/* Make settings with none set. */
void
settings_init(struct settings *s)
{
	memset(s, 0, sizeof *s);
}

/* Unset setting i. */
void
settings_unset(struct settings *s, size_t i)
{
	free(s->text[i]);
	s->text[i] = NULL;
	s->number[i] = 0;
	s->source[i] = SETTING_UNSET;
}

/* Free what settings hold and unset them all. */
void
settings_release(struct settings *s)
{
	size_t	i;

	for (i = 0; i < SETTINGS_COUNT; i++)
		settings_unset(s, i);
}

/* Return the setting whose option is name (no dashes), or -1. */
int
settings_find(const char *name)
{
	size_t	i;

	for (i = 0; i < SETTINGS_COUNT; i++) {
		if (strcmp(settings_table[i].option + 2, name) == 0)
			return ((int)i);
	}
	return (-1);
}

/* Return the option of setting i ("--max-body"). */
const char *
settings_option(size_t i)
{
	return (settings_table[i].option);
}

/* Return the name of setting i in config.json and status replies. */
const char *
settings_key(size_t i)
{
	return (settings_table[i].key);
}

/* Return what the value of setting i is in usage lines, or NULL: none. */
const char *
settings_metavar(size_t i)
{
	return (setting_metavars[settings_table[i].kind]);
}

/* Tell whether a URL is an http:// or https:// one. */
static int
settings_url_valid(const char *url)
{
	if (strncasecmp(url, "http://", 7) == 0)
		return (url[7] != '\0');
	if (strncasecmp(url, "https://", 8) == 0)
		return (url[8] != '\0');
	return (0);
}

/*
 * Check a store URL, resolving its password (an env:NAME or @FILE that
 * cannot be read now is refused).  Return 0, or -1 with *cause, which
 * holds no part of the password (store_url_parse).
 */
static int
settings_store_valid(const char *text, char **cause)
{
	struct store_url	url;

	if (store_url_parse(text, &url, cause) == -1)
		return (-1);
	store_url_free(&url);
	return (0);
}

/* Parse a count: digits only, at most ten.  Return 0, or -1 with *why. */
static int
settings_parse_count(const char *s, uint64_t *value, char **why)
{
	size_t	len = strlen(s);

	if (len == 0 || len > 10 || strspn(s, "0123456789") != len) {
		xasprintf(why, "invalid number '%s'", s);
		return (-1);
	}
	*value = strtoull(s, NULL, 10);
	return (0);
}

/*
 * Read s as a value of row r into *value (numbers; 1 for a flag).  Return
 * 0, or -1 with *cause set to the message a user sees.
 */
static int
settings_parse(const struct setting_row *r, const char *s, uint64_t *value,
    char **cause)
{
	struct tunnel_spec	 tunnel;
	char			*why = NULL;
	int			 error = 0;

	*value = 0;
	switch (r->kind) {
	case KIND_ADDRESS:
		if (address_valid(s))
			return (0);
		xasprintf(cause, "invalid %s '%s' (use HOST:PORT or "
		    "[ADDR]:PORT)", r->noun, s);
		return (-1);
	case KIND_URL:
		if (settings_url_valid(s))
			return (0);
		xasprintf(cause, "invalid %s '%s' (use http://... or "
		    "https://...)", r->noun, s);
		return (-1);
	case KIND_FILE:
		if (*s != '\0')
			return (0);
		xasprintf(cause, "%s needs a file", r->option);
		return (-1);
	case KIND_FLAG:
		*value = 1;
		return (0);
	case KIND_TUNNEL:
		if (tunnel_parse(s, &tunnel, cause) == -1)
			return (-1);
		tunnel_release(&tunnel);
		return (0);
	case KIND_PATTERN:
		return (tunnel_pattern_valid(s, cause));
	case KIND_STORE:
		return (settings_store_valid(s, cause));
	case KIND_DURATION:
		error = duration_parse(s, value, &why);
		break;
	case KIND_SIZE:
		error = size_parse(s, value, &why);
		break;
	case KIND_COUNT:
		error = settings_parse_count(s, value, &why);
		break;
	}
	if (error == 0 && (*value < r->min || *value > r->max)) {
		if (r->bounds == NULL) {
			xasprintf(cause, "%s must be more than 0", r->option);
			return (-1);
		}
		xasprintf(&why, "'%s' is out of range (%s)", s, r->bounds);
	}
	if (why == NULL)
		return (0);
	if (r->flags & ROW_NAMED)
		xasprintf(cause, "%s: %s", r->option, why);
	else
		*cause = xstrdup(why);
	free(why);
	return (-1);
}

/*
 * Set setting i from what a user wrote (NULL for a flag).  On failure
 * return -1 with *cause set to an allocated message, and leave s as it
 * was.
 */
int
settings_set(struct settings *s, size_t i, const char *text, char **cause)
{
	uint64_t	value;

	if (text == NULL)
		text = "";
	if (settings_parse(&settings_table[i], text, &value, cause) == -1)
		return (-1);
	free(s->text[i]);
	s->text[i] = xstrdup(text);
	s->number[i] = value;
	s->source[i] = SETTING_GIVEN;
	return (0);
}

/* Tell whether setting i is set. */
int
settings_is_set(const struct settings *s, size_t i)
{
	return (s->text[i] != NULL);
}

/* Tell whether any setting is set. */
int
settings_any(const struct settings *s)
{
	size_t	i;

	for (i = 0; i < SETTINGS_COUNT; i++) {
		if (s->text[i] != NULL)
			return (1);
	}
	return (0);
}

/* Return setting i as written, or NULL when it is not set. */
const char *
settings_text(const struct settings *s, size_t i)
{
	return (s->text[i]);
}

/* Return the value of number or flag setting i (0 when it is not set). */
uint64_t
settings_number(const struct settings *s, size_t i)
{
	return (s->number[i]);
}

/*
 * Print setting i as settings_set reads it back: numbers in their
 * shortest exact form, the rest as written.  Caller frees.
 */
char *
settings_format(const struct settings *s, size_t i)
{
	char	*text;

	switch (settings_table[i].kind) {
	case KIND_DURATION:
		return (duration_format(s->number[i]));
	case KIND_SIZE:
		return (size_format(s->number[i]));
	case KIND_COUNT:
		xasprintf(&text, "%llu", (unsigned long long)s->number[i]);
		return (text);
	default:
		return (xstrdup(s->text[i] == NULL ? "" : s->text[i]));
	}
}

/*
 * Tell whether a and b, two values of setting i as written, are the same
 * setting: see the kinds at the top of this file.
 */
int
settings_same(size_t i, const char *a, const char *b)
{
	const struct setting_row	*r = &settings_table[i];
	uint64_t			 x, y;
	char				*cause = NULL;

	if (a == NULL || b == NULL)
		return (a == b);
	switch (r->kind) {
	case KIND_ADDRESS:
		return (address_matches(a, b));
	case KIND_URL:
	case KIND_FILE:
	case KIND_TUNNEL:
	case KIND_PATTERN:
	case KIND_STORE:
		return (strcmp(a, b) == 0);
	case KIND_FLAG:
		return (1);
	default:
		break;
	}
	if (settings_parse(r, a, &x, &cause) == -1 ||
	    settings_parse(r, b, &y, &cause) == -1) {
		free(cause);
		return (0);
	}
	return (x == y);
}

/*
 * Check settings given together: those that go together are given both or
 * neither, and a flag is not given with the setting it forgets.  Return 0,
 * or -1 with *cause.
 */
int
settings_check(const struct settings *s, char **cause)
{
	const struct setting_row	*r;
	size_t				 i, with;

	for (i = 0; i < SETTINGS_COUNT; i++) {
		if (settings_table[i].with == ROW_NONE)
			continue;
		with = (size_t)settings_table[i].with;
		/* Named in table order, whichever of the two is missing. */
		if (settings_is_set(s, i) != settings_is_set(s, with)) {
			xasprintf(cause, "%s and %s go together",
			    settings_table[i < with ? i : with].option,
			    settings_table[i < with ? with : i].option);
			return (-1);
		}
	}
	for (i = 0; i < SETTINGS_COUNT; i++) {
		r = &settings_table[i];
		if (r->forgets != ROW_NONE && settings_is_set(s, i) &&
		    settings_is_set(s, (size_t)r->forgets)) {
			xasprintf(cause, "%s and %s contradict each other",
			    r->option, settings_table[r->forgets].option);
			return (-1);
		}
	}
	return (0);
}

/*
 * Make every file setting absolute against the current directory, so that
 * later starts, from anywhere, find the same file.  Symbolic links are
 * kept: a renewed certificate often replaces a link's target.
 */
void
settings_absolute(struct settings *s)
{
	char	 cwd[PATH_MAX], *path;
	size_t	 i;

	for (i = 0; i < SETTINGS_COUNT; i++) {
		if (settings_table[i].kind != KIND_FILE || s->text[i] == NULL ||
		    *s->text[i] == '/' || getcwd(cwd, sizeof cwd) == NULL)
			continue;
		xasprintf(&path, "%s/%s", cwd, s->text[i]);
		free(s->text[i]);
		s->text[i] = path;
	}
}

/*
 * Append the settings set in s to argv, as a command line gives them
 * (--OPTION VALUE, or --FLAG): at most SETTINGS_ARGV_MAX words, which
 * point into s.
 */
void
settings_argv(const struct settings *s, const char **argv, int *argc)
{
	size_t	i;

	for (i = 0; i < SETTINGS_COUNT; i++) {
		if (s->text[i] == NULL || (settings_table[i].flags & ROW_SECRET))
			continue;
		argv[(*argc)++] = settings_table[i].option;
		if (settings_table[i].kind != KIND_FLAG)
			argv[(*argc)++] = s->text[i];
	}
}

/*
 * Put the settings set in s that settings_argv leaves out (those that may
 * hold a password) in their environment variables, where the listener
 * about to be run reads them: /proc/PID/environ is its owner's alone.
 * Return 0, or -1 with errno.
 */
int
settings_export(const struct settings *s)
{
	size_t	i;

	for (i = 0; i < SETTINGS_COUNT; i++) {
		if (s->text[i] != NULL && (settings_table[i].flags &
		    ROW_SECRET) && setenv(settings_table[i].env, s->text[i],
		    1) == -1)
			return (-1);
	}
	return (0);
}

/* Return the options of every setting, as a usage line shows them. */
char *
settings_usage(void)
{
	const char	*metavar;
	char		*line = xstrdup(""), *next;
	size_t		 i;

	for (i = 0; i < SETTINGS_COUNT; i++) {
		metavar = settings_metavar(i);
		xasprintf(&next, "%s%s[%s%s%s]", line, i == 0 ? "" : " ",
		    settings_table[i].option, metavar == NULL ? "" : " ",
		    metavar == NULL ? "" : metavar);
		free(line);
		line = next;
	}
	return (line);
}
