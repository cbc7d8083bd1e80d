/*
 * A hook as the store keeps it (see store.h): its token and name, how it
 * answers requests, its signature checks, and its queue of messages
 * waiting to be taken, oldest first.  Upper floors read these fields; only
 * the store changes them.
 */
#ifndef HOOK_H
#define HOOK_H

#include <sys/queue.h>

#include <stddef.h>
#include <stdint.h>

#include "token.h"

#define HOOK_HOLD_TIMEOUT_MS	30000		/* default --hold-timeout */
#define HOOK_TOLERANCE_MS	300000		/* default spawn --tolerance */

struct json_object;
struct loop_timer;
struct message;
struct sigspec;
struct store;

struct hook {
	char			 token[TOKEN_LEN + 1];
	char			*name;
	int64_t			 created_at;
	uint64_t		 serial;	/* order of creation in memory */
	int			 closed;
	/*
	 * Its creation record was lost to journal damage and it was rebuilt
	 * from its messages: settings unknown, so closed (fail closed).
	 */
	int			 recovered;
	/*
	 * Made ahead of need and not yet handed out, or handed out just
	 * before a crash (see spare.c): found by token only.
	 */
	int			 spare;
	/* Its token is durable: a spawn may hand it out without a sync. */
	int			 token_durable;
	uint64_t		 received;
	uint64_t		 queued;	/* queued or leased, not taken */
	uint64_t		 pending;	/* received, not yet durable */
	uint64_t		 leased;	/* out to a waiter */
	uint64_t		 batched;	/* of those, out to a batch
						   that will ask for more */
	int64_t			 batch_until;	/* leases won ahead kept
						   for it until then */
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
	int			 expired;	/* closed by its time to live */

	/*
	 * Signature checks (spawn --verify): the scheme as the journal
	 * records it, and the spec with the secret from the secrets store,
	 * NULL while the secret is missing (then every request is rejected).
	 */
	char			*verify;	/* scheme name, or NULL */
	int64_t			 tolerance_ms;
	struct sigspec		*sigspec;
	/*
	 * What an upper floor made of the answer settings above, to reuse
	 * for every request (HTTP in's response), and how to free it: the
	 * store frees it whenever those settings change or go
	 * (store_hook_cache sets it).
	 */
	void			*cache;
	void			(*cache_free)(void *);

	/* The store's own. */
	struct store		*store;		/* for its timer */
	struct hook		*next_by_token;
	struct hook		*next_by_name;
	TAILQ_ENTRY(hook)	 entry;
};

TAILQ_HEAD(hook_list, hook);

#endif
