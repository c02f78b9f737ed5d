#!/usr/bin/env python3
"""`ghostview record` against a host-test session: SIGINT finalizes the file;
gst-discoverer-1.0 sees the expected codec and a duration within 10% of the
time recorded. The first argument picks the output: mkv (VP8 as sent, no
re-encoding) or mp4 (transcoded to H.264)."""
import os
import re
import sys
import time

import gvtest

RECORD_S = 6

kind = sys.argv[1] if len(sys.argv) > 1 else "mkv"
gvtest.need_ghostview()
gvtest.need_discoverer()
gvtest.need_elements("vp8enc", "matroskamux", "webrtcbin")
if kind == "mp4":
    gvtest.need_elements("x264enc", "mp4mux", "vp8dec")

out = os.path.join(gvtest.workdir(), f"session.{kind}")
host, url, pin = gvtest.start_host("--preset", "host-test", "--set", "WIDTH=320",
                                   "--set", "HEIGHT=240", "--set", "FPS=15")
rec = None
try:
    rec = gvtest.Process([gvtest.GHOSTVIEW, "record", "--server", url, "--pin", pin,
                          "--output", out], "record")
    m, started = rec.wait_for(r"video is flowing", 30)
    if not m:
        gvtest.fail("the recorder never started writing:\n" + rec.output())
    time.sleep(RECORD_S)
    stopped = rec.interrupt()
    rc = rec.wait(30)
    if rc != 0:
        gvtest.fail(f"ghostview record exited {rc} after SIGINT")
    if not rec.wait_for("saved " + re.escape(out), 1)[0]:
        gvtest.fail("no 'saved' line after SIGINT")
    codec, container = ("VP8", "Matroska") if kind == "mkv" else ("H.264", "Quicktime")
    gvtest.check_recording(out, container, codec, stopped - started)
finally:
    if rec:
        rec.kill()
    host.interrupt()
    host.wait(30)
print("PASS")
