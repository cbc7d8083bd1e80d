/*
 * The hooks' listening address: parse HOST:PORT and listen on it.
 */
#ifndef ADDRESS_H
#define ADDRESS_H

int	address_bind(const char *, char **, char **);
int	address_is_loopback(const char *);

#endif
