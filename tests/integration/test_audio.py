#!/usr/bin/env python3
"""Sound end to end with the launcher and a real PulseAudio server (null
sinks "desktop" and "speakers"; a 440 Hz tone plays into "desktop"):

- `ghostview host --audio desktop` sends what the desktop plays: a
  `ghostview view` whose output is "speakers" plays it there (heard on the
  speakers' monitor), `ghostview record` writes VP8 and Opus to Matroska,
  and a .mp4 recording holds H.264 and Opus; each file's sound is the tone,
  as long as the recording;
- `--audio mic` takes the default input (here the desktop's monitor);
- `--audio test` needs no sound server;
- `--audio desktop` without a sound server is refused with the reason.
"""
import json
import os
import re
import shutil
import subprocess
import time

import gvsound
import gvtest

RECORD_S = 6
TONE_HZ = 440

gvtest.need_ghostview()
gvtest.need_discoverer()
gvtest.need_elements("pulsesrc", "pulsesink", "opusenc", "opusdec", "vp8enc", "matroskamux",
                     "x264enc", "mp4mux", "webrtcbin")

work = gvtest.workdir()
small = ["--preset", "host-test", "--set", "WIDTH=320", "--set", "HEIGHT=240", "--set", "FPS=15",
         "--set", "BITRATE=300", "--set", "VIDEO_LAYERS=1"]


def check_tone(what, heard, expected_s):
    print(f"{what}: {heard}", flush=True)
    if heard.loud_seconds < 0.7 * expected_s:
        gvtest.fail(f"{what}: only {heard.loud_seconds:.2f} s of the tone, expected about "
                    f"{expected_s:.1f} s ({heard})")
    if abs(heard.pitch_hz - TONE_HZ) > 20:
        gvtest.fail(f"{what}: pitch {heard.pitch_hz:.0f} Hz, the tone is {TONE_HZ} Hz")


def record(url, pin, path, env):
    """`ghostview record` for RECORD_S seconds; the seconds it recorded."""
    rec = gvtest.Process([gvtest.GHOSTVIEW, "record", "--server", url, "--pin", pin, "--output",
                          path], os.path.basename(path), env=env)
    try:
        return gvtest.stream_for(rec, RECORD_S, f"ghostview record {path}")
    finally:
        rec.kill()


def check_streams(path, video, audio, seconds):
    gvtest.check_recording(path, "Matroska" if path.endswith(".mkv") else "Quicktime", video,
                           seconds)
    info = gvtest.discover(path)
    m = re.search(r"audio(?: #\d+)?: (.+)", info["text"])
    if not m or audio.lower() not in m.group(1).lower():
        gvtest.fail(f"{path}: audio is {m.group(1) if m else 'missing'}, expected {audio}")
    check_tone(f"{path}", gvsound.heard_in_file(path), seconds)
    if shutil.which("ffprobe"):
        # What a tool outside GStreamer reads: the audio stream's codec and length.
        out = subprocess.run(["ffprobe", "-v", "error", "-show_streams", "-show_format", "-of",
                              "json", path], capture_output=True, text=True, timeout=60)
        probe = json.loads(out.stdout or "{}")
        streams = [s for s in probe.get("streams", []) if s.get("codec_type") == "audio"]
        want = audio.lower()
        if not streams or streams[0].get("codec_name") != want:
            gvtest.fail(f"{path}: ffprobe sees audio {streams}, expected {want}")
        length = float(streams[0].get("duration") or probe.get("format", {}).get("duration", 0))
        print(f"{path}: ffprobe: {want}, {length:.2f} s", flush=True)
        if abs(length - seconds) > 0.15 * seconds:
            gvtest.fail(f"{path}: ffprobe says {length:.2f} s of audio, recorded {seconds:.2f} s")


pulse = gvsound.PulseServer(["desktop", "speakers"])
host = viewer = None
try:
    # Without a sound server: refused, with why.
    nowhere = dict(pulse.env, PULSE_SERVER="unix:" + os.path.join(work, "no-such-socket"))
    refused = gvtest.Process([gvtest.GHOSTVIEW, "host", "--local", "--port", "0", *small,
                              "--audio", "desktop"], "host-no-sound", env=nowhere)
    rc = refused.wait(30)
    if rc != 1 or not refused.wait_for(r"--audio desktop: no PulseAudio or PipeWire sound "
                                       r"server answered", 1)[0]:
        gvtest.fail(f"--audio desktop without a sound server: exit {rc}, not the reason:\n" +
                    refused.output())

    pulse.play_tone("desktop", TONE_HZ)
    host, url, pin = gvtest.start_host(*small, "--set", "MAX_VIEWERS=4", "--audio", "desktop",
                                       env=pulse.env)
    if not host.wait_for(r"with sound", 1)[0]:
        gvtest.fail("the host did not say it shares sound:\n" + host.output())

    # A native viewer plays the sound on its output ("speakers").
    viewer = gvtest.Process([gvtest.GHOSTVIEW, "view", "--server", url, "--pin", pin, "--set",
                             "SINK=fakesink"], "view", env=dict(pulse.env, PULSE_SINK="speakers"))
    if not viewer.wait_for(r"video is flowing", 30)[0]:
        gvtest.fail("the viewer never showed video:\n" + viewer.output())
    time.sleep(1)
    check_tone("the viewer's speakers", gvsound.heard_on(pulse, "speakers.monitor", 4), 4)
    viewer.interrupt()
    viewer.wait(30)

    mkv = os.path.join(work, "session.mkv")
    check_streams(mkv, "VP8", "Opus", record(url, pin, mkv, pulse.env))
    mp4 = os.path.join(work, "session.mp4")
    check_streams(mp4, "H.264", "Opus", record(url, pin, mp4, pulse.env))
    host.interrupt()
    host.wait(30)

    # mic: the default input (here the desktop's monitor).
    host, url, pin = gvtest.start_host(*small, "--audio", "mic",
                                       env=dict(pulse.env, PULSE_SOURCE="desktop.monitor"))
    mic = os.path.join(work, "mic.mkv")
    check_streams(mic, "VP8", "Opus", record(url, pin, mic, pulse.env))
    host.interrupt()
    host.wait(30)

    # test: a tone of its own, no sound server needed.
    host, url, pin = gvtest.start_host(*small, "--audio", "test", env=nowhere)
    tone = os.path.join(work, "test.mkv")
    check_streams(tone, "VP8", "Opus", record(url, pin, tone, pulse.env))
finally:
    for p in (viewer, host):
        if p:
            p.kill()
    pulse.stop()
print("PASS")
