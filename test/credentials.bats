#!/usr/bin/env bats
# Credentials in URLs (http://user:password@host/) never reach what fish
# shows or writes: error lines, log, tail, show, and the listener's log.
# The password is shown as ***, the user kept.

bats_require_minimum_version 1.5.0
load helpers/common

# backing_off: succeed once a send waits to try again.
backing_off() {
	fish log | grep -q "retry in"
}

setup() { common_setup; }
teardown() { common_teardown; }

@test "a send's error line masks the password of its URL" {
	local port
	port=$(closed_port)
	run --separate-stderr fish send POST "http://alice:s3cret@127.0.0.1:$port/x" a=1
	assert_failure 5
	[[ $stderr == "fish: send: POST http://alice:***@127.0.0.1:$port/x: "* ]]
	[[ $stderr != *s3cret* ]]
}

@test "log, log --json, show, show --json and show --curl mask the password of a URL sent to" {
	local hook url
	hook=$(fish spawn)
	url=${hook/http:\/\//http://alice:s3cret@}
	fish send "$url" a=1 >/dev/null

	run fish log
	assert_success
	assert_line --index 0 --partial "POST ${hook/http:\/\//http://alice:***@}  200"
	seq=$(nth_seq 1)
	for cmd in "log --json" "show $seq" "show $seq --json" "show $seq --curl"; do
		# shellcheck disable=SC2086
		run fish $cmd
		assert_success
		refute_output --partial s3cret
		assert_output --partial 'alice:***@'
	done
	# The journal keeps the URL whole: replay sends the same request.
	run fish replay "$(nth_seq 1)"
	assert_success
	run fish wait "$hook" --json --count 2
	assert_success
	assert_equal "$(grep -c "\"authorization\":\"Basic $(printf alice:s3cret | base64)\"" <<<"$output")" 2
}

@test "tail masks the password of a URL sent to" {
	local hook
	hook=$(fish spawn)
	start_tail "$BATS_TEST_TMPDIR/tail" "$hook"
	fish send "${hook/http:\/\//http://bob:hunter2@}" >/dev/null
	wait_until 10 grep -q 'bob:.*200' "$BATS_TEST_TMPDIR/tail"
	stop_tail
	run cat "$BATS_TEST_TMPDIR/tail"
	assert_output --partial 'bob:***@'
	refute_output --partial hunter2
}

@test "the listener's log masks the password of a URL it names" {
	local hook
	hook=$(fish spawn --status 503 -H 'Retry-After: 3')
	fish send --retry 3 "${hook/http:\/\//http://carol:pa55word@}" \
	    >/dev/null 2>&1 &
	pid=$!
	wait_until 10 backing_off
	kill_and_wait -TERM "$pid"
	wait_until 10 log_has 'not tried again'
	run grep 'not tried again' "$FISH_HOME/sessions/default/listener.log"
	assert_output --partial 'carol:***@'
	run grep -c pa55word "$FISH_HOME/sessions/default/listener.log"
	assert_output 0
}
