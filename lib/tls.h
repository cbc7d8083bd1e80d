/*
 * HTTPS for the hooks: the certificate and key files read and checked with
 * GnuTLS, then handed to libmicrohttpd as PEM; the name to check our own
 * certificate by when we connect to ourselves.
 */
#ifndef TLS_H
#define TLS_H

struct tls;
struct MHD_OptionItem;

/* How many items tls_mhd_options fills in, MHD_OPTION_END included. */
#define TLS_MHD_OPTIONS	3

struct tls	*tls_load(const char *, const char *, char **);
unsigned int	 tls_mhd_options(const struct tls *, struct MHD_OptionItem *);
char		*tls_name(const struct tls *, const char *);
void		 tls_free(struct tls *);

#endif
