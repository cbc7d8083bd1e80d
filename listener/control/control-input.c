/*
 * Reading control connections: input, framing and dispatch.
 *
 * What a client can make the listener hold is bounded.  Input is read in
 * chunks of CONTROL_IN_CHUNK; a frame larger than that (a send or spawn
 * body, up to PROTO_PAYLOAD_MAX) is read only once room for all of it is
 * granted from CONTROL_IN_MAX, shared by every connection: a connection
 * that does not fit is not read from (starved) until room frees, and a
 * frame must then be complete within its deadline, so that neither idle
 * nor trickling clients hold memory for ever, and a granted frame always
 * completes or goes, which frees room for the next.
 *
 * Requests are dispatched through a sorted table to their handlers, kept
 * by theme in control-hooks.c, control-wait.c, control-send.c and
 * control-timeline.c; they reply through control_reply and
 * control_errorf.  Each handler checks every field it reads (proto_get_*)
 * and answers a bad one with EXIT_USAGE: a wrong request is answered,
 * never a crash.
 */
#include "config.h"

#include <sys/epoll.h>
#include <sys/queue.h>

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "buffer.h"
#include "compat.h"
#include "conn.h"
#include "control.h"
#include "control-private.h"
#include "control-settle.h"
#include "control-timeline.h"
#include "loop.h"
#include "proto.h"
#include "store.h"
#include "xmalloc.h"

/*
 * Return the input c must be able to hold to complete its current frame:
 * all of it once its header is in (parsing has checked its lengths), else
 * a chunk.
 */
static size_t
conn_in_need(const struct conn *c)
{
	const char	*p = buffer_peek(&c->in);
	size_t		 need;

	if (buffer_unread(&c->in) < PROTO_HEADER_LEN)
		return (CONTROL_IN_CHUNK);
	need = PROTO_HEADER_LEN + (size_t)get_u32(p) + (size_t)get_u32(p + 4);
	return (need > CONTROL_IN_CHUNK ? need : CONTROL_IN_CHUNK);
}

/* Reserve room for c to hold need bytes; return 0 if there is none. */
static int
conn_in_grant(struct conn *c, size_t need)
{
	struct control	*ctl = c->control;

	if (need <= c->in_granted)
		return (1);
	if (ctl->in_granted - c->in_granted + need > CONTROL_IN_MAX)
		return (0);
	ctl->in_granted += need - c->in_granted;
	c->in_granted = need;
	return (1);
}

/* A partial frame took too long to arrive: drop its client. */
static void
conn_frame_expired(void *arg)
{
	struct conn	*c = arg;

	c->frame_timer = NULL;
	control_log_drop(c->control, "a frame was not complete after %lld ms",
	    (long long)c->control->frame_timeout_ms);
	conn_close(c);
}

/* Give c's partial frame its deadline, unless it has one. */
static void
conn_frame_deadline(struct conn *c)
{
	if (c->frame_timer == NULL)
		c->frame_timer = loop_timer_add(c->control->loop,
		    loop_now() + c->control->frame_timeout_ms,
		    conn_frame_expired, c);
}

/* Give every starved connection that now fits its room, oldest first. */
static void
control_feed_starved(struct control *ctl)
{
	struct conn	*c, *next;

	TAILQ_FOREACH_SAFE(c, &ctl->starved, starved_entry, next) {
		if (!conn_in_grant(c, conn_in_need(c)))
			continue;
		TAILQ_REMOVE(&ctl->starved, c, starved_entry);
		c->starved = 0;
		conn_frame_deadline(c);
		loop_modify(ctl->loop, c->fd, conn_events(c));
	}
}

/*
 * Stop reading from c until its frame fits.  It keeps what it has read
 * (less than a chunk), and has no deadline meanwhile: it is we who wait.
 */
static void
conn_starve(struct conn *c)
{
	c->starved = 1;
	TAILQ_INSERT_TAIL(&c->control->starved, c, starved_entry);
	loop_timer_cancel(c->control->loop, c->frame_timer);
	c->frame_timer = NULL;
	loop_modify(c->control->loop, c->fd, conn_events(c));
}

/* Give back c's input: its buffer, its room and its deadline. */
void
conn_in_release(struct conn *c)
{
	struct control	*ctl = c->control;

	buffer_release(&c->in);
	loop_timer_cancel(ctl->loop, c->frame_timer);
	c->frame_timer = NULL;
	if (c->starved) {
		TAILQ_REMOVE(&ctl->starved, c, starved_entry);
		c->starved = 0;
	}
	if (c->in_granted > 0) {
		ctl->in_granted -= c->in_granted;
		c->in_granted = 0;
		control_feed_starved(ctl);
	}
}

/*
 * The requests; those that write a record at once (writes: replay sends
 * as send does) are refused while the journal has no room on disk, or
 * the session's shared store is unreachable or short of the replicas
 * --store-replicas wants, rather than left waiting for room or for a
 * Redis that may be gone for long: the command exits 3 with the reason,
 * and is run again once there is room, or the store is back.  Those
 * that show the timeline (reads) see every record this listener wrote
 * before them (control-settle.c).
 * Those that look hooks or messages up (finds) are refused alike while
 * a shared store has not read the session yet (Redis was down at the
 * start, or is slow to give a long stream): "no such hook", or an empty
 * list, would be wrong.  A spawn looks its name up (FINDS_NAMED): one
 * by a name spawned elsewhere would make a second hook of that name.
 */
#define FINDS_NAMED	2	/* finds when the request has a "name" */
static const struct {
	const char	*name;
	void		(*handler)(struct conn *, struct proto_frame *);
	int		 payload;	/* takes a payload (a body) */
	int		 writes;	/* writes a record at once */
	int		 reads;		/* shows the timeline */
	int		 finds;		/* looks hooks or messages up */
} control_commands[] = {
	{ "ack", control_wait_ack, 0, 0, 0, 0 },
	{ "close", control_hooks_close, 0, 1, 0, 1 },
	{ "log", timeline_log, 0, 0, 1, 1 },
	{ "ls", timeline_ls, 0, 0, 1, 1 },
	{ "release", control_wait_give_back, 0, 0, 0, 0 },
	{ "replay", timeline_replay, 0, 1, 1, 1 },
	{ "reply", control_hooks_reply, 1, 1, 0, 1 },
	{ "resolve", timeline_resolve, 0, 0, 0, 1 },
	{ "send", control_send_start, 1, 1, 0, 0 },
	{ "show", timeline_show, 0, 0, 1, 1 },
	{ "spawn", control_hooks_spawn, 1, 1, 0, FINDS_NAMED },
	{ "status", control_hooks_status, 0, 0, 0, 0 },
	{ "stop", control_hooks_stop, 0, 0, 0, 0 },
	{ "tail", timeline_tail, 0, 0, 0, 0 },
	{ "wait", control_wait_start, 0, 0, 0, 1 },
};

/* Tell whether request f, of a command whose finds is finds, finds. */
static int
conn_finds(int finds, struct proto_frame *f)
{
	if (finds == FINDS_NAMED)
		return (proto_string(f->json, "name") != NULL);
	return (finds);
}

/*
 * Tell whether c's client has hung up: then no reply can reach it.  A
 * client gives up on a listener that stays stopped (cli/client-silence.c)
 * and tells its user the request failed; the request it left unread in
 * the socket must not be done when the listener runs again.
 *
 * The event that had the request read says EPOLLHUP when the client had
 * hung up (both ways, as a client giving up does; a half close is not a
 * hang-up, and was never taken for one): then no poll(2) is needed.  Its
 * absence proves nothing: the events are as old as the pass's
 * epoll_wait, and no bound on their age says the client cannot have
 * given up since (it looks at the listener's state now and then, and
 * the listener may run between two looks, its epoll_wait too).  So a
 * client the event does not say gone is asked about now, with a poll.
 */
static int
conn_gone(const struct conn *c)
{
	struct pollfd	pfd;

	if (c->hung_up)
		return (1);
	pfd.fd = c->fd;
	pfd.events = 0;
	pfd.revents = 0;
	return (poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLHUP));
}

/*
 * Tell whether request cmd is done even when its client has gone: stop,
 * which fish stop says it asked for even when it gives up waiting; ack,
 * sent once its message was printed (dropped, the message would be
 * handed out again); release, which closing does anyway.
 */
static int
conn_done_when_gone(const char *cmd)
{
	return (strcmp(cmd, "stop") == 0 || strcmp(cmd, "ack") == 0 ||
	    strcmp(cmd, "release") == 0);
}

/*
 * Run one request frame, unless its client has gone: then it is dropped
 * unread, but for those conn_done_when_gone names.
 */
static void
conn_dispatch(struct conn *c, struct proto_frame *f)
{
	const char	*cmd = NULL, *advice;
	char		*why;
	int64_t		 version;
	size_t		 i;

	/*
	 * Replies carry no request's name or number: one answered later (after
	 * a sync, a send, a wait) would be overtaken by the next one's.  So a
	 * request sent before the reply to the last is refused, with a frame
	 * saying so, and its client dropped.
	 */
	if (c->pending || c->streaming) {
		control_error(c, EXIT_USAGE, "a request came before the reply "
		    "to the one before it: send one request at a time");
		control_log_drop(c->control, "it sent a request before the "
		    "reply to its last");
		c->closing = 1;
		return;
	}
	c->pending = 1;
	if (proto_get_int(f->json, "v", INT64_MIN, INT64_MAX, &version) !=
	    PROTO_VALID) {
		control_error(c, EXIT_USAGE, "invalid v in request");
		return;
	}
	if (version != PROTO_VERSION) {
		control_errorf(c, EXIT_UNAVAILABLE, "the running listener "
		    "speaks protocol %d; run '" FISH_NAME " stop' to restart it",
		    PROTO_VERSION);
		return;
	}
	if (proto_get_string(f->json, "cmd", 1, 32, &cmd) != PROTO_VALID) {
		control_error(c, EXIT_USAGE, "invalid cmd in request");
		return;
	}
	if (!conn_done_when_gone(cmd) && conn_gone(c)) {
		control_log_drop(c->control, "it hung up before its %s request "
		    "was read; not done", cmd);
		return;
	}
	for (i = 0; i < sizeof control_commands /
	    sizeof control_commands[0]; i++) {
		if (strcmp(cmd, control_commands[i].name) != 0)
			continue;
		if (f->payload_len > 0 && !control_commands[i].payload) {
			control_errorf(c, EXIT_USAGE, "%s request takes no "
			    "payload", cmd);
			return;
		}
		/*
		 * The advice follows the refusal given: a find refused
		 * because the store is not read yet waits for that, even
		 * while the disk is full too (a find writes nothing).
		 */
		why = NULL;
		advice = "it is back";
		if (control_commands[i].writes &&
		    (why = store_unavailable(control_store(c))) != NULL &&
		    store_no_room(control_store(c)) != 0)
			advice = "there is room";
		if (why == NULL && conn_finds(control_commands[i].finds, f))
			why = store_unread(control_store(c));
		if (why != NULL) {
			control_errorf(c, EXIT_UNAVAILABLE, "%s; try again "
			    "once %s", why, advice);
			free(why);
			return;
		}
		if (control_commands[i].reads)
			control_settle(c, control_commands[i].handler, f);
		else
			control_commands[i].handler(c, f);
		return;
	}
	control_errorf(c, EXIT_USAGE, "unknown request '%s'", cmd);
}

/*
 * Read what fits of c's current frame: a chunk, or, once a larger frame's
 * header is in, the rest of that frame if room for it is granted (else c
 * is starved until there is).  Return the bytes read, 0 when c is not to
 * be read now, or -1 when the client has gone.
 */
static ssize_t
conn_read(struct conn *c)
{
	size_t	need = conn_in_need(c), room;
	ssize_t	n;

	if (need > CONTROL_IN_CHUNK && !conn_in_grant(c, need)) {
		conn_starve(c);
		return (0);
	}
	/* Parsing has taken every whole frame, so there is room left. */
	room = need - buffer_unread(&c->in);
	buffer_reserve(&c->in, room);
	n = read(c->fd, c->in.data + c->in.len, room);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return (0);
	if (n <= 0)
		return (-1);
	c->in.len += (size_t)n;
	return (n);
}

/*
 * After parsing: an empty input gives back its buffer and room; a partial
 * frame must be complete by its deadline, counted from when it began or
 * from the last whole frame.
 */
static void
conn_in_settle(struct conn *c, int progress)
{
	if (buffer_unread(&c->in) == 0) {
		conn_in_release(c);
		return;
	}
	if (progress) {
		loop_timer_cancel(c->control->loop, c->frame_timer);
		c->frame_timer = NULL;
	}
	conn_frame_deadline(c);
}

/* Read from a connection and run every complete frame. */
void
conn_readable(int fd, uint32_t events, void *arg)
{
	struct conn		*c = arg;
	struct proto_frame	 f;
	uint64_t		 id = c->id;
	char			*cause = NULL;
	ssize_t			 n;
	int			 ret = 0, progress = 0;

	(void)fd;
	if ((events & EPOLLOUT) && !c->closing) {
		conn_flush(c);
		/* Room again: a long reply sends its next part. */
		if (!c->closing && c->drained != NULL &&
		    buffer_unread(&c->out) < CONTROL_OUT_BOUND)
			c->drained(c, c->drained_arg);
	}
	if (c->closing) {
		conn_close(c);
		return;
	}
	if (!(events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		return;
	/* A starved client that hangs up can never finish its frame. */
	if (c->starved) {
		if (events & (EPOLLHUP | EPOLLERR))
			conn_close(c);
		return;
	}
	if ((n = conn_read(c)) == -1) {
		conn_close(c);
		return;
	}
	if (n == 0)
		return;
	c->hung_up = (events & EPOLLHUP) != 0;
	proto_frame_init(&f);
	while ((ret = proto_frame_parse(&c->in, &f, &cause)) == 1) {
		progress = 1;
		conn_dispatch(c, &f);
		proto_frame_release(&f);
		if (conn_find(id) == NULL)
			break;
	}
	if (conn_find(id) == NULL) {
		free(cause);
		conn_close(c);
		return;
	}
	if (ret == -1) {
		control_log_drop(c->control, "%s", cause);
		free(cause);
		conn_close(c);
		return;
	}
	conn_in_settle(c, progress);
}
