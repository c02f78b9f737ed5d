#!/usr/bin/env python3
"""`ghostview record` onto a disk that fills up (a 3 MiB tmpfs): the
recorder says so in a sentence for people and exits non-zero on its own,
and the file written up to then plays: ffprobe sees a VP8 stream with a
length and decodes its frames. Then a pipeline that fills the disk faster
than the launcher's free-space watch looks (raw video as fast as it
comes): the write fails with ENOSPC, and the launcher names the disk and
the file rather than GStreamer's "No space left on the resource.".

The host sends noise (videotestsrc pattern=snow, which does not compress)
so the disk fills in seconds. The tmpfs lives in a private mount namespace
(the script runs itself again under `unshare --mount`): it disappears with
the test's processes on every exit path, SIGKILL included, and no one else
sees it. Root only (mount); skipped with the reason otherwise."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import gvtest

TMPFS_SIZE = "3m"
INSIDE = "--inside-mount-namespace"


def reexec_in_mount_namespace():
    if os.geteuid() != 0:
        gvtest.skip("not root: the test mounts a small tmpfs (needs CAP_SYS_ADMIN)")
    unshare = shutil.which("unshare")
    if not unshare:
        gvtest.skip("unshare (util-linux) is missing")
    probe = subprocess.run([unshare, "--mount", "--propagation", "private", "true"],
                           capture_output=True, text=True)
    if probe.returncode != 0:
        gvtest.skip(f"cannot make a mount namespace here: {probe.stderr.strip()}")
    # exec: meson's SIGTERM/SIGKILL reach the namespace's processes directly.
    os.execv(unshare, [unshare, "--mount", "--propagation", "private", sys.executable,
                       os.path.abspath(__file__), INSIDE])


def ffprobe(path):
    """ffprobe's view of the file's first video stream, frames counted by decoding."""
    r = subprocess.run(["ffprobe", "-v", "error", "-count_frames", "-select_streams", "v:0",
                        "-show_entries", "stream=codec_name,nb_read_frames:format=duration",
                        "-of", "json", path], capture_output=True, text=True, timeout=60)
    print(r.stdout + r.stderr, flush=True)
    if r.returncode != 0:
        gvtest.fail(f"ffprobe cannot read {path}: {r.stderr.strip()}")
    return json.loads(r.stdout)


if INSIDE not in sys.argv:
    gvtest.need_ghostview()
    gvtest.need_elements("vp8enc", "matroskamux", "webrtcbin")
    if not shutil.which("ffprobe"):
        gvtest.skip("ffprobe is missing (Debian: ffmpeg)")
    reexec_in_mount_namespace()

disk = tempfile.mkdtemp(prefix="gv-disk-full-")
r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={TMPFS_SIZE},mode=0755", "gv-disk-full",
                    disk], capture_output=True, text=True)
if r.returncode != 0:
    gvtest.skip(f"cannot mount a tmpfs: {r.stderr.strip()}")
out = os.path.join(disk, "session.mkv")
host, url, pin = gvtest.start_host("--preset", "host-test", "--set", "WIDTH=320",
                                   "--set", "HEIGHT=240", "--set", "FPS=15",
                                   "--set", "PATTERN=snow", "--set", "BITRATE=2000")
rec = None
try:
    rec = gvtest.Process([gvtest.GHOSTVIEW, "record", "--server", url, "--pin", pin,
                          "--output", out], "record")
    m, started = rec.wait_for(r"video is flowing", 30)
    if not m:
        gvtest.fail("the recorder never started writing:\n" + rec.output())
    # 3 MiB at ~2 Mbit/s: full in about 12 s; the recorder must stop by itself.
    try:
        rc = rec.proc.wait(60)
    except subprocess.TimeoutExpired:
        gvtest.fail("the recorder was still running 60 s after the disk filled up:\n" +
                    rec.output())
    stopped = time.monotonic()
    rec.reader.join(5)
    text = rec.output()
    if rc == 0:
        gvtest.fail("the recorder exited 0 although the disk filled up")
    if "disk is almost full" not in text and "disk is full" not in text:
        gvtest.fail("no sentence saying the disk is full:\n" + text)
    if "saved " + out not in text:
        gvtest.fail("the recorder did not say which file it saved:\n" + text)
    print(f"recorder exited {rc} after {stopped - started:.1f} s; "
          f"{os.path.getsize(out) // 1024} KiB on a {TMPFS_SIZE} disk", flush=True)

    info = ffprobe(out)
    streams = info.get("streams") or []
    if not streams or streams[0].get("codec_name") != "vp8":
        gvtest.fail(f"{out}: no VP8 video stream: {info}")
    frames = int(streams[0].get("nb_read_frames") or 0)
    duration = float(info.get("format", {}).get("duration") or 0)
    if duration <= 0:
        gvtest.fail(f"{out}: no duration: the file was not finished")
    if frames < 15:
        gvtest.fail(f"{out}: only {frames} frames decode")
    print(f"{out}: VP8, {duration:.2f} s, {frames} frames decoded", flush=True)

    os.remove(out)
    raw = os.path.join(disk, "raw.yuv")
    fill = os.path.join(gvtest.workdir(), "fill.pipeline")
    with open(fill, "w") as f:
        f.write("# raw video as fast as it comes\n"
                f"videotestsrc num-buffers=100 ! video/x-raw,width=640,height=480 "
                f"! filesink location={raw}\n")
    r = subprocess.run([gvtest.GHOSTVIEW, "run", fill], capture_output=True, text=True, timeout=60)
    print(r.stdout + r.stderr, flush=True)
    if r.returncode != 3:
        gvtest.fail(f"ghostview run exited {r.returncode} on a full disk (expected 3, an error)")
    if f"the disk is full: no space left on the device to write {raw}" not in r.stderr:
        gvtest.fail("no sentence naming the full disk and the file")
finally:
    if rec:
        rec.kill()
    host.interrupt()
    host.wait(30)
    subprocess.run(["umount", disk])
    os.rmdir(disk)
print("PASS")
