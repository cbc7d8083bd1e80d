#!/usr/bin/env python3
"""The measurements of scripts/bench, and the table they end in.

scripts/bench builds fish, starts nginx and the capture server, and runs
this with their addresses in the environment (FISH_BENCH_*).  Each
measurement runs its baseline in the same run, on the same machine, so a
ratio means something even on a noisy machine.  Progress goes to stderr,
the table to stdout.

Spread: "min-max" over repeated runs when there are few of them, or
"p10-p90" over the samples when there are many.
"""
import argparse
import glob
import json
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse

FISH = os.environ["FISH_BENCH_FISH"]
TMP = os.environ["FISH_BENCH_TMP"]
SRC = os.environ["FISH_BENCH_SRC"]
NGINX = os.environ["FISH_BENCH_NGINX"]
# nginx with one worker: a reference, one event loop as the listener is.
NGINX_ONE = os.environ["FISH_BENCH_NGINX_ONE"]
CAPTURE = os.environ["FISH_BENCH_CAPTURE"]
NGINX_PID = int(os.environ["FISH_BENCH_NGINX_PID"])
CAPTURE_PID = int(os.environ["FISH_BENCH_CAPTURE_PID"])
# Another build of fish to load beside this one (scripts/bench --before).
BEFORE = os.environ.get("FISH_BENCH_BEFORE")
# Builds of the commits in between, for each fix's own ratio (--step):
# [(label, directory)], oldest first.
STEPS = [tuple(s.split("=", 1)) for s in
         os.environ.get("FISH_BENCH_STEPS", "").split(":") if s]
LUA = os.path.join(SRC, "scripts", "bench.d", "post.lua")
BODY = b'{"event":"order.created","id":12345,"region_id":7}'
MIB = 1024 * 1024

# How much of everything: a full run, and --quick (under a minute).
FULL = dict(callbacks=1000, acks=100, hf_runs=200, wrk_seconds=10,
            wrk_reps=5,
            sends=1000, send_reps=3, hooks=10000, messages=100000,
            small_journal=1000, big_journal=1000000, take_runs=200,
            start_runs=3, recovery_mib=1024, recovery_runs=3,
            fsyncs=2000, cost_requests=4000, cost_seconds=3,
            cost_reps=7, redis_waits=300)
QUICK = dict(callbacks=150, acks=30, hf_runs=30, wrk_seconds=2, wrk_reps=2,
             sends=50, send_reps=2, hooks=500, messages=10000,
             small_journal=1000, big_journal=100000, take_runs=40,
             start_runs=2, recovery_mib=64, recovery_runs=2, fsyncs=300,
             cost_requests=800, cost_seconds=1, cost_reps=2,
             redis_waits=40)

# The measurements --only may name, in the order they run.
SECTIONS = ("callbacks", "overhead", "sends", "throughput", "fsync",
            "costs", "memory", "scale", "recovery", "redis")

# The allocator-counting shim scripts/bench builds (see costs), and the
# connections the fixed number of requests there go over.
MALLOC_SHIM = os.environ.get("FISH_BENCH_MALLOC_SHIM")
COST_CONNS = 16

# Untimed pause before each POST to a `wait --follow` (see follow_latency).
FOLLOW_GAP = 0.010

rows = []       # the table: one dict per line
raw = {}        # every number, for --json


STARTED = time.monotonic()


def progress(text):
    """Say what is being measured (and when), on stderr."""
    print(f"bench: [{time.monotonic() - STARTED:5.1f}s] {text}",
          file=sys.stderr, flush=True)


def fish(*args, session="main", check=True, stdin=None, env=None):
    """Run the fish client in a session and return its stdout, stripped."""
    p = subprocess.run([FISH, "-S", session, *args], stdout=subprocess.PIPE,
                       stdin=stdin, check=check, env=env)
    return p.stdout.decode().strip()


def fish_before(*args, session="before", check=True, env=None, build=None):
    """Run the --before build's client (and its listener), or another
    build's, in a session of its own; return its stdout, stripped."""
    build = build or BEFORE
    env = dict(env or os.environ,
               FISH_LISTENER=os.path.join(build, "fish-listener"))
    p = subprocess.run([os.path.join(build, "fish"), "-S", session, *args],
                       stdout=subprocess.PIPE, env=env, check=check)
    return p.stdout.decode().strip()


def fish_step(build):
    """Return a runner like fish_before for the build in directory build."""
    def runner(*args, **kwargs):
        return fish_before(*args, build=build, **kwargs)
    return runner


def journal_counts(session):
    """Return (records appended, fdatasyncs) of a session's journal."""
    st = json.loads(fish("status", "--json", session=session))
    return st.get("journal_appended"), st.get("journal_syncs")


def listener_pid(session):
    """Return the pid of a session's running listener."""
    return json.loads(fish("status", "--json", session=session))["pid"]


def rss_kib(pid):
    """Return a process's resident set size in KiB (VmRSS)."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for pid {pid}")


def children(pid):
    """Return the pids of a process's children (nginx's workers)."""
    with open(f"/proc/{pid}/task/{pid}/children") as f:
        return [int(p) for p in f.read().split()]


def percentile(values, p):
    """Return the p-th percentile (nearest rank) of values."""
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(p / 100 * len(s) + 0.5) - 1))]


def spread(values):
    """Return (median, low, high): min-max for few values, else p10-p90."""
    if len(values) < 10:
        return statistics.median(values), min(values), max(values)
    return (statistics.median(values), percentile(values, 10),
            percentile(values, 90))


def fmt(value, unit):
    """Format one number with its unit."""
    if value is None:
        return "n/a"
    if unit == "ms":
        return f"{value:.3f} ms" if value < 10 else f"{value:.1f} ms"
    if unit == "req/s":
        return f"{value:,.0f}/s"
    if unit == "MiB":
        return f"{value:.1f} MiB"
    if unit == "s":
        return f"{value:.2f} s"
    if unit == "us":
        return f"{value:.1f} us"
    if unit == "calls":
        return f"{value:.2f}"
    if unit == "x":
        return f"{value:.2f}x"
    return f"{value:g} {unit}"


def row(section, name, values, unit, base_name=None, base_values=None,
        goal=None, met=None, note=""):
    """Add a table line: median and spread of values (and of a baseline)."""
    line = dict(section=section, name=name, unit=unit, note=note,
                base_name=base_name, goal=goal or "", met=met)
    if values:
        line["median"], line["low"], line["high"] = spread(values)
    else:
        line["median"] = line["low"] = line["high"] = None
    if base_values:
        line["base_median"] = spread(base_values)[0]
        if line["median"] is not None and line["base_median"]:
            line["ratio"] = line["median"] / line["base_median"]
    rows.append(line)
    return line


def url_parts(url):
    """Split an http URL into (host, port, path)."""
    u = urllib.parse.urlsplit(url)
    return u.hostname, u.port or 80, u.path or "/"


def http_request(path, host, body):
    """Return the bytes of a keep-alive POST of a JSON body."""
    return (f"POST {path} HTTP/1.1\r\nHost: {host}\r\n"
            f"Content-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode() + body


def read_response(sock, buf=b""):
    """Read one HTTP response (headers and Content-Length body) off sock;
    return (status, rest of the buffer)."""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            raise RuntimeError("connection closed")
        buf += chunk
    head, _, buf = buf.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    m = re.search(rb"(?i)\r\ncontent-length:\s*(\d+)", head)
    need = int(m.group(1)) if m else 0
    while len(buf) < need:
        buf += sock.recv(65536)
    return status, buf[need:]


class Poster:
    """A keep-alive HTTP/1.1 client on a raw socket: nothing between the
    timer and the bytes leaving."""

    def __init__(self, url):
        self.host, self.port, self.path = url_parts(url)
        self.sock = socket.create_connection((self.host, self.port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""

    def send(self, body, path=None):
        """Send one POST without waiting for its answer."""
        self.sock.sendall(http_request(path or self.path,
                                       f"{self.host}:{self.port}", body))

    def answer(self):
        """Read the answer of the oldest POST; return its status."""
        status, self.buf = read_response(self.sock, self.buf)
        return status

    def post(self, body, path=None):
        """POST and wait for the answer; return its status."""
        self.send(body, path)
        return self.answer()

    def close(self):
        self.sock.close()


def blocked_in_poll(pid):
    """True once a fish wait sleeps in poll(2), its request sent."""
    try:
        with open(f"/proc/{pid}/wchan") as f:
            return "poll" in f.read()
    except OSError:
        return False


def hyperfine(commands, runs, shell=False, warmup=5, prepare=None):
    """Time commands with hyperfine; return {name: [seconds, ...]}."""
    out = os.path.join(TMP, "hyperfine.json")
    cmd = ["hyperfine", "--style", "none", "--export-json", out,
           "--runs", str(runs), "--warmup", str(warmup)]
    if not shell:
        cmd.append("-N")
    if prepare:
        cmd += ["--prepare", prepare]
    for name, command in commands:
        cmd += ["-n", name, command]
    p = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if p.returncode != 0:
        sys.stderr.write(p.stderr.decode())
        raise RuntimeError("hyperfine failed")
    with open(out) as f:
        results = json.load(f)["results"]
    return {r["command"]: r["times"] for r in results}


def interleaved(commands, runs, warmup=5):
    """Time commands (argument lists) from spawn to exit, one run of each
    per round in a shuffled order, so that a busy machine's slow phases
    hit them all alike (hyperfine runs one command's runs, then the
    next's); return {name: [seconds, ...]}."""
    times = {name: [] for name, _ in commands}
    order = list(commands)
    null = os.open(os.devnull, os.O_RDWR)
    for i in range(warmup + runs):
        random.shuffle(order)
        for name, argv in order:
            t0 = time.perf_counter_ns()
            pid = os.posix_spawn(argv[0], argv, os.environ,
                                 file_actions=[(os.POSIX_SPAWN_DUP2, null, 0),
                                               (os.POSIX_SPAWN_DUP2, null, 1)])
            _, status = os.waitpid(pid, 0)
            t1 = time.perf_counter_ns()
            if os.waitstatus_to_exitcode(status) != 0:
                raise RuntimeError(f"{argv} exited {status}")
            if i >= warmup:
                times[name].append((t1 - t0) / 1e9)
    os.close(null)
    return times


def time_with_stdin(commands, runs, path, warmup=5):
    """Time commands whose stdin is a file (hyperfine 1.15 has no --input):
    fork+exec to exit, interleaved; return {name: [seconds, ...]}."""
    times = {name: [] for name, _ in commands}
    for i in range(warmup + runs):
        for name, argv in commands:
            with open(path, "rb") as f:
                t0 = time.perf_counter_ns()
                p = subprocess.Popen(argv, stdin=f, stdout=subprocess.DEVNULL)
                p.wait()
                t1 = time.perf_counter_ns()
            if p.returncode != 0:
                raise RuntimeError(f"{argv} exited {p.returncode}")
            if i >= warmup:
                times[name].append((t1 - t0) / 1e9)
    return times


def wrk(url, seconds):
    """Load url with wrk's POST script, 32 connections, for seconds; return
    (requests/s, non-2xx, socket errors, requests)."""
    p = subprocess.run(["wrk", "-t2", "-c32", f"-d{seconds}s", "-s", LUA,
                        url], check=True, stdout=subprocess.PIPE)
    text = p.stdout.decode()
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    bad = int(m.group(1)) if m else 0
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), "
                  r"timeout (\d+)", text)
    errors = sum(int(x) for x in m.groups()) if m else 0
    total = int(re.search(r"(\d+) requests in", text).group(1))
    return rate, bad, errors, total


def fill(url, count, session, hooks_file=None):
    """POST about count more messages to url (spread over hooks_file's
    paths) with wrk, 32 connections, stopping it once the session has
    them; return the rate in requests/s."""
    env = dict(os.environ)
    if hooks_file:
        env["FISH_BENCH_HOOKS"] = hooks_file
    target = json.loads(fish("status", "--json", session=session))[
        "messages"] + count
    # wrk only stops on time or SIGINT: watch the session's count.
    p = subprocess.Popen(["wrk", "-t2", "-c32", "-d3600s", "-s", LUA, url],
                         env=env, stdout=subprocess.PIPE)
    while json.loads(fish("status", "--json", session=session))[
            "messages"] < target:
        if p.poll() is not None:
            raise RuntimeError(f"wrk ended early filling {url}")
        time.sleep(0.1)
    p.send_signal(signal.SIGINT)
    text = p.communicate()[0].decode()
    if "Non-2xx" in text or "Socket errors" in text:
        progress(f"warning: filling {url}: {text}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))


# ---------------------------------------------------------------------------
# The measurements.


def wait_once(poster, hook, seq, session="main", env=None):
    """Start a one-shot `fish wait` on hook, see it blocked, then POST to
    it through poster; return the milliseconds from the POST leaving to
    the wait exiting with the body."""
    body = b'{"seq":%d}' % seq
    p = subprocess.Popen([FISH, "-S", session, "wait", hook, "--timeout",
                          "10s"], stdout=subprocess.PIPE, env=env)
    deadline = time.monotonic() + 10
    while not blocked_in_poll(p.pid):
        if time.monotonic() > deadline or p.poll() is not None:
            raise RuntimeError("fish wait never blocked")
    t0 = time.perf_counter_ns()
    poster.send(body)
    p.wait()
    t1 = time.perf_counter_ns()
    out = p.stdout.read()
    p.stdout.close()
    if p.returncode != 0 or out != body:
        raise RuntimeError(f"wait returned {p.returncode} {out!r}")
    if poster.answer() != 200:
        raise RuntimeError("hook did not answer 200")
    return (t1 - t0) / 1e6


def callback_to_wait(n, acks):
    """POST leaving the sender -> fish wait exiting with the message."""
    progress(f"callback to wait: {n} one-shot waits")
    hook = fish("spawn", "--name", "latency")
    poster = Poster(hook)
    lat = [wait_once(poster, hook, i) for i in range(n)]
    poster.close()

    # Baselines on the same raw socket: the acknowledgement by fish
    # (durable: fsync'ed) and nginx's 204 round trip.
    def round_trips(url):
        c = Poster(url)
        times = []
        for i in range(acks):
            t0 = time.perf_counter_ns()
            status = c.post(b'{"seq":%d}' % i)
            times.append((time.perf_counter_ns() - t0) / 1e6)
            if status >= 300:
                raise RuntimeError(f"{url} answered {status}")
        c.close()
        return times

    ack = round_trips(fish("spawn", "--name", "ack"))
    ngx = round_trips(NGINX + "/callback")
    raw["callback_to_wait_ms"] = lat
    raw["fish_ack_ms"] = ack
    raw["nginx_rtt_ms"] = ngx
    p50, p99 = percentile(lat, 50), percentile(lat, 99)
    row("callback to wait", "POST -> `fish wait` exits, p50", lat, "ms",
        "nginx 204 round trip p50", ngx, "<= 1 ms", p50 <= 1.0)
    rows.append(dict(section="callback to wait",
                     name="POST -> `fish wait` exits, p99", unit="ms",
                     median=p99, low=None, high=None,
                     base_name="nginx 204 round trip p99",
                     base_median=percentile(ngx, 99),
                     ratio=p99 / percentile(ngx, 99), goal="<= 5 ms",
                     met=p99 <= 5.0, note=""))
    slow = sum(1 for t in ack if t > 500)
    row("callback to wait", "POST -> fish answers 200 (fsync'ed), p50", ack,
        "ms", "nginx 204 round trip p50", ngx,
        note=f"{slow} of {len(ack)} over 500 ms" if slow else "")
    follow_latency(n)


def follow_latency(n):
    """POST leaving the sender -> its line on `fish wait --follow`."""
    helptext = subprocess.run([FISH, "wait", "--help"], stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT).stdout.decode()
    if "--follow" not in helptext:
        row("callback to wait", "POST -> line on `wait --follow`", [], "ms",
            goal="<= 1 ms", met=None,
            note="n/a (wait --follow not implemented yet)")
        return
    progress(f"callback to wait: {n} lines on wait --follow")
    hook = fish("spawn", "--name", "follow")
    p = subprocess.Popen([FISH, "-S", "main", "wait", hook, "--follow",
                          "--json", "--count", str(n), "--timeout", "60s"],
                         stdout=subprocess.PIPE)
    while not blocked_in_poll(p.pid):
        if p.poll() is not None:
            raise RuntimeError("fish wait --follow exited")
    poster = Poster(hook)
    lat = []
    for i in range(n):
        # Let the follower finish acknowledging the previous message and
        # ask for the next one (its ack waits for an fsync), so that each
        # sample is one arrival at an idle follower, not the tail of the
        # previous message's ack; the pause is not timed.
        time.sleep(FOLLOW_GAP)
        while not blocked_in_poll(p.pid):
            if p.poll() is not None:
                raise RuntimeError("fish wait --follow exited")
        t0 = time.perf_counter_ns()
        poster.send(b'{"seq":%d}' % i)
        line = p.stdout.readline()
        lat.append((time.perf_counter_ns() - t0) / 1e6)
        if not line:
            raise RuntimeError("wait --follow ended early")
        if poster.answer() != 200:
            raise RuntimeError("hook did not answer 200")
    p.wait()
    poster.close()
    raw["follow_ms"] = lat
    p50, p99 = percentile(lat, 50), percentile(lat, 99)
    row("callback to wait", "POST -> line on `wait --follow`, p50", lat,
        "ms", goal="<= 1 ms", met=p50 <= 1.0)
    rows.append(dict(section="callback to wait",
                     name="POST -> line on `wait --follow`, p99", unit="ms",
                     median=p99, low=None, high=None, base_name=None,
                     base_median=None, ratio=None, goal="<= 5 ms",
                     met=p99 <= 5.0, note=""))


def command_overhead(runs):
    """Whole-command wall time of fish commands against /bin/true and curl."""
    progress(f"command overhead: {runs} interleaved runs each")
    spawn_hook = fish("spawn", "--name", "overhead")
    queued = fish("spawn", "--name", "queued")
    # Queue one message for every run of `fish wait` (and its warm-up).
    poster = Poster(queued)
    for _ in range(runs + 10):
        poster.post(BODY)
    poster.close()
    fish_cmd = [FISH, "-S", "main"]
    commands = [
        ("/bin/true", ["/bin/true"]),
        ("fish spawn", fish_cmd + ["spawn"]),
        ("fish version", fish_cmd + ["version"]),
        ("fish wait (queued)", fish_cmd + ["wait", queued]),
        ("curl POST to the hook", ["/usr/bin/curl", "-s", "-o", "/dev/null",
                                   "-d", "x", spawn_hook]),
    ]
    if BEFORE:
        # Its listener runs already: the client alone is timed.
        fish_before("start")
        commands.append(("fish spawn, --before build",
                         [os.path.join(BEFORE, "fish"), "-S", "before",
                          "spawn"]))
    t = interleaved(commands, runs)
    # fish field reads stdin: time it and its baseline under the same shell.
    jfile = os.path.join(TMP, "order.json")
    with open(jfile, "wb") as f:
        f.write(BODY)
    tf = time_with_stdin([("/bin/true < F", ["/bin/true"]),
                          ("fish field < F", [FISH, "field", "/id"])],
                         runs, jfile)
    ms = {k: [x * 1000 for x in v] for k, v in {**t, **tf}.items()}
    raw["command_ms"] = ms
    true, curl = ms["/bin/true"], ms["curl POST to the hook"]
    for name in ("fish spawn", "fish wait (queued)"):
        line = row("command overhead", f"`{name}`", ms[name], "ms",
                   "/bin/true", true, "<= 2x /bin/true")
        line["met"] = line["ratio"] <= 2.0
        line["note"] = (f"{statistics.median(ms[name]) / statistics.median(curl):.2f}x"
                        " curl POST to the same listener")
    # What spawn costs beyond starting a client: one round trip to the
    # listener, which answers once the hook's record is durable.
    row("command overhead", "`fish version` (start-up alone)",
        ms["fish version"], "ms", "/bin/true", true)
    if BEFORE:
        row("command overhead", "`fish spawn` against the --before build",
            ms["fish spawn"], "ms", "--before build",
            ms["fish spawn, --before build"])
    line = row("command overhead", "`fish field /id < F`",
               ms["fish field < F"], "ms", "/bin/true < F",
               ms["/bin/true < F"], "<= 2x /bin/true")
    line["met"] = line["ratio"] <= 2.0
    row("command overhead", "`curl -d x HOOK` (reference)", curl, "ms",
        "/bin/true", true)


def throughput(seconds, reps):
    """Acknowledged callbacks per second, 32 connections, with the records
    each fdatasync covered; with --before, that build's listener too."""
    progress(f"throughput: wrk -c32 -t2 -d{seconds}s, {reps} rounds")
    hook = fish("spawn", "--name", "load")
    targets = [("nginx 204", NGINX + "/callback"),
               ("nginx 204, one worker", NGINX_ONE + "/callback"),
               ("python capture", CAPTURE + "/callback"),
               ("fish hook", hook)]
    if BEFORE:
        targets.append(("fish hook, --before build",
                        fish_before("spawn", "--name", "load")))
    rates = {name: [] for name, _ in targets}
    # The listeners' CPU time per request, which the disk's fdatasync
    # latency (and a busy machine's) hides from the rates.
    pids = {"fish hook": listener_pid("main")}
    if BEFORE:
        pids["fish hook, --before build"] = json.loads(fish_before(
            "status", "--json"))["pid"]
    cpu = {name: [] for name in pids}
    notes = {}
    appended0, syncs0 = journal_counts("main")
    for _ in range(reps):
        # Interleaved in a shuffled order, so that a slow phase of the
        # machine hits every server alike.
        random.shuffle(targets)
        for name, url in targets:
            c0 = cpu_ns(pids[name]) if name in pids else 0
            rate, bad, errors, total = wrk(url, seconds)
            if name in pids and total:
                cpu[name].append((cpu_ns(pids[name]) - c0) / total / 1000)
            rates[name].append(rate)
            if bad or errors:
                notes[name] = f"{bad} non-2xx, {errors} socket errors"
    appended1, syncs1 = journal_counts("main")
    raw["throughput_rps"] = rates
    line = row("acknowledged callbacks/s (32 conns)", "fish hook (fsync'ed)",
               rates["fish hook"], "req/s", "nginx 204", rates["nginx 204"],
               ">= 0.5x nginx", note=notes.get("fish hook", ""))
    line["met"] = line["ratio"] >= 0.5
    # The same ratio round by round: each round loads every server once,
    # so a slow phase of the machine hits both sides of its ratio.
    per_round = [f / n for f, n in zip(rates["fish hook"], rates["nginx 204"])
                 if n]
    row("acknowledged callbacks/s (32 conns)",
        "fish hook / nginx 204, round by round (" +
        ", ".join(f"{r:.2f}" for r in per_round) + ")", per_round, "x")
    row("acknowledged callbacks/s (32 conns)",
        "fish hook (fsync'ed), against nginx with one worker (reference)",
        rates["fish hook"], "req/s", "nginx 204, one worker",
        rates["nginx 204, one worker"])
    if BEFORE:
        name = "fish hook, --before build"
        row("acknowledged callbacks/s (32 conns)",
            "fish hook (fsync'ed) against the --before build",
            rates["fish hook"], "req/s", name, rates[name],
            note=notes.get(name, ""))
        row("acknowledged callbacks/s (32 conns)",
            "--before build (fsync'ed)", rates[name], "req/s", "nginx 204",
            rates["nginx 204"], note=notes.get(name, ""))
    raw["throughput_cpu_us"] = cpu
    if BEFORE:
        row("acknowledged callbacks/s (32 conns)",
            "listener CPU time per request, against the --before build",
            cpu["fish hook"], "us", "--before build",
            cpu["fish hook, --before build"])
    row("acknowledged callbacks/s (32 conns)",
        "python http.server capture (reference)", rates["python capture"],
        "req/s", "nginx 204", rates["nginx 204"],
        note=notes.get("python capture", ""))
    if appended0 is not None and syncs1 > syncs0:
        per = (appended1 - appended0) / (syncs1 - syncs0)
        raw["records_per_fdatasync"] = dict(
            appended=appended1 - appended0, syncs=syncs1 - syncs0)
        rows.append(dict(section="acknowledged callbacks/s (32 conns)",
                         name="records per fdatasync (fish hook, all rounds)",
                         unit="records", median=round(per, 1), low=None,
                         high=None,
                         base_name=None, base_median=None, ratio=None,
                         goal="", met=None,
                         note=f"{appended1 - appended0:,} records, "
                         f"{syncs1 - syncs0:,} syncs"))


def fsync_latency(n, size=200):
    """fdatasync of an append, side by side: into a file that grows (what
    the journal did), into a fallocated one (unwritten extents: the inode
    is written all the same) and into a pre-written one (zeros really
    written, as the journal's segments are now), on the file system of the
    journals, in a shuffled order each round."""
    progress(f"fdatasync: {n} appends of {size} bytes to three kinds of file")
    d = os.path.join(TMP, "fsync")
    os.makedirs(d, exist_ok=True)
    total = n * size + 4096
    kinds = ["growing", "fallocated", "pre-written"]
    fds = {k: os.open(os.path.join(d, k), os.O_RDWR | os.O_CREAT |
                      os.O_TRUNC, 0o600) for k in kinds}
    os.posix_fallocate(fds["fallocated"], 0, total)
    zeros = bytes(MIB)
    for at in range(0, total, MIB):
        os.pwrite(fds["pre-written"], zeros[:min(MIB, total - at)], at)
    for fd in fds.values():
        os.fsync(fd)
    dfd = os.open(d, os.O_RDONLY)
    os.fsync(dfd)
    os.close(dfd)
    record = b"x" * size
    times = {k: [] for k in kinds}
    for i in range(n):
        random.shuffle(kinds)
        for k in kinds:
            os.pwrite(fds[k], record, i * size)
            t0 = time.perf_counter_ns()
            os.fdatasync(fds[k])
            times[k].append((time.perf_counter_ns() - t0) / 1e6)
    for k, fd in fds.items():
        os.close(fd)
        os.unlink(os.path.join(d, k))
    raw["fdatasync_ms"] = times
    section = f"journal fdatasync ({size}-byte appends, {n} each)"
    for p in (50, 90):
        rows.append(dict(section=section,
                         name=f"into a pre-written file (the journal), p{p}",
                         unit="ms", median=percentile(times["pre-written"], p),
                         low=None, high=None,
                         base_name=f"growing file p{p}",
                         base_median=percentile(times["growing"], p),
                         ratio=percentile(times["pre-written"], p) /
                         percentile(times["growing"], p),
                         goal="", met=None, note=""))
    rows.append(dict(section=section,
                     name="into a fallocated file (unwritten extents), p50",
                     unit="ms", median=percentile(times["fallocated"], 50),
                     low=None, high=None, base_name="growing file p50",
                     base_median=percentile(times["growing"], 50),
                     ratio=percentile(times["fallocated"], 50) /
                     percentile(times["growing"], 50),
                     goal="", met=None, note=""))


def post_many(url, n, conns):
    """POST n requests to url over conns keep-alive connections at once,
    each waiting for its answer before the next; return the non-2xx."""
    bad = []

    def worker(count):
        poster = Poster(url)
        for _ in range(count):
            if poster.post(BODY) // 100 != 2:
                bad.append(1)
        poster.close()

    threads = [threading.Thread(target=worker,
                                args=(n // conns + (i < n % conns),))
               for i in range(conns)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return len(bad)


def strace_counts(path):
    """Read strace -c's summary: return ({syscall: calls}, total calls)."""
    calls, total = {}, 0
    with open(path) as f:
        for line in f:
            cols = line.split()
            if len(cols) < 5 or not cols[3].isdigit():
                continue
            if cols[-1] == "total":
                total = int(cols[3])
            else:
                calls[cols[-1]] = int(cols[3])
    return calls, total


def malloc_counts(directory, pid):
    """Return the allocator calls counted so far in process pid (the
    shim's five counters: malloc, calloc, realloc, free, aligned)."""
    with open(os.path.join(directory, str(pid)), "rb") as f:
        data = f.read(40)
    return [int.from_bytes(data[i:i + 8], sys.byteorder)
            for i in range(0, 40, 8)]


def cpu_ns(pid):
    """Return the CPU time all of a process's threads have run, in ns
    (schedstat: exact, where /proc/PID/stat counts in ticks)."""
    total = 0
    for path in glob.glob(f"/proc/{pid}/task/*/schedstat"):
        try:
            with open(path) as f:
                total += int(f.read().split()[0])
        except OSError:
            pass
    return total


class CostTarget:
    """One build's listener, started with the allocator shim, and a hook
    of it, for counting (see costs).  runner is fish or fish_before."""

    def __init__(self, runner, label, *start_args):
        self.runner, self.label = runner, label
        self.session = f"costs-{label}"
        self.mdir = os.path.join(TMP, f"malloc-{label}")
        os.makedirs(self.mdir, exist_ok=True)
        env = dict(os.environ, LD_PRELOAD=MALLOC_SHIM,
                   FISH_BENCH_MALLOC_DIR=self.mdir)
        runner("start", *start_args, session=self.session, env=env)
        self.hook = runner("spawn", "--name", "costs", session=self.session)
        self.pid = json.loads(runner("status", "--json",
                                     session=self.session))["pid"]
        post_many(self.hook, 200, COST_CONNS)   # warm up
        self.cpu_us, self.allocs, self.frees, self.bad = [], [], [], 0

    def count(self, seconds):
        """A round of wrk's load (32 connections): add its CPU time and
        allocator calls, each per request answered, to the samples.  Under
        a load like the throughput rounds' the listener takes many
        requests per loop pass, as it would in use; a slower driver
        measures mostly the cost of waking up."""
        m0, c0 = malloc_counts(self.mdir, self.pid), cpu_ns(self.pid)
        _, bad, errors, n = wrk(self.hook, seconds)
        self.bad += bad + errors
        m1, c1 = malloc_counts(self.mdir, self.pid), cpu_ns(self.pid)
        d = [b - a for a, b in zip(m0, m1)]
        self.cpu_us.append((c1 - c0) / n / 1000)
        self.allocs.append((d[0] + d[1] + d[2] + d[4]) / n)
        self.frees.append(d[3] / n)

    def syscalls(self, n):
        """n requests with strace -c -f attached (only for them: it slows
        the listener and changes how requests batch); return ({syscall:
        calls}, total calls)."""
        out = os.path.join(TMP, f"strace-{self.label}.txt")
        st = subprocess.Popen(["strace", "-c", "-f", "-o", out, "-p",
                               str(self.pid)], stderr=subprocess.DEVNULL)
        time.sleep(1.0)                         # attached to every thread
        self.bad += post_many(self.hook, n, COST_CONNS)
        st.send_signal(signal.SIGINT)
        st.wait()
        return strace_counts(out)

    def stop(self):
        self.runner("stop", session=self.session, check=False)


def costs(n, seconds, reps):
    """CPU time and allocator calls per acknowledged request of the
    listener, this build and the --before build (and --step builds), in
    rounds of wrk interleaved in a shuffled order; then syscalls over the
    same fixed number n of requests for each."""
    if not MALLOC_SHIM:
        progress("costs: no allocator shim built, skipped")
        return
    progress(f"costs: {reps} rounds of wrk -c32 -d{seconds}s, counted; "
             f"then strace over {n} requests on {COST_CONNS} connections")
    # MHD zeroes its whole per-connection pool (--max-header) for every
    # request: the same build with the old default's pool (64KiB) shows
    # what the smaller default saves.
    targets = [CostTarget(fish, "now"),
               CostTarget(fish, "64k", "--max-header", "64KiB")]
    if BEFORE:
        targets.append(CostTarget(fish_before, "before"))
        for label, build in STEPS:
            targets.append(CostTarget(fish_step(build), label))
    for _ in range(reps):
        random.shuffle(targets)
        for t in targets:
            t.count(seconds)
    calls = {t.label: t.syscalls(n) for t in targets
             if t.label in ("now", "before")}
    for t in targets:
        t.stop()
    by = {t.label: t for t in targets}
    now, was = by["now"], by.get("before")
    raw["costs_per_request"] = {
        t.label: dict(cpu_us=t.cpu_us, allocations=t.allocs, frees=t.frees)
        for t in targets}
    for label, (c, total) in calls.items():
        raw["costs_per_request"][label].update(
            syscalls=total / n, by_syscall={k: v / n for k, v in c.items()})
    section = (f"per request (wrk -c32, {reps} rounds of {seconds} s; "
               f"syscalls: {n} POSTs on {COST_CONNS} connections)")
    base = "--before build" if was else None
    bad = f"{now.bad} non-2xx" if now.bad else ""
    row(section, "listener CPU time, all threads (with the shim)",
        now.cpu_us, "us", base, was.cpu_us if was else None, note=bad)
    large = by["64k"]
    row(section, "listener CPU time, default --max-header 16KiB (MHD's pool)",
        now.cpu_us, "us", "--max-header 64KiB", large.cpu_us)
    row(section, "allocations (malloc, calloc, realloc, aligned)",
        now.allocs, "calls", base, was.allocs if was else None)
    row(section, "frees", now.frees, "calls", base,
        was.frees if was else None)
    # Each fix's own ratio: every step against the build before it.
    if was and STEPS:
        chain = [("--before build", was)] + [(label, by[label]) for label, _
                                             in STEPS] + [("this build", now)]
        for (prev, a), (label, b) in zip(chain, chain[1:]):
            # Rounds ran back to back: the ratio within each round is
            # steadier than the ratio of medians on a busy machine.
            paired = sorted(y / x for x, y in zip(a.cpu_us, b.cpu_us))
            row(section, f"CPU time, {label}", b.cpu_us, "us", prev,
                a.cpu_us, note=f"ratio within a round: median "
                f"{statistics.median(paired):.2f}x, {paired[0]:.2f}x-"
                f"{paired[-1]:.2f}x")
            row(section, f"allocations, {label}", b.allocs, "calls", prev,
                a.allocs)
    top = sorted(calls["now"][0].items(), key=lambda kv: -kv[1])[:6]
    for name, key in (("syscalls (strace -c -f, one round)", None),
                      ("of which epoll_ctl", "epoll_ctl"),
                      ("of which fdatasync", "fdatasync")):
        def per(label):
            c, total = calls[label]
            return (total if key is None else c.get(key, 0)) / n
        line = row(section, name, [per("now")], "calls", base,
                   [per("before")] if was else None)
        if key is None:
            line["note"] = ", ".join(f"{k} {v / n:.2f}" for k, v in top)


def sends(n, reps):
    """n sequential `fish send` to nginx against n curl processes."""
    progress(f"sends: {n} sequential, {reps} rounds")
    url = NGINX + "/order"
    t = hyperfine([
        ("curl loop", f"for i in $(seq {n}); do curl -s -o /dev/null "
                      f"-H 'Content-Type: application/json' "
                      f"-d '{{\"a\":\"1\"}}' {url}; done"),
        ("fish send loop", f"for i in $(seq {n}); do {FISH} -S main send "
                           f"POST {url} a=1 >/dev/null; done"),
    ], reps, shell=True, warmup=0)
    per = {k: [x * 1000 / n for x in v] for k, v in t.items()}
    raw["send_ms_each"] = per
    row("sends (keep-alive server)", f"{n} x `fish send`, per send",
        per["fish send loop"], "ms", f"{n} x curl, per request",
        per["curl loop"])


def memory(hooks, messages):
    """Listener RSS idle, and with many hooks and messages."""
    progress(f"memory: idle, then {hooks} hooks and {messages} messages")
    s = "mem"
    fish("start", session=s)
    pid = listener_pid(s)
    time.sleep(0.5)
    idle = rss_kib(pid) / 1024
    ngx = (rss_kib(NGINX_PID) + sum(rss_kib(w) for w in children(NGINX_PID))
           ) / 1024
    paths = []
    for _ in range(hooks):
        paths.append(urllib.parse.urlsplit(fish("spawn", session=s)).path)
    hooks_file = os.path.join(TMP, "hooks.txt")
    with open(hooks_file, "w") as f:
        f.write("\n".join(paths) + "\n")
    base = json.loads(fish("status", "--json", session=s))["url"]
    fill(base + "/", messages, s, hooks_file)
    st = json.loads(fish("status", "--json", session=s))
    loaded = rss_kib(pid) / 1024
    capture = rss_kib(CAPTURE_PID) / 1024
    raw["memory_mib"] = dict(idle=idle, loaded=loaded, nginx=ngx,
                             capture_after_load=capture, status=st)
    row("memory (listener RSS)", "idle", [idle], "MiB",
        "nginx idle (master + workers)", [ngx], "<= 8 MiB", idle <= 8)
    row("memory (listener RSS)",
        f"{st['hooks']:,} hooks, {st['messages']:,} messages", [loaded],
        "MiB", "python capture after the load test", [capture], "<= 64 MiB",
        loaded <= 64)
    fish("stop", session=s)


def scale(small, big, take_runs, start_runs):
    """Taking the next message and starting, small journal vs big one."""
    progress(f"scale: journals of {small:,} and {big:,} messages")
    hooks, fill_rate = {}, None
    for s, count in (("small", small), ("big", big)):
        hooks[s] = fish("spawn", "--name", "q", session=s)
        rate = fill(hooks[s], count, s)
        if s == "big":
            fill_rate = rate
    st = {s: json.loads(fish("status", "--json", session=s))
          for s in ("small", "big")}
    take = hyperfine([(f"take {s}", f"{FISH} -S {s} wait q")
                      for s in ("small", "big")], take_runs)
    take = {k: [x * 1000 for x in v] for k, v in take.items()}
    # Recovery: stop, then time a start, which returns once it listens.
    start = {}
    for s in ("small", "big"):
        start[s] = hyperfine([(s, f"{FISH} -S {s} start")], start_runs,
                             warmup=0, prepare=f"{FISH} -S {s} stop")[s]
    rss_big = rss_kib(listener_pid("big")) / 1024
    raw["scale"] = dict(take_ms=take, start_s=start, status=st,
                        fill_rps=fill_rate, rss_big_mib=rss_big)
    rec = {s: st[s]["journal_records"] for s in st}
    line = row("scale", f"take next message, {rec['big']:,}-record journal",
               take["take big"], "ms",
               f"same, {rec['small']:,}-record journal", take["take small"],
               "flat (<= 1.5x)")
    line["met"] = line["ratio"] <= 1.5
    row("scale", f"listener start (recovery), {rec['big']:,} records "
        f"({st['big']['journal_bytes'] / MIB:.0f} MiB)", start["big"], "s",
        f"same, {rec['small']:,} records", start["small"])
    row("scale", f"listener RSS after recovery, {st['big']['queued']:,} "
        "queued", [rss_big], "MiB")
    row("scale", "fill rate building the big journal (32 conns)",
        [fill_rate], "req/s")


def recovery(mib, runs):
    """Listener start-up over a journal of about mib MiB damaged at several
    places, against reading the same files once (cat)."""
    progress(f"journal recovery: a {mib} MiB journal, damaged at 8 places")
    s = "recovery"
    hook = fish("spawn", "--name", "r", session=s)
    # Bodies of 1 KiB to 1 MiB, log-uniform (webhooks vary that much), of
    # random bytes, from 4 keep-alive connections so that group commit
    # fills the journal fast.
    rng = random.Random(7)
    sizes, total = [], 0
    while total < mib * MIB:
        sizes.append(int(1024 * 2 ** rng.uniform(0, 10)))
        total += sizes[-1]
    blob = os.urandom(MIB)
    failed = []

    def post_all(chunk):
        poster = Poster(hook)
        for n in chunk:
            if poster.post(blob[:n]) != 200:
                failed.append(n)
        poster.close()

    threads = [threading.Thread(target=post_all, args=(sizes[i::4],))
               for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if failed:
        raise RuntimeError(f"{len(failed)} posts to the journal failed")
    fish("stop", session=s)
    files = sorted(glob.glob(os.path.join(
        os.environ["FISH_HOME"], "sessions", s, "journal", "*.journal")))
    # One flipped byte at each of 8 places spread over the journal.
    lengths = [os.path.getsize(f) for f in files]
    size = sum(lengths)
    for k in range(1, 9):
        at = size * k // 9
        for f, n in zip(files, lengths):
            if at < n:
                with open(f, "r+b") as fd:
                    fd.seek(at)
                    byte = fd.read(1)
                    fd.seek(at)
                    fd.write(bytes([byte[0] ^ 0xFF]))
                break
            at -= n
    start, cat = [], []
    for i in range(runs + 1):
        # Interleaved; the first round only warms the page cache.
        t0 = time.perf_counter()
        fish("start", session=s)
        t1 = time.perf_counter()
        st = json.loads(fish("status", "--json", session=s))
        fish("stop", session=s)
        t2 = time.perf_counter()
        subprocess.run(["cat", *files], stdout=subprocess.DEVNULL, check=True)
        t3 = time.perf_counter()
        if i > 0:
            start.append(t1 - t0)
            cat.append(t3 - t2)
    raw["recovery"] = dict(start_s=start, cat_s=cat, bytes=size,
                           status=st)
    row("journal recovery", f"listener start, {size / MIB:.0f} MiB journal "
        f"damaged at 8 places", start, "s",
        "`cat` of its files (page cache)", cat,
        note=f"{st.get('journal_damaged_regions', '?')} damaged regions, "
        f"{st['journal_records']:,} records")


# ---------------------------------------------------------------------------
# The Redis store (issue 17): its own redis-server and haproxys.

HELPERS = os.path.join(SRC, "test", "helpers")
REDIS_DIR = os.path.join(TMP, "redis")
# Every listener of a Redis session runs in a FISH_HOME of its own under
# here (scripts/bench's trap stops them all).
REDIS_HOMES = os.path.join(TMP, "redis-homes")


def helper(*argv):
    """Run a test/helpers script; return its stdout, stripped."""
    p = subprocess.run([os.path.join(HELPERS, argv[0]), *argv[1:]],
                       stdout=subprocess.PIPE, stdin=subprocess.DEVNULL,
                       check=True)
    return p.stdout.decode().strip()


def free_port():
    """Return a free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RedisListener:
    """A listener of a Redis session in a FISH_HOME of its own."""

    def __init__(self, name, session, store):
        self.home = os.path.join(REDIS_HOMES, name)
        self.session = session
        self.env = dict(os.environ, FISH_HOME=self.home)
        self.fish("start", "--store", store)
        deadline = time.monotonic() + 10
        while self.status().get("store_state") != "connected":
            if time.monotonic() > deadline:
                raise RuntimeError(f"listener {name}: Redis not connected")
            time.sleep(0.05)
        st = self.status()
        self.url, self.pid = st["url"], st["pid"]

    def fish(self, *args, check=True):
        return fish(*args, session=self.session, env=self.env, check=check)

    def status(self):
        return json.loads(self.fish("status", "--json"))

    def knows(self, hooks):
        """Wait until this listener applied the session's first hooks."""
        deadline = time.monotonic() + 10
        while self.status()["hooks"] < hooks:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.home}: hooks not applied")
            time.sleep(0.02)

    def hostport(self):
        return self.url.split("://", 1)[1].split("/", 1)[0]


def redis_setup():
    """Start redis-server, a one-listener session (r1), a three-listener
    session (r3) with a haproxy in front, and a haproxy in front of
    nginx; return a dict of what the rounds need."""
    port, pid, _ = helper("redis-start", REDIS_DIR).split()
    store = f"redis://127.0.0.1:{port}/0"
    one = RedisListener("one", "r1", store)
    three = [RedisListener(f"three-{i}", "r3", store) for i in range(3)]
    hook1 = one.fish("spawn", "--name", "load")
    token3 = urllib.parse.urlsplit(three[0].fish("spawn", "--name",
                                                 "load")).path
    for lst in three:
        lst.knows(1)
    fish_lb, nginx_lb = free_port(), free_port()
    helper("haproxy-start", os.path.join(TMP, "haproxy-fish"), str(fish_lb),
           *[lst.hostport() for lst in three])
    helper("haproxy-start", os.path.join(TMP, "haproxy-nginx"),
           str(nginx_lb), url_parts(NGINX)[0] + ":" + str(url_parts(NGINX)[1]))
    return dict(redis_pid=int(pid), one=one, three=three, hook1=hook1,
                fish_lb=f"http://127.0.0.1:{fish_lb}{token3}",
                nginx_lb=f"http://127.0.0.1:{nginx_lb}/callback")


def redis_teardown(r):
    """Stop the listeners, the haproxys and redis-server."""
    for lst in [r["one"], *r["three"]]:
        lst.fish("stop", check=False)
    for name in ("haproxy-fish", "haproxy-nginx"):
        helper("haproxy-stop", os.path.join(TMP, name))
    helper("redis-stop", REDIS_DIR)


def redis_throughput(r, seconds, reps):
    """Acknowledged callbacks/s through the Redis store, one listener and
    three behind haproxy, beside nginx (direct and behind a haproxy of
    its own) and the journal session's hook, in shuffled rounds; with
    redis-server's and the listener's CPU time per request."""
    progress(f"redis: wrk -c32 -t2 -d{seconds}s, {reps} rounds")
    targets = [("nginx 204", NGINX + "/callback"),
               ("journal hook", fish("spawn", "--name", "load-j")),
               ("redis, one listener", r["hook1"]),
               ("nginx 204 via haproxy", r["nginx_lb"]),
               ("redis, 3 listeners via haproxy", r["fish_lb"])]
    rates = {name: [] for name, _ in targets}
    redis_cpu = {name: [] for name, _ in targets if "redis" in name}
    one_cpu, notes = [], {}
    for _ in range(reps):
        random.shuffle(targets)
        for name, url in targets:
            c0, l0 = cpu_ns(r["redis_pid"]), cpu_ns(r["one"].pid)
            rate, bad, errors, total = wrk(url, seconds)
            rates[name].append(rate)
            if name in redis_cpu and total:
                redis_cpu[name].append(
                    (cpu_ns(r["redis_pid"]) - c0) / total / 1000)
            if name == "redis, one listener" and total:
                one_cpu.append((cpu_ns(r["one"].pid) - l0) / total / 1000)
            if bad or errors:
                notes[name] = f"{bad} non-2xx, {errors} socket errors"
    raw["redis_rps"], raw["redis_cpu_us"] = rates, redis_cpu
    raw["redis_listener_cpu_us"] = one_cpu
    sec = "Redis store: acknowledged callbacks/s (32 conns)"
    one, ngx, jrn = (rates["redis, one listener"], rates["nginx 204"],
                     rates["journal hook"])
    row(sec, "redis store, one listener", one, "req/s", "nginx 204", ngx,
        note=notes.get("redis, one listener", ""))
    row(sec, "redis store, one listener", one, "req/s",
        "journal hook (fsync'ed)", jrn, note=notes.get("journal hook", ""))
    row(sec, "redis store, 3 listeners behind haproxy",
        rates["redis, 3 listeners via haproxy"], "req/s",
        "nginx 204 behind haproxy", rates["nginx 204 via haproxy"],
        note=notes.get("redis, 3 listeners via haproxy", ""))
    row(sec, "redis store, 3 listeners behind haproxy",
        rates["redis, 3 listeners via haproxy"], "req/s",
        "redis store, one listener", one)
    for name, cpu in redis_cpu.items():
        row(sec, f"redis-server CPU time per request, {name}", cpu, "us")
    row(sec, "listener CPU time per request, redis, one listener", one_cpu,
        "us")


def redis_latency(r, n):
    """POST -> `fish wait` exits, for the Redis store (the POST entering
    at the waiting listener, and at another of the session) beside the
    journal, one sample of each in a shuffled order per round."""
    progress(f"redis: callback to wait, {n} one-shot waits of each kind")
    a, b = r["three"][0], r["three"][1]
    hook_r = a.fish("spawn", "--name", "latency")
    path = urllib.parse.urlsplit(hook_r).path
    b.knows(2)
    hook_j = fish("spawn", "--name", "latency-r")
    kinds = [("journal", Poster(hook_j), hook_j, "main", None),
             ("redis, same listener", Poster(hook_r), hook_r, "r3", a.env),
             ("redis, entering at another", Poster(f"http://{b.hostport()}"
                                                   f"{path}"), hook_r, "r3",
              a.env)]
    lat = {k[0]: [] for k in kinds}
    for i in range(n):
        random.shuffle(kinds)
        for name, poster, hook, session, env in kinds:
            lat[name].append(wait_once(poster, hook, i, session, env))
    for k in kinds:
        k[1].close()
    raw["redis_callback_to_wait_ms"] = lat
    sec = f"Redis store: callback to wait ({n} each)"
    for name in ("redis, same listener", "redis, entering at another"):
        for p in (50, 99):
            v, base = percentile(lat[name], p), percentile(lat["journal"], p)
            rows.append(dict(section=sec, name=f"POST -> `fish wait` exits, "
                             f"{name}, p{p}", unit="ms", median=v, low=None,
                             high=None, base_name=f"journal p{p}",
                             base_median=base, ratio=v / base, goal="",
                             met=None, note=""))


def redis_store(seconds, reps, waits):
    """The Redis store's rows (issue 17); everything stopped at the end."""
    r = redis_setup()
    try:
        redis_throughput(r, seconds, reps)
        redis_latency(r, waits)
    finally:
        redis_teardown(r)


# ---------------------------------------------------------------------------
# The table.


def print_table(quick, elapsed):
    """Print every row as a Markdown table."""
    def cell(line, key):
        v = line.get(key)
        return fmt(v, line["unit"]) if v is not None else ""

    print()
    print(f"fish benchmark ({'--quick' if quick else 'full run'}, "
          f"{elapsed:.0f} s); medians, spread in brackets")
    print()
    print("| measurement | fish | spread | baseline | ratio | goal | met |")
    print("|---|---|---|---|---|---|---|")
    section = None
    for line in rows:
        if line["section"] != section:
            section = line["section"]
            print(f"| **{section}** | | | | | | |")
        if line["median"] is None:
            value = line["note"]
            note = ""
        else:
            value = cell(line, "median")
            note = f" ({line['note']})" if line["note"] else ""
        spr = ""
        if line.get("low") is not None and line["low"] != line["high"]:
            spr = f"{cell(line, 'low')} - {cell(line, 'high')}"
        base = ""
        if line.get("base_name"):
            base = f"{line['base_name']}: {cell(line, 'base_median')}"
        ratio = f"{line['ratio']:.2f}x" if line.get("ratio") else ""
        met = {True: "met", False: "**missed**", None: ""}[line["met"]]
        print(f"| {line['name']}{note} | {value} | {spr} | {base} | "
              f"{ratio} | {line['goal']} | {met} |")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--json")
    ap.add_argument("--only")
    args = ap.parse_args()
    only = set(args.only.split(",")) if args.only else set(SECTIONS)
    if only - set(SECTIONS):
        ap.error(f"--only: unknown {', '.join(sorted(only - set(SECTIONS)))}"
                 f" (known: {', '.join(SECTIONS)})")
    n = QUICK if args.quick else FULL
    began = time.monotonic()
    fish("start")
    if "callbacks" in only:
        callback_to_wait(n["callbacks"], n["acks"])
    if "overhead" in only:
        command_overhead(n["hf_runs"])
    if "sends" in only:
        sends(n["sends"], n["send_reps"])
    if "throughput" in only:
        throughput(n["wrk_seconds"], n["wrk_reps"])
    if "fsync" in only:
        fsync_latency(n["fsyncs"])
    if "costs" in only:
        costs(n["cost_requests"], n["cost_seconds"], n["cost_reps"])
    if "memory" in only:
        memory(n["hooks"], n["messages"])
    if "scale" in only:
        scale(n["small_journal"], n["big_journal"], n["take_runs"],
              n["start_runs"])
    if "recovery" in only:
        recovery(n["recovery_mib"], n["recovery_runs"])
    if "redis" in only:
        redis_store(n["wrk_seconds"], n["wrk_reps"], n["redis_waits"])
    for s in ("main", "small", "big", "recovery"):
        fish("stop", session=s, check=False)
    if BEFORE:
        fish_before("stop", check=False)
    print_table(args.quick, time.monotonic() - began)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(dict(rows=rows, raw=raw), f, indent=1, default=str)


if __name__ == "__main__":
    main()
