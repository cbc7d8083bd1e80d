/*
 * The hooks' listening address: check and parse HOST:PORT and listen on
 * it; tell whether a listener's address is the one asked for, and where
 * this machine reaches it.
 */
#ifndef ADDRESS_H
#define ADDRESS_H

int	 address_valid(const char *);
int	 address_bind(const char *, char **, char **);
int	 address_is_loopback(const char *);
int	 address_matches(const char *, const char *);
char	*address_host(const char *);
char	*address_local(const char *);

#endif
