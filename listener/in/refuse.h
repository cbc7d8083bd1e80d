/*
 * Requests refused before they were complete (404, 410, 413, 414, 431,
 * 400, 503): the bounded record the journal keeps of each, within the
 * rate caps of reject.c.
 */
#ifndef REFUSE_H
#define REFUSE_H

struct hook;
struct reject;
struct request;

void	refuse_record(struct reject *, struct request *, struct hook *,
	    const char *, unsigned int, const char *, int);

#endif
