#!/usr/bin/env python3
"""A small HTTP proxy for the send tests: forwards and CONNECT tunnels.

    proxy.py PORTFILE LOGFILE [deny] [auth=USER:PASSWORD]

Listens on a free loopback port and writes the port to PORTFILE once it
serves.  A request for an absolute URL ("GET http://host:port/path") is
made to that server and its answer relayed, with X-Proxied: yes added and
without Proxy-Authorization (a proxy's own, as real proxies drop it); a
CONNECT opens a tunnel to HOST:PORT.  Each is logged to LOGFILE, one line
each: "forward METHOD URL" or "connect HOST:PORT", and with the headers the
proxy got to LOGFILE.heads: that line, then "Name: value" lines, then an
empty one.  With "deny", every request and CONNECT is answered 403 instead,
and logged all the same; with "auth=USER:PASSWORD", those without that
Basic Proxy-Authorization are answered 407.
"""
import base64
import http.client
import http.server
import select
import socket
import sys
import threading
import urllib.parse

import portfile

log_lock = threading.Lock()
log_path = None
deny = False
auth = None


def log(line, headers):
    with log_lock:
        with open(log_path, "a") as f:
            f.write(line + "\n")
        with open(log_path + ".heads", "a") as f:
            f.write(line + "\n")
            for k, v in headers.items():
                f.write("%s: %s\n" % (k, v))
            f.write("\n")


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def refuse(self):
        data = b"denied by the proxy\n"
        self.send_response(403)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def unauthorized(self):
        if auth is None or self.headers.get("Proxy-Authorization") == auth:
            return False
        data = b"proxy authentication required\n"
        self.send_response(407)
        self.send_header("Proxy-Authenticate", 'Basic realm="test"')
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        return True

    def do_CONNECT(self):
        log("connect %s" % self.path, self.headers)
        if deny:
            self.refuse()
            return
        if self.unauthorized():
            return
        host, _, port = self.path.rpartition(":")
        try:
            upstream = socket.create_connection((host, int(port)), 10)
        except OSError:
            self.send_response(502)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(200, "Connection established")
        self.end_headers()
        self.wfile.flush()
        sockets = [self.connection, upstream]
        while True:
            ready, _, _ = select.select(sockets, [], [], 30)
            if not ready:
                break
            for s in ready:
                data = s.recv(65536)
                if not data:
                    upstream.close()
                    self.close_connection = True
                    return
                (upstream if s is self.connection else
                 self.connection).sendall(data)

    def forward(self):
        log("forward %s %s" % (self.command, self.path), self.headers)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        if deny:
            self.refuse()
            return
        if self.unauthorized():
            return
        url = urllib.parse.urlsplit(self.path)
        headers = {k: v for k, v in self.headers.items()
                   if k.lower() not in ("proxy-connection", "connection",
                                        "proxy-authorization")}
        conn = http.client.HTTPConnection(url.hostname, url.port or 80, 10)
        path = url.path + ("?" + url.query if url.query else "")
        conn.request(self.command, path or "/", body, headers)
        answer = conn.getresponse()
        data = answer.read()
        self.send_response(answer.status)
        for k, v in answer.getheaders():
            if k.lower() not in ("content-length", "transfer-encoding",
                                 "connection", "date", "server"):
                self.send_header(k, v)
        self.send_header("X-Proxied", "yes")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        conn.close()

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = forward

    def log_message(self, *args):
        pass


def main():
    global log_path, deny, auth
    log_path = sys.argv[2]
    for word in sys.argv[3:]:
        if word == "deny":
            deny = True
        elif word.startswith("auth="):
            auth = "Basic " + base64.b64encode(
                word[5:].encode()).decode()
    open(log_path, "a").close()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    portfile.write(sys.argv[1], server.server_address[1])
    server.serve_forever()


if __name__ == "__main__":
    main()
