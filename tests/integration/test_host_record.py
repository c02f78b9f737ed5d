#!/usr/bin/env python3
"""`ghostview host --output f.mp4` (preset host-record: a tee into
gvwebrtcsink and x264enc ! mp4mux): while a viewer is connected the host
records locally; after SIGINT the MP4 is finalized and playable, H.264, with
the duration recorded."""
import os
import time

import gvtest

VIEW_S = 5

gvtest.need_ghostview()
gvtest.need_discoverer()
gvtest.need_elements("vp8enc", "x264enc", "mp4mux", "matroskamux", "webrtcbin")

work = gvtest.workdir()
local = os.path.join(work, "host-local.mp4")
host, url, pin = gvtest.start_host("--source", "test", "--output", local, "--fps", "15",
                                   "--set", "RECORD_BITRATE=800")
viewer = None
try:
    m, host_started = host.wait_for(r"recording to ", 20)
    if not m:
        gvtest.fail("the host never started its local recording:\n" + host.output())
    # The viewer: a recorder, so the test also sees that the stream reached it.
    viewer_file = os.path.join(work, "viewer.mkv")
    viewer = gvtest.Process([gvtest.GHOSTVIEW, "record", "--server", url, "--pin", pin,
                             "--output", viewer_file], "viewer")
    if not host.wait_for(r"viewer joined", 30)[0]:
        gvtest.fail("the host never saw the viewer join:\n" + host.output())
    if not viewer.wait_for(r"recording to ", 30)[0]:
        gvtest.fail("no video reached the viewer:\n" + viewer.output())
    time.sleep(VIEW_S)
    stopped = host.interrupt()
    rc = host.wait(40)
    if rc != 0:
        gvtest.fail(f"ghostview host exited {rc} after SIGINT:\n" + host.output())
    gvtest.check_recording(local, "Quicktime", "H.264", stopped - host_started)
finally:
    if viewer:
        viewer.interrupt()
        viewer.wait(30)
    host.kill()
print("PASS")
