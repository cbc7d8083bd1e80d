/*
 * The fish command: its command table and the helpers every command shares.
 *
 * Each command lives in cmd-NAME.c as a const struct cmd_entry.  Its exec
 * function receives argv starting at the command name and returns the exit
 * status; only main exits.
 */
#ifndef FISH_H
#define FISH_H

#include <getopt.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "compat.h"

struct buffer;


/*
 * A command.  args bounds how many operands (arguments left once options
 * are taken out) it takes, as tmux's cmd_entry does: cmd_getopt checks
 * them, naming a missing one as the usage line does.
 */
struct cmd_entry {
	const char	*name;
	const char	*usage;		/* arguments, after "FISH_NAME NAME " */
	struct {
		int	 lower;		/* operands at least */
		int	 upper;		/* and at most; -1: any number */
	} args;
	const char	*summary;	/* one line for fish --help */
	const char	*help;		/* option lines for fish NAME --help */
	int		(*exec)(int, char **);
};

/*
 * What cmd_getopt returns besides option characters and -1 (options done,
 * operands counted and within the command's args).
 */
#define CMD_HELP	(-2)	/* help printed: exit EXIT_OK */
#define CMD_ERROR	(-3)	/* usage error printed: exit EXIT_USAGE */

/* Ends every command's long option array; adds -h/--help. */
#define CMD_OPTIONS_END \
	{ "help", no_argument, NULL, 'h' }, \
	{ NULL, 0, NULL, 0 }

/* The session every command works on, resolved by main. */
extern const char *fish_session;

extern const struct cmd_entry *cmd_table[];

extern const struct cmd_entry cmd_close_entry;
extern const struct cmd_entry cmd_export_entry;
extern const struct cmd_entry cmd_field_entry;
extern const struct cmd_entry cmd_help_entry;
extern const struct cmd_entry cmd_log_entry;
extern const struct cmd_entry cmd_ls_entry;
extern const struct cmd_entry cmd_replay_entry;
extern const struct cmd_entry cmd_reply_entry;
extern const struct cmd_entry cmd_send_entry;
extern const struct cmd_entry cmd_sessions_entry;
extern const struct cmd_entry cmd_show_entry;
extern const struct cmd_entry cmd_sign_entry;
extern const struct cmd_entry cmd_spawn_entry;
extern const struct cmd_entry cmd_start_entry;
extern const struct cmd_entry cmd_status_entry;
extern const struct cmd_entry cmd_stop_entry;
extern const struct cmd_entry cmd_tail_entry;
extern const struct cmd_entry cmd_verify_entry;
extern const struct cmd_entry cmd_version_entry;
extern const struct cmd_entry cmd_wait_entry;

/* fish.c */
void	 fish_add_line(struct buffer *, const char *);
void	 fish_help(void);
void	 fish_version(void);
void	 fish_warnx(const char *, ...)
	    __attribute__((__format__(__printf__, 1, 2)));
void	 fish_warn(const char *, ...)
	    __attribute__((__format__(__printf__, 1, 2)));

/* cmd.c */
const struct cmd_entry *cmd_find(const char *);
void	 cmd_help(const struct cmd_entry *);
int	 cmd_unknown(const char *);
char	*cmd_suggest(const char *, const char *const *, size_t, const char *);
int	 cmd_getopt(const struct cmd_entry *, int, char **, const char *,
	    const struct option *);
int	 cmd_fail(const struct cmd_entry *, int, char *);
int	 cmd_usage_error(const struct cmd_entry *, const char *, ...)
	    __attribute__((__format__(__printf__, 2, 3)));
int	 cmd_missing(const struct cmd_entry *, int);
int	 cmd_duration(const struct cmd_entry *, const char *, uint64_t *);
int	 cmd_whole_seconds(const struct cmd_entry *, const char *, const char *,
	    uint64_t);
int	 cmd_url_valid(const char *);

#endif
