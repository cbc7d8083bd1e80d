/*
 * Whole-stream reads and writes, and the encodings fish prints messages in.
 */
#ifndef OUTPUT_H
#define OUTPUT_H

#include <stddef.h>

#include <json-c/json.h>

#include "base64.h"	/* callers encode bodies with base64_encode too */
#include "buffer.h"	/* write_all */

void	 output_escape(int);
int	 output_write(const void *, size_t);
int	 output_printf(const char *, ...)
	    __attribute__((__format__(__printf__, 1, 2)));
int	 output_json(struct json_object *);
int	 output_table(char **, size_t, size_t);
char	*read_all(int, size_t, size_t *);
char	*read_body(const char *, const char *, size_t, size_t *);
int	 utf8_valid(const void *, size_t);
void	 envelope_with_body(struct json_object *, const void *, size_t);

#endif
