#!/usr/bin/env bats
# The listener's life: auto-start, start/stop/status, restarts after a
# crash, sessions side by side, and what it leaves (or keeps) open.

bats_require_minimum_version 1.5.0

load helpers/common

setup() {
	common_setup
}

teardown() {
	local status=0

	common_teardown || status=$?
	# What a test started besides fish, in case it failed half-way.
	kill_and_wait "${holder_pid-}" || status=$?
	return "$status"
}

# listeners_of_this_test: print the pids of fish-listener processes started
# with this test's FISH_HOME.
listeners_of_this_test() {
	local pid pids

	# Under valgrind the listener's process is valgrind's tool, whose
	# command line names the listener.
	if [ "$TEST_VALGRIND" = 1 ]; then
		pids=$(pgrep -f /fish-listener)
	else
		pids=$(pgrep -x fish-listener)
	fi
	for pid in $pids; do
		if { tr '\0' '\n' <"/proc/$pid/environ"; } 2>/dev/null |
		    grep -qxF "FISH_HOME=$FISH_HOME"; then
			echo "$pid"
		fi
	done
	return 0
}

@test "any command starts the listener when it is not running" {
	run fish status
	assert_failure 3

	run fish spawn
	assert_success
	assert_output --regexp '^http://127\.0\.0\.1:[0-9]+/[a-z0-9]+$'
	local port
	port=$(port_of "$output")

	run fish status
	assert_success
	assert_line --regexp '^session: +default$'
	assert_line --regexp "^url: +http://127\.0\.0\.1:$port\$"
	assert_line --regexp "^pid: +$(listener_pid)\$"
	[ -f "$FISH_HOME/sessions/default/listener.pid" ]
}

@test "the state directory is private and the control socket is ours only" {
	fish spawn >/dev/null

	run stat -c %a "$FISH_HOME/sessions/default"
	assert_output 700
	[ -S "$FISH_HOME/sessions/default/control.sock" ]
	run stat -c %a "$FISH_HOME/sessions/default/control.sock"
	assert_output 600
}

@test "fish start prints the base URL and can be run again" {
	run fish start
	assert_success
	assert_output --regexp '^http://127\.0\.0\.1:[0-9]+$'
	local url=$output pid
	pid=$(listener_pid)

	run fish start
	assert_success
	assert_output "$url"
	assert_equal "$(listener_pid)" "$pid"
}

@test "a port chosen with --listen 127.0.0.1:0 is kept across a stop and start" {
	run fish start --listen 127.0.0.1:0
	assert_success
	local base=$output hook
	hook=$(fish spawn)
	fish stop

	# The next command starts it again with the saved port.
	run fish start
	assert_success
	assert_output "$base"

	run http_post "$hook" '{"after":"restart"}'
	assert_output 200
	run fish wait "$hook" --timeout 5
	assert_success
	assert_output '{"after":"restart"}'

	# Asking for "any port" again keeps the one already chosen.
	fish stop
	run fish start --listen 127.0.0.1:0
	assert_success
	assert_output "$base"
}

@test "fish start on a port another program holds fails saying the port is in use" {
	hold_port

	run fish start --listen "127.0.0.1:$held_port"
	assert_failure 3
	assert_line --partial "$held_port"
	assert_line --partial "in use"
	kill_and_wait "$holder_pid"
	holder_pid=
}

@test "fish start with another listen address while running fails clearly" {
	fish start >/dev/null

	run fish start --listen 127.0.0.2:0
	assert_failure 1
	assert_output --partial "already running with other settings"
	assert_output --partial "fish stop"
}

@test "fish start with another setting while running names the setting that differs" {
	fish start --idle-exit 10m >/dev/null

	run fish start --idle-exit 5m
	assert_failure 1
	assert_output "fish: session 'default' is already running with other settings (it runs with --idle-exit 10m); run 'fish stop' first to change them"
	run fish start --public-url https://hooks.example.net
	assert_failure 1
	assert_output --partial "(it runs without --public-url)"
	run fish start --idle-exit 10m
	assert_success
}

@test "fish start rejects a malformed listen address, public URL or duration, naming it" {
	local bad
	for bad in nonsense 127.0.0.1 :8080 127.0.0.1:99999 127.0.0.1:http \
	    '[::1]8080'; do
		run fish start --listen "$bad"
		assert_failure 2
		assert_output --partial "invalid listen address"
	done
	for bad in example.test ftp://example.test/x http:// ''; do
		run fish start --public-url "$bad"
		assert_failure 2
		assert_output --partial "invalid public URL"
	done
	# fish start takes four durations: the line names the one at fault.
	run fish start --retain 2x
	assert_failure 2
	assert_line --index 0 "fish start: --retain: invalid duration '2x' (use e.g. 250ms, 5, 5s, 2m, 1h)"
	run fish start --idle-exit 31d
	assert_failure 2
	assert_line --index 0 "fish start: --idle-exit: '31d' is out of range (0 (never) to 30d)"
	# Nothing was started by the attempts.
	run fish status
	assert_failure 3
}

@test "spawn prints hook URLs under the --public-url given to start" {
	run fish start --public-url https://example.test/x
	assert_success
	assert_output https://example.test/x

	run fish spawn
	assert_success
	assert_output --regexp '^https://example\.test/x/[a-z0-9]+$'
}

@test "FISH_PUBLIC_URL sets the public URL of a listener it starts" {
	FISH_PUBLIC_URL=https://tunnel.example.test run fish spawn
	assert_success
	assert_output --regexp '^https://tunnel\.example\.test/[a-z0-9]+$'

	# The setting belongs to the running listener, not to each command.
	run fish spawn
	assert_output --regexp '^https://tunnel\.example\.test/[a-z0-9]+$'
}

@test "a FISH_PUBLIC_URL that is no URL stops the listener starting, naming it" {
	FISH_PUBLIC_URL=tunnel.example.test run --separate-stderr fish spawn
	assert_failure 3
	assert_equal "$output" ""
	[[ $stderr == *"FISH_PUBLIC_URL: invalid public URL 'tunnel.example.test'"* ]] ||
	    fail "$stderr"
	# Set right, it is used.
	FISH_PUBLIC_URL=https://tunnel.example.test run fish spawn
	assert_success
	assert_output --regexp '^https://tunnel\.example\.test/[a-z0-9]+$'
}

@test "fish start --foreground serves in the foreground until fish stop" {
	fish start --foreground 2>"$BATS_TEST_TMPDIR/fg.log" 3>&- &
	local pid=$!

	wait_until 10 listener_up
	assert_equal "$(status_field /pid)" "$pid"
	run fish spawn
	assert_success

	run fish stop
	assert_success
	reap "$pid"
	assert_equal "$status" 0
}

@test "fish stop on a session that never started succeeds quietly" {
	run fish stop
	assert_success
	assert_output ""
}

@test "fish stop stops the listener and status then says not running" {
	fish spawn >/dev/null
	local pid
	pid=$(listener_pid)

	run fish stop
	assert_success
	assert all_dead "$pid"

	run fish status
	assert_failure 3
	assert_output --partial "not running"
}

@test "fish stop gives up on a listener that does not answer after --timeout" {
	local pid
	fish spawn >/dev/null
	pid=$(listener_pid)
	kill -STOP "$pid"
	run --separate-stderr fish stop --timeout 300ms
	kill -CONT "$pid"
	assert_failure 1
	assert_equal "$stderr" "fish: the listener of session 'default' did not stop within 300ms: it is stopped by a signal; resume it with: kill -CONT $pid (see $FISH_HOME/sessions/default/listener.log)"
	# It was asked, and stops once it runs again.
	wait_until 10 all_dead "$pid"
}

@test "a listener whose queue of connections is full is given up on after 3 s, and fish stop signals it" {
	local pid filler out=$BATS_TEST_TMPDIR/filled
	local dir=$FISH_HOME/sessions/default
	fish spawn >/dev/null
	pid=$(listener_pid)
	kill -STOP "$pid"
	# Connect until the stopped listener's queue takes no more.
	python3 "$FISH_SRC_DIR/test/helpers/fill-queue.py" "$dir/control.sock" \
	    >"$out" 3>&- &
	filler=$!
	wait_until 10 grep -q '^full' "$out"
	run --separate-stderr fish status
	assert_failure 3
	assert_output "session default: pid $pid is not answering (stopped by a signal; resume it with: kill -CONT $pid)"
	assert_equal "$stderr" ""
	run --separate-stderr fish spawn
	assert_failure 3
	assert_equal "$stderr" "fish: the listener of session 'default' (pid $pid) takes no connections: its queue is full, and it is stopped by a signal; resume it with: kill -CONT $pid"
	run --separate-stderr fish stop --timeout 300ms
	assert_failure 1
	assert_equal "${stderr_lines[1]}" "fish: the listener of session 'default' did not stop within 300ms: it is stopped by a signal; resume it with: kill -CONT $pid (see $dir/listener.log)"
	kill "$filler"
	kill -CONT "$pid"
	# It was asked by signal, and stops once it runs again.
	wait_until 10 all_dead "$pid"
}

@test "fish stop --timeout refuses a duration it cannot read" {
	run --separate-stderr fish stop --timeout soon
	assert_failure 2
	assert_equal "${stderr_lines[0]}" "fish stop: invalid duration 'soon' (use e.g. 250ms, 5, 5s, 2m, 1h)"
	run --separate-stderr fish stop --timeout 0
	assert_failure 2
	assert_equal "${stderr_lines[0]}" "fish stop: --timeout must be more than 0"
}

@test "fish stop --purge deletes the session's state" {
	fish spawn >/dev/null
	[ -d "$FISH_HOME/sessions/default" ]

	run fish stop --purge
	assert_success
	[ ! -e "$FISH_HOME/sessions/default" ]
	[ ! -e "$FISH_HOME/sessions/default/control.sock" ]
}

@test "fish status --json shows the pid, URL, hooks and counts" {
	local base hook
	base=$(fish start)
	hook=$(fish spawn)
	run http_post "$hook" '{"n":1}'
	assert_output 200

	run status_field /running
	assert_output true
	run status_field /pid
	assert_output "$(listener_pid)"
	run status_field /url
	assert_output "$base"
	run status_field /hooks
	assert_output 1
	run status_field /messages
	assert_output 1
	run status_field /queued
	assert_output 1
	run status_field /journal_records
	assert_output --regexp '^[1-9][0-9]*$'
	run status_field /journal_bytes
	assert_output --regexp '^[1-9][0-9]*$'

	fish wait "$hook" --timeout 5 >/dev/null
	run status_field /queued
	assert_output 0
}

@test "fish status shows the open files and the budget's shares of them" {
	# valgrind keeps files of its own, and lowers the limit it shows.
	[ "$TEST_VALGRIND" != 1 ] ||
	    skip "valgrind keeps open files of its own in the listener's process"
	# 256 (soft and hard): 64 kept back from hooks' connections, of them
	# 24 the listener's own and the rest halved (lib/files.c).
	run bash -c 'ulimit -n 256 && fish start'
	assert_success

	run fish status
	assert_success
	assert_line --regexp '^files: +[1-9][0-9]* of 256 \(hooks'"'"' connections 192, control 20, outbound 20\)$'
	run status_field /files_limit
	assert_output 256
	run status_field /files_open
	assert_output --regexp '^[1-9][0-9]*$'
	(( output < 256 ))
	run status_field /files_connections
	assert_output 192
	run status_field /files_control
	assert_output 20
	run status_field /files_outbound
	assert_output 20
}

@test "fish status --json on a stopped session says running false and exits 3" {
	run fish status --json
	assert_failure 3
	run fish field /running <<<"$output"
	assert_output false
}

@test "ten commands starting the listener at once make one listener" {
	local i pids=() failed=0
	for i in 1 2 3 4 5 6 7 8 9 10; do
		fish spawn >"$BATS_TEST_TMPDIR/url.$i" 2>&1 3>&- &
		pids+=($!)
	done
	for i in "${pids[@]}"; do
		wait "$i" || failed=$((failed + 1))
	done
	assert_equal "$failed" 0

	run bash -c 'for f in "$1"/url.*; do
		u=$(cat "$f"); u=${u#http://*:}; echo "${u%%/*}"
	done | sort -u' _ "$BATS_TEST_TMPDIR"
	assert_equal "${#lines[@]}" 1

	assert_equal "$(status_field /pid)" "$(listener_pid)"
	assert_equal "$(status_field /hooks)" 10
	run listeners_of_this_test
	assert_output "$(listener_pid)"
}

@test "a listener killed with SIGKILL comes back on the same port with its hooks" {
	local hook pid
	hook=$(fish spawn)
	pid=$(listener_pid)

	kill_listener
	# Down: the port refuses until a command notices the crash.
	run curl -sS -o /dev/null --max-time 5 -d x "$hook"
	assert_failure 7

	# Any command that needs the listener starts it again.
	run fish spawn
	assert_success
	assert_equal "$(port_of "$output")" "$(port_of "$hook")"
	[ "$(listener_pid)" != "$pid" ]

	run http_post "$hook" '{"after":"crash"}'
	assert_output 200
	run fish wait "$hook" --timeout 5
	assert_success
	assert_output '{"after":"crash"}'
}

@test "status restarts a listener that crashed, but not one that was stopped" {
	local pid
	fish spawn >/dev/null
	pid=$(listener_pid)
	kill_listener
	run fish status
	assert_success
	[ "$(listener_pid)" != "$pid" ]

	fish stop
	run fish status
	assert_failure 3
	assert_output --partial "not running"
}

@test "a message queued before a SIGKILL can still be waited for" {
	local hook
	hook=$(fish spawn)
	run http_post "$hook" '{"before":"crash"}'
	assert_output 200

	kill_listener

	run fish wait "$hook" --timeout 5
	assert_success
	assert_output '{"before":"crash"}'
	run fish wait "$hook" --timeout 100ms
	assert_failure 124
}

@test "stale socket and pid files left by a killed listener do not stop a restart" {
	local dir=$FISH_HOME/sessions/default pid
	fish spawn >/dev/null
	pid=$(listener_pid)
	kill_listener
	[ -S "$dir/control.sock" ]
	assert_equal "$(cat "$dir/listener.pid")" "$pid"

	run fish spawn
	assert_success
	[ "$(listener_pid)" != "$pid" ]
}

@test "a pid file naming some other live process does not stop a start" {
	local dir=$FISH_HOME/sessions/default
	mkdir -p "$dir"
	chmod 700 "$FISH_HOME" "$FISH_HOME/sessions" "$dir"
	echo "$$" >"$dir/listener.pid"

	run fish spawn
	assert_success
	[ "$(listener_pid)" != "$$" ]
}

@test "two sessions side by side get their own ports and hooks" {
	local a b
	a=$(fish -S a spawn)
	b=$(FISH_SESSION=b fish spawn)
	[ "$(port_of "$a")" != "$(port_of "$b")" ]

	run fish -S b wait "$a" --timeout 1
	assert_failure 4
	assert_output --partial "no such hook"
	run env FISH_SESSION=a fish wait "$b" --timeout 1
	assert_failure 4

	run http_post "$a" '{"for":"a"}'
	assert_output 200
	run fish --session a wait "$a" --timeout 5
	assert_output '{"for":"a"}'
	run fish -S a status
	assert_line --regexp '^session: +a$'
}

@test "a FISH_HOME too long for a socket path still works" {
	local long=$BATS_TEST_TMPDIR i hook
	for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15; do
		long=$long/dddddddddddddd
	done
	export FISH_HOME=$long
	[ "${#FISH_HOME}" -gt 150 ]

	run fish spawn
	assert_success
	hook=$output
	# The socket stays in the session directory, reached through it.
	[ -S "$FISH_HOME/sessions/default/control.sock" ]
	run http_post "$hook" '{"long":"home"}'
	assert_output 200
	run fish wait "$hook" --timeout 5
	assert_output '{"long":"home"}'

	run fish stop
	assert_success
	[ ! -e "$FISH_HOME/sessions/default/control.sock" ]
}

@test "the listener leaves the starting command's directory for its session's" {
	local dir=$BATS_TEST_TMPDIR/cwd hook
	mkdir "$dir"
	hook=$(cd "$dir" && fish spawn)
	assert_equal "$(readlink "/proc/$(listener_pid)/cwd")" \
	    "$FISH_HOME/sessions/default"
	# That directory can go: the listener holds nothing in it.
	rmdir "$dir"
	[ "$(http_post "$hook" '"still here"')" = 200 ]
	run fish wait "$hook" --timeout 5
	assert_output '"still here"'
	run fish status
	assert_success
}

@test "a relative FISH_HOME is found from where the listener was started" {
	local hook
	cd "$BATS_TEST_TMPDIR"
	export FISH_HOME=relative/home
	hook=$(fish spawn --name rel)
	[ -d "$BATS_TEST_TMPDIR/$(journal_dir)" ]
	[ "$(http_post "$hook" '"rel"')" = 200 ]
	# A listener started again from there finds the same state.
	kill_listener
	run fish wait rel --timeout 5
	assert_output '"rel"'
	export FISH_HOME=$BATS_TEST_TMPDIR/relative/home
}

@test "the listener writes a log with a listening line" {
	run fish start
	local port
	port=$(port_of "$output/")

	run cat "$FISH_HOME/sessions/default/listener.log"
	assert_line --partial "listening on 127.0.0.1:$port"
}

@test "the listener keeps none of the starting command's descriptors" {
	local pid fd target
	[ "$TEST_VALGRIND" != 1 ] ||
	    skip "valgrind keeps pipes of its own in the listener's process"
	fish spawn >/dev/null
	pid=$(listener_pid)

	assert_equal "$(readlink "/proc/$pid/fd/0")" /dev/null
	assert_equal "$(readlink "/proc/$pid/fd/1")" /dev/null
	assert_equal "$(readlink "/proc/$pid/fd/2")" \
	    "$FISH_HOME/sessions/default/listener.log"
	for fd in /proc/"$pid"/fd/*; do
		target=$(readlink "$fd") || continue
		case $target in
		pipe:*) fail "listener holds a pipe as ${fd##*/}: $target" ;;
		/dev/pts/* | /dev/tty*) fail "listener holds a terminal as ${fd##*/}" ;;
		esac
	done
}
