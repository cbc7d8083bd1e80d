/*
 * Whether the cgroup freezer holds a process (docker pause, systemctl
 * freeze, a write to cgroup.freeze), and how to thaw it: a frozen
 * process shows S or D in /proc/PID/stat, not T, yet never runs.
 */
#ifndef CLI_FREEZER_H
#define CLI_FREEZER_H

#include <sys/types.h>

/* Where /proc and /sys are: "" but in the unit test. */
#define FREEZER_ROOT	""

/* The frozen cgroup that holds a process. */
struct freezer {
	char	*cgroup;	/* as /proc/PID/cgroup names it */
	char	*thaw;		/* a shell command that thaws it */
};

int	 freezer_holds(const char *, pid_t);
int	 freezer_find(const char *, pid_t, struct freezer *);
void	 freezer_release(struct freezer *);
char	*freezer_unit(const char *, int *);

#endif
