#!/usr/bin/env python3
"""The network between a host and a native viewer cut for 10 s, both ways,
then restored: the viewer must show frames again by itself within
RECOVER_S, or end with an error message that says why; never sit on a
frozen picture with nothing said.

Real processes over a real emulated link: `ghostview host` (test pattern)
with its signalling server in a host network namespace, a native viewer
(frame_viewer.py: gvwebrtcsrc ! fakesink sync=true) in a viewer namespace,
and between them the network bench's gvnl-forwarder (tests/bench/network),
which drops every frame in both directions for exactly CUT_S. The
signalling WebSocket crosses the same link, so it is cut too. Root only
(network namespaces); skipped with the reason otherwise."""
import json
import os
import sys
import time

import gvtest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bench",
                                "network"))
import netlab  # noqa: E402

CUT_S = 10
RECOVER_S = 15     # after the restore: frames again, or an error
STEADY_FPS = 10    # of the host's 15: "frames again" means this many in one second
VIEWER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "frame_viewer.py")

gvtest.need_ghostview()
gvtest.need_elements("vp8enc", "webrtcbin", "fakesink")
reason = netlab.unavailable_reason()
if reason:
    gvtest.skip(reason)
forwarder = os.environ.get("GV_NETLAB_FORWARDER") or netlab.default_forwarder()
if not os.access(forwarder, os.X_OK):
    gvtest.skip(f"{forwarder} is not built")


def viewer_events(viewer):
    with viewer.cond:
        lines = [line for _, line in viewer.lines]
    return [json.loads(line) for line in lines if line.startswith("{")]


def frames_between(events, start, end):
    return [e for e in events if e["event"] == "frames" and start <= e["mono_s"] < end]


with netlab.Lab(forwarder) as lab:
    link = lab.links[0]
    host = gvtest.Process([netlab.IP, "netns", "exec", lab.host_ns, gvtest.GHOSTVIEW, "host",
                           "--port", "0", "--preset", "host-test", "--set", "WIDTH=320",
                           "--set", "HEIGHT=240", "--set", "FPS=15"], "host")
    viewer = None
    try:
        m, _ = host.wait_for(r"listening on http://[^:]+:(\d+)", 20)
        if not m:
            gvtest.fail("the host started no server:\n" + host.output())
        port = m.group(1)
        m, _ = host.wait_for(r"PIN: (\d{6})", 30)
        if not m:
            gvtest.fail("the host printed no PIN:\n" + host.output())
        pin = m.group(1)
        viewer = gvtest.Process([netlab.IP, "netns", "exec", link.viewer_ns, "/usr/bin/python3",
                                 VIEWER, "--server", f"ws://{link.host_ip}:{port}/ws",
                                 "--pin", pin, "--seconds", "90"], "viewer")
        if not viewer.wait_for(r'"count": ([1-9]\d)', 30)[0]:
            gvtest.fail("the viewer never got steady video before the cut")
        time.sleep(2)

        cut_at = time.monotonic()
        link.schedule("both", [(CUT_S, {"loss": 100}), (0, {"loss": 0})])
        restored_at = cut_at + CUT_S
        deadline = restored_at + RECOVER_S
        recovered_at = ended = None
        while time.monotonic() < deadline and not recovered_at and not ended:
            time.sleep(0.5)
            events = viewer_events(viewer)
            ended = next((e for e in events if e["event"] in ("error", "eos")), None)
            again = [e for e in frames_between(events, restored_at, deadline)
                     if e["count"] >= STEADY_FPS]
            if again:
                recovered_at = again[0]["mono_s"]
        events = viewer_events(viewer)
        during = frames_between(events, cut_at + 2, restored_at)
        shown = sum(e["count"] for e in during)
        stats = link.stats()
        print(f"during the cut: {shown} frames shown over {len(during)} s; the link dropped "
              f"{stats['down']['lost_random']} frames down, {stats['up']['lost_random']} up",
              flush=True)
        if shown > 2:
            gvtest.fail(f"{shown} frames came through a cut link: the cut did not cut")
        if recovered_at:
            print(f"PASS: frames again {recovered_at - restored_at:.1f} s after the restore "
                  f"(bound {RECOVER_S} s), by themselves", flush=True)
        elif ended and ended.get("message"):
            print(f"PASS: the viewer ended with a message: {ended['message']}", flush=True)
        elif ended:
            gvtest.fail("the viewer ended without saying why")
        else:
            gvtest.fail(f"no frame and no message {RECOVER_S} s after the network came back: "
                        "the viewer hangs on a frozen picture")
    finally:
        if viewer:
            viewer.kill()
        host.interrupt()
        try:
            host.proc.wait(20)
        except Exception:
            host.kill()
