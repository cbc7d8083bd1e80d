/*
 * What each client address has under way behind a tunnel or proxy: its
 * connections and its requests, counted in a table of bounded size, for
 * the per-address cap (--max-per-ip).
 */
#ifndef CLIENTS_H
#define CLIENTS_H

#include <stddef.h>
#include <stdint.h>

struct clients;
struct sockaddr;

/* A client's address: IPv4 (mapped into IPv6) or IPv6, 16 bytes. */
struct clients_key {
	unsigned char	addr[16];
};

/* What is counted of an address. */
enum clients_what {
	CLIENTS_CONNECTION,
	CLIENTS_REQUEST,
};

struct clients	*clients_new(size_t);
void		 clients_free(struct clients *);
int		 clients_key_string(const char *, struct clients_key *);
int		 clients_key_loopback(const struct clients_key *);
int		 clients_key_sockaddr(const struct sockaddr *,
		    struct clients_key *);
int		 clients_take(struct clients *, const struct clients_key *,
		    enum clients_what, uint64_t);
void		 clients_give(struct clients *, const struct clients_key *,
		    enum clients_what);
uint64_t	 clients_count(const struct clients *,
		    const struct clients_key *, enum clients_what);
size_t		 clients_tracked(const struct clients *);
size_t		 clients_capacity(const struct clients *);

#endif
