/*
 * Unit tests for the per-address accounting behind a tunnel (clients.c):
 * caps per address and per kind, addresses leaving as their count drops
 * to zero, and a table whose size a flood of distinct addresses never
 * changes.
 */
#include "config.h"

#include <sys/socket.h>
#include <netinet/in.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "clients.h"
#include "tap.h"

/* Make the key of the n-th address of 10.0.0.0/8. */
static void
nth(unsigned int n, struct clients_key *key)
{
	char	s[32];

	snprintf(s, sizeof s, "10.%u.%u.%u", (n >> 16) & 255, (n >> 8) & 255,
	    n & 255);
	if (clients_key_string(s, key) != 0)
		memset(key, 0, sizeof *key);
}

/* Run every case and print the plan. */
int
main(void)
{
	struct clients		*cl;
	struct clients_key	 a, b, c, keys[64];
	struct sockaddr_in	 sin;
	unsigned int		 i, j, taken;
	int			 all;

	ok(clients_key_string("203.0.113.9", &a) == 0 &&
	    clients_key_string("2001:db8::7", &b) == 0,
	    "IPv4 and IPv6 addresses make keys");
	ok(clients_key_string("not-an-address", &c) == -1 &&
	    clients_key_string("203.0.113.9:80", &c) == -1,
	    "anything else is no address");
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	inet_pton(AF_INET, "203.0.113.9", &sin.sin_addr);
	ok(clients_key_sockaddr((struct sockaddr *)&sin, &c) == 0 &&
	    memcmp(&a, &c, sizeof a) == 0,
	    "a socket address has the key of its address written out");

	cl = clients_new(8);
	ok(clients_take(cl, &a, CLIENTS_REQUEST, 2) &&
	    clients_take(cl, &a, CLIENTS_REQUEST, 2),
	    "an address takes up to its cap");
	ok(!clients_take(cl, &a, CLIENTS_REQUEST, 2),
	    "and not one more");
	ok(clients_take(cl, &b, CLIENTS_REQUEST, 2),
	    "another address at its cap does not block this one");
	ok(clients_take(cl, &a, CLIENTS_CONNECTION, 1),
	    "connections and requests are counted apart");
	is_int(clients_tracked(cl), 2, "two addresses are tracked");
	clients_give(cl, &a, CLIENTS_REQUEST);
	ok(clients_take(cl, &a, CLIENTS_REQUEST, 2),
	    "an address that gave one back may take one again");
	clients_give(cl, &a, CLIENTS_REQUEST);
	clients_give(cl, &a, CLIENTS_REQUEST);
	clients_give(cl, &a, CLIENTS_CONNECTION);
	clients_give(cl, &b, CLIENTS_REQUEST);
	is_int(clients_tracked(cl), 0,
	    "addresses with nothing under way leave the table");
	clients_give(cl, &b, CLIENTS_REQUEST);
	is_int(clients_count(cl, &b, CLIENTS_REQUEST), 0,
	    "giving back more than was taken counts nothing");
	ok(!clients_take(cl, &a, CLIENTS_REQUEST, 0), "a cap of 0 takes none");
	is_int(clients_tracked(cl), 0, "and tracks nothing");
	clients_free(cl);

	/* A flood of distinct addresses. */
	cl = clients_new(32);
	is_int(clients_capacity(cl), 32, "the table holds what it was made for");
	for (i = 0, all = 1; i < 100000; i++) {
		if (i >= 32)
			clients_give(cl, &keys[i % 32], CLIENTS_REQUEST);
		nth(i, &keys[i % 32]);
		all &= clients_take(cl, &keys[i % 32], CLIENTS_REQUEST, 1);
		if (clients_tracked(cl) > 32)
			all = 0;
	}
	ok(all, "100,000 distinct addresses, 32 under way at a time, all fit");
	is_int(clients_tracked(cl), 32, "32 are tracked");
	for (j = 0, all = 1; j < 32; j++)
		all &= clients_count(cl, &keys[j], CLIENTS_REQUEST) == 1;
	ok(all, "each of them is found after the churn");
	nth(200000, &c);
	ok(!clients_take(cl, &c, CLIENTS_REQUEST, 1),
	    "one more address than the table holds is refused, not added");
	is_int(clients_capacity(cl), 32, "the table did not grow");
	for (j = 0; j < 32; j++)
		clients_give(cl, &keys[j], CLIENTS_REQUEST);
	is_int(clients_tracked(cl), 0, "and it is empty once all are done");
	for (i = 0, taken = 0; i < 32; i++)
		taken += (unsigned int)clients_take(cl, &keys[i],
		    CLIENTS_REQUEST, 1);
	is_int(taken, 32, "and takes them all again");
	clients_free(cl);
	return (done_testing());
}
