/*
 * A request to a hook, as HTTP in keeps it from its request line to MHD's
 * completion callback, and what every part of HTTP in does with one: give
 * it its response (now, or once the journal is durable), journal how it
 * was answered, count the memory its body holds.
 *
 * The lowest part of the in floor: answers, holds, forwards and the server
 * (httpd) use it, and it calls none of them.  The one thing it must tell
 * the server, that a resumed connection is its client's turn again, goes
 * through the callback the server gives requests_init.  Private to
 * listener/in/.
 */
#ifndef REQUEST_H
#define REQUEST_H

/*
 * The 503 for a record the store has not acknowledged (or cannot take
 * now): Redis is unreachable or slow, or has fewer replicas than
 * --store-replicas wants, or the journal has no room on disk.  And the
 * Retry-After it carries (seconds): a sender that retries after a second
 * or so will likely find it back.
 */
#define REQUEST_STORE_DOWN_TEXT	"the session's store is unreachable, retry later\n"
#define REQUEST_STORE_SHORT_TEXT "the session's store lacks replicas, retry later\n"
#define REQUEST_STORE_FULL_TEXT	"the listener's journal has no room on disk, retry later\n"
#define REQUEST_STORE_RETRY_AFTER	1

#include <sys/queue.h>

#include <stddef.h>
#include <stdint.h>

#include "buffer.h"
#include "clients.h"

struct forwarding;
struct hold;
struct hook;
struct json_object;
struct limits;
struct loop_timer;
struct message;
struct request;
struct store;
struct MHD_Connection;
struct MHD_Response;

/* Told that a connection is its client's turn (to read, then send). */
typedef void (*request_turn_cb)(struct MHD_Connection *, void *);

/*
 * What the requests of one server share: the store their records go to,
 * the limits on their bodies, how many there are and how much memory
 * their bodies hold, and whom to tell when one is resumed.
 */
struct requests {
	struct store		*store;
	const struct limits	*limits;
	size_t			 count;		/* request states allocated */
	uint64_t		 inflight;	/* bytes held by bodies */
	request_turn_cb		 client_turn;
	void			*arg;		/* for client_turn: the server */
	size_t			 awaiting;	/* unsuspended requests before
						   their sync */
	size_t			 answered;	/* unsuspended requests
						   answered since the server's
						   last pass (httpd_prepare) */
	TAILQ_HEAD(, request)	 syncing;	/* before their sync */
	int			 forwarded;	/* enum record_forwarded */
};

enum request_stage {
	REQUEST_NEW,
	REQUEST_RECEIVING,
	REQUEST_CATCHING_UP,	/* its token unknown: the store catches up */
	REQUEST_SUSPENDED,	/* until durable, replied to or forwarded */
	REQUEST_ANSWERED,	/* resumed with its response */
};

struct request {
	struct requests		*requests;	/* that it belongs to */
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
	size_t			 echo_len;	/* its bytes, NULs included */
	unsigned int		 status;	/* the answer, once known */
	struct MHD_Response	*response;
	int			 canned;	/* answer: its hook's own */
	struct hold		*hold;		/* holding it, or NULL */
	struct loop_timer	*timer;		/* the hold's deadline */
	TAILQ_ENTRY(request)	 entry;		/* on the held list */
	struct forwarding	*forwarding;	/* while its app answers */
	int			 forward_file;	/* an outbound file taken
						   for its forward, not yet
						   used (forward.c) */
	char			*client;	/* behind a tunnel, as its
						   forwarding header says */
	struct clients_key	 client_key;	/* counted as (clients.c) */
	int			 client_counted;
	int			 caught_up;	/* 1: caught up, -1: could not */
	int			 rejected;	/* its signature check failed */
	int			 unsuspended;	/* awaits its sync in MHD's
						   loop (request_await) */
	int			 gone;		/* its connection closed then:
						   the sync frees it */
	int			 syncing;	/* on requests' syncing */
	TAILQ_ENTRY(request)	 sync_entry;
};

void		 requests_init(struct requests *, struct store *,
		    const struct limits *, request_turn_cb, void *);
struct request	*request_new(struct requests *, struct MHD_Connection *,
		    const char *);
void		 request_free(struct request *);
void		 request_await(struct request *);
void		 request_unawait(struct request *);
void		 request_syncing(struct request *);
void		 request_synced(struct request *);
void		 request_completed(struct request *);
void		 request_continue(struct request *);
const char	*request_store_text(const struct store *);
struct MHD_Response *request_store_response(const struct store *);
void		 request_respond(struct request *, unsigned int,
		    struct MHD_Response *, int);
void		 request_journal_answer(struct request *, const char *,
		    unsigned int, struct json_object *, const void *, size_t,
		    int64_t);
uint64_t	 request_inflight(const struct requests *);
uint64_t	 request_body_cap(const struct requests *);
int		 request_body_reserve(struct request *, uint64_t);
void		 request_body_add(struct request *, const char *, size_t);
void		 request_body_release(struct request *);

#endif
