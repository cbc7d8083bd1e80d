#!/usr/bin/env bats
# Requests refused before they were complete (404, 410, 413, 414, 431,
# 400), and how held requests were answered: what fish log, tail and show
# say of them, and the caps that keep a scanner from filling the journal.

load helpers/common
bats_require_minimum_version 1.5.0

setup() {
	common_setup
	hook=$(fish spawn --name inbox)
	port=$(port_of "$hook")
	base=${hook%/*}
}

teardown() {
	stop_tail
	common_teardown
}

# refused_records: print how many type-9 (request refused) records the
# journal holds.
refused_records() {
	journal_types | grep -cx 9 || true
}

@test "a request to an unknown token shows in log as a 404, counted in status" {
	assert_equal "$(http_post "$base/nosuchtoken/login?x=1" '{"pw":"s"}')" 404
	seq=$(nth_seq 1)
	run fish log
	assert_success
	assert_output --regexp "^← .*  #$seq  -  POST /nosuchtoken/login\\?x=1  404 refused: no such hook\$"
	run fish log --json
	assert_equal "$(fish field /state <<<"$output")" refused
	assert_equal "$(fish field /refused <<<"$output")" "no such hook"
	assert_equal "$(fish field /http_status <<<"$output")" 404
	assert_equal "$(fish field /hook <<<"$output")" null
	# Its body is never read, so never kept.
	refute_output --partial '"pw"'
	run fish status
	assert_line --regexp '^not found: +1 answered 404: no hook has their token$'
	assert_equal "$(status_field /not_found)" 1
	# It is nobody's message.
	run fish wait "$hook" --timeout 100ms
	assert_failure 124
}

@test "a scanner hammering unknown tokens cannot grow the journal past the cap" {
	run python3 "$FISH_SRC_DIR/test/helpers/scan.py" "$port" 300
	assert_output '404 x300'
	# A burst of 100 is journaled (and one more every 2 s), the rest only
	# counted.
	recorded=$(refused_records)
	((recorded >= 100 && recorded <= 110)) ||
	    fail "$recorded refused requests journaled"
	assert_equal "$(status_field /not_found)" 300
	assert_equal "$(status_field /refused_unrecorded)" $((300 - recorded))
	run fish status
	assert_line --regexp "^refused: +$((300 - recorded)) over the rate cap or while the disk was full, answered but not journaled\$"
	# Each record is a bounded head: the journal stays small.
	size=$(status_field /journal_bytes)
	((size < 200000)) || fail "journal holds $size bytes"
	# Said in the listener's log once, not once a request.
	run grep -c 'rate cap' "$FISH_HOME/sessions/default/listener.log"
	assert_output 1
	# The hook's own callbacks are not capped.
	post "$hook" '{"ok":1}'
	run fish wait "$hook" --timeout 5
	assert_output '{"ok":1}'
}

@test "a request whose record is too large for the journal is refused 413, and the listener goes on" {
	# No body the listener takes makes one (bodies are at most 64 MiB, a
	# record at most 80): a test build lowers the journal's limit.
	needs_test_hooks
	fish stop
	FISH_TEST_RECORD_MAX=4000 run fish start
	assert_success
	big=$(head -c 5000 /dev/zero | tr '\0' a)
	assert_equal "$(http_post "$hook/big" "{\"b\":\"$big\"}")" 413
	post "$hook" '{"ok":1}'
	run fish wait "$hook" --timeout 5
	assert_output '{"ok":1}'
	run fish log
	assert_success
	assert_line --regexp '  inbox  POST /big  413 refused: body too large$'
	# The refused record's seq is given back: no gap, none reused.
	if [ "${TEST_STORE:-}" != redis ]; then
		run fish log --json
		assert_equal "$(printf '%s\n' "$output" | json_seqs | tr '\n' ' ')" "1 2 "
	fi
}

@test "log shows 410, 413, 414, 431 and 400 refusals with their reasons" {
	gone=$(fish spawn --name gone)
	fish close gone
	assert_equal "$(http_post "$gone/late" '{"n":1}')" 410
	fish stop
	run fish start --max-body 1KiB --max-header 16KiB
	assert_success
	big=$(head -c 10000 /dev/zero | tr '\0' a)
	assert_equal "$(http_post "$hook/big" "{\"b\":\"$big\"}")" 413
	assert_equal "$(http_post "$hook?q=${big}" '{}')" 414
	assert_equal "$(http_post "$hook/h" '{}' -H "X-Big: $big$big")" 431
	assert_equal "$(http_code "$hook/../x" --path-as-is)" 400
	run fish log
	assert_success
	assert_line --regexp '  gone  POST /late  410 refused: this hook is closed$'
	assert_line --regexp '  inbox  POST /big  413 refused: body too large$'
	assert_line --regexp '  inbox  POST /\?q=a+.*  414 refused: request line too long$'
	# MHD refuses a head too large before it is parsed: no method.
	assert_line --regexp '  inbox  - /h  431 refused: headers too large$'
	assert_line --regexp '  inbox  GET /\.\./x  400 refused: bad path$'
	# Only what the hooks received, and nothing queued.
	run fish log gone
	assert_equal "${#lines[@]}" 1
	run fish wait "$hook" --timeout 100ms
	assert_failure 124
	# The bodies were never kept.
	run fish log --json
	refute_output --partial '"body"'
	# And they are still there after a restart.
	fish stop
	run fish log --status 4xx
	assert_equal "${#lines[@]}" 5
}

@test "show prints a refused request's head and says why; replay refuses it" {
	http_post "$base/nosuchtoken" '{"secret":1}' -H 'X-Probe: 1' >/dev/null
	run --separate-stderr fish show "$(nth_seq 1)"
	assert_success
	assert_line --index 0 'POST /nosuchtoken'
	assert_line 'x-probe: 1'
	refute_output --partial secret
	assert_equal "$stderr" "fish: show: message $(nth_seq 1) was refused: 404 no such hook; its body was not read"
	run fish replay "$(nth_seq 1)"
	assert_failure 1
	assert_output --partial 'it was refused and its body was not kept'
}

@test "log shows how held requests were answered, and a hold timeout's 504" {
	short=$(fish spawn --name short --hold --hold-timeout 300ms)
	held=$(fish spawn --name held --hold)
	assert_equal "$(http_post "$short/slow" '{"n":1}')" 504
	http_post "$held/fast" '{"n":2}' >"$BATS_TEST_TMPDIR/code" 3>&- &
	sender=$!
	wait_until 10 fish reply held --status 202 --body accepted
	wait "$sender"
	assert_equal "$(cat "$BATS_TEST_TMPDIR/code")" 202
	run fish log short held
	assert_line --index 0 --regexp '  short  POST /slow  timed out 504  7 B  \{"n":1\}$'
	assert_line --index 1 --regexp '  held  POST /fast  replied 202  7 B  \{"n":2\}$'
	run fish log short held --json
	assert_equal "$(head -n 1 <<<"$output" | fish field /answer/outcome)" "timed out"
	assert_equal "$(tail -n 1 <<<"$output" | fish field /answer/status)" 202
	assert_equal "$(tail -n 1 <<<"$output" | fish field /http_status)" 202
	# The answers are in the journal: a restart keeps them.
	fish stop
	run fish log --status 504
	assert_equal "${#lines[@]}" 1
	assert_output --partial 'timed out 504'
}

@test "tail shows a held request again when it is answered" {
	held=$(fish spawn --name held --hold)
	file=$BATS_TEST_TMPDIR/tail
	start_tail "$file" "$hook"
	http_post "$held" '{"n":1}' >/dev/null 3>&- &
	sender=$!
	wait_until 10 grep -q '  held  POST /  7 B' "$file"
	fish reply held --status 201
	wait "$sender"
	wait_until 10 grep -q '  held  POST /  replied 201' "$file"
	run grep -c 'held' "$file"
	assert_output 2
}

@test "log shows the event a provider names instead of the request line" {
	http_post "$hook/gh" '{"ref":"main"}' -H 'X-GitHub-Event: push' >/dev/null
	http_post "$hook/gl" '{}' -H 'X-Gitlab-Event: Merge Request Hook' >/dev/null
	http_post "$hook/bb" '{}' -H 'X-Event-Key: repo:push' >/dev/null
	http_post "$hook/stripe" '{"object":"event","type":"charge.succeeded"}' >/dev/null
	http_post "$hook/std" '{"type":"invoice.paid"}' -H 'webhook-id: msg_1' >/dev/null
	http_post "$hook/plain" '{"type":"not an event"}' >/dev/null
	run fish log
	assert_line --index 0 --regexp '  inbox  push \(POST\)  14 B'
	assert_line --index 1 --regexp '  inbox  Merge Request Hook \(POST\)'
	assert_line --index 2 --regexp '  inbox  repo:push \(POST\)'
	assert_line --index 3 --regexp '  inbox  charge\.succeeded \(POST\)'
	assert_line --index 4 --regexp '  inbox  invoice\.paid \(POST\)'
	assert_line --index 5 --regexp '  inbox  POST /plain  '
	run fish log --json --limit 1 --event push
	assert_equal "$(fish field /event <<<"$output")" push
}

@test "log --method, --status, --event and --where choose what is shown" {
	http_post "$hook" '{"n":3}' -H 'X-GitHub-Event: push' >/dev/null
	http_post "$hook" '{"n":8}' -H 'X-GitHub-Event: ping' >/dev/null
	http_code "$hook/get" >/dev/null
	http_post "$base/nosuchtoken" '{}' >/dev/null
	run fish log --method GET
	assert_equal "${#lines[@]}" 1
	assert_output --partial 'GET /get'
	run fish log --method 'get|put'
	assert_equal "${#lines[@]}" 1
	run fish log --status 404
	assert_equal "${#lines[@]}" 1
	run fish log --status '>=400'
	assert_equal "${#lines[@]}" 1
	run fish log --status '2xx'
	assert_equal "${#lines[@]}" 3
	run fish log --event 'push|ping'
	assert_equal "${#lines[@]}" 2
	run fish log --event push --where '/n>5'
	assert_equal "${#lines[@]}" 0
	run fish log --where '/n>5'
	assert_equal "${#lines[@]}" 1
	assert_output --partial ping
	run fish log --where '/n<=3' --where header:X-GitHub-Event
	assert_equal "${#lines[@]}" 1
	assert_output --partial push
	# --limit counts what the filters chose.
	run fish log --method POST --status 2xx --limit 1
	assert_equal "${#lines[@]}" 1
	assert_output --partial ping
}

@test "tail --event and --status follow only what matches" {
	file=$BATS_TEST_TMPDIR/tail
	fish tail --event push >"$file" 2>/dev/null 3>&- &
	tail_pid=$!
	wait_until 10 bash -c "curl -s -o /dev/null -H 'X-GitHub-Event: push' -d '{\"p\":1}' '$hook'; [ -s '$file' ]"
	http_post "$hook" '{"q":1}' -H 'X-GitHub-Event: ping' >/dev/null
	http_post "$hook" '{"p":2}' -H 'X-GitHub-Event: push' >/dev/null
	wait_until 10 grep -q '"p":2' "$file"
	refute grep -q ping "$file"
}

@test "log and tail refuse a filter that could never match" {
	run fish log --where '/a~2=1'
	assert_failure 2
	assert_output --partial "filter '/a~2=1' can never match: malformed JSON pointer"
	run fish tail --where 'header:Content Type=x'
	assert_failure 2
	assert_output --partial 'malformed header name'
	run fish log --status 600
	assert_failure 2
	assert_output --partial 'a status is 100 to 599'
	run fish log --where '/n>many'
	assert_failure 2
	assert_output --partial 'a comparison needs a number'
	run fish tail --method 'GE T'
	assert_failure 2
	assert_output --partial 'malformed method'
}

@test "requests to a closed hook are recorded within the hook's own cap" {
	fish close inbox
	for _ in $(seq 30); do
		assert_equal "$(http_post "$hook" '{}')" 410
	done
	# A burst of 20 for one hook (and one more every 6 s).
	recorded=$(refused_records)
	((recorded >= 20 && recorded <= 23)) ||
	    fail "$recorded refused requests journaled"
	assert_equal "$(status_field /refused_unrecorded)" $((30 - recorded))
	run fish log inbox --status 410
	assert_equal "${#lines[@]}" "$recorded"
}
