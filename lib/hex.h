/*
 * Hexadecimal digits, as signatures (hex HMACs) and store URLs
 * (percent-escapes) read and write them.
 */
#ifndef HEX_H
#define HEX_H

#include <stddef.h>

int	 hex_digit_value(char);
void	 hex_encode_lower(const unsigned char *, size_t, char *);

#endif
