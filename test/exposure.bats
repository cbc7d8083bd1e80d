#!/usr/bin/env bats
# Exposure: who can reach the hooks and the session's state.  Loopback by
# default, a warning when listening elsewhere, and no start on a state
# directory other users can write to.

load helpers/common

bats_require_minimum_version 1.5.0

setup() {
	common_setup
}

teardown() {
	common_teardown
}

@test "a group-writable state directory is refused, saying how to fix it" {
	local dir=$FISH_HOME/sessions/default
	fish start >/dev/null
	fish stop
	chmod 770 "$dir"

	run fish spawn
	assert_failure 3
	assert_output "fish: '$dir' is writable by other users; make it private with 'chmod 700 $dir'"
	run fish start
	assert_failure 3
	[ "$(stat -c %a "$dir")" = 770 ]

	chmod 700 "$dir"
	run fish spawn
	assert_success
}

@test "a refused session gets that one line from every command, status too" {
	local dir=$FISH_HOME/sessions/other how
	mkdir -p "$dir"
	chmod 777 "$dir"
	# status said "not running" beside it, as if the session were fine.
	for how in status 'status --json' ls 'ls --no-start' log spawn start \
	    stop 'close x' 'wait x --timeout 1'; do
		# shellcheck disable=SC2086
		run --separate-stderr fish -S other $how
		assert_failure 3
		assert_output ""
		assert_equal "$stderr" "fish: '$dir' is writable by other users; make it private with 'chmod 700 $dir'"
	done
	[ "$(stat -c %a "$dir")" = 777 ]
	# An invalid name is a usage error, one line too, for every command.
	for how in status 'status --json' ls spawn sessions stop 'stop --all'; do
		# shellcheck disable=SC2086
		run --separate-stderr fish -S 'bad/name' $how
		assert_failure 2
		assert_output ""
		[[ $stderr == "fish: invalid session name 'bad/name' (use "*")" ]]
	done
	chmod 700 "$dir"
}

@test "a session directory that is a symbolic link is refused" {
	local dir=$FISH_HOME/sessions/default
	mkdir -p "$FISH_HOME/sessions" "$BATS_TEST_TMPDIR/elsewhere"
	chmod 700 "$BATS_TEST_TMPDIR/elsewhere"
	ln -s "$BATS_TEST_TMPDIR/elsewhere" "$dir"

	run fish start
	assert_failure 3
	assert_output "fish: '$dir' is a symbolic link; $FISH_INSTALLED_NAME keeps a session's state only in a directory of its own"
	[ -z "$(ls -A "$BATS_TEST_TMPDIR/elsewhere")" ]
	rm "$dir"
}

@test "a FISH_HOME or sessions directory others can write is refused" {
	mkdir -p "$FISH_HOME/sessions"
	chmod 777 "$FISH_HOME"
	run fish start
	assert_failure 3
	assert_output --partial "'$FISH_HOME' is writable by other users"

	chmod 700 "$FISH_HOME"
	chmod 722 "$FISH_HOME/sessions"
	run fish start
	assert_failure 3
	assert_output --partial "chmod 700 $FISH_HOME/sessions"
	chmod 700 "$FISH_HOME/sessions"
}

@test "a state directory others can only read is made private" {
	mkdir -p "$FISH_HOME/sessions/default"
	chmod 755 "$FISH_HOME/sessions/default"
	run fish start
	assert_success
	[ "$(stat -c %a "$FISH_HOME/sessions/default")" = 700 ]
}

@test "the state directory is 0700 and the socket 0600 whatever the umask" {
	umask 000
	run fish start
	assert_success
	[ "$(stat -c %a "$FISH_HOME/sessions/default")" = 700 ]
	[ "$(stat -c %a "$FISH_HOME/sessions/default/control.sock")" = 600 ]
}

@test "listening on every address warns that hooks are reachable" {
	run --separate-stderr fish start --listen 0.0.0.0:0
	assert_success
	assert_output --regexp '^http://0\.0\.0\.0:[0-9]+$'
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ $stderr =~ ^fish:\ warning:\ hooks\ are\ reachable\ from\ other\ machines\ on\ 0\.0\.0\.0:[0-9]+$ ]]

	run fish status
	assert_success
	assert_line --regexp '^listen: +0\.0\.0\.0:[0-9]+ \(reachable from other machines\)$'

	# Starting again says it again; other commands do not.
	run --separate-stderr fish start
	assert_success
	[ "${#stderr_lines[@]}" -eq 1 ]
	run --separate-stderr fish spawn
	assert_success
	[ -z "$stderr" ]
}

@test "listening on every IPv6 address warns too" {
	[ -e /proc/net/if_inet6 ] || skip "no IPv6 here"
	run --separate-stderr fish start --listen '[::]:0'
	assert_success
	[[ $stderr =~ ^fish:\ warning:\ hooks\ are\ reachable\ from\ other\ machines\ on\ \[::\]:[0-9]+$ ]]
}

@test "loopback addresses start without a warning" {
	local listen
	for listen in 127.0.0.1:0 localhost:0 127.0.0.2:0; do
		run --separate-stderr fish start --listen "$listen"
		assert_success
		[ -z "$stderr" ]
		run fish status
		refute_output --partial "reachable from other machines"
		fish stop
		rm "$FISH_HOME/sessions/default/config.json"
	done
	if [ -e /proc/net/if_inet6 ]; then
		run --separate-stderr fish start --listen '[::1]:0'
		assert_success
		[ -z "$stderr" ]
	fi
}
