#!/usr/bin/env bats
# fish sessions, fish stop --all, and commands that must not create a
# session: a user can see every session and listener, stop them all, and a
# typo in -S leaves nothing behind.

bats_require_minimum_version 1.5.0
load helpers/common

setup() { common_setup; }
teardown() { common_teardown; }

# as_nobody_owned PATH: make PATH another user's (needs root).
as_nobody_owned() {
	[ "$(id -u)" = 0 ] || skip "needs root to give a file to another user"
	chown 65534 "$1"
}

@test "fish sessions lists each session with its pid, URL, hooks, queued messages and idle time" {
	local a b
	a=$(fish -S alpha spawn)
	fish -S alpha spawn >/dev/null
	[ "$(http_post "$a" '{"n":1}')" = 200 ]
	b=$(fish -S beta spawn)
	fish -S beta stop

	run --separate-stderr fish sessions
	assert_success
	assert_equal "$stderr" ""
	assert_line --index 0 --regexp '^NAME +PID +URL +HOOKS +QUEUED +IDLE$'
	assert_line --index 1 --regexp "^alpha +$(listener_pid alpha) +${a%/*} +2 +1 +[0-9]+[smhd]\$"
	assert_line --index 2 --regexp "^beta +stopped +${b%/*} +- +- +[0-9]+[smhd]\$"
	assert_equal "${#lines[@]}" 3
	# Listing started nothing.
	run fish -S beta status
	assert_failure 3
}

@test "fish sessions --json prints one object per session" {
	local a alpha beta
	a=$(fish -S alpha spawn)
	fish -S beta start >/dev/null
	fish -S beta stop

	run fish sessions --json
	assert_success
	assert_equal "${#lines[@]}" 2
	alpha=${lines[0]} beta=${lines[1]}
	run fish field /running <<<"$alpha"
	assert_output true
	run fish field /pid <<<"$alpha"
	assert_output "$(listener_pid alpha)"
	run fish field /url <<<"$alpha"
	assert_output "${a%/*}"
	run fish field /hooks <<<"$alpha"
	assert_output 1
	run fish field /name <<<"$beta"
	assert_output beta
	run fish field /running <<<"$beta"
	assert_output false
	run fish field /hooks <<<"$beta"
	assert_failure 4
}

@test "fish sessions with no session prints nothing and creates nothing" {
	run --separate-stderr fish sessions
	assert_success
	assert_output ""
	assert_equal "$stderr" ""
	[ ! -e "$FISH_HOME" ]
}

@test "a session whose listener died, or left a stale pid file, is listed as stopped and not restarted" {
	fish -S crashed spawn >/dev/null
	kill_listener crashed
	fish -S stale start >/dev/null
	fish -S stale stop
	# The pid of a process that is gone.
	sh -c 'echo $$' >"$FISH_HOME/sessions/stale/listener.pid"

	run fish sessions
	assert_success
	assert_line --regexp '^crashed +stopped '
	assert_line --regexp '^stale +stopped '
	# The crashed one's socket is still there: nothing restarted it.
	[ -S "$FISH_HOME/sessions/crashed/control.sock" ]
	run fish -S crashed status --json
	assert_success
}

@test "fish sessions says which listener runs but does not answer, within its deadline" {
	local pid
	fish -S frozen spawn >/dev/null
	pid=$(listener_pid frozen)
	kill -STOP "$pid"
	run fish sessions
	kill -CONT "$pid"
	assert_success
	assert_line --regexp "^frozen +$pid \(not answering: stopped\) +http://127\.0\.0\.1:[0-9]+ +- +- +"
}

@test "ls --no-start, for completions and prompts, gives up on a listener that does not answer, quietly" {
	local pid start
	fish -S frozen spawn --name orders >/dev/null
	pid=$(listener_pid frozen)
	kill -STOP "$pid"
	start=$(now_ms)
	run --separate-stderr timeout 20 fish -S frozen ls --no-start
	kill -CONT "$pid"
	assert_failure 3
	assert_equal "$stderr" ""
	[ $(($(now_ms) - start)) -lt 10000 ]
	run fish -S frozen ls --no-start
	assert_success
	assert_line --regexp '^orders '
}

@test "fish status says a listener that does not answer is not answering, and exits 3" {
	local pid
	fish -S frozen spawn >/dev/null
	pid=$(listener_pid frozen)
	kill -STOP "$pid"
	run --separate-stderr timeout 20 fish -S frozen status
	local text=$output code=$status
	run --separate-stderr timeout 20 fish -S frozen status --json
	kill -CONT "$pid"
	assert_equal "$code" 3
	assert_equal "$text" "session frozen: pid $pid is not answering (stopped by a signal; resume it with: kill -CONT $pid)"
	assert_failure 3
	assert_output "{\"session\":\"frozen\",\"running\":true,\"answering\":false,\"pid\":$pid,\"held\":\"stopped\"}"
	run fish -S frozen status
	assert_success
}

# freeze_full: stop session frozen's listener (SIGSTOP) and fill its queue
# of connections; sets pid (the listener's) and filler (the filler's).
freeze_full() {
	local out=$BATS_TEST_TMPDIR/filled
	pid=$(listener_pid frozen)
	kill -STOP "$pid"
	python3 "$FISH_SRC_DIR/test/helpers/fill-queue.py" \
	    "$FISH_HOME/sessions/frozen/control.sock" >"$out" 3>&- &
	filler=$!
	wait_until 10 grep -q '^full' "$out"
}

@test "fish sessions lists a listener whose queue of connections is full as not answering, saying only why" {
	local pid filler
	fish -S frozen spawn >/dev/null
	fish -S awake start >/dev/null
	freeze_full
	run --separate-stderr fish sessions
	kill "$filler"
	kill -CONT "$pid"
	assert_success
	assert_line --regexp "^frozen +$pid \(not answering: stopped\) +http://127\.0\.0\.1:[0-9]+ +- +- +"
	assert_line --regexp "^awake +[0-9]+ +http://127\.0\.0\.1:[0-9]+ +0 +0 +"
	assert_equal "$stderr" "fish: session 'frozen': pid $pid is not answering (stopped by a signal; resume it with: kill -CONT $pid)"
}

@test "ls --no-start and status on a listener whose queue of connections is full: quietly, and not answering" {
	local pid filler
	fish -S frozen spawn >/dev/null
	freeze_full
	run --separate-stderr fish -S frozen ls --no-start
	assert_failure 3
	assert_equal "$stderr" ""
	assert_equal "$output" ""
	run --separate-stderr fish -S frozen status
	kill "$filler"
	kill -CONT "$pid"
	assert_failure 3
	assert_output "session frozen: pid $pid is not answering (stopped by a signal; resume it with: kill -CONT $pid)"
}

@test "fish sessions names a session of another user's and lists the others" {
	fish -S mine start >/dev/null
	mkdir -m 700 "$FISH_HOME/sessions/theirs"
	as_nobody_owned "$FISH_HOME/sessions/theirs"

	run --separate-stderr fish sessions
	assert_failure 1
	assert_line --index 1 --regexp '^mine +[0-9]+ '
	assert_equal "${#lines[@]}" 2
	assert_equal "$stderr" "fish: session 'theirs': '$FISH_HOME/sessions/theirs' belongs to another user (uid 65534), not to you; $FISH_INSTALLED_NAME will not use it: set FISH_HOME elsewhere"
	chown 0 "$FISH_HOME/sessions/theirs"
}

@test "fish sessions and stop --all refuse another user's FISH_HOME" {
	mkdir -m 700 "$FISH_HOME"
	as_nobody_owned "$FISH_HOME"
	run --separate-stderr fish sessions
	assert_failure 3
	assert_equal "$stderr" "fish: sessions: '$FISH_HOME' belongs to another user (uid 65534), not to you; $FISH_INSTALLED_NAME will not use it: set FISH_HOME elsewhere"
	run --separate-stderr fish stop --all
	assert_failure 3
	assert_equal "$stderr" "fish: stop: '$FISH_HOME' belongs to another user (uid 65534), not to you; $FISH_INSTALLED_NAME will not use it: set FISH_HOME elsewhere"
	chown 0 "$FISH_HOME"
}

@test "a mistyped session makes nothing: read-only commands say so and exit 4" {
	fish spawn --name real >/dev/null
	local cmd
	for cmd in "log" "tail" "ls" "show 1" "wait real --timeout 5" \
	    "wait http://127.0.0.1:1/abc" "close real" "reply real" \
	    "replay 1"; do
		# shellcheck disable=SC2086
		run --separate-stderr fish -S typo $cmd
		assert_failure 4
		assert_equal "$stderr" "fish: no session 'typo' (fish sessions lists them)"
	done
	[ ! -e "$FISH_HOME/sessions/typo" ]
	run fish sessions
	refute_line --partial typo
}

@test "status of a session that does not exist says so, exits 3 and creates nothing" {
	run fish -S typo status
	assert_failure 3
	assert_output "session typo: not running, no such session (fish sessions lists them)"
	run fish -S typo status --json
	assert_failure 3
	run fish field /exists <<<"$output"
	assert_output false
	[ ! -e "$FISH_HOME/sessions/typo" ]
}

@test "a read-only command starts a stopped session's listener, and its journal is there" {
	local hook
	hook=$(fish -S kept spawn --name k)
	[ "$(http_post "$hook" '{"kept":true}')" = 200 ]
	fish -S kept stop

	run fish -S kept log --json
	assert_success
	assert_output --partial 'kept'
	run fish -S kept wait k --timeout 5
	assert_success
	assert_output '{"kept":true}'
}

@test "errors about a hook or message name the session they looked in" {
	fish -S alpha spawn >/dev/null
	run --separate-stderr fish -S alpha wait nosuch --timeout 1
	assert_failure 4
	assert_equal "$stderr" "fish: no such hook 'nosuch' (in session 'alpha')"
	run --separate-stderr fish -S alpha show 999
	assert_failure 4
	assert_equal "$stderr" "fish: no message 999 in the journal (in session 'alpha')"
	run --separate-stderr fish -S alpha close nosuch
	assert_failure 4
	assert_equal "$stderr" "fish: no such hook 'nosuch' (in session 'alpha')"
}

@test "fish stop --all stops every running session and says which" {
	local a b
	fish -S alpha spawn >/dev/null
	fish -S beta spawn >/dev/null
	fish -S gamma start >/dev/null
	fish -S gamma stop
	a=$(listener_pid alpha)
	b=$(listener_pid beta)

	run --separate-stderr fish stop --all
	assert_success
	assert_equal "$output" "stopped alpha (pid $a)
stopped beta (pid $b)"
	assert_equal "$stderr" ""
	wait_until 5 all_dead "$a" "$b"
	# Their state is kept.
	[ -d "$(journal_dir alpha)" ]
	run fish stop --all
	assert_success
	assert_output ""
}

@test "start, sessions and stop --all into a reader that went away exit 1 quietly, having done it all" {
	local a b
	# Each said 'fish: NAME: stdout: Broken pipe'.
	run --separate-stderr to_gone_reader fish -S alpha start
	assert_failure 1
	assert_equal "$stderr" ""
	fish -S alpha status >/dev/null
	fish -S beta spawn >/dev/null
	a=$(listener_pid alpha)
	b=$(listener_pid beta)
	run --separate-stderr to_gone_reader fish sessions
	assert_failure 1
	assert_equal "$stderr" ""
	run --separate-stderr to_gone_reader fish sessions --json
	assert_failure 1
	assert_equal "$stderr" ""
	# Every listener is stopped, not only the one whose line failed.
	run --separate-stderr to_gone_reader fish stop --all
	assert_failure 1
	assert_equal "$stderr" ""
	wait_until 5 all_dead "$a" "$b"
	run fish sessions --json
	assert_line --index 0 --regexp '^\{"name":"alpha","running":false,'
	assert_line --index 1 --regexp '^\{"name":"beta","running":false,'
	assert_equal "${#lines[@]}" 2
}

@test "fish stop --all stops the others when one does not answer within --timeout" {
	local a f
	fish -S alpha spawn >/dev/null
	fish -S frozen spawn >/dev/null
	a=$(listener_pid alpha)
	f=$(listener_pid frozen)
	kill -STOP "$f"

	run --separate-stderr fish stop --all --timeout 300ms
	kill -CONT "$f"
	assert_failure 1
	assert_equal "$output" "stopped alpha (pid $a)"
	assert_equal "$stderr" "fish: the listener of session 'frozen' did not stop within 300ms: it is stopped by a signal; resume it with: kill -CONT $f (see $FISH_HOME/sessions/frozen/listener.log)"
	wait_until 10 all_dead "$a" "$f"
}

@test "fish stop --all --purge purges every session, running or not" {
	fish -S alpha spawn >/dev/null
	fish -S beta start >/dev/null
	fish -S beta stop

	run fish stop --all --purge
	assert_success
	assert_line --index 0 --regexp '^stopped alpha \(pid [0-9]+\), purged$'
	assert_line --index 1 'purged beta'
	[ ! -e "$FISH_HOME/sessions/alpha" ]
	[ ! -e "$FISH_HOME/sessions/beta" ]
	run fish sessions
	assert_output ""
}

@test "fish stop --all stops a listener that died and left its socket" {
	fish -S crashed spawn >/dev/null
	kill_listener crashed
	fish -S live spawn >/dev/null
	run fish stop --all --purge
	assert_success
	assert_line 'purged crashed'
	[ ! -e "$FISH_HOME/sessions/crashed" ]
}

@test "fish stop --all names a session it cannot stop, does the others and exits 1" {
	fish -S alpha spawn >/dev/null
	mkdir -m 700 "$FISH_HOME/sessions/theirs"
	as_nobody_owned "$FISH_HOME/sessions/theirs"

	run --separate-stderr fish stop --all
	assert_failure 1
	assert_output --regexp '^stopped alpha \(pid [0-9]+\)$'
	assert_equal "$stderr" "fish: stop: session 'theirs': '$FISH_HOME/sessions/theirs' belongs to another user (uid 65534), not to you; $FISH_INSTALLED_NAME will not use it: set FISH_HOME elsewhere"
	chown 0 "$FISH_HOME/sessions/theirs"
}

@test "concurrent stop --all and commands end with documented statuses and no listener is left" {
	local i pids="" st
	for i in 1 2 3; do
		fish -S "s$i" spawn --name h >/dev/null
	done
	for i in 1 2 3; do
		fish stop --all >/dev/null 2>>"$BATS_TEST_TMPDIR/err" &
		pids="$pids $!"
		fish -S "s$i" ls >/dev/null 2>>"$BATS_TEST_TMPDIR/err" &
		pids="$pids $!"
		fish -S "s$i" wait h --timeout 1 >/dev/null \
		    2>>"$BATS_TEST_TMPDIR/err" &
		pids="$pids $!"
	done
	for i in $pids; do
		st=0
		wait "$i" || st=$?
		# 124: a wait that timed out; 3: one told the session stopped.
		case $st in 0 | 1 | 3 | 124) ;; *) fail "exit $st" ;; esac
	done
	fish stop --all >/dev/null
	run fish sessions
	refute_output --regexp ' [0-9]+ +http'
	# Every message is whole lines of fish's.
	run grep -cv '^fish: ' "$BATS_TEST_TMPDIR/err"
	assert_output 0
}

@test "fish stop --purge with FISH_HOME a file says so in one line and exits 3" {
	echo x >"$BATS_TEST_TMPDIR/file"
	export FISH_HOME=$BATS_TEST_TMPDIR/file
	run --separate-stderr fish stop --purge
	assert_failure 3
	assert_equal "$stderr" "fish: '$FISH_HOME' is not a directory; move it away or set FISH_HOME elsewhere"
	run --separate-stderr fish stop --all --purge
	assert_failure 3
	assert_equal "$stderr" "fish: stop: '$FISH_HOME' is not a directory; move it away or set FISH_HOME elsewhere"
	[ "$(cat "$FISH_HOME")" = x ]
}

@test "parallel commands never interleave their error lines" {
	local i pids=""
	for i in $(seq 1 30); do
		fish -S "typo$i" log 2>>"$BATS_TEST_TMPDIR/err" &
		pids="$pids $!"
		fish -S "typo$i" spawn --status 99 2>>"$BATS_TEST_TMPDIR/err" &
		pids="$pids $!"
	done
	# shellcheck disable=SC2086
	wait $pids || true
	run grep -cvE "^(fish: no session 'typo[0-9]+' \(fish sessions lists them\)|fish spawn: .*|usage: fish spawn .*)\$" \
	    "$BATS_TEST_TMPDIR/err"
	assert_output 0
	run grep -c "^fish: no session" "$BATS_TEST_TMPDIR/err"
	assert_output 30
}

@test "a listener started with --idle-exit stops by itself once idle, and the next command restarts it losing nothing" {
	local hook pid
	fish start --idle-exit 1s >/dev/null
	hook=$(fish spawn --name h)
	[ "$(http_post "$hook" '{"kept":1}')" = 200 ]
	fish close h
	pid=$(listener_pid)
	# Polled by pid: a status would be a client, and keep it busy.
	wait_until 15 all_dead "$pid"
	log_has 'idle for 1s (--idle-exit): stopping'
	run fish sessions
	assert_line --regexp '^default +stopped '

	run fish wait h --timeout 5
	assert_success
	assert_output '{"kept":1}'
}

@test "an open hook keeps a listener with --idle-exit running until it expires" {
	local pid t0
	fish start --idle-exit 1s >/dev/null
	t0=$(now_ms)
	fish spawn --ttl 3s >/dev/null
	pid=$(listener_pid)
	wait_until 20 all_dead "$pid"
	# Open for 3s, then idle for 1s.
	since "$t0" 3000
}

@test "a connected command keeps a listener with --idle-exit running" {
	local pid
	fish start --idle-exit 1s >/dev/null
	pid=$(listener_pid)
	fish tail >/dev/null 2>&1 3>&- &
	tail_pid=$!
	run wait_until 3 all_dead "$pid"
	assert_failure
	stop_tail
	wait_until 15 all_dead "$pid"
}

@test "--idle-exit is saved and shown by status, and 0 turns it off" {
	fish start --idle-exit 5m >/dev/null
	run fish status
	assert_line --regexp '^idle exit: +5m$'
	run fish start --idle-exit 0
	assert_failure 1
	assert_output --partial "already running with other settings"
	fish stop
	grep -q '"idle_exit": *"5m"' "$FISH_HOME/sessions/default/config.json"
	fish start >/dev/null
	run status_field /idle_exit
	assert_output 5m
	fish stop
	fish start --idle-exit 0 >/dev/null
	run status_field /idle_exit
	assert_output 0ms

	run fish start --idle-exit soon
	assert_failure 2
	run fish start --idle-exit 31d
	assert_failure 2
	assert_output --partial "0 (never) to 30d"
}
