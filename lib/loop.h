/*
 * The listener's event loop: epoll over file descriptors, one-shot timers,
 * and "prepare" callbacks run before every wait (the store's group commit
 * runs there).
 */
#ifndef LOOP_H
#define LOOP_H

#include <stdint.h>

struct loop;
struct loop_timer;

typedef void (*loop_fd_cb)(int, uint32_t, void *);
typedef void (*loop_timer_cb)(void *);
typedef int64_t (*loop_prepare_cb)(void *);

struct loop	*loop_new(void);
void		 loop_free(struct loop *);
int		 loop_add(struct loop *, int, uint32_t, loop_fd_cb, void *);
int		 loop_modify(struct loop *, int, uint32_t);
void		 loop_remove(struct loop *, int);
struct loop_timer *loop_timer_add(struct loop *, int64_t, loop_timer_cb,
		    void *);
void		 loop_timer_cancel(struct loop *, struct loop_timer *);
void		 loop_prepare_add(struct loop *, loop_prepare_cb, void *);
void		 loop_prepare_remove(struct loop *, loop_prepare_cb, void *);
void		 loop_run(struct loop *);
void		 loop_run_once(struct loop *);
void		 loop_stop(struct loop *);
int64_t		 loop_now(void);

#endif
