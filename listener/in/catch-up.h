/*
 * A request for a token this listener does not know, when the session's
 * store is shared (fish start --store): the hook may have been spawned on
 * another listener a moment ago, so the store catches up the session's
 * stream first, for at most CATCH_UP_MS (catch-up.c).  Private to
 * listener/in/.
 */
#ifndef CATCH_UP_H
#define CATCH_UP_H

/* The longest a request waits for a catch-up before it gets 503. */
#define CATCH_UP_MS	2000

struct loop;
struct request;
struct store;

int	catch_up_start(struct loop *, struct store *, struct request *);

#endif
