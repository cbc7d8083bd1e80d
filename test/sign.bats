#!/usr/bin/env bats
# fish sign and fish verify: signature headers made and checked offline,
# against the providers' published examples, with no session.

bats_require_minimum_version 1.5.0

load helpers/common

setup() {
	common_setup
}

teardown() {
	# bats fails a teardown on its last command only: keep its verdict.
	common_teardown || return
	# Neither command may start a listener.
	[ ! -e "$FISH_HOME/sessions" ] ||
	    fail "a session was created: $(ls "$FISH_HOME/sessions")"
}

GITHUB_SECRET="It's a Secret to Everybody"
GITHUB_SIG=sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17
STANDARD_SECRET=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw
STANDARD_SIG='v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE='
# Not published by Stripe; computed with Python's hmac module:
# hmac.new(b"whsec_test_secret", b'1700000000.{"id":"evt_1"}',
#     hashlib.sha256).hexdigest()
STRIPE_V1=248a374f50f943a28b0f6ab50faf9a7e7e29b710fa26df9fb1618b9bf8ea9c9a
SECRET=sup3r-s3cret-value

# sign_headers SPEC BODY [SIGN-OPTION...]: set H to the -H arguments that
# give fish verify the headers fish sign prints for BODY.
sign_headers() {
	local spec=$1 body=$2 line
	shift 2
	H=()
	while IFS= read -r line; do
		H+=(-H "$line")
	done < <(printf '%s' "$body" | fish sign "$spec" "$@")
	[ "${#H[@]}" -gt 0 ] || fail "fish sign $spec printed nothing"
}

# sign_verify SPEC BODY [VERIFY-OPTION...]: sign BODY with SPEC, then
# run fish verify with the same SPEC and the headers sign printed.
sign_verify() {
	local spec=$1 body=$2
	shift 2
	sign_headers "$spec" "$body"
	run --separate-stderr fish verify "$spec" "${H[@]}" "$@" \
	    < <(printf '%s' "$body")
}

@test "sign prints GitHub's documented example" {
	run fish sign "github:$GITHUB_SECRET" < <(printf 'Hello, World!')
	assert_success
	assert_output "X-Hub-Signature-256: $GITHUB_SIG"
}

@test "sign prints the Standard Webhooks specification's example" {
	run fish sign "standard:$STANDARD_SECRET" \
	    --id msg_p5jXN8AQM9LWM0D4loKWxJek --timestamp 1614265330 \
	    < <(printf '{"test": 2432232314}')
	assert_success
	assert_equal "${lines[0]}" "webhook-id: msg_p5jXN8AQM9LWM0D4loKWxJek"
	assert_equal "${lines[1]}" "webhook-timestamp: 1614265330"
	assert_equal "${lines[2]}" "webhook-signature: $STANDARD_SIG"
	assert_equal "${#lines[@]}" 3
}

@test "sign prints a stripe header keyed by the whole secret" {
	run fish sign stripe:whsec_test_secret --timestamp 1700000000 \
	    < <(printf '{"id":"evt_1"}')
	assert_success
	assert_output "Stripe-Signature: t=1700000000,v1=$STRIPE_V1"
}

@test "sign prints a plain hex HMAC in the named header" {
	run fish sign hmac-sha1:X-Sig:key < <(printf 'Hello, World!')
	assert_output "X-Sig: b688f6f2602474b86713f193726755f0095edc8b"
	run fish sign hmac-sha256:X-Shopify-Hmac-Sha256:key \
	    < <(printf 'Hello, World!')
	assert_output "X-Shopify-Hmac-Sha256: 7f424e2d0ff6bd5dec626e0102755bafec91c3510f19739a4eaec8f3bc3a01a4"
	run fish sign hmac-sha512:X-Sig:key < <(printf 'Hello, World!')
	assert_output "X-Sig: 7b735ac190ebd1432d56f95ae2aea5a04a23128f4c228e299b7a49fb7561de8cc8f4fdf4486dc743dfd07827d617273aab42b3bf819d243ded322fac167419f1"
}

@test "sign uses the time now and a fresh msg_ id by default" {
	local before after ts id1
	before=$(date +%s)
	run fish sign "standard:$STANDARD_SECRET" < /dev/null
	after=$(date +%s)
	assert_success
	[[ ${lines[0]} =~ ^webhook-id:\ msg_[A-Za-z0-9]{24}$ ]] ||
	    fail "unexpected id line: ${lines[0]}"
	id1=${lines[0]}
	ts=${lines[1]#webhook-timestamp: }
	[ "$ts" -ge "$before" ] && [ "$ts" -le "$after" ] ||
	    fail "timestamp $ts is not now ($before..$after)"
	run fish sign "standard:$STANDARD_SECRET" < /dev/null
	[ "${lines[0]}" != "$id1" ] || fail "the same id twice: $id1"
	run fish sign stripe:whsec_x < /dev/null
	[[ $output =~ ^Stripe-Signature:\ t=([0-9]+),v1=[0-9a-f]{64}$ ]] ||
	    fail "unexpected stripe line: $output"
	[ "${BASH_REMATCH[1]}" -ge "$before" ] || fail "stripe t is not now"
}

@test "each scheme's signature verifies with the same secret" {
	local spec
	for spec in github:s3cret stripe:whsec_s3cret \
	    "standard:$STANDARD_SECRET" hmac-sha1:X-Sig:s3cret \
	    hmac-sha256:X-Sig:s3cret hmac-sha512:X-Sig:s3cret; do
		sign_verify "$spec" '{"n": 1}'
		[ "$status" -eq 0 ] || fail "$spec: exit $status: $stderr"
		assert_output ""
		assert_equal "$stderr" ""
	done
}

@test "verify accepts the published examples" {
	run fish verify "github:$GITHUB_SECRET" \
	    -H "X-Hub-Signature-256: $GITHUB_SIG" < <(printf 'Hello, World!')
	assert_success
	assert_output ""
	run fish verify "standard:$STANDARD_SECRET" --now 1614265330 \
	    -H 'webhook-id: msg_p5jXN8AQM9LWM0D4loKWxJek' \
	    -H 'webhook-timestamp: 1614265330' \
	    -H "webhook-signature: $STANDARD_SIG" \
	    < <(printf '{"test": 2432232314}')
	assert_success
	run fish verify stripe:whsec_test_secret --now 1700000000 \
	    -H "Stripe-Signature: t=1700000000,v1=$STRIPE_V1" \
	    < <(printf '{"id":"evt_1"}')
	assert_success
}

@test "verify compares header names case-insensitively" {
	run fish verify "github:$GITHUB_SECRET" \
	    -H "x-hub-signature-256:$GITHUB_SIG" < <(printf 'Hello, World!')
	assert_success
}

@test "verify accepts a prefixed generic HMAC" {
	run fish verify hmac-sha256:X-Sig:key -H "X-Sig: sha256=7f424e2d0ff6bd5dec626e0102755bafec91c3510f19739a4eaec8f3bc3a01a4" \
	    < <(printf 'Hello, World!')
	assert_success
}

@test "verify refuses a tampered body" {
	local spec
	for spec in "github:$SECRET" "stripe:$SECRET" \
	    "standard:$STANDARD_SECRET" "hmac-sha256:X-Sig:$SECRET"; do
		sign_headers "$spec" body
		run --separate-stderr fish verify "$spec" "${H[@]}" \
		    < <(printf 'bodY')
		[ "$status" -eq 1 ] || fail "$spec: exit $status"
		assert_equal "$stderr" "fish: verify: signature does not match"
		assert_output ""
	done
}

@test "verify refuses a wrong secret" {
	sign_headers stripe:right b
	run --separate-stderr fish verify stripe:wrong "${H[@]}" \
	    < <(printf 'b')
	assert_failure 1
	assert_equal "$stderr" "fish: verify: signature does not match"
}

@test "verify refuses timestamps beyond the tolerance both ways" {
	local spec
	for spec in stripe:whsec_x "standard:$STANDARD_SECRET"; do
		sign_headers "$spec" b --id msg_1 --timestamp 1000
		run --separate-stderr fish verify "$spec" "${H[@]}" \
		    --now 1300 < <(printf 'b')
		[ "$status" -eq 0 ] || fail "$spec: 300 s old: $stderr"
		run --separate-stderr fish verify "$spec" "${H[@]}" \
		    --now 1301 < <(printf 'b')
		assert_failure 1
		assert_equal "$stderr" "fish: verify: timestamp too old"
		run --separate-stderr fish verify "$spec" "${H[@]}" \
		    --now 699 < <(printf 'b')
		assert_failure 1
		assert_equal "$stderr" \
		    "fish: verify: timestamp too far in the future"
		run fish verify "$spec" "${H[@]}" --now 4000 \
		    --tolerance 1h < <(printf 'b')
		assert_success
		run fish verify "$spec" "${H[@]}" --now 1001 --tolerance 0 \
		    < <(printf 'b')
		assert_failure 1
	done
}

@test "verify takes --tolerance in whole seconds, and refuses a fraction rather than round it" {
	local t
	sign_headers stripe:whsec_x b --timestamp 1000
	# 1500ms was taken as 1s unsaid: 1.5 s late failed.
	for t in 1500ms 1.5s 0.5 999ms; do
		run --separate-stderr fish verify stripe:whsec_x "${H[@]}" \
		    --now 1001 --tolerance "$t" < <(printf 'b')
		assert_failure 2
		assert_equal "${stderr_lines[0]}" "fish verify: invalid --tolerance '$t' (whole seconds, as timestamps are: use e.g. 30, 90s, 5m)"
		assert_equal "${#stderr_lines[@]}" 2
	done
	# Whole seconds however written are honoured exactly.
	for t in 2000ms 2 2s 2.0s; do
		run fish verify stripe:whsec_x "${H[@]}" --now 1002 \
		    --tolerance "$t" < <(printf 'b')
		assert_success
		run fish verify stripe:whsec_x "${H[@]}" --now 1003 \
		    --tolerance "$t" < <(printf 'b')
		assert_failure 1
	done
}

@test "verify checks against the time now by default" {
	run fish verify stripe:whsec_x \
	    -H "$(printf 'b' | fish sign stripe:whsec_x --timestamp 1000)" \
	    < <(printf 'b')
	assert_failure 1
	assert_output "fish: verify: timestamp too old"
	sign_verify stripe:whsec_x b
	assert_success
}

@test "verify reports a missing or malformed header" {
	run --separate-stderr fish verify "github:$SECRET" < <(printf 'b')
	assert_failure 1
	assert_equal "$stderr" "fish: verify: no X-Hub-Signature-256 header"
	run --separate-stderr fish verify "github:$SECRET" \
	    -H 'X-Hub-Signature-256: md5=abc' < <(printf 'b')
	assert_failure 1
	assert_equal "$stderr" \
	    "fish: verify: malformed X-Hub-Signature-256 header"
	run --separate-stderr fish verify "stripe:$SECRET" \
	    -H 'Stripe-Signature: v1=abc' < <(printf 'b')
	assert_failure 1
	assert_equal "$stderr" "fish: verify: malformed Stripe-Signature header"
	run --separate-stderr fish verify "standard:$STANDARD_SECRET" \
	    -H 'webhook-id: msg_1' -H 'webhook-signature: v1,abc' \
	    < <(printf 'b')
	assert_failure 1
	assert_equal "$stderr" "fish: verify: no webhook-timestamp header"
	run --separate-stderr fish verify "hmac-sha256:X-Sig:$SECRET" \
	    -H 'X-Sig: not hex' < <(printf 'b')
	assert_failure 1
	assert_equal "$stderr" "fish: verify: malformed X-Sig header"
}

@test "verify with no -H fails at once, without waiting for a body" {
	# A body that never ends: a FIFO this shell holds open for writing.
	mkfifo "$BATS_TEST_TMPDIR/body"
	exec 4<>"$BATS_TEST_TMPDIR/body"
	run --separate-stderr timeout 10 fish verify "github:$SECRET" <&4
	exec 4>&-
	assert_failure 1
	assert_equal "$stderr" "fish: verify: no X-Hub-Signature-256 header"
}

@test "verify accepts one good signature among several (rotated secrets)" {
	local good
	good=$(printf 'b' | fish sign stripe:new --timestamp 1000)
	good=${good#*v1=}
	run fish verify stripe:new --now 1000 \
	    -H "Stripe-Signature: t=1000,v1=$(printf '0%.0s' {1..64}),v1=$good" \
	    < <(printf 'b')
	assert_success
	run fish verify stripe:old --now 1000 \
	    -H "Stripe-Signature: t=1000,v1=$(printf '0%.0s' {1..64}),v1=$good" \
	    < <(printf 'b')
	assert_failure 1
	run fish verify "standard:$STANDARD_SECRET" --now 1614265330 \
	    -H 'webhook-id: msg_p5jXN8AQM9LWM0D4loKWxJek' \
	    -H 'webhook-timestamp: 1614265330' \
	    -H "webhook-signature: v1,b2xkIHNpZ25hdHVyZSBmcm9tIGFuIG9sZCBrZXkh $STANDARD_SIG" \
	    < <(printf '{"test": 2432232314}')
	assert_success
}

@test "a secret may come from a file, one trailing newline cut" {
	printf '%s\n' "$GITHUB_SECRET" > "$BATS_TEST_TMPDIR/secret"
	run fish sign "github:@$BATS_TEST_TMPDIR/secret" \
	    < <(printf 'Hello, World!')
	assert_success
	assert_output "X-Hub-Signature-256: $GITHUB_SIG"
	run fish verify "github:@$BATS_TEST_TMPDIR/secret" \
	    -H "X-Hub-Signature-256: $GITHUB_SIG" < <(printf 'Hello, World!')
	assert_success
}

@test "a secret may come from a pipe, which can be read only once" {
	run --separate-stderr fish sign \
	    "github:@"<(printf '%s\n' "$GITHUB_SECRET") \
	    < <(printf 'Hello, World!')
	assert_success
	assert_output "X-Hub-Signature-256: $GITHUB_SIG"
	run --separate-stderr fish verify \
	    "github:@"<(printf '%s\n' "$GITHUB_SECRET") \
	    -H "X-Hub-Signature-256: $GITHUB_SIG" < <(printf 'Hello, World!')
	assert_success
	# A bad secret from a pipe still gets one line and exit 2.
	run --separate-stderr fish sign "standard:@"<(printf 'not base64!') \
	    < /dev/null
	assert_failure 2
	[[ $stderr == "fish: sign: standard secret in file "*" is not whsec_"* ]] ||
	    fail "$stderr"
}

@test "a relative @FILE is read from the working directory" {
	mkdir "$BATS_TEST_TMPDIR/dir"
	printf '%s' "$GITHUB_SECRET" > "$BATS_TEST_TMPDIR/dir/secret"
	cd "$BATS_TEST_TMPDIR/dir"
	run fish sign github:@secret < <(printf 'Hello, World!')
	assert_output "X-Hub-Signature-256: $GITHUB_SIG"
}

@test "a secret may come from an environment variable" {
	export HOOK_SECRET=$STANDARD_SECRET
	run fish sign standard:env:HOOK_SECRET \
	    --id msg_p5jXN8AQM9LWM0D4loKWxJek --timestamp 1614265330 \
	    < <(printf '{"test": 2432232314}')
	assert_success
	assert_line "webhook-signature: $STANDARD_SIG"
	run fish verify standard:env:HOOK_SECRET --now 1614265330 \
	    -H 'webhook-id: msg_p5jXN8AQM9LWM0D4loKWxJek' \
	    -H 'webhook-timestamp: 1614265330' \
	    -H "webhook-signature: $STANDARD_SIG" \
	    < <(printf '{"test": 2432232314}')
	assert_success
}

@test "a missing secret file or variable exits 2 and names it" {
	local cmd
	for cmd in sign verify; do
		run --separate-stderr fish "$cmd" github:@/no/such/secret \
		    < /dev/null
		assert_failure 2
		assert_equal "$stderr" "fish: $cmd: cannot read secret file '/no/such/secret': No such file or directory"
		unset NO_SUCH_SECRET
		run --separate-stderr fish "$cmd" stripe:env:NO_SUCH_SECRET \
		    < /dev/null
		assert_failure 2
		assert_equal "$stderr" "fish: $cmd: environment variable 'NO_SUCH_SECRET' is not set"
	done
}

@test "a bad spec exits 2 with one line" {
	local cmd spec
	for cmd in sign verify; do
		for spec in gitlab:x "$SECRET" github: hmac-sha256:x \
		    hmac-sha256:env:X standard:whsec_not-base64; do
			run --separate-stderr fish "$cmd" "$spec" < /dev/null
			[ "$status" -eq 2 ] || fail "$cmd $spec: exit $status"
			[ "${#stderr_lines[@]}" -eq 1 ] ||
			    fail "$cmd $spec: $stderr"
			[[ $stderr == "fish: $cmd: "* ]] ||
			    fail "$cmd $spec: $stderr"
		done
	done
	run fish sign gitlab:x < /dev/null
	assert_output --partial "unknown signature scheme (use github,"
	run fish sign hmac-sha256:x < /dev/null
	assert_output --partial "hmac-sha256 needs a header name"
	run fish sign standard:whsec_not-base64 < /dev/null
	assert_output --partial "not whsec_ followed by base64"
}

@test "the secret never appears in any output" {
	local spec cmd out=""
	export HOOK_SECRET=$SECRET
	printf '%s\n' "$SECRET" > "$BATS_TEST_TMPDIR/secret"
	for spec in "github:$SECRET" "hmac-sha256:X-Sig:$SECRET" \
	    github:env:HOOK_SECRET "stripe:@$BATS_TEST_TMPDIR/secret" \
	    "$SECRET" "gitlab2:$SECRET" "$SECRET:tail" "hmac-sha256:$SECRET" \
	    "standard:$SECRET" "standard:whsec_$SECRET"; do
		out+=$(fish sign "$spec" < <(printf 'b') 2>&1 || true)
		for cmd in sign verify; do
			out+=$(fish "$cmd" "$spec" -H 'X-Sig: 00' \
			    < <(printf 'b') 2>&1 || true)
			out+=$(fish "$cmd" "$spec" --bogus 2>&1 < /dev/null ||
			    true)
		done
		out+=$(fish verify "$spec" -H 'X-Hub-Signature-256: sha256=0' \
		    -H 'Stripe-Signature: t=1,v1=00' < <(printf 'b') 2>&1 ||
		    true)
	done
	[ -n "$out" ]
	[[ $out != *"$SECRET"* ]] || fail "the secret was printed: $out"
}

@test "a secret from a file or variable stays out of the command line" {
	export HOOK_SECRET=$SECRET
	mkfifo "$BATS_TEST_TMPDIR/body"
	fish sign github:env:HOOK_SECRET < "$BATS_TEST_TMPDIR/body" \
	    > "$BATS_TEST_TMPDIR/out" &
	local pid=$!
	exec 4> "$BATS_TEST_TMPDIR/body"
	# fish execs the listener's tool mode, which waits for the body.
	wait_until 5 grep -q -- --sign "/proc/$pid/cmdline"
	run tr '\0' ' ' < "/proc/$pid/cmdline"
	assert_output --partial "--sign github:env:HOOK_SECRET"
	refute_output --partial "$SECRET"
	printf 'b' >&4
	exec 4>&-
	wait "$pid"
	run cat "$BATS_TEST_TMPDIR/out"
	assert_output --regexp '^X-Hub-Signature-256: sha256=[0-9a-f]{64}$'
}

@test "sign and verify work with no session and start none" {
	sign_verify "github:$SECRET" body
	assert_success
	[ ! -e "$FISH_HOME/sessions" ]
	[ -z "$(session_pids)" ]
}

@test "sign refuses a bad --id or --timestamp" {
	run --separate-stderr fish sign "standard:$STANDARD_SECRET" \
	    --id 'has space' < /dev/null
	assert_failure 2
	[[ $stderr == *"invalid --id"* ]] || fail "$stderr"
	run --separate-stderr fish sign "standard:$STANDARD_SECRET" --id '' \
	    < /dev/null
	assert_failure 2
	run --separate-stderr fish sign stripe:x --timestamp yesterday \
	    < /dev/null
	assert_failure 2
	[[ $stderr == *"invalid --timestamp 'yesterday'"* ]] || fail "$stderr"
	run --separate-stderr fish sign stripe:x --timestamp -5 < /dev/null
	assert_failure 2
}

@test "--id and --timestamp are ignored by schemes that sign no such thing" {
	run fish sign "github:$GITHUB_SECRET" --id msg_1 --timestamp 5 \
	    < <(printf 'Hello, World!')
	assert_success
	assert_output "X-Hub-Signature-256: $GITHUB_SIG"
}

@test "verify refuses bad -H, --now and --tolerance values" {
	run --separate-stderr fish verify github:x -H 'no colon' < /dev/null
	assert_failure 2
	[[ $stderr == *"expected -H 'Name: value'"* ]] || fail "$stderr"
	run --separate-stderr fish verify github:x -H ': value' < /dev/null
	assert_failure 2
	run --separate-stderr fish verify github:x --now soon < /dev/null
	assert_failure 2
	[[ $stderr == *"invalid --now 'soon'"* ]] || fail "$stderr"
	run --separate-stderr fish verify github:x --tolerance forever \
	    < /dev/null
	assert_failure 2
	[[ $stderr == *"invalid duration"* ]] || fail "$stderr"
}

@test "sign and verify take exactly one spec" {
	local cmd
	for cmd in sign verify; do
		run --separate-stderr fish "$cmd" < /dev/null
		assert_failure 2
		[[ $stderr == *"missing SCHEME:SECRET"* ]] || fail "$stderr"
		run --separate-stderr fish "$cmd" github:a github:b < /dev/null
		assert_failure 2
	done
}

@test "sign and verify exit 3 when the listener executable is missing" {
	FISH_LISTENER=$BATS_TEST_TMPDIR/none run --separate-stderr \
	    fish sign github:x < /dev/null
	assert_failure 3
	[[ $stderr == "fish: sign: cannot run $BATS_TEST_TMPDIR/none: "* ]] ||
	    fail "$stderr"
	FISH_LISTENER=$BATS_TEST_TMPDIR/none run --separate-stderr \
	    fish verify github:x < /dev/null
	assert_failure 3
}

@test "sign and verify --help describe their options" {
	run fish sign --help
	assert_success
	assert_line --index 0 --partial "usage: fish sign SCHEME:SECRET"
	assert_output --partial "--id ID"
	assert_output --partial "--timestamp T"
	run fish verify --help
	assert_success
	assert_output --partial "--tolerance D"
	assert_output --partial "--now T"
	assert_output --partial "-H 'Name: value'"
}

@test "sign signs an empty body" {
	run fish sign hmac-sha256:X-Sig:key < /dev/null
	assert_success
	# hmac.new(b"key", b"", hashlib.sha256).hexdigest()
	assert_output "X-Sig: 5d5d139563c95b5967b9bd9a8c9b233a9dedb45072794cd232dc1b74832607d0"
}
