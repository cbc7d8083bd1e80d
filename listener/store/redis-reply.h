/*
 * hiredis reply objects in one arena per reply (doc/store-redis.md).
 *
 * hiredis's reader builds each reply as a tree of redisReply objects,
 * one calloc per object and one malloc per string and per array of
 * elements, and frees them one by one after the reply's callback: about
 * thirty allocations for each entry the follower reads back.  A reader
 * given these functions builds the same redisReply tree, every field
 * as hiredis sets it, in a few blocks owned by the reply's root and
 * freed with it.  So whoever reads a reply reads it as before; nothing
 * may keep a pointer into it past its callback (nothing could before:
 * hiredis frees the reply when the callback returns).
 */
#ifndef REDIS_REPLY_H
#define REDIS_REPLY_H

struct redisReader;

/*
 * Make reader build its replies in arenas.  Call it before the reader
 * is fed: a reply it began the other way would be freed this way.
 */
void	redis_reply_use_arena(struct redisReader *reader);

#endif
