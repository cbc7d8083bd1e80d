# The local app of the --forward-to tests, helpers/app.py (see there what
# it answers): load it after helpers/common, call start_app in a test and
# stop_app in teardown.

# start_app [GATE]: run helpers/app.py (its /gate answers once the file
# GATE exists); set app_pid, and app_url to its base URL.
start_app() {
	local portfile=$BATS_TEST_TMPDIR/app.port
	serve "$portfile" "$FISH_SRC_DIR/test/helpers/app.py" "$portfile" "$@"
	app_pid=$served_pid app_url=http://127.0.0.1:$served_port
}

# stop_app: stop the app, if it was started, and wait until it is gone.
stop_app() {
	kill_and_wait "${app_pid-}"
	app_pid=
}
