#!/usr/bin/env python3
"""A scanner guessing hook URLs, for test/refused.bats.

    scan.py PORT COUNT [together]
        POST a small body to COUNT random tokens of the listener on PORT,
        one connection each, as fast as it answers (together: all sent
        before any answer is read); print the status codes of the
        answers, sorted, with counts ("404 x300").
"""
import collections
import secrets
import socket
import sys


def ask(port):
    """Connect and send one guess; return the socket."""
    token = secrets.token_hex(16)
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(("POST /%s/login HTTP/1.1\r\nHost: x\r\n"
               "Content-Length: 5\r\n\r\nadmin" % token).encode())
    return s


def status(s):
    """Read the answer's status code ("closed" if none) and close."""
    answer = b""
    while b"\r\n" not in answer:
        chunk = s.recv(4096)
        if not chunk:
            break
        answer += chunk
    s.close()
    return answer.split(b" ")[1].decode() if answer else "closed"


def main():
    port, count = int(sys.argv[1]), int(sys.argv[2])
    together = sys.argv[3:] == ["together"]
    codes = collections.Counter()
    if together:
        for s in [ask(port) for _ in range(count)]:
            codes[status(s)] += 1
    else:
        for _ in range(count):
            codes[status(ask(port))] += 1
    print(" ".join("%s x%d" % (c, n) for c, n in sorted(codes.items())))


main()
