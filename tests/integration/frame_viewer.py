#!/usr/bin/python3
"""A native GhostView viewer that says what its user would see, one JSON
line per event on stdout:

  {"event": "frames", "mono_s": T, "count": N}   frames shown in the last second
                                                 (fakesink sync=true: when they
                                                 would be on screen)
  {"event": "error", "mono_s": T, "message": ..} the pipeline's error (and exit 1)
  {"event": "warning", "mono_s": T, "message": ..}
  {"event": "eos", "mono_s": T}

    frame_viewer.py --server ws://HOST:PORT/ws --pin 123456 [--seconds 60] [--media-timeout S]

gvwebrtcsrc ! fakesink, as `ghostview view` runs it with another sink. Times
are CLOCK_MONOTONIC, which every network namespace shares."""
import argparse
import json
import sys
import time

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GLib", "2.0")
from gi.repository import GLib, Gst  # noqa: E402


def emit(event, **fields):
    print(json.dumps({"event": event, "mono_s": time.monotonic(), **fields}), flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--server", required=True)
    ap.add_argument("--pin", required=True)
    ap.add_argument("--seconds", type=int, default=60, help="exit after this long")
    ap.add_argument("--media-timeout", type=int, default=-1,
                    help="gvwebrtcsrc media-timeout (default: the element's)")
    args = ap.parse_args()
    Gst.init(None)
    timeout = f" media-timeout={args.media_timeout}" if args.media_timeout >= 0 else ""
    pipeline = Gst.parse_launch(f"gvwebrtcsrc signaller::server={args.server} pin={args.pin}"
                                f"{timeout} ! fakesink name=out sync=true signal-handoffs=true")
    frames = [0]
    pipeline.get_by_name("out").connect("handoff", lambda *_: frames.__setitem__(0, frames[0] + 1))
    loop = GLib.MainLoop()
    exit_code = [0]

    def every_second():
        emit("frames", count=frames[0])
        frames[0] = 0
        return True

    def on_message(_bus, msg):
        if msg.type == Gst.MessageType.ERROR:
            err, _debug = msg.parse_error()
            emit("error", message=err.message)
            exit_code[0] = 1
            loop.quit()
        elif msg.type == Gst.MessageType.WARNING:
            err, _debug = msg.parse_warning()
            emit("warning", message=err.message)
        elif msg.type == Gst.MessageType.EOS:
            emit("eos")
            loop.quit()
        elif msg.type == Gst.MessageType.LATENCY:
            pipeline.recalculate_latency()  # as the launcher does

    bus = pipeline.get_bus()
    bus.add_signal_watch()
    bus.connect("message", on_message)
    GLib.timeout_add(1000, every_second)
    GLib.timeout_add_seconds(args.seconds, loop.quit)
    if pipeline.set_state(Gst.State.PLAYING) == Gst.StateChangeReturn.FAILURE:
        emit("error", message="the pipeline cannot start")
        return 1
    loop.run()
    pipeline.set_state(Gst.State.NULL)
    return exit_code[0]


if __name__ == "__main__":
    sys.exit(main())
