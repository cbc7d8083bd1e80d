#!/usr/bin/env python3
"""A TCP proxy to Redis for the store tests, that can stall or deafen.

    redis-proxy.py PORTFILE REDIS_PORT hold FLAG WORD [SECONDS]
    redis-proxy.py PORTFILE REDIS_PORT deafen FLAG LOG

Listens on a free loopback port, writes the port to PORTFILE once it
serves, and relays each connection to the redis-server on REDIS_PORT.

hold: while the file FLAG exists, a chunk a client sends that holds WORD
(a command's name, a key) waits until FLAG is gone (or SECONDS have
passed, when given) before it goes on, and so does everything after it on
that connection; each chunk held writes "held" to FLAG.hit.  What a
listener reads while it waits is stalled, as on a slow or busy Redis
(SECONDS below its 5 s for a reply keep it connected).

deafen: every chunk a connection that has sent XREAD (a listener's
follower) sends is logged to LOG, repr'd, one a line; while FLAG exists,
Redis's replies to such a connection are dropped, the connection kept
open, as if the follower fell behind: the test sees in LOG which entry
ids it asked after.
"""
import os
import socket
import sys
import threading
import time

import portfile


class Link:
    """One client's connection and what the proxy knows of it."""

    def __init__(self):
        self.follower = False


def wait_flag_gone(flag, seconds):
    deadline = time.monotonic() + seconds
    while os.path.exists(flag) and time.monotonic() < deadline:
        time.sleep(0.05)


def relay(src, dst, up, link, mode, flag, arg, seconds):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            if up and mode == "hold" and arg.encode() in data and \
                    os.path.exists(flag):
                with open(flag + ".hit", "a") as f:
                    f.write("held\n")
                wait_flag_gone(flag, seconds)
            if up and mode == "deafen":
                if b"XREAD" in data:
                    link.follower = True
                if link.follower:
                    with open(arg, "a") as f:
                        f.write(repr(data) + "\n")
            if not up and mode == "deafen" and link.follower and \
                    os.path.exists(flag):
                continue
            dst.sendall(data)
    except OSError:
        pass
    for s in (src, dst):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def main():
    path, redis_port, mode, flag, arg = sys.argv[1:6]
    seconds = float(sys.argv[6]) if len(sys.argv) > 6 else float("inf")
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    portfile.write(path, server.getsockname()[1])
    while True:
        client, _ = server.accept()
        try:
            upstream = socket.create_connection(("127.0.0.1",
                                                 int(redis_port)))
        except OSError:
            client.close()
            continue
        link = Link()
        for src, dst, up in ((client, upstream, True),
                             (upstream, client, False)):
            threading.Thread(target=relay, daemon=True,
                             args=(src, dst, up, link, mode, flag,
                                   arg, seconds)).start()


if __name__ == "__main__":
    main()
