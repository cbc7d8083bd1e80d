# Shared set-up and helpers for the bats tests: load it with
#	load helpers/common
#	setup() { common_setup; }
#	teardown() { common_teardown; }
# Every test runs the just-built fish ($FISH_BUILD_DIR, set by make check)
# in its own HOME and FISH_HOME, with no FISH_* or XDG_* from outside.
#
# Tests never sleep a fixed time: they wait for a condition with
# wait_until, and for a process to be gone with all_dead (a zombie has
# exited), as kill_and_wait, kill_listener and reap do.
#
# The store matrix: FISH_TEST_STORE=redis (scripts/test --store redis)
# runs every test against a Redis store: common_setup starts a
# redis-server of the test's own (helpers/redis.bash) and exports
# FISH_STORE for it, so that every fish start and automatic start of the
# test uses it; common_teardown stops it once the listeners are gone.
# A test about the embedded journal itself says so with journal_only; a
# file that loads helpers/redis itself is skipped (it chooses its stores).
#
# FISH_TEST_VALGRIND=1 (scripts/test --valgrind) runs every listener a
# test starts under valgrind's memcheck (helpers/valgrind-listener, as
# FISH_LISTENER), a log a process in the test's directory;
# common_teardown fails the test on any error or definite or indirect
# leak they report.  FISH_TEST_SLOW=N (a whole number, 1 by default)
# multiplies every wait_until deadline (and so those of kill_and_wait,
# reap and serve) for such slow runs; BATS_TEST_TIMEOUT is the caller's
# to raise (scripts/test --valgrind does both).

# bats 1.8.2 looks in /usr/lib/bats by default; keep it there if overridden.
BATS_LIB_PATH=${BATS_LIB_PATH:+$BATS_LIB_PATH:}/usr/lib/bats
bats_load_library bats-support
bats_load_library bats-assert

# Read before each test starts (so it cannot be set from setup): a hang
# fails the test instead of stalling the run.
: "${BATS_TEST_TIMEOUT:=60}"
export BATS_TEST_TIMEOUT

# Read here, before common_setup unsets every FISH_*: not exported.
TEST_SLOW=${FISH_TEST_SLOW:-1}
case $TEST_SLOW in
'' | *[!0-9]* | 0) TEST_SLOW=1 ;;
esac
TEST_VALGRIND=${FISH_TEST_VALGRIND:-}

# make check sets these; by hand (bats test/x.bats) use the tree's build/.
: "${FISH_SRC_DIR:=$(cd "$BATS_TEST_DIRNAME/.." && pwd)}"
: "${FISH_BUILD_DIR:=$FISH_SRC_DIR/build}"

# The name the build installs fish under (configure's
# --program-transform-name makes it e.g. fishhook): lib/ and the listener
# say it in their messages, while the client the tests call fish is one
# called so (see common_setup).  Tests expect those messages with it.
FISH_INSTALLED_NAME=$(sed -n 's/^#define FISH_INSTALLED_NAME "\(.*\)"$/\1/p' \
    "$FISH_BUILD_DIR/config.h" 2>/dev/null)

# Isolate the test: fresh HOME and FISH_HOME, fish and its listener from
# the build directory first on PATH.
common_setup() {
	local v build=$FISH_BUILD_DIR src=$FISH_SRC_DIR
	local name=$FISH_INSTALLED_NAME store=${FISH_TEST_STORE:-}

	if [ -z "$name" ]; then
		echo "no FISH_INSTALLED_NAME in $build/config.h: build fish first" >&2
		return 1
	fi

	for v in $(compgen -e); do
		case $v in
		FISH_* | XDG_*) unset "$v" ;;
		esac
	done
	# Not fish's own variables: where the tests find the build and sources.
	export FISH_BUILD_DIR=$build FISH_SRC_DIR=$src
	export FISH_INSTALLED_NAME=$name
	export HOME=$BATS_TEST_TMPDIR
	export FISH_HOME=$BATS_TEST_TMPDIR/home
	export FISH_LISTENER=$FISH_BUILD_DIR/fish-listener
	if [ "$TEST_VALGRIND" = 1 ]; then
		export FISH_LISTENER=$src/test/helpers/valgrind-listener
		export FISH_TEST_VALGRIND_DIR=$BATS_TEST_TMPDIR/valgrind
		mkdir -p "$FISH_TEST_VALGRIND_DIR"
	fi
	export PATH=$FISH_BUILD_DIR:$PATH
	# A build renamed by configure: its client as called fish (Makefile.am).
	if [ -x "$FISH_BUILD_DIR/test/default-name/fish" ]; then
		export PATH=$FISH_BUILD_DIR/test/default-name:$PATH
	fi
	# Not exported: only these helpers read it.
	TEST_STORE=$store
	case $TEST_STORE in
	"" | journal) TEST_STORE= ;;
	redis)
		# A file that loads helpers/redis itself starts its own Redis
		# and chooses each listener's store: it runs once, outside.
		if declare -F redis_start >/dev/null; then
			TEST_STORE=
			skip "run once, not against redis: it starts its own Redis and chooses each listener's store itself"
		fi
		matrix_redis_start ;;
	*) fail "FISH_TEST_STORE=$TEST_STORE: use journal or redis" ;;
	esac
}

# matrix_redis_start: start the test's redis-server (redis_start) and
# have every listener of the test use it as its store.
matrix_redis_start() {
	. "$FISH_SRC_DIR/test/helpers/redis.bash"
	redis_start
	export FISH_STORE=redis://127.0.0.1:$REDIS_PORT/0
}

# journal_only WHY: skip the test when it runs against another store
# than the embedded journal (the store matrix), saying WHY: it is about
# the journal itself.  Call it first in the test, or in setup after
# common_setup for a whole file.
journal_only() {
	[ -z "${TEST_STORE:-}" ] ||
	    skip "journal only, not run against $TEST_STORE: $1"
}

# redis_gap WHY: skip the test under the Redis store, for a gap of that
# store still to close (WHY names it); the test must pass once it is.
redis_gap() {
	[ "${TEST_STORE:-}" != redis ] ||
	    skip "a gap of the Redis store, still to close: $1"
}

# matrix_only_once WHY: skip the test under the store matrix for another
# reason than the journal: it chooses its stores itself, or no store is
# involved.
matrix_only_once() {
	[ -z "${TEST_STORE:-}" ] ||
	    skip "run once, not against $TEST_STORE: $1"
}

# Stop every session of the test and check that no listener survives.
common_teardown() {
	local dir pids pid alive="" bad=0

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
			if ! all_dead "$pid"; then
				alive="$alive $pid"
				kill -KILL "$pid" 2>/dev/null || true
			fi
		done
	fi
	# The store's Redis goes last: a listener stopping still writes.
	[ -z "${TEST_STORE:-}" ] || redis_stop
	# bats judges a teardown by its last command only: each check counts.
	[ -z "$alive" ] ||
	    { fail "listener still running after fish stop:$alive"; bad=1; }
	valgrind_check || bad=1
	return "$bad"
}

# valgrind_check: under FISH_TEST_VALGRIND=1, fail the test if a valgrind
# log of its listeners is not empty, showing them.  Only listeners that
# have exited wrote their leaks: call it once they are gone.  One of this
# FISH_HOME that the test stopped itself (fish stop returns before
# valgrind's leak check is over) is waited for here, by the pid its log
# is named after; not those of other homes (fleet tests), still running.
valgrind_check() {
	local log pid found=
	[ "$TEST_VALGRIND" = 1 ] || return 0
	for log in "$FISH_TEST_VALGRIND_DIR"/valgrind-*.log; do
		[ -f "$log" ] || continue
		pid=${log##*/valgrind-}
		pid=${pid%.log}
		! of_this_home "$pid" || wait_until 10 all_dead "$pid" || true
		[ -s "$log" ] || continue
		echo "==> $log <==" >&2
		cat "$log" >&2
		found="$found ${log##*/}"
	done
	[ -z "$found" ] || fail "valgrind found errors in the listener:$found"
}

# of_this_home PID: succeed if PID runs with this test's FISH_HOME.
of_this_home() {
	{ tr '\0' '\n' <"/proc/$1/environ"; } 2>/dev/null |
	    grep -qxF "FISH_HOME=$FISH_HOME"
}

## Waiting and processes

# wait_until TIMEOUT_S CMD...: run CMD every 20 ms until it succeeds (0)
# or TIMEOUT_S (whole) seconds, times FISH_TEST_SLOW, have passed (1).
# The only way tests wait.
wait_until() {
	local timeout=$1 now deadline
	shift
	now=${EPOCHREALTIME//[!0-9]/}
	deadline=$((now + timeout * TEST_SLOW * 1000000))
	until "$@"; do
		now=${EPOCHREALTIME//[!0-9]/}
		[ "$now" -lt "$deadline" ] || return 1
		sleep 0.02
	done
}

# to_gone_reader CMD...: run CMD with its standard output a pipe whose
# reader has already gone, as in CMD | head -0 once head has exited, but
# with no race: the read end is closed before CMD starts.  Exit with
# CMD's status (128+N when a signal N killed it).
to_gone_reader() {
	python3 -c '
import os, subprocess, sys
r, w = os.pipe()
os.close(r)
rc = subprocess.call(sys.argv[1:], stdout=w)
sys.exit(128 - rc if rc < 0 else rc)
' "$@"
}

# now_ms: print the wall clock in milliseconds.
now_ms() {
	local now=${EPOCHREALTIME//[!0-9]/}
	echo $((now / 1000))
}

# since START MS: succeed once MS milliseconds have passed since START (a
# now_ms).  For the tests whose subject is time passing: a TTL, a line
# that must not be redrawn.
since() {
	[ $(($(now_ms) - $1)) -ge "$2" ]
}

# all_dead PID...: succeed if none of the given pids is alive.  A zombie
# has exited: a listener is reparented to init, which may take its time
# to reap it.  Empty arguments are ignored.
all_dead() {
	local pid stat
	for pid in "$@"; do
		kill -0 "$pid" 2>/dev/null || continue
		stat=$(cat "/proc/$pid/stat" 2>/dev/null) || continue
		stat=${stat##*) }
		[ "${stat%% *}" = Z ] || return 1
	done
}

# alive PID...: succeed if every given pid is a running process (not a
# zombie).
alive() {
	local pid
	for pid in "$@"; do
		all_dead "$pid" && return 1
	done
	return 0
}

# kill_and_wait [-SIGNAL] PID...: send SIGNAL (TERM by default) to each
# PID (empty ones are skipped), and wait up to 10 s until all are gone;
# then reap those that are children of this shell.  One that outlives the
# deadline is killed with SIGKILL, and the test fails.
kill_and_wait() {
	local sig=-TERM pid stat pids=() stopped=()
	case ${1-} in
	-*) sig=$1; shift ;;
	esac
	for pid in "$@"; do
		[ -z "$pid" ] || pids+=("$pid")
	done
	[ "${#pids[@]}" -gt 0 ] || return 0
	for pid in "${pids[@]}"; do
		stat=$(cat "/proc/$pid/stat" 2>/dev/null) || continue
		stat=${stat##*) }
		[ "${stat%% *}" = T ] && stopped+=("$pid")
	done
	kill "$sig" "${pids[@]}" 2>/dev/null || true
	# A stopped process acts on a handled signal only once continued.
	# Only those: a SIGCONT to a process that is exiting can stall the
	# leak check of an ASan build (it stops every thread with ptrace).
	[ "${#stopped[@]}" -eq 0 ] || kill -CONT "${stopped[@]}" 2>/dev/null ||
	    true
	if ! wait_until 10 all_dead "${pids[@]}"; then
		kill -KILL "${pids[@]}" 2>/dev/null || true
		fail "still running 10 s after kill $sig: ${pids[*]}"
		return 1
	fi
	for pid in "${pids[@]}"; do
		wait "$pid" 2>/dev/null || true
	done
}

# reap PID [TIMEOUT_S]: wait up to TIMEOUT_S (20 by default) for PID, a
# child of this shell, to exit, and set $status to its exit status.
reap() {
	local pid=$1 timeout=${2:-20}
	if ! wait_until "$timeout" all_dead "$pid"; then
		fail "process $pid still running after $timeout s"
		return 1
	fi
	status=0
	wait "$pid" || status=$?
}

# serve PORTFILE CMD...: run CMD, a server that writes the port it
# listens on to PORTFILE once it serves, in the background (stdio on
# /dev/null); when it has, set served_pid and served_port.
serve() {
	local portfile=$1
	shift
	rm -f "$portfile"
	"$@" </dev/null >/dev/null 2>&1 3>&- &
	served_pid=$!
	if ! wait_until 10 test -s "$portfile"; then
		fail "$1 wrote no port to $portfile in 10 s"
		return 1
	fi
	served_port=$(cat "$portfile")
}

# hold_port [PORT]: listen on loopback PORT (a free one by default) with
# a python3 process that does nothing else (for 50 s at most); set
# holder_pid and held_port.  Stop it with kill_and_wait "$holder_pid".
hold_port() {
	local portfile=$BATS_TEST_TMPDIR/held-port

	serve "$portfile" python3 -c '
import signal, socket, sys
sys.path.insert(0, sys.argv[3])
import portfile
s = socket.socket()
s.bind(("127.0.0.1", int(sys.argv[2])))
s.listen()
portfile.write(sys.argv[1], s.getsockname()[1])
signal.alarm(50)
signal.pause()
' "$portfile" "${1:-0}" "$FISH_SRC_DIR/test/helpers"
	holder_pid=$served_pid held_port=$served_port
}

# closed_port: print a loopback port that nothing listens on.
closed_port() {
	python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}

## A small disk

# mount_tmpfs SIZE: mount a tmpfs of SIZE at $mnt (unmount_tmpfs, in
# teardown, undoes it) and move the test's FISH_HOME into it; skip the
# test if that cannot be (it needs root).
mount_tmpfs() {
	mnt=$(mktemp -d)
	if ! mount -t tmpfs -o size="$1" tmpfs "$mnt" 2>/dev/null; then
		rmdir "$mnt"
		mnt=""
		skip "cannot mount a tmpfs of $1 here"
	fi
	export FISH_HOME=$mnt/home
}

# leave_free KB: fill the tmpfs of mount_tmpfs but for about KB KiB.
leave_free() {
	local avail
	avail=$(df --output=avail "$mnt" | tail -n 1)
	dd if=/dev/zero of="$mnt/filler" bs=1k count=$((avail - $1)) \
	    2>/dev/null
}

# fill_up: fill the tmpfs of mount_tmpfs to its last byte.
fill_up() {
	dd if=/dev/zero of="$mnt/filler" bs=64k 2>/dev/null || true
	dd if=/dev/zero of="$mnt/filler-tail" bs=1 2>/dev/null || true
}

# unmount_tmpfs: unmount and remove what mount_tmpfs made, if anything.
unmount_tmpfs() {
	[ -n "${mnt:-}" ] || return 0
	umount "$mnt" 2>/dev/null || umount -l "$mnt" 2>/dev/null || true
	rmdir "$mnt" 2>/dev/null || true
}

## The session and its listener

# Print the pids of every session's listener under $FISH_HOME.
session_pids() {
	local f
	for f in "$FISH_HOME"/sessions/*/listener.pid; do
		[ -f "$f" ] && cat "$f"
	done
	return 0
}

# listener_pid [SESSION]: print the pid of the session's listener.
listener_pid() {
	cat "$FISH_HOME/sessions/${1:-${FISH_SESSION:-default}}/listener.pid"
}

# kill_listener [SESSION]: SIGKILL the session's listener (a crash) and
# wait until it is gone.
kill_listener() {
	local pid
	pid=$(listener_pid "$@")
	kill_and_wait -KILL "$pid"
}

# asan_no_quarantine: have a listener started after this, if built with
# AddressSanitizer, keep no freed memory in quarantine (256 MiB by
# default), which would count as its own: for tests that measure it.
asan_no_quarantine() {
	export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=0
}

# listener_up: succeed when the session's listener runs (status never
# starts it).
listener_up() {
	fish status >/dev/null 2>&1
}

# status_field PTR: print a field of fish status --json.
status_field() {
	fish status --json | fish field "$1"
}

# rss_kb [PID]: print the resident memory of PID (by default the
# listener's), in KiB.
rss_kb() {
	local pid=${1-}
	[ -n "$pid" ] || pid=$(listener_pid)
	awk '$1 == "VmRSS:" { print $2 }' "/proc/$pid/status"
}

# log_has PATTERN: succeed if the default session's listener.log has a
# line matching PATTERN (grep).
log_has() {
	grep -q -- "$1" "$FISH_HOME/sessions/default/listener.log"
}

# journal_dir [SESSION]: print the directory of the session's journal;
# under the Redis store, its local cache (doc/store-redis.md): the records
# its listener wrote and applied since it started.
journal_dir() {
	local dir=journal
	[ "${TEST_STORE:-}" != redis ] || dir=redis-cache
	echo "$FISH_HOME/sessions/${1:-default}/$dir"
}

# journal_types: print the type of every journal record of the default
# session, in order, one a line.
journal_types() {
	local segment
	for segment in "$(journal_dir)"/*.journal; do
		"$FISH_SRC_DIR/test/helpers/journal.py" offsets "$segment" |
		    cut -d' ' -f3
	done
}

# nth_seq N [SESSION]: print the sequence number of the session's Nth
# message: N with the journal, which numbers messages only; a Redis store
# numbers every entry, hooks too (doc/store-redis.md): there, the Nth of
# fish log.
nth_seq() {
	if [ "${TEST_STORE:-}" != redis ]; then
		echo "$1"
		return
	fi
	fish -S "${2:-${FISH_SESSION:-default}}" log --json | json_seqs |
	    sed -n "$1p"
}

# json_seqs [FILE...]: print the sequence number of each line of FILEs
# (or stdin) that starts as fish log --json and tail --json lines do.
json_seqs() {
	grep -ohE '^\{"seq":[0-9]+' "$@" | tr -dc '0-9\n'
}

# needs_test_hooks: skip unless the build under test was configured with
# --enable-test-hooks (the FISH_TEST_* hooks; make distcheck's is not).
needs_test_hooks() {
	grep -q '^#define FISH_TEST_HOOKS' "$FISH_BUILD_DIR/config.h" ||
	    skip "needs a build configured with --enable-test-hooks"
}

# control_py COMMAND ARG...: run helpers/control.py on the default
# session's control socket.  It execs: call it with run, in $(...) or in
# the background, where $! is then the helper itself.
control_py() {
	exec python3 "$FISH_SRC_DIR/test/helpers/control.py" \
	    "$FISH_HOME/sessions/default/control.sock" "$@"
}

## HTTP to hooks

# port_of URL: print the port of an http(s) URL.
port_of() {
	local rest=${1#*://}

	rest=${rest%%/*}
	printf '%s\n' "${rest##*:}"
}

# http_code URL [CURL_ARG...]: print the HTTP status curl gets from URL.
http_code() {
	local url=$1
	shift
	curl -sS -o /dev/null -w '%{http_code}' --max-time 10 "$@" "$url"
}

# http_post URL DATA [CURL_ARG...]: POST DATA as JSON, print the status code.
http_post() {
	local url=$1 data=$2
	shift 2
	http_code "$url" -H 'Content-Type: application/json' \
	    --data-binary "$data" "$@"
}

# post URL DATA [CURL_ARG...]: send DATA as it is, fail unless answered 200.
post() {
	local url=$1 data=$2 code
	shift 2
	code=$(http_code "$url" --data-binary "$data" "$@") || return
	[ "$code" = 200 ] || { echo "POST $url answered $code" >&2; return 1; }
}

# posted URL DATA [CURL_ARG...]: post, quietly; succeed if answered 200
# (for wait_until).
posted() {
	post "$@" 2>/dev/null
}

# gone URL: succeed once URL answers 410: its hook is closed (for
# wait_until).
gone() {
	[ "$(http_code "$1")" = 410 ]
}

# flood URL COUNT SIZE: post COUNT requests of SIZE bytes to URL, one
# after another (helpers/flood.py); fail unless all are answered 200.
flood() {
	python3 "$FISH_SRC_DIR/test/helpers/flood.py" "$@"
}

## fish tail in the background

# post_until_seen URL FILE: post "ping" to URL; succeed once FILE is not
# empty (with wait_until, while a tail writing FILE subscribes).
post_until_seen() {
	posted "$1" ping || true
	[ -s "$2" ]
}

# start_tail FILE URL [TAIL_ARG...]: run fish tail TAIL_ARG... into FILE
# (its stderr in tail.err) in the background, set tail_pid, and post to
# URL until the tail shows what it got.
start_tail() {
	local file=$1 url=$2
	shift 2
	fish tail "$@" >"$file" 2>"$BATS_TEST_TMPDIR/tail.err" 3>&- &
	tail_pid=$!
	wait_until 10 post_until_seen "$url" "$file"
}

# stop_tail [-SIGNAL]: stop the tail of start_tail, if any, with SIGNAL
# (TERM by default) and wait until it is gone.
stop_tail() {
	kill_and_wait "${1:--TERM}" "${tail_pid-}"
	tail_pid=
}
