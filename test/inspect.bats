#!/usr/bin/env bats
# Inspecting the session: fish ls, show, tail and replay.

load helpers/common
bats_require_minimum_version 1.5.0

setup() {
	common_setup
	hook=$(fish spawn --name inbox)
	tail_pid=
}

teardown() {
	stop_tail
	common_teardown
}

# last_seq [DIRECTION]: print the sequence number of the newest message.
last_seq() {
	fish log --json | grep -F "\"direction\":\"${1:-received}\"" |
	    tail -n 1 | fish field /seq
}

# post_until_grep URL TEXT FILE: post to URL, succeed once FILE has TEXT.
post_until_grep() {
	posted "$1" ping || true
	grep -qF -- "$2" "$3"
}

# finish_tail: wait for the background tail to exit, set $status to its
# exit status.  (Not "run wait": a subshell cannot wait for our child.)
finish_tail() {
	reap "$tail_pid"
	tail_pid=
}

@test "ls lists hooks as a table" {
	local other
	other=$(fish spawn)
	post "$hook" a
	post "$hook" b
	fish wait inbox --timeout 5 >/dev/null
	run fish ls
	assert_success
	assert_equal "${#lines[@]}" 3
	assert_line --index 0 --regexp '^NAME +URL +RECEIVED +WAITING +STATE$'
	assert_line --index 1 --regexp "^inbox +$hook +2 +1 +open\$"
	assert_line --index 2 --regexp "^- +$other +0 +0 +open\$"
}

@test "ls --json prints one hook per line" {
	fish spawn >/dev/null
	post "$hook" a
	run fish ls --json
	assert_success
	assert_equal "${#lines[@]}" 2
	assert_equal "$(fish field /name <<<"${lines[0]}")" inbox
	assert_equal "$(fish field /url <<<"${lines[0]}")" "$hook"
	assert_equal "$(fish field /token <<<"${lines[0]}")" "${hook##*/}"
	assert_equal "$(fish field /received <<<"${lines[0]}")" 1
	assert_equal "$(fish field /queued <<<"${lines[0]}")" 1
	assert_equal "$(fish field /state <<<"${lines[0]}")" open
	assert_equal "$(fish field /name <<<"${lines[1]}")" null
}

@test "show prints a received message with its headers and body" {
	post "$hook/sub?x=1" '{"a":1}' -H 'X-Thing: yes'
	run fish show "$(nth_seq 1)"
	assert_success
	assert_line --index 0 'POST /sub?x=1'
	assert_line 'x-thing: yes'
	assert_line 'content-length: 7'
	# The body comes raw after a blank line when not on a terminal.
	[[ $output == *$'\n\n{"a":1}' ]]
}

@test "show pretty-prints a JSON body on a terminal" {
	post "$hook" '{"a":1,"b":[2]}'
	run script -qfc "fish show $(nth_seq 1) --color=never" /dev/null </dev/null
	assert_success
	assert_line --partial '"a": 1,'
	assert_line --partial '"b": ['
}

@test "show prints a sent request and its response" {
	fish send PUT "$hook/in" --data 'request text' >/dev/null
	run fish show "$(last_seq sent)"
	assert_success
	assert_line --index 0 "→ PUT $hook/in"
	assert_line --regexp '^← 200 \([0-9]+ ms\)$'
	assert_line 'request text'
}

@test "show --json prints the message with its body" {
	printf '\001\377' | post "$hook/p" @-
	run fish show "$(nth_seq 1)" --json
	assert_success
	assert_equal "$(fish field /seq <<<"$output")" "$(nth_seq 1)"
	assert_equal "$(fish field /path <<<"$output")" /p
	assert_equal "$(fish field /body_base64 <<<"$output")" 'Af8='
	fish send "$hook" --data hi >/dev/null
	run fish show "$(last_seq sent)" --json
	assert_equal "$(fish field /body <<<"$output")" hi
	assert_equal "$(fish field /direction <<<"$output")" sent
}

@test "show of an unknown or invalid SEQ fails" {
	run fish show 42
	assert_failure 4
	assert_output --partial "no message 42"
	run fish show abc
	assert_failure 2
	run fish show
	assert_failure 2
	run fish show "$(nth_seq 1)" --json --curl
	assert_failure 2
}

@test "show --curl reproduces the request at another hook" {
	local other got
	other=$(fish spawn)
	post "$hook/deep/path?x=1&y=two%20words" $'it\'s a "body"\nwith $HOME and `x`' \
	    -X PATCH -H "X-Quote: it's" -H 'Content-Type: text/plain'
	run fish show "$(nth_seq 1)" --curl
	assert_success
	assert_output --regexp "^curl -X PATCH '$hook/deep/path\\?x=1&y=two%20words'"
	refute_output --partial 'content-length'
	refute_output --partial 'host:'
	fish show "$(nth_seq 1)" --curl | sed "s|$hook|$other|" | sh >/dev/null 2>&1
	got=$(fish wait "$other" --json --timeout 5)
	assert_equal "$(fish field /method <<<"$got")" PATCH
	assert_equal "$(fish field /path <<<"$got")" /deep/path
	assert_equal "$(fish field /query <<<"$got")" 'x=1&y=two%20words'
	assert_equal "$(fish field /headers/x-quote <<<"$got")" "it's"
	assert_equal "$(fish field /headers/content-type <<<"$got")" text/plain
	assert_equal "$(fish field /body <<<"$got")" \
	    $'it\'s a "body"\nwith $HOME and `x`'
}

@test "show --curl reproduces a binary body and a bodiless request" {
	local other seq
	other=$(fish spawn)
	head -c 2048 /dev/urandom >"$BATS_TEST_TMPDIR/sent"
	printf '\000%%\\\047' >>"$BATS_TEST_TMPDIR/sent"
	post "$hook/bin" @"$BATS_TEST_TMPDIR/sent"
	run fish show "$(nth_seq 1)" --curl
	assert_output --regexp "^printf '.*' \\| curl -X POST "
	assert_output --partial '--data-binary @-'
	fish show "$(nth_seq 1)" --curl | sed "s|$hook|$other|" | sh >/dev/null 2>&1
	fish wait "$other" --timeout 5 >"$BATS_TEST_TMPDIR/got"
	cmp "$BATS_TEST_TMPDIR/sent" "$BATS_TEST_TMPDIR/got"

	curl -sS -o /dev/null "$hook/empty"
	seq=$(last_seq)
	run fish show "$seq" --curl
	assert_output --regexp "^curl -X GET '$hook/empty' "
	refute_output --partial 'data-binary'
	fish show "$seq" --curl | sed "s|$hook|$other|" | sh >/dev/null 2>&1
	assert_equal "$(fish wait "$other" --json --timeout 5 | fish field /method)" GET
}

@test "show --curl of a sent request targets its URL" {
	fish send POST "$hook" -H 'X-Sent: 1' --data 'out' >/dev/null
	run fish show "$(last_seq sent)" --curl
	assert_success
	assert_output "curl -X POST '$hook' -H 'x-sent: 1' -H 'Content-Type:' --data-binary 'out'"
}

@test "tail prints arrivals live until interrupted" {
	local out=$BATS_TEST_TMPDIR/tail.out
	start_tail "$out" "$hook/live" inbox
	post "$hook/second" 'two words'
	wait_until 5 grep -q second "$out"
	run cat "$out"
	assert_line --regexp '^← .*  inbox  POST /live  4 B  ping$'
	assert_line --regexp '^← .*  inbox  POST /second  9 B  two words$'
	refute_output --partial $'\e['
	kill -INT "$tail_pid"
	finish_tail
	assert_equal "$status" 130
}

@test "tail --json follows sent requests too, and ends when the session stops" {
	local out=$BATS_TEST_TMPDIR/tail.out
	start_tail "$out" "$hook" --json
	fish send "$hook" --data hello >/dev/null
	# A send shows when it starts, and again with its outcome.
	wait_until 5 grep -q '"state":"sent"' "$out"
	grep '"state":"sent"' "$out" >"$BATS_TEST_TMPDIR/sent"
	assert_equal "$(fish field /body <"$BATS_TEST_TMPDIR/sent")" hello
	assert_equal "$(fish field /http_status <"$BATS_TEST_TMPDIR/sent")" 200
	assert_equal "$(grep -c '"state":"sending"' "$out")" 1
	fish stop
	finish_tail
	assert_equal "$status" 3
}

@test "tail goes on after the listener crashes" {
	local out=$BATS_TEST_TMPDIR/tail.out
	start_tail "$out" "$hook/before"
	kill_listener
	# tail restarts the listener and subscribes again.
	wait_until 10 post_until_grep "$hook/after" /after "$out"
	kill -INT "$tail_pid"
	finish_tail
	assert_equal "$status" 130
}

# tail_caught_up FILE: the tail writing FILE has printed every message
# of the log from its first on, in order, and nothing else.
tail_caught_up() {
	local first
	first=$(json_seqs "$1" | head -n 1)
	fish log --json >"$BATS_TEST_TMPDIR/log.json"
	[ "$(json_seqs "$BATS_TEST_TMPDIR/log.json" |
	    awk -v first="$first" '$1 >= first')" = "$(json_seqs "$1")" ]
}

# tail_behind FILE: say what the tail writing FILE printed, what the log
# held at the last look, and what the tail said on stderr.
tail_behind() {
	echo "tail printed seqs: $(json_seqs "$1" | tr '\n' ' ')"
	echo "the log has: $(json_seqs "$BATS_TEST_TMPDIR/log.json" | tr '\n' ' ')"
	echo "tail's stderr: $(cat "$BATS_TEST_TMPDIR/tail.err")"
}

@test "tail resumes after the last entry it printed, however much came meanwhile" {
	local out=$BATS_TEST_TMPDIR/tail.out
	start_tail "$out" "$hook/before" --json
	# While tail reads nothing, its listener dies, and 3 MB arrive
	# through the next one: many times what it queues for a client.
	kill -STOP "$tail_pid"
	kill_listener
	fish status >/dev/null
	flood "$hook/during" 60 50000
	fish send "$hook/sent" --data out >/dev/null
	kill -CONT "$tail_pid"
	# Every message, in order, once (the send too: it was over when
	# tail came back, so it comes whole).
	wait_until 20 tail_caught_up "$out" || fail "$(tail_behind "$out")"
	assert_equal "$(grep -c '"path":"/during"' "$out")" 60
	kill -INT "$tail_pid"
	finish_tail
	assert_equal "$status" 130
}

@test "tail of an unknown hook exits 4" {
	run fish tail nosuchhook
	assert_failure 4
	assert_output --partial "no such hook"
}

@test "replay sends a received message to its hook again" {
	post "$hook/again?n=1" 'once more' -H 'X-Id: 7'
	assert_equal "$(fish wait inbox --timeout 5)" 'once more'
	run fish replay "$(nth_seq 1)"
	assert_success
	assert_output ''
	got=$(fish wait inbox --json --timeout 5)
	assert_equal "$(fish field /body <<<"$got")" 'once more'
	assert_equal "$(fish field /path <<<"$got")" /again
	assert_equal "$(fish field /query <<<"$got")" n=1
	assert_equal "$(fish field /headers/x-id <<<"$got")" 7
}

@test "replay --to sends it to another hook" {
	local other
	other=$(fish spawn)
	post "$hook/p?q=2" payload
	run fish replay "$(nth_seq 1)" --to "$other"
	assert_success
	got=$(fish wait "$other" --json --timeout 5)
	assert_equal "$(fish field /body <<<"$got")" payload
	assert_equal "$(fish field /path <<<"$got")" /p
	assert_equal "$(fish field /query <<<"$got")" q=2
}

@test "replay of a sent request sends it to its URL again" {
	fish send PUT "$hook/x" --data 'sent once' >/dev/null
	assert_equal "$(fish wait inbox --timeout 5)" 'sent once'
	run fish replay "$(last_seq sent)"
	assert_success
	got=$(fish wait inbox --json --timeout 5)
	assert_equal "$(fish field /method <<<"$got")" PUT
	assert_equal "$(fish field /path <<<"$got")" /x
	assert_equal "$(fish field /body <<<"$got")" 'sent once'
	# The replay joins the timeline as a sent request.
	assert_equal "$(fish log --json | grep -c '"direction":"sent"')" 2
}

@test "replay fails like send does" {
	post "$hook" x
	run fish replay "$(nth_seq 1)" --to "${hook%/*}/nosuchtoken"
	assert_failure 1
	assert_output --partial "server answered 404"
	run fish replay "$(nth_seq 1)" --to http://127.0.0.1:1
	assert_failure 5
	run fish replay 99
	assert_failure 4
	run fish replay "$(nth_seq 1)" --to ftp://example.com
	assert_failure 2
	run fish replay nope
	assert_failure 2
}
