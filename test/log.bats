#!/usr/bin/env bats
# fish log: the session's timeline, sent and received, in sequence order.

load helpers/common
bats_require_minimum_version 1.5.0

setup() {
	common_setup
	hook=$(fish spawn --name inbox)
}

teardown() {
	common_teardown
}

# seqs: print the sequence numbers of fish log's lines, one a line.
seqs() {
	fish log | grep -oE '#[0-9]+' | tr -d '#'
}

# ascending: succeed if the numbers on stdin strictly increase.
ascending() {
	awk 'NR > 1 && $1 <= prev { exit 1 } { prev = $1 }'
}

# absent TEXT ARG...: succeed when fish log ARG... does not mention TEXT.
absent() {
	local text=$1
	shift
	! fish log "$@" | grep -qF -- "$text"
}

@test "log shows received and sent messages in sequence order" {
	post "$hook/first?a=1" 'hello'
	fish send POST "$hook/second" n:=2 >/dev/null
	s1=$(nth_seq 1) s2=$(nth_seq 2) s3=$(nth_seq 3)
	run fish log
	assert_success
	assert_equal "${#lines[@]}" 3
	assert_line --index 0 --regexp "^← [0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}  #$s1  inbox  POST /first\\?a=1  5 B  hello\$"
	# A send takes its place when it starts, before its request arrives.
	assert_line --index 1 --regexp "^→ .*  #$s2  POST $hook/second  200  [0-9]+ ms\$"
	assert_line --index 2 --regexp "^← .*  #$s3  inbox  POST /second  7 B  \\{\"n\":2\\}\$"
}

@test "log keeps the order across a restart" {
	post "$hook" one
	fish send "$hook" x=1 >/dev/null
	fish stop
	fish send "$hook" x=2 >/dev/null
	post "$hook" two
	run seqs
	assert_success
	assert_equal "${#lines[@]}" 6
	seqs | ascending
	run fish log
	assert_line --index 0 --partial 'one'
	assert_line --index 5 --partial 'two'
	assert_equal "$(fish log | grep -c '^→')" 2
}

@test "log shows a failed send with its error" {
	run fish send http://127.0.0.1:1/nowhere
	assert_failure 5
	run fish log
	assert_line --regexp '^→ .*  GET http://127\.0\.0\.1:1/nowhere  .*(onnect|refused).*  [0-9]+ ms$'
}

@test "log previews bodies on one line and marks binary ones" {
	post "$hook" $'{\n  "a": "b\tc",\n  "d": 1\n}'
	printf '\377\376\000x' >"$BATS_TEST_TMPDIR/bin"
	post "$hook" @"$BATS_TEST_TMPDIR/bin"
	post "$hook" "$(printf 'y%.0s' $(seq 200))"
	post "$hook" $'evil\e[31mred'
	run fish log
	assert_line --index 0 --regexp '  \{ "a": "b c", "d": 1 \}$'
	assert_line --index 1 --regexp '  4 B  \(binary\)$'
	assert_line --index 2 --regexp '  200 B  y{60}…$'
	assert_line --index 3 --regexp '  evil \[31mred$'
	[[ $output != *$'\e'* ]]
}

@test "log HOOK shows only what that hook received" {
	local other
	other=$(fish spawn)
	post "$hook" mine
	post "$other" theirs
	fish send "$other" >/dev/null
	run fish log inbox
	assert_success
	assert_equal "${#lines[@]}" 1
	assert_line --partial mine
	run fish log "$other"
	assert_equal "${#lines[@]}" 2
	run fish log inbox "$other"
	assert_equal "${#lines[@]}" 3
}

@test "log of an unknown hook exits 4" {
	run fish log nosuchhook
	assert_failure 4
	assert_output --partial "no such hook 'nosuchhook'"
}

@test "log --limit shows the last N messages" {
	local i
	for i in 1 2 3 4 5; do
		post "$hook" "m$i"
	done
	run fish log --limit 2
	assert_success
	assert_equal "${#lines[@]}" 2
	assert_line --index 0 --partial "#$(nth_seq 4)"
	assert_line --index 1 --partial "#$(nth_seq 5)"
	run fish log --limit 10
	assert_equal "${#lines[@]}" 5
}

@test "log --limit needs a positive integer" {
	local bad
	for bad in 0 -1 x 1.5 ''; do
		run fish log --limit "$bad"
		assert_failure 2
		assert_line --partial "usage: fish log"
	done
}

@test "log --since shows only recent messages" {
	post "$hook" old
	wait_until 10 absent old --since 1s
	post "$hook" new
	run fish log --since 1s
	assert_success
	assert_output --partial new
	refute_output --partial old
	run fish log --since 1h
	assert_equal "${#lines[@]}" 2
	run fish log --since soon
	assert_failure 2
}

@test "log --json prints one envelope per line with the bodies" {
	post "$hook/p?q=1" 'text body' -H 'X-Thing: yes'
	printf '\377\000' | post "$hook" @-
	fish send PUT "$hook" --data 'sent body' >/dev/null
	run fish log --json
	assert_success
	assert_equal "${#lines[@]}" 4
	assert_equal "$(fish field /direction <<<"${lines[0]}")" received
	assert_equal "$(fish field /seq <<<"${lines[0]}")" "$(nth_seq 1)"
	assert_equal "$(fish field /name <<<"${lines[0]}")" inbox
	assert_equal "$(fish field /path <<<"${lines[0]}")" /p
	assert_equal "$(fish field /query <<<"${lines[0]}")" q=1
	assert_equal "$(fish field /headers/x-thing <<<"${lines[0]}")" yes
	assert_equal "$(fish field /body <<<"${lines[0]}")" 'text body'
	assert_equal "$(fish field /body_base64 <<<"${lines[1]}")" '/wA='
	# The send comes before the request it made arrived.
	assert_equal "$(fish field /direction <<<"${lines[2]}")" sent
	assert_equal "$(fish field /state <<<"${lines[2]}")" sent
	assert_equal "$(fish field /method <<<"${lines[2]}")" PUT
	assert_equal "$(fish field /http_status <<<"${lines[2]}")" 200
	assert_equal "$(fish field /body <<<"${lines[2]}")" 'sent body'
	assert_equal "$(fish field /response_body <<<"${lines[2]}")" ''
	assert_equal "$(fish field /body <<<"${lines[3]}")" 'sent body'
}

@test "log colours only a terminal, and honours NO_COLOR" {
	post "$hook" hi
	fish send "$hook" >/dev/null
	s1=$(nth_seq 1)
	# Not a terminal: no escape codes.
	run fish log
	[[ $output != *$'\e['* ]]
	run script -qfc "fish log" /dev/null </dev/null
	assert_success
	[[ $output == *$'\e[32m200\e[0m'* ]]
	[[ $output == *$'\e[2m#'"$s1"$'\e[0m'* ]]
	NO_COLOR=1 run script -qfc "fish log" /dev/null </dev/null
	assert_success
	assert_output --partial "#$s1"
	[[ $output != *$'\e['* ]]
	# An empty NO_COLOR does not count.
	NO_COLOR= run script -qfc "fish log" /dev/null </dev/null
	[[ $output == *$'\e[2m#'"$s1"$'\e[0m'* ]]
}

# paused_log: run fish log --json in the background into a reader that
# takes one line, then stops reading until the file go exists; the log's
# exit status goes to log.status, its stderr to log.err, the first line to
# first and the others to rest, and done appears when all is read.
paused_log() {
	local dir=$BATS_TEST_TMPDIR
	{
		local rc=0
		fish log --json 2>"$dir/log.err" || rc=$?
		echo "$rc" >"$dir/log.status"
	} | {
		read -r first
		echo "$first" >"$dir/first"
		wait_until 30 test -e "$dir/go"
		cat >"$dir/rest"
		touch "$dir/done"
	} 3>&- &
	wait_until 10 test -s "$dir/first"
}

@test "log of a large timeline prints every entry in order and ends" {
	# 30 MB of entries: many times what the listener queues for a client.
	flood "$hook" 300 100000
	fish log --json >"$BATS_TEST_TMPDIR/out"
	run grep -c '^{"seq":' "$BATS_TEST_TMPDIR/out"
	assert_output 300
	run seqs
	assert_success
	assert_equal "${#lines[@]}" 300
	assert_line --index 0 "$(nth_seq 1)"
	assert_line --index 299 "$(nth_seq 300)"
	printf '%s\n' "${lines[@]}" | ascending
}

@test "log | head ends at once and the listener carries on" {
	flood "$hook" 300 100000
	run bash -c 'fish log --json | head -n 1'
	assert_success
	assert_output --regexp "^\\{\"seq\":$(nth_seq 1),"
	run fish status
	assert_success
	post "$hook" '{"n":1}'
	run fish log --limit 1
	assert_output --partial "#$(nth_seq 301)"
	other=$(fish spawn --name other)
	post "$other" '{"n":2}'
	run fish wait other --timeout 5
	assert_success
	assert_output '{"n":2}'
}

@test "a log its reader does not read holds up no other command" {
	flood "$hook" 300 100000
	before=$(rss_kb)
	paused_log
	# Of the 30 MB of entries, the listener holds only what the reader
	# is about to read, not the rest.
	during=$(rss_kb)
	echo "listener memory: $before KiB before the log, $during during"
	[ $((during - before)) -lt 10240 ]
	# The log is stuck on its reader; the listener serves everyone else.
	run fish status
	assert_success
	late=$(fish spawn --name late)
	post "$late" '{"n":1}'
	run fish wait late --timeout 5
	assert_success
	assert_output '{"n":1}'
	# Once read, the log goes on to its end.
	touch "$BATS_TEST_TMPDIR/go"
	wait_until 30 test -e "$BATS_TEST_TMPDIR/done"
	run cat "$BATS_TEST_TMPDIR/log.status"
	assert_output 0
	run grep -c '^{"seq":' "$BATS_TEST_TMPDIR/rest"
	assert_output 299
}

@test "fish stop during a log that is not read stops the listener" {
	flood "$hook" 300 100000
	paused_log
	pid=$(listener_pid)
	run fish stop
	assert_success
	wait_until 10 all_dead "$pid"
	touch "$BATS_TEST_TMPDIR/go"
	wait_until 30 test -e "$BATS_TEST_TMPDIR/done"
	run cat "$BATS_TEST_TMPDIR/log.status" "$BATS_TEST_TMPDIR/log.err"
	assert_line --index 0 3
	assert_line --index 1 --partial "listener of session 'default'"
}

# expired SEQ: succeed once message SEQ has left the journal.
expired() {
	local rc=0
	fish show "$1" >/dev/null 2>&1 || rc=$?
	[ "$rc" -eq 4 ]
}

@test "messages that expire while a log waits for its reader are skipped" {
	fish stop
	fish start --retain 1s >/dev/null
	flood "$hook" 300 100000
	paused_log
	# Retention forgets every message while the log is held up.
	wait_until 20 expired 300
	touch "$BATS_TEST_TMPDIR/go"
	wait_until 30 test -e "$BATS_TEST_TMPDIR/done"
	run cat "$BATS_TEST_TMPDIR/log.status"
	assert_output 0
	# What was printed is in order, and short of the messages that went.
	json_seqs "$BATS_TEST_TMPDIR/first" "$BATS_TEST_TMPDIR/rest" \
	    >"$BATS_TEST_TMPDIR/seqs"
	ascending <"$BATS_TEST_TMPDIR/seqs"
	run wc -l <"$BATS_TEST_TMPDIR/seqs"
	[ "$output" -lt 300 ]
	run fish status
	assert_success
}
