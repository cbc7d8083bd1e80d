#!/usr/bin/env bats
# The command line itself: help, version, usage errors, global options,
# and --help agreeing with the man page.

bats_require_minimum_version 1.5.0

load helpers/common

setup() {
	common_setup
}

teardown() {
	common_teardown
}

COMMANDS="start stop status spawn wait send reply close field log ls show tail replay sign verify"

# help_options CMD: print each option (-x or --long) that fish CMD --help
# shows, one a line.
help_options() {
	fish "$1" --help |
	    grep -oE '(^|[][ ,|])--?[A-Za-z][A-Za-z-]*' |
	    sed -E 's/^[][ ,|]//' | sort -u
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
