/*
 * What fish does differently when it writes to a terminal: how wide the
 * screen is, whether to colour (--color, NO_COLOR, TERM=dumb).  How
 * strangers' bytes are shown is lib/escape.h's.
 */
#ifndef CLI_TERM_H
#define CLI_TERM_H

#include <stddef.h>

/* The values of --color. */
enum term_colour {
	TERM_COLOUR_AUTO,	/* a terminal, unless NO_COLOR or TERM=dumb */
	TERM_COLOUR_ALWAYS,
	TERM_COLOUR_NEVER
};

/* SGR sequences fish colours with. */
#define TERM_BOLD_CYAN		"\033[1;36m"
#define TERM_BOLD_MAGENTA	"\033[1;35m"
#define TERM_BOLD_BLUE		"\033[1;34m"
#define TERM_GREEN		"\033[32m"
#define TERM_YELLOW		"\033[33m"
#define TERM_RED		"\033[31m"
#define TERM_CYAN		"\033[36m"
#define TERM_DIM		"\033[2m"
#define TERM_RESET		"\033[0m"

int	 term_colour_parse(const char *, enum term_colour *);
int	 term_colour(enum term_colour, int);
int	 term_dumb(void);
int	 term_foreground(int);
size_t	 term_width(int);
const char *term_status_colour(long long);

#endif
