#!/usr/bin/env bats
# fish field: the value at a JSON pointer of the JSON on stdin.

load helpers/common
bats_require_minimum_version 1.5.0

setup() {
	common_setup
}

teardown() {
	common_teardown
}

@test "field prints a string raw" {
	run fish field /a <<<'{"a":"x y"}'
	assert_success
	assert_output 'x y'
}

@test "field prints a string holding NUL bytes whole, as jq -r does" {
	printf '{"a":"x\\u0000y"}' >"$BATS_TEST_TMPDIR/doc"
	fish field /a <"$BATS_TEST_TMPDIR/doc" >"$BATS_TEST_TMPDIR/out"
	printf 'x\0y\n' | cmp - "$BATS_TEST_TMPDIR/out"
}

@test "field into a reader that went away exits 1 quietly, as log does" {
	head -c 300000 /dev/zero | tr '\0' a | sed 's/.*/"&"/' \
	    >"$BATS_TEST_TMPDIR/doc"
	run --separate-stderr bash -c \
	    'fish field "" <"$1" | head -c1 >/dev/null; exit "${PIPESTATUS[0]}"' \
	    _ "$BATS_TEST_TMPDIR/doc"
	assert_failure 1
	assert_equal "$stderr" ""
}

@test "field prints numbers, booleans and null as JSON" {
	doc='{"n":42,"f":1.5,"t":true,"z":null}'
	run fish field /n <<<"$doc"
	assert_success
	assert_output '42'
	run fish field /f <<<"$doc"
	assert_output '1.5'
	run fish field /t <<<"$doc"
	assert_output 'true'
	run fish field /z <<<"$doc"
	assert_success
	assert_output 'null'
}

@test "field prints objects and arrays as compact JSON" {
	doc='{ "o": { "k": [1, 2], "s": "v" } }'
	run fish field /o <<<"$doc"
	assert_success
	assert_output '{"k":[1,2],"s":"v"}'
	run fish field /o/k <<<"$doc"
	assert_success
	assert_output '[1,2]'
}

@test "field follows nested pointers and array indexes" {
	doc='{"a":[{"b":"first"},{"b":"second","c":{"d":7}}]}'
	run fish field /a/0/b <<<"$doc"
	assert_success
	assert_output 'first'
	run fish field /a/1/c/d <<<"$doc"
	assert_success
	assert_output '7'
}

@test "field understands the ~1 and ~0 escapes" {
	doc='{"a/b":"slash","m~n":"tilde"}'
	run fish field /a~1b <<<"$doc"
	assert_success
	assert_output 'slash'
	run fish field /m~0n <<<"$doc"
	assert_success
	assert_output 'tilde'
}

@test "field with the empty pointer prints the whole document" {
	run fish field '' <<<'{ "id": 7, "tags": ["x"] }'
	assert_success
	assert_output '{"id":7,"tags":["x"]}'
}

@test "field exits 4 with a message when there is no value at the pointer" {
	run --separate-stderr fish field /missing <<<'{"a":1}'
	assert_failure 4
	assert_output ''
	[[ $stderr == *"no value at '/missing'"* ]]

	run fish field /a/5 <<<'{"a":[1,2]}'
	assert_failure 4
}

@test "field exits 1 on invalid JSON on stdin" {
	run --separate-stderr fish field /a <<<'{"a":'
	assert_failure 1
	assert_output ''
	[[ $stderr == *"invalid JSON"* ]]
}

@test "field rejects a pointer without a leading slash as a usage error" {
	run --separate-stderr fish field a <<<'{"a":1}'
	assert_failure 2
	[[ $stderr == *"must start with /"* ]]
}

@test "field works without any listener" {
	run fish field /id <<<'{"id":"abc"}'
	assert_success
	assert_output 'abc'
	# No session was made, so no listener was started.
	[ ! -e "$FISH_HOME/sessions" ]
}
