/*
 * The replicated store (store-redis.c): a store opened with a Redis URL
 * writes its records to the session's stream and applies the others'.
 * Only files of listener/store/ include this; store.h is the API.
 */
#ifndef STORE_REDIS_H
#define STORE_REDIS_H

#include "store.h"

struct store_heartbeat;
struct store_lease;
struct store_redis;

struct store_redis *store_redis_open(struct store *,
	    const struct store_config *, char **);
void		 store_redis_close(struct store_redis *);
void		 store_redis_after_sync(struct store_redis *, int64_t,
		    store_synced_cb, store_unsynced_cb, store_dropped_cb,
		    void *);
int		 store_redis_sync_move(struct store_redis *, store_synced_cb,
		    void *, store_synced_cb, void *);
int		 store_redis_catch_up(struct store_redis *, store_caught_up_cb,
		    void *);
const char	*store_redis_from(const struct store_redis *);
const char	*store_redis_state(const struct store_redis *);
int		 store_redis_ready(const struct store_redis *);
const char	*store_redis_short(const struct store_redis *);
int		 store_redis_replicas(const struct store_redis *, int *);
int		 store_redis_tried(const struct store_redis *);
int		 store_redis_read(const struct store_redis *);
struct store_heartbeat *store_redis_heartbeat(struct store_redis *);
struct store_lease *store_redis_lease(struct store_redis *);
int		 store_redis_durable(const struct store_redis *);
uint64_t	 store_redis_holding(const struct store_redis *);
uint64_t	 store_redis_complete(const struct store_redis *);

#endif
