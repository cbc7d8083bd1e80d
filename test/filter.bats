#!/usr/bin/env bats
# --where filters, as wait, log and tail share them: numeric comparisons,
# alternatives, and filters that could never match refused at once.

load helpers/common
bats_require_minimum_version 1.5.0

setup() {
	common_setup
	hook=$(fish spawn)
}

teardown() {
	common_teardown
}

@test "wait --where compares numbers" {
	post "$hook" '{"amount":3}'
	post "$hook" '{"amount":12.5}'
	post "$hook" '{"amount":"40"}'
	run fish wait "$hook" --where '/amount>5' --timeout 5
	assert_success
	assert_output '{"amount":12.5}'
	run fish wait "$hook" --where '/amount>=40' --timeout 5
	assert_output '{"amount":"40"}'
	run fish wait "$hook" --where '/amount<5' --where '/amount!=4' --timeout 5
	assert_output '{"amount":3}'
	run fish wait "$hook" --where '/amount<=100' --timeout 100ms
	assert_failure 124
}

@test "wait --where takes alternatives, a|b, and \\| for a bar" {
	post "$hook" '{"type":"ping"}'
	post "$hook" '{"type":"a|b"}'
	post "$hook" '{"type":"order.paid"}'
	run fish wait "$hook" --where '/type=order.paid|order.failed' --timeout 5
	assert_output '{"type":"order.paid"}'
	run fish wait "$hook" --where '/type=a\|b' --timeout 5
	assert_output '{"type":"a|b"}'
	run fish wait "$hook" --where '/type!=ping|pong' --timeout 100ms
	assert_failure 124
	run fish wait "$hook" --where 'method=PUT|POST' --timeout 5
	assert_output '{"type":"ping"}'
}

@test "wait --where does not take a string holding a NUL byte for its start" {
	post "$hook" '{"id":"7\u0000x"}'
	post "$hook" '{"id":"7"}'
	run fish wait "$hook" --where '/id=7' --timeout 5
	assert_success
	assert_output '{"id":"7"}'
	run fish wait "$hook" --where '/id<8' --timeout 100ms
	assert_failure 124
	run fish wait "$hook" --where '/id!=7' --where '/id' --timeout 5
	assert_success
	assert_output '{"id":"7\u0000x"}'
}

@test "wait --where event= takes what the provider names" {
	post "$hook" '{"n":1}' -H 'X-GitHub-Event: ping'
	post "$hook" '{"n":2}' -H 'X-GitHub-Event: push'
	run fish wait "$hook" --where 'event=push' --timeout 5
	assert_output '{"n":2}'
}

@test "a filter that could never match is an error at once, not a timeout" {
	for filter in '/a~2=1' '/a~' 'header:Content Type=x' 'header:X:y' \
	    '/n>ten' '/n<' 'method=GE T' 'method>1' 'path<2' 'status=99' 'status=200' \
	    'event'; do
		start=$(now_ms)
		run fish wait "$hook" --where "$filter" --timeout 30
		assert_failure 2
		assert_output --partial "'$filter'"
		(($(now_ms) - start < 10000)) || fail "$filter waited"
	done
}
