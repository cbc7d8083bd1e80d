#!/usr/bin/env python3
"""A small local app for the --forward-to tests.

    app.py PORTFILE [GATE]

Listens on a free loopback port, writes the port to PORTFILE once it
serves, and answers every request 201 with an X-App header and a body that
describes what it received: "METHOD PATH X-Test=VALUE BODY".  Some paths
answer otherwise: /binary 200 with the bytes 00 01 ff as
application/octet-stream, /empty 204 with no body, /busy 503 with
Retry-After: 3, /hostile-head with a header X-Hostile whose value holds
an ESC (a terminal's colour sequence) and a byte that is not UTF-8, /slow only after 20 seconds, and /gate only once the file GATE exists (each adds a line
to GATE.held as it starts to wait).  Requests are served at once, each
in a thread of its own.
"""
import http.server
import os
import sys
import time

import portfile


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode("utf-8", "replace")
        text = "%s %s X-Test=%s %s" % (self.command, self.path,
                                        self.headers.get("X-Test"), body)
        status, data, kind = 201, text.encode(), "text/plain"
        if self.path == "/binary":
            status, data, kind = 200, b"\x00\x01\xff", \
                "application/octet-stream"
        elif self.path == "/empty":
            status, data, kind = 204, b"", None
        elif self.path == "/busy":
            status = 503
        elif self.path == "/slow":
            time.sleep(20)
        elif self.path == "/gate" and GATE is not None:
            with open(GATE + ".held", "a") as held:
                held.write("held\n")
            while not os.path.exists(GATE):
                time.sleep(0.05)
        self.send_response(status)
        self.send_header("X-App", "yes")
        if status == 503:
            self.send_header("Retry-After", "3")
        if self.path == "/hostile-head":
            self.send_header("X-Hostile", "a\x1b[31mred\xe9")
        if kind is not None:
            self.send_header("Content-Type", kind)
        if status != 204:
            self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = answer

    def log_message(self, *args):
        pass


GATE = None


def main():
    global GATE
    if len(sys.argv) > 2:
        GATE = sys.argv[2]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    portfile.write(sys.argv[1], server.server_address[1])
    server.serve_forever()


if __name__ == "__main__":
    main()
