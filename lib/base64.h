/*
 * Base64 (RFC 4648, standard alphabet, padded), as Standard Webhooks uses
 * for its keys and signatures.
 */
#ifndef BASE64_H
#define BASE64_H

#include <stddef.h>

char	*base64_encode(const void *, size_t);
int	 base64_decode(const char *, size_t, unsigned char **, size_t *);

#endif
