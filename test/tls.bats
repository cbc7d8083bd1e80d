#!/usr/bin/env bats
# HTTPS: fish start --tls-cert/--tls-key serves the hooks over TLS, with a
# certificate each test makes for itself, and refuses files that will not do;
# fish replay sends to the session's own hooks over TLS.

bats_require_minimum_version 1.5.0

load helpers/common

setup() {
	common_setup
	tls_dir=$BATS_TEST_TMPDIR/tls
	mkdir -p "$tls_dir"
	make_cert "$tls_dir/cert.pem" "$tls_dir/key.pem"
}

teardown() {
	common_teardown
}

# make_cert CERT KEY [NAME SAN]: a self-signed P-256 certificate for
# 127.0.0.1 and localhost (or for NAME, with subject alternative names
# SAN), valid for a day.
make_cert() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
	    -nodes -subj "/CN=${3:-localhost}" \
	    -addext "subjectAltName=${4:-IP:127.0.0.1,DNS:localhost}" -days 1 \
	    -keyout "$2" -out "$1" 2>/dev/null
}

# post_tls URL BODY [CURL-ARG...]: post BODY to URL, trusting the test's
# certificate; print the HTTP status.
post_tls() {
	local url=$1 body=$2
	shift 2
	curl -sS -o /dev/null -w '%{http_code}' --max-time 10 \
	    --cacert "$tls_dir/cert.pem" --data "$body" "$@" "$url"
}

# sent_url: print the URL of the last request the session sent.
sent_url() {
	fish log --json | grep '"direction":"sent"' | tail -n 1 | fish field /url
}

# start_tls: start the session with the test's certificate.
start_tls() {
	fish start --tls-cert "$tls_dir/cert.pem" --tls-key "$tls_dir/key.pem"
}

@test "start with a certificate serves hooks over https" {
	run start_tls
	assert_success
	assert_output --regexp '^https://127\.0\.0\.1:[0-9]+$'

	run fish spawn
	assert_success
	assert_output --regexp '^https://127\.0\.0\.1:[0-9]+/'
	local hook=$output

	run http_code "$hook" --cacert "$tls_dir/cert.pem" --data x
	assert_output 200
	run fish wait "$hook" --timeout 5
	assert_success
	assert_output x
}

@test "status and ls show https URLs and the certificate's files" {
	start_tls >/dev/null
	local hook
	hook=$(fish spawn --name tls)

	run fish status
	assert_success
	assert_line --regexp '^url: +https://127\.0\.0\.1:[0-9]+$'
	assert_line --regexp "^tls cert: +$tls_dir/cert\.pem\$"
	assert_line --regexp "^tls key: +$tls_dir/key\.pem\$"
	run fish ls
	assert_success
	assert_output --partial "$hook"
}

@test "plain http to the https port gets no hook" {
	start_tls >/dev/null
	local hook
	hook=$(fish spawn)

	run http_code "http://${hook#https://}" --data x
	refute_output 200
	run fish wait "$hook" --timeout 250ms
	assert_failure 124
}

@test "relative certificate paths are saved as absolute ones" {
	cd "$tls_dir"
	run fish start --tls-cert cert.pem --tls-key ./key.pem
	assert_success
	assert_output --regexp '^https://'
	cd /
	run fish status --json
	assert_success
	assert_output --partial "\"tls_cert\":\"$tls_dir/cert.pem\""
	assert_output --partial "\"tls_key\":\"$tls_dir/./key.pem\""
}

@test "a listener killed with SIGKILL comes back serving https" {
	start_tls >/dev/null
	local hook pid
	hook=$(fish spawn)
	pid=$(listener_pid)
	kill_listener

	run fish spawn
	assert_success
	assert_output --regexp '^https://'
	[ "$(listener_pid)" != "$pid" ]
	run http_code "$hook" --cacert "$tls_dir/cert.pem" --data again
	assert_output 200
	run fish wait "$hook" --timeout 5
	assert_output again
}

@test "a certificate gone by the next start stops it with exit 3" {
	start_tls >/dev/null
	fish stop
	rm "$tls_dir/cert.pem"

	run fish spawn
	assert_failure 3
	assert_output --partial "cannot read TLS certificate '$tls_dir/cert.pem'"
	# Named as the user calls it, also when installed under another name.
	assert_output --partial "(saved by an earlier start: give '$FISH_INSTALLED_NAME start' other files, or --no-tls)"
	[ "${#lines[@]}" -eq 1 ]
}

@test "--no-tls serves plain http again, forgetting the saved files" {
	start_tls >/dev/null
	fish stop
	rm "$tls_dir/cert.pem"

	run fish start --no-tls
	assert_success
	assert_output --regexp '^http://127\.0\.0\.1:[0-9]+$'
	kill_listener
	run fish spawn
	assert_success
	assert_output --regexp '^http://'
	run fish status
	refute_output --partial "tls"
}

@test "--no-tls on a listener serving https says it runs with other settings" {
	start_tls >/dev/null
	run fish start --no-tls
	assert_failure 1
	assert_output --partial "already running with other settings"
}

@test "--no-tls with --tls-cert is a usage error" {
	run fish start --no-tls --tls-cert "$tls_dir/cert.pem" \
	    --tls-key "$tls_dir/key.pem"
	assert_failure 2
	assert_output --partial "--no-tls and --tls-cert contradict each other"
}

@test "a key that does not match the certificate is a usage error" {
	make_cert "$tls_dir/other.pem" "$tls_dir/other-key.pem"

	run fish start --tls-cert "$tls_dir/cert.pem" \
	    --tls-key "$tls_dir/other-key.pem"
	assert_failure 2
	assert_output --partial "does not match"
	[ "${#lines[@]}" -eq 1 ]
	refute_output --partial "PRIVATE KEY"
}

@test "a missing certificate file is a usage error naming it" {
	run fish start --tls-cert "$tls_dir/nothing.pem" \
	    --tls-key "$tls_dir/key.pem"
	assert_failure 2
	assert_output --partial "cannot read TLS certificate '$tls_dir/nothing.pem'"
	[ "${#lines[@]}" -eq 1 ]
}

@test "files that are not PEM are usage errors" {
	printf 'not a certificate\n' >"$tls_dir/garbage.pem"

	run fish start --tls-cert "$tls_dir/garbage.pem" \
	    --tls-key "$tls_dir/key.pem"
	assert_failure 2
	assert_output --partial "'$tls_dir/garbage.pem': not a PEM certificate"
	[ "${#lines[@]}" -eq 1 ]

	run fish start --tls-cert "$tls_dir/cert.pem" \
	    --tls-key "$tls_dir/garbage.pem"
	assert_failure 2
	assert_output --partial "'$tls_dir/garbage.pem': not an unencrypted PEM private key"

	# The certificate where the key belongs.
	run fish start --tls-cert "$tls_dir/cert.pem" \
	    --tls-key "$tls_dir/cert.pem"
	assert_failure 2
	assert_output --partial "not an unencrypted PEM private key"
}

@test "a FIFO or a directory given as a TLS file is a usage error" {
	mkfifo "$tls_dir/fifo"
	# Nobody writes to the FIFO: opening it must not wait for a writer.
	run timeout 20 fish start --tls-cert "$tls_dir/fifo" \
	    --tls-key "$tls_dir/key.pem"
	assert_failure 2
	assert_output --partial "'$tls_dir/fifo': not a regular file"
	run timeout 20 fish start --tls-cert "$tls_dir/cert.pem" \
	    --tls-key "$tls_dir"
	assert_failure 2
	assert_output --partial "'$tls_dir': not a regular file"
}

@test "a TLS file with a NUL byte is a usage error naming it" {
	{ printf '\0'; cat "$tls_dir/key.pem"; } >"$tls_dir/nul-key.pem"
	run fish start --tls-cert "$tls_dir/cert.pem" \
	    --tls-key "$tls_dir/nul-key.pem"
	assert_failure 2
	assert_output --partial "'$tls_dir/nul-key.pem': not a PEM file (it holds a NUL byte)"
	{ printf '\0'; cat "$tls_dir/cert.pem"; } >"$tls_dir/nul-cert.pem"
	run fish start --tls-cert "$tls_dir/nul-cert.pem" \
	    --tls-key "$tls_dir/key.pem"
	assert_failure 2
	assert_output --partial "'$tls_dir/nul-cert.pem': not a PEM file (it holds a NUL byte)"
}

@test "a bad file given to start leaves no listener behind" {
	run fish start --tls-cert "$tls_dir/key.pem" --tls-key "$tls_dir/key.pem"
	assert_failure 2
	run fish status
	assert_failure 3
}

@test "--tls-cert without --tls-key, or the reverse, is a usage error" {
	run fish start --tls-cert "$tls_dir/cert.pem"
	assert_failure 2
	assert_output --partial "--tls-cert and --tls-key go together"
	run fish start --tls-key "$tls_dir/key.pem"
	assert_failure 2
	assert_output --partial "--tls-cert and --tls-key go together"
	run fish start --tls-cert "" --tls-key "$tls_dir/key.pem"
	assert_failure 2
}

@test "--public-url still decides printed URLs under https" {
	run fish start --tls-cert "$tls_dir/cert.pem" \
	    --tls-key "$tls_dir/key.pem" --public-url https://hooks.example.com
	assert_success
	assert_output https://hooks.example.com
}

@test "start with other certificate files while running says so" {
	start_tls >/dev/null
	make_cert "$tls_dir/other.pem" "$tls_dir/other-key.pem"
	run fish start --tls-cert "$tls_dir/other.pem" \
	    --tls-key "$tls_dir/other-key.pem"
	assert_failure 1
	assert_output --partial "already running with other settings"
	run start_tls
	assert_success
}

@test "replay sends a callback again to its hook over https" {
	start_tls >/dev/null
	local hook got
	hook=$(fish spawn)
	run post_tls "$hook/again?n=1" once -H 'X-Id: 7'
	assert_output 200
	assert_equal "$(fish wait "$hook" --timeout 5)" once

	run fish replay "$(nth_seq 1)"
	assert_success
	assert_output ''
	got=$(fish wait "$hook" --json --timeout 5)
	assert_equal "$(fish field /body <<<"$got")" once
	assert_equal "$(fish field /path <<<"$got")" /again
	assert_equal "$(fish field /query <<<"$got")" n=1
	assert_equal "$(fish field /headers/x-id <<<"$got")" 7
	# To our own address, over https, under the hook's token.
	run sent_url
	assert_output "$hook/again?n=1"
}

@test "replay trusts the session's certificate for itself only" {
	start_tls >/dev/null
	local hook
	hook=$(fish spawn)
	run post_tls "$hook" x
	assert_output 200
	run fish replay "$(nth_seq 1)"
	assert_success

	# A send to the same hook checks the certificate as any send does:
	# no system authority signed it.
	run --separate-stderr fish send POST "$hook" --data y
	assert_failure 5
	[[ $stderr == *"certificate"* ]] || fail "$stderr"
	run fish wait "$hook" --count 2 --timeout 5
	assert_success
	assert_equal "${#lines[@]}" 2
}

@test "replay over https reaches the listener on every address, by the certificate's name" {
	make_cert "$tls_dir/named.pem" "$tls_dir/named-key.pem" \
	    hooks.example.test DNS:hooks.example.test
	fish start --listen 0.0.0.0:0 --tls-cert "$tls_dir/named.pem" \
	    --tls-key "$tls_dir/named-key.pem" >/dev/null 2>&1
	local hook token port
	hook=$(fish spawn)
	token=${hook##*/}
	port=${hook%/*}
	port=${port##*:}
	run curl -sS -o /dev/null -w '%{http_code}' --max-time 10 \
	    --cacert "$tls_dir/named.pem" --data named \
	    --resolve "hooks.example.test:$port:127.0.0.1" \
	    "https://hooks.example.test:$port/$token"
	assert_output 200
	assert_equal "$(fish wait "$hook" --timeout 5)" named

	run fish replay "$(nth_seq 1)"
	assert_success
	assert_equal "$(fish wait "$hook" --timeout 5)" named
	run sent_url
	assert_output "https://hooks.example.test:$port/$token"
}
