#!/usr/bin/python3
"""GhostView media benchmarks (issue 7, items 1, 2, 3, 4 and 6).

  1. latency, native receiver, loopback (gvclockstamp -> gvwebrtcsink ->
     gvwebrtcsrc -> gvclockcheck), VP8 and H.264, 720p30, 1080p30, 1080p60,
     read twice from the same frames in the same run: "at display"
     (glass-to-glass: when a fakesink sync=true, with the pipeline's latency
     and its default processing-deadline, renders the frame) and "decoder
     output" (right after the decoder, before any clock wait); what-ifs that
     show what the display figure is made of (no queue before the sink, as
     view.pipeline; sink processing-deadline 0; jitterbuffer floor 50 ms (the old default);
     the host recalculating latency; webrtcbin's 200 ms jitterbuffer);
  2. the same stamp read in headless Chromium by the viewer page
     (web/js/latency-reader.js) at the frame's expectedDisplayTime, i.e. at
     display;
  3. host CPU: source ! gvwebrtcsink with one viewer vs the bare encode
     (same source ! same encoder settings ! fakesink), interleaved runs;
  4. fan-out: host CPU with 1, 5, 10 receivers (receivers in another
     process), one shared encoder vs one encoder per viewer;
  6. time to first frame: native (set_state(PLAYING), which sends the join,
     to the first buffer on gvwebrtcsrc's pad) and browser (Enter pressed
     to the first requestVideoFrameCallback).

Every process is tests/bench/media/gvmbench.py (host / encode / recv),
driven over stdin/stdout; the browser part is browser-bench.mjs. Writes
BUILD/bench/media.md (and media.json): medians over --reps runs, ratios
from the same run, the pipelines and the command per figure.

Builds nothing: expects BUILD/plugins and BUILD/signaling/ghostview-signaling
(and for the browser part node, /usr/bin/chromium and tests/browser's
node_modules). Loopback only.
"""
import argparse
import json
import os
import platform
import queue
import shlex
import signal
import statistics
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
AGENT = os.path.join(HERE, 'gvmbench.py')
BROWSER = os.path.join(HERE, 'browser-bench.mjs')
PY = '/usr/bin/python3' if os.path.exists('/usr/bin/python3') else sys.executable
SCRIPT_REL = 'tests/bench/media/run-media-bench.py'


class BenchError(Exception):
    pass


class Nice:
    """--nice N: run every benchmark process (not the driver) at niceness N."""
    value = 0
    failed = False

    def apply(self):
        if self.value:
            try:
                os.setpriority(os.PRIO_PROCESS, 0, self.value)
            except OSError:
                pass  # not allowed (negative N needs root): runs at the default


NICE = Nice()
VIEWER_ERRORS = []  # errors posted from inside a viewer's webrtcbin on the host bus


def log(*a):
    print(f'[{time.strftime("%H:%M:%S")}]', *a, file=sys.stderr, flush=True)


def median(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


# ---------------------------------------------------------------- processes

class Proc:
    """A child printing one JSON object per line; commands on its stdin."""

    def __init__(self, argv, env, logdir, name):
        self.name = name
        self.argv = argv
        self.stderr_path = os.path.join(logdir, f'{name}.stderr')
        self.stderr = open(self.stderr_path, 'w')
        self.p = subprocess.Popen(argv, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=self.stderr, text=True, bufsize=1, preexec_fn=NICE.apply)
        self.q = queue.Queue()
        self.backlog = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        out = open(os.path.join(os.path.dirname(self.stderr_path), f'{self.name}.stdout'), 'w')
        for line in self.p.stdout:
            out.write(line)
            out.flush()
            line = line.strip()
            if not line:
                continue
            try:
                self.q.put(json.loads(line))
            except ValueError:
                self.q.put({'event': 'text', 'text': line})
        rc = self.p.wait()
        self.q.put({'event': 'exit', 'message': f'exited with status {rc}'
                    + (f' (signal {-rc})' if rc < 0 else '')})

    def wait(self, event, timeout, where=''):
        """The next message named `event` (others before it are kept)."""
        for i, m in enumerate(self.backlog):
            if m.get('event') == event:
                return self.backlog.pop(i)
        end = time.monotonic() + timeout
        while True:
            left = end - time.monotonic()
            if left <= 0:
                raise BenchError(f'{self.name}: no "{event}" in {timeout:.0f} s {where}'
                                 f'\n{self.tail()}')
            try:
                m = self.q.get(timeout=left)
            except queue.Empty:
                continue
            ev = m.get('event')
            if ev == event:
                return m
            if ev in ('error', 'exit'):
                text = ' '.join(b.get('text', '') for b in self.backlog if b.get('event') == 'text')
                raise BenchError(f'{self.name}: {m.get("message", "exited")} {text} {where}'
                                 f'\n{self.tail()}')
            self.backlog.append(m)

    def events(self, name):
        """Every message named `name` received so far and not waited for."""
        while True:
            try:
                self.backlog.append(self.q.get_nowait())
            except queue.Empty:
                break
        return [m for m in self.backlog if m.get('event') == name]

    def send(self, line):
        self.p.stdin.write(line + '\n')
        self.p.stdin.flush()

    def ask(self, cmd, event, timeout=10):
        self.send(cmd)
        return self.wait(event, timeout, f'(after "{cmd}")')

    def tail(self, n=15):
        try:
            with open(self.stderr_path) as f:
                lines = [l for l in f.read().splitlines() if 'gupnp' not in l and l.strip()]
            return '\n'.join(lines[-n:])
        except OSError:
            return ''

    def stop(self):
        if self.p.poll() is None:
            time.sleep(0.2)  # late bus messages (a viewer leaving)
        for m in self.events('viewer-error'):
            VIEWER_ERRORS.append(f'{self.name}: {m["message"]} ({m["path"]})')
        self.backlog = [m for m in self.backlog if m.get('event') != 'viewer-error']
        if self.p.poll() is None:
            try:
                self.send('quit')
            except (BrokenPipeError, OSError):
                pass
            try:
                self.p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()
        self.stderr.close()


class Bench:
    def __init__(self, args):
        self.args = args
        self.build = os.path.abspath(args.build_dir)
        self.outdir = os.path.dirname(os.path.abspath(args.out))
        self.logdir = os.path.join(self.outdir, 'media-logs')
        os.makedirs(self.logdir, exist_ok=True)
        self.env = dict(os.environ)
        self.env['GST_PLUGIN_PATH_1_0'] = os.environ.get('GST_PLUGIN_PATH_1_0') or os.path.join(self.build, 'plugins')
        self.env['GST_REGISTRY_1_0'] = os.path.join(self.outdir, 'media-gst-registry.bin')
        self.env['GST_DEBUG_NO_COLOR'] = '1'
        self.env.pop('GST_DEBUG', None)
        self.counter = 0
        self.server = None
        self.results = []  # rows
        self.pipelines = {}  # figure id -> [pipeline descriptions]
        self.raw = {}

    # ---- server ----
    def start_server(self):
        binary = os.path.join(self.build, 'signaling', 'ghostview-signaling')
        if not os.path.exists(binary):
            raise BenchError(f'{binary} is not built')
        web = os.environ.get('GHOSTVIEW_WEB_DIR') or os.path.join(SOURCE_ROOT, 'web')
        self.server_log = open(os.path.join(self.logdir, 'server.log'), 'w')
        # One address creates every session here: raise the per-IP creation
        # limit (a test/benchmark knob that --production refuses).
        self.server = subprocess.Popen(
            [binary, '--address', '127.0.0.1', '--port', '0', '--web-root', web,
             '--create-rate', '100000'],
            stdout=subprocess.PIPE, stderr=self.server_log, text=True, preexec_fn=NICE.apply)
        end = time.monotonic() + 10
        while time.monotonic() < end:
            line = self.server.stdout.readline()
            if not line:
                break
            if 'listening on' in line:
                url = line.split('listening on', 1)[1].split()[0].rstrip('/')
                self.http = url
                self.ws = url.replace('http', 'ws', 1) + '/ws'
                threading.Thread(target=lambda: self.server.stdout.read(), daemon=True).start()
                log('signalling server at', self.http)
                return
        raise BenchError('the signalling server did not start')

    def stop_server(self):
        if self.server and self.server.poll() is None:
            self.server.terminate()
            try:
                self.server.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.server.kill()
                self.server.wait()

    def agent(self, role, *opts):
        self.counter += 1
        argv = [PY, AGENT, role, '--server', self.ws, *[str(o) for o in opts]]
        return Proc(argv, self.env, self.logdir, f'{self.counter:03d}-{role}')

    def stamps_between(self, host, t0_ns, t1_ns):
        path = os.path.join(self.logdir, f'stamps-{self.counter}.txt')
        host.ask(f'stamps {path}', 'stamps')
        with open(path) as f:
            stamps = [int(l) for l in f if l.strip()]
        return sum(1 for s in stamps if t0_ns <= s < t1_ns)

    def row(self, fig, config, result, goal, met, cmd_id, extra=None):
        self.results.append({'figure': fig, 'config': config, 'result': result, 'goal': goal,
                             'met': met, 'only': cmd_id, 'extra': extra or {}})

    def wanted(self, fid):
        return not self.args.only or any(fid.startswith(o) for o in self.args.only)

    # ---- 1 + 6 native: latency and time to first frame ----
    def latency(self, fid, codec, size, fps, latency=20, sink_deadline=None, no_queue=False,
                host_latency=False):
        """Latency at display and at decoder output, read from the same frames
        in the same run (gvmbench.py recv: two gvclockcheck instances)."""
        if not self.wanted(fid):
            return
        if codec == 'h264' and self.no_h264:
            raise BenchError(f'{fid}: {self.no_h264}')
        a = self.args
        log(f'latency {fid}: {codec} {size}@{fps} jitterbuffer {latency} ms'
            + (f' sink processing-deadline {sink_deadline} ms' if sink_deadline is not None else '')
            + (' no queue' if no_queue else '') + (' host recalculates latency' if host_latency else ''))
        host = self.agent('host', '--size', size, '--fps', fps, '--codec', codec, '--viewers', a.reps,
                          *(['--host-latency'] if host_latency else []))
        reps = []
        descs = []
        try:
            pin = host.wait('pin', 30)
            descs.append(pin['desc'])
            for r in range(a.reps):
                opts = ['--pin', pin['pins'][0], '--latency', latency]
                if sink_deadline is not None:
                    opts += ['--sink-deadline', sink_deadline]
                if no_queue:
                    opts += ['--no-queue']
                rx = self.agent('recv', *opts)
                try:
                    ff = rx.wait('first-frame', 20, f'(rep {r + 1})')
                    try:
                        fresh = rx.wait('fresh-frame', 10, f'(rep {r + 1})')['fresh_ms']
                    except BenchError:
                        fresh = None
                    time.sleep(a.warmup)
                    m0 = rx.ask('mark', 'mark')
                    time.sleep(a.seconds)
                    rep = rx.ask('report', 'report')
                finally:
                    rx.stop()
                e = rep['receivers'][0]
                descs.append(e['desc'])
                disp, dec = e['display'], e['decoded']
                window = rep['mono_s'] - m0['mono_s']
                # The frames shown in the window were stamped about p50 earlier.
                shift = int(disp['p50'] * 1e6)
                t0, t1 = m0['wall_ns'] - shift, rep['wall_ns'] - shift
                stamped = self.stamps_between(host, t0, t1)
                enc = host.ask(f'encode {t0} {t1}', 'encode')
                reps.append({'ttff_ms': ff['ttff_ms'], 'fresh_ms': fresh,
                             'first_age_ms': e['first_latency_ms'],
                             'p50': disp['p50'], 'p95': disp['p95'], 'max': disp['max'],
                             'count': disp['count'], 'unreadable': disp['unreadable'],
                             'dec_p50': dec['p50'], 'dec_p95': dec['p95'], 'dec_max': dec['max'],
                             'dec_count': dec['count'], 'dec_unreadable': dec['unreadable'],
                             'wait_p50': e['wait_to_display_p50_ms'],
                             'wait_p95': e['wait_to_display_p95_ms'],
                             'encode_p50': enc['p50'], 'encode_p95': enc['p95'],
                             'jitterbuffer_ms': e['current_latency_ms'],
                             'jb_window_peak_ms': e['window_peak_latency_ms'],
                             'jb_startup_peak_ms': e['peak_latency_ms'],
                             'raised_in_window': e['window_peak_latency_ms'] > latency,
                             'sink_latency_ms': e['sink_latency_ms'],
                             'sink_deadline_ms': e['sink_processing_deadline_ms'],
                             'other_latency_ms': (e['sink_latency_ms'] - e['current_latency_ms']
                                                  - e['sink_processing_deadline_ms']),
                             'latency_messages': e['latency_messages'],
                             'read_errors': e['display_read_errors'],
                             'stamped': stamped, 'window_s': window,
                             'src_fps': stamped / window, 'rx_fps': disp['count'] / window,
                             'share': disp['count'] / stamped if stamped else 0.0})
                log(f'  rep {r + 1}: at display p50 {disp["p50"]:.1f} p95 {disp["p95"]:.1f} '
                    f'max {disp["max"]:.1f} ms; decoder output p50 {dec["p50"]:.1f} p95 {dec["p95"]:.1f} ms; '
                    f'jitterbuffer {e["current_latency_ms"]} ms (peak {e["peak_latency_ms"]}), '
                    f'sink latency {e["sink_latency_ms"]:.1f} ms, '
                    f'{disp["count"]}/{stamped} frames, ttff {ff["ttff_ms"]:.0f} ms')
        finally:
            host.stop()
        self.raw[fid] = reps
        self.pipelines[fid] = list(dict.fromkeys(descs)) + [
            'gvclockcheck name=check interval=0 ! fakesink sync=false async=false   '
            '(at display: fed from the display sink\'s handoff, in the receiver process)']
        med = {k: median([r[k] for r in reps]) for k in reps[0]}
        med['fresh_missing'] = sum(1 for r in reps if r['fresh_ms'] is None)
        interval = 1000.0 / fps
        cfg = f'{codec.upper()} {size}@{fps}, jitterbuffer `latency={latency}`'
        if sink_deadline is not None:
            cfg += f', sink `processing-deadline={sink_deadline}` ms'
        if no_queue:
            cfg += ', no queue before the display sink (as `view.pipeline`)'
        if host_latency:
            cfg += ', host recalculates latency (as the launcher; videotestsrc declares 1 frame)'
        default = latency == 20 and sink_deadline is None and not no_queue and not host_latency

        def ms(v, digits=1):
            return '?' if v is None else f'{v:.{digits}f}'
        res = (f'p50 **{med["p50"]:.1f}** / p95 {med["p95"]:.1f} / max {med["max"]:.1f} ms; '
               f'shown {100 * med["share"]:.0f}% of stamped; source {med["src_fps"]:.1f} fps of {fps}. '
               'Runs\' p50 (jitterbuffer latency at the end): '
               + ', '.join(f'{r["p50"]:.1f} ({r["jitterbuffer_ms"]})' for r in reps) + '. ')
        clean = [r for r in reps if r['jb_startup_peak_ms'] <= latency]
        if clean:
            c = {k: median([r[k] for r in clean]) for k in clean[0]}
            res += (f'Made of ({len(clean)} run(s) at the floor): stamp → encoder output '
                    f'{ms(c["encode_p50"])} ms, → decoder output {ms(c["dec_p50"])} ms, then '
                    f'{ms(c["wait_p50"])} ms until shown: the sink shows a frame at its timestamp '
                    f'(about when its first packet arrived) plus the pipeline latency, '
                    f'{ms(c["sink_latency_ms"], 0)} ms = jitterbuffer {ms(c["jitterbuffer_ms"], 0)} '
                    f'+ sink processing-deadline {ms(c["sink_deadline_ms"], 0)}'
                    + (f' + other elements {c["other_latency_ms"]:.0f}' if c['other_latency_ms'] else '')
                    + '. ')
        raised = [r['jb_startup_peak_ms'] for r in reps if r['jb_startup_peak_ms'] > latency]
        if raised:
            res += (f'**In {len(raised)} of {len(reps)} runs the adaptive jitterbuffer latency rose above '
                    f'its floor** (to {min(raised)}–{max(raised)} ms, from start-up to the end of the '
                    f'window); frames after a rise are shown that much later. ')
        res += f'{med["latency_messages"]:.0f} LATENCY messages handled per run'
        if med['unreadable']:
            res += f'; {med["unreadable"]:.0f} unreadable'
        goal, met = '—', ''
        if codec == 'vp8' and size == '1280x720' and fps == 30 and default:
            goal = 'p50 ≤ 45 ms, p95 ≤ 60 ms (clean loopback)'
            met = 'met' if med['p50'] <= 45 and med['p95'] <= 60 else 'short'
        elif size == '1920x1080' and fps == 30 and default:
            goal = f'p50 ≤ {interval + 15:.1f} ms (1 frame + 15), p95 ≤ 80 ms'
            met = 'met' if med['p50'] <= interval + 15 and med['p95'] <= 80 else 'short'
        self.row('1 latency at display (native)', cfg, res, goal, met, fid, med)
        res = (f'p50 **{med["dec_p50"]:.1f}** / p95 {med["dec_p95"]:.1f} / max {med["dec_max"]:.1f} ms; '
               f'decoded {med["dec_count"] / med["window_s"]:.1f} fps (same frames, same run)')
        if med['dec_unreadable']:
            res += f'; {med["dec_unreadable"]:.0f} unreadable'
        self.row('1 latency, decoder output (native; not glass-to-glass)', cfg, res, '—', '', fid, med)
        if default:
            self.ttff_rows('6 first frame (native)', f'{codec.upper()} {size}@{fps}', reps, fid)

    def ttff_rows(self, fig, cfg, reps, fid):
        tt = [r['ttff_ms'] for r in reps]
        age = median([r.get('first_age_ms') for r in reps])
        res = f'median **{median(tt):.0f} ms** (min {min(tt):.0f}, max {max(tt):.0f}, n={len(tt)})'
        if age is not None:
            res += f'; that first frame was {age:.0f} ms old'
        self.row(fig, cfg + ': to first decoded frame', res, '≤ 1000 ms',
                 'met' if median(tt) <= 1000 else 'short', fid)
        fresh = [r.get('fresh_ms') for r in reps]
        known = [f for f in fresh if f is not None]
        res = (f'median **{median(known):.0f} ms** (min {min(known):.0f}, max {max(known):.0f}, n={len(known)})'
               if known else '**never** within the wait')
        if len(known) < len(fresh):
            res += f'; {len(fresh) - len(known)} of {len(fresh)} runs never got a frame ≤ 100 ms old in 10 s'
        med = median(known) if len(known) * 2 > len(fresh) else None
        self.row(fig, cfg + ': to first fresh frame (≤ 100 ms old)', res, '(≤ 1000 ms)',
                 'met' if med is not None and med <= 1000 else 'short', fid)

    # ---- 2 + 6 browser ----
    def browser(self, fid, codec, size, fps):
        if not self.wanted(fid):
            return
        a = self.args
        if a.no_browser:
            return
        if codec == 'h264' and self.no_h264:
            raise BenchError(f'{fid}: {self.no_h264}')
        log(f'browser {fid}: {codec} {size}@{fps}')
        host = self.agent('host', '--size', size, '--fps', fps, '--codec', codec, '--viewers', a.browser_reps)
        try:
            pin = host.wait('pin', 30)
            self.counter += 1
            argv = ['node', BROWSER, '--url', self.http, '--pin', pin['pins'][0],
                    '--reps', str(a.browser_reps), '--warmup', str(a.warmup), '--seconds', str(a.seconds)]
            b = Proc(argv, self.env, self.logdir, f'{self.counter:03d}-browser')
            reps = []
            try:
                while len(reps) < a.browser_reps:
                    m = b.wait('rep', 60 + a.seconds + a.warmup)
                    if m.get('skip'):
                        raise BenchError(f'browser part skipped: {m["skip"]}')
                    shift = int(m['p50'] * 1e6)
                    stamped = self.stamps_between(host, m['t0_ns'] - shift, m['t1_ns'] - shift)
                    window = (m['t1_ns'] - m['t0_ns']) / 1e9
                    m['stamped'] = stamped
                    m['share'] = m['count'] / stamped if stamped else 0.0
                    m['src_fps'] = stamped / window
                    m['rx_fps'] = m['count'] / window
                    reps.append(m)
                    log(f'  rep {len(reps)}: p50 {m["p50"]:.1f} p95 {m["p95"]:.1f} max {m["max"]:.1f} ms, '
                        f'{m["count"]}/{stamped} frames, ttff {m["ttff_ms"]:.0f} ms')
            finally:
                b.stop()
        finally:
            host.stop()
        self.raw[fid] = reps
        self.pipelines[fid] = [pin['desc'], f'headless Chromium: {self.http}/ (PIN typed, Enter), '
                               'LatencyReader from /js/latency-reader.js on #video']
        keys = ['p50', 'p95', 'max', 'share', 'src_fps', 'rx_fps', 'ttff_ms', 'unreadable',
                'jitter_buffer_delay_ms']
        med = {k: median([r[k] for r in reps]) for k in keys}
        res = (f'p50 **{med["p50"]:.1f}** / p95 {med["p95"]:.1f} / max {med["max"]:.1f} ms; '
               f'delivered {100 * med["share"]:.0f}% of stamped; source {med["src_fps"]:.1f} fps, '
               f'read {med["rx_fps"]:.1f} fps; Chromium jitter buffer {med["jitter_buffer_delay_ms"] or 0:.0f} ms')
        if med['unreadable']:
            res += f'; {med["unreadable"]:.0f} unreadable'
        goal, met = '—', ''
        if size == '1920x1080' and fps == 30:
            goal, met = 'p50 ≤ 70 ms', 'met' if med['p50'] <= 70 else 'short'
        self.row('2 latency at display (browser: the frame\'s expectedDisplayTime)',
                 f'{codec.upper()} {size}@{fps}, headless Chromium', res, goal, met, fid, med)
        self.ttff_rows('6 first frame (browser)', f'{codec.upper()} {size}@{fps}', reps, fid)

    # ---- 3: host CPU vs bare encode ----
    def measure_cpu(self, proc, seconds=None):
        m0 = proc.ask('mark', 'mark')
        time.sleep(seconds or self.args.seconds)
        m1 = proc.ask('mark', 'mark')
        wall = m1['mono_s'] - m0['mono_s']
        frames = m1['frames'] - m0['frames']
        return {'cpu_s': m1['cpu_s'] - m0['cpu_s'], 'wall_s': wall, 'frames': frames,
                'cpu_pct': 100 * (m1['cpu_s'] - m0['cpu_s']) / wall, 'fps': frames / wall,
                'encoder': m1.get('encoder')}

    def run_host_with_viewers(self, codec, size, fps, n, per_viewer, seconds=None):
        opts = ['--size', size, '--fps', fps, '--codec', codec]
        opts += ['--encoders', n, '--viewers', 1] if per_viewer else ['--viewers', n]
        host = self.agent('host', *opts)
        rx = None
        try:
            pin = host.wait('pin', 30)
            pins = pin['pins'] if per_viewer else pin['pins'] * n
            rx = self.agent('recv', '--no-decode', *sum((['--pin', p] for p in pins), []))
            for i in range(n):
                rx.wait('first-frame', 30, f'({i + 1} of {n} viewers)')
            time.sleep(self.args.warmup)
            m = self.measure_cpu(host, seconds)
            m['desc'] = pin['desc']
            rep = rx.ask('report', 'report')
            m['rx_desc'] = rep['receivers'][0]['desc']
            return m
        finally:
            if rx:
                rx.stop()
            host.stop()

    def run_encode(self, codec, size, fps, seconds=None):
        enc = self.agent('encode', '--size', size, '--fps', fps, '--codec', codec)
        try:
            ready = enc.wait('ready', 30)
            # As long as a host typically runs before its window opens (PIN,
            # join, first frame, warm-up): the encoder at the same age.
            time.sleep(self.args.warmup + (0.5 if self.args.smoke else 3.0))
            m = self.measure_cpu(enc, seconds)
            m['desc'] = ready['desc']
            return m
        finally:
            enc.stop()

    def host_cpu(self, fid, codec, size, fps):
        if not self.wanted(fid):
            return
        if codec == 'h264' and self.no_h264:
            raise BenchError(f'{fid}: {self.no_h264}')
        log(f'host CPU {fid}: {codec} {size}@{fps}')
        reps = []
        secs = self.args.cpu_seconds
        for r in range(self.args.reps):
            # Interleaved, alternating which goes first: each pair is one run.
            if r % 2 == 0:
                bare = self.run_encode(codec, size, fps, secs)
                full = self.run_host_with_viewers(codec, size, fps, 1, False, secs)
            else:
                full = self.run_host_with_viewers(codec, size, fps, 1, False, secs)
                bare = self.run_encode(codec, size, fps, secs)
            if bare['encoder'] != full['encoder']:
                diff = sorted(k for k in set(bare['encoder'] or {}) | set(full['encoder'] or {})
                              if (bare['encoder'] or {}).get(k) != (full['encoder'] or {}).get(k))
                raise BenchError(f'{fid}: the bare encoder is not configured as the host\'s '
                                 f'(differs in {", ".join(diff)}); update ENCODERS in gvmbench.py')
            ratio = (full['cpu_s'] / max(full['frames'], 1)) / (bare['cpu_s'] / max(bare['frames'], 1))
            reps.append({'bare_pct': bare['cpu_pct'], 'full_pct': full['cpu_pct'],
                         'bare_fps': bare['fps'], 'full_fps': full['fps'], 'ratio': ratio,
                         'ratio_per_s': full['cpu_pct'] / bare['cpu_pct']})
            log(f'  rep {r + 1}: bare {bare["cpu_pct"]:.0f}% ({bare["fps"]:.1f} fps), '
                f'host {full["cpu_pct"]:.0f}% ({full["fps"]:.1f} fps), ratio {ratio:.3f}')
        self.raw[fid] = reps
        self.pipelines[fid] = [bare['desc'], full['desc'], full['rx_desc'] + '   (separate process)']
        med = {k: median([r[k] for r in reps]) for k in reps[0]}
        res = (f'ratio **{med["ratio"]:.2f}** (CPU s per frame; per second {med["ratio_per_s"]:.2f}); '
               f'host {med["full_pct"]:.0f}% of a core at {med["full_fps"]:.1f} fps, bare encode '
               f'{med["bare_pct"]:.0f}% at {med["bare_fps"]:.1f} fps')
        self.row('3 host CPU', f'{codec.upper()} {size}@{fps}, 1 viewer', res, '≤ 1.10',
                 'met' if med['ratio'] <= 1.10 else 'short', fid, med)

    # ---- 4: fan-out ----
    def fanout(self, fid, codec, size, fps, counts):
        if not self.wanted(fid):
            return
        if codec == 'h264' and self.no_h264:
            raise BenchError(f'{fid}: {self.no_h264}')
        log(f'fan-out {fid}: {codec} {size}@{fps}, viewers {counts}')
        reps = []
        descs = []
        for r in range(self.args.fanout_reps):
            rep = {}
            for per_viewer in (False, True):
                for n in counts:
                    if per_viewer and n == 1:
                        continue  # one encoder per viewer with 1 viewer is the shared case
                    m = self.run_host_with_viewers(codec, size, fps, n, per_viewer)
                    key = f'{"per" if per_viewer else "shared"}{n}'
                    rep[key] = m
                    if n == counts[-1] or n == 1:
                        descs.append(m['desc'])
                    log(f'  rep {r + 1} {key}: {m["cpu_pct"]:.0f}% of a core, {m["fps"]:.1f} fps')
            reps.append(rep)
        descs.append(m['rx_desc'] + '  (one per viewer, all in one separate process)')
        self.raw[fid] = [{k: {kk: vv for kk, vv in v.items() if 'desc' not in kk} for k, v in rep.items()}
                         for rep in reps]
        self.pipelines[fid] = list(dict.fromkeys(descs))
        big = counts[-1]

        def med(key, field='cpu_pct'):
            return median([rep[key][field] for rep in reps])
        shared = ', '.join(f'{n}: {med(f"shared{n}"):.0f}%' for n in counts)
        ratio = median([rep[f'shared{big}']['cpu_pct'] / rep['shared1']['cpu_pct'] for rep in reps])
        res = (f'CPU({big})/CPU(1) **{ratio:.2f}**; host CPU (% of one core) with {shared} viewers; '
               f'{med(f"shared{big}", "fps"):.1f} fps at {big}')
        self.row('4 fan-out, one shared encoder', f'{codec.upper()} {size}@{fps}', res, '≤ 1.3',
                 'met' if ratio <= 1.3 else 'short', fid + '', {'ratio': ratio})
        per = ', '.join(f'{n}: {med(f"per{n}" if n > 1 else "shared1"):.0f}%' for n in counts)
        pratio = median([rep[f'per{big}']['cpu_pct'] / rep['shared1']['cpu_pct'] for rep in reps])
        vs = median([rep[f'per{big}']['cpu_pct'] / rep[f'shared{big}']['cpu_pct'] for rep in reps])
        res = (f'CPU({big})/CPU(1) **{pratio:.2f}**; {per}; source {med(f"per{big}", "fps"):.1f} fps of '
               f'{fps} at {big} (encoders starved: each frame goes to every encoder); '
               f'{big} encoders / shared at {big} viewers: {vs:.2f}×')
        self.row('4 fan-out, one encoder per viewer (comparison)', f'{codec.upper()} {size}@{fps}', res,
                 '(comparison)', '', fid, {'ratio': pratio})

    # ---- output ----
    def machine(self):
        model = ''
        try:
            with open('/proc/cpuinfo') as f:
                for line in f:
                    if line.startswith('model name'):
                        model = line.split(':', 1)[1].strip()
                        break
        except OSError:
            pass
        try:
            load = ', '.join(f'{x:.2f}' for x in os.getloadavg())
        except OSError:
            load = '?'
        try:
            with open('/proc/meminfo') as f:
                mem = f.readline().split(':')[1].strip()
        except OSError:
            mem = '?'
        gst = subprocess.run(['gst-launch-1.0', '--version'], capture_output=True, text=True).stdout
        gst = gst.splitlines()[1] if len(gst.splitlines()) > 1 else gst.strip()
        chromium = ''
        try:
            chromium = subprocess.run(['/usr/bin/chromium', '--version'], capture_output=True,
                                      text=True, timeout=10).stdout.strip()
        except (OSError, subprocess.TimeoutExpired):
            pass
        return {'nproc': os.cpu_count(), 'cpu': model, 'mem': mem, 'load': load,
                'kernel': platform.release(), 'gstreamer': gst, 'chromium': chromium}

    def write(self, machine, load_after, elapsed):
        a = self.args
        argv = ' '.join(shlex.quote(x) for x in sys.argv[1:])
        lines = ['# GhostView media benchmarks', '',
                 f'Generated {time.strftime("%Y-%m-%d %H:%M:%S %Z")} by `{SCRIPT_REL} {argv}` '
                 f'in {elapsed:.0f} s.', '',
                 f'Machine: {machine["nproc"]} CPUs ({machine["cpu"]}), {machine["mem"]} RAM, '
                 f'Linux {machine["kernel"]}, {machine["gstreamer"]}, {machine["chromium"] or "no Chromium"}. '
                 f'Load average before: {machine["load"]}; after: {load_after}. Shared machine: other '
                 'work was running; figures are medians over runs, ratios are taken within one run.', '',
                 f'Method: {a.reps} runs per latency/CPU figure ({a.browser_reps} browser, '
                 f'{a.fanout_reps} fan-out), each measured for {a.seconds:g} s after {a.warmup:g} s of '
                 'warm-up; videotestsrc is-live=true pattern=ball (a moving picture) stamped by '
                 'gvclockstamp; everything over 127.0.0.1 through ghostview-signaling. '
                 'Native latency is read twice from the same frames: **at display** (glass-to-glass: '
                 'the moment `fakesink sync=true` renders the frame, after the jitterbuffer and the '
                 'sink\'s clock wait, the pipeline\'s latency recalculated on every LATENCY message '
                 'as the launcher does) and at **decoder output** (right after the decoder, before '
                 'any clock wait; not what a viewer sees). '
                 '"Shown"/"delivered" = frames whose stamp was read / frames stamped in the same window; '
                 '"source fps" shows whether the encoder kept up (a live source that cannot push '
                 'a frame in time falls behind instead of queueing).'
                 + (f' Benchmark processes ran at niceness {a.nice} (priority over the other work).'
                    if a.nice else ''), '',
                 '| Figure | Configuration | Result (median) | Goal | Status | Command |',
                 '|---|---|---|---|---|---|']
        for r in self.results:
            cmd = f'`{SCRIPT_REL} --build-dir {a.build_dir} --only {r["only"]}`'
            lines.append(f'| {r["figure"]} | {r["config"]} | {r["result"]} | {r["goal"]} | '
                         f'{r["met"] or "—"} | {cmd} |')
        if VIEWER_ERRORS:
            lines += ['', '## Errors on the host bus from a viewer\'s webrtcbin', '',
                      f'{len(VIEWER_ERRORS)} ERROR messages came from inside a per-viewer webrtcbin '
                      '(the benchmark host counts them and goes on; a `gst-launch-1.0` host stops on '
                      'the first one):', '']
            lines += [f'- {e}' for e in VIEWER_ERRORS[:10]]
        if self.errors:
            lines += ['', '## Not measured in this run', '']
            lines += [f'- {e}' for e in self.errors]
        lines += ['', '## Pipelines per figure', '',
                  'Each process is `tests/bench/media/gvmbench.py host|encode|recv` (GStreamer through '
                  'gi, `gst_parse_launch` of the line shown); `gvmbench.py ROLE ... --print-pipeline` '
                  'prints the line without running it. GST_PLUGIN_PATH_1_0=BUILD/plugins.', '']
        for fid, descs in self.pipelines.items():
            lines.append(f'- `{fid}`:')
            for d in descs:
                lines.append(f'  - `{d}`')
        lines.append('')
        with open(a.out, 'w') as f:
            f.write('\n'.join(lines))
        with open(os.path.splitext(a.out)[0] + '.json', 'w') as f:
            json.dump({'machine': machine, 'rows': self.results, 'raw': self.raw,
                       'pipelines': self.pipelines}, f, indent=1, default=str)
        log('wrote', a.out)

    def preflight(self):
        """None when the benchmarks can run, else the reason they cannot."""
        r = subprocess.run([PY, AGENT, 'check'], env=self.env, capture_output=True, text=True, timeout=60)
        if r.returncode != 0:
            return f'{PY} cannot run GStreamer through gi: {r.stderr.strip().splitlines()[-1:]}'
        info = json.loads(r.stdout.strip().splitlines()[-1])
        if info['missing']:
            return 'missing GStreamer elements: ' + ', '.join(info['missing'])
        if info['missing_optional']:
            self.no_h264 = 'missing for H.264: ' + ', '.join(info['missing_optional'])
        if not os.path.exists(os.path.join(self.build, 'signaling', 'ghostview-signaling')):
            return f'{self.build}/signaling/ghostview-signaling is not built'
        return None

    def run(self):
        a = self.args
        t0 = time.monotonic()
        self.no_h264 = None
        reason = self.preflight()
        if reason:
            print(f'SKIP: {reason}', flush=True)
            return 77
        machine = self.machine()
        self.errors = []
        self.start_server()
        steps = []
        if a.smoke:
            steps = [lambda: self.latency('latency-vp8-240p30', 'vp8', '320x240', 30),
                     lambda: self.host_cpu('cpu-vp8-240p30', 'vp8', '320x240', 30),
                     lambda: self.fanout('fanout-vp8-240p30', 'vp8', '320x240', 30, [1, 2])]
        else:
            steps = [
                lambda: self.latency('latency-vp8-720p30', 'vp8', '1280x720', 30),
                lambda: self.latency('latency-vp8-1080p30', 'vp8', '1920x1080', 30),
                lambda: self.latency('latency-vp8-1080p60', 'vp8', '1920x1080', 60),
                lambda: self.latency('latency-h264-720p30', 'h264', '1280x720', 30),
                lambda: self.latency('latency-h264-1080p30', 'h264', '1920x1080', 30),
                lambda: self.latency('latency-h264-1080p60', 'h264', '1920x1080', 60),
                # What the display figure is made of, and what changes it.
                lambda: self.latency('noqueue-vp8-720p30', 'vp8', '1280x720', 30, no_queue=True),
                lambda: self.latency('deadline0-vp8-720p30', 'vp8', '1280x720', 30, sink_deadline=0),
                lambda: self.latency('floor50-vp8-720p30', 'vp8', '1280x720', 30, latency=50),
                lambda: self.latency('hostlatency-vp8-720p30', 'vp8', '1280x720', 30, host_latency=True),
                lambda: self.latency('anchor-vp8-1080p30-jb200', 'vp8', '1920x1080', 30, 200),
                lambda: self.browser('browser-vp8-1080p30', 'vp8', '1920x1080', 30),
                lambda: self.browser('browser-h264-1080p30', 'h264', '1920x1080', 30),
                lambda: self.host_cpu('cpu-vp8-1080p30', 'vp8', '1920x1080', 30),
                lambda: self.host_cpu('cpu-h264-1080p30', 'h264', '1920x1080', 30),
                lambda: self.fanout('fanout-vp8-720p30', 'vp8', '1280x720', 30, [1, 5, 10]),
                lambda: self.fanout('fanout-h264-720p30', 'h264', '1280x720', 30, [1, 5, 10]),
            ]
        try:
            for step in steps:
                try:
                    step()
                except Exception as e:  # noqa: BLE001 — one figure failing must not lose the rest
                    log('FAILED:', e)
                    self.errors.append(f'{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ""}')
        finally:
            self.stop_server()
        try:
            load_after = ', '.join(f'{x:.2f}' for x in os.getloadavg())
        except OSError:
            load_after = '?'
        self.write(machine, load_after, time.monotonic() - t0)
        return 1 if (a.smoke and (self.errors or not self.results)) else 0


def main():
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--build-dir', default=os.environ.get('GHOSTVIEW_BUILD_DIR', 'build'))
    ap.add_argument('--out', help='markdown table (default BUILD/bench/media.md)')
    ap.add_argument('--reps', type=int, default=3, help='runs per latency and host-CPU figure')
    ap.add_argument('--browser-reps', type=int, default=3)
    ap.add_argument('--fanout-reps', type=int, default=1)
    ap.add_argument('--seconds', type=float, default=3.0, help='measured seconds per run')
    ap.add_argument('--cpu-seconds', type=float, default=5.0, help='measured seconds per host-CPU run')
    ap.add_argument('--warmup', type=float, default=1.0, help='seconds after the first frame before measuring')
    ap.add_argument('--only', action='append', default=[], help='figure id prefix (repeatable)')
    ap.add_argument('--no-browser', action='store_true')
    ap.add_argument('--nice', type=int, default=0,
                    help='niceness of the benchmark processes (e.g. -10 on a shared machine; '
                         'negative needs root); recorded in the table')
    ap.add_argument('--smoke', action='store_true', help='seconds-long CI version: 320x240, one run each')
    a = ap.parse_args()
    if a.smoke:
        a.reps, a.browser_reps, a.fanout_reps, a.seconds, a.warmup = 1, 1, 1, 2.0, 0.5
        a.cpu_seconds = 2.0
        a.no_browser = True
    NICE.value = a.nice
    if not a.out:
        a.out = os.path.join(a.build_dir, 'bench', 'media.md')
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    try:
        return Bench(a).run()
    except BenchError as e:
        log('FAILED:', e)
        return 1


if __name__ == '__main__':
    sys.exit(main())
