# The counting server of the send tests, helpers/flaky.py (see there what
# it answers): load it after helpers/common, call start_flaky in setup or
# a test, and stop_flaky in teardown.

# start_flaky: run helpers/flaky.py; set server_pid, and $server to its
# base URL.
start_flaky() {
	local portfile=$BATS_TEST_TMPDIR/port
	serve "$portfile" python3 "$FISH_SRC_DIR/test/helpers/flaky.py" \
	    "$portfile" "$BATS_TEST_TMPDIR/server.log"
	server_pid=$served_pid server=http://127.0.0.1:$served_port
}

# stop_flaky: stop the server, if it was started, and wait until it is
# gone.
stop_flaky() {
	kill_and_wait "${server_pid-}"
	server_pid=
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
