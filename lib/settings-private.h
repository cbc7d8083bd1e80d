/*
 * Between settings.c (the table, and reading, writing and comparing
 * values) and settings-resolve.c (the settings in force, and where they
 * go): the table's rows.  Nothing else includes this.
 */
#ifndef SETTINGS_PRIVATE_H
#define SETTINGS_PRIVATE_H

#include <stddef.h>
#include <stdint.h>

#include "settings.h"

/* How a value is written, read, compared and shown (see settings.c). */
enum setting_kind {
	KIND_ADDRESS,
	KIND_URL,
	KIND_FILE,
	KIND_DURATION,
	KIND_SIZE,
	KIND_COUNT,
	KIND_FLAG,
	KIND_TUNNEL,
	KIND_PATTERN,
	KIND_STORE,
};

/* Row flags. */
#define ROW_SAVED	0x1	/* kept in config.json for later starts */
#define ROW_SHOWN	0x2	/* in status replies */
#define ROW_NAMED	0x4	/* messages on a bad value name the option */
#define ROW_LIMIT	0x8	/* a field of struct limits, on fish status's
			   "limits" line */
#define ROW_SECRET	0x10	/* may hold a password: never in argv (given
			   to the listener in its variable), shown
			   masked */

#define ROW_NONE	(-1)	/* no setting (with, forgets) */

struct setting_row {
	const char	*option;	/* --max-body */
	const char	*key;		/* max_body: in config.json, status */
	enum setting_kind kind;
	const char	*def;		/* the default as written, or NULL */
	uint64_t	 min;		/* numbers' bounds */
	uint64_t	 max;
	const char	*bounds;	/* min and max, as users write them, or
					   NULL: only "more than 0" */
	const char	*noun;		/* in messages about addresses, URLs */
	const char	*env;		/* the variable that may set it */
	const char	*label;		/* in fish status: a line's name, or a
					   limit's phrase, % for the value */
	int		 flags;
	int		 with;		/* the setting it goes with */
	int		 forgets;	/* a flag: the setting it forgets */
	size_t		 field;		/* offset in struct limits */
};

extern const struct setting_row settings_table[SETTINGS_COUNT];

#endif
