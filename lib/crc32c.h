/*
 * CRC-32C (Castagnoli), the checksum of journal fragments.  crc32c picks
 * the fastest implementation at run time; the others are there so that
 * the tests can check that all of them agree.
 */
#ifndef CRC32C_H
#define CRC32C_H

#include <stddef.h>
#include <stdint.h>

uint32_t	 crc32c(uint32_t, const void *, size_t);
uint32_t	 crc32c_bytewise(uint32_t, const void *, size_t);
uint32_t	 crc32c_slice8(uint32_t, const void *, size_t);
int		 crc32c_hardware(uint32_t *, uint32_t, const void *, size_t);
void		 crc32c_select(void);
const char	*crc32c_implementation(void);

#endif
