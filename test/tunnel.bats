#!/usr/bin/env bats
# fish start --tunnel: a tunnel client run beside the listener, whose
# public URL the hook URLs are under.  The real tunnel here is ssh's, to
# an sshd the test starts on loopback; cloudflared and ngrok cannot be
# installed here, so their presets are checked with a fake client
# (helpers/fake-tunnel-client) that prints what they print, as their
# sources and docs give its form (cited there), in colour or in pieces
# too.

load helpers/common

bats_require_minimum_version 1.5.0

setup() {
	common_setup
	sshd_pid=
	mkdir -p "$BATS_TEST_TMPDIR/bin"
	export PATH=$BATS_TEST_TMPDIR/bin:$PATH
	export FAKE_TUNNEL_ARGS=$BATS_TEST_TMPDIR/tunnel-args
}

teardown() {
	local bad=0
	# bats fails a teardown on its last command only: keep its verdict.
	common_teardown || bad=1
	[ -z "$sshd_pid" ] || kill_and_wait "$sshd_pid"
	[ "$bad" -eq 0 ]
}

# fake CLIENT: put the fake client on PATH as CLIENT.
fake() {
	ln -s "$FISH_SRC_DIR/test/helpers/fake-tunnel-client" \
	    "$BATS_TEST_TMPDIR/bin/$1"
}

# without CLIENT: set PATH to one that has fish, the system's tools and
# not CLIENT (which is not installed here).
without() {
	export PATH=$FISH_BUILD_DIR:/usr/bin:/bin
	! command -v "$1" >/dev/null || skip "$1 is installed here"
}

# tunnel_field PTR: print a field of the tunnel's state in fish status.
tunnel_field() {
	fish status --json | fish field "/tunnel_state$1"
}

# tunnel_restarted N: succeed once the tunnel is up after N restarts.
tunnel_restarted() {
	[ "$(tunnel_field /restarts 2>/dev/null)" = "$1" ] &&
	    [ "$(tunnel_field /state)" = up ]
}

# sshd_start: start an sshd of our own on a free loopback port, as root
# (as a CI runner's sshd would be), with its own host key, config and pid
# file, letting in a key made now; set ssh_port, and put on PATH an ssh
# that uses that key and trusts that host.
sshd_start() {
	local dir=$BATS_TEST_TMPDIR/ssh
	[ -x /usr/sbin/sshd ] ||
	    skip "no sshd: install openssh-server (scripts/deps)"
	[ "$(id -u)" = 0 ] || skip "sshd runs as root here, and this is not"
	mkdir -p "$dir" /run/sshd
	chmod 700 "$dir"
	ssh-keygen -q -t ed25519 -N '' -f "$dir/host_key"
	ssh-keygen -q -t ed25519 -N '' -f "$dir/client_key"
	cp "$dir/client_key.pub" "$dir/authorized_keys"
	ssh_port=$(closed_port)
	cat >"$dir/sshd_config" <<-CONFIG
	Port $ssh_port
	ListenAddress 127.0.0.1
	HostKey $dir/host_key
	PidFile $dir/sshd.pid
	AuthorizedKeysFile $dir/authorized_keys
	StrictModes no
	UsePAM no
	PasswordAuthentication no
	KbdInteractiveAuthentication no
	PermitRootLogin prohibit-password
	GatewayPorts yes
	AllowTcpForwarding remote
	CONFIG
	cat >"$dir/ssh_config" <<-CONFIG
	Host *
	    IdentityFile $dir/client_key
	    IdentitiesOnly yes
	    UserKnownHostsFile /dev/null
	    GlobalKnownHostsFile /dev/null
	    StrictHostKeyChecking no
	CONFIG
	printf '#!/bin/sh\nexec /usr/bin/ssh -F %s "$@"\n' \
	    "$dir/ssh_config" >"$BATS_TEST_TMPDIR/bin/ssh"
	chmod +x "$BATS_TEST_TMPDIR/bin/ssh"
	/usr/sbin/sshd -D -e -f "$dir/sshd_config" </dev/null \
	    >"$dir/sshd.log" 2>&1 3>&- &
	sshd_pid=$!
	wait_until 10 grep -q "Server listening" "$dir/sshd.log" ||
	    fail "sshd did not start: $(cat "$dir/sshd.log")"
}

@test "a callback through an ssh tunnel reaches wait, again after ssh is killed, and ssh stops with the listener" {
	local url hook ssh_pid port again new_pid
	sshd_start

	run fish start --tunnel "ssh:root@127.0.0.1:$ssh_port"
	assert_success
	assert_output --regexp '^http://127\.0\.0\.1:[0-9]+$'
	url=$output
	[ "$(port_of "$url")" != "$(port_of "$(status_field /listen)")" ]

	hook=$(fish spawn)
	[[ $hook == "$url"/* ]]
	post "$hook" '{"through":"ssh"}'
	run fish wait "$hook" --timeout 10
	assert_success
	assert_output '{"through":"ssh"}'

	ssh_pid=$(tunnel_field /pid)
	kill "$ssh_pid"
	wait_until 30 tunnel_restarted 1
	new_pid=$(tunnel_field /pid)
	[ "$new_pid" != "$ssh_pid" ]
	again=$(fish status --json | fish field /url)
	hook=$(fish spawn)
	[[ $hook == "$again"/* ]]
	post "$hook" '{"again":true}'
	run fish wait "$hook" --timeout 10
	assert_success
	assert_output '{"again":true}'
	log_has "tunnel: Allocated port"

	fish stop
	wait_until 5 all_dead "$new_pid"
}

@test "start --tunnel cloudflared runs cloudflared for the listener and prints its trycloudflare URL" {
	fake cloudflared
	run fish start --tunnel cloudflared
	assert_success
	assert_output https://seasonal-deck-organisms-sf.trycloudflare.com
	run cat "$FAKE_TUNNEL_ARGS"
	assert_output "tunnel
--no-autoupdate
--url
http://$(status_field /listen)"
	run fish spawn
	assert_output --regexp '^https://seasonal-deck-organisms-sf\.trycloudflare\.com/[A-Za-z0-9_-]+$'
	run fish status
	assert_line --regexp '^tunnel: +cloudflared$'
	assert_line --regexp '^tunnel url: +https://seasonal-deck-organisms-sf\.trycloudflare\.com \(up, pid [0-9]+, 0 restarts\)$'
}

@test "start --tunnel ngrok runs ngrok with a JSON log and takes the URL of its started tunnel line" {
	fake ngrok
	run fish start --tunnel ngrok
	assert_success
	assert_output https://1a2b-203-0-113-7.ngrok-free.app
	run cat "$FAKE_TUNNEL_ARGS"
	assert_output "http
$(port_of "http://$(status_field /listen)")
--log
stdout
--log-format
json"
	log_has 'tunnel: {"lvl":"info","msg":"client session established"'
}

@test "start --tunnel cloudflared finds the URL in its log in colour, as on a terminal" {
	fake cloudflared
	FAKE_TUNNEL_STYLE=colour run fish start --tunnel cloudflared
	assert_success
	assert_output https://seasonal-deck-organisms-sf.trycloudflare.com
	# Its escapes reach the session's log made harmless (escape_line).
	grep -qF 'tunnel: ^[[90m2024-05-01T10:00:01Z^[[0m ^[[32mINF^[[0m |  https://seasonal' \
	    "$FISH_HOME/sessions/default/listener.log"
}

@test "a tunnel client's URL line that comes in two reads is taken whole" {
	fake cloudflared
	fake ngrok
	FAKE_TUNNEL_STYLE=split run fish start --tunnel cloudflared
	assert_success
	assert_output https://seasonal-deck-organisms-sf.trycloudflare.com
	fish stop
	FAKE_TUNNEL_STYLE=split run fish start --tunnel ngrok
	assert_success
	assert_output https://1a2b-203-0-113-7.ngrok-free.app
}

@test "a tunnel client that is not installed is named, with where to get it" {
	without cloudflared
	run fish start --tunnel cloudflared
	assert_failure 3
	assert_output --partial "the tunnel client 'cloudflared' is not installed"
	assert_output --partial "pkg.cloudflare.com"
	run fish status
	assert_failure 3

	without ngrok
	run fish start --tunnel ngrok
	assert_failure 3
	assert_output --partial "https://ngrok.com/download"
}

@test "a tunnel client that exits at once fails the start with its status and last line" {
	run fish start --tunnel 'cmd:echo "no route to {port}"; exit 7' \
	    --tunnel-url-pattern 'https://[a-z.]+'
	assert_failure 3
	assert_output --regexp "the tunnel client exited with status 7 before it announced a URL \(its last line: no route to [0-9]+\)$"
	run fish status
	assert_failure 3
}

@test "a tunnel that announces no URL fails the start at --tunnel-timeout, and is stopped" {
	local pid
	run fish start --tunnel 'cmd:echo starting {port}; exec sleep 100' \
	    --tunnel-url-pattern 'https://[a-z.]+' --tunnel-timeout 1s
	assert_failure 3
	assert_output --partial "the tunnel client announced no URL within 1s (its last line: starting "
	pid=$(sed -n 's/.*tunnel client started (pid \([0-9]*\)).*/\1/p' \
	    "$FISH_HOME/sessions/default/listener.log")
	[ -n "$pid" ]
	wait_until 5 all_dead "$pid"
}

@test "a tunnel URL holding a byte no URL holds is ignored, and logged escaped" {
	run --separate-stderr fish start \
	    --tunnel $'cmd:printf "at https://x\\233[2J.example.net ({port})\\n"; exec sleep 100' \
	    --tunnel-url-pattern 'https://[^ ]+' --tunnel-timeout 1s
	assert_failure 3
	assert_equal "${#stderr_lines[@]}" 1
	assert_regex "$stderr" 'announced no URL within 1s \(its last line: at https://xM-\^\[\[2J\.example\.net \([0-9]+\)\)$'
	log_has "tunnel: 'https://xM-^\[\[2J.example.net' holds a byte no URL holds"
	run env LC_ALL=C grep -c $'\x9b' "$FISH_HOME/sessions/default/listener.log"
	assert_output 0
}

@test "a tunnel command needs a URL pattern, and a pattern a tunnel" {
	run fish start --tunnel 'cmd:bore local {port}'
	assert_failure 2
	assert_output --partial -- "--tunnel cmd:... needs --tunnel-url-pattern"
	run fish start --tunnel-url-pattern 'https://x'
	assert_failure 2
	assert_output --partial -- "--tunnel-url-pattern needs --tunnel"
	run fish start --tunnel 'cmd:bore local 8080'
	assert_failure 2
	assert_output --partial "must have {port}"
	run fish start --tunnel localtunnel
	assert_failure 2
	assert_output --partial "invalid tunnel 'localtunnel'"
	run fish start --tunnel 'cmd:x {port}' --tunnel-url-pattern '('
	assert_failure 2
	assert_output --partial "invalid tunnel URL pattern"
}

@test "a restarted tunnel with a new URL moves the hook URLs, and status and ls say so" {
	local counter=$BATS_TEST_TMPDIR/runs pid hook
	fish start --tunnel "cmd:n=\$(cat $counter 2>/dev/null || echo 0); echo \$((n + 1)) >$counter; echo \"ready at https://run\$n.example.net ({port})\"; exec sleep 100" \
	    --tunnel-url-pattern 'https://run[0-9]+\.example\.net' >/dev/null
	hook=$(fish spawn --name a)
	[[ $hook == https://run0.example.net/* ]]
	pid=$(tunnel_field /pid)
	kill "$pid"
	wait_until 30 tunnel_restarted 1
	run fish ls
	assert_success
	assert_output --partial "https://run1.example.net/${hook##*/}"
	assert_line --partial "the tunnel's URL changed at "
	assert_line --partial "(it was https://run0.example.net): the URLs of hooks are now under https://run1.example.net"
	run fish status
	assert_line --regexp '^tunnel url: +https://run1\.example\.net \(up, pid [0-9]+, 1 restart\); changed at .* from https://run0\.example\.net$'
	log_has "tunnel URL changed from https://run0.example.net to https://run1.example.net"
}

@test "without pidfd_open, the client's exit is still seen: a failed start, a restart, a stop" {
	local counter=$BATS_TEST_TMPDIR/runs pid
	if ! grep -q '^#define FISH_TEST_HOOKS' "$FISH_BUILD_DIR/config.h"; then
		skip "needs --enable-test-hooks (FISH_TEST_NO_PIDFD)"
	fi
	# As on a kernel before 5.3, or under valgrind.
	export FISH_TEST_NO_PIDFD=1
	run fish start --tunnel 'cmd:echo "no route to {port}"; exit 7' \
	    --tunnel-url-pattern 'https://[a-z.]+'
	assert_failure 3
	assert_output --regexp "the tunnel client exited with status 7 before it announced a URL \(its last line: no route to [0-9]+\)$"
	log_has "no pidfd for the tunnel client (Function not implemented): checking for its exit every 100ms"
	fish start --tunnel "cmd:n=\$(cat $counter 2>/dev/null || echo 0); echo \$((n + 1)) >$counter; echo \"ready at https://run\$n.example.net ({port})\"; exec sleep 100" \
	    --tunnel-url-pattern 'https://run[0-9]+\.example\.net' >/dev/null
	pid=$(tunnel_field /pid)
	kill "$pid"
	wait_until 30 tunnel_restarted 1
	pid=$(tunnel_field /pid)
	run fish stop
	assert_success
	all_dead "$pid"
	log_has "tunnel client stopped"
}

@test "the tunnel is saved for later starts, and --no-tunnel forgets it" {
	fake cloudflared
	fish start --tunnel cloudflared >/dev/null
	fish stop
	run fish start
	assert_output https://seasonal-deck-organisms-sf.trycloudflare.com
	fish stop
	run fish start --no-tunnel
	assert_output --regexp '^http://127\.0\.0\.1:[0-9]+$'
	run fish status --json
	refute_output --partial tunnel
}

@test "behind --public-url, the forwarding header names the sender and the proxy is via" {
	local hook
	fish start --public-url https://hooks.example.net >/dev/null
	hook=$(fish spawn)
	hook=http://$(status_field /listen)/${hook##*/}
	post "$hook" a -H 'X-Forwarded-For: 198.51.100.1, 203.0.113.9'
	post "$hook" b -H 'Forwarded: for=192.0.2.60;proto=https, for="[2001:db8::7]:4711"'
	post "$hook" c -H 'X-Forwarded-For: not-an-address'
	run fish wait "$hook" --json --timeout 5
	assert_output --partial '"remote":"203.0.113.9","via":"127.0.0.1:'
	run fish wait "$hook" --json --timeout 5
	assert_output --partial '"remote":"2001:db8::7","via":"127.0.0.1:'
	run fish wait "$hook" --json --timeout 5
	assert_output --regexp '"remote":"127\.0\.0\.1:[0-9]+"'
	refute_output --partial '"via"'
}

@test "without a tunnel or public URL, forwarding headers are the sender's to make up, and ignored" {
	local hook
	hook=$(fish spawn)
	post "$hook" a -H 'X-Forwarded-For: 203.0.113.9' -H 'CF-Connecting-IP: 203.0.113.10'
	run fish wait "$hook" --json --timeout 5
	assert_output --regexp '"remote":"127\.0\.0\.1:[0-9]+"'
	refute_output --partial '"via"'
}

# held_from URL ADDRESS NAME: post to a --hold hook at URL as a client
# behind the tunnel at ADDRESS (its X-Forwarded-For), in the background;
# the status goes to NAME.code under the test's directory.
held_from() {
	curl -sS -o /dev/null -w '%{http_code}' --max-time 20 \
	    -H "X-Forwarded-For: $2" -d "$3" "$1" \
	    >"$BATS_TEST_TMPDIR/$3.code" 3>&- &
	senders+=("$!")
}

@test "behind a tunnel, a client at its cap of requests under way gets 429, and another client does not" {
	local hook local_url code
	senders=()
	fish start --public-url https://hooks.example.net --max-per-ip 2 \
	    >/dev/null
	hook=$(fish spawn --hold)
	local_url=http://$(status_field /listen)/${hook##*/}
	held_from "$local_url" 203.0.113.1 a1
	held_from "$local_url" 203.0.113.1 a2
	run fish wait "$local_url" --count 2 --timeout 10
	assert_success
	# A third from the same client: refused at once, to retry soon.
	run curl -sS -D - -o /dev/null --max-time 10 \
	    -H 'X-Forwarded-For: 203.0.113.1' -d a3 "$local_url"
	assert_line --index 0 --regexp '^HTTP/1\.1 429 '
	assert_line --regexp '^Retry-After: 1'
	# Another client behind the same tunnel is served.
	held_from "$local_url" 198.51.100.2 b1
	run fish wait "$local_url" --timeout 10
	assert_output b1
	# The refusal is in the log, with the client and its reason.
	run fish log --json
	assert_output --regexp '"remote":"203\.0\.113\.1","via":"127\.0\.0\.1:[0-9]+".*"refused":"too many requests from this address under way"'
	run fish log
	assert_output --partial '429 refused: too many requests from this address under way'
	assert_equal "$(status_field /addresses_refused)" 1
	# Once a held request is answered, its client may send again.
	fish reply "$hook" --body done
	wait_until 10 grep -qx 200 "$BATS_TEST_TMPDIR/a1.code" \
	    "$BATS_TEST_TMPDIR/a2.code"
	held_from "$local_url" 203.0.113.1 a4
	run fish wait "$local_url" --timeout 10
	assert_output a4
	fish stop
	for code in "${senders[@]}"; do
		wait "$code" || true
	done
}

@test "a forwarding header from a peer that is not loopback is not trusted, for remote nor for the cap" {
	local address hook url
	address=$(ip -4 -o addr show scope global 2>/dev/null |
	    awk '{ sub("/.*", "", $4); print $4; exit }')
	[ -n "$address" ] || skip "this machine has no address but loopback"
	senders=()
	fish start --listen 0.0.0.0:0 --public-url https://hooks.example.net \
	    --max-per-ip 1 >/dev/null
	hook=$(fish spawn --hold)
	url=http://$address:$(port_of "http://$(status_field /listen)")/${hook##*/}
	held_from "$url" 203.0.113.1 spoofed
	run fish wait "$url" --json --timeout 10
	assert_output --partial "\"remote\":\"$address:"
	refute_output --partial '"via"'
	refute_output --partial '"remote":"203.0.113.1"'
	# Another made-up client from the same peer counts as that peer.
	run --separate-stderr http_code "$url" \
	    -H 'X-Forwarded-For: 198.51.100.2' -d again
	# Closed once accepted: empty, or reset when curl is still sending.
	assert_output 000
	[[ $stderr == "curl: (52) Empty reply from server" ||
	    $stderr == "curl: (56) Recv failure: Connection reset by peer" ]]
	fish stop
	for code in "${senders[@]}"; do
		wait "$code" || true
	done
}

@test "a flood of made-up client addresses behind a tunnel leaves the per-address table as it was" {
	local hook local_url i
	fish start --public-url https://hooks.example.net --max-connections 16 \
	    >/dev/null
	hook=$(fish spawn)
	local_url=http://$(status_field /listen)/${hook##*/}
	assert_equal "$(status_field /addresses_capacity)" 32
	for ((i = 0; i < 300; i++)); do
		printf -- '-H "X-Forwarded-For: 10.0.%d.%d"\n' $((i / 256)) \
		    $((i % 256))
	done | xargs -P 8 -I{} sh -c "curl -sS -o /dev/null --max-time 10 \
	    -d x {} '$local_url'"
	run fish status --json
	assert_equal "$(fish field /messages <<<"$output")" 300
	assert_equal "$(fish field /addresses_tracked <<<"$output")" 0
	assert_equal "$(fish field /addresses_capacity <<<"$output")" 32
}

@test "the CI recipes are whole YAML files that start fish with a tunnel and wait for a callback" {
	local file
	python3 -c 'import yaml' 2>/dev/null ||
	    skip "python3-yaml is not installed (apt-get install python3-yaml)"
	for file in github-actions.yml gitlab-ci.yml; do
		file=$FISH_SRC_DIR/examples/ci/$file
		python3 -c 'import sys, yaml; yaml.safe_load(open(sys.argv[1]))' \
		    "$file"
		grep -q -- 'start --tunnel cloudflared' "$file"
		grep -q -- 'wait "$hook" --timeout' "$file"
		grep -q -- 'make install' "$file"
	done
}
