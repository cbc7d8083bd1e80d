#!/usr/bin/env bats
# fish wait --count N takes N messages or none, and wait --drain takes
# what is queued now.

load helpers/common
bats_require_minimum_version 1.5.0

setup() {
	common_setup
	hook=$(fish spawn --name d)
}

teardown() {
	common_teardown
}

# blocked PID: succeed once process PID sleeps in poll(2), waiting for the
# listener's answer.
blocked() {
	[[ $(cat "/proc/$1/wchan" 2>/dev/null) == *poll* ]]
}

# leased HOOK: succeed once nothing of HOOK is queued for a peek (what
# there is, is leased).
leased() {
	! fish wait "$1" --peek --timeout 0 >/dev/null 2>&1
}

@test "a wait --count that times out prints nothing and leaves what came queued" {
	post "$hook" one
	run --separate-stderr fish wait d --count 2 --timeout 300ms
	assert_failure 124
	assert_output ''
	assert_equal "$stderr" "fish: timed out after 300ms waiting on d"
	# A script that treats 124 as failure has lost nothing.
	post "$hook" two
	run fish wait d --count 2 --timeout 5
	assert_success
	assert_output $'one\ntwo'
	run fish wait d --timeout 0
	assert_failure 124
}

@test "a wait --count prints the batch only once all N have come" {
	post "$hook" one
	fish wait d --count 2 --timeout 20 >"$BATS_TEST_TMPDIR/out" 3>&- &
	pid=$!
	wait_until 10 leased d
	# It holds one and waits for the second, having printed nothing.
	wait_until 10 blocked "$pid"
	assert_equal "$(stat -c %s "$BATS_TEST_TMPDIR/out")" 0
	post "$hook" two
	reap "$pid"
	assert_equal "$status" 0
	assert_equal "$(cat "$BATS_TEST_TMPDIR/out")" $'one\ntwo'
}

@test "a wait --count interrupted by Ctrl-C exits 130, prints nothing and loses nothing" {
	post "$hook" one
	# A background job may inherit SIGINT ignored: give it the default.
	env --default-signal=INT fish wait d --count 2 \
	    >"$BATS_TEST_TMPDIR/out" 2>/dev/null 3>&- &
	pid=$!
	wait_until 10 leased d
	kill -INT "$pid"
	reap "$pid"
	assert_equal "$status" 130
	assert_equal "$(stat -c %s "$BATS_TEST_TMPDIR/out")" 0
	run fish wait d --timeout 5
	assert_success
	assert_output one
}

@test "a wait --count killed half-way loses nothing" {
	post "$hook" one
	fish wait d --count 3 >/dev/null 3>&- &
	pid=$!
	wait_until 10 leased d
	kill_and_wait -KILL "$pid"
	run fish wait d --timeout 5
	assert_success
	assert_output one
}

@test "a wait --count across a listener crash takes each message once" {
	post "$hook" A
	fish wait d --count 2 --timeout 30 >"$BATS_TEST_TMPDIR/out" 3>&- &
	pid=$!
	wait_until 10 leased d
	kill_listener
	# The lease died with the listener; the wait starts it again and
	# gathers its batch afresh.
	wait_until 10 listener_up
	post "$hook" B
	reap "$pid" 30
	assert_equal "$status" 0
	assert_equal "$(cat "$BATS_TEST_TMPDIR/out")" $'A\nB'
	run fish wait d --timeout 0.3
	assert_failure 124
}

@test "two concurrent waits --count get whole batches of different messages" {
	fish wait d --count 2 --timeout 20 >"$BATS_TEST_TMPDIR/one" 3>&- &
	one=$!
	fish wait d --count 2 --timeout 20 >"$BATS_TEST_TMPDIR/two" 3>&- &
	two=$!
	wait_until 10 blocked "$one"
	wait_until 10 blocked "$two"
	for m in a b c d; do
		post "$hook" "$m"
	done
	reap "$one"
	assert_equal "$status" 0
	reap "$two"
	assert_equal "$status" 0
	assert_equal "$(cat "$BATS_TEST_TMPDIR/one" "$BATS_TEST_TMPDIR/two" |
	    sort | tr '\n' ' ')" 'a b c d '
	assert_equal "$(wc -l <"$BATS_TEST_TMPDIR/one")" 2
}

@test "a wait --count on a hook closed with too few messages exits 4 and keeps them" {
	post "$hook" one
	fish close d
	run --separate-stderr fish wait d --count 2 --timeout 1h
	assert_failure 4
	assert_output ''
	assert_equal "$stderr" "fish: hook 'd' is closed and only 1 message is queued (it stays queued) (in session 'default')"
	run fish wait d --count 1
	assert_success
	assert_output one
}

@test "a wait --count --field with a message lacking the value prints none of them" {
	post "$hook" '{"x":1}'
	post "$hook" '{"y":2}'
	run --separate-stderr fish wait d --count 2 --field /x --timeout 5
	assert_failure 4
	assert_output ''
	[[ $stderr == *"has no value at '/x' (all 2 stay queued)" ]]
	run fish wait d --count 2 --timeout 5
	assert_output $'{"x":1}\n{"y":2}'
}

@test "wait --count --where takes N matching messages and leaves the others" {
	post "$hook" '{"k":1}'
	post "$hook" '{"k":2}'
	post "$hook" '{"k":1}'
	run fish wait d --count 2 --where /k=1 --timeout 5
	assert_success
	assert_output $'{"k":1}\n{"k":1}'
	run fish wait d --drain
	assert_output '{"k":2}'
}

@test "wait --drain takes every message queued now and exits 0" {
	post "$hook" one
	post "$hook" two
	post "$hook" three
	run --separate-stderr fish wait d --drain
	assert_success
	assert_output $'one\ntwo\nthree'
	assert_equal "$stderr" ''
	# Nothing queued: at once, exit 0, nothing printed.
	run --separate-stderr fish wait d --drain
	assert_success
	assert_output ''
	assert_equal "$stderr" ''
}

@test "wait --drain --count takes at most N, oldest first" {
	for m in 1 2 3; do
		post "$hook" "$m"
	done
	run fish wait d --drain --count 2
	assert_success
	assert_output $'1\n2'
	run fish wait d --drain --count 2
	assert_output 3
}

@test "wait --drain --json --where prints one envelope per matching message" {
	post "$hook" '{"k":1}'
	post "$hook" '{"k":2}'
	run fish wait d --drain --json --where /k=2
	assert_success
	assert_equal "${#lines[@]}" 1
	assert_equal "$(printf '%s' "$output" | fish field /body)" '{"k":2}'
	run fish wait d --drain
	assert_output '{"k":1}'
}

@test "wait --drain on a closed hook takes what is left and exits 0" {
	post "$hook" last
	fish close d
	run fish wait d --drain
	assert_success
	assert_output last
	run fish wait d --drain
	assert_success
	assert_output ''
}

@test "wait --drain after a listener crash takes the messages from the journal" {
	post "$hook" kept
	kill_listener
	run fish wait d --drain
	assert_success
	assert_output kept
}

@test "wait --drain with --follow, --peek or --timeout is a usage error" {
	run --separate-stderr fish wait d --drain --follow
	assert_failure 2
	[[ $stderr == *"--drain takes what is queued now; --follow waits for more"* ]]
	run --separate-stderr fish wait d --drain --peek
	assert_failure 2
	[[ $stderr == *"--peek looks at one message"* ]]
	run --separate-stderr fish wait d --drain --timeout 5
	assert_failure 2
	[[ $stderr == *"--drain does not wait"* ]]
	run --separate-stderr fish wait d --count 2 --peek
	assert_failure 2
}

@test "wait --follow --count streams each message as it comes" {
	post "$hook" '"one"'
	fish wait d --follow --count 2 --field '' >"$BATS_TEST_TMPDIR/out" 3>&- &
	pid=$!
	# Printed (and taken) before the second has come.
	wait_until 10 grep -q one "$BATS_TEST_TMPDIR/out"
	post "$hook" '"two"'
	reap "$pid"
	assert_equal "$status" 0
	assert_equal "$(cat "$BATS_TEST_TMPDIR/out")" $'one\ntwo'
}

@test "a drain larger than the memory bound keeps the rest in a temporary file and prints all in order" {
	needs_test_hooks
	local i expected=""
	for i in $(seq 1 12); do
		post "$hook" "{\"n\":$i}"
		expected+="$i"$'\n'
	done
	# A few messages fit in memory; the rest go to the file.
	export FISH_TEST_WAIT_BATCH_MEMORY=5000
	run fish wait d --drain --field /n
	assert_success
	assert_equal "$output"$'\n' "$expected"
	run fish wait d --timeout 0
	assert_failure 124
	# Checking --field reads the file too: all or none.
	post "$hook" '{"n":1}'
	post "$hook" '{"n":2}'
	post "$hook" '{"n":3}'
	post "$hook" '{"m":4}'
	run --separate-stderr fish wait d --drain --field /n
	assert_failure 4
	[[ $stderr == *"has no value at '/n' (all 4 stay queued)" ]]
	run fish wait d --count 4 --timeout 5
	assert_success
	assert_equal "${#lines[@]}" 4
}

@test "a batch that cannot be kept in a temporary file takes nothing and says why" {
	needs_test_hooks
	local i
	for i in 1 2 3 4; do
		post "$hook" "{\"n\":$i}"
	done
	FISH_TEST_WAIT_BATCH_MEMORY=0 TMPDIR=$BATS_TEST_TMPDIR/missing \
	    run --separate-stderr fish wait d --count 4 --timeout 5
	assert_failure 1
	assert_output ''
	assert_equal "$stderr" "fish: wait: cannot make a file in $BATS_TEST_TMPDIR/missing to keep the messages in: No such file or directory (all stay queued)"
	run fish wait d --drain --field /n
	assert_success
	assert_output $'1\n2\n3\n4'
}

@test "a drain of 50 MiB holds at most its memory bound of them in the client" {
	local body=$BATS_TEST_TMPDIR/body i base peak
	# An ASan build gives freed memory back at once (as the bound needs).
	asan_no_quarantine
	head -c 393216 /dev/urandom | base64 -w0 | sed 's/.*/"&"/' >"$body"
	post "$hook" "@$body"
	base=$(client_peak fish wait d --drain)
	for i in $(seq 1 100); do
		post "$hook" "@$body"
	done
	peak=$(client_peak fish wait d --drain)
	# Beside a drain of one: the 16 MiB bound, not the 50 MiB of bodies
	# (7 to 13 MiB more, gcc and ASan; 40 MiB more unbounded).
	((peak - base < 24576)) ||
	    fail "the client peaked at $peak kB, $base kB for one message"
	run fish wait d --timeout 0
	assert_failure 124
}

# client_peak COMMAND...: run COMMAND, its output thrown away, and print
# its peak memory (kB), from its parent's accounting.
client_peak() {
	python3 -c 'import resource, subprocess, sys
subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, check=True)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)' "$@"
}
