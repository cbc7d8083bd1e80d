#!/usr/bin/env python3
"""A raw control-socket client, for test/control.bats and
test/wait-scan.bats: it speaks the frame format itself (lib/proto.h: an
8-byte header of two big-endian u32 lengths, JSON text, payload), so it can
send what fish never would.

    control.py SOCK battery HOOK
        send one malformed request per connection (HOOK names a hook that
        exists); check each is answered with its status and error.  Print
        "ok NAME" or "FAIL NAME: ..." per case, then "N cases, N failed";
        exit 1 if any failed
    control.py SOCK partial PID COUNT MIB
        open COUNT connections, each sending a frame whose header declares
        a payload of MIB MiB, and push all of it but its last byte as fast
        as the listener reads; once no connection has moved for a second,
        print "sent MIB", the listener's (PID) "rss MIB" and "status N"
        (a status request on a new connection), then close them
    control.py SOCK trickle LIMIT
        send the first half of a frame, then a byte every 100 ms; print
        "dropped after S s" once the listener closes the connection, or
        "still open" after LIMIT seconds
    control.py SOCK hold COUNT LOG
        open COUNT connections (as many as the listener lets connect) and
        hold them until LOG says the listener cannot accept clients, and a
        second more; print "held N", then how much LOG grew meanwhile,
        "grew BYTES"; then close them
    control.py SOCK stall HOOK FILE
        follow HOOK as fish tail does, but read nothing more once the
        tail is acknowledged (print "following") until FILE exists (at
        most a minute); then read for as long as entries come and print
        how many entries arrived ("entries N") and "open" if the
        listener kept the connection, or "closed" if it closed it
    control.py SOCK tail-after
        follow every hook as fish tail does when it starts; print the
        "after" of the acknowledgement (where the tail begins) and hang up
    control.py SOCK tail-resume AFTER OPEN [GO]
        follow every hook as fish tail does when it resumes after entry
        AFTER, telling the listener it printed the entries OPEN (a JSON
        list) open, or, OPEN "-", saying nothing of them as an older fish
        tail does; print "following" once acknowledged; with GO, read
        nothing more until the file GO exists (at most a minute); then
        print a line a frame: "entry SEQ" (and " open" when it says so)
        or "passed SEQ", for at most a minute, and "closed" if the
        listener closes the connection
    control.py SOCK pipeline SEQ COUNT FILE
        send COUNT show requests for message SEQ in one go and read none
        of the answers (print "sent") until FILE exists (at most a
        minute); then read all that comes and print "closed" once the
        listener closes the connection, or "open" if it is still open
        10 s after the last byte
    control.py SOCK wait HOOK [FILTER...]
        send a wait on HOOK with --where FILTERs; once the listener has
        read it all, ask for status on another connection: its answer
        means the wait is registered; print "registered", then (the
        wait's answer) the message's body, and acknowledge it
    control.py SOCK two FIRST SECOND
        send two requests (JSON texts) back to back on one connection, as
        a client that does not wait for replies; print one line a frame
        that comes back, its JSON, and "closed" once the listener closes
        the connection
    control.py SOCK batch HOOK FILE
        make the first wait of a drain of HOOK (one that will ask for
        more, with no time to wait), print its message's body and
        "stalled", then ask for nothing more, its connection open, until
        FILE exists (at most a minute): a batch client stopped between
        two waits (Ctrl-Z, a slow disk)
    control.py SOCK ack-gone HOOK PID
        take HOOK's next message (no time to wait), then stop the
        listener (PID) with SIGSTOP, send the message's ack and hang up
        before the listener has read it, as a fish wait ended (Ctrl-C,
        timeout(1)) while its ack goes to a busy listener; resume the
        listener; print the message's body
    control.py SOCK wait-now HOOK [FILTER...]
        send a wait on HOOK with --where FILTERs and no time to wait, as
        a client that knows no interim frames does (no "interim"); print
        one line a frame until the reply: "interim WHAT" for an interim
        frame, "reply STATUS" and the message's body for the reply
    control.py SOCK send-stop PID URL FILE
        stop the listener (PID) with SIGSTOP, queue a send of FILE's bytes
        to URL (its whole frame in the socket: a send buffer forced large
        enough, as root) and then a stop, on two connections, so that the
        listener reads both in one turn of its loop, before a commit;
        resume it; print the send's reply: "reply STATUS ERROR", or
        "closed" if the listener hung up without one
"""
import array
import errno
import fcntl
import json
import os
import select
import socket
import struct
import sys
import termios
import time


def connect(path, blocking=True):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    if blocking:
        s.settimeout(20)
        s.connect(path)
    else:
        s.setblocking(False)
        s.connect(path)
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


def request(path, obj, payload=b""):
    """Send one request on a new connection; return its answer."""
    s = connect(path)
    try:
        s.sendall(frame(obj, payload))
        return read_frame(s)[0]
    finally:
        s.close()


BIG = 9223372036854775807
HUGE = b"99999999999999999999"


def battery_cases(hook):
    """(name, request (a dict or raw JSON bytes), payload, status, error)"""
    cases = []

    def add(name, req, status, error, payload=b""):
        if isinstance(req, dict):
            req = dict({"v": 1}, **req)
        cases.append((name, req, payload, status, error))

    def bad_values(cmd, base, field, values, error=None):
        for i, value in enumerate(values):
            req = dict({"v": 1, "cmd": cmd}, **base)
            if isinstance(value, bytes):
                text = json.dumps(req)[:-1] + ', "%s": ' % field
                add("%s %s #%d" % (cmd, field, i), text.encode() + value +
                    b"}", 2, error or "invalid %s in %s request" %
                    (field, cmd))
            else:
                req[field] = value
                add("%s %s %s" % (cmd, field, json.dumps(value)[:40]), req,
                    2, error or "invalid %s in %s request" % (field, cmd))

    # The frame's own fields.
    add("v as a string", {"v": "1", "cmd": "status"}, 2, "invalid v")
    add("no v", b'{"cmd":"status"}', 2, "invalid v")
    add("v as a fraction", b'{"v":1.0,"cmd":"status"}', 2, "invalid v")
    add("v of another version", {"v": 2, "cmd": "status"}, 3, "protocol")
    add("no cmd", {}, 2, "invalid cmd")
    add("cmd a number", {"cmd": 5}, 2, "invalid cmd")
    add("cmd null", {"cmd": None}, 2, "invalid cmd")
    add("cmd empty", {"cmd": ""}, 2, "invalid cmd")
    add("cmd long", {"cmd": "x" * 100}, 2, "invalid cmd")
    add("unknown cmd", {"cmd": "nope"}, 2, "unknown request 'nope'")
    add("status with a payload", {"cmd": "status"}, 2, "takes no payload",
        b"x")
    add("stop with a payload", {"cmd": "stop"}, 2, "takes no payload", b"x")
    add("status with unknown fields", {"cmd": "status", "junk": [1, {}]}, 0,
        None)

    numbers = ["5", -1, 1.5, None, True, {}, [1], BIG, -BIG - 1, HUGE,
               b"1e3", b"-" + HUGE]
    # wait
    w = {"hooks": [hook]}
    add("wait without hooks", {"cmd": "wait"}, 2, "at least one hook")
    add("wait on no hooks", {"cmd": "wait", "hooks": []}, 2,
        "at least one hook")
    bad_values("wait", {}, "hooks", [hook, 5, None, {}, [1], [None],
                                     [[hook]], [{}], ["a\u0000b"],
                                     [hook] * 2000, ["x" * 5000]])
    bad_values("wait", w, "timeout_ms", numbers)
    bad_values("wait", w, "peek", ["yes", 1, None, [], {}])
    bad_values("wait", w, "interim", ["yes", 1, None, [], {}])
    # Any count up to INT64_MAX is one a batch may still want.
    bad_values("wait", dict(w, more=True), "want",
               [n for n in numbers if n != BIG])
    bad_values("wait", w, "where", ["/a=1", 5, {}, [1], [None], [["/a"]],
                                    ["/a=1"] * 100])
    bad_values("wait", w, "where", [["nonsense"]], "invalid filter")
    add("wait on an unknown hook", {"cmd": "wait", "hooks": ["nosuch"]}, 4,
        "no such hook 'nosuch'")
    # ack
    add("ack without seq", {"cmd": "ack"}, 2, "invalid seq")
    bad_values("ack", {}, "seq", ["1", -1, 1.5, None, HUGE, b"1e3"])
    add("ack of nothing", {"cmd": "ack", "seq": BIG}, 2,
        "is being waited on")
    # spawn
    sp = {"name": "battery"}
    bad_values("spawn", {}, "name", [5, "", "a b", "-x", "x" * 65, None,
                                     ["a"], "a\u0000b", "caf\u00e9"])
    bad_values("spawn", sp, "status", ["200", 600, 1.5, None, BIG, HUGE,
                                       b"2e2"])
    bad_values("spawn", sp, "status", [99, 1], "invalid status")
    bad_values("spawn", sp, "headers",
               ["x", 5, {}, [["a b", "v"]], [["a", "v\r\nb: c"]], [["a"]],
                [["a", 1]], [["", "v"]], [["a", "v\n"]], [["a:", "v"]],
                [["a", "v"]] * 300], "answer headers must be")
    bad_values("spawn", sp, "hold", ["true", 1, None])
    for field in ("hold_timeout_ms", "ttl_ms", "tolerance_ms"):
        bad_values("spawn", sp, field, numbers + [0, 3153600000001])
    bad_values("spawn", sp, "expires_at", [BIG, -BIG - 1, 1, HUGE, b"-" + HUGE,
                                           "x", None])
    bad_values("spawn", sp, "echo", [5, "", None, ["a"]])
    bad_values("spawn", sp, "forward_to", [5, "", None])
    bad_values("spawn", sp, "forward_to", ["ftp://x/", "x"],
               "invalid forward URL")
    bad_values("spawn", sp, "verify", [5, "", None])
    bad_values("spawn", sp, "secret", [[], 5, None])
    add("spawn with too large a body", dict({"cmd": "spawn"}, **sp), 2,
        "answer body larger", b"x" * ((1 << 20) + 1))
    # reply
    add("reply without message", {"cmd": "reply"}, 2, "needs a message")
    rp = {"message": hook}
    bad_values("reply", {}, "message", [5, "", None, [hook]])
    bad_values("reply", rp, "status", ["200", 700, 100, 0, None, BIG, HUGE])
    bad_values("reply", rp, "headers", ["x", [["a", "b\n"]], [[1, 2]]])
    # close
    add("close without hook", {"cmd": "close"}, 2, "invalid hook")
    bad_values("close", {}, "hook", [5, None, [hook], "x" * 5000])
    # log, show, replay, tail, resolve
    bad_values("log", {}, "hooks", [hook, 5, [5], [None]])
    bad_values("log", {}, "limit", ["5", -1, 1.5, None, HUGE])
    bad_values("log", {}, "since_ms", ["5", -1, None, BIG, HUGE])
    add("show without seq", {"cmd": "show"}, 2, "invalid seq")
    bad_values("show", {}, "seq", ["1", -1, 1.5, None, HUGE])
    add("show of no such message", {"cmd": "show", "seq": BIG}, 4,
        "no message")
    add("replay without seq", {"cmd": "replay"}, 2, "invalid seq")
    bad_values("replay", {"seq": 1}, "to", [5, "", None])
    bad_values("replay", {"seq": 1}, "timeout_ms", [0, -1, "5", BIG, HUGE])
    bad_values("tail", {}, "hooks", [hook, 5, [5]])
    # "open": entries up to "after" its client printed awaiting their outcome
    bad_values("tail", {"after": 5}, "open",
               [5, "1", None, [0], [-1], [6], ["1"], [1.5], [None], [[1]]])
    bad_values("tail", {"after": 100000}, "open", [list(range(1, 16386))])
    add("tail open without after", {"cmd": "tail", "open": [1]}, 2,
        "invalid open in tail request")
    bad_values("resolve", {}, "hooks", [5, [5], [None], [hook] * 2000])
    add("resolve of no such hook", {"cmd": "resolve", "hooks": ["nosuch"]},
        4, "no such hook")
    # send
    sd = {"method": "GET", "url": "http://127.0.0.1:9/"}
    add("send without a URL", {"cmd": "send", "method": "GET"}, 2,
        "needs a method and a URL")
    bad_values("send", {"url": sd["url"]}, "method",
               [5, "", "GE T", "GET\r\n", None, "x" * 100])
    bad_values("send", {"method": "GET"}, "url", [5, "", None, ["x"]])
    bad_values("send", sd, "headers", ["x", [["a b", "v"]], [["a", "v\r\n"]],
                                       [[1, 2]]])
    bad_values("send", sd, "timeout_ms", numbers + [0])
    bad_values("send", sd, "retries", ["1", -1, 1000, None, HUGE])
    bad_values("send", sd, "follow", ["yes", 1, None])
    bad_values("send", sd, "include", ["yes", 1, None])
    bad_values("send", sd, "sign", [5, "", None])
    bad_values("send", sd, "secret", [5, "", None])
    return cases


def battery(path, hook):
    failed = 0
    cases = battery_cases(hook)
    for name, req, payload, status, error in cases:
        try:
            answer = request(path, req, payload)
        except (OSError, EOFError) as e:
            print("FAIL %s: %s" % (name, e))
            failed += 1
            continue
        got, text = answer.get("status"), answer.get("error")
        if got != status or (error is not None and
                             (text is None or error not in text)):
            print("FAIL %s: status %s, error %r" % (name, got, text))
            failed += 1
        elif text is not None and "\n" in text:
            print("FAIL %s: error of more than one line" % name)
            failed += 1
        else:
            print("ok %s" % name)
    print("%d cases, %d failed" % (len(cases), failed))
    return 1 if failed else 0


def rss_mib(pid):
    with open("/proc/%s/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) // 1024
    return -1


def partial(path, pid, count, mib):
    size = mib << 20
    head = json.dumps({"v": 1, "cmd": "send", "method": "POST",
                       "url": "http://127.0.0.1:9/"}).encode()
    prefix = struct.pack(">II", len(head), size) + head
    filler = memoryview(b"x" * (1 << 20))
    socks, state = [], {}
    for _ in range(count):
        s = connect(path, blocking=False)
        socks.append(s)
        state[s] = [memoryview(prefix), size - 1]
    sent = 0
    idle_since = time.monotonic()
    while time.monotonic() - idle_since < 1:
        busy = [s for s in socks if state[s][0] or state[s][1] > 0]
        if not busy:
            break
        _, writable, _ = select.select([], busy, [], 0.2)
        for s in writable:
            rest = state[s]
            try:
                if rest[0]:
                    n = s.send(rest[0])
                    rest[0] = rest[0][n:]
                else:
                    n = s.send(filler[:min(rest[1], len(filler))])
                    rest[1] -= n
            except BlockingIOError:
                continue
            except OSError:
                rest[0], rest[1] = b"", 0
                continue
            sent += n
            idle_since = time.monotonic()
    print("sent %d" % (sent >> 20))
    print("rss %d" % rss_mib(pid))
    print("status %s" % request(path, {"v": 1, "cmd": "status"})
          .get("status"))
    for s in socks:
        s.close()
    return 0


def trickle(path, limit):
    """A frame that declares more JSON than is ever sent: its first bytes,
    then a blank every 100 ms."""
    s = connect(path)
    s.sendall(struct.pack(">II", 100000, 0) + b'{"v":1,"cmd":"status"')
    start = time.monotonic()
    while time.monotonic() - start < limit:
        try:
            s.send(b" ")
        except OSError:
            break
        r, _, _ = select.select([s], [], [], 0.1)
        if r:
            try:
                if not s.recv(4096):
                    break
            except OSError:
                break
    else:
        print("still open")
        return 1
    print("dropped after %.1f s" % (time.monotonic() - start))
    return 0


def hold(path, count, log):
    socks = []
    for _ in range(count):
        try:
            socks.append(connect(path, blocking=False))
        except OSError as e:
            if e.errno not in (errno.EAGAIN, errno.ECONNREFUSED):
                raise
            break
    print("held %d" % len(socks))
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        with open(log, "rb") as f:
            if b"cannot accept" in f.read():
                break
        time.sleep(0.02)
    else:
        print("never out of descriptors")
    size = os.path.getsize(log)
    time.sleep(1)
    print("grew %d" % (os.path.getsize(log) - size))
    for s in socks:
        s.close()
    return 0


def await_file(go):
    deadline = time.monotonic() + 60
    while not os.path.exists(go) and time.monotonic() < deadline:
        time.sleep(0.02)


def stall(path, hook, go):
    s = connect(path)
    s.sendall(frame({"v": 1, "cmd": "tail", "hooks": [hook]}))
    if read_frame(s)[0].get("status") != 0:
        return 1
    print("following", flush=True)
    await_file(go)
    s.settimeout(5)
    entries = 0
    state = "open"
    try:
        while True:
            answer, _ = read_frame(s)
            if "entry" in answer:
                entries += 1
    except (TimeoutError, socket.timeout):
        pass
    except (OSError, EOFError, ValueError):
        state = "closed"
    print("entries %d" % entries)
    print(state)
    return 0


def tail_resume(path, after, opened, go=None):
    req = {"v": 1, "cmd": "tail", "after": int(after)}
    if opened != "-":
        req["open"] = json.loads(opened)
    s = connect(path)
    s.sendall(frame(req))
    answer = read_frame(s)[0]
    if answer.get("status") != 0:
        print("status %s: %s" % (answer.get("status"), answer.get("error")))
        return 1
    print("following", flush=True)
    if go is not None:
        await_file(go)
    end = time.time() + 60
    try:
        while time.time() < end:
            s.settimeout(max(end - time.time(), 0.1))
            answer, _ = read_frame(s)
            more = " open" if answer.get("open") else ""
            if "entry" in answer:
                print("entry %d%s" % (answer["entry"]["seq"], more),
                      flush=True)
            elif "passed" in answer:
                print("passed %d%s" % (answer["passed"], more), flush=True)
    except (TimeoutError, socket.timeout):
        pass
    except (OSError, EOFError, ValueError):
        print("closed", flush=True)
    return 0


def tail_after(path):
    s = connect(path)
    try:
        s.sendall(frame({"v": 1, "cmd": "tail"}))
        answer = read_frame(s)[0]
    finally:
        s.close()
    if answer.get("status") != 0:
        print("status %s: %s" % (answer.get("status"), answer.get("error")))
        return 1
    print(answer.get("after"))
    return 0


def pipeline(path, seq, count, go):
    s = connect(path)
    one = frame({"v": 1, "cmd": "show", "seq": seq})
    s.settimeout(60)
    try:
        for _ in range(count):
            s.sendall(one)
    except OSError:
        pass
    print("sent", flush=True)
    await_file(go)
    s.settimeout(10)
    try:
        while s.recv(1 << 20):
            pass
    except (TimeoutError, socket.timeout):
        print("open")
        return 1
    except OSError:
        pass
    print("closed")
    return 0


def wait_request(path, hook, filters, timeout_ms):
    """Connect, and make a wait on hook with --where filters."""
    s = connect(path)
    s.settimeout(120)
    req = {"v": 1, "cmd": "wait", "hooks": [hook], "timeout_ms": timeout_ms}
    if filters:
        req["where"] = filters
    return s, req


def unread(s):
    """Return how many bytes sent on s the peer has not read yet."""
    buf = array.array("i", [0])
    fcntl.ioctl(s.fileno(), termios.TIOCOUTQ, buf)
    return buf[0]


def wait(path, hook, filters):
    s, req = wait_request(path, hook, filters, 100000)
    s.sendall(frame(req))
    # One request at a time on a connection.  The listener runs a frame
    # as soon as it has read it, before it turns to another client: once
    # nothing of the wait is left unread, a status answered on another
    # connection comes after the wait was registered.
    deadline = time.monotonic() + 20
    while unread(s) > 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    if request(path, {"v": 1, "cmd": "status"}).get("status") != 0:
        print("status failed")
        return 1
    print("registered", flush=True)
    answer, body = read_frame(s)
    if answer.get("status") != 0:
        print("wait: %r" % answer)
        return 1
    s.sendall(frame({"v": 1, "cmd": "ack",
                     "seq": answer["message"]["seq"]}))
    if read_frame(s)[0].get("status") != 0:
        return 1
    sys.stdout.write(body.decode() + "\n")
    return 0


def two(path, first, second):
    s = connect(path)
    s.sendall(frame(first.encode()) + frame(second.encode()))
    s.settimeout(5)
    while True:
        try:
            answer, _ = read_frame(s)
        except (EOFError, ConnectionError):
            print("closed")
            return 0
        except socket.timeout:
            print("open")
            return 0
        print(json.dumps(answer, sort_keys=True), flush=True)


def wait_now(path, hook, filters):
    s, req = wait_request(path, hook, filters, 0)
    s.sendall(frame(req))
    while True:
        answer, body = read_frame(s)
        if "status" in answer:
            break
        print("interim %s" % answer.get("interim"), flush=True)
    print("reply %d" % answer["status"])
    if answer["status"] == 0:
        sys.stdout.write(body.decode() + "\n")
    return 0


def batch(path, hook, go):
    s, req = wait_request(path, hook, None, 0)
    req.update({"more": True, "want": 0, "interim": True})
    s.sendall(frame(req))
    while True:
        answer, body = read_frame(s)
        if "status" in answer:
            break
    if answer["status"] != 0:
        print("wait: %r" % answer)
        return 1
    sys.stdout.write(body.decode() + "\n")
    print("stalled", flush=True)
    await_file(go)
    return 0


def ack_gone(path, hook, pid):
    s, req = wait_request(path, hook, None, 0)
    s.sendall(frame(req))
    answer, body = read_frame(s)
    if answer.get("status") != 0:
        print("wait: %r" % answer)
        return 1
    os.kill(pid, 19)
    s.sendall(frame({"v": 1, "cmd": "ack", "seq": answer["message"]["seq"]}))
    s.close()
    os.kill(pid, 18)
    sys.stdout.write(body.decode() + "\n")
    return 0


def send_stop(path, pid, url, name):
    with open(name, "rb") as f:
        body = f.read()
    os.kill(pid, 19)
    try:
        s = connect(path)
        # SO_SNDBUFFORCE: the whole frame waits in the socket.
        s.setsockopt(socket.SOL_SOCKET, 32, len(body) + (1 << 20))
        s.sendall(frame({"v": 1, "cmd": "send", "method": "POST",
                         "url": url, "headers": [], "timeout_ms": 60000},
                        body))
        stop = connect(path)
        stop.sendall(frame({"v": 1, "cmd": "stop"}))
    finally:
        os.kill(pid, 18)
    try:
        answer = read_frame(s)[0]
    except EOFError:
        print("closed")
        return 0
    print("reply %d %s" % (answer.get("status"), answer.get("error")))
    return 0


def main():
    path, what, args = sys.argv[1], sys.argv[2], sys.argv[3:]
    if what == "battery":
        return battery(path, args[0])
    if what == "partial":
        return partial(path, args[0], int(args[1]), int(args[2]))
    if what == "trickle":
        return trickle(path, float(args[0]))
    if what == "hold":
        return hold(path, int(args[0]), args[1])
    if what == "stall":
        return stall(path, args[0], args[1])
    if what == "tail-after":
        return tail_after(path)
    if what == "tail-resume":
        return tail_resume(path, *args[:3])
    if what == "pipeline":
        return pipeline(path, int(args[0]), int(args[1]), args[2])
    if what == "wait":
        return wait(path, args[0], args[1:])
    if what == "two":
        return two(path, args[0], args[1])
    if what == "batch":
        return batch(path, args[0], args[1])
    if what == "ack-gone":
        return ack_gone(path, args[0], int(args[1]))
    if what == "wait-now":
        return wait_now(path, args[0], args[1:])
    if what == "send-stop":
        return send_stop(path, int(args[0]), args[1], args[2])
    print("unknown command %s" % what, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
