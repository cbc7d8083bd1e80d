/*
 * The listener's command line and settings.  fish gives the settings of
 * fish start on the command line (settings_argv); each in force is the
 * one given, else the one saved in the session's config.json by an
 * earlier start, else its default (settings_resolve), and config.json is
 * saved again when they differ.  A setting given that is wrong is the
 * command line's fault, a usage error; one saved that has gone bad is not.
 */
#include "compat.h"
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "jsonptr.h"
#include "listener.h"
#include "listener-config.h"
#include "log.h"
#include "proto.h"
#include "session.h"
#include "settings.h"
#include "tls.h"
#include "xmalloc.h"

/* getopt's value for the setting of index i is LISTENER_SETTING + i. */
#define LISTENER_SETTING	256

/* Print usage and exit. */
void
listener_args_usage(void)
{
	char	*settings = settings_usage();

	fprintf(stderr, "usage: fish-listener [--foreground] [--ready-fd N] "
	    "[--lock-fd N] [--session NAME] %s\n"
	    "(started by fish; not meant to be run by hand)\n", settings);
	free(settings);
	exit(2);
}

/* Read a descriptor number given to us: 3 or more.  Return it, or -1. */
static int
listener_args_fd(const char *s)
{
	char	*end;
	long	 fd;

	fd = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || fd < 3 || fd > 65535)
		return (-1);
	return ((int)fd);
}

/*
 * Read our command line into args: the settings are only kept as written
 * here, and read by listener_settings.  Return 0, or -1 when it is wrong.
 */
int
listener_args_parse(struct listener_args *args, int argc, char **argv)
{
	static const struct option	 fixed[] = {
		{ "foreground", no_argument, NULL, 'f' },
		{ "lock-fd", required_argument, NULL, 'L' },
		{ "ready-fd", required_argument, NULL, 'r' },
		{ "session", required_argument, NULL, 's' },
	};
	struct option			 options[4 + SETTINGS_COUNT + 1];
	size_t				 i;
	int				 ch;

	memset(options, 0, sizeof options);
	memcpy(options, fixed, sizeof fixed);
	for (i = 0; i < SETTINGS_COUNT; i++) {
		options[4 + i].name = settings_option(i) + 2;
		options[4 + i].has_arg = settings_metavar(i) == NULL ?
		    no_argument : required_argument;
		options[4 + i].val = LISTENER_SETTING + (int)i;
	}
	while ((ch = getopt_long(argc, argv, "", options, NULL)) != -1) {
		switch (ch) {
		case 'f':
			args->foreground = 1;
			break;
		case 'L':
			if ((args->lock_fd = listener_args_fd(optarg)) == -1)
				return (-1);
			break;
		case 'r':
			if ((args->ready_fd = listener_args_fd(optarg)) == -1)
				return (-1);
			break;
		case 's':
			args->session = optarg;
			break;
		default:
			if (ch < LISTENER_SETTING)
				return (-1);
			/* A flag has no value: given is "". */
			args->given[ch - LISTENER_SETTING] = optarg != NULL ?
			    optarg : "";
		}
	}
	return (optind == argc ? 0 : -1);
}

/* Read the saved settings; missing or unreadable means none. */
static struct json_object *
listener_config_load(void)
{
	struct json_object	*config;
	char			 buf[4096], *cause = NULL;
	ssize_t			 n;
	int			 fd;

	if ((fd = open(listener.session.config_path, O_RDONLY | O_CLOEXEC)) ==
	    -1)
		return (NULL);
	n = read(fd, buf, sizeof buf);
	close(fd);
	config = n > 0 ? jsonptr_parse(buf, (size_t)n, &cause) : NULL;
	if (config == NULL || !json_object_is_type(config, json_type_object)) {
		if (n > 0)
			log_warnx("ignoring unreadable %s",
			    listener.session.config_path);
		free(cause);
		json_object_put(config);
		return (NULL);
	}
	return (config);
}

/*
 * Load the TLS files in force, if any.  Files given now are checked as
 * the user's input (*usage set on failure); saved ones that have gone bad
 * since make this start fail like any other.  Return 0, or -1 with *cause.
 */
static int
listener_tls(char **cause, int *usage)
{
	const struct settings	*s = &listener.settings;
	const char		*cert, *key;
	char			*why;

	cert = settings_text(s, SETTING_TLS_CERT);
	key = settings_text(s, SETTING_TLS_KEY);
	if (cert == NULL || key == NULL)
		return (0);
	if ((listener.tls = tls_load(cert, key, &why)) != NULL)
		return (0);
	if (s->source[SETTING_TLS_CERT] == SETTING_GIVEN) {
		*usage = 1;
		*cause = why;
		return (-1);
	}
	xasprintf(cause, "%s (saved by an earlier start: give '" FISH_NAME
	    " start' other files, or --no-tls)", why);
	free(why);
	return (-1);
}

/*
 * Check the tunnel's settings in force: cmd: needs a pattern, and the
 * pattern and timeout a tunnel; without one, saved ones are forgotten
 * (--no-tunnel).  Return 0, or -1 with *cause: the settings given are at
 * fault.
 */
static int
listener_tunnel_settings(const struct settings *given, char **cause)
{
	struct settings	*s = &listener.settings;
	const char	*spec = settings_text(s, SETTING_TUNNEL);

	if (spec == NULL) {
		if (settings_is_set(given, SETTING_TUNNEL_URL_PATTERN) ||
		    settings_is_set(given, SETTING_TUNNEL_TIMEOUT)) {
			xasprintf(cause, "%s needs --tunnel",
			    settings_is_set(given, SETTING_TUNNEL_URL_PATTERN) ?
			    "--tunnel-url-pattern" : "--tunnel-timeout");
			return (-1);
		}
		settings_unset(s, SETTING_TUNNEL_URL_PATTERN);
		settings_unset(s, SETTING_TUNNEL_TIMEOUT);
		return (0);
	}
	if (strncmp(spec, "cmd:", 4) == 0 &&
	    !settings_is_set(s, SETTING_TUNNEL_URL_PATTERN)) {
		*cause = xstrdup("--tunnel cmd:... needs --tunnel-url-pattern");
		return (-1);
	}
	return (0);
}

/*
 * Work out the settings in force, into listener.settings, from those given
 * in args and those saved, and load the TLS files they name.  Return 0, or
 * -1 with *cause, and *usage set when args were at fault.
 */
int
listener_settings(const struct listener_args *args, char **cause,
    int *usage)
{
	struct settings		 given;
	struct json_object	*saved = NULL;
	size_t			 i;
	int			 ret = -1;

	*usage = 0;
	settings_init(&given);
	for (i = 0; i < SETTINGS_COUNT; i++) {
		if (args->given[i] != NULL &&
		    settings_set(&given, i, args->given[i], cause) == -1)
			goto usage;
	}
	if (settings_check(&given, cause) == -1)
		goto usage;
	saved = listener_config_load();
	if (settings_resolve(&listener.settings, &given, saved,
	    listener.session.config_path, cause) == -1)
		goto out;
	if (listener_tunnel_settings(&given, cause) == -1)
		goto usage;
	ret = listener_tls(cause, usage);
	goto out;
usage:
	*usage = 1;
out:
	json_object_put(saved);
	settings_release(&given);
	return (ret);
}

/* Tell whether the file at path holds exactly the len bytes of text. */
static int
listener_file_is(const char *path, const char *text, size_t len)
{
	char	buf[4096];
	ssize_t	n;
	size_t	at = 0;
	int	fd, same = 1;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return (0);
	while (same && (n = read(fd, buf, sizeof buf)) > 0) {
		if ((size_t)n > len - at || memcmp(buf, text + at, (size_t)n) != 0)
			same = 0;
		at += (size_t)n;
	}
	close(fd);
	return (same && n == 0 && at == len);
}

/*
 * Save the settings in force, atomically (write a copy, then rename), when
 * they differ from the saved ones.  A failure (a full disk) is only a
 * warning: the settings in force are right, and what is queued must stay
 * reachable; but a port chosen now is not kept for the next start.
 */
void
listener_config_save(void)
{
	struct json_object	*config;
	const char		*path = listener.session.config_path;
	char			*tmp, *saved;
	int			 fd, error;

	config = settings_save(&listener.settings);
	xasprintf(&saved, "%s\n", json_object_to_json_string_ext(config,
	    JSON_C_TO_STRING_PRETTY));
	json_object_put(config);
	if (listener_file_is(path, saved, strlen(saved))) {
		free(saved);
		return;
	}
	xasprintf(&tmp, "%s.tmp", path);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600)) == -1)
		goto fail;
	if (write_all(fd, saved, strlen(saved)) == -1 || fsync(fd) == -1) {
		error = errno;
		close(fd);
		errno = error;
		goto fail;
	}
	if (close(fd) == -1 || rename(tmp, path) == -1)
		goto fail;
	free(tmp);
	free(saved);
	return;
fail:
	error = errno;
	unlink(tmp);
	log_warnx("cannot save %s: %s; going on with the settings in force, "
	    "which the next start will not know", path, strerror(error));
	free(tmp);
	free(saved);
}
