#!/usr/bin/env bats
# fish send with curl's options, for CI: the proxy of the command that
# runs (never the listener's), TLS (-k, --cacert), -u, -H @file, -F,
# --data-urlencode, --compressed, -v, -w, --max-response, and the
# results as JSON (send -w '%{json}', spawn --json, replay --json).  The
# servers are hooks of another session ("other"), which record what
# arrived, helpers/proxy.py, and curl itself for what curl would send.

load helpers/common
bats_require_minimum_version 1.5.0

setup() {
	common_setup
	unset http_proxy https_proxy HTTPS_PROXY all_proxy ALL_PROXY \
	    no_proxy NO_PROXY
	proxy_pid=
	remote=$(fish -S other spawn)
}

teardown() {
	kill_and_wait "${proxy_pid-}"
	common_teardown
}

# received [JSON_POINTER]: take the next message of the remote hook and
# print its envelope, or the value at JSON_POINTER of it.
received() {
	if [ $# -eq 0 ]; then
		fish -S other wait "$remote" --json --timeout 5
	else
		fish -S other wait "$remote" --json --timeout 5 | fish field "$1"
	fi
}

# start_proxy [deny] [auth=USER:PASSWORD]: run helpers/proxy.py; set proxy
# to its URL.
start_proxy() {
	local portfile=$BATS_TEST_TMPDIR/proxy.port
	serve "$portfile" python3 "$FISH_SRC_DIR/test/helpers/proxy.py" \
	    "$portfile" "$BATS_TEST_TMPDIR/proxy.log" "$@"
	proxy_pid=$served_pid proxy=http://127.0.0.1:$served_port
}

# proxied: print what the proxy logged, one line each.
proxied() {
	cat "$BATS_TEST_TMPDIR/proxy.log" 2>/dev/null || true
}

# proxy_heads: print the requests the proxy got with their headers.
proxy_heads() {
	cat "$BATS_TEST_TMPDIR/proxy.log.heads" 2>/dev/null || true
}

# compare_received: take the next two messages of the remote hook (ours
# and curl's) and check that they came alike: method, path, query (the
# case of its escapes aside), Content-Type and body (the multipart
# boundary aside).
compare_received() {
	local json type half
	for json in "$(received)" "$(received)"; do
		type=$(fish field /headers/content-type <<<"$json" \
		    2>/dev/null || true)
		fish field /method <<<"$json"
		fish field /path <<<"$json"
		# curl -G writes %2b for %2B: the same to a server.
		fish field /query <<<"$json" | sed 's/%\(..\)/%\L\1/g' || true
		printf '%s\n' "${type%%boundary=*}"
		{ fish field /body <<<"$json" 2>/dev/null ||
		    fish field /body_base64 <<<"$json" | base64 -d; } |
		    if [[ $type == *boundary=* ]]; then
			sed "s/${type#*boundary=}/BOUNDARY/g"
		    else
			cat
		    fi
		echo '--'
	done >"$BATS_TEST_TMPDIR/both"
	half=$(( $(wc -l <"$BATS_TEST_TMPDIR/both") / 2 ))
	assert_equal "$(head -n "$half" "$BATS_TEST_TMPDIR/both")" \
	    "$(tail -n "$half" "$BATS_TEST_TMPDIR/both")"
}

# start_tls_remote: serve the other session over https with a certificate
# made for this test ($tls_dir/cert.pem); set remote to a hook there.
start_tls_remote() {
	tls_dir=$BATS_TEST_TMPDIR/tls
	mkdir -p "$tls_dir"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
	    -nodes -subj /CN=localhost \
	    -addext subjectAltName=IP:127.0.0.1,DNS:localhost -days 1 \
	    -keyout "$tls_dir/key.pem" -out "$tls_dir/cert.pem" 2>/dev/null
	fish -S other stop --purge
	fish -S other start --tls-cert "$tls_dir/cert.pem" \
	    --tls-key "$tls_dir/key.pem"
	remote=$(fish -S other spawn)
}

# send_hides_hunter2 ARG...: run fish send ARG... to a held hook of the
# other session and check that ps never shows the password hunter2 while
# the request runs.
send_hides_hunter2() {
	local pid hook
	fish -S other close "$remote"
	hook=$(fish -S other spawn --hold)
	fish send "$@" "$hook" >/dev/null 2>&1 &
	pid=$!
	wait_until 10 fish -S other wait "$hook" --peek --timeout 0.1
	run cat "/proc/$pid/cmdline"
	refute_output --partial hunter2
	assert_output --partial bob:
	fish -S other reply "$(nth_seq 1 other)"
	reap "$pid"
	assert_equal "$status" 0
}

# type_password PASSWORD CMD...: run CMD on a terminal and type PASSWORD
# when it asks for one; print what it wrote there, exit as it did.
type_password() {
	python3 - "$@" <<'EOF'
import os, pty, signal, sys
pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[2], sys.argv[2:])
signal.alarm(20)  # a deadline: fail rather than hang
seen = b""
while b"password" not in seen:
    seen += os.read(fd, 1024)
os.write(fd, sys.argv[1].encode() + b"\n")
while True:
    try:
        data = os.read(fd, 1024)
    except OSError:
        break
    if not data:
        break
    seen += data
_, status = os.waitpid(pid, 0)
sys.stdout.write(seen.decode(errors="replace").replace("\r", ""))
sys.exit(os.waitstatus_to_exitcode(status))
EOF
}

# pty CMD...: run CMD on a pseudo-terminal, printing the bytes it wrote.
pty() {
	python3 "$FISH_SRC_DIR/test/helpers/pty.py" "$@"
}

@test "send uses the proxy of its own environment, never the listener's" {
	start_proxy
	# The listener starts with a proxy that is down: sends must not care.
	http_proxy=http://127.0.0.1:$(closed_port) fish start
	run fish send "$remote" a=1
	assert_success
	assert_equal "$(received /body)" '{"a":"1"}'
	assert_equal "$(proxied)" ''
	# This command's http_proxy: through the proxy, this time only.
	http_proxy=$proxy run fish send -i "$remote" a=2
	assert_success
	assert_line $'X-Proxied: yes\r'
	assert_equal "$(received /body)" '{"a":"2"}'
	assert_equal "$(proxied)" "forward POST $remote"
	run fish send "$remote" a=3
	assert_success
	assert_equal "$(proxied | wc -l)" 1
}

@test "send --proxy and ALL_PROXY send through the proxy; --proxy '' and NO_PROXY do not" {
	start_proxy
	run fish send --proxy "$proxy" "$remote" a=1
	assert_success
	assert_equal "$(proxied | wc -l)" 1
	ALL_PROXY=$proxy run fish send "$remote" a=2
	assert_success
	assert_equal "$(proxied | wc -l)" 2
	# An empty --proxy is none, whatever the environment says.
	http_proxy=$proxy run fish send --proxy '' "$remote" a=3
	assert_success
	assert_equal "$(proxied | wc -l)" 2
	http_proxy=$proxy NO_PROXY=127.0.0.1 run fish send "$remote" a=4
	assert_success
	http_proxy=$proxy run fish send --noproxy '*' "$remote" a=5
	assert_success
	assert_equal "$(proxied | wc -l)" 2
	# HTTP_PROXY is not read, as curl does not (a CGI request can set it).
	HTTP_PROXY=$proxy run fish send "$remote" a=6
	assert_success
	assert_equal "$(proxied | wc -l)" 2
	for n in 1 2 3 4 5 6; do
		assert_equal "$(received /body)" "{\"a\":\"$n\"}"
	done
}

@test "send to https goes through the proxy's CONNECT tunnel, with https_proxy" {
	start_tls_remote
	start_proxy
	https_proxy=$proxy run fish send --cacert "$tls_dir/cert.pem" \
	    "$remote" a=1
	assert_success
	port=${remote#https://127.0.0.1:}
	assert_equal "$(proxied)" "connect 127.0.0.1:${port%%/*}"
	assert_equal "$(received /body)" '{"a":"1"}'
}

@test "a proxy that is down fails the send with exit 5, naming the proxy" {
	local port
	port=$(closed_port)
	run --separate-stderr fish send --proxy "http://bob:hunter2@127.0.0.1:$port" \
	    "$remote"
	assert_failure 5
	assert_equal "$stderr" "fish: send: GET $remote: proxy 127.0.0.1:$port refused the connection"
	http_proxy=127.0.0.1:$port run --separate-stderr fish send "$remote"
	assert_failure 5
	assert_equal "$stderr" "fish: send: GET $remote: proxy 127.0.0.1:$port refused the connection"
	run --separate-stderr fish send --proxy http://proxy.invalid:3128 "$remote"
	assert_failure 5
	assert_equal "$stderr" "fish: send: GET $remote: proxy proxy.invalid:3128: cannot resolve its host name"
	# -v shows curl's notes on where it got to.
	run --separate-stderr fish send -v --proxy "127.0.0.1:$port" "$remote"
	assert_failure 5
	[[ $stderr == *"* connect to 127.0.0.1 port $port failed"* ]]
}

@test "a proxy that refuses the tunnel fails the send with exit 5, saying so" {
	start_tls_remote
	start_proxy deny
	run --separate-stderr fish send --proxy "$proxy" -k "$remote"
	assert_failure 5
	assert_equal "$stderr" "fish: send: GET $remote: proxy ${proxy#http://} refused the tunnel: it answered 403"
	# A forwarding proxy's answer is an answer, as with curl.
	fish -S other stop
	run --separate-stderr fish send --proxy "$proxy" http://127.0.0.1:1/x
	assert_failure 1
	assert_output 'denied by the proxy'
}

@test "send refuses an unknown certificate with exit 5, naming --cacert and -k" {
	start_tls_remote
	run --separate-stderr fish send "$remote" a=1
	assert_failure 5
	assert_equal "$stderr" "$(printf '%s' "$stderr" | grep -- '--cacert FILE trusts its certificate, -k trusts any')"
	run fish send -k "$remote" a=2
	assert_success
	run fish send --insecure "$remote" a=3
	assert_success
	run fish send --cacert "$tls_dir/cert.pem" "$remote" a=4
	assert_success
	assert_equal "$(received /body)" '{"a":"2"}'
	assert_equal "$(received /body)" '{"a":"3"}'
	assert_equal "$(received /body)" '{"a":"4"}'
	# A --cacert that cannot be read: exit 1 before anything is sent.
	run --separate-stderr fish send --cacert "$tls_dir/none.pem" "$remote"
	assert_failure 1
	[[ $stderr == *"--cacert: $tls_dir/none.pem: No such file or directory" ]]
	run fish send -k --cacert "$tls_dir/cert.pem" "$remote"
	assert_failure 2
	run fish -S other wait "$remote" --timeout 0.2
	assert_failure 124
}

@test "send -u sends basic authentication as curl does, -v hides it" {
	run --separate-stderr fish send -v -u 'bob:pa:ss' "$remote"
	assert_success
	[[ $stderr == *'> Authorization: Basic [hidden]'* ]]
	[[ $stderr != *"$(printf 'bob:pa:ss' | base64)"* ]]
	assert_equal "$(received /headers/authorization)" \
	    "Basic $(printf 'bob:pa:ss' | base64)"
	# An Authorization header given is kept, as curl keeps it.
	fish send -u bob:x -H 'Authorization: Bearer t' "$remote"
	assert_equal "$(received /headers/authorization)" 'Bearer t'
	# No password in a script (stdin not a terminal): an error, not a wait.
	run --separate-stderr fish send -u bob "$remote" </dev/null
	assert_failure 2
	[[ $stderr == *'-u needs USER:PASSWORD when stdin is not a terminal to ask on'* ]]
	run fish -S other wait "$remote" --timeout 0.2
	assert_failure 124
}

@test "send -u USER asks for the password on a terminal, without echo" {
	run type_password s3cret fish send -u bob "$remote"
	assert_success
	assert_line "Enter host password for user 'bob':"
	refute_output --partial s3cret
	assert_equal "$(received /headers/authorization)" \
	    "Basic $(printf 'bob:s3cret' | base64)"
}

@test "send -u hides the password from ps while the request runs" {
	send_hides_hunter2 -u bob:hunter2
}

@test "send -H @file adds the headers of a file as curl reads them" {
	printf 'X-One: 1\r\n\r\nX-Two: two words\n\nX-Three: 3' \
	    >"$BATS_TEST_TMPDIR/headers"
	run fish send -H @"$BATS_TEST_TMPDIR/headers" -H 'X-Four: 4' "$remote"
	assert_success
	json=$(received)
	assert_equal "$(fish field /headers/x-one <<<"$json")" 1
	assert_equal "$(fish field /headers/x-two <<<"$json")" 'two words'
	assert_equal "$(fish field /headers/x-three <<<"$json")" 3
	assert_equal "$(fish field /headers/x-four <<<"$json")" 4
	# fish sign's output, as the docs suggest.
	printf '{}' >"$BATS_TEST_TMPDIR/body"
	fish sign github:s3cret <"$BATS_TEST_TMPDIR/body" >"$BATS_TEST_TMPDIR/sig"
	fish send -H @"$BATS_TEST_TMPDIR/sig" --data @"$BATS_TEST_TMPDIR/body" \
	    "$remote"
	assert_equal "$(received /headers/x-hub-signature-256)" \
	    "$(cut -d' ' -f2 "$BATS_TEST_TMPDIR/sig")"
	# From stdin too.
	printf 'X-In: stdin\n' | fish send -H @- "$remote"
	assert_equal "$(received /headers/x-in)" stdin
}

@test "send -H @file of a missing file or a bad line fails before sending" {
	run --separate-stderr fish send -H @"$BATS_TEST_TMPDIR/none" "$remote"
	assert_failure 1
	assert_equal "$stderr" "fish: send: $BATS_TEST_TMPDIR/none: No such file or directory"
	printf 'not a header\n' >"$BATS_TEST_TMPDIR/bad"
	run fish send -H @"$BATS_TEST_TMPDIR/bad" "$remote"
	assert_failure 2
	run fish -S other wait "$remote" --timeout 0.2
	assert_failure 124
}

@test "send -F posts multipart/form-data as curl does" {
	local mine theirs
	printf 'hello\n' >"$BATS_TEST_TMPDIR/note.txt"
	printf '\x00\x01\xff' >"$BATS_TEST_TMPDIR/blob"
	printf 'from a file' >"$BATS_TEST_TMPDIR/value"
	set -- -F 'name=fish "the" tool' -F "note=@$BATS_TEST_TMPDIR/note.txt" \
	    -F "blob=@$BATS_TEST_TMPDIR/blob;type=image/x-test;filename=b.bin" \
	    -F "plain=<$BATS_TEST_TMPDIR/value"
	fish send "$@" "$remote"
	curl -sS -o /dev/null "$@" "$remote"
	mine=$(received) theirs=$(received)
	# The same parts, byte for byte, but for the random boundary.
	for json in "$mine" "$theirs"; do
		type=$(fish field /headers/content-type <<<"$json")
		[[ $type == 'multipart/form-data; boundary='* ]]
		fish field /body_base64 <<<"$json" | base64 -d |
		    sed "s/${type#*boundary=}/BOUNDARY/g"
		echo "$(fish field /method <<<"$json")"
	done >"$BATS_TEST_TMPDIR/both"
	run cat "$BATS_TEST_TMPDIR/both"
	half=$(( $(wc -l <"$BATS_TEST_TMPDIR/both") / 2 ))
	assert_equal "$(head -n "$half" "$BATS_TEST_TMPDIR/both")" \
	    "$(tail -n "$half" "$BATS_TEST_TMPDIR/both")"
	assert_line $'Content-Disposition: form-data; name="blob"; filename="b.bin"\r'
	assert_line 'POST'
}

@test "send -F with a missing file fails with exit 1 and sends nothing" {
	run --separate-stderr fish send -F "f=@$BATS_TEST_TMPDIR/none" "$remote"
	assert_failure 1
	assert_equal "$stderr" "fish: send: $BATS_TEST_TMPDIR/none: No such file or directory"
	run fish send -F novalue "$remote"
	assert_failure 2
	run fish send -F a=1 --data x "$remote"
	assert_failure 2
	run fish -S other wait "$remote" --timeout 0.2
	assert_failure 124
}

@test "send --data-urlencode encodes as curl does, parts joined by &" {
	printf 'a b&c=d\n' >"$BATS_TEST_TMPDIR/text"
	set -- --data-urlencode 'q=hello world/ü' --data-urlencode '=x&y' \
	    --data-urlencode "file@$BATS_TEST_TMPDIR/text" \
	    --data-urlencode "@$BATS_TEST_TMPDIR/text" --data-urlencode 'plain'
	fish send "$@" "$remote"
	curl -sS -o /dev/null "$@" "$remote"
	mine=$(received) theirs=$(received)
	assert_equal "$(fish field /body <<<"$mine")" \
	    "$(fish field /body <<<"$theirs")"
	assert_equal "$(fish field /body <<<"$mine")" \
	    'q=hello+world%2F%C3%BC&x%26y&file=a+b%26c%3Dd%0A&a+b%26c%3Dd%0A&plain'
	assert_equal "$(fish field /headers/content-type <<<"$mine")" \
	    application/x-www-form-urlencoded
	run fish send --data-urlencode "x@$BATS_TEST_TMPDIR/none" "$remote"
	assert_failure 1
}

@test "send joins repeated --data and --data-urlencode with &, in order, as curl does" {
	printf 'from=file' >"$BATS_TEST_TMPDIR/data"
	set -- --data a=1 --data-urlencode 'b=x y' --data @"$BATS_TEST_TMPDIR/data" \
	    --data c=3
	fish send "$@" "$remote" >/dev/null
	curl -sS -o /dev/null "$@" "$remote"
	compare_received
	run cat "$BATS_TEST_TMPDIR/both"
	assert_line 'a=1&b=x+y&from=file&c=3'
	assert_line 'application/x-www-form-urlencoded'
	fish send --data a=1 --data b=2 "$remote" >/dev/null
	curl -sS -o /dev/null --data a=1 --data b=2 "$remote"
	compare_received
	run --separate-stderr fish send --data a=1 --data @"$BATS_TEST_TMPDIR/none" \
	    "$remote"
	assert_failure 1
	assert_equal "$stderr" "fish: send: $BATS_TEST_TMPDIR/none: No such file or directory"
	run fish -S other wait "$remote" --timeout 0.2
	assert_failure 124
}

@test "send --compressed asks for a compressed answer and decodes it" {
	printf '{"ok":true}' | gzip -c >"$BATS_TEST_TMPDIR/body.gz"
	gz=$(fish -S other spawn -H 'Content-Encoding: gzip' \
	    --body @"$BATS_TEST_TMPDIR/body.gz")
	run fish send --compressed "$gz"
	assert_success
	assert_output '{"ok":true}'
	[[ $(fish -S other wait "$gz" --json | fish field \
	    /headers/accept-encoding) == *gzip* ]]
	# Without it, the bytes as they came, as curl does.
	fish send "$gz" -o "$BATS_TEST_TMPDIR/raw"
	cmp "$BATS_TEST_TMPDIR/raw" "$BATS_TEST_TMPDIR/body.gz"
}

@test "send -v prints both heads on stderr after > and <, the body on stdout" {
	run --separate-stderr fish send -v "$remote" a=1
	assert_success
	assert_output ''
	[[ $'\n'$stderr == *$'\n> POST /'* ]]
	[[ $stderr == *$'\n> Content-Type: application/json\n'* ]]
	[[ $stderr == *$'\n< HTTP/1.1 200 OK\n'* ]]
	[[ $stderr != *$'\r'* ]]
	received >/dev/null
}

@test "send -v escapes the response's head into a pipe too, bytes that are not UTF-8 as well; the body stays raw" {
	serve "$BATS_TEST_TMPDIR/app.port" python3 \
	    "$FISH_SRC_DIR/test/helpers/app.py" "$BATS_TEST_TMPDIR/app.port"
	proxy_pid=$served_pid
	# run's stderr is a pipe, as a log that is later shown would be.
	run --separate-stderr fish send -v \
	    "http://127.0.0.1:$served_port/hostile-head" --data $'\e'
	assert_success
	[[ $stderr == *$'\n< X-Hostile: a^[[31mredM-i\n'* ]]
	[[ $stderr != *$'\e'* ]]
	# The app echoes the body: data, as it came.
	[[ $output == *$'\e'* ]]
}

@test "send -w prints curl's variables after the body" {
	fish -S other close "$remote"
	not_found=$(fish -S other spawn --status 404 --body gone \
	    -H 'Content-Type: text/plain' -H 'X-Id: 7')
	run fish send --expect 404 "$not_found" -w \
	    '\n%{http_code} %{response_code} %{size_download} %{content_type} %header{x-id} %{num_redirects} %{num_retries} %%{url_effective}\t%{url_effective}'
	assert_success
	assert_output "gone
404 404 4 text/plain 7 0 0 %{url_effective}	$not_found"
	run --separate-stderr fish send "$not_found" -w '%{time_total}'
	assert_failure 1
	[[ $output =~ ^gone[0-9]+\.[0-9]{6}$ ]]
	# -o /dev/null, as with curl, for the code alone.
	run fish send "$not_found" -o /dev/null --expect 4xx -w '%{http_code}'
	assert_success
	assert_output 404
	# From a file.
	printf '%%{http_code}\\n' >"$BATS_TEST_TMPDIR/format"
	run fish send "$not_found" -q --expect 404 -w @"$BATS_TEST_TMPDIR/format"
	assert_output 404
}

@test "send -w says 000 and why when no answer came" {
	local port
	port=$(closed_port)
	run --separate-stderr fish send "http://127.0.0.1:$port/" \
	    -w '%{http_code} %{errormsg}'
	assert_failure 5
	[[ $output == '000 '*'port '"$port"* ]]
}

@test "send -w with an unknown variable is a usage error and sends nothing" {
	run --separate-stderr fish send "$remote" -w '%{htp_code}'
	assert_failure 2
	[[ $stderr == "fish send: unknown -w variable 'htp_code'"* ]]
	run fish send "$remote" -w '%{http_code'
	assert_failure 2
	run fish send "$remote" -w @"$BATS_TEST_TMPDIR/none"
	assert_failure 1
	run fish -S other wait "$remote" --timeout 0.2
	assert_failure 124
}

@test "send -w '%{json}' gives status, headers, body, time and attempts" {
	run fish send -q "$remote" a=1 -w '%{json}'
	assert_success
	assert_equal "$(fish field /http_code <<<"$output")" 200
	assert_equal "$(fish field /attempts <<<"$output")" 1
	assert_equal "$(fish field /body <<<"$output")" ''
	assert_equal "$(fish field /headers/content-length <<<"$output")" 0
	[[ $(fish field /time_total <<<"$output") =~ ^[0-9]+(\.[0-9]+)?$ ]]
	[[ $(fish field /seq <<<"$output") =~ ^[0-9]+$ ]]
	# A body that is not UTF-8 comes as body_base64.
	printf '\xff\x00\x01' >"$BATS_TEST_TMPDIR/bin"
	bin=$(fish -S other spawn --body @"$BATS_TEST_TMPDIR/bin")
	run fish send -q "$bin" -w '%{json}'
	assert_equal "$(fish field /body_base64 <<<"$output")" /wAB
}

@test "spawn --json prints the URL, token and name" {
	run fish spawn --json --name orders
	assert_success
	url=$(fish field /url <<<"$output")
	assert_equal "$(fish field /name <<<"$output")" orders
	[[ $url == http://127.0.0.1:*/* ]]
	assert_equal "${url##*/}" "$(fish field /token <<<"$output")"
	run fish spawn --json
	assert_equal "$(fish field /name <<<"$output")" null
}

@test "replay --json prints the result as send -w '%{json}' does" {
	fish send "$remote" a=1 >/dev/null
	received >/dev/null
	seq=$(fish log --json | tail -n 1 | fish field /seq)
	run fish replay "$seq" --json
	assert_success
	assert_equal "$(fish field /http_code <<<"$output")" 200
	assert_equal "$(fish field /attempts <<<"$output")" 1
	assert_equal "$(received /body)" '{"a":"1"}'
}

@test "replay uses the proxy of its own environment" {
	start_proxy
	fish send "$remote" a=1 >/dev/null
	received >/dev/null
	seq=$(fish log --json | tail -n 1 | fish field /seq)
	http_proxy=$proxy run fish replay "$seq"
	assert_success
	assert_equal "$(proxied)" "forward POST $remote"
	assert_equal "$(received /body)" '{"a":"1"}'
}

@test "send --sign with the signature header given too is a usage error" {
	run --separate-stderr fish send --sign github:s3cret \
	    -H 'X-Hub-Signature-256: sha256=00' "$remote" a=1
	assert_failure 2
	assert_equal "$stderr" "fish: send: POST $remote: --sign: header 'X-Hub-Signature-256' given too: give the signature or --sign, not both"
	run fish send --sign stripe:s3cret -H 'stripe-signature: t=1' \
	    "$remote" a=1
	assert_failure 2
	run fish -S other wait "$remote" --timeout 0.2
	assert_failure 124
}

@test "send --max-response fails on a larger body and is bounded" {
	head -c 2048 /dev/zero | tr '\0' x >"$BATS_TEST_TMPDIR/big"
	big=$(fish -S other spawn --body @"$BATS_TEST_TMPDIR/big")
	run --separate-stderr fish send --max-response 1KiB "$big"
	assert_failure 1
	assert_equal "$stderr" "fish: send: GET $big: response larger than 1024 bytes"
	run fish send --max-response 2KiB "$big"
	assert_success
	for bad in 0 65MiB lots; do
		run fish send --max-response "$bad" "$big"
		assert_failure 2
	done
}

@test "send, replay and field escape control characters on a terminal" {
	evil=$'\e]0;pwned\a\e[31mred'
	shown='^[]0;pwned^G^[[31mred'
	bad=$(fish -S other spawn --body "$evil")
	export TERM=xterm
	run pty fish send "$bad"
	assert_output "$shown"
	run pty fish send --raw "$bad"
	assert_output "$evil"
	pty --stdout "$BATS_TEST_TMPDIR/body" fish send "$bad"
	assert_equal "$(cat "$BATS_TEST_TMPDIR/body")" "$evil"
	seq=$(fish log --json | tail -n 1 | fish field /seq)
	run pty fish replay "$seq"
	assert_output "$shown"
	run pty fish replay "$seq" --raw
	assert_output "$evil"
	printf '{"a":"\\u001b[2Jx"}' >"$BATS_TEST_TMPDIR/json"
	run pty sh -c 'fish field /a <"$1"' _ "$BATS_TEST_TMPDIR/json"
	assert_output '^[[2Jx'
	run pty sh -c 'fish field --raw /a <"$1"' _ "$BATS_TEST_TMPDIR/json"
	assert_output $'\e[2Jx'
	run fish field /a <"$BATS_TEST_TMPDIR/json"
	assert_output $'\e[2Jx'
}

@test "send -G puts --data and --data-urlencode in the URL's query, as curl -G does" {
	local args
	printf 'a b\n' >"$BATS_TEST_TMPDIR/q"
	for args in "-G $remote --data-urlencode q=a+b --data-urlencode x" \
	    "-G $remote?x=1 --data a=1&b=%20" "-G $remote?x=1& --data a=1" \
	    "-G $remote? --data a=1" \
	    "-G $remote --data-urlencode @$BATS_TEST_TMPDIR/q" \
	    "-G $remote" "-G $remote --data-urlencode q=a+b --data per_page=10"; do
		# shellcheck disable=SC2086
		fish send $args >/dev/null
		# shellcheck disable=SC2086
		curl -sS -o /dev/null $args
		compare_received
	done
	# A file's line breaks are dropped, as curl drops them: a file
	# ending in a newline (or with CRLF lines) makes a clean query.
	printf 'a=1\r\n&b=2\n' >"$BATS_TEST_TMPDIR/query"
	fish send -G "$remote" --data @"$BATS_TEST_TMPDIR/query" >/dev/null
	curl -sS -o /dev/null -G "$remote" --data @"$BATS_TEST_TMPDIR/query"
	compare_received
	fish send -G "$remote" --data @- <"$BATS_TEST_TMPDIR/query" >/dev/null
	assert_equal "$(fish field /query <<<"$(received)")" 'a=1&b=2'
	# Empty data: a bare & after a query, nothing without one.
	fish send -G "$remote?x=1" --data '' >/dev/null
	curl -sS -o /dev/null -G "$remote?x=1" --data ''
	compare_received
	# With a METHOD, as curl -G -X: that method, the data in the URL.
	fish send -G PUT "$remote" --data a=1
	json=$(received)
	assert_equal "$(fish field /method <<<"$json")" PUT
	assert_equal "$(fish field /query <<<"$json")" a=1
	assert_equal "$(fish field /body <<<"$json")" ''
	run fish send --get "$remote" --data-urlencode 'q=x y'
	assert_success
	json=$(received)
	assert_equal "$(fish field /method <<<"$json")" GET
	assert_equal "$(fish field /query <<<"$json")" 'q=x+y'
	run fish field /headers/content-type <<<"$json"
	assert_failure
}

@test "send -G with --json, -F, fields or a space in the data is a usage error" {
	local args
	for args in "--json {}" "-F a=1" "a=1" "--json {} --data x"; do
		# shellcheck disable=SC2086
		run --separate-stderr fish send -G "$remote" $args
		assert_failure 2
	done
	run --separate-stderr fish send -G "$remote" -F a=1
	assert_equal "${stderr%%$'\n'*}" "fish send: -G puts --data or --data-urlencode in the URL: not --json, -F or fields"
	run --separate-stderr fish send -G "$remote" --data 'a b'
	assert_failure 2
	assert_equal "${stderr%%$'\n'*}" "fish send: -G: the data holds a space or a control character, which a URL cannot (use --data-urlencode)"
	run fish -S other wait "$remote" --timeout 0.2
	assert_failure 124
}

@test "send --proxy-user authenticates to the proxy, -v hides the password" {
	local basic
	basic="Proxy-Authorization: Basic $(printf 'bob:pa:ss' | base64)"
	start_proxy auth=bob:pa:ss
	# Without it, the proxy's 407 is the answer, as with curl.
	run --separate-stderr fish send --proxy "$proxy" "$remote" a=1
	assert_failure 1
	assert_output 'proxy authentication required'
	run --separate-stderr fish send -v --proxy "$proxy" \
	    --proxy-user bob:pa:ss "$remote" a=2
	assert_success
	[[ $stderr == *'> Proxy-Authorization: Basic [hidden]'* ]]
	[[ $stderr != *"$(printf 'bob:pa:ss' | base64)"* ]]
	# The proxy's credentials go to the proxy alone.
	json=$(received)
	assert_equal "$(fish field /body <<<"$json")" '{"a":"2"}'
	run fish field /headers/proxy-authorization <<<"$json"
	assert_failure
	assert_equal "$(proxy_heads | grep -cxF "$basic")" 1
	# What curl sends to the proxy, fish sends.
	curl -sS -o /dev/null --proxy "$proxy" --proxy-user bob:pa:ss "$remote"
	assert_equal "$(proxy_heads | grep -cxF "$basic")" 2
	received >/dev/null
	# A wrong password: the proxy's 407 again.
	run fish send --proxy "$proxy" --proxy-user bob:nope "$remote"
	assert_failure 1
}

@test "send --proxy-user authenticates the CONNECT of https; a refusal names the proxy" {
	start_tls_remote
	start_proxy auth=bob:s3cret
	run --separate-stderr fish send --proxy "$proxy" -k "$remote" a=1
	assert_failure 5
	assert_equal "$stderr" "fish: send: POST $remote: proxy ${proxy#http://} refused the tunnel: it answered 407"
	run --separate-stderr fish send --proxy "$proxy" --proxy-user bob:s3cret \
	    --cacert "$tls_dir/cert.pem" "$remote" a=2
	assert_success
	assert_equal "$(received /body)" '{"a":"2"}'
	[[ $(proxy_heads) == *"Proxy-Authorization: Basic $(printf 'bob:s3cret' | base64)"* ]]
	# With the environment's proxy too, as curl takes --proxy-user.
	https_proxy=$proxy run fish send --proxy-user bob:s3cret -k "$remote" a=3
	assert_success
	assert_equal "$(received /body)" '{"a":"3"}'
}

@test "send --proxy-user without a password in a script is a usage error; ps never shows it" {
	start_proxy auth=bob:hunter2
	run --separate-stderr fish send --proxy "$proxy" --proxy-user bob \
	    "$remote" </dev/null
	assert_failure 2
	assert_equal "${stderr%%$'\n'*}" 'fish send: --proxy-user needs USER:PASSWORD when stdin is not a terminal to ask on'
	assert_equal "$(proxied)" ''
	send_hides_hunter2 --proxy "$proxy" --proxy-user bob:hunter2
}

# cmdline_hides_hunter2 PID: succeed once PID's argv shows the user of
# bob:hunter2 but not the password.
cmdline_hides_hunter2() {
	local cmdline
	cmdline=$(tr '\0' ' ' <"/proc/$1/cmdline") || return 1
	[[ $cmdline == *bob:* && $cmdline != *hunter2* ]]
}

@test "send --proxy-user hides the password from ps while the body is still being read" {
	local pid fifo=$BATS_TEST_TMPDIR/body
	start_proxy auth=bob:hunter2
	mkfifo "$fifo"
	fish send --proxy "$proxy" --proxy-user bob:hunter2 --data "@$fifo" \
	    "$remote" >/dev/null 2>&1 &
	pid=$!
	wait_until 10 cmdline_hides_hunter2 "$pid"
	echo '{"a":"3"}' >"$fifo"
	reap "$pid"
	assert_equal "$status" 0
}

@test "send --proxy-user USER asks for the proxy password on a terminal" {
	start_proxy auth=bob:s3cret
	run type_password s3cret fish send --proxy "$proxy" --proxy-user bob \
	    "$remote"
	assert_success
	assert_line "Enter proxy password for user 'bob':"
	refute_output --partial s3cret
	assert_equal "$(proxied)" "forward GET $remote"
	received >/dev/null
}

@test "send --proxy-header goes to the proxy alone, -H to the server alone, as curl's" {
	local port tool
	start_tls_remote
	start_proxy
	printf 'X-From-File: f\n' >"$BATS_TEST_TMPDIR/ph"
	for tool in "fish send" "curl -sS -o /dev/null"; do
		$tool --proxy "$proxy" --cacert "$tls_dir/cert.pem" \
		    --proxy-header 'X-To-Proxy: p' \
		    --proxy-header @"$BATS_TEST_TMPDIR/ph" \
		    -H 'X-To-Server: s' "$remote"
		json=$(received)
		assert_equal "$(fish field /headers/x-to-server <<<"$json")" s
		run fish field /headers/x-to-proxy <<<"$json"
		assert_failure
	done
	port=${remote#https://127.0.0.1:}
	port=${port%%/*}
	run proxy_heads
	assert_equal "$(grep -c "^connect 127.0.0.1:$port\$" <<<"$output")" 2
	assert_equal "$(grep -c '^X-To-Proxy: p$' <<<"$output")" 2
	assert_equal "$(grep -c '^X-From-File: f$' <<<"$output")" 2
	refute_output --partial X-To-Server
}

@test "send --proxy-header goes with a request the proxy forwards, as curl's" {
	start_proxy
	fish send --proxy "$proxy" --proxy-header 'X-To-Proxy: p' \
	    -H 'X-To-Server: s' "$remote"
	received >/dev/null
	run proxy_heads
	assert_line "forward GET $remote"
	assert_line 'X-To-Proxy: p'
	assert_line 'X-To-Server: s'
	# Without a proxy, nothing of it is sent.
	fish send --proxy-header 'X-To-Proxy: p' "$remote"
	run fish field /headers/x-to-proxy <<<"$(received)"
	assert_failure
}

@test "send --proxy-header with a bad header or a missing file fails before sending" {
	start_proxy
	run --separate-stderr fish send --proxy "$proxy" \
	    --proxy-header 'nocolon' "$remote"
	assert_failure 2
	assert_equal "${stderr%%$'\n'*}" "fish send: invalid header 'nocolon' (use 'Name: value')"
	run --separate-stderr fish send --proxy "$proxy" \
	    --proxy-header @"$BATS_TEST_TMPDIR/none" "$remote"
	assert_failure 1
	assert_equal "$stderr" "fish: send: $BATS_TEST_TMPDIR/none: No such file or directory"
	assert_equal "$(proxied)" ''
	run fish -S other wait "$remote" --timeout 0.2
	assert_failure 124
}

@test "replay takes --proxy, --noproxy, --proxy-user and --proxy-header as send does" {
	start_proxy auth=bob:s3cret
	fish send "$remote" a=1 >/dev/null
	received >/dev/null
	seq=$(fish log --json | tail -n 1 | fish field /seq)
	run fish replay "$seq" --proxy "$proxy" --proxy-user bob:s3cret \
	    --proxy-header 'X-To-Proxy: p'
	assert_success
	assert_equal "$(received /body)" '{"a":"1"}'
	run proxy_heads
	assert_line "forward POST $remote"
	assert_line 'X-To-Proxy: p'
	assert_line "Proxy-Authorization: Basic $(printf 'bob:s3cret' | base64)"
	# -x, and --noproxy over it: straight to the server.
	run fish replay "$seq" -x "$proxy" --noproxy 127.0.0.1
	assert_success
	assert_equal "$(received /body)" '{"a":"1"}'
	assert_equal "$(proxied | wc -l)" 1
	# Without the proxy's password: its 407.
	run fish replay "$seq" -x "$proxy"
	assert_failure 1
	# Bad input: exit 2, nothing sent.
	run --separate-stderr fish replay "$seq" --proxy-header nocolon
	assert_failure 2
	assert_equal "${stderr%%$'\n'*}" "fish replay: invalid header 'nocolon' (use 'Name: value')"
	run --separate-stderr fish replay "$seq" -x "$proxy" --proxy-user bob \
	    </dev/null
	assert_failure 2
	assert_equal "${stderr%%$'\n'*}" 'fish replay: --proxy-user needs USER:PASSWORD when stdin is not a terminal to ask on'
	assert_equal "$(proxied | wc -l)" 2
	run fish -S other wait "$remote" --timeout 0.2
	assert_failure 124
}

@test "send -F takes ;type=, ;filename= and ;headers= on values and files as curl does" {
	printf 'hello\n' >"$BATS_TEST_TMPDIR/note.txt"
	printf 'X-One: 1\n# a comment\nX-Two: two\n  folded\n' \
	    >"$BATS_TEST_TMPDIR/part-headers"
	# A folded last line without a newline after it.
	printf 'X-Three: 3\n  folded-end' >"$BATS_TEST_TMPDIR/part-headers-2"
	set -- -F 'a=hello;type=text/x-foo' -F 'b=hello;filename=x.txt' \
	    -F 'c=hello;filename=f;type=text/x' \
	    -F 'd="quoted;semi";type=text/plain; charset=utf-8' \
	    -F "e=@$BATS_TEST_TMPDIR/note.txt;filename=\"a;b\"" \
	    -F "f=<$BATS_TEST_TMPDIR/note.txt;type=text/x" \
	    -F 'g=hello;headers="X-Part: 1"' \
	    -F "h=@$BATS_TEST_TMPDIR/note.txt;headers=@$BATS_TEST_TMPDIR/part-headers" \
	    -F 'i"j=v;filename=q"r' -F 'k= spaced ;type=text/y' \
	    -F "l=v;headers=@$BATS_TEST_TMPDIR/part-headers-2"
	fish send "$@" "$remote"
	curl -sS -o /dev/null "$@" "$remote"
	compare_received
	run cat "$BATS_TEST_TMPDIR/both"
	assert_line $'Content-Type: text/x-foo\r'
	assert_line $'Content-Disposition: form-data; name="b"; filename="x.txt"\r'
	assert_line $'Content-Type: text/plain; charset=utf-8\r'
	assert_line $'X-Part: 1\r'
	assert_line $'Content-Disposition: form-data; name="i%22j"; filename="q%22r"\r'
}

@test "send -F with a bad ;type=, an unknown parameter or ;filename= on <file is a usage error" {
	printf 'hello\n' >"$BATS_TEST_TMPDIR/note.txt"
	for spec in 'a=x;type=' 'a=x;type=text' 'a=x;bogus=1' 'a=x;y' \
	    "a=<$BATS_TEST_TMPDIR/note.txt;filename=n" \
	    "a=@$BATS_TEST_TMPDIR/note.txt,$BATS_TEST_TMPDIR/note.txt"; do
		run --separate-stderr fish send -F "$spec" "$remote"
		assert_failure 2
		[[ ${stderr%%$'\n'*} == "fish send: invalid -F '$spec': "* ]]
	done
	run --separate-stderr fish send -F 'a=x;headers=nocolon' "$remote"
	assert_failure 2
	run --separate-stderr fish send -F "a=x;headers=@$BATS_TEST_TMPDIR/none" \
	    "$remote"
	assert_failure 1
	run fish -S other wait "$remote" --timeout 0.2
	assert_failure 124
}

@test "send --help, the man page and the completions name every curl option" {
	local opt item
	run fish send --help
	assert_success
	for opt in -k --insecure --cacert -x --proxy --noproxy -u --user \
	    -F --form -v --verbose --data-urlencode --compressed -w \
	    --write-out --max-response --raw -G --get --proxy-user \
	    --proxy-header; do
		assert_output --partial " $opt"
	done
	run fish replay --help
	assert_success
	for opt in -x --proxy --noproxy --proxy-user --proxy-header; do
		assert_output --partial " $opt"
	done
	for item in 'Fl k , Fl \-insecure' 'Fl \-cacert Ar file' \
	    'Fl x Ar url , Fl \-proxy Ar url' 'Fl \-noproxy Ar list' \
	    'Fl u Ar user : Ns Ar password , Fl \-user Ar user : Ns Ar password' \
	    'Fl F Ar name Ns = Ns Ar value , Fl \-form Ar name Ns = Ns Ar value' \
	    'Fl v , Fl \-verbose' 'Fl \-data-urlencode Ar spec' \
	    'Fl \-compressed' 'Fl w Ar format , Fl \-write-out Ar format' \
	    'Fl \-max-response Ar size' 'Fl \-raw' 'Fl G , Fl \-get' \
	    'Fl \-proxy-user Ar user : Ns Ar password' \
	    "Fl \\-proxy-header Ar 'name: value'"; do
		grep -qxF ".It $item" "$FISH_SRC_DIR/man/fish.1" ||
		    fail "no .It $item"
	done
}
