/*
 * The listener's command line and its settings: what fish gave it, the
 * settings in force (given, else saved in config.json, else the default)
 * and the TLS files they name, and config.json saved again.  Main only.
 */
#ifndef LISTENER_CONFIG_H
#define LISTENER_CONFIG_H

#include "settings.h"

/* The listener's command line, as fish gives it. */
struct listener_args {
	const char	*session;
	int		 foreground;
	int		 ready_fd;	/* -1: none */
	int		 lock_fd;	/* -1: none */
	const char	*given[SETTINGS_COUNT];	/* by setting, or NULL */
};

int	listener_args_parse(struct listener_args *, int, char **);
void	listener_args_usage(void) __attribute__((__noreturn__));
int	listener_settings(const struct listener_args *, char **, int *);
void	listener_config_save(void);

#endif
