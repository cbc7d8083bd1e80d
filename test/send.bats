#!/usr/bin/env bats
# fish send: make a request through the listener, print the response body.
# The receiving end is a hook of another session ("other"), which answers
# 200 and records what arrived, or helpers/flaky.py.

load helpers/common
load helpers/flaky
bats_require_minimum_version 1.5.0

setup() {
	common_setup
	server_pid=
	remote=$(fish -S other spawn)
}

teardown() {
	stop_flaky
	common_teardown
}

# received [JSON_POINTER]: take the next message of the remote hook and
# print its envelope, or the value at JSON_POINTER of it.
received() {
	if [ $# -eq 0 ]; then
		fish -S other wait "$remote" --json --timeout 5
	else
		fish -S other wait "$remote" --json --timeout 5 | fish field "$1"
	fi
}

@test "send POSTs fields as a JSON body" {
	run fish send POST "$remote" a=1 b:=2
	assert_success
	json=$(received)
	assert_equal "$(fish field /method <<<"$json")" POST
	assert_equal "$(fish field /body <<<"$json")" '{"a":"1","b":2}'
	assert_equal "$(fish field /headers/content-type <<<"$json")" \
	    application/json
}

@test "send takes raw JSON values of every kind with :=" {
	fish send "$remote" 'n:=null' 'l:=[1,"two"]' 'o:={"k":true}' \
	    url=http://example.com/x
	body=$(received /body)
	assert_equal "$(fish field /n <<<"$body")" null
	assert_equal "$(fish field /l/1 <<<"$body")" two
	assert_equal "$(fish field /o/k <<<"$body")" true
	assert_equal "$(fish field /url <<<"$body")" http://example.com/x
}

@test "send uses GET without a body and POST with one" {
	fish send "$remote"
	json=$(received)
	assert_equal "$(fish field /method <<<"$json")" GET
	assert_equal "$(fish field /body <<<"$json")" ''

	fish send "$remote" a=1
	assert_equal "$(received /method)" POST
}

@test "send uses the method given as the first word" {
	local m
	for m in PUT DELETE PATCH; do
		fish send "$m" "$remote" k=v
		assert_equal "$(received /method)" "$m"
	done
	fish send DELETE "$remote"
	assert_equal "$(received /method)" DELETE
}

@test "send adds key==value items to the query" {
	fish send "$remote/search" q==fish 'note==a b&c'
	json=$(received)
	assert_equal "$(fish field /path <<<"$json")" /search
	assert_equal "$(fish field /query <<<"$json")" 'q=fish&note=a%20b%26c'
	# Added to a query the URL already has.
	fish send "$remote?page=2" q==x
	assert_equal "$(received /query)" 'page=2&q=x'
}

@test "send sets headers from Name:value items and -H" {
	fish send "$remote" X-Token:abc123 -H 'X-Trace: one two'
	json=$(received)
	assert_equal "$(fish field /headers/x-token <<<"$json")" abc123
	assert_equal "$(fish field /headers/x-trace <<<"$json")" 'one two'
}

@test "send --data @file sends the file's bytes exactly" {
	head -c 8192 /dev/urandom >"$BATS_TEST_TMPDIR/sent"
	printf '\000\377\n' >>"$BATS_TEST_TMPDIR/sent"
	run fish send "$remote" --data @"$BATS_TEST_TMPDIR/sent"
	assert_success
	fish -S other wait "$remote" --timeout 5 >"$BATS_TEST_TMPDIR/got"
	cmp "$BATS_TEST_TMPDIR/sent" "$BATS_TEST_TMPDIR/got"
}

@test "send --data @- reads the body from stdin" {
	printf 'line one\nline two\n' >"$BATS_TEST_TMPDIR/sent"
	fish send PUT "$remote" --data @- <"$BATS_TEST_TMPDIR/sent"
	fish -S other wait "$remote" --timeout 5 >"$BATS_TEST_TMPDIR/got"
	cmp "$BATS_TEST_TMPDIR/sent" "$BATS_TEST_TMPDIR/got"
}

@test "send --data text sends the text as it is, by POST" {
	fish send "$remote" --data 'plain words'
	json=$(received)
	assert_equal "$(fish field /method <<<"$json")" POST
	assert_equal "$(fish field /body <<<"$json")" 'plain words'
}

@test "send --json sends JSON text as application/json" {
	fish send "$remote" --json '{"x":1}'
	json=$(received)
	assert_equal "$(fish field /body <<<"$json")" '{"x":1}'
	assert_equal "$(fish field /headers/content-type <<<"$json")" \
	    application/json
}

@test "send --json rejects invalid JSON as a usage error" {
	run --separate-stderr fish send "$remote" --json '{"x":'
	assert_failure 2
	[[ $stderr == *"--json"* ]]
	run fish -S other wait "$remote" --timeout 0.3
	assert_failure 124
}

@test "send prints the response body" {
	start_flaky
	run --separate-stderr fish send "$server/ok"
	assert_success
	assert_output ok
	assert_equal "$stderr" ''
}

@test "send exits 1 on a 500 answer but still prints the body" {
	start_flaky
	run --separate-stderr fish send POST "$server/status/500" a=1
	assert_failure 1
	assert_output "status 500"
	[[ $stderr == *"POST $server/status/500"*"500"* ]]
}

@test "send to a closed port exits 5 with a connect error" {
	port=$(closed_port)
	run --separate-stderr fish send "http://127.0.0.1:$port/x"
	assert_failure 5
	assert_output ''
	[[ $stderr == *"http://127.0.0.1:$port/x"* ]]
	[[ ${stderr,,} == *connect* ]]
}

@test "send rejects URLs that are not http or https" {
	local url
	for url in ftp://x example.com/hook '' /relative; do
		run --separate-stderr fish send POST "$url" a=1
		assert_failure 2
		[[ $stderr == *"invalid URL"* ]]
	done
	run --separate-stderr fish send
	assert_failure 2
	[[ $stderr == *"missing URL"* ]]
}

@test "a method in small letters before a URL is told how a method is written" {
	run --separate-stderr fish send post "$remote" a=1
	assert_failure 2
	assert_equal "${stderr_lines[0]}" "fish send: invalid URL 'post' (a method is written in capital letters: POST)"
	# Nothing was sent.
	run fish -S other wait "$remote" --timeout 0
	assert_failure 124
}

@test "send rejects an invalid item as a usage error" {
	local item
	for item in bare '=value' 'bad name:x' 'j:={nope'; do
		run --separate-stderr fish send "$remote" "$item"
		assert_failure 2
		[ -n "$stderr" ]
	done
	run fish -S other wait "$remote" --timeout 0.3
	assert_failure 124
}

@test "send --timeout gives up on a server that never answers" {
	start_flaky
	start=$(now_ms)
	run --separate-stderr fish send "$server/hang" --timeout 0.5
	elapsed=$(($(now_ms) - start))
	assert_failure 5
	[ -n "$stderr" ]
	[ "$elapsed" -ge 400 ]
	[ "$elapsed" -lt 5000 ]
}

@test "send goes through the listener" {
	fish send "$remote" a=1
	[[ $(received /headers/user-agent) == fish/* ]]
	# The sending session's listener is the one that started.
	[ -s "$FISH_HOME/sessions/default/listener.pid" ]
}

@test "many sends in a row all succeed" {
	local i
	for i in $(seq 20); do
		run fish send "$remote" i:="$i"
		assert_success
	done
	run fish -S other status --json
	assert_equal "$(fish field /queued <<<"$output")" 20
	assert_equal "$(received /body)" '{"i":1}'
}
