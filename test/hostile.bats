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
	port=${url##*:}
	port=${port%%/*}
}

# probe NAME: send the bad request NAME; print the answer's status code, or
# "closed".
probe() {
	python3 "$hostile" "$port" probe "$1" "$token"
}

# posted URL BODY: succeed if POSTing BODY to URL is answered 200.
posted() {
	[ "$(http_post "$1" "$2" 2>/dev/null)" = 200 ]
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

@test "connections beyond --max-connections wait until one closes" {
	start_hooks --max-connections 20 --max-per-ip 100
	run python3 "$hostile" "$port" flood "$token" 40
	assert_success
	# The surplus is not accepted (it waits in the kernel's queue), so it
	# is neither served nor closed, whatever its address.
	assert_line --index 0 'open 40'
	assert_line --index 1 'other waiting'
	still_serves
}

@test "with few open files allowed, the listener serves what fits" {
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
	assert_line --regexp '^limits: +body 25MiB, header 64KiB, idle 10s, 512 connections, 64 per address$'
	run fish status --json
	assert_equal "$(fish field /max_body <<<"$output")" 25MiB
	assert_equal "$(fish field /idle_timeout <<<"$output")" 10s
	assert_equal "$(fish field /max_connections <<<"$output")" 512
	assert_equal "$(fish field /max_per_ip <<<"$output")" 64
	assert_equal "$(fish field /max_header <<<"$output")" 64KiB
}

@test "limits are saved with the session and kept by later starts" {
	start_hooks --max-body 512k --idle-timeout 2.5s --max-connections 100 \
	    --max-per-ip 5 --max-header 32k
	run fish status
	assert_line --regexp '^limits: +body 512KiB, header 32KiB, idle 2.5s, 100 connections, 5 per address$'
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
	# And enforced: a 40 kB header no longer fits.
	url=$(fish spawn)
	run http_post "$url" '{}' -H "X-Big: $(head -c 40000 /dev/zero | tr '\0' a)"
	assert_output 431
}

@test "fish start refuses bad limits with a usage error" {
	for bad in '--max-body 2T' '--max-body -1' '--max-body 2GiB' \
	    '--idle-timeout 0' '--idle-timeout soon' '--max-connections 0' \
	    '--max-connections 100000' '--max-per-ip abc' '--max-per-ip=' \
	    '--max-header lots' '--max-header 8k' '--max-header 2M'; do
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
}
