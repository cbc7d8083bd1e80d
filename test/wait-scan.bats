#!/usr/bin/env bats
# wait --where over a long queue: the filtered wait reads every queued
# record to find its match, a bounded amount per turn of the listener's
# loop, so everything else is served meanwhile; and it still gets the
# oldest match, in the order waits arrived.

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
	# The client gives a listener 5 s past a wait's deadline to answer.
	[ "$TEST_VALGRIND" != 1 ] ||
	    skip "valgrind's listener reads the 500 MiB queue in more than 5 s"
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
