#!/usr/bin/env bats
# Trust between the client and its listener: fish talks only to a listener
# of its own user, in a session directory of its own, whatever another
# local user puts in its way (a directory, a link, a socket, a listener),
# and whatever happens to the paths after they were checked.  And while a
# listener takes its time to start, commands keep their own deadlines.
#
# The tests with another user create one (useradd) and run its impostor
# listener (helpers/impostor.py) with setpriv; they need root.

load helpers/common

bats_require_minimum_version 1.5.0

setup() {
	common_setup
	victim_home=$FISH_HOME
}

teardown() {
	local status=0

	# A gated listener start (see gate_listener) is let through, and
	# waited for, so that common_teardown finds it and stops it.
	if [ -n "${gate-}" ] && [ -p "$gate" ]; then
		timeout 5 sh -c 'echo go >"$1"' _ "$gate" || true
		FISH_LISTENER=$real_listener timeout 10 fish ls >/dev/null 2>&1 || true
	fi
	export FISH_HOME=$victim_home
	common_teardown || status=$?
	kill_and_wait "${impostor_pid-}" || status=$?
	[ -z "${old_runtime-}" ] || rm -rf "$old_runtime"
	[ -z "${other_dir-}" ] || rm -rf "$other_dir"
	if [ -n "${other-}" ] && ! userdel "$other"; then
		echo "# cannot delete the test's user $other" >&3
		status=1
	fi
	return "$status"
}

# Create a second local user for this test ($other, $other_uid), a
# directory of its own in /tmp ($other_dir), and find a python3 it can
# run ($other_python); skip the test, saying why, when that cannot be.
other_user_setup() {
	local p name=fisht$$n$BATS_TEST_NUMBER

	[ "$(id -u)" = 0 ] || skip "needs root to create a second local user"
	command -v useradd >/dev/null && command -v userdel >/dev/null ||
		skip "needs useradd and userdel to create a second local user"
	command -v setpriv >/dev/null || skip "needs setpriv to run as another user"
	# Tests in other files may hold the passwd lock for a moment.
	wait_until 10 useradd -M -N -s /bin/false "$name" 2>/dev/null ||
		fail "useradd $name failed"
	other=$name
	other_uid=$(id -u "$other")
	other_gid=$(id -g "$other")
	other_dir=$(mktemp -d /tmp/fish-other.XXXXXX)
	chown "$other_uid:$other_gid" "$other_dir"
	chmod 755 "$other_dir"
	for p in /usr/bin/python3 /usr/local/bin/python3 "$(command -v python3)"; do
		if [ -x "$p" ] && as_other "$p" -c pass 2>/dev/null; then
			other_python=$p
			return 0
		fi
	done
	skip "needs a python3 that another user can run"
}

# as_other CMD...: run CMD as the other user.
as_other() {
	setpriv --reuid="$other_uid" --regid="$other_gid" --clear-groups -- "$@"
}

# start_impostor SOCKET: run the other user's impostor listener at SOCKET
# (in a directory that user can write), logging to $other_dir/log.
start_impostor() {
	cp "$FISH_SRC_DIR/test/helpers/impostor.py" "$other_dir/impostor.py"
	chmod 644 "$other_dir/impostor.py"
	# Not through as_other: $! must be the impostor itself.
	setpriv --reuid="$other_uid" --regid="$other_gid" --clear-groups -- \
	    "$other_python" "$other_dir/impostor.py" "$1" "$other_dir/log" \
	    3>&- &
	impostor_pid=$!
	wait_until 10 test -S "$1"
}

# plant_impostor SOCKET: put the other user's impostor listener at SOCKET,
# in a directory that user cannot reach (the test's own): it listens in
# its own directory, and root moves the socket file.
plant_impostor() {
	start_impostor "$other_dir/control.sock"
	mv "$other_dir/control.sock" "$1"
}

# assert_impostor_got_nothing SOCKET: every connection the impostor at
# SOCKET (wherever it was moved) has seen so far sent zero bytes.
assert_impostor_got_nothing() {
	python3 -c 'import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(b"probe")' "$1"
	# Connections are served in turn: once the probe is logged, all are.
	wait_until 10 grep -qx probe "$other_dir/log"
	run grep -cvx -e probe -e 0 "$other_dir/log"
	assert_output 0
}

# old_runtime_socket BASE: print where fish used to put the control socket
# of a session whose path was too long: BASE/fish-UID/HASH.sock.
old_runtime_socket() {
	python3 -c 'import sys
h = 0xcbf29ce484222325
for b in sys.argv[2].encode():
    h = ((h ^ b) * 0x100000001b3) % (1 << 64)
print("%s/fish-%s/%016x.sock" % (sys.argv[1], sys.argv[3], h))' \
	    "$1" "$FISH_HOME/sessions/default" "$(id -u)"
}

# long_home: point FISH_HOME at a path far past a socket address's 107
# bytes.
long_home() {
	local long=$BATS_TEST_TMPDIR/h i
	for i in 1 2 3 4 5 6 7 8 9 10; do
		long=$long/dddddddddddddddd
	done
	export FISH_HOME=$long
	victim_home=$long
	[ "${#FISH_HOME}" -gt 150 ]
}

# use_spawn_wait: spawn a hook with a secret, post to it, and take the
# message: the whole round trip, through our own listener.
use_spawn_wait() {
	local hook
	run fish spawn --verify github:s3cret
	assert_success
	hook=$output
	run fish send POST "$hook" --sign github:s3cret --data '{"n":1}'
	assert_success
	run fish wait "$hook" --timeout 5
	assert_success
	assert_output '{"n":1}'
}

@test "a long FISH_HOME works with XDG_RUNTIME_DIR set or unset, its socket in the session directory" {
	long_home
	export XDG_RUNTIME_DIR=$BATS_TEST_TMPDIR/run
	mkdir -m 700 "$XDG_RUNTIME_DIR"
	use_spawn_wait
	[ -S "$FISH_HOME/sessions/default/control.sock" ]
	[ -z "$(ls -A "$XDG_RUNTIME_DIR")" ]
	run fish stop
	assert_success

	unset XDG_RUNTIME_DIR
	use_spawn_wait
	[ -S "$FISH_HOME/sessions/default/control.sock" ]
}

@test "another user's directory at the old runtime path of a long session gets nothing" {
	other_user_setup
	long_home
	# The other user takes the runtime directory fish used to use, and
	# listens where the socket of this session used to be.
	export XDG_RUNTIME_DIR=$other_dir/run
	as_other mkdir -p "$(dirname "$(old_runtime_socket "$XDG_RUNTIME_DIR")")"
	start_impostor "$(old_runtime_socket "$XDG_RUNTIME_DIR")"

	use_spawn_wait
	run fish stop
	assert_success
	assert_impostor_got_nothing "$(old_runtime_socket "$XDG_RUNTIME_DIR")"
}

@test "another user's /tmp runtime directory gets nothing from a long session" {
	local sock
	other_user_setup
	long_home
	sock=$(old_runtime_socket /tmp)
	if [ -e "$(dirname "$sock")" ]; then
		skip "$(dirname "$sock") already exists; the other user cannot take it"
	fi
	old_runtime=$(dirname "$sock")
	as_other mkdir -m 777 "$old_runtime"
	start_impostor "$sock"

	use_spawn_wait
	assert_impostor_got_nothing "$sock"
}

@test "a FISH_HOME another user made first is refused, and its listener gets nothing" {
	local home
	other_user_setup
	home=$other_dir/home
	as_other mkdir -p "$home/sessions/default"
	start_impostor "$home/sessions/default/control.sock"

	export FISH_HOME=$home
	run --separate-stderr fish spawn --verify github:s3cret
	assert_failure 3
	assert_equal "$stderr" "fish: '$home' belongs to another user (uid $other_uid), not to you; $FISH_INSTALLED_NAME will not use it: set FISH_HOME elsewhere"
	run fish wait x --timeout 1
	assert_failure 3
	run fish status
	assert_failure 3
	# A start refuses it the same way, and so does the listener itself.
	run fish start --foreground
	assert_failure 3
	run --separate-stderr "$FISH_LISTENER" --foreground
	assert_failure 3
	[[ $stderr == *"cannot start: '$home' belongs to another user (uid $other_uid)"* ]]
	assert_impostor_got_nothing "$home/sessions/default/control.sock"
}

@test "a FISH_HOME that is another user's link to its directory is refused" {
	local link
	other_user_setup
	link=$other_dir/link
	as_other mkdir -p "$other_dir/home/sessions/default"
	as_other ln -s "$other_dir/home" "$link"
	start_impostor "$other_dir/home/sessions/default/control.sock"

	export FISH_HOME=$link
	run --separate-stderr fish spawn
	assert_failure 3
	assert_equal "$stderr" "fish: '$link' belongs to another user (uid $other_uid), not to you; $FISH_INSTALLED_NAME will not use it: set FISH_HOME elsewhere"
	assert_impostor_got_nothing "$other_dir/home/sessions/default/control.sock"
}

@test "a session directory that belongs to another user is refused" {
	local dir=$FISH_HOME/sessions/default
	other_user_setup
	fish start >/dev/null
	fish stop
	chown "$other_uid" "$dir"

	run --separate-stderr fish spawn
	assert_failure 3
	assert_equal "$stderr" "fish: '$dir' belongs to another user (uid $other_uid), not to you; $FISH_INSTALLED_NAME will not use it: set FISH_HOME elsewhere"
	# Left alone: fish never changes what is not its user's.
	[ "$(stat -c %u "$dir")" = "$other_uid" ]
	chown 0 "$dir"
}

@test "a session directory others can write is refused, and a listener planted there gets nothing" {
	local dir=$FISH_HOME/sessions/default
	other_user_setup
	fish start >/dev/null
	fish stop
	chmod 777 "$dir"
	# With the directory open to all, the other user plants a listener.
	plant_impostor "$dir/control.sock"

	run --separate-stderr fish spawn --verify github:s3cret
	assert_failure 3
	assert_equal "$stderr" "fish: '$dir' is writable by other users; make it private with 'chmod 700 $dir'"
	run fish stop
	assert_failure 3
	[ "$(stat -c %a "$dir")" = 777 ]
	assert_impostor_got_nothing "$dir/control.sock"
	chmod 700 "$dir"
}

@test "a socket file of another user in the session directory gets nothing" {
	local dir=$FISH_HOME/sessions/default
	other_user_setup
	fish start >/dev/null
	fish stop
	plant_impostor "$dir/control.sock"

	run --separate-stderr fish spawn --verify github:s3cret
	assert_failure 3
	assert_equal "$stderr" "fish: '$dir/control.sock' belongs to another user (uid $other_uid), not to you; $FISH_INSTALLED_NAME sent it nothing: remove it and run the command again"
	run fish status
	assert_failure 3
	assert_impostor_got_nothing "$dir/control.sock"

	rm "$dir/control.sock"
	use_spawn_wait
}

@test "a socket of ours on which another user listens gets nothing (peer credentials)" {
	local dir=$FISH_HOME/sessions/default
	other_user_setup
	fish start >/dev/null
	fish stop
	plant_impostor "$dir/control.sock"
	chown 0:0 "$dir/control.sock"
	chmod 600 "$dir/control.sock"

	run --separate-stderr fish spawn --verify github:s3cret
	assert_failure 3
	assert_equal "$stderr" "fish: the listener on '$dir/control.sock' runs as another user (uid $other_uid, pid $impostor_pid), not as you; $FISH_INSTALLED_NAME sent it nothing: remove that socket and run the command again"
	run fish wait x --timeout 1
	assert_failure 3
	# The client connected, checked, and hung up without a byte.
	run grep -cx 0 "$other_dir/log"
	refute_output 0
	assert_impostor_got_nothing "$dir/control.sock"
}

@test "a FISH_HOME link swapped for another user's directory after start is refused" {
	local real=$BATS_TEST_TMPDIR/real link=$BATS_TEST_TMPDIR/link hook
	other_user_setup
	mkdir -m 700 "$real"
	ln -s "$real" "$link"
	export FISH_HOME=$link
	hook=$(fish spawn)
	[ "$(http_post "$hook" '"kept"')" = 200 ]

	as_other mkdir -p "$other_dir/home/sessions/default"
	start_impostor "$other_dir/home/sessions/default/control.sock"
	ln -sfn "$other_dir/home" "$link"
	run --separate-stderr fish wait "$hook" --timeout 2
	assert_failure 3
	assert_equal "$stderr" "fish: '$link' belongs to another user (uid $other_uid), not to you; $FISH_INSTALLED_NAME will not use it: set FISH_HOME elsewhere"
	assert_impostor_got_nothing "$other_dir/home/sessions/default/control.sock"

	# Swapped back, the message is still there.
	ln -sfn "$real" "$link"
	run fish wait "$hook" --timeout 5
	assert_output '"kept"'
	export FISH_HOME=$real victim_home=$real
}

@test "a sessions directory link swapped for another user's after start is refused" {
	local hook
	other_user_setup
	mkdir -p "$FISH_HOME" "$BATS_TEST_TMPDIR/sessions"
	chmod 700 "$FISH_HOME" "$BATS_TEST_TMPDIR/sessions"
	ln -s "$BATS_TEST_TMPDIR/sessions" "$FISH_HOME/sessions"
	hook=$(fish spawn)

	as_other mkdir -p "$other_dir/sessions/default"
	start_impostor "$other_dir/sessions/default/control.sock"
	ln -sfn "$other_dir/sessions" "$FISH_HOME/sessions"
	run --separate-stderr fish wait "$hook" --timeout 2
	assert_failure 3
	assert_equal "$stderr" "fish: '$FISH_HOME/sessions' belongs to another user (uid $other_uid), not to you; $FISH_INSTALLED_NAME will not use it: set FISH_HOME elsewhere"
	assert_impostor_got_nothing "$other_dir/sessions/default/control.sock"
	ln -sfn "$BATS_TEST_TMPDIR/sessions" "$FISH_HOME/sessions"
}

@test "a wait under way when FISH_HOME is swapped never talks to the other user's listener" {
	local real=$BATS_TEST_TMPDIR/real link=$BATS_TEST_TMPDIR/link hook waiter
	other_user_setup
	mkdir -m 700 "$real"
	ln -s "$real" "$link"
	export FISH_HOME=$link
	hook=$(fish spawn)
	fish wait "$hook" --timeout 20 >"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" &
	waiter=$!

	as_other mkdir -p "$other_dir/home/sessions/default"
	start_impostor "$other_dir/home/sessions/default/control.sock"
	ln -sfn "$other_dir/home" "$link"
	# The wait reconnects through the directory it checked; the listener
	# it restarts looks at FISH_HOME afresh and refuses it.
	kill_and_wait -KILL "$(cat "$real/sessions/default/listener.pid")"
	reap "$waiter"
	assert_equal "$status" 3
	run cat "$BATS_TEST_TMPDIR/err"
	assert_output --partial "belongs to another user (uid $other_uid)"
	assert_impostor_got_nothing "$other_dir/home/sessions/default/control.sock"
	ln -sfn "$real" "$link"
	export FISH_HOME=$real victim_home=$real
}

# gate_listener: make the listener's start hang until the test (or
# teardown) writes to the FIFO $gate, as a long journal recovery would.
gate_listener() {
	gate=$BATS_TEST_TMPDIR/gate
	real_listener=$FISH_LISTENER
	mkfifo "$gate"
	# Off the command's output first, as the listener itself gets: a
	# command substitution waits for everyone holding its pipe.
	cat >"$BATS_TEST_TMPDIR/gated-listener" <<-EOF
	#!/bin/sh
	exec </dev/null >/dev/null 2>&1
	read -r _ <"$gate"
	exec "$real_listener" "\$@"
	EOF
	chmod +x "$BATS_TEST_TMPDIR/gated-listener"
	export FISH_LISTENER=$BATS_TEST_TMPDIR/gated-listener
}

# open_gate: let the gated listener start, and wait until it serves.
open_gate() {
	timeout 5 sh -c 'echo go >"$1"' _ "$gate"
	gate=
	run fish ls
	assert_success
}

@test "wait --timeout gives up in time while the listener it started is still starting" {
	local hook t0
	hook=$(fish spawn --name h)
	[ "$(http_post "$hook" '"queued"')" = 200 ]
	fish stop
	gate_listener

	t0=$SECONDS
	run --separate-stderr fish wait h --timeout 1
	assert_failure 124
	assert_equal "$stderr" "fish: timed out after 1s waiting on h: the listener of session 'default' is still starting"
	# Its starter gone, the listener still holds the start: another wait
	# waits for it, and gives up in time too.
	run --separate-stderr fish wait h --timeout 1
	assert_failure 124
	[ $((SECONDS - t0)) -lt 30 ]

	open_gate
	run fish wait h --timeout 5
	assert_success
	assert_output '"queued"'
}

@test "commands without a deadline wait for a starting listener, and Ctrl-C ends them with 130" {
	local starter follower tail
	# ls and tail start the listener of a session that exists.
	fish start >/dev/null
	fish stop
	gate_listener
	# A background job may inherit SIGINT ignored (no job control, or a
	# suite itself started in the background): give it the default.
	env --default-signal=INT fish ls >/dev/null 2>&1 &
	starter=$!
	wait_until 10 test -e "$FISH_HOME/sessions/default/start.lock"
	fish ls >"$BATS_TEST_TMPDIR/ls" 2>&1 &
	follower=$!
	env --default-signal=INT fish tail >/dev/null 2>&1 &
	tail=$!
	# Still waiting, all three, once a deadline-bound command has come
	# and gone.
	run fish wait x --timeout 1
	assert_failure 124
	alive "$starter" "$follower" "$tail"

	kill -INT "$starter" "$tail"
	reap "$starter"
	assert_equal "$status" 130
	reap "$tail"
	assert_equal "$status" 130

	# The one left gets its answer once the listener is up.
	open_gate
	wait "$follower"
}
