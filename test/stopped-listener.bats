#!/usr/bin/env bats
# A listener that is alive but cannot answer: stopped by SIGSTOP (as by
# Ctrl-Z on fish start --foreground), held by a debugger (ptrace-stopped,
# by test/helpers/ptrace-hold.py; skipped where ptrace is not
# permitted), or in a cgroup frozen by the cgroup freezer (as by docker
# pause, systemctl freeze; the tests that freeze one need root and a
# writable cgroup hierarchy, and skip otherwise, saying which).  Every
# command gives up on it with one line and exit status 3 once it has
# stayed stopped for a while (FISH_TEST_STOPPED_MS shortens that while),
# whether it was stopped before the command connected or while it
# waited; a listener that works, however long it is silent, is waited
# for; what a command gave up on is not done when the listener is
# resumed.  status and sessions, bounded by
# deadlines of their own, say within them why it does not answer, and
# what lets it run again.

bats_require_minimum_version 1.5.0

load helpers/common
load helpers/app

setup() {
	common_setup
	needs_test_hooks
	export FISH_TEST_STOPPED_MS=1000
	stopped_pid=
	tracer_pid=
	cg_made=()
}

teardown() {
	local status=0

	# A stopped listener would keep fish stop waiting, and the test.
	[ -z "$stopped_pid" ] || kill -CONT "$stopped_pid" 2>/dev/null || true
	# A traced one, likewise: its tracer lets it go as it ends.
	kill_and_wait "$tracer_pid" || status=$?
	cgroup_undo || status=$?
	common_teardown || status=$?
	kill_and_wait "${tail_pid-}" "${cmd_pid-}" || status=$?
	stop_app || status=$?
	return "$status"
}

# stop_listener [SESSION]: SIGSTOP the session's listener and wait until
# it is stopped; set stopped_pid (teardown resumes it).
stop_listener() {
	stopped_pid=$(listener_pid "$@")
	kill -STOP "$stopped_pid"
	wait_until 10 is_stopped "$stopped_pid"
}

# is_stopped PID: succeed when PID is stopped (state T in /proc/PID/stat).
is_stopped() {
	local stat
	stat=$(cat "/proc/$1/stat") || return 1
	stat=${stat##*) }
	[ "${stat%% *}" = T ]
}

# blocked PID: succeed once process PID sleeps in poll(2), waiting for the
# listener's answer.
blocked() {
	[[ $(cat "/proc/$1/wchan" 2>/dev/null) == *poll* ]]
}

# as_job CMD...: run CMD in a process group of its own, as a shell with
# job control runs a job, waiting for it here (in this session, so that
# its group is not orphaned); exit with its status.
as_job() {
	python3 -c 'import os, sys
pid = os.fork()
if pid == 0:
    os.setpgid(0, 0)
    os.execvp(sys.argv[1], sys.argv[1:])
sys.exit(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))' "$@"
}

# fish_log_has ERE: succeed once fish log shows a line matching ERE.
fish_log_has() {
	fish log | grep -qE -- "$1"
}

# hold_listener [NAME]: hold the default session's listener as a debugger
# at a breakpoint does (test/helpers/ptrace-hold.py: ptrace-stopped, state
# t; named NAME), skipping, with the reason, where ptrace is not
# permitted; set
# traced_pid, tracer_pid and tracer_name (what ps calls it).  teardown,
# or release_listener, lets it go.
hold_listener() {
	local out=$BATS_TEST_TMPDIR/hold.out err=$BATS_TEST_TMPDIR/hold.err
	traced_pid=$(listener_pid)
	python3 "$FISH_SRC_DIR/test/helpers/ptrace-hold.py" "$traced_pid" \
	    "$@" >"$out" 2>"$err" 3>&- &
	tracer_pid=$!
	wait_until 10 held_or_gone "$out" "$tracer_pid"
	if ! grep -qx held "$out"; then
		reap "$tracer_pid"
		tracer_pid=
		[ "$status" = 77 ] || fail "ptrace-hold.py: $(cat "$err")"
		skip "ptrace is not permitted here: $(cat "$err")"
	fi
	tracer_name=$(cat "/proc/$tracer_pid/comm")
	wait_until 10 in_state "$traced_pid" t
}

# held_or_gone FILE PID: succeed once FILE says "held", or PID is gone.
held_or_gone() {
	grep -qx held "$1" || ! alive "$2"
}

# in_state PID LETTER: succeed when PID's state in /proc/PID/stat is
# LETTER.
in_state() {
	local stat
	stat=$(cat "/proc/$1/stat") || return 1
	stat=${stat##*) }
	[ "${stat%% *}" = "$2" ]
}

# release_listener: have the tracer hold_listener started let the
# listener go, and wait until it has.
release_listener() {
	kill_and_wait "$tracer_pid"
	tracer_pid=
}

# traced_why: print why the held listener does not answer.
traced_why() {
	echo "held by a debugger or tracer, pid $tracer_pid ($tracer_name);" \
	    "it runs again once that continues or detaches it"
}

# resume_listener: SIGCONT the listener stop_listener stopped.
resume_listener() {
	kill -CONT "$stopped_pid"
	stopped_pid=
}

# stopped_line PID [SESSION]: print the line of a command that gave up.
stopped_line() {
	echo "fish: the listener of session '${2:-default}' (pid $1) is" \
	    "stopped; resume it with: kill -CONT $1"
}

# assert_gave_up: assert that the command run gave up on the stopped
# listener: exit status 3 and the one line.
assert_gave_up() {
	assert_failure 3
	assert_equal "$stderr" "$(stopped_line "$stopped_pid")"
}

# ls_outlasts CMD...: run fish ls on a listener that cannot answer (hook
# orders spawned), giving up after 4 s of it; after 1.5 s, more than one
# look at it (a second), run CMD, which lets it answer; check that ls
# then finished as usual.
ls_outlasts() {
	local start out=$BATS_TEST_TMPDIR/ls.out err=$BATS_TEST_TMPDIR/ls.err
	start=$(now_ms)
	FISH_TEST_STOPPED_MS=4000 fish ls >"$out" 2>"$err" 3>&- &
	cmd_pid=$!
	wait_until 10 since "$start" 1500
	"$@"
	reap "$cmd_pid"
	cmd_pid=
	assert_equal "$status" 0
	assert_equal "$(cat "$err")" ""
	grep -q '^orders ' "$out"
}

## The cgroup freezer

# needs_freezer v2|v1: skip unless this test can make cgroups in that
# hierarchy and freeze them, saying why; set cg_kind, cg_mount (where
# the hierarchy is mounted), cg_freeze (the file that freezes a cgroup),
# cg_on and cg_off (what freezes and thaws it there) and cg_state (the
# file, and the line in it, that say a cgroup is frozen).
needs_freezer() {
	local probe
	cg_kind=$1
	[ "$(id -u)" = 0 ] || skip "needs root, to make and freeze cgroups"
	if [ "$cg_kind" = v2 ]; then
		cg_mount=$(cgroup_v2_mount) ||
		    skip "no cgroup v2 hierarchy at /sys/fs/cgroup{,/unified}"
		cg_freeze=cgroup.freeze cg_on=1 cg_off=0
		cg_state=cgroup.events cg_frozen_line="frozen 1"
	else
		cg_mount=/sys/fs/cgroup/freezer
		[ "$(stat -f -c %T "$cg_mount" 2>/dev/null)" = cgroupfs ] ||
		    skip "no cgroup v1 freezer mounted at $cg_mount"
		cg_freeze=freezer.state cg_on=FROZEN cg_off=THAWED
		cg_state=freezer.state cg_frozen_line=FROZEN
	fi
	probe=$cg_mount$(cgroup_of $$)
	probe=${probe%/}/fish-probe.$$
	mkdir "$probe" 2>/dev/null ||
	    skip "cannot make a cgroup in ${probe%/*} (read-only here?)"
	if [ ! -f "$probe/$cg_freeze" ]; then
		rmdir "$probe"
		skip "no $cg_freeze in a new cgroup (cgroup v2: kernel < 5.2)"
	fi
	# An empty cgroup is frozen at once where freezing works at all.
	if ! { echo "$cg_on" >"$probe/$cg_freeze"; } 2>/dev/null ||
	    ! wait_until 5 cgroup_frozen "$probe"; then
		echo "$cg_off" >"$probe/$cg_freeze" 2>/dev/null || true
		rmdir "$probe"
		skip "cannot freeze a cgroup in ${probe%/*}"
	fi
	echo "$cg_off" >"$probe/$cg_freeze"
	rmdir "$probe"
}

# cgroup_v2_mount: print where the cgroup v2 hierarchy is mounted: alone
# at /sys/fs/cgroup, or beside v1 ones at /sys/fs/cgroup/unified.
cgroup_v2_mount() {
	local m
	for m in /sys/fs/cgroup /sys/fs/cgroup/unified; do
		if [ "$(stat -f -c %T "$m" 2>/dev/null)" = cgroup2fs ]; then
			echo "$m"
			return 0
		fi
	done
	return 1
}

# cgroup_of PID: print PID's cgroup in the hierarchy of cg_kind, as
# /proc/PID/cgroup names it.
cgroup_of() {
	local line rest
	while IFS= read -r line; do
		rest=${line#*:}
		case $cg_kind:${rest%%:*} in
		v2: | v1:freezer | v1:freezer,* | v1:*,freezer | v1:*,freezer,*)
			echo "${rest#*:}"
			return 0
			;;
		esac
	done <"/proc/$1/cgroup"
	return 1
}

# cgroup_move PATH: make cgroup PATH (parts separated by /, made as
# needed) below the session's listener's own, and move the listener into
# it; set cg_pid, cg_back (its cgroup before, a directory) and cg_base
# (PATH's first part, as /proc names it).  cgroup_undo, in teardown,
# moves it back and removes them.
cgroup_move() {
	local dir part parts
	cg_pid=$(listener_pid)
	cg_back=$cg_mount$(cgroup_of "$cg_pid")
	cg_back=${cg_back%/}
	cg_base=${cg_back#"$cg_mount"}/${1%%/*}
	dir=$cg_back
	IFS=/ read -ra parts <<<"$1"
	for part in "${parts[@]}"; do
		dir=$dir/$part
		mkdir "$dir"
		cg_made=("$dir" "${cg_made[@]}")
	done
	echo "$cg_pid" >"$dir/cgroup.procs"
}

# cgroup_freeze PATH: freeze cgroup PATH (a path below the mount, as
# /proc names it), and wait until the listener's own is wholly frozen.
cgroup_freeze() {
	echo "$cg_on" >"$cg_mount$1/$cg_freeze"
	wait_until 10 cgroup_frozen "${cg_made[0]}"
}

# cgroup_frozen DIR: succeed when cgroup DIR is wholly frozen.
cgroup_frozen() {
	grep -qx "$cg_frozen_line" "$1/$cg_state"
}

# cgroup_thaw: thaw every cgroup cgroup_move made.
cgroup_thaw() {
	local dir
	for dir in "${cg_made[@]}"; do
		echo "$cg_off" >"$dir/$cg_freeze"
	done
}

# cgroup_undo: thaw what cgroup_move made, move the listener back to its
# cgroup (if it still runs) and remove them; fail if any is left.
cgroup_undo() {
	local dir status=0
	[ "${#cg_made[@]}" -gt 0 ] || return 0
	cgroup_thaw || status=1
	if alive "$cg_pid"; then
		echo "$cg_pid" >"$cg_back/cgroup.procs" || status=1
	fi
	for dir in "${cg_made[@]}"; do
		rmdir "$dir" || status=1
	done
	for dir in "${cg_made[@]}"; do
		[ ! -e "$dir" ] || { fail "cgroup $dir left behind"; status=1; }
	done
	cg_made=()
	return "$status"
}

# frozen_line PATH THAW: print the line of a command that gave up on the
# listener in frozen cgroup PATH, thawed by THAW.
frozen_line() {
	echo "fish: the listener of session 'default' (pid $cg_pid) is in" \
	    "the frozen cgroup '$1'; thaw it with: $2"
}

# thaw_line PATH: print how cgroup PATH is thawed by hand.
thaw_line() {
	echo "echo $cg_off > $cg_mount$1/$cg_freeze"
}

# spawn_on_frozen v2|v1: freeze the listener in a cgroup of its own in
# that hierarchy (skipping where it cannot be); check that spawn gives up
# on it, naming the cgroup and how to thaw it, then thaw it.
spawn_on_frozen() {
	needs_freezer "$1"
	fish spawn --name first >/dev/null
	cgroup_move "fish-test.$$"
	cgroup_freeze "$cg_base"
	run --separate-stderr timeout 20 fish spawn --name second
	assert_failure 3
	assert_equal "$stderr" \
	    "$(frozen_line "$cg_base" "$(thaw_line "$cg_base")")"
	assert_output ""
	cgroup_thaw
}

@test "spawn on a stopped listener says so and exits 3, and the hook is not made once it is resumed" {
	fish spawn --name first >/dev/null
	stop_listener
	run --separate-stderr timeout 20 fish spawn --name second
	assert_gave_up
	assert_output ""
	resume_listener
	wait_until 10 log_has "hung up before its spawn request was read"
	run fish ls
	assert_success
	assert_line --regexp '^first '
	refute_line --regexp '^second '
}

@test "close on a stopped listener says so and exits 3, and the hook stays open once it is resumed" {
	fish spawn --name orders >/dev/null
	stop_listener
	run --separate-stderr timeout 20 fish close orders
	assert_gave_up
	resume_listener
	wait_until 10 log_has "hung up before its close request was read"
	run fish ls
	assert_success
	assert_line --regexp '^orders .* open$'
}

@test "log, show and export on a stopped listener each say so and exit 3" {
	local url seq
	url=$(fish spawn --name orders)
	post "$url" '{"n":1}'
	seq=$(nth_seq 1)
	stop_listener
	run --separate-stderr timeout 20 fish log
	assert_gave_up
	run --separate-stderr timeout 20 fish show "$seq"
	assert_gave_up
	run --separate-stderr timeout 20 fish export --har "$BATS_TEST_TMPDIR/out.har"
	assert_gave_up
	resume_listener
	run fish log
	assert_success
	assert_output --partial '{"n":1}'
}

@test "wait on a stopped listener says so and exits 3, and the message is still there once it is resumed" {
	local url
	url=$(fish spawn --name orders)
	post "$url" '{"n":1}'
	stop_listener
	run --separate-stderr timeout 20 fish wait orders
	assert_gave_up
	assert_output ""
	resume_listener
	run fish wait orders --timeout 5s
	assert_success
	assert_output '{"n":1}'
}

@test "send on a stopped listener says so and exits 3, and is not made once it is resumed" {
	local target
	target=$(fish -S target spawn --name inbox)
	fish spawn --name mine >/dev/null
	stop_listener
	run --separate-stderr timeout 20 fish send "$target" n=1
	assert_gave_up
	assert_output ""
	resume_listener
	# What the resumed listener read after its client had gone is dropped.
	wait_until 10 log_has "hung up before its send request was read"
	run fish log
	assert_success
	assert_output ""
	run fish -S target wait inbox --timeout 0
	assert_failure 124
}

@test "send given up on after its listener read it says it may still be made, and it is once resumed" {
	local gate=$BATS_TEST_TMPDIR/gate err=$BATS_TEST_TMPDIR/send.err
	start_app "$gate"
	fish spawn >/dev/null
	fish send "$app_url/gate" n=1 >/dev/null 2>"$err" 3>&- &
	cmd_pid=$!
	# The listener has read the request: its attempt waits at the app.
	wait_until 10 test -s "$gate.held"
	stop_listener
	reap "$cmd_pid"
	cmd_pid=
	assert_equal "$status" 3
	assert_equal "$(cat "$err")" "fish: the listener of session 'default' (pid $stopped_pid) is stopped, having read the request, which it may still carry out once it runs; resume it with: kill -CONT $stopped_pid"
	touch "$gate"
	resume_listener
	wait_until 10 fish_log_has '/gate +201 '
}

@test "an ack whose client hung up while the listener was stopped a moment is done: the message is not handed out again" {
	local url
	url=$(fish spawn --name acks)
	[ "$(http_post "$url" '{"hello":1}')" = 200 ]
	run control_py ack-gone acks "$(listener_pid)"
	assert_success
	assert_output '{"hello":1}'
	# Running again, it reads the ack and the hang-up before this wait.
	run fish wait acks --timeout 0
	assert_failure 124
	refute log_has "hung up before its ack request was read"
}

@test "tail following a listener that is then stopped says so and exits 3" {
	local url out=$BATS_TEST_TMPDIR/tail.out
	url=$(fish spawn --name orders)
	start_tail "$out" "$url" orders
	stop_listener
	reap "$tail_pid"
	tail_pid=
	assert_equal "$status" 3
	assert_equal "$(cat "$BATS_TEST_TMPDIR/tail.err")" \
	    "$(stopped_line "$stopped_pid")"
}

@test "wait, waiting when its listener is stopped, says so and exits 3" {
	local err=$BATS_TEST_TMPDIR/wait.err
	fish spawn --name orders >/dev/null
	fish wait orders >/dev/null 2>"$err" 3>&- &
	cmd_pid=$!
	wait_until 10 blocked "$cmd_pid"
	stop_listener
	reap "$cmd_pid"
	cmd_pid=
	assert_equal "$status" 3
	assert_equal "$(cat "$err")" "$(stopped_line "$stopped_pid")"
}

@test "a listener in the foreground suspended as by Ctrl-Z is given up on, and serves once resumed" {
	local pid
	# valgrind takes the signals itself, and does not stop on SIGTSTP.
	[ "$TEST_VALGRIND" != 1 ] ||
	    skip "valgrind does not stop on SIGTSTP"
	# A job of its own, as a shell with job control runs it: SIGTSTP is
	# discarded in a process group that no parent in the session holds
	# (an orphaned one), as ours may be under make.
	as_job fish start --foreground 2>"$BATS_TEST_TMPDIR/fg.log" 3>&- &
	cmd_pid=$!
	wait_until 10 listener_up
	pid=$(listener_pid)
	# What the terminal sends the foreground process group on Ctrl-Z.
	kill -TSTP "$pid"
	wait_until 10 is_stopped "$pid"
	stopped_pid=$pid
	run --separate-stderr timeout 20 fish spawn
	assert_gave_up
	resume_listener
	run fish spawn --name after
	assert_success
	fish stop
	reap "$cmd_pid"
	cmd_pid=
	assert_equal "$status" 0
}

@test "a command on another session names the stopped one's listener" {
	fish -S other spawn >/dev/null
	stop_listener other
	run --separate-stderr timeout 20 fish -S other ls
	assert_failure 3
	assert_equal "$stderr" "$(stopped_line "$stopped_pid" other)"
}

# status_and_sessions_say PID WHY HELD: check that fish status and fish
# sessions, on the default session's listener PID that does not answer,
# say so with WHY (what holds it, and what lets it run) and HELD in JSON,
# each within its own deadline and with its exit status.
status_and_sessions_say() {
	run --separate-stderr timeout 20 fish status
	assert_failure 3
	assert_output "session default: pid $1 is not answering ($2)"
	assert_equal "$stderr" ""
	run --separate-stderr timeout 20 fish status --json
	assert_failure 3
	assert_output "{\"session\":\"default\",\"running\":true,\"answering\":false,\"pid\":$1,\"held\":\"$3\"}"
	run --separate-stderr timeout 20 fish sessions
	assert_success
	assert_line --regexp "^default +$1 \(not answering: $3\) +http://"
	assert_equal "$stderr" \
	    "fish: session 'default': pid $1 is not answering ($2)"
	run --separate-stderr timeout 20 fish sessions --json
	assert_success
	assert_output --partial "\"answering\":false,\"held\":\"$3\""
}

# assert_answers_again: check that fish status and fish sessions find the
# default session's listener answering, and say nothing else.
assert_answers_again() {
	run --separate-stderr fish status
	assert_success
	assert_line --regexp '^pid: +[0-9]+$'
	run --separate-stderr fish sessions
	assert_success
	refute_output --partial "not answering"
	assert_equal "$stderr" ""
}

@test "status and sessions name a stopped listener with the command that resumes it, and answer once it is resumed" {
	fish spawn >/dev/null
	stop_listener
	status_and_sessions_say "$stopped_pid" \
	    "stopped by a signal; resume it with: kill -CONT $stopped_pid" \
	    stopped
	resume_listener
	assert_answers_again
}

@test "status and sessions name a listener held by a debugger, with the tracer's pid and name, and answer once it lets go" {
	fish spawn >/dev/null
	hold_listener
	status_and_sessions_say "$traced_pid" "$(traced_why)" traced
	release_listener
	assert_answers_again
}

@test "spawn on a listener held by a debugger says so, naming the tracer, and exits 3; the hook is not made once let go" {
	fish spawn --name first >/dev/null
	hold_listener
	run --separate-stderr timeout 20 fish spawn --name second
	assert_failure 3
	assert_equal "$stderr" "fish: the listener of session 'default' (pid $traced_pid) is $(traced_why)"
	assert_output ""
	release_listener
	wait_until 10 log_has "hung up before its spawn request was read"
	run fish ls
	assert_success
	assert_line --regexp '^first '
	refute_line --regexp '^second '
}

@test "a tracer whose name is an escape sequence is named with '?' for each byte ps would not print" {
	fish spawn >/dev/null
	hold_listener $'\e]0;x\a\e[2Jgdb'
	run --separate-stderr timeout 20 fish ls
	assert_failure 3
	assert_equal "$stderr" "fish: the listener of session 'default' (pid $traced_pid) is held by a debugger or tracer, pid $tracer_pid (?]0;x??[2Jgdb); it runs again once that continues or detaches it"
	release_listener
	assert_answers_again
}

@test "spawn on a stopped listener whose queue is full says why it takes no connections and what resumes it" {
	local filler out=$BATS_TEST_TMPDIR/filled
	fish spawn >/dev/null
	stop_listener
	python3 "$FISH_SRC_DIR/test/helpers/fill-queue.py" \
	    "$FISH_HOME/sessions/default/control.sock" >"$out" 3>&- &
	filler=$!
	wait_until 10 grep -q '^full' "$out"
	run --separate-stderr timeout 20 fish spawn --name second
	kill_and_wait "$filler"
	assert_failure 3
	assert_equal "$stderr" "fish: the listener of session 'default' (pid $stopped_pid) takes no connections: its queue is full, and it is stopped by a signal; resume it with: kill -CONT $stopped_pid"
	assert_output ""
}

@test "spawn on a listener held by a debugger whose queue is full names the tracer" {
	local filler out=$BATS_TEST_TMPDIR/filled
	fish spawn >/dev/null
	hold_listener
	python3 "$FISH_SRC_DIR/test/helpers/fill-queue.py" \
	    "$FISH_HOME/sessions/default/control.sock" >"$out" 3>&- &
	filler=$!
	wait_until 10 grep -q '^full' "$out"
	run --separate-stderr timeout 20 fish spawn
	kill_and_wait "$filler"
	assert_failure 3
	assert_equal "$stderr" "fish: the listener of session 'default' (pid $traced_pid) takes no connections: its queue is full, and it is $(traced_why)"
}

@test "fish stop on a stopped listener keeps to its --timeout, and it stops once resumed" {
	local pid
	fish spawn >/dev/null
	stop_listener
	pid=$stopped_pid
	run --separate-stderr timeout 20 fish stop --timeout 3s
	assert_failure 1
	assert_equal "$stderr" "fish: the listener of session 'default' did not stop within 3s: it is stopped by a signal; resume it with: kill -CONT $pid (see $FISH_HOME/sessions/default/listener.log)"
	resume_listener
	wait_until 10 all_dead "$pid"
}

@test "a listener resumed before it has stayed stopped long enough lets the command finish" {
	fish spawn --name orders >/dev/null
	stop_listener
	ls_outlasts resume_listener
}

@test "send is not given up on while its listener works on a long request" {
	export FISH_TEST_STOPPED_MS=200
	start_app
	fish spawn >/dev/null
	# The listener's request takes its whole --timeout, silent meanwhile.
	run --separate-stderr timeout 20 fish send --timeout 2s "$app_url/slow"
	assert_failure 5
	refute [ -z "$stderr" ]
	[[ $stderr != *stopped* ]]
}

@test "tail keeps following a listener that runs but has nothing to say" {
	local url start out=$BATS_TEST_TMPDIR/tail.out
	export FISH_TEST_STOPPED_MS=200
	url=$(fish spawn --name orders)
	start_tail "$out" "$url" orders
	start=$(now_ms)
	wait_until 10 since "$start" 2000
	alive "$tail_pid"
	post "$url" after-the-silence
	wait_until 10 grep -q after-the-silence "$out"
	stop_tail
}

@test "a listener stopped while it starts is given up on by the command that started it and by those that wait for it" {
	local err=$BATS_TEST_TMPDIR/spawn.err pid
	FISH_TEST_STOP_AT_START=1 fish spawn --name first >/dev/null \
	    2>"$err" 3>&- &
	cmd_pid=$!
	# The listener stops itself once it holds the session's pid lock.
	wait_until 10 test -s "$FISH_HOME/sessions/default/listener.pid"
	pid=$(listener_pid)
	wait_until 10 is_stopped "$pid"
	stopped_pid=$pid
	# This one waits for the start lock the stopped listener holds.
	run --separate-stderr timeout 20 fish ls
	assert_gave_up
	reap "$cmd_pid"
	cmd_pid=
	assert_equal "$status" 3
	assert_equal "$(cat "$err")" "$(stopped_line "$pid")"
	resume_listener
	wait_until 10 listener_up
	run fish ls
	assert_success
	refute_line --regexp '^first '
}

@test "spawn on a listener in a frozen cgroup says so and exits 3, and it serves once thawed" {
	spawn_on_frozen v2
	wait_until 10 log_has "hung up before its spawn request was read"
	run fish spawn --name after
	assert_success
	run fish ls
	assert_success
	assert_line --regexp '^after '
	refute_line --regexp '^second '
}

@test "wait --timeout 60, waiting when its listener's cgroup is frozen, says so and exits 3 well before it" {
	local err=$BATS_TEST_TMPDIR/wait.err url
	needs_freezer v2
	url=$(fish spawn --name orders)
	cgroup_move "fish-test.$$"
	fish wait orders --timeout 60 >"$BATS_TEST_TMPDIR/wait.out" \
	    2>"$err" 3>&- &
	cmd_pid=$!
	wait_until 10 blocked "$cmd_pid"
	cgroup_freeze "$cg_base"
	reap "$cmd_pid" 20
	cmd_pid=
	assert_equal "$status" 3
	assert_equal "$(cat "$err")" \
	    "$(frozen_line "$cg_base" "$(thaw_line "$cg_base")")"
	cgroup_thaw
	post "$url" '{"n":1}'
	run fish wait orders --timeout 5s
	assert_success
	assert_output '{"n":1}'
}

@test "status and sessions name a listener in a frozen cgroup with the command that thaws it, and answer once it is thawed" {
	needs_freezer v2
	fish spawn >/dev/null
	cgroup_move "fish-test.$$"
	cgroup_freeze "$cg_base"
	status_and_sessions_say "$cg_pid" "in the frozen cgroup '$cg_base';\
 thaw it with: $(thaw_line "$cg_base")" frozen
	cgroup_thaw
	assert_answers_again
}

@test "a listener thawed before it has stayed frozen long enough lets the command finish" {
	needs_freezer v2
	fish spawn --name orders >/dev/null
	cgroup_move "fish-test.$$"
	cgroup_freeze "$cg_base"
	ls_outlasts cgroup_thaw
}

@test "a listener frozen by an ancestor of its cgroup is given up on, naming the ancestor to thaw" {
	needs_freezer v2
	fish spawn >/dev/null
	cgroup_move "fish-test.$$/inner"
	cgroup_freeze "$cg_base"
	run --separate-stderr timeout 20 fish ls
	assert_failure 3
	assert_equal "$stderr" \
	    "$(frozen_line "$cg_base" "$(thaw_line "$cg_base")")"
}

@test "a listener in a frozen cgroup that docker made for a container is named with docker unpause" {
	local id=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
	needs_freezer v2
	fish spawn >/dev/null
	# docker's systemd cgroup driver names a container's so.
	cgroup_move "fish-test.$$/docker-$id.scope"
	cgroup_freeze "$cg_base/docker-$id.scope"
	run --separate-stderr timeout 20 fish ls
	assert_failure 3
	assert_equal "$stderr" \
	    "$(frozen_line "$cg_base/docker-$id.scope" "docker unpause $id")"
}

@test "a listener in a frozen cgroup of a systemd unit is named with systemctl thaw beside the echo" {
	local unit=fish-t$$.service
	needs_freezer v2
	fish spawn >/dev/null
	cgroup_move "fish-test.$$.slice/$unit"
	cgroup_freeze "$cg_base/$unit"
	run --separate-stderr timeout 20 fish ls
	assert_failure 3
	assert_equal "$stderr" "$(frozen_line "$cg_base/$unit" \
	    "systemctl thaw $unit, or: $(thaw_line "$cg_base/$unit")")"
}

@test "a listener in a frozen cgroup named with control bytes is named escaped, and the thaw command given thaws it" {
	local thaw
	needs_freezer v2
	fish spawn >/dev/null
	cgroup_move $'odd\e[31m\tit\'s'
	cgroup_freeze "$cg_base"
	run --separate-stderr timeout 20 fish ls
	assert_failure 3
	# ESC and tab shown as ^[ and ^I; in the command, octal escapes.
	thaw="echo 0 > \$'$cg_mount${cg_base%/*}/odd\\033[31m\\011it\\'s"
	thaw="$thaw/cgroup.freeze'"
	assert_equal "$stderr" \
	    "$(frozen_line "${cg_base%/*}/odd^[[31m^Iit's" "$thaw")"
	bash -c "$thaw"
	run cgroup_frozen "${cg_made[0]}"
	assert_failure
}

@test "a listener beside a frozen cgroup is waited for, not given up on" {
	needs_freezer v2
	fish spawn --name orders >/dev/null
	# Below the v2 root in the hybrid layout, /unified/x read at the
	# wrong mount is /x: the frozen one.
	cgroup_move unified/x
	mkdir "$cg_back/x"
	cg_made=("$cg_back/x" "${cg_made[@]}")
	echo "$cg_on" >"$cg_back/x/$cg_freeze"
	wait_until 10 cgroup_frozen "$cg_back/x"
	run --separate-stderr timeout 20 fish wait orders --timeout 3s
	assert_failure 124
	assert_equal "$stderr" "fish: timed out after 3s waiting on orders"
}

@test "a command in a cgroup namespace of its own, the host's hierarchy mounted, waits on a working listener beside a frozen cgroup" {
	needs_freezer v2
	unshare -C true 2>/dev/null ||
	    skip "unshare -C cannot make a cgroup namespace here"
	fish spawn --name orders >/dev/null
	# The command's namespace is rooted at ns, where the listener's
	# cgroup is /l; the mount shows the host's, where /l is the frozen.
	cgroup_move ns/l
	mkdir "$cg_back/l"
	cg_made=("$cg_back/l" "${cg_made[@]}")
	echo "$cg_on" >"$cg_back/l/$cg_freeze"
	wait_until 10 cgroup_frozen "$cg_back/l"
	run --separate-stderr timeout 20 sh -c 'echo $$ >"$1/cgroup.procs" &&
	    exec unshare -C fish wait orders --timeout 3s' sh "$cg_back/ns"
	assert_failure 124
	assert_equal "$stderr" "fish: timed out after 3s waiting on orders"
}

@test "a listener frozen by the cgroup v1 freezer is given up on, and serves once thawed" {
	spawn_on_frozen v1
	run fish spawn --name after
	assert_success
}
