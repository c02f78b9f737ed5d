#!/usr/bin/env python3
"""The network between a host and a native viewer cut, both ways: the
viewer must never sit on a frozen picture with nothing said.

1. Cut for 10 s, then restored: the viewer says within WARN_S that the
   video stopped, and shows frames again by itself within RECOVER_S of the
   restore (or ends with an error that says why).
2. Cut for longer than the viewer waits (gvwebrtcsrc media-timeout, 12 s
   here to keep the test short; 30 s by default): the viewer ends by itself
   with an error that says the network is down, within the timeout plus a
   little.

Real processes over a real emulated link: `ghostview host` (test pattern)
with its signalling server in a host network namespace, native viewers
(frame_viewer.py: gvwebrtcsrc ! fakesink sync=true) in a viewer namespace,
and between them the network bench's gvnl-forwarder (tests/bench/network),
which drops every frame in both directions for exactly as long as asked.
The signalling WebSocket crosses the same link, so it is cut too. Root
only (network namespaces); skipped with the reason otherwise."""
import json
import os
import sys
import time

import gvtest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bench",
                                "network"))
import netlab  # noqa: E402

CUT_S = 10
WARN_S = 7         # the viewer says the video stopped (gvwebrtcsrc: after 5 s)
RECOVER_S = 15     # after the restore: frames again, or an error
STEADY_FPS = 10    # of the host's 15: "frames again" means this many in one second
LONG_CUT_S = 25
MEDIA_TIMEOUT_S = 12
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


def first(events, kind, start, text=""):
    return next((e for e in events if e["event"] == kind and e["mono_s"] >= start
                 and text in e.get("message", "")), None)


def start_viewer(lab, link, port, pin, name, *extra):
    viewer = gvtest.Process([netlab.IP, "netns", "exec", link.viewer_ns, "/usr/bin/python3",
                             VIEWER, "--server", f"ws://{link.host_ip}:{port}/ws", "--pin", pin,
                             "--seconds", "90", *extra], name)
    if not viewer.wait_for(r'"count": ([1-9]\d)', 30)[0]:
        gvtest.fail(f"{name} never got steady video before the cut")
    time.sleep(2)
    return viewer


def check_warned(viewer, cut_at):
    warned = first(viewer_events(viewer), "warning", cut_at, "No video from the host")
    if not warned or warned["mono_s"] > cut_at + WARN_S:
        gvtest.fail(f"{viewer.name} did not say within {WARN_S} s that the video stopped")
    print(f"{viewer.name} said after {warned['mono_s'] - cut_at:.1f} s: {warned['message']}",
          flush=True)


def short_cut(link, viewer):
    """Cut for CUT_S, restore: frames again by themselves (or an error)."""
    cut_at = time.monotonic()
    link.schedule("both", [(CUT_S, {"loss": 100}), (0, {"loss": 0})])
    restored_at = cut_at + CUT_S
    deadline = restored_at + RECOVER_S
    recovered_at = ended = None
    while time.monotonic() < deadline and not recovered_at and not ended:
        time.sleep(0.5)
        events = viewer_events(viewer)
        ended = first(events, "error", cut_at) or first(events, "eos", cut_at)
        again = [e for e in frames_between(events, restored_at, deadline)
                 if e["count"] >= STEADY_FPS]
        if again:
            recovered_at = again[0]["mono_s"]
    events = viewer_events(viewer)
    during = frames_between(events, cut_at + 2, restored_at)
    shown = sum(e["count"] for e in during)
    stats = link.stats()
    print(f"during the {CUT_S} s cut: {shown} frames shown over {len(during)} s; the link "
          f"dropped {stats['down']['lost_random']} frames down, {stats['up']['lost_random']} up",
          flush=True)
    if shown > 2:
        gvtest.fail(f"{shown} frames came through a cut link: the cut did not cut")
    check_warned(viewer, cut_at)
    if recovered_at:
        print(f"frames again {recovered_at - restored_at:.1f} s after the restore "
              f"(bound {RECOVER_S} s), by themselves", flush=True)
    elif ended and ended.get("message"):
        print(f"the viewer ended with a message: {ended['message']}", flush=True)
    elif ended:
        gvtest.fail("the viewer ended without saying why")
    else:
        gvtest.fail(f"no frame and no message {RECOVER_S} s after the network came back: "
                    "the viewer hangs on a frozen picture")


def long_cut(link, viewer):
    """Cut for longer than the viewer waits: it ends by itself, saying why."""
    cut_at = time.monotonic()
    link.schedule("both", [(LONG_CUT_S, {"loss": 100}), (0, {"loss": 0})])
    bound = MEDIA_TIMEOUT_S + 5
    try:
        rc = viewer.proc.wait(bound)
    except Exception:
        gvtest.fail(f"the viewer still waits {bound} s into a {LONG_CUT_S} s cut "
                    f"(media-timeout {MEDIA_TIMEOUT_S} s): a frozen picture")
    ended_at = time.monotonic()
    viewer.reader.join(5)
    check_warned(viewer, cut_at)
    error = first(viewer_events(viewer), "error", cut_at)
    if rc == 0 or not error or "No video from the host" not in error["message"]:
        gvtest.fail(f"the viewer ended (exit {rc}) without an error saying why:\n"
                    + viewer.output())
    print(f"{ended_at - cut_at:.1f} s into the cut the viewer ended (exit {rc}): "
          f"{error['message']}", flush=True)


with netlab.Lab(forwarder) as lab:
    link = lab.links[0]
    # Two uses of the PIN: one viewer per scenario.
    host = gvtest.Process([netlab.IP, "netns", "exec", lab.host_ns, gvtest.GHOSTVIEW, "host",
                           "--port", "0", "--preset", "host-test", "--set", "WIDTH=320",
                           "--set", "HEIGHT=240", "--set", "FPS=15", "--set", "MAX_VIEWERS=2"],
                          "host")
    viewers = []
    try:
        m, _ = host.wait_for(r"listening on http://[^:]+:(\d+)", 20)
        if not m:
            gvtest.fail("the host started no server:\n" + host.output())
        port = m.group(1)
        m, _ = host.wait_for(r"PIN: (\d{6})", 30)
        if not m:
            gvtest.fail("the host printed no PIN:\n" + host.output())
        pin = m.group(1)

        viewers.append(start_viewer(lab, link, port, pin, "viewer1"))
        short_cut(link, viewers[-1])
        viewers[-1].kill()

        viewers.append(start_viewer(lab, link, port, pin, "viewer2",
                                    "--media-timeout", str(MEDIA_TIMEOUT_S)))
        long_cut(link, viewers[-1])
    finally:
        for viewer in viewers:
            viewer.kill()
        host.interrupt()
        try:
            host.proc.wait(20)
        except Exception:
            host.kill()
print("PASS")
