#!/usr/bin/env bats
# fish send --sign: the listener signs the exact bytes it sends.  The
# receiving side is a --verify hook of another session, and Python's hmac
# (helpers/sign.py's signer) where the headers themselves are checked.

load helpers/common
load helpers/flaky
bats_require_minimum_version 1.5.0

SECRET=It5-a-s3cret-nobody-knows
WHSEC=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw

setup() {
	common_setup
	BODY=$BATS_TEST_TMPDIR/body.json
	printf '{"action":"opened","number":7}' >"$BODY"
}

teardown() {
	stop_flaky
	common_teardown
}

# signed_send SCHEME SPEC [SEND_ARG...]: spawn a hook verifying SCHEME in
# session "receiver", send $BODY to it signed with SPEC from the default
# session, and check it arrives verified; the envelope is in $envelope.
signed_send() {
	local scheme=$1 spec=$2 hook
	shift 2
	hook=$(fish -S receiver spawn --verify "$scheme:$SECRET")
	run --separate-stderr fish send POST "$hook" --data @"$BODY" \
	    --sign "$spec" "$@"
	assert_success
	run --separate-stderr fish -S receiver wait "$hook" --json --timeout 5
	assert_success
	envelope=$output
	assert_equal "$(fish field /verified <<<"$envelope")" true
	assert_equal "$(fish field /body <<<"$envelope")" "$(cat "$BODY")"
}

@test "send --sign github reaches a --verify github hook verified" {
	signed_send github "github:$SECRET"
}

@test "send --sign stripe reaches a --verify stripe hook verified" {
	signed_send stripe "stripe:$SECRET"
}

@test "send --sign hmac-sha256:HEADER reaches a hook checking that header" {
	signed_send hmac-sha256:X-Signature "hmac-sha256:X-Signature:$SECRET"
}

@test "send --sign standard signs a fresh webhook-id, or the one given" {
	local hook
	hook=$(fish -S receiver spawn --verify "standard:$WHSEC")
	fish send POST "$hook" --data @"$BODY" --sign "standard:$WHSEC"
	fish send POST "$hook" --data @"$BODY" --sign "standard:$WHSEC" \
	    -H 'webhook-id: msg_mine' -H 'webhook-timestamp: '"$(date +%s)"
	run fish -S receiver wait "$hook" --json --timeout 5
	assert_success
	assert_equal "$(fish field /verified <<<"$output")" true
	assert_regex "$(fish field /headers/webhook-id <<<"$output")" '^msg_'
	run fish -S receiver wait "$hook" --json --timeout 5
	assert_success
	assert_equal "$(fish field /verified <<<"$output")" true
	# The given id is the one signed, and it is sent once (repeated
	# headers would be joined with ", ").
	assert_equal "$(fish field /headers/webhook-id <<<"$output")" msg_mine
}

@test "send --sign takes the secret from a file or the environment" {
	printf '%s\n' "$SECRET" >"$BATS_TEST_TMPDIR/secret"
	signed_send github "github:@$BATS_TEST_TMPDIR/secret"
	SIGNING_SECRET=$SECRET signed_send github github:env:SIGNING_SECRET
}

@test "send --sign signs each body form: items, --json and stdin" {
	local hook
	hook=$(fish -S receiver spawn --verify "github:$SECRET")
	fish send "$hook" --sign "github:$SECRET" id:=7 name=x >/dev/null
	fish send "$hook" --sign "github:$SECRET" --json '{"a": 1}' >/dev/null
	fish send "$hook" --sign "github:$SECRET" --data @- <"$BODY" >/dev/null
	for _ in 1 2 3; do
		run fish -S receiver wait "$hook" --json --timeout 5
		assert_success
		assert_equal "$(fish field /verified <<<"$output")" true
	done
}

@test "a send signed with the wrong secret is refused by the hook" {
	local hook
	hook=$(fish -S receiver spawn --verify "github:$SECRET")
	run --separate-stderr fish send POST "$hook" --data @"$BODY" \
	    --sign github:not-the-secret
	assert_failure 1
	assert_equal "$stderr" \
	    "fish: send: POST $hook: got 401, expected 2xx"
	run fish -S receiver wait "$hook" --timeout 0
	assert_failure 124
}

@test "the signing secret appears in no output, log or journal" {
	local hook
	hook=$(fish -S receiver spawn)
	run --separate-stderr fish send POST "$hook" --data @"$BODY" \
	    --sign "stripe:$SECRET" --include
	assert_success
	refute_output --partial "$SECRET"
	run fish log --json
	assert_success
	assert_output --partial '"stripe-signature":"t='
	refute_output --partial "$SECRET"
	run grep -rl -- "$SECRET" "$FISH_HOME/sessions/default"
	assert_failure
}

@test "bad --sign specs are usage errors that send nothing and keep the secret" {
	local hook
	hook=$(fish -S receiver spawn)
	run --separate-stderr fish send POST "$hook" --data x --sign "nope:$SECRET"
	assert_failure 2
	assert_equal "${#lines[@]}" 0
	assert_regex "$stderr" '^fish: send: --sign: '
	refute_output --partial "$SECRET"
	[[ $stderr != *"$SECRET"* ]]
	run --separate-stderr fish send POST "$hook" --data x \
	    --sign github:env:FISH_TEST_UNSET_VARIABLE
	assert_failure 2
	assert_regex "$stderr" 'FISH_TEST_UNSET_VARIABLE'
	run --separate-stderr fish send POST "$hook" --data x \
	    --sign "standard:$WHSEC" -H 'webhook-timestamp: soon'
	assert_failure 2
	assert_equal "$stderr" \
	    "fish: send: POST $hook: --sign: webhook-timestamp must be Unix seconds"
	run --separate-stderr fish send POST "$hook" --sign
	assert_failure 2
	run fish -S receiver wait "$hook" --timeout 0
	assert_failure 124
}

@test "send --help describes --sign" {
	run fish send --help
	assert_success
	assert_line --partial '--sign SPEC'
}

@test "send --sign refuses --location, which would carry the signature on" {
	local hook
	hook=$(fish -S receiver spawn --verify "github:$SECRET")
	run --separate-stderr fish send POST "$hook" --data @"$BODY" \
	    --sign "github:$SECRET" -L
	assert_failure 2
	assert_equal "$output" ''
	[[ $stderr == *"--sign and --location do not go together"* ]]
	run fish -S receiver wait "$hook" --timeout 0
	assert_failure 124
}

@test "send --sign --retry signs each attempt anew, with the same webhook-id" {
	local first second
	start_flaky
	# The server asks for 2 s: the attempts are seconds apart.
	run fish send --retry 1 --sign "standard:$WHSEC" --data x \
	    "$server/limit?times=1&after=2"
	stop_flaky
	assert_success
	run fish log --json
	assert_equal "${#lines[@]}" 2
	first=${lines[0]} second=${lines[1]}
	# A late attempt still has a fresh timestamp, so a receiver's
	# tolerance window does not refuse it; its id shows the repetition.
	assert_equal "$(fish field /headers/webhook-id <<<"$first")" \
	    "$(fish field /headers/webhook-id <<<"$second")"
	[ "$(fish field /headers/webhook-timestamp <<<"$second")" -ge \
	    $(($(fish field /headers/webhook-timestamp <<<"$first") + 1)) ]
	[ "$(fish field /headers/webhook-signature <<<"$first")" != \
	    "$(fish field /headers/webhook-signature <<<"$second")" ]
}
