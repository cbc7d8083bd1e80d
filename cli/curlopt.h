/*
 * The request options of curl's that fish send takes with curl's names
 * and meanings: -u, -H @FILE, -F, --data-urlencode, and the proxy of the
 * command that runs (--proxy, --noproxy and curl's environment variables).
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

int	 curlopt_user(struct items *, char *, char **);
int	 curlopt_header_file(struct items *, const char *, char **);
int	 curlopt_urlencode(struct buffer *, const char *, char **);
int	 curlopt_form(struct buffer *, const char *, const char *, char **);
void	 curlopt_form_end(struct buffer *, const char *);
void	 curlopt_boundary(char *, size_t);
void	 curlopt_proxy(const char *, const char **, const char **);
void	 curlopt_proxy_add(struct json_object *, const char *, const char *,
	    const char *, const char *);

#endif
