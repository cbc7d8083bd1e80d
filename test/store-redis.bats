#!/usr/bin/env bats
# fish start --store redis://...: one session shared by many listeners
# through a real redis-server (test/helpers/redis.bash).  Each test has
# two listeners of the session "default", A and B, with FISH_HOMEs of
# their own, on port 0 each; skipped without redis-server.

bats_require_minimum_version 1.5.0
load helpers/common
load helpers/redis

setup() {
	common_setup
	redis_start
	A=$FISH_HOME
	B=$BATS_TEST_TMPDIR/home-b
	STORE=redis://127.0.0.1:$REDIS_PORT
}

teardown() {
	local bad=0
	# A test that stopped redis-server and failed before it went on.
	[ -z "${REDIS_PID:-}" ] || kill -CONT "$REDIS_PID" 2>/dev/null || true
	redis_proxy_stop || bad=1
	# B as A: stopped, checked, and (under valgrind) its leak check
	# waited for.  bats fails a teardown on its last command only: keep
	# each verdict.
	FISH_HOME=$B common_teardown || bad=1
	common_teardown || bad=1
	redis_stop
	[ "$bad" -eq 0 ]
}

# on_b CMD...: run CMD as listener B's user would (its FISH_HOME).
on_b() {
	FISH_HOME=$B "$@"
}

# store_state HOME: print what fish status --json says of the store's
# Redis connection.
store_state() {
	FISH_HOME=$1 fish status --json | fish field /store_state
}

# connected HOME: succeed once that listener's Redis connection is up.
connected() {
	[ "$(store_state "$1")" = connected ]
}

# redis CMD...: run a command on the test's redis-server.
redis() {
	redis-cli -p "$REDIS_PORT" "$@"
}

# start_both [ARG...]: start A and B on the test's Redis, wait until
# both are connected.
start_both() {
	fish start --store "$STORE" "$@" >/dev/null
	on_b fish start --store "$STORE" "$@" >/dev/null
	wait_until 10 connected "$A"
	wait_until 10 connected "$B"
}

# on_port URL PORT: print URL with its port replaced by PORT.
on_port() {
	local rest=${1#http://}
	printf 'http://127.0.0.1:%s/%s\n' "$2" "${rest#*/}"
}

@test "a hook spawned on one listener takes callbacks on another, and wait returns them" {
	local url port_a port_b
	start_both
	port_a=$(port_of "$(status_field /url)")
	port_b=$(port_of "$(on_b fish status --json | fish field /url)")

	url=$(fish spawn --name ab)
	[ "$(http_post "$(on_port "$url" "$port_b")" '{"via":"b"}')" = 200 ]
	run fish wait ab --timeout 10s
	assert_success
	assert_output '{"via":"b"}'

	url=$(on_b fish spawn --name ba)
	[ "$(http_post "$(on_port "$url" "$port_a")" '{"via":"a"}')" = 200 ]
	run on_b fish wait ba --timeout 10s
	assert_success
	assert_output '{"via":"a"}'
}

@test "status shows the store masked and its Redis connected" {
	export REDIS_SECRET=s3cret-pw
	redis CONFIG SET requirepass "$REDIS_SECRET" >/dev/null
	STORE="redis://:env:REDIS_SECRET@127.0.0.1:$REDIS_PORT"
	start_both
	run fish status
	assert_success
	assert_line --regexp "^store: +redis://:\*\*\*@127.0.0.1:$REDIS_PORT/0\$"
	assert_line --regexp '^redis: +connected$'
	assert_equal "$(status_field /store)" \
	    "redis://:***@127.0.0.1:$REDIS_PORT/0"
	assert_equal "$(status_field /store_state)" connected
}

# others_seen HOME N: succeed once that listener's status lists N others.
others_seen() {
	[ "$(FISH_HOME=$1 fish status --json 2>/dev/null | python3 -c '
import json, sys
print(len(json.load(sys.stdin).get("listeners", [])))' 2>/dev/null)" = "$2" ]
}

# evil_heartbeat [HOST]: write a heartbeat of "evil", now, as anyone with
# Redis's password could: its host (JSON string text) holds by default an
# escape sequence, a C1 CSI and a newline.
evil_heartbeat() {
	local host=${1:-'h\u001b[2J\u009b[2J\nforged: line'}
	redis HSET 'fish:{default}:listeners' evil "{\"last_seen\": $((${EPOCHREALTIME/./} / 1000)), \"pid\": 7, \"host\": \"$host\"}" >/dev/null
}

# evil_host_is WANT: succeed once evil_host prints WANT.
evil_host_is() {
	[ "$(evil_host 2>/dev/null)" = "$1" ]
}

# evil_host: print repr() of the host status --json gives for "evil".
evil_host() {
	fish status --json | python3 -c '
import json, sys
print(repr([o["host"] for o in json.load(sys.stdin)["listeners"]
    if o["name"] == "evil"][0]))'
}

@test "status names this listener and the others of the session seen in the last minute" {
	if ! grep -q '^#define FISH_TEST_HOOKS' "$FISH_BUILD_DIR/config.h"; then
		skip "needs a build configured with --enable-test-hooks"
	fi
	# Heartbeats every second: seen for 6 s (six intervals), not a minute.
	export FISH_TEST_HEARTBEAT_MS=1000
	fish start --store "$STORE" --public-url https://a.example.test >/dev/null
	wait_until 10 connected "$A"
	run fish status
	assert_line --regexp '^listener: +[^ ]+-[0-9a-f]{8}$'
	assert_line --regexp '^others: +none seen in the last minute$'

	on_b fish start --store "$STORE" --public-url https://b.example.test >/dev/null
	wait_until 10 connected "$B"
	wait_until 10 others_seen "$A" 1
	run fish status
	assert_line --regexp "^others: +[^ ]+-[0-9a-f]{8} \\(host [^,]+, pid $(cat "$B/sessions/default/listener.pid"), https://b.example.test\\), seen [0-9]+ s ago\$"
	# B's status names A: A's own "listener:" line.
	assert_equal "$(on_b fish status --json | fish field /listeners/0/name)" \
	    "$(status_field /listener)"

	# A heartbeat written by anyone with Redis's password is shown with
	# its control characters escaped, a C1 CSI too, on a terminal or
	# not: nothing reaches the terminal raw, one line stays one.
	evil_heartbeat
	wait_until 10 others_seen "$A" 2
	run python3 "$FISH_SRC_DIR/test/helpers/pty.py" fish status
	assert_success
	assert_line --regexp '^(others:)? +evil \(host h\^\[\[2JM-BM-\^\[\[2J\^Jforged: line, pid 7\), seen [0-9]+ s ago$'
	refute_output --partial $'\033'
	refute_output --partial $'\xc2\x9b'
	run fish status
	assert_line --regexp '^(others:)? +evil \(host h\^\[\[2JM-BM-\^\[\[2J\^Jforged: line, pid 7\), seen [0-9]+ s ago$'
	refute_output --partial $'\033'
	# For machines it stays data, as it was written.
	run evil_host
	assert_output "'h\\x1b[2J\\x9b[2J\\nforged: line'"
	# Bytes that are not UTF-8, which JSON cannot hold: escaped in JSON
	# too, the whole host, so that --json stays JSON.
	evil_heartbeat $'h\\u001b\xff'
	wait_until 10 evil_host_is "'h^[M-^?'"
	run python3 "$FISH_SRC_DIR/test/helpers/pty.py" fish status
	assert_line --regexp '^(others:)? +evil \(host h\^\[M-\^\?, pid 7\), seen [0-9]+ s ago$'
	refute_output --partial $'\xff'

	# A listener stopped leaves the others' lists: evil alone is left.
	on_b fish stop >/dev/null
	evil_heartbeat
	wait_until 10 others_seen "$A" 1
	assert_equal "$(status_field /listeners/0/name)" evil
}

@test "a Redis password never shows in the listener's command line, environment, status or log" {
	local pid REDIS_SECRET=s3cret-pw
	# Under valgrind, /proc/PID/environ shows the environment valgrind
	# was given, not the listener's copy that it wipes (and the wrapper, a
	# shell, keeps one value of a name given twice).
	[ "$TEST_VALGRIND" != 1 ] ||
	    skip "valgrind keeps the environment it was started with"
	redis CONFIG SET requirepass "$REDIS_SECRET" >/dev/null
	# Literal, in the URL: nowhere but config.json (mode 0600).
	fish start --store "redis://:$REDIS_SECRET@127.0.0.1:$REDIS_PORT" \
	    >/dev/null
	wait_until 10 connected "$A"
	fish spawn >/dev/null
	pid=$(listener_pid)
	run tr '\0' ' ' <"/proc/$pid/cmdline"
	refute_output --partial "$REDIS_SECRET"
	refute_output --partial redis://
	# Nor in its environment (ps e), where its start put the URL.
	run tr '\0' '\n' <"/proc/$pid/environ"
	refute_output --partial "$REDIS_SECRET"
	run fish status
	refute_output --partial "$REDIS_SECRET"
	run fish status --json
	refute_output --partial "$REDIS_SECRET"
	run fish start --store "redis://:bad$REDIS_SECRET@127.0.0.1:1"
	refute_output --partial "$REDIS_SECRET"
	run ! grep -r "$REDIS_SECRET" "$FISH_HOME/sessions/default/listener.log"
	run stat -c %a "$FISH_HOME/sessions/default/config.json"
	assert_output 600
}

@test "a password given as env:NAME is read from the environment, then gone from the listener's" {
	local pid
	# Under valgrind, /proc/PID/environ shows the environment valgrind
	# was given, not the listener's copy that it wipes (and the wrapper, a
	# shell, keeps one value of a name given twice).
	[ "$TEST_VALGRIND" != 1 ] ||
	    skip "valgrind keeps the environment it was started with"
	export REDIS_SECRET=s3cret-pw
	redis CONFIG SET requirepass "$REDIS_SECRET" >/dev/null
	STORE="redis://:env:REDIS_SECRET@127.0.0.1:$REDIS_PORT"
	start_both
	pid=$(listener_pid)
	run tr '\0' ' ' <"/proc/$pid/cmdline"
	refute_output --partial "$REDIS_SECRET"
	refute_output --partial "env:REDIS_SECRET"
	# Read once: neither ps e nor a child of the listener (a tunnel
	# client) sees the variable; status still shows the URL, masked.
	run tr '\0' '\n' <"/proc/$pid/environ"
	refute_output --partial "$REDIS_SECRET"
	run fish status --json
	assert_output --partial "\"store\":\"redis://:***@127.0.0.1:$REDIS_PORT/0\""
	run ! grep -q "$REDIS_SECRET" "$FISH_HOME/sessions/default/config.json"
	run ! grep -r "$REDIS_SECRET" "$FISH_HOME/sessions/default/listener.log"
}

@test "a password variable the environment holds twice is gone from the listener's, both values" {
	local pid
	# Under valgrind, /proc/PID/environ shows the environment valgrind
	# was given, not the listener's copy that it wipes (and the wrapper, a
	# shell, keeps one value of a name given twice).
	[ "$TEST_VALGRIND" != 1 ] ||
	    skip "valgrind keeps the environment it was started with"
	redis CONFIG SET requirepass s3cret-pw >/dev/null
	# execve takes an environment with a name twice; the shell cannot.
	python3 -c '
import ctypes, os, shutil, sys
env = [b"%s=%s" % (k, v) for k, v in os.environb.items()]
env += [b"REDIS_SECRET=s3cret-pw", b"REDIS_SECRET=s3cret-pw-twice"]
argv = [a.encode() for a in sys.argv[1:]]
arr = lambda l: (ctypes.c_char_p * (len(l) + 1))(*l, None)
ctypes.CDLL(None).execve(shutil.which("fish").encode(), arr(argv), arr(env))
sys.exit("execve failed")
' fish start --store "redis://:env:REDIS_SECRET@127.0.0.1:$REDIS_PORT" \
	    >/dev/null
	wait_until 10 connected "$A"
	pid=$(listener_pid)
	run tr '\0' '\n' <"/proc/$pid/environ"
	refute_output --partial s3cret-pw
}

@test "a store URL of another scheme is a usage error of one line" {
	run --separate-stderr fish start --store "http://u:hunter2@h/"
	assert_failure 2
	# The error, then the usage line every usage error ends with.
	[[ ${stderr_lines[0]} == "fish start: unknown store (use journal, "* ]]
	[[ ${stderr_lines[1]} == "usage: fish start "* ]]
	assert_equal "${#stderr_lines[@]}" 2
	[[ $stderr != *hunter2* ]]
	run fish status
	assert_failure 3
}

@test "a wrong password shows in status, and a callback gets 503" {
	local url
	redis CONFIG SET requirepass right-one >/dev/null
	# The listener starts all the same, and says why it is not connected.
	run --separate-stderr fish start \
	    --store "redis://:wrong-one@127.0.0.1:$REDIS_PORT"
	assert_success
	[[ $stderr == *"warning: the session's store is not connected (connecting: AUTH failed"* ]]
	[[ $stderr != *wrong-one* ]]
	[[ $(store_state "$A") == "connecting: AUTH failed"* ]]
	url="$(status_field /url)/abcdefghijkmnopqrstuvwxyz2345678"
	run curl -sS -i --max-time 10 --data-binary x "$url"
	assert_line --regexp '^HTTP/1.1 503'
	assert_line --regexp '^Retry-After: 1'
	run fish status
	refute_output --partial wrong-one
}

@test "with Redis down a callback gets 503, and nothing acknowledged is lost" {
	local url port_b
	start_both
	port_b=$(port_of "$(on_b fish status --json | fish field /url)")
	url=$(fish spawn --name down)
	[ "$(http_post "$(on_port "$url" "$port_b")" '{"n":1}')" = 200 ]

	redis_kill
	wait_until 10 eval '[ "$(store_state "$B")" != connected ]'
	run curl -sS -i --max-time 10 --data-binary '{"n":2}' \
	    "$(on_port "$url" "$port_b")"
	assert_line --regexp '^HTTP/1.1 503'
	assert_line --regexp '^Retry-After: 1'
	run --separate-stderr on_b fish spawn
	assert_failure 3
	[[ $stderr == *"the session's store is unreachable (connecting: "* ]]

	redis_start
	wait_until 15 connected "$A"
	wait_until 15 connected "$B"
	run fish wait down --timeout 10s
	assert_success
	assert_output '{"n":1}'
}

@test "a Redis killed and restarted with its persistence lost nothing: both listeners check its counter as they reconnect, and go on" {
	local url port_b
	start_both
	port_b=$(port_of "$(on_b fish status --json | fish field /url)")
	url=$(fish spawn --name kept)
	[ "$(http_post "$(on_port "$url" "$port_b")" 1)" = 200 ]
	[ "$(http_post "$url" 2)" = 200 ]
	redis_kill
	wait_until 10 eval '[ "$(store_state "$A")" != connected ]'
	wait_until 10 eval '[ "$(store_state "$B")" != connected ]'
	redis_start
	wait_until 15 connected "$A"
	wait_until 15 connected "$B"
	[ "$(http_post "$(on_port "$url" "$port_b")" 3)" = 200 ]
	[ "$(http_post "$url" 4)" = 200 ]
	# Each once; A may hand out its own 4 before its follower reads B's 3.
	run fish wait kept --count 4 --timeout 10s
	assert_success
	run sort <<<"$output"
	assert_output "$(printf '1\n2\n3\n4')"
	run on_b fish status
	assert_success
	run grep -h "lost entries" "$A/sessions/default/listener.log" \
	    "$B/sessions/default/listener.log"
	assert_failure 1
}

@test "a listener started while Redis is down says so, not that a hook spawned elsewhere does not exist" {
	local url
	fish start --store "$STORE" >/dev/null
	wait_until 10 connected "$A"
	url=$(fish spawn --name early)
	[ "$(http_post "$url" '{"n":1}')" = 200 ]
	redis_kill

	on_b fish start --store "$STORE" 2>/dev/null >/dev/null
	for cmd in "wait early --timeout 1s" "wait $url --timeout 1s" \
	    "ls" "log" "show 2" "close early"; do
		# shellcheck disable=SC2086 # one word per argument
		run --separate-stderr on_b fish $cmd
		assert_failure 3
		[[ $stderr == *"fish: the session's store "*"(connecting: "*"); try again once it is back" ]]
	done
	run on_b fish status
	assert_success

	redis_start
	wait_until 15 connected "$B"
	run on_b fish wait early --timeout 10s
	assert_success
	assert_output '{"n":1}'
}

@test "a listener restarted catches up the hooks and messages of the stream" {
	local url
	start_both
	on_b fish stop >/dev/null
	url=$(fish spawn --name later)
	[ "$(http_post "$url" '{"while":"b was down"}')" = 200 ]

	on_b fish start >/dev/null
	wait_until 10 connected "$B"
	run on_b fish wait later --timeout 10s
	assert_success
	assert_output '{"while":"b was down"}'
}

@test "a listener that read the session long ago answers ls and wait while another's verifying spawn is being read" {
	local flag=$BATS_TEST_TMPDIR/hold
	redis_proxy_start hold "$flag" HGET
	fish start --store "$STORE" >/dev/null
	on_b fish start --store "redis://127.0.0.1:$REDIS_PROXY_PORT" >/dev/null
	wait_until 10 connected "$A"
	wait_until 10 connected "$B"
	fish spawn --name plain >/dev/null
	wait_until 10 eval '[ "$(on_b fish ls | grep -c plain)" = 1 ]'

	# B holds the verifying spawn back until its secret is read, and
	# every entry after it: the store still holds the session.
	touch "$flag"
	SECRET_X=abc fish spawn --name signed --verify github:env:SECRET_X \
	    >/dev/null
	wait_until 10 test -e "$flag.hit"
	run --separate-stderr on_b fish ls
	assert_success
	[[ $output == *plain* ]]
	run --separate-stderr on_b fish wait plain --timeout 1s
	assert_failure 124
	[[ $stderr != *"not been read"* ]]

	rm "$flag"
	wait_until 10 eval '[ "$(on_b fish ls | grep -c signed)" = 1 ]'
}

# start_b_reading_slowly [VAR=VALUE...]: with A started and a hook
# "shared" spawned, start B (with the environment given) on a long
# stream whose every read stalls 2 s, as on a slow Redis: B starts after
# 6 s, connected, the stream not read yet.  rm "$flag" lets reads go on.
start_b_reading_slowly() {
	flag=$BATS_TEST_TMPDIR/hold
	redis_proxy_start hold "$flag" 'fish:{default}:log' 2
	fish start --store "$STORE" >/dev/null
	wait_until 10 connected "$A"
	fish spawn --name shared >/dev/null
	# A long stream: 40 reads of 128 entries (leases given back).
	redis EVAL "for i = 1, 5120 do redis.call('XADD', KEYS[1], '*', 'seq', redis.call('GET', KEYS[2]), 'from', 'other/x', 'type', 'release', 'rec', '[]') end" \
	    2 'fish:{default}:log' 'fish:{default}:seq' >/dev/null
	touch "$flag"
	env "$@" FISH_HOME="$B" fish start \
	    --store "redis://127.0.0.1:$REDIS_PROXY_PORT" >/dev/null
	assert_equal "$(store_state "$B")" connected
}

@test "a find on a listener still reading the stream while its disk is full too says to try again once the store is back, not once there is room" {
	local flag
	local unread="fish: the session's store has not been read yet (reading the stream); try again once it is back"
	needs_test_hooks
	# B's journal (the cache) finds no room for the hook an unnamed
	# spawn writes (a test build's full disk).
	start_b_reading_slowly FISH_TEST_FULL_DISK=1
	on_b fish spawn >/dev/null 2>&1 || true
	wait_until 10 eval 'on_b fish status --json | grep -q journal_no_room_since'
	run --separate-stderr on_b fish wait shared --timeout 1s
	assert_failure 3
	assert_equal "$stderr" "$unread"
	rm "$flag"
}

@test "a named spawn on a listener still reading the stream exits 3, rather than make a second hook of that name" {
	local flag
	local unread="fish: the session's store has not been read yet (reading the stream); try again once it is back"
	start_b_reading_slowly
	run --separate-stderr on_b fish spawn --name shared
	assert_failure 3
	assert_equal "$stderr" "$unread"
	run --separate-stderr on_b fish ls
	assert_failure 3
	assert_equal "$stderr" "$unread"

	rm "$flag"
	wait_until 10 eval '[ "$(on_b fish ls | grep -c shared)" = 1 ]'
	run on_b fish spawn --name shared
	assert_success
	run fish ls
	assert_success
	assert_equal "$(grep -c shared <<<"$output")" 1
}

# stopped HOME: succeed once that listener has stopped.
stopped() {
	[[ $(FISH_HOME=$1 fish status 2>&1) == *": not running" ]]
}

@test "a Redis restarted without the session's entries stops its listeners as they reconnect, before any append" {
	local url
	start_both
	url=$(fish spawn --name gone)
	[ "$(http_post "$url" '{"n":1}')" = 200 ]
	wait_until 10 eval '[ "$(on_b fish ls | grep -c gone)" = 1 ]'

	# Redis comes back empty, as one without persistence does: its seq
	# counter is below what each listener saw.
	redis_kill
	rm -rf "$REDIS_DIR/appendonlydir"
	redis_start
	wait_until 15 stopped "$A"
	wait_until 15 stopped "$B"
	grep -q "Redis lost entries of the session: its last seq is 0, below 2 seen" \
	    "$A/sessions/default/listener.log"
	grep -q "Redis lost entries of the session: its last seq is 0, below 2 seen" \
	    "$B/sessions/default/listener.log"
	grep -q "stopping: the next start reads the session from Redis again" \
	    "$B/sessions/default/listener.log"

	# Started again, they read the session as Redis has it now.
	url=$(fish spawn --name again)
	[ "$(http_post "$url" '{"n":3}')" = 200 ]
	run on_b fish wait again --timeout 10s
	assert_success
	assert_output '{"n":3}'
}

# redis_restart_empty: Redis comes back without the session's entries,
# as one without persistence does.
redis_restart_empty() {
	redis_kill
	rm -rf "$REDIS_DIR/appendonlydir"
	redis_start
}

@test "a listener in the foreground that finds Redis lost entries exits 3, and a wait in flight says why" {
	local url pid waiter
	fish start --foreground --store "$STORE" </dev/null >/dev/null 2>&1 3>&- &
	pid=$!
	wait_until 10 connected "$A"
	url=$(fish spawn --name gone)
	fish spawn --name idle >/dev/null
	fish wait idle --timeout 30s >"$BATS_TEST_TMPDIR/w.out" \
	    2>"$BATS_TEST_TMPDIR/w.err" 3>&- &
	waiter=$!
	# In poll(2), waiting for the listener's answer.
	wait_until 10 eval '[[ $(cat "/proc/$waiter/wchan") == *poll* ]]'

	redis_restart_empty
	reap "$waiter" 15
	assert_equal "$status" 3
	assert_equal "$(cat "$BATS_TEST_TMPDIR/w.err")" \
	    "fish: session 'default' was stopped: Redis lost entries of the session: its last seq is 0, below 2 seen"
	reap "$pid" 10
	assert_equal "$status" 3
}

@test "a listener that saw seq N stops when Redis comes back with its counter below N, with no append" {
	start_both
	fish spawn --name first >/dev/null
	wait_until 10 eval '[ "$(on_b fish ls | grep -c first)" = 1 ]'

	# B saw seq 1, the last Redis gave; emptied, Redis would give 1
	# again: B, which wrote nothing, checks the counter as it reconnects.
	redis_restart_empty
	wait_until 15 stopped "$B"
	grep -q "Redis lost entries of the session: its last seq is 0, below 1 seen" \
	    "$B/sessions/default/listener.log"
}

@test "a listener stops as it reconnects to a Redis come back from a copy older than its own append's reply, its follower behind" {
	local url id deaf=$BATS_TEST_TMPDIR/deaf log=$BATS_TEST_TMPDIR/follower
	redis CONFIG SET appendfsync always >/dev/null
	redis_proxy_start deafen "$deaf" "$log"
	fish start --store "redis://127.0.0.1:$REDIS_PROXY_PORT" >/dev/null
	wait_until 10 connected "$A"
	url=$(fish spawn --name h)
	# Seq 1, followed: the follower asks for what comes after it.
	id=$(redis XRANGE 'fish:{default}:log' - + | head -1)
	wait_until 10 grep -qF "$id" "$log"
	cp -a "$REDIS_DIR/appendonlydir" "$BATS_TEST_TMPDIR/seq1"

	# Seq 2: its append's reply comes, the follower hears nothing.
	touch "$deaf"
	[ "$(http_post "$url" '{"n":1}')" = 200 ]
	# Redis comes back from a copy taken at seq 1.
	redis_kill
	rm -rf "$REDIS_DIR/appendonlydir"
	cp -a "$BATS_TEST_TMPDIR/seq1" "$REDIS_DIR/appendonlydir"
	rm "$deaf"
	redis_start
	# Its counter at 1, below the 2 A's reply gave: A stops as it
	# reconnects, before an append takes seq 2 again.
	wait_until 15 stopped "$A"
	grep -q "Redis lost entries of the session: its last seq is 1, below 2 seen" \
	    "$A/sessions/default/listener.log"
}

@test "a listener stops when the stream lost an entry it wrote though the seq counter did not go back, its follower behind" {
	local url id deaf=$BATS_TEST_TMPDIR/deaf log=$BATS_TEST_TMPDIR/follower
	redis_proxy_start deafen "$deaf" "$log"
	fish start --store "redis://127.0.0.1:$REDIS_PROXY_PORT" >/dev/null
	on_b fish start --store "$STORE" >/dev/null
	wait_until 10 connected "$A"
	wait_until 10 connected "$B"
	url=$(fish spawn --name h)
	id=$(redis XRANGE 'fish:{default}:log' - + | head -1)
	wait_until 10 grep -qF "$id" "$log"
	# Seq 2: its append's reply comes, A's follower hears nothing.
	touch "$deaf"
	[ "$(http_post "$url" '{"n":1}')" = 200 ]
	# The entry goes (as with a failover to a replica that lacked it,
	# whose counter others' appends brought back): the counter stays.
	id=$(redis XREVRANGE 'fish:{default}:log' + - COUNT 1 | head -1)
	[ "$(redis XDEL 'fish:{default}:log' "$id")" = 1 ]
	# Seq 3, B's: above every seq A saw or was given.
	on_b fish spawn --name other >/dev/null
	rm "$deaf"
	wait_until 15 stopped "$A"
	grep -q "Redis lost entries of the session: seq 3 came, but not the entry of seq 2 this listener wrote before it" \
	    "$A/sessions/default/listener.log"
}

@test "a Redis that lost the session's entries, its connections kept, refuses the next append whole: the callback gets 503 and is in no stream" {
	local url
	needs_test_hooks
	# No check of the counter comes first (one a heartbeat).
	export FISH_TEST_HEARTBEAT_MS=600000
	start_both
	url=$(fish spawn --name gone)
	[ "$(http_post "$url" '{"n":1}')" = 200 ]
	redis FLUSHALL >/dev/null
	[ "$(http_post "$url" '{"n":2}')" = 503 ]
	# Not added: no listener, running or started later, delivers it.
	assert_equal "$(redis XLEN 'fish:{default}:log')" 0
	assert_equal "$(redis GET 'fish:{default}:seq')" ""
	wait_until 10 stopped "$A"
	grep -q "Redis lost entries of the session: its last seq is 0, below 2 seen" \
	    "$A/sessions/default/listener.log"
}

@test "a listener whose Redis lost the session's entries, its connections kept, stops within a heartbeat with no append" {
	needs_test_hooks
	export FISH_TEST_HEARTBEAT_MS=1000
	start_both
	fish spawn --name first >/dev/null
	wait_until 10 eval '[ "$(on_b fish ls | grep -c first)" = 1 ]'
	redis FLUSHALL >/dev/null
	wait_until 10 stopped "$A"
	wait_until 10 stopped "$B"
	grep -q "Redis lost entries of the session: its last seq is 0, below 1 seen" \
	    "$B/sessions/default/listener.log"
}

@test "a session whose stream goes back in seq fails to start, saying so in one line" {
	# Its seq key reset by hand: entries after it take seqs again.
	redis XADD 'fish:{default}:log' '*' seq 5 from other/n.1 type 1 \
	    rec '{}' >/dev/null
	redis XADD 'fish:{default}:log' '*' seq 2 from other/n.2 type 1 \
	    rec '{}' >/dev/null
	run --separate-stderr fish start --store "$STORE"
	assert_failure 3
	assert_equal "$stderr" "fish: cannot start the listener of session 'default': the session's stream in Redis is out of order (Redis lost entries of the session: seq 2 came after 5)"
}

@test "FISH_STORE is picked up by fish start and by a command that starts the listener" {
	local url
	export FISH_STORE=$STORE
	fish start >/dev/null
	assert_equal "$(status_field /store)" "$STORE/0"
	url=$(on_b fish spawn --name auto)
	wait_until 10 connected "$B"
	assert_equal "$(on_b fish status --json | fish field /store)" \
	    "$STORE/0"
	[ "$(http_post "$url" '{"auto":1}')" = 200 ]
	wait_until 10 connected "$A"
	run fish wait auto --timeout 10s
	assert_success
	assert_output '{"auto":1}'
}

@test "a running session with another store is already running with other settings" {
	fish start >/dev/null
	run --separate-stderr fish start --store "$STORE"
	assert_failure
	[[ $stderr == *"already running with other settings"* ]]
}

@test "a token no listener of the session knows still gets 404" {
	local url
	start_both
	url="$(status_field /url)/abcdefghijkmnopqrstuvwxyz2345678"
	assert_equal "$(http_post "$url" '{}')" 404
	assert_equal "$(status_field /not_found)" 1
}

# follower_blocked: succeed once a client of Redis is blocked in XREAD (a
# follower), setting follower to its address.
follower_blocked() {
	follower=$(redis CLIENT LIST | sed -n 's/.* addr=\([^ ]*\) .* cmd=xread .*/\1/p')
	[ -n "$follower" ]
}

@test "a flood of requests for unknown tokens shares its catch-up reads" {
	local port monitor=$BATS_TEST_TMPDIR/monitor mon n follower
	fish start --store "$STORE" >/dev/null
	wait_until 10 connected "$A"
	port=$(port_of "$(status_field /url)")
	# The follower's connection is the one that blocks in XREAD.
	wait_until 10 follower_blocked
	redis-cli -p "$REDIS_PORT" MONITOR >"$monitor" &
	mon=$!
	wait_until 5 grep -q OK "$monitor"
	# Redis holds every command for a moment: the 50 requests' catch-ups
	# are all asked for while the first read is in flight.
	redis CLIENT PAUSE $((300 * TEST_SLOW)) ALL >/dev/null
	run python3 "$FISH_SRC_DIR/test/helpers/scan.py" "$port" 50 together
	assert_output '404 x50'
	redis ECHO fish-flood-done >/dev/null
	wait_until 5 grep -q fish-flood-done "$monitor"
	kill "$mon"
	# Catch-ups are range reads on the store's connection; the follower's
	# connection makes range reads of its own.
	n=$(grep '"EVAL" "local id, out, used' "$monitor" |
	    grep -cvF "[0 $follower]" || true)
	# Each read serves all asked for while the one before was in flight:
	# a few rounds, not one read per request (more for a slow listener,
	# under valgrind, that takes the requests in more rounds).
	((n >= 1 && n <= 12 * TEST_SLOW)) ||
	    fail "$n catch-up reads for 50 requests"
}

@test "a callback whose record Redis does not acknowledge in time gets 503, and is delivered once it does" {
	local url port_b
	start_both
	port_b=$(port_of "$(on_b fish status --json | fish field /url)")
	url=$(fish spawn --name slow)
	# Stopped, not gone: the connection stays up, the append unanswered.
	kill -STOP "$REDIS_PID"
	run curl -sS -i --max-time 20 --data-binary '{"slow":1}' \
	    "$(on_port "$url" "$port_b")"
	kill -CONT "$REDIS_PID"
	assert_line --regexp '^HTTP/1.1 503'
	assert_line --regexp '^Retry-After: 1'
	# At least once: the record was added when Redis went on.
	run fish wait slow --timeout 15s
	assert_success
	assert_output '{"slow":1}'
}

@test "a request refused while Redis is slow to acknowledge its record is in the log run right after" {
	local hook big
	fish start --store "$STORE" --max-header 16KiB >/dev/null
	wait_until 10 connected "$A"
	hook=$(fish spawn --name inbox)
	big=$(head -c 20000 /dev/zero | tr '\0' a)
	# Redis holds every write for half a second: the 431 is answered at
	# once, its record acknowledged, and numbered, only then.
	redis CLIENT PAUSE 500 WRITE >/dev/null
	assert_equal "$(http_post "$hook/h" '{}' -H "X-Big: $big")" 431
	run fish log
	assert_success
	# Under its number from Redis, as every later log shows it.
	assert_line --regexp '^← .*  #[0-9]{1,9}  inbox  - /h  431 refused: headers too large$'
}

# messages_are N: succeed once the listener counts N messages received,
# durable or not.
messages_are() {
	[ "$(status_field /messages)" = "$1" ]
}

# logged N: succeed once fish log shows N messages.
logged() {
	[ "$(fish log --json | json_seqs | wc -l)" -eq "$1" ]
}

@test "a tail begun while a record waits for Redis begins after the last durable entry" {
	local hook post after seqs first pending
	fish start --store "$STORE" >/dev/null
	wait_until 10 connected "$A"
	hook=$(fish spawn --name inbox)
	post "$hook/first" a
	# Redis stopped under a callback: its message is in the index under
	# a provisional number, above every real one, until Redis gives it
	# its own.
	kill -STOP "$REDIS_PID"
	http_code "$hook/pending" --data-binary b --max-time 30 \
	    >"$BATS_TEST_TMPDIR/code" 3>&- &
	post=$!
	wait_until 10 messages_are 2
	run control_py tail-after
	kill -CONT "$REDIS_PID"
	assert_success
	after=$output
	reap "$post"
	wait_until 10 logged 2
	seqs=$(fish log --json | json_seqs | tr '\n' ' ')
	# After the first message, before the one that waited: a tail that
	# lost its listener resumes there, and misses nothing that came
	# meanwhile (were "after" the provisional number, it would miss all).
	read -r first pending <<<"$seqs"
	((after >= first && after < pending)) ||
	    fail "the tail begins after $after; the messages are $seqs"
}

# tail_has FILE PATH...: succeed once the tail writing FILE printed an
# entry of each PATH.
tail_has() {
	local file=$1 path
	shift
	for path; do
		grep -qF "\"path\":\"$path\"" "$file" || return
	done
}

@test "a tail that loses its listener prints what another listener wrote before its own, its follower behind, once and in order" {
	local url port_b seqs deaf=$BATS_TEST_TMPDIR/deaf
	local out=$BATS_TEST_TMPDIR/tail.out
	redis_proxy_start deafen "$deaf" "$BATS_TEST_TMPDIR/follower"
	fish start --store "redis://127.0.0.1:$REDIS_PROXY_PORT" >/dev/null
	on_b fish start --store "$STORE" >/dev/null
	wait_until 10 connected "$A"
	wait_until 10 connected "$B"
	url=$(fish spawn --name inbox)
	port_b=$(port_of "$(on_b fish status --json | fish field /url)")
	wait_until 10 eval '[ "$(on_b fish ls | grep -c inbox)" = 1 ]'
	start_tail "$out" "$url" --json

	# A's follower hears nothing from now on: B's message, numbered
	# first, does not reach A; A's own, numbered after it, is durable
	# here once its append's reply came, as its 200 says.
	touch "$deaf"
	post "$(on_port "$url" "$port_b")/b" b
	post "$url/a" a
	# A dies before its follower brought B's message.  The tail, stopped
	# meanwhile, reads what A sent it, then restarts A (its follower
	# hears again) and resumes.
	kill -STOP "$tail_pid"
	kill_listener
	rm "$deaf"
	kill -CONT "$tail_pid"
	wait_until 20 tail_has "$out" /b /a ||
	    fail "the tail printed $(grep -o '"path":"[^"]*"' "$out" | tr '\n' ' ')"
	kill -INT "$tail_pid"
	reap "$tail_pid"
	# Each entry once, in number order.
	assert_equal "$(grep -c '"path":"/b"' "$out")" 1
	assert_equal "$(grep -c '"path":"/a"' "$out")" 1
	seqs=$(json_seqs "$out")
	assert_equal "$seqs" "$(sort -nu <<<"$seqs")"
}

@test "a tail prints its listener's own message at its append's reply when nothing can come below it, the follower deaf; held back behind another listener's it has not read" {
	local inbox port_b seqs deaf=$BATS_TEST_TMPDIR/deaf
	local out=$BATS_TEST_TMPDIR/tail.out
	redis_proxy_start deafen "$deaf" "$BATS_TEST_TMPDIR/follower"
	fish start --store "redis://127.0.0.1:$REDIS_PROXY_PORT" >/dev/null
	on_b fish start --store "$STORE" >/dev/null
	wait_until 10 connected "$A"
	wait_until 10 connected "$B"
	inbox=$(fish spawn --name inbox)
	port_b=$(port_of "$(on_b fish status --json | fish field /url)")
	wait_until 10 eval '[ "$(on_b fish ls | grep -c inbox)" = 1 ]'
	# A message of B's, which only the follower brings: A's follower
	# has read the stream to its end.
	start_tail "$out" "$inbox" --json
	post "$(on_port "$inbox" "$port_b")/first" first
	wait_until 20 tail_has "$out" /first

	# Deaf, the follower reads nothing back; A's own message, numbered
	# right after the last entry it brought, has nothing to wait for.
	touch "$deaf"
	post "$inbox/own" own
	wait_until 20 tail_has "$out" /own ||
	    fail "the tail printed $(grep -o '"path":"[^"]*"' "$out" | tr '\n' ' ')"
	# B's message is numbered before A's next: A's waits for the
	# follower to bring B's.  Durable (its append's reply came): wait
	# has it, the tail not.
	post "$(on_port "$inbox" "$port_b")/b" b
	post "$inbox/own2" own2
	run fish wait inbox --json --timeout 5 --where 'path=/own2'
	assert_success
	run tail_has "$out" /own2
	assert_failure
	run tail_has "$out" /b
	assert_failure
	rm "$deaf"
	wait_until 20 tail_has "$out" /b /own2 ||
	    fail "the tail printed $(grep -o '"path":"[^"]*"' "$out" | tr '\n' ' ')"
	kill -INT "$tail_pid"
	reap "$tail_pid"
	for p in /own /b /own2; do
		assert_equal "$p $(grep -c "\"path\":\"$p\"" "$out")" "$p 1"
	done
	seqs=$(json_seqs "$out")
	assert_equal "$seqs" "$(sort -nu <<<"$seqs")"
}

# tail_resumed PID: succeed once the tail PID is connected to the
# listener now running: one of its sockets' peer is one of the
# listener's.
tail_resumed() {
	local pid
	pid=$(listener_pid) || return
	ss -xpH state established 2>/dev/null | awk -v t="pid=$1," \
	    -v l="pid=$pid," '
		index($0, l) { mine[$5] = 1 }
		index($0, t) { peer[$7] = 1 }
		END { for (i in peer) if (i in mine) exit 0; exit 1 }'
}

# held_tail STORE: start A on STORE and B on the test's Redis; spawn
# inbox and held (--hold) on A, and wait until B has them; start a tail
# of inbox on A into $out.  Set url, held and port_b.
held_tail() {
	fish start --store "$1" >/dev/null
	on_b fish start --store "$STORE" >/dev/null
	wait_until 10 connected "$A"
	wait_until 10 connected "$B"
	url=$(fish spawn --name inbox)
	held=$(fish spawn --name held --hold --hold-timeout 60s)
	port_b=$(port_of "$(on_b fish status --json | fish field /url)")
	wait_until 10 eval '[ "$(on_b fish ls | grep -c held)" = 1 ]'
	start_tail "$out" "$url" --json
}

@test "a tail resumed on a listener that reads the stream slowly prints nothing its client printed, but an answer that came meanwhile, and goes on" {
	local url held port_b seq seqs p slow=$BATS_TEST_TMPDIR/slow
	local out=$BATS_TEST_TMPDIR/tail.out
	redis_proxy_start hold "$slow" budget
	held_tail "redis://127.0.0.1:$REDIS_PROXY_PORT"
	post "$(on_port "$url" "$port_b")/one" one
	curl -sS -o /dev/null --max-time 60 -d h \
	    "$(on_port "$held" "$port_b")/h" 3>&- &
	post "$(on_port "$url" "$port_b")/two" two
	wait_until 10 tail_has "$out" /one /h /two
	seq=$(grep -F '"path":"/h"' "$out" | fish field /seq)
	# A dies; restarted by the tail, it reads the stream (the range
	# script) only once $slow is gone: the tail resumes after /two on a
	# listener whose timeline is complete below /one.  B answers /h
	# meanwhile: the client saw it held, never answered.
	touch "$slow"
	kill -STOP "$tail_pid"
	kill_listener
	on_b fish reply "$seq" --body done
	kill -CONT "$tail_pid"
	wait_until 20 test -s "$slow.hit"
	wait_until 20 tail_resumed "$tail_pid"
	rm "$slow"
	post "$(on_port "$url" "$port_b")/three" three
	wait_until 20 tail_has "$out" /three ||
	    fail "the tail printed $(grep -o '"path":"[^"]*"' "$out" | tr '\n' ' ')"
	kill -INT "$tail_pid"
	reap "$tail_pid"
	for p in /one /two /three; do
		assert_equal "$p $(grep -c "\"path\":\"$p\"" "$out")" "$p 1"
	done
	# /h twice: held, then with its answer.
	assert_equal "$(grep -F '"path":"/h"' "$out" | grep -c '"answer"')" 1
	assert_equal "$(grep -c '"path":"/h"' "$out")" 2
	seqs=$(grep -vF '"answer"' "$out" | json_seqs)
	assert_equal "$seqs" "$(sort -nu <<<"$seqs")"
}

# answered_here SEQ: succeed once this listener shows message SEQ with
# its answer.
answered_here() {
	fish show "$1" --json 2>/dev/null | grep -qF '"answer"'
}

# resume_after_answer SEQ [REPLY_ARG...]: with the tail's client
# stopped, kill A; B answers message SEQ; start A again and wait until it
# has read the answer; then let the client go on, and wait until it has
# resumed on A.
resume_after_answer() {
	local seq=$1
	shift
	kill -STOP "$tail_pid"
	kill_listener
	on_b fish reply "$seq" "$@" --body done
	fish start --store "$STORE" >/dev/null
	wait_until 10 connected "$A"
	wait_until 20 answered_here "$seq"
	kill -CONT "$tail_pid"
	wait_until 20 tail_resumed "$tail_pid"
}

# end_tail_printed_h N PATH...: end the tail writing $out, once it
# printed the last PATH; check that it printed each PATH once, and /h N
# times, once with its answer.
end_tail_printed_h() {
	local n=$1 p
	shift
	wait_until 20 tail_has "$out" "${@: -1}" ||
	    fail "the tail printed $(grep -o '"path":"[^"]*"' "$out" | tr '\n' ' ')"
	kill -INT "$tail_pid"
	reap "$tail_pid"
	for p; do
		assert_equal "$p $(grep -c "\"path\":\"$p\"" "$out")" "$p 1"
	done
	assert_equal "$(grep -F '"path":"/h"' "$out" | grep -c '"answer"')" 1
	assert_equal "$(grep -c '"path":"/h"' "$out")" "$n"
}

@test "a tail resumed on a listener that read the answer of a held request before it came back prints that answer, once" {
	local url held port_b seq
	local out=$BATS_TEST_TMPDIR/tail.out
	held_tail "$STORE"
	curl -sS -o /dev/null --max-time 60 -d h \
	    "$(on_port "$held" "$port_b")/h" 3>&- &
	post "$(on_port "$url" "$port_b")/two" two
	wait_until 10 tail_has "$out" /h /two
	seq=$(grep -F '"path":"/h"' "$out" | fish field /seq)
	# A dies with the tail's client stopped, which printed /h held.  B
	# answers it; A, started again, reads the stream to its end, the
	# answer too, before the client comes back: its timeline is past
	# /h and /two when the client resumes after /two.
	resume_after_answer "$seq"
	post "$(on_port "$url" "$port_b")/three" three
	# /h twice: held, then with its answer, before /three.
	end_tail_printed_h 2 /two /three
	assert_equal "$(grep -o '"path":"[^"]*"' "$out" | tail -n 2 |
	    tr '\n' ' ')" '"path":"/h" "path":"/three" '
}

@test "a tail filtered on a status prints the answer it matches of a held request it passed over, when resumed on a listener that read the answer before it came back" {
	local acc held port_b seq
	local out=$BATS_TEST_TMPDIR/tail.out
	start_both
	acc=$(fish spawn --name acc --status 202)
	held=$(fish spawn --name held --hold --hold-timeout 60s)
	port_b=$(port_of "$(on_b fish status --json | fish field /url)")
	wait_until 10 eval '[ "$(on_b fish ls | grep -c held)" = 1 ]'
	start_tail "$out" "$acc" --status 202 --json
	# /h, held, has no status yet: the tail passes it over, and prints
	# /two, after it.
	curl -sS -o /dev/null --max-time 60 -d h \
	    "$(on_port "$held" "$port_b")/h" 3>&- &
	wait_until 10 eval 'on_b fish log --json | grep -qF "\"path\":\"/h\""'
	assert_equal "$(http_code "$(on_port "$acc" "$port_b")/two" -d two)" 202
	wait_until 10 tail_has "$out" /two
	seq=$(on_b fish log --json | grep -F '"path":"/h"' | fish field /seq)
	# A dies; B answers /h 202; A, started again, reads the answer
	# before the client comes back and resumes after /two.
	resume_after_answer "$seq" --status 202
	assert_equal "$(http_code "$(on_port "$acc" "$port_b")/three" -d x)" 202
	# /h once, with its answer, before /three.
	end_tail_printed_h 1 /two /three
	assert_equal "$(grep -o '"path":"[^"]*"' "$out" | tail -n 2 |
	    tr '\n' ' ')" '"path":"/h" "path":"/three" '
}

@test "a tail resumed on a listener that reads the stream slowly does not print again an answer its client printed" {
	local url held port_b seq slow=$BATS_TEST_TMPDIR/slow
	local out=$BATS_TEST_TMPDIR/tail.out
	redis_proxy_start hold "$slow" budget
	held_tail "redis://127.0.0.1:$REDIS_PROXY_PORT"
	curl -sS -o /dev/null --max-time 60 -d h \
	    "$(on_port "$held" "$port_b")/h" 3>&- &
	wait_until 10 tail_has "$out" /h
	seq=$(grep -F '"path":"/h"' "$out" | fish field /seq)
	# The client prints /h held, then with its answer, then /two.
	on_b fish reply "$seq" --body done
	wait_until 10 eval "grep -F '\"path\":\"/h\"' '$out' | grep -qF '\"answer\"'"
	post "$(on_port "$url" "$port_b")/two" two
	wait_until 10 tail_has "$out" /two
	# A dies; restarted by the tail, it reads the stream only once $slow
	# is gone: it applies /h and its answer after the client resumed
	# after /two, and its cursor, stopped below /h, passes it.
	touch "$slow"
	kill -STOP "$tail_pid"
	kill_listener
	kill -CONT "$tail_pid"
	wait_until 20 test -s "$slow.hit"
	wait_until 20 tail_resumed "$tail_pid"
	rm "$slow"
	post "$(on_port "$url" "$port_b")/three" three
	# /h twice: held, then with its answer, before the resume only.
	end_tail_printed_h 2 /two /three
}

@test "a listener's name is its host and an id kept in its session directory, the same after a restart" {
	local name dir=$FISH_HOME/sessions/default target=$BATS_TEST_TMPDIR/target
	fish start --store "$STORE" >/dev/null
	name=$(status_field /listener)
	[[ $name =~ ^.+-[0-9a-f]{8}$ ]]
	assert_equal "$(cat "$dir/listener-id")" "${name##*-}"
	assert_equal "$(stat -c %a "$dir/listener-id")" 600
	fish stop >/dev/null
	fish start >/dev/null
	assert_equal "$(status_field /listener)" "$name"
	fish stop >/dev/null

	# One that is not an id is replaced, and the log says so.
	echo 'not an id' >"$dir/listener-id"
	fish start >/dev/null
	[[ $(status_field /listener) =~ ^.+-[0-9a-f]{8}$ ]]
	[ "$(status_field /listener)" != "$name" ]
	log_has "listener-id is not a listener id: making a new one"
	fish stop >/dev/null

	# A symbolic link is replaced, never followed.
	echo keep >"$target"
	rm "$dir/listener-id"
	ln -s "$target" "$dir/listener-id"
	fish start >/dev/null
	[ ! -L "$dir/listener-id" ]
	assert_equal "$(cat "$target")" keep
	assert_equal "$(cat "$dir/listener-id")" "$(status_field /listener | sed 's/.*-//')"
	fish stop >/dev/null

	# One that cannot be read fails the start, and is left as it is.
	rm "$dir/listener-id"
	mkdir "$dir/listener-id"
	run --separate-stderr fish start
	assert_failure 3
	assert_equal "$stderr" "fish: cannot start the listener of session 'default': cannot read the listener's id from the session's listener-id: Is a directory"
	[ -d "$dir/listener-id" ]
	fish stop --purge >/dev/null
	[ ! -e "$dir" ]
}

@test "a held request whose answer Redis does not acknowledge in time gets 503, and fish stop is not held up" {
	local hook seq sender out=$BATS_TEST_TMPDIR/out
	fish start --store "$STORE" >/dev/null
	wait_until 10 connected "$A"
	hook=$(fish spawn --hold)
	curl -sS -D - --max-time 20 -d 'please' "$hook" >"$out" 3>&- &
	sender=$!
	run fish wait "$hook" --json --timeout 5
	assert_success
	seq=$(fish field /seq <<<"$output")
	# Stopped, not gone: the reply's record is sent and never acknowledged.
	kill -STOP "$REDIS_PID"
	run --separate-stderr fish reply "$seq" --body done
	assert_failure 3
	wait "$sender"
	kill -CONT "$REDIS_PID"
	run cat "$out"
	assert_line --index 0 --regexp '^HTTP/1\.1 503 '
	assert_line --regexp '^Retry-After: 1'
	assert_equal "${lines[-1]}" "the session's store is unreachable, retry later"
	run fish stop
	assert_success
}

@test "a Redis store's cache is never reached through a symbolic link" {
	local target=$BATS_TEST_TMPDIR/elsewhere
	fish start >/dev/null
	fish stop >/dev/null
	mkdir "$target"
	echo keep >"$target/file"
	ln -s "$target" "$FISH_HOME/sessions/default/redis-cache"
	run --separate-stderr fish start --store "$STORE"
	assert_failure 3
	[[ $stderr == *"cannot prepare "*"redis-cache"* ]]
	assert_equal "$(cat "$target/file")" keep
}

@test "a callback waited on at the listener that took it is taken once, under its seq from Redis" {
	local url seq
	fish start --store "$STORE" >/dev/null
	wait_until 10 connected "$A"
	url=$(fish spawn --name here)
	[ "$(http_post "$url" '{"here":1}')" = 200 ]
	# Redis's INCR numbered it: the last seq taken so far.
	seq=$(redis GET 'fish:{default}:seq')
	run --separate-stderr fish wait here --json --timeout 10s
	assert_success
	assert_equal "$stderr" ""
	assert_equal "$(fish field /seq <<<"$output")" "$seq"
	assert_equal "$(fish log --json | json_seqs | head -1)" "$seq"
	# Taken: nothing is left for another wait.
	run fish wait here --timeout 0
	assert_failure 124
}

# leases: print the lease keys of the session "default".
leases() {
	redis --scan --pattern 'fish:{default}:lease:*'
}

# has_leases: succeed once a listener holds a lease of the session.
has_leases() {
	[ -n "$(leases)" ]
}

# no_leases: succeed once no listener holds a lease of the session.
no_leases() {
	[ -z "$(leases)" ]
}

@test "a listener stopped gives back the leases of messages no wait took: another listener's wait has them at once" {
	local url pid
	start_both
	url=$(fish spawn --name back)
	[ "$(http_post "$url" one)" = 200 ]
	# Its batch unfinished, the wait holds the message's lease at A.
	fish wait back --count 2 --timeout 20 >/dev/null 2>&1 3>&- &
	pid=$!
	wait_until 10 has_leases
	fish stop >/dev/null
	reap "$pid"
	assert_equal "$status" 3
	# Stopped between two of its requests or during one, the wait did
	# not start the listener again.
	run fish status
	assert_failure 3
	assert_output "session default: not running"
	# It gives them back once its control socket is closed.
	wait_until 5 no_leases
	# Not 30 s later, when the lease would have expired.
	run on_b fish wait back --timeout 5
	assert_success
	assert_output one
}

# queued_at HOME N: succeed once that listener has N messages queued.
queued_at() {
	[ "$(FISH_HOME=$1 fish status --json | fish field /queued)" = "$2" ]
}

# post_numbers URL N: post the bodies 1 to N to URL, in one curl; each
# must be answered 200.
post_numbers() {
	local url=$1 n=$2 i
	for i in $(seq 1 "$n"); do
		[ "$i" -eq 1 ] || echo next
		printf 'url = "%s"\ndata-binary = "%s"\noutput = /dev/null\nwrite-out = "%%{http_code}\\n"\n' \
		    "$url" "$i"
	done >"$BATS_TEST_TMPDIR/posts"
	run curl -s --config "$BATS_TEST_TMPDIR/posts"
	assert_success
	assert_equal "$(grep -c '^200$' <<<"$output")" "$n"
}

@test "two listeners draining one hook at once take each of its 200 messages once" {
	local url pid_a pid_b
	start_both
	url=$(fish spawn --name pool)
	post_numbers "$url" 200
	wait_until 10 queued_at "$A" 200
	wait_until 10 queued_at "$B" 200
	# Each drain claims its leases ahead, many in flight at once.
	fish wait pool --drain >"$BATS_TEST_TMPDIR/a" 3>&- &
	pid_a=$!
	on_b fish wait pool --drain >"$BATS_TEST_TMPDIR/b" 3>&- &
	pid_b=$!
	reap "$pid_a" 30
	assert_equal "$status" 0
	reap "$pid_b" 30
	assert_equal "$status" 0
	# Every message once: none twice, none left out.
	run sort -n "$BATS_TEST_TMPDIR/a" "$BATS_TEST_TMPDIR/b"
	assert_output "$(seq 1 200)"
	run fish wait pool --timeout 0
	assert_failure 124
	run on_b fish wait pool --timeout 0
	assert_failure 124
}

# stalled: succeed once the batch client (control.py batch) got its
# first message and asks for no more.
stalled() {
	grep -qx stalled "$BATS_TEST_TMPDIR/batch"
}

# stall_drain: start A and B, post 1 to 70 to the hook "pool"; once
# both have them queued, start a drain on A whose first wait is handed 1
# (A claiming 64 more ahead for its next) and whose client then asks for
# nothing more, alive, until $BATS_TEST_TMPDIR/go exists; set
# stalled_pid, its pid.
stall_drain() {
	local url
	start_both
	url=$(fish spawn --name pool)
	post_numbers "$url" 70
	wait_until 10 queued_at "$A" 70
	wait_until 10 queued_at "$B" 70
	control_py batch pool "$BATS_TEST_TMPDIR/go" \
	    >"$BATS_TEST_TMPDIR/batch" 3>&- &
	stalled_pid=$!
	wait_until 10 stalled
}

# leases_left N: succeed once N lease keys of the session are left.
leases_left() {
	[ "$(leases | grep -c .)" = "$1" ]
}

@test "a drain stalled between two waits keeps the leases won ahead for it 2 s at most: another listener's --count has them then" {
	stall_drain
	# B's claims lose to A's leases; A gives them back 2 s after the
	# batch's answer, and B has them then, not when they would expire
	# (30 s).
	run on_b fish wait pool --count 69 --timeout $((6 * TEST_SLOW))
	assert_success
	assert_equal "$(sort -n <<<"$output")" "$(seq 2 70)"
	touch "$BATS_TEST_TMPDIR/go"
	reap "$stalled_pid"
	assert_equal "$status" 0
	assert_equal "$(head -1 "$BATS_TEST_TMPDIR/batch")" 1
}

@test "a drain stalled past its keep time, then killed -9: every lease won for it goes back, another listener's --count has all at once" {
	stall_drain
	# The leases won ahead go back once its keep time (2 s) is over:
	# only that of the message out to it is left.
	wait_until 5 leases_left 1
	kill -9 "$stalled_pid"
	reap "$stalled_pid"
	# Its message goes back as its connection closes.
	run on_b fish wait pool --count 70 --timeout $((5 * TEST_SLOW))
	assert_success
	assert_equal "$(sort -n <<<"$output")" "$(seq 1 70)"
	run fish wait pool --timeout 0
	assert_failure 124
}

@test "a spawn and a close whose records Redis does not acknowledge in time exit 3, and are stored once when it goes on" {
	local start open_token
	fish start --store "$STORE" >/dev/null
	wait_until 10 connected "$A"
	open_token=$(fish spawn --name open)
	open_token=${open_token##*/}
	# Stopped, not gone: the appends go unanswered, then the connection
	# is dropped (no reply in 5 s) with them unacknowledged.
	kill -STOP "$REDIS_PID"
	start=$SECONDS
	run --separate-stderr fish spawn --name late
	assert_failure 3
	assert_equal "$stderr" "fish: the session's store got no acknowledgement from Redis within 3s (redis: connected); not acknowledged, though it may still be stored once the store is back"
	run --separate-stderr fish close open
	assert_failure 3
	[[ $stderr == "fish: the session's store got no acknowledgement from Redis within 3s (redis: "*"); not acknowledged, though it may still be stored once the store is back" ]]
	# Each within its bound, not until Redis is back.
	[ $((SECONDS - start)) -lt 12 ]
	kill -CONT "$REDIS_PID"
	wait_until 15 connected "$A"
	# Stored once each: no record lost, none doubled.
	wait_until 15 eval 'fish ls | grep -q late'
	run bash -c "redis-cli -p $REDIS_PORT XRANGE 'fish:{default}:log' - + | grep -c '\"name\":\"late\"'"
	assert_output 1
	run bash -c "redis-cli -p $REDIS_PORT XRANGE 'fish:{default}:log' - + | grep -cx '{\"token\":\"$open_token\"}'"
	assert_output 1
	# The close took effect: a wait on the hook ends as closed.
	run fish wait open --timeout 1s
	assert_failure 4
}

@test "a send whose record Redis does not acknowledge within its --timeout exits 3, and never leaves" {
	local hook start
	fish start --store "$STORE" >/dev/null
	wait_until 10 connected "$A"
	hook=$(fish spawn --name target)
	kill -STOP "$REDIS_PID"
	start=$SECONDS
	run --separate-stderr fish send --timeout 1s --json '{"sent":1}' "$hook"
	assert_failure 3
	assert_equal "$stderr" "fish: send: POST $hook: the session's store got no acknowledgement from Redis within 1s (redis: connected); the request did not leave"
	[ $((SECONDS - start)) -lt 6 ]
	kill -CONT "$REDIS_PID"
	wait_until 15 connected "$A"
	# Its start and its outcome are stored once Redis goes on, once each.
	wait_until 15 eval "redis-cli -p $REDIS_PORT XRANGE 'fish:{default}:log' - + | grep -q 'did not leave'"
	run bash -c "redis-cli -p $REDIS_PORT XRANGE 'fish:{default}:log' - + | grep -c '\"sent_at\"'"
	assert_output 1
	run bash -c "redis-cli -p $REDIS_PORT XRANGE 'fish:{default}:log' - + | grep -cx '{\"sent\":1}'"
	assert_output 1
	# The request never left: the hook got nothing.
	run fish wait target --timeout 1s
	assert_failure 124
}

# appended: print how many records listener A wrote to its journal since
# it started.
appended() {
	fish status --json | fish field /journal_appended
}

# disconnected HOME: succeed once that listener has lost its Redis.
disconnected() {
	! connected "$1"
}

# Under scripts/test --valgrind or --enable-asan, the leak checks of the
# listener's exit are what these two are about: what waited for Redis
# when the listener stopped must be freed.
@test "fish stop after a send given up while Redis is paused stops the listener, the request freed" {
	local hook
	fish start --store "$STORE" >/dev/null
	wait_until 10 connected "$A"
	hook=$(fish spawn --name target)
	kill -STOP "$REDIS_PID"
	run --separate-stderr fish send --timeout 1s --json '{"sent":1}' "$hook"
	assert_failure 3
	# Its start is never acknowledged now: its outcome waits for it.
	redis_kill
	wait_until 10 disconnected "$A"
	run fish stop
	assert_success
}

@test "fish stop while a retry's next attempt waits for a paused Redis says that attempt never left, not the request" {
	local hook before sender err=$BATS_TEST_TMPDIR/send.err
	fish start --store "$STORE" >/dev/null
	wait_until 10 connected "$A"
	hook=$(fish spawn --name target --status 503 -H 'Retry-After: 2')
	before=$(appended)
	fish send --retry 1 --timeout 60s --json '{"sent":1}' "$hook" \
	    >/dev/null 2>"$err" &
	sender=$!
	# The first attempt left, and was answered 503: its start, the
	# hook's message and its outcome; the second waits out Retry-After.
	wait_until 10 eval '[ "$(appended)" -ge $((before + 3)) ]'
	kill -STOP "$REDIS_PID"
	# The second attempt's start is journaled, and waits for Redis.
	wait_until 10 eval '[ "$(appended)" -ge $((before + 4)) ]'
	redis_kill
	wait_until 10 disconnected "$A"
	run fish stop
	assert_success
	reap "$sender"
	assert_equal "$status" 3
	assert_equal "$(cat "$err")" \
	    "fish: send: POST $hook: session 'default' was stopped before attempt 2 left"
	log_has "POST $hook: attempt 2 not sent: session 'default' was stopped before its start was stored$" ||
	    fail "no 'attempt 2 not sent' line in the listener's log"
}

@test "fish stop while a send waits for a paused Redis ends the send, and stops the listener" {
	local hook before sender
	fish start --store "$STORE" >/dev/null
	wait_until 10 connected "$A"
	hook=$(fish spawn --name target)
	before=$(appended)
	kill -STOP "$REDIS_PID"
	fish send --timeout 60s --json '{"sent":1}' "$hook" \
	    >"$BATS_TEST_TMPDIR/send.out" 2>"$BATS_TEST_TMPDIR/send.err" &
	sender=$!
	# The listener has journaled the send's start, and waits for Redis.
	wait_until 10 eval '[ "$(appended)" -gt "$before" ]'
	redis_kill
	wait_until 10 disconnected "$A"
	stop_ends_send "$sender" "$hook"
}

# short_leases: leases of $lease ms (a test build's FISH_TEST_LEASE_MS)
# for the listeners started after it, not 30 s.
short_leases() {
	needs_test_hooks
	lease=$((1000 * TEST_SLOW))
	export FISH_TEST_LEASE_MS=$lease
}

@test "a batch that gathers longer than a lease keeps its messages' leases: another listener's wait does not get them, each is printed once" {
	local url pid lease
	short_leases
	start_both
	url=$(fish spawn --name slow)
	[ "$(http_post "$url" one)" = 200 ]
	fish wait slow --count 2 --timeout $((30 * TEST_SLOW)) \
	    >"$BATS_TEST_TMPDIR/a" 3>&- &
	pid=$!
	wait_until 10 has_leases
	# Three lease times: A renews the lease of the message out to its
	# batch, so B's claims keep losing.
	run on_b fish wait slow --timeout $((3 * TEST_SLOW))
	assert_failure 124
	[ "$(http_post "$url" two)" = 200 ]
	reap "$pid"
	assert_equal "$status" 0
	assert_equal "$(cat "$BATS_TEST_TMPDIR/a")" "$(printf 'one\ntwo')"
	run on_b fish wait slow --timeout 0
	assert_failure 124
}

@test "a batch whose lease another listener holds now prints none of it and leaves every message queued" {
	local url pid key lease
	short_leases
	start_both
	url=$(fish spawn --name lost)
	[ "$(http_post "$url" one)" = 200 ]
	fish wait lost --count 2 --timeout $((30 * TEST_SLOW)) \
	    >"$BATS_TEST_TMPDIR/a" 2>"$BATS_TEST_TMPDIR/a.err" 3>&- &
	pid=$!
	wait_until 10 has_leases
	key=$(leases)
	# As if A's renewals had failed for a lease time (Redis out of its
	# reach) and B had claimed the message meanwhile.
	redis SET "$key" 'b-listener/x.1' PX 600000 >/dev/null
	wait_until $((5 * TEST_SLOW)) log_has "lease lapsed while out here"
	[ "$(http_post "$url" two)" = 200 ]
	reap "$pid"
	assert_equal "$status" 1
	assert_equal "$(cat "$BATS_TEST_TMPDIR/a")" ""
	run cat "$BATS_TEST_TMPDIR/a.err"
	assert_output --partial "the lease of message "
	assert_output --partial "lapsed while the batch gathered"
	# The status is the one wait's help and the man page give it.
	run fish wait --help
	assert_output --partial "so too, exit 1, when a lease lapsed (Redis)"
	grep -q "^held message's lease lapsed on its Redis store" \
	    "$FISH_SRC_DIR/man/fish.1"
	# Both stay queued; that of the lapsed lease is another's to give.
	redis DEL "$key" >/dev/null
	run fish wait lost --count 2 --timeout $((5 * TEST_SLOW))
	assert_success
	assert_output "$(printf 'one\ntwo')"
}

@test "a batch waiting for a message that never comes ends as its lease lapses: exit 1, none printed, the others queued again at once" {
	local url pid key lease
	short_leases
	start_both
	url=$(fish spawn --name idle)
	[ "$(http_post "$url" one)" = 200 ]
	fish wait idle --count 3 --timeout $((60 * TEST_SLOW)) \
	    >"$BATS_TEST_TMPDIR/a" 2>"$BATS_TEST_TMPDIR/a.err" 3>&- &
	pid=$!
	wait_until 10 has_leases
	key=$(leases)
	[ "$(http_post "$url" two)" = 200 ]
	wait_until 10 eval '[ "$(leases | wc -l)" -eq 2 ]'
	# As if A's renewals had failed and B had claimed "one" meanwhile;
	# no third message comes, and the wait's deadline is far.
	redis SET "$key" 'b-listener/x.1' PX 600000 >/dev/null
	wait_until $((10 * TEST_SLOW)) eval '! kill -0 "$pid" 2>/dev/null'
	reap "$pid"
	assert_equal "$status" 1
	assert_equal "$(cat "$BATS_TEST_TMPDIR/a")" ""
	run cat "$BATS_TEST_TMPDIR/a.err"
	assert_output --partial "lapsed while the batch gathered"
	# "two" was given back with the batch: the next wait has it.
	run fish wait idle --timeout $((5 * TEST_SLOW))
	assert_success
	assert_output two
}

@test "a batch gathering while Redis is full keeps its leases: it is printed whole once Redis has room" {
	local url pid lease
	short_leases
	start_both
	url=$(fish spawn --name full)
	[ "$(http_post "$url" one)" = 200 ]
	fish wait full --count 2 --timeout $((60 * TEST_SLOW)) \
	    >"$BATS_TEST_TMPDIR/a" 2>"$BATS_TEST_TMPDIR/a.err" 3>&- &
	pid=$!
	wait_until 10 has_leases
	redis CONFIG SET maxmemory-policy noeviction >/dev/null
	redis CONFIG SET maxmemory 1 >/dev/null
	# Three lease times full: B's claims are refused, A's renewals not.
	run on_b fish wait full --timeout $((3 * TEST_SLOW))
	assert_failure
	redis CONFIG SET maxmemory 0 >/dev/null
	[ "$(http_post "$url" two)" = 200 ]
	reap "$pid"
	assert_equal "$status" 0
	assert_equal "$(cat "$BATS_TEST_TMPDIR/a")" "$(printf 'one\ntwo')"
	run on_b fish wait full --timeout 0
	assert_failure 124
}

@test "a drain stalled for three leases: the message out to it keeps its lease, those claimed ahead for it go to another listener, each once" {
	local lease
	short_leases
	stall_drain
	# The leases claimed ahead are offered at A for half a lease, then
	# go back (or lapse): B has them, and A never hands them out.
	run on_b fish wait pool --count 69 --timeout $((6 * TEST_SLOW))
	assert_success
	assert_equal "$(sort -n <<<"$output")" "$(seq 2 70)"
	# That of the message out to the stalled drain is renewed.
	run on_b fish wait pool --timeout $((3 * TEST_SLOW))
	assert_failure 124
	touch "$BATS_TEST_TMPDIR/go"
	reap "$stalled_pid"
	assert_equal "$status" 0
	assert_equal "$(head -1 "$BATS_TEST_TMPDIR/batch")" 1
	# Given back as its connection closed: to one wait, once.
	run on_b fish wait pool --timeout $((5 * TEST_SLOW))
	assert_success
	assert_output 1
	run fish wait pool --timeout 0
	assert_failure 124
}
