#!/usr/bin/env bats
# fish start --store-replicas N: a record of a session shared through
# Redis is acknowledged only once N Redis replicas have it (WAIT), on a
# real redis-server and a real replica of it (test/helpers/redis.bash);
# skipped without redis-server.

bats_require_minimum_version 1.5.0
load helpers/common
load helpers/redis

setup() {
	common_setup
	STORE=redis://127.0.0.1:6379
}

teardown() {
	local bad=0
	# bats fails a teardown on its last command only: keep its verdict.
	common_teardown || bad=1
	redis_replica_stop
	redis_stop
	[ "$bad" -eq 0 ]
}

# start_replicated N: start Redis, a replica of it, and the listener with
# --store-replicas N; wait until it is connected.
start_replicated() {
	redis_start
	redis_replica_start
	STORE=redis://127.0.0.1:$REDIS_PORT
	fish start --store "$STORE" --store-replicas "$1" >/dev/null
	wait_until 10 eval '[ "$(status_field /store_state)" = connected ]'
}

# replicas_seen N: succeed once the listener's last WAIT counted N.
replicas_seen() {
	[ "$(status_field /store_replicas_seen 2>/dev/null)" = "$1" ]
}

@test "a bad --store-replicas is a usage error of one line" {
	local bad
	for bad in -1 x 17 ''; do
		run --separate-stderr fish start --store "$STORE" \
		    --store-replicas "$bad"
		assert_failure 2
		[[ ${stderr_lines[0]} == "fish start: --store-replicas: "* ]]
		[[ ${stderr_lines[1]} == "usage: fish start "* ]]
		assert_equal "${#stderr_lines[@]}" 2
	done
	run fish status
	assert_failure 3
}

@test "a bad FISH_STORE_REPLICAS stops the listener starting, naming it" {
	FISH_STORE_REPLICAS=many run --separate-stderr fish spawn
	assert_failure 3
	assert_equal "$output" ""
	[[ $stderr == *"FISH_STORE_REPLICAS: --store-replicas: invalid number 'many'"* ]] ||
	    fail "$stderr"
}

@test "with its replica up, a callback gets 200 once the replica has it, and is delivered" {
	local url
	start_replicated 1
	url=$(fish spawn --name rep)
	assert_equal "$(http_post "$url" '{"n":1}')" 200
	# The record is on the replica by the time the sender has its 200.
	[ "$(redis-cli -p "$REDIS_REPLICA_PORT" XLEN 'fish:{default}:log')" -ge 2 ]
	run fish wait rep --timeout 10s
	assert_success
	assert_output '{"n":1}'

	run fish status
	assert_line --regexp '^store replicas: +1$'
	assert_line --regexp '^replicas: +1 of 1 acknowledging writes$'
	assert_equal "$(status_field /store_replicas)" 1
}

@test "FISH_STORE_REPLICAS is picked up by a command that starts the listener" {
	redis_start
	redis_replica_start
	export FISH_STORE=redis://127.0.0.1:$REDIS_PORT FISH_STORE_REPLICAS=1
	fish spawn --name env >/dev/null
	assert_equal "$(status_field /store_replicas)" 1
	wait_until 10 replicas_seen 1
}

@test "without its replica, callbacks get 503 and writes exit 3, until it is back" {
	local url body seen=
	start_replicated 1
	url=$(fish spawn --name gone)
	assert_equal "$(http_post "$url" '{"n":"before"}')" 200

	redis_replica_stop
	# Written before the listener knows: not acknowledged by the replica,
	# so never a 200, and the spawn's reply is the reason, exit 3.
	curl -sS -i --max-time 20 --data-binary '{"n":"unacked"}' "$url" \
	    >"$BATS_TEST_TMPDIR/unacked" 2>&1 3>&- &
	run --separate-stderr fish spawn --name inflight
	assert_failure 3
	[[ $stderr == *"the session's store has 0 of 1 replicas acknowledging its writes within 1000 ms; "* ]]
	wait $!
	# Its 503 says why: the store lacks replicas (not that it is
	# unreachable, as for a Redis that stopped answering).
	run cat "$BATS_TEST_TMPDIR/unacked"
	assert_line --regexp '^HTTP/1.1 503'
	assert_line --regexp '^Retry-After: 1'
	assert_line "the session's store lacks replicas, retry later"
	wait_until 10 replicas_seen 0
	run curl -sS -i --max-time 20 --data-binary '{"n":"refused"}' "$url"
	assert_line --regexp '^HTTP/1.1 503'
	assert_line --regexp '^Retry-After: 1'
	run --separate-stderr fish spawn
	assert_failure 3
	[[ $stderr == *"the session's store has 0 of 1 replicas acknowledging its writes within 1000 ms; try again once it is back"* ]]
	run fish status
	assert_line --regexp '^replicas: +0 of 1 acknowledging writes: callbacks get 503, writes exit 3$'

	redis_replica_start
	wait_until 20 replicas_seen 1
	assert_equal "$(http_post "$url" '{"n":"after"}')" 200
	# At least once: the unacknowledged one may be delivered too; what
	# was refused before its body was read never is.
	for _ in 1 2 3; do
		body=$(fish wait gone --timeout 10s) || break
		seen+=" $body"
		[ "$body" != '{"n":"after"}' ] || break
	done
	[[ $seen == ' {"n":"before"}'* ]]
	[[ $seen == *'{"n":"after"}' ]]
	[[ $seen != *refused* ]]
}

@test "a store of the journal wants no replicas: --store-replicas 0 is the default" {
	fish start >/dev/null
	run fish status
	refute_line --regexp '^replicas:'
	run fish spawn --name j
	assert_success
}

@test "fish stop while a send waits for a replica ends the send, saying it never left" {
	local hook sender
	start_replicated 1
	hook=$(fish spawn --name target)
	redis_replica_stop
	fish send --timeout 60s --json '{"sent":1}' "$hook" \
	    >"$BATS_TEST_TMPDIR/send.out" 2>"$BATS_TEST_TMPDIR/send.err" &
	sender=$!
	# Redis has the send's start (its entry of type 8), not a replica.
	wait_until 10 eval '[ "$(redis-cli -p "$REDIS_PORT" XRANGE \
	    "fish:{default}:log" - + | grep -cx 8)" = 1 ]'
	stop_ends_send "$sender" "$hook"
}
