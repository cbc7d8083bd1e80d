/*
 * The listener's one-shot tool mode behind fish sign and fish verify, which
 * must not link GnuTLS themselves:
 *
 *	fish-listener --sign SPEC [--id ID] [--timestamp T]
 *	fish-listener --verify SPEC [--tolerance SECONDS] [--now T]
 *	    [-H 'Name: value']...
 *
 * Both read the body on stdin and resolve SPEC's @FILE or env:NAME where
 * they run.  Exit 0 (signed, or verified), 1 (does not verify, or the body
 * could not be read), 2 (usage or a bad spec).
 */
#ifndef SIGNATURE_TOOL_H
#define SIGNATURE_TOOL_H

int	signature_tool_wanted(int, char **);
int	signature_tool_main(int, char **);

#endif
