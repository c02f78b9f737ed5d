#!/usr/bin/env python3
"""The clipboard with the launcher's presets (issue 13): `ghostview host
--allow clipboard` sharing Xvfb A and `ghostview view` (its default
pipeline, gvclipboard included) on Xvfb B, with xclip as the application on
each display: text copied on A is pasted on B, text and a PNG copied on B
are pasted on A, each said once on the viewer's terminal, and nothing
echoes back (the counts stay where the copies put them)."""
import os
import shutil
import struct
import subprocess
import time
import zlib

import gvtest

TIMEOUT = 30


def make_png(width, height):
    """A real RGB PNG (a gradient), made with zlib."""
    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data +
                struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff))
    rows = b"".join(b"\0" + bytes((x * 7 + y * 3) & 0xff for x in range(width * 3))
                    for y in range(height))
    return (b"\x89PNG\r\n\x1a\n" +
            chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)) +
            chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


PNG = make_png(64, 48)

gvtest.need_ghostview()
gvtest.need_elements("vp8enc", "vp8dec", "webrtcbin", "ximagesrc")
if not shutil.which("xclip"):
    gvtest.skip("xclip is not installed (Debian: xclip)")


def on(display):
    env = dict(os.environ)
    env["DISPLAY"] = display
    return env


def copy(display, data, target):
    """xclip owning CLIPBOARD of `display` until another client takes it."""
    proc = subprocess.Popen(["xclip", "-display", display, "-quiet", "-i", "-selection",
                             "clipboard", "-t", target], stdin=subprocess.PIPE,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    proc.stdin.write(data)
    proc.stdin.close()
    return proc


def paste(display, target):
    r = subprocess.run(["xclip", "-display", display, "-o", "-selection", "clipboard", "-t",
                        target], capture_output=True, timeout=10)
    return r.stdout if r.returncode == 0 else None


def pasted(display, data, target, timeout=TIMEOUT):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if paste(display, target) == data:
            return True
        time.sleep(0.05)
    return False


def expect(proc, pattern, what):
    m, _ = proc.wait_for(pattern, TIMEOUT)
    if not m:
        gvtest.fail(f"{what}: no line matching {pattern!r} from {proc.name}:\n" + proc.output())


xvfb_a, display_a = gvtest.start_xvfb("640x480x24")
xvfb_b, display_b = gvtest.start_xvfb("640x480x24")
host = viewer = None
xclips = []
try:
    host, url, pin = gvtest.start_host("--allow", "clipboard",
                                       "--set", "VIDEO_LAYERS=1", env=on(display_a))
    viewer = gvtest.Process([gvtest.GHOSTVIEW, "view", "--server", url, "--pin", pin,
                             "--set", "SINK=fakesink"], "viewer", env=on(display_b))
    expect(host, r"viewer joined: .* \(number 1\)$", "the viewer joined")
    expect(viewer, r"video is flowing", "the viewer plays")
    if viewer.count(r"Clipboard sharing is off") or host.count(r"Clipboard sharing is off"):
        gvtest.fail("clipboard sharing is off:\n" + host.output() + "\n" + viewer.output())

    # host -> viewer. The assistance channel opens a moment after the video:
    # a copy made before it is not sent, so copy again until one arrives.
    text = "copied on the host: Grüße ✓".encode()
    for attempt in range(3):
        xclips.append(copy(display_a, text + b" " * attempt, "UTF8_STRING"))
        if pasted(display_b, text + b" " * attempt, "UTF8_STRING", 5):
            break
    else:
        gvtest.fail("what the host copied never reached the viewer's display")
    received = attempt + 1 if attempt == 0 else None  # a lost early copy may land late
    expect(viewer, r"clipboard: text \(\d+ bytes\) the host copied is on this display",
           "the viewer says what it received")

    # viewer -> host: text, then a PNG
    text = "copied on the viewer: 世界 🙂\n\tsecond line".encode()
    xclips.append(copy(display_b, text, "UTF8_STRING"))
    if not pasted(display_a, text, "UTF8_STRING"):
        gvtest.fail("what the viewer copied never reached the host's display")
    xclips.append(copy(display_b, PNG, "image/png"))
    if not pasted(display_a, PNG, "image/png"):
        gvtest.fail("the PNG the viewer copied never reached the host's display")

    # No echo: B still has its own xclip's PNG a while later (had the host
    # sent it back, gvclipboard would own B's clipboard, not that xclip),
    # and each copy was said once.
    time.sleep(2.5)
    if xclips[-1].poll() is not None:
        gvtest.fail("the viewer's own copy was replaced on its display (an echo?)")
    if paste(display_b, "image/png") != PNG:
        gvtest.fail("the viewer's display lost its PNG")
    sent = viewer.count(r"clipboard: .* copied here sent to the host")
    got = viewer.count(r"clipboard: .* the host copied is on this display")
    if sent != 2 or (received is not None and got != received):
        gvtest.fail(f"the viewer sent {sent} (2 copied) and received {got} "
                    f"({received} copied on the host):\n" + viewer.output())
    print("text both ways and a PNG from the viewer crossed between the two displays")
finally:
    for proc in xclips:
        proc.kill()
        proc.wait()
    for proc in (viewer, host):
        if proc:
            proc.kill()
    for x in (xvfb_a, xvfb_b):
        x.kill()
        x.wait()
