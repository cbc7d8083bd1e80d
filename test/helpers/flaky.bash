# The counting server of the send tests, helpers/flaky.py (see there what
# it answers): load it after helpers/common, call start_flaky in setup and
# stop_flaky in teardown.

# has_port: succeed once the server has written its port.
has_port() {
	[ -s "$BATS_TEST_TMPDIR/port" ]
}

# start_flaky: run helpers/flaky.py and set $server to its base URL.
start_flaky() {
	python3 "$FISH_SRC_DIR/test/helpers/flaky.py" "$BATS_TEST_TMPDIR/port" \
	    "$BATS_TEST_TMPDIR/server.log" </dev/null >/dev/null 2>&1 3>&- &
	server_pid=$!
	wait_until 10 has_port
	server=http://127.0.0.1:$(cat "$BATS_TEST_TMPDIR/port")
}

# stop_flaky: stop the server, if it was started.
stop_flaky() {
	if [ -n "${server_pid:-}" ]; then
		kill "$server_pid" 2>/dev/null || true
		wait "$server_pid" 2>/dev/null || true
	fi
}

# requests KEY: print how many requests with KEY the server has seen.
requests() {
	awk -v k="$1" '$1 == "request" && $2 == k { n++ } END { print n + 0 }' \
	    "$BATS_TEST_TMPDIR/server.log"
}

# has_requests KEY N: succeed once the server has seen N requests with KEY.
has_requests() {
	[ "$(requests "$1")" -ge "$2" ]
}
