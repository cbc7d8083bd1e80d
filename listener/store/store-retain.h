/*
 * Retention of a replicated store's stream (store-retain.c): only files
 * of listener/store/ include this.
 */
#ifndef STORE_RETAIN_H
#define STORE_RETAIN_H

#include <stddef.h>
#include <stdint.h>

#include "journal.h"

struct redis_conn;
struct redis_follow;
struct store;
struct store_retain;

struct store_retain *store_retain_new(struct store *, struct redis_conn *,
	    struct redis_follow *, const char *, const char *, int64_t);
void	 store_retain_entry(struct store_retain *, const char *, int,
	    enum journal_type, const char *, size_t);
void	 store_retain_closing(struct store_retain *);
void	 store_retain_free(struct store_retain *);
uint64_t store_retain_trimmed(const struct store_retain *);

#endif
