/*
 * A growable byte buffer with a read position, used for network I/O,
 * request bodies and journal records.
 */
#ifndef BUFFER_H
#define BUFFER_H

#include <stddef.h>
#include <stdint.h>

struct buffer {
	char	*data;
	size_t	 off;	/* first unread byte */
	size_t	 len;	/* bytes stored, from data[0] */
	size_t	 size;	/* allocated */
};

void	 buffer_init(struct buffer *);
void	 buffer_release(struct buffer *);
void	 buffer_clear(struct buffer *);
void	 buffer_reserve(struct buffer *, size_t);
void	 buffer_add(struct buffer *, const void *, size_t);
void	 buffer_add_str(struct buffer *, const char *);
void	 buffer_add_u32(struct buffer *, uint32_t);
void	 buffer_add_u64(struct buffer *, uint64_t);
void	 buffer_printf(struct buffer *, const char *, ...)
	    __attribute__((__format__(__printf__, 2, 3)));
void	 buffer_add_line(struct buffer *, const char *, ...)
	    __attribute__((__format__(__printf__, 2, 3)));
size_t	 buffer_unread(const struct buffer *);
const char *buffer_peek(const struct buffer *);
void	 buffer_drain(struct buffer *, size_t);
char	*buffer_detach(struct buffer *, size_t *);

uint32_t get_u32(const void *);
uint64_t get_u64(const void *);
void	 put_u32(void *, uint32_t);

int	 write_all(int, const void *, size_t);

#endif
