# Redis for the bats tests that need one (doc/store-redis.md): each test
# starts a redis-server of its own with redis_start and stops it with
# redis_stop; redis_kill SIGKILLs it (a crash) and redis_start restarts
# it on the same port with the same data.  redis_replica_start starts a
# replica of it (redis_replica_stop stops it); redis_proxy_start a proxy
# to it that stalls or deafens (redis_proxy_stop).  Load after
# common.bash.

# redis_start: start (or restart) the test's redis-server in
# $BATS_TEST_TMPDIR/redis; set REDIS_DIR, REDIS_PORT, REDIS_PID and
# REDIS_SOCKET.  Skips the test without redis-server.
redis_start() {
	local out status=0
	REDIS_DIR=$BATS_TEST_TMPDIR/redis
	out=$("$FISH_SRC_DIR/test/helpers/redis-start" "$REDIS_DIR") ||
	    status=$?
	[ "$status" -ne 77 ] || skip "redis-server not installed (scripts/deps)"
	[ "$status" -eq 0 ] ||
	    fail "redis-server did not start: $(tail -5 "$REDIS_DIR/redis.log")"
	read -r REDIS_PORT REDIS_PID REDIS_SOCKET <<<"$out"
	export REDIS_DIR REDIS_PORT REDIS_PID REDIS_SOCKET
}

# redis_stop: stop the test's redis-server (SIGTERM), if it runs.
redis_stop() {
	[ -z "${REDIS_DIR:-}" ] ||
	    "$FISH_SRC_DIR/test/helpers/redis-stop" "$REDIS_DIR"
}

# redis_kill: SIGKILL the test's redis-server and wait until it is gone.
redis_kill() {
	"$FISH_SRC_DIR/test/helpers/redis-stop" -KILL "$REDIS_DIR"
}

# redis_replica_start: start (or restart) a replica of the test's
# redis-server in $BATS_TEST_TMPDIR/redis-replica, and wait until the
# replication link is up; set REDIS_REPLICA_DIR and REDIS_REPLICA_PORT.
redis_replica_start() {
	local out
	REDIS_REPLICA_DIR=$BATS_TEST_TMPDIR/redis-replica
	out=$(REDIS_REPLICA_OF=$REDIS_PORT \
	    "$FISH_SRC_DIR/test/helpers/redis-start" "$REDIS_REPLICA_DIR") ||
	    fail "the replica did not start: $(tail -5 "$REDIS_REPLICA_DIR/redis.log")"
	read -r REDIS_REPLICA_PORT _ _ <<<"$out"
	export REDIS_REPLICA_DIR REDIS_REPLICA_PORT
	wait_until 10 redis_replica_linked
}

# redis_replica_linked: succeed once the replica is in sync with its master.
redis_replica_linked() {
	redis-cli -p "$REDIS_REPLICA_PORT" INFO replication 2>/dev/null |
	    grep -q '^master_link_status:up'
}

# redis_replica_stop: stop the test's replica (SIGTERM), if it runs.
redis_replica_stop() {
	[ -z "${REDIS_REPLICA_DIR:-}" ] ||
	    "$FISH_SRC_DIR/test/helpers/redis-stop" "$REDIS_REPLICA_DIR"
}

# redis_proxy_start MODE FLAG ARG: run test/helpers/redis-proxy.py (see
# there what MODE does) in front of the test's redis-server; set
# REDIS_PROXY_PORT and REDIS_PROXY_PID.  Stop it with redis_proxy_stop.
redis_proxy_start() {
	local portfile=$BATS_TEST_TMPDIR/redis-proxy.port
	serve "$portfile" python3 "$FISH_SRC_DIR/test/helpers/redis-proxy.py" \
	    "$portfile" "$REDIS_PORT" "$@" || return
	REDIS_PROXY_PID=$served_pid REDIS_PROXY_PORT=$served_port
}

# redis_proxy_stop: stop the proxy, if one was started.
redis_proxy_stop() {
	kill_and_wait "${REDIS_PROXY_PID-}"
	REDIS_PROXY_PID=
}

# stop_ends_send PID HOOK: fish stop, and check that it ended the fish
# send PID (to HOOK, its stderr in $BATS_TEST_TMPDIR/send.err) whose start
# Redis had not made durable: exit 3, the request never left, and the
# listener's log says so.
stop_ends_send() {
	run fish stop
	assert_success
	reap "$1" 10
	assert_equal "$status" 3
	assert_equal "$(cat "$BATS_TEST_TMPDIR/send.err")" \
	    "fish: send: POST $2: session 'default' was stopped before the request left"
	log_has "POST $2: not sent: session 'default' was stopped before the request's start was stored$" ||
	    fail "no 'not sent' line in the listener's log"
}
