/*
 * Table-driven CRC-32C, reflected polynomial 0x82f63b78.  crc32c(0, "123456789",
 * 9) is 0xe3069283, the standard check value.  Pass the previous result to
 * continue a checksum over several pieces.
 */
#include "config.h"

#include <stdint.h>

#include "crc32c.h"

static uint32_t	crc32c_table[256];
static int	crc32c_ready;

/* Fill the lookup table on first use. */
static void
crc32c_init(void)
{
	uint32_t	c;
	int		i, k;

	for (i = 0; i < 256; i++) {
		c = (uint32_t)i;
		for (k = 0; k < 8; k++)
			c = (c & 1) ? (c >> 1) ^ 0x82f63b78U : c >> 1;
		crc32c_table[i] = c;
	}
	crc32c_ready = 1;
}

/* Extend crc over len bytes of data. */
uint32_t
crc32c(uint32_t crc, const void *data, size_t len)
{
	const unsigned char	*p = data;

	if (!crc32c_ready)
		crc32c_init();
	crc = ~crc;
	while (len-- > 0)
		crc = crc32c_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return (~crc);
}
