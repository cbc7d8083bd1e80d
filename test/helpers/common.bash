# Shared set-up for the bats tests: load it with
#	load helpers/common
#	setup() { common_setup; }
#	teardown() { common_teardown; }
# Every test runs the just-built fish ($FISH_BUILD_DIR, set by make check)
# in its own HOME and FISH_HOME, with no FISH_* or XDG_* from outside.

# bats 1.8.2 looks in /usr/lib/bats by default; keep it there if overridden.
BATS_LIB_PATH=${BATS_LIB_PATH:+$BATS_LIB_PATH:}/usr/lib/bats
bats_load_library bats-support
bats_load_library bats-assert

# Read before each test starts (so it cannot be set from setup): a hang
# fails the test instead of stalling the run.
: "${BATS_TEST_TIMEOUT:=60}"
export BATS_TEST_TIMEOUT

# make check sets these; by hand (bats test/x.bats) use the tree's build/.
: "${FISH_SRC_DIR:=$(cd "$BATS_TEST_DIRNAME/.." && pwd)}"
: "${FISH_BUILD_DIR:=$FISH_SRC_DIR/build}"

# Isolate the test: fresh HOME and FISH_HOME, fish and its listener from
# the build directory first on PATH.
common_setup() {
	local v build=$FISH_BUILD_DIR src=$FISH_SRC_DIR

	for v in $(compgen -e); do
		case $v in
		FISH_* | XDG_*) unset "$v" ;;
		esac
	done
	# Not fish's own variables: where the tests find the build and sources.
	export FISH_BUILD_DIR=$build FISH_SRC_DIR=$src
	export HOME=$BATS_TEST_TMPDIR
	export FISH_HOME=$BATS_TEST_TMPDIR/home
	export FISH_LISTENER=$FISH_BUILD_DIR/fish-listener
	export PATH=$FISH_BUILD_DIR:$PATH
	# A build renamed by configure: its client as called fish (Makefile.am).
	if [ -x "$FISH_BUILD_DIR/test/default-name/fish" ]; then
		export PATH=$FISH_BUILD_DIR/test/default-name:$PATH
	fi
}

# Print the pids of every session's listener under $FISH_HOME.
session_pids() {
	local f
	for f in "$FISH_HOME"/sessions/*/listener.pid; do
		[ -f "$f" ] && cat "$f"
	done
	return 0
}

# Succeed if none of the given pids is alive.  A zombie has exited: the
# listener is reparented to init, which may take its time to reap it.
all_dead() {
	local pid stat
	for pid in "$@"; do
		kill -0 "$pid" 2>/dev/null || continue
		stat=$(cat "/proc/$pid/stat" 2>/dev/null) || continue
		stat=${stat##*) }
		[ "${stat%% *}" = Z ] || return 1
	done
}

# Stop every session of the test and check that no listener survives.
common_teardown() {
	local dir pids pid alive=""

	pids=$(session_pids)
	for dir in "$FISH_HOME"/sessions/*/; do
		[ -d "$dir" ] || continue
		# A session whose listener is already down is fine.
		FISH_SESSION=$(basename "$dir") fish stop >/dev/null 2>&1 || true
	done
	pids="$pids $(session_pids)"
	# shellcheck disable=SC2086
	if ! wait_until 5 all_dead $pids; then
		for pid in $pids; do
			if kill -0 "$pid" 2>/dev/null; then
				alive="$alive $pid"
				kill -KILL "$pid" 2>/dev/null || true
			fi
		done
		fail "listener still running after fish stop:$alive"
	fi
}

# wait_until TIMEOUT_S CMD...: run CMD every 20 ms until it succeeds (0)
# or TIMEOUT_S (whole) seconds have passed (1).  The only way tests wait.
wait_until() {
	local timeout=$1 now deadline
	shift
	now=${EPOCHREALTIME//[!0-9]/}
	deadline=$((now + timeout * 1000000))
	until "$@"; do
		now=${EPOCHREALTIME//[!0-9]/}
		[ "$now" -lt "$deadline" ] || return 1
		sleep 0.02
	done
}

# listener_pid [SESSION]: print the pid of the session's listener.
listener_pid() {
	cat "$FISH_HOME/sessions/${1:-${FISH_SESSION:-default}}/listener.pid"
}

# http_post URL DATA [CURL_ARG...]: POST DATA as JSON, print the status code.
http_post() {
	local url=$1 data=$2
	shift 2
	curl -sS -o /dev/null -w '%{http_code}' --max-time 10 \
	    -H 'Content-Type: application/json' --data-binary "$data" "$@" "$url"
}
