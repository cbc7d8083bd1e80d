/*
 * CRC-32C (Castagnoli), the checksum of journal records.
 */
#ifndef CRC32C_H
#define CRC32C_H

#include <stddef.h>
#include <stdint.h>

uint32_t	crc32c(uint32_t, const void *, size_t);

#endif
