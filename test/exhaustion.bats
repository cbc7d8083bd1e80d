#!/usr/bin/env bats
# Senders that take what the listener has little of (helpers/exhaust.py):
# its open files under a low limit, its connection slots, the memory a
# head promises and never uses, the disk.  Whatever they take, nothing is
# answered 200 that is not on disk, nothing acknowledged is lost, and the
# listener serves again once they let go.  Forwards (--forward-to) take
# a file for their socket to the app (helpers/app.py) besides their
# sender's connection, and sends take one too, from one budget.

bats_require_minimum_version 1.5.0
load helpers/common
load helpers/app

setup() {
	common_setup
	exhaust=$FISH_SRC_DIR/test/helpers/exhaust.py
	log=$FISH_HOME/sessions/default/listener.log
	sock=$FISH_HOME/sessions/default/control.sock
	go=$BATS_TEST_TMPDIR/go
	mnt=""
}

teardown() {
	local bad=0
	# Let go of whatever a helper still holds.
	touch "$go"
	kill_and_wait "${holder-}" "${sender-}" ${senders[@]+"${senders[@]}"}
	stop_app
	common_teardown || bad=1
	unmount_tmpfs
	[ "$bad" -eq 0 ]
}

# no_valgrind: skip a test that counts the listener's open files under
# valgrind, which keeps files of its own in the listener's process.
no_valgrind() {
	[ "$TEST_VALGRIND" != 1 ] ||
	    skip "valgrind keeps open files of its own in the listener's process"
}

# spawn_hook: spawn a hook (url, token, port) on the listener (pid).
spawn_hook() {
	url=$(fish spawn)
	token=${url##*/}
	port=$(port_of "$url")
	pid=$(listener_pid)
}

# start_low_files [START_ARG...]: start the listener allowed 64 open
# files (soft and hard: it cannot raise them), and spawn_hook.
start_low_files() {
	no_valgrind
	run bash -c "ulimit -n 64 && fish start $*"
	assert_success
	spawn_hook
}

# take_files: lower the running listener's limit of open files to what
# it has open and four more, and have control clients that send nothing
# take those four (holder, until $go exists).  Its files are taken by
# other uses than hooks' connections, as sends and forwards may too.
take_files() {
	local n

	command -v prlimit >/dev/null || skip "needs prlimit (util-linux)"
	n=$(find "/proc/$pid/fd" -mindepth 1 | wc -l)
	prlimit --pid "$pid" --nofile=$((n + 4)):$((n + 4))
	python3 "$exhaust" control "$sock" 20 "$go" \
	    >"$BATS_TEST_TMPDIR/held" 3>&- &
	holder=$!
	wait_until 10 files_open "$pid" $((n + 4))
}

# files_open PID N: PID has at least N files open.
files_open() {
	[ "$(find "/proc/$1/fd" -mindepth 1 | wc -l)" -ge "$2" ]
}

# cpu_ms PID: print the CPU time PID has used, in milliseconds.
cpu_ms() {
	local ticks

	ticks=$(awk '{ print $14 + $15 }' "/proc/$1/stat")
	echo $((ticks * 1000 / $(getconf CLK_TCK)))
}

# forward_gated N: spawn a hook (hook) forwarding to the app started with
# start_app "$go", and post N callbacks "1" to "N" to its /gate at once
# (senders), each recording its answer's status in code-I and head in
# head-I; return once each is answered or waits at the app.
forward_gated() {
	local i

	hook=$(fish spawn --forward-to "$app_url")
	senders=()
	for ((i = 1; i <= $1; i++)); do
		curl -sS -o /dev/null -D "$BATS_TEST_TMPDIR/head-$i" \
		    -w '%{http_code}' --max-time 30 -d "\"$i\"" "$hook/gate" \
		    >"$BATS_TEST_TMPDIR/code-$i" 2>&1 3>&- &
		senders+=($!)
	done
	wait_until 20 answered_or_held "$1"
}

# answered_or_held N: N callbacks in all were answered or wait at the app.
answered_or_held() {
	local answered held

	answered=$(find "$BATS_TEST_TMPDIR" -name 'code-*' -size +0 | wc -l)
	held=$(cat "$go.held" 2>/dev/null | wc -l)
	[ $((answered + held)) -ge "$1" ]
}

# rolled URL: post a callback to URL; succeed once the journal has more
# than one segment.
rolled() {
	post "$1" '"more"' &&
	    [ "$(status_field /journal_segments)" -gt 1 ]
}

# inflight_is BYTES: fish status says BYTES of bodies are in flight.
inflight_is() {
	[ "$(status_field /inflight_bytes)" = "$1" ]
}

@test "out of open files with no connection open, the listener idles instead of spinning, and serves once files are free" {
	local before after start elapsed used
	no_valgrind
	run fish start
	assert_success
	spawn_hook
	take_files
	# A callback comes: accept(2) fails, and no connection is open whose
	# end would make it try again.
	curl -sS -o /dev/null -w '%{http_code}' --max-time 30 -d hello \
	    "$url" >"$BATS_TEST_TMPDIR/code" 2>&1 3>&- &
	sender=$!
	wait_until 10 grep -q 'resource limit at FIRST connection' "$log"
	# A second of it, measured: MHD retried accept(2) at once, for as
	# long as the files were taken, and took a whole CPU.
	before=$(cpu_ms "$pid")
	start=$(now_ms)
	wait_until 5 since "$start" 1000
	after=$(cpu_ms "$pid")
	elapsed=$(($(now_ms) - start))
	used=$((after - before))
	[ $((used * 4)) -lt "$elapsed" ] ||
	    fail "the listener used $used ms of CPU in $elapsed ms"
	# The clients leave: the callback is served, with no restart.
	touch "$go"
	wait "$holder"
	holder=""
	wait "$sender"
	sender=""
	run cat "$BATS_TEST_TMPDIR/code"
	assert_output 200
	run fish wait "$url" --timeout 5
	assert_success
	assert_output hello
	assert_equal "$(listener_pid)" "$pid"
}

@test "with 64 open files, more waits than files still get their callbacks" {
	local i hooks=() waiters=() senders=()
	start_low_files
	for ((i = 0; i < 60; i++)); do
		hooks+=("$(fish spawn)")
	done
	for ((i = 0; i < 60; i++)); do
		fish wait "${hooks[i]}" --timeout 15 \
		    >"$BATS_TEST_TMPDIR/wait-$i" 2>&1 3>&- &
		waiters+=($!)
	done
	# The listener takes no more clients: out of files, or at its cap.
	wait_until 10 grep -Eq 'cannot accept clients|clients connected;' \
	    "$log"
	# The callbacks the waits wait for come now.
	for ((i = 0; i < 60; i++)); do
		curl -sS -o /dev/null --max-time 20 -d "\"$i\"" \
		    "${hooks[i]}" 3>&- &
		senders+=($!)
	done
	for ((i = 0; i < 60; i++)); do
		wait "${waiters[i]}" ||
		    fail "wait $i: $(cat "$BATS_TEST_TMPDIR/wait-$i")"
		assert_equal "$(cat "$BATS_TEST_TMPDIR/wait-$i")" "\"$i\""
	done
	wait "${senders[@]}"
	assert_equal "$(listener_pid)" "$pid"
}

@test "out of open files, callbacks on an open connection are journaled past the segment that cannot roll, and survive a SIGKILL" {
	local i got
	no_valgrind
	run fish start
	assert_success
	spawn_hook
	# A sender's connection is open before the files run out.
	python3 "$exhaust" keepalive "$port" "$token" 40 10000 "$go.post" \
	    >"$BATS_TEST_TMPDIR/posts" 3>&- &
	sender=$!
	wait_until 10 grep -q '^connected 200$' "$BATS_TEST_TMPDIR/posts"
	take_files
	# 400 kB, past the first segment's 256 kB: the next cannot be
	# opened, and the records go on in the one open.
	touch "$go.post"
	wait "$sender"
	sender=""
	run cat "$BATS_TEST_TMPDIR/posts"
	assert_line '200 x40'
	run grep 'cannot prepare journal segment' "$log"
	assert_success
	assert_output --partial 'Too many open files; appends go on'
	touch "$go"
	wait "$holder"
	holder=""
	# Files free again, the journal rolls at the next callbacks.
	wait_until 10 rolled "$url"
	kill_listener
	run fish wait "$url" --timeout 5
	assert_output first
	for ((i = 1; i <= 40; i++)); do
		got=$(fish wait "$url" --timeout 5)
		assert_equal "${got%% *}" "$i"
	done
}

@test "with 64 open files, connections holding every slot leave spawn and wait working, and are cut in time" {
	local good
	start_low_files --idle-timeout 3s --max-per-ip 1000
	# Each promises a body and sends none: a request under way, never cut
	# to make room.  64 files leave room for 32 connections.
	python3 "$exhaust" connections "$port" 60 "$go" "$token" \
	    >"$BATS_TEST_TMPDIR/held" 3>&- &
	holder=$!
	wait_until 10 grep -q '^opened 60$' "$BATS_TEST_TMPDIR/held"
	# The control socket still has files to serve with.
	good=$(fish spawn)
	run fish status --json
	assert_success
	run fish wait "$good" --timeout 200ms
	assert_failure 124
	# Cut after the idle timeout, they make room: a callback is served.
	wait_until 20 posted "$good" '"after"'
	run fish wait "$good" --timeout 5
	assert_success
	assert_output '"after"'
	assert_equal "$(listener_pid)" "$pid"
}

@test "a body promised by Content-Length and never sent is cut at the idle timeout, and frees its share of --max-inflight" {
	local good
	run fish start --idle-timeout 2s --max-inflight 1MiB
	assert_success
	spawn_hook
	good=$(fish spawn)
	python3 "$exhaust" promise "$port" "$token" 1048576 \
	    >"$BATS_TEST_TMPDIR/promise" 3>&- &
	holder=$!
	# It holds all of --max-inflight: another body gets 503 meanwhile.
	wait_until 5 inflight_is 1048576
	run http_post "$good" '"meanwhile"'
	assert_output 503
	wait "$holder"
	holder=""
	run cat "$BATS_TEST_TMPDIR/promise"
	assert_line --index 0 sent
	assert_line --regexp '^closed after ([2-9]|1[0-9])\.[0-9] s$'
	refute_line --partial answered
	# Its share is free again, and nothing of it was recorded.
	wait_until 5 inflight_is 0
	run http_post "$good" '"after"'
	assert_output 200
	run fish wait "$good" --timeout 5
	assert_output '"after"'
	run fish wait "$url" --timeout 100ms
	assert_failure 124
}

@test "Expect: 100-continue with a body past --max-body or --max-inflight is refused before the body, never told to continue" {
	run fish start --max-body 1MiB --max-inflight 1MiB
	assert_success
	spawn_hook
	run python3 "$exhaust" expect "$port" "$token" $((2 << 20))
	assert_output 413
	# Another body holds most of --max-inflight.
	python3 "$exhaust" promise "$port" "$token" 600000 \
	    >"$BATS_TEST_TMPDIR/promise" 3>&- &
	holder=$!
	wait_until 5 inflight_is 600000
	run python3 "$exhaust" expect "$port" "$token" 600000
	assert_output 503
	kill_and_wait "$holder"
	holder=""
	run fish wait "$url" --timeout 100ms
	assert_failure 124
	run http_post "$url" '"small"'
	assert_output 200
}

# disk_sender K URL: post bodies "K-I" (padded to 20 kB) to URL, one after
# another, until one is not answered 200 or 100 are; record each I
# answered 200 in acked-K, and the first other answer in refused-K.
disk_sender() {
	local k=$1 url=$2 i code pad

	pad=$(head -c 20000 /dev/zero | tr '\0' x)
	for ((i = 1; i <= 100; i++)); do
		code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 \
		    --data-binary "$k-$i $pad" "$url" || true)
		if [ "$code" != 200 ]; then
			echo "$code" >"$BATS_TEST_TMPDIR/refused-$k"
			return
		fi
		echo "$k-$i" >>"$BATS_TEST_TMPDIR/acked-$k"
	done
}

@test "callbacks racing into a full disk get 200 only once on disk, and every one survives a SIGKILL once there is room" {
	journal_only "it fills the disk under the journal's own files"
	local url pid k got senders=()
	mount_tmpfs 2m
	url=$(fish spawn --name h)
	pid=$(listener_pid)
	# Leave the journal some 600 kB.
	leave_free 600
	for k in 1 2 3 4; do
		disk_sender "$k" "$url" 3>&- &
		senders+=($!)
	done
	wait "${senders[@]}"
	cat "$BATS_TEST_TMPDIR"/acked-* | sort >"$BATS_TEST_TMPDIR/acked"
	# The disk filled before the senders were done, and none was told
	# 200 for what could not be written: each was told 503, with the
	# listener still up.
	for k in 1 2 3 4; do
		[ -e "$BATS_TEST_TMPDIR/refused-$k" ] ||
		    fail "sender $k was never refused"
		[ "$(cat "$BATS_TEST_TMPDIR/refused-$k")" = 503 ] ||
		    fail "sender $k was answered $(cat "$BATS_TEST_TMPDIR/refused-$k")"
	done
	alive "$pid"
	[ -s "$BATS_TEST_TMPDIR/acked" ] || fail "nothing was acknowledged"
	# A crash on top of it, then room again.
	kill_and_wait -KILL "$pid"
	rm -f "$mnt/filler"
	: >"$BATS_TEST_TMPDIR/got"
	while got=$(fish wait h --timeout 2); do
		echo "${got%% *}" >>"$BATS_TEST_TMPDIR/got"
	done
	sort -o "$BATS_TEST_TMPDIR/got" "$BATS_TEST_TMPDIR/got"
	# Every one acknowledged is there (others, written but not answered
	# 200 in time, may be too).
	run comm -23 "$BATS_TEST_TMPDIR/acked" "$BATS_TEST_TMPDIR/got"
	assert_output ""
	# And the listener takes callbacks again.
	run http_post "$url" '"after"'
	assert_output 200
}

@test "with 64 open files, concurrent forwarded callbacks get the app's answer or 503 with only its refusal journaled, never 502" {
	local i code forwarded=0 refused=0
	start_low_files
	start_app "$go"
	# The log says how the 64 files are shared out.
	run grep -c 'files may be open (4 for control clients, 4 for outbound' \
	    "$log"
	assert_output 1
	# More at once than there are files for sockets to the app.
	forward_gated 40
	[ "$(wc -l <"$go.held")" -lt 40 ] || fail "no callback was refused"
	touch "$go"
	wait "${senders[@]}"
	senders=()
	: >"$BATS_TEST_TMPDIR/expected"
	for ((i = 1; i <= 40; i++)); do
		code=$(cat "$BATS_TEST_TMPDIR/code-$i")
		case $code in
		201)
			forwarded=$((forwarded + 1))
			echo "\"$i\"" >>"$BATS_TEST_TMPDIR/expected" ;;
		503)
			refused=$((refused + 1))
			grep -qi '^retry-after: 1' "$BATS_TEST_TMPDIR/head-$i" ||
			    fail "503 $i has no Retry-After" ;;
		*)
			fail "callback $i got $code" ;;
		esac
	done
	[ "$forwarded" -gt 0 ] && [ "$refused" -gt 0 ] ||
	    fail "$forwarded forwarded, $refused refused"
	# Recorded are exactly those the app answered.
	run fish wait "$hook" --drain
	assert_success
	assert_equal "$(sort <<<"$output")" \
	    "$(sort "$BATS_TEST_TMPDIR/expected")"
	run grep 'Too many open files' "$log"
	assert_failure
	# Files free again, the next callback is forwarded.
	run curl -sS -o /dev/null -w '%{http_code}' -d '"after"' "$hook/x"
	assert_output 201
	assert_equal "$(listener_pid)" "$pid"
}

@test "with 64 open files all taken by forwards, a send waits for one within its --timeout, and says so when none comes" {
	local out=$BATS_TEST_TMPDIR/late
	start_low_files
	start_app "$go"
	forward_gated 20
	# No file comes within a second: it never leaves.
	run -3 --separate-stderr fish send "$app_url/early" --data early \
	    --timeout 1s
	assert_equal "$stderr" "fish: send: POST $app_url/early: no file free \
for the request within its timeout (the listener's 4 for outbound requests \
were all in use); it did not leave"
	# Another waits, and leaves once the forwards are done.
	fish send "$app_url/late" --data late --timeout 20s >"$out" 2>&1 3>&- &
	sender=$!
	touch "$go"
	wait "${senders[@]}"
	senders=()
	wait "$sender"
	sender=""
	run cat "$out"
	assert_output 'POST /late X-Test=None late'
	run fish log
	refute_output --partial /early
	assert_output --regexp 'POST http://127\.0\.0\.1:[0-9]+/late  201'
}

# logged TEXT: fish log shows TEXT (for wait_until).
logged() {
	fish log 2>/dev/null | grep -q -- "$1"
}

@test "a retry that finds no file free reports the attempt before it, which left and was answered" {
	local out=$BATS_TEST_TMPDIR/busy rc=0
	start_low_files
	start_app "$go"
	# Attempt 1 leaves and is answered 503 with Retry-After: 3.
	fish send "$app_url/busy" --data busy --retry 1 --timeout 1s \
	    >"$out.body" 2>"$out" 3>&- &
	sender=$!
	wait_until 10 logged "/busy  503"
	# Forwards take every file before attempt 2 is due.
	forward_gated 20
	wait "$sender" || rc=$?
	sender=""
	touch "$go"
	assert_equal "$rc" 1
	# Its answer is printed, as a send without retries would have.
	run cat "$out.body"
	assert_output 'POST /busy X-Test=None busy'
	run cat "$out"
	assert_output "fish: send: POST $app_url/busy: got 503, expected 2xx \
(after 1 attempt)
fish: send: POST $app_url/busy: no file free for attempt 2 within its \
timeout (the listener's 4 for outbound requests were all in use), so it \
was not made"
	# Attempt 1 is journaled, and no other.
	run fish log
	assert_equal "$(grep -c /busy <<<"$output")" 1
}

# forwarded URL: a callback posted to URL gets the app's 201.
forwarded() {
	[ "$(curl -sS -o /dev/null -w '%{http_code}' -d '"real"' "$1")" = 201 ]
}

@test "with 64 open files, bodies past --max-body to a forwarding hook give back their file at once, so real callbacks are forwarded" {
	local over=$BATS_TEST_TMPDIR/over
	start_low_files --max-body 64KiB --idle-timeout 60s
	start_app "$go"
	hook=$(fish spawn --forward-to "$app_url")
	# As many as there are files for outbound requests, never finished.
	python3 "$exhaust" overflow "$port" "${hook##*/}" 4 131072 "$go" \
	    >"$over" 3>&- &
	holder=$!
	wait_until 10 grep -q 'sent 4' "$over"
	wait_until 10 forwarded "$hook/x"
	assert_equal "$(listener_pid)" "$pid"
}

# settled N: each of N sends to /gate is answered, waits at the app, or
# waits for an outbound file.
settled() {
	local waiting
	waiting=$(grep -c 'POST .*/gate: waits for an outbound file' "$log")
	answered_or_held $(($1 - waiting))
}

@test "with 64 open files, sends to the session's own forwarding hook take two files each: two at most are forwarded at once, none gets 502" {
	local i code held
	start_low_files
	start_app "$go"
	hook=$(fish spawn --forward-to "$app_url")
	senders=()
	for i in 1 2 3 4; do
		fish send "$hook/gate" --data "\"$i\"" --timeout 20s \
		    -o /dev/null -w '%{http_code}' \
		    >"$BATS_TEST_TMPDIR/code-$i" 2>/dev/null 3>&- &
		senders+=($!)
	done
	wait_until 20 settled 4
	# Four files: each forwarded send holds its own and its forward's.
	held=$(cat "$go.held" 2>/dev/null | wc -l)
	[ "$held" -le 2 ] || fail "$held forwarded at once"
	touch "$go"
	wait "${senders[@]}" || true
	senders=()
	for i in 1 2 3 4; do
		code=$(cat "$BATS_TEST_TMPDIR/code-$i")
		case $code in
		201 | 503) ;;
		*) fail "send $i got $code" ;;
		esac
	done
}

# sending_order: print the types of the journal's records of sends, in
# the order written: 8 for an attempt's start, 4 for its outcome.
sending_order() {
	local f
	for f in "$FISH_HOME"/sessions/default/journal/*.journal; do
		"$FISH_SRC_DIR/test/helpers/journal.py" offsets "$f"
	done | awk '$3 == 8 || $3 == 4 { printf "%s ", $3 }'
}

@test "with one file for outbound requests, a send's outcome is journaled before the send waiting for its file starts" {
	journal_only "it reads the order of the journal's own records"
	no_valgrind
	run bash -c "ulimit -n 58 && fish start"
	assert_success
	spawn_hook
	run grep -c "shared out as 29 for hooks' connections, 4 for control \
clients, 1 for outbound" "$log"
	assert_output 1
	start_app "$go"
	fish send "$app_url/gate" --data first --timeout 20s \
	    >"$BATS_TEST_TMPDIR/first" 2>&1 3>&- &
	senders=($!)
	wait_until 10 test -s "$go.held"
	fish send "$app_url/second" --data second --timeout 20s \
	    >"$BATS_TEST_TMPDIR/second" 2>&1 3>&- &
	senders+=($!)
	wait_until 10 grep -q 'POST .*/second: waits for an outbound file' \
	    "$log"
	touch "$go"
	wait "${senders[@]}"
	senders=()
	fish stop
	assert_equal "$(sending_order)" "8 4 8 4 "
	# Its wait is said once, and once that it went on.
	run grep -c 'POST .*/second: waits for an outbound file' "$log"
	assert_output 1
	run grep -cE 'POST .*/second: has an outbound file after [0-9]+ ms' "$log"
	assert_output 1
}

@test "with one file for outbound requests, a send that retries logs its wait once, not once an attempt, and that it gave up" {
	no_valgrind
	run bash -c "ulimit -n 58 && fish start"
	assert_success
	spawn_hook
	start_app "$go"
	fish send "$app_url/gate" --data first --timeout 20s \
	    >"$BATS_TEST_TMPDIR/first" 2>&1 3>&- &
	senders=($!)
	wait_until 10 test -s "$go.held"
	# Its first attempt waits for the file, then is answered 503 with
	# Retry-After: 3; its second waits for the file /slow holds.
	fish send "$app_url/busy" --data second --timeout 4s --retry 3 \
	    >"$BATS_TEST_TMPDIR/second" 2>&1 3>&- &
	local second=$!
	wait_until 10 grep -q 'POST .*/busy: waits for an outbound file' "$log"
	touch "$go"
	wait_until 10 grep -q 'POST .*/busy: has an outbound file' "$log"
	fish send "$app_url/slow" --data third --timeout 30s \
	    >/dev/null 2>&1 3>&- &
	senders+=($!)
	local status=0
	wait "$second" || status=$?
	[ "$status" -ne 0 ] || fail "the send to /busy succeeded"
	run grep -c 'POST .*/busy: waits for an outbound file' "$log"
	assert_output 1
	run grep -c 'POST .*/busy: has an outbound file' "$log"
	assert_output 1
	run grep -c 'POST .*/busy: gave up waiting for an outbound file' "$log"
	assert_output 1
	kill "${senders[@]}" 2>/dev/null || true
	senders=()
}

@test "the log says how the open files are shared out at every start, not only when connections are cut" {
	no_valgrind
	run bash -c "ulimit -n 1024 && fish start"
	assert_success
	fish stop
	run bash -c "ulimit -n 1024 && fish start"
	assert_success
	run grep -c "open files: 1024, shared out as 512 for hooks' \
connections, 244 for control clients, 244 for outbound requests and 24 \
for the listener's own" "$log"
	assert_output 2
	run grep -c 'serving at most' "$log"
	assert_output 0
}
