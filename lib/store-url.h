/*
 * Store URLs: where a session keeps its records (issue 17).
 *
 *	journal					the embedded journal
 *	redis://[USER[:PASSWORD]@]HOST[:PORT][/DB]
 *						Redis over TCP
 *	unix://[USER[:PASSWORD]@]/PATH[?db=DB]	Redis on a Unix socket
 *
 * PASSWORD is a secret as signature specs take it (sigspec.h): env:NAME
 * or @FILE name where to read it; anything else is the password itself,
 * percent-escapes decoded (so "%40x" is the password "@x").  The user
 * information ends at the URL's last '@' (redis://) or last "@/"
 * (unix://), so a file name may hold '/' and a password '@'.  Without a
 * USER, the password is checked with AUTH PASSWORD (requirepass); with
 * one, with AUTH USER PASSWORD (an ACL user).
 *
 * Pure parsing and resolving, so both the client and the listener can
 * check a URL.  Causes never hold the password nor any part of the URL's
 * user information or authority: only the scheme and what was wrong.
 */
#ifndef STORE_URL_H
#define STORE_URL_H

#include <stddef.h>

#define STORE_URL_MAX		2048	/* longest URL taken */
#define STORE_URL_PORT		6379	/* Redis's, when none is given */
#define STORE_URL_DB_MAX	2147483647 /* SELECT says the server's own */
#define STORE_URL_PATH_MAX	107	/* sun_path less its NUL */
#define STORE_URL_HOST_MAX	253	/* DNS's longest name */
#define STORE_URL_USER_MAX	128	/* longest user, decoded */

enum store_kind {
	STORE_JOURNAL,
	STORE_REDIS_TCP,
	STORE_REDIS_UNIX,
};

struct store_url {
	enum store_kind	 kind;
	char		*host;		/* TCP: no [] around IPv6 */
	int		 port;		/* TCP */
	char		*path;		/* Unix socket */
	int		 db;
	char		*user;		/* NULL: AUTH PASSWORD alone */
	char		*password;	/* resolved; NULL: no AUTH */
	size_t		 password_len;
	char		*password_env;	/* env:NAME: NAME, else NULL */
};

/*
 * Parse text into *out and resolve its password.  Return 0, or -1 with
 * *cause set to one line (caller frees).  On success the caller calls
 * store_url_free.
 */
int	 store_url_parse(const char *text, struct store_url *out,
	    char **cause);

/*
 * Parse text as store_url_parse does, for store_url_masked only: a
 * password given as env:NAME or @FILE is not read (it is empty), so that
 * a listener that has forgotten the variable still shows its URL.
 */
int	 store_url_parse_shown(const char *text, struct store_url *out,
	    char **cause);

/*
 * Return the URL as fish shows it, with the password (if any) as
 * MASK_PASSWORD (mask.h); caller frees.
 */
char	*store_url_masked(const struct store_url *);

/* Wipe the password and free everything of the URL. */
void	 store_url_free(struct store_url *);

#endif
