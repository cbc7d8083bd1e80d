/*
 * The journal record of a complete request to a hook, signature check
 * included.
 */
#ifndef RECORD_H
#define RECORD_H

struct reject;
struct request;

/* What became of a complete request (record_request). */
enum record_outcome {
	RECORD_ACCEPTED,	/* journaled, to be queued */
	RECORD_REJECTED,	/* failed its check, head journaled */
	RECORD_COUNTED,		/* failed its check, over the rate cap */
};

enum record_outcome	record_request(struct request *, struct reject *,
			    const char *, const char *);

#endif
