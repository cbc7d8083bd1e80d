/*
 * The messages a batch wait (--count N, --drain) has leased and not yet
 * printed: all or nothing, so every one is kept until the last arrives.
 * A drain of a long queue may bring a gigabyte, so only the first
 * WAIT_BATCH_MEMORY bytes of frames stay in memory; the rest go, as the
 * listener sent them, to an unlinked temporary file in $TMPDIR (else
 * /tmp), read back one frame at a time when they are printed.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "buffer.h"
#include "proto.h"
#include "wait-batch.h"
#include "xmalloc.h"

/* Frames' bytes kept in memory (FISH_TEST_WAIT_BATCH_MEMORY in tests). */
#define WAIT_BATCH_MEMORY	(16U << 20)
/* What a frame's JSON text is counted as, times its length. */
#define WAIT_BATCH_JSON_FACTOR	4
/* How much of the file one read takes. */
#define WAIT_BATCH_READ		(64U << 10)

struct wait_batch {
	struct proto_frame	*frames;	/* the first ones, in memory */
	size_t			 nframes, size;
	size_t			 memory;	/* their bytes */
	size_t			 memory_max;
	int			 fd;		/* the rest, or -1 */
	size_t			 nspilled;
};

struct wait_batch *
wait_batch_new(void)
{
	struct wait_batch	*b;
#ifdef FISH_TEST_HOOKS
	const char		*s;
#endif

	b = xcalloc(1, sizeof *b);
	b->fd = -1;
	b->memory_max = WAIT_BATCH_MEMORY;
#ifdef FISH_TEST_HOOKS
	if ((s = getenv("FISH_TEST_WAIT_BATCH_MEMORY")) != NULL)
		b->memory_max = (size_t)strtoull(s, NULL, 10);
#endif
	return (b);
}

/* Open the unlinked file the frames past memory go to. */
static int
wait_batch_open(struct wait_batch *b, char **cause)
{
	const char	*dir = getenv("TMPDIR");
	char		*path;

	if (dir == NULL || *dir == '\0')
		dir = "/tmp";
	b->fd = open(dir, O_TMPFILE | O_RDWR | O_EXCL | O_CLOEXEC, 0600);
	if (b->fd != -1)
		return (0);
	/* A file system without O_TMPFILE: make one and unlink it. */
	xasprintf(&path, "%s/fish-wait.XXXXXX", dir);
	if ((b->fd = mkostemp(path, O_CLOEXEC)) != -1)
		(void)unlink(path);
	else
		xasprintf(cause, "cannot make a file in %s to keep the "
		    "messages in: %s", dir, strerror(errno));
	free(path);
	return (b->fd == -1 ? -1 : 0);
}

/* Add frame f to the batch (the batch owns its contents); -1 on error. */
int
wait_batch_add(struct wait_batch *b, struct proto_frame *f, char **cause)
{
	struct buffer	 out;
	size_t		 bytes, json_len;
	int		 ret = 0;

	*cause = NULL;
	/*
	 * Its body, and its fields (headers included) as parsed: a json-c
	 * tree takes a few times its text, counted here from its length.
	 */
	json_object_to_json_string_length(f->json, JSON_C_TO_STRING_PLAIN,
	    &json_len);
	bytes = f->payload_len + WAIT_BATCH_JSON_FACTOR * json_len;
	if (b->nspilled == 0 && b->memory + bytes <= b->memory_max) {
		if (b->nframes == b->size) {
			b->size = b->size == 0 ? 16 : b->size * 2;
			b->frames = xreallocarray(b->frames, b->size,
			    sizeof *b->frames);
		}
		b->frames[b->nframes++] = *f;
		b->memory += bytes;
		proto_frame_init(f);
		return (0);
	}
	if (b->fd == -1 && wait_batch_open(b, cause) == -1)
		ret = -1;
	buffer_init(&out);
	if (ret == 0) {
		proto_frame_encode(&out, f->json, f->payload, f->payload_len);
		if (write_all(b->fd, buffer_peek(&out), buffer_unread(&out)) ==
		    -1) {
			xasprintf(cause, "cannot keep the messages in a "
			    "temporary file: %s", strerror(errno));
			ret = -1;
		} else
			b->nspilled++;
	}
	buffer_release(&out);
	proto_frame_release(f);
	return (ret);
}

/* How many messages the batch holds. */
size_t
wait_batch_count(const struct wait_batch *b)
{
	return (b->nframes + b->nspilled);
}

/* Call each(f, i, arg) for the frames of the file, in order. */
static int
wait_batch_each_spilled(struct wait_batch *b, wait_batch_cb each, void *arg,
    size_t i, char **cause)
{
	struct buffer		 in;
	struct proto_frame	 f;
	ssize_t			 n;
	int			 ret = 0, parsed;

	if (lseek(b->fd, 0, SEEK_SET) == -1) {
		xasprintf(cause, "cannot read the kept messages back: %s",
		    strerror(errno));
		return (-1);
	}
	buffer_init(&in);
	proto_frame_init(&f);
	while (ret == 0 && i < wait_batch_count(b)) {
		parsed = proto_frame_parse(&in, &f, cause);
		if (parsed == 1) {
			ret = each(&f, i++, arg);
			proto_frame_release(&f);
			continue;
		}
		if (parsed == -1)
			ret = -1;
		else {
			buffer_reserve(&in, WAIT_BATCH_READ);
			n = read(b->fd, in.data + in.len, WAIT_BATCH_READ);
			if (n > 0)
				in.len += (size_t)n;
			else {
				xasprintf(cause, "cannot read the kept messages "
				    "back: %s", n == 0 ? "the file was cut" :
				    strerror(errno));
				ret = -1;
			}
		}
	}
	buffer_release(&in);
	return (ret);
}

/*
 * Call each(frame, index, arg) for every message, in the order added,
 * until one returns nonzero: return that, or 0, or -1 with *cause when
 * the file cannot be read back.  May be called again.
 */
int
wait_batch_each(struct wait_batch *b, wait_batch_cb each, void *arg,
    char **cause)
{
	size_t	i;
	int	ret;

	*cause = NULL;
	for (i = 0; i < b->nframes; i++) {
		if ((ret = each(&b->frames[i], i, arg)) != 0)
			return (ret);
	}
	if (b->nspilled == 0)
		return (0);
	return (wait_batch_each_spilled(b, each, arg, i, cause));
}

/* Forget every message (the file too), keeping the batch for reuse. */
void
wait_batch_clear(struct wait_batch *b)
{
	size_t	i;

	for (i = 0; i < b->nframes; i++)
		proto_frame_release(&b->frames[i]);
	b->nframes = 0;
	b->memory = 0;
	b->nspilled = 0;
	if (b->fd != -1)
		(void)close(b->fd);
	b->fd = -1;
}

void
wait_batch_free(struct wait_batch *b)
{
	if (b == NULL)
		return;
	wait_batch_clear(b);
	free(b->frames);
	free(b);
}
