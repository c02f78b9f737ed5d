#!/usr/bin/python3
"""Signalling load benchmark (issue 7, item 5): ghostview-signaling and the
PeerJS server (npm "peer") side by side in the same run.

For each size N and each run, for each server: start the server (several
processes when N sessions need more sockets than one process may open),
set up N concurrent sessions with ghostview-signaling-loadgen (host +
viewer, register / join by PIN / accept / SDP offer+answer / ICE both ways;
PeerJS: OFFER / ANSWER / CANDIDATE between two peers by id), then with all
N sessions live measure:
  - server RSS (VmRSS of every server process, summed) and CPU seconds;
  - join latency of "probe" sessions run one at a time by a generator
    process of their own (join sent -> joined, and first viewer message ->
    the host's SDP at the viewer), p50/p99;
  - relay throughput: every session relays ICE candidates back and forth,
    closed loop, for --relay-seconds after 1 s of warm-up; messages/s
    delivered through the server(s).
Writes a markdown table (medians over runs; ratios from the same run) to
BUILD/bench/signaling-load.md with the command line that produced it.

Builds nothing: expects BUILD/signaling/ghostview-signaling and
BUILD/tests/bench/ghostview-signaling-loadgen, and for PeerJS `node` plus
tests/bench/node_modules (npm ci in tests/bench). Loopback only.
"""

import argparse
import json
import math
import os
import platform
import resource
import select
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_ROOT = os.path.dirname(os.path.dirname(HERE))
CLK_TCK = os.sysconf("SC_CLK_TCK")
# Rate limits the GhostView server runs with here: one address creates
# every session, and the relay phase measures capacity, not the
# per-connection anti-flood limit (PeerJS has neither). Those two knobs are
# refused by --production; every connection comes from 127.0.0.1, so the
# per-address connection bound is lifted too.
GV_BENCH_KNOBS = ["--create-rate", "1000000", "--message-rate", "1000000",
                  "--max-connections-per-address", "1000000"]


# Files a server process keeps besides its sessions' sockets: standard
# streams, the listening socket, main-loop wake-ups, the probe sessions.
SPARE_FILES = 64
HARD_FILE_LIMIT_AT_START = resource.getrlimit(resource.RLIMIT_NOFILE)[1]


class BenchError(Exception):
    pass


# ---------------------------------------------------------------- processes

def proc_status(pid):
    out = {}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                k, _, v = line.partition(":")
                if k in ("VmRSS", "VmHWM"):
                    out[k] = int(v.split()[0]) * 1024
    except OSError:
        pass
    return out


def proc_cpu_s(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK
    except (OSError, IndexError):
        return 0.0


class LineReader:
    """Reads JSON/text lines from several child processes with a deadline."""

    def __init__(self, proc, name):
        self.proc = proc
        self.name = name
        self.buf = b""

    def read_line(self, deadline):
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise BenchError(f"{self.name}: no answer in time")
            r, _, _ = select.select([self.proc.stdout], [], [], left)
            if not r:
                continue
            chunk = os.read(self.proc.stdout.fileno(), 1 << 20)
            if not chunk:
                raise BenchError(f"{self.name}: exited (code {self.proc.poll()})")
            self.buf += chunk
        line, _, self.buf = self.buf.partition(b"\n")
        return line.decode(errors="replace")

    def read_json(self, deadline, event):
        while True:
            line = self.read_line(deadline)
            try:
                msg = json.loads(line)
            except ValueError:
                continue
            if msg.get("event") == event:
                return msg
            if msg.get("event") == "error":
                raise BenchError(f"{self.name}: {msg}")


def start_server(kind, args, build_dir, limit_clients, log, fd_limit):
    if kind == "ghostview":
        cmd = [os.path.join(build_dir, "signaling", "ghostview-signaling"),
               "--address", "127.0.0.1", "--port", "0"] + GV_BENCH_KNOBS + args.gv_arg
    else:
        cmd = [args.node, os.path.join(HERE, "peerjs-server.mjs"),
               "--port", "0", "--concurrent-limit", str(limit_clients)]
    # Its output goes to the log; the listening line is read back from there.
    log.flush()
    start = log.tell()
    proc = subprocess.Popen(cmd, stdout=log, stderr=log, stdin=subprocess.DEVNULL, cwd=HERE,
                            preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_NOFILE,
                                                                  (fd_limit, fd_limit)))
    deadline = time.monotonic() + 20
    url = None
    while url is None:
        if proc.poll() is not None:
            raise BenchError(f"{kind} server exited (code {proc.returncode}); see the log")
        if time.monotonic() > deadline:
            stop(proc)
            raise BenchError(f"{kind} server did not start listening in 20 s")
        time.sleep(0.05)
        with open(log.name, errors="replace") as f:
            f.seek(start)
            for line in f:
                if kind == "ghostview" and "listening on http://127.0.0.1:" in line:
                    port = int(line.split("http://127.0.0.1:")[1].split()[0])
                    url = f"ws://127.0.0.1:{port}/ws"
                elif kind == "peerjs" and line.startswith("peerjs: listening on"):
                    port = int(line.split()[-1])
                    url = f"ws://127.0.0.1:{port}/peerjs"
    return proc, url, cmd


def start_generator(kind, args, build_dir, url, sessions, concurrency, prefix, log,
                    setup_timeout):
    cmd = [os.path.join(build_dir, "tests", "bench", "ghostview-signaling-loadgen"),
           "--protocol", kind, "--url", url, "--sessions", str(sessions),
           "--concurrency", str(concurrency), "--candidates", str(args.candidates),
           "--sdp-bytes", str(args.sdp_bytes), "--candidate-bytes", str(args.candidate_bytes),
           "--id-prefix", prefix, "--setup-timeout", str(setup_timeout)]
    if args.window:
        cmd += ["--window", str(args.window)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stdin=subprocess.PIPE, stderr=log)
    return proc, LineReader(proc, f"generator {prefix}"), cmd


def send(proc, line):
    proc.stdin.write((line + "\n").encode())
    proc.stdin.flush()


def stop(proc, timeout=5):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# ---------------------------------------------------------------- statistics

def pct(values, p):
    if not values:
        return None
    v = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(v)))
    return v[min(len(v), rank) - 1]


def merged(msgs, field):
    out = []
    for m in msgs:
        d = m.get(field)
        if d:
            out += d["all"]
    return out


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


# ---------------------------------------------------------------- one load run

def sockets_per_process():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        soft = hard
    return soft


def server_file_limit(args):
    """Open files one server process may hold: this process's hard limit,
    or as root up to --server-open-files (what an operator's unit file
    gives a server with LimitNOFILE=), both servers alike."""
    hard = sockets_per_process()
    if not args.server_open_files or args.server_open_files <= hard:
        return hard
    try:
        with open("/proc/sys/fs/nr_open") as f:
            want = min(args.server_open_files, int(f.read()))
        # Raising a hard limit needs CAP_SYS_RESOURCE: tried on this process.
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, want))
        return want
    except (OSError, ValueError):
        return hard


def load_run(kind, n, args, build_dir, log):
    """One server kind at one size: returns a dict of figures."""
    t_start = time.monotonic()
    deadline_all = t_start + args.run_timeout
    fd_limit = server_file_limit(args)
    # One server process holds 2 sockets per session, besides its own few
    # files and the probes' sockets.
    per_process = max(1, (fd_limit - SPARE_FILES) // 2)
    shards = max(1, math.ceil(n / per_process))
    shard_sizes = [n // shards + (1 if i < n % shards else 0) for i in range(shards)]
    probes_per_shard = [args.probes // shards + (1 if i < args.probes % shards else 0)
                        for i in range(shards)]

    servers, workers, probers = [], [], []
    result = {"kind": kind, "n": n, "shards": shards, "shard_sizes": shard_sizes}
    try:
        for i in range(shards):
            proc, url, cmd = start_server(kind, args, build_dir,
                                          2 * shard_sizes[i] + 2 * args.probes + 100, log,
                                          fd_limit)
            servers.append((proc, url))
            result["server_cmd"] = cmd
        time.sleep(0.5)
        result["rss_idle"] = sum(proc_status(p.pid).get("VmRSS", 0) for p, _ in servers)
        cpu_idle = sum(proc_cpu_s(p.pid) for p, _ in servers)  # start-up, not set-up

        # Generators: the N sessions over several processes (each GLib main
        # loop costs O(its connections) per iteration), plus one process per
        # shard that runs only the probe sessions.
        # The generators of one server process set up their sessions one
        # generator after the other, each with --ramp-concurrency sessions in
        # flight; the server processes ramp up in parallel.
        ramp_deadline = t_start + args.setup_timeout
        pending = []
        for i, (proc, url) in enumerate(servers):
            nw = max(1, math.ceil(shard_sizes[i] / args.sessions_per_generator))
            pending.append([(url, shard_sizes[i] // nw + (1 if w < shard_sizes[i] % nw else 0),
                             f"s{i}w{w}") for w in range(nw)])
            probers.append(start_generator(kind, args, build_dir, url, 0, 1, f"s{i}p", log,
                                           args.setup_timeout))
        ready = []
        ramping = {}  # shard -> (proc, reader)
        while True:
            for i, queue in enumerate(pending):
                if i in ramping or not queue:
                    continue
                left = ramp_deadline - time.monotonic()
                if left < 1:
                    queue.clear()  # out of time: these sessions are not set up
                    continue
                url, share, prefix = queue.pop(0)
                g = start_generator(kind, args, build_dir, url, share, args.ramp_concurrency,
                                    prefix, log, max(1, int(left)))
                workers.append(g)
                ramping[i] = g
            if not ramping:
                break
            fds = {g[0].stdout.fileno(): i for i, g in ramping.items()}
            r, _, _ = select.select(list(fds), [], [], 1.0)
            if time.monotonic() > deadline_all:
                raise BenchError("set-up did not end in time")
            for fd in r:
                i = fds[fd]
                msg = ramping[i][1].read_json(deadline_all, "ready")
                ready.append(msg)
                del ramping[i]
        for _, r, _ in probers:
            r.read_json(deadline_all, "ready")
        result["generator_cmd"] = workers[0][2]
        result["generators"] = len(workers)
        result["setup_s"] = time.monotonic() - t_start
        result["live"] = sum(m["live"] for m in ready)
        result["failed"] = sum(m["failed"] for m in ready)
        result["cut"] = sum(m.get("cut", 0) for m in ready)
        result["errors"] = [m["counters"]["errors"] for m in ready if m["counters"]["errors"]]
        result["ramp_sdp"] = merged(ready, "join_sdp_ms")
        result["ramp_joined"] = merged(ready, "join_joined_ms")
        result["ramp_concurrency"] = args.ramp_concurrency * len(servers)
        result["window"] = ready[0]["window"] if ready else None
        time.sleep(0.5)
        result["rss_live"] = sum(proc_status(p.pid).get("VmRSS", 0) for p, _ in servers)
        result["cpu_setup"] = sum(proc_cpu_s(p.pid) for p, _ in servers) - cpu_idle

        # Join latency with the N sessions live and otherwise quiet.
        for (proc, _, _), count in zip(probers, probes_per_shard):
            send(proc, f"probe {count}")
        probes = [r.read_json(deadline_all, "probe") for _, r, _ in probers]
        result["probe_failed"] = sum(m.get("failed", 0) for m in probes)
        result["probe_sdp"] = merged(probes, "join_sdp_ms")
        result["probe_joined"] = merged(probes, "join_joined_ms")

        # Steady relay.
        for proc, _, _ in workers:
            send(proc, f"relay {args.relay_seconds}")
        time.sleep(1.0)  # the generators' warm-up
        cpu0 = sum(proc_cpu_s(p.pid) for p, _ in servers)
        t0 = time.monotonic()
        relays = [r.read_json(deadline_all, "relay") for _, r, _ in workers]
        cpu1 = sum(proc_cpu_s(p.pid) for p, _ in servers)
        wall = time.monotonic() - t0
        result["relay_rate"] = sum(m["rate"] for m in relays)
        result["relay_messages"] = sum(m["messages"] for m in relays)
        result["relay_failed"] = sum(m["failed"] for m in relays) - result["failed"]
        result["server_cpu_relay"] = (cpu1 - cpu0) / wall if wall > 0 else None
        result["server_us_per_msg"] = ((cpu1 - cpu0) * 1e6 / result["relay_messages"]
                                       if result["relay_messages"] else None)
        result["generator_cpu_relay"] = sum(m["cpu_s"] for m in relays) / max(
            1e-9, statistics.mean(m["seconds"] for m in relays))
        st = [proc_status(p.pid) for p, _ in servers]
        result["rss_after_relay"] = sum(s.get("VmRSS", 0) for s in st)
        result["hwm"] = sum(s.get("VmHWM", 0) for s in st)
        result["cpu_total"] = sum(proc_cpu_s(p.pid) for p, _ in servers)

        for proc, _, _ in workers + probers:
            send(proc, "quit")
        for proc, _, _ in workers + probers:
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
    finally:
        for proc, _, _ in workers + probers:
            stop(proc)
        for proc, _ in servers:
            stop(proc)
    result["wall_s"] = time.monotonic() - t_start
    return result


# ---------------------------------------------------------------- report

def fmt_ms(v):
    return "–" if v is None else (f"{v:.2f}" if v < 10 else f"{v:.1f}")


def fmt_mb(v):
    return "–" if v is None else f"{v / 1e6:.1f}"


def fmt_rate(v):
    return "–" if v is None else f"{v:,.0f}"


def cell(runs, key, fmt):
    vals = [r.get(key) if not callable(key) else key(r) for r in runs]
    vals = [v for v in vals if v is not None]
    if not vals:
        return "–"
    m = statistics.median(vals)
    s = fmt(m)
    if len(vals) > 1 and fmt(min(vals)) != fmt(max(vals)):
        s += f" ({fmt(min(vals))}–{fmt(max(vals))})"
    return s


def ratio_cell(gv_runs, pj_runs, key, same_live):
    """Median of per-run ratios (same run: same machine state). With
    same_live, only runs where both servers held the same number of sessions
    count (a total over different session counts is no comparison)."""
    ratios = []
    by_run = {p["run"]: p for p in pj_runs}
    for g in gv_runs:
        p = by_run.get(g["run"])
        if p is None or (same_live and g["live"] != p["live"]):
            continue
        a = key(g) if callable(key) else g.get(key)
        b = key(p) if callable(key) else p.get(key)
        if a and b:
            ratios.append(a / b)
    if not ratios:
        return "n/a (live sessions differ)" if same_live else "–"
    s = f"{statistics.median(ratios):.2f}×"
    if len(ratios) > 1 and f"{min(ratios):.2f}" != f"{max(ratios):.2f}":
        s += f" ({min(ratios):.2f}–{max(ratios):.2f})"
    return s


def shards_text(r):
    if r["shards"] == 1:
        return f"{r['n']:,} sessions, 1 server process"
    sizes = " + ".join(f"{s:,}" for s in r["shard_sizes"])
    return f"{r['n']:,} sessions over {r['shards']} server processes ({sizes})"


def short_path(a):
    """A path inside the source tree, relative to it; anything else as is."""
    if a.startswith(SOURCE_ROOT + "/"):
        return os.path.relpath(a, SOURCE_ROOT)
    return a


def write_report(path, results, meta):
    args = argparse.Namespace(**meta["args"])
    argv, notes = meta["argv"], meta["notes"]
    kinds = [k for k in ("ghostview", "peerjs") if any(r["kind"] == k for r in results)]
    lines = []
    lines.append("# Signalling load: ghostview-signaling vs PeerJS server\n")
    lines.append("Produced by:\n")
    lines.append("```\n" + " ".join(shlex.quote(short_path(a)) for a in argv) + "\n```\n")
    lines.append(meta["machine"] + "\n")
    lines.append(
        f"Each figure: median over {args.runs} run(s), (min–max) when more than one; ratios "
        "are GhostView ÷ PeerJS per run, then the median. Sessions: host + viewer "
        f"connections; set-up = SDP offer/answer of {args.sdp_bytes} bytes and "
        f"{args.candidates} ICE candidates of {args.candidate_bytes} bytes each way. "
        "Relay: each session relays candidates host ⇄ viewer in a closed loop "
        f"(window {results[0].get('window')} per session), {args.relay_seconds} s measured "
        "after 1 s warm-up.\n")
    for n in args.sizes:
        by = {k: [r for r in results if r["kind"] == k and r["n"] == n] for k in kinds}
        if not any(by.values()):
            continue
        any_run = next(r for k in kinds for r in by[k])
        lines.append(f"\n## {n:,} concurrent sessions — {shards_text(any_run)}\n")
        head = "| metric | " + " | ".join(
            {"ghostview": "GhostView", "peerjs": "PeerJS"}[k] for k in kinds) + \
            (" | GhostView ÷ PeerJS |" if len(kinds) == 2 else " |")
        lines.append(head)
        lines.append("|---" * (len(kinds) + 1 + (1 if len(kinds) == 2 else 0)) + "|")

        def row(label, key, fmt, ratio=False, same_live=False):
            cells = [cell(by[k], key, fmt) for k in kinds]
            r = ""
            if len(kinds) == 2:
                r = " | " + (ratio_cell(by["ghostview"], by["peerjs"], key, same_live)
                             if ratio else "")
            lines.append(f"| {label} | " + " | ".join(cells) + r + " |")

        row("sessions live (of N)", "live", lambda v: f"{v:,.0f}")
        row("join → joined p50, ms (probe, N live)",
            lambda r: pct(r["probe_joined"], 50), fmt_ms)
        row("join → joined p99, ms (probe, N live)",
            lambda r: pct(r["probe_joined"], 99), fmt_ms)
        row("join → host SDP p50, ms (probe, N live)",
            lambda r: pct(r["probe_sdp"], 50), fmt_ms, True)
        row("join → host SDP p99, ms (probe, N live)",
            lambda r: pct(r["probe_sdp"], 99), fmt_ms, True)
        row("join → host SDP p50, ms (during ramp-up)",
            lambda r: pct(r["ramp_sdp"], 50), fmt_ms, True)
        row("join → host SDP p99, ms (during ramp-up)",
            lambda r: pct(r["ramp_sdp"], 99), fmt_ms, True)
        row("relay throughput, messages/s", "relay_rate", fmt_rate, True, True)
        row("server RSS idle, MB", "rss_idle", fmt_mb)
        row("server RSS, N sessions live, MB", "rss_live", fmt_mb, True, True)
        row("server RSS per live session, KB",
            lambda r: (r["rss_live"] - r["rss_idle"]) / r["live"] / 1e3 if r["live"] else None,
            lambda v: f"{v:.1f}", True)
        row("server peak RSS (VmHWM), MB", "hwm", fmt_mb, True, True)
        row("server CPU s, set-up of N sessions", "cpu_setup", lambda v: f"{v:.2f}", True, True)
        row("server CPU ms per session set up",
            lambda r: r["cpu_setup"] * 1e3 / r["live"] if r["live"] else None,
            lambda v: f"{v:.2f}", True)
        row("server CPU µs per relayed message", "server_us_per_msg",
            lambda v: f"{v:.1f}", True)
        row("server CPU during relay, cores", "server_cpu_relay", lambda v: f"{v:.2f}")
        row("load generator CPU during relay, cores", "generator_cpu_relay",
            lambda v: f"{v:.2f}")
        row("set-up wall time, s", "setup_s", lambda v: f"{v:.1f}")
        row("failed sessions / probes", lambda r: r["failed"] + r["probe_failed"],
            lambda v: f"{v:.0f}")
        if any(r["live"] < r["n"] for k in kinds for r in by[k]):
            lines.append(
                f"\n“sessions live” below {n:,}: set-up of the N sessions is bounded to "
                f"{args.setup_timeout} s (one load run must stay under ~2 minutes); a server "
                "that had not set up all N by then is measured with the sessions it had. "
                "RSS at N, extrapolated from the per-session figure: " + ", ".join(
                    f"{ {'ghostview': 'GhostView', 'peerjs': 'PeerJS'}[k]} "
                    + fmt_mb(median([r["rss_idle"] + (r["rss_live"] - r["rss_idle"]) * n
                                     / r["live"] for r in by[k] if r["live"]]))
                    + " MB" for k in kinds if any(r["live"] < n for r in by[k])) + ".")
    lines.append("\n## How it was run\n")
    for note in notes:
        lines.append(f"- {note}")
    gv = next((r for r in results if r["kind"] == "ghostview"), None)
    pj = next((r for r in results if r["kind"] == "peerjs"), None)
    if gv:
        lines.append("- GhostView server: `" + " ".join(
            shlex.quote(short_path(a))
            for a in gv["server_cmd"]) + "`")
    if pj:
        lines.append("- PeerJS server: `" + " ".join(
            shlex.quote(short_path(a))
            for a in pj["server_cmd"]) + "`")
    if gv:
        lines.append("- Load generator (one of several): `" + " ".join(
            shlex.quote(short_path(a))
            for a in gv["generator_cmd"]) + "`")
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    # Everything, raw latencies included: --report-from rewrites the table.
    with open(os.path.splitext(path)[0] + ".json", "w") as f:
        json.dump({"meta": meta, "results": results}, f)


# ---------------------------------------------------------------- main

def peerjs_available(args):
    if not args.node:
        return "node is not installed"
    if not os.path.isfile(os.path.join(HERE, "node_modules", "peer", "package.json")):
        return ("tests/bench/node_modules/peer is missing (run `npm ci` in tests/bench; "
                "package-lock.json pins it)")
    return None


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--build-dir", default=os.environ.get("GHOSTVIEW_BUILD_DIR",
                                                          os.path.join(SOURCE_ROOT, "build")))
    p.add_argument("--out", help="markdown file (default BUILD/bench/signaling-load.md)")
    p.add_argument("--sizes", default="1000,10000",
                   help="comma-separated session counts (default 1000,10000)")
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--servers", default="ghostview,peerjs")
    p.add_argument("--relay-seconds", type=float, default=5)
    p.add_argument("--probes", type=int, default=100,
                   help="probe sessions (join latency with N live), split over the servers")
    p.add_argument("--ramp-concurrency", type=int, default=8,
                   help="sessions being set up at once per server process (default 8: "
                   "ghostview-signaling listens with a backlog of 10)")
    p.add_argument("--sessions-per-generator", type=int, default=500,
                   help="sessions per generator process (a GLib main loop costs O(its "
                   "connections) per iteration, so the generators are kept small)")
    p.add_argument("--window", type=int, default=0, help="relay window per session (auto)")
    p.add_argument("--server-open-files", type=int, default=65536,
                   help="open files each server process gets where this process may raise its "
                        "hard limit (root with CAP_SYS_RESOURCE); else the hard limit")
    p.add_argument("--gv-arg", action="append", default=[],
                   help="one more argument for ghostview-signaling (repeat: --gv-arg=--io-threads "
                        "--gv-arg=8)")
    p.add_argument("--candidates", type=int, default=3)
    p.add_argument("--sdp-bytes", type=int, default=4096)
    p.add_argument("--candidate-bytes", type=int, default=100)
    p.add_argument("--setup-timeout", type=int, default=75,
                   help="set-up of the N sessions stops after this long; the figures are "
                   "then for the sessions that were set up (shown as 'sessions live')")
    p.add_argument("--run-timeout", type=float, default=115,
                   help="bound on one load run (one server kind at one size), seconds")
    p.add_argument("--smoke", action="store_true",
                   help="CI: 20 sessions, 1 run, ~seconds; checks the harness, not the numbers")
    p.add_argument("--node", default=shutil.which("node"))
    p.add_argument("--report-from", metavar="JSON",
                   help="run nothing: rewrite the markdown from a saved .json of a run")
    args = p.parse_args()
    if args.report_from:
        with open(args.report_from) as f:
            saved = json.load(f)
        out = args.out or os.path.splitext(args.report_from)[0] + ".md"
        write_report(out, saved["results"], saved["meta"])
        print(f"run-signaling-load: wrote {out}")
        return 0
    if args.smoke:
        args.sizes, args.runs, args.relay_seconds, args.probes = "20", 1, 1, 6
        args.setup_timeout, args.run_timeout = 30, 60
    args.sizes = [int(s) for s in args.sizes.split(",") if s]
    build_dir = os.path.abspath(args.build_dir)
    out = args.out or os.path.join(build_dir, "bench", "signaling-load.md")
    for exe in (os.path.join(build_dir, "signaling", "ghostview-signaling"),
                os.path.join(build_dir, "tests", "bench", "ghostview-signaling-loadgen")):
        if not os.access(exe, os.X_OK):
            print(f"run-signaling-load: {exe} is not built (ninja -C {build_dir})",
                  file=sys.stderr)
            return 2

    kinds = [k.strip() for k in args.servers.split(",") if k.strip()]
    notes = []
    if "peerjs" in kinds:
        why = peerjs_available(args)
        if why:
            print(f"run-signaling-load: PeerJS left out: {why}", flush=True)
            notes.append(f"PeerJS left out: {why}.")
            kinds.remove("peerjs")
        else:
            ver = json.load(open(os.path.join(HERE, "node_modules", "peer", "package.json")))
            nodever = subprocess.run([args.node, "--version"], capture_output=True,
                                     text=True).stdout.strip()
            notes.append(f"PeerJS: npm `peer` {ver['version']} on node {nodever}, started by "
                         "tests/bench/peerjs-server.mjs (the library's PeerServer, as its "
                         "`peerjs` command does, on 127.0.0.1, `concurrent_limit` raised to "
                         "the clients the run holds); the generator sends no HEARTBEAT, so "
                         "`alive_timeout` is 600 s.")
    fd_limit = server_file_limit(args)
    notes.append(
        f"Open files: {fd_limit:,} per server process ("
        + ("raised as root, as `LimitNOFILE=` in a unit file would" if fd_limit > HARD_FILE_LIMIT_AT_START
           else "the hard limit; soft raised to it") + "). A server holds "
        "2 sockets per session, so a size that needs more than "
        f"{(fd_limit - SPARE_FILES) // 2:,} sessions in one process runs as several server "
        "processes of equal share (both servers alike), each with its own generators; RSS "
        "and CPU are the sums over them (each process's idle baseline counted once per "
        "process), throughput the sum of concurrent relays. The generators are separate "
        f"processes of at most {args.sessions_per_generator:,} sessions each.")
    notes.append(
        "GhostView server rate-limit knobs for this run: `--create-rate 1000000` (every "
        "session is created from 127.0.0.1; the default 10 per IP per minute would refuse "
        "all but 10) and `--message-rate 1000000` (the relay phase measures the server, not "
        "its 50 msg/s per-connection anti-flood limit; PeerJS has no such limits). Both are "
        "refused in `--production` mode. The limiter code still runs for every message. "
        "`--max-connections-per-address 1000000`: every connection comes from 127.0.0.1 "
        "(default 64 per address).")
    notes.append(
        "Join latency: “join → joined” is GhostView's `join` sent → `joined` received "
        "(join → join-request to the host → accept → joined); “join → host SDP” is the "
        "viewer's first message → the host's SDP at the viewer (GhostView: join … offer; "
        "PeerJS, which has no PIN or admission: the viewer's OFFER → the host's ANSWER). "
        "Probes run one at a time from a generator process of their own while the N sessions "
        "stay live; ramp-up figures are for the N sessions while they were being set up "
        f"({args.ramp_concurrency} at a time per server process).")

    log_path = os.path.splitext(out)[0] + ".log"
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    results = []
    failures = []
    with open(log_path, "w") as log:
        for run in range(args.runs):
            for n in args.sizes:
                order = kinds if run % 2 == 0 else list(reversed(kinds))
                for kind in order:
                    print(f"run-signaling-load: run {run + 1}/{args.runs}, {n} sessions, {kind}",
                          flush=True)
                    log.write(f"--- run {run + 1}, {n} sessions, {kind}\n")
                    log.flush()
                    try:
                        r = load_run(kind, n, args, build_dir, log)
                    except BenchError as e:
                        print(f"run-signaling-load: {kind} at {n}: {e}", flush=True)
                        failures.append(f"{kind} at {n} sessions, run {run + 1}: {e}")
                        continue
                    r["run"] = run
                    results.append(r)
                    print(f"  live {r['live']}/{n}, probe join→SDP p50 "
                          f"{fmt_ms(pct(r['probe_sdp'], 50))} ms p99 "
                          f"{fmt_ms(pct(r['probe_sdp'], 99))} ms, relay "
                          f"{fmt_rate(r['relay_rate'])} msg/s, RSS {fmt_mb(r['rss_live'])} MB, "
                          f"{r['wall_s']:.0f} s", flush=True)
    for f in failures:
        notes.append(f"Failed run: {f}")
    if not results:
        print("run-signaling-load: no run completed; see " + log_path, file=sys.stderr)
        return 1
    load = os.getloadavg()
    machine = (
        f"Machine: {platform.node()} — {os.cpu_count()} cores, {platform.system()} "
        f"{platform.release()}, open files per process {sockets_per_process():,} "
        f"(hard limit); load average at the end {load[0]:.2f} / {load[1]:.2f} / "
        f"{load[2]:.2f}. **A shared, busy machine** (other builds and tests ran at the same "
        "time): absolute figures are noisy; compare the two servers within a run.")
    meta = {"argv": [sys.argv[0]] + sys.argv[1:], "args": vars(args), "notes": notes,
            "machine": machine}
    write_report(out, results, meta)
    print(f"run-signaling-load: wrote {out}")
    with open(out) as f:
        print(f.read())
    if args.smoke:
        # The harness must work; the numbers are not judged.
        bad = [r for r in results if r["live"] != r["n"] or not r["relay_messages"]
               or not r["probe_sdp"]]
        if failures or bad or not any(r["kind"] == "ghostview" for r in results):
            print("run-signaling-load: smoke failed: sessions not all set up, nothing relayed "
                  "or a run failed", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
