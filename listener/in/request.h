/*
 * A request to a hook, as HTTP in (httpd.c) keeps it from its request line
 * to MHD's completion callback, and as held (hold.c) and forwarded
 * (forward.c) requests share it.  Private to those three files.
 */
#ifndef REQUEST_H
#define REQUEST_H

#include <sys/queue.h>

#include <stddef.h>
#include <stdint.h>

#include "buffer.h"

struct hook;
struct json_object;
struct loop_timer;
struct message;
struct MHD_Connection;
struct MHD_Response;

enum request_stage {
	REQUEST_NEW,
	REQUEST_RECEIVING,
	REQUEST_SUSPENDED,	/* until durable, replied to or forwarded */
	REQUEST_ANSWERED,	/* resumed with its response */
};

struct request {
	struct MHD_Connection	*connection;
	char			*uri;		/* as sent, with the query */
	const char		*rest;		/* of uri, below the hook */
	char			*method;	/* when forwarded */
	struct hook		*hook;
	enum request_stage	 stage;
	struct buffer		 body;
	size_t			 charged;	/* of body, to --max-inflight */
	int			 too_large;	/* body passed --max-body */
	int			 overflow;	/* body passed --max-inflight */
	int			 too_long;	/* URI passed --max-header / 2 */
	struct message		*message;	/* until durable */
	uint64_t		 seq;
	char			*echo;		/* the value to answer, or NULL */
	unsigned int		 status;	/* the answer, once known */
	struct MHD_Response	*response;
	int			 held;		/* on the held list */
	int			 forwarding;	/* on the forwarding list */
	struct loop_timer	*timer;		/* the hold's deadline */
	TAILQ_ENTRY(request)	 entry;		/* held or forwarding list */
};

void	httpd_respond(struct request *, unsigned int, struct MHD_Response *,
	    int);
void	httpd_journal_answer(struct request *, const char *, unsigned int,
	    struct json_object *, const void *, size_t, int64_t);

#endif
