#!/usr/bin/env python3
"""A hostile HTTP client, for test/hostile.bats: raw sockets, no library
that would tidy up what it sends.

    hostile.py PORT probe NAME TOKEN
        send one bad request; print the status code of the answer, or
        "closed" if the connection was closed without one (smuggle-*:
        every answer's code, then "closed" or "open")
    hostile.py PORT slow TOKEN COUNT IPS DEADLINE
        open COUNT connections (from IPS loopback addresses, 127.0.0.2 on)
        that trickle an endless request a byte at a time; meanwhile time a
        normal request from 127.0.0.1, and wait up to DEADLINE seconds for
        the listener to cut the slow ones.  Print "normal STATUS MS" (MS:
        when its answer came), "cut N of COUNT" and "first cut after S s"
        (times from the first connect)
    hostile.py PORT idle TOKEN
        open a connection and send nothing; then send one request on
        another and read its answer; print how long each stayed open
    hostile.py PORT flood TOKEN COUNT [EXPECT [WAIT]]
        open COUNT idle connections from 127.0.0.1 at once; print "open N"
        (how many the listener did not close, waiting up to 20 s for only
        EXPECT to be left) and, while they are held,
        "other STATUS" for a normal request from 127.0.0.2 ("waiting" if
        unanswered after WAIT seconds, default 2)
    hostile.py PORT idlers TOKEN COUNT IPS
        open COUNT connections (from IPS loopback addresses, 127.0.0.2 on)
        that send nothing; then time a normal request from 127.0.0.1.
        Print "normal STATUS MS" (MS: from its connect to its answer,
        "waiting" after 30 s) and "cut N of COUNT" (how many of the idle
        ones the listener had closed by then; ", oldest first" when those
        were the first N opened)
    hostile.py PORT bodies TOKEN COUNT SIZE PID length|chunked
        open COUNT connections from 127.0.0.1 that each POST a SIZE-byte
        body (declared, or chunked), and send all of it but the end, as
        fast as the listener reads; print "refused N: CODES" (answers that
        came before the end, with their Retry-After: "503 retry 10 x3"),
        "rss before KB", "rss held KB" (the listener
        PID's VmRSS then), "normal STATUS" (a small request from 127.0.0.2
        meanwhile); then send the ends and print "answers CODES" (sorted,
        with counts) and "rss peak KB" (VmHWM)
    hostile.py PORT reset TOKEN SIZE FIFO
        POST a SIZE-byte body, all of it; then wait for a line on FIFO
        and reset the connection (RST, not FIN) without reading an
        answer; print "reset"
    hostile.py PORT late TOKEN SIZE FIFO
        POST a SIZE-byte body but its last byte, and print "sent"; then
        wait for a line on FIFO, send the last byte, and print the status
        code of the answer ("closed" if the connection closed first)
"""
import os
import select
import socket
import struct
import sys
import time

HOST = "127.0.0.1"


def connect(port, source=None):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if source is not None:
        s.bind((source, 0))
    s.connect((HOST, port))
    return s


def read_head(s, end, timeout):
    """Read until end is in what came, the listener closes (or resets)
    the connection, or timeout seconds pass; return what came, and
    whether time ran out."""
    s.settimeout(timeout)
    data = b""
    try:
        while end not in data:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
    except (ConnectionResetError, BrokenPipeError):
        pass
    except TimeoutError:
        return data, True
    return data, False


def answer(s, timeout=10):
    """Read until the head of an answer is in; return its status code,
    "closed" if the listener closed (or reset) the connection first, or
    "waiting" if nothing came within timeout seconds."""
    data, late = read_head(s, b"\r\n", timeout)
    if late and not data:
        return "waiting"
    if not data.startswith(b"HTTP/1.1 ") or len(data) < 12:
        return "closed"
    return data[9:12].decode()


def refusal(s):
    """Read the head of an answer that came before the request's end:
    return its status code and Retry-After, as "503 retry 10"."""
    data, _ = read_head(s, b"\r\n\r\n", 5)
    if not data.startswith(b"HTTP/1.1 ") or len(data) < 12:
        return "closed"
    retry = [line.split(b":", 1)[1].strip().decode()
             for line in data.split(b"\r\n")
             if line.lower().startswith(b"retry-after:")]
    return data[9:12].decode() + (" retry " + retry[0] if retry else "")


def answers(s, timeout=10):
    """Read until the listener closes s; return the status codes of every
    answer, then "closed" (or "open" if it was still open after timeout
    seconds)."""
    s.settimeout(timeout)
    data = b""
    end = "closed"
    try:
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
    except ConnectionResetError:
        pass
    except TimeoutError:
        end = "open"
    codes = [data[i + 9:i + 12].decode()
             for i in range(len(data)) if data.startswith(b"HTTP/1.1 ", i)]
    return " ".join(codes + [end])


def send_all(s, data):
    """Send data; the listener may answer and close before it has all."""
    try:
        s.sendall(data)
    except (ConnectionResetError, BrokenPipeError):
        pass


def request(method, path, headers=(), body=b""):
    head = "%s %s HTTP/1.1\r\nHost: x\r\n" % (method, path)
    for h in headers:
        head += h + "\r\n"
    return head.encode() + b"\r\n" + body


def probe(port, name, token):
    big = 30 << 20
    s = connect(port)
    if name == "declared-body":
        # Only the head: the answer must come before any body is sent.
        send_all(s, request("POST", "/" + token,
                            ["Content-Length: %d" % big]))
    elif name == "chunked-body":
        send_all(s, request("POST", "/" + token,
                            ["Transfer-Encoding: chunked"]))
        piece = b"100000\r\n" + b"x" * 0x100000 + b"\r\n"
        for _ in range(big // 0x100000):
            send_all(s, piece)
        send_all(s, b"0\r\n\r\n")
    elif name == "header":
        send_all(s, request("GET", "/" + token,
                            ["X-Big: " + "a" * 200000]))
    elif name == "chunked-and-length":
        send_all(s, request("POST", "/" + token,
                            ["Transfer-Encoding: chunked",
                             "Content-Length: 5"], b"5\r\nhello\r\n0\r\n\r\n"))
    elif name == "gzip-chunked":
        # Chunked is not the last encoding: the length is unknown.
        send_all(s, request("POST", "/" + token,
                            ["Transfer-Encoding: gzip, chunked"],
                            b"5\r\nhello\r\n0\r\n\r\n"))
    elif name == "identity":
        send_all(s, request("POST", "/" + token,
                            ["Transfer-Encoding: identity"], b"hello"))
    elif name == "signed-length":
        # MHD refuses it itself, and logs why.
        send_all(s, request("POST", "/" + token, ["Content-Length: +5"],
                            b"hello"))
    elif name == "two-lengths":
        send_all(s, request("POST", "/" + token,
                            ["Content-Length: 5", "Content-Length: 6"],
                            b"hello!"))
    elif name == "smuggle-413" or name == "smuggle-400":
        # The unread body of a refused request is another request: had the
        # listener kept the connection, it would answer (and record) it.
        inner = request("GET", "/" + token + "/smuggled")
        if name == "smuggle-413":
            headers = ["Content-Length: %d" % big]
        else:
            headers = ["Content-Length: %d" % len(inner),
                       "Transfer-Encoding: gzip"]
        send_all(s, request("POST", "/" + token, headers, inner))
        print(answers(s))
        return
    elif name in ("space-colon", "space-colon-te", "fold-te", "fold-blank",
                  "fold-other", "leading-space", "bad-name", "space-name",
                  "high-bit-name", "paren-name"):
        # RFC 9112: 400, and the connection closed; had the listener read
        # the body as the next request, it would answer (and record) it.
        inner = request("GET", "/" + token + "/smuggled")
        body = b"%x\r\n" % len(inner) + inner + b"\r\n0\r\n\r\n"
        headers = {
            "space-colon": ["Content-Length : %d" % len(inner)],
            "space-colon-te": ["Transfer-Encoding : chunked"],
            "fold-te": ["Transfer-Encoding:", " chunked"],
            "fold-blank": ["Transfer-Encoding: chunked", " "],
            "fold-other": ["X-Folded: one", "\ttwo", "Transfer-Encoding: chunked"],
            "leading-space": [" X-First: one", "Transfer-Encoding: chunked"],
            "bad-name": ["X-B@d: one", "Transfer-Encoding: chunked"],
            "space-name": ["X Name: one", "Transfer-Encoding: chunked"],
            "high-bit-name": ["X-\u00e9: one", "Transfer-Encoding: chunked"],
            "paren-name": ["X(a): one", "Transfer-Encoding: chunked"],
        }[name]
        if name == "space-colon":
            body = inner
        send_all(s, request("POST", "/" + token, headers, body))
        print(answers(s))
        return
    elif name == "many-parameters" or name == "some-parameters":
        # MHD indexes each parameter in the connection's memory: 1,000
        # took all of it, and the connection was dropped unanswered.
        n = 1000 if name == "many-parameters" else 100
        query = "&".join("p%d=%d" % (i, i) for i in range(n))
        send_all(s, request("GET", "/" + token + "/q?" + query))
    elif name == "dotdot-before":
        send_all(s, request("GET", "/../" + token))
    elif name == "dotdot-below":
        send_all(s, request("GET", "/" + token + "/../../etc/passwd"))
    elif name == "encoded-dotdot":
        send_all(s, request("GET", "/" + token + "/%2e%2e/%2E%2E/x"))
    elif name == "encoded-slash":
        send_all(s, request("GET", "/%2f" + token))
    elif name == "encoded-token":
        send_all(s, request("GET", "/%" + "%02x" % ord(token[0]) + token[1:]))
    elif name == "nul-path":
        send_all(s, b"GET /" + token.encode() + b"\0/x HTTP/1.1\r\n"
                 b"Host: x\r\n\r\n")
    elif name == "escape-method":
        send_all(s, request("\x1b[31mPOST", "/" + token))
    elif name == "escape-path":
        send_all(s, request("POST", "/" + token + "/a\x1b[31mb?c\x7f"))
    elif name == "nul-header":
        send_all(s, b"GET /" + token.encode() + b" HTTP/1.1\r\nHost: x\r\n"
                 b"X-Nul: a\0b\r\n\r\n")
    elif name == "long-token":
        send_all(s, request("GET", "/" + "a" * 5000))
    elif name == "garbage":
        send_all(s, os.urandom(65536))
    elif name == "absolute-uri":
        send_all(s, request("GET", "http://x/" + token))
    else:
        sys.exit("hostile.py: unknown probe " + name)
    print(answer(s))


def slow(port, token, count, ips, deadline):
    """Trickle a never-ending request on each connection, a byte every
    100 ms (well within any idle timer), until the listener cuts it."""
    line = request("POST", "/" + token, ["X-Pad: " + "a" * 100000])
    conns = {}
    # Timed from before the first connect: no deadline starts earlier.
    start = time.monotonic()
    for i in range(count):
        s = connect(port, "127.0.0.%d" % (2 + i % ips))
        s.setblocking(False)
        conns[s] = 0
    cut = []
    normal = None
    while conns and time.monotonic() - start < deadline:
        for s in list(conns):
            try:
                s.send(line[conns[s]:conns[s] + 1])
                conns[s] += 1
            except BlockingIOError:
                pass
            except (ConnectionResetError, BrokenPipeError):
                cut.append(time.monotonic() - start)
                del conns[s]
                s.close()
        if normal is None:
            n = connect(port)
            n.sendall(request("POST", "/" + token, ["Content-Length: 5"],
                              b"hello"))
            normal = (answer(n), int((time.monotonic() - start) * 1000))
            n.close()
        ready, _, _ = select.select(list(conns), [], [], 0.1)
        for s in ready:
            try:
                if s.recv(4096) != b"":
                    continue
            except BlockingIOError:
                continue
            except ConnectionResetError:
                pass
            cut.append(time.monotonic() - start)
            del conns[s]
            s.close()
    print("normal %s %d" % normal)
    print("cut %d of %d" % (len(cut), count))
    if cut:
        print("first cut after %.1f s" % min(cut))
    for s in conns:
        s.close()


def until_closed(s):
    """Read until the listener closes s; return how long that took."""
    start = time.monotonic()
    s.settimeout(30)
    try:
        while s.recv(4096):
            pass
    except (ConnectionResetError, TimeoutError):
        pass
    return time.monotonic() - start


def idle(port, token):
    silent = connect(port)
    print("silent closed after %.1f s" % until_closed(silent))
    s = connect(port)
    s.sendall(request("POST", "/" + token, ["Content-Length: 5"], b"hello"))
    print("answered %s" % answer(s))
    print("kept alive, closed after %.1f s" % until_closed(s))


def flood(port, token, count, expect, wait):
    conns = [connect(port) for _ in range(count)]
    for s in conns:
        s.setblocking(False)
    # Those over the cap are closed as soon as accepted (a closed one
    # reads EOF): count the live ones until expect are left, or for 20 s.
    end = time.monotonic() + 20
    while True:
        alive = 0
        for s in conns:
            try:
                if s.recv(1) != b"":
                    alive += 1
            except BlockingIOError:
                alive += 1
            except ConnectionResetError:
                pass
        if alive <= expect or time.monotonic() > end:
            break
        time.sleep(0.05)
    print("open %d" % alive)
    other = connect(port, "127.0.0.2")
    other.sendall(request("POST", "/" + token, ["Content-Length: 5"],
                          b"hello"))
    print("other %s" % answer(other, wait))
    for s in conns + [other]:
        s.close()


def rss(pid, field="VmRSS"):
    """Return a process's resident set (or another size field), in kB."""
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def idlers(port, token, count, ips):
    conns = [connect(port, "127.0.0.%d" % (2 + i % ips))
             for i in range(count)]
    start = time.monotonic()
    n = connect(port)
    n.sendall(request("POST", "/" + token, ["Content-Length: 5"], b"hello"))
    status = answer(n, 30)
    print("normal %s %d" % (status, (time.monotonic() - start) * 1000))
    cut = []
    # Newest first: the listener may go on cutting while we look, and a
    # cut seen after a younger one was found open is still oldest first.
    for i, s in reversed(list(enumerate(conns))):
        s.setblocking(False)
        try:
            if s.recv(1) == b"":
                cut.append(i)
        except BlockingIOError:
            pass
        except ConnectionResetError:
            cut.append(i)
        s.close()
    cut.sort()
    print("cut %d of %d%s" % (len(cut), count,
                              ", oldest first" if cut == list(range(len(cut)))
                              else ""))
    n.close()


def codes(found):
    """Summarise status codes as "CODE xN ..." in order."""
    return " ".join("%s x%d" % (c, found.count(c))
                    for c in sorted(set(found))) or "none"


def bodies(port, token, count, size, pid, mode):
    """Hold COUNT bodies of SIZE bytes in flight at once, then end them."""
    before = rss(pid)
    piece = 1 << 16
    if mode == "chunked":
        head = ["Transfer-Encoding: chunked"]
        frame = b"%x\r\n" % piece + b"x" * piece + b"\r\n"
        body_len = (size // piece) * len(frame)
        end = b"0\r\n\r\n"
    else:
        head = ["Content-Length: %d" % size]
        frame = b"x" * piece
        body_len = size - 1
        end = b"x"
    conns = {}
    for _ in range(count):
        s = connect(port)
        s.sendall(request("POST", "/" + token, head))
        s.setblocking(False)
        conns[s] = 0
    refused = []
    live = dict(conns)
    while any(sent < body_len for sent in live.values()):
        readable, writable, _ = select.select(
            list(live), [s for s in live if live[s] < body_len], [], 10)
        if not readable and not writable:
            break
        # An answer before the end: read it before the listener closes.
        for s in readable:
            s.setblocking(True)
            refused.append(refusal(s))
            del live[s]
        for s in writable:
            if s not in live:
                continue
            off = live[s] % len(frame)
            want = min(len(frame) - off, body_len - live[s])
            try:
                live[s] += s.send(frame[off:off + want])
            except BlockingIOError:
                pass
            except (ConnectionResetError, BrokenPipeError):
                s.setblocking(True)
                refused.append(refusal(s))
                del live[s]
    held = rss(pid)
    print("refused %d: %s" % (len(refused), codes(refused)))
    print("rss before %d" % before)
    print("rss held %d" % held)
    n = connect(port, "127.0.0.2")
    n.sendall(request("POST", "/" + token, ["Content-Length: 5"], b"hello"))
    print("normal %s" % answer(n, 10))
    n.close()
    final = []
    for s in live:
        s.setblocking(True)
        send_all(s, end)
    for s in live:
        final.append(answer(s, 30))
    print("answers %s" % codes(final))
    print("rss peak %d" % rss(pid, "VmHWM"))
    for s in conns:
        s.close()


def reset(port, token, size, fifo):
    s = connect(port)
    s.sendall(b"POST /%s HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n"
              b"\r\n" % (token.encode(), size) + b"x" * size)
    with open(fifo) as f:
        f.readline()
    # A zero linger makes close send RST: the listener sees an error,
    # not an end of input it might not read while the request waits.
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                 struct.pack("ii", 1, 0))
    s.close()
    print("reset")


def late(port, token, size, fifo):
    s = connect(port)
    s.sendall(b"POST /%s HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n"
              b"\r\n" % (token.encode(), size) + b"x" * (size - 1))
    print("sent", flush=True)
    with open(fifo) as f:
        f.readline()
    send_all(s, b"x")
    print(answer(s, 30))
    s.close()


def main():
    port, what = int(sys.argv[1]), sys.argv[2]
    if what == "probe":
        probe(port, sys.argv[3], sys.argv[4])
    elif what == "slow":
        slow(port, sys.argv[3], int(sys.argv[4]), int(sys.argv[5]),
             float(sys.argv[6]))
    elif what == "idle":
        idle(port, sys.argv[3])
    elif what == "flood":
        flood(port, sys.argv[3], int(sys.argv[4]),
              int(sys.argv[5]) if len(sys.argv) > 5 else int(sys.argv[4]),
              float(sys.argv[6]) if len(sys.argv) > 6 else 2)
    elif what == "idlers":
        idlers(port, sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))
    elif what == "bodies":
        bodies(port, sys.argv[3], int(sys.argv[4]), int(sys.argv[5]),
               int(sys.argv[6]), sys.argv[7])
    elif what == "reset":
        reset(port, sys.argv[3], int(sys.argv[4]), sys.argv[5])
    elif what == "late":
        late(port, sys.argv[3], int(sys.argv[4]), sys.argv[5])
    else:
        sys.exit("hostile.py: unknown command " + what)


if __name__ == "__main__":
    main()
