/*
 * The settings in force, and where they go (see settings.c for the
 * table): resolved from those given, the environment, config.json and the
 * defaults; saved to config.json; shown in status replies and by fish
 * status; compared with a running listener's.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "address.h"
#include "settings.h"
#include "settings-private.h"
#include "store-url.h"
#include "xmalloc.h"

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
	const struct setting_row	*r = &settings_table[i];
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
	if ((r->flags & ROW_SAVED) && json_object_object_get_ex(saved, r->key,
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
	const struct setting_row	*r;
	struct json_object		*value;
	const char			*text;
	size_t				 i;
	int				 forget[SETTINGS_COUNT] = { 0 };

	for (i = 0; i < SETTINGS_COUNT; i++) {
		r = &settings_table[i];
		if (given->text[i] != NULL && r->forgets != ROW_NONE)
			forget[r->forgets] = 1;
	}
	for (i = 0; i < SETTINGS_COUNT; i++) {
		r = &settings_table[i];
		if (given->text[i] != NULL) {
			text = given->text[i];
			if (json_object_object_get_ex(saved, r->key, &value) &&
			    settings_same(i, text,
			    json_object_get_string(value)))
				text = json_object_get_string(value);
			settings_take(s, i, text, SETTING_GIVEN);
		} else if (!forget[i] && settings_resolve_one(s, i, saved,
		    saved_name, cause) == -1)
			return (-1);
	}
	for (i = 0; i < SETTINGS_COUNT; i++) {
		r = &settings_table[i];
		if (r->with != ROW_NONE && settings_is_set(s, i) !=
		    settings_is_set(s, (size_t)r->with)) {
			settings_unset(s, i);
			settings_unset(s, (size_t)r->with);
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
		if (settings_table[i].flags & ROW_LIMIT)
			*(uint64_t *)(void *)((char *)limits +
			    settings_table[i].field) = s->number[i];
	}
}

/*
 * Return value text of setting i as status replies show it: a store URL
 * masked (its password as ***), anything else as written.  Caller frees.
 */
static char *
settings_masked(size_t i, const char *text)
{
	struct store_url	 url;
	char			*cause = NULL, *masked;

	if (settings_table[i].kind != KIND_STORE)
		return (xstrdup(text));
	/* Checked when set; its password is not read again. */
	if (store_url_parse_shown(text, &url, &cause) == -1) {
		free(cause);
		return (xstrdup("?"));
	}
	masked = store_url_masked(&url);
	store_url_free(&url);
	return (masked);
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
		if (!(settings_table[i].flags & ROW_SAVED) ||
		    s->text[i] == NULL)
			continue;
		text = settings_format(s, i);
		json_object_object_add(o, settings_table[i].key,
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
		if (!(settings_table[i].flags & ROW_SHOWN) ||
		    s->text[i] == NULL)
			continue;
		if (settings_table[i].kind == KIND_COUNT)
			value = json_object_new_int64((int64_t)s->number[i]);
		else if (settings_table[i].kind == KIND_STORE) {
			text = settings_masked(i, s->text[i]);
			value = json_object_new_string(text);
			free(text);
		} else {
			text = settings_format(s, i);
			value = json_object_new_string(text);
			free(text);
		}
		json_object_object_add(reply, settings_table[i].key, value);
	}
}

/*
 * Tell whether value text of setting i is the one a status reply shows
 * (shown, or NULL: not shown).  A store URL is shown masked: two that
 * differ only in their passwords are the same here.
 */
static int
settings_shown_same(size_t i, const char *text, const char *shown)
{
	char	*masked;
	int	 same;

	if (settings_table[i].kind != KIND_STORE)
		return (settings_same(i, text, shown));
	if (shown == NULL)
		return (0);
	masked = settings_masked(i, text);
	same = strcmp(masked, shown) == 0;
	free(masked);
	return (same);
}

/*
 * Say how a running listener, as its status reply says, differs from the
 * settings given in s: "it runs with --idle-exit 10m", "it runs without
 * --public-url"; NULL when it has them all.  A setting not given is the
 * same, and a flag given asks that the setting it forgets be unset.  A
 * store URL is shown as status shows it, masked, and files not at all.
 * Caller frees.
 */
char *
settings_mismatch(const struct settings *s, struct json_object *reply)
{
	const struct setting_row	*r;
	struct json_object		*value;
	const char			*shown;
	char				*why;
	size_t				 i;

	for (i = 0; i < SETTINGS_COUNT; i++) {
		r = &settings_table[i];
		if (s->text[i] == NULL)
			continue;
		if (r->forgets != ROW_NONE) {
			if (!json_object_object_get_ex(reply,
			    settings_table[r->forgets].key, NULL))
				continue;
			xasprintf(&why, "it runs with %s, which %s forgets",
			    settings_table[r->forgets].option, r->option);
			return (why);
		}
		shown = NULL;
		if (json_object_object_get_ex(reply, r->key, &value))
			shown = json_object_get_string(value);
		if (settings_shown_same(i, s->text[i], shown))
			continue;
		if (shown == NULL)
			xasprintf(&why, "it runs without %s", r->option);
		else if (r->kind == KIND_FILE)
			xasprintf(&why, "it runs with another %s", r->option);
		else
			xasprintf(&why, "it runs with %s %s", r->option, shown);
		return (why);
	}
	return (NULL);
}

/*
 * Tell whether a running listener, as its status reply says, has the
 * settings given in s (see settings_mismatch).
 */
int
settings_match(const struct settings *s, struct json_object *reply)
{
	char	*why;

	why = settings_mismatch(s, reply);
	free(why);
	return (why == NULL);
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
		if (!(settings_table[i].flags & ROW_SHOWN))
			continue;
		text = NULL;
		if (json_object_object_get_ex(reply, settings_table[i].key,
		    &value))
			text = json_object_get_string(value);
		if (settings_table[i].flags & ROW_LIMIT) {
			if (limits == NULL && text == NULL)
				continue;
			if (limits == NULL)
				at = n++;
			phrase = settings_phrase(settings_table[i].label,
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
		lines[n].label = settings_table[i].label;
		if (settings_table[i].kind == KIND_ADDRESS &&
		    !address_is_loopback(text))
			xasprintf(&lines[n].value, "%s (reachable from other "
			    "machines)", text);
		else
			lines[n].value = xstrdup(text);
		n++;
	}
	return (n);
}
