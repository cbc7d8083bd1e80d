#!/usr/bin/env bats
# Error lines: every bad input gets one line on stderr, whatever it holds.
# Names, options, values, paths and what the listener quotes back are
# shown with their control characters escaped as cat -v shows them (^J for
# a newline, ^[ for ESC, M-^[ for a C1 CSI), always, terminal or not:
# one line stays one, and no byte of it drives a terminal.

bats_require_minimum_version 1.5.0

load helpers/common

setup() {
	common_setup
}

teardown() {
	common_teardown
}

# A newline, a colour, a title change, a bell and a C1 CSI.
HOSTILE=$'a\nb\e[31m\e]0;x\a\xc2\x9b2J'
# How an error line shows them.
SHOWN='a^Jb^[[31m^[]0;x^GM-BM-^[2J'

# clean TEXT: fail unless TEXT holds no control character but newlines,
# and no C1 CSI.
clean() {
	if printf '%s' "$1" | LC_ALL=C grep -q $'[\x01-\x09\x0b-\x1f\x7f]\|\xc2\x9b\|\x9b'; then
		printf 'control characters in: %q\n' "$1" >&2
		return 1
	fi
}

# one_line [USAGE]: check that stderr (run --separate-stderr) is one clean
# error line, or with USAGE, one followed by the usage line.
one_line() {
	clean "$stderr"
	if [ "${1:-}" = usage ]; then
		assert_equal "${#stderr_lines[@]}" 2
		[[ ${stderr_lines[1]} == usage:* ]]
	else
		assert_equal "${#stderr_lines[@]}" 1
	fi
}

@test "a session name holding a newline and escape sequences gets one escaped line" {
	run --separate-stderr fish -S "$HOSTILE" status
	assert_failure 2
	one_line
	assert_equal "$stderr" "fish: invalid session name '$SHOWN' (use 1 to 64 letters, digits, '.', '_' and '-', not starting with '.' or '-')"
	assert_output ""
}

@test "an unknown command holding control characters gets one escaped line" {
	run --separate-stderr fish "$HOSTILE"
	assert_failure 2
	one_line
	assert_equal "$stderr" "fish: unknown command '$SHOWN' (see fish --help)"
}

@test "an unknown option holding control characters gets one escaped line and the usage" {
	run --separate-stderr fish "--$HOSTILE" status
	assert_failure 2
	one_line usage
	assert_equal "${stderr_lines[0]}" "fish: unknown option '--$SHOWN'"
	run --separate-stderr fish status "--$HOSTILE"
	assert_failure 2
	one_line usage
	assert_equal "${stderr_lines[0]}" "fish status: unknown option '--$SHOWN'"
	run --separate-stderr fish status "--json=$HOSTILE"
	assert_failure 2
	one_line usage
	assert_equal "${stderr_lines[0]}" "fish status: option '--json' takes no value"
}

@test "a bad option value holding control characters gets one escaped line and the usage" {
	run --separate-stderr fish wait --timeout "1$HOSTILE" orders
	assert_failure 2
	one_line usage
	assert_equal "${stderr_lines[0]}" "fish wait: invalid duration '1$SHOWN' (use e.g. 250ms, 5, 5s, 2m, 1h)"
	run --separate-stderr fish wait --where "$HOSTILE" orders
	assert_failure 2
	one_line usage
	[[ ${stderr_lines[0]} == "fish wait: invalid filter '$SHOWN' "* ]]
}

@test "a file that cannot be opened is named in one escaped line" {
	run --separate-stderr fish send POST http://127.0.0.1:1/ \
	    --data "@$BATS_TEST_TMPDIR/$HOSTILE"
	assert_failure
	one_line
	assert_equal "$stderr" "fish: send: $BATS_TEST_TMPDIR/$SHOWN: No such file or directory"
}

@test "a hook name the listener quotes back in its error gets one escaped line" {
	fish spawn --name orders >/dev/null
	run --separate-stderr fish wait --timeout 1s $'nope\e]0;x\a'
	assert_failure 4
	one_line
	assert_equal "$stderr" "fish: no such hook 'nope^[]0;x^G' (in session 'default')"
	run --separate-stderr fish wait --timeout 1s "$HOSTILE"
	assert_failure 4
	one_line
	assert_equal "$stderr" "fish: no such hook '$SHOWN' (in session 'default')"
}

@test "help and usage output keep their lines" {
	run --separate-stderr fish wait --help
	assert_success
	[ "${#lines[@]}" -gt 5 ]
	assert_line --index 0 --partial "usage: fish wait HOOK..."
	run --separate-stderr fish
	assert_failure 2
	assert_equal "$stderr" "usage: fish [-hV] [-S NAME] COMMAND [ARG...]"
}

@test "a tunnel client's last line is escaped in the error and in the listener's log" {
	run --separate-stderr fish start \
	    --tunnel $'cmd:printf "no route \\233[2J \\033]0;x\\007 {port}\\n"; exit 7' \
	    --tunnel-url-pattern 'https://[a-z.]+'
	assert_failure 3
	one_line
	assert_regex "$stderr" 'its last line: no route M-\^\[\[2J \^\[\]0;x\^G [0-9]+\)$'
	clean "$(cat "$FISH_HOME/sessions/default/listener.log")"
	log_has 'tunnel: no route M-^\[\[2J'
}
