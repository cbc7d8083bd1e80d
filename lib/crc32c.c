/*
 * CRC-32C (Castagnoli), reflected polynomial 0x82f63b78: the checksum of
 * journal fragments.  crc32c(0, "123456789", 9) is 0xe3069283, the
 * standard check value.  Pass the previous result to continue a checksum
 * over several pieces.
 *
 * Three implementations give the same results: the SSE4.2 crc32
 * instruction (x86-64 only, chosen at run time when the CPU has it),
 * slicing-by-8 (eight table lookups per 8 bytes, for other CPUs) and the
 * byte-at-a-time table (the reference, kept for the tests).  The journal
 * checks every byte it writes and every byte it recovers, so the speed of
 * this function is the speed of recovery.
 */
#include "config.h"

#include <stdint.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <nmmintrin.h>
#define CRC32C_X86 1
#endif

#include "crc32c.h"

#define CRC32C_POLY	0x82f63b78U

/* table[k][b]: the CRC of byte b followed by k zero bytes. */
static uint32_t	 crc32c_table[8][256];
static uint32_t	(*crc32c_best)(uint32_t, const void *, size_t);

/* Fill the lookup tables. */
static void
crc32c_tables(void)
{
	uint32_t	c;
	int		i, k;

	for (i = 0; i < 256; i++) {
		c = (uint32_t)i;
		for (k = 0; k < 8; k++)
			c = (c & 1) ? (c >> 1) ^ CRC32C_POLY : c >> 1;
		crc32c_table[0][i] = c;
	}
	for (i = 0; i < 256; i++) {
		c = crc32c_table[0][i];
		for (k = 1; k < 8; k++) {
			c = crc32c_table[0][c & 0xff] ^ (c >> 8);
			crc32c_table[k][i] = c;
		}
	}
}

/* Extend crc over len bytes, one table lookup per byte. */
static uint32_t
crc32c_bytes(uint32_t crc, const unsigned char *p, size_t len)
{
	while (len-- > 0)
		crc = crc32c_table[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return (crc);
}

/* Extend crc over len bytes of data, byte at a time (the reference). */
uint32_t
crc32c_bytewise(uint32_t crc, const void *data, size_t len)
{
	if (crc32c_best == NULL)
		crc32c_select();
	return (~crc32c_bytes(~crc, data, len));
}

/*
 * Extend crc over len bytes of data, eight bytes per step through eight
 * tables.  The words are assembled from bytes, so it gives the same
 * result on any byte order (a compiler makes one load of it on x86).
 */
uint32_t
crc32c_slice8(uint32_t crc, const void *data, size_t len)
{
	const unsigned char	*p = data;
	uint32_t		 lo, hi;

	if (crc32c_best == NULL)
		crc32c_select();
	crc = ~crc;
	while (len >= 8) {
		lo = crc ^ ((uint32_t)p[0] | (uint32_t)p[1] << 8 |
		    (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24);
		hi = (uint32_t)p[4] | (uint32_t)p[5] << 8 |
		    (uint32_t)p[6] << 16 | (uint32_t)p[7] << 24;
		crc = crc32c_table[7][lo & 0xff] ^
		    crc32c_table[6][(lo >> 8) & 0xff] ^
		    crc32c_table[5][(lo >> 16) & 0xff] ^
		    crc32c_table[4][lo >> 24] ^
		    crc32c_table[3][hi & 0xff] ^
		    crc32c_table[2][(hi >> 8) & 0xff] ^
		    crc32c_table[1][(hi >> 16) & 0xff] ^
		    crc32c_table[0][hi >> 24];
		p += 8;
		len -= 8;
	}
	return (~crc32c_bytes(crc, p, len));
}

#ifdef CRC32C_X86
/* Extend crc over len bytes with the SSE4.2 crc32 instruction. */
static __attribute__((target("sse4.2"))) uint32_t
crc32c_x86(uint32_t crc, const void *data, size_t len)
{
	const unsigned char	*p = data;
	uint64_t		 c = ~crc, word;

	/* Byte steps up to an 8-byte boundary, so the loads are aligned. */
	while (len > 0 && ((uintptr_t)p & 7) != 0) {
		c = _mm_crc32_u8((uint32_t)c, *p++);
		len--;
	}
	while (len >= 8) {
		__builtin_memcpy(&word, p, 8);
		c = _mm_crc32_u64(c, word);
		p += 8;
		len -= 8;
	}
	while (len-- > 0)
		c = _mm_crc32_u8((uint32_t)c, *p++);
	return (~(uint32_t)c);
}
#endif

/*
 * Extend crc over len bytes with the SSE4.2 instruction when this CPU has
 * it; return -1 (leaving *out alone) when it does not.
 */
int
crc32c_hardware(uint32_t *out, uint32_t crc, const void *data, size_t len)
{
#ifdef CRC32C_X86
	__builtin_cpu_init();
	if (__builtin_cpu_supports("sse4.2")) {
		*out = crc32c_x86(crc, data, len);
		return (0);
	}
#else
	(void)out;
	(void)crc;
	(void)data;
	(void)len;
#endif
	return (-1);
}

/* Build the tables and choose the fastest implementation this CPU runs. */
void
crc32c_select(void)
{
	crc32c_tables();
	crc32c_best = crc32c_slice8;
#ifdef CRC32C_X86
	__builtin_cpu_init();
	if (__builtin_cpu_supports("sse4.2"))
		crc32c_best = crc32c_x86;
#endif
}

/* Extend crc over len bytes of data, the fastest way this CPU allows. */
uint32_t
crc32c(uint32_t crc, const void *data, size_t len)
{
	if (crc32c_best == NULL)
		crc32c_select();
	return (crc32c_best(crc, data, len));
}

/* Name the implementation crc32c uses, for tests and benchmarks. */
const char *
crc32c_implementation(void)
{
	if (crc32c_best == NULL)
		crc32c_select();
#ifdef CRC32C_X86
	if (crc32c_best == crc32c_x86)
		return ("sse4.2");
#endif
	return ("slicing-by-8");
}
