#!/usr/bin/env bats
# fish export --har: the timeline as an HTTP Archive (HAR 1.2).

load helpers/common
load helpers/app
bats_require_minimum_version 1.5.0

setup() {
	common_setup
	hook=$(fish spawn --name inbox)
	har=$BATS_TEST_TMPDIR/out.har
}

teardown() {
	stop_app
	common_teardown
}

# check_har FILE: validate FILE as HAR 1.2 and print its entries.
check_har() {
	python3 "$FISH_SRC_DIR/test/helpers/har.py" "$1"
}

@test "export --har writes the timeline as a valid HAR 1.2 file" {
	post "$hook/orders?id=7&x" '{"n":1}' -H 'X-GitHub-Event: push'
	printf '\0\1\377' | http_code "$hook/bin" --data-binary @- >/dev/null
	fish send PUT "$hook/sent" k=v >/dev/null
	http_code "${hook%/*}/nosuchtoken" >/dev/null
	run fish export --har "$har"
	assert_success
	assert_output ''
	run check_har "$har"
	assert_success
	assert_line --index 0 "POST $hook/orders?id=7&x 200 {\"n\":1}"
	# A body that is not UTF-8 is base64.
	assert_line --index 1 "POST $hook/bin 200 0001ff"
	# A request sent, with the server's answer, then its arrival.
	assert_line --index 2 "PUT $hook/sent 200 {\"k\":\"v\"}"
	assert_line --index 3 "PUT $hook/sent 200 {\"k\":\"v\"}"
	# A refused request: no body, never read.
	assert_line --index 4 "GET ${hook%/*}/nosuchtoken 404 -"
	assert_equal "${#lines[@]}" 5
	# What HAR has no field for is in "_" members.
	assert_equal "$(fish field /log/entries/0/_event <"$har")" push
	assert_equal "$(fish field /log/entries/0/request/queryString/0/value <"$har")" 7
	assert_equal "$(fish field /log/entries/4/_refused <"$har")" "no such hook"
	assert_equal "$(fish field /log/entries/1/request/postData/encoding <"$har")" base64
}

@test "export --har gives a held request's reply and its time" {
	held=$(fish spawn --name held --hold)
	http_post "$held" '{"n":2}' >/dev/null 3>&- &
	sender=$!
	wait_until 10 fish reply held --status 202 -H 'X-Reply: yes'
	wait "$sender"
	run fish export held --har -
	assert_success
	printf '%s\n' "$output" >"$har"
	run check_har "$har"
	assert_success
	assert_output "POST $held 202 {\"n\":2}"
	assert_equal "$(fish field /log/entries/0/response/headers/0/value <"$har")" yes
	assert_equal "$(fish field /log/entries/0/response/statusText <"$har")" Accepted
}

@test "export --har gives a held request's reply body as the response content, base64 when binary" {
	held=$(fish spawn --name held --hold)
	http_post "$held" '{"n":3}' >/dev/null 3>&- &
	sender=$!
	wait_until 10 fish reply held -H 'Content-Type: application/json' \
	    --body '{"ok":true}'
	wait "$sender"
	http_post "$held" '{"n":4}' >/dev/null 3>&- &
	sender=$!
	printf '\0\1\377' >"$BATS_TEST_TMPDIR/reply.bin"
	wait_until 10 fish reply held --body "@$BATS_TEST_TMPDIR/reply.bin"
	wait "$sender"
	fish export held --har "$har"
	run check_har "$har"
	assert_success
	assert_equal "$(fish field /log/entries/0/response/content/text <"$har")" '{"ok":true}'
	assert_equal "$(fish field /log/entries/0/response/content/mimeType <"$har")" application/json
	assert_equal "$(fish field /log/entries/0/response/content/size <"$har")" 11
	assert_equal "$(fish field /log/entries/0/response/bodySize <"$har")" 11
	# HAR 1.2: binary content is text in base64, with "encoding".
	assert_equal "$(fish field /log/entries/1/response/content/text <"$har")" AAH/
	assert_equal "$(fish field /log/entries/1/response/content/encoding <"$har")" base64
	assert_equal "$(fish field /log/entries/1/response/content/size <"$har")" 3
	# The request's own body is still the request's.
	assert_equal "$(fish field /log/entries/1/request/postData/text <"$har")" '{"n":4}'
}

@test "export --har gives the answer a forwarded request got from the app as the response content" {
	start_app
	forward=$(fish spawn --name fwd --forward-to "$app_url")
	assert_equal "$(curl -sS --max-time 10 -d 'to app' "$forward/text")" \
	    'POST /text X-Test=None to app'
	assert_equal "$(http_code "$forward/binary" -d bin)" 200
	assert_equal "$(http_code "$forward/empty" -d none)" 204
	stop_app
	assert_equal "$(http_code "$forward/down" -d down)" 502
	fish export fwd --har "$har"
	run check_har "$har"
	assert_success
	assert_equal "$(fish field /log/entries/0/response/status <"$har")" 201
	assert_equal "$(fish field /log/entries/0/response/content/text <"$har")" \
	    'POST /text X-Test=None to app'
	assert_equal "$(fish field /log/entries/0/response/content/mimeType <"$har")" text/plain
	assert_equal "$(fish field /log/entries/0/request/postData/text <"$har")" 'to app'
	# HAR 1.2: the app's binary answer is text in base64, with "encoding".
	assert_equal "$(fish field /log/entries/1/response/content/text <"$har")" AAH/
	assert_equal "$(fish field /log/entries/1/response/content/encoding <"$har")" base64
	assert_equal "$(fish field /log/entries/1/response/content/mimeType <"$har")" \
	    application/octet-stream
	assert_equal "$(fish field /log/entries/1/response/content/size <"$har")" 3
	assert_equal "$(fish field /log/entries/1/response/bodySize <"$har")" 3
	# No body: none in the archive.
	assert_equal "$(fish field /log/entries/2/response/status <"$har")" 204
	assert_equal "$(fish field /log/entries/2/response/content/size <"$har")" 0
	run fish field /log/entries/2/response/content/text <"$har"
	assert_failure
	assert_output --partial 'no value'
	# The app was down: what the provider got is fish's 502.
	assert_equal "$(fish field /log/entries/3/response/status <"$har")" 502
	assert_equal "$(fish field /log/entries/3/response/content/text <"$har")" \
	    'the app behind this hook cannot be reached'
}

@test "export HOOK writes only what that hook received" {
	other=$(fish spawn)
	post "$hook" one
	post "$other" two
	fish export inbox --har "$har"
	run check_har "$har"
	assert_output "POST $hook 200 one"
}

@test "export of an empty timeline is a valid HAR with no entries" {
	run fish export --har "$har"
	assert_success
	run check_har "$har"
	assert_success
	assert_output ''
}

@test "export without --har, to an unwritable file, or of an unknown hook fails" {
	run fish export
	assert_failure 2
	assert_line --index 0 'fish export: say where to write: --har FILE'
	run fish export --har "$BATS_TEST_TMPDIR/no/such/dir/x.har"
	assert_failure 1
	assert_output --partial 'no/such/dir/x.har: No such file or directory'
	run fish export nosuchhook --har "$har"
	assert_failure 4
	assert_output --partial "no such hook 'nosuchhook'"
	[ ! -e "$har" ]
}
