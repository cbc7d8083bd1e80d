#!/usr/bin/env python3
# ptrace-hold.py PID [NAME]: hold process PID as a debugger at a
# breakpoint does: attach (PTRACE_SEIZE), stop it (PTRACE_INTERRUPT), so
# that /proc/PID/stat shows it traced ('t'), print "held", and keep it so
# until sent SIGTERM; then detach, and it runs again (as it does when
# this dies otherwise: the kernel detaches it).  With NAME, take it as
# this process's name first (PR_SET_NAME: /proc/self/comm, what ps
# shows; any bytes, an escape sequence too).  Exit 77 with the reason on
# stderr when ptrace is not permitted here (Yama's ptrace_scope, a
# container's seccomp profile).
import ctypes
import errno
import os
import signal
import sys

PTRACE_DETACH = 17
PTRACE_SEIZE = 0x4206
PTRACE_INTERRUPT = 0x4207
WALL = 0x40000000

libc = ctypes.CDLL(None, use_errno=True)
libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p,
                        ctypes.c_void_p]
libc.ptrace.restype = ctypes.c_long
pid = int(sys.argv[1])
PR_SET_NAME = 15
if len(sys.argv) > 2:
    libc.prctl(PR_SET_NAME, os.fsencode(sys.argv[2]), 0, 0, 0)


def ptrace(request, data=None):
    if libc.ptrace(request, pid, None, data) == -1:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))


try:
    ptrace(PTRACE_SEIZE)
except OSError as e:
    print("ptrace-hold: cannot attach to %d: %s" % (pid, e.strerror),
          file=sys.stderr)
    sys.exit(77 if e.errno == errno.EPERM else 1)
ptrace(PTRACE_INTERRUPT)
os.waitpid(pid, WALL)


class Release(Exception):
    pass


def release(*args):
    raise Release()


signal.signal(signal.SIGTERM, release)
print("held", flush=True)
try:
    while True:
        signal.pause()
except Release:
    pass
ptrace(PTRACE_DETACH)
