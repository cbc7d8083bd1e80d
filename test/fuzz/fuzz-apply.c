/*
 * Records another writer of the session wrote, applied to a store
 * (store_apply): the input is NUL-separated entries, each a type byte (its
 * value modulo 11, so unknown types come too), a seq byte (its value less
 * one: 1 for none) and the record's JSON text; each has the body "body".
 * The seeds spawn hooks with fixed tokens and use them.
 *
 * Properties: an entry is applied or refused with a cause, and a refused
 * one changes nothing (messages, counter, journal); the index stays in
 * strictly increasing seq order, the queued count matches the queues,
 * every message reads back from the local journal; and a reopen of the
 * store from that journal rebuilds the same hooks and messages (a request
 * under way is unanswered then, as after any restart).
 *
 * One directory serves the whole process (under $TMPDIR: scripts/fuzz
 * points it at memory); it is emptied after each input and removed at
 * exit.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buffer.h"
#include "fuzz.h"
#include "hook.h"
#include "journal.h"
#include "loop.h"
#include "message.h"
#include "store.h"

static char		*fuzz_top, *fuzz_dir;
static struct loop	*fuzz_loop;

/* The wall clock the store sees: fixed, so a reopen sees the same. */
static int64_t
fuzz_clock(void)
{
	return (1700000000000LL);
}

/* Remove the directory at exit. */
static void
fuzz_cleanup(void)
{
	fuzz_empty(fuzz_dir);
	rmdir(fuzz_dir);
	fuzz_empty(fuzz_top);
	rmdir(fuzz_top);
	loop_free(fuzz_loop);
	free(fuzz_dir);
	free(fuzz_top);
}

/* Open the store over the directory. */
static struct store *
fuzz_open(void)
{
	struct store_config	 config;
	struct store		*s;
	char			*warnings, *cause = NULL;

	if (fuzz_loop == NULL) {
		fuzz_tmpdir("fuzz-apply", "journal", &fuzz_top, &fuzz_dir);
		fuzz_loop = loop_new();
		atexit(fuzz_cleanup);
	}
	memset(&config, 0, sizeof config);
	config.journal_dir = fuzz_dir;
	config.session_dir = fuzz_top;
	config.loop = fuzz_loop;
	config.retain_ms = STORE_RETAIN_DEFAULT_MS;
	config.clock = fuzz_clock;
	s = store_open(&config, &warnings, &cause);
	if (s == NULL)
		fprintf(stderr, "store_open: %s\n", cause);
	FUZZ_CHECK(s != NULL);
	free(warnings);
	return (s);
}

/*
 * Describe the hooks and messages, as a reopen must rebuild them: a
 * request under way is unanswered after a reopen.
 */
static char *
fuzz_snapshot(struct store *s)
{
	struct buffer	  b;
	struct hook	 *h;
	struct message	**all, *m;
	size_t		  i, n;
	int		  state;

	buffer_init(&b);
	TAILQ_FOREACH(h, store_hooks(s), entry)
		buffer_add_line(&b, "hook %s %s %d %d %llu", h->token,
		    h->name != NULL ? h->name : "-", h->closed, h->recovered,
		    (unsigned long long)h->queued);
	all = store_messages(s, &n);
	for (i = 0; i < n; i++) {
		m = all[i];
		state = m->state == MESSAGE_SENDING ? MESSAGE_UNANSWERED :
		    (int)m->state;
		buffer_add_line(&b, "message %llu %s %d %d %d",
		    (unsigned long long)m->seq, m->hook != NULL ?
		    m->hook->token : "-", state, m->refused, m->answer != 0);
	}
	buffer_add_line(&b, "next %llu", (unsigned long long)store_next_seq(s));
	return (buffer_detach(&b, NULL));
}

/* Check the index: in order, counts right, every message readable. */
static void
fuzz_check_index(struct store *s)
{
	struct journal_record	  rec;
	struct store_stats	  st;
	struct message		**all;
	uint64_t		  queued = 0;
	size_t			  i, n;
	char			 *cause = NULL;

	all = store_messages(s, &n);
	for (i = 0; i < n; i++) {
		FUZZ_CHECK(i == 0 || all[i - 1]->seq < all[i]->seq);
		FUZZ_CHECK(all[i]->seq < store_next_seq(s));
		FUZZ_CHECK(store_message(s, all[i]->seq) == all[i]);
		if (all[i]->state == MESSAGE_QUEUED)
			queued++;
		if (store_read(s, all[i], &rec, &cause) == -1) {
			fprintf(stderr, "store_read: %s\n", cause);
			abort();
		}
		journal_record_release(&rec);
	}
	store_stats(s, &st);
	FUZZ_CHECK(st.queued == queued);
}

/* Apply one entry; a refusal must have a cause and change nothing. */
static void
fuzz_apply(struct store *s, const char *piece, size_t len)
{
	struct store_entry	 e;
	struct store_stats	 st0, st1;
	char			*before, *after, *cause = NULL;

	memset(&e, 0, sizeof e);
	e.type = (enum journal_type)((unsigned char)piece[0] % 11);
	e.seq = (unsigned char)piece[1] - 1U;
	e.json = piece + 2;
	e.json_len = len - 2;
	e.body = "body";
	e.body_len = 4;
	before = fuzz_snapshot(s);
	store_stats(s, &st0);
	if (store_apply(s, &e, &cause) == -1) {
		FUZZ_CHECK(cause != NULL);
		after = fuzz_snapshot(s);
		store_stats(s, &st1);
		FUZZ_CHECK(strcmp(before, after) == 0);
		FUZZ_CHECK(st0.journal_appended == st1.journal_appended);
		free(after);
	}
	free(cause);
	free(before);
}

/* Apply every entry, check, reopen, and compare. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_pieces	 in;
	struct store		*s;
	char			*before, *after;
	size_t			 i;

	fuzz_split(&in, data, size);
	s = fuzz_open();
	for (i = 0; i < in.n; i++) {
		if (in.len[i] >= 2)
			fuzz_apply(s, in.piece[i], in.len[i]);
	}
	fuzz_check_index(s);
	before = fuzz_snapshot(s);
	store_commit(s);
	store_close(s);
	s = fuzz_open();
	after = fuzz_snapshot(s);
	if (strcmp(before, after) != 0)
		fprintf(stderr, "applied:\n%sreopened:\n%s", before, after);
	FUZZ_CHECK(strcmp(before, after) == 0);
	fuzz_check_index(s);
	store_close(s);
	free(before);
	free(after);
	fuzz_empty(fuzz_dir);
	fuzz_empty(fuzz_top);
	fuzz_free(&in);
	return (0);
}
