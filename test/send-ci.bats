#!/usr/bin/env bats
# fish send for CI: --retry with backoff and Retry-After, --expect,
# --include, --location, -o, --quiet, --timeout per attempt, and the reuse
# of connections across sends.  The server is helpers/flaky.py, which
# counts TCP connections and logs each request with its own clock.

load helpers/common
load helpers/flaky
bats_require_minimum_version 1.5.0

setup() {
	common_setup
	server_pid=
	start_flaky
}

teardown() {
	stop_flaky
	common_teardown
}

# request_time KEY N: print when (ms) the Nth request with KEY arrived.
request_time() {
	awk -v k="$1" -v n="$2" '$1 == "request" && $2 == k && $3 == n {
	    print $4 }' "$BATS_TEST_TMPDIR/server.log"
}

# connections: print how many TCP connections the server has accepted.
connections() {
	grep -c '^connect$' "$BATS_TEST_TMPDIR/server.log" || true
}

# attempts: print the attempt numbers of the sent entries of fish log.
attempts() {
	fish log --json | while IFS= read -r line; do
		fish field /attempt <<<"$line"
	done | tr '\n' ' '
}

# stop_during_send SEND_ARG...: run fish send in the background, stop the
# session once the server has the first request with key a, and set
# $status to the send's exit status; its stderr is in $BATS_TEST_TMPDIR/err.
stop_during_send() {
	local pid
	fish send "$@" >/dev/null 2>"$BATS_TEST_TMPDIR/err" &
	pid=$!
	wait_until 10 has_requests a 1
	fish stop
	reap "$pid"
}

# backing_off: succeed once fish log shows a send waiting to try again.
backing_off() {
	fish log | grep -q "retry in"
}

@test "send --help and the man page name every option for CI" {
	local opt item
	run fish send --help
	assert_success
	for opt in --timeout --retry --expect -i --include -L --location \
	    -o --output -q --quiet; do
		assert_output --partial " $opt"
	done
	for item in 'Fl \-timeout Ar duration' 'Fl \-retry Ar n' \
	    'Fl \-expect Ar codes' 'Fl i , Fl \-include' \
	    'Fl L , Fl \-location' 'Fl o Ar file , Fl \-output Ar file' \
	    'Fl q , Fl \-quiet'; do
		grep -qxF ".It $item" "$FISH_SRC_DIR/man/fish.1"
	done
}

@test "send --retry tries again after 503s until the server answers 200" {
	run --separate-stderr fish send --retry 3 "$server/fail?times=2&key=a"
	assert_success
	assert_output ok
	assert_equal "$stderr" ''
	assert_equal "$(requests a)" 3
	assert_equal "$(attempts)" '1 2 3 '
	run fish log
	assert_line --index 0 --partial '503'
	assert_line --index 0 --partial 'attempt 1, retry in'
	assert_line --index 1 --partial 'attempt 2 of #1, retry in'
	assert_line --index 2 --partial '200'
	assert_line --index 2 --partial 'attempt 3 of #1'
	refute_line --index 2 --partial 'retry in'
}

@test "send --retry gives up after N retries with the last answer" {
	run --separate-stderr fish send --retry 2 "$server/fail?times=9&key=a"
	assert_failure 1
	assert_output failing
	assert_equal "$stderr" "fish: send: GET $server/fail?times=9&key=a: got \
503, expected 2xx (after 3 attempts)"
	assert_equal "$(requests a)" 3
}

@test "send makes one attempt without --retry" {
	run --separate-stderr fish send "$server/fail?times=1&key=a"
	assert_failure 1
	assert_equal "$(requests a)" 1
	# A record made once carries no attempt number.
	run fish log --json
	refute_output --partial '"attempt"'
}

@test "send --retry tries again on 5xx and 429 but never on other 4xx" {
	run fish send --retry 1 "$server/fail?times=1&code=500&key=a"
	assert_success
	assert_equal "$(requests a)" 2
	run fish send --retry 3 "$server/status/404"
	assert_failure 1
	run fish send --retry 3 "$server/status/400"
	assert_failure 1
	assert_equal "$(requests /status/404)" 1
	assert_equal "$(requests /status/400)" 1
}

@test "send --retry retries a POST too, with its body" {
	run fish send --retry 2 POST "$server/fail?times=1&key=a" n:=1
	assert_success
	assert_equal "$(requests a)" 2
	run fish log --json
	assert_line --index 1 --partial '"method":"POST"'
	assert_line --index 1 --partial '"body":"{\"n\":1}"'
}

@test "send --retry tries again when the server hangs up" {
	run fish send --retry 3 "$server/close?times=2&key=a"
	assert_success
	assert_output ok
	assert_equal "$(requests a)" 3
}

@test "send --retry on a refused connection exits 5 once retries run out" {
	local url
	url=http://127.0.0.1:$(closed_port)/x
	run --separate-stderr fish send --retry 2 "$url"
	assert_failure 5
	assert_output ''
	[[ $stderr == "fish: send: GET $url: "* ]]
	[[ $stderr == *"(after 3 attempts)" ]]
	assert_equal "$(wc -l <<<"$stderr")" 1
	assert_equal "$(attempts)" '1 2 3 '
}

@test "send --retry honours Retry-After in seconds" {
	run fish send --retry 1 "$server/limit?times=1&after=1&key=a"
	assert_success
	assert_output ok
	assert_equal "$(requests a)" 2
	first=$(request_time a 1)
	second=$(request_time a 2)
	# The server asked for 1 s; the second attempt came no sooner.
	[ $((second - first)) -ge 950 ]
	run fish log
	assert_line --index 0 --partial '429'
	assert_line --index 0 --partial 'retry in 1000 ms'
}

@test "send --retry honours Retry-After as an HTTP date" {
	local when date
	# A date two seconds ahead, to the second as HTTP dates are.
	when=$(($(date +%s) + 2))
	date=$(python3 -c 'import email.utils, sys, urllib.parse
print(urllib.parse.quote(email.utils.formatdate(int(sys.argv[1]),
    usegmt=True)))' "$when")
	run fish send --retry 1 "$server/limit?times=1&after=$date&key=a"
	assert_success
	assert_equal "$(requests a)" 2
	# The second attempt came no sooner than the date.
	[ "$(request_time a 2)" -ge $((when * 1000)) ]
}

@test "send --retry stops when Retry-After asks for more than 60 seconds" {
	run --separate-stderr fish send --retry 3 \
	    "$server/limit?times=1&after=120&key=a"
	assert_failure 1
	assert_output 'slow down'
	[[ $stderr == *"got 429, expected 2xx" ]]
	assert_equal "$(requests a)" 1
}

@test "send --expect takes codes, classes and lists" {
	run fish send --expect 404 "$server/status/404"
	assert_success
	assert_output 'status 404'
	run fish send --expect 200,404 "$server/status/404"
	assert_success
	run fish send --expect 2xx,4XX "$server/status/418"
	assert_success
	run --separate-stderr fish send --expect 4xx "$server/ok"
	assert_failure 1
	assert_equal "$stderr" "fish: send: GET $server/ok: got 200, expected 4xx"
	run --separate-stderr fish send "$server/status/404"
	assert_failure 1
	assert_output 'status 404'
	assert_equal "$stderr" \
	    "fish: send: GET $server/status/404: got 404, expected 2xx"
}

@test "send --expect rejects what is not a code or class" {
	local codes
	for codes in '' abc 2x 20 2000 600 099 6xx 2xy '200,' ',200' '200 404'; do
		run --separate-stderr fish send --expect "$codes" "$server/ok"
		assert_failure 2
		[[ $stderr == *"invalid --expect '$codes'"* ]]
	done
	assert_equal "$(requests /ok)" 0
}

@test "send --include prints the status line and headers, then the body" {
	run --separate-stderr fish send -i "$server/status/404"
	assert_failure 1
	assert_line --index 0 $'HTTP/1.1 404 Not Found\r'
	assert_line $'X-Test: yes\r'
	assert_line $'Content-Length: 10\r'
	# A blank line, then the body exactly.
	[[ $output == *$'\r\n\r\nstatus 404' ]]
	run fish send --include "$server/ok"
	assert_success
	assert_line --index 0 $'HTTP/1.1 200 OK\r'
}

@test "send --location follows redirects, which it does not by default" {
	run --separate-stderr fish send "$server/redirect?to=/ok"
	assert_failure 1
	assert_output moved
	[[ $stderr == *"got 302, expected 2xx" ]]
	run fish send --expect 3xx -i "$server/redirect?to=/ok"
	assert_success
	assert_line --index 0 $'HTTP/1.1 302 Found\r'
	assert_line $'Location: /ok\r'

	run fish send -L "$server/redirect?to=/status/201"
	assert_success
	assert_output 'status 201'
	# --include shows the last response.
	run fish send --location -i "$server/redirect?to=/ok"
	assert_success
	assert_line --index 0 $'HTTP/1.1 200 OK\r'
	run fish log --json
	assert_line --index 3 --partial "\"final_url\":\"$server/ok\""
	# At most 10 redirects are followed.
	run --separate-stderr fish send -L "$server/loop"
	assert_failure 1
	[[ $stderr == "fish: send: GET $server/loop: "*"redirects"* ]]
	assert_equal "$(requests /loop)" 11
	# A POST redirected by a 302 goes on as a GET, as with curl -L.
	run fish send -L POST "$server/redirect?to=/ok&key=a" n:=1
	assert_success
	assert_equal "$(awk '$2 == "/ok" { m = $5 } END { print m }' \
	    "$BATS_TEST_TMPDIR/server.log")" GET
	assert_equal "$(awk '$2 == "a" { print $5 }' \
	    "$BATS_TEST_TMPDIR/server.log")" POST
}

@test "send -o writes the output to a file and nothing to stdout" {
	run --separate-stderr fish send -o "$BATS_TEST_TMPDIR/out" "$server/ok"
	assert_success
	assert_output ''
	assert_equal "$(cat "$BATS_TEST_TMPDIR/out")" ok
	# With --include, the head goes there too; an answer outside
	# --expect is kept as well.
	run --separate-stderr fish send -i --output "$BATS_TEST_TMPDIR/out" \
	    "$server/status/500"
	assert_failure 1
	assert_output ''
	grep -q '^HTTP/1.1 500' "$BATS_TEST_TMPDIR/out"
	grep -q '^status 500$' "$BATS_TEST_TMPDIR/out"
	# Nothing else is left beside it.
	assert_equal "$(ls "$BATS_TEST_TMPDIR" | grep -c '^out')" 1
}

@test "send -o keeps an existing file when no answer came" {
	local url
	url=http://127.0.0.1:$(closed_port)/x
	echo before >"$BATS_TEST_TMPDIR/out"
	run fish send -o "$BATS_TEST_TMPDIR/out" "$url"
	assert_failure 5
	assert_equal "$(cat "$BATS_TEST_TMPDIR/out")" before
	run fish send -o "$BATS_TEST_TMPDIR/new" "$url"
	assert_failure 5
	[ ! -e "$BATS_TEST_TMPDIR/new" ]
	assert_equal "$(ls "$BATS_TEST_TMPDIR" | grep -c -e '^out' -e '^new')" 1
}

@test "send -o interrupted while it waits leaves no file behind" {
	fish send -o "$BATS_TEST_TMPDIR/out" --timeout 60 "$server/hang" \
	    2>"$BATS_TEST_TMPDIR/err" &
	pid=$!
	wait_until 10 has_requests /hang 1
	kill -TERM "$pid"
	reap "$pid"
	assert_equal "$status" 130
	assert_equal "$(ls "$BATS_TEST_TMPDIR" | grep -c '^out')" 0
}

@test "send -o to a path it cannot write exits 1 without sending" {
	run --separate-stderr fish send -o "$BATS_TEST_TMPDIR/no/such/dir/f" \
	    "$server/ok"
	assert_failure 1
	assert_output ''
	[[ $stderr == *"cannot write '$BATS_TEST_TMPDIR/no/such/dir/f'"* ]]
	assert_equal "$(wc -l <<<"$stderr")" 1
	assert_equal "$(requests /ok)" 0
	run --separate-stderr fish send -o '' "$server/ok"
	assert_failure 2
}

@test "send --quiet prints no body; the exit status tells" {
	run --separate-stderr fish send --quiet "$server/ok"
	assert_success
	assert_output ''
	assert_equal "$stderr" ''
	run --separate-stderr fish send -q -i "$server/status/500"
	assert_failure 1
	assert_output ''
	[[ $stderr == *"got 500, expected 2xx" ]]
}

@test "send --retry rejects what is not a count from 0 to 100" {
	local n
	for n in -1 abc '' 1.5 101 1000 ' 1'; do
		run --separate-stderr fish send --retry "$n" "$server/ok"
		assert_failure 2
		[[ $stderr == *"invalid --retry"* ]]
	done
	run fish send --retry 0 "$server/ok"
	assert_success
	run fish send --retry 100 "$server/ok"
	assert_success
	assert_equal "$(requests /ok)" 2
}

@test "send --timeout 0 is a usage error" {
	run --separate-stderr fish send --timeout 0 "$server/ok"
	assert_failure 2
	[[ $stderr == *"--timeout must be more than 0"* ]]
	assert_equal "$(requests /ok)" 0
}

@test "send --timeout bounds each attempt to a server that never answers" {
	run --separate-stderr fish send --timeout 0.3 --retry 1 "$server/hang"
	assert_failure 5
	[[ $stderr == "fish: send: GET $server/hang: "*"(after 2 attempts)" ]]
	# A busy server may log a request it never answered after the fact.
	wait_until 10 has_requests /hang 2
	assert_equal "$(requests /hang)" 2
	assert_equal "$(attempts)" '1 2 '
}

@test "ten sends to one server use one TCP connection" {
	local i
	for i in $(seq 10); do
		run fish send "$server/ok"
		assert_success
	done
	assert_equal "$(requests /ok)" 10
	assert_equal "$(connections)" 1
}

@test "concurrent sends to a flaky server all get through" {
	local i pids=()
	for i in 1 2 3 4 5 6; do
		fish send --retry 4 POST "$server/fail?times=2&key=k$i" i:="$i" \
		    >"$BATS_TEST_TMPDIR/out$i" 2>&1 &
		pids+=($!)
	done
	for i in 0 1 2 3 4 5; do
		wait "${pids[$i]}"
	done
	for i in 1 2 3 4 5 6; do
		assert_equal "$(cat "$BATS_TEST_TMPDIR/out$i")" ok
		assert_equal "$(requests "k$i")" 3
	done
	assert_equal "$(fish log --json | grep -c '"http_status":503')" 12
}

@test "a send killed while it waits to try again is not tried again" {
	# Retry-After: 3 leaves time to kill it before the backoff ends,
	# even on a loaded machine.
	fish send --retry 3 "$server/limit?times=9&after=3&key=a" \
	    >/dev/null 2>&1 &
	pid=$!
	wait_until 10 has_requests a 1
	# The 429 is journaled once the backoff starts.
	wait_until 10 backing_off
	kill_and_wait -TERM "$pid"
	wait_until 10 log_has 'not tried again'
	assert_equal "$(requests a)" 1
	run fish log
	assert_equal "${#lines[@]}" 1
}

@test "fish stop ends a send that waits to try again" {
	fish send --retry 2 "$server/limit?times=9&after=30&key=a" \
	    >"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" &
	pid=$!
	wait_until 10 has_requests a 1
	# The 429 is journaled once the backoff starts.
	wait_until 10 backing_off
	fish stop
	reap "$pid"
	assert_equal "$status" 3
	assert_equal "$(cat "$BATS_TEST_TMPDIR/out")" ''
	run cat "$BATS_TEST_TMPDIR/err"
	assert_output "fish: send: GET $server/limit?times=9&after=30&key=a: \
session 'default' was stopped before attempt 2"
	assert_equal "$(requests a)" 1
}

@test "fish stop makes an attempt under way the last one" {
	# An attempt long enough for fish stop to come while it is under way,
	# short enough to end within the listener's stop grace (5 s).
	stop_during_send --retry 2 --timeout 3 "$server/hang?times=9&key=a"
	assert_equal "$status" 5
	[[ $(cat "$BATS_TEST_TMPDIR/err") == "fish: send: GET $server/hang"* ]]
	assert_equal "$(requests a)" 1
	# Nothing started the listener again.
	run fish status
	assert_failure 3
}

@test "fish stop ends an attempt that outlasts its grace, and nothing sends again" {
	stop_during_send --timeout 60 "$server/hang?times=9&key=a"
	assert_equal "$status" 3
	assert_equal "$(cat "$BATS_TEST_TMPDIR/err")" "fish: send: GET \
$server/hang?times=9&key=a: session 'default' was stopped during the request"
	assert_equal "$(requests a)" 1
	run fish status
	assert_failure 3
	# The attempt is journaled all the same.
	run fish log
	assert_success
	assert_equal "${#lines[@]}" 1
	assert_output --partial 'stopped during the request'
}

@test "fish stop answers 503 to a forward whose app outlasts the grace" {
	local hook
	hook=$(fish spawn --forward-to "$server/hang?times=9&key=a")
	http_code "$hook" --max-time 30 >"$BATS_TEST_TMPDIR/code" 2>/dev/null &
	pid=$!
	wait_until 10 has_requests a 1
	fish stop
	reap "$pid"
	assert_equal "$(cat "$BATS_TEST_TMPDIR/code")" 503
	run fish log
	assert_output --partial 'stopped during the request'
}
