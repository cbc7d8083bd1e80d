#!/usr/bin/env bats
# contrib/: the systemd unit of an ingress listener.  systemd accepts it,
# and its ExecStart, run as systemd would run fish-ingress@ci.service,
# starts a listener of session ci on a real redis-server as an ACL user
# limited to fish's keys, the password read from the credential file and
# never on a command line.

bats_require_minimum_version 1.5.0
load helpers/common
load helpers/redis

UNIT=$BATS_TEST_DIRNAME/../contrib/fish-ingress@.service

setup() {
	common_setup
}

teardown() {
	local bad=0
	# bats fails a teardown on its last command only: keep its verdict.
	common_teardown || bad=1
	redis_stop
	[ "$bad" -eq 0 ]
}

# unit_command INSTANCE: print the unit's ExecStart, NUL after each word,
# as systemd runs it: lines joined, specifiers (%i, %%) and then $$
# resolved, words split as systemd splits them (shell-like quoting); the
# installed path of fish replaced by the one on PATH.
unit_command() {
	python3 - "$UNIT" "$1" <<'PY'
import re, shlex, sys
text = open(sys.argv[1]).read().replace("\\\n", " ")
line = re.search(r"^ExecStart=(.*)$", text, re.M).group(1)
line = re.sub(r"%(.)", lambda m: {"%": "%", "i": sys.argv[2]}[m.group(1)], line)
line = line.replace("$$", "$").replace("/usr/local/bin/fish", "fish")
sys.stdout.write("".join(w + "\0" for w in shlex.split(line)))
PY
}

@test "systemd-analyze verify accepts the ingress unit" {
	command -v systemd-analyze >/dev/null || skip "no systemd-analyze"
	run systemd-analyze verify "$UNIT"
	assert_success
	refute_output
}

@test "the unit's command starts an ingress of the session on Redis, the password from the credential" {
	local -a cmd
	local pid creds=$BATS_TEST_TMPDIR/credentials
	redis_start
	redis-cli -p "$REDIS_PORT" ACL SETUSER fish on '>cr3d-pass' \
	    '~fish:*' '+@all' >/dev/null
	mkdir -m 0700 "$creds"
	printf '%s' cr3d-pass >"$creds/redis-password"
	mapfile -d '' cmd < <(unit_command ci)
	[ "${cmd[0]}" = /bin/sh ]

	FISH_LISTEN=127.0.0.1:0 FISH_PUBLIC_URL=https://hooks.example.test \
	    FISH_REDIS=fish@127.0.0.1:$REDIS_PORT/0 \
	    CREDENTIALS_DIRECTORY=$creds "${cmd[@]}" 3>&- &
	pid=$!
	wait_until 10 listener_connected ci

	run fish -S ci status
	assert_output --partial "https://hooks.example.test"
	assert_output --partial "redis://fish:***@127.0.0.1:$REDIS_PORT/0"
	refute_output --partial cr3d-pass
	# exec all the way: the unit's main pid is the listener itself.
	[ "$(listener_pid ci)" = "$pid" ]
	run tr '\0' ' ' <"/proc/$pid/cmdline"
	refute_output --partial cr3d-pass
	run fish -S ci spawn
	assert_success
	assert_output --regexp '^https://hooks\.example\.test/[a-z0-9]+$'
	# Its records went to the session's stream, as user fish.
	run redis-cli -p "$REDIS_PORT" --user fish --pass cr3d-pass \
	    --no-auth-warning XLEN 'fish:{ci}:log'
	assert_output --regexp '^[1-9][0-9]*$'

	# systemctl stop sends SIGTERM (KillSignal).
	kill -TERM "$pid"
	wait_until 15 all_dead "$pid"
}

# listener_connected SESSION: its listener runs and Redis is connected.
listener_connected() {
	[ "$(fish -S "$1" status --json 2>/dev/null |
	    fish field /store_state 2>/dev/null)" = connected ]
}
