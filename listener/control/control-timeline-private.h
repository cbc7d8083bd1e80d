/*
 * What the two files of the timeline requests share (control-timeline.c,
 * the requests; control-timeline-entry.c, their entries).  Private to
 * those two.
 */
#ifndef CONTROL_TIMELINE_PRIVATE_H
#define CONTROL_TIMELINE_PRIVATE_H

#include <stddef.h>
#include <stdint.h>

struct conn;
struct filter;
struct hook;
struct message;
struct store;

/* A log's or tail's filters. */
struct timeline_filters {
	struct filter	*filters;
	size_t		 n;
};

int	timeline_selected(const struct message *, struct hook **, size_t);
int	timeline_match(struct store *, const struct message *,
	    const struct timeline_filters *);
int	timeline_open(const struct message *);
int	timeline_send_entry(struct conn *, const struct message *,
	    const struct timeline_filters *);
int64_t	timeline_time(struct store *, const struct message *);

#endif
