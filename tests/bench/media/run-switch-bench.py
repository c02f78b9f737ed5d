#!/usr/bin/python3
"""GhostView switch benchmark (issue 15: "a switch shows the new source at
the viewer in <= 500 ms"): how long after the host changes what it shares
the viewer shows the new source.

A private Xvfb (1920x1080) holds two solid windows, A red and B blue,
1280x720 each (xmessage -bg; B, in the screen's lower right corner, covers
A's lower right quarter). The host (gvscreensrc ! capsfilter framerate=30/1
! queue leaky=downstream ! gvwebrtcsink, as pipelines/host.pipeline; VP8 at
2 Mbit/s, three quality layers) and a native receiver (gvwebrtcsrc ! queue
! fakesink sync=true, as gvmbench.py's receiver) run in this process and
meet through ghostview-signaling on 127.0.0.1. t0 is read
(CLOCK_MONOTONIC) just before gvscreensrc's `source` is set; each frame's
size and the colour at a quarter of its width and height tell which source
it shows. The first frame of the new source is timed at three places:

  capture         leaving gvscreensrc on the host, before encoding;
  decoder output  leaving gvwebrtcsrc on the receiver, before any clock
                  wait (not what a viewer sees);
  at display      the handoff of the sink (sync=true, the pipeline's
                  latency recalculated on every LATENCY message as the
                  launcher does, the sink's default 20 ms
                  processing-deadline): after the jitterbuffer and the
                  sink's clock wait, when the frame would be shown. This is
                  the figure the goal is about.

Two series: window <-> window (same size: a keyframe, no new caps) and
window <-> screen (1280x720 <-> 1920x1080: new caps through encoder and
decoder). Each switch waits until the new source is shown (or --timeout),
then --pause seconds, in which frames of the old source that come back are
counted. A switch whose target the viewer already shows (the one before
never arrived) is listed but not timed.

    /usr/bin/python3 tests/bench/media/run-switch-bench.py --build-dir build

Prints one JSON line per switch, a Markdown table, a one-line summary and a
final JSON line. Exits 77 when Xvfb, xmessage, xdotool, gi or an element is
missing. Builds nothing.
"""
import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time

try:
    import gi
except ImportError:
    print("SKIP: Python's gi is missing (Debian: python3-gi)", flush=True)
    sys.exit(77)

gi.require_version("Gst", "1.0")
gi.require_version("GstBase", "1.0")
gi.require_version("GstVideo", "1.0")
from gi.repository import GLib, Gst, GstBase, GstVideo  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
sys.path.insert(0, os.path.join(SOURCE_ROOT, "tests", "integration"))
import gvtest  # noqa: E402  (its Xvfb, started as the tests start theirs)
SKIP = 77
# The windows' colours (R, G, B); the nearest wins.
COLOURS = {"red": (255, 0, 0), "blue": (0, 0, 255)}


def skip(reason):
    print(f"SKIP: {reason}", flush=True)
    sys.exit(SKIP)


def percentile(sorted_xs, p):
    """Nearest rank, as gvmbench.py and gvclockcheck."""
    if not sorted_xs:
        return None
    rank = min(max(int(-(-p * len(sorted_xs) // 100)), 1), len(sorted_xs))
    return sorted_xs[rank - 1]


# ---- the X server and its windows ----

def open_window(env, title, colour, geometry):
    """A solid xmessage window (text and border in its own colour); returns
    (process, "window:0x..") once it is mapped."""
    proc = subprocess.Popen(["xmessage", "-title", title, "-bg", colour, "-fg", colour,
                             "-geometry", geometry, title], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        found = subprocess.run(["xdotool", "search", "--name", f"^{title}$"], env=env,
                               capture_output=True, text=True).stdout.split()
        if found:
            return proc, f"window:{int(found[0]):#x}"
        time.sleep(0.05)
    proc.kill()
    raise RuntimeError(f"the window {title!r} never appeared")


def start_server(build):
    server = subprocess.Popen([os.path.join(build, "signaling", "ghostview-signaling"), "--bind",
                               "127.0.0.1", "--port", "0", "--web-root",
                               os.path.join(SOURCE_ROOT, "web")],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    for line in server.stdout:
        if "listening on" in line:
            port = line.split("listening on", 1)[1].split()[0].rstrip("/").rsplit(":", 1)[1]
            threading.Thread(target=server.stdout.read, daemon=True).start()
            return server, f"ws://127.0.0.1:{port}/ws"
    raise RuntimeError("the signalling server did not start")


# ---- reading a frame ----

class FrameReader:
    """Which source a frame shows: its size and the colour at (width/4,
    height/4), read from a few bytes (no copy of the frame). Planar YUV
    (the decoder's I420) or packed RGB (the capture's BGRx)."""

    def __init__(self):
        self.caps = None
        self.info = None

    def read(self, pad, buf):
        caps = pad.get_current_caps()
        if caps is None:
            return None
        if self.caps is None or not caps.is_equal(self.caps):
            self.caps, self.info = caps, GstVideo.VideoInfo.new_from_caps(caps)
        info, finfo = self.info, self.info.finfo
        w, h = info.width, info.height
        offsets, strides = list(info.offset), list(info.stride)
        meta = GstVideo.buffer_get_video_meta(buf)
        if meta is not None:
            offsets, strides = list(meta.offset), list(meta.stride)
        x, y = w // 4, h // 4
        if finfo.format in (GstVideo.VideoFormat.I420, GstVideo.VideoFormat.YV12):
            yuv = [buf.extract_dup(offsets[p] + py * strides[p] + px, 1)[0]
                   for p, (px, py) in enumerate(((x, y), (x // 2, y // 2), (x // 2, y // 2)))]
            if finfo.format == GstVideo.VideoFormat.YV12:
                yuv[1], yuv[2] = yuv[2], yuv[1]
            yy, u, v = yuv[0] - 16, yuv[1] - 128, yuv[2] - 128
            rgb = (1.164 * yy + 1.596 * v, 1.164 * yy - 0.392 * u - 0.813 * v,
                   1.164 * yy + 2.017 * u)
        elif (finfo.flags & GstVideo.VideoFormatFlags.RGB and finfo.n_planes == 1
              and finfo.bits == 8):
            pixel = buf.extract_dup(offsets[0] + y * strides[0] + x * finfo.pixel_stride[0],
                                    finfo.pixel_stride[0])
            rgb = tuple(pixel[finfo.poffset[c]] for c in range(3))
        else:
            return (w, h, None)
        colour = min(COLOURS, key=lambda c: sum((a - b) ** 2 for a, b in zip(COLOURS[c], rgb)))
        if sum((a - b) ** 2 for a, b in zip(COLOURS[colour], rgb)) > 80 ** 2:
            colour = None
        return (w, h, colour)


# ---- the benchmark ----

class Bench:
    def __init__(self, args, display, sources):
        self.args = args
        self.display = display
        self.sources = sources  # name -> (gvscreensrc source, (w, h, colour or None))
        self.loop = GLib.MainLoop()
        self.lock = threading.Lock()
        self.cond = threading.Condition(self.lock)
        self.target = None  # the signature the current switch waits for
        self.old = None  # the one shown before it
        self.old_after = {}  # where -> frames of the old source after the first new one
        self.t0 = None
        self.seen = {}  # "capture" / "decoded" / "display" -> monotonic s
        self.last = {}  # where -> signature of the last frame there
        self.frames_before, self.gap_before, self.last_decoded_at = 0, 0.0, None
        self.capture_reader = FrameReader()
        self.decoded_reader, self.display_reader = FrameReader(), FrameReader()
        self.pin = None
        self.error = None

    def host_desc(self, server, first):
        return (f"gvscreensrc name=screen display={self.display} source={first} "
                f"! capsfilter caps=video/x-raw,framerate={self.args.fps}/1 "
                "! queue max-size-buffers=2 leaky=downstream "
                f"! gvwebrtcsink name=webrtc signaller::server={server} ice-loopback=true "
                f"video-codec={self.args.codec} bitrate={self.args.bitrate} "
                f"video-layers={self.args.layers} {self.args.host_props}").rstrip()

    def recv_desc(self, server, pin):
        src = (f"gvwebrtcsrc name=src signaller::server={server} pin={pin} ice-loopback=true "
               f"{self.args.viewer_props}").rstrip()
        return (f"{src} ! queue name=decoded max-size-buffers=30 max-size-bytes=0 "
                "max-size-time=0 ! fakesink name=display sync=true signal-handoffs=true")

    def watch(self, pipeline, name):
        bus = pipeline.get_bus()
        bus.add_signal_watch()
        bus.connect("message", self.on_message, pipeline, name)

    def on_message(self, _bus, msg, pipeline, name):
        if msg.type == Gst.MessageType.LATENCY and name == "receiver":
            pipeline.recalculate_latency()  # as tools/pipeline_run.cpp
        elif msg.type == Gst.MessageType.ELEMENT:
            s = msg.get_structure()
            if s and s.get_name() == "gvwebrtcsink-session" and s.get_string("pin"):
                with self.cond:
                    self.pin = s.get_string("pin")
                    self.cond.notify_all()
        elif msg.type == Gst.MessageType.ERROR:
            err, dbg = msg.parse_error()
            with self.cond:
                self.error = f"{name}: {msg.src.get_name()}: {err.message} ({dbg})"
                self.cond.notify_all()

    @staticmethod
    def matches(signature, wanted):
        return (signature is not None and wanted is not None and signature[:2] == wanted[:2]
                and wanted[2] in (None, signature[2]))

    # Each probe runs on a streaming thread. It notes the first frame of the
    # awaited source, and frames of the previous source that come after it
    # (a switch that flickers back).
    def note(self, where, signature):
        now = time.monotonic()
        with self.cond:
            self.last[where] = signature
            if self.target is None:
                return
            if where == "decoded" and where not in self.seen:
                # Before the new source: how many frames, and the longest gap.
                gap = now - (self.last_decoded_at or self.t0)
                self.gap_before = max(self.gap_before, gap)
                self.frames_before += 1
                self.last_decoded_at = now
            if where not in self.seen:
                if self.matches(signature, self.target):
                    self.seen[where] = now
                    self.cond.notify_all()
            elif self.matches(signature, self.old) and not self.matches(signature, self.target):
                self.old_after[where] = self.old_after.get(where, 0) + 1

    def on_capture(self, pad, info):
        self.note("capture", self.capture_reader.read(pad, info.get_buffer()))
        return Gst.PadProbeReturn.OK

    def on_decoded(self, pad, info):
        self.note("decoded", self.decoded_reader.read(pad, info.get_buffer()))
        return Gst.PadProbeReturn.OK

    def on_handoff(self, _sink, buf, pad):
        self.note("display", self.display_reader.read(pad, buf))

    def wait(self, predicate, timeout):
        deadline = time.monotonic() + timeout
        with self.cond:
            while not predicate() and self.error is None:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.cond.wait(left)
            if self.error:
                raise RuntimeError(self.error)
            return True

    def switch(self, series, to):
        """One switch: set `source`, wait until the new source is shown (or
        the timeout), then --pause seconds in which frames of the old source
        are counted."""
        source, signature = self.sources[to]
        with self.cond:
            before = self.last.get("display")
            self.target, self.old, self.seen, self.old_after = signature, before, {}, {}
            self.frames_before, self.gap_before, self.last_decoded_at = 0, 0.0, None
            self.t0 = time.monotonic()
        self.screen.set_property("source", source)
        self.wait(lambda: "display" in self.seen, self.args.timeout)
        self.wait(lambda: "decoded" in self.seen, 0.5)
        time.sleep(self.args.pause)
        with self.cond:
            shown = "display" in self.seen  # by the end of the pause
            seen, old_after, t0 = dict(self.seen), dict(self.old_after), self.t0
            frames_before, gap_before = self.frames_before, self.gap_before
            self.target = self.old = None
            last = dict(self.last)
        row = {"series": series, "from": self.name_of(before), "to": to, "shown": shown,
               # The viewer already showed it (the previous switch never arrived).
               "already_shown": self.matches(before, signature),
               "jitterbuffer_ms": self.src.get_property("current-latency"),
               "sink_latency_ms": GstBase.BaseSink.get_latency(self.sink) / 1e6,
               "layer": self.src.get_property("link-layer")}
        for where in ("capture", "decoded", "display"):
            row[f"{where}_ms"] = round((seen[where] - t0) * 1000, 1) if where in seen else None
        row["old_frames_after"] = old_after
        # At decoder output, from t0 to the first frame of the new source:
        # old frames still coming, or a gap (a lost keyframe, a wait).
        row["decoded_frames_before"] = frames_before - (1 if "decoded" in seen else 0)
        row["decoded_longest_gap_ms"] = round(gap_before * 1000, 1)
        if not shown:  # what the viewer saw instead, and what the host says it shares
            row["last_frames"] = last
            row["source_now"] = self.screen.get_property("source")
        return row

    def name_of(self, signature):
        for name, (_src, sig) in self.sources.items():
            if self.matches(signature, sig):
                return name
        return None

    def run(self, server):
        rows = []
        first = self.sources["A"][0]
        host = Gst.parse_launch(self.host_desc(server, first))
        self.watch(host, "host")
        self.screen = host.get_by_name("screen")
        self.screen.get_static_pad("src").add_probe(Gst.PadProbeType.BUFFER, self.on_capture)
        threading.Thread(target=self.loop.run, daemon=True).start()
        receiver = None
        try:
            host.set_state(Gst.State.PLAYING)
            if not self.wait(lambda: self.pin is not None, 30):
                raise RuntimeError("the host registered no PIN")
            receiver = Gst.parse_launch(self.recv_desc(server, self.pin))
            self.watch(receiver, "receiver")
            self.src = receiver.get_by_name("src")
            self.sink = receiver.get_by_name("display")
            receiver.get_by_name("decoded").get_static_pad("sink").add_probe(
                Gst.PadProbeType.BUFFER, self.on_decoded)
            self.sink.connect("handoff", self.on_handoff)
            receiver.set_state(Gst.State.PLAYING)
            a = self.sources["A"][1]
            if not self.wait(lambda: self.last.get("display") == a, 30):
                raise RuntimeError(f"window A never reached the display (last: {self.last})")
            time.sleep(self.args.settle)
            plan = [("window-window", "B" if i % 2 == 0 else "A")
                    for i in range(self.args.switches)]
            if self.args.switches % 2:
                plan.append(("back", "A"))  # the screen series starts from A
            plan += [("window-screen", "screen" if i % 2 == 0 else "A")
                     for i in range(self.args.screen_switches)]
            for series, to in plan:
                row = self.switch(series, to)
                if series != "back":
                    rows.append(row)
                    print(json.dumps(row), flush=True)
        finally:
            for p in (receiver, host):
                if p is not None:
                    p.set_state(Gst.State.NULL)
            self.loop.quit()
        return rows


def stats(values):
    xs = sorted(v for v in values if v is not None)
    if not xs:
        return None
    return {"n": len(xs), "median": round(statistics.median(xs), 1),
            "p95": percentile(xs, 95), "max": xs[-1]}


def summarize(rows, goal):
    """Timed switches exclude those whose target the viewer already showed
    (the switch before never arrived): their time says nothing."""
    timed = [r for r in rows if not r["already_shown"]]
    return {"n": len(timed), "shown": sum(1 for r in timed if r["shown"]),
            "missed": sum(1 for r in timed if not r["shown"]),
            "over_goal": sum(1 for r in timed if not r["shown"] or r["display_ms"] > goal),
            "old_frames_after_at_display": sum(1 for r in timed
                                               if r["old_frames_after"].get("display")),
            "old_frames_after_at_capture": sum(1 for r in timed
                                               if r["old_frames_after"].get("capture")),
            "display_ms": stats(r["display_ms"] for r in timed),
            "decoded_ms": stats(r["decoded_ms"] for r in timed),
            "capture_ms": stats(r["capture_ms"] for r in timed),
            "jitterbuffer_ms": [min(r["jitterbuffer_ms"] for r in rows),
                                max(r["jitterbuffer_ms"] for r in rows)]}


def report(rows, args, load):
    groups = [("window → window (same size)", lambda r: r["series"] == "window-window"),
              (f"window → screen ({args.window} → {args.screen})",
               lambda r: r["series"] == "window-screen" and r["to"] == "screen"),
              (f"screen → window ({args.screen} → {args.window})",
               lambda r: r["series"] == "window-screen" and r["to"] != "screen")]
    out = {"host_props": args.host_props, "viewer_props": args.viewer_props,
           "codec": args.codec, "fps": args.fps, "bitrate_kbps": args.bitrate,
           "layers": args.layers, "screen": args.screen, "window": args.window,
           "pause_s": args.pause, "timeout_s": args.timeout, "goal_ms": args.goal,
           "load_average": load, "series": {}}
    extra = " ".join(x for x in (args.host_props, args.viewer_props) if x)
    print(f"\n{args.codec.upper()} {args.bitrate} kbit/s, {args.fps} fps, {args.layers} layers"
          f"{'; ' + extra if extra else ''}; load average {load[0]:.2f} → {load[1]:.2f}")
    print(f"\n| Switch | timed | not shown in {args.timeout + args.pause:g} s | old source "
          "again after the new one (display / capture) | **at display** p50 / p95 / max | "
          "decoder output p50 / p95 / max | capture (host) p50 / p95 / max | jitterbuffer |")
    print("|---|---|---|---|---|---|---|---|")

    def fmt(s):
        return f"{s['median']:.0f} / {s['p95']:.0f} / {s['max']:.0f} ms" if s else "—"

    for label, pick in groups:
        sel = [r for r in rows if pick(r)]
        if not sel:
            continue
        e = out["series"][label] = summarize(sel, args.goal)
        print(f"| {label} | {e['n']} of {len(sel)} | {e['missed']} | "
              f"{e['old_frames_after_at_display']} / {e['old_frames_after_at_capture']} | "
              f"**{fmt(e['display_ms'])}** | "
              f"{fmt(e['decoded_ms'])} | {fmt(e['capture_ms'])} | "
              f"{e['jitterbuffer_ms'][0]} – {e['jitterbuffer_ms'][1]} ms |")
    if not rows:
        print("\nno switch was made")
        return out
    e = out["all"] = summarize(rows, args.goal)
    out["met"] = e["over_goal"] == 0
    s = e["display_ms"]
    timing = (f"median {s['median']:.0f} ms, p95 {s['p95']:.0f}, max {s['max']:.0f}" if s
              else "none shown")
    print(f"\nswitch → new source at display: {e['shown']}/{e['n']} shown, {timing}; "
          f"{e['over_goal']} over {args.goal:g} ms or not shown "
          f"(goal, every switch ≤ {args.goal:g} ms: {'met' if out['met'] else 'NOT met'})")
    print(json.dumps(out), flush=True)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build-dir", default="build")
    ap.add_argument("--switches", type=int, default=20, help="window <-> window switches")
    ap.add_argument("--screen-switches", type=int, default=20, help="window <-> screen switches")
    ap.add_argument("--pause", type=float, default=1.5, help="seconds after each switch is shown")
    ap.add_argument("--settle", type=float, default=3, help="seconds after the first picture")
    ap.add_argument("--timeout", type=float, default=5,
                    help="seconds to wait for the new source before the pause")
    ap.add_argument("--screen", default="1920x1080")
    ap.add_argument("--window", default="1280x720")
    ap.add_argument("--codec", default="vp8", choices=["vp8", "vp9", "h264"])
    ap.add_argument("--bitrate", type=int, default=2000, help="kbit/s (the host preset's)")
    ap.add_argument("--fps", type=int, default=30)
    ap.add_argument("--layers", type=int, default=3, help="video-layers (the host preset's: 3)")
    ap.add_argument("--goal", type=float, default=500, help="ms, every switch")
    ap.add_argument("--host-props", default="",
                    help="more gvwebrtcsink properties (what-if), e.g. keyframe-min-interval=100")
    ap.add_argument("--viewer-props", default="",
                    help="more gvwebrtcsrc properties (what-if), e.g. latency=50")
    ap.add_argument("--print-pipeline", action="store_true",
                    help="print the host's and the viewer's pipelines and exit")
    args = ap.parse_args()
    if args.print_pipeline:
        bench = Bench(args, ":N", {})
        print(bench.host_desc("ws://127.0.0.1:PORT/ws", "window:0xA"))
        print(bench.recv_desc("ws://127.0.0.1:PORT/ws", "PIN"))
        return

    for tool, package in (("Xvfb", "xvfb"), ("xmessage", "x11-utils"), ("xdotool", "xdotool")):
        if not shutil.which(tool):
            skip(f"{tool} is not installed (Debian: {package})")
    build = os.path.abspath(args.build_dir)
    os.environ.setdefault("GST_PLUGIN_PATH_1_0", os.path.join(build, "plugins"))
    if not os.access(os.path.join(build, "signaling", "ghostview-signaling"), os.X_OK):
        skip(f"{build}/signaling/ghostview-signaling is not built")
    Gst.init(None)
    for name in ("gvscreensrc", "gvwebrtcsink", "gvwebrtcsrc", "ximagesrc", "webrtcbin",
                 {"vp8": "vp8enc", "vp9": "vp9enc", "h264": "x264enc"}[args.codec]):
        if not Gst.ElementFactory.find(name):
            skip(f"GStreamer element {name} is missing")

    ww, wh = (int(v) for v in args.window.split("x"))
    sw, sh = (int(v) for v in args.screen.split("x"))
    load0 = os.getloadavg()[0]
    xvfb, display = gvtest.start_xvfb(args.screen + "x24")
    env = dict(os.environ, DISPLAY=display)
    procs = [xvfb]
    try:
        win_a, id_a = open_window(env, "GhostView switch A", "red", f"{args.window}+0+0")
        procs.append(win_a)
        # B in the screen's lower right corner, its 1-pixel border included:
        # a window partly off the screen cannot be captured (BadMatch).
        win_b, id_b = open_window(env, "GhostView switch B", "blue",
                                  f"{args.window}+{sw - ww - 2}+{sh - wh - 2}")
        procs.append(win_b)
        # The pointer (drawn into the frames) to a corner neither window covers.
        subprocess.run(["xdotool", "mousemove", str(sw - 4), "4"], env=env, check=True)
        server, url = start_server(build)
        procs.append(server)
        sources = {"A": (id_a, (ww, wh, "red")), "B": (id_b, (ww, wh, "blue")),
                   "screen": ("screen", (sw, sh, None))}
        rows = Bench(args, display, sources).run(url)
    finally:
        for p in procs[::-1]:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(10)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
    report(rows, args, (load0, os.getloadavg()[0]))


if __name__ == "__main__":
    main()
