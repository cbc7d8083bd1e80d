/*
 * Unit tests for the settings table of fish start: what each option
 * accepts and refuses (and the bounds of the limits), printing that reads
 * back the same, comparing two values, settings given together, resolving
 * the settings in force from those given, the environment, config.json
 * and the defaults, and what is saved, shown, compared with a running
 * listener and passed on a command line.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "settings.h"
#include "tap.h"
#include "xmalloc.h"

/* Return the setting with option name (no dashes). */
static size_t
index_of(const char *name)
{
	int	i = settings_find(name);

	if (i == -1) {
		printf("Bail out! no setting '%s'\n", name);
		exit(1);
	}
	return ((size_t)i);
}

/* Check that option name accepts s and prints it back as want. */
static void
accepts(const char *name, const char *s, const char *want)
{
	struct settings	 st;
	char		*cause = NULL, *got;
	size_t		 i = index_of(name);

	settings_init(&st);
	if (settings_set(&st, i, s, &cause) == -1) {
		ok(0, "--%s %s is accepted (refused: %s)", name, s, cause);
		free(cause);
		return;
	}
	got = settings_format(&st, i);
	ok(strcmp(got, want) == 0, "--%s %s prints as %s (got %s)", name, s,
	    want, got);
	free(got);
	settings_release(&st);
}

/* Check that option name refuses s with the message want begins with. */
static void
refuses_saying(const char *name, const char *s, const char *want)
{
	struct settings	 st;
	char		*cause = NULL;
	size_t		 i = index_of(name);

	settings_init(&st);
	ok(settings_set(&st, i, s, &cause) == -1 && cause != NULL &&
	    strncmp(cause, want, strlen(want)) == 0 &&
	    !settings_is_set(&st, i),
	    "--%s '%s' is refused (%s)", name, s, cause ? cause : "no cause");
	free(cause);
	settings_release(&st);
}

/* Check that limit name refuses s with a message naming the option. */
static void
refuses(const char *name, const char *s)
{
	char	prefix[64];

	snprintf(prefix, sizeof prefix, "--%s: ", name);
	refuses_saying(name, s, prefix);
}

/* Set option name to s in st, which must accept it. */
static void
given(struct settings *st, const char *name, const char *s)
{
	char	*cause = NULL;

	if (settings_set(st, index_of(name), s, &cause) == -1) {
		printf("Bail out! --%s %s: %s\n", name, s ? s : "", cause);
		exit(1);
	}
}

/* Check what the limits accept and refuse, as fish start documents. */
static void
test_limits(void)
{
	accepts("max-body", "512k", "512KiB");
	accepts("max-body", "1000000", "1000000");
	accepts("max-body", "0", "0");
	accepts("max-body", "64M", "64MiB");
	refuses("max-body", "65M");
	refuses("max-body", "1G");
	refuses("max-body", "-1");
	refuses("max-body", "lots");
	accepts("idle-timeout", "2.5s", "2.5s");
	accepts("idle-timeout", "250ms", "250ms");
	accepts("idle-timeout", "1d", "1d");
	refuses("idle-timeout", "0");
	refuses("idle-timeout", "25h");
	refuses("idle-timeout", "soon");
	accepts("max-connections", "1", "1");
	accepts("max-connections", "65536", "65536");
	refuses("max-connections", "0");
	refuses("max-connections", "65537");
	refuses("max-connections", "");
	refuses("max-connections", "12a");
	refuses("max-connections", "99999999999999999999");
	accepts("max-per-ip", "5", "5");
	refuses("max-per-ip", "-5");
	refuses("max-per-ip", " 5");
	accepts("max-header", "16k", "16KiB");
	accepts("max-header", "1M", "1MiB");
	accepts("max-header", "20000", "20000");
	refuses("max-header", "16383");
	refuses("max-header", "1025k");
	refuses("max-header", "big");
	accepts("max-inflight", "1M", "1MiB");
	accepts("max-inflight", "64G", "64GiB");
	accepts("max-inflight", "300m", "300MiB");
	refuses("max-inflight", "1023k");
	refuses("max-inflight", "65G");
	refuses("max-inflight", "much");
}

/* Check the other settings: addresses, URLs, files, --retain, a flag. */
static void
test_others(void)
{
	accepts("listen", "127.0.0.1:0", "127.0.0.1:0");
	accepts("listen", "[::1]:8080", "[::1]:8080");
	accepts("listen", "localhost:65535", "localhost:65535");
	refuses_saying("listen", "127.0.0.1",
	    "invalid listen address '127.0.0.1' (use HOST:PORT or "
	    "[ADDR]:PORT)");
	refuses_saying("listen", "127.0.0.1:65536", "invalid listen address");
	refuses_saying("listen", "[::1:80", "invalid listen address");
	refuses_saying("listen", "a b:80", "invalid listen address");
	accepts("public-url", "https://tunnel.example/x/",
	    "https://tunnel.example/x/");
	accepts("public-url", "HTTP://tunnel", "HTTP://tunnel");
	refuses_saying("public-url", "ftp://x", "invalid public URL 'ftp://x' "
	    "(use http://... or https://...)");
	refuses_saying("public-url", "https://", "invalid public URL");
	accepts("tls-cert", "/etc/cert.pem", "/etc/cert.pem");
	refuses_saying("tls-key", "", "--tls-key needs a file");
	accepts("retain", "2d", "2d");
	accepts("retain", "90m", "90m");
	refuses_saying("retain", "0", "--retain must be more than 0");
	refuses_saying("retain", "soon", "--retain: invalid duration 'soon'");
	accepts("no-tls", NULL, "");
}

/* Check that every setting's default, printed, reads back the same. */
static void
test_round_trip(void)
{
	struct settings	 none, in_force, again;
	char		*cause = NULL, *text;
	size_t		 i;
	int		 same = 1;

	settings_init(&none);
	settings_init(&in_force);
	settings_init(&again);
	unsetenv("FISH_PUBLIC_URL");
	ok(settings_resolve(&in_force, &none, NULL, "config.json",
	    &cause) == 0, "the defaults resolve");
	for (i = 0; i < SETTINGS_COUNT; i++) {
		if (!settings_is_set(&in_force, i))
			continue;
		text = settings_format(&in_force, i);
		if (settings_set(&again, i, text, &cause) == -1 ||
		    settings_number(&again, i) !=
		    settings_number(&in_force, i) ||
		    !settings_same(i, text, settings_text(&in_force, i))) {
			diag("%s %s does not read back", settings_option(i),
			    text);
			free(cause);
			cause = NULL;
			same = 0;
		}
		free(text);
	}
	ok(same, "every default prints as what reads back the same");
	ok(!settings_is_set(&in_force, SETTING_PUBLIC_URL) &&
	    !settings_is_set(&in_force, SETTING_TLS_CERT) &&
	    !settings_is_set(&in_force, SETTING_NO_TLS),
	    "the public URL, TLS and --no-tls have no default");
	ok(strcmp(settings_text(&in_force, SETTING_LISTEN),
	    "127.0.0.1:0") == 0, "the default listen address is 127.0.0.1:0");
	ok(settings_number(&in_force, SETTING_RETAIN) ==
	    7ULL * 24 * 3600 * 1000, "the default retention is 7 days");
	ok(in_force.source[SETTING_RETAIN] == SETTING_DEFAULT,
	    "a default says it is one");
	settings_release(&in_force);
	settings_release(&again);
}

/* Check the limits' defaults as HTTP in gets them. */
static void
test_defaults(void)
{
	struct settings	 none, in_force;
	struct limits	 limits;
	char		*cause = NULL;

	settings_init(&none);
	settings_init(&in_force);
	if (settings_resolve(&in_force, &none, NULL, "x", &cause) == -1)
		free(cause);
	settings_limits(&in_force, &limits);
	ok(limits.max_body == 25U << 20, "the default body cap is 25MiB");
	ok(limits.idle_timeout_ms == 10000, "the default idle timeout is 10s");
	ok(limits.max_connections == 512, "the default connection cap is 512");
	ok(limits.max_per_ip == 64, "the default per-address cap is 64");
	ok(limits.max_header == 16U << 10, "the default header cap is 16KiB");
	ok(limits.max_inflight == 256U << 20,
	    "the default cap on bodies in flight is 256MiB");
	settings_release(&in_force);
}

/* Check the names: options, keys, finding, usage. */
static void
test_names(void)
{
	const char	*head = "[--listen HOST:PORT] [--public-url URL] "
	    "[--tls-cert FILE] [--tls-key FILE] [--no-tls] [--retain D] "
	    "[--idle-exit D] [--max-body SIZE]";
	char	 key[32], *p, *usage;
	size_t	 i;
	int	 good = 1;

	ok(settings_find("max-body") == SETTING_MAX_BODY &&
	    settings_find("--max-body") == -1 &&
	    settings_find("foreground") == -1,
	    "settings are found by option name");
	for (i = 0; i < SETTINGS_COUNT; i++) {
		snprintf(key, sizeof key, "%s", settings_option(i) + 2);
		for (p = key; (p = strchr(p, '-')) != NULL; p++)
			*p = '_';
		if (strncmp(settings_option(i), "--", 2) != 0 ||
		    strcmp(key, settings_key(i)) != 0 ||
		    settings_find(settings_option(i) + 2) != (int)i) {
			diag("%s is named %s", settings_option(i),
			    settings_key(i));
			good = 0;
		}
	}
	ok(good, "every --some-option is named some_option");
	usage = settings_usage();
	ok(strncmp(usage, head, strlen(head)) == 0 &&
	    strstr(usage, "[--max-per-ip N]") != NULL,
	    "the usage line names every option and its value (%s)", usage);
	free(usage);
}

/* Check comparing two values of a setting, as each kind compares. */
static void
test_same(void)
{
	ok(settings_same(SETTING_LISTEN, "127.0.0.1:0", "127.0.0.1:4242"),
	    "port 0 asks for the port chosen then");
	ok(!settings_same(SETTING_LISTEN, "127.0.0.1:1", "127.0.0.1:4242"),
	    "another port is another address");
	ok(!settings_same(SETTING_LISTEN, "0.0.0.0:0", "127.0.0.1:4242"),
	    "another host is another address");
	ok(settings_same(SETTING_MAX_BODY, "512k", "524288") &&
	    !settings_same(SETTING_MAX_BODY, "512k", "512"),
	    "sizes compare as byte counts");
	ok(settings_same(SETTING_RETAIN, "1d", "24h") &&
	    !settings_same(SETTING_RETAIN, "1d", "1h"),
	    "durations compare as lengths of time");
	ok(settings_same(SETTING_MAX_PER_IP, "5", "05") &&
	    !settings_same(SETTING_MAX_PER_IP, "5", "many"),
	    "counts compare as numbers, and a bad one is no match");
	ok(settings_same(SETTING_PUBLIC_URL, "https://a", "https://a") &&
	    !settings_same(SETTING_PUBLIC_URL, "https://a", "https://a/"),
	    "URLs compare as text");
	ok(!settings_same(SETTING_TLS_CERT, "/a", NULL),
	    "a value is not the same as none");
}

/* Check settings given together: pairs and contradictions. */
static void
test_check(void)
{
	struct settings	 st;
	char		*cause = NULL;

	settings_init(&st);
	given(&st, "tls-key", "/k");
	ok(settings_check(&st, &cause) == -1 && cause != NULL &&
	    strcmp(cause, "--tls-cert and --tls-key go together") == 0,
	    "a key without a certificate is refused");
	free(cause);
	cause = NULL;
	settings_release(&st);
	given(&st, "tls-cert", "/c");
	ok(settings_check(&st, &cause) == -1 && cause != NULL &&
	    strcmp(cause, "--tls-cert and --tls-key go together") == 0,
	    "a certificate without a key is refused, in the same words");
	free(cause);
	cause = NULL;
	given(&st, "tls-key", "/k");
	ok(settings_check(&st, &cause) == 0, "the pair is fine");
	given(&st, "no-tls", NULL);
	ok(settings_check(&st, &cause) == -1 && cause != NULL &&
	    strcmp(cause, "--no-tls and --tls-cert contradict each other") ==
	    0, "--no-tls with a certificate is refused");
	free(cause);
	settings_release(&st);
}

/* Parse a config.json text; bail out if it is not JSON. */
static struct json_object *
config(const char *text)
{
	struct json_object	*o;

	if ((o = json_tokener_parse(text)) == NULL) {
		printf("Bail out! bad JSON in the test: %s\n", text);
		exit(1);
	}
	return (o);
}

/* Check resolving: given, then environment, then saved, then defaults. */
static void
test_resolve(void)
{
	struct settings		 g, s;
	struct json_object	*saved;
	char			*cause = NULL;

	saved = config("{\"listen\":\"127.0.0.1:4242\",\"retain\":\"2d\","
	    "\"public_url\":\"https://saved\",\"tls_cert\":\"/c\","
	    "\"tls_key\":\"/k\",\"max_per_ip\":\"5\",\"max_body\":\"1k\"}");
	settings_init(&g);
	settings_init(&s);
	unsetenv("FISH_PUBLIC_URL");
	given(&g, "listen", "127.0.0.1:0");
	given(&g, "max-body", "1024");
	ok(settings_resolve(&s, &g, saved, "config.json", &cause) == 0,
	    "settings resolve");
	ok(strcmp(settings_text(&s, SETTING_LISTEN), "127.0.0.1:4242") == 0,
	    "port 0 given keeps the port saved");
	ok(s.source[SETTING_LISTEN] == SETTING_GIVEN &&
	    s.source[SETTING_RETAIN] == SETTING_SAVED &&
	    s.source[SETTING_IDLE_TIMEOUT] == SETTING_DEFAULT,
	    "each says where it came from");
	ok(settings_number(&s, SETTING_RETAIN) == 2ULL * 86400000 &&
	    settings_number(&s, SETTING_MAX_PER_IP) == 5 &&
	    settings_number(&s, SETTING_MAX_BODY) == 1024,
	    "saved values are used where none is given");
	ok(strcmp(settings_text(&s, SETTING_TLS_CERT), "/c") == 0 &&
	    strcmp(settings_text(&s, SETTING_PUBLIC_URL), "https://saved") ==
	    0, "saved files and URLs are used");
	settings_release(&s);

	setenv("FISH_PUBLIC_URL", "https://from-env", 1);
	given(&g, "no-tls", NULL);
	ok(settings_resolve(&s, &g, saved, "config.json", &cause) == 0 &&
	    strcmp(settings_text(&s, SETTING_PUBLIC_URL), "https://from-env") ==
	    0 && s.source[SETTING_PUBLIC_URL] == SETTING_ENVIRONMENT,
	    "FISH_PUBLIC_URL comes before the saved public URL");
	ok(!settings_is_set(&s, SETTING_TLS_CERT) &&
	    !settings_is_set(&s, SETTING_TLS_KEY),
	    "--no-tls forgets the saved certificate and its key");
	settings_release(&s);
	given(&g, "public-url", "https://given");
	ok(settings_resolve(&s, &g, saved, "config.json", &cause) == 0 &&
	    strcmp(settings_text(&s, SETTING_PUBLIC_URL), "https://given") == 0,
	    "--public-url comes before FISH_PUBLIC_URL");
	settings_release(&s);
	settings_release(&g);

	setenv("FISH_PUBLIC_URL", "tunnel", 1);
	ok(settings_resolve(&s, &g, saved, "config.json", &cause) == -1 &&
	    cause != NULL && strcmp(cause, "FISH_PUBLIC_URL: invalid public "
	    "URL 'tunnel' (use http://... or https://...)") == 0,
	    "a bad FISH_PUBLIC_URL is refused naming it (%s)", cause);
	free(cause);
	cause = NULL;
	settings_release(&s);
	setenv("FISH_PUBLIC_URL", "", 1);
	ok(settings_resolve(&s, &g, saved, "config.json", &cause) == 0 &&
	    strcmp(settings_text(&s, SETTING_PUBLIC_URL), "https://saved") == 0,
	    "an empty FISH_PUBLIC_URL is none");
	settings_release(&s);
	unsetenv("FISH_PUBLIC_URL");
	json_object_put(saved);

	saved = config("{\"tls_cert\":\"/c\",\"max_per_ip\":\"many\"}");
	ok(settings_resolve(&s, &g, saved, "config.json", &cause) == -1 &&
	    cause != NULL && strcmp(cause, "--max-per-ip: invalid number "
	    "'many', saved in config.json") == 0,
	    "a bad saved value is refused naming where it was (%s)", cause);
	free(cause);
	cause = NULL;
	settings_release(&s);
	given(&g, "max-per-ip", "6");
	ok(settings_resolve(&s, &g, saved, "config.json", &cause) == 0 &&
	    settings_number(&s, SETTING_MAX_PER_IP) == 6,
	    "giving it again replaces a bad saved value");
	ok(!settings_is_set(&s, SETTING_TLS_CERT),
	    "a certificate saved without its key is not used");
	settings_release(&s);
	settings_release(&g);
	json_object_put(saved);
}

/* Check what is saved, shown in status, and compared with a listener. */
static void
test_save_and_show(void)
{
	struct settings		 g, s;
	struct json_object	*o, *value;
	struct setting_line	 lines[SETTINGS_COUNT];
	char			*cause = NULL, *why;
	size_t			 n, i;

	settings_init(&g);
	settings_init(&s);
	unsetenv("FISH_PUBLIC_URL");
	given(&g, "listen", "0.0.0.0:4242");
	given(&g, "max-connections", "100");
	given(&g, "max-header", "32768");
	given(&g, "no-tls", NULL);
	if (settings_resolve(&s, &g, NULL, "config.json", &cause) == -1)
		free(cause);

	o = settings_save(&s);
	ok(json_object_object_length(o) == 9 &&
	    json_object_object_get_ex(o, "max_connections", &value) &&
	    json_object_is_type(value, json_type_string) &&
	    strcmp(json_object_get_string(value), "100") == 0 &&
	    json_object_object_get_ex(o, "max_header", &value) &&
	    strcmp(json_object_get_string(value), "32KiB") == 0 &&
	    !json_object_object_get_ex(o, "no_tls", NULL),
	    "config.json holds what is set, as strings, and no flag (%s)",
	    json_object_to_json_string(o));
	json_object_put(o);

	o = json_object_new_object();
	settings_status(&s, o);
	ok(json_object_object_get_ex(o, "max_connections", &value) &&
	    json_object_is_type(value, json_type_int) &&
	    json_object_object_get_ex(o, "max_body", &value) &&
	    strcmp(json_object_get_string(value), "25MiB") == 0 &&
	    !json_object_object_get_ex(o, "public_url", NULL),
	    "status shows counts as numbers, the rest as strings");
	ok(settings_match(&g, o), "a listener matches the settings it has");
	settings_release(&g);
	given(&g, "listen", "0.0.0.0:0");
	given(&g, "max-header", "32k");
	ok(settings_match(&g, o), "port 0 and 32k match 4242 and 32KiB");
	given(&g, "max-per-ip", "6");
	ok(!settings_match(&g, o), "another limit does not match");
	why = settings_mismatch(&g, o);
	is_str(why, "it runs with --max-per-ip 64",
	    "the mismatch names the setting and what the listener has");
	free(why);
	settings_release(&g);
	given(&g, "public-url", "https://x");
	ok(!settings_match(&g, o), "a public URL it has none of does not "
	    "match");
	why = settings_mismatch(&g, o);
	is_str(why, "it runs without --public-url",
	    "the mismatch says what the listener runs without");
	free(why);
	settings_release(&g);
	json_object_object_add(o, "tls_cert", json_object_new_string("/c"));
	given(&g, "no-tls", NULL);
	ok(!settings_match(&g, o), "--no-tls does not match a listener "
	    "serving TLS");
	why = settings_mismatch(&g, o);
	is_str(why, "it runs with --tls-cert, which --no-tls forgets",
	    "the mismatch of a flag names what it forgets, not the file");
	free(why);
	settings_release(&g);
	ok(settings_mismatch(&g, o) == NULL,
	    "no mismatch when no setting is given");
	ok(settings_match(&g, o), "no setting given matches any listener");

	n = settings_lines(o, lines);
	ok(n == 5 && strcmp(lines[0].label, "listen") == 0 &&
	    strcmp(lines[0].value, "0.0.0.0:4242 (reachable from other "
	    "machines)") == 0 && strcmp(lines[1].label, "tls cert") == 0 &&
	    strcmp(lines[2].label, "retain") == 0 &&
	    strcmp(lines[3].label, "limits") == 0 && strcmp(lines[3].value,
	    "body 25MiB, header 32KiB, idle 10s, 100 connections, 64 per "
	    "address, 256MiB in flight") == 0 &&
	    strcmp(lines[4].label, "store") == 0 &&
	    strcmp(lines[4].value, "journal") == 0,
	    "fish status shows a line a setting, one for the limits (%s)",
	    n > 3 ? lines[3].value : "");
	for (i = 0; i < n; i++)
		free(lines[i].value);
	json_object_put(o);
	settings_release(&s);
}

/* Check the command line that passes settings on. */
static void
test_argv(void)
{
	struct settings	 g;
	const char	*argv[SETTINGS_ARGV_MAX + 1];
	int		 argc = 0;
	char		*cwd, *want;

	settings_init(&g);
	given(&g, "tls-cert", "cert.pem");
	given(&g, "tls-key", "/abs/key.pem");
	given(&g, "no-tls", NULL);
	given(&g, "max-body", "1k");
	settings_absolute(&g);
	cwd = getcwd(NULL, 0);
	xasprintf(&want, "%s/cert.pem", cwd);
	ok(strcmp(settings_text(&g, SETTING_TLS_CERT), want) == 0 &&
	    strcmp(settings_text(&g, SETTING_TLS_KEY), "/abs/key.pem") == 0,
	    "relative files are made absolute, absolute ones kept");
	settings_argv(&g, argv, &argc);
	ok(argc == 7 && strcmp(argv[0], "--tls-cert") == 0 &&
	    strcmp(argv[1], want) == 0 && strcmp(argv[4], "--no-tls") == 0 &&
	    strcmp(argv[5], "--max-body") == 0 && strcmp(argv[6], "1k") == 0,
	    "settings go on a command line as given, a flag alone");
	free(want);
	free(cwd);
	settings_release(&g);
}

/*
 * Check --store: a URL is checked when given, its password never goes
 * on a command line (but in FISH_STORE), and status shows it masked.
 */
static void
test_store(void)
{
	struct settings		 g, s;
	struct json_object	*o, *value;
	const char		*argv[SETTINGS_ARGV_MAX + 1];
	char			*cause = NULL, *why;
	int			 argc = 0, set;

	settings_init(&g);
	settings_init(&s);
	set = settings_set(&g, index_of("store"), "http://x:hunter2@h",
	    &cause) == -1;
	ok(set && cause != NULL && strstr(cause, "hunter2") == NULL &&
	    strstr(cause, "unknown store") != NULL,
	    "a store URL of another scheme is refused, its password unsaid "
	    "(%s)", cause == NULL ? "" : cause);
	free(cause);
	cause = NULL;
	unsetenv("FISH_STORE");
	given(&g, "store", "redis://:hunter2@127.0.0.1:6380/2");
	given(&g, "max-body", "1k");
	settings_argv(&g, argv, &argc);
	ok(argc == 2 && strcmp(argv[0], "--max-body") == 0,
	    "a store URL never goes on the listener's command line");
	ok(settings_export(&g) == 0 && getenv("FISH_STORE") != NULL &&
	    strcmp(getenv("FISH_STORE"), "redis://:hunter2@127.0.0.1:6380/2")
	    == 0, "but in its environment variable, FISH_STORE");
	settings_release(&g);
	if (settings_resolve(&s, &g, NULL, "config.json", &cause) == -1)
		free(cause);
	unsetenv("FISH_STORE");
	ok(s.source[index_of("store")] == SETTING_ENVIRONMENT,
	    "FISH_STORE sets the store");
	o = json_object_new_object();
	settings_status(&s, o);
	ok(json_object_object_get_ex(o, "store", &value) &&
	    strcmp(json_object_get_string(value),
	    "redis://:***@127.0.0.1:6380/2") == 0,
	    "status shows the store URL masked");
	given(&g, "store", "redis://:other@127.0.0.1:6380/2");
	ok(settings_match(&g, o), "a listener matches the store it has, "
	    "whatever the password");
	given(&g, "store", "journal");
	ok(!settings_match(&g, o), "but not another store");
	why = settings_mismatch(&g, o);
	is_str(why, "it runs with --store redis://:***@127.0.0.1:6380/2",
	    "the mismatch shows the store it runs with masked");
	free(why);
	json_object_put(o);
	settings_release(&g);
	settings_release(&s);
}

int
main(void)
{
	test_limits();
	test_others();
	test_names();
	test_round_trip();
	test_defaults();
	test_same();
	test_check();
	test_resolve();
	test_save_and_show();
	test_argv();
	test_store();
	return (done_testing());
}
