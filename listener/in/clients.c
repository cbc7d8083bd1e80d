/*
 * Per-address accounting behind a tunnel or proxy (see clients.h).  Every
 * connection of a tunnel comes from its client on loopback, so MHD's own
 * per-address connection cap would be one cap on the whole internet; with
 * --tunnel or --public-url the server counts instead, per address: the
 * connections of each peer that is not loopback, and the requests under
 * way of each client, as its trusted forwarding header names it (record.c)
 * or, without one, of its peer.
 *
 * The table is fixed when the server starts, sized for the most entries
 * that can be live: an address is in it only while it has something
 * under way, and there can be no more connections, nor requests under
 * way (one a connection), than the connection cap.  So a flood of
 * distinct forwarded addresses, made up by a sender behind the tunnel,
 * never grows it: each address leaves as its request ends.  Open
 * addressing with linear probing, kept at most half full, and deletion by
 * backward shift: O(1) a request, no tombstones.  The hash is SipHash
 * under a key drawn at start, so that a sender cannot choose addresses
 * that pile up in one run of the table.
 */
#include "config.h"

#include <sys/random.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "clients.h"
#include "token.h"
#include "xmalloc.h"

/* One address with something under way, or a free slot (none). */
struct clients_entry {
	struct clients_key	key;
	uint32_t		connections;
	uint32_t		requests;
};

struct clients {
	struct clients_entry	*slots;
	size_t			 size;		/* a power of two */
	size_t			 max;		/* entries at most: size / 2 */
	size_t			 n;		/* entries */
	unsigned char		 hash_key[16];
};

/* Tell whether a slot is free: it counts nothing. */
static int
clients_free_slot(const struct clients_entry *e)
{
	return (e->connections == 0 && e->requests == 0);
}

/*
 * Make a table for at most max addresses at once (for the server: twice
 * its connection cap, connections and requests).
 */
struct clients *
clients_new(size_t max)
{
	struct clients	*cl;
	ssize_t		 n;

	cl = xcalloc(1, sizeof *cl);
	cl->size = 16;
	while (cl->size < 2 * max)
		cl->size *= 2;
	cl->max = cl->size / 2;
	cl->slots = xcalloc(cl->size, sizeof *cl->slots);
	do
		n = getrandom(cl->hash_key, sizeof cl->hash_key, 0);
	while (n == -1 && errno == EINTR);
	/*
	 * As for tokens (token_hash): a key anyone could guess would let a
	 * sender pile every address into one chain.
	 */
	if (n != (ssize_t)sizeof cl->hash_key)
		abort();
	return (cl);
}

/* Free what clients_new made. */
void
clients_free(struct clients *cl)
{
	if (cl == NULL)
		return;
	free(cl->slots);
	free(cl);
}

/*
 * Fill in the key of an address written as IPv4 or IPv6 (no port, no
 * brackets).  Return -1 if it is neither.
 */
int
clients_key_string(const char *s, struct clients_key *key)
{
	struct in_addr	v4;

	memset(key, 0, sizeof *key);
	if (inet_pton(AF_INET6, s, key->addr) == 1)
		return (0);
	if (inet_pton(AF_INET, s, &v4) != 1)
		return (-1);
	key->addr[10] = key->addr[11] = 0xff;
	memcpy(&key->addr[12], &v4, 4);
	return (0);
}

/* Tell whether a key is a loopback address: 127.0.0.0/8 or ::1. */
int
clients_key_loopback(const struct clients_key *key)
{
	static const unsigned char	mapped[12] = { [10] = 0xff, [11] = 0xff };
	static const unsigned char	one[16] = { [15] = 1 };

	if (memcmp(key->addr, mapped, sizeof mapped) == 0)
		return (key->addr[12] == 127);
	return (memcmp(key->addr, one, sizeof one) == 0);
}

/* Fill in the key of a socket address; -1 if it is not IPv4 or IPv6. */
int
clients_key_sockaddr(const struct sockaddr *sa, struct clients_key *key)
{
	const struct sockaddr_in	*sin;
	const struct sockaddr_in6	*sin6;

	memset(key, 0, sizeof *key);
	switch (sa->sa_family) {
	case AF_INET:
		sin = (const struct sockaddr_in *)(const void *)sa;
		key->addr[10] = key->addr[11] = 0xff;
		memcpy(&key->addr[12], &sin->sin_addr, 4);
		return (0);
	case AF_INET6:
		sin6 = (const struct sockaddr_in6 *)(const void *)sa;
		memcpy(key->addr, &sin6->sin6_addr, 16);
		return (0);
	}
	return (-1);
}

/* Return the slot where key's run starts. */
static size_t
clients_home(const struct clients *cl, const struct clients_key *key)
{
	return ((size_t)token_siphash(cl->hash_key, key->addr,
	    sizeof key->addr) & (cl->size - 1));
}

/* Return key's slot: its entry, or the free slot that ends its run. */
static size_t
clients_find(const struct clients *cl, const struct clients_key *key)
{
	size_t	i = clients_home(cl, key);

	while (!clients_free_slot(&cl->slots[i]) &&
	    memcmp(&cl->slots[i].key, key, sizeof *key) != 0)
		i = (i + 1) & (cl->size - 1);
	return (i);
}

/* Return the counter of what in entry e. */
static uint32_t *
clients_counter(struct clients_entry *e, enum clients_what what)
{
	return (what == CLIENTS_CONNECTION ? &e->connections : &e->requests);
}

/*
 * Count one more of what for address key, unless it has cap already (or
 * the table is full, which its sizing rules out): return 1 if counted,
 * else 0.
 */
int
clients_take(struct clients *cl, const struct clients_key *key,
    enum clients_what what, uint64_t cap)
{
	struct clients_entry	*e;
	uint32_t		*counter;

	e = &cl->slots[clients_find(cl, key)];
	if (clients_free_slot(e)) {
		if (cl->n == cl->max || cap == 0)
			return (0);
		e->key = *key;
		cl->n++;
	}
	counter = clients_counter(e, what);
	if (*counter >= cap || *counter == UINT32_MAX)
		return (0);
	(*counter)++;
	return (1);
}

/*
 * Take the entry at slot i out, moving later entries of the run back so
 * that none is behind a free slot from its home (backward shift).
 */
static void
clients_remove(struct clients *cl, size_t i)
{
	size_t	j = i, home, mask = cl->size - 1;

	for (;;) {
		memset(&cl->slots[i], 0, sizeof cl->slots[i]);
		for (;;) {
			j = (j + 1) & mask;
			if (clients_free_slot(&cl->slots[j])) {
				cl->n--;
				return;
			}
			home = clients_home(cl, &cl->slots[j].key);
			/* Can j's entry move to i?  Not if home is in (i, j]. */
			if (i <= j ? (i < home && home <= j) :
			    (i < home || home <= j))
				continue;
			break;
		}
		cl->slots[i] = cl->slots[j];
		i = j;
	}
}

/* Count one fewer of what for address key, which clients_take counted. */
void
clients_give(struct clients *cl, const struct clients_key *key,
    enum clients_what what)
{
	struct clients_entry	*e;
	size_t			 i = clients_find(cl, key);
	uint32_t		*counter;

	e = &cl->slots[i];
	counter = clients_counter(e, what);
	if (clients_free_slot(e) || *counter == 0)
		return;
	(*counter)--;
	if (clients_free_slot(e))
		clients_remove(cl, i);
}

/* Return how many of what address key has under way. */
uint64_t
clients_count(const struct clients *cl, const struct clients_key *key,
    enum clients_what what)
{
	const struct clients_entry	*e;

	e = &cl->slots[clients_find(cl, key)];
	return (what == CLIENTS_CONNECTION ? e->connections : e->requests);
}

/* Return how many addresses have something under way. */
size_t
clients_tracked(const struct clients *cl)
{
	return (cl == NULL ? 0 : cl->n);
}

/* Return how many addresses the table can hold at once. */
size_t
clients_capacity(const struct clients *cl)
{
	return (cl == NULL ? 0 : cl->max);
}
