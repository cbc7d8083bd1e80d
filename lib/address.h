/*
 * The hooks' listening address: parse HOST:PORT and listen on it; tell
 * whether a listener's address is the one asked for.
 */
#ifndef ADDRESS_H
#define ADDRESS_H

int	address_bind(const char *, char **, char **);
int	address_is_loopback(const char *);
int	address_matches(const char *, const char *);

#endif
