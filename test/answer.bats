#!/usr/bin/env bats
# What hooks answer: spawn --status/-H/--body, --hold with fish reply,
# --echo handshakes, --forward-to a local app, fish close and --ttl.

load helpers/common
load helpers/app
bats_require_minimum_version 1.5.0

setup() {
	common_setup
	app_pid=""
}

teardown() {
	stop_app
	common_teardown
}

# message_count N: succeed once the session's status shows N messages, that
# is once N requests are durable (and held, for a --hold hook).
message_count() {
	[ "$(status_field /messages)" -ge "$1" ]
}

@test "spawn --status, -H and --body set the hook's answer" {
	hook=$(fish spawn --status 201 -H 'X-Answer: yes' \
	    -H 'Content-Type: application/json' --body '{"ok":true}')
	run curl -sS -D - --max-time 10 -d x "$hook"
	assert_success
	assert_line --index 0 --regexp '^HTTP/1\.1 201 '
	assert_line --partial 'X-Answer: yes'
	assert_line --partial 'Content-Type: application/json'
	assert_equal "${lines[-1]}" '{"ok":true}'
	# The request was recorded all the same.
	run fish wait "$hook" --timeout 5
	assert_output x
}

@test "every request to a hook gets its whole answer, on one connection or many" {
	hook=$(fish spawn --status 201 -H 'X-Answer: yes' --body 'hello')
	# Three requests on one keep-alive connection...
	run curl -sS -D - --max-time 10 -d 1 "$hook" -d 2 "$hook" -d 3 "$hook"
	assert_success
	assert_equal "$(grep -o 'HTTP/1.1 201 ' <<<"$output" | wc -l)" 3
	assert_equal "$(grep -c '^X-Answer: yes' <<<"$output")" 3
	assert_equal "$(grep -o hello <<<"$output" | wc -l)" 3
	# ...and eight at once on connections of their own.
	pids=()
	for i in 1 2 3 4 5 6 7 8; do
		curl -sS -D - -o - --max-time 10 -d "$i" "$hook" \
		    >"$BATS_TEST_TMPDIR/answer.$i" 3>&- &
		pids+=($!)
	done
	wait "${pids[@]}"
	for i in 1 2 3 4 5 6 7 8; do
		run cat "$BATS_TEST_TMPDIR/answer.$i"
		assert_line --index 0 --regexp '^HTTP/1\.1 201 '
		assert_line --partial 'X-Answer: yes'
		assert_equal "${lines[-1]}" hello
	done
	wait_until 5 message_count 11
}

@test "spawn --body @FILE answers the file's bytes" {
	printf 'line one\nline two\n' >"$BATS_TEST_TMPDIR/answer.txt"
	hook=$(fish spawn --body "@$BATS_TEST_TMPDIR/answer.txt" --status 404)
	curl -sS -o "$BATS_TEST_TMPDIR/got" -w '%{http_code}' --max-time 10 \
	    "$hook" >"$BATS_TEST_TMPDIR/code"
	assert_equal "$(cat "$BATS_TEST_TMPDIR/code")" 404
	cmp "$BATS_TEST_TMPDIR/answer.txt" "$BATS_TEST_TMPDIR/got"
}

@test "spawn rejects a bad status, header or body with a usage error" {
	local s
	for s in 99 100 199 600 abc 2000 ''; do
		run --separate-stderr fish spawn --status "$s"
		assert_failure 2
		[[ $stderr == *"invalid status"* ]]
	done
	run --separate-stderr fish spawn -H 'no colon'
	assert_failure 2
	[[ $stderr == *"invalid header"* ]]
	run --separate-stderr fish spawn -H 'Bad Name: x'
	assert_failure 2
	[[ $stderr == *"invalid header name"* ]]
	run --separate-stderr fish spawn -H 'Content-Length: 3'
	assert_failure 2
	[[ $stderr == *"set by the listener"* ]]
	run --separate-stderr fish spawn --body @/nonexistent/file
	assert_failure 1
	[[ $stderr == *"/nonexistent/file"* ]]
	run --separate-stderr fish spawn --hold --forward-to http://127.0.0.1:1
	assert_failure 2
	run --separate-stderr fish spawn --hold-timeout 1s
	assert_failure 2
	[[ $stderr == *"needs --hold"* ]]
	run --separate-stderr fish spawn --hold --hold-timeout 0
	assert_failure 2
	run --separate-stderr fish spawn --forward-to ftp://x
	assert_failure 2
	[[ $stderr == *"invalid URL"* ]]
	run --separate-stderr fish spawn --echo ''
	assert_failure 2
	[[ $stderr == *"--echo needs"* ]]
	run --separate-stderr fish spawn --ttl never
	assert_failure 2
	# Nothing was created: the listener was never needed.
	[ ! -e "$FISH_HOME/sessions/default/listener.pid" ]
}

@test "a held request is answered by fish reply from another process" {
	hook=$(fish spawn --hold)
	curl -sS -D - --max-time 10 -d 'please' "$hook" \
	    >"$BATS_TEST_TMPDIR/out" 3>&- &
	sender=$!
	# The request is visible to wait while it is held.
	run fish wait "$hook" --json --timeout 5
	assert_success
	seq=$(fish field /seq <<<"$output")
	assert_equal "$(fish field /body <<<"$output")" please
	run bash -c "fish reply $seq --status 202 -H 'X-Reply: 1' --body done"
	assert_success
	assert_output ''
	wait "$sender"
	run cat "$BATS_TEST_TMPDIR/out"
	assert_line --index 0 --regexp '^HTTP/1\.1 202 '
	assert_line --partial 'X-Reply: 1'
	assert_equal "${lines[-1]}" done
}

@test "reply to a hook answers its oldest held request" {
	hook=$(fish spawn --hold --name slash)
	curl -sS -o "$BATS_TEST_TMPDIR/first" --max-time 10 -d 1 "$hook" 3>&- &
	first=$!
	wait_until 5 message_count 1
	curl -sS -o "$BATS_TEST_TMPDIR/second" --max-time 10 -d 2 "$hook" 3>&- &
	second=$!
	wait_until 5 message_count 2
	fish reply slash --body one
	fish reply "$hook" --body two
	wait "$first" "$second"
	assert_equal "$(cat "$BATS_TEST_TMPDIR/first")" one
	assert_equal "$(cat "$BATS_TEST_TMPDIR/second")" two
	# Nothing is left to answer.
	run --separate-stderr fish reply slash
	assert_failure 4
	[[ $stderr == *"no request"* ]]
}

@test "show and log give the body a held request was answered with" {
	hook=$(fish spawn --hold)
	curl -sS -o /dev/null --max-time 10 -d 'please' "$hook" 3>&- &
	sender=$!
	run fish wait "$hook" --json --timeout 5
	seq=$(fish field /seq <<<"$output")
	fish reply "$seq" --status 202 -H 'X-Reply: 1' --body 'all done'
	wait "$sender"
	run fish show "$seq"
	assert_success
	assert_line --index 0 'POST /'
	assert_line please
	assert_line '← replied 202'
	assert_line 'x-reply: 1'
	assert_equal "${lines[-1]}" 'all done'
	run fish show "$seq" --json
	assert_equal "$(fish field /body <<<"$output")" please
	assert_equal "$(fish field /answer/body <<<"$output")" 'all done'
	assert_equal "$(fish field /answer/body_size <<<"$output")" 8
	run fish log --json
	assert_equal "$(fish field /answer/body <<<"$output")" 'all done'
	# The one-line log counts the request's body, not the reply's.
	run fish log
	assert_output --regexp 'replied 202  6 B  please$'
	# So does the curl that sends the request again.
	run fish show "$seq" --curl
	assert_output --partial "--data-binary 'please'"
	refute_output --partial 'all done'
}

@test "a timed-out held request shows the 504 answer's body" {
	hook=$(fish spawn --hold --hold-timeout 300ms)
	assert_equal "$(http_code "$hook" -d late)" 504
	run fish log --json
	assert_equal "$(fish field /answer/status <<<"$output")" 504
	assert_equal "$(fish field /answer/body <<<"$output")" 'no answer in time'
	assert_equal "$(fish field /body <<<"$output")" late
}

@test "a held request gets 504 after the hold timeout and stays recorded" {
	hook=$(fish spawn --hold --hold-timeout 300ms)
	assert_equal "$(http_code "$hook" -d late)" 504
	run fish wait "$hook" --json --timeout 5
	assert_success
	assert_equal "$(fish field /body <<<"$output")" late
	seq=$(fish field /seq <<<"$output")
	run --separate-stderr fish reply "$seq"
	assert_failure 1
	[[ $stderr == *"timed out"* ]]
}

@test "replying twice fails the second time" {
	hook=$(fish spawn --hold)
	curl -sS -o /dev/null --max-time 10 -d x "$hook" 3>&- &
	sender=$!
	wait_until 5 message_count 1
	seq=$(nth_seq 1)
	fish reply "$seq"
	wait "$sender"
	run --separate-stderr fish reply "$seq"
	assert_failure 1
	[[ $stderr == *"message $seq was already answered"* ]]
}

@test "reply to an unknown request exits 4" {
	fish spawn --hold >/dev/null
	run --separate-stderr fish reply 42
	assert_failure 4
	[[ $stderr == *"no message 42"* ]]
	run --separate-stderr fish reply no-such-hook
	assert_failure 4
	[[ $stderr == *"no such hook 'no-such-hook'"* ]]
}

@test "reply to a request of a hook that does not hold says so" {
	hook=$(fish spawn)
	assert_equal "$(http_code "$hook" -d x)" 200
	run --separate-stderr fish reply "$(nth_seq 1)"
	assert_failure 1
	[[ $stderr == *"does not hold requests"* ]]
	run --separate-stderr fish reply "$hook"
	assert_failure 1
	[[ $stderr == *"does not hold requests"* ]]
}

@test "a sender that hangs up while held is recorded and reply says so" {
	hook=$(fish spawn --hold)
	run curl -sS --max-time 0.5 -d impatient "$hook"
	assert_failure 28	# curl's own timeout
	seq=$(nth_seq 1)
	run --separate-stderr fish reply "$seq" --body late
	assert_failure 1
	[[ $stderr == *"sender of message $seq hung up"* ]]
	# Recorded: the message, and how it was answered (record type 7).
	run fish wait "$hook" --timeout 5
	assert_output impatient
	journal_types | grep -qx 7
	run --separate-stderr fish reply "$seq"
	assert_failure 1
	[[ $stderr == *"hung up"* ]]
}

@test "50 held requests do not slow other hooks down" {
	local i pids=()
	hook=$(fish spawn --hold --name held)
	other=$(fish spawn)
	for i in $(seq 50); do
		curl -sS -o "$BATS_TEST_TMPDIR/held.$i" --max-time 30 \
		    -d "$i" "$hook" 3>&- &
		pids+=($!)
	done
	wait_until 20 message_count 50
	# While all 50 are held, another hook answers at once.
	for i in 1 2 3 4 5; do
		assert_equal \
		    "$(http_code "$other" -d "other $i" --max-time 2)" 200
	done
	for i in $(seq 50); do
		fish reply held --body "answer $i"
	done
	# (Not a bare wait: bats has background jobs of its own.)
	wait "${pids[@]}"
	# Each sender got one of the answers, and no answer went twice.
	for i in $(seq 50); do
		printf '%s\n' "$(cat "$BATS_TEST_TMPDIR/held.$i")"
	done | sort >"$BATS_TEST_TMPDIR/got"
	seq 50 | sed 's/^/answer /' | sort >"$BATS_TEST_TMPDIR/want"
	cmp "$BATS_TEST_TMPDIR/want" "$BATS_TEST_TMPDIR/got"
	run fish status --json
	assert_equal "$(fish field /messages <<<"$output")" 55
}

@test "fish stop finishes while requests are held: they get 503" {
	hook=$(fish spawn --hold)
	http_code "$hook" --max-time 20 -d x >"$BATS_TEST_TMPDIR/code" 3>&- &
	sender=$!
	wait_until 5 message_count 1
	run fish stop
	assert_success
	wait "$sender"
	assert_equal "$(cat "$BATS_TEST_TMPDIR/code")" 503
}

@test "--echo /challenge answers Slack's url_verification" {
	hook=$(fish spawn --echo /challenge)
	run curl -sS -D - --max-time 10 -H 'Content-Type: application/json' \
	    -d '{"token":"Jhj5dZrVaK7ZwHHjRyZWjbDl","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}' \
	    "$hook"
	assert_success
	assert_line --index 0 --regexp '^HTTP/1\.1 200 '
	assert_line --partial 'Content-Type: text/plain'
	assert_equal "${lines[-1]}" 3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P
	# An ordinary event gets the ordinary answer; both are recorded.
	run curl -sS --max-time 10 -d '{"type":"event_callback"}' "$hook"
	assert_output ''
	run fish wait "$hook" --field /type --timeout 5
	assert_output url_verification
}

@test "an answer whose head does not fit beside the request's is cut, and the listener carries on" {
	local pad hook pid i args=()
	# The answer's head is built in the connection's memory (--max-header,
	# 16KiB), which the request's head still takes: 9 KiB and 8 KiB do
	# not fit, and libmicrohttpd closes the connection.  The hook's own
	# answer (made once), and one made for the request (an echo).
	pad=$(head -c 1000 /dev/zero | tr '\0' a)
	for i in 1 2 3 4 5 6 7 8 9; do
		args+=(-H "X-Pad-$i: $pad")
	done
	for hook in "$(fish spawn "${args[@]}")" \
	    "$(fish spawn --echo /challenge "${args[@]}")"; do
		pid=$(listener_pid)
		run curl -sS --max-time 10 \
		    -H "X-Big: $(head -c 8000 /dev/zero | tr '\0' b)" \
		    -d '{"challenge":"c1"}' "$hook"
		assert_failure
		alive "$pid"
		run fish wait "$hook" --field /challenge --timeout 5
		assert_output c1
		run curl -sS -o /dev/null -w '%{http_code}' --max-time 10 \
		    -d '{"challenge":"c2"}' "$hook"
		assert_output 200
	done
	[ "$(listener_pid)" = "$pid" ]
}

@test "--echo answers a value holding NUL bytes whole, as field prints it" {
	hook=$(fish spawn --echo /challenge)
	curl -sS --max-time 10 -o "$BATS_TEST_TMPDIR/answer" \
	    -d '{"challenge":"a\u0000b\u0000c"}' "$hook"
	printf 'a\0b\0c' | cmp - "$BATS_TEST_TMPDIR/answer"
	# A query parameter too (%00).
	hook=$(fish spawn --echo ch)
	curl -sS --max-time 10 -o "$BATS_TEST_TMPDIR/answer" "$hook?ch=x%00y"
	printf 'x\0y' | cmp - "$BATS_TEST_TMPDIR/answer"
}

@test "--echo hub.challenge answers a WebSub or Meta verification" {
	hook=$(fish spawn --echo hub.challenge)
	run curl -sS -D - --max-time 10 \
	    "$hook?hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=meatyhamhock"
	assert_success
	assert_line --index 0 --regexp '^HTTP/1\.1 200 '
	assert_equal "${lines[-1]}" 1158201444
	run fish wait "$hook" --json --timeout 5
	assert_equal "$(fish field /query <<<"$output")" \
	    'hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=meatyhamhock'
}

@test "--echo validationToken answers Microsoft Graph's validation" {
	hook=$(fish spawn --echo validationToken)
	run curl -sS -D - --max-time 10 -X POST -H 'Content-Length: 0' \
	    "$hook?validationToken=Validation%3A%20Testing%20client%20application%20reachability%20for%20subscription%20Request-Id%3A%2025d1a8b6"
	assert_success
	assert_line --index 0 --regexp '^HTTP/1\.1 200 '
	assert_line --partial 'Content-Type: text/plain'
	assert_equal "${lines[-1]}" \
	    'Validation: Testing client application reachability for subscription Request-Id: 25d1a8b6'
}

@test "--forward-to passes requests to a local app and relays its answer" {
	start_app
	hook=$(fish spawn --forward-to "$app_url/base")
	run curl -sS -D - --max-time 10 -H 'X-Test: t1' -d 'hello app' \
	    "$hook/sub/path?a=1&b=2"
	assert_success
	assert_line --index 0 --regexp '^HTTP/1\.1 201 '
	assert_line --partial 'X-App: yes'
	assert_equal "${lines[-1]}" 'POST /base/sub/path?a=1&b=2 X-Test=t1 hello app'
	# The request is recorded for wait, and the forward as a sent message.
	run fish wait "$hook" --timeout 5
	assert_output 'hello app'
	[ "$(journal_types | grep -cx 4)" -eq 1 ]
	# Other methods go through unchanged too.
	run curl -sS --max-time 10 -X PUT -H 'X-Test: t2' -d 'put body' "$hook"
	assert_output 'PUT /base X-Test=t2 put body'
}

@test "--forward-to answers 502 when the app is down, and records it" {
	start_app
	hook=$(fish spawn --forward-to "$app_url")
	stop_app
	assert_equal "$(http_code "$hook" -d 'nobody home')" 502
	run fish wait "$hook" --timeout 5
	assert_output 'nobody home'
	[ "$(journal_types | grep -cx 4)" -eq 1 ]
}

@test "show and log give the body the app answered a forwarded request with" {
	start_app
	hook=$(fish spawn --forward-to "$app_url")
	run curl -sS --max-time 10 -H 'X-Test: t' -d 'for the app' "$hook/x"
	assert_output 'POST /x X-Test=t for the app'
	seq=$(fish wait "$hook" --json --timeout 5 | fish field /seq)
	run fish show "$seq"
	assert_success
	assert_line --index 0 'POST /x'
	assert_line 'for the app'
	assert_line '← forwarded 201'
	# The headers the provider got from the app, not the connection's.
	assert_line 'x-app: yes'
	[[ ${output#*← forwarded} != *content-length* ]]
	assert_equal "${lines[-1]}" 'POST /x X-Test=t for the app'
	run fish show "$seq" --json
	assert_equal "$(fish field /body <<<"$output")" 'for the app'
	assert_equal "$(fish field /answer/body <<<"$output")" \
	    'POST /x X-Test=t for the app'
	assert_equal "$(fish field /answer/body_size <<<"$output")" 28
	run fish log "$hook" --json
	assert_equal "$(fish field /answer/status <<<"$output")" 201
	assert_equal "$(fish field /answer/body <<<"$output")" \
	    'POST /x X-Test=t for the app'
	# The app's body is journaled once, with the forward (type 4), not
	# again with the answer (type 7).
	[ "$(journal_types | grep -cx 7)" -eq 1 ]
	run fish log --json
	[ "$(grep -c 'POST /x X-Test=t for the app' <<<"$output")" -eq 2 ]
	# The one-line log counts the request's body, not the answer's.
	run fish log "$hook"
	assert_output --regexp 'forwarded 201  11 B  for the app$'
}

@test "a forwarded request the app answered with no body shows none" {
	start_app
	hook=$(fish spawn --forward-to "$app_url")
	assert_equal "$(http_code "$hook/empty" -d ping)" 204
	run fish log "$hook" --json
	assert_equal "$(fish field /answer/status <<<"$output")" 204
	assert_equal "$(fish field /answer/outcome <<<"$output")" forwarded
	refute_output --partial body_size
	[ "$(fish field /answer/body <<<"$output")" = "" ]
	run fish show "$(fish field /seq <<<"$output")"
	assert_success
	assert_line '← forwarded 204'
	assert_equal "${lines[-1]}" 'x-app: yes'
}

@test "a forwarded request whose app is too slow or down shows the 502 the provider got" {
	start_app
	hook=$(fish spawn --forward-to "$app_url" --hold-timeout 300ms)
	assert_equal "$(curl -sS --max-time 10 -d 'too late' "$hook/slow")" \
	    'the app behind this hook cannot be reached'
	run fish log "$hook" --json
	assert_equal "$(fish field /answer/status <<<"$output")" 502
	assert_equal "$(fish field /answer/body <<<"$output")" \
	    'the app behind this hook cannot be reached'
	stop_app
	hook=$(fish spawn --forward-to "$app_url")
	assert_equal "$(curl -sS --max-time 10 -d 'nobody home' "$hook")" \
	    'the app behind this hook cannot be reached'
	run fish log "$hook" --json
	assert_equal "$(fish field /answer/status <<<"$output")" 502
	assert_equal "$(fish field /answer/body <<<"$output")" \
	    'the app behind this hook cannot be reached'
	assert_equal "$(fish field /body <<<"$output")" 'nobody home'
	run fish show "$(fish field /seq <<<"$output")"
	assert_line '← forwarded 502'
	assert_equal "${lines[-1]}" 'the app behind this hook cannot be reached'
}

@test "close gives 410 while waiting messages remain waitable" {
	hook=$(fish spawn --name closing)
	assert_equal "$(http_code "$hook" -d before)" 200
	run fish close closing
	assert_success
	assert_output ''
	assert_equal "$(http_code "$hook" -d after)" 410
	run fish wait closing --timeout 5
	assert_success
	assert_output before
	# Then nothing can come: the wait says so at once.
	run fish wait closing --timeout 20
	assert_failure 4
	# Closing again is harmless; the hook stays closed across a restart.
	fish close "$hook"
	fish stop
	assert_equal "$(http_code "$hook" --retry 0 -d x || true)" 000
	fish start >/dev/null
	assert_equal "$(http_code "$hook" -d again)" 410
}

@test "spawn --ttl closes the hook when its time is up" {
	hook=$(fish spawn --ttl 300ms)
	wait_until 5 gone "$hook"
	# A hook whose time ran out while the listener was down is closed on
	# start.
	later=$(fish spawn --ttl 500ms)
	assert_equal "$(http_code "$later")" 200
	fish stop
	stopped=$(now_ms)
	wait_until 5 since "$stopped" 600
	fish start >/dev/null
	assert_equal "$(http_code "$later")" 410
}

@test "answer settings survive a restart" {
	start_app
	canned=$(fish spawn --status 202 -H 'X-Kept: 1' --body kept)
	held=$(fish spawn --hold --hold-timeout 300ms)
	echo=$(fish spawn --echo hub.challenge)
	forward=$(fish spawn --forward-to "$app_url")
	ttl=$(fish spawn --ttl 1h)
	fish stop
	fish start >/dev/null
	run curl -sS -D - --max-time 10 "$canned"
	assert_line --index 0 --regexp '^HTTP/1\.1 202 '
	assert_line --partial 'X-Kept: 1'
	assert_equal "${lines[-1]}" kept
	assert_equal "$(http_code "$held" -d x)" 504
	assert_equal "$(curl -sS --max-time 10 "$echo?hub.challenge=xyz")" xyz
	assert_equal "$(curl -sS --max-time 10 -H 'X-Test: r' "$forward/p")" \
	    'GET /p X-Test=r '
	assert_equal "$(http_code "$ttl")" 200
}

# first_segment_gone: succeed once the journal's first segment was removed.
first_segment_gone() {
	[ ! -e "$(journal_dir)/00000001.journal" ]
}

@test "answer settings survive in checkpoints once old segments expire" {
	journal_only "checkpoints and expiring segments are the journal's"
	fish start --retain 1s >/dev/null
	hook=$(fish spawn --status 203 -H 'X-Kept: 2' --body kept --echo ch)
	wait_until 20 first_segment_gone
	fish stop
	fish start >/dev/null
	run curl -sS -D - --max-time 10 "$hook"
	assert_line --index 0 --regexp '^HTTP/1\.1 203 '
	assert_line --partial 'X-Kept: 2'
	assert_equal "${lines[-1]}" kept
	assert_equal "$(curl -sS --max-time 10 "$hook?ch=echoed")" echoed
}

@test "reply and close usage errors" {
	run --separate-stderr fish reply
	assert_failure 2
	[[ $stderr == *"missing MESSAGE"* ]]
	run --separate-stderr fish reply 1 2
	assert_failure 2
	run --separate-stderr fish reply 1 --status 700
	assert_failure 2
	[[ $stderr == *"invalid status"* ]]
	run --separate-stderr fish reply 1 -H 'Transfer-Encoding: chunked'
	assert_failure 2
	run --separate-stderr fish close
	assert_failure 2
	[[ $stderr == *"missing HOOK"* ]]
	run --separate-stderr fish close a b
	assert_failure 2
	run --separate-stderr fish close --frobnicate x
	assert_failure 2
	# No session yet: nothing to close, and none is made.
	run --separate-stderr fish close no-such-hook
	assert_failure 4
	[[ $stderr == *"no session 'default'"* ]]
	fish start >/dev/null
	run --separate-stderr fish close no-such-hook
	assert_failure 4
	[[ $stderr == *"no such hook"* ]]
}

@test "reply --help and close --help describe them" {
	run fish reply --help
	assert_success
	assert_line --index 0 --partial 'usage: fish reply MESSAGE'
	assert_output --partial '--status N'
	run fish close --help
	assert_success
	assert_line --index 0 'usage: fish close HOOK'
	run fish spawn --help
	assert_output --partial '--hold-timeout D'
	assert_output --partial '--forward-to URL'
	assert_output --partial '--echo PARAM'
	assert_output --partial '--ttl D'
}
