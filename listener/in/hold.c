/*
 * Held requests.  A request to a --hold hook is not answered once it is
 * durable: its connection stays suspended, on the held list (oldest
 * first), until fish reply answers it or its hold timeout does (504).  MHD
 * does not notice that a suspended connection's peer went away, so we look
 * at the socket ourselves before answering.  How each held request was
 * settled is journaled (MESSAGE_ANSWERED) before the answer goes out, and
 * remembered, so that a late fish reply can say what became of it.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/types.h>

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <microhttpd.h>

#include "answer.h"
#include "hold.h"
#include "hook.h"
#include "loop.h"
#include "message.h"
#include "proto.h"
#include "request.h"
#include "sorted.h"
#include "store.h"
#include "xmalloc.h"

/* How a held request was settled (journaled as its "outcome"). */
enum held_outcome {
	HELD_REPLIED,
	HELD_TIMED_OUT,
	HELD_HUNG_UP,
	HELD_STOPPED,
};

static const char *held_outcome_names[] = {
	"replied", "timed out", "hung up", "stopped",
};

struct settled {
	uint64_t		 seq;
	enum held_outcome	 outcome;
};

struct hold {
	struct loop		*loop;
	struct store		*store;
	TAILQ_HEAD(, request)	 held;		/* oldest first */
	struct settled		*settled;	/* held ones answered, by seq */
	size_t			 nsettled, settled_size;
};

/*
 * Start with no held requests; hold timeouts run on loop, and fish reply
 * finds messages and hooks in store.
 */
struct hold *
hold_new(struct loop *loop, struct store *store)
{
	struct hold	*h;

	h = xcalloc(1, sizeof *h);
	h->loop = loop;
	h->store = store;
	TAILQ_INIT(&h->held);
	return (h);
}

/*
 * Free what hold_new made, and forget how held requests were settled
 * (when the server stops, after hold_quiesce: none is held any more).
 */
void
hold_free(struct hold *h)
{
	struct request	*r;

	if (h == NULL)
		return;
	while ((r = TAILQ_FIRST(&h->held)) != NULL)
		hold_forget(h, r);
	free(h->settled);
	free(h);
}

/*
 * Tell whether the sender of a suspended request has hung up: MHD does not
 * look at suspended connections, so peek at the socket.
 */
static int
hold_hung_up(struct request *r)
{
	const union MHD_ConnectionInfo	*info;
	struct pollfd			 pfd;
	ssize_t				 n;
	char				 c;

	info = MHD_get_connection_info(r->connection,
	    MHD_CONNECTION_INFO_CONNECTION_FD);
	if (info == NULL)
		return (0);
	pfd.fd = info->connect_fd;
	pfd.events = POLLIN;
	pfd.revents = 0;
	if (poll(&pfd, 1, 0) <= 0)
		return (0);
	if (pfd.revents & (POLLHUP | POLLERR))
		return (1);
	n = recv(pfd.fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
	return (n == 0 || (n == -1 && errno != EAGAIN &&
	    errno != EWOULDBLOCK && errno != EINTR));
}

/* Compare a sequence number with a settled request, for sorted_find. */
static int
hold_compare_settled(const void *key, const void *element)
{
	uint64_t		 seq = *(const uint64_t *)key;
	const struct settled	*s = element;

	return (seq < s->seq ? -1 : seq > s->seq);
}

/* Find how the held request seq was settled; NULL if it was not. */
static struct settled *
hold_find_settled(struct hold *h, uint64_t seq)
{
	return (sorted_find(&seq, h->settled, h->nsettled, sizeof *h->settled,
	    hold_compare_settled));
}

/* Remember how a held request was settled, keeping the table in order. */
static void
hold_add_settled(struct hold *h, uint64_t seq, enum held_outcome outcome)
{
	size_t	at;

	if (h->nsettled == h->settled_size) {
		h->settled_size = h->settled_size == 0 ? 64 :
		    h->settled_size * 2;
		h->settled = xreallocarray(h->settled, h->settled_size,
		    sizeof *h->settled);
	}
	at = h->nsettled;
	while (at > 0 && h->settled[at - 1].seq > seq)
		at--;
	memmove(&h->settled[at + 1], &h->settled[at],
	    (h->nsettled - at) * sizeof *h->settled);
	h->settled[at].seq = seq;
	h->settled[at].outcome = outcome;
	h->nsettled++;
}

/*
 * Settle a held request: take it off the held list, journal how, and send
 * the response once that is durable.
 */
static void
hold_settle(struct request *r, enum held_outcome outcome,
    unsigned int status, struct json_object *headers, const void *body,
    size_t len, struct MHD_Response *response)
{
	struct hold	*h = r->hold;

	TAILQ_REMOVE(&h->held, r, entry);
	r->hold = NULL;
	loop_timer_cancel(h->loop, r->timer);
	r->timer = NULL;
	request_journal_answer(r, held_outcome_names[outcome], status, headers,
	    body, len, -1);
	hold_add_settled(h, r->seq, outcome);
	request_respond(r, status, response, 1);
}

/* A held request's hold timed out: answer 504. */
static void
hold_expired(void *arg)
{
	struct request	*r = arg;
	const char	*text = "no answer in time\n";

	r->timer = NULL;
	hold_settle(r, hold_hung_up(r) ? HELD_HUNG_UP : HELD_TIMED_OUT,
	    MHD_HTTP_GATEWAY_TIMEOUT, NULL, text, strlen(text),
	    answer_text(NULL, text));
}

/* Keep a durable request open until fish reply or its hold timeout. */
void
hold_add(struct hold *h, struct request *r)
{
	r->hold = h;
	TAILQ_INSERT_TAIL(&h->held, r, entry);
	r->timer = loop_timer_add(h->loop, loop_now() +
	    r->hook->hold_timeout_ms, hold_expired, r);
}

/*
 * MHD is done with a request (its connection closed): drop it if it is
 * still held.
 */
void
hold_forget(struct hold *h, struct request *r)
{
	if (r->hold != h)
		return;
	TAILQ_REMOVE(&h->held, r, entry);
	r->hold = NULL;
	loop_timer_cancel(h->loop, r->timer);
	r->timer = NULL;
}

/* Answer every held request 503 so that they do not hold a stop up. */
void
hold_quiesce(struct hold *h)
{
	struct request	*r;
	const char	*text = "shutting down\n";

	while ((r = TAILQ_FIRST(&h->held)) != NULL)
		hold_settle(r, HELD_STOPPED, MHD_HTTP_SERVICE_UNAVAILABLE, NULL,
		    text, strlen(text), answer_text(NULL, text));
}

/* Tell whether a message handle is a sequence number; set *seq if so. */
static int
hold_parse_seq(const char *s, uint64_t *seq)
{
	size_t	len = strlen(s);
	char	*end;

	if (len == 0 || len > 19 || strspn(s, "0123456789") != len)
		return (0);
	*seq = strtoull(s, &end, 10);
	return (1);
}

/*
 * Say why message seq, not held now, cannot be replied to; return the exit
 * status.
 */
static int
hold_not_held(struct hold *h, uint64_t seq, char **cause)
{
	struct settled	*s;
	struct message	*m;
	unsigned long long n = seq;

	if ((s = hold_find_settled(h, seq)) != NULL) {
		switch (s->outcome) {
		case HELD_REPLIED:
			xasprintf(cause, "message %llu was already answered", n);
			break;
		case HELD_TIMED_OUT:
			xasprintf(cause, "message %llu was already answered "
			    "504: its hold timed out", n);
			break;
		case HELD_HUNG_UP:
			xasprintf(cause, "the sender of message %llu hung up "
			    "before it was answered", n);
			break;
		case HELD_STOPPED:
			xasprintf(cause, "message %llu was already answered "
			    "503: the listener was stopping", n);
			break;
		}
		return (EXIT_FAILED);
	}
	if ((m = store_message(h->store, seq)) == NULL ||
	    m->hook == NULL || m->refused) {
		xasprintf(cause, "no message %llu was received", n);
		return (EXIT_NOT_FOUND);
	}
	if (!m->hook->hold)
		xasprintf(cause, "message %llu was answered when it arrived: "
		    "its hook does not hold requests (spawn it with --hold)", n);
	else
		xasprintf(cause, "message %llu is no longer held: the listener "
		    "restarted since it arrived", n);
	return (EXIT_FAILED);
}

/*
 * Answer a held request: message is its sequence number, or a hook (its
 * oldest held request).  Return an exit status; set *seq to the request
 * answered, or *cause.  The answer goes out once journaled and synced.
 */
int
hold_reply(struct hold *h, const char *message, unsigned int status,
    struct json_object *headers, const void *body, size_t len, uint64_t *seq,
    char **cause)
{
	struct request	*r;
	struct hook	*hook;
	int		 hung_up;

	if (hold_parse_seq(message, seq)) {
		TAILQ_FOREACH(r, &h->held, entry) {
			if (r->seq == *seq)
				break;
		}
		if (r == NULL)
			return (hold_not_held(h, *seq, cause));
	} else {
		if ((hook = store_find(h->store, message)) == NULL) {
			xasprintf(cause, "no such hook '%s'", message);
			return (EXIT_NOT_FOUND);
		}
		if (!hook->hold) {
			xasprintf(cause, "hook '%s' does not hold requests "
			    "(spawn it with --hold)", message);
			return (EXIT_FAILED);
		}
		TAILQ_FOREACH(r, &h->held, entry) {
			if (r->hook == hook)
				break;
		}
		if (r == NULL) {
			xasprintf(cause, "no request to hook '%s' is waiting "
			    "for an answer", message);
			return (EXIT_NOT_FOUND);
		}
		*seq = r->seq;
	}
	hung_up = hold_hung_up(r);
	hold_settle(r, hung_up ? HELD_HUNG_UP : HELD_REPLIED, status, headers,
	    body, len, answer_new(headers, body, len));
	if (hung_up) {
		xasprintf(cause, "the sender of message %llu hung up before it "
		    "was answered", (unsigned long long)*seq);
		return (EXIT_FAILED);
	}
	return (EXIT_OK);
}
