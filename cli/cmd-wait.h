/*
 * What the two files of fish wait share (cmd-wait.c, the command;
 * cmd-wait-output.c, its progress line on the terminal and its printing
 * of a message).  Private to those two.
 */
#ifndef CMD_WAIT_H
#define CMD_WAIT_H

#include <stdint.h>

struct client;
struct json_object;
struct proto_frame;

enum wait_format {
	WAIT_BODY,
	WAIT_JSON,
	WAIT_FIELD,
	WAIT_HEADERS,
};

struct wait_options {
	enum wait_format	 format;
	const char		*field;
	uint64_t		 timeout;
	int			 has_timeout;
	int64_t			 count;	/* 0: one message, no separator */
	int			 follow;
	int			 drain;
	int			 reconnected;	/* to a new listener */
	int			 peek;
	int			 raw;
	int			 progress;	/* show the line on stderr */
	char			*waiting_on;	/* what the line names */
	char			*drawn;		/* the line on the screen */
};

void	 cmd_wait_progress(struct wait_options *, int64_t);
void	 cmd_wait_progress_erase(struct wait_options *);
char	*cmd_wait_describe(struct client *, struct json_object *);
int	 cmd_wait_print(struct json_object *, const struct proto_frame *,
	    const struct wait_options *);

#endif
