#!/usr/bin/python3
"""GhostView sound benchmark (issue 15, sound): audio-to-video skew in a
recording, and what sound costs the host.

  1. skew: a host (this script's `host` role: appsrc -> gvwebrtcsink, video
     320x240@30 black with a white flash on the first 3 frames of every
     second, Opus from a 1 kHz beep on the first 100 ms of every second,
     both timestamped from one running time) and `ghostview record` (the
     record preset: Matroska, VP8 and Opus as sent) over loopback through
     ghostview-signaling. The file is decoded; every flash onset is paired
     with the nearest beep onset: skew = beep - flash (positive: the sound
     is late). The same generator written straight to a file (no network)
     is the control: it shows what the measurement itself reads.
  2. host CPU with and without sound: `ghostview host --preset host-test`
     (1280x720@30, VP8) with `--audio test` and with `--audio none`, one
     native viewer (`ghostview view`, fakesinks) each, interleaved runs;
     CPU seconds of the host process over the window.

    /usr/bin/python3 tests/bench/media/run-sound-bench.py --build-dir build

Prints one JSON line per run and a Markdown summary. Builds nothing.
"""
import argparse
import array
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

import gi

gi.require_version("Gst", "1.0")
from gi.repository import Gst  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
PY = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable
W, H, FPS, RATE = 320, 240, 30, 48000
FLASH_FRAMES = 3
BEEP_S = 0.1
BLOCK = RATE // 100  # 10 ms of audio per buffer


# ---- the generator: one running time for flash and beep ----

def frame(white):
    y = bytes([235 if white else 16]) * (W * H)
    return y + bytes([128]) * (W * H // 2)


def beep_block(index):
    """10 ms block `index` (from 0): the beep in the first 100 ms of each s."""
    import math
    out = array.array("h")
    for k in range(BLOCK):
        n = index * BLOCK + k
        t = (n % RATE) / RATE
        out.append(int(16000 * math.sin(2 * math.pi * 1000 * n / RATE)) if t < BEEP_S else 0)
    return out.tobytes()


def feed(pipeline, video, audio, stop):
    """Pushes frames and beeps in real time from 0.2 s after PLAYING."""
    clock = pipeline.get_clock()
    base = pipeline.get_base_time()
    start = clock.get_time() - base + 200 * Gst.MSECOND
    white, black = frame(True), frame(False)
    n_video = n_audio = 0
    while not stop.is_set():
        tv = start + n_video * Gst.SECOND // FPS
        ta = start + n_audio * Gst.SECOND // 100 if audio else None
        t = tv if ta is None or tv <= ta else ta
        wait = (base + t) - clock.get_time()
        if wait > 0:
            time.sleep(wait / Gst.SECOND)
        if t == tv:
            buf = Gst.Buffer.new_wrapped(white if n_video % FPS < FLASH_FRAMES else black)
            buf.pts, buf.duration = tv, Gst.SECOND // FPS
            video.emit("push-buffer", buf)
            n_video += 1
        else:
            buf = Gst.Buffer.new_wrapped(beep_block(n_audio))
            buf.pts, buf.duration = ta, Gst.SECOND // 100
            audio.emit("push-buffer", buf)
            n_audio += 1


SOURCES = (f"appsrc name=v is-live=true format=time caps=video/x-raw,format=I420,width={W},"
           f"height={H},framerate={FPS}/1 ! queue ")
AUDIO_SOURCE = (f"appsrc name=a is-live=true format=time caps=audio/x-raw,format=S16LE,"
                f"channels=1,rate={RATE},layout=interleaved ! queue ")


def role_host(server):
    """A host with the generator; prints `PIN nnnnnn`, runs until stdin ends."""
    Gst.init(None)
    pipeline = Gst.parse_launch(
        SOURCES + f"! gvwebrtcsink name=webrtc signaller::server={server} video-layers=1 "
        "ice-loopback=true " + AUDIO_SOURCE + "! webrtc.audio_0")
    bus = pipeline.get_bus()
    pipeline.set_state(Gst.State.PLAYING)
    pipeline.get_state(5 * Gst.SECOND)
    stop = threading.Event()
    threading.Thread(target=feed, daemon=True, args=(pipeline, pipeline.get_by_name("v"),
                                                      pipeline.get_by_name("a"), stop)).start()
    threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()
    while not stop.is_set():
        msg = bus.timed_pop(100 * Gst.MSECOND)
        if not msg:
            continue
        s = msg.get_structure()
        if msg.type == Gst.MessageType.ERROR:
            print("ERROR", msg.parse_error()[0].message, flush=True)
            break
        if s and s.get_name() == "gvwebrtcsink-session" and s.get_string("pin"):
            print("PIN", s.get_string("pin"), flush=True)
    stop.set()
    pipeline.set_state(Gst.State.NULL)


def role_local(path, seconds):
    """The generator encoded straight to Matroska (VP8, Opus): the control."""
    Gst.init(None)
    pipeline = Gst.parse_launch(
        SOURCES + "! vp8enc deadline=1 ! mux.video_0 " + AUDIO_SOURCE +
        f"! audioconvert ! opusenc ! mux.audio_0 matroskamux name=mux ! filesink location={path}")
    pipeline.set_state(Gst.State.PLAYING)
    pipeline.get_state(5 * Gst.SECOND)
    stop = threading.Event()
    v, a = pipeline.get_by_name("v"), pipeline.get_by_name("a")
    threading.Thread(target=feed, daemon=True, args=(pipeline, v, a, stop)).start()
    time.sleep(seconds)
    stop.set()
    time.sleep(0.1)
    v.emit("end-of-stream")
    a.emit("end-of-stream")
    pipeline.get_bus().timed_pop_filtered(10 * Gst.SECOND, Gst.MessageType.EOS)
    pipeline.set_state(Gst.State.NULL)


# ---- reading a recording ----

def analyze(path):
    """Flash and beep onsets in the file; the skew of each flash's beep."""
    Gst.init(None)
    pipeline = Gst.parse_launch(
        f"filesrc location={path} ! matroskademux name=d "
        "d.video_0 ! queue ! decodebin ! videoconvert ! video/x-raw,format=GRAY8 "
        "! appsink name=v sync=false "
        "d.audio_0 ! queue ! decodebin ! audioconvert ! audioresample "
        f"! audio/x-raw,format=S16LE,channels=1,rate={RATE} ! appsink name=a sync=false")
    sinks = {"v": pipeline.get_by_name("v"), "a": pipeline.get_by_name("a")}
    flashes, beeps = [], []
    was_white, quiet_s, audio_end = True, 1.0, None
    pipeline.set_state(Gst.State.PLAYING)
    done = set()
    deadline = time.monotonic() + 120
    while len(done) < 2 and time.monotonic() < deadline:
        for name, sink in sinks.items():
            if name in done:
                continue
            sample = sink.emit("try-pull-sample", 20 * Gst.MSECOND)
            if sample is None:
                if sink.get_property("eos"):
                    done.add(name)
                continue
            buf = sample.get_buffer()
            ok, info = buf.map(Gst.MapFlags.READ)
            if not ok:
                continue
            data = bytes(info.data)
            buf.unmap(info)
            t = buf.pts / Gst.SECOND
            if name == "v":
                white = sum(data[:W * H]) / (W * H) > 128
                if white and not was_white:
                    flashes.append(t)
                was_white = white
            else:
                samples = array.array("h")
                samples.frombytes(data[:len(data) - len(data) % 2])
                if audio_end is not None and t - audio_end > 0.005:
                    quiet_s += t - audio_end  # a gap in the stream is silence
                for i in range(0, len(samples), 48):
                    loud = max(abs(s) for s in samples[i:i + 48]) > 6000
                    if loud and quiet_s >= 0.3:
                        beeps.append(t + i / RATE)
                    quiet_s = 0 if loud else quiet_s + 48 / RATE
                audio_end = t + len(samples) / RATE
    pipeline.set_state(Gst.State.NULL)
    skews = []
    for f in flashes:
        near = min(beeps, key=lambda b: abs(b - f), default=None)
        if near is not None and abs(near - f) < 0.5:
            skews.append((near - f) * 1000)
    return {"flashes": len(flashes), "beeps": len(beeps), "skews_ms": skews}


def summary(skews):
    if not skews:
        return {"pairs": 0}
    s = sorted(skews)
    return {"pairs": len(s), "median_ms": statistics.median(s), "min_ms": s[0], "max_ms": s[-1],
            "max_abs_ms": max(abs(x) for x in s)}


# ---- the driver ----

class Driver:
    def __init__(self, args):
        self.args = args
        build = os.path.abspath(args.build_dir)
        self.ghostview = os.path.join(build, "tools", "ghostview")
        self.server_bin = os.path.join(build, "signaling", "ghostview-signaling")
        self.env = dict(os.environ)
        self.env.setdefault("GST_PLUGIN_PATH_1_0", os.path.join(build, "plugins"))
        self.env["PYTHONUNBUFFERED"] = "1"
        self.work = tempfile.mkdtemp(prefix="gv-sound-bench-")
        self.procs = []

    def popen(self, args, **kw):
        p = subprocess.Popen(args, env=self.env, **kw)
        self.procs.append(p)
        return p

    def start_server(self):
        server = self.popen([self.server_bin, "--bind", "127.0.0.1", "--port", "0", "--web-root",
                             os.path.join(SOURCE_ROOT, "web")], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
        for line in server.stdout:
            if "listening on" in line:
                url = line.split("listening on", 1)[1].split()[0].rstrip("/")
                return server, "ws://127.0.0.1:" + url.rsplit(":", 1)[1] + "/ws"
        raise RuntimeError("the signalling server did not start")

    def stop(self, p, sig=signal.SIGTERM, timeout=20):
        if p.poll() is None:
            p.send_signal(sig)
            try:
                p.wait(timeout)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()

    def wait_line(self, p, marker, timeout):
        box = {}

        def read():
            for line in p.stdout:
                if marker in line:
                    box["line"] = line
                    return

        t = threading.Thread(target=read, daemon=True)
        t.start()
        t.join(timeout)
        return box.get("line")

    def skew_run(self, i):
        server, url = self.start_server()
        host = self.popen([PY, os.path.abspath(__file__), "host", "--server", url],
                          stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        line = self.wait_line(host, "PIN", 30)
        if not line:
            raise RuntimeError("the host printed no PIN")
        pin = line.split()[1]
        path = os.path.join(self.work, f"skew-{i}.mkv")
        rec = self.popen([self.ghostview, "record", "--server", url, "--pin", pin, "--output",
                          path], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if not self.wait_line(rec, "video is flowing", 30):
            raise RuntimeError("the recorder never started")
        time.sleep(self.args.seconds)
        self.stop(rec, signal.SIGINT, 30)
        host.stdin.close()
        self.stop(host)
        self.stop(server)
        out = analyze(path)
        return {"run": i, "what": "recorded through GhostView", **summary(out["skews_ms"]),
                "flashes": out["flashes"], "beeps": out["beeps"], "skews_ms": out["skews_ms"]}

    def control_run(self):
        path = os.path.join(self.work, "control.mkv")
        subprocess.run([PY, os.path.abspath(__file__), "local", "--out", path, "--seconds",
                        str(self.args.seconds)], env=self.env, check=True)
        out = analyze(path)
        return {"run": 0, "what": "the generator written straight to a file",
                **summary(out["skews_ms"]), "flashes": out["flashes"], "beeps": out["beeps"]}

    @staticmethod
    def cpu_s(pid):
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def cpu_run(self, audio, i):
        host = self.popen([self.ghostview, "host", "--local", "--port", "0", "--preset",
                           "host-test", "--audio", audio], stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True)
        lines = []

        def read():
            for line in host.stdout:
                lines.append(line)

        threading.Thread(target=read, daemon=True).start()
        deadline = time.monotonic() + 30
        url = pin = None
        while time.monotonic() < deadline and not (url and pin):
            for line in list(lines):
                if "WebSocket ws://127.0.0.1:" in line:
                    url = "ws://" + line.split("ws://", 1)[1].split()[0]
                if "PIN: " in line:
                    pin = line.split("PIN: ", 1)[1].split()[0]
            time.sleep(0.1)
        if not (url and pin):
            raise RuntimeError("the host did not start:\n" + "".join(lines))
        view = self.popen([self.ghostview, "view", "--server", url, "--pin", pin, "--set",
                           "SINK=fakesink", "--set", "AUDIO_SINK=fakesink"],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(self.args.warmup)
        t0, c0 = time.monotonic(), self.cpu_s(host.pid)
        time.sleep(self.args.cpu_seconds)
        t1, c1 = time.monotonic(), self.cpu_s(host.pid)
        self.stop(view, signal.SIGINT)
        self.stop(host, signal.SIGINT)
        return {"run": i, "audio": audio, "host_cpu_pct": 100 * (c1 - c0) / (t1 - t0)}

    def run(self):
        rows = {"control": [], "skew": [], "cpu": []}
        try:
            rows["control"].append(self.control_run())
            print(json.dumps(rows["control"][-1]), flush=True)
            for i in range(self.args.reps):
                rows["skew"].append(self.skew_run(i + 1))
                print(json.dumps(rows["skew"][-1]), flush=True)
            for i in range(self.args.reps):
                for audio in ("none", "test"):
                    rows["cpu"].append(self.cpu_run(audio, i + 1))
                    print(json.dumps(rows["cpu"][-1]), flush=True)
        finally:
            for p in self.procs:
                if p.poll() is None:
                    p.kill()
        self.report(rows)

    def report(self, rows):
        print("\n| Recording | flashes paired | skew median | range | largest \\|skew\\| |")
        print("|---|---|---|---|---|")
        for r in rows["control"] + rows["skew"]:
            if r.get("pairs"):
                print(f"| {r['what']} (run {r['run']}) | {r['pairs']} of {r['flashes']} | "
                      f"{r['median_ms']:+.1f} ms | {r['min_ms']:+.1f} – {r['max_ms']:+.1f} ms | "
                      f"{r['max_abs_ms']:.1f} ms |")
            else:
                print(f"| {r['what']} (run {r.get('run')}) | 0 of {r.get('flashes')} | — | — | — |")
        by = {a: [r["host_cpu_pct"] for r in rows["cpu"] if r["audio"] == a] for a in ("none", "test")}
        if by["none"] and by["test"]:
            n, t = statistics.median(by["none"]), statistics.median(by["test"])
            print(f"\nHost CPU (% of a core, median of {len(by['none'])}): --audio none {n:.1f} "
                  f"({min(by['none']):.1f} – {max(by['none']):.1f}), --audio test {t:.1f} "
                  f"({min(by['test']):.1f} – {max(by['test']):.1f}): sound adds {t - n:+.1f} "
                  f"points, {100 * (t - n) / n:+.1f} %")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("role", nargs="?", default="driver", choices=["driver", "host", "local"])
    ap.add_argument("--build-dir", default="build")
    ap.add_argument("--server", default="")
    ap.add_argument("--out", default="")
    ap.add_argument("--seconds", type=float, default=10, help="length of each recording")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--warmup", type=float, default=5)
    ap.add_argument("--cpu-seconds", type=float, default=20)
    a = ap.parse_args()
    if a.role == "host":
        role_host(a.server)
    elif a.role == "local":
        role_local(a.out, a.seconds)
    else:
        Driver(a).run()


if __name__ == "__main__":
    main()
