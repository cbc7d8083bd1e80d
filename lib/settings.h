/*
 * The settings of fish start (--listen, --public-url, --tunnel, --retain,
 * --idle-exit, --store, --store-replicas, TLS and the limits on hooks'
 * requests), in one table that says for each its option, its name in
 * config.json and status replies, its kind, its default, and whether it is
 * saved and shown.  The client checks and passes them on with it, the
 * listener resolves, saves and shows them with it, and the client compares
 * them with a running listener's with it: a new setting is one row of the
 * table, plus the code that uses its value.
 */
#ifndef SETTINGS_H
#define SETTINGS_H

#include <stddef.h>
#include <stdint.h>

#include "limit.h"

struct json_object;

/* The settings, in the order of the table (and of fish status). */
enum setting_id {
	SETTING_LISTEN,
	SETTING_PUBLIC_URL,
	SETTING_TLS_CERT,
	SETTING_TLS_KEY,
	SETTING_NO_TLS,
	SETTING_RETAIN,
	SETTING_IDLE_EXIT,
	SETTING_MAX_BODY,
	SETTING_MAX_HEADER,
	SETTING_IDLE_TIMEOUT,
	SETTING_MAX_CONNECTIONS,
	SETTING_MAX_PER_IP,
	SETTING_MAX_INFLIGHT,
	SETTING_TUNNEL,
	SETTING_NO_TUNNEL,
	SETTING_TUNNEL_URL_PATTERN,
	SETTING_TUNNEL_TIMEOUT,
	SETTING_STORE,
	SETTING_STORE_REPLICAS,
	SETTINGS_COUNT
};

/* Where a setting in force came from (settings_resolve). */
enum setting_source {
	SETTING_UNSET,
	SETTING_DEFAULT,
	SETTING_SAVED,
	SETTING_ENVIRONMENT,
	SETTING_GIVEN,
};

/* Settings, each set or not: as given, as saved, or in force. */
struct settings {
	char			*text[SETTINGS_COUNT];	/* as written, or
							   NULL: not set */
	uint64_t		 number[SETTINGS_COUNT]; /* ms, bytes, a count,
							   or 1 for a flag */
	enum setting_source	 source[SETTINGS_COUNT];
};

/* The most words settings_argv adds. */
#define SETTINGS_ARGV_MAX	(2 * SETTINGS_COUNT)

/* One line of fish status for the settings (settings_lines). */
struct setting_line {
	const char	*label;		/* "listen", "limits", ... */
	char		*value;		/* allocated */
};

void		 settings_init(struct settings *);
void		 settings_release(struct settings *);
void		 settings_unset(struct settings *, size_t);
int		 settings_find(const char *);
const char	*settings_option(size_t);
const char	*settings_key(size_t);
const char	*settings_metavar(size_t);
int		 settings_set(struct settings *, size_t, const char *, char **);
int		 settings_is_set(const struct settings *, size_t);
int		 settings_any(const struct settings *);
const char	*settings_text(const struct settings *, size_t);
uint64_t	 settings_number(const struct settings *, size_t);
char		*settings_format(const struct settings *, size_t);
int		 settings_same(size_t, const char *, const char *);
int		 settings_check(const struct settings *, char **);
void		 settings_absolute(struct settings *);
void		 settings_argv(const struct settings *, const char **, int *);
int		 settings_export(const struct settings *);
char		*settings_usage(void);
int		 settings_resolve(struct settings *, const struct settings *,
		    struct json_object *, const char *, char **);
void		 settings_limits(const struct settings *, struct limits *);
struct json_object *settings_save(const struct settings *);
void		 settings_status(const struct settings *, struct json_object *);
int		 settings_match(const struct settings *, struct json_object *);
char		*settings_mismatch(const struct settings *, struct json_object *);
size_t		 settings_lines(struct json_object *, struct setting_line *);

#endif
