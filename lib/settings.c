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
 *
 * Numbers are kept as numbers and printed back in a form that parses to
 * the same value, so a saved setting survives restarts exactly.  Two rows
 * may go together (--tls-cert and --tls-key: given both or neither, saved
 * and used as a pair), and a flag may forget a saved setting (--no-tls).
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
#include "size.h"
#include "xmalloc.h"

enum setting_kind {
	KIND_ADDRESS,
	KIND_URL,
	KIND_FILE,
	KIND_DURATION,
	KIND_SIZE,
	KIND_COUNT,
	KIND_FLAG,
};

/* Metavariables of the kinds in usage lines, by kind. */
static const char *const setting_metavars[] = {
	"HOST:PORT", "URL", "FILE", "D", "SIZE", "N", NULL
};

/* Row flags. */
#define SAVED	0x1	/* kept in config.json for later starts */
#define SHOWN	0x2	/* in status replies */
#define NAMED	0x4	/* messages about a bad value begin with the option */
#define LIMIT	0x8	/* a field of struct limits, on fish status's
			   "limits" line */

#define NONE	(-1)

static const struct setting_row {
	const char	*option;
	const char	*key;
	enum setting_kind kind;
	const char	*def;		/* the default as written, or NULL */
	uint64_t	 min;		/* numbers' bounds */
	uint64_t	 max;
	const char	*bounds;	/* min and max, as users write them, or
					   NULL: only "more than 0" */
	const char	*noun;		/* in messages, for addresses and URLs */
	const char	*env;		/* the variable that may set it */
	const char	*label;		/* in fish status: a line's name, or a
					   limit's phrase, % for the value */
	int		 flags;
	int		 with;		/* the setting it goes with */
	int		 forgets;	/* a flag: the setting it forgets */
	size_t		 field;		/* offset in struct limits */
} setting_table[SETTINGS_COUNT] = {
	[SETTING_LISTEN] = { "--listen", "listen", KIND_ADDRESS,
	    "127.0.0.1:0", 0, 0, NULL, "listen address", NULL, "listen",
	    SAVED | SHOWN, NONE, NONE, 0 },
	[SETTING_PUBLIC_URL] = { "--public-url", "public_url", KIND_URL,
	    NULL, 0, 0, NULL, "public URL", "FISH_PUBLIC_URL", "public url",
	    SAVED | SHOWN, NONE, NONE, 0 },
	[SETTING_TLS_CERT] = { "--tls-cert", "tls_cert", KIND_FILE,
	    NULL, 0, 0, NULL, NULL, NULL, "tls cert",
	    SAVED | SHOWN, SETTING_TLS_KEY, NONE, 0 },
	[SETTING_TLS_KEY] = { "--tls-key", "tls_key", KIND_FILE,
	    NULL, 0, 0, NULL, NULL, NULL, "tls key",
	    SAVED | SHOWN, SETTING_TLS_CERT, NONE, 0 },
	[SETTING_NO_TLS] = { "--no-tls", "no_tls", KIND_FLAG,
	    NULL, 0, 0, NULL, NULL, NULL, NULL,
	    0, NONE, SETTING_TLS_CERT, 0 },
	[SETTING_RETAIN] = { "--retain", "retain", KIND_DURATION,
	    "7d", 1, UINT64_MAX, NULL, NULL, NULL, "retain",
	    SAVED | SHOWN, NONE, NONE, 0 },
	/*
	 * GitHub's own payload cap by default; bodies are held in memory.
	 * wait hands a body to its client in one control frame, so no
	 * body may be larger than a frame's payload.
	 */
	[SETTING_MAX_BODY] = { "--max-body", "max_body", KIND_SIZE,
	    "25MiB", 0, PROTO_PAYLOAD_MAX, "0 to 64MiB", NULL, NULL, "body %",
	    SAVED | SHOWN | NAMED | LIMIT, NONE, NONE,
	    offsetof(struct limits, max_body) },
	/*
	 * The memory MHD may use for a connection: the request line and
	 * headers must fit in it beside MHD's own few hundred bytes, and
	 * so must the answer's headers, or the connection is cut unanswered.
	 * 16KiB leaves a hook's answer room beside an ordinary request.
	 */
	[SETTING_MAX_HEADER] = { "--max-header", "max_header", KIND_SIZE,
	    "64KiB", 16ULL << 10, 1ULL << 20, "16KiB to 1MiB", NULL, NULL,
	    "header %", SAVED | SHOWN | NAMED | LIMIT, NONE, NONE,
	    offsetof(struct limits, max_header) },
	[SETTING_IDLE_TIMEOUT] = { "--idle-timeout", "idle_timeout",
	    KIND_DURATION, "10s", 1, 24ULL * 3600 * 1000, "1ms to 1d", NULL,
	    NULL, "idle %", SAVED | SHOWN | NAMED | LIMIT, NONE, NONE,
	    offsetof(struct limits, idle_timeout_ms) },
	[SETTING_MAX_CONNECTIONS] = { "--max-connections", "max_connections",
	    KIND_COUNT, "512", 1, 65536, "1 to 65536", NULL, NULL,
	    "% connections", SAVED | SHOWN | NAMED | LIMIT, NONE, NONE,
	    offsetof(struct limits, max_connections) },
	[SETTING_MAX_PER_IP] = { "--max-per-ip", "max_per_ip", KIND_COUNT,
	    "64", 1, 65536, "1 to 65536", NULL, NULL, "% per address",
	    SAVED | SHOWN | NAMED | LIMIT, NONE, NONE,
	    offsetof(struct limits, max_per_ip) },
	/*
	 * The bodies of all requests being received at once, held in
	 * memory until journaled: ten bodies of the default --max-body.
	 */
	[SETTING_MAX_INFLIGHT] = { "--max-inflight", "max_inflight",
	    KIND_SIZE, "256MiB", 1ULL << 20, 64ULL << 30, "1MiB to 64GiB",
	    NULL, NULL, "% in flight", SAVED | SHOWN | NAMED | LIMIT, NONE,
	    NONE, offsetof(struct limits, max_inflight) },
};

/* Make settings with none set. */
void
settings_init(struct settings *s)
{
	memset(s, 0, sizeof *s);
}

/* Unset setting i. */
static void
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
		if (strcmp(setting_table[i].option + 2, name) == 0)
			return ((int)i);
	}
	return (-1);
}

/* Return the option of setting i ("--max-body"). */
const char *
settings_option(size_t i)
{
	return (setting_table[i].option);
}

/* Return the name of setting i in config.json and status replies. */
const char *
settings_key(size_t i)
{
	return (setting_table[i].key);
}

/* Return what the value of setting i is in usage lines, or NULL: none. */
const char *
settings_metavar(size_t i)
{
	return (setting_metavars[setting_table[i].kind]);
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
	char	*why = NULL;
	int	 error = 0;

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
	if (r->flags & NAMED)
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
	if (settings_parse(&setting_table[i], text, &value, cause) == -1)
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

	switch (setting_table[i].kind) {
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
	const struct setting_row	*r = &setting_table[i];
	uint64_t			 x, y;
	char				*cause = NULL;

	if (a == NULL || b == NULL)
		return (a == b);
	switch (r->kind) {
	case KIND_ADDRESS:
		return (address_matches(a, b));
	case KIND_URL:
	case KIND_FILE:
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
		if (setting_table[i].with == NONE)
			continue;
		with = (size_t)setting_table[i].with;
		/* Named in table order, whichever of the two is missing. */
		if (settings_is_set(s, i) != settings_is_set(s, with)) {
			xasprintf(cause, "%s and %s go together",
			    setting_table[i < with ? i : with].option,
			    setting_table[i < with ? with : i].option);
			return (-1);
		}
	}
	for (i = 0; i < SETTINGS_COUNT; i++) {
		r = &setting_table[i];
		if (r->forgets != NONE && settings_is_set(s, i) &&
		    settings_is_set(s, (size_t)r->forgets)) {
			xasprintf(cause, "%s and %s contradict each other",
			    r->option, setting_table[r->forgets].option);
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
		if (setting_table[i].kind != KIND_FILE || s->text[i] == NULL ||
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
		if (s->text[i] == NULL)
			continue;
		argv[(*argc)++] = setting_table[i].option;
		if (setting_table[i].kind != KIND_FLAG)
			argv[(*argc)++] = s->text[i];
	}
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
		    setting_table[i].option, metavar == NULL ? "" : " ",
		    metavar == NULL ? "" : metavar);
		free(line);
		line = next;
	}
	return (line);
}

/* Set setting i of s to text, which is valid, from source. */
static void
settings_take(struct settings *s, size_t i, const char *text,
    enum setting_source source)
{
	char	*cause = NULL;

	if (settings_set(s, i, text, &cause) == -1) {
		/* Only a bad row of the table could get here. */
		free(cause);
		return;
	}
	s->source[i] = source;
}

/*
 * Resolve setting i of s from the environment, then saved (a JSON object,
 * or NULL), then its default.  Return 0, or -1 with *cause naming where
 * the bad value was (the environment variable, or saved_name).
 */
static int
settings_resolve_one(struct settings *s, size_t i, struct json_object *saved,
    const char *saved_name, char **cause)
{
	const struct setting_row	*r = &setting_table[i];
	struct json_object		*value;
	const char			*text;
	char				*why;

	if (r->env != NULL && (text = getenv(r->env)) != NULL &&
	    *text != '\0') {
		if (settings_set(s, i, text, &why) == -1) {
			xasprintf(cause, "%s: %s", r->env, why);
			free(why);
			return (-1);
		}
		s->source[i] = SETTING_ENVIRONMENT;
		return (0);
	}
	if ((r->flags & SAVED) && json_object_object_get_ex(saved, r->key,
	    &value) && (text = json_object_get_string(value)) != NULL &&
	    *text != '\0') {
		if (settings_set(s, i, text, &why) == -1) {
			xasprintf(cause, "%s, saved in %s", why, saved_name);
			free(why);
			return (-1);
		}
		s->source[i] = SETTING_SAVED;
		return (0);
	}
	if (r->def != NULL)
		settings_take(s, i, r->def, SETTING_DEFAULT);
	return (0);
}

/*
 * Work out the settings in force into s (initialised, empty): each as
 * given, else from its environment variable, else as saved (a JSON object
 * read from saved_name, or NULL), else its default.  A value given that
 * is the same as the saved one (settings_same: HOST:0 and the port chosen
 * then) keeps the saved one; a flag given forgets the saved setting it
 * names; settings that go together are taken together or not at all.  A
 * saved value is read only when it is used, so giving a setting again
 * replaces a bad one.  Return 0, or -1 with *cause when a value taken from
 * the environment or saved_name is bad.
 */
int
settings_resolve(struct settings *s, const struct settings *given,
    struct json_object *saved, const char *saved_name, char **cause)
{
	struct json_object	*value;
	const char		*text;
	size_t			 i;
	int			 forget[SETTINGS_COUNT] = { 0 };

	for (i = 0; i < SETTINGS_COUNT; i++) {
		if (given->text[i] != NULL && setting_table[i].forgets != NONE)
			forget[setting_table[i].forgets] = 1;
	}
	for (i = 0; i < SETTINGS_COUNT; i++) {
		if (given->text[i] != NULL) {
			text = given->text[i];
			if (json_object_object_get_ex(saved, setting_table[i].key,
			    &value) && settings_same(i, text,
			    json_object_get_string(value)))
				text = json_object_get_string(value);
			settings_take(s, i, text, SETTING_GIVEN);
		} else if (!forget[i] && settings_resolve_one(s, i, saved,
		    saved_name, cause) == -1)
			return (-1);
	}
	for (i = 0; i < SETTINGS_COUNT; i++) {
		if (setting_table[i].with != NONE && settings_is_set(s, i) !=
		    settings_is_set(s, (size_t)setting_table[i].with)) {
			settings_unset(s, i);
			settings_unset(s, (size_t)setting_table[i].with);
		}
	}
	return (0);
}

/* Fill in the limits on hooks' requests from s. */
void
settings_limits(const struct settings *s, struct limits *limits)
{
	size_t	i;

	for (i = 0; i < SETTINGS_COUNT; i++) {
		if (setting_table[i].flags & LIMIT)
			*(uint64_t *)(void *)((char *)limits +
			    setting_table[i].field) = s->number[i];
	}
}

/* Return the settings of s to save, as a JSON object of strings. */
struct json_object *
settings_save(const struct settings *s)
{
	struct json_object	*o;
	char			*text;
	size_t			 i;

	o = json_object_new_object();
	for (i = 0; i < SETTINGS_COUNT; i++) {
		if (!(setting_table[i].flags & SAVED) || s->text[i] == NULL)
			continue;
		text = settings_format(s, i);
		json_object_object_add(o, setting_table[i].key,
		    json_object_new_string(text));
		free(text);
	}
	return (o);
}

/*
 * Add the settings of s that status shows to a status reply: counts as
 * numbers, the rest as strings (settings_format).
 */
void
settings_status(const struct settings *s, struct json_object *reply)
{
	struct json_object	*value;
	char			*text;
	size_t			 i;

	for (i = 0; i < SETTINGS_COUNT; i++) {
		if (!(setting_table[i].flags & SHOWN) || s->text[i] == NULL)
			continue;
		if (setting_table[i].kind == KIND_COUNT)
			value = json_object_new_int64((int64_t)s->number[i]);
		else {
			text = settings_format(s, i);
			value = json_object_new_string(text);
			free(text);
		}
		json_object_object_add(reply, setting_table[i].key, value);
	}
}

/*
 * Tell whether a running listener, as its status reply says, has the
 * settings given in s; a setting not given is the same, and a flag given
 * asks that the setting it forgets be unset.
 */
int
settings_match(const struct settings *s, struct json_object *reply)
{
	const struct setting_row	*r;
	struct json_object		*value;
	size_t				 i;

	for (i = 0; i < SETTINGS_COUNT; i++) {
		r = &setting_table[i];
		if (s->text[i] == NULL)
			continue;
		if (r->forgets != NONE) {
			if (json_object_object_get_ex(reply,
			    setting_table[r->forgets].key, NULL))
				return (0);
			continue;
		}
		if (!json_object_object_get_ex(reply, r->key, &value) ||
		    !settings_same(i, s->text[i], json_object_get_string(value)))
			return (0);
	}
	return (1);
}

/* Return a limit's phrase in the limits line: its label, % its value. */
static char *
settings_phrase(const char *label, const char *value)
{
	const char	*at = strchr(label, '%');
	char		*s;

	xasprintf(&s, "%.*s%s%s", (int)(at - label), label, value, at + 1);
	return (s);
}

/*
 * Make the lines fish status shows for the settings in a status reply,
 * into lines (room for SETTINGS_COUNT): one for each setting shown and
 * set, but one for all the limits; an address other machines can reach is
 * marked.  Return how many; the caller frees each value.
 */
size_t
settings_lines(struct json_object *reply, struct setting_line *lines)
{
	struct json_object	*value;
	const char		*text;
	char			*phrase, *joined, *limits = NULL;
	size_t			 i, n = 0, at = 0;

	for (i = 0; i < SETTINGS_COUNT; i++) {
		if (!(setting_table[i].flags & SHOWN))
			continue;
		text = NULL;
		if (json_object_object_get_ex(reply, setting_table[i].key,
		    &value))
			text = json_object_get_string(value);
		if (setting_table[i].flags & LIMIT) {
			if (limits == NULL && text == NULL)
				continue;
			if (limits == NULL)
				at = n++;
			phrase = settings_phrase(setting_table[i].label,
			    text == NULL ? "?" : text);
			xasprintf(&joined, "%s%s%s", limits == NULL ? "" :
			    limits, limits == NULL ? "" : ", ", phrase);
			free(phrase);
			free(limits);
			lines[at].label = "limits";
			lines[at].value = limits = joined;
			continue;
		}
		if (text == NULL)
			continue;
		lines[n].label = setting_table[i].label;
		if (setting_table[i].kind == KIND_ADDRESS &&
		    !address_is_loopback(text))
			xasprintf(&lines[n].value, "%s (reachable from other "
			    "machines)", text);
		else
			lines[n].value = xstrdup(text);
		n++;
	}
	return (n);
}
