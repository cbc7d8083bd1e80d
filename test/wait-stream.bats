#!/usr/bin/env bats
# wait as a stream: several hooks, --count, --follow, --where, --field,
# --headers, --peek, and the live status line on a terminal.

load helpers/common

setup() {
	common_setup
}

teardown() {
	common_teardown
}

@test "wait on three hooks returns the first message from any, and --json says which hook" {
	local a b c
	a=$(fish spawn --name a)
	b=$(fish spawn --name b)
	c=$(fish spawn --name c)
	[ "$(http_post "$b/x" '"from b"')" = 200 ]
	run fish wait a b c --json --timeout 5
	assert_success
	[ "$(printf '%s' "$output" | fish field /hook)" = "$b" ]
	[ "$(printf '%s' "$output" | fish field /name)" = b ]
	[ "$(printf '%s' "$output" | fish field /body)" = '"from b"' ]
	[ "$(http_post "$c" '"from c"')" = 200 ]
	[ "$(http_post "$a" '"from a"')" = 200 ]
	run fish wait "$a" "$b" "$c" --timeout 5
	assert_output '"from c"'
	run fish wait "$a" "$b" "$c" --timeout 5
	assert_output '"from a"'
}

@test "wait --count takes that many messages, one per line" {
	local url i
	url=$(fish spawn)
	for i in 1 2 3 4; do
		[ "$(http_post "$url" "{\"n\":$i}")" = 200 ]
	done
	run fish wait "$url" --count 3 --timeout 5
	assert_success
	assert_equal "${lines[0]}" '{"n":1}'
	assert_equal "${lines[1]}" '{"n":2}'
	assert_equal "${lines[2]}" '{"n":3}'
	assert_equal "${#lines[@]}" 3
	run fish wait "$url" --timeout 5
	assert_output '{"n":4}'
}

@test "wait --count rejects a count that is not a positive number" {
	run fish wait x --count 0
	assert_failure 2
	run fish wait x --count two
	assert_failure 2
}

@test "wait --follow streams NDJSON envelopes until --count" {
	local url
	url=$(fish spawn --name s)
	fish wait s --follow --count 3 --timeout 10 >"$BATS_TEST_TMPDIR/out" &
	local follower=$!
	for i in 1 2 3; do
		[ "$(http_post "$url" "{\"n\":$i}")" = 200 ]
	done
	wait "$follower"
	run wc -l <"$BATS_TEST_TMPDIR/out"
	assert_output 3
	run fish field /body < <(sed -n 2p "$BATS_TEST_TMPDIR/out")
	assert_output '{"n":2}'
}

@test "wait --follow ends after --timeout of quiet with 124" {
	local url
	url=$(fish spawn)
	[ "$(http_post "$url" '"one"')" = 200 ]
	run fish wait "$url" --follow --timeout 300ms
	assert_failure 124
	assert_line --index 0 --partial '"body":"\"one\""'
	assert_output --partial "of quiet"
}

@test "wait --follow interrupted by SIGINT exits 130 and loses nothing" {
	local url pid
	url=$(fish spawn --name s)
	[ "$(http_post "$url" '"before"')" = 200 ]
	# A background job may inherit SIGINT ignored (no job control, or a
	# suite itself started in the background): give it the default.
	env --default-signal=INT fish wait s --follow \
	    >"$BATS_TEST_TMPDIR/out" 2>/dev/null &
	pid=$!
	wait_until 5 grep -q before "$BATS_TEST_TMPDIR/out"
	kill -INT "$pid"
	reap "$pid"
	assert_equal "$status" 130
	# What arrives afterwards is still there for the next wait.
	[ "$(http_post "$url" '"after"')" = 200 ]
	run fish wait s --timeout 5
	assert_output '"after"'
}

@test "wait --follow blocked writing to a reader that stopped reading dies of SIGTERM at once" {
	local url pid big=$BATS_TEST_TMPDIR/big
	url=$(fish spawn --name full)
	# One message larger than a pipe holds: the write blocks.
	head -c 300000 /dev/zero | tr '\0' x >"$big"
	post "$url" "@$big"
	# A reader that never reads; its end stays open.
	fish wait full --follow > >(sleep 600) 2>/dev/null &
	pid=$!
	wait_until 10 eval '[[ $(cat /proc/$pid/wchan 2>/dev/null) == *pipe_write ]]'
	kill -TERM "$pid"
	reap "$pid" 5
	assert_equal "$status" 143
	pkill -f "^sleep 600$" || true
	# Not printed whole: it is still there for the next wait.
	run fish wait full --timeout 5 --json
	assert_success
}

@test "wait --where leaves messages that do not match to another waiter" {
	local url
	url=$(fish spawn --name w)
	[ "$(http_post "$url" '{"type":"ping","id":1}')" = 200 ]
	[ "$(http_post "$url" '{"type":"order","id":2}')" = 200 ]
	run fish wait w --where /type=order --timeout 5
	assert_output '{"type":"order","id":2}'
	run fish wait w --where /type=order --timeout 0.3
	assert_failure 124
	run fish wait w --timeout 5
	assert_output '{"type":"ping","id":1}'
}

@test "wait --where matches values, absence, presence, headers and method" {
	local url
	url=$(fish spawn --name w)
	[ "$(http_post "$url" '{"a":1}')" = 200 ]
	[ "$(http_post "$url" '{"a":2,"b":true}' -H 'X-Kind: special')" = 200 ]
	curl -s -o /dev/null -X PUT --data-binary '{"a":3}' "$url"
	run fish wait w --where /a!=1 --where /b --timeout 5
	assert_output '{"a":2,"b":true}'
	[ "$(http_post "$url" '{"a":4}' -H 'X-Kind: special')" = 200 ]
	run fish wait w --where header:x-kind=special --timeout 5
	assert_output '{"a":4}'
	run fish wait w --where method=put --timeout 5
	assert_output '{"a":3}'
	run fish wait w --where /a=1 --timeout 5
	assert_output '{"a":1}'
}

@test "wait --where rejects a malformed filter" {
	run fish wait w --where nonsense
	assert_failure 2
	assert_output --partial "invalid filter"
}

@test "a waiter with a filter gets a matching message that arrives later" {
	local url
	url=$(fish spawn --name w)
	fish wait w --where /ok=true --timeout 10 >"$BATS_TEST_TMPDIR/out" &
	local waiter=$!
	[ "$(http_post "$url" '{"ok":false}')" = 200 ]
	[ "$(http_post "$url" '{"ok":true}')" = 200 ]
	wait "$waiter"
	run cat "$BATS_TEST_TMPDIR/out"
	assert_output '{"ok":true}'
	run fish wait w --timeout 5
	assert_output '{"ok":false}'
}

@test "wait --field prints one value of the body" {
	local url
	url=$(fish spawn)
	[ "$(http_post "$url" '{"order":{"id":"A-1","n":2}}')" = 200 ]
	run fish wait "$url" --field /order/id --timeout 5
	assert_success
	assert_output "A-1"
}

@test "wait --field prints a string holding NUL bytes whole" {
	local url
	url=$(fish spawn)
	[ "$(http_post "$url" '{"id":"A\u0000B"}')" = 200 ]
	fish wait "$url" --field /id --timeout 5 >"$BATS_TEST_TMPDIR/out"
	printf 'A\0B\n' | cmp - "$BATS_TEST_TMPDIR/out"
}

@test "wait --field on a missing pointer exits 4 and leaves the message queued" {
	local url
	url=$(fish spawn)
	[ "$(http_post "$url" '{"a":1}')" = 200 ]
	run fish wait "$url" --field /nope --timeout 5
	assert_failure 4
	assert_output --partial "no value at '/nope'"
	run fish wait "$url" --timeout 5
	assert_output '{"a":1}'
}

@test "wait --headers prints the request line, headers, a blank line and the body" {
	local url
	url=$(fish spawn)
	curl -s -o /dev/null -H 'X-Trace: t1' --data-binary 'hello' "$url/cb?x=1"
	run fish wait "$url" --headers --timeout 5
	assert_success
	assert_line --index 0 "POST /cb?x=1"
	assert_line "x-trace: t1"
	[ "${lines[${#lines[@]} - 1]}" = hello ]
	[[ "$output" == *$'\n\nhello' ]]
}

@test "wait --peek shows the next message and the next wait gets the same one" {
	local url
	url=$(fish spawn)
	[ "$(http_post "$url" '"same"')" = 200 ]
	run fish wait "$url" --peek --timeout 5
	assert_output '"same"'
	run fish wait "$url" --peek --json --timeout 5
	[ "$(printf '%s' "$output" | fish field /body)" = '"same"' ]
	run fish wait "$url" --timeout 5
	assert_output '"same"'
	run fish wait "$url" --timeout 0.2
	assert_failure 124
}

@test "only one of --json, --field and --headers may be given" {
	run fish wait x --json --headers
	assert_failure 2
}

@test "on a terminal, wait shows a live status line and erases it" {
	fish spawn --name orders >/dev/null
	# script(1) gives the command a pseudo-terminal.
	run script -qec "fish wait orders --timeout 400ms" /dev/null
	assert_failure 124
	assert_output --partial $'\rwaiting on orders, 0.4s left\033[K'
	assert_output --partial $'\r\033[Kfish: timed out'
}

@test "when stderr is not a terminal, wait prints no status line" {
	fish spawn --name orders >/dev/null
	run fish wait orders --timeout 200ms
	assert_failure 124
	refute_output --partial "s left"
	refute_output --partial $'\033'
}
