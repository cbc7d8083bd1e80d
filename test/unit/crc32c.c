/*
 * Unit tests for CRC-32C: the standard check value, chaining over pieces,
 * and empty input.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "crc32c.h"
#include "tap.h"

/* Run every case and print the plan. */
int
main(void)
{
	static const char	check[] = "123456789";
	unsigned char		zeros[32], ones[32], bytes[256];
	uint32_t		crc;
	size_t			i;

	is_int(crc32c(0, check, 9), 0xe3069283U,
	    "crc32c of \"123456789\" is the check value 0xe3069283");
	crc = crc32c(0, check, 4);
	is_int(crc32c(crc, check + 4, 5), 0xe3069283U,
	    "two pieces chained give the check value");
	crc = 0;
	for (i = 0; i < 9; i++)
		crc = crc32c(crc, check + i, 1);
	is_int(crc, 0xe3069283U, "nine one-byte pieces give the check value");
	is_int(crc32c(0, "", 0), 0, "the crc of nothing is 0");
	is_int(crc32c(0, NULL, 0), 0,
	    "no data at all is allowed when len is 0");
	is_int(crc32c(0xe3069283U, "", 0), 0xe3069283U,
	    "an empty piece leaves the crc alone");

	/* Test vectors from RFC 3720, appendix B.4. */
	memset(zeros, 0, sizeof zeros);
	memset(ones, 0xff, sizeof ones);
	is_int(crc32c(0, zeros, sizeof zeros), 0x8a9136aaU,
	    "32 zero bytes match RFC 3720");
	is_int(crc32c(0, ones, sizeof ones), 0x62a8ab43U,
	    "32 0xff bytes match RFC 3720");
	for (i = 0; i < 32; i++)
		bytes[i] = (unsigned char)i;
	is_int(crc32c(0, bytes, 32), 0x46dd794eU,
	    "32 ascending bytes match RFC 3720");
	for (i = 0; i < 32; i++)
		bytes[i] = (unsigned char)(31 - i);
	is_int(crc32c(0, bytes, 32), 0x113fdb5cU,
	    "32 descending bytes match RFC 3720");

	for (i = 0; i < sizeof bytes; i++)
		bytes[i] = (unsigned char)(i * 7 + 3);
	crc = crc32c(crc32c(0, bytes, 100), bytes + 100, sizeof bytes - 100);
	is_int(crc, crc32c(0, bytes, sizeof bytes),
	    "chaining over 256 bytes equals one pass");
	ok(crc32c(0, "a", 1) != crc32c(0, "b", 1),
	    "different data gives a different crc");

	return (done_testing());
}
