#!/usr/bin/env python3
"""Senders that take what the listener has little of, for
test/exhaustion.bats: open files, connection slots, memory promised and
never used.  Raw sockets, so that nothing tidies up what is sent.

    exhaust.py control SOCK COUNT GO
        open up to COUNT connections to the control socket SOCK (as many
        as the listener's queue takes) and send nothing; print "held N";
        hold them until the file GO exists (at most a minute), then close
        them and print "released"
    exhaust.py connections PORT COUNT GO [TOKEN]
        open COUNT connections to the hooks' port, each sending nothing,
        or with TOKEN a head that promises a body to /TOKEN, never sent;
        print "opened N"; hold them until GO exists (at most a minute),
        then print "cut N" (how many the listener had closed) and close
        the others
    exhaust.py keepalive PORT TOKEN COUNT SIZE GO
        open a connection and have one small request to /TOKEN answered
        on it; print "connected"; once the file GO exists (at most a
        minute), POST COUNT bodies of SIZE bytes on it, one after
        another, the I-th beginning "I ", and print the status codes
        ("200 x40")
    exhaust.py promise PORT TOKEN LENGTH
        POST a head declaring a body of LENGTH bytes to /TOKEN and send
        none of it; print "sent", then "closed after S s" once the
        listener closes the connection, timed from the connect (with
        "answered CODE" first if an answer came), or "open" after 30 s
    exhaust.py overflow PORT TOKEN COUNT SIZE GO
        open COUNT connections, each POSTing to /TOKEN/x a chunked body
        of SIZE bytes and never its last chunk; print "sent N"; hold
        them until GO exists (at most a minute), then close them
    exhaust.py expect PORT TOKEN LENGTH
        POST a head with "Expect: 100-continue" declaring a body of
        LENGTH bytes, and wait for what comes; print each status code of
        an answer head ("100", then the final one), or "closed"
"""
import os
import socket
import sys
import time

HOST = "127.0.0.1"


def await_file(go):
    deadline = time.monotonic() + 60
    while not os.path.exists(go) and time.monotonic() < deadline:
        time.sleep(0.02)


def hold(socks, what, go):
    """Say how many of socks are open (what N), hold them until go."""
    print("%s %d" % (what, len(socks)), flush=True)
    await_file(go)
    for s in socks:
        s.close()


def control(path, count, go):
    socks = []
    for _ in range(count):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.setblocking(False)
        try:
            s.connect(path)
        except BlockingIOError:
            # The listener's queue is full.
            s.close()
            break
        socks.append(s)
    hold(socks, "held", go)
    print("released", flush=True)


def closed(s):
    """Tell whether the listener closed (or reset) s."""
    s.setblocking(False)
    try:
        return s.recv(4096) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True


def connections(port, count, go, token):
    socks = []
    for _ in range(count):
        s = socket.create_connection((HOST, port))
        if token is not None:
            s.sendall(head(token, 1000))
        socks.append(s)
    print("opened %d" % len(socks), flush=True)
    await_file(go)
    print("cut %d" % sum(1 for s in socks if closed(s)), flush=True)
    for s in socks:
        s.close()


def head(token, length, extra=""):
    return ("POST /%s HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\n"
            "Content-Length: %d\r\n%s\r\n" % (token, length, extra)).encode()


def status_codes(data):
    """Return the status codes of the answer heads in data."""
    codes = []
    for line in data.split(b"\r\n"):
        if line.startswith(b"HTTP/1.") and len(line) >= 12:
            codes.append(line[9:12].decode())
    return codes


def promise(port, token, length):
    # Timed from before the connect: no deadline starts earlier.
    start = time.monotonic()
    s = socket.create_connection((HOST, port))
    s.sendall(head(token, length))
    print("sent", flush=True)
    s.settimeout(30)
    got = b""
    try:
        while True:
            data = s.recv(4096)
            if data == b"":
                break
            got += data
    except socket.timeout:
        print("open")
        return
    except OSError:
        pass
    for code in status_codes(got):
        print("answered %s" % code)
    print("closed after %.1f s" % (time.monotonic() - start))


def read_answer(s):
    """Read one answer of a keep-alive connection; return its status."""
    got = b""
    while b"\r\n\r\n" not in got:
        data = s.recv(4096)
        if data == b"":
            return "closed"
        got += data
    head, rest = got.split(b"\r\n\r\n", 1)
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    while len(rest) < length:
        data = s.recv(4096)
        if data == b"":
            break
        rest += data
    return status_codes(head)[0]


def keepalive(port, token, count, size, go):
    s = socket.create_connection((HOST, port))
    s.settimeout(20)
    s.sendall(head(token, 5) + b"first")
    print("connected %s" % read_answer(s), flush=True)
    await_file(go)
    codes = []
    for i in range(1, count + 1):
        body = (b"%d " % i).ljust(size, b"x")
        try:
            s.sendall(head(token, len(body)) + body)
            codes.append(read_answer(s))
        except OSError:
            codes.append("closed")
        if codes[-1] == "closed":
            break
    summary = []
    for code in codes:
        if summary and summary[-1][0] == code:
            summary[-1][1] += 1
        else:
            summary.append([code, 1])
    print(" ".join("%s x%d" % (c, n) for c, n in summary))


def overflow(port, token, count, size, go):
    socks = []
    for _ in range(count):
        s = socket.create_connection((HOST, port))
        s.settimeout(10)
        s.sendall(("POST /%s/x HTTP/1.1\r\nHost: x\r\n"
                   "Transfer-Encoding: chunked\r\n\r\n" % token).encode())
        sent = 0
        try:
            while sent < size:
                s.sendall(b"1000\r\n" + b"x" * 4096 + b"\r\n")
                sent += 4096
        except OSError:
            pass
        socks.append(s)
    hold(socks, "sent", go)


def expect(port, token, length):
    s = socket.create_connection((HOST, port))
    s.sendall(head(token, length, "Expect: 100-continue\r\n"))
    s.settimeout(10)
    got = b""
    try:
        # Until a final answer (not 100 Continue) or the end.
        while status_codes(got)[-1:] in ([], ["100"]):
            data = s.recv(4096)
            if data == b"":
                break
            got += data
    except OSError:
        pass
    codes = status_codes(got)
    for code in codes:
        print(code)
    if not codes:
        print("closed")


def main():
    mode = sys.argv[1]
    if mode == "control":
        control(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    elif mode == "connections":
        connections(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4],
                    sys.argv[5] if len(sys.argv) > 5 else None)
    elif mode == "keepalive":
        keepalive(int(sys.argv[2]), sys.argv[3], int(sys.argv[4]),
                  int(sys.argv[5]), sys.argv[6])
    elif mode == "promise":
        promise(int(sys.argv[2]), sys.argv[3], int(sys.argv[4]))
    elif mode == "overflow":
        overflow(int(sys.argv[2]), sys.argv[3], int(sys.argv[4]),
                 int(sys.argv[5]), sys.argv[6])
    elif mode == "expect":
        expect(int(sys.argv[2]), sys.argv[3], int(sys.argv[4]))
    else:
        sys.exit("exhaust.py: unknown mode " + mode)


main()
