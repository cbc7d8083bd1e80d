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

@test "spawn into a reader that went away makes the hook all the same, quietly, exit 1" {
	# It said 'fish: spawn: stdout: Broken pipe'.
	run --separate-stderr to_gone_reader fish spawn --name gone
	assert_failure 1
	assert_equal "$stderr" ""
	# The hook is made: its name finds it again, the one hook there is.
	run fish ls --json
	assert_equal "${#lines[@]}" 1
	assert_equal "$(fish field /name <<<"$output")" gone
	assert_equal "$(fish spawn --name gone)" "$(fish field /url <<<"$output")"
	run --separate-stderr to_gone_reader fish spawn --json
	assert_failure 1
	assert_equal "$stderr" ""
	run fish ls --json
	assert_equal "${#lines[@]}" 2
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

@test "a script that names its hook can run twice, closing it each time" {
	first=$(fish spawn --name deploys)
	post "$first" 'first run'
	fish close deploys
	run --separate-stderr fish spawn --name deploys
	assert_success
	second=$output
	[ "$second" != "$first" ]
	assert_equal "$(http_code "$first" -d late)" 410
	post "$second" 'second run'
	# The name is the open hook; the old one keeps its URL and messages.
	run fish wait deploys --timeout 5
	assert_output 'second run'
	run fish wait "$first" --timeout 5
	assert_output 'first run'
}

@test "a name whose hook's --ttl ran out gets a new hook" {
	first=$(fish spawn --name short --ttl 300ms)
	wait_until 10 gone "$first"
	# (A longer --ttl this time, so that it is still open to check.)
	run fish spawn --name short --ttl 1h
	assert_success
	[ "$output" != "$first" ]
	assert_equal "$(http_code "$output" -d x)" 200
}

@test "spawn --name with the options of the open hook prints the same URL" {
	first=$(fish spawn --name api --status 202 -H 'X-Kind: test' \
	    --body accepted --ttl 1h)
	run fish spawn --name api --status 202 -H 'X-Kind: test' \
	    --body accepted --ttl 1h
	assert_success
	assert_output "$first"
}

@test "spawn --name with other options than the open hook's says which and changes nothing" {
	first=$(fish spawn --name api --status 202)
	run --separate-stderr fish spawn --name api --status 201 --ttl 1h
	assert_failure 1
	assert_output ''
	assert_equal "$stderr" "fish: hook 'api' is open with other options (--status, --ttl differ): close it first, or use another name"
	run --separate-stderr fish spawn --name api --status 200
	assert_failure 1
	[[ $stderr == *"(--status differs)"* ]]
	run --separate-stderr fish spawn --name api --status 202 --body other
	assert_failure 1
	[[ $stderr == *"(--body differs)"* ]]
	# The hook still answers as it did, and never expires.
	assert_equal "$(http_code "$first" -d x)" 202
	# Options not given are not compared: the name alone finds the hook.
	run fish spawn --name api
	assert_success
	assert_output "$first"
	# Closing it first is the way to new options.
	fish close api
	run fish spawn --name api --status 201
	assert_success
	[ "$output" != "$first" ]
	assert_equal "$(http_code "$output" -d x)" 201
}

@test "log by name shows the newest hook of that name, by URL an older one" {
	first=$(fish spawn --name d)
	post "$first" 'old'
	fish close d
	second=$(fish spawn --name d)
	post "$second" 'new'
	run fish log d
	assert_success
	assert_output --partial 'new'
	refute_output --partial 'old'
	run fish log "$first"
	assert_output --partial 'old'
	refute_output --partial 'new'
	# With none open, the name is the newest closed one.
	fish close d
	run fish log d
	assert_output --partial 'new'
	refute_output --partial 'old'
}

@test "several hooks of one name survive a kill -9 of the listener" {
	one=$(fish spawn --name d)
	post "$one" A
	fish close d
	two=$(fish spawn --name d)
	post "$two" B
	fish close d
	three=$(fish spawn --name d)
	kill_listener
	# The journal replays three hooks of one name: the open one wins.
	run fish spawn --name d
	assert_success
	assert_output "$three"
	assert_equal "$(fish ls | grep -c '^d ')" 3
	run fish wait "$one" --timeout 5
	assert_output A
	run fish wait "$two" --timeout 5
	assert_output B
	run fish wait d --timeout 0.3
	assert_failure 124
	# And once it is closed, a fourth.
	fish close d
	kill_listener
	run fish spawn --name d
	assert_success
	[ "$output" != "$three" ]
}
