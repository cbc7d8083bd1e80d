#!/usr/bin/env bats
# fish send and replay when the listener dies during a request: every
# attempt is journaled before it leaves, the client never repeats a
# request by itself, and --retry N makes at most N+1 attempts whatever
# happens.  The server is helpers/flaky.py, which counts what it gets.

load helpers/common
load helpers/flaky
bats_require_minimum_version 1.5.0

setup() {
	common_setup
	server_pid=
	start_flaky
	out=$BATS_TEST_TMPDIR/out
	err=$BATS_TEST_TMPDIR/err
}

teardown() {
	stop_flaky
	common_teardown
}

# send_until_killed KEY N SEND_ARG...: run fish send in the background,
# kill the listener with SIGKILL once the server has N requests with KEY,
# and set $status to the send's exit status (its output in $out and $err).
send_until_killed() {
	local key=$1 n=$2 pid
	shift 2
	fish send "$@" >"$out" 2>"$err" &
	pid=$!
	wait_until 10 has_requests "$key" "$n"
	kill_listener
	reap "$pid"
}

# in_doubt METHOD URL: print what send says when it lost its listener.
in_doubt() {
	echo "fish: send: $1 $2: lost contact with the listener during the" \
	    "request: it may have been made; 'fish log' shows what was sent"
}

@test "a send whose listener is killed mid-request exits 3 and is made once" {
	local url="$server/hang?times=1&key=a"
	fish start >/dev/null
	send_until_killed a 1 --timeout 20 "$url"
	assert_equal "$status" 3
	assert_equal "$(cat "$out")" ''
	assert_equal "$(cat "$err")" "$(in_doubt GET "$url")"
	# The next listener shows the attempt, made but never answered, and
	# does not make it again.
	run fish log
	assert_success
	assert_equal "${#lines[@]}" 1
	assert_output --regexp "^→ .*  #1  GET $server/hang\\?times=1&key=a  no answer recorded: the listener stopped\$"
	assert_equal "$(requests a)" 1
}

@test "show, log --json and replay of an attempt whose listener died" {
	local url="$server/hang?times=1&key=a" seq
	send_until_killed a 1 --timeout 20 POST "$url" -H 'X-Id: 7' \
	    --data 'the body'
	assert_equal "$status" 3
	run fish show "$(nth_seq 1)"
	assert_success
	assert_line --index 0 "→ POST $url"
	assert_line 'x-id: 7'
	assert_line 'the body'
	assert_line '← no answer recorded: the listener stopped'
	run fish log --json
	assert_equal "$(fish field /state <<<"$output")" unanswered
	assert_equal "$(fish field /status <<<"$output")" 3
	assert_equal "$(fish field /body <<<"$output")" 'the body'
	run fish field /http_status <<<"$output"
	assert_failure 4
	# Making it again is the user's choice, and works.
	run fish replay "$(nth_seq 1)"
	assert_success
	assert_output ok
	assert_equal "$(requests a)" 2
	seq=$(nth_seq 2)
	run fish log
	assert_equal "${#lines[@]}" 2
	assert_line --index 1 --regexp "^→ .*  #$seq  POST $server/hang\\?times=1&key=a  200  [0-9]+ ms\$"
}

@test "send --retry 2 whose listener dies between attempts makes no more" {
	local url="$server/script?do=429:2,429:2,429:2&key=a"
	send_until_killed a 1 --retry 2 "$url"
	# Killed at once, or during the wait before attempt 2: either way,
	# exit 3 and nobody tries again.
	assert_equal "$status" 3
	assert_equal "$(cat "$err")" "$(in_doubt GET "$url")"
	# A send that waits out the same Retry-After through the next
	# listener sees no other attempt of the first come meanwhile.
	run fish send --retry 1 "$server/script?do=429:2&key=b"
	assert_success
	assert_equal "$(requests b)" 2
	assert_equal "$(requests a)" 1
}

@test "send --retry 2 whose listener dies during attempt 2 makes no more" {
	local url="$server/script?do=503,hang&key=a"
	send_until_killed a 2 --retry 2 --timeout 20 "$url"
	assert_equal "$status" 3
	assert_equal "$(cat "$err")" "$(in_doubt GET "$url")"
	run fish log
	assert_equal "${#lines[@]}" 2
	assert_line --index 0 --partial '503'
	assert_line --index 1 --partial 'no answer recorded: the listener stopped'
	assert_line --index 1 --partial 'attempt 2 of #1'
	assert_equal "$(requests a)" 2
}

@test "replay whose listener is killed mid-request exits 3 and is made once" {
	local url="$server/hang?times=9&key=a"
	fish send "$server/ok?key=b" >/dev/null
	fish replay "$(nth_seq 1)" --to "$url" >"$out" 2>"$err" &
	pid=$!
	wait_until 10 has_requests a 1
	kill_listener
	reap "$pid"
	assert_equal "$status" 3
	assert_equal "$(cat "$err")" "fish: replay of message $(nth_seq 1): lost contact \
with the listener during the request: it may have been made; 'fish log' \
shows what was sent"
	run fish log
	assert_line --index 1 --partial 'no answer recorded'
	assert_equal "$(requests a)" 1
}

@test "a send that completes journals its start, then its outcome, and prints the body" {
	run --separate-stderr fish send POST "$server/ok?key=a" --data x
	assert_success
	assert_output ok
	assert_equal "$stderr" ''
	# Type 8 (the attempt, durable before it leaves), then 4 (its outcome).
	[[ $(journal_types | tr '\n' ' ') == *"8 4 " ]]
	run fish log --json
	assert_equal "$(fish field /state <<<"$output")" sent
	assert_equal "$(fish field /http_status <<<"$output")" 200
	assert_equal "$(fish field /body <<<"$output")" x
	assert_equal "$(fish field /response_body <<<"$output")" ok
	assert_equal "$(requests a)" 1
}

@test "a tail that printed a send under way prints its outcome once its listener, killed mid-request, is started again" {
	local url="$server/hang?times=1&key=a" hook pid
	local tailed=$BATS_TEST_TMPDIR/tail.out
	fish start >/dev/null
	hook=$(fish spawn --name inbox)
	start_tail "$tailed" "$hook"
	fish send --timeout 20 "$url" >"$out" 2>"$err" &
	pid=$!
	wait_until 10 has_requests a 1
	wait_until 10 grep -qF "GET $url  sending" "$tailed"
	# The tail restarts the listener, which records the request cut by
	# its death before the tail resumes after it.
	kill_listener
	reap "$pid"
	assert_equal "$status" 3
	wait_until 20 grep -qF "GET $url  no answer recorded" "$tailed" ||
	    fail "the tail printed: $(cat "$tailed")"
	post "$hook/after" after
	wait_until 20 grep -qF "inbox  POST /after" "$tailed"
	stop_tail -INT
	assert_equal "$(grep -cF "GET $url  sending" "$tailed")" 1
	assert_equal "$(grep -cF "GET $url  no answer recorded" "$tailed")" 1
	assert_equal "$(requests a)" 1
}
