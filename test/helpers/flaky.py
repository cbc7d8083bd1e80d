#!/usr/bin/env python3
"""A small HTTP/1.1 server for the send-ci tests, with keep-alive.

    flaky.py PORTFILE LOGFILE

Listens on a free loopback port and writes the port to PORTFILE once it
serves.  Appends one line to LOGFILE per accepted TCP connection
("connect") and per request ("request KEY N MS METHOD PATH": N counts the
requests with that key, from 1; MS is the server's wall clock in
milliseconds when the request arrived).

What it answers depends on the path and query:

    /ok                     200 "ok"
    /status/CODE            CODE "status CODE", with X-Test: yes
    /fail?times=N&code=C    C (default 503) the first N times, then 200 "ok"
    /close?times=N          hang up without answering the first N times
    /limit?times=N&after=V  429 with Retry-After: V the first N times
    /hang                   never answers
    /hang?times=N           never answers the first N times
    /redirect?to=PATH       302 to PATH
    /loop                   302 to itself
    /script?do=A,B,...      the Nth request does the Nth action, then 200
                            "ok": a status code (503), 429:S (with
                            Retry-After: S), or hang (never answers)

A request's KEY is its path with the query, unless the query has key=K.
"""
import http.server
import sys
import threading
import time
import urllib.parse

import portfile

lock = threading.Lock()
counts = {}
log = None


def note(line):
    with lock:
        log.write(line + "\n")
        log.flush()


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def get_request(self):
        conn = super().get_request()
        note("connect")
        return conn


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def reply(self, code, body, headers=()):
        data = body.encode()
        self.send_response(code)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        url = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(url.query))
        key = query.get("key", self.path)
        with lock:
            n = counts[key] = counts.get(key, 0) + 1
        note("request %s %d %d %s %s" % (key, n, int(time.time() * 1000),
                                         self.command, self.path))
        times = int(query.get("times", "0"))
        first = n <= times
        path = url.path
        if path == "/ok":
            self.reply(200, "ok")
        elif path.startswith("/status/"):
            code = int(path[len("/status/"):])
            self.reply(code, "status %d" % code, [("X-Test", "yes")])
        elif path == "/fail" and first:
            self.reply(int(query.get("code", "503")), "failing")
        elif path == "/close" and first:
            self.close_connection = True
            self.connection.shutdown(2)
        elif path == "/limit" and first:
            self.reply(429, "slow down",
                       [("Retry-After", query.get("after", "1"))])
        elif path == "/hang" and (first or "times" not in query):
            threading.Event().wait()
        elif path == "/script" and n <= len(query.get("do", "").split(",")):
            self.act(query.get("do", "").split(",")[n - 1])
        elif path == "/loop":
            self.reply(302, "again", [("Location", "/loop")])
        elif path == "/redirect":
            self.reply(302, "moved", [("Location", query.get("to", "/ok"))])
        else:
            self.reply(200, "ok")

    def act(self, action):
        if action == "":
            self.reply(200, "ok")
        elif action == "hang":
            threading.Event().wait()
        elif action.startswith("429:"):
            self.reply(429, "slow down", [("Retry-After", action[4:])])
        else:
            self.reply(int(action), "status %s" % action)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = answer

    def log_message(self, *args):
        pass


def main():
    global log
    log = open(sys.argv[2], "a")
    server = Server(("127.0.0.1", 0), Handler)
    portfile.write(sys.argv[1], server.server_address[1])
    server.serve_forever()


if __name__ == "__main__":
    main()
