# Listeners of one session on the test's redis-server, for the tests of
# test/store-fleet.bats and test/store-hostile.bats: ingresses and
# runners, each in a FISH_HOME of its own under $BATS_TEST_TMPDIR, and
# test/helpers/fleet.py to send callbacks and reckon what the runners'
# waits printed.  Load after common.bash (this loads redis.bash); call
# fleet_setup from setup and fleet_teardown from teardown.

load helpers/redis

# fleet_setup: isolate the test (common_setup), start its Redis, and
# name the session "fleet" on it; $FLEET holds fleet.py's files.
fleet_setup() {
	common_setup
	redis_start
	export FISH_SESSION=fleet
	STORE=redis://127.0.0.1:$REDIS_PORT/0
	FLEET=$BATS_TEST_TMPDIR/fleet
	mkdir -p "$FLEET"
	: >"$FLEET/acked"
	fleet=$FISH_SRC_DIR/test/helpers/fleet.py
	waits=()
}

# fleet_teardown: stop the runners' waits and every listener (checking
# that none survives, nor a valgrind report of one), then Redis.  A home
# that fails its check does not keep the others running.
fleet_teardown() {
	local home bad=0
	[ "${#waits[@]}" -eq 0 ] || kill_and_wait "${waits[@]}"
	for home in "$BATS_TEST_TMPDIR"/ingress-* "$BATS_TEST_TMPDIR"/runner-*; do
		[ ! -d "$home" ] || FISH_HOME=$home common_teardown || bad=1
	done
	common_teardown || bad=1
	redis_stop
	[ "$bad" -eq 0 ]
}

# store_connected HOME: succeed once the listener of that FISH_HOME has
# its Redis connection up and Redis takes its writes.
store_connected() {
	[ "$(FISH_HOME=$1 fish status --json | fish field /store_state)" = \
	    connected ]
}

# runner_start I PUBLIC_URL: as a CI job on runner I would, spawn a hook
# (the store and the public URL from the environment, as the README's
# recipe) and follow it with fish wait in the background, into
# $FLEET/runner-I.json; the hook is line I of $FLEET/hooks.
runner_start() {
	local home=$BATS_TEST_TMPDIR/runner-$1 hook
	hook=$(FISH_HOME=$home FISH_STORE=$STORE FISH_PUBLIC_URL=$2 fish spawn)
	[[ $hook == "$2/"* ]] || fail "hook $hook is not under $2"
	echo "$hook" >>"$FLEET/hooks"
	FISH_HOME=$home fish wait "$hook" --follow --json \
	    >"$FLEET/runner-$1.json" 2>"$FLEET/runner-$1.err" 3>&- &
	waits+=("$!")
}

# mark_acked: remember how many callbacks are acknowledged now.
mark_acked() {
	since_acked=$(wc -l <"$FLEET/acked")
}

# acked_more N: succeed once N more callbacks are acknowledged than at
# the last mark_acked.
acked_more() {
	[ "$(wc -l <"$FLEET/acked")" -ge $((since_acked + $1)) ]
}

# fleet_drain: wait until the runners printed every acknowledged
# callback, stop their waits, and print fleet.py's figures to the test's
# output; fail unless nothing was lost, taken twice or misdelivered.
fleet_drain() {
	wait_until 40 python3 "$fleet" complete "$FLEET" ||
	    fail "not all delivered: $(python3 "$fleet" report "$FLEET")"
	kill_and_wait "${waits[@]}"
	waits=()
	run python3 "$fleet" report "$FLEET"
	echo "# $output" >&3
	assert_success
}
