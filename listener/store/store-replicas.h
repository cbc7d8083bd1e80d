/*
 * Replicas of a replicated store (store-replicas.c): records acknowledged
 * only once WAIT says enough Redis replicas have them (--store-replicas).
 * Only files of listener/store/ include this; store.h is the API.
 */
#ifndef STORE_REPLICAS_H
#define STORE_REPLICAS_H

#include <stdint.h>

struct loop;
struct redis_conn;
struct store_replicas;

/*
 * How long a WAIT waits for the replicas: a replica that is up answers
 * within a round trip; one that does not within this is taken as down.
 */
#define STORE_REPLICAS_WAIT_MS	1000

/*
 * The records numbered up to durable are on enough replicas (why is
 * NULL), or a WAIT found too few (why says so; durable is unchanged).
 */
typedef void (*store_replicas_cb)(void *arg, uint64_t durable,
	    const char *why);

struct store_replicas *store_replicas_new(struct loop *, struct redis_conn *,
	    int, store_replicas_cb, void *);
void		 store_replicas_acked(struct store_replicas *, uint64_t);
void		 store_replicas_ready(struct store_replicas *);
uint64_t	 store_replicas_durable(const struct store_replicas *);
const char	*store_replicas_short(const struct store_replicas *);
int		 store_replicas_seen(const struct store_replicas *);
int		 store_replicas_wanted(const struct store_replicas *);
void		 store_replicas_closing(struct store_replicas *);
void		 store_replicas_free(struct store_replicas *);

#endif
