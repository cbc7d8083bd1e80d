#!/usr/bin/env python3
"""Run a command on a pseudo-terminal, as a terminal emulator would.

usage: pty.py [--cols N] [--rows N] [--stdout FILE] [--stdin FILE] [--] CMD...

CMD runs in a session of its own whose controlling terminal is a new
pseudo-terminal of the given size (default 80x24), as its foreground
process group.  Its stderr, and its stdout unless --stdout sends that to
FILE, are the terminal; its stdin is the terminal too, unless --stdin names
a file.  Everything the terminal received is written to our stdout byte for
byte (with the terminal's own newline translation turned off, so that
bytes are as CMD wrote them), and we exit with CMD's exit status, or 128+N
when signal N killed it.
"""
import argparse
import fcntl
import os
import select
import struct
import subprocess
import sys
import termios
import tty


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--cols", type=int, default=80)
    parser.add_argument("--rows", type=int, default=24)
    parser.add_argument("--stdout")
    parser.add_argument("--stdin")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    if args.command[:1] == ["--"]:
        args.command = args.command[1:]
    if not args.command:
        parser.error("no command")

    master, slave = os.openpty()
    tty.setraw(slave)
    fcntl.ioctl(slave, termios.TIOCSWINSZ,
                struct.pack("HHHH", args.rows, args.cols, 0, 0))
    stdout = open(args.stdout, "wb") if args.stdout else slave
    stdin = open(args.stdin, "rb") if args.stdin else slave

    def become_foreground():
        os.setsid()
        fcntl.ioctl(2, termios.TIOCSCTTY, 0)

    child = subprocess.Popen(args.command, stdin=stdin, stdout=stdout,
                             stderr=slave, preexec_fn=become_foreground,
                             close_fds=True)
    os.close(slave)
    out = sys.stdout.buffer
    while True:
        ready, _, _ = select.select([master], [], [], 0.05)
        if ready:
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: every end of the terminal is closed
                data = b""
            if data:
                out.write(data)
                continue
            break
        if child.poll() is not None:
            # Exited: take what is still in flight, then stop.
            ready, _, _ = select.select([master], [], [], 0.05)
            if not ready:
                break
    out.flush()
    status = child.wait()
    sys.exit(128 - status if status < 0 else status)


if __name__ == "__main__":
    main()
