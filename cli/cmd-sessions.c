/*
 * fish sessions: list the sessions of $FISH_HOME, running or not, with
 * what can be learnt of each without starting anything: its listener's
 * pid, base URL, hooks and queued messages (asked of a running listener),
 * and how long since its journal last changed.
 *
 * A listener runs when it holds its pid lock (session_listener_pid): a
 * pid file left by a dead one, or a socket left by a crash, reads as
 * stopped.  A running listener is asked for its status over the checked
 * control socket (session_connect), with a deadline; one that does not
 * answer in time is listed as such, and nothing is ever restarted.  Of a
 * stopped session, the URL comes from its saved settings.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "client.h"
#include "clock.h"
#include "compat.h"
#include "fish.h"
#include "output.h"
#include "proto.h"
#include "session.h"
#include "timeline.h"
#include "xmalloc.h"

/* How long a running listener has to answer its status. */
#define SESSIONS_ASK_MS		2000

static int	cmd_sessions_exec(int, char **);

const struct cmd_entry cmd_sessions_entry = {
	.name = "sessions",
	.usage = "[--json]",
	.args = { 0, 0 },
	.summary = "list the sessions and their listeners",
	.help =
	    "List the sessions of $FISH_HOME, one line each: name, listener pid\n"
	    "(\"stopped\" when none runs; \"not answering\" when one holds its\n"
	    "pid lock but does not answer within 2s; \"not answering: stopped\",\n"
	    "\"traced\" or \"frozen\" when that can be told, and a line on stderr\n"
	    "says what lets it run), base URL, hooks and queued messages (\"-\"\n"
	    "for a stopped session), and idle time: how long since its journal\n"
	    "last changed.  Starts no listener.\n"
	    "\n"
	    "  --json        print one JSON object per session and line: name,\n"
	    "                running, and when known pid, answering, held,\n"
	    "                url, hooks, queued, idle_ms\n"
	    "  -h, --help    show this help\n",
	.exec = cmd_sessions_exec
};

static const struct option cmd_sessions_options[] = {
	{ "json", no_argument, NULL, 'j' },
	CMD_OPTIONS_END
};

/* The columns of the table. */
enum {
	SESSIONS_NAME,
	SESSIONS_PID,
	SESSIONS_URL,
	SESSIONS_HOOKS,
	SESSIONS_QUEUED,
	SESSIONS_IDLE,
	SESSIONS_COLUMNS
};

static const char *cmd_sessions_headings[SESSIONS_COLUMNS] = {
	"NAME", "PID", "URL", "HOOKS", "QUEUED", "IDLE"
};

/*
 * Ask the running listener of s for its status, by the deadline; return
 * the reply (the caller puts it), or NULL when it does not answer.  Never
 * restarts anything: client_call would.
 */
static struct json_object *
cmd_sessions_ask(const char *name)
{
	struct client		 c;
	struct proto_frame	 f;
	struct json_object	*req, *reply = NULL;
	char			*cause;
	int64_t			 deadline;

	deadline = clock_mono_ms() + SESSIONS_ASK_MS;
	/* The deadline alone bounds it: describe says why it is silent. */
	if (client_init(&c, name, CLIENT_RESILIENT | CLIENT_BOUNDED) !=
	    EXIT_OK)
		return (NULL);
	/*
	 * A full queue of connections is retried until the deadline only,
	 * and then listed as not answering, as a stopped listener is; what
	 * else refuses the socket is said.
	 */
	c.session.busy_until = deadline;
	if ((c.fd = session_connect(&c.session, &cause)) == -1) {
		if (cause != NULL && errno != EAGAIN)
			fish_warnx("%s", cause);
		free(cause);
		client_close(&c);
		return (NULL);
	}
	req = proto_request("status");
	if (client_send(&c, req, NULL, 0) == EXIT_OK &&
	    client_receive(&c, &f, deadline) == EXIT_OK) {
		if (proto_status(f.json) == EXIT_OK)
			reply = json_object_get(f.json);
		proto_frame_release(&f);
	}
	json_object_put(req);
	client_close(&c);
	return (reply);
}

/* Return the base URL a stopped session's saved settings give, or NULL. */
static char *
cmd_sessions_saved_url(const struct session *s)
{
	struct json_object	*config;
	const char		*public_url, *listen;
	char			*url = NULL;
	size_t			 len;

	if ((config = session_read_config(s)) == NULL)
		return (NULL);
	public_url = proto_string(config, "public_url");
	listen = proto_string(config, "listen");
	if (public_url != NULL) {
		url = xstrdup(public_url);
		len = strlen(url);
		while (len > 0 && url[len - 1] == '/')
			url[--len] = '\0';
	} else if (listen != NULL)
		xasprintf(&url, "%s://%s", proto_string(config, "tls_cert") !=
		    NULL ? "https" : "http", listen);
	json_object_put(config);
	return (url);
}

/* Copy an integer field of the status reply to the session's object. */
static void
cmd_sessions_copy(struct json_object *o, struct json_object *reply,
    const char *key)
{
	struct json_object	*value;

	if (json_object_object_get_ex(reply, key, &value) &&
	    json_object_is_type(value, json_type_int))
		json_object_object_add(o, key, json_object_get(value));
}

/*
 * Note in o why the listener pid of session name does not answer, when
 * that can be told ("held"), and say on stderr what lets it run again.
 */
static void
cmd_sessions_held(struct json_object *o, const char *name, pid_t pid)
{
	const char	*held;
	char		*why;

	if ((why = client_why_silent(pid, &held)) == NULL)
		return;
	json_object_object_add(o, "held", json_object_new_string(held));
	fish_warnx("session '%s': pid %ld is not answering (%s)", name,
	    (long)pid, why);
	free(why);
}

/*
 * Describe session name as a JSON object in *o.  Return 0; or -1 after
 * saying why it cannot be read; or 1 when it is gone (purged since it was
 * listed).
 */
static int
cmd_sessions_describe(const char *name, struct json_object **o)
{
	struct session		 s;
	struct json_object	*reply = NULL;
	const char		*url;
	char			*cause, *saved_url = NULL;
	int64_t			 changed;
	pid_t			 pid;
	int			 gone;

	if (session_init(&s, name, &cause) == -1 ||
	    session_open(&s, 0, &cause) == -1) {
		if (!(gone = errno == ENOENT))
			fish_warnx("session '%s': %s", name, cause);
		free(cause);
		session_release(&s);
		return (gone ? 1 : -1);
	}
	*o = json_object_new_object();
	json_object_object_add(*o, "name", json_object_new_string(name));
	pid = session_listener_pid(&s);
	json_object_object_add(*o, "running",
	    json_object_new_boolean(pid != 0));
	if (pid > 0)
		json_object_object_add(*o, "pid", json_object_new_int64(pid));
	if (pid != 0) {
		reply = cmd_sessions_ask(name);
		json_object_object_add(*o, "answering",
		    json_object_new_boolean(reply != NULL));
		if (reply == NULL)
			cmd_sessions_held(*o, name, pid);
	}
	if (reply != NULL && (url = proto_string(reply, "url")) != NULL)
		json_object_object_add(*o, "url", json_object_new_string(url));
	else if ((saved_url = cmd_sessions_saved_url(&s)) != NULL)
		json_object_object_add(*o, "url",
		    json_object_new_string(saved_url));
	if (reply != NULL) {
		cmd_sessions_copy(*o, reply, "hooks");
		cmd_sessions_copy(*o, reply, "queued");
	}
	if ((changed = session_changed_at(&s)) != -1) {
		changed = clock_wall_ms() - changed;
		json_object_object_add(*o, "idle_ms",
		    json_object_new_int64(changed < 0 ? 0 : changed));
	}
	json_object_put(reply);
	free(saved_url);
	session_release(&s);
	return (0);
}

/* Return a length of time for people, in its largest whole unit. */
static char *
cmd_sessions_idle(int64_t ms)
{
	static const struct {
		const char	*unit;
		int64_t		 ms;
	} units[] = {
		{ "d", 24 * 3600 * 1000 },
		{ "h", 3600 * 1000 },
		{ "m", 60 * 1000 },
	};
	size_t	 i;
	char	*s;

	for (i = 0; i < nitems(units); i++) {
		if (ms >= units[i].ms) {
			xasprintf(&s, "%" PRId64 "%s", ms / units[i].ms,
			    units[i].unit);
			return (s);
		}
	}
	xasprintf(&s, "%" PRId64 "s", ms / 1000);
	return (s);
}

/* Return what follows a listener's pid in its cell: why it is silent. */
static const char *
cmd_sessions_silence(struct json_object *o)
{
	const char	*held;

	if (proto_bool(o, "answering"))
		return ("");
	if ((held = proto_string(o, "held")) == NULL)
		return (" (not answering)");
	if (strcmp(held, "stopped") == 0)
		return (" (not answering: stopped)");
	if (strcmp(held, "traced") == 0)
		return (" (not answering: traced)");
	return (" (not answering: frozen)");
}

/* Return the text of one cell of a session's row; caller frees. */
static char *
cmd_sessions_cell(struct json_object *o, int column)
{
	struct json_object	*value;
	const char		*s = NULL;
	char			*text;

	switch (column) {
	case SESSIONS_NAME:
		s = proto_string(o, "name");
		break;
	case SESSIONS_PID:
		if (!proto_bool(o, "running"))
			s = "stopped";
		else if (!json_object_object_get_ex(o, "pid", NULL))
			s = "starting";
		else {
			xasprintf(&text, "%" PRId64 "%s", proto_int(o, "pid",
			    0), cmd_sessions_silence(o));
			return (text);
		}
		break;
	case SESSIONS_URL:
		s = proto_string(o, "url");
		break;
	case SESSIONS_HOOKS:
	case SESSIONS_QUEUED:
	case SESSIONS_IDLE:
		if (!json_object_object_get_ex(o, column == SESSIONS_HOOKS ?
		    "hooks" : column == SESSIONS_QUEUED ? "queued" : "idle_ms",
		    &value))
			break;
		if (column == SESSIONS_IDLE)
			return (cmd_sessions_idle(
			    json_object_get_int64(value)));
		xasprintf(&text, "%" PRId64, json_object_get_int64(value));
		return (text);
	}
	return (xstrdup(s == NULL ? "-" : s));
}

/* Print the sessions as an aligned table with a heading line. */
static int
cmd_sessions_table(struct json_object **list, size_t n)
{
	char	**cells;
	size_t	  i;
	int	  column;

	cells = xcalloc((n + 1) * SESSIONS_COLUMNS, sizeof *cells);
	for (column = 0; column < SESSIONS_COLUMNS; column++)
		cells[column] = xstrdup(cmd_sessions_headings[column]);
	for (i = 0; i < n; i++) {
		for (column = 0; column < SESSIONS_COLUMNS; column++)
			cells[(i + 1) * SESSIONS_COLUMNS + column] =
			    cmd_sessions_cell(list[i], column);
	}
	return (output_table(cells, n + 1, SESSIONS_COLUMNS));
}

/* List the sessions. */
static int
cmd_sessions_exec(int argc, char **argv)
{
	const struct cmd_entry	 *entry = &cmd_sessions_entry;
	struct json_object	**list;
	char			**names, *cause;
	size_t			  n, i, found = 0;
	int			  ch, json = 0, status = EXIT_OK, ret = 0;

	while ((ch = cmd_getopt(entry, argc, argv, "", cmd_sessions_options)) !=
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
	if (session_list(&names, &n, &cause) == -1) {
		fish_warnx("sessions: %s", cause);
		free(cause);
		return (EXIT_UNAVAILABLE);
	}
	list = xcalloc(n + 1, sizeof *list);
	for (i = 0; i < n; i++) {
		if ((ret = cmd_sessions_describe(names[i], &list[found])) == 0)
			found++;
		else if (ret == -1)
			status = EXIT_FAILED;
	}
	ret = 0;
	if (json) {
		for (i = 0; i < found && ret == 0; i++)
			ret = output_json(list[i]);
	} else if (found > 0)
		ret = cmd_sessions_table(list, found);
	if (ret != 0)
		status = timeline_write_error("sessions");
	for (i = 0; i < found; i++)
		json_object_put(list[i]);
	free(list);
	session_list_free(names, n);
	return (status);
}
