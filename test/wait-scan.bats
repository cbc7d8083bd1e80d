#!/usr/bin/env bats
# wait --where over a long queue: the filtered wait reads every queued
# record to find its match, a bounded amount per turn of the listener's
# loop, so everything else is served meanwhile; and it still gets the
# oldest match, in the order waits arrived.  A wait whose deadline passes
# while the listener still reads gets its match however long that takes:
# the listener says every second that it still reads, and only one that
# says nothing is given up on, 5 s past the deadline.

bats_require_minimum_version 1.5.0

load helpers/common

setup() {
	common_setup
	a=$(fish spawn --name a)
	# A 5 MiB JSON body that no filter below matches.
	python3 -c '
import json, sys
pad = "x" * (5 * 1024 * 1024 - 40)
sys.stdout.write(json.dumps({"kind": "filler", "pad": pad}))' \
	    >"$BATS_TEST_TMPDIR/filler.json"
}

teardown() {
	common_teardown
}

# queue_fillers N: post N filler bodies to hook a, 8 at a time (2 with a
# Redis store, whose every append of 5 MiB is fsynced, so that none waits
# past the 3 s after which its sender is answered 503).
queue_fillers() {
	local codes parallel=8
	[ "${TEST_STORE:-}" != redis ] || parallel=2
	codes=$(seq "$1" | xargs -P "$parallel" -I{} curl -sS -o /dev/null \
	    -w '%{http_code}\n' --max-time 60 \
	    -H 'Content-Type: application/json' \
	    --data-binary @"$BATS_TEST_TMPDIR/filler.json" "$a" | sort -u)
	assert_equal "$codes" 200
}

# slow_scan MS: restart the listener so that each record a filtered wait
# reads takes MS ms more (FISH_TEST_SCAN_MS, a test build's hook): a short
# queue then takes longer to read than the 5 s a client gives a listener
# that says nothing past a wait's deadline.
slow_scan() {
	needs_test_hooks
	fish stop >/dev/null
	FISH_TEST_SCAN_MS=$1 fish start >/dev/null
}

# queue_small N: post N small bodies no filter below matches to hook a.
queue_small() {
	local i
	for i in $(seq "$1"); do
		post "$a" '{"kind":"filler"}'
	done
}

# registered FILE: the filtered wait of helpers/control.py (control_py
# wait HOOK FILTER...) writing to FILE is registered.
registered() {
	grep -qx registered "$1"
}

@test "while a filtered wait reads a long queue, other hooks are served promptly" {
	local b pid probes=0 start
	b=$(fish spawn --name b)
	queue_fillers 200
	[ "$(http_post "$a" '{"kind":"match"}')" = 200 ]

	fish wait a --where /kind=match --timeout 120 \
	    >"$BATS_TEST_TMPDIR/out" 3>&- &
	pid=$!
	# As long as it reads, a callback to b is acknowledged and a wait on
	# b returns within two seconds (a blocked loop would hold both until
	# the whole queue is read), times FISH_TEST_SLOW for a slow listener.
	until all_dead "$pid"; do
		run http_code "$b" --max-time $((2 * TEST_SLOW)) \
		    --data-binary '{"probe":1}'
		assert_output 200
		start=${EPOCHREALTIME//[!0-9]/}
		run fish wait b --timeout $((2 * TEST_SLOW))
		assert_success
		assert_output '{"probe":1}'
		[ $((${EPOCHREALTIME//[!0-9]/} - start)) -lt $((2000000 * TEST_SLOW)) ]
		probes=$((probes + 1))
	done
	wait "$pid"
	assert_equal "$(cat "$BATS_TEST_TMPDIR/out")" '{"kind":"match"}'
	[ "$probes" -ge 1 ]
}

@test "a filtered wait gets the oldest match even when a newer one arrives while it reads" {
	local pid
	queue_fillers 100
	[ "$(http_post "$a" '{"kind":"match","n":1}')" = 200 ]

	fish wait a --where /kind=match --timeout 120 \
	    >"$BATS_TEST_TMPDIR/out" 3>&- &
	pid=$!
	[ "$(http_post "$a" '{"kind":"match","n":2}')" = 200 ]
	wait "$pid"
	assert_equal "$(cat "$BATS_TEST_TMPDIR/out")" '{"kind":"match","n":1}'
	# It reads the whole queue again (120 s, as the first: under valgrind
	# a read of the 500 MiB takes more than 20 s).
	run fish wait a --where /kind=match --timeout 120
	assert_success
	assert_output '{"kind":"match","n":2}'
}

@test "filtered waits on one hook are served in the order they arrived" {
	local first second
	queue_fillers 100
	[ "$(http_post "$a" '{"kind":"match","n":1}')" = 200 ]

	control_py wait a /kind=match >"$BATS_TEST_TMPDIR/first" 3>&- &
	first=$!
	wait_until 20 registered "$BATS_TEST_TMPDIR/first"
	control_py wait a /kind=match >"$BATS_TEST_TMPDIR/second" 3>&- &
	second=$!
	wait_until 20 registered "$BATS_TEST_TMPDIR/second"
	[ "$(http_post "$a" '{"kind":"match","n":2}')" = 200 ]
	wait "$first"
	wait "$second"
	assert_equal "$(tail -n 1 "$BATS_TEST_TMPDIR/first")" \
	    '{"kind":"match","n":1}'
	assert_equal "$(tail -n 1 "$BATS_TEST_TMPDIR/second")" \
	    '{"kind":"match","n":2}'
}

@test "a plain wait behind a filtered one gets the oldest message the filter left" {
	local filtered plain oldest
	queue_fillers 100
	[ "$(http_post "$a" '{"kind":"match"}')" = 200 ]
	# The first filler: the oldest message of all.
	oldest=$(nth_seq 1)

	control_py wait a /kind=match >"$BATS_TEST_TMPDIR/filtered" 3>&- &
	filtered=$!
	wait_until 20 registered "$BATS_TEST_TMPDIR/filtered"
	fish wait a --json --timeout 120 >"$BATS_TEST_TMPDIR/plain" 3>&- &
	plain=$!
	wait "$filtered"
	wait "$plain"
	assert_equal "$(tail -n 1 "$BATS_TEST_TMPDIR/filtered")" \
	    '{"kind":"match"}'
	assert_equal "$(fish field /seq <"$BATS_TEST_TMPDIR/plain")" "$oldest"
}

@test "wait --where --timeout 0 still finds a match deep in the queue" {
	queue_fillers 100
	[ "$(http_post "$a" '{"kind":"match"}')" = 200 ]

	run fish wait a --where /kind=match --timeout 0
	assert_success
	assert_output '{"kind":"match"}'
	# Nothing else matches: now it times out.
	run fish wait a --where /kind=match --timeout 0
	assert_failure 124
}

@test "a filtered wait killed while it reads loses nothing" {
	local pid
	queue_fillers 100
	[ "$(http_post "$a" '{"kind":"match"}')" = 200 ]

	control_py wait a /kind=match >"$BATS_TEST_TMPDIR/out" 3>&- &
	pid=$!
	wait_until 20 registered "$BATS_TEST_TMPDIR/out"
	kill_and_wait "$pid"
	run fish status --json
	assert_equal "$(fish field /queued <<<"$output")" 101
	run fish wait a --where /kind=match --timeout 60
	assert_success
	assert_output '{"kind":"match"}'
}

@test "wait --timeout 0 gets a match the listener finds only well past the deadline" {
	slow_scan 600
	# 11 records at 0.6 s each: 6.6 s of reading past the deadline.
	queue_small 10
	post "$a" '{"kind":"match"}'

	# On a terminal, with its line redrawn meanwhile.
	run python3 "$FISH_SRC_DIR/test/helpers/pty.py" \
	    --stdout "$BATS_TEST_TMPDIR/out" \
	    fish wait a --where /kind=match --timeout 0 --peek
	assert_success
	assert_output --partial 'waiting on a'
	assert_equal "$(cat "$BATS_TEST_TMPDIR/out")" '{"kind":"match"}'
	run --separate-stderr fish wait a --where /kind=match --timeout 0 --json
	assert_success
	assert_equal "$(fish field /body <<<"$output")" '{"kind":"match"}'
	assert_equal "$stderr" ''
	run fish wait a --where /kind=match --timeout 0
	assert_failure 124
}

@test "wait --count and --follow wait on while the listener reads past the deadline" {
	slow_scan 600
	queue_small 10
	post "$a" '{"kind":"match","n":1}'
	post "$a" '{"kind":"match","n":2}'

	# Each of the two reads the 10 fillers: 6 s past the deadline.
	run --separate-stderr fish wait a --where /kind=match --timeout 0 \
	    --count 2
	assert_success
	assert_output $'{"kind":"match","n":1}\n{"kind":"match","n":2}'
	assert_equal "$stderr" ''
	post "$a" '{"kind":"match","n":3}'
	run --separate-stderr fish wait a --where /kind=match --timeout 0 \
	    --follow --count 1 --field /n
	assert_success
	assert_output 3
	assert_equal "$stderr" ''
}

@test "a client that did not ask for them gets no word that the listener still reads" {
	slow_scan 600
	queue_small 10
	post "$a" '{"kind":"match"}'

	# As fish before interim frames: it would take one for a failed reply.
	run control_py wait-now a /kind=match
	assert_success
	assert_output $'reply 0\n{"kind":"match"}'
}

@test "a listener that stops answering while it reads past the deadline ends the wait after 5 s" {
	local pid listener start stopped took status=0
	slow_scan 600
	# 20 records at 0.6 s: 12 s of reading, past the stop at 7 s.
	queue_small 19
	post "$a" '{"kind":"match"}'
	listener=$(listener_pid)

	start=$(now_ms)
	fish wait a --where /kind=match --timeout 0 >"$BATS_TEST_TMPDIR/out" \
	    2>"$BATS_TEST_TMPDIR/err" 3>&- &
	pid=$!
	# Past the 5 s a listener that says nothing gets, it waits on.
	wait_until 20 since "$start" 7000
	alive "$pid"
	kill -STOP "$listener"
	stopped=$(now_ms)
	wait "$pid" || status=$?
	took=$(($(now_ms) - stopped))
	kill -CONT "$listener"
	assert_equal "$status" 124
	# 5 s after the last word, which came at most 1.6 s before (a word a
	# second, each up to a 0.6 s read late).
	[ "$took" -ge 3000 ]
	[ "$took" -lt $((5000 + 2000 * TEST_SLOW)) ]
	assert_equal "$(cat "$BATS_TEST_TMPDIR/err")" \
	    "fish: timed out after 0ms waiting on a"
	assert_equal "$(cat "$BATS_TEST_TMPDIR/out")" ''
	# Nothing was taken: all 20 stay queued.
	assert_equal "$(status_field /queued)" 20
}
