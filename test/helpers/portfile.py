"""How the test servers tell the tests where they listen.

A server writes its port to a file the test names, once it serves; the
test waits for the file to be non-empty (wait_until 10 test -s FILE).
"""
import os


def write(path, port):
    """Write PORT to PATH whole: the test never reads half a number."""
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % port)
    os.rename(tmp, path)
