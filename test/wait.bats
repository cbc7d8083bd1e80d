#!/usr/bin/env bats
# fish wait: take the next message of a hook, queued or still to come.

load helpers/common
bats_require_minimum_version 1.5.0

setup() {
	common_setup
	hook=$(fish spawn)
}

teardown() {
	common_teardown
}

# blocked PID: succeed once process PID sleeps in poll(2), waiting for the
# listener's answer.
blocked() {
	[[ $(cat "/proc/$1/wchan" 2>/dev/null) == *poll* ]]
}

@test "wait returns a callback that arrived before it started" {
	post "$hook" 'early bird'
	run fish wait "$hook" --timeout 5
	assert_success
	assert_output 'early bird'
}

@test "wait returns queued messages in arrival order, each once" {
	post "$hook" first
	post "$hook" second
	post "$hook" third
	run fish wait "$hook" --timeout 5
	assert_output first
	run fish wait "$hook" --timeout 5
	assert_output second
	run fish wait "$hook" --timeout 5
	assert_output third
	run fish wait "$hook" --timeout 0.3
	assert_failure 124
}

@test "wait prints a binary body byte for byte" {
	head -c 4096 /dev/urandom >"$BATS_TEST_TMPDIR/sent"
	# Make sure it is not valid UTF-8.
	printf '\377\376\000' >>"$BATS_TEST_TMPDIR/sent"
	post "$hook" @"$BATS_TEST_TMPDIR/sent"
	fish wait "$hook" --timeout 5 >"$BATS_TEST_TMPDIR/got"
	cmp "$BATS_TEST_TMPDIR/sent" "$BATS_TEST_TMPDIR/got"
}

@test "wait prints a 1 MiB body byte for byte" {
	head -c 1048576 /dev/urandom >"$BATS_TEST_TMPDIR/sent"
	post "$hook" @"$BATS_TEST_TMPDIR/sent"
	fish wait "$hook" --timeout 5 >"$BATS_TEST_TMPDIR/got"
	cmp "$BATS_TEST_TMPDIR/sent" "$BATS_TEST_TMPDIR/got"
}

@test "wait adds no newline to the body" {
	post "$hook" 'abc'
	fish wait "$hook" --timeout 5 >"$BATS_TEST_TMPDIR/got"
	assert_equal "$(od -An -c "$BATS_TEST_TMPDIR/got" | tr -d ' ')" abc
	assert_equal "$(stat -c %s "$BATS_TEST_TMPDIR/got")" 3
}

@test "wait prints an empty body as nothing" {
	curl -sS --max-time 10 -o /dev/null -X DELETE "$hook"
	fish wait "$hook" --timeout 5 >"$BATS_TEST_TMPDIR/got"
	assert_equal "$(stat -c %s "$BATS_TEST_TMPDIR/got")" 0
}

@test "wait --json prints the whole message as one JSON line" {
	named=$(fish spawn --name github)
	post "$named/events/push?delivery=42&x=y" 'hello' -X PUT \
	    -H 'X-Custom: Yes Please' -H 'Content-Type: text/plain'
	run fish wait github --json --timeout 5
	assert_success
	assert_equal "${#lines[@]}" 1
	json=$output

	field() { fish field "$1" <<<"$json"; }
	assert_equal "$(field /hook)" "$named"
	assert_equal "$(field /name)" github
	assert_equal "$(field /method)" PUT
	assert_equal "$(field /path)" /events/push
	assert_equal "$(field /query)" 'delivery=42&x=y'
	assert_equal "$(field /headers/x-custom)" 'Yes Please'
	assert_equal "$(field /headers/content-type)" text/plain
	assert_equal "$(field /body)" hello
	assert_equal "$(field /verified)" false
	[[ $(field /seq) =~ ^[0-9]+$ ]]
	[[ $(field /remote) =~ ^127\.0\.0\.1:[0-9]+$ ]]
	[[ $(field /received_at) =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z$ ]]
	# Header names are all in lower case.
	run fish field /headers <<<"$json"
	refute_output --regexp '"[^"]*[A-Z][^"]*":'
}

@test "wait --json gives an unnamed hook a null name and the root path" {
	post "$hook" '{}'
	run fish wait "$hook" --json --timeout 5
	assert_success
	assert_equal "$(fish field /name <<<"$output")" null
	assert_equal "$(fish field /path <<<"$output")" /
	assert_equal "$(fish field /query <<<"$output")" ''
	assert_equal "$(fish field /method <<<"$output")" POST
}

@test "wait --json numbers messages in arrival order" {
	post "$hook" one
	post "$hook" two
	first=$(fish wait "$hook" --json --timeout 5 | fish field /seq)
	second=$(fish wait "$hook" --json --timeout 5 | fish field /seq)
	[ "$first" -lt "$second" ]
}

@test "wait --json gives a binary body as body_base64" {
	head -c 4096 /dev/urandom >"$BATS_TEST_TMPDIR/sent"
	printf '\377\376' >>"$BATS_TEST_TMPDIR/sent"
	post "$hook" @"$BATS_TEST_TMPDIR/sent"
	run fish wait "$hook" --json --timeout 5
	assert_success
	json=$output
	fish field /body_base64 <<<"$json" | base64 -d >"$BATS_TEST_TMPDIR/got"
	cmp "$BATS_TEST_TMPDIR/sent" "$BATS_TEST_TMPDIR/got"
	run fish field /body <<<"$json"
	assert_failure 4
}

@test "wait --json keeps a UTF-8 body as text" {
	post "$hook" '{"city":"Zürich"}'
	run fish wait "$hook" --json --timeout 5
	assert_success
	assert_equal "$(fish field /body <<<"$output")" '{"city":"Zürich"}'
	run fish field /body_base64 <<<"$output"
	assert_failure 4
}

@test "wait --json joins a header sent twice with a comma" {
	post "$hook" x -H 'X-Tag: one' -H 'x-tag: two'
	run fish wait "$hook" --json --timeout 5
	assert_equal "$(fish field /headers/x-tag <<<"$output")" 'one, two'
}

@test "wait --timeout 0 returns a queued message at once" {
	post "$hook" 'already here'
	run fish wait "$hook" --timeout 0
	assert_success
	assert_output 'already here'
	run fish wait "$hook" --timeout 0
	assert_failure 124
}

@test "wait --timeout on an empty hook exits 124 after about that long" {
	start=$(now_ms)
	run --separate-stderr fish wait "$hook" --timeout 0.5
	elapsed=$(($(now_ms) - start))
	assert_failure 124
	assert_output ''
	[[ $stderr == *"timed out after 500ms waiting on $hook"* ]]
	[ "$elapsed" -ge 400 ]
	[ "$elapsed" -lt 5000 ]
}

@test "wait accepts durations as 250ms, 1s and plain seconds" {
	post "$hook" a
	post "$hook" b
	post "$hook" c
	run fish wait "$hook" --timeout 250ms
	assert_success
	assert_output a
	run fish wait "$hook" --timeout 1s
	assert_output b
	run fish wait "$hook" --timeout 1
	assert_output c
	run --separate-stderr fish wait "$hook" --timeout 250ms
	assert_failure 124
	[[ $stderr == *"timed out after 250ms"* ]]
}

@test "wait rejects an invalid duration as a usage error" {
	local d
	for d in abc 5x -1 '' 1.2.3; do
		run --separate-stderr fish wait "$hook" --timeout "$d"
		assert_failure 2
		[ -n "$stderr" ]
	done
}

@test "wait on an unknown hook exits 4 with a message" {
	run --separate-stderr fish wait nosuchhook --timeout 5
	assert_failure 4
	assert_output ''
	[[ $stderr == *"no such hook 'nosuchhook'"* ]]
	# An unknown URL on our port, too.
	run fish wait "${hook%/*}/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" --timeout 5
	assert_failure 4
}

@test "wait with no hook is a usage error" {
	run --separate-stderr fish wait
	assert_failure 2
	[[ $stderr == *"missing HOOK"* ]]
}

@test "wait returns a callback that arrives while it is blocked" {
	fish wait "$hook" --timeout 20 >"$BATS_TEST_TMPDIR/got" 3>&- &
	pid=$!
	wait_until 10 blocked "$pid"
	post "$hook" 'came later'
	wait "$pid"
	assert_equal "$(cat "$BATS_TEST_TMPDIR/got")" 'came later'
}

@test "two concurrent waits on one hook get different messages" {
	fish wait "$hook" --timeout 20 >"$BATS_TEST_TMPDIR/one" 3>&- &
	one=$!
	fish wait "$hook" --timeout 20 >"$BATS_TEST_TMPDIR/two" 3>&- &
	two=$!
	wait_until 10 blocked "$one"
	wait_until 10 blocked "$two"
	post "$hook" apple
	post "$hook" banana
	wait "$one"
	wait "$two"
	got=$(cat "$BATS_TEST_TMPDIR/one"; echo; cat "$BATS_TEST_TMPDIR/two")
	assert_equal "$(sort <<<"$got" | tr '\n' ' ')" 'apple banana '
	# Neither is left for a third wait.
	run fish wait "$hook" --timeout 0.3
	assert_failure 124
}

@test "a wait killed before any message arrives loses nothing" {
	fish wait "$hook" --timeout 20 >/dev/null 3>&- &
	pid=$!
	wait_until 10 blocked "$pid"
	kill_and_wait -KILL "$pid"
	post "$hook" 'for the next one'
	run fish wait "$hook" --timeout 5
	assert_success
	assert_output 'for the next one'
}

@test "a taken message is not returned again after the listener is killed" {
	post "$hook" A
	run fish wait "$hook" --timeout 5
	assert_output A
	kill_listener
	fish start >/dev/null
	post "$hook" B
	run fish wait "$hook" --timeout 5
	assert_success
	assert_output B
	run fish wait "$hook" --timeout 0.3
	assert_failure 124
}

@test "an untaken message survives the listener being killed" {
	post "$hook" 'still here'
	old=$(listener_pid)
	kill_listener
	# wait starts the listener again by itself.
	run fish wait "$hook" --timeout 5
	assert_success
	assert_output 'still here'
	[ "$(listener_pid)" != "$old" ]
}

@test "a blocked wait outlives a killed listener and returns the next callback" {
	fish wait "$hook" --timeout 20 >"$BATS_TEST_TMPDIR/got" 3>&- &
	pid=$!
	wait_until 10 blocked "$pid"
	old=$(listener_pid)
	kill_listener
	# The wait restarts the listener on the same port.
	wait_until 10 listener_up
	post "$hook" 'after the crash'
	wait "$pid"
	assert_equal "$(cat "$BATS_TEST_TMPDIR/got")" 'after the crash'
	[ "$(listener_pid)" != "$old" ]
	# Delivered exactly once.
	run fish wait "$hook" --timeout 0.3
	assert_failure 124
}

@test "wait on two hooks returns the first message of either" {
	other=$(fish spawn)
	post "$other" 'from the other'
	run fish wait "$hook" "$other" --timeout 5
	assert_success
	assert_output 'from the other'

	post "$hook" 'older'
	post "$other" 'newer'
	run fish wait "$other" "$hook" --timeout 5
	assert_output 'older'
	run fish wait "$other" "$hook" --timeout 5
	assert_output 'newer'
}

@test "a wait on two hooks is woken by a callback to the second" {
	other=$(fish spawn)
	fish wait "$hook" "$other" --timeout 20 >"$BATS_TEST_TMPDIR/got" 3>&- &
	pid=$!
	wait_until 10 blocked "$pid"
	post "$other" 'second hook'
	wait "$pid"
	assert_equal "$(cat "$BATS_TEST_TMPDIR/got")" 'second hook'
}
