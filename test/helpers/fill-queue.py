#!/usr/bin/env python3
# fill-queue.py SOCKET: connect to the Unix socket SOCKET, without
# accepting anything, until its listen queue takes no more (a stopped
# listener's), print "full N", and hold the connections until killed.
import signal
import socket
import sys

held = []
while True:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.setblocking(False)
    try:
        s.connect(sys.argv[1])
    except BlockingIOError:
        break
    held.append(s)
print("full", len(held), flush=True)
signal.pause()
