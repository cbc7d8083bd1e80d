/*
 * hiredis reply objects in one arena per reply (redis-reply.h).
 *
 * hiredis 0.14's reader creates a reply top down: the root first (its
 * task has no parent), then each element in order, every one through
 * the reader's fn with the read task that describes it.  An array's
 * task keeps the array in obj while its elements are read, and the
 * tasks stay in the reader between reads, so a reply split across reads
 * goes on where it stopped.  The root task is thus the one way up from
 * any element to its reply, and the arena lives in the root: a struct
 * whose first member is the root redisReply, followed by the first
 * block.  Later blocks are chained to it.  The reader and hiredis's
 * async context call freeObject only with a root (after the reply's
 * callback, or with a reply cut short by an error or a disconnect), so
 * freeing the root frees every block at once.  Nothing is global: each
 * reply has its own arena, whatever reader it comes from.
 *
 * A failed allocation returns NULL: the reader then fails with "Out of
 * memory" and frees the reply so far, as it does with its own objects.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "redis-reply.h"

/*
 * Under AddressSanitizer the room not handed out is poisoned and every
 * object is followed by a red zone, so that a read past a string's end
 * is caught as it is with one malloc per object.
 */
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define RR_ASAN
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) && !defined(RR_ASAN)
#define RR_ASAN
#endif
#ifdef RR_ASAN
#include <sanitizer/asan_interface.h>
#define RR_REDZONE	16
#else
#define ASAN_POISON_MEMORY_REGION(p, n)		((void)(p), (void)(n))
#define ASAN_UNPOISON_MEMORY_REGION(p, n)	((void)(p), (void)(n))
#define RR_REDZONE	0
#endif

/*
 * The first block, arena included, is small enough for glibc's tcache
 * (requests up to 1032 bytes) and its small bins: a short reply (an
 * append's {seq, id}, a status) costs one cheap malloc.  Later blocks
 * double up to RR_BLOCK_MAX; a string or array larger than the next
 * block gets a block of its own.
 */
#define RR_FIRST	1000
#define RR_BLOCK	4000
#define RR_BLOCK_MAX	65536
#define RR_ALIGN	_Alignof(redisReply)

/* A later block: the next one in the chain, then its bytes. */
struct rr_block {
	struct rr_block	*next;
};

/* A reply's arena: its root, the blocks, and the current block's room. */
struct rr_arena {
	redisReply	 root;		/* first: the reply is the arena */
	struct rr_block	*blocks;	/* later blocks, newest first */
	char		*next;		/* free room in the current block */
	char		*end;
	size_t		 grow;		/* size of the next block */
};

_Static_assert(sizeof(struct rr_arena) % RR_ALIGN == 0,
    "the first block's room starts aligned");
_Static_assert(sizeof(struct rr_block) % RR_ALIGN == 0,
    "a later block's room starts aligned");

/*
 * Return the room an object of want bytes takes, its red zone included,
 * rounded up to RR_ALIGN; SIZE_MAX when that overflows.
 */
static size_t
rr_room(size_t want)
{
	if (want > SIZE_MAX - RR_REDZONE - RR_ALIGN)
		return (SIZE_MAX);
	return ((want + RR_REDZONE + RR_ALIGN - 1) & ~(size_t)(RR_ALIGN - 1));
}

/* Return want bytes of a's blocks, aligned, or NULL. */
static void *
rr_alloc(struct rr_arena *a, size_t want)
{
	struct rr_block	*b;
	size_t		 n = rr_room(want), size;
	char		*p;

	if ((size_t)(a->end - a->next) >= n) {
		p = a->next;
		a->next += n;
		ASAN_UNPOISON_MEMORY_REGION(p, want);
		return (p);
	}
	if (n > SIZE_MAX - sizeof *b)
		return (NULL);
	size = n > a->grow ? n : a->grow;
	if ((b = malloc(sizeof *b + size)) == NULL)
		return (NULL);
	b->next = a->blocks;
	a->blocks = b;
	p = (char *)(b + 1);
	ASAN_POISON_MEMORY_REGION(p, size);
	ASAN_UNPOISON_MEMORY_REGION(p, want);
	if (n > a->grow)
		return (p);	/* its own block: the current one keeps its room */
	a->next = p + n;
	a->end = p + size;
	a->grow = a->grow * 2 > RR_BLOCK_MAX ? RR_BLOCK_MAX : a->grow * 2;
	return (p);
}

/*
 * Make the reply object of task, of type, with extra bytes of room for
 * its string or elements (returned in *room): a new arena when task is
 * the root, else from the root's arena, put in its parent's elements.
 */
static redisReply *
rr_object(const redisReadTask *task, int type, size_t extra, void **room)
{
	const redisReadTask	*top = task;
	struct rr_arena		*a;
	redisReply		*r, *parent;
	size_t			 first = RR_FIRST;

	if (task->parent == NULL) {
		if (rr_room(extra) > SIZE_MAX - sizeof *a)
			return (NULL);
		if (sizeof *a + rr_room(extra) > first)
			first = sizeof *a + rr_room(extra);
		if ((a = malloc(first)) == NULL)
			return (NULL);
		a->blocks = NULL;
		a->next = (char *)(a + 1);
		a->end = (char *)a + first;
		ASAN_POISON_MEMORY_REGION(a->next, first - sizeof *a);
		a->grow = RR_BLOCK;
		r = &a->root;
	} else {
		while (top->parent != NULL)
			top = top->parent;
		a = top->obj;
		if ((r = rr_alloc(a, sizeof *r)) == NULL)
			return (NULL);
	}
	memset(r, 0, sizeof *r);
	r->type = type;
	*room = NULL;
	/* A root's room is in its first block: only an element's can fail. */
	if (extra > 0 && (*room = rr_alloc(a, extra)) == NULL)
		return (NULL);	/* the reader frees the root, and r in it */
	if (task->parent != NULL) {
		parent = task->parent->obj;
		parent->element[task->idx] = r;
	}
	return (r);
}

/* hiredis: a string, status or error. */
static void *
rr_string(const redisReadTask *task, char *str, size_t len)
{
	redisReply	*r;
	void		*room;

	if (len == SIZE_MAX)
		return (NULL);
	if ((r = rr_object(task, task->type, len + 1, &room)) == NULL)
		return (NULL);
	r->str = room;
	memcpy(r->str, str, len);
	r->str[len] = '\0';
	r->len = len;
	return (r);
}

/* hiredis: an array of elements, filled in as they are read. */
static void *
rr_array(const redisReadTask *task, int elements)
{
	redisReply	*r;
	void		*room;
	size_t		 n = elements > 0 ? (size_t)elements : 0;

	if (n > SIZE_MAX / sizeof *r->element)
		return (NULL);
	r = rr_object(task, REDIS_REPLY_ARRAY, n * sizeof *r->element, &room);
	if (r == NULL)
		return (NULL);
	if (n > 0) {
		r->element = room;
		memset(r->element, 0, n * sizeof *r->element);
	}
	r->elements = n;
	return (r);
}

/* hiredis: an integer. */
static void *
rr_integer(const redisReadTask *task, long long value)
{
	redisReply	*r;
	void		*room;

	if ((r = rr_object(task, REDIS_REPLY_INTEGER, 0, &room)) == NULL)
		return (NULL);
	r->integer = value;
	return (r);
}

/* hiredis: a nil (a bulk string or an array of length -1). */
static void *
rr_nil(const redisReadTask *task)
{
	void	*room;

	return (rr_object(task, REDIS_REPLY_NIL, 0, &room));
}

/* hiredis: free a reply, always a root, with every block of its arena. */
static void
rr_free(void *reply)
{
	struct rr_arena	*a = reply;
	struct rr_block	*b;

	if (a == NULL)
		return;
	while ((b = a->blocks) != NULL) {
		a->blocks = b->next;
		free(b);
	}
	free(a);
}

static redisReplyObjectFunctions rr_functions = {
	rr_string,
	rr_array,
	rr_integer,
	rr_nil,
	rr_free
};

/* Make reader build its replies in arenas; see redis-reply.h. */
void
redis_reply_use_arena(struct redisReader *reader)
{
	reader->fn = &rr_functions;
}
