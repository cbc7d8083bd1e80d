/*
 * The listener's side of the control socket: accepts fish clients (same
 * uid only), reads their request frames and answers them.
 */
#ifndef CONTROL_H
#define CONTROL_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

struct conn;
struct httpc_request;
struct httpc_result;
struct control;
struct loop;
struct outbound;
struct proto_frame;
struct store;

/*
 * A long reply is sent in steps: a handler queues output while
 * control_pending is below CONTROL_OUT_BOUND, then waits to be called again.
 */
#define CONTROL_OUT_BOUND	(256 * 1024)

/* Bounds on request fields: a hook's URL, token or name; a URL; headers. */
#define CONTROL_HANDLE_MAX	4096
#define CONTROL_URL_MAX		(64U << 10)
#define CONTROL_HEADERS_MAX	1024

struct control	*control_start(struct loop *, struct store *,
		    struct outbound *, const char *, size_t, char **);
void		 control_stop(struct control *);
int		 control_busy(const struct control *);
void		 control_flush(struct control *);
void		 control_notify_stop(struct control *);

/* For request handlers kept in other files (control-*.c). */
void		 control_reply(struct conn *, struct json_object *,
		    const void *, size_t);
void		 control_reply_after_sync(struct conn *, struct json_object *);
void		 control_error(struct conn *, int, const char *);
void		 control_errorf(struct conn *, int, const char *, ...)
		    __attribute__((__format__(__printf__, 3, 4)));
void		 control_invalid(struct conn *, struct proto_frame *,
		    const char *);
uint64_t	 control_id(const struct conn *);
size_t		 control_pending(const struct conn *);
void		 control_streaming(struct conn *);
void		 control_on_drained(struct conn *,
		    void (*)(struct conn *, void *), void (*)(void *), void *);
struct conn	*control_find(uint64_t);
struct loop	*control_loop(const struct conn *);
struct store	*control_store(const struct conn *);
struct outbound	*control_outbound(const struct conn *);

/* control-hooks.c */
void		 control_hooks_status(struct conn *, struct proto_frame *);
void		 control_hooks_spawn(struct conn *, struct proto_frame *);
void		 control_hooks_reply(struct conn *, struct proto_frame *);
void		 control_hooks_close(struct conn *, struct proto_frame *);
void		 control_hooks_stop(struct conn *, struct proto_frame *);

/* control-wait.c */
void		 control_wait_start(struct conn *, struct proto_frame *);
void		 control_wait_ack(struct conn *, struct proto_frame *);
void		 control_wait_give_back(struct conn *, struct proto_frame *);

/* control-send.c */
void		 control_send_start(struct conn *, struct proto_frame *);
int		 control_send_options(struct conn *, struct proto_frame *,
		    struct httpc_request *);
void		 control_send_done(struct httpc_result *, uint64_t, void *);

#endif
