/*
 * Count a process's allocator calls, for scripts/bench: an LD_PRELOAD
 * shim over glibc's malloc, calloc, realloc, free and the aligned
 * allocators.  With FISH_BENCH_MALLOC_DIR set, each process that loads it
 * keeps its counts in DIR/PID (five native-endian 64-bit counters, in the
 * order of enum count), mapped shared so that the bench reads them while
 * the process runs.  Not part of fish: built by scripts/bench only.
 */
#define _GNU_SOURCE
#include <sys/mman.h>

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

enum count { MALLOC, CALLOC, REALLOC, FREE, ALIGNED, NCOUNTS };

extern void	*__libc_malloc(size_t);
extern void	*__libc_calloc(size_t, size_t);
extern void	*__libc_realloc(void *, size_t);
extern void	 __libc_free(void *);
extern void	*__libc_memalign(size_t, size_t);

/* Counted here until the shared file is mapped. */
static uint64_t	 early[NCOUNTS];
static uint64_t	*counts = early;

/* Map DIR/PID for the counts, if the bench asks for them. */
__attribute__((constructor)) static void
count_init(void)
{
	const char	*dir = getenv("FISH_BENCH_MALLOC_DIR");
	char		 path[4096];
	void		*p;
	int		 fd;

	if (dir == NULL)
		return;
	snprintf(path, sizeof path, "%s/%ld", dir, (long)getpid());
	if ((fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600)) == -1)
		return;
	if (ftruncate(fd, sizeof early) == 0) {
		p = mmap(NULL, sizeof early, PROT_READ | PROT_WRITE,
		    MAP_SHARED, fd, 0);
		if (p != MAP_FAILED)
			counts = p;
	}
	close(fd);
}

/* Count one call. */
static void
count(enum count c)
{
	__atomic_fetch_add(&counts[c], 1, __ATOMIC_RELAXED);
}

void *
malloc(size_t n)
{
	count(MALLOC);
	return (__libc_malloc(n));
}

void *
calloc(size_t n, size_t size)
{
	count(CALLOC);
	return (__libc_calloc(n, size));
}

void *
realloc(void *p, size_t n)
{
	count(REALLOC);
	return (__libc_realloc(p, n));
}

void
free(void *p)
{
	if (p != NULL)
		count(FREE);
	__libc_free(p);
}

void *
memalign(size_t align, size_t n)
{
	count(ALIGNED);
	return (__libc_memalign(align, n));
}

void *
aligned_alloc(size_t align, size_t n)
{
	count(ALIGNED);
	return (__libc_memalign(align, n));
}

int
posix_memalign(void **out, size_t align, size_t n)
{
	void	*p;

	count(ALIGNED);
	if ((p = __libc_memalign(align, n)) == NULL)
		return (12);	/* ENOMEM */
	*out = p;
	return (0);
}
