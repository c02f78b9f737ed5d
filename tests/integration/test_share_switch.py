#!/usr/bin/env python3
"""Switching what is shared while the session runs (issue 15, item 1), with
real processes on a real X server (Xvfb): `ghostview host --allow source`
sharing display:0, two windows on it, and two `ghostview view` receivers.

- a viewer is told what is shared when it joins;
- the host's /sources lists the screen, the display and both windows;
  /share window:ID switches: the host says so, both viewers are told, and
  their decoded picture becomes the window's size (same PIN, no rejoin);
- a viewer with `source` lists the sources (/sources) and picks another
  window (/share): every viewer's picture follows, the host names who
  picked it; a viewer without `source` is refused, with the reason shown;
- the shared window grows: the picture follows; moved half off the
  screen, its visible part is shared and the host is warned;
- the shared window closes: its display comes back, every viewer is told
  why, and the picture is the display's size again;
- mistakes (/share of nothing there) get a clear line, never a crash;
- `--allow-resize`: a viewer with control resizes the (virtual) display to
  its window with /resize, every picture follows; one without is refused."""
import os
import re
import shutil
import subprocess
import time

import gvtest

gvtest.need_ghostview()
gvtest.need_elements("vp8enc", "vp8dec", "webrtcbin", "ximagesrc")
if not shutil.which("xmessage") or not shutil.which("xdotool"):
    gvtest.skip("xmessage and xdotool are needed (Debian: x11-utils, xdotool)")

TIMEOUT = 20


def expect(proc, pattern, what):
    m, _ = proc.wait_for(pattern, TIMEOUT)
    if not m:
        gvtest.fail(f"{what}: no line matching {pattern!r} from {proc.name}:\n" + proc.output())
    return m


def expect_nth(proc, pattern, n, what):
    deadline = time.monotonic() + TIMEOUT
    while proc.count(pattern) < n:
        if time.monotonic() > deadline:
            gvtest.fail(f"{what}: {proc.count(pattern)} lines matching {pattern!r} from "
                        f"{proc.name}, not {n}:\n" + proc.output())
        time.sleep(0.05)


def open_window(title, geometry):
    """An xmessage window; returns (process, "window:0x..") once mapped."""
    proc = subprocess.Popen(["xmessage", "-title", title, "-geometry", geometry, title],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        found = subprocess.run(["xdotool", "search", "--name", f"^{title}$"],
                               capture_output=True, text=True).stdout.split()
        if found:
            return proc, f"window:{int(found[0]):#x}"
        time.sleep(0.05)
    proc.kill()
    gvtest.fail(f"the window {title!r} never appeared")


xvfb, display = gvtest.start_xvfb("1024x768x24")
env = dict(os.environ, DISPLAY=display)
os.environ["DISPLAY"] = display
notes, notes_id = open_window("GhostView notes", "400x200+40+40")
log, log_id = open_window("GhostView log", "320x160+600+500")
host = helper = watcher = None
try:
    host, url, pin = gvtest.start_host("--source", "display:0", "--allow", "source,control",
                                       "--allow-resize",
                                       "--set", "MAX_VIEWERS=2",
                                       stdin=True, env=env)
    expect(host, r"Viewers get: view, control, source", "banner")

    helper = gvtest.Process([gvtest.GHOSTVIEW, "view", "--server", url, "--pin", pin,
                             "--set", "SINK=fakesink", "--set", "AUDIO_SINK=fakesink"],
                            "helper", stdin=True, env=env)
    expect(host, r"viewer joined: .* \(number 1\)$", "the first viewer joined")
    expect(helper, r"picture: 1024x768$", "the first viewer sees the display")
    expect(helper, r"the host now shares screen \(display:0, 1024x768\)$",
           "a viewer is told what is shared when it joins")

    # The host lists and switches; the viewer is told and its picture follows.
    host.send_line("/sources")
    expect(host, r"^  \* display:0 +1024x768 ", "/sources marks the shared display")
    expect(host, r"^    screen +1024x768 +Whole screen$", "/sources lists the screen")
    expect(host, r"^    " + re.escape(notes_id) + r" +400x200 +GhostView notes$",
           "/sources lists the notes window")
    expect(host, r"^    " + re.escape(log_id) + r" +320x160 +GhostView log$",
           "/sources lists the log window")
    host.send_line("/share " + notes_id)
    expect(host, r"now sharing GhostView notes \(" + re.escape(notes_id) + r", 400x200\)$",
           "the host switched")
    expect(helper, r"the host now shares GhostView notes \(" + re.escape(notes_id) +
           r", 400x200\)$", "the viewer is told")
    expect(helper, r"picture: 400x200$", "the viewer's picture is the window")

    # A second viewer, admitted with source revoked: refused with the reason.
    watcher = gvtest.Process([gvtest.GHOSTVIEW, "view", "--server", url, "--pin", pin,
                              "--set", "SINK=fakesink", "--set", "AUDIO_SINK=fakesink"],
                             "watcher", stdin=True, env=env)
    expect(host, r"viewer joined: .* \(number 2\)$", "the second viewer joined")
    expect(watcher, r"picture: 400x200$", "the second viewer sees the window")
    expect(watcher, r"the host now shares GhostView notes \(" + re.escape(notes_id) +
           r", 400x200\)$", "a viewer joining later is told what is shared")
    host.send_line("/revoke 2 source,control")
    expect(host, r"viewer 2 .* now has: view$", "/revoke source")
    watcher.send_line("/share " + log_id)
    expect(watcher, r"the host refused: The host has not allowed choosing what is shared\.",
           "the refusal is shown")

    # The viewer with source lists and picks: everyone follows.
    helper.send_line("/sources")
    expect(helper, r"^  \* " + re.escape(notes_id) + r" +400x200 +GhostView notes$",
           "the viewer's /sources marks the shared window")
    helper.send_line("/share " + log_id)
    expect(host, r"now sharing GhostView log \(" + re.escape(log_id) +
           r", 320x160\), picked by ", "the host names who picked")
    for viewer in (helper, watcher):
        expect(viewer, r"picture: 320x160$", f"{viewer.name}'s picture is the log window")

    # The shared window grows: followed. (Moved first, so that it grows
    # within the screen; moving it changes nothing that is captured.)
    subprocess.run(["xdotool", "windowmove", str(int(log_id[7:], 16)), "300", "400"], check=True)
    subprocess.run(["xdotool", "windowsize", str(int(log_id[7:], 16)), "480", "240"], check=True)
    for viewer in (helper, watcher):
        expect(viewer, r"picture: 480x240$", f"{viewer.name}'s picture grew with the window")

    # Moved half off the screen: X cannot read what is off it, so the
    # visible part is shared (not black frames), and the host is told.
    subprocess.run(["xdotool", "windowmove", str(int(log_id[7:], 16)), "904", "500"], check=True)
    # (the window's 1-pixel border is outside it: 1024 - 905 = 119 visible)
    expect(host, r"warning: The shared window reaches past the screen's edge: only its visible "
           r"part \(119x240\) is shared", "the host is told the window is clipped")
    for viewer in (helper, watcher):
        expect(viewer, r"picture: 119x240$", f"{viewer.name}'s picture is the visible part")
    subprocess.run(["xdotool", "windowmove", str(int(log_id[7:], 16)), "300", "400"], check=True)
    for viewer in (helper, watcher):
        expect_nth(viewer, r"picture: 480x240$", 2, f"{viewer.name}'s picture is whole again")

    # Nothing there: a clear line, the session goes on.
    host.send_line("/share window:0x7ffffff0")
    expect(host, r"/share: there is no window:0x7ffffff0 to share", "unknown window")
    host.send_line("/share")
    expect(host, r"/share ID: give what to share", "/share without an id")

    # The shared window closes: its display comes back, everyone is told why.
    log.kill()
    log.wait()
    expect(host, r"the shared window was closed; now sharing .* \(display:0, 1024x768\)$",
           "the host falls back to the display")
    for viewer in (helper, watcher):
        expect(viewer, r"the shared window was closed; the host now shares .* \(display:0, "
               r"1024x768\)$", f"{viewer.name} is told why")
        expect_nth(viewer, r"picture: 1024x768$", 2 if viewer is helper else 1,
                   f"{viewer.name}'s picture is the display again")

    # Resize to the viewer (Xvfb is a virtual display): every picture follows;
    # a viewer without control is refused.
    helper.send_line("/resize 801x601")
    expect(host, r"the display was resized by viewer \S+; now sharing .* \(display:0, 800x600\)$",
           "the host says who resized its display")
    for viewer in (helper, watcher):
        expect(viewer, r"picture: 800x600$", f"{viewer.name}'s picture took the new size")
    watcher.send_line("/resize 640x480")
    expect(watcher, r"the host refused: Only a viewer with control may resize the host's "
           r"display\.", "a resize without control is refused")
    helper.send_line("/resize 5000x5000")
    expect_nth(helper, r"picture: 1024x768$", 3, "a size beyond the display's gives its largest")

    host.interrupt()
    if host.wait(30) != 0:
        gvtest.fail("the host did not stop cleanly:\n" + host.output())
    print(f"switched display:0 -> {notes_id} -> {log_id} (grown) -> display:0, PIN {pin} "
          "throughout", flush=True)
finally:
    for proc in (watcher, helper, host):
        if proc:
            proc.kill()
    for window in (notes, log):
        window.kill()
        window.wait()
    xvfb.kill()
    xvfb.wait()
