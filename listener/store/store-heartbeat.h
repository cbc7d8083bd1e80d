/*
 * Heartbeats of a replicated store (store-heartbeat.c): only files of
 * listener/store/ include this; store.h has store_listeners.
 */
#ifndef STORE_HEARTBEAT_H
#define STORE_HEARTBEAT_H

#include <stdint.h>

struct redis_conn;
struct store;
struct store_heartbeat;

struct store_heartbeat *store_heartbeat_new(struct store *, struct redis_conn *,
	    const char *, const char *, const char *, int64_t);
void	 store_heartbeat_beat(struct store_heartbeat *);
void	 store_heartbeat_closing(struct store_heartbeat *);
void	 store_heartbeat_free(struct store_heartbeat *);

#endif
