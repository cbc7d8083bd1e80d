/*
 * What the files of fish send share: cmd-send.c (the command, its options
 * and the request frame), cmd-send-request.c (the request's headers and
 * body from items and curl's options) and cmd-send-output.c (what it does
 * with the answer: -o, -v, the body, -w).  Private to those three.
 */
#ifndef CMD_SEND_H
#define CMD_SEND_H

#include <stddef.h>
#include <stdint.h>

#include "curlopt.h"

struct items;
struct proto_frame;

#define SEND_EXPECT_MAX	32	/* codes and classes in --expect */

/* What the command does with the answer (the options after the request). */
struct send_options {
	uint64_t	 timeout;
	unsigned int	 retries;
	int		 follow;
	int		 include;
	int		 quiet;
	const char	*expect;	/* as given, for messages */
	int		 expect_low[SEND_EXPECT_MAX];
	int		 expect_high[SEND_EXPECT_MAX];
	size_t		 nexpect;
	const char	*sign;		/* --sign SPEC */
	const char	*output;	/* -o FILE */
	char		*output_tmp;	/* written, then renamed to FILE */
	int		 output_fd;
	int		 output_direct;	/* FILE is no regular file (/dev/null):
					   written as it is */
	struct proxy_options proxy;	/* -x, --noproxy, --proxy-user,
					   --proxy-header */
	int		 insecure;	/* -k */
	char		*cacert;	/* --cacert, made absolute */
	int		 compressed;
	int		 verbose;	/* -v */
	int		 raw;		/* --raw */
	char		*write_out;	/* -w FORMAT, read if @FILE */
	uint64_t	 max_response;	/* --max-response, or 0 */
};

/* One --data or --data-urlencode. */
struct send_data {
	const char	*arg;
	int		 encode;	/* --data-urlencode */
};

/* What the request is made of (the options that build it). */
struct send_parts {
	char		**headers;	/* -H, in order */
	size_t		  nheaders;
	char		**forms;	/* -F */
	size_t		  nforms;
	struct send_data *data;		/* --data and --data-urlencode,
					   in order */
	size_t		  ndata;
	char		 *user;		/* -u USER:PASSWORD */
	const char	 *json;
	int		  get;		/* -G: that data goes in the
					   URL's query */
};

int	cmd_send_prepare(struct items *, const struct send_parts *, char **, int,
	    char **, size_t *);
int	cmd_send_output_open(struct send_options *);
int	cmd_send_output_close(struct send_options *, int);
void	cmd_send_trace(const char *, size_t);
int	cmd_send_print(struct send_options *, const struct proto_frame *);
int	cmd_send_write_out(const struct send_options *, const char *,
	    const struct proto_frame *, const char *);

#endif
