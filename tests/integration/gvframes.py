#!/usr/bin/env python3
"""A native viewer that counts the frames it decodes: gvwebrtcsrc joins the
session by PIN, every decoded frame reaches a fakesink. Every 100 ms it
prints `frames=N gap_ms=G`: N frames so far, and G the longest time without
a frame within those 100 ms (the silence before the first frame does not
count). The fault tests read these lines to see a stream that never froze.
Errors and warnings of the pipeline are printed as `ERROR:`/`WARNING:`.

    gvframes.py ws://127.0.0.1:PORT/ws PIN
"""
import sys
import threading
import time

import gi

gi.require_version("Gst", "1.0")
from gi.repository import GLib, Gst  # noqa: E402

REPORT_MS = 100


def main():
    server, pin = sys.argv[1], sys.argv[2]
    Gst.init(None)
    pipeline = Gst.parse_launch(
        f"gvwebrtcsrc signaller::server={server} pin={pin} latency=50 "
        "! fakesink name=sink sync=false signal-handoffs=true")
    lock = threading.Lock()
    state = {"frames": 0, "last": None, "gap": 0.0}

    def on_frame(*_):
        now = time.monotonic()
        with lock:
            if state["last"] is not None:
                state["gap"] = max(state["gap"], now - state["last"])
            state["last"] = now
            state["frames"] += 1

    pipeline.get_by_name("sink").connect("handoff", on_frame)
    loop = GLib.MainLoop()

    def report():
        now = time.monotonic()
        with lock:
            gap = state["gap"]
            if state["last"] is not None:
                # A freeze still going on: its length so far (a later line
                # shows it longer, or the frame that ended it).
                gap = max(gap, now - state["last"])
            frames = state["frames"]
            state["gap"] = 0.0
        print(f"frames={frames} gap_ms={int(gap * 1000)}", flush=True)
        return True

    def on_bus(_bus, msg):
        if msg.type == Gst.MessageType.ERROR:
            err, _ = msg.parse_error()
            print(f"ERROR: {err.message}", flush=True)
            loop.quit()
        elif msg.type == Gst.MessageType.WARNING:
            warn, _ = msg.parse_warning()
            print(f"WARNING: {warn.message}", flush=True)
        return True

    bus = pipeline.get_bus()
    bus.add_signal_watch()
    bus.connect("message", on_bus)
    GLib.timeout_add(REPORT_MS, report)
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, 2, lambda: loop.quit() or False)
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, 15, lambda: loop.quit() or False)
    pipeline.set_state(Gst.State.PLAYING)
    loop.run()
    pipeline.set_state(Gst.State.NULL)


if __name__ == "__main__":
    main()
