#!/usr/bin/env bats
# fish on a terminal: the "waiting on" line of wait, strangers' control
# characters escaped by wait and show, and colours.  Each terminal is a
# real pseudo-terminal (test/helpers/pty.py) whose bytes the tests read.

bats_require_minimum_version 1.5.0

load helpers/common

setup() {
	common_setup
	export TERM=xterm
	hook=$(fish spawn --name orders)
	tail_pid=
}

teardown() {
	stop_tail
	common_teardown
}

# pty [--cols N] [--stdout FILE] CMD...: run CMD on a pseudo-terminal (see
# test/helpers/pty.py), printing the bytes it received.
pty() {
	python3 "$FISH_SRC_DIR/test/helpers/pty.py" "$@"
}

# The bytes of a stranger's body: a title change, a colour, a bell, DEL,
# a byte that is not UTF-8 and a C1 CSI, around UTF-8 text.
EVIL=$'\e]0;pwned\a\e[31mred h\xc3\xa9llo \xe2\x9c\x93 \x7f\xff \xc2\x9b2J'
# How cat -v shows them, but for the UTF-8 text.
SHOWN='^[]0;pwned^G^[[31mred héllo ✓ ^?M-^? M-BM-^[2J'

# frames OUTPUT: print each state of the status line in OUTPUT, one a line:
# the text drawn after each carriage return, its erase-to-end cut off.
frames() {
	local out=$1 frame
	out=${out%%$'\r\e[K'fish:*}
	local IFS=$'\r'
	for frame in ${out#$'\r'}; do
		printf '%s\n' "${frame%$'\e[K'}"
	done
}

@test "wait shows what it waits on and the time left, then erases it" {
	run pty --cols 80 fish wait orders --timeout 1s
	assert_failure 124
	# Erased before the error, which starts a clean line.
	[[ $output == *$'\r\e[K'"fish: timed out after 1s waiting on orders" ]]
	run frames "$output"
	assert_line --index 0 'waiting on orders, 1.0s left'
	# Only changes are drawn: tenths of a second, each once, counting down.
	local previous=
	for line in "${lines[@]}"; do
		[[ $line =~ ^waiting\ on\ orders,\ [01]\.[0-9]s\ left$ ]] ||
		    fail "unexpected status line '$line'"
		[ "$line" != "$previous" ] || fail "'$line' drawn twice in a row"
		[[ $previous == "" || $line < $previous ]] ||
		    fail "'$line' after '$previous'"
		previous=$line
	done
	# 1.0s to 0.1s, and 0.0s if the listener's answer is late.
	[ "${#lines[@]}" -le 11 ]
	[[ $output != *$'\n'*$'\r'* ]]
}

@test "the waiting line fits a narrow terminal and never wraps" {
	local name cols line
	name=$(printf 'n%.0s' $(seq 60))
	fish spawn --name "$name" >/dev/null
	for cols in 40 20 8; do
		run pty --cols "$cols" fish wait "$name" orders --timeout 300ms
		assert_failure 124
		run frames "$output"
		[ "${#lines[@]}" -ge 1 ]
		for line in "${lines[@]}"; do
			[ "${#line}" -lt "$cols" ] ||
			    fail "'$line' is ${#line} wide on $cols columns"
		done
	done
	run pty --cols 40 fish wait "$name" orders --timeout 300ms
	run frames "$output"
	assert_line --index 0 --regexp '^waiting on nnnn+\.\.\., 0\.3s left$'
}

# has_frame FILE: succeed once FILE shows a waiting line.
has_frame() {
	grep -q 'waiting on' "$1"
}

@test "without a deadline the waiting line is drawn once, then erased for the body" {
	local out=$BATS_TEST_TMPDIR/out start
	pty --cols 80 fish wait orders >"$out" &
	tail_pid=$!
	wait_until 10 has_frame "$out"
	# However long it waits, nothing changes, so nothing is redrawn.
	start=$(now_ms)
	wait_until 10 since "$start" 1000
	post "$hook" 'the body'
	wait "$tail_pid"
	tail_pid=
	run cat "$out"
	assert_output $'\rwaiting on orders\e[K\r\e[Kthe body'
}

@test "Ctrl-C erases the waiting line and wait exits 130" {
	local out=$BATS_TEST_TMPDIR/out pty_pid fish_pid
	pty --cols 80 env --default-signal=INT fish wait orders >"$out" &
	tail_pid=$!
	wait_until 10 has_frame "$out"
	# The background job runs pty.py, whose one child is fish (env
	# became it).
	pty_pid=$(ps -o pid= --ppid "$tail_pid" | tr -d ' ')
	fish_pid=$(ps -o pid= --ppid "$pty_pid" | tr -d ' ')
	[ -n "$fish_pid" ] && [ "$(cat "/proc/$fish_pid/comm")" = fish ]
	kill -INT "$fish_pid"
	reap "$tail_pid"
	tail_pid=
	assert_equal "$status" 130
	# The line drawn, then erased: the shell's prompt starts clean.
	run cat "$out"
	assert_output $'\rwaiting on orders\e[K\r\e[K'
	post "$hook" 'after'
	run fish wait orders --timeout 5
	assert_success
	assert_output after
}

@test "a wait killed by SIGTERM or SIGHUP erases its line too, and exits 130" {
	local out sig pty_pid fish_pid
	for sig in TERM HUP; do
		out=$BATS_TEST_TMPDIR/out-$sig
		pty --cols 80 fish wait orders >"$out" &
		tail_pid=$!
		wait_until 10 has_frame "$out"
		pty_pid=$(ps -o pid= --ppid "$tail_pid" | tr -d ' ')
		fish_pid=$(ps -o pid= --ppid "$pty_pid" | tr -d ' ')
		[ -n "$fish_pid" ] && [ "$(cat "/proc/$fish_pid/comm")" = fish ]
		kill -"$sig" "$fish_pid"
		reap "$tail_pid"
		tail_pid=
		assert_equal "$status" 130
		run cat "$out"
		assert_output $'\rwaiting on orders\e[K\r\e[K'
	done
	post "$hook" 'after'
	run fish wait orders --timeout 5
	assert_success
	assert_output after
}

@test "the waiting line is off for TERM=dumb and --no-progress, not for NO_COLOR" {
	TERM=dumb run pty fish wait orders --timeout 200ms
	assert_failure 124
	assert_output "fish: timed out after 200ms waiting on orders"
	run pty fish wait orders --timeout 200ms --no-progress
	assert_output "fish: timed out after 200ms waiting on orders"
	NO_COLOR=1 run pty fish wait orders --timeout 200ms
	assert_output --partial $'\rwaiting on orders, 0.2s left\e[K'
	# Not a terminal: nothing to draw on.
	run --separate-stderr fish wait orders --timeout 200ms
	assert_equal "$stderr" "fish: timed out after 200ms waiting on orders"
}

@test "an unnamed hook is shown by the start of its token" {
	local url token
	url=$(fish spawn)
	token=${url##*/}
	run pty fish wait "$url" --timeout 200ms
	run frames "$output"
	assert_line --index 0 "waiting on ${token:0:8}, 0.2s left"
}

@test "wait escapes a stranger's control characters on a terminal" {
	post "$hook" "$EVIL"
	run pty fish wait orders --peek --no-progress
	assert_success
	assert_output "$SHOWN"
	# --raw: the bytes as they came.
	run pty fish wait orders --peek --raw --no-progress
	assert_output "$EVIL"
	# Not a terminal: byte for byte, as always.
	pty --stdout "$BATS_TEST_TMPDIR/body" fish wait orders --no-progress
	assert_equal "$(cat "$BATS_TEST_TMPDIR/body")" "$EVIL"
}

@test "status escapes control characters on a terminal" {
	# A C1 CSI in what status shows (here the tunnel's command line).
	fish -S tunnelled start \
	    --tunnel $'cmd:echo https://a.example.net \x9b[2J {port}; exec sleep 100' \
	    --tunnel-url-pattern 'https://[a-z.]+' >/dev/null
	run pty fish -S tunnelled status
	fish -S tunnelled stop
	assert_success
	assert_line --regexp '^tunnel: +cmd:echo https://a\.example\.net M-\^\[\[2J \{port\}; exec sleep 100$'
	refute_output --partial $'\x9b'
}

@test "wait --headers and --field escape on a terminal too" {
	post "$hook" '{"a":"x\u001b[2Jy"}' -H $'X-Evil: a\e[2Jb'
	run pty fish wait orders --peek --headers --no-progress
	assert_line 'x-evil: a^[[2Jb'
	refute_output --partial $'\e'
	run pty fish wait orders --peek --field /a --no-progress
	assert_output 'x^[[2Jy'
	run pty fish wait orders --peek --json --no-progress
	refute_output --partial $'\e'
}

@test "show escapes a stranger's control characters on a terminal" {
	post "$hook/p" "$EVIL" -H $'X-Evil: a\e[2Jb'
	run pty fish show "$(nth_seq 1)"
	assert_success
	assert_line 'x-evil: a^[[2Jb'
	assert_line --index 7 "$SHOWN"
	refute_output --partial $'\e'
	run pty fish show "$(nth_seq 1)" --raw
	assert_output --partial "$EVIL"
	assert_output --partial $'x-evil: a\e[2Jb'
	run pty fish show "$(nth_seq 1)" --json
	refute_output --partial $'\e'
	# Not a terminal: byte for byte.
	run fish show "$(nth_seq 1)"
	assert_output --partial $'x-evil: a\e[2Jb'
	[[ $output == *$'\n\n'"$EVIL" ]]
}

@test "log --json and tail --json escape on a terminal, as show --json does" {
	local out=$BATS_TEST_TMPDIR/tail.out
	# json-c writes \u001b for ESC, but DEL, a C1 CSI and bytes that are
	# not UTF-8 as they are.
	post "$hook" $'{"a":"\xc2\x9b2J \x7f"}' -H $'X-Evil: a\x9b2Jb'
	pty fish log --json >"$out"
	assert_equal "$(LC_ALL=C grep -c $'\x9b\\|\x7f' "$out")" 0
	grep -q 'M-BM-^\[2J ^?' "$out"
	grep -q 'aM-^\[2Jb' "$out"
	# Not a terminal: byte for byte.
	fish log --json >"$out"
	LC_ALL=C grep -q $'\xc2\x9b2J \x7f' "$out"
	python3 "$FISH_SRC_DIR/test/helpers/pty.py" fish tail --json orders \
	    >"$out" 2>&1 3>&- &
	tail_pid=$!
	wait_until 10 post_until_seen "$hook" "$out"
	post "$hook" $'{"b":"\xc2\x9b"}'
	wait_until 10 grep -qF '\"b\"' "$out"
	stop_tail
	assert_equal "$(LC_ALL=C grep -c $'\x9b' "$out")" 0
	grep -q 'M-BM-^\[' "$out"
}

@test "export --har - escapes on a terminal, and writes a file byte for byte" {
	local out=$BATS_TEST_TMPDIR/har.out
	post "$hook" '{}' -H $'X-Evil: a\x9b2J\x7fb'
	pty fish export --har - >"$out"
	assert_equal "$(LC_ALL=C grep -c $'\x9b\\|\x7f' "$out")" 0
	grep -q 'aM-^\[2J^?b' "$out"
	fish export --har "$BATS_TEST_TMPDIR/x.har"
	LC_ALL=C grep -q $'a\x9b2J\x7fb' "$BATS_TEST_TMPDIR/x.har"
}

@test "show --curl pipes a body with control characters through printf" {
	local other
	post "$hook" $'line one\n\e[31mtwo'
	run fish show "$(nth_seq 1)" --curl
	assert_output --regexp "^printf '.*\\\\033\\[31mtwo' \\| curl -X POST "
	# The command sends the same bytes again.
	other=$(fish spawn --name copy)
	eval "${output/"$hook"/$other}" >/dev/null
	run fish wait copy
	assert_output $'line one\n\e[31mtwo'
}

@test "show pretty-prints JSON in colour on a terminal, unless told not to" {
	post "$hook" '{"a":"x","n":[1,null,true],"o":{}}'
	run pty fish show "$(nth_seq 1)"
	assert_line $'  \e[1;34m"a"\e[0m: \e[32m"x"\e[0m,'
	assert_line $'    \e[2mnull\e[0m,'
	assert_line $'  \e[1;34m"o"\e[0m: {}'
	NO_COLOR=1 run pty fish show "$(nth_seq 1)"
	assert_line '  "a": "x",'
	run pty fish show "$(nth_seq 1)" --color=never
	assert_line '  "a": "x",'
	TERM=dumb run pty fish show "$(nth_seq 1)"
	assert_line '  "a": "x",'
	# Not a terminal: as received, unless colour is asked for.
	run fish show "$(nth_seq 1)"
	assert_line '{"a":"x","n":[1,null,true],"o":{}}'
	NO_COLOR=1 run fish show "$(nth_seq 1)" --color=always
	assert_line $'  \e[1;34m"a"\e[0m: \e[32m"x"\e[0m,'
	run fish show "$(nth_seq 1)" --color=sometimes
	assert_failure 2
	assert_line --index 0 --partial "invalid --color 'sometimes'"
}

@test "log colours statuses by class, rejected requests and arrows" {
	local found gone
	found=$(fish spawn --status 201)
	gone=$(fish spawn --status 404)
	fish spawn --name broken --status 503 >/dev/null
	fish send "$found" >/dev/null
	fish send "$gone" --expect 404 >/dev/null
	fish send "$(fish spawn --name broken)" --expect 503 >/dev/null
	local signed
	signed=$(fish spawn --verify github:secret)
	curl -s -o /dev/null -d x "$signed"
	run fish log --color=always
	assert_success
	assert_output --partial $'\e[1;36m\xe2\x86\x92\e[0m'
	assert_output --partial $'\e[1;35m\xe2\x86\x90\e[0m'
	assert_output --partial $'\e[32m201\e[0m'
	assert_output --partial $'\e[33m404\e[0m'
	assert_output --partial $'\e[31m503\e[0m'
	assert_output --partial $'\e[31mrejected: '
	run pty fish log
	assert_output --partial $'\e[33m404\e[0m'
	NO_COLOR=1 run pty fish log
	refute_output --partial $'\e['
	TERM=dumb run pty fish log
	refute_output --partial $'\e['
	run pty fish log --color=never
	refute_output --partial $'\e['
	NO_COLOR=1 run fish log --color
	assert_output --partial $'\e[33m404\e[0m'
	run fish log --color=maybe
	assert_failure 2
}

@test "tail colours as log does" {
	local out=$BATS_TEST_TMPDIR/tail.out
	start_tail "$out" "$hook" --color=always
	run cat "$out"
	assert_output --partial $'\e[1;35m\xe2\x86\x90\e[0m'
	stop_tail -INT
}

@test "log and tail show a stranger's event as error lines do, C1 and bytes that are not UTF-8 too" {
	local out=$BATS_TEST_TMPDIR/tail.out
	# A lone 8-bit CSI, a C1 CSI, a byte never UTF-8: made '?' by none
	# of them before, and the lone CSI reached the terminal raw.
	post "$hook" x -H $'X-GitHub-Event: a\x9b2Jb\xc2\x9b2Jc\xff'
	run pty fish log
	assert_success
	assert_line --regexp '  a''M-\^\[2Jb''M-BM-\^\[2Jc''M-\^\? \(POST\)  1 B  x$'
	refute_output --partial $'\x9b'
	refute_output --partial $'\xff'
	python3 "$FISH_SRC_DIR/test/helpers/pty.py" fish tail orders \
	    >"$out" 2>&1 3>&- &
	tail_pid=$!
	wait_until 10 post_until_seen "$hook" "$out"
	post "$hook" y -H $'X-GitHub-Event: a\x9b2Jb\xc2\x9b2Jc\xff'
	wait_until 10 grep -q 'M-BM-^\[2Jc' "$out"
	stop_tail
	assert_equal "$(LC_ALL=C grep -c $'\x9b\\|\xff' "$out")" 0
}
