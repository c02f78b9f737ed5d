#!/usr/bin/env python3
"""Signalling cluster benchmark (issue 14, item 1): join latency and relay
rate across the nodes of a `--redis` cluster, side by side with one node on
its own, in one run; and how long a host takes to resume its session (same
PIN) on another node after its node is killed.

Configurations, interleaved in each repetition so the shared machine's
noise hits them alike:
  single        one ghostview-signaling, no Redis
  cluster-local three nodes and a real redis-server; hosts and viewers on
                node a (what a cluster costs a join that stays on one node)
  cluster-cross the same three nodes; hosts on node a, viewers on node b:
                every join looks its PIN up in Redis and every message
                between host and viewer crosses through Redis pub/sub

Per configuration: N live sessions set up (ghostview-signaling-loadgen),
then probe sessions one at a time while they stay live (join -> joined,
join -> the host's SDP offer at the viewer), then a steady relay of ICE
candidates between every host and viewer (messages/s), and the nodes' RSS.

Failover: `ghostview host --preset host-test` given nodes a and b, node a
killed with SIGKILL; the time from the kill until the host prints that it
kept its PIN (its first retry goes to node b after 0.5 s).

    /usr/bin/python3 tests/bench/run-cluster-bench.py --build-dir build \\
        [--sessions 1000] [--probes 200] [--reps 3] [--failover-reps 3]
"""
import argparse
import importlib.util
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location("signaling_load",
                                               os.path.join(HERE, "run-signaling-load.py"))
load = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(load)

CONFIGS = ["single", "cluster-local", "cluster-cross"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_line(path, text, proc, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise load.BenchError(f"{proc.args[0]} exited (code {proc.returncode}); see {path}")
        with open(path, errors="replace") as f:
            if text in f.read():
                return
        time.sleep(0.05)
    raise load.BenchError(f"no {text!r} in {path} within {timeout} s")


class Cluster:
    """A redis-server and signalling nodes, each logging to its own file."""

    def __init__(self, build_dir, work, redis, names):
        self.work = work
        self.procs = []
        self.urls = {}
        self.pids = {}
        self.redis_url = None
        if redis:
            port = free_port()
            self.redis_url = f"redis://127.0.0.1:{port}/0"
            log = os.path.join(work, f"redis-{port}.log")
            p = subprocess.Popen([redis, "--port", str(port), "--bind", "127.0.0.1", "--save",
                                  "", "--appendonly", "no", "--dir", work],
                                 stdout=open(log, "w"), stderr=subprocess.STDOUT)
            self.procs.append(p)
            wait_line(log, "Ready to accept connections", p, 15)
        for name in names:
            self.start_node(build_dir, name)

    def start_node(self, build_dir, name):
        port = free_port()
        log = os.path.join(self.work, f"node-{name}-{port}.log")
        cmd = [os.path.join(build_dir, "signaling", "ghostview-signaling"), "--bind",
               "127.0.0.1", "--port", str(port), "--session-key-file",
               os.path.join(self.work, "session.key")] + load.GV_BENCH_KNOBS
        if self.redis_url:
            cmd += ["--redis", self.redis_url, "--node-id", name]
        p = subprocess.Popen(cmd, stdout=open(log, "w"), stderr=subprocess.STDOUT)
        self.procs.append(p)
        wait_line(log, "is linked" if self.redis_url else "listening on", p, 15)
        self.urls[name] = f"ws://127.0.0.1:{port}/ws"
        self.pids[name] = p

    def rss_mb(self):
        return sum(load.proc_status(p.pid).get("VmRSS", 0) for p in self.pids.values()) / 2**20

    def stop(self):
        for p in reversed(self.procs):
            load.stop(p)


def pct(values, q):
    if not values:
        return float("nan")
    v = sorted(values)
    return v[min(len(v) - 1, int(round(q / 100 * (len(v) - 1))))]


def generator(build_dir, url, viewer_url, sessions, log):
    cmd = [os.path.join(build_dir, "tests", "bench", "ghostview-signaling-loadgen"),
           "--url", url, "--sessions", str(sessions), "--concurrency", "16",
           "--setup-timeout", "90"]
    if viewer_url:
        cmd += ["--viewer-url", viewer_url]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stdin=subprocess.PIPE, stderr=log)
    return proc, load.LineReader(proc, "generator")


def load_run(config, args, redis, work, log):
    cluster = Cluster(args.build_dir, work, redis if config != "single" else None,
                      ["a"] if config == "single" else ["a", "b", "c"])
    gens = []
    try:
        viewer = cluster.urls["b"] if config == "cluster-cross" else None
        gen, reader = generator(args.build_dir, cluster.urls["a"], viewer, args.sessions, log)
        prober, preader = generator(args.build_dir, cluster.urls["a"], viewer, 0, log)
        gens += [gen, prober]
        deadline = time.monotonic() + 120
        ready = reader.read_json(deadline, "ready")
        preader.read_json(deadline, "ready")
        load.send(prober, f"probe {args.probes}")
        probes = preader.read_json(deadline, "probe")
        load.send(gen, f"relay {args.relay_seconds}")
        relay = reader.read_json(deadline + args.relay_seconds, "relay")
        return {"config": config, "live": ready["live"], "failed": ready["failed"],
                "probe_failed": probes.get("failed", 0),
                "joined": probes["join_joined_ms"]["all"] if probes.get("join_joined_ms") else [],
                "sdp": probes["join_sdp_ms"]["all"] if probes.get("join_sdp_ms") else [],
                "relay_rate": relay["rate"], "rss_mb": cluster.rss_mb()}
    finally:
        for g in gens:
            if g.poll() is None:
                try:
                    load.send(g, "quit")
                except BrokenPipeError:
                    pass
            load.stop(g)
        cluster.stop()


def failover_run(args, redis, work, rep):
    cluster = Cluster(args.build_dir, work, redis, [f"a{rep}", f"b{rep}"])
    host = None
    try:
        env = dict(os.environ, GST_PLUGIN_PATH_1_0=os.path.join(args.build_dir, "plugins"))
        host = subprocess.Popen([os.path.join(args.build_dir, "tools", "ghostview"), "host",
                                 "--server", f"{cluster.urls[f'a{rep}']},{cluster.urls[f'b{rep}']}",
                                 "--preset", "host-test", "--fps", "15", "--set", "WIDTH=320",
                                 "--set", "HEIGHT=240"],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                bufsize=1, env=env)
        reader = load.LineReader(host, "host")
        deadline = time.monotonic() + 30
        pin = None
        while pin is None:
            line = reader.read_line(deadline)
            if "PIN: " in line:
                pin = line.split("PIN: ")[1].split()[0]
        time.sleep(1.0)
        killed = time.monotonic()
        cluster.pids[f"a{rep}"].send_signal(signal.SIGKILL)
        while True:
            line = reader.read_line(killed + 20)
            if "kept" in line:
                took = time.monotonic() - killed
                if pin not in line:
                    raise load.BenchError(f"the host resumed without its PIN: {line}")
                return took
    finally:
        if host:
            load.stop(host)
        cluster.stop()


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--build-dir", default=os.environ.get("GHOSTVIEW_BUILD_DIR", "build"))
    p.add_argument("--sessions", type=int, default=1000)
    p.add_argument("--probes", type=int, default=200)
    p.add_argument("--relay-seconds", type=float, default=5)
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--failover-reps", type=int, default=3)
    p.add_argument("--out", help="markdown file (default BUILD/bench/cluster.md)")
    args = p.parse_args()
    args.build_dir = os.path.abspath(args.build_dir)
    redis = shutil.which("redis-server")
    if not redis:
        print("SKIP: redis-server is not installed (Debian: redis-server)")
        return 77
    out = args.out or os.path.join(args.build_dir, "bench", "cluster.md")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    work = tempfile.mkdtemp(prefix="gv-cluster-bench-")
    log = open(os.path.join(work, "generators.log"), "w")
    runs = {c: [] for c in CONFIGS}
    failovers = []
    try:
        for rep in range(args.reps):
            for config in CONFIGS:
                r = load_run(config, args, redis, work, log)
                runs[config].append(r)
                print(f"rep {rep + 1} {config}: live {r['live']}/{args.sessions}, join->joined "
                      f"p50 {pct(r['joined'], 50):.2f} p99 {pct(r['joined'], 99):.2f} ms, "
                      f"relay {r['relay_rate']:.0f} msg/s, RSS {r['rss_mb']:.1f} MB", flush=True)
        for rep in range(args.failover_reps):
            took = failover_run(args, redis, work, rep)
            failovers.append(took)
            print(f"failover {rep + 1}: the host kept its PIN on another node {took:.2f} s "
                  "after its node was killed", flush=True)
    except load.BenchError as e:
        print(f"FAIL: {e} (logs in {work})")
        return 1
    lines = [f"# Signalling cluster, {args.sessions} live sessions, {args.probes} probe joins, "
             f"{args.reps} repetitions (pooled)", "",
             "| configuration | live | join→joined p50 | p99 | join→offer p50 | p99 | relay msg/s "
             "(median) | RSS of all nodes |",
             "|---|---|---|---|---|---|---|---|"]
    for config in CONFIGS:
        rs = runs[config]
        joined = [x for r in rs for x in r["joined"]]
        sdp = [x for r in rs for x in r["sdp"]]
        lines.append(
            f"| {config} | {min(r['live'] for r in rs)} | {pct(joined, 50):.2f} ms | "
            f"{pct(joined, 99):.2f} ms | {pct(sdp, 50):.2f} ms | {pct(sdp, 99):.2f} ms | "
            f"{statistics.median(r['relay_rate'] for r in rs):.0f} | "
            f"{statistics.median(r['rss_mb'] for r in rs):.1f} MB |")
    if failovers:
        lines += ["", f"Failover (node killed → host kept its PIN on another node), "
                      f"{len(failovers)} runs: " +
                  ", ".join(f"{t:.2f} s" for t in failovers)]
    lines += ["", "Command: `/usr/bin/python3 tests/bench/run-cluster-bench.py --build-dir build "
                  f"--sessions {args.sessions} --probes {args.probes} --reps {args.reps} "
                  f"--failover-reps {args.failover_reps}`"]
    with open(out, "w") as f:
        f.write("\n".join(lines) + "\n")
    with open(out.replace(".md", ".json"), "w") as f:
        json.dump({"runs": runs, "failovers": failovers}, f)
    print("\n".join(lines))
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
