#!/usr/bin/env bats
# The control socket: whatever a local client sends, the listener keeps
# serving, and a message leased to a client that goes away is not lost.

load helpers/common

setup() {
	common_setup
}

teardown() {
	common_teardown
}

# What every client script below starts with: the socket path is argv[1];
# frames are made and read by helpers/control.py.
CONTROL_PY='
import json, os, socket, struct, sys
sys.path.insert(0, os.environ["FISH_SRC_DIR"] + "/test/helpers")
import control
from control import frame, read_exact, read_frame

def connect():
    return control.connect(sys.argv[1])

def dropped(s):
    """Read until the listener closes the connection; say so."""
    while s.recv(65536):
        pass
    print("dropped")
'

# control_client SCRIPT [ARG...]: run SCRIPT (python3, with CONTROL_PY's
# helpers) against the default session's control socket; the ARGs are
# sys.argv[2:].
control_client() {
	python3 -c "$CONTROL_PY$1" "$FISH_HOME/sessions/default/control.sock" "${@:2}"
}

# still_serving PID: the listener is still PID and answers a spawn.
still_serving() {
	run fish spawn
	assert_success
	assert_equal "$(listener_pid)" "$1"
}

@test "a garbage line on the control socket leaves the listener serving" {
	local pid
	fish start >/dev/null
	pid=$(listener_pid)

	run control_client '
s = connect()
s.sendall(b"hello, is this the listener?\n")
dropped(s)'
	assert_success
	assert_output dropped
	still_serving "$pid"
	run cat "$FISH_HOME/sessions/default/listener.log"
	assert_output --partial "dropping client"
}

@test "a frame declaring a huge length is dropped" {
	local pid
	fish start >/dev/null
	pid=$(listener_pid)

	run control_client '
s = connect()
s.sendall(struct.pack(">II", 0xFFFFFFF0, 0) + b"{}")
dropped(s)
s = connect()
s.sendall(struct.pack(">II", 2, 0xFFFFFFF0) + b"{}")
dropped(s)'
	assert_success
	assert_output $'dropped\ndropped'
	still_serving "$pid"
}

@test "a frame of valid JSON that is not an object is dropped" {
	local pid
	fish start >/dev/null
	pid=$(listener_pid)

	run control_client '
for text in [b"[1,2,3]", b"\"status\"", b"42", b"null", b"{\"v\":"]:
    s = connect()
    s.sendall(frame(text))
    dropped(s)'
	assert_success
	assert_equal "${#lines[@]}" 5
	still_serving "$pid"
}

@test "a client that sends half a frame and goes away does no harm" {
	local pid
	fish start >/dev/null
	pid=$(listener_pid)

	run control_client '
whole = frame({"v": 1, "cmd": "status"})
for cut in [3, 8, 12]:
    s = connect()
    s.sendall(whole[:cut])
    s.close()
print("sent")'
	assert_success
	still_serving "$pid"
	run fish status
	assert_success
}

@test "a request with another protocol version gets status 3 naming the protocol" {
	fish start >/dev/null

	run control_client '
s = connect()
s.sendall(frame({"v": 999, "cmd": "status"}))
reply, payload = read_frame(s)
print(reply["status"])
print(reply["error"])'
	assert_success
	assert_line --index 0 3
	assert_line --index 1 --regexp "^the running listener speaks protocol [0-9]+; run '$FISH_INSTALLED_NAME stop' to restart it\$"
}

@test "an unknown request gets status 2" {
	fish start >/dev/null

	run control_client '
s = connect()
s.sendall(frame({"v": 1, "cmd": "frobnicate"}))
reply, payload = read_frame(s)
print(reply["status"])
print(reply["error"])
s.sendall(frame({"v": 1, "cmd": "status"}))
reply, payload = read_frame(s)
print(reply["status"])'
	assert_success
	assert_line --index 0 2
	assert_line --index 1 --partial frobnicate
	# The same connection goes on working.
	assert_line --index 2 0
}

@test "a request sent before the reply to the last is refused, saying so, and its client dropped" {
	local url pid
	url=$(fish spawn --name h)
	pid=$(listener_pid)
	# A wait pending, then a status: the status was answered first, so a
	# client reading replies in order took it for the wait's.
	run control_py two \
	    '{"v":1,"cmd":"wait","hooks":["h"],"timeout_ms":3000}' \
	    '{"v":1,"cmd":"status"}'
	assert_success
	assert_equal "${#lines[@]}" 2
	assert_line --index 0 '{"error": "a request came before the reply to the one before it: send one request at a time", "status": 2, "v": 1}'
	assert_line --index 1 closed
	# The wait it dropped leased nothing: the next callback is waited for.
	[ "$(http_post "$url" '{"n":1}')" = 200 ]
	run fish wait h --timeout 5
	assert_success
	assert_output '{"n":1}'
	# Answers given at once are not pending: those pipelined are served,
	# in order.
	run control_py two '{"v":1,"cmd":"resolve","hooks":["h"]}' \
	    '{"v":1,"cmd":"status"}'
	assert_success
	assert_equal "${#lines[@]}" 3
	assert_line --index 0 --partial '"status": 0'
	assert_line --index 1 --partial "\"pid\": $pid"
	assert_line --index 2 open
	still_serving "$pid"
}

@test "a waiter that goes away before any message does not swallow the next one" {
	local hook
	hook=$(fish spawn)

	run control_client '
s = connect()
s.sendall(frame({"v": 1, "cmd": "wait", "hooks": [sys.argv[2]]}))
s.close()
print("gone")' "$hook"
	assert_success

	run http_post "$hook" '{"n":1}'
	assert_output 200
	run fish wait "$hook" --timeout 5
	assert_success
	assert_output '{"n":1}'
}

@test "a message received but never acknowledged goes to the next wait" {
	local hook
	hook=$(fish spawn)
	run http_post "$hook" '{"n":1}'
	assert_output 200

	run control_client '
s = connect()
s.sendall(frame({"v": 1, "cmd": "wait", "hooks": [sys.argv[2]]}))
reply, payload = read_frame(s)
print(reply["status"])
sys.stdout.flush()
sys.stdout.buffer.write(payload + b"\n")
s.close()' "$hook"
	assert_success
	assert_line --index 0 0
	assert_line --index 1 '{"n":1}'

	run fish wait "$hook" --timeout 5
	assert_success
	assert_output '{"n":1}'
	# Acknowledged this time: taken for good.
	run fish wait "$hook" --timeout 200ms
	assert_failure 124
}

@test "twenty clients at once are all answered" {
	local i pids=() failed=0
	fish start >/dev/null

	for i in $(seq 20); do
		fish status >/dev/null 2>&1 3>&- &
		pids+=($!)
	done
	for i in "${pids[@]}"; do
		wait "$i" || failed=$((failed + 1))
	done
	assert_equal "$failed" 0
}

@test "every malformed request is answered with status 2 and one line" {
	local pid
	fish spawn --name h >/dev/null
	pid=$(listener_pid)

	# Strings for numbers, numbers beyond 64 bits, INT64_MAX timeouts and
	# time-to-lives, raw expires_at, lists of the wrong things, header
	# values with line breaks, payloads where none belongs...
	run control_py battery h
	assert_success
	assert_line --regexp '^[0-9]+ cases, 0 failed$'
	still_serving "$pid"
	# Stop with a payload was refused, so this is still the listener.
	assert_equal "$(listener_pid)" "$pid"
}

@test "out of file descriptors, the listener logs a line, not a flood, and serves again" {
	local pid log n
	command -v prlimit >/dev/null || skip "needs prlimit (util-linux)"
	fish start >/dev/null
	pid=$(listener_pid)
	log=$FISH_HOME/sessions/default/listener.log
	# Leave the listener a few descriptors more than it has open.
	n=$(find "/proc/$pid/fd" -mindepth 1 | wc -l)
	prlimit --pid "$pid" --nofile=$((n + 4)):$((n + 4))

	run control_py hold 60 "$log"
	assert_success
	assert_line 'held 60'
	refute_line 'never out of descriptors'
	# A second out of descriptors wrote (almost) nothing more.
	[[ ${lines[1]} =~ ^grew\ ([0-9]+)$ ]]
	[ "${BASH_REMATCH[1]}" -lt 1000 ]
	run grep -c 'cannot accept' "$log"
	assert_output 1
	# The clients have gone: descriptors are free, and clients served.
	wait_until 10 listener_up
	assert_equal "$(listener_pid)" "$pid"
}

@test "partial frames from many clients hold at most the listener's input cap" {
	local pid
	fish start >/dev/null
	pid=$(listener_pid)

	# Twenty clients each send all but the last byte of a 60 MiB frame.
	run control_py partial "$pid" 20 60
	assert_success
	[[ ${lines[0]} =~ ^sent\ ([0-9]+)$ ]]
	# The first frame fits and is read; the others wait their turn.
	[ "${BASH_REMATCH[1]}" -ge 59 ]
	[[ ${lines[1]} =~ ^rss\ ([0-9]+)$ ]]
	[ "${BASH_REMATCH[1]}" -lt 160 ]
	# Meanwhile a small request is served at once.
	assert_line --index 2 'status 0'
	still_serving "$pid"
	# And a large frame goes through once room is free again.
	head -c 1000000 /dev/zero | tr '\0' x >"$BATS_TEST_TMPDIR/body"
	run fish spawn --body @"$BATS_TEST_TMPDIR/body"
	assert_success
}

@test "a client that trickles a frame is dropped at the frame deadline" {
	if ! grep -q '^#define FISH_TEST_HOOKS' "$FISH_BUILD_DIR/config.h"; then
		skip "needs a build configured with --enable-test-hooks"
	fi
	local pid
	FISH_TEST_FRAME_TIMEOUT_MS=500 fish start >/dev/null
	pid=$(listener_pid)

	run control_py trickle 30
	assert_success
	assert_output --regexp '^dropped after [0-9.]+ s$'
	run grep -c 'a frame was not complete after 500 ms' \
	    "$FISH_HOME/sessions/default/listener.log"
	assert_output 1
	still_serving "$pid"
}

@test "a tail that stops reading holds up little of the listener and catches up" {
	local hook pid tail
	asan_no_quarantine
	hook=$(fish spawn --name h)
	pid=$(listener_pid)
	head -c 5000000 /dev/zero | tr '\0' x >"$BATS_TEST_TMPDIR/body"

	control_py stall h "$BATS_TEST_TMPDIR/go" >"$BATS_TEST_TMPDIR/out" 3>&- &
	tail=$!
	wait_until 10 grep -qx following "$BATS_TEST_TMPDIR/out"
	# 80 bodies of 5 MB for a tail that reads none of them meanwhile.
	run bash -c "seq 80 | xargs -P 8 -I{} curl -sS -o /dev/null \
	    -w '%{http_code}\n' --data-binary @'$BATS_TEST_TMPDIR/body' '$hook' |
	    sort -u"
	assert_output 200
	# Far below the 400 MB of entries: the bodies in flight and the
	# journal's write buffer are all the listener holds.
	[ "$(rss_kb "$pid")" -lt $((200 * 1024)) ]
	touch "$BATS_TEST_TMPDIR/go"
	wait "$tail"
	assert_equal "$(cat "$BATS_TEST_TMPDIR/out")" "following
entries 80
open"
	still_serving "$pid"
}

@test "a client that leaves 256 MiB of answers unread is cut" {
	local hook pid client
	asan_no_quarantine
	hook=$(fish spawn --name h)
	pid=$(listener_pid)
	head -c 5000000 /dev/zero | tr '\0' x >"$BATS_TEST_TMPDIR/body"
	run http_post "$hook" "@$BATS_TEST_TMPDIR/body"
	assert_output 200

	# 200 answers of 5 MB (1 GB) asked for at once, none read.
	control_py pipeline "$(nth_seq 1)" 200 "$BATS_TEST_TMPDIR/go" \
	    >"$BATS_TEST_TMPDIR/out" 3>&- &
	client=$!
	wait_until 20 grep -qx sent "$BATS_TEST_TMPDIR/out"
	wait_until 20 log_has 'MiB unread'
	# Cut at 256 MiB unread, far from the 1 GB asked for (ASan's shadow
	# memory adds its share).
	[ "$(rss_kb "$pid")" -lt $((480 * 1024)) ]
	touch "$BATS_TEST_TMPDIR/go"
	wait "$client"
	assert_equal "$(tail -n 1 "$BATS_TEST_TMPDIR/out")" closed
	still_serving "$pid"
}

# held_seqs N: succeed once the listener holds N requests; print their
# seqs, oldest first, a line each.
held_seqs() {
	local seqs
	seqs=$(fish log 2>/dev/null | grep -o ' #[0-9]* ' | tr -d ' #')
	[ "$(wc -l <<<"$seqs")" = "$1" ] || return 1
	echo "$seqs"
}

@test "a tail resumed by a client that says nothing of what it printed open (an older fish) gets an answer that comes, as before" {
	local held seq out=$BATS_TEST_TMPDIR/out
	held=$(fish spawn --name held --hold --hold-timeout 60s)
	curl -sS -o /dev/null --max-time 60 -d h "$held/h" 3>&- &
	wait_until 10 held_seqs 1
	seq=$(held_seqs 1)
	control_py tail-resume "$seq" - >"$out" 3>&- &
	wait_until 10 grep -qx following "$out"
	fish reply "$seq" --body done
	wait_until 10 grep -qx "entry $seq" "$out" ||
	    fail "the tail got: $(cat "$out")"
}

@test "a tail resumed with its open entries out of order, repeated, as many as it may list, gets each answer once" {
	local held one two open out=$BATS_TEST_TMPDIR/out
	held=$(fish spawn --name held --hold --hold-timeout 60s)
	curl -sS -o /dev/null --max-time 60 -d h "$held/one" 3>&- &
	wait_until 10 held_seqs 1
	curl -sS -o /dev/null --max-time 60 -d h "$held/two" 3>&- &
	wait_until 10 held_seqs 2
	one=$(held_seqs 2 | head -n 1)
	two=$(held_seqs 2 | tail -n 1)
	fish reply "$one" --body done
	# 16384 seqs, the most a client may list, backwards and twice each.
	open=$(python3 -c "print([$two, $one] * 8192)")
	control_py tail-resume "$two" "$open" >"$out" 3>&- &
	wait_until 10 grep -qx "entry $one" "$out" ||
	    fail "the tail got: $(cat "$out")"
	fish reply "$two" --body done
	wait_until 10 grep -qx "entry $two" "$out" ||
	    fail "the tail got: $(cat "$out")"
	post "$held/three" three 3>&- &
	wait_until 10 grep -q "entry .* open" "$out"
	assert_equal "$(grep -c "^entry $one\$" "$out")" 1
	assert_equal "$(grep -c "^entry $two\$" "$out")" 1
}

@test "a tail resumed owed many answers with their bodies, reading none, holds up little of the listener and gets each" {
	local held pid seqs open rss i n=40 out=$BATS_TEST_TMPDIR/out
	asan_no_quarantine
	# Room for the held bodies, which count as in flight until answered.
	fish start --max-inflight 256M >/dev/null
	held=$(fish spawn --name held --hold --hold-timeout 300s)
	pid=$(listener_pid)
	head -c 1000000 /dev/zero | tr '\0' x >"$BATS_TEST_TMPDIR/body"
	for i in $(seq "$n"); do
		curl -sS -o /dev/null --max-time 300 \
		    --data-binary @"$BATS_TEST_TMPDIR/body" "$held" 3>&- &
		wait_until 20 held_seqs "$i" >/dev/null
	done
	seqs=$(held_seqs "$n")
	for s in $seqs; do
		fish reply "$s" --body done
	done
	open=$(tr '\n' , <<<"$seqs")
	rss=$(rss_kb "$pid")
	control_py tail-resume "$(tail -n 1 <<<"$seqs")" "[${open%,}]" \
	    "$BATS_TEST_TMPDIR/go" >"$out" 3>&- &
	wait_until 10 grep -qx following "$out"
	# Answered after the tail request: the listener has dealt with it.
	fish status >/dev/null
	# 40 MB of entries owed to a client that reads none of them: the
	# listener holds what its output may, a few of them.
	[ "$(rss_kb "$pid")" -lt $((rss + 20 * 1024)) ] ||
	    fail "the listener grew from $rss kB to $(rss_kb "$pid") kB"
	touch "$BATS_TEST_TMPDIR/go"
	wait_until 60 eval '[ "$(grep -c "^entry" "$out")" = "$n" ]' ||
	    fail "the tail got: $(cat "$out")"
	run grep -x closed "$out"
	assert_failure
}
