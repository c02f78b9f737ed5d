#!/usr/bin/env python3
"""Three signalling nodes joined through a real redis-server (issue 14,
item 1), with real processes: ghostview-signaling --redis on nodes a, b
and c, `ghostview host` on node a, native viewers (gvwebrtcsrc,
gvframes.py) and protocol clients on the other nodes.

- a node whose Redis cannot be reached does not start, and says why;
- the host's PIN is in Redis under its node; a viewer on node b joins it
  and decodes frames (its signalling crosses nodes through pub/sub);
- wrong PINs are counted by the whole cluster: 5 on node a and 5 on
  node b from one address, then the next is refused on node c;
- node a killed (SIGKILL): the host, given all three nodes, resumes on
  node b with the same PIN within 5 s; a new viewer joins through node c
  and decodes frames;
- Redis stopped: node c refuses a join for node b's session with a clear
  error and keeps its own sessions; Redis back: node c links again by
  itself and the join works."""
import asyncio
import os
import shutil
import signal
import subprocess
import sys
import time

import gvfault
import gvtest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "soak"))
import wsclient  # noqa: E402

FAILOVER_LIMIT_S = 5.0
GUESSER = "127.0.0.3"  # wrong PINs come from here, so the viewers' address stays clean

gvtest.need_ghostview()
gvfault.need_signaling()
gvtest.need_elements("vp8enc", "vp8dec", "webrtcbin", "videotestsrc")
REDIS = shutil.which("redis-server")
if not REDIS:
    gvtest.skip("redis-server is not installed (Debian: redis-server)")


def start_redis(port, work):
    proc = gvtest.Process([REDIS, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                           "--appendonly", "no", "--dir", work], "redis", echo=False)
    m, _ = proc.wait_for(r"Ready to accept connections", 15)
    if not m:
        proc.kill()
        gvtest.fail("redis-server did not start:\n" + proc.output())
    return proc


def redis_get(port, key):
    out = subprocess.run(["redis-cli", "-p", str(port), "GET", key], capture_output=True,
                         text=True, timeout=10)
    return out.stdout.strip()


async def one_join(port, pin, source="127.0.0.1"):
    """The first answer to a join by PIN through the node on `port`."""
    ws = await wsclient.WsClient.connect("127.0.0.1", port, source=source)
    try:
        ws.send({"type": "join", "version": 1, "pin": pin, "name": "probe"})
        return await ws.wait_for(lambda m: isinstance(m, dict) and
                                 m.get("type") in ("error", "waiting"), 10)
    finally:
        await ws.close()


def expect(proc, pattern, what, timeout=30):
    m, _ = proc.wait_for(pattern, timeout)
    if not m:
        gvtest.fail(f"{what}: no line matching {pattern!r} from {proc.name}:\n" + proc.output())
    return m


def expect_again(proc, pattern, what, times, timeout):
    """Waits until `pattern` has matched `times` lines of `proc`."""
    deadline = time.monotonic() + timeout
    while proc.count(pattern) < times:
        if time.monotonic() > deadline:
            gvtest.fail(f"{what}: {pattern!r} seen {proc.count(pattern)} times, not {times}, "
                        f"from {proc.name}:\n" + proc.output())
        time.sleep(0.1)


work = gvtest.workdir()
key_file = os.path.join(work, "session.key")
redis_port = gvfault.free_port()
redis_url = f"redis://127.0.0.1:{redis_port}/0"
ports = {n: gvfault.free_port() for n in "abc"}
urls = {n: f"ws://127.0.0.1:{p}/ws" for n, p in ports.items()}
procs = []


def start_node(name):
    node = gvfault.start_server(ports[name], "--redis", redis_url, "--node-id", name,
                                "--session-key-file", key_file, name=f"node-{name}")
    procs.append(node)
    expect(node, r"cluster: node \S+ is linked", f"node {name} links to Redis", 15)
    return node


try:
    # Redis not there yet: a clear error, and no node.
    lonely = gvtest.Process([gvfault.SIGNALING, "--bind", "127.0.0.1", "--port", "0",
                             "--redis", redis_url], "lonely")
    rc = lonely.wait(15)
    if rc == 0:
        gvtest.fail("a node started without its Redis")
    expect(lonely, rf"cannot reach Redis at {redis_url}", "the node says why it cannot start", 1)

    redis = start_redis(redis_port, work)
    procs.append(redis)
    nodes = {n: start_node(n) for n in "abc"}
    dup = gvtest.Process([gvfault.SIGNALING, "--bind", "127.0.0.1", "--port", "0", "--redis",
                          redis_url, "--node-id", "a"], "duplicate")
    if dup.wait(15) == 0:
        gvtest.fail("a second node named a started")
    expect(dup, r"another node named a is running", "a duplicate node name is refused", 1)

    # The host on node a, told of every node (a first).
    host, pin = gvfault.start_host(",".join(urls[n] for n in "abc"), "--set", "MAX_VIEWERS=4")
    procs.append(host)
    owner = redis_get(redis_port, f"gv:pin:{pin}")
    if not owner.startswith("a|"):
        gvtest.fail(f"PIN {pin} in Redis is {owner!r}, not node a's")
    print(f"PIN {pin} is node a's in Redis: {owner.split('|')[0]}", flush=True)

    # A viewer on node b: its signalling crosses to node a.
    viewer_b = gvfault.Viewer(urls["b"], pin, "viewer-b")
    procs.append(viewer_b)
    if not viewer_b.wait_frames(10, 40):
        gvtest.fail("the viewer on node b decoded no frames:\n" + viewer_b.messages() +
                    "\n" + host.output())
    print("a viewer on node b decodes the host on node a", flush=True)

    # Wrong PINs, 5 on a and 5 on b, one address: the 11th is refused, on c.
    wrong = "000000" if pin != "000000" else "000001"
    for i in range(10):
        m = asyncio.run(one_join(ports["a" if i < 5 else "b"], wrong, GUESSER))
        if not m or m.get("code") != "PIN_INVALID":
            gvtest.fail(f"wrong PIN {i + 1} answered {m}")
    time.sleep(0.5)  # the nodes' broadcasts of the last failures
    m = asyncio.run(one_join(ports["c"], wrong, GUESSER))
    if not m or m.get("code") != "RATE_LIMITED":
        gvtest.fail(f"the 11th wrong PIN from one address, on a third node, answered {m}: "
                    "the nodes do not count guesses together")
    print(f"11th wrong PIN across nodes: {m.get('code')}: {m.get('message')}", flush=True)

    # Node a killed: the host resumes on b with its PIN.
    kept_before = host.count("kept")
    killed = time.monotonic()
    nodes["a"].proc.send_signal(signal.SIGKILL)
    nodes["a"].proc.wait(10)
    back = None
    while time.monotonic() < killed + FAILOVER_LIMIT_S + 10 and back is None:
        kept = [(t, line) for t, line in host.lines if "kept" in line]
        if len(kept) > kept_before:
            back = kept[kept_before]
        time.sleep(0.05)
    if back is None:
        gvtest.fail("the host did not resume after its node was killed:\n" + host.output())
    took = back[0] - killed
    if pin not in back[1]:
        gvtest.fail(f"the host resumed with another PIN: {back[1]}")
    if took > FAILOVER_LIMIT_S:
        gvtest.fail(f"the host took {took:.1f} s to resume on another node "
                    f"(limit {FAILOVER_LIMIT_S} s)")
    owner = redis_get(redis_port, f"gv:pin:{pin}")
    print(f"node a killed: the host resumed in {took:.2f} s with PIN {pin}, now "
          f"{owner.split('|')[0]}'s", flush=True)
    if not owner.startswith("b|"):
        gvtest.fail(f"after the failover PIN {pin} in Redis is {owner!r}, not node b's")

    viewer_c = gvfault.Viewer(urls["c"], pin, "viewer-c")
    procs.append(viewer_c)
    if not viewer_c.wait_frames(10, 40):
        gvtest.fail("a new viewer on node c decoded no frames after the failover:\n" +
                    viewer_c.messages() + "\n" + host.output())
    print("a new viewer joined through node c after the failover and decodes frames",
          flush=True)

    # Redis stopped: cross-node joins refused, local sessions kept.
    redis.proc.send_signal(signal.SIGTERM)
    redis.proc.wait(10)
    expect(nodes["c"], r"cluster: lost Redis|cannot reach Redis", "node c notices Redis gone", 10)
    time.sleep(1.5)
    m = asyncio.run(one_join(ports["c"], pin))
    if not m or m.get("type") != "error" or "cannot reach the rest of its cluster" not in \
            m.get("message", ""):
        gvtest.fail(f"a cross-node join while Redis is down answered {m}")
    print(f"Redis down, cross-node join: {m.get('code')}: {m.get('message')}", flush=True)
    m = asyncio.run(one_join(ports["b"], pin))
    if not m or m.get("type") != "waiting":
        gvtest.fail(f"Redis down, a join on the session's own node answered {m}")
    print("Redis down, a join on the session's own node still waits for the host", flush=True)
    if viewer_c.proc.poll() is not None:
        gvtest.fail("viewer-c stopped while Redis was down:\n" + viewer_c.messages())
    since = viewer_c.frames()
    time.sleep(2)
    if viewer_c.frames() <= since:
        gvtest.fail("viewer-c's media stopped while Redis was down")

    redis = start_redis(redis_port, work)
    procs.append(redis)
    expect_again(nodes["c"], r"cluster: node c is linked", "node c links again by itself", 2, 15)
    expect_again(nodes["b"], r"cluster: node b is linked", "node b links again by itself", 2, 15)
    # Redis restarted empty: node b gives its sessions their PINs again.
    expect(nodes["b"], r"cluster: 1 sessions took their PINs again", "node b re-claims its PIN",
           10)
    if not redis_get(redis_port, f"gv:pin:{pin}").startswith("b|"):
        gvtest.fail(f"PIN {pin} is not node b's again after Redis came back")
    m = asyncio.run(one_join(ports["c"], pin))
    if not m or m.get("type") != "waiting":
        gvtest.fail(f"a cross-node join after Redis came back answered {m}")
    print("Redis back: the nodes linked again by themselves; node c reaches node b's session",
          flush=True)
finally:
    for proc in reversed(procs):
        proc.kill()
    shutil.rmtree(work, ignore_errors=True)
