#!/usr/bin/env python3
"""A listener that is not fish's, for the trust tests: run as another
local user at a path where a fish client might look for its control
socket, it shows whether fish sent it anything.

    impostor.py SOCKET LOGFILE

Listens on SOCKET (mode 0777, so that anyone may connect) and accepts
connections one after another.  For each, it reads until the client
hangs up, or for 2 s, and appends one line to LOGFILE: the number of
bytes received, or "probe" for a connection that sent exactly b"probe"
(the test's own, which proves every earlier connection is logged).
"""
import os
import socket
import sys


def main():
    path, log = sys.argv[1], sys.argv[2]
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    # Made ready under another name, then renamed: the socket appears at
    # SOCKET listening and open to all, and the test may move it at once.
    ready = path + ".new"
    try:
        os.unlink(ready)
    except FileNotFoundError:
        pass
    server.bind(ready)
    os.chmod(ready, 0o777)
    server.listen(16)
    os.rename(ready, path)
    while True:
        conn, _ = server.accept()
        conn.settimeout(2)
        got = b""
        try:
            while True:
                chunk = conn.recv(65536)
                if not chunk:
                    break
                got += chunk
        except (socket.timeout, OSError):
            pass
        conn.close()
        with open(log, "a") as f:
            f.write("probe\n" if got == b"probe" else "%d\n" % len(got))


if __name__ == "__main__":
    main()
