#!/usr/bin/python3
# GhostView network benchmark — one process: the host or one viewer. Driven
# by run-network-bench.py over stdin/stdout (one JSON object per line), as
# tests/bench/media/gvmbench.py is; usable by hand too. Runs inside a netlab
# namespace (`ip netns exec`), so no ice-loopback: ICE gathers the
# namespace's own address.
# SPDX-License-Identifier: LGPL-2.1-or-later
#
#   gvnbench.py host --server ws://10.77.0.1:PORT/ws [--size 1280x720 --fps 30 --codec vp8 --viewers N]
#   gvnbench.py recv --server ws://10.77.0.1:PORT/ws --pin 123456 --name link0 [--latency 50]
#
# Commands on stdin (each answered with one JSON line):
#   mark    starts a measurement window (the answer carries the monotonic time)
#   report  host: the sink's `stats` sampled every 0.5 s since the mark (per
#           viewer, plus encoders-running, layer-bitrates and the process's
#           CPU seconds), and the latest webrtcbin get-stats per viewer;
#           viewer: the monotonic time of every frame fakesink sync=true
#           rendered and of every keyframe out of the depayloader since the
#           mark, the latency at display since the mark (gvclockcheck's
#           statistics), its webrtcbin's get-stats and its rtpjitterbuffer's
#           stats
#   quit
#
# Events printed without being asked: {"event":"pin",...} (host),
# {"event":"viewer",...} (host, a viewer added or removed),
# {"event":"first-frame","ttff_ms":..} (viewer: set_state(PLAYING), which
# sends the join, to the first frame rendered), {"event":"error",...}.
# Times are CLOCK_MONOTONIC, which every network namespace shares.
#
# Latency at display: the host stamps each frame with gvclockstamp (the
# wall clock, CLOCK_REALTIME, which the namespaces share too); the viewer
# reads the stamp of each frame as fakesink sync=true hands it over (after
# the jitterbuffer and the sink's clock wait: when it would be shown), with
# gvclockcheck fed by hand, as tests/bench/media does. The code's cells are
# STAMP_CELL pixels at full size, so a viewer on a half- or quarter-size
# layer still reads it (the reader's cell size follows the frame's width).
import argparse
import importlib.util
import json
import os
import sys
import tempfile
import threading
import time
import warnings

import gi

gi.require_version('Gst', '1.0')
gi.require_version('GLib', '2.0')
from gi.repository import GLib, Gst  # noqa: E402

warnings.simplefilter('ignore', DeprecationWarning)  # GObject.ValueArray.get_nth


def _media_agent():
    """tests/bench/media/gvmbench.py as a module: its DisplayReader,
    check_stats and cpu_seconds are used as they are."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'media', 'gvmbench.py')
    spec = importlib.util.spec_from_file_location('gv_media_agent', path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


media = _media_agent()

SAMPLE_MS = 500
STAMP_CELL = 32  # clock-code cell, pixels at full size (quarter size: 8)
VIDEO_DEPAYLOADERS = ('rtpvp8depay', 'rtpvp9depay', 'rtph264depay', 'rtpav1depay')
# webrtcbin get-stats types worth keeping (GstWebRTCStatsType nicks) and the
# fields of each that are numbers; everything numeric is kept.
STATS_TYPES = ('outbound-rtp', 'remote-inbound-rtp', 'inbound-rtp', 'remote-outbound-rtp',
               'candidate-pair', 'remote-candidate', 'local-candidate', 'transport')


def emit(obj):
    sys.stdout.write(json.dumps(obj) + '\n')
    sys.stdout.flush()


def plain(value):
    """A GValue's content as JSON-able data (None when it is not simple)."""
    nick = getattr(value, 'value_nick', None)  # an enum (also an int: test it first)
    if nick is not None:
        return nick
    if isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, Gst.Structure):
        return structure_dict(value)
    return None


def structure_dict(s):
    out = {'_name': s.get_name()}

    def field(fid, value):
        name = GLib.quark_to_string(fid)
        v = plain(value)
        if v is not None:
            out[name] = v
        return True
    try:
        s.foreach(field)
    except TypeError:  # a field type gi cannot convert: keep the rest
        pass
    return out


def viewers_of(stats):
    ok, arr = stats.get_array('viewers')
    if not ok or arr is None:
        return []
    return [structure_dict(arr.get_nth(i)) for i in range(arr.n_values)]


def webrtc_stats(reply):
    """{type: [stats, ...]} of the types in STATS_TYPES."""
    out = {}

    def field(_fid, value):
        if isinstance(value, Gst.Structure):
            d = structure_dict(value)
            t = d.get('type')
            if t in STATS_TYPES:
                out.setdefault(t, []).append(d)
        return True
    reply.foreach(field)
    return out


def webrtcbins(bin_):
    it = bin_.iterate_recurse()
    found = []
    while True:
        ok, e = it.next()
        if ok == Gst.IteratorResult.RESYNC:
            it.resync()
            found = []
            continue
        if ok != Gst.IteratorResult.OK:
            break
        if e.get_factory() and e.get_factory().get_name() == 'webrtcbin':
            found.append(e)
    return found


class Agent:
    def __init__(self, args):
        self.args = args
        self.loop = GLib.MainLoop()
        self.lock = threading.Lock()
        self.pipeline = None
        self.exit_code = 0
        self.mark = None
        self.latency_messages = 0
        self.samples = []       # host: (mono, [viewer dicts])
        self.frames = []        # viewer: monotonic time of each rendered frame
        self.first_frame = None
        self.start = None
        self.rtc = {}           # webrtcbin name -> latest get-stats (filtered)
        self.files = {}         # direction -> the last file step (--file-mib / --download-dir)
        self.peers = []         # host: the viewers' peer ids
        self.reader = None      # viewer: DisplayReader

    def launch(self, desc):
        self.desc = desc
        self.pipeline = Gst.parse_launch(desc)
        bus = self.pipeline.get_bus()
        bus.add_signal_watch()
        bus.connect('message', self.on_message)

    # ---- host ----
    def host_desc(self):
        a = self.args
        w, h = a.size.split('x')
        sink = (f'gvwebrtcsink name=sink signaller::server={a.server} video-codec={a.codec} '
                f'signaller::max-viewers={a.viewers}')
        if a.bitrate:
            sink += f' bitrate={a.bitrate}'
        for prop in a.sink_set:
            sink += f' {prop}'
        if a.file_mib:
            sink += ' allow=view+file'
        return (f'videotestsrc is-live=true pattern={a.pattern} ! '
                f'video/x-raw,width={w},height={h},framerate={a.fps}/1 ! '
                f'gvclockstamp cell-size={STAMP_CELL} ! {sink}')

    def start_host(self):
        self.launch(self.host_desc())
        sink = self.pipeline.get_by_name('sink')
        self.peers = []
        sink.connect('viewer-added', lambda _s, peer, _name: self.peers.append(peer))
        sink.connect('viewer-added', lambda _s, peer, name: GLib.idle_add(
            lambda: emit({'event': 'viewer', 'added': True, 'peer': peer, 'name': name,
                          'mono_s': time.monotonic()}) and False))
        sink.connect('viewer-removed', lambda _s, peer: GLib.idle_add(
            lambda: emit({'event': 'viewer', 'added': False, 'peer': peer,
                          'mono_s': time.monotonic()}) and False))
        GLib.timeout_add(SAMPLE_MS, self.sample_host)
        self.set_playing()

    def sample_host(self):
        sink = self.pipeline.get_by_name('sink')
        stats = sink.get_property('stats')  # never waits (the sink samples every second)
        viewers = viewers_of(stats) if stats else []
        host = {'cpu_s': media.cpu_seconds()}
        if stats:
            ok, running = stats.get_int('encoders-running')
            if ok:
                host['encoders-running'] = running
            ok, arr = stats.get_array('layer-bitrates')
            if ok and arr is not None:
                host['layer-bitrates'] = [arr.get_nth(i) for i in range(arr.n_values)]
        with self.lock:
            if self.mark is not None:
                self.samples.append((time.monotonic(), viewers, host))
        self.poll_webrtc(sink)
        return True

    # ---- viewer ----
    def recv_desc(self):
        a = self.args
        files = f'download-dir={a.download_dir} ' if a.download_dir else ''
        return (f'gvwebrtcsrc name=src signaller::server={a.server} pin={a.pin} '
                f'display-name={a.name} latency={a.latency} {files}! '
                'fakesink name=out sync=true signal-handoffs=true')

    def start_recv(self):
        self.launch(self.recv_desc())
        self.reader = media.DisplayReader(int(self.args.size.split('x')[0]), STAMP_CELL)
        self.pipeline.get_by_name('out').connect('handoff', self.on_handoff)
        self.keyframes = []  # monotonic time of each keyframe out of the depayloader
        self.pipeline.connect('deep-element-added', self.on_element_added)
        GLib.timeout_add(SAMPLE_MS * 2, lambda: self.poll_webrtc(self.pipeline) or True)
        self.start = time.monotonic()
        self.set_playing()

    def on_element_added(self, _bin, _sub, element):
        """Counts keyframes leaving the video depayloader: webrtcbin's
        get-stats in GStreamer 1.22 reports pli-count 0 even while the
        depayloader's keyframe requests are answered."""
        factory = element.get_factory()
        if not factory or factory.get_name() not in VIDEO_DEPAYLOADERS:
            return

        def probe(_pad, info):
            if not info.get_buffer().has_flags(Gst.BufferFlags.DELTA_UNIT):
                with self.lock:
                    self.keyframes.append(time.monotonic())
            return Gst.PadProbeReturn.OK
        element.get_static_pad('src').add_probe(Gst.PadProbeType.BUFFER, probe)

    def on_handoff(self, _sink, buf, pad):
        now = time.monotonic()
        self.reader.read(pad, buf)
        with self.lock:
            self.frames.append(now)
            first = self.first_frame is None
            if first:
                self.first_frame = now
        if first:
            ttff = (now - self.start) * 1000.0
            GLib.idle_add(lambda: emit({'event': 'first-frame', 'ttff_ms': ttff,
                                        'mono_s': now}) and False)

    # ---- both ----
    def poll_webrtc(self, bin_):
        """Asks every webrtcbin for its stats; the reply comes on webrtcbin's
        thread and replaces the last one (never waited for here)."""
        for wb in webrtcbins(bin_):
            name = wb.get_name()

            def done(promise, name=name):
                if promise.wait() != Gst.PromiseResult.REPLIED or not promise.get_reply():
                    return
                got = webrtc_stats(promise.get_reply())
                with self.lock:
                    self.rtc[name] = got
            wb.emit('get-stats', None, Gst.Promise.new_with_change_func(done))
        return True

    def jitterbuffer_stats(self):
        """rtpjitterbuffer's `stats` (lost, late, retransmission requests)."""
        out = []
        it = self.pipeline.iterate_recurse()
        while True:
            ok, e = it.next()
            if ok != Gst.IteratorResult.OK:
                break
            if e.get_factory() and e.get_factory().get_name() == 'rtpjitterbuffer':
                out.append(structure_dict(e.get_property('stats')))
        return out

    def set_playing(self):
        if self.pipeline.set_state(Gst.State.PLAYING) == Gst.StateChangeReturn.FAILURE:
            self.fail('cannot start the pipeline')

    def on_message(self, _bus, msg):
        t = msg.type
        if t == Gst.MessageType.LATENCY and self.args.role == 'recv':
            # gvwebrtcsrc's jitterbuffer latency changed: give the sink the
            # new one, as the launcher (tools/pipeline_run.cpp) and
            # gst-launch-1.0 do. Without it the sink kept the latency of the
            # moment the first frame came (300 - 450 ms on a link congested
            # at the join) for the whole run.
            self.pipeline.recalculate_latency()
            self.latency_messages += 1
        elif t == Gst.MessageType.ELEMENT:
            s = msg.get_structure()
            if s and s.get_name() == 'gvwebrtcsink-session':
                emit({'event': 'pin', 'pin': s.get_string('pin'), 'desc': self.desc})
            elif s and s.get_name() in ('gvwebrtcsrc-file', 'gvwebrtcsink-file'):
                # File transfer steps (progress about every MiB): the last
                # per direction, with when it came.
                ok, got = s.get_uint64('bytes')
                with self.lock:
                    self.files[s.get_string('direction')] = {
                        'state': s.get_string('state'), 'bytes': got if ok else 0,
                        'code': s.get_string('code') or '', 'mono_s': time.monotonic()}
        elif t == Gst.MessageType.ERROR:
            err, dbg = msg.parse_error()
            path = msg.src.get_path_string() if isinstance(msg.src, Gst.Object) else ''
            if self.args.role == 'host' and 'webrtcbin' in path:
                # One viewer's webrtcbin failing: counted, the host goes on
                # (as tests/bench/media does).
                emit({'event': 'viewer-error', 'message': f'{msg.src.get_name()}: {err.message}',
                      'path': path})
                return
            self.fail(f'{msg.src.get_name()}: {err.message} ({dbg})')
        elif t == Gst.MessageType.WARNING:
            err, _dbg = msg.parse_warning()
            emit({'event': 'warning', 'message': f'{msg.src.get_name()}: {err.message}',
                  'mono_s': time.monotonic()})
        elif t == Gst.MessageType.EOS:
            emit({'event': 'eos'})

    def fail(self, message):
        emit({'event': 'error', 'message': message})
        self.exit_code = 1
        self.loop.quit()

    def command(self, line):
        cmd = line.split()[0] if line.split() else ''
        if cmd == 'mark':
            with self.lock:
                self.mark = time.monotonic()
                self.samples = []
                mark = self.mark
            if self.reader:
                self.reader.check.emit('reset')
            emit({'event': 'mark', 'mono_s': mark})
        elif cmd == 'report':
            jitterbuffers = self.jitterbuffer_stats() if self.args.role == 'recv' else None
            with self.lock:
                out = {'event': 'report', 'mono_s': time.monotonic(), 'mark_s': self.mark,
                       'desc': self.desc, 'webrtc': dict(self.rtc), 'files': dict(self.files)}
                if self.args.role == 'host':
                    out['samples'] = [{'mono_s': t, 'viewers': v, **h} for t, v, h in self.samples]
                else:
                    since = self.mark if self.mark is not None else 0.0
                    out['frames'] = [t for t in self.frames if t >= since]
                    out['jitterbuffers'] = jitterbuffers
                    out['latency_messages'] = self.latency_messages
                    out['keyframes'] = [t for t in self.keyframes if t >= since]
                    out['first_frame_s'] = self.first_frame
                    out['start_s'] = self.start
                    out['display_latency'] = media.check_stats(self.reader.check)
            emit(out)
        elif cmd == 'send-file':
            # Host: offers a file of --file-mib MiB (random bytes, made at
            # start) to every viewer.
            sink = self.pipeline.get_by_name('sink')
            sent = [p for p in self.peers if sink.emit('send-file', p, self.file_path)]
            emit({'event': 'file-sent', 'peers': sent, 'mono_s': time.monotonic()})
        elif cmd == 'quit':
            self.loop.quit()
        elif cmd:
            emit({'event': 'error', 'message': f'unknown command {cmd}'})
        return False

    def read_stdin(self):
        for line in sys.stdin:
            GLib.idle_add(self.command, line.strip())
        GLib.idle_add(self.loop.quit)

    def run(self):
        try:
            if self.args.role == 'host':
                self.start_host()
            else:
                self.start_recv()
        except GLib.Error as e:
            emit({'event': 'error', 'message': str(e)})
            return 1
        threading.Thread(target=self.read_stdin, daemon=True).start()
        GLib.timeout_add_seconds(self.args.max_seconds, self.loop.quit)
        self.loop.run()
        self.pipeline.set_state(Gst.State.NULL)
        if self.reader:
            self.reader.stop()
        return self.exit_code


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument('role', choices=['host', 'recv', 'check'])
    ap.add_argument('--server', default='')
    ap.add_argument('--size', default='1280x720', help='host: what it shares; viewer: the full size '
                    '(where the clock code is read at its full cell size)')
    ap.add_argument('--fps', type=int, default=30)
    ap.add_argument('--codec', choices=['vp8', 'vp9', 'h264'], default='vp8')
    ap.add_argument('--pattern', default='ball')
    ap.add_argument('--bitrate', type=int, default=0, help='host: gvwebrtcsink bitrate (kbit/s; 0: its default)')
    ap.add_argument('--sink-set', action='append', default=[], metavar='NAME=VALUE',
                    help='host: another gvwebrtcsink property (repeatable)')
    ap.add_argument('--viewers', type=int, default=1)
    ap.add_argument('--pin', default='')
    ap.add_argument('--name', default='viewer')
    ap.add_argument('--latency', type=int, default=20, help='viewer: jitterbuffer floor, ms')
    ap.add_argument('--max-seconds', type=int, default=600, help='exit after this long regardless')
    ap.add_argument('--file-mib', type=int, default=0,
                    help='host: viewers get the file capability and `send-file` offers them a file of this many MiB')
    ap.add_argument('--download-dir', default='', help='viewer: where files from the host land')
    ap.add_argument('--print-pipeline', action='store_true')
    args = ap.parse_args()
    Gst.init(None)
    if args.role == 'check':
        need = ['videotestsrc', 'fakesink', 'gvwebrtcsink', 'gvwebrtcsrc', 'webrtcbin', 'nicesrc',
                'dtlssrtpenc', 'vp8enc', 'vp8dec', 'gvclockstamp', 'gvclockcheck']
        emit({'missing': [e for e in need if not Gst.ElementFactory.find(e)]})
        return 0
    agent = Agent(args)
    if args.role == 'host' and args.file_mib:
        fd, agent.file_path = tempfile.mkstemp(prefix='gv-nbench-file-')
        with os.fdopen(fd, 'wb') as f:
            for _ in range(args.file_mib):
                f.write(os.urandom(1024 * 1024))
    if args.print_pipeline:
        print(agent.host_desc() if args.role == 'host' else agent.recv_desc())
        return 0
    try:
        return agent.run()
    finally:
        if getattr(agent, 'file_path', None):
            os.unlink(agent.file_path)


if __name__ == '__main__':
    sys.exit(main())
