#!/usr/bin/env python3
"""Senders and the reckoning of test/store-fleet.bats: numbered callbacks
posted through a load balancer to the hooks of several runners, then
what each runner's wait printed checked against what was acknowledged.

    fleet.py ports N
        print N distinct free loopback ports, one a line
    fleet.py send DIR [--once] [SENDERS]
        post numbered callbacks to each hook of DIR/hooks (runner I's on
        line I), SENDERS threads a hook (default 2), until DIR/stop
        exists: the body {"runner":I,"n":N}, N from 1 up for each runner.
        A post that is not answered 2xx (a 502 or 503, a refused or reset
        connection, no answer in 10 s) is sent again, as a provider
        would, until it is.  Each acknowledged number is a line of
        DIR/acked, "I N FAILED", FAILED how many earlier posts of it
        failed (so it may have been recorded and be delivered twice: at
        least once).  Exits 1 if a number is not acknowledged in 30 s.
        With --once each number is posted once, and one not answered 2xx
        is a line of DIR/refused, "I N STATUS" ("error": no answer)
    fleet.py complete DIR
        exit 0 once every acknowledged number is in its runner's wait
        output, DIR/runner-I.json (fish wait --follow --json), else 1
    fleet.py report DIR
        print "acknowledged N, lost L, wrong runner W, taken twice T,
        sender retries delivered twice K (posts failed and sent again F)",
        with --once's ", refused R (503 xR), of them delivered D", and
        exit 1 unless L, W and T are 0 and every number delivered twice
        had a failed post first.
        Lost: acknowledged, never printed by its runner's wait.  Wrong
        runner: printed by a wait whose hook it was not sent to.  Taken
        twice: a message (its seq) printed twice, by one wait or two.
"""
import http.client
import json
import os
import random
import socket
import sys
import threading
import time
import urllib.parse

SENDERS = 2
POST_TIMEOUT_S = 10
GIVE_UP_S = 30


def ports(count):
    """Bind COUNT sockets at once (so no two share a port), print them."""
    socks = []
    for _ in range(count):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        socks.append(s)
    for s in socks:
        print(s.getsockname()[1])
        s.close()


def hooks(dirname):
    """The hook URLs of DIR/hooks, runner 1's first."""
    with open(os.path.join(dirname, "hooks")) as f:
        return [line.strip() for line in f if line.strip()]


def post(url, body):
    """POST body to url on a connection of its own; return the status."""
    conn = http.client.HTTPConnection(url.hostname, url.port,
                                      timeout=POST_TIMEOUT_S)
    try:
        conn.request("POST", url.path, body,
                     {"Content-Type": "application/json",
                      "Connection": "close"})
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


class Runner:
    """The numbers of one runner's hook, handed out to its senders."""

    def __init__(self, index, url):
        self.index = index
        self.url = urllib.parse.urlsplit(url)
        self.next = 1
        self.lock = threading.Lock()

    def take(self):
        with self.lock:
            n = self.next
            self.next += 1
            return n


def post_once(runner, n):
    """Post number n once; return its status, or "error"."""
    body = json.dumps({"runner": runner.index, "n": n},
                      separators=(",", ":"))
    try:
        return post(runner.url, body)
    except (OSError, http.client.HTTPException):
        return "error"


def acknowledged(status):
    """Tell whether a post's status acknowledged it (2xx)."""
    return status != "error" and 200 <= status < 300


def deliver(runner, n):
    """Post number n until it is acknowledged; return the failed posts,
    or None after GIVE_UP_S."""
    failed = 0
    deadline = time.monotonic() + GIVE_UP_S
    while time.monotonic() < deadline:
        if acknowledged(post_once(runner, n)):
            return failed
        failed += 1
        # A provider backs off a little before it sends again.
        time.sleep(random.uniform(0.02, 0.1))
    return None


def sender_once(dirname, runner, out, lock):
    """Post numbers once each until DIR/stop exists (--once)."""
    stop = os.path.join(dirname, "stop")
    with open(os.path.join(dirname, "refused"), "a") as refused:
        while not os.path.exists(stop):
            n = runner.take()
            status = post_once(runner, n)
            with lock:
                if acknowledged(status):
                    out.write("%d %d 0\n" % (runner.index, n))
                    out.flush()
                else:
                    refused.write("%d %d %s\n" % (runner.index, n, status))
                    refused.flush()


def sender(dirname, runner, out, lock, errors):
    """Post numbers until each is acknowledged, until DIR/stop exists."""
    stop = os.path.join(dirname, "stop")
    while not os.path.exists(stop):
        n = runner.take()
        failed = deliver(runner, n)
        if failed is None:
            errors.append("runner %d: number %d not acknowledged in %d s"
                          % (runner.index, n, GIVE_UP_S))
            return
        with lock:
            out.write("%d %d %d\n" % (runner.index, n, failed))
            out.flush()


def send(dirname, args):
    """Run the senders until DIR/stop exists; return the exit status."""
    runners = [Runner(i + 1, url) for i, url in enumerate(hooks(dirname))]
    once = "--once" in args
    args = [a for a in args if a != "--once"]
    senders = int(args[0]) if args else SENDERS
    lock = threading.Lock()
    errors = []
    threads = []
    with open(os.path.join(dirname, "acked"), "a") as out:
        for runner in runners:
            for _ in range(senders):
                if once:
                    target, targs = sender_once, (dirname, runner, out, lock)
                else:
                    target = sender
                    targs = (dirname, runner, out, lock, errors)
                t = threading.Thread(target=target, args=targs)
                t.start()
                threads.append(t)
        for t in threads:
            t.join()
    for e in errors:
        print("fleet.py: %s" % e, file=sys.stderr)
    return 1 if errors else 0


def acked(dirname):
    """{(runner, n): failed posts} of every acknowledged number."""
    result = {}
    with open(os.path.join(dirname, "acked")) as f:
        for line in f:
            i, n, failed = (int(x) for x in line.split())
            result[(i, n)] = failed
    return result


def refused(dirname):
    """{(runner, n): status} of every number refused (--once)."""
    result = {}
    path = os.path.join(dirname, "refused")
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                i, n, status = line.split()
                result[(int(i), int(n))] = status
    return result


def printed(dirname, count):
    """Every message the waits printed: (runner, seq, hook token, body)."""
    result = []
    for i in range(1, count + 1):
        with open(os.path.join(dirname, "runner-%d.json" % i)) as f:
            for line in f:
                try:
                    env = json.loads(line)
                    body = json.loads(env["body"])
                except (ValueError, KeyError):
                    continue    # a line still being written
                token = env["hook"].rstrip("/").rsplit("/", 1)[-1]
                result.append((i, env["seq"], token, body))
    return result


def reckon(dirname):
    """Compare what was acknowledged with what the waits printed."""
    urls = hooks(dirname)
    tokens = [u.rstrip("/").rsplit("/", 1)[-1] for u in urls]
    want = acked(dirname)
    seqs = {}
    seen = {}
    wrong = 0
    for i, seq, token, body in printed(dirname, len(urls)):
        seqs[seq] = seqs.get(seq, 0) + 1
        if body.get("runner") != i or token != tokens[i - 1]:
            wrong += 1
            continue
        seen.setdefault((i, body.get("n")), set()).add(seq)
    lost = sum(1 for key in want if key not in seen)
    twice = sum(c - 1 for c in seqs.values() if c > 1)
    retried = sum(len(s) - 1 for k, s in seen.items() if want.get(k, 0) > 0)
    unexplained = sum(len(s) - 1 for k, s in seen.items()
                      if want.get(k, 0) == 0)
    no = refused(dirname)
    statuses = {}
    for status in no.values():
        statuses[status] = statuses.get(status, 0) + 1
    return {"acknowledged": len(want), "lost": lost, "wrong": wrong,
            "twice": twice, "retried": retried,
            "unexplained": unexplained, "failed": sum(want.values()),
            "refused": no, "statuses": statuses,
            "refused_delivered": sum(1 for k in no if k in seen)}


def report(dirname):
    """Print the figures; return 1 unless nothing went astray."""
    r = reckon(dirname)
    line = ("acknowledged %(acknowledged)d, lost %(lost)d, wrong runner "
            "%(wrong)d, taken twice %(twice)d, sender retries delivered "
            "twice %(retried)d (posts failed and sent again %(failed)d)"
            % r)
    if r["refused"]:
        line += ", refused %d (%s), of them delivered %d" % (
            len(r["refused"]),
            " ".join("%s x%d" % (k, v) for k, v in
                     sorted(r["statuses"].items())),
            r["refused_delivered"])
    if r["unexplained"]:
        line += (", delivered twice without a failed post %d"
                 % r["unexplained"])
    print(line)
    return 1 if r["lost"] or r["wrong"] or r["twice"] or \
        r["unexplained"] else 0


def main():
    cmd = sys.argv[1]
    if cmd == "ports":
        ports(int(sys.argv[2]))
        return 0
    if cmd == "send":
        return send(sys.argv[2], sys.argv[3:])
    if cmd == "complete":
        return 1 if reckon(sys.argv[2])["lost"] else 0
    if cmd == "report":
        return report(sys.argv[2])
    print("fleet.py: unknown command %s" % cmd, file=sys.stderr)
    return 2


sys.exit(main())
