#!/usr/bin/env python3
"""Files with the launcher (issue 13): `ghostview host --allow file
--download-dir A` and `ghostview view --download-dir B`, both typing:
the viewer's `/send FILE` lands in A and the host's `/send 1 FILE` in B,
each whole (SHA-256 compared) and said on both terminals; after `/revoke
1 file` the viewer's next file is refused, both terminals say so, and
nothing more lands in A."""
import hashlib
import os
import time

import gvtest

TIMEOUT = 30

gvtest.need_ghostview()
gvtest.need_elements("vp8enc", "vp8dec", "webrtcbin")

work = gvtest.workdir()
host_dir = os.path.join(work, "at-host")
viewer_dir = os.path.join(work, "at-viewer")


def make(name, size):
    path = os.path.join(work, name)
    with open(path, "wb") as f:
        f.write(os.urandom(size))
    return path


def sha(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def expect(proc, pattern, what):
    m, _ = proc.wait_for(pattern, TIMEOUT)
    if not m:
        gvtest.fail(f"{what}: no line matching {pattern!r} from {proc.name}:\n" + proc.output())
    return m


host, url, pin = gvtest.start_host("--preset", "host-test", "--set", "WIDTH=320",
                                   "--set", "HEIGHT=240", "--set", "FPS=15",
                                   "--allow", "file", "--download-dir", host_dir, stdin=True)
viewer = None
try:
    viewer = gvtest.Process([gvtest.GHOSTVIEW, "view", "--server", url, "--pin", pin,
                             "--download-dir", viewer_dir, "--set", "SINK=fakesink"],
                            "viewer", stdin=True)
    expect(host, r"viewer joined: .* \(number 1\)$", "the viewer joined")
    expect(viewer, r"video is flowing", "the viewer plays")

    up = make("report final.pdf", 3 * 1024 * 1024 + 5)
    viewer.send_line(f"/send {up}")
    expect(host, r"saved .*report final\.pdf \(3\.0 MiB, SHA-256 checked\)", "the host saved it")
    expect(viewer, r"report final\.pdf delivered to the host", "the viewer was told")
    if sha(os.path.join(host_dir, "report final.pdf")) != sha(up):
        gvtest.fail("the host's copy differs")

    down = make("fix.sh", 200 * 1024)
    host.send_line(f"/send 1 {down}")
    expect(viewer, r"saved .*fix\.sh", "the viewer saved it")
    expect(host, r"fix\.sh delivered to ", "the host was told")
    if sha(os.path.join(viewer_dir, "fix.sh")) != sha(down):
        gvtest.fail("the viewer's copy differs")

    host.send_line("/revoke 1 file")
    expect(host, r"viewer 1 .* now has: view$", "/revoke file")
    time.sleep(0.5)
    nope = make("nope.bin", 1000)
    viewer.send_line(f"/send {nope}")
    expect(viewer, r"file .*nope\.bin to the host failed: The host has not allowed file transfer",
           "the refusal shown to the viewer")
    expect(host, r"file nope\.bin from .* failed", "the refusal shown to the host")
    if sorted(os.listdir(host_dir)) != ["report final.pdf"]:
        gvtest.fail(f"more landed at the host: {os.listdir(host_dir)}")
finally:
    if viewer:
        viewer.kill()
    host.kill()
print("PASS")
