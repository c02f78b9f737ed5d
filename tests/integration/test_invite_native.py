#!/usr/bin/env python3
"""Invite links with the launcher (issue 13): `ghostview host --invite view`
prints a link; `ghostview record --invite-link URL` joins with it (no PIN)
and writes a playable file; the single-use link opened again by `ghostview
view` is refused with the server's sentence and a non-zero exit; --pin and
--invite-link together, and something that is not a link, are usage
errors."""
import os
import subprocess
import time

import gvtest

RECORD_S = 4

gvtest.need_ghostview()
gvtest.need_discoverer()
gvtest.need_elements("vp8enc", "matroskamux", "webrtcbin")

work = gvtest.workdir()
host, url, pin = gvtest.start_host("--source", "test", "--fps", "15", "--invite", "view")
recorder = None
try:
    if not host.wait_for(r"Invite link \(view only, 1 viewer, no PIN needed\):", 20)[0]:
        gvtest.fail("the host printed no invite link:\n" + host.output())
    m, _ = host.wait_for(r"(http://\S+/\?invite=i1\.\S+)", 5)
    if not m:
        gvtest.fail("the invite link's URL is missing:\n" + host.output())
    link = m.group(1)

    out = os.path.join(work, "invited.mkv")
    recorder = gvtest.Process([gvtest.GHOSTVIEW, "record", "--server", url, "--invite-link", link,
                               "--output", out], "recorder")
    if not recorder.wait_for(r"recording to ", 30)[0]:
        gvtest.fail("the invited recorder got no video:\n" + recorder.output() + host.output())
    started = time.monotonic()
    time.sleep(RECORD_S)
    stopped = recorder.interrupt()
    if recorder.wait(30) != 0:
        gvtest.fail("ghostview record exited non-zero:\n" + recorder.output())
    recorder = None
    gvtest.check_recording(out, "Matroska", "VP8", stopped - started, tolerance=0.35)

    # The link was for one viewer: used.
    again = subprocess.run([gvtest.GHOSTVIEW, "view", "--server", url, "--invite-link", link,
                            "--set", "SINK=fakesink"], capture_output=True, text=True, timeout=30)
    print(again.stdout + again.stderr, flush=True)
    if again.returncode == 0 or "already been used" not in again.stdout + again.stderr:
        gvtest.fail(f"a used link was not refused (exit {again.returncode})")

    for args, why in ((["--pin", pin, "--invite-link", link], "not both"),
                      (["--invite-link", "http://example.com/?invite=<script>"], "not an invite link")):
        bad = subprocess.run([gvtest.GHOSTVIEW, "view", "--server", url, *args],
                             capture_output=True, text=True, timeout=30)
        print(bad.stdout + bad.stderr, flush=True)
        if bad.returncode != 2 or why not in bad.stderr:
            gvtest.fail(f"{args}: expected a usage error saying '{why}' (exit {bad.returncode})")
finally:
    if recorder:
        recorder.kill()
    host.kill()
print("PASS")
