/*
 * hiredis's async API driven by fish's own event loop (lib/loop.h): the
 * shape of the adapters hiredis ships for ae, libev and libuv.  hiredis
 * 0.14 (Debian 12) has no timer hook: the connection (redis-conn.c) keeps
 * its connect and command deadlines with loop timers itself.
 */
#ifndef REDIS_LOOP_H
#define REDIS_LOOP_H

struct loop;
struct redisAsyncContext;

/*
 * Let loop drive ac: its read and write hooks watch ac's descriptor, and
 * its cleanup (when hiredis frees ac) stops watching.  Return 0, or -1
 * when ac is attached already.
 */
int	redis_loop_attach(struct redisAsyncContext *ac, struct loop *loop);

#endif
