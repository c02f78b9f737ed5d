#!/usr/bin/env python3
"""`ghostview run restream-rtmp` into a real RTMP server (ffmpeg listening on
127.0.0.1, writing what it receives to an FLV file): H.264 and AAC arrive
and decode; with a host that sends sound (`--audio test`, a 440 Hz tone)
the AAC is that tone, with a host that sends none it is silence (the
preset's silent track, so ingest servers always get audio)."""
import os
import socket
import subprocess
import time

import gvsound
import gvtest

STREAM_S = 6
TONE_HZ = 440

gvtest.need_ghostview()
gvtest.need_discoverer()
gvtest.need_elements("rtmp2sink", "flvmux", "x264enc", "avenc_aac", "audiomixer", "webrtcbin")
if subprocess.run(["ffmpeg", "-hide_banner", "-version"], capture_output=True).returncode != 0:
    gvtest.skip("ffmpeg is not installed (Debian: ffmpeg)")

work = gvtest.workdir()
small = ["--preset", "host-test", "--set", "WIDTH=320", "--set", "HEIGHT=240", "--set", "FPS=15",
         "--set", "BITRATE=300", "--set", "VIDEO_LAYERS=1"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def restream(audio):
    """A host with `audio`, restreamed for STREAM_S s; the FLV the server
    wrote and the seconds streamed."""
    host, url, pin = gvtest.start_host(*small, "--audio", audio)
    port = free_port()
    flv = os.path.join(work, f"received-{audio}.flv")
    server = subprocess.Popen(["ffmpeg", "-hide_banner", "-loglevel", "error", "-listen", "1",
                               "-i", f"rtmp://127.0.0.1:{port}/live/key", "-c", "copy", "-y",
                               flv], stdin=subprocess.DEVNULL)
    time.sleep(1)  # ffmpeg listening
    push = gvtest.Process([gvtest.GHOSTVIEW, "run", "restream-rtmp", "--server", url, "--pin", pin,
                           "--set", f"RTMP_URL=rtmp://127.0.0.1:{port}/live/key"],
                          f"restream-{audio}")
    try:
        seconds = gvtest.stream_for(push, STREAM_S, "ghostview run restream-rtmp")
        try:
            server.wait(20)
        except subprocess.TimeoutExpired:
            gvtest.fail("the RTMP server did not end after the stream stopped")
        return flv, seconds
    finally:
        push.kill()
        if server.poll() is None:
            server.kill()
        host.interrupt()
        host.wait(30)


for audio in ("test", "none"):
    flv, seconds = restream(audio)
    gvtest.check_recording(flv, "Flash", "H.264", seconds, tolerance=0.25)
    info = gvtest.discover(flv)
    if "MPEG-4 AAC" not in info["text"]:
        gvtest.fail(f"{flv}: no AAC audio arrived")
    heard = gvsound.heard_in_file(flv)
    print(f"{flv}: {heard}", flush=True)
    if heard.seconds < 0.75 * seconds:
        gvtest.fail(f"{flv}: {heard.seconds:.2f} s of audio for {seconds:.2f} s streamed")
    if audio == "test":
        if heard.loud_seconds < 0.7 * seconds or abs(heard.pitch_hz - TONE_HZ) > 20:
            gvtest.fail(f"{flv}: the host's tone did not arrive ({heard})")
    elif heard.loud_seconds > 0:
        gvtest.fail(f"{flv}: a host without sound, yet {heard.loud_seconds:.2f} s loud ({heard})")
print("PASS")
