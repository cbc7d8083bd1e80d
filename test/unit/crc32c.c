/*
 * Unit tests for CRC-32C: the standard check value, chaining over pieces,
 * empty input, and the agreement of every implementation (the byte table,
 * slicing-by-8, the SSE4.2 instruction when the CPU has it) over many
 * lengths, misaligned starts and chained calls.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "crc32c.h"
#include "tap.h"

/* Return a pseudo-random byte sequence's next value (xorshift). */
static uint32_t
next_random(uint32_t *state)
{
	*state ^= *state << 13;
	*state ^= *state >> 17;
	*state ^= *state << 5;
	return (*state);
}

/*
 * Check that every implementation gives the byte table's result for each
 * length 0..1000 at each start offset 0..7, whole and chained in two
 * pieces cut at a length-dependent place.
 */
static void
test_agreement(void)
{
	static unsigned char	 data[1000 + 16];
	uint32_t		 state = 0x9e3779b9U, want, got, hw, seed;
	size_t			 len, start, cut, bad_slice = 0, bad_hw = 0;
	size_t			 bad_chain = 0, bad_seed = 0, cases = 0;
	int			 have_hw;

	for (len = 0; len < sizeof data; len++)
		data[len] = (unsigned char)next_random(&state);
	have_hw = crc32c_hardware(&hw, 0, data, 1) == 0;
	for (len = 0; len <= 1000; len++) {
		for (start = 0; start < 8; start++) {
			cases++;
			want = crc32c_bytewise(0, data + start, len);
			if (crc32c_slice8(0, data + start, len) != want)
				bad_slice++;
			if (have_hw && (crc32c_hardware(&hw, 0, data + start,
			    len) != 0 || hw != want))
				bad_hw++;
			cut = len == 0 ? 0 : (len * 7 + start) % len;
			got = crc32c(crc32c(0, data + start, cut),
			    data + start + cut, len - cut);
			if (got != want || crc32c(0, data + start, len) != want)
				bad_chain++;
			/* A nonzero starting value, as when chaining. */
			seed = next_random(&state);
			want = crc32c_bytewise(seed, data + start, len);
			if (crc32c_slice8(seed, data + start, len) != want ||
			    crc32c(seed, data + start, len) != want ||
			    (have_hw && (crc32c_hardware(&hw, seed,
			    data + start, len) != 0 || hw != want)))
				bad_seed++;
		}
	}
	diag("crc32c uses %s; the SSE4.2 instruction is %savailable here",
	    crc32c_implementation(), have_hw ? "" : "not ");
	is_int(bad_slice, 0, "slicing-by-8 agrees with the byte table on "
	    "lengths 0..1000 at every alignment");
	if (have_hw)
		is_int(bad_hw, 0, "the SSE4.2 instruction agrees with the byte "
		    "table on lengths 0..1000 at every alignment");
	else
		ok(1, "# SKIP this CPU has no SSE4.2");
	is_int(bad_chain, 0, "crc32c chained over two pieces equals one pass "
	    "and the byte table");
	is_int(bad_seed, 0, "every implementation agrees from a nonzero "
	    "starting crc");
	is_int(cases, 1001 * 8, "every length and alignment was tried");
}

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

	test_agreement();
	return (done_testing());
}
