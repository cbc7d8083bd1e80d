/*
 * The request options of curl's that fish send takes with curl's names
 * and meanings: -u, -H @FILE, -F, --data-urlencode, and the proxy of the
 * command that runs (--proxy, --noproxy, --proxy-user, --proxy-header and
 * curl's environment variables), which fish replay takes too.
 * Each builds part of the request here, in the client, where the user's
 * files, terminal and environment are; the listener sends what it is
 * given.
 */
#ifndef CURLOPT_H
#define CURLOPT_H

#include <stddef.h>

#include <json-c/json.h>

#include "buffer.h"
#include "items.h"

/* The proxy options of send and replay, as curl's (curlopt_proxy_option). */
struct proxy_options {
	const char	 *proxy;	/* -x, --proxy, or NULL: the
					   environment's */
	const char	 *noproxy;	/* --noproxy, or NULL: likewise */
	char		 *user;		/* --proxy-user, a copy (argv's
					   password blanked at once) */
	char		**headers;	/* --proxy-header, in order */
	size_t		  nheaders;
};

#define PROXY_OPTION_NOPROXY	2000
#define PROXY_OPTION_USER	2001
#define PROXY_OPTION_HEADER	2002

/* The long options of struct proxy_options, for a command's table. */
#define PROXY_OPTIONS \
	{ "noproxy", required_argument, NULL, PROXY_OPTION_NOPROXY }, \
	{ "proxy", required_argument, NULL, 'x' }, \
	{ "proxy-header", required_argument, NULL, PROXY_OPTION_HEADER }, \
	{ "proxy-user", required_argument, NULL, PROXY_OPTION_USER }

char	*curlopt_read(const char *, size_t *, char **);
int	 curlopt_user(struct items *, char *, char **);
int	 curlopt_header_file(struct items *, const char *, char **);
int	 curlopt_urlencode(struct buffer *, const char *, char **);
int	 curlopt_form(struct buffer *, const char *, const char *, char **);
void	 curlopt_form_end(struct buffer *, const char *);
void	 curlopt_boundary(char *, size_t);
int	 curlopt_proxy_option(struct proxy_options *, int, char *);
int	 curlopt_proxy_add(struct json_object *, const char *,
	    const struct proxy_options *, char **);
void	 curlopt_proxy_release(struct proxy_options *);

#endif
