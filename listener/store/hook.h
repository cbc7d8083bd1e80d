/*
 * Hooks and their message queues, in memory.  The journal is the truth;
 * this is the index rebuilt from it on start: each message keeps only its
 * sequence number, state and the offset of its journal record, so finding
 * the next message of a hook never scans the journal.  The hook table is
 * hook.c's; the message index and queues are message.c's (message.h), the
 * waiters waiter.c's (waiter.h).
 */
#ifndef HOOK_H
#define HOOK_H

#include <sys/queue.h>

#include <stddef.h>
#include <stdint.h>

#include "token.h"

#define HOOK_HOLD_TIMEOUT_MS	30000		/* default --hold-timeout */
#define HOOK_TOLERANCE_MS	300000		/* default spawn --tolerance */

struct journal_record;
struct json_object;
struct loop_timer;
struct sigspec;

enum message_state {
	MESSAGE_PENDING,	/* written, not yet durable (either way) */
	MESSAGE_QUEUED,		/* durable, waiting to be taken */
	MESSAGE_LEASED,		/* handed to a waiter, not yet confirmed */
	MESSAGE_TAKEN,		/* confirmed by a waiter */
	MESSAGE_REJECTED,	/* failed its hook's signature check */
	/* Requests we send (no hook): */
	MESSAGE_SENDING,	/* started, durable, under way */
	MESSAGE_SENT,		/* over, with its outcome recorded */
	MESSAGE_UNANSWERED,	/* started, no outcome recorded: the listener
				   stopped while it was under way */
};

struct hook;

struct message {
	uint64_t		 seq;
	struct hook		*hook;		/* NULL: a request we send */
	uint64_t		 offset;
	uint64_t		 outcome;	/* MESSAGE_SENT: its outcome
						   record's (offset itself for
						   a whole one) */
	enum message_state	 state;
	TAILQ_ENTRY(message)	 entry;
};

struct hook {
	char			 token[TOKEN_LEN + 1];
	char			*name;
	int64_t			 created_at;
	int			 closed;
	/*
	 * Its creation record was lost to journal damage and it was rebuilt
	 * from its messages: settings unknown, so closed (fail closed).
	 */
	int			 recovered;
	uint64_t		 received;
	uint64_t		 queued;
	TAILQ_HEAD(message_queue, message) queue;

	/* How requests are answered (fish spawn's options; see answer.h). */
	int			 status;	/* 0 for 200 */
	struct json_object	*headers;	/* [[name, value], ...] or NULL */
	char			*body;
	size_t			 body_len;
	int			 hold;
	int64_t			 hold_timeout_ms;
	char			*echo;		/* query parameter or /pointer */
	char			*forward_to;	/* URL or NULL */
	int64_t			 expires_at;	/* unix ms; 0 for never */
	struct loop_timer	*ttl_timer;

	/*
	 * Signature checks (spawn --verify): the scheme as the journal
	 * records it, and the spec with the secret from the secrets store,
	 * NULL while the secret is missing (then every request is rejected).
	 */
	char			*verify;	/* scheme name, or NULL */
	int64_t			 tolerance_ms;
	struct sigspec		*sigspec;

	struct hook		*next_by_token;
	struct hook		*next_by_name;
	TAILQ_ENTRY(hook)	 entry;
};

TAILQ_HEAD(hook_list, hook);

void		 hook_init(void);
void		 hook_free_all(void);
struct hook	*hook_create(const char *, struct json_object *, const void *,
		    size_t, char **);
void		 hook_close(struct hook *);
void		 hook_start_timers(void);
struct hook	*hook_find(const char *);
struct hook	*hook_find_token(const char *, size_t);
struct hook	*hook_recover(const char *, int64_t);
struct hook_list *hook_all(void);
size_t		 hook_count(void);
void		 hook_replay(const struct journal_record *, void *);
void		 hook_checkpoint(void);
int		 hook_settings_check(struct json_object *, size_t, char **);

#endif
