#!/usr/bin/env bats
# A hostile client (helpers/hostile.py, raw sockets) against a live
# listener: every bad request gets a short proper answer that echoes
# nothing of it, slow and surplus connections are cut, and after each probe
# a normal callback still reaches fish wait.  The limits are fish start
# options, saved with the session and shown by fish status.

bats_require_minimum_version 1.5.0
load helpers/common

setup() {
	common_setup
	hostile=$FISH_SRC_DIR/test/helpers/hostile.py
}

teardown() {
	common_teardown
}

# start_hooks [START_ARG...]: start the listener with the given settings;
# spawn a hook for probes (url, token, port) and one for normal callbacks
# (good), so that what a probe got recorded never hides a callback.
start_hooks() {
	run fish start "$@"
	assert_success
	url=$(fish spawn)
	good=$(fish spawn)
	token=${url##*/}
	port=$(port_of "$url")
}

# probe NAME: send the bad request NAME; print the answer's status code, or
# "closed".
probe() {
	python3 "$hostile" "$port" probe "$1" "$token"
}

# still_serves: a normal callback is answered and reaches fish wait.  It is
# retried for a while: the listener may not yet have seen the probe's
# connections close, and they may be what holds a normal one back.
still_serves() {
	local body="{\"n\":$RANDOM}"

	wait_until 10 posted "$good" "$body"
	run fish wait "$good" --timeout 5
	assert_success
	assert_output "$body"
}

# nothing_recorded: the probe hook has no message queued.
nothing_recorded() {
	run fish wait "$url" --timeout 100ms
	assert_failure 124
}

@test "a body declared over the 25MiB default gets 413 before it is sent" {
	start_hooks
	run probe declared-body
	assert_output 413
	nothing_recorded
	still_serves
}

@test "a chunked body over the limit gets 413 and is not recorded" {
	start_hooks
	run probe chunked-body
	assert_output 413
	nothing_recorded
	still_serves
}

@test "--max-body sets the largest body a hook accepts" {
	start_hooks --max-body 1k
	run http_post "$url" "\"$(head -c 1022 /dev/zero | tr '\0' a)\""
	assert_output 200
	run http_post "$url" "\"$(head -c 1023 /dev/zero | tr '\0' a)\""
	assert_output 413
	run bash -c "head -c 2000 /dev/zero | curl -sS -o /dev/null \
	    -w '%{http_code}' -H 'Transfer-Encoding: chunked' \
	    --data-binary @- '$url'"
	assert_output 413
	# Counted, a chunked body of exactly the limit is still accepted.
	run bash -c "head -c 1024 /dev/zero | tr '\\0' b | curl -sS \
	    -o /dev/null -w '%{http_code}' -H 'Transfer-Encoding: chunked' \
	    --data-binary @- '$url'"
	assert_output 200
	run fish wait "$url" --timeout 1
	assert_success
	assert_equal "${#output}" 1024
	run fish wait "$url" --timeout 1
	assert_success
	assert_equal "$output" "$(head -c 1024 /dev/zero | tr '\0' b)"
	nothing_recorded
	still_serves
}

# start_measured [START_ARG...]: start_hooks, for a test that measures the
# listener's memory.
start_measured() {
	[ "$TEST_VALGRIND" != 1 ] ||
	    skip "under valgrind the listener's memory is valgrind's"
	asan_no_quarantine
	start_hooks "$@"
}

# memory_bounded: of the bodies helper's output (in lines), the listener's
# memory grew by less than 40 MiB while the bodies were held, and by less
# than 48 MiB at its peak: the 16 MiB --max-inflight, its pools, the
# journal's buffer, and what the allocator keeps of the blocks that
# chunked bodies grew out of (64 interleaved buffers doubling: once seen
# at 32.2 MiB).  Uncapped, 64 bodies of 4 MiB took 256 MiB more.  A
# Redis store's peak may be 16 MiB higher: its follower reads this
# listener's own entries back, bodies and all, outside --max-inflight
# (doc/store-redis.md; seen at 48.9 MiB under ASan).
memory_bounded() {
	local before held peak peak_max=49152
	[ "${TEST_STORE:-}" != redis ] || peak_max=65536

	before=$(grep '^rss before ' <<<"$output")
	held=$(grep '^rss held ' <<<"$output")
	peak=$(grep '^rss peak ' <<<"$output")
	before=${before##* } held=${held##* } peak=${peak##* }
	[ $((held - before)) -lt 40960 ] ||
	    fail "bodies in flight took $((held - before)) kB"
	[ $((peak - before)) -lt "$peak_max" ] ||
	    fail "the listener's memory peaked $((peak - before)) kB higher"
}

@test "bodies declared past --max-inflight get 503 with Retry-After at once" {
	start_measured --max-inflight 16MiB
	# 64 connections from one address, each declaring 5 MiB: three fit.
	run python3 "$hostile" "$port" bodies "$token" 64 5242880 \
	    "$(listener_pid)" length
	assert_success
	assert_line --index 0 'refused 61: 503 retry 10 x61'
	# A normal callback still gets through meanwhile.
	assert_line 'normal 200'
	assert_line 'answers 200 x3'
	memory_bounded
	run fish status --json
	assert_equal "$(fish field /inflight_bytes <<<"$output")" 0
	for _ in 1 2 3 4; do
		run fish wait "$url" --timeout 5
		assert_success
	done
	nothing_recorded
	# A body that could never fit is too large, not to be retried.
	run bash -c "head -c 17000000 /dev/zero | curl -sS -o /dev/null \
	    -w '%{http_code}' --data-binary @- '$url'"
	assert_output 413
	still_serves
}

@test "a chunked body that takes bodies in flight past --max-inflight gets 503" {
	start_measured --max-inflight 16MiB
	run python3 "$hostile" "$port" bodies "$token" 64 4194304 \
	    "$(listener_pid)" chunked
	assert_success
	# Dropped as they pass the cap, answered once they end.
	assert_line --index 0 'refused 0: none'
	assert_line --regexp '^answers 200 x[1-9][0-9]* 503 x[1-9][0-9]*$'
	answers=$(grep '^answers ' <<<"$output")
	[[ $answers =~ 200\ x([0-9]+)\ 503\ x([0-9]+) ]]
	assert_equal $((BASH_REMATCH[1] + BASH_REMATCH[2])) 64
	memory_bounded
	run fish status --json
	assert_equal "$(fish field /inflight_bytes <<<"$output")" 0
	still_serves
}

@test "a request with sixty headers is recorded with every one of them" {
	start_hooks
	args=()
	for i in $(seq 60); do
		args+=(-H "X-H$i: v\"$i")
	done
	run http_post "$url" '{"many":1}' "${args[@]}"
	assert_output 200
	run fish wait "$url" --json --timeout 5
	assert_success
	for i in 1 32 33 60; do
		assert_equal "$(fish field "/headers/x-h$i" <<<"$output")" "v\"$i"
	done
	assert_equal "$(fish field /body <<<"$output")" '{"many":1}'
}

@test "a 200 kB header gets 431" {
	start_hooks
	run probe header
	assert_output 431
	nothing_recorded
	still_serves
}

@test "--max-header sets the largest request head a hook accepts" {
	start_hooks --max-header 16KiB
	big=$(head -c 20000 /dev/zero | tr '\0' a)
	run http_post "$url" '{"big":1}' -H "X-Big: $big"
	assert_output 431
	run http_post "$url?q=$big" '{"big":2}'
	assert_output 414
	nothing_recorded
	run http_post "$url" '{"small":1}' -H "X-Small: ${big:0:4000}"
	assert_output 200
	run fish wait "$url" --timeout 1
	assert_success
	assert_output '{"small":1}'
	# The request line may take half of it, each query parameter
	# counting 64 bytes besides its text.
	run http_post "$url/${big:0:7000}" '{"line":1}'
	assert_output 200
	run http_post "$url/${big:0:9000}" '{"line":2}'
	assert_output 414
	run http_post "$url?$(seq -s '&' 100)" '{"line":3}'
	assert_output 200
	run http_post "$url?$(seq -s '&' 130)" '{"line":4}'
	assert_output 414
	run fish wait "$url" --count 2 --timeout 1
	assert_success
	assert_output $'{"line":1}\n{"line":3}'
	still_serves
}

@test "a body with both chunked encoding and Content-Length gets 400" {
	start_hooks
	run probe chunked-and-length
	assert_output 400
	run probe two-lengths
	assert_output 400
	nothing_recorded
	still_serves
}

@test "a refused body is never read as the connection's next request" {
	start_hooks
	run probe smuggle-413
	assert_output '413 closed'
	run probe smuggle-400
	assert_output '400 closed'
	nothing_recorded
	still_serves
}

@test "a body in any encoding but plain chunked gets 400" {
	start_hooks
	run probe gzip-chunked
	assert_output 400
	run probe identity
	assert_output 400
	nothing_recorded
	still_serves
}

@test "whitespace before a header's colon gets 400 and closes the connection" {
	start_hooks
	# MHD would take neither as framing: the body was the next request.
	run probe space-colon
	assert_output '400 closed'
	run probe space-colon-te
	assert_output '400 closed'
	nothing_recorded
	still_serves
}

@test "a folded header gets 400 wherever it is, and closes the connection" {
	start_hooks
	run probe fold-te
	assert_output '400 closed'
	run probe fold-blank
	assert_output '400 closed'
	run probe fold-other
	assert_output '400 closed'
	# Whitespace before the first field (RFC 9112, 2.2).
	run probe leading-space
	assert_output '400 closed'
	nothing_recorded
	still_serves
}

@test "a header name outside RFC 9110's token characters gets 400" {
	start_hooks
	run probe bad-name
	assert_output '400 closed'
	run probe space-name
	assert_output '400 closed'
	run probe high-bit-name
	assert_output '400 closed'
	run probe paren-name
	assert_output '400 closed'
	nothing_recorded
	still_serves
}

@test "a header name of every token character is taken and recorded" {
	local name="!#\$%&'*+-.^_\`|~AZaz09"
	start_hooks
	run http_post "$url" '{}' -H "$name: v"
	assert_output 200
	run fish wait "$url" --headers --timeout 5
	assert_success
	# Recorded as every name is, in lower case.
	assert_line "${name,,}: v"
}

@test "a URL with 1,000 query parameters gets 414, not a dropped connection" {
	start_hooks
	run probe many-parameters
	assert_output 414
	run curl -sS --max-time 10 "$url/q?$(seq -s '&' 1000)"
	assert_output 'request line too long'
	nothing_recorded
	# 100 fit in the default --max-header, and are recorded whole.
	run probe some-parameters
	assert_output 200
	run fish wait "$url" --json --timeout 5
	assert_success
	query=$(fish field /query <<<"$output")
	assert_equal "${query%%&*}" p0=0
	assert_equal "${query##*&}" p99=99
	still_serves
}

@test "only /TOKEN paths reach hooks: others get 404, dot segments 400" {
	start_hooks
	run probe dotdot-before
	assert_output 404
	run probe encoded-slash
	assert_output 404
	run probe encoded-token
	assert_output 404
	run probe absolute-uri
	assert_output 404
	run probe dotdot-below
	assert_output 400
	run probe encoded-dotdot
	assert_output 400
	nothing_recorded
	still_serves
}

@test "the HTTP library's complaints are logged at most 20 a minute" {
	start_hooks
	# Each of these makes libmicrohttpd log two lines.
	for _ in $(seq 15); do
		run probe signed-length
		assert_output 400
	done
	run grep -c ' http: ' "$FISH_HOME/sessions/default/listener.log"
	assert_output 20
	still_serves
}

@test "a 5,000-byte token gets 404" {
	start_hooks
	run probe long-token
	assert_output 404
	still_serves
}

@test "NUL bytes in the path or a header do not harm the listener" {
	start_hooks
	# MHD 0.9.75 ends a line at a NUL: what comes before it is the request.
	run probe nul-path
	assert_output --regexp '^(200|400|404)$'
	run probe nul-header
	assert_output --regexp '^(200|400)$'
	still_serves
}

@test "control characters in the method or path get 400" {
	start_hooks
	run probe escape-method
	assert_output 400
	run probe escape-path
	assert_output 400
	nothing_recorded
	still_serves
}

@test "binary garbage gets 400 or a closed connection" {
	start_hooks
	run probe garbage
	assert_output --regexp '^(400|closed)$'
	run probe garbage
	assert_output --regexp '^(400|closed)$'
	still_serves
}

@test "answers to bad requests echo nothing of them" {
	start_hooks
	other=abcdefghijklmnopqrstuvwxyz234567
	run curl -sS --max-time 10 "http://127.0.0.1:$port/$other/secret"
	assert_output 'no such hook'
	run curl -sS --max-time 10 --path-as-is "$url/../$token"
	assert_output 'bad path'
	run curl -sS --max-time 10 -H 'Content-Length: 99999999999' \
	    -d "$token" "$url"
	assert_output 'body too large'
	run curl -sS --max-time 10 -H "X-Big: $(head -c 100000 /dev/zero |
	    tr '\0' a)$token" "$url"
	refute_output --partial "$token"
	refute_output --partial aaaa
	fish close "$url"
	run curl -sS --max-time 10 "$url"
	assert_output 'this hook is closed'
}

@test "300 slow connections are cut after the idle timeout; others are served" {
	start_hooks --idle-timeout 3s
	# From ten addresses, under the per-address cap: only time cuts them
	# (MHD's own timer never would: each byte restarts it).
	run python3 "$hostile" "$port" slow "$token" 300 10 30
	assert_success
	assert_line --index 0 --regexp '^normal 200 [0-9]+$'
	assert_line --index 1 'cut 300 of 300'
	assert_line --index 2 --regexp '^first cut after [0-9]+\.[0-9] s$'
	# Cut by the deadline, not before it; the normal request was served
	# while the slow ones still held their connections.
	cut=${lines[2]#first cut after }
	cut=${cut% s}
	# Printed rounded to a tenth: at least 2.95 s is at least "3.0".
	cut_ms=$((10#${cut%.*} * 1000 + 10#${cut#*.} * 100))
	[ "$cut_ms" -ge 3000 ] || fail "${lines[2]}"
	normal_ms=${lines[0]##* }
	[ "$normal_ms" -lt "$cut_ms" ] ||
	    fail "the normal request was answered after $normal_ms ms"
	# The normal request was recorded, nothing of the slow ones.
	run fish wait "$url" --timeout 5
	assert_output hello
	nothing_recorded
	still_serves
}

@test "silent and idle keep-alive connections are cut after the idle timeout" {
	start_hooks --idle-timeout 1s
	run python3 "$hostile" "$port" idle "$token"
	assert_success
	# Cut, not left open until the helper gives up after 30 s; how late
	# the cut comes depends on how busy the machine is.
	assert_line --index 0 --regexp '^silent closed after ([1-9]|1[0-9])\.[0-9] s$'
	assert_line --index 1 'answered 200'
	# Timed from when the helper got the answer: later than the listener
	# sent it, by as long as a busy machine kept the helper waiting.
	assert_line --index 2 --regexp '^kept alive, closed after (0\.[5-9]|[1-9]\.[0-9]|1[0-9]\.[0-9]) s$'
	still_serves
}

@test "a held request is not cut by the idle timeout" {
	start_hooks --idle-timeout 500ms
	held=$(fish spawn --hold)
	curl -sS --max-time 10 -d please "$held" >"$BATS_TEST_TMPDIR/out" 3>&- &
	sender=$!
	run fish wait "$held" --json --timeout 5
	assert_success
	seq=$(fish field /seq <<<"$output")
	# Let twice the idle timeout pass while the request is ours to answer.
	run fish wait "$url" --timeout 1s
	assert_failure 124
	run fish reply "$seq" --body done
	assert_success
	wait "$sender"
	run cat "$BATS_TEST_TMPDIR/out"
	assert_output done
}

@test "a flood from one address beyond the per-address cap is refused" {
	start_hooks --max-per-ip 10
	run python3 "$hostile" "$port" flood "$token" 30 10 10
	assert_success
	assert_line --index 0 'open 10'
	# Another address is served while the flood holds its share.
	assert_line --index 1 'other 200'
	still_serves
}

@test "600 idle connections do not hold a callback up" {
	start_hooks
	# Over ten addresses, under the per-address cap, past the 512
	# connections allowed: once they came near it, the listener cut the
	# ones that had sent nothing, oldest first, to keep room.  Before, the
	# callback waited in the kernel's queue for the 10 s idle timeout.
	run python3 "$hostile" "$port" idlers "$token" 600 10
	assert_success
	assert_line --index 0 --regexp '^normal 200 [0-9]+$'
	normal_ms=${lines[0]##* }
	[ "$normal_ms" -lt 4000 ] ||
	    fail "the callback was answered after $normal_ms ms"
	assert_line --index 1 --regexp '^cut [0-9]+ of 600, oldest first$'
	run fish wait "$url" --timeout 5
	assert_output hello
	still_serves
}

@test "idle connections make room near --max-connections, oldest first" {
	start_hooks --max-connections 20 --max-per-ip 100
	# An eighth of the cap is kept free: each connection accepted past 17
	# cuts the one idle the longest, so the last 17 stay open.
	run python3 "$hostile" "$port" flood "$token" 40 17
	assert_success
	assert_line --index 0 'open 17'
	assert_line --index 1 'other 200'
	still_serves
}

@test "requests under way are never cut to make room: new ones wait" {
	start_hooks --max-connections 20 --max-per-ip 100
	held=$(fish spawn --hold --hold-timeout 20s)
	senders=()
	for i in $(seq 20); do
		curl -sS -o /dev/null --max-time 30 -d "$i" "$held" 3>&- &
		senders+=($!)
	done
	# All 20 are held open, each with a request under way.
	run fish wait "$held" --count 20 --timeout 10
	assert_success
	# So the next connection is not accepted: it waits in the kernel's
	# queue, neither served nor closed.
	run python3 "$hostile" "$port" flood "$token" 0 0 2
	assert_success
	assert_line --index 1 'other waiting'
	# Answered, they make room.
	for i in $(seq 20); do
		fish reply "$held" --body done
	done
	wait "${senders[@]}"
	still_serves
}

@test "with few open files allowed, the listener serves what fits" {
	[ "$TEST_VALGRIND" != 1 ] ||
	    skip "valgrind keeps open files of its own in the listener's process"
	run bash -c 'ulimit -n 200 &&
	    fish start --max-connections 1000 --max-per-ip 1000'
	assert_success
	start_hooks
	# 64 of the 200 are kept for the journal, control clients and sends.
	run grep -c 'serving at most 136 connections, not 1000' \
	    "$FISH_HOME/sessions/default/listener.log"
	assert_output 1
	run python3 "$hostile" "$port" flood "$token" 300
	assert_success
	still_serves
}

@test "fish status shows the default limits" {
	start_hooks
	run fish status
	assert_line --regexp '^limits: +body 25MiB, header 16KiB, idle 10s, 512 connections, 64 per address, 256MiB in flight$'
	run fish status --json
	assert_equal "$(fish field /max_body <<<"$output")" 25MiB
	assert_equal "$(fish field /idle_timeout <<<"$output")" 10s
	assert_equal "$(fish field /max_connections <<<"$output")" 512
	assert_equal "$(fish field /max_per_ip <<<"$output")" 64
	assert_equal "$(fish field /max_header <<<"$output")" 16KiB
	assert_equal "$(fish field /max_inflight <<<"$output")" 256MiB
	assert_equal "$(fish field /inflight_bytes <<<"$output")" 0
	assert_equal "$(fish field /rejected_unrecorded <<<"$output")" 0
}

@test "limits are saved with the session and kept by later starts" {
	start_hooks --max-body 512k --idle-timeout 2.5s --max-connections 100 \
	    --max-per-ip 5 --max-header 32k --max-inflight 64m
	run fish status
	assert_line --regexp '^limits: +body 512KiB, header 32KiB, idle 2.5s, 100 connections, 5 per address, 64MiB in flight$'
	# Asking again for the same is fine; for others is not.
	run fish start --max-body 524288
	assert_success
	run --separate-stderr fish start --max-per-ip 6
	assert_failure 1
	[[ $stderr == *"already running with other settings"* ]]
	fish stop
	# Any command starts it again, with the saved limits.
	run fish ls
	assert_success
	run fish status --json
	assert_equal "$(fish field /max_body <<<"$output")" 512KiB
	assert_equal "$(fish field /idle_timeout <<<"$output")" 2.5s
	assert_equal "$(fish field /max_connections <<<"$output")" 100
	assert_equal "$(fish field /max_per_ip <<<"$output")" 5
	assert_equal "$(fish field /max_header <<<"$output")" 32KiB
	assert_equal "$(fish field /max_inflight <<<"$output")" 64MiB
	# And enforced: a 40 kB header no longer fits.
	url=$(fish spawn)
	run http_post "$url" '{}' -H "X-Big: $(head -c 40000 /dev/zero | tr '\0' a)"
	assert_output 431
}

@test "fish start refuses bad limits with a usage error" {
	for bad in '--max-body 2T' '--max-body -1' '--max-body 65MiB' \
	    '--idle-timeout 0' '--idle-timeout soon' '--max-connections 0' \
	    '--max-connections 100000' '--max-per-ip abc' '--max-per-ip=' \
	    '--max-header lots' '--max-header 8k' '--max-header 2M' \
	    '--max-inflight 1000k' '--max-inflight 65G' '--max-inflight x'; do
		# shellcheck disable=SC2086
		run --separate-stderr fish start $bad
		assert_failure 2
		# One line says what is wrong; the usage line follows.
		assert_equal "${#stderr_lines[@]}" 2
		[[ ${stderr_lines[1]} == "usage: fish start "* ]] ||
		    fail "$bad: ${stderr_lines[1]}"
		[[ ${stderr_lines[0]} == "fish start: ${bad%%[ =]*}: "* ]] ||
		    fail "$bad: ${stderr_lines[0]}"
	done
	run fish status
	assert_failure 3
}

@test "a bad limit saved in the session's config stops the listener starting" {
	start_hooks --max-per-ip 5
	fish stop
	config=$FISH_HOME/sessions/default/config.json
	sed -i 's/"max_per_ip": *"5"/"max_per_ip":"many"/' "$config"
	grep -q '"max_per_ip":"many"' "$config"
	run --separate-stderr fish ls
	assert_failure 3
	# The listener names its files relative to its session directory.
	[[ $stderr == *"session 'default': --max-per-ip: invalid number 'many', saved in config.json"* ]] ||
	    fail "$stderr"
	# Given again, it replaces the bad one.
	run fish start --max-per-ip 6
	assert_success
	run fish status --json
	assert_equal "$(fish field /max_per_ip <<<"$output")" 6
}

@test "fish start --help lists the limits" {
	run fish start --help
	assert_success
	assert_output --partial '--max-body SIZE'
	assert_output --partial '--idle-timeout D'
	assert_output --partial '--max-connections N'
	assert_output --partial '--max-per-ip N'
	assert_output --partial '--max-header SIZE'
	assert_output --partial '--max-inflight SIZE'
}
