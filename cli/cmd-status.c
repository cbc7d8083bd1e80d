/*
 * fish status: tell whether the session's listener runs, and show its pid,
 * URL, hooks and message counts.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "clock.h"
#include "compat.h"
#include "escape.h"
#include "fish.h"
#include "output.h"
#include "proto.h"
#include "session.h"
#include "settings.h"
#include "timeline.h"
#include "xmalloc.h"

/*
 * How long status waits for a running listener's answer: one stopped by
 * SIGSTOP or a debugger, or wedged, is said not to answer rather than
 * waited on for ever, as fish sessions says after 2 s.
 */
#define STATUS_ASK_MS		5000

/* Width of the "key:" column of the human output. */
#define STATUS_KEY_WIDTH	11

static int	cmd_status_exec(int, char **);

const struct cmd_entry cmd_status_entry = {
	.name = "status",
	.usage = "[--json]",
	.args = { 0, 0 },
	.summary = "show the listener's pid, URL, hooks and counts",
	.help =
	    "Show whether the session's listener is running, and if so its pid,\n"
	    "URL, listen address, hooks, messages received and still queued,\n"
	    "journal size and limits (see fish start), its open files and\n"
	    "how they are shared out, what journal damage found at start\n"
	    "lost, if anything, and how many requests that failed a\n"
	    "signature check were over the rate cap, so answered 401\n"
	    "without being journaled (shown when there were any).  With\n"
	    "--tunnel, the tunnel's URL, whether it is up, its pid and restarts,\n"
	    "and when its URL last changed.  Exit 3 when it is not running\n"
	    "(\"exists\": false in JSON when the session does not exist at\n"
	    "all), or does not answer within 5s (\"answering\": false):\n"
	    "then it says why when that can be told, and what lets it run\n"
	    "again: stopped by a signal, and the kill that resumes it; held\n"
	    "by a debugger; or in a frozen cgroup, and the command that thaws\n"
	    "it (\"held\": stopped, traced or frozen in JSON),\n"
	    "or its session is refused (one line on stderr says why);\n"
	    "status never starts it.\n"
	    "\n"
	    "  --json        print one JSON object instead\n"
	    "  -h, --help    show this help\n",
	.exec = cmd_status_exec
};

static const struct option cmd_status_options[] = {
	{ "json", no_argument, NULL, 'j' },
	CMD_OPTIONS_END
};

/* Format a byte count for people: bytes, KiB, MiB or GiB; caller frees. */
static char *
cmd_status_size(int64_t bytes)
{
	static const char	*units[] = { "KiB", "MiB", "GiB" };
	double			 value = (double)bytes;
	size_t			 i;
	char			*s;

	if (bytes < 1024) {
		xasprintf(&s, "%" PRId64 " bytes", bytes);
		return (s);
	}
	for (i = 0; i < nitems(units) - 1 && value >= 1024 * 1024; i++)
		value /= 1024;
	xasprintf(&s, "%.1f %s", value / 1024, units[i]);
	return (s);
}

/*
 * Print one "key: value" line, aligned, with the value's control
 * characters escaped (escape_line) whatever the output: values quote what
 * others wrote (other listeners' heartbeats, Redis's words, the tunnel's
 * command line), which must neither drive a terminal nor make one line
 * two; scripts read --json, which keeps them as data.
 */
static int
cmd_status_line(const char *key, const char *value)
{
	struct buffer	b;
	int		ret;

	buffer_init(&b);
	escape_line(&b, value, strlen(value));
	ret = output_printf("%-*s %.*s\n", STATUS_KEY_WIDTH, key,
	    (int)buffer_unread(&b), (const char *)buffer_peek(&b));
	buffer_release(&b);
	return (ret);
}

/* Print an integer reply field as one line. */
static int
cmd_status_int(struct json_object *reply, const char *key, const char *label)
{
	return (output_printf("%-*s %" PRId64 "\n", STATUS_KEY_WIDTH, label,
	    proto_int(reply, key, 0)));
}

/*
 * Print what recovery found lost in the journal at start, if anything, as
 * one line (the listener's log has one line per problem).
 */
static int
cmd_status_damage(struct json_object *reply)
{
	int64_t	 regions, records, missing, unreadable;
	char	*bytes, *line;
	int	 ret;

	regions = proto_int(reply, "journal_damaged_regions", 0);
	records = proto_int(reply, "journal_records_dropped", 0);
	missing = proto_int(reply, "journal_segments_missing", 0);
	unreadable = proto_int(reply, "journal_segments_unreadable", 0);
	if (regions == 0 && records == 0 && missing == 0 && unreadable == 0)
		return (0);
	bytes = cmd_status_size(proto_int(reply, "journal_damaged_bytes", 0));
	xasprintf(&line, "%" PRId64 " damaged region%s (%s), %" PRId64
	    " record%s known lost, %" PRId64 " segment%s missing, %" PRId64
	    " unreadable (see listener.log)", regions, regions == 1 ? "" : "s",
	    bytes, records, records == 1 ? "" : "s", missing,
	    missing == 1 ? "" : "s", unreadable);
	ret = cmd_status_line("damage:", line);
	free(line);
	free(bytes);
	return (ret);
}

/* Print the settings' lines (settings_lines): the limits on one. */
static int
cmd_status_settings(struct json_object *reply)
{
	struct setting_line	 lines[SETTINGS_COUNT];
	char			*label;
	size_t			 n, i;
	int			 ret = 0;

	n = settings_lines(reply, lines);
	for (i = 0; i < n; i++) {
		xasprintf(&label, "%s:", lines[i].label);
		ret |= cmd_status_line(label, lines[i].value);
		free(label);
		free(lines[i].value);
	}
	return (ret);
}

/*
 * Print the listener's open files and how its budget shares them out
 * (lib/files.c), if it says: how many are open of its limit, and each
 * use's share.
 */
static int
cmd_status_files(struct json_object *reply)
{
	int64_t	 limit, open, outbound;
	char	*line, *of, *out;
	int	 ret;

	if ((limit = proto_int(reply, "files_limit", -1)) < 0)
		return (0);
	open = proto_int(reply, "files_open", -1);
	/* No limit still has shares: MHD's and the control clients' caps. */
	if (limit == 0 && open < 0)
		of = xstrdup("? open, no limit");
	else if (limit == 0)
		xasprintf(&of, "%" PRId64 " open, no limit", open);
	else if (open < 0)
		xasprintf(&of, "? of %" PRId64, limit);
	else
		xasprintf(&of, "%" PRId64 " of %" PRId64, open, limit);
	if ((outbound = proto_int(reply, "files_outbound", 0)) == 0)
		out = xstrdup("as many as wanted");
	else
		xasprintf(&out, "%" PRId64, outbound);
	xasprintf(&line, "%s (hooks' connections %" PRId64 ", control %"
	    PRId64 ", outbound %s)", of,
	    proto_int(reply, "files_connections", 0),
	    proto_int(reply, "files_control", 0), out);
	ret = cmd_status_line("files:", line);
	free(line);
	free(out);
	free(of);
	return (ret);
}

/*
 * Print the tunnel client's state, if there is one: its URL, whether it
 * is up, its pid and restarts, and when its URL last changed.
 */
static int
cmd_status_tunnel(struct json_object *reply)
{
	struct json_object	*t;
	const char		*url, *previous;
	char			*line;
	int64_t			 restarts;
	int			 ret;

	if (!json_object_object_get_ex(reply, "tunnel_state", &t) ||
	    !json_object_is_type(t, json_type_object))
		return (0);
	url = proto_string(t, "url");
	previous = proto_string(t, "previous_url");
	restarts = proto_int(t, "restarts", 0);
	xasprintf(&line, "%s (%s, pid %" PRId64 ", %" PRId64 " restart%s)%s%s%s%s",
	    url == NULL ? "none yet" : url, proto_string(t, "state") == NULL ?
	    "?" : proto_string(t, "state"), proto_int(t, "pid", 0), restarts,
	    restarts == 1 ? "" : "s", previous == NULL ? "" : "; changed at ",
	    previous == NULL ? "" : proto_string(t, "url_changed_at"),
	    previous == NULL ? "" : " from ", previous == NULL ? "" : previous);
	ret = cmd_status_line("tunnel url:", line);
	free(line);
	return (ret);
}

/*
 * Print this listener's name among the session's and one line for each
 * other listener seen in the last minute (a session shared through Redis).
 */
static int
cmd_status_listeners(struct json_object *reply)
{
	struct json_object	*list, *o;
	const char		*name, *url;
	char			*line;
	size_t			 i, n;
	int			 ret = 0;

	if ((name = proto_string(reply, "listener")) != NULL)
		ret |= cmd_status_line("listener:", name);
	if (!json_object_object_get_ex(reply, "listeners", &list) ||
	    !json_object_is_type(list, json_type_array))
		return (ret);
	if ((n = json_object_array_length(list)) == 0)
		return (ret | cmd_status_line("others:",
		    "none seen in the last minute"));
	for (i = 0; i < n; i++) {
		o = json_object_array_get_idx(list, i);
		url = proto_string(o, "public_url");
		xasprintf(&line, "%s (host %s, pid %" PRId64 "%s%s), seen %"
		    PRId64 " s ago", proto_string(o, "name") == NULL ? "?" :
		    proto_string(o, "name"), proto_string(o, "host") == NULL ?
		    "?" : proto_string(o, "host"), proto_int(o, "pid", 0),
		    url == NULL ? "" : ", ", url == NULL ? "" : url,
		    proto_int(o, "seen_ago_ms", 0) / 1000);
		ret |= cmd_status_line(i == 0 ? "others:" : "", line);
		free(line);
	}
	return (ret);
}

/*
 * Print how many of the Redis replicas --store-replicas wants
 * acknowledged the store's last WAIT, if it wants any and has sent one.
 */
static int
cmd_status_replicas(struct json_object *reply)
{
	int64_t	 seen, wanted;
	char	*line;
	int	 ret;

	if ((seen = proto_int(reply, "store_replicas_seen", -1)) < 0)
		return (0);
	wanted = proto_int(reply, "store_replicas", 0);
	xasprintf(&line, "%" PRId64 " of %" PRId64 " acknowledging writes%s",
	    seen, wanted, seen < wanted ?
	    ": callbacks get 503, writes exit 3" : "");
	ret = cmd_status_line("replicas:", line);
	free(line);
	return (ret);
}

/* Print the status for people. */
static int
cmd_status_human(struct json_object *reply)
{
	const char	*s;
	char		*size, *journal, since[CLOCK_SINCE_LEN];
	int64_t		 records, segments, unrecorded;
	int		 ret = 0;

	records = proto_int(reply, "journal_records", 0);
	segments = proto_int(reply, "journal_segments", 1);
	size = cmd_status_size(proto_int(reply, "journal_bytes", 0));
	if (clock_format_since(proto_int(reply, "journal_no_room_since", 0),
	    clock_wall_ms(), since, sizeof since) == -1)
		since[0] = '\0';
	xasprintf(&journal, "%" PRId64 " record%s, %s in %" PRId64
	    " segment%s%s%s", records, records == 1 ? "" : "s", size, segments,
	    segments == 1 ? "" : "s", since[0] != '\0' ? "; no room on disk "
	    "since " : "", since);

	if ((s = proto_string(reply, "session")) != NULL)
		ret |= cmd_status_line("session:", s);
	ret |= cmd_status_int(reply, "pid", "pid:");
	if ((s = proto_string(reply, "url")) != NULL)
		ret |= cmd_status_line("url:", s);
	ret |= cmd_status_settings(reply);
	ret |= cmd_status_files(reply);
	if ((s = proto_string(reply, "store_state")) != NULL)
		ret |= cmd_status_line("redis:", s);
	ret |= cmd_status_replicas(reply);
	ret |= cmd_status_listeners(reply);
	ret |= cmd_status_tunnel(reply);
	ret |= cmd_status_int(reply, "hooks", "hooks:");
	ret |= cmd_status_int(reply, "messages", "messages:");
	ret |= cmd_status_int(reply, "queued", "queued:");
	ret |= cmd_status_line("journal:", journal);
	ret |= cmd_status_damage(reply);
	if ((unrecorded = proto_int(reply, "rejected_unrecorded", 0)) > 0)
		ret |= output_printf("%-*s %" PRId64 " over the rate cap, "
		    "answered 401 but not journaled\n", STATUS_KEY_WIDTH,
		    "rejected:", unrecorded);
	if ((unrecorded = proto_int(reply, "not_found", 0)) > 0)
		ret |= output_printf("%-*s %" PRId64 " answered 404: no hook "
		    "has their token\n", STATUS_KEY_WIDTH, "not found:",
		    unrecorded);
	if ((unrecorded = proto_int(reply, "refused_unrecorded", 0)) > 0)
		ret |= output_printf("%-*s %" PRId64 " over the rate cap or "
		    "while the disk was full, answered but not journaled\n",
		    STATUS_KEY_WIDTH, "refused:", unrecorded);
	if ((s = proto_string(reply, "started_at")) != NULL)
		ret |= cmd_status_line("started:", s);

	free(journal);
	free(size);
	return (ret);
}

/*
 * Say that the running listener did not answer within STATUS_ASK_MS, and
 * why when it can be told (stopped, traced, frozen: client_why_silent);
 * return EXIT_UNAVAILABLE.
 */
static int
cmd_status_silent(struct session *s, int json)
{
	pid_t		 pid = session_listener_pid(s);
	const char	*held;
	char		*why;
	int		 ret;

	why = client_why_silent(pid, &held);
	if (json && held != NULL)
		ret = output_printf("{\"session\":\"%s\",\"running\":true,"
		    "\"answering\":false,\"pid\":%ld,\"held\":\"%s\"}\n",
		    s->name, (long)pid, held);
	else if (json)
		ret = output_printf("{\"session\":\"%s\",\"running\":true,"
		    "\"answering\":false,\"pid\":%ld}\n", s->name, (long)pid);
	else if (why != NULL)
		ret = output_printf("session %s: pid %ld is not answering "
		    "(%s)\n", s->name, (long)pid, why);
	else
		ret = output_printf("session %s: pid %ld is not answering "
		    "(stopped or stuck; see %s)\n", s->name, (long)pid,
		    s->log_path);
	if (ret == -1)
		(void)timeline_write_error("status");
	free(why);
	return (EXIT_UNAVAILABLE);
}

/*
 * Say that the running listener takes no connections (its queue is
 * full: stopped or stuck for a while); return EXIT_UNAVAILABLE.
 */
static int
cmd_status_unaccepting(int json)
{
	struct session	 s;
	char		*cause;
	int		 status;

	if (session_init(&s, fish_session, &cause) == -1 ||
	    session_open(&s, 0, &cause) == -1) {
		fish_warnx("%s", cause);
		free(cause);
		session_release(&s);
		return (EXIT_UNAVAILABLE);
	}
	status = cmd_status_silent(&s, json);
	session_release(&s);
	return (status);
}

/* Print the listener's status. */
static int
cmd_status_exec(int argc, char **argv)
{
	const struct cmd_entry	*entry = &cmd_status_entry;
	struct client		 c;
	struct proto_frame	 frame;
	struct json_object	*request, *reply;
	int			 ch, json = 0, status, ret;

	while ((ch = cmd_getopt(entry, argc, argv, "", cmd_status_options)) !=
	    -1) {
		switch (ch) {
		case 'j':
			json = 1;
			break;
		case CMD_HELP:
			return (EXIT_OK);
		default:
			return (EXIT_USAGE);
		}
	}

	status = client_open(&c, fish_session, CLIENT_QUIET | CLIENT_RESTART);
	/* Its queue full: running, but not taking connections. */
	if (status == EXIT_UNAVAILABLE && c.refused == EAGAIN)
		return (cmd_status_unaccepting(json));
	/*
	 * Refused (a session directory others can write, a socket of another
	 * user): that line, said, is the answer, not "not running" beside it.
	 */
	if (status == EXIT_UNAVAILABLE && c.refused != 0)
		return (status);
	/* Not running, or not even there: status's question is the first. */
	if (status == EXIT_UNAVAILABLE || status == EXIT_NOT_FOUND) {
		if (json)
			ret = output_printf("{\"session\":\"%s\","
			    "\"running\":false,\"exists\":%s}\n",
			    fish_session, status == EXIT_NOT_FOUND ? "false" :
			    "true");
		else if (status == EXIT_NOT_FOUND)
			ret = output_printf("session %s: not running, no such "
			    "session (" FISH_NAME " sessions lists them)\n",
			    fish_session);
		else
			ret = output_printf("session %s: not running\n",
			    fish_session);
		if (ret == -1)
			(void)timeline_write_error("status");
		return (EXIT_UNAVAILABLE);
	}
	if (status != EXIT_OK)
		return (status);

	/*
	 * STATUS_ASK_MS alone bounds the ask, so that a stopped listener gets
	 * status's own answer, which says why it does not answer.
	 */
	c.flags |= CLIENT_BOUNDED;
	proto_frame_init(&frame);
	request = proto_request("status");
	status = client_call(&c, request, NULL, 0, &frame,
	    clock_mono_ms() + STATUS_ASK_MS);
	if (status == EXIT_TIMEOUT)
		status = cmd_status_silent(&c.session, json);
	if (status != EXIT_OK ||
	    (status = client_reply_status(&frame)) != EXIT_OK)
		goto fail;

	reply = frame.json;
	/*
	 * --json on a terminal too: json-c leaves DEL and C1 controls raw in
	 * others' text (timeline_style).  The lines are escaped already.
	 */
	output_escape(isatty(STDOUT_FILENO));
	if (json) {
		json_object_object_del(reply, "v");
		json_object_object_del(reply, "status");
		json_object_object_add(reply, "running",
		    json_object_new_boolean(1));
		ret = output_json(reply);
	} else
		ret = cmd_status_human(reply);
	if (ret != 0)
		status = timeline_write_error("status");
fail:
	json_object_put(request);
	proto_frame_release(&frame);
	client_close(&c);
	return (status);
}
