#!/usr/bin/env python3
"""A webhook capture server written the way people write one in CI.

Python's http.server, one thread per connection, every request body kept in
a list, 200 with an empty body.  scripts/bench uses it as the "what a user
would otherwise write" baseline for fish's receive path.

Usage: capture.py PORT
"""
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

received = []


class Capture(BaseHTTPRequestHandler):
    """Store every request's body, answer 200."""

    def _capture(self):
        length = int(self.headers.get("Content-Length") or 0)
        received.append(self.rfile.read(length))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_POST = do_PUT = do_GET = _capture

    def log_message(self, *args):
        """Stay quiet: logging each request would only measure the terminal."""


if __name__ == "__main__":
    ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Capture).serve_forever()
