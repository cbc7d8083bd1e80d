/*
 * What fish send (cmd-send.c) does with the answer: the file -o writes
 * (replaced whole or not at all), the heads -v shows on stderr (always
 * escaped), the body on stdout (escaped on a terminal unless --raw), and
 * -w's format.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "cmd-send.h"
#include "escape.h"
#include "fish.h"
#include "output.h"
#include "proto.h"
#include "writeout.h"
#include "xmalloc.h"

/*
 * Make the file -o writes first, beside FILE, so that a request is not
 * made when its answer could not be kept, and FILE is replaced whole or
 * not at all.  Return EXIT_OK or EXIT_FAILED after printing why.
 */
int
cmd_send_output_open(struct send_options *so)
{
	struct stat		 sb;
	mode_t			 mask;

	/* A device (-o /dev/null) or a FIFO is written as it is. */
	if (stat(so->output, &sb) == 0 && !S_ISREG(sb.st_mode) &&
	    !S_ISDIR(sb.st_mode)) {
		if ((so->output_fd = open(so->output, O_WRONLY | O_CLOEXEC)) ==
		    -1) {
			fish_warn("send: cannot write '%s'", so->output);
			return (EXIT_FAILED);
		}
		so->output_tmp = xstrdup(so->output);
		so->output_direct = 1;
		return (EXIT_OK);
	}
	xasprintf(&so->output_tmp, "%s.fish-XXXXXX", so->output);
	if ((so->output_fd = mkstemp(so->output_tmp)) == -1) {
		fish_warn("send: cannot write '%s'", so->output);
		free(so->output_tmp);
		so->output_tmp = NULL;
		return (EXIT_FAILED);
	}
	/* As a newly created file would be, not mkstemp's 0600. */
	mask = umask(0);
	umask(mask);
	(void)fchmod(so->output_fd, 0666 & ~mask);
	/*
	 * Dying of a signal would leave the temporary file behind: end the
	 * wait instead (no SA_RESTART) and exit 130 after removing it.
	 */
	client_catch(SIGINT);
	client_catch(SIGTERM);
	client_catch(SIGHUP);
	return (EXIT_OK);
}

/*
 * Finish -o: keep what was written as FILE (keep != 0) or throw it away.
 * Return EXIT_OK or EXIT_FAILED after printing why.
 */
int
cmd_send_output_close(struct send_options *so, int keep)
{
	int	status = EXIT_OK;

	if (so->output_tmp == NULL)
		return (EXIT_OK);
	if (close(so->output_fd) != 0 && keep) {
		fish_warn("send: cannot write '%s'", so->output);
		keep = 0;
		status = EXIT_FAILED;
	}
	if (so->output_direct) {
		free(so->output_tmp);
		so->output_tmp = NULL;
		return (status);
	}
	if (keep && rename(so->output_tmp, so->output) != 0) {
		fish_warn("send: cannot write '%s'", so->output);
		status = EXIT_FAILED;
		keep = 0;
	}
	if (!keep)
		(void)unlink(so->output_tmp);
	free(so->output_tmp);
	so->output_tmp = NULL;
	return (status);
}

/*
 * Print the heads of -v on stderr with the credentials of Authorization
 * and Proxy-Authorization hidden, escaped wherever they go, as error
 * lines are: a remote server wrote them, and a log that captured them
 * may reach a terminal later (cat).  Bodies are data, and stay raw.
 */
void
cmd_send_trace(const char *trace, size_t len)
{
	struct buffer	 b;
	const char	*line, *end = trace + len, *nl, *value;
	size_t		 n;

	buffer_init(&b);
	for (line = trace; line < end; line = nl + 1) {
		if ((nl = memchr(line, '\n', (size_t)(end - line))) == NULL)
			nl = end - 1;
		n = (size_t)(nl - line) + 1;
		if ((strncasecmp(line, "> Authorization:", 16) == 0 ||
		    strncasecmp(line, "> Proxy-Authorization:", 22) == 0) &&
		    (value = memchr(line, ':', n)) != NULL) {
			/* Keep the scheme (Basic, Bearer): it helps. */
			value++;
			value += strspn(value, " ");
			value += strcspn(value, " \n");
			buffer_add(&b, line, (size_t)(value - line));
			buffer_add_str(&b, " [hidden]\n");
		} else
			escape_text(&b, line, n);
	}
	(void)write_all(STDERR_FILENO, buffer_peek(&b), buffer_unread(&b));
	buffer_release(&b);
}

/*
 * Print what the answer's payload holds (head and body), where asked:
 * the heads of -v first, on stderr.
 */
int
cmd_send_print(struct send_options *so, const struct proto_frame *frame)
{
	const char	*what, *payload = frame->payload;
	size_t		 len = frame->payload_len, trace_len;
	int		 fd, ret;

	trace_len = (size_t)proto_int(frame->json, "trace_len", 0);
	if (trace_len > len)
		trace_len = len;
	if (so->verbose)
		cmd_send_trace(payload, trace_len);
	payload += trace_len;
	len -= trace_len;
	if (so->output_tmp != NULL) {
		fd = so->output_fd;
		what = so->output;
	} else if (so->quiet)
		return (EXIT_OK);
	else {
		fd = STDOUT_FILENO;
		what = "stdout";
	}
	if (fd == STDOUT_FILENO)
		ret = output_write(payload, len);
	else
		ret = write_all(fd, payload, len);
	if (ret == 0)
		return (EXIT_OK);
	if (fd != STDOUT_FILENO || errno != EPIPE)
		fish_warn("send: cannot write '%s'", what);
	return (EXIT_FAILED);
}

/*
 * Print -w's FORMAT for the answer (reply NULL: none came), after the
 * body, as curl does.  Return EXIT_OK or EXIT_FAILED after saying why.
 */
int
cmd_send_write_out(const struct send_options *so, const char *url,
    const struct proto_frame *frame, const char *error)
{
	struct writeout	 w;
	size_t		 skip;

	if (so->write_out == NULL)
		return (EXIT_OK);
	memset(&w, 0, sizeof w);
	w.url = url;
	w.error = error;
	if (frame != NULL) {
		w.reply = frame->json;
		skip = (size_t)proto_int(frame->json, "trace_len", 0) +
		    (size_t)proto_int(frame->json, "head_len", 0);
		if (skip <= frame->payload_len) {
			w.body = (const char *)frame->payload + skip;
			w.body_len = frame->payload_len - skip;
		}
	}
	if (writeout_print(so->write_out, &w) == 0)
		return (EXIT_OK);
	if (errno != EPIPE)
		fish_warn("send: cannot write 'stdout'");
	return (EXIT_FAILED);
}
