#!/usr/bin/python3
# GhostView media benchmarks — one process of a benchmark: a host, a bare
# encoder, or a set of native receivers. Driven by run-media-bench.py over
# stdin/stdout (one JSON object per line); usable by hand too.
# SPDX-License-Identifier: LGPL-2.1-or-later
#
#   gvmbench.py host    --server ws://127.0.0.1:PORT/ws --size 1280x720 --fps 30 --codec vp8 [--viewers N] [--encoders N] [--host-latency]
#   gvmbench.py encode  --size 1280x720 --fps 30 --codec vp8
#   gvmbench.py recv    --server ws://... --pin 123456 [--pin ...] [--no-decode] [--latency MS] [--no-queue] [--sink-deadline MS]
#
# A decoding receiver reads gvclockstamp's code twice per frame, with two
# gvclockcheck instances:
#   decoder output  gvclockcheck right after gvwebrtcsrc (decodebin's output),
#                   before any clock wait; a queue behind it keeps the sink's
#                   waits from holding up decoding (--no-queue: none, as
#                   pipelines/view.pipeline);
#   at display      fakesink sync=true, the pipeline's latency applied (LATENCY
#                   messages lead to gst_bin_recalculate_latency, as in
#                   tools/pipeline_run.cpp) and the sink's default
#                   processing-deadline (20 ms, as every GStreamer video sink);
#                   its handoff — emitted when the sink renders, after its
#                   clock wait — hands the frame to a second gvclockcheck in a
#                   pipeline of its own (no clock), on the same thread: the
#                   frame is read at the moment it would be shown.
#
# Commands on stdin (each answered with one JSON line):
#   mark    CPU seconds of this process (getrusage RUSAGE_SELF: all threads,
#           user + system), wall-clock and monotonic time, frames so far;
#           a receiver also resets its gvclockcheck statistics here.
#   report  receiver: per PIN since the last mark, both gvclockcheck
#           statistics ("decoded", "display"), the wait from decoder output
#           to display, gvwebrtcsrc's current-latency (now, and its peak
#           since the start and since the mark, sampled every 100 ms), the
#           latency the sink applies and how many LATENCY messages were
#           handled.
#   stamps FILE   host / encode: writes the CLOCK_REALTIME (ns) of every frame
#           that passed gvclockstamp, one per line, to FILE.
#   encode T0 T1  host: stamp to encoder output (ms, p50/p95/max) of the frames
#           stamped between T0 and T1 (CLOCK_REALTIME ns), full-size layer.
#   quit
#
# Events printed without being asked: {"event":"pin","pins":[...]} (host, once
# every gvwebrtcsink registered), {"event":"viewer","pin":..} (host, each
# viewer added), {"event":"first-frame","pin":..,"ttff_ms":..} (receiver:
# from set_state(PLAYING) — which sends the join — to the first decoded
# buffer), {"event":"fresh-frame","pin":..,"fresh_ms":..}
# (receiver: the same, to the first frame at most FRESH_MS old at decoder
# output), {"event":"error",...}.
#
# The stamp is gvclockstamp's wall-clock code, read back by gvclockcheck: both
# run on this machine, so they read the same clock.
import argparse
import json
import os
import resource
import sys
import threading
import time

import gi

gi.require_version('Gst', '1.0')
gi.require_version('GLib', '2.0')
gi.require_version('GstBase', '1.0')
from gi.repository import GLib, Gst, GstBase  # noqa: E402

# The encoder settings gvwebrtcsink uses (plugins/webrtc/gvvideolayer.cpp,
# configure_encoder; at a layer's top bitrate, so no frame drops) with its
# defaults bitrate=2000 kbit/s, keyframe-distance=3000; the bare-encode
# pipeline must use exactly these.
BITRATE_KBPS = 2000
FRESH_MS = 100.0  # a frame at most this old counts as "fresh" (live picture)
KEYFRAME_DISTANCE = 3000
VPX_THREADS = min(max(GLib.get_num_processors() // 2, 1), 4)  # as the sink: half the processors, 1-4
ENCODERS = {
    'vp8': ('videoconvert ! vp8enc deadline=1 target-bitrate={br} keyframe-max-dist={kf} '
            f'lag-in-frames=0 threads={VPX_THREADS} cpu-used=-16 end-usage=cbr '
            'error-resilient=default buffer-size=1000 buffer-initial-size=500 '
            'buffer-optimal-size=600 max-intra-bitrate=300'),
    'h264': ('videoconvert ! x264enc bitrate={kbr} key-int-max={kf} bframes=0 tune=zerolatency '
             'speed-preset=ultrafast ! video/x-h264,profile=constrained-baseline ! h264parse'),
}


def source_desc(args):
    w, h = args.size.split('x')
    return (f'videotestsrc is-live=true pattern={args.pattern} ! '
            f'video/x-raw,format=I420,width={w},height={h},framerate={args.fps}/1 ! '
            'gvclockstamp name=stamp')


def encoder_settings(pipeline):
    """The encoder's readable properties as strings (the host's is the one
    gvwebrtcsink made, named "encoder"), to check that the bare-encode
    pipeline encodes exactly as the host does."""
    it = pipeline.iterate_recurse()
    enc = None
    while True:
        ok, e = it.next()
        if ok != Gst.IteratorResult.OK:
            break
        if e.get_name() == 'encoder':
            enc = e
            break
    if enc is None:
        return None
    out = {'factory': enc.get_factory().get_name()}
    for spec in enc.list_properties():
        if spec.name in ('name', 'parent') or not (spec.flags & 1):  # G_PARAM_READABLE
            continue
        try:
            out[spec.name] = str(enc.get_property(spec.name))
        except (TypeError, ValueError):
            pass
    return out


# HOST_LATENCY_NOTE: by default the host does not redistribute latency when an
# element posts a LATENCY message, although the launcher does. videotestsrc
# declares one frame of latency but hands each frame over at its timestamp;
# once the host's latency is recalculated, webrtcbin's per-stream clocksync
# holds every frame for that frame (33 ms at 30 fps). The screen source
# (gvscreensrc: ximagesrc) declares none, and neither encoder does, so a real
# screen host pays nothing there: without the recalculation, the bench host
# behaves as a screen host does. --host-latency shows the difference.


def host_desc(args):
    sink = (f'gvwebrtcsink signaller::server={args.server} ice-loopback=true '
            f'video-codec={args.codec} signaller::max-viewers={args.viewers}')
    if args.encoders <= 1:
        return f'{source_desc(args)} ! {sink} name=sink0'
    # One encoder per viewer: one capture, a tee, and one gvwebrtcsink (its own
    # encoder, one viewer) per branch — the model of an encoder per consumer.
    branches = ' '.join(f't. ! queue max-size-buffers=2 leaky=no ! {sink} name=sink{i}'
                        for i in range(args.encoders))
    return f'{source_desc(args)} ! tee name=t {branches}'


def encode_desc(args):
    enc = ENCODERS[args.codec].format(br=BITRATE_KBPS * 1000, kbr=BITRATE_KBPS, kf=KEYFRAME_DISTANCE)
    enc = enc.replace('vp8enc ', 'vp8enc name=encoder ').replace('x264enc ', 'x264enc name=encoder ')
    return f'{source_desc(args)} ! {enc} ! fakesink sync=false'


# Frames the queue between decoder output and the display sink may hold: the
# sink holds each frame for about the pipeline's latency (a few frames).
DISPLAY_QUEUE_FRAMES = 30
# The reader at display: fed by hand from the display sink's handoff.
DISPLAY_READER_DESC = 'gvclockcheck name=check interval=0 ! fakesink sync=false async=false'


def recv_desc(args, pin, i):
    src = (f'gvwebrtcsrc name=src{i} signaller::server={args.server} pin={pin} ice-loopback=true '
           f'latency={args.latency} decode={"true" if args.decode else "false"}')
    if not args.decode:
        return f'{src} ! fakesink name=out{i} sync=false'
    deadline = '' if args.sink_deadline is None else f' processing-deadline={args.sink_deadline * 1000000}'
    queue = ('' if args.no_queue else
             f'! queue max-size-buffers={DISPLAY_QUEUE_FRAMES} max-size-bytes=0 max-size-time=0 ')
    return (f'{src} ! gvclockcheck name=decoded{i} interval=0 {queue}'
            f'! fakesink name=display{i} sync=true signal-handoffs=true{deadline}')


def running_time(pad, buf):
    """The buffer's running time on this pad: the same frame has the same one
    before and after an encoder (x264enc shifts PTS by 1000 hours and its
    segment with them)."""
    event = pad.get_sticky_event(Gst.EventType.SEGMENT, 0)
    if event is None:
        return None
    return event.parse_segment().to_running_time(Gst.Format.TIME, buf.pts)


def check_stats(check):
    """A gvclockcheck's statistics as a dict (count, unreadable, p50, ... ms)."""
    s = check.get_property('stats')
    out = {k: s.get_value(k) for k in ('count', 'unreadable', 'no-code', 'bad-checksum')}
    out.update({k: s.get_value(k) for k in ('p50', 'p95', 'max', 'min', 'mean')})
    return out


def percentile(sorted_xs, p):
    """Nearest rank, as gvclockcheck."""
    if not sorted_xs:
        return None
    rank = min(max(int(-(-p * len(sorted_xs) // 100)), 1), len(sorted_xs))
    return sorted_xs[rank - 1]


class DisplayReader:
    """gvclockcheck at the moment a frame is shown. The display sink's
    handoff runs on its streaming thread once the sink's clock wait is over,
    just before the frame would be shown; the frame goes straight into this
    gvclockcheck's sink pad on that thread (gst_pad_chain), so the stamp is
    read at that moment. The reader is a pipeline of its own, with no clock:
    it only reads. With full_width and full_cell (the stamp's cell size at
    that width), a smaller frame (a lower quality layer) is read with the
    cell size scaled to its width."""

    def __init__(self, full_width=None, full_cell=None):
        self.pipeline = Gst.parse_launch(DISPLAY_READER_DESC)
        self.check = self.pipeline.get_by_name('check')
        self.pad = self.check.get_static_pad('sink')
        self.caps = None
        self.errors = 0
        self.full_width, self.full_cell = full_width, full_cell
        self.pipeline.set_state(Gst.State.PLAYING)

    def read(self, sink_pad, buf):
        caps = sink_pad.get_current_caps()
        if self.caps is None:
            self.pad.send_event(Gst.Event.new_stream_start('display'))
        if self.caps is None or not caps.is_equal(self.caps):
            self.caps = caps
            ok, width = caps.get_structure(0).get_int('width')
            if self.full_width and ok and width > 0:
                self.check.set_property('cell-size', max(4, round(self.full_cell * width / self.full_width)))
            self.pad.send_event(Gst.Event.new_caps(caps))
            segment = Gst.Segment()
            segment.init(Gst.Format.TIME)
            self.pad.send_event(Gst.Event.new_segment(segment))
        if self.pad.chain(buf) != Gst.FlowReturn.OK:
            self.errors += 1

    def stop(self):
        self.pipeline.set_state(Gst.State.NULL)


def emit(obj):
    sys.stdout.write(json.dumps(obj) + '\n')
    sys.stdout.flush()


def cpu_seconds():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


class Agent:
    def __init__(self, args):
        self.args = args
        self.loop = GLib.MainLoop()
        self.pipelines = []
        self.lock = threading.Lock()
        self.stamps = []  # CLOCK_REALTIME ns of each stamped frame
        self.stamped_at = {}  # host: running time -> CLOCK_REALTIME ns, until encoded
        self.encoded = []  # host: (stamp ns, stamp to encoder output ms)
        self.frames = 0
        self.pins = []
        self.receivers = []
        self.exit_code = 0

    # ---- building ----
    def launch(self, desc):
        p = Gst.parse_launch(desc)
        bus = p.get_bus()
        bus.add_signal_watch()
        bus.connect('message', self.on_message, p)
        self.pipelines.append(p)
        return p

    def count_stamps(self, pipeline):
        stamp = pipeline.get_by_name('stamp')
        pad = stamp.get_static_pad('src')

        def probe(pad, info):
            now = time.time_ns()
            key = running_time(pad, info.get_buffer()) if self.args.role == 'host' else None
            with self.lock:
                self.stamps.append(now)
                self.frames += 1
                if key is not None:
                    self.stamped_at[key] = now
                    if len(self.stamped_at) > 1000:
                        self.stamped_at.clear()
            return Gst.PadProbeReturn.OK
        pad.add_probe(Gst.PadProbeType.BUFFER, probe)

    def time_encoder(self, pipeline):
        """Host: stamp to encoder output per frame, for the full-size layer's
        encoder ("encoder" in gvwebrtcsink), made when the first viewer joins."""
        def on_encoded(pad, info):
            now = time.time_ns()
            key = running_time(pad, info.get_buffer())
            with self.lock:
                stamp = self.stamped_at.pop(key, None)
                if stamp is not None:
                    self.encoded.append((stamp, (now - stamp) / 1e6))
            return Gst.PadProbeReturn.OK

        def on_added(_bin, _sub, element):
            if element.get_name() == 'encoder':
                element.get_static_pad('src').add_probe(Gst.PadProbeType.BUFFER, on_encoded)
        pipeline.connect('deep-element-added', on_added)

    def start_host(self):
        p = self.launch(host_desc(self.args))
        self.count_stamps(p)
        self.time_encoder(p)
        self.expected_pins = max(1, self.args.encoders)
        for i in range(self.expected_pins):
            sink = p.get_by_name(f'sink{i}')
            sink.connect('viewer-added', lambda _s, peer, _name, i=i: self.on_viewer(i, peer))
        self.set_playing(p)

    def start_encode(self):
        p = self.launch(encode_desc(self.args))
        self.count_stamps(p)
        self.set_playing(p)
        emit({'event': 'ready', 'desc': encode_desc(self.args)})

    def start_recv(self):
        for i, pin in enumerate(self.args.pin):
            desc = recv_desc(self.args, pin, i)
            p = Gst.parse_launch(desc)
            bus = p.get_bus()
            bus.add_signal_watch()
            bus.connect('message', self.on_message, p)
            self.pipelines.append(p)
            rx = {'pin': pin, 'pipeline': p, 'desc': desc, 'start': 0.0, 'ttff_ms': None,
                  'src': p.get_by_name(f'src{i}'), 'check': p.get_by_name(f'decoded{i}'),
                  'display': p.get_by_name(f'display{i}'), 'reader': None,
                  'frames': 0, 'mark_frames': 0, 'waits': [], 'pending': {}, 'fresh_ms': None,
                  'first_latency_ms': None, 'tracking': True, 'latency_messages': 0,
                  'peak_latency_ms': 0, 'window_peak_latency_ms': 0}
            self.receivers.append(rx)
            if rx['check']:
                # First (fresh) frame at decoder output, right after gvclockcheck.
                rx['check'].get_static_pad('src').add_probe(
                    Gst.PadProbeType.BUFFER, lambda pad, info, rx=rx: self.on_rx_buffer(rx, info))
                rx['reader'] = DisplayReader()
                rx['display'].connect('handoff', lambda _s, buf, pad, rx=rx: self.on_handoff(rx, buf, pad))
            else:
                p.get_by_name(f'out{i}').get_static_pad('sink').add_probe(
                    Gst.PadProbeType.BUFFER, lambda pad, info, rx=rx: self.on_rx_buffer(rx, info))
        for rx in self.receivers:
            rx['start'] = time.monotonic()
            self.set_playing(rx['pipeline'])
        GLib.timeout_add(100, self.sample_latency)

    def sample_latency(self):
        """The highest jitterbuffer latency (current-latency) seen, sampled
        every 100 ms: since the start and since the last mark."""
        for rx in self.receivers:
            now = rx['src'].get_property('current-latency')
            rx['peak_latency_ms'] = max(rx['peak_latency_ms'], now)
            rx['window_peak_latency_ms'] = max(rx['window_peak_latency_ms'], now)
        return True

    def set_playing(self, p):
        if p.set_state(Gst.State.PLAYING) == Gst.StateChangeReturn.FAILURE:
            self.fail('cannot start the pipeline')

    # ---- events ----
    def on_rx_buffer(self, rx, info):
        now = time.monotonic()
        with self.lock:
            rx['frames'] += 1
            first = rx['ttff_ms'] is None
            if first:
                rx['ttff_ms'] = (now - rx['start']) * 1000.0
            if rx['check']:
                rx['pending'][info.get_buffer().pts] = now
        if rx['check'] and rx['tracking']:
            # Until the picture is fresh: gvclockcheck has just read this
            # frame; with a reset after each frame its p50 is this frame's
            # latency. The first frames can be old (queued while the
            # connection was set up), so "first frame" and "first fresh
            # frame" (latency <= FRESH_MS) are reported apart.
            s = rx['check'].get_property('stats')
            if s.get_value('count') >= 1:
                latency = s.get_value('p50')
                if rx['first_latency_ms'] is None:
                    rx['first_latency_ms'] = latency
                if latency <= FRESH_MS:
                    rx['fresh_ms'] = (now - rx['start']) * 1000.0
                    rx['tracking'] = False
                    GLib.idle_add(lambda: emit({'event': 'fresh-frame', 'pin': rx['pin'],
                                                'fresh_ms': rx['fresh_ms']}) and False)
            rx['check'].emit('reset')
        if first:
            GLib.idle_add(lambda: emit({'event': 'first-frame', 'pin': rx['pin'],
                                        'ttff_ms': rx['ttff_ms']}) and False)
        return Gst.PadProbeReturn.OK

    def on_handoff(self, rx, buf, pad):
        # The display sink renders this frame now: read its stamp first.
        rx['reader'].read(pad, buf)
        now = time.monotonic()
        with self.lock:
            # From decoder output to display: the queue plus the sink's clock wait.
            t = rx['pending'].pop(buf.pts, None)
            if t is not None:
                rx['waits'].append((now - t) * 1000.0)
            if len(rx['pending']) > 1000:
                rx['pending'].clear()

    def on_viewer(self, i, peer):
        GLib.idle_add(lambda: emit({'event': 'viewer', 'sink': i, 'peer': peer}) and False)

    def on_message(self, _bus, msg, pipeline):
        t = msg.type
        if t == Gst.MessageType.LATENCY and (self.args.role == 'recv' or self.args.host_latency):
            # A jitterbuffer changed its latency: give the sinks the new one,
            # as the launcher does (tools/pipeline_run.cpp). The host only with
            # --host-latency: see HOST_LATENCY_NOTE.
            pipeline.recalculate_latency()
            for rx in self.receivers:
                if rx['pipeline'] is pipeline:
                    rx['latency_messages'] += 1
        elif t == Gst.MessageType.ELEMENT:
            s = msg.get_structure()
            if s and s.get_name() == 'gvwebrtcsink-session':
                self.pins.append(s.get_string('pin'))
                if len(self.pins) == self.expected_pins:
                    emit({'event': 'pin', 'pins': self.pins, 'desc': host_desc(self.args)})
        elif t == Gst.MessageType.ERROR:
            err, dbg = msg.parse_error()
            path = msg.src.get_path_string() if isinstance(msg.src, Gst.Object) else ''
            if self.args.role == 'host' and 'webrtcbin' in path:
                # An error inside one viewer's webrtcbin (seen: sctpenc "Could
                # not write to resource" when a browser viewer leaves). It
                # reaches the pipeline bus, where gst-launch would stop the
                # host; here it is counted and the host goes on.
                emit({'event': 'viewer-error', 'message': f'{msg.src.get_name()}: {err.message}',
                      'path': path})
                return
            self.fail(f'{msg.src.get_name()}: {err.message} ({dbg})')
        elif t == Gst.MessageType.WARNING:
            err, _dbg = msg.parse_warning()
            emit({'event': 'warning', 'message': f'{msg.src.get_name()}: {err.message}'})
        elif t == Gst.MessageType.EOS:
            emit({'event': 'eos'})

    def fail(self, message):
        emit({'event': 'error', 'message': message})
        self.exit_code = 1
        self.loop.quit()

    # ---- commands ----
    def command(self, line):
        parts = line.split()
        if not parts:
            return False
        cmd = parts[0]
        if cmd == 'mark':
            with self.lock:
                frames = self.frames
                for rx in self.receivers:
                    rx['mark_frames'] = rx['frames']
                    rx['tracking'] = False
                    rx['waits'] = []
                    rx['window_peak_latency_ms'] = rx['src'].get_property('current-latency')
            for rx in self.receivers:
                if rx['check']:
                    rx['check'].emit('reset')
                    rx['reader'].check.emit('reset')
            msg = {'event': 'mark', 'cpu_s': cpu_seconds(), 'mono_s': time.monotonic(),
                   'wall_ns': time.time_ns(), 'frames': frames,
                   'rx_frames': [rx['frames'] for rx in self.receivers]}
            if self.args.role in ('host', 'encode') and self.pipelines:
                msg['encoder'] = encoder_settings(self.pipelines[0])
            emit(msg)
        elif cmd == 'report':
            out = []
            for rx in self.receivers:
                entry = {'pin': rx['pin'], 'ttff_ms': rx['ttff_ms'], 'desc': rx['desc'],
                         'fresh_ms': rx['fresh_ms'], 'first_latency_ms': rx['first_latency_ms']}
                with self.lock:
                    entry['frames'] = rx['frames'] - rx['mark_frames']
                    waits = sorted(rx['waits'])
                entry['current_latency_ms'] = rx['src'].get_property('current-latency')
                entry['peak_latency_ms'] = rx['peak_latency_ms']
                entry['window_peak_latency_ms'] = rx['window_peak_latency_ms']
                entry['latency_messages'] = rx['latency_messages']
                if rx['check']:
                    entry['decoded'] = check_stats(rx['check'])
                    entry['display'] = check_stats(rx['reader'].check)
                    entry['display_read_errors'] = rx['reader'].errors
                    entry['wait_to_display_p50_ms'] = percentile(waits, 50)
                    entry['wait_to_display_p95_ms'] = percentile(waits, 95)
                    sink = rx['display']
                    entry['sink_latency_ms'] = GstBase.BaseSink.get_latency(sink) / 1e6
                    entry['sink_processing_deadline_ms'] = sink.get_property('processing-deadline') / 1e6
                out.append(entry)
            emit({'event': 'report', 'cpu_s': cpu_seconds(), 'mono_s': time.monotonic(),
                  'wall_ns': time.time_ns(), 'receivers': out})
        elif cmd == 'stamps':
            with self.lock:
                stamps = list(self.stamps)
            with open(parts[1], 'w') as f:
                f.write('\n'.join(str(s) for s in stamps))
            emit({'event': 'stamps', 'n': len(stamps)})
        elif cmd == 'encode':
            t0, t1 = int(parts[1]), int(parts[2])
            with self.lock:
                ms = sorted(e for stamp, e in self.encoded if t0 <= stamp < t1)
            emit({'event': 'encode', 'n': len(ms), 'p50': percentile(ms, 50),
                  'p95': percentile(ms, 95), 'max': ms[-1] if ms else None})
        elif cmd == 'quit':
            self.loop.quit()
        else:
            emit({'event': 'error', 'message': f'unknown command {cmd}'})
        return False

    def read_stdin(self):
        for line in sys.stdin:
            GLib.idle_add(self.command, line.strip())
        GLib.idle_add(self.loop.quit)

    def run(self):
        role = self.args.role
        try:
            if role == 'host':
                self.start_host()
            elif role == 'encode':
                self.start_encode()
            else:
                self.start_recv()
        except GLib.Error as e:
            emit({'event': 'error', 'message': str(e)})
            return 1
        threading.Thread(target=self.read_stdin, daemon=True).start()
        if self.args.max_seconds:
            GLib.timeout_add_seconds(self.args.max_seconds, self.loop.quit)
        self.loop.run()
        for p in self.pipelines:
            p.set_state(Gst.State.NULL)
        for rx in self.receivers:
            if rx['reader']:
                rx['reader'].stop()
        return self.exit_code


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument('role', choices=['host', 'encode', 'recv', 'check'])
    ap.add_argument('--server', default='')
    ap.add_argument('--size', default='1280x720')
    ap.add_argument('--fps', type=int, default=30)
    ap.add_argument('--codec', choices=['vp8', 'h264'], default='vp8')
    ap.add_argument('--pattern', default='ball')
    ap.add_argument('--viewers', type=int, default=1, help='host: signaller::max-viewers of each gvwebrtcsink')
    ap.add_argument('--encoders', type=int, default=1,
                    help='host: N gvwebrtcsink (N encoders) behind a tee, one PIN each')
    ap.add_argument('--pin', action='append', default=[])
    ap.add_argument('--no-decode', dest='decode', action='store_false')
    ap.add_argument('--latency', type=int, default=20, help='receiver jitterbuffer floor, ms (the element default)')
    ap.add_argument('--no-queue', action='store_true',
                    help='receiver: no queue between decoder output and the display sink (as '
                         'pipelines/view.pipeline); decoding then waits for each frame to be shown')
    ap.add_argument('--host-latency', action='store_true',
                    help='host: recalculate latency on LATENCY messages, as the launcher does (see HOST_LATENCY_NOTE)')
    ap.add_argument('--sink-deadline', type=int, default=None,
                    help='receiver: processing-deadline of the display sink, ms (default: the sink\'s, 20)')
    ap.add_argument('--max-seconds', type=int, default=300, help='exit after this long regardless')
    ap.add_argument('--print-pipeline', action='store_true')
    args = ap.parse_args()
    Gst.init(None)
    if args.role == 'check':
        # Which elements the benchmarks need are missing (JSON on stdout).
        need = ['videotestsrc', 'videoconvert', 'fakesink', 'tee', 'queue', 'gvclockstamp',
                'gvclockcheck', 'gvwebrtcsink', 'gvwebrtcsrc', 'webrtcbin', 'nicesrc',
                'dtlssrtpenc', 'vp8enc', 'vp8dec', 'rtpvp8pay', 'rtpvp8depay']
        optional = ['x264enc', 'h264parse', 'avdec_h264', 'rtph264pay', 'rtph264depay']
        emit({'missing': [e for e in need if not Gst.ElementFactory.find(e)],
              'missing_optional': [e for e in optional if not Gst.ElementFactory.find(e)]})
        return 0
    if args.print_pipeline:
        descs = {'host': lambda: [host_desc(args)], 'encode': lambda: [encode_desc(args)],
                 'recv': lambda: [recv_desc(args, p, i) for i, p in enumerate(args.pin)]
                 + ([f'{DISPLAY_READER_DESC}   (fed from display{i}\'s handoff)' for i in range(len(args.pin))]
                    if args.decode else [])}
        print('\n'.join(descs[args.role]()))
        return 0
    return Agent(args).run()


if __name__ == '__main__':
    sys.exit(main())
