#!/usr/bin/env bats
# The control socket: whatever a local client sends, the listener keeps
# serving, and a message leased to a client that goes away is not lost.

load helpers/common

setup() {
	common_setup
}

teardown() {
	common_teardown
}

# What every client script below starts with: the socket path is argv[1].
CONTROL_PY='
import json, socket, struct, sys

def connect():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(sys.argv[1])
    return s

def frame(obj, payload=b""):
    text = obj if isinstance(obj, bytes) else json.dumps(obj).encode()
    return struct.pack(">II", len(text), len(payload)) + text + payload

def read_exact(s, n):
    data = b""
    while len(data) < n:
        chunk = s.recv(n - len(data))
        if not chunk:
            raise EOFError("connection closed")
        data += chunk
    return data

def read_frame(s):
    json_len, payload_len = struct.unpack(">II", read_exact(s, 8))
    return json.loads(read_exact(s, json_len)), read_exact(s, payload_len)

def dropped(s):
    """Read until the listener closes the connection; say so."""
    while s.recv(65536):
        pass
    print("dropped")
'

# control_client SCRIPT [ARG...]: run SCRIPT (python3, with CONTROL_PY's
# helpers) against the default session's control socket; the ARGs are
# sys.argv[2:].
control_client() {
	python3 -c "$CONTROL_PY$1" "$FISH_HOME/sessions/default/control.sock" "${@:2}"
}

# still_serving PID: the listener is still PID and answers a spawn.
still_serving() {
	run fish spawn
	assert_success
	assert_equal "$(listener_pid)" "$1"
}

@test "a garbage line on the control socket leaves the listener serving" {
	local pid
	fish start >/dev/null
	pid=$(listener_pid)

	run control_client '
s = connect()
s.sendall(b"hello, is this the listener?\n")
dropped(s)'
	assert_success
	assert_output dropped
	still_serving "$pid"
	run cat "$FISH_HOME/sessions/default/listener.log"
	assert_output --partial "dropping client"
}

@test "a frame declaring a huge length is dropped" {
	local pid
	fish start >/dev/null
	pid=$(listener_pid)

	run control_client '
s = connect()
s.sendall(struct.pack(">II", 0xFFFFFFF0, 0) + b"{}")
dropped(s)
s = connect()
s.sendall(struct.pack(">II", 2, 0xFFFFFFF0) + b"{}")
dropped(s)'
	assert_success
	assert_output $'dropped\ndropped'
	still_serving "$pid"
}

@test "a frame of valid JSON that is not an object is dropped" {
	local pid
	fish start >/dev/null
	pid=$(listener_pid)

	run control_client '
for text in [b"[1,2,3]", b"\"status\"", b"42", b"null", b"{\"v\":"]:
    s = connect()
    s.sendall(frame(text))
    dropped(s)'
	assert_success
	assert_equal "${#lines[@]}" 5
	still_serving "$pid"
}

@test "a client that sends half a frame and goes away does no harm" {
	local pid
	fish start >/dev/null
	pid=$(listener_pid)

	run control_client '
whole = frame({"v": 1, "cmd": "status"})
for cut in [3, 8, 12]:
    s = connect()
    s.sendall(whole[:cut])
    s.close()
print("sent")'
	assert_success
	still_serving "$pid"
	run fish status
	assert_success
}

@test "a request with another protocol version gets status 3 naming the protocol" {
	fish start >/dev/null

	run control_client '
s = connect()
s.sendall(frame({"v": 999, "cmd": "status"}))
reply, payload = read_frame(s)
print(reply["status"])
print(reply["error"])'
	assert_success
	assert_line --index 0 3
	assert_line --index 1 --partial protocol
}

@test "an unknown request gets status 2" {
	fish start >/dev/null

	run control_client '
s = connect()
s.sendall(frame({"v": 1, "cmd": "frobnicate"}))
reply, payload = read_frame(s)
print(reply["status"])
print(reply["error"])
s.sendall(frame({"v": 1, "cmd": "status"}))
reply, payload = read_frame(s)
print(reply["status"])'
	assert_success
	assert_line --index 0 2
	assert_line --index 1 --partial frobnicate
	# The same connection goes on working.
	assert_line --index 2 0
}

@test "a waiter that goes away before any message does not swallow the next one" {
	local hook
	hook=$(fish spawn)

	run control_client '
s = connect()
s.sendall(frame({"v": 1, "cmd": "wait", "hooks": [sys.argv[2]]}))
s.close()
print("gone")' "$hook"
	assert_success

	run http_post "$hook" '{"n":1}'
	assert_output 200
	run fish wait "$hook" --timeout 5
	assert_success
	assert_output '{"n":1}'
}

@test "a message received but never acknowledged goes to the next wait" {
	local hook
	hook=$(fish spawn)
	run http_post "$hook" '{"n":1}'
	assert_output 200

	run control_client '
s = connect()
s.sendall(frame({"v": 1, "cmd": "wait", "hooks": [sys.argv[2]]}))
reply, payload = read_frame(s)
print(reply["status"])
sys.stdout.flush()
sys.stdout.buffer.write(payload + b"\n")
s.close()' "$hook"
	assert_success
	assert_line --index 0 0
	assert_line --index 1 '{"n":1}'

	run fish wait "$hook" --timeout 5
	assert_success
	assert_output '{"n":1}'
	# Acknowledged this time: taken for good.
	run fish wait "$hook" --timeout 200ms
	assert_failure 124
}

@test "twenty clients at once are all answered" {
	local i pids=() failed=0
	fish start >/dev/null

	for i in $(seq 20); do
		fish status >/dev/null 2>&1 3>&- &
		pids+=($!)
	done
	for i in "${pids[@]}"; do
		wait "$i" || failed=$((failed + 1))
	done
	assert_equal "$failed" 0
}
