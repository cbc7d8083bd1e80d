/*
 * Writing for a terminal (see term.h).
 *
 * Colours follow https://no-color.org: --color=always and --color=never
 * decide; otherwise colour only a terminal, never when NO_COLOR is set to
 * anything but the empty string, nor for TERM=dumb.
 */
#include "config.h"

#include <sys/ioctl.h>

#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "term.h"

/* Columns assumed when the terminal does not say. */
#define TERM_DEFAULT_WIDTH	80

/* Parse the value of --color; -1 if it is none of auto, always, never. */
int
term_colour_parse(const char *s, enum term_colour *mode)
{
	if (strcmp(s, "auto") == 0)
		*mode = TERM_COLOUR_AUTO;
	else if (strcmp(s, "always") == 0)
		*mode = TERM_COLOUR_ALWAYS;
	else if (strcmp(s, "never") == 0)
		*mode = TERM_COLOUR_NEVER;
	else
		return (-1);
	return (0);
}

/* Tell whether TERM says the terminal understands no escape sequences. */
int
term_dumb(void)
{
	const char	*s = getenv("TERM");

	return (s != NULL && strcmp(s, "dumb") == 0);
}

/* Tell whether to colour what goes to fd. */
int
term_colour(enum term_colour mode, int fd)
{
	const char	*s;

	if (mode != TERM_COLOUR_AUTO)
		return (mode == TERM_COLOUR_ALWAYS);
	s = getenv("NO_COLOR");
	if (s != NULL && *s != '\0')
		return (0);
	return (isatty(fd) && !term_dumb());
}

/*
 * Tell whether fd is a terminal this process may draw on: not one it was
 * put in the background of (fish wait ... &), where a status line would
 * land in the middle of someone else's output.
 */
int
term_foreground(int fd)
{
	pid_t	pgrp;

	if (!isatty(fd))
		return (0);
	pgrp = tcgetpgrp(fd);
	return (pgrp == -1 || pgrp == getpgrp());
}

/* Return the width of the terminal on fd in columns (80 when unknown). */
size_t
term_width(int fd)
{
	struct winsize	ws;

	if (ioctl(fd, TIOCGWINSZ, &ws) == -1 || ws.ws_col == 0)
		return (TERM_DEFAULT_WIDTH);
	return (ws.ws_col);
}

/*
 * Return the colour of an HTTP status: 2xx green, 3xx cyan, 4xx yellow, 5xx
 * and anything else (no answer) red.
 */
const char *
term_status_colour(long long status)
{
	if (status >= 200 && status <= 299)
		return (TERM_GREEN);
	if (status >= 300 && status <= 399)
		return (TERM_CYAN);
	if (status >= 400 && status <= 499)
		return (TERM_YELLOW);
	return (TERM_RED);
}
