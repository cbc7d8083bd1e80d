#!/usr/bin/env python3
"""A small local app for the --forward-to tests.

    app.py PORTFILE

Listens on a free loopback port, writes the port to PORTFILE once it
serves, and answers every request 201 with an X-App header and a body that
describes what it received: "METHOD PATH X-Test=VALUE BODY".
"""
import http.server
import sys

import portfile


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode("utf-8", "replace")
        text = "%s %s X-Test=%s %s" % (self.command, self.path,
                                        self.headers.get("X-Test"), body)
        data = text.encode()
        self.send_response(201)
        self.send_header("X-App", "yes")
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = answer

    def log_message(self, *args):
        pass


def main():
    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    portfile.write(sys.argv[1], server.server_address[1])
    server.serve_forever()


if __name__ == "__main__":
    main()
