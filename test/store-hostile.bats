#!/usr/bin/env bats
# A Redis store under hostile conditions (doc/store-redis.md, "Tests"):
# Redis vanishing under a flood of callbacks, Redis full.  An ingress
# listener of the session "fleet" takes the callbacks, a runner session
# in a FISH_HOME of its own waits on its hook; test/helpers/fleet.py sends
# and reckons.  A wrong password, a bad scheme and Redis SIGKILLed under
# one callback are in test/store-redis.bats.  Skipped without
# redis-server.

bats_require_minimum_version 1.5.0
load helpers/common
load helpers/fleet

setup() {
	fleet_setup
	INGRESS=$BATS_TEST_TMPDIR/ingress-1
}

teardown() {
	fleet_teardown
}

# start_fleet: start the ingress (port 0) and a runner whose hook is
# under the ingress's URL; set url to that.
start_fleet() {
	url=$(FISH_HOME=$INGRESS fish start --store "$STORE")
	wait_until 10 store_connected "$INGRESS"
	runner_start 1 "$url"
}

# refused_at_least N: succeed once fleet.py send --once has had N
# callbacks refused.
refused_at_least() {
	[ "$(cat "$FLEET/refused" 2>/dev/null | wc -l)" -ge "$1" ]
}

# redis CMD...: run a command on the test's redis-server.
redis() {
	redis-cli -p "$REDIS_PORT" "$@"
}

# post_numbered N [PAD]: post callback N (PAD bytes of padding) to the
# runner's hook through the ingress; print the status, and note N as
# acknowledged on a 200, as refused otherwise (as fleet.py send --once).
post_numbered() {
	local code pad
	pad=$(head -c "${2:-0}" /dev/zero | tr '\0' x)
	code=$(http_post "$(head -1 "$FLEET/hooks")" \
	    "{\"runner\":1,\"n\":$1,\"pad\":\"$pad\"}")
	if [ "$code" = 200 ]; then
		echo "1 $1 0" >>"$FLEET/acked"
	else
		echo "1 $1 $code" >>"$FLEET/refused"
	fi
	echo "$code"
}

@test "callbacks flooding in while Redis vanishes get 200 only once stored, the others 503, and none acknowledged is lost" {
	local sender
	start_fleet
	# Each callback posted once, 16 at a time.
	python3 "$fleet" send "$FLEET" --once 16 2>"$FLEET/send.err" 3>&- &
	sender=$!
	mark_acked
	wait_until 20 acked_more 50
	redis_kill
	wait_until 20 refused_at_least 50
	touch "$FLEET/stop"
	reap "$sender" 30
	assert_equal "$status" 0

	# Nothing but 503 for what was not stored.
	assert_equal "$(grep -cv ' 503$' "$FLEET/refused")" 0

	redis_start
	wait_until 15 store_connected "$INGRESS"
	fleet_drain
}

@test "a full Redis gets callbacks 503 and says why, and once it has room nothing acknowledged is lost" {
	local n code used
	start_fleet
	for n in 1 2 3; do
		[ "$(post_numbered "$n")" = 200 ]
	done

	# Room for a few hundred KiB more, then nothing: noeviction.
	used=$(redis INFO memory | sed -n 's/^used_memory:\([0-9]*\).*/\1/p')
	redis CONFIG SET maxmemory-policy noeviction >/dev/null
	redis CONFIG SET maxmemory $((used + 262144)) >/dev/null
	code=200
	while [ "$code" = 200 ] && [ "$n" -lt 1000 ]; do
		n=$((n + 1))
		code=$(post_numbered "$n" 4096)
	done
	assert_equal "$code" 503

	# Full: 503 with Retry-After at once, never a 200; status and the
	# log say why; commands that write are refused with the reason.
	run curl -sS -i --max-time 10 --data-binary '{"full":1}' \
	    "$(head -1 "$FLEET/hooks")"
	assert_line --regexp '^HTTP/1.1 503'
	assert_line --regexp '^Retry-After: 1'
	for n in $((n + 1)) $((n + 2)) $((n + 3)); do
		assert_equal "$(post_numbered "$n")" 503
	done
	run env FISH_HOME="$INGRESS" fish status
	assert_line --regexp "^redis: +refusing writes: OOM command not allowed"
	grep -q "Redis refused an append (OOM command not allowed" \
	    "$INGRESS/sessions/fleet/listener.log"
	run --separate-stderr env FISH_HOME="$INGRESS" fish spawn
	assert_failure 3
	[[ $stderr == *"(refusing writes: OOM command not allowed"* ]]

	# Room again: it takes writes, new callbacks are stored.
	redis CONFIG SET maxmemory 0 >/dev/null
	wait_until 10 store_connected "$INGRESS"
	n=$((n + 1))
	assert_equal "$(post_numbered "$n")" 200
	fleet_drain
}
