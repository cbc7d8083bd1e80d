/*
 * Showing strangers' bytes so that none reaches a terminal as a control
 * sequence: bodies on a terminal (newlines kept), and every error and log
 * line (newlines escaped too, so that one line stays one); and what goes
 * into JSON, which holds UTF-8 only.
 */
#ifndef ESCAPE_H
#define ESCAPE_H

#include <stddef.h>

#include "buffer.h"

int	 escape_printable(const void *, size_t);
void	 escape_text(struct buffer *, const void *, size_t);
void	 escape_line(struct buffer *, const void *, size_t);
char	*escape_json_text(const char *);

#endif
