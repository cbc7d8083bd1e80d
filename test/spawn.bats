#!/usr/bin/env bats
# fish spawn: create a hook, print its URL; what the URL answers.

load helpers/common
bats_require_minimum_version 1.5.0

setup() {
	common_setup
}

teardown() {
	common_teardown
}

@test "spawn prints one URL on loopback with an unguessable token" {
	run --separate-stderr fish spawn
	assert_success
	assert_equal "${#lines[@]}" 1
	assert_output --regexp '^http://127\.0\.0\.1:[0-9]+/[a-z2-7]{32}$'
	assert_equal "$stderr" ''
}

@test "two spawns give different URLs on the same listener" {
	a=$(fish spawn)
	b=$(fish spawn)
	[ "$a" != "$b" ]
	assert_equal "${a%/*}" "${b%/*}"
}

@test "a hook answers 200 to any method" {
	hook=$(fish spawn)
	assert_equal "$(http_code "$hook")" 200
	assert_equal "$(http_code "$hook" -d x)" 200
	assert_equal "$(http_code "$hook" -X PUT -d x)" 200
	assert_equal "$(http_code "$hook" -X DELETE)" 200
	assert_equal "$(http_code "$hook" -X PATCH -d x)" 200
}

@test "a hook answers 200 with an empty body" {
	hook=$(fish spawn)
	run curl -sS --max-time 10 -d x "$hook"
	assert_success
	assert_output ''
}

@test "a hook answers 200 to a sub-path with a query" {
	hook=$(fish spawn)
	assert_equal \
	    "$(http_code "$hook/github/events?delivery=1&x=y" -d '{}')" 200
	run fish wait "$hook" --json --timeout 5
	assert_success
	assert_equal "$(fish field /path <<<"$output")" /github/events
	assert_equal "$(fish field /query <<<"$output")" 'delivery=1&x=y'
}

@test "an unknown token on the hook's port answers 404" {
	hook=$(fish spawn)
	base=${hook%/*}
	token=${hook##*/}
	other=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
	[ "$token" != "$other" ] || other=bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb
	assert_equal "$(http_code "$base/$other" -d x)" 404
	assert_equal "$(http_code "$base/" -d x)" 404
	assert_equal "$(http_code "$base/${token:0:31}" -d x)" 404
	# Nothing was recorded for the real hook.
	run fish wait "$hook" --timeout 0.3
	assert_failure 124
}

@test "spawn --name makes the hook findable by its name" {
	hook=$(fish spawn --name orders)
	assert_equal "$(http_post "$hook" '{"id":1}')" 200
	run fish wait orders --timeout 5
	assert_success
	assert_output '{"id":1}'
}

@test "spawning the same name again prints the same URL" {
	first=$(fish spawn --name orders)
	run fish spawn --name orders
	assert_success
	assert_output "$first"
	# Another name is another hook.
	other=$(fish spawn --name refunds)
	[ "$other" != "$first" ]
}

@test "spawn rejects invalid names with a usage error" {
	local name
	for name in '' '-orders' 'has space' 'semi;colon' 'a/b' \
	    "$(printf 'x%.0s' {1..65})"; do
		run --separate-stderr fish spawn --name "$name"
		assert_failure 2
		[[ $stderr == *"invalid label"* ]]
		assert_output ''
	done
	# Nothing was created: the listener was never needed.
	[ ! -e "$FISH_HOME/sessions/default/listener.pid" ]
}

@test "spawn accepts names of letters, digits, dots, underscores and dashes" {
	run fish spawn --name "Orders_v2.eu-west"
	assert_success
	run fish spawn --name "$(printf 'x%.0s' {1..64})"
	assert_success
}

@test "the bare token works as a handle for wait" {
	hook=$(fish spawn)
	assert_equal "$(http_post "$hook" '"by token"')" 200
	run fish wait "${hook##*/}" --timeout 5
	assert_success
	assert_output '"by token"'
}

@test "a body over 25 MiB gets 413 and is not recorded" {
	hook=$(fish spawn)
	# curl announces the length: refused from the headers alone.
	run bash -c "head -c 26214401 /dev/zero |
	    curl -sS -o /dev/null -w '%{http_code}' --max-time 30 \
	    --data-binary @- '$hook'"
	assert_success
	assert_output 413
	# Chunked, the length is known only while the body arrives.
	run bash -c "head -c 26214401 /dev/zero |
	    curl -sS -o /dev/null -w '%{http_code}' --max-time 30 \
	    -H 'Transfer-Encoding: chunked' --data-binary @- '$hook'"
	assert_success
	assert_output 413
	run fish wait "$hook" --timeout 0.5
	assert_failure 124
}

@test "a body of exactly 25 MiB is accepted" {
	hook=$(fish spawn)
	run bash -c "head -c 26214400 /dev/zero |
	    curl -sS -o /dev/null -w '%{http_code}' --max-time 30 \
	    --data-binary @- '$hook'"
	assert_output 200
	fish wait "$hook" --timeout 10 >"$BATS_TEST_TMPDIR/body"
	assert_equal "$(stat -c %s "$BATS_TEST_TMPDIR/body")" 26214400
}

@test "a hook survives a stop and a start on the same URL" {
	hook=$(fish spawn)
	fish stop
	run curl -sS -o /dev/null --max-time 5 "$hook"
	assert_failure 7	# could not connect
	fish start >/dev/null
	assert_equal "$(http_code "$hook" --data-binary 'after restart')" 200
	run fish wait "$hook" --timeout 5
	assert_success
	assert_output 'after restart'
}

@test "a named hook keeps its name across a restart" {
	hook=$(fish spawn --name deploys)
	fish stop
	run fish spawn --name deploys
	assert_success
	assert_output "$hook"
}
