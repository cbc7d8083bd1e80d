/*
 * A small JSON writer into a buffer, for records built on the hot path
 * without a json-c tree.  Its output is byte for byte what json-c 0.16
 * prints with JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE (the
 * flags journal_append uses), so that a record reads the same whichever
 * way it was written: the same escapes (\b \t \n \f \r \" \\, \u00xx in
 * lower case for the other bytes below 0x20), every other byte as it is
 * (invalid UTF-8 included), integers in decimal.
 */
#ifndef JSONW_H
#define JSONW_H

#include <stddef.h>
#include <stdint.h>

struct buffer;

void	jsonw_string(struct buffer *, const char *, size_t);
void	jsonw_int(struct buffer *, int64_t);

#endif
