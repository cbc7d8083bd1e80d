/*
 * The store the listener opens, as --store says (listener-store.c): the
 * journal, or a Redis shared by the session's listeners.
 */
#ifndef LISTENER_STORE_H
#define LISTENER_STORE_H

struct store_config;

int		 listener_store_configure(struct store_config *, char **);
void		 listener_store_release(void);
void		 listener_store_forget_env(const char *);

#endif
