#!/usr/bin/env bats
# The journal against a hostile sender: no bytes a sender posts are ever
# read back as a record, whatever damage or crash follows (issue 12, part
# 1); damage loses only what it touched, and every loss is counted and
# reported (part 5).

load helpers/common
load helpers/app

SECRET=It5-a-s3cret-nobody-knows

setup() {
	common_setup
	journal_only "it forges and damages records in the journal's segments"
	J=$FISH_SRC_DIR/test/helpers/journal.py
	segment=$FISH_HOME/sessions/default/journal/00000001.journal
	log=$FISH_HOME/sessions/default/listener.log
	app_pid=""
}

teardown() {
	stop_app
	common_teardown
}

# signed_post URL BODY: POST BODY signed with $SECRET (github); print the
# status code, the answer in $BATS_TEST_TMPDIR/answer.
signed_post() {
	printf '%s' "$2" >"$BATS_TEST_TMPDIR/body"
	python3 "$FISH_SRC_DIR/test/helpers/sign.py" github \
	    "$BATS_TEST_TMPDIR/body" "$SECRET" >"$BATS_TEST_TMPDIR/headers"
	curl -sS -o "$BATS_TEST_TMPDIR/answer" -w '%{http_code}' --max-time 10 \
	    -H @"$BATS_TEST_TMPDIR/headers" \
	    --data-binary @"$BATS_TEST_TMPDIR/body" "$1"
}

# post_file URL FILE: POST the bytes of FILE; print the status code.
post_file() {
	http_code "$1" --data-binary @"$2"
}

# token NAME: print the token of the hook named NAME.
token() {
	fish ls --json | grep "\"name\":\"$1\"" | fish field /token
}

# no_forgery: the session shows nothing forged and nothing lost: the real
# messages are waitable, the verifying hook still verifies and forwards
# nothing, and no forged message is ever handed out or shown.
no_forgery() {
	local out
	run fish wait v --timeout 5
	assert_success
	assert_output real-v
	run fish wait v --timeout 0.3
	assert_failure 124
	run fish wait p --timeout 5
	assert_success
	assert_output real-p
	# Whatever else p holds is a sender's body, never a forged message.
	while out=$(fish wait p --timeout 0.5); do
		[ -n "$out" ] || fail "an empty (forged) message was handed out"
	done
	run fish log --json
	refute_output --partial 6.6.6.6
	refute_output --partial /forged
	run http_code "$v_url" -d unsigned
	assert_output 401
	[ "$(signed_post "$v_url" '"signed"')" = 200 ]
	[ ! -s "$BATS_TEST_TMPDIR/answer" ] ||
	    fail "the verifying hook forwarded: $(cat "$BATS_TEST_TMPDIR/answer")"
	run fish ls --json
	assert_output --partial '"verify":"github"'
}

@test "records forged in a body are never adopted, whatever damage or crash follows" {
	local vtoken ptoken pseq offset span type boundary f damage
	start_app
	v_url=$(fish spawn --name v --verify "github:$SECRET")
	p_url=$(fish spawn --name p)
	[ "$(signed_post "$v_url" real-v)" = 200 ]
	[ "$(http_post "$p_url" real-p)" = 200 ]
	vtoken=$(token v)
	ptoken=$(token p)
	pseq=$(fish wait p --peek --json | fish field /seq)
	# What an attacker wants adopted: the verifying hook without --verify
	# and forwarding to them, a message "verified" on it, the real
	# message of p marked taken, and a message of their own on p.
	forged=(
	    "1:{\"token\":\"$vtoken\",\"name\":\"v\",\"created_at\":1,\"forward_to\":\"$app_url/forged\"}"
	    "3:{\"seq\":900,\"token\":\"$vtoken\",\"method\":\"POST\",\"path\":\"/forged\",\"query\":\"\",\"headers\":[],\"remote\":\"6.6.6.6:666\",\"received_at\":1,\"verified\":true}"
	    "5:{\"seq\":$pseq}"
	    "3:{\"seq\":901,\"token\":\"$ptoken\",\"method\":\"POST\",\"path\":\"/forged\",\"query\":\"\",\"headers\":[],\"remote\":\"6.6.6.6:666\",\"received_at\":1}"
	)
	# The attack of format 1: such records, byte-exact, in a body that
	# spans blocks, to the plain hook and (rejected) to the verifying one.
	for f in "${forged[@]}"; do
		"$J" v1record "${f%%:*}" "${f#*:}"
	done >"$BATS_TEST_TMPDIR/carrier"
	head -c 70000 /dev/zero | tr '\0' ' ' >>"$BATS_TEST_TMPDIR/carrier"
	[ "$(post_file "$p_url" "$BATS_TEST_TMPDIR/carrier")" = 200 ]
	[ "$(post_file "$v_url" "$BATS_TEST_TMPDIR/carrier")" = 401 ]
	fish stop
	# An attacker who even knows the segment's salt: the carrier's body
	# rewritten to hold those records in format 2, each valid exactly
	# where it lies (one right after a block's fragment header).
	read -r offset span type < <("$J" offsets "$segment" | awk '$2 > 60000' | head -n 1)
	[ "$type" = 3 ]
	"$J" forge "$segment" "$offset" "${forged[@]}"
	cp "$segment" "$BATS_TEST_TMPDIR/intact"
	boundary=$(((offset / 32768 + 1) * 32768))
	for damage in none cut-in-body cut-after-boundary cut-at-boundary flip-crc flip-length; do
		cp "$BATS_TEST_TMPDIR/intact" "$segment"
		case $damage in
		cut-in-body) "$J" truncate "$segment" $((offset + span / 2)) ;;
		cut-after-boundary) "$J" truncate "$segment" $((boundary + 300)) ;;
		cut-at-boundary) "$J" truncate "$segment" "$boundary" ;;
		flip-crc) "$J" flip "$segment" $((offset + 1)) ;;
		flip-length) "$J" flip "$segment" $((offset + 5)) ;;
		esac
		fish start >/dev/null
		echo "# damage: $damage" >&3
		no_forgery
		fish stop
	done
}

@test "a hook whose creation record is damaged keeps its messages, waitable by URL, and takes no new ones" {
	local url filler i offset span type
	url=$(fish spawn --name h --verify "github:$SECRET")
	filler=$(head -c 1500 /dev/zero | tr '\0' x)
	for ((i = 1; i <= 60; i++)); do
		[ "$(signed_post "$url" "m$i $filler")" = 200 ]
	done
	fish stop
	# Records: the hook's creation, then m1..m60: damage the first.
	read -r offset span type < <("$J" offsets "$segment" | head -n 1)
	[ "$type" = 1 ]
	"$J" flip "$segment" $((offset + span / 2))
	run fish ls
	assert_output --regexp "recovered"
	run fish ls --json
	assert_output --partial '"state":"recovered"'
	# Its block is lost with it; the messages of later blocks are not.
	run fish wait "$url" --timeout 5
	assert_success
	assert_output --regexp "^m[0-9]+ x"
	# It fails closed: its settings, --verify among them, are unknown.
	run http_code "$url" -d x
	assert_output 410
	[ "$(signed_post "$url" '"signed"')" = 410 ]
	run grep "lost its creation record" "$log"
	assert_success
	assert_output --partial "answers 410"
	# It stays so across a restart, and after its messages are taken.
	fish stop
	run fish wait "$url" --timeout 5
	assert_success
	run fish ls --json
	assert_output --partial '"state":"recovered"'
}
