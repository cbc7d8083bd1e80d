#!/usr/bin/env bats
# The command line itself: help, version, usage errors, global options,
# and --help agreeing with the man page.

bats_require_minimum_version 1.5.0

load helpers/common
load helpers/commands

setup() {
	common_setup
}

teardown() {
	common_teardown
}

@test "fish --help lists every command" {
	local cmd
	run fish --help
	assert_success
	assert_line --partial "usage: fish"
	for cmd in $COMMANDS; do
		assert_line --regexp "^  $cmd "
	done
}

@test "fish --version prints the version" {
	run fish --version
	assert_success
	assert_output --regexp '^fish [0-9]+\.[0-9]+\.[0-9]+$'
	run fish -V
	assert_output --regexp '^fish [0-9]+\.[0-9]+\.[0-9]+$'
}

@test "help and the version that cannot be written fail saying so" {
	local how
	[ -w /dev/full ] || skip "no /dev/full"
	for how in --version version --help help 'spawn --help'; do
		run -1 --separate-stderr bash -c "fish $how >/dev/full"
		assert_equal "$stderr" "fish: stdout: No space left on device"
	done
	# A reader that went away is no news.
	run --separate-stderr bash -c 'fish --help | true'
	assert_equal "$stderr" ""
}

@test "fish with no command prints usage on stderr and exits 2" {
	run --separate-stderr fish
	assert_failure 2
	assert_output ""
	[[ $stderr == "usage: fish "* ]]
}

@test "an unknown command exits 2 and names it" {
	run fish frobnicate --now
	assert_failure 2
	assert_output --partial "unknown command 'frobnicate'"
	assert_equal "${#lines[@]}" 1
}

@test "an unknown global option exits 2 with usage" {
	run fish --frobnicate status
	assert_failure 2
	assert_line --partial "unknown option '--frobnicate'"
	assert_line --partial "usage: fish"
}

@test "every command's --help exits 0 and shows its usage" {
	local cmd
	for cmd in $COMMANDS; do
		run --separate-stderr fish "$cmd" --help
		assert_success
		assert_line --index 0 --regexp "^usage: fish $cmd( |\$)"
		assert_equal "$stderr" ""
		run fish "$cmd" -h
		assert_success
		assert_line --index 0 --regexp "^usage: fish $cmd( |\$)"
	done
	# Asking for help starts nothing.
	run fish status
	assert_failure 3
}

@test "every option a command's --help shows is in the man page" {
	local man=$FISH_SRC_DIR/man/fish.1 cmd opt missing=""
	[ -f "$man" ]
	for cmd in $COMMANDS; do
		for opt in $(help_options "$cmd"); do
			# mdoc writes --name as "Fl \-name" and -x as "Fl x".
			if [[ $opt == --* ]]; then
				grep -qF -- "Fl \\-${opt#--}" "$man" ||
				    missing="$missing $cmd:$opt"
			else
				grep -qE -- "Fl ${opt#-}( |\$)" "$man" ||
				    missing="$missing $cmd:$opt"
			fi
		done
	done
	assert_equal "$missing" ""
}

@test "every setting the listener takes is an option of fish start, in its help" {
	local listener opt missing=""
	# The listener's usage line is made from the settings table.
	run --separate-stderr "$FISH_LISTENER" --no-such-option
	assert_failure 2
	listener=$(grep -oE -- '\[--[a-z-]+' <<<"$stderr" | tr -d '[' | sort -u)
	[ -n "$listener" ]
	for opt in $listener; do
		case $opt in
		--foreground | --ready-fd | --lock-fd | --session) continue ;;
		esac
		help_options start | grep -qxF -- "$opt" ||
		    missing="$missing $opt"
	done
	assert_equal "$missing" ""
}

@test "every command is described in the man page" {
	local man=$FISH_SRC_DIR/man/fish.1 cmd
	for cmd in $COMMANDS; do
		# Each entry of the list opens with ".It Xo", then ".Ic NAME".
		grep -qE "^\.Ic $cmd( |\$)" "$man" ||
		    fail "fish $cmd is not in the COMMANDS list of man/fish.1"
	done
}

@test "an invalid session name exits 2" {
	local bad
	for bad in '' ../x a/b .hidden -dash 'has space' \
	    "$(printf 'x%.0s' $(seq 65))"; do
		run fish -S "$bad" status
		assert_failure 2
		assert_output --partial "invalid session name"
		# The line says what a name is, its length included.
		assert_output --partial "(use 1 to 64 letters, digits, '.', '_' and '-', not starting with '.' or '-')"
	done
	FISH_SESSION=../up run fish status
	assert_failure 2
	assert_output --partial "invalid session name"
	[ ! -e "$FISH_HOME/up" ]
}

@test "-S and --session choose the session" {
	run fish -S alpha start
	assert_success

	run fish --session alpha status
	assert_success
	assert_line --regexp '^session: +alpha$'
	run fish --session=alpha status
	assert_success
	run env FISH_SESSION=alpha fish status
	assert_line --regexp '^session: +alpha$'
	[ -d "$FISH_HOME/sessions/alpha" ]

	# -S wins over FISH_SESSION; the default session is untouched.
	FISH_SESSION=alpha run fish -S beta status
	assert_failure 3
	assert_output --partial "beta"
	run fish status
	assert_failure 3
}

@test "an unknown option of a command exits 2 with its usage" {
	local cmd
	for cmd in $COMMANDS; do
		run fish "$cmd" --frobnicate
		assert_failure 2
		assert_line --partial "unknown option '--frobnicate'"
		assert_line --regexp "^usage: fish $cmd( |\$)"
	done
	run fish spawn -Z
	assert_failure 2
	assert_line --partial "unknown option '-Z'"
}

@test "an option given a value it does not take, or cut short to several, says so" {
	run fish wait x --no-progress=1
	assert_failure 2
	assert_line --index 0 "fish wait: option '--no-progress' takes no value"
	run fish wait x --fo=2
	assert_failure 2
	assert_line --index 0 "fish wait: option '--follow' takes no value"
	run fish wait x --f
	assert_failure 2
	assert_line --index 0 "fish wait: option '--f' is ambiguous ('--field' or '--follow'?)"
	run fish send --proxy-h 'X: y' http://127.0.0.1:1/ --pro x
	assert_failure 2
	assert_line --index 0 "fish send: option '--pro' is ambiguous ('--proxy', '--proxy-header' or '--proxy-user'?)"
	# A prefix of one option is that option, as with getopt_long.
	run fish wait x --tim
	assert_failure 2
	assert_line --index 0 "fish wait: option '--tim' needs a value"
}

@test "an option missing its value exits 2 saying so" {
	run fish spawn --name
	assert_failure 2
	assert_line --partial "needs a value"
	run fish wait x --timeout
	assert_failure 2
	assert_line --partial "needs a value"
	run fish -S
	assert_failure 2
	assert_line --partial "needs a value"
}

@test "a command missing an operand exits 2 naming it as its usage line does" {
	local spec cmd name
	for spec in close:HOOK field:PTR replay:SEQ reply:MESSAGE send:URL \
	    show:SEQ sign:SCHEME:SECRET verify:SCHEME:SECRET wait:HOOK; do
		cmd=${spec%%:*} name=${spec#*:}
		run --separate-stderr fish "$cmd" < /dev/null
		assert_failure 2
		assert_equal "${stderr_lines[0]}" "fish $cmd: missing $name"
		[[ ${stderr_lines[1]} == "usage: fish $cmd "*"$name"* ]] ||
		    fail "fish $cmd: ${stderr_lines[1]}"
	done
	# An option's value is no operand; a METHOD is no URL; '' is nothing.
	run --separate-stderr fish wait --timeout 1
	assert_failure 2
	assert_equal "${stderr_lines[0]}" "fish wait: missing HOOK"
	run --separate-stderr fish send GET
	assert_failure 2
	assert_equal "${stderr_lines[0]}" "fish send: missing URL"
	run --separate-stderr fish close ''
	assert_failure 2
	assert_equal "${stderr_lines[0]}" "fish close: missing HOOK"
	# Nothing was started.
	run fish status
	assert_failure 3
}

@test "a command given an operand too many exits 2 naming it" {
	local args
	for args in "close h" "field /a" "help wait" "ls" "replay 1" \
	    "reply 1" "show 1" "sign github:s" "spawn" "start" "status" \
	    "stop" "verify github:s" "version" "show --json 1"; do
		# shellcheck disable=SC2086
		run --separate-stderr fish $args extra < /dev/null
		assert_failure 2
		assert_equal "${stderr_lines[0]}" \
		    "fish ${args%% *}: unexpected argument 'extra'"
		assert_equal "${#stderr_lines[@]}" 2
	done
	# Options may come after the operands all the same.
	run --separate-stderr fish show 1 extra --json
	assert_failure 2
	assert_equal "${stderr_lines[0]}" \
	    "fish show: unexpected argument 'extra'"
	run fish status
	assert_failure 3
}

@test "fish --help lists the everyday commands first: spawn, send, wait" {
	run fish --help
	assert_success
	# $lines leaves out the blank ones.
	assert_line --index 2 "Everyday commands:"
	assert_line --index 3 --regexp '^  spawn '
	assert_line --index 4 --regexp '^  send '
	assert_line --index 5 --regexp '^  wait '
	assert_line --index 6 "Other commands:"
}

@test "fish help shows the commands, and fish help CMD a command's options" {
	local help
	help=$(fish --help)
	run fish help
	assert_success
	assert_output "$help"
	run fish help wait
	assert_success
	assert_output "$(fish wait --help)"
	run fish help spwn
	assert_failure 2
	assert_output "fish: unknown command 'spwn' (did you mean 'spawn'?)"
	run fish help wait send
	assert_failure 2
	assert_line --partial "unexpected argument 'send'"
}

@test "fish version prints what fish --version prints" {
	run fish version
	assert_success
	assert_output "$(fish --version)"
	run fish version extra
	assert_failure 2
}

@test "a mistyped command gets the nearest ones suggested" {
	run fish spwn
	assert_failure 2
	assert_output "fish: unknown command 'spwn' (did you mean 'spawn'?)"
	run fish wiat
	assert_output --partial "(did you mean 'wait'?)"
	run fish lg
	assert_output --partial "(did you mean 'log' or 'ls'?)"
	# Nothing near: point to the list instead.
	run fish frobnicate
	assert_output "fish: unknown command 'frobnicate' (see fish --help)"
}

@test "a mistyped option gets the nearest one suggested" {
	run fish wait x --timout 5
	assert_failure 2
	assert_line --index 0 \
	    "fish wait: unknown option '--timout' (did you mean '--timeout'?)"
	assert_line --index 1 --partial "usage: fish wait HOOK..."
	run fish send --retyr=3 http://x
	assert_line --index 0 --partial "(did you mean '--retry'?)"
	run fish --sesion x ls
	assert_failure 2
	assert_line --index 0 \
	    "fish: unknown option '--sesion' (did you mean '--session'?)"
	# Nothing near: no suggestion.
	run fish wait x --frobnicate
	assert_line --index 0 "fish wait: unknown option '--frobnicate'"
}

@test "run the way a shell is, fish says it is not one and where the fish shell is" {
	local shell=$BATS_TEST_TMPDIR/shell self arg
	mkdir -p "$shell"
	printf '#!/bin/sh\necho "fish, version 3.6.0"\n' >"$shell/fish"
	chmod +x "$shell/fish"
	self=$(command -v fish)
	export PATH=${self%/*}:$shell:$PATH
	for arg in -c -l -i --login -lc --command=true --interactive; do
		run --separate-stderr fish "$arg" 'echo hi'
		assert_failure 2
		assert_output ""
		assert_equal "$stderr" "fish: this fish is the webhook tool, not a shell; the fish shell is $shell/fish"
	done
	# A login shell: argv[0] starts with "-".
	run bash -c 'exec -a -fish "$0"' "$self"
	assert_failure 2
	assert_output "fish: this fish is the webhook tool, not a shell; the fish shell is $shell/fish"
	# Nothing started, nothing created.
	[ ! -e "$FISH_HOME" ]
}
