#!/usr/bin/env bats
# fish spawn --verify: signature checks on receipt.  The signer is a small
# Python script (helpers/sign.py) built on Python's hmac module, or another
# fish session.

load helpers/common
load helpers/app
bats_require_minimum_version 1.5.0

SECRET=It5-a-s3cret-nobody-knows
# A Standard Webhooks key: whsec_ and the base64 of 24 bytes.
WHSEC=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw

setup() {
	common_setup
	SIGN="$FISH_SRC_DIR/test/helpers/sign.py"
	BODY=$BATS_TEST_TMPDIR/body.json
	printf '{"action":"opened","number":7}' >"$BODY"
	app_pid=""
}

teardown() {
	stop_tail
	stop_app
	common_teardown
}

# sign SCHEME SECRET... [--timestamp T]: write the signature headers of
# $BODY to $BATS_TEST_TMPDIR/headers.
sign() {
	python3 "$SIGN" "$1" "$BODY" "${@:2}" >"$BATS_TEST_TMPDIR/headers"
}

# post_body URL [CURL_ARG...]: POST $BODY with the headers sign wrote;
# print the status code, the answer in $BATS_TEST_TMPDIR/answer.
post_body() {
	local url=$1
	shift
	curl -sS -o "$BATS_TEST_TMPDIR/answer" -w '%{http_code}' --max-time 10 \
	    -H @"$BATS_TEST_TMPDIR/headers" -H 'Content-Type: application/json' \
	    --data-binary @"$BODY" "$@" "$url"
}

# rejected HOOK REASON: the last request to HOOK got 401 with a text that
# repeats nothing, is not waitable, and fish log shows it rejected.
rejected() {
	local hook=$1 reason=$2
	assert_equal "$(cat "$BATS_TEST_TMPDIR/answer")" 'signature check failed'
	run fish wait "$hook" --timeout 0
	assert_failure 124
	run fish log "$hook"
	assert_success
	assert_line --partial "rejected: $reason"
	run fish log "$hook" --json
	assert_success
	assert_equal "$(tail -n 1 <<<"$output" | fish field /rejected)" "$reason"
	assert_equal "$(tail -n 1 <<<"$output" | fish field /verified)" false
	assert_equal "$(tail -n 1 <<<"$output" | fish field /state)" rejected
}

# capped SENT BURST PER_MINUTE: of SENT rejected requests made since
# $posting_since (bash's SECONDS), the burst and what the cap let through
# meanwhile (PER_MINUTE a minute: more on a slow machine) was journaled,
# and fish status counts the rest, as unrecorded.
capped() {
	local sent=$1 burst=$2 per_minute=$3 recorded refilled

	refilled=$(((SECONDS - posting_since + 1) * per_minute / 60 + 1))
	run fish log --json
	assert_success
	recorded=${#lines[@]}
	[ "$recorded" -ge "$burst" ] &&
	    [ "$recorded" -le $((burst + refilled)) ] ||
	    fail "$recorded rejected requests journaled (at most $burst + $refilled)"
	unrecorded=$((sent - recorded))
	run fish status --json
	assert_equal "$(fish field /rejected_unrecorded <<<"$output")" \
	    "$unrecorded"
}

# verified HOOK: the next message of HOOK is $BODY, verified.
verified() {
	run --separate-stderr fish wait "$1" --json --timeout 5
	assert_success
	assert_equal "$(fish field /verified <<<"$output")" true
	assert_equal "$(fish field /body <<<"$output")" "$(cat "$BODY")"
}

# secrets_have SECRET: succeed if the session's secrets hold SECRET: in
# secrets.json, or, for a Redis store that keeps none, in its hash
# fish:{default}:secrets (doc/store-redis.md).
secrets_have() {
	local file=$FISH_HOME/sessions/default/secrets.json
	if [ "${TEST_STORE:-}" = redis ] && [ ! -e "$file" ]; then
		redis-cli -p "$REDIS_PORT" HVALS 'fish:{default}:secrets' |
		    grep -q -- "$1"
	else
		grep -q -- "$1" "$file"
	fi
}

@test "spawn --verify github accepts a GitHub signature and marks it verified" {
	hook=$(fish spawn --verify "github:$SECRET")
	sign github "$SECRET"
	assert_equal "$(post_body "$hook")" 200
	verified "$hook"
}

@test "spawn --verify stripe accepts a Stripe signature" {
	hook=$(fish spawn --verify "stripe:$SECRET")
	sign stripe "$SECRET"
	assert_equal "$(post_body "$hook")" 200
	verified "$hook"
}

@test "spawn --verify standard accepts a Standard Webhooks signature" {
	hook=$(fish spawn --verify "standard:$WHSEC")
	sign standard "$WHSEC"
	assert_equal "$(post_body "$hook")" 200
	verified "$hook"
}

@test "spawn --verify hmac-sha256:HEADER accepts a hex HMAC in that header" {
	hook=$(fish spawn --verify "hmac-sha256:X-Signature:$SECRET")
	sign hmac-sha256:X-Signature "$SECRET"
	assert_equal "$(post_body "$hook")" 200
	verified "$hook"
}

@test "a hook without --verify gives verified false" {
	hook=$(fish spawn)
	assert_equal "$(http_post "$hook" '{}')" 200
	run fish wait "$hook" --json --timeout 5
	assert_success
	assert_equal "$(fish field /verified <<<"$output")" false
}

@test "a tampered body is rejected with 401 and never reaches wait" {
	hook=$(fish spawn --verify "github:$SECRET")
	sign github "$SECRET"
	printf '{"action":"opened","number":8}' >"$BODY"
	assert_equal "$(post_body "$hook")" 401
	rejected "$hook" 'signature does not match'
}

@test "a signature made with the wrong secret is rejected" {
	hook=$(fish spawn --verify "stripe:$SECRET")
	sign stripe not-the-secret
	assert_equal "$(post_body "$hook")" 401
	rejected "$hook" 'signature does not match'
}

@test "stale and future timestamps are rejected, stripe and standard" {
	now=$(date +%s)
	stripe=$(fish spawn --verify "stripe:$SECRET")
	standard=$(fish spawn --verify "standard:$WHSEC")
	sign stripe "$SECRET" --timestamp $((now - 600))
	assert_equal "$(post_body "$stripe")" 401
	rejected "$stripe" 'timestamp too old'
	sign stripe "$SECRET" --timestamp $((now + 600))
	assert_equal "$(post_body "$stripe")" 401
	rejected "$stripe" 'timestamp too far in the future'
	sign standard "$WHSEC" --timestamp $((now - 600))
	assert_equal "$(post_body "$standard")" 401
	rejected "$standard" 'timestamp too old'
	sign standard "$WHSEC" --timestamp $((now + 600))
	assert_equal "$(post_body "$standard")" 401
	rejected "$standard" 'timestamp too far in the future'
}

@test "a request without the signature header is rejected" {
	hook=$(fish spawn --verify "github:$SECRET")
	: >"$BATS_TEST_TMPDIR/headers"
	assert_equal "$(post_body "$hook")" 401
	rejected "$hook" 'no X-Hub-Signature-256 header'
}

@test "a malformed signature header is rejected" {
	hook=$(fish spawn --verify "stripe:$SECRET")
	echo 'Stripe-Signature: garbage' >"$BATS_TEST_TMPDIR/headers"
	assert_equal "$(post_body "$hook")" 401
	rejected "$hook" 'malformed Stripe-Signature header'
}

@test "a request that repeats a signed header is rejected" {
	hook=$(fish spawn --verify "standard:$WHSEC")
	sign standard "$WHSEC"
	# The same good headers and a second webhook-id: which was signed?
	echo 'webhook-id: msg_other' >>"$BATS_TEST_TMPDIR/headers"
	assert_equal "$(post_body "$hook")" 401
	rejected "$hook" 'more than one webhook-id header'
}

@test "during a secret rotation one good signature among several is enough" {
	stripe=$(fish spawn --verify "stripe:$SECRET")
	standard=$(fish spawn --verify "standard:$WHSEC")
	sign stripe old-secret "$SECRET"
	assert_equal "$(post_body "$stripe")" 200
	verified "$stripe"
	sign standard whsec_b2xkLXNlY3JldC1vbGQtc2VjcmV0 "$WHSEC"
	assert_equal "$(post_body "$standard")" 200
	verified "$standard"
	# ... and none is not.
	sign stripe old-secret older-secret
	assert_equal "$(post_body "$stripe")" 401
	rejected "$stripe" 'signature does not match'
}

@test "--tolerance widens or narrows the accepted timestamps" {
	now=$(date +%s)
	wide=$(fish spawn --verify "stripe:$SECRET" --tolerance 15m)
	narrow=$(fish spawn --verify "standard:$WHSEC" --tolerance 10s)
	sign stripe "$SECRET" --timestamp $((now - 600))
	assert_equal "$(post_body "$wide")" 200
	verified "$wide"
	sign standard "$WHSEC" --timestamp $((now - 60))
	assert_equal "$(post_body "$narrow")" 401
	rejected "$narrow" 'timestamp too old'
	run fish ls --json
	assert_line --partial '"verify":"stripe","tolerance":"15m"'
	assert_line --partial '"verify":"standard","tolerance":"10s"'
}

@test "a chunked body is verified over the bytes received" {
	hook=$(fish spawn --verify "github:$SECRET")
	sign github "$SECRET"
	assert_equal "$(post_body "$hook" -H 'Transfer-Encoding: chunked')" 200
	verified "$hook"
}

@test "the secret may come from a file or from the environment" {
	printf '%s\n' "$SECRET" >"$BATS_TEST_TMPDIR/secret"
	from_file=$(fish spawn --verify "github:@$BATS_TEST_TMPDIR/secret")
	from_env=$(HOOK_SECRET=$SECRET fish spawn --verify github:env:HOOK_SECRET)
	sign github "$SECRET"
	assert_equal "$(post_body "$from_file")" 200
	verified "$from_file"
	assert_equal "$(post_body "$from_env")" 200
	verified "$from_env"
}

@test "hook answers apply to verified requests only" {
	hook=$(fish spawn --verify "github:$SECRET" --status 202 --body accepted \
	    --echo /action)
	sign github "$SECRET"
	assert_equal "$(post_body "$hook")" 202
	assert_equal "$(cat "$BATS_TEST_TMPDIR/answer")" opened
	sign github wrong
	assert_equal "$(post_body "$hook")" 401
	assert_equal "$(cat "$BATS_TEST_TMPDIR/answer")" 'signature check failed'
}

@test "wait --peek and --follow skip rejected requests; tail shows them" {
	hook=$(fish spawn --verify "github:$SECRET")
	# tail has subscribed once it shows a message that came after it.
	start_tail "$BATS_TEST_TMPDIR/tail" "$(fish spawn)" --json
	sign github wrong
	assert_equal "$(post_body "$hook")" 401
	sign github "$SECRET"
	assert_equal "$(post_body "$hook")" 200
	run fish wait "$hook" --peek --json --timeout 0
	assert_success
	assert_equal "$(fish field /verified <<<"$output")" true
	good=$(fish field /seq <<<"$output")
	run fish wait "$hook" --follow --count 1 --timeout 5
	assert_success
	assert_equal "$(fish field /seq <<<"$output")" "$good"
	wait_until 10 grep -q '"rejected":"signature does not match"' \
	    "$BATS_TEST_TMPDIR/tail"
	stop_tail
}

@test "a rejected request is neither forwarded nor held" {
	start_app
	forward=$(fish spawn --verify "github:$SECRET" --forward-to "$app_url")
	held=$(fish spawn --verify "github:$SECRET" --hold)
	sign github "$SECRET"
	assert_equal "$(post_body "$forward")" 201
	sign github wrong
	assert_equal "$(post_body "$forward")" 401
	assert_equal "$(post_body "$held")" 401
	rejected "$held" 'signature does not match'
	# Only the good request was forwarded.
	run fish log --json
	assert_success
	assert_equal "$(grep -c '"direction":"sent"' <<<"$output")" 1
}

@test "a rejected request cannot be replayed: its body was not kept" {
	hook=$(fish spawn --verify "github:$SECRET")
	sign github wrong
	assert_equal "$(post_body "$hook")" 401
	seq=$(fish log "$hook" --json | fish field /seq)
	run --separate-stderr fish replay "$seq"
	assert_failure 1
	assert_equal "$stderr" "fish: replay of message $seq: it was rejected and its body was not kept, so it cannot be replayed"
	run fish wait "$hook" --timeout 0
	assert_failure 124
	# Nothing was sent: the log holds the one rejected request.
	run fish log --json
	assert_success
	assert_equal "${#lines[@]}" 1
}

@test "a replayed request is checked again at its hook" {
	hook=$(fish spawn --verify "github:$SECRET")
	sign github "$SECRET"
	assert_equal "$(post_body "$hook")" 200
	verified "$hook"
	seq=$(fish log "$hook" --json | tail -n 1 | fish field /seq)
	run fish replay "$seq"
	assert_success
	verified "$hook"
}

@test "fish show prints a rejected message and says why" {
	hook=$(fish spawn --verify "github:$SECRET")
	sign github wrong
	assert_equal "$(post_body "$hook")" 401
	seq=$(fish log "$hook" --json | fish field /seq)
	digest=$(sha256sum <"$BODY")
	digest=${digest%% *}
	run --separate-stderr fish show "$seq"
	assert_success
	assert_line --index 0 'POST /'
	assert_line 'content-type: application/json'
	# Its head only: the body was not kept.
	assert_equal "${lines[-1]}" "content-length: $(wc -c <"$BODY")"
	assert_equal "$stderr" "fish: show: message $seq was rejected: signature does not match; its body ($(wc -c <"$BODY") bytes, sha256 $digest) was not kept"
	run fish show "$seq" --json
	assert_success
	assert_equal "$(fish field /rejected <<<"$output")" \
	    'signature does not match'
	assert_equal "$(fish field /body_size <<<"$output")" "$(wc -c <"$BODY")"
	assert_equal "$(fish field /body_sha256 <<<"$output")" "$digest"
	run fish field /body <<<"$output"
	assert_failure
}

@test "a rejected request is journaled as a bounded head, never its body" {
	hook=$(fish spawn --verify "github:$SECRET")
	# A 1 MiB body that says where it came from, and 40 headers of 200
	# bytes: the journal keeps their first 4 KiB.
	python3 -c 'import sys; sys.stdout.write("attacker-payload " * 65536)' \
	    >"$BODY"
	digest=$(sha256sum <"$BODY")
	digest=${digest%% *}
	headers=()
	for i in $(seq 40); do
		headers+=(-H "X-Pad-$i: $(head -c 190 /dev/zero | tr '\0' p)")
	done
	sign github wrong
	assert_equal "$(post_body "$hook" "${headers[@]}")" 401
	run fish log "$hook" --json
	assert_success
	assert_equal "$(fish field /body_size <<<"$output")" 1114112
	assert_equal "$(fish field /body_sha256 <<<"$output")" "$digest"
	assert_equal "$(fish field /head_truncated <<<"$output")" true
	assert_equal "$(fish field /headers/x-hub-signature-256 <<<"$output")" \
	    "$(sed -n 's/^X-Hub-Signature-256: //p' "$BATS_TEST_TMPDIR/headers")"
	run fish field /headers/x-pad-40 <<<"$output"
	assert_failure
	run fish log "$hook"
	assert_line --regexp "  1.1 MiB  rejected: signature does not match  body not kept, sha256 ${digest:0:16}…\$"
	# Nothing of the body is on disk.
	run grep -rl -a attacker-payload "$FISH_HOME"
	assert_failure 1
	# Its files, and what was written to the journal (whose segment is
	# pre-written with zeros to 256 KiB whatever it holds).
	size=$(du -sk --exclude="$(basename "$(journal_dir)")" \
	    "$FISH_HOME/sessions/default" | cut -f1)
	size=$((size + $(fish status --json | fish field /journal_bytes) / 1024))
	[ "$size" -lt 200 ] || fail "the session takes $size kB"
}

@test "rejected requests past the rate cap are answered 401 but only counted" {
	hook=$(fish spawn --verify "github:$SECRET")
	sign github wrong
	posting_since=$SECONDS
	for _ in $(seq 30); do
		assert_equal "$(post_body "$hook")" 401
	done
	# A burst of 20 is journaled (and one more every 6 s).
	capped 30 20 10
	run fish status
	assert_line --regexp "^rejected: +$unrecorded over the rate cap, answered 401 but not journaled\$"
	# Said once in the log, not once a request.
	run grep -c 'rate cap' "$FISH_HOME/sessions/default/listener.log"
	assert_output 1
	# Good requests are not capped.
	sign github "$SECRET"
	assert_equal "$(post_body "$hook")" 200
	verified "$hook"
}

@test "the session caps rejected records across its hooks" {
	for h in 1 2 3 4 5 6; do
		hooks[h]=$(fish spawn --verify "github:$SECRET")
	done
	sign github wrong
	# Six hooks, each within its own burst of 20: the session's burst of
	# 100 is the cap (and one more every 2 s).
	posting_since=$SECONDS
	for h in 1 2 3 4 5 6; do
		for _ in $(seq 20); do
			assert_equal "$(post_body "${hooks[h]}")" 401
		done
	done
	capped 120 100 30
}

@test "the secret appears in no output, log or journal, only in secrets.json" {
	export HOOK_SECRET=$SECRET
	hook=$(fish spawn --name gh --verify "github:$SECRET")
	fish spawn --verify stripe:env:HOOK_SECRET --tolerance 1m >/dev/null
	sign github "$SECRET"
	assert_equal "$(post_body "$hook")" 200
	sign github wrong
	assert_equal "$(post_body "$hook")" 401
	dir=$FISH_HOME/sessions/default
	out=$( (fish log; fish log --json; fish ls; fish ls --json; fish status
	    fish status --json; fish show "$(nth_seq 1)"
	    fish show "$(nth_seq 2)" --json; fish show "$(nth_seq 2)" --curl
	    fish wait gh --json --timeout 5) 2>&1)
	assert_equal "$(grep -c -- "$SECRET" <<<"$out")" 0
	run grep -rl -a --exclude=secrets.json -- "$SECRET" "$dir"
	assert_failure 1
	assert_output ''
	secrets_have "$SECRET"
	[ ! -e "$dir/secrets.json" ] ||
	    assert_equal "$(stat -c %a "$dir/secrets.json")" 600
	# A spawn that is refused does not say it either.
	run --separate-stderr fish spawn --name gh --verify "github:x$SECRET"
	assert_failure 1
	assert_equal "$(grep -c -- "$SECRET" <<<"$stderr")" 0
}

@test "a verifying hook keeps its secret across a SIGKILL of the listener" {
	hook=$(fish spawn --verify "stripe:$SECRET")
	pid=$(listener_pid)
	kill_listener
	sign stripe "$SECRET"
	# Any command restarts the listener.
	fish ls >/dev/null
	[ "$(listener_pid)" != "$pid" ]
	assert_equal "$(post_body "$hook")" 200
	verified "$hook"
	sign stripe wrong
	assert_equal "$(post_body "$hook")" 401
	rejected "$hook" 'signature does not match'
}

@test "a rejected request is journaled: it stays rejected after a restart" {
	hook=$(fish spawn --verify "github:$SECRET")
	sign github wrong
	assert_equal "$(post_body "$hook")" 401
	fish stop
	rejected "$hook" 'signature does not match'
}

@test "a hook whose secret is lost rejects everything until spawned again" {
	journal_only "edits secrets.json, which a Redis store keeps none of: its secrets are in the session's hash (doc/store-redis.md)"
	hook=$(fish spawn --name gh --verify "github:$SECRET")
	fish stop
	dir=$FISH_HOME/sessions/default
	rm "$dir/secrets.json"
	run fish ls
	assert_success
	assert_line --partial 'open, verifies github (secret missing)'
	grep -q 'hook gh verifies github signatures but its secret is missing' \
	    "$dir/listener.log"
	sign github "$SECRET"
	assert_equal "$(post_body "$hook")" 401
	rejected "$hook" 'secret missing'
	# Spawning it again with its settings mends it.
	assert_equal "$(fish spawn --name gh --verify "github:$SECRET")" "$hook"
	assert_equal "$(post_body "$hook")" 200
	verified "$hook"
}

@test "spawn --name of an open hook needs the same --verify to reuse it" {
	hook=$(fish spawn --name gh --verify "github:$SECRET")
	assert_equal "$(fish spawn --name gh --verify "github:$SECRET")" "$hook"
	assert_equal "$(fish spawn --name gh)" "$hook"
	run --separate-stderr fish spawn --name gh --verify github:other
	assert_failure 1
	assert_equal "$stderr" "fish: hook 'gh' is open with other options (--verify differs): close it first, or use another name"
	run fish spawn --name gh --verify "stripe:$SECRET"
	assert_failure 1
	run fish spawn --name gh --verify "hmac-sha256:X-Sig:$SECRET"
	assert_failure 1
	plain=$(fish spawn --name plain)
	run fish spawn --name plain --verify "github:$SECRET"
	assert_failure 1
	# The refusals changed nothing.
	sign github "$SECRET"
	assert_equal "$(post_body "$hook")" 200
	verified "$hook"
	assert_equal "$(http_post "$plain" '{}')" 200
}

@test "closing a verifying hook, or purging the session, forgets its secret" {
	hook=$(fish spawn --verify "github:$SECRET")
	dir=$FISH_HOME/sessions/default
	secrets_have "$SECRET"
	fish close "$hook"
	run ! secrets_have "$SECRET"
	[ -n "${TEST_STORE:-}" ] || [ -e "$dir/secrets.json" ]
	sign github "$SECRET"
	assert_equal "$(post_body "$hook")" 410
	# stop --purge deletes the store with the rest of the state.
	fish spawn --verify "github:$SECRET" >/dev/null
	fish stop --purge
	[ ! -e "$dir/secrets.json" ]
}

@test "a secret stored for a hook never journaled is dropped on restart" {
	journal_only "edits secrets.json, which a Redis store keeps none of: its secrets are in the session's hash (doc/store-redis.md)"
	# A crash between storing the secret and journaling the hook leaves
	# such an entry; the spawn was never answered.
	hook=$(fish spawn --verify "github:$SECRET")
	fish stop
	dir=$FISH_HOME/sessions/default
	python3 - "$dir/secrets.json" <<-'PY'
	import json, sys
	path = sys.argv[1]
	with open(path) as f:
	    store = json.load(f)
	store["orphanorphanorphanorphan"] = {"scheme": "github",
	    "secret": "orphan-secret"}
	with open(path, "w") as f:
	    json.dump(store, f)
	PY
	fish ls >/dev/null
	run grep -c orphan-secret "$dir/secrets.json"
	assert_output 0
	assert_equal "$(stat -c %a "$dir/secrets.json")" 600
	sign github "$SECRET"
	assert_equal "$(post_body "$hook")" 200
	verified "$hook"
}

@test "a body signed by fish sign passes every scheme's check" {
	for spec in "github:$SECRET" "stripe:$SECRET" "standard:$WHSEC" \
	    "hmac-sha256:X-Signature:$SECRET" "hmac-sha512:X-Sig-512:$SECRET"; do
		hook=$(fish spawn --verify "$spec")
		fish sign "$spec" <"$BODY" >"$BATS_TEST_TMPDIR/headers"
		assert_equal "$(post_body "$hook")" 200
		verified "$hook"
	done
}

@test "a hook that expires forgets its secret" {
	hook=$(fish spawn --verify "github:$SECRET" --ttl 1s)
	dir=$FISH_HOME/sessions/default
	secrets_have "$SECRET"
	wait_until 10 eval '! secrets_have "$SECRET"'
	sign github "$SECRET"
	assert_equal "$(post_body "$hook")" 410
}

@test "a signed fish send from another session reaches wait" {
	hook=$(fish spawn --verify "stripe:$SECRET")
	headers=()
	while IFS= read -r line; do
		headers+=(-H "$line")
	done < <(fish sign "stripe:$SECRET" <"$BODY")
	run fish -S other send POST "$hook" --data @"$BODY" "${headers[@]}"
	assert_success
	verified "$hook"
	run --separate-stderr fish -S other send POST "$hook" --data 'not signed'
	assert_failure 1
	assert_output 'signature check failed'
	assert_equal "$stderr" "fish: send: POST $hook: got 401, expected 2xx"
}

@test "bad --verify and --tolerance are usage errors that keep the secret" {
	run --separate-stderr fish spawn --verify "nosuch:$SECRET"
	assert_failure 2
	assert_equal "${#stderr_lines[@]}" 1
	run --separate-stderr fish spawn --verify "$SECRET"
	assert_failure 2
	assert_equal "${#stderr_lines[@]}" 1
	assert_equal "$(grep -c -- "$SECRET" <<<"$stderr")" 0
	run --separate-stderr fish spawn --verify github:
	assert_failure 2
	run --separate-stderr fish spawn --verify "hmac-sha256:$SECRET"
	assert_failure 2
	assert_equal "$(grep -c -- "$SECRET" <<<"$stderr")" 0
	run --separate-stderr fish spawn --verify "github:@$BATS_TEST_TMPDIR/none"
	assert_failure 2
	assert_equal "${#stderr_lines[@]}" 1
	run --separate-stderr fish spawn --verify github:env:FISH_TEST_UNSET
	assert_failure 2
	assert_equal "$stderr" "fish: spawn: --verify: environment variable 'FISH_TEST_UNSET' is not set"
	run --separate-stderr fish spawn --verify "standard:$SECRET"
	assert_failure 2
	assert_equal "$(grep -c -- "$SECRET" <<<"$stderr")" 0
	run --separate-stderr fish spawn --tolerance 5m
	assert_failure 2
	assert_equal "${stderr_lines[0]}" 'fish spawn: --tolerance needs --verify'
	run --separate-stderr fish spawn --verify "github:$SECRET" --tolerance 5m
	assert_failure 2
	assert_equal "$stderr" "fish: spawn: --tolerance: github signatures have no timestamp (only stripe and standard do)"
	run --separate-stderr fish spawn --verify "stripe:$SECRET" --tolerance 0
	assert_failure 2
	run --separate-stderr fish spawn --verify "stripe:$SECRET" --tolerance soon
	assert_failure 2
	# A fraction of a second was rounded down unsaid (1500ms: 1s).
	run --separate-stderr fish spawn --verify "stripe:$SECRET" \
	    --tolerance 1500ms
	assert_failure 2
	assert_equal "${stderr_lines[0]}" "fish spawn: invalid --tolerance '1500ms' (whole seconds, as timestamps are: use e.g. 30, 90s, 5m)"
	# Nothing was created, not even the session.
	run fish ls --json
	assert_failure 4
	assert_output "fish: no session 'default' (fish sessions lists them)"
}

@test "spawn --help describes --verify and --tolerance" {
	run fish spawn --help
	assert_success
	assert_line --partial -- '--verify SPEC'
	assert_line --partial -- '--tolerance D'
}
