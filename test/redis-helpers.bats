#!/usr/bin/env bats
# The Redis test helpers (helpers/redis.bash, helpers/redis-start,
# helpers/redis-stop) that the Redis store's tests stand on (issue 17;
# doc/store-redis.md): a redis-server of the test's own, durable, killed
# like a crash and restarted with its address and its data.  Skipped
# without redis-server.

load helpers/common
load helpers/redis

setup() {
	common_setup
}

teardown() {
	redis_stop
	common_teardown
}

@test "a test's redis-server keeps its data and its port across a SIGKILL" {
	redis_start
	[ -S "$REDIS_SOCKET" ]
	run redis-cli -p "$REDIS_PORT" set k v
	assert_output OK
	run redis-cli -p "$REDIS_PORT" config get appendfsync
	assert_line always
	redis_kill
	all_dead "$REDIS_PID"
	port=$REDIS_PORT
	redis_start
	assert_equal "$REDIS_PORT" "$port"
	run redis-cli -s "$REDIS_SOCKET" get k
	assert_output v
}

@test "a test's redis-server listens on loopback only" {
	redis_start
	run redis-cli -p "$REDIS_PORT" config get bind
	assert_line 127.0.0.1
}
