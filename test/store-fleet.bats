#!/usr/bin/env bats
# A fleet on one machine (doc/store-redis.md, "Tests"): ingress listeners
# of the session "fleet" behind a real haproxy (round robin), runner
# sessions in FISH_HOMEs of their own waiting on their own hooks, all on
# one real redis-server, while an ingress and Redis are SIGKILLed and
# restarted.  test/helpers/fleet.py sends the callbacks and does the
# reckoning.  Skipped without redis-server or haproxy.

bats_require_minimum_version 1.5.0
load helpers/common
load helpers/fleet

setup() {
	fleet_setup
	command -v haproxy >/dev/null 2>&1 ||
	    skip "haproxy not installed (scripts/deps)"
}

teardown() {
	"$FISH_SRC_DIR/test/helpers/haproxy-stop" "$FLEET/haproxy"
	fleet_teardown
}

# ingress_start I: start ingress I, in its own FISH_HOME, on its own port
# (the same at a restart), with hook URLs under haproxy's.
ingress_start() {
	local home=$BATS_TEST_TMPDIR/ingress-$1
	FISH_HOME=$home fish start --listen "127.0.0.1:${ports[$1]}" \
	    --public-url "http://127.0.0.1:${ports[0]}" --store "$STORE" \
	    >/dev/null
	wait_until 10 store_connected "$home"
}

# writers: print how many openings of a store wrote to the session's
# stream (each "from" is LISTENER/NONCE.N, a nonce for each start).
writers() {
	redis-cli -p "$REDIS_PORT" --raw XRANGE 'fish:{fleet}:log' - + |
	    grep -A1 -x from | grep -v -x -e from -e -- |
	    sed 's/\.[0-9]*$//' | sort -u | wc -l
}

@test "a fleet of ingresses and runners loses nothing while an ingress and Redis are killed" {
	local i sender
	# haproxy's port first, then one for each ingress: a restarted
	# ingress keeps its own.
	mapfile -t ports < <(python3 "$fleet" ports 4)
	for i in 1 2 3; do
		ingress_start "$i"
	done
	"$FISH_SRC_DIR/test/helpers/haproxy-start" "$FLEET/haproxy" \
	    "${ports[0]}" "127.0.0.1:${ports[1]}" "127.0.0.1:${ports[2]}" \
	    "127.0.0.1:${ports[3]}" >/dev/null
	for i in 1 2 3; do
		runner_start "$i" "http://127.0.0.1:${ports[0]}"
	done

	python3 "$fleet" send "$FLEET" 2>"$FLEET/send.err" 3>&- &
	sender=$!
	mark_acked
	wait_until 20 acked_more 30

	# An ingress crashes and comes back on its port.
	kill_and_wait -KILL \
	    "$(cat "$BATS_TEST_TMPDIR/ingress-2/sessions/fleet/listener.pid")"
	mark_acked
	wait_until 20 acked_more 10
	ingress_start 2
	mark_acked
	wait_until 20 acked_more 30

	# Redis crashes and comes back with its data.
	redis_kill
	redis_start
	mark_acked
	wait_until 30 acked_more 30

	touch "$FLEET/stop"
	reap "$sender" 40
	[ "$status" -eq 0 ] || fail "senders failed: $(cat "$FLEET/send.err")"
	# The runners drain what is acknowledged.
	fleet_drain
	# Every ingress recorded callbacks, the restarted one too: 4
	# ingress openings and the 3 runners (their spawns and takes).
	assert_equal "$(writers)" 7
}
