/*
 * Leases across listeners (store-lease.c), for the replicated store:
 * only files of listener/store/ include this.
 */
#ifndef STORE_LEASE_H
#define STORE_LEASE_H

#include <stddef.h>
#include <stdint.h>

#define STORE_LEASE_MS	30000	/* a lease's life in Redis, by default */

struct message;
struct redis_conn;
struct store;
struct store_lease;

struct store_lease *store_lease_new(struct store *, struct redis_conn *,
	    const char *, const char *, int64_t);
void	 store_lease_closing(struct store_lease *);
void	 store_lease_free(struct store_lease *);
void	 store_lease_want(struct store_lease *, struct message *);
int64_t	 store_lease_prepare(struct store_lease *);
void	 store_lease_released(struct store_lease *, const char *, size_t);
void	 store_lease_give_back(struct store_lease *);
int	 store_lease_returning(const struct store_lease *);

#endif
