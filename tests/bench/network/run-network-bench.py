#!/usr/bin/python3
"""GhostView over emulated networks: what a viewer sees when the link is bad.

Per scenario, a fresh netlab (tests/bench/network/netlab.py): a host network
namespace running ghostview-signaling and a GhostView host
(videotestsrc is-live=true pattern=ball ! 1280x720@30 ! gvwebrtcsink), one
namespace per viewer running gvwebrtcsrc ! fakesink sync=true, and between
them a gvnl-forwarder per link applying delay, loss, a rate cap or a
schedule. Every process is gvnbench.py (host / recv) driven over
stdin/stdout, as tests/bench/media does.

Measured over a window that starts 2 s after every viewer's first frame (or
when the join times out): frames/s rendered at the viewer (fakesink
sync=true: counted when they would be displayed), the longest freeze (the
largest gap between rendered frames, window edges included), latency at
display p50/p95 (gvclockstamp on the host, read as the sink hands each frame
over), time to first frame, time to adapt (from the host's sending rate,
sampled from the join on), the encoders running and the host process's CPU,
what the host sent to that viewer (gvwebrtcsink `stats`: bytes-sent
-> kbit/s, rtt, packets-lost, NACKs received and packets retransmitted where
the sink reports them), webrtcbin's NACK/PLI/FIR counts on both sides, the
viewer's jitterbuffer losses and retransmission requests, and what the
emulated link dropped.

Writes one JSON line per scenario on stdout and BUILD/bench/network.md
(+ network.json, logs in BUILD/bench/network-logs/). Builds nothing: needs
BUILD/plugins, BUILD/signaling/ghostview-signaling and
BUILD/tests/bench/network/gvnl-forwarder. Root (network namespaces); exits
77 with the reason where they cannot be made.
"""
import argparse
import importlib.util
import json
import os
import platform
import shlex
import shutil
import subprocess
import sys
import statistics
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
AGENT = os.path.join(HERE, 'gvnbench.py')
PY = '/usr/bin/python3' if os.path.exists('/usr/bin/python3') else sys.executable
SCRIPT_REL = 'tests/bench/network/run-network-bench.py'

sys.path.insert(0, HERE)
import netlab  # noqa: E402


def _media_bench():
    """tests/bench/media/run-media-bench.py as a module: its Proc (a child
    speaking JSON lines), log and BenchError are used as they are."""
    spec = importlib.util.spec_from_file_location(
        'gv_media_bench', os.path.join(HERE, '..', 'media', 'run-media-bench.py'))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


media = _media_bench()
Proc, BenchError, log = media.Proc, media.BenchError, media.log


class Scenario:
    def __init__(self, name, what, links, schedule=None, file_mib=0):
        self.name = name
        self.what = what
        self.links = links          # per viewer link: {'both'|'down'|'up': {settings}}
        self.schedule = schedule    # [(phase name, seconds, {settings})] on both directions of link 0
        self.file_mib = file_mib    # the host sends every viewer a file this large when the window starts


SCENARIOS = [
    Scenario('clean', 'no impairment (the forwarder only)', [{}]),
    Scenario('rtt40', '40 ms RTT (20 ms each way)', [{'both': {'delay': 20}}]),
    Scenario('loss2', '2 % random loss each way', [{'both': {'loss': 2}}]),
    Scenario('loss5', '5 % random loss each way', [{'both': {'loss': 5}}]),
    Scenario('loss2-rtt40', '2 % loss each way and 40 ms RTT (a retransmission takes a round trip)',
             [{'both': {'loss': 2, 'delay': 20}}]),
    Scenario('cap1m', '1 Mbit/s each way, 100 ms queue (tail drop)', [{'both': {'rate': 1000}}]),
    Scenario('drop', '10 Mbit/s, then 0.5 Mbit/s for 15 s, then 10 Mbit/s (queue 100 ms)', [{}],
             schedule=[('before', 10, {'rate': 10000}), ('0.5 Mbit/s', 15, {'rate': 500}),
                       ('after', 15, {'rate': 10000})]),
    # A link between the half size's bottom and its top: the half size
    # there went out over its target and froze (tests/bench/network/README.md).
    Scenario('cap600k', '0.6 Mbit/s each way, 100 ms queue (tail drop)', [{'both': {'rate': 600}}]),
    Scenario('two-viewers', 'two viewers at once: link 0 clean, link 1 capped at 1 Mbit/s',
             [{}, {'both': {'rate': 1000}}]),
    # A file from the host while the picture plays (issue 13: video must not
    # starve). cap4m is the same link without the file, to compare with.
    Scenario('cap4m', '4 Mbit/s each way, 100 ms queue (tail drop)', [{'both': {'rate': 4000}}]),
    Scenario('file-cap4m', '4 Mbit/s each way, 100 ms queue; the host sends a 64 MiB file meanwhile',
             [{'both': {'rate': 4000}}], file_mib=64),
]
# Not run unless named with --only (the files ones are about files, not the
# network; cap600k is a check of the ladder on a link between two layers).
OPTIONAL = ('cap4m', 'file-cap4m', 'cap600k')
# What the host shares: videotestsrc patterns. "ball" (a ball moving over
# black) encodes to ~200 kbit/s in VP8 at 720p, whatever the target: a
# mostly still screen. "scroll" (colour bars scrolling sideways) fills the
# encoder's 2 Mbit/s target: a page being scrolled, what a capped link feels.
CONTENT = {'ball': 'ball', 'scroll': 'smpte horizontal-speed=8'}
FREEZE_MS = 200  # a gap at least this long counts as a freeze
RATE_SPAN_S = 1.0  # the host's sending rate is measured over the last second
FULL_RATE = 0.9  # "back to full quality": this share of the rate before a drop, on layer 0


def median(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def describe(spec):
    """{'both': {'loss': 2}} -> 'both: loss=2'."""
    if not isinstance(spec, dict) or not spec:
        return 'none'
    return ', '.join(f'{d}: ' + ' '.join(f'{k}={x:g}' for k, x in s.items()) for d, s in spec.items())


def gaps_ms(frames, t0, t1):
    """Gaps between rendered frames in [t0, t1], the window edges included."""
    ts = [t0] + [t for t in frames if t0 <= t <= t1] + [t1]
    return [(b - a) * 1000.0 for a, b in zip(ts, ts[1:])]


def viewer_window(frames, t0, t1):
    inside = [t for t in frames if t0 <= t <= t1]
    g = gaps_ms(frames, t0, t1)
    freezes = [x for x in g if x >= FREEZE_MS]
    return {'frames': len(inside), 'fps': len(inside) / (t1 - t0) if t1 > t0 else 0.0,
            'longest_freeze_ms': max(g) if g else None, 'freezes': len(freezes),
            'frozen_s': sum(freezes) / 1000.0}


def freezes_at(frames, t0, t1, t_join):
    """[[start, ms], ...] of the freezes in [t0, t1]: start in s from t_join."""
    ts = [t0] + [t for t in frames if t0 <= t <= t1] + [t1]
    return [[round(a - t_join, 2), round((b - a) * 1000.0)] for a, b in zip(ts, ts[1:])
            if (b - a) * 1000.0 >= FREEZE_MS]


def recovery_s(frames, t0, t1, fps_goal):
    """Seconds from t0 until the first 1 s with at least fps_goal frames."""
    inside = sorted(t for t in frames if t0 <= t <= t1)
    for i, t in enumerate(inside):
        j = i
        while j < len(inside) and inside[j] < t + 1.0:
            j += 1
        if j - i >= fps_goal:
            return t - t0
    return None


def viewer_rows(samples, name):
    return [(s['mono_s'], v) for s in samples for v in s['viewers'] if v.get('name') == name]


def send_rates(samples, name):
    """[(t, kbit/s over the RATE_SPAN_S before t, layer)] of what the host
    sent to viewer `name`, one per sample."""
    rows = viewer_rows(samples, name)
    out = []
    j = 0
    for i, (t, v) in enumerate(rows):
        while j + 1 < i and rows[j + 1][0] <= t - RATE_SPAN_S:
            j += 1
        tj, vj = rows[j]
        if t - tj >= RATE_SPAN_S * 0.9:
            kbps = (v.get('bytes-sent', 0) - vj.get('bytes-sent', 0)) * 8 / 1000.0 / (t - tj)
            out.append((t, kbps, v.get('layer')))
    return out


def first_time(rates, t_from, test):
    """Seconds from t_from to the first rate sample at or after it that
    passes test(kbps, layer); None if none does."""
    for t, kbps, layer in rates:
        if t >= t_from + RATE_SPAN_S * 0.9 and test(kbps, layer):
            return t - t_from
    return None


def host_process(samples, t0, t1):
    """The host process's CPU (% of one core) and the most encoders it ran
    over [t0, t1]."""
    rows = [s for s in samples if t0 <= s['mono_s'] <= t1 and 'cpu_s' in s]
    out = {}
    if len(rows) >= 2:
        out['cpu_pct'] = (rows[-1]['cpu_s'] - rows[0]['cpu_s']) * 100.0 / (rows[-1]['mono_s'] - rows[0]['mono_s'])
    running = [s['encoders-running'] for s in rows if 'encoders-running' in s]
    if running:
        out['encoders_max'] = max(running)
    return out


def host_window(samples, name, t0, t1):
    """What the host sent to viewer `name` over [t0, t1], from the sink's
    `stats` samples: kbit/s from bytes-sent (last minus first in the window);
    rtt as the median of the samples that had one (the sink reports -1 until
    an RTCP receiver report arrives); packets-lost (from receiver reports,
    cumulative over the session) as the highest seen; NACKs received and
    packets retransmitted, where the sink reports them, over the window."""
    rows = [(t, v) for t, v in viewer_rows(samples, name) if t0 <= t <= t1]
    if len(rows) < 2:
        return {}
    (ta, a), (tb, b) = rows[0], rows[-1]
    rtts = sorted(v['rtt'] * 1000.0 for _t, v in rows if v.get('rtt', -1) >= 0)
    out = {'kbps': (b.get('bytes-sent', 0) - a.get('bytes-sent', 0)) * 8 / 1000.0 / (tb - ta),
           'rtt_ms': rtts[len(rtts) // 2] if rtts else None,
           'rtt_samples': f'{len(rtts)}/{len(rows)}',
           'frames_sent': b.get('frames-sent', 0) - a.get('frames-sent', 0),
           'packets-lost': max(v.get('packets-lost', 0) for _t, v in rows)}
    for key in ('nacks-received', 'packets-retransmitted', 'retransmissions-skipped'):
        if key in b:
            out[key] = b[key] - a.get(key, 0)
    estimates = sorted(v['estimated-bitrate'] / 1000.0 for _t, v in rows if 'estimated-bitrate' in v)
    if estimates:
        out['estimate_kbps'] = estimates[len(estimates) // 2]
    layers = [v['layer'] for _t, v in rows if 'layer' in v]
    if layers:
        out['layer_last'] = layers[-1]
        out['layers_seen'] = sorted(set(layers))
    return out


def rtc_counts(rtc_by_bin, kind, viewer_ip=None):
    """Sum of NACK/PLI/FIR/packet counts over the `kind` (outbound-rtp,
    inbound-rtp) video streams of the webrtcbin that talks to viewer_ip (all
    of them when None)."""
    out = {}
    for stats in rtc_by_bin.values():
        if viewer_ip is not None:
            addrs = {c.get('address') for t in ('local-candidate', 'remote-candidate')
                     for c in stats.get(t, [])}
            if viewer_ip not in addrs:
                continue
        for s in stats.get(kind, []):
            if s.get('kind') not in (None, 'video'):
                continue
            src = s.get('gst-rtpsource-stats') or {}
            for key in ('nack-count', 'pli-count', 'fir-count', 'packets-sent', 'packets-received'):
                if key in s:
                    out[key] = out.get(key, 0) + s[key]
            if kind == 'inbound-rtp' and 'packets-lost' in src:
                out['packets-lost'] = out.get('packets-lost', 0) + max(src['packets-lost'], 0)
    return out


ADAPT_KEYS = (('fits_after_s', 'fits the link after'), ('down_after_s', 'under the drop after'),
              ('full_after_s', 'back to full after'))


def lat(v, key):
    d = v.get('display_latency') or {}
    return d.get(key) if d.get('count') else None


def latency_cell(v):
    d = v.get('display_latency') or {}
    if not d.get('count'):
        return '—' if not d else f'— (0 read, {d.get("unreadable", 0)} not)'
    return f'{d["p50"]:.0f} / {d["p95"]:.0f} ms ({d["count"]}, {d.get("unreadable", 0)} not)'


def adapt_cell(v):
    parts = [f'{what} {v[k]:.1f} s' if v[k] is not None else f'{what}: never'
             for k, what in ADAPT_KEYS if k in v]
    return '; '.join(parts) or '—'


def median_adapt(vs):
    parts = []
    for k, what in ADAPT_KEYS:
        xs = [v[k] for v in vs if k in v]
        if xs:
            got = [x for x in xs if x is not None]
            text = f'{what} {median(got):.1f} s' if got else f'{what}: never'
            if got and len(got) < len(xs):
                text += f' ({len(xs) - len(got)} never)'
            parts.append(text)
    return '; '.join(parts) or '—'


def process_cell(r):
    h = r.get('host_process') or {}
    cpu = f'{h["cpu_pct"]:.0f} %' if 'cpu_pct' in h else '—'
    return f'{cpu} / {h.get("encoders_max", "—")}'


def jitterbuffer_counts(jbs):
    out = {}
    for jb in jbs or []:
        for key in ('num-pushed', 'num-lost', 'num-late', 'num-duplicates', 'rtx-count',
                    'rtx-success-count'):
            if key in jb:
                out[key] = out.get(key, 0) + jb[key]
    return out


class NetworkBench:
    def __init__(self, args):
        self.args = args
        self.build = os.path.abspath(args.build_dir)
        self.outdir = os.path.dirname(os.path.abspath(args.out))
        self.logdir = os.path.join(self.outdir, 'network-logs')
        os.makedirs(self.logdir, exist_ok=True)
        self.forwarder = os.path.abspath(args.forwarder or os.path.join(
            self.build, 'tests', 'bench', 'network', 'gvnl-forwarder'))
        self.server_bin = os.path.join(self.build, 'signaling', 'ghostview-signaling')
        self.env = dict(os.environ)
        self.env['GST_PLUGIN_PATH_1_0'] = (os.environ.get('GST_PLUGIN_PATH_1_0')
                                           or os.path.join(self.build, 'plugins'))
        self.env['GST_REGISTRY_1_0'] = os.path.join(self.outdir, 'network-gst-registry.bin')
        self.env['GST_DEBUG_NO_COLOR'] = '1'
        self.env['PYTHONDONTWRITEBYTECODE'] = '1'
        self.env.pop('GST_DEBUG', None)
        if args.gst_debug:
            self.env['GST_DEBUG'] = args.gst_debug  # into each process's .stderr log
        self.counter = 0
        self.results = []
        self.errors = []

    # ---- preflight ----
    def preflight(self):
        """(reason, skip): why the bench cannot run; skip = exit 77."""
        r = subprocess.run([PY, AGENT, 'check'], env=self.env, capture_output=True, text=True,
                           timeout=120)
        if r.returncode != 0:
            return f'{PY} cannot run GStreamer through gi: {r.stderr.strip().splitlines()[-1:]}', True
        missing = json.loads(r.stdout.strip().splitlines()[-1])['missing']
        if missing:
            return 'missing GStreamer elements: ' + ', '.join(missing), True
        for path, what in ((self.server_bin, 'ghostview-signaling'), (self.forwarder, 'gvnl-forwarder')):
            if not os.access(path, os.X_OK):
                return f'{what} is not built ({path}): ninja -C {self.args.build_dir}', False
        return None, False

    # ---- processes ----
    def agent(self, lab, ns, role, *opts):
        self.counter += 1
        argv = [netlab.IP, 'netns', 'exec', ns, PY, AGENT, role, *[str(o) for o in opts]]
        proc = Proc(argv, self.env, self.logdir, f'{self.counter:03d}-{role}')
        lab.procs.append(proc.p)  # the lab stops it on every exit path
        return proc

    def start_server(self, lab):
        web = os.environ.get('GHOSTVIEW_WEB_DIR') or os.path.join(SOURCE_ROOT, 'web')
        self.counter += 1
        err = open(os.path.join(self.logdir, f'{self.counter:03d}-server.log'), 'w')
        # Bound to every address of the host namespace (its links' .1 only).
        server = lab.popen(lab.host_ns, [self.server_bin, '--bind', '0.0.0.0', '--port', '0',
                                         '--web-root', web, '--create-rate', '100000'],
                           stdout=subprocess.PIPE, stderr=err, text=True)
        end = time.monotonic() + 10
        while time.monotonic() < end:
            line = server.stdout.readline()
            if not line:
                break
            if 'listening on' in line:
                url = line.split('listening on', 1)[1].split()[0].rstrip('/')
                return int(url.rsplit(':', 1)[1])
        raise BenchError('the signalling server did not start')

    # ---- one scenario ----
    def run_scenario(self, sc, content):
        a = self.args
        log(f'{sc.name} ({content}): {sc.what}')
        with netlab.Lab(self.forwarder, links=len(sc.links), seed=a.seed) as lab:
            for link, spec in zip(lab.links, sc.links):
                for direction, settings in spec.items():
                    link.set(direction, **settings)
            if sc.schedule:
                lab.links[0].set('both', **sc.schedule[0][2])
            port = self.start_server(lab)
            ws = [f'ws://{link.host_ip}:{port}/ws' for link in lab.links]
            host = self.agent(lab, lab.host_ns, 'host', '--server', ws[0], '--size', a.size,
                              '--pattern', CONTENT[content],
                              '--fps', a.fps, '--codec', a.codec, '--viewers', len(lab.links),
                              *(['--bitrate', a.bitrate] if a.bitrate else []),
                              *[arg for prop in a.sink_set for arg in ('--sink-set', prop)],
                              *(['--file-mib', sc.file_mib] if sc.file_mib else []))
            viewers = []
            file_dirs = []
            try:
                pin = host.wait('pin', 30)
                # The host's samples start before the join: time to adapt
                # counts from it.
                host.ask('mark', 'mark')
                for link in lab.links:
                    files = []
                    if sc.file_mib:
                        file_dirs.append(tempfile.mkdtemp(prefix=f'files-{link.index}-', dir=self.logdir))
                        files = ['--download-dir', file_dirs[-1]]
                    rx = self.agent(lab, link.viewer_ns, 'recv', '--server', ws[link.index],
                                    '--pin', pin['pin'], '--name', f'link{link.index}',
                                    '--latency', a.latency, '--size', a.size, *files)
                    viewers.append(rx)
                t_join = time.monotonic()
                ttff = []
                for rx in viewers:
                    left = a.join_timeout - (time.monotonic() - t_join)
                    try:
                        ttff.append(rx.wait('first-frame', max(left, 0.1))['ttff_ms'])
                    except BenchError as e:
                        if 'no "first-frame"' not in str(e):
                            raise
                        ttff.append(None)
                if any(t is not None for t in ttff):
                    time.sleep(a.warmup)
                t0 = time.monotonic()
                for p in viewers:
                    p.ask('mark', 'mark')
                link_before = [link.stats() for link in lab.links]
                if sc.file_mib:
                    host.ask('send-file', 'file-sent')
                phases = []
                if sc.schedule:
                    lab.links[0].schedule('both', [(sec, s) for _n, sec, s in sc.schedule])
                    t = time.monotonic()
                    for name, sec, _s in sc.schedule:
                        phases.append((name, t, t + sec))
                        t += sec
                    length = sum(sec for _n, sec, _s in sc.schedule)
                else:
                    length = a.duration
                time.sleep(max(0.0, t0 + length - time.monotonic()))
                t1 = time.monotonic()
                reports = [rx.ask('report', 'report', 20) for rx in viewers]
                hrep = host.ask('report', 'report', 20)
                link_after = [link.stats() for link in lab.links]
            finally:
                for p in viewers + [host]:
                    p.stop()
                for d in file_dirs:
                    shutil.rmtree(d, ignore_errors=True)
        res = self.summarise(sc, lab, t0, t1, ttff, reports, hrep, link_before, link_after, phases,
                             pin.get('desc', ''), t_join)
        return {'content': content, **res}

    def summarise(self, sc, lab, t0, t1, ttff, reports, hrep, link_before, link_after, phases, host_desc,
                  t_join):
        a = self.args
        out = {'scenario': sc.name, 'what': sc.what, 'window_s': round(t1 - t0, 2), 'viewers': [],
               'host_process': host_process(hrep['samples'], t0, t1)}
        for i, (rep, tt) in enumerate(zip(reports, ttff)):
            link = lab.links[i]
            name = f'link{i}'
            v = {'impairment': sc.links[i] or 'none', 'ttff_ms': tt}
            v.update(viewer_window(rep['frames'], t0, t1))
            # When each freeze began (s from the join, as the trace) and how long it lasted.
            v['freeze_at'] = freezes_at(rep['frames'], t0, t1, t_join)
            v['host'] = host_window(hrep['samples'], name, t0, t1)
            v['host_webrtc'] = rtc_counts(hrep['webrtc'], 'outbound-rtp', link.viewer_ip)
            v['viewer_webrtc'] = rtc_counts(rep['webrtc'], 'inbound-rtp')
            v['jitterbuffer'] = jitterbuffer_counts(rep.get('jitterbuffers'))
            v['keyframes'] = len([t for t in rep.get('keyframes', []) if t0 <= t <= t1])
            v['display_latency'] = rep.get('display_latency') or {}
            if sc.file_mib:
                got = (rep.get('files') or {}).get('incoming') or {}
                v['file'] = {'state': got.get('state'), 'code': got.get('code'),
                             'mib': round(got.get('bytes', 0) / 1048576, 1),
                             'mbit_s': round(got.get('bytes', 0) * 8 / 1e6 / (t1 - t0), 2)}
            rates = send_rates(hrep['samples'], name)
            # The host's side over time, from the join (JSON only): seconds,
            # kbit/s sent over the last second, layer, estimate kbit/s.
            estimate_at = {t: v.get('estimated-bitrate', 0) / 1000.0
                           for t, v in viewer_rows(hrep['samples'], name)}
            v['trace'] = [[round(t - t_join, 2), round(kbps), layer, round(estimate_at.get(t, 0))]
                          for t, kbps, layer in rates]
            cap = (sc.links[i].get('both') or sc.links[i].get('down') or {}).get('rate')
            if cap and not phases:
                # Time from the join until what the host sends fits the link.
                v['fits_after_s'] = first_time(rates, t_join, lambda kbps, _l, cap=cap: kbps <= cap)
            before, after = link_before[i], link_after[i]
            v['link'] = {d: {k: after[d][k] - before[d][k] for k in
                             ('rx_frames', 'lost_random', 'dropped_queue', 'sent_frames', 'sent_bytes')}
                         for d in ('down', 'up')}
            v['link']['down_kbps'] = ((after['down']['sent_bytes'] - before['down']['sent_bytes'])
                                      * 8 / 1000.0 / ((after['mono_ns'] - before['mono_ns']) / 1e9))
            # Maxima since the previous stats call, i.e. over the window.
            v['link']['queue_wait_max_ms'] = after['down']['queue_wait_max_ms']
            v['link']['forwarder_late_max_ms'] = max(after[d]['late_max_ms'] for d in ('down', 'up'))
            v['link']['forwarder_late_over_1ms'] = sum(after[d]['late_over_1ms'] - before[d]['late_over_1ms']
                                                       for d in ('down', 'up'))
            v['link']['realtime'] = link.realtime
            v['link']['kernel_drops'] = after['kernel_drops']
            v['link']['lost_random_session'] = after['down']['lost_random'] + after['up']['lost_random']
            v['link']['index'] = i
            if phases and i == 0:
                v['phases'] = []
                for pname, p0, p1 in phases:
                    ph = {'phase': pname, 'seconds': round(p1 - p0, 1)}
                    ph.update(viewer_window(rep['frames'], p0, min(p1, t1)))
                    ph['host_kbps'] = host_window(hrep['samples'], name, p0, min(p1, t1)).get('kbps')
                    ph['keyframes'] = len([t for t in rep.get('keyframes', []) if p0 <= t <= min(p1, t1)])
                    v['phases'].append(ph)
                last = phases[-1]
                v['recovered_after_s'] = recovery_s(rep['frames'], last[1], t1, 0.9 * a.fps)
                # Time to adapt: under the narrow phase's rate after it
                # starts, and back to full quality (layer 0, FULL_RATE of the
                # rate before) after the link comes back.
                full = v['phases'][0]['host_kbps']
                narrow = sc.schedule[1][2].get('rate')
                if narrow:
                    v['down_after_s'] = first_time(rates, phases[1][1], lambda kbps, _l: kbps <= narrow)
                if full:
                    v['full_after_s'] = first_time(
                        rates, last[1], lambda kbps, layer: kbps >= FULL_RATE * full and layer in (0, None))
            out['viewers'].append(v)
        out['pipelines'] = [host_desc] + [r.get('desc', '') for r in reports]
        return out

    # ---- output ----
    def write(self, machine, elapsed):
        a = self.args
        argv = getattr(self, 'argv', None) or ' '.join(shlex.quote(x) for x in sys.argv[1:])
        generated = getattr(self, 'generated', None) or time.strftime('%Y-%m-%d %H:%M:%S %Z')

        def f(x, fmt='{:.0f}', none='—'):
            return none if x is None else fmt.format(x)
        lines = ['# GhostView over emulated networks', '',
                 f'Generated {generated} by `{SCRIPT_REL} {argv}` '
                 f'in {elapsed:.0f} s.', '',
                 f'Machine: {machine["nproc"]} CPUs, Linux {machine["kernel"]}, {machine["gstreamer"]}; '
                 f'load average before: {machine["load"]}'
                 + (f', after: {machine["load_after"]}' if machine.get('load_after') else '')
                 + '. Host: videotestsrc '
                 + ', '.join(f'"{c}" = pattern={CONTENT[c]}' for c in a.content)
                 + f', {a.size}@{a.fps} → gvwebrtcsink video-codec={a.codec}'
                 f'{" bitrate=" + str(a.bitrate) if a.bitrate else ""}'
                 f'{"".join(" " + prop for prop in a.sink_set)}; viewer: gvwebrtcsrc '
                 f'latency={a.latency} ! fakesink sync=true. Window: {a.duration:g} s '
                 f'(schedule: its length) from {a.warmup:g} s after the first frame. One row again: '
                 f'`{SCRIPT_REL} --build-dir {a.build_dir} --only SCENARIO --content CONTENT`.', '',
                 '| Scenario | Run | Content | Viewer link | fps | Longest freeze | Freezes ≥ 200 ms (time) | '
                 'Latency at display p50 / p95 (frames read) | First frame | Adapted | Host sent | '
                 'Estimate / layer (sink) | Host CPU / encoders | RTT (sink) | Lost (sink) | '
                 'Keyframes at viewer | '
                 'Jitterbuffer lost / rtx requests (viewer) | NACKs in / retransmitted (sink) | '
                 'NACK / PLI / FIR sent (viewer webrtcbin) | Link dropped (down: random / queue) |',
                 '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|']
        if a.reps > 1:
            lines[-2:-2] = self.summary(f) + ['', f'Every run ({a.reps} per row above):', '']
        for r in self.results:
            for v in r['viewers']:
                h, vw, jb, ln = v['host'], v['viewer_webrtc'], v['jitterbuffer'], v['link']
                imp = describe(v['impairment'])
                lines.append(
                    f'| {r["scenario"]} | {r["rep"]} | {r["content"]} | {v["link"]["index"]}: {imp} | '
                    f'**{v["fps"]:.1f}** | '
                    f'**{f(v["longest_freeze_ms"])} ms** | {v["freezes"]} ({v["frozen_s"]:.1f} s) | '
                    f'{latency_cell(v)} | '
                    f'{f(v["ttff_ms"], "{:.0f} ms", "never")} | {adapt_cell(v)} | '
                    f'{f(h.get("kbps"), "{:.0f} kbit/s")} | '
                    f'{f(h.get("estimate_kbps"), "{:.0f} kbit/s")} / {f(h.get("layer_last"))} | '
                    f'{process_cell(r)} | '
                    f'{f(h.get("rtt_ms"), "{:.1f} ms")} | {f(h.get("packets-lost"))} | {v["keyframes"]} | '
                    f'{f(jb.get("num-lost"))} / {f(jb.get("rtx-count"))} | '
                    f'{f(h.get("nacks-received"))} / {f(h.get("packets-retransmitted"))} | '
                    f'{f(vw.get("nack-count"))} / {f(vw.get("pli-count"))} / {f(vw.get("fir-count"))} | '
                    f'{ln["down"]["lost_random"]} / {ln["down"]["dropped_queue"]} '
                    f'of {ln["down"]["rx_frames"]} |')
        for r in self.results:
            for v in r['viewers']:
                if v.get('phases'):
                    lines += ['', f'**{r["scenario"]}**, {r["content"]}, run {r["rep"]} ({r["what"]}), '
                              'per phase:', '',
                              '| Phase | fps | Longest freeze | Freezes ≥ 200 ms | Host sent | '
                              'Keyframes at viewer |',
                              '|---|---|---|---|---|---|']
                    for ph in v['phases']:
                        lines.append(f'| {ph["phase"]} ({ph["seconds"]:g} s) | {ph["fps"]:.1f} | '
                                     f'{f(ph["longest_freeze_ms"])} ms | {ph["freezes"]} | '
                                     f'{f(ph["host_kbps"], "{:.0f} kbit/s")} | {ph["keyframes"]} |')
                    rec = v.get('recovered_after_s')
                    lines.append('')
                    lines.append(f'After the rate came back, {0.9 * a.fps:.0f}+ frames in one second '
                                 + (f'again after {rec:.1f} s.' if rec is not None
                                    else 'never within the phase.'))
        links = [v['link'] for r in self.results for v in r['viewers'] if 'forwarder_late_max_ms' in v['link']]
        if links:
            frames = sum(ln['down']['sent_frames'] + ln['up']['sent_frames'] for ln in links)
            lines += ['', f'The emulated links themselves, over all runs: gvnl-forwarder '
                      f'{"at SCHED_FIFO" if all(ln["realtime"] for ln in links) else "(not all at SCHED_FIFO)"} '
                      f'added at most {max(ln["forwarder_late_max_ms"] for ln in links):.2f} ms to a frame '
                      f'beyond the delay asked; {sum(ln["forwarder_late_over_1ms"] for ln in links)} of '
                      f'{frames} frames were over 1 ms late.']
        if self.errors:
            lines += ['', '## Not measured in this run', ''] + [f'- {e}' for e in self.errors]
        if media.VIEWER_ERRORS:
            lines += ['', '## Errors on the host bus from a viewer\'s webrtcbin', '']
            lines += [f'- {e}' for e in media.VIEWER_ERRORS[:10]]
        lines += ['', '## Pipelines', '']
        seen = set()
        for r in self.results:
            for p in r.get('pipelines', []):
                p = p.split(' signaller::server=')[0] + ' …' if ' signaller::server=' in p else p
                if p and p not in seen:
                    seen.add(p)
                    lines.append(f'- `{p}`')
        lines.append('')
        with open(a.out, 'w') as fh:
            fh.write('\n'.join(lines))
        with open(os.path.splitext(a.out)[0] + '.json', 'w') as fh:
            json.dump({'machine': machine, 'args': vars(a), 'argv': argv, 'generated': generated,
                       'elapsed': elapsed, 'results': self.results, 'errors': self.errors},
                      fh, indent=1, default=str)
        log('wrote', a.out)

    @staticmethod
    def summary_header():
        return ['| Scenario | Content | Viewer link | fps, median (range) | Longest freeze, median (range) | '
                'Latency at display p50 / p95, median | First frame, median | Adapted, median | '
                'Host sent, median | Host CPU / encoders, median | Keyframes at viewer, median | Runs |',
                '|---|---|---|---|---|---|---|---|---|---|---|---|']

    def summary(self, f):
        """Medians over the runs of each scenario, content and viewer, with
        the range: a single run's longest freeze is one sample of a maximum."""
        groups = {}
        for r in self.results:
            for v in r['viewers']:
                groups.setdefault((r['scenario'], r['content'], v['link']['index']), []).append(v)
        out = self.summary_header()
        hosts = {}
        for r in self.results:
            hosts.setdefault((r['scenario'], r['content']), []).append(r.get('host_process') or {})

        def rng(xs, fmt):
            xs = [x for x in xs if x is not None]
            if not xs:
                return '—'
            return f'{fmt.format(median(xs))} ({fmt.format(min(xs))} – {fmt.format(max(xs))})'
        for (name, content, index), vs in groups.items():
            ttff = [v['ttff_ms'] for v in vs if v['ttff_ms'] is not None]
            never = len(vs) - len(ttff)
            first = f'{median(ttff):.0f} ms' if ttff else 'never'
            if ttff and never:
                first += f' ({never} never)'
            out.append(f'| {name} | {content} | {index}: {describe(vs[0]["impairment"])} | '
                       f'**{rng([v["fps"] for v in vs], "{:.1f}")}** | '
                       f'**{rng([v["longest_freeze_ms"] for v in vs], "{:.0f}")} ms** | '
                       f'{f(median([lat(v, "p50") for v in vs]))} / '
                       f'{f(median([lat(v, "p95") for v in vs]), "{:.0f} ms")} | {first} | '
                       f'{median_adapt(vs)} | '
                       f'{f(median([v["host"].get("kbps") for v in vs]), "{:.0f} kbit/s")} | '
                       f'{f(median([h.get("cpu_pct") for h in hosts[(name, content)]]), "{:.0f} %")} / '
                       f'{f(median([h.get("encoders_max") for h in hosts[(name, content)]]))} | '
                       f'{f(median([v["keyframes"] for v in vs]))} | {len(vs)} |')
        return out

    def machine(self):
        gst = subprocess.run(['gst-launch-1.0', '--version'], capture_output=True, text=True).stdout
        gst = gst.splitlines()[1] if len(gst.splitlines()) > 1 else gst.strip()
        try:
            load = ', '.join(f'{x:.2f}' for x in os.getloadavg())
        except OSError:
            load = '?'
        return {'nproc': os.cpu_count(), 'kernel': platform.release(), 'gstreamer': gst, 'load': load}

    def run(self):
        a = self.args
        t_start = time.monotonic()
        reason, skip = self.preflight()
        if reason:
            print(f'SKIP: {reason}' if skip else f'FAILED: {reason}', flush=True)
            return 77 if skip else 1
        wanted = [s for s in SCENARIOS if s.name in a.only or (not a.only and s.name not in OPTIONAL)]
        if a.smoke:
            wanted = [s for s in SCENARIOS if s.name == 'loss2']
        if not wanted:
            print(f'no scenario matches {a.only}; scenarios: {", ".join(s.name for s in SCENARIOS)}')
            return 2
        machine = self.machine()
        runs = [(sc, c, r) for r in range(a.reps) for c in a.content for sc in wanted]
        for sc, content, rep in runs:
            try:
                res = self.run_scenario(sc, content)
            except (BenchError, netlab.LabError) as e:
                log(f'FAILED {sc.name} ({content}):', e)
                self.errors.append(f'{sc.name} ({content}, run {rep + 1}): {str(e).splitlines()[0]}')
                continue
            res['rep'] = rep + 1
            self.results.append(res)
            print(json.dumps({k: v for k, v in res.items() if k != 'pipelines'}, default=str), flush=True)
            for v in res['viewers']:
                log(f'  link {v["link"]["index"]}: {v["fps"]:.1f} fps, longest freeze '
                    f'{v["longest_freeze_ms"]:.0f} ms, at display {latency_cell(v)}, first frame '
                    f'{v["ttff_ms"]} ms, {adapt_cell(v)}, host {v["host"].get("kbps", 0):.0f} kbit/s, '
                    f'{process_cell(res)}')
        machine['load_after'] = self.machine()['load']
        self.write(machine, time.monotonic() - t_start)
        if a.smoke:
            # A harness check, not a performance figure: the run went end to
            # end, the viewer rendered frames, and the link did drop packets.
            v = self.results[0]['viewers'][0] if self.results else None
            dropped = v['link']['lost_random_session'] if v else 0
            if not v or v['frames'] == 0 or dropped == 0:
                log('smoke: FAILED', 'no result' if not v else
                    f'{v["frames"]} frames rendered, {dropped} packets dropped by the link')
                return 1
            log(f'smoke: ok ({v["frames"]} frames rendered in {self.results[0]["window_s"]:g} s, '
                f'{dropped} packets dropped by the link)')
        return 1 if self.errors and not self.results else 0


def render(path, out):
    """The Markdown of a finished run, from its JSON (no namespaces needed)."""
    with open(path) as fh:
        data = json.load(fh)
    bench = NetworkBench.__new__(NetworkBench)
    bench.args = argparse.Namespace(**data['args'])
    bench.args.out = out or os.path.splitext(path)[0] + '.md'
    bench.results, bench.errors = data['results'], data['errors']
    bench.argv = data.get('argv') or '(command not recorded in this JSON)'
    bench.generated = data.get('generated')
    bench.write(data['machine'], data.get('elapsed', 0.0))
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--build-dir', default=os.environ.get('GHOSTVIEW_BUILD_DIR', 'build'))
    ap.add_argument('--forwarder', help='gvnl-forwarder (default BUILD/tests/bench/network/gvnl-forwarder)')
    ap.add_argument('--out', help='markdown table (default BUILD/bench/network.md)')
    ap.add_argument('--only', action='append', default=[],
                    help='scenario (repeatable): ' + ', '.join(s.name for s in SCENARIOS))
    ap.add_argument('--reps', type=int, default=1,
                    help='runs of each scenario; with more than one, a table of medians comes first')
    ap.add_argument('--duration', type=float, default=20.0, help='measured seconds per scenario')
    ap.add_argument('--warmup', type=float, default=2.0, help='seconds after the first frame')
    ap.add_argument('--join-timeout', type=float, default=20.0,
                    help='longest wait for the first frame before measuring anyway')
    ap.add_argument('--content', default='ball,scroll',
                    help='what the host shares, comma-separated: ' + ', '.join(
                        f'{k} (pattern={v})' for k, v in CONTENT.items()))
    ap.add_argument('--size', default='1280x720')
    ap.add_argument('--fps', type=int, default=30)
    ap.add_argument('--codec', choices=['vp8', 'vp9', 'h264'], default='vp8')
    ap.add_argument('--bitrate', type=int, default=0, help='gvwebrtcsink bitrate, kbit/s (0: its default)')
    ap.add_argument('--sink-set', action='append', default=[], metavar='NAME=VALUE',
                    help='another gvwebrtcsink property for the host, e.g. pacing=0 (repeatable)')
    ap.add_argument('--latency', type=int, default=20, help='viewer jitterbuffer floor, ms (gvwebrtcsrc default; 50 before it adapted)')
    ap.add_argument('--gst-debug', default='', help='GST_DEBUG for the host and viewers (their logs: '
                    'BUILD/bench/network-logs/NNN-ROLE.stderr)')
    ap.add_argument('--seed', type=int, default=1, help='loss/jitter random seed of the links')
    ap.add_argument('--render', metavar='NETWORK.JSON',
                    help='only write the Markdown again from a run\'s JSON (to --out, default next to it)')
    ap.add_argument('--smoke', action='store_true',
                    help='CI harness check: 2 %% loss, one viewer, 640x360, 6 s; fails only if no frame '
                         'arrives or the link dropped nothing')
    a = ap.parse_args()
    a.content = [c for c in a.content.split(',') if c]
    if any(c not in CONTENT for c in a.content):
        ap.error(f'--content: one of {", ".join(CONTENT)}')
    if a.smoke:
        a.size, a.duration, a.warmup, a.join_timeout = '640x360', 6.0, 1.0, 12.0
        a.content = ['ball']
        a.reps = 1
    if a.render:
        return render(a.render, a.out)
    reason = netlab.unavailable_reason()  # before anything is written
    if reason:
        print(f'SKIP: {reason}', flush=True)
        return 77
    if not a.out:
        a.out = os.path.join(a.build_dir, 'bench', 'network.md')
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    return NetworkBench(a).run()


if __name__ == '__main__':
    sys.exit(main())
