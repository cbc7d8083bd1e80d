/*
 * The message index and the hooks' message queues (struct message is in
 * hook.h): receiving, queueing, taking and expiring messages.
 */
#ifndef MESSAGE_H
#define MESSAGE_H

#include <stddef.h>
#include <stdint.h>

struct hook;
struct journal_record;
struct json_object;
struct message;

void		 message_free_all(void);
void		 message_replay(const struct journal_record *);
void		 message_expire(uint64_t);
struct message	*message_receive(struct hook *, struct json_object *,
		    const void *, size_t);
void		 message_ready(struct message *);
void		 message_reject(struct message *);
void		 message_release(struct message *);
void		 message_take(struct message *);
uint64_t	 message_count(void);
struct message	*message_find(uint64_t);
struct message	**message_all(size_t *);
size_t		 message_index(uint64_t);
struct message	*message_send(struct json_object *, const void *, size_t);
void		 message_started(struct message *);
void		 message_answered(struct message *, struct json_object *,
		    const void *, size_t);
void		 message_observe(void (*)(struct message *));
uint64_t	 message_queued(void);

#endif
