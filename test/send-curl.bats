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

# start_proxy [deny]: run helpers/proxy.py; set proxy to its URL.
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
	run python3 - fish send -u bob "$remote" <<'EOF'
import os, pty, signal, sys
pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[1], sys.argv[1:])
signal.alarm(20)  # a deadline: fail rather than hang
seen = b""
while b"password" not in seen:
    seen += os.read(fd, 1024)
os.write(fd, b"s3cret\n")
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
	assert_success
	assert_line "Enter host password for user 'bob':"
	refute_output --partial s3cret
	assert_equal "$(received /headers/authorization)" \
	    "Basic $(printf 'bob:s3cret' | base64)"
}

@test "send -u hides the password from ps while the request runs" {
	local pid
	fish -S other close "$remote"
	hook=$(fish -S other spawn --hold)
	fish send -u bob:hunter2 "$hook" >/dev/null 2>&1 &
	pid=$!
	wait_until 10 fish -S other wait "$hook" --peek --timeout 0.1
	run cat "/proc/$pid/cmdline"
	refute_output --partial hunter2
	assert_output --partial bob:
	fish -S other reply 1
	reap "$pid"
	assert_equal "$status" 0
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

@test "send --help, the man page and the completions name every curl option" {
	local opt item
	run fish send --help
	assert_success
	for opt in -k --insecure --cacert -x --proxy --noproxy -u --user \
	    -F --form -v --verbose --data-urlencode --compressed -w \
	    --write-out --max-response --raw; do
		assert_output --partial " $opt"
	done
	for item in 'Fl k , Fl \-insecure' 'Fl \-cacert Ar file' \
	    'Fl x Ar url , Fl \-proxy Ar url' 'Fl \-noproxy Ar list' \
	    'Fl u Ar user : Ns Ar password , Fl \-user Ar user : Ns Ar password' \
	    'Fl F Ar name Ns = Ns Ar value , Fl \-form Ar name Ns = Ns Ar value' \
	    'Fl v , Fl \-verbose' 'Fl \-data-urlencode Ar spec' \
	    'Fl \-compressed' 'Fl w Ar format , Fl \-write-out Ar format' \
	    'Fl \-max-response Ar size' 'Fl \-raw'; do
		grep -qxF ".It $item" "$FISH_SRC_DIR/man/fish.1" ||
		    fail "no .It $item"
	done
}
