#!/usr/bin/env bats
# fish wait on hooks that can give nothing more: closed or expired, with
# nothing queued, it returns at once with exit 4 instead of hanging.

load helpers/common
bats_require_minimum_version 1.5.0

setup() {
	common_setup
}

teardown() {
	common_teardown
}

# blocked PID: succeed once process PID sleeps in poll(2), waiting for the
# listener's answer.
blocked() {
	[[ $(cat "/proc/$1/wchan" 2>/dev/null) == *poll* ]]
}

@test "wait on an expired hook returns at once with exit 4" {
	start=$(now_ms)
	hook=$(fish spawn --ttl 300ms)
	wait_until 10 since "$start" 400
	# No --timeout: it would hang for ever (BATS_TEST_TIMEOUT ends it).
	run --separate-stderr fish wait "$hook"
	assert_failure 4
	assert_output ''
	assert_equal "$stderr" "fish: hook $hook expired and nothing is queued (in session 'default')"
}

@test "wait on a closed hook delivers what is still queued, then exits 4" {
	hook=$(fish spawn --name d)
	post "$hook" one
	post "$hook" two
	fish close d
	run fish wait d
	assert_success
	assert_output one
	run fish wait d --field /x
	assert_failure 4
	run fish wait d
	assert_output two
	run --separate-stderr fish wait d --timeout 1h
	assert_failure 4
	assert_equal "$stderr" "fish: hook 'd' is closed and nothing is queued (in session 'default')"
}

@test "a wait blocked on a hook ends with exit 4 when the hook is closed" {
	fish spawn --name d >/dev/null
	fish wait d >"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" 3>&- &
	pid=$!
	wait_until 10 blocked "$pid"
	fish close d
	reap "$pid" 10
	assert_equal "$status" 4
	assert_equal "$(cat "$BATS_TEST_TMPDIR/err")" \
	    "fish: hook 'd' is closed and nothing is queued (in session 'default')"
	assert_equal "$(cat "$BATS_TEST_TMPDIR/out")" ''
}

@test "a wait blocked on a hook ends with exit 4 when its --ttl runs out" {
	fish spawn --name d --ttl 1s >/dev/null
	fish wait d 2>"$BATS_TEST_TMPDIR/err" 3>&- &
	pid=$!
	reap "$pid" 20
	assert_equal "$status" 4
	assert_equal "$(cat "$BATS_TEST_TMPDIR/err")" \
	    "fish: hook 'd' expired and nothing is queued (in session 'default')"
}

@test "two waits blocked on one hook both end when it is closed" {
	fish spawn --name d >/dev/null
	fish wait d 2>/dev/null 3>&- &
	one=$!
	fish wait d --where /x=1 2>"$BATS_TEST_TMPDIR/err" 3>&- &
	two=$!
	wait_until 10 blocked "$one"
	wait_until 10 blocked "$two"
	fish close d
	reap "$one" 10
	assert_equal "$status" 4
	reap "$two" 10
	assert_equal "$status" 4
	assert_equal "$(cat "$BATS_TEST_TMPDIR/err")" \
	    "fish: hook 'd' is closed and nothing queued matches --where (in session 'default')"
}

@test "wait --follow ends with exit 4 once its hook is closed and drained" {
	hook=$(fish spawn --name d)
	post "$hook" '"one"'
	fish wait d --follow --field '' >"$BATS_TEST_TMPDIR/out" \
	    2>"$BATS_TEST_TMPDIR/err" 3>&- &
	pid=$!
	wait_until 10 grep -q one "$BATS_TEST_TMPDIR/out"
	post "$hook" '"two"'
	wait_until 10 grep -q two "$BATS_TEST_TMPDIR/out"
	fish close d
	reap "$pid" 10
	assert_equal "$status" 4
	assert_equal "$(cat "$BATS_TEST_TMPDIR/out")" $'one\ntwo'
	assert_equal "$(cat "$BATS_TEST_TMPDIR/err")" \
	    "fish: hook 'd' is closed and nothing is queued (in session 'default')"
	# A closed hook with messages queued: --follow gives them, then ends.
	other=$(fish spawn --name e)
	post "$other" '"three"'
	fish close e
	run --separate-stderr fish wait e --follow --field ''
	assert_failure 4
	assert_output 'three'
}

@test "a wait on several hooks ends only when none of them can deliver" {
	a=$(fish spawn --name a)
	b=$(fish spawn --name b)
	fish wait a b >"$BATS_TEST_TMPDIR/out" 3>&- &
	pid=$!
	wait_until 10 blocked "$pid"
	fish close a
	# b can still deliver: the wait goes on and gets its message.
	post "$b" 'from b'
	reap "$pid" 10
	assert_equal "$status" 0
	assert_equal "$(cat "$BATS_TEST_TMPDIR/out")" 'from b'
	fish wait a b 2>"$BATS_TEST_TMPDIR/err" 3>&- &
	pid=$!
	wait_until 10 blocked "$pid"
	fish close b
	reap "$pid" 10
	assert_equal "$status" 4
	assert_equal "$(cat "$BATS_TEST_TMPDIR/err")" \
	    "fish: every hook waited on is closed or expired and nothing is queued (in session 'default')"
}

# leased HOOK: succeed once nothing of HOOK is queued for a peek (what
# there is, is leased).
leased() {
	! fish wait "$1" --peek --timeout 0 >/dev/null 2>&1
}

@test "a message leased to another wait keeps a closed hook's waiters waiting" {
	hook=$(fish spawn --name d)
	post "$hook" 'only one'
	# This one leases the message and waits for a second.
	fish wait d --count 2 >"$BATS_TEST_TMPDIR/first" \
	    2>"$BATS_TEST_TMPDIR/err" 3>&- &
	first=$!
	wait_until 10 leased d
	fish wait d >"$BATS_TEST_TMPDIR/second" 3>&- &
	second=$!
	wait_until 10 blocked "$second"
	fish close d
	# The batch cannot be completed: it gives the message back, and the
	# other wait, which was not ended while it might come back, gets it.
	reap "$first" 10
	assert_equal "$status" 4
	assert_equal "$(cat "$BATS_TEST_TMPDIR/err")" \
	    "fish: hook 'd' is closed and only 1 message is queued (it stays queued) (in session 'default')"
	assert_equal "$(cat "$BATS_TEST_TMPDIR/first")" ''
	reap "$second" 10
	assert_equal "$status" 0
	assert_equal "$(cat "$BATS_TEST_TMPDIR/second")" 'only one'
	run fish wait d
	assert_failure 4
}

@test "wait on a closed hook exits 4 after the listener was killed" {
	fish spawn --name d >/dev/null
	fish close d
	kill_listener
	run --separate-stderr fish wait d
	assert_failure 4
	assert_equal "$stderr" "fish: hook 'd' is closed and nothing is queued (in session 'default')"
}

@test "a wait blocked across a listener crash ends when its hook expired meanwhile" {
	# Time enough to be blocked before the hook expires, even on a slow
	# machine.
	fish spawn --name d --ttl 5s >/dev/null
	fish wait d 2>"$BATS_TEST_TMPDIR/err" 3>&- &
	pid=$!
	wait_until 10 blocked "$pid"
	kill_listener
	# The wait restarts the listener, which closes the hook on time.
	reap "$pid" 30
	assert_equal "$status" 4
	assert_equal "$(cat "$BATS_TEST_TMPDIR/err")" \
	    "fish: hook 'd' expired and nothing is queued (in session 'default')"
}
