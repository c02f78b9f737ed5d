#!/usr/bin/python3
"""UDP probes for netlab, and the check of the emulated link itself.

Roles (each prints one JSON line when done):
  netprobe.py echo  --port P [--seconds S]               echo every datagram back
  netprobe.py ping  --to IP:P [--count N --interval MS --size B]
                                                          round-trip times and loss
  netprobe.py blast --to IP:P --rate KBIT --seconds S [--size B]
                                                          paced datagrams (rate in
                                                          Ethernet-frame bits, as the
                                                          forwarder counts)
  netprobe.py sink  --port P --seconds S [--idle S]       one-way delay (kernel receive
                                                          time - send time, one clock),
                                                          loss by sequence number,
                                                          throughput per second

  netprobe.py verify [--forwarder PATH] [--out FILE.md]
      builds a netlab link and measures it: the forwarder's own delay at
      10 Mbit/s, RTT against the delay set, loss against the loss set,
      throughput against the cap, and a 10 -> 0.5 -> 10 Mbit/s schedule.
      Exit 77 (with the reason) where namespaces cannot be made.
"""
import argparse
import json
import os
import socket
import statistics
import subprocess
import struct
import sys
import time

HEADER = struct.Struct('!IqI')  # sequence, send time (CLOCK_REALTIME ns), run id
L2_OVERHEAD = 14 + 20 + 8  # Ethernet + IPv4 + UDP: what a datagram costs on the link
SO_TIMESTAMPNS = getattr(socket, 'SO_TIMESTAMPNS', 35)


def emit(obj):
    print(json.dumps(obj), flush=True)


def pct(xs, p):
    if not xs:
        return None
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100.0 * (len(xs) - 1))))]


def rx_time_ns(ancdata):
    for level, kind, data in ancdata:
        if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS:
            sec, nsec = struct.unpack('qq', data[:16])
            return sec * 1_000_000_000 + nsec
    return time.time_ns()


def address(text):
    host, _, port = text.rpartition(':')
    return host, int(port)


def receiving_socket(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    s.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
    s.bind(('0.0.0.0', port))
    return s


def run_echo(a):
    s = receiving_socket(a.port)
    s.settimeout(0.5)
    end = time.monotonic() + a.seconds
    n = 0
    while time.monotonic() < end:
        try:
            data, peer = s.recvfrom(65536)
        except socket.timeout:
            continue
        s.sendto(data, peer)
        n += 1
    emit({'role': 'echo', 'echoed': n})


def run_ping(a):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
    s.setblocking(False)
    to = address(a.to)
    run = os.getpid()
    pad = b'\0' * max(0, a.size - HEADER.size)
    sent = {}
    rtts = []
    start = time.monotonic()
    seq = 0
    deadline = start + a.count * a.interval / 1000.0 + a.timeout
    while time.monotonic() < deadline:
        now = time.monotonic()
        due = min(a.count, int((now - start) * 1000.0 / a.interval) + 1)
        while seq < due:
            t = time.time_ns()
            s.sendto(HEADER.pack(seq, t, run) + pad, to)
            sent[seq] = t
            seq += 1
        try:
            while True:
                data, anc, _flags, _peer = s.recvmsg(65536, 64)
                if len(data) < HEADER.size:
                    continue
                rseq, t_sent, rrun = HEADER.unpack_from(data)
                if rrun == run and sent.pop(rseq, None) is not None:
                    rtts.append((rx_time_ns(anc) - t_sent) / 1e6)
        except BlockingIOError:
            pass
        if seq >= a.count and not sent:
            break
        time.sleep(0.0005)
    emit({'role': 'ping', 'sent': a.count, 'received': len(rtts),
          'loss_pct': 100.0 * (a.count - len(rtts)) / a.count,
          'rtt_ms': {'min': min(rtts, default=None), 'p50': pct(rtts, 50), 'p95': pct(rtts, 95),
                     'max': max(rtts, default=None),
                     'mean': statistics.fmean(rtts) if rtts else None}})


def run_blast(a):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 8 << 20)
    to = address(a.to)
    run = os.getpid()
    pad = b'\0' * max(0, a.size - HEADER.size)
    frame_bits = (max(a.size, HEADER.size) + L2_OVERHEAD) * 8
    per_s = a.rate * 1000.0 / frame_bits
    start = time.monotonic()
    seq = 0
    errors = 0
    while True:
        now = time.monotonic()
        if now - start >= a.seconds:
            break
        due = int((now - start) * per_s) + 1
        while seq < due:
            try:
                s.sendto(HEADER.pack(seq, time.time_ns(), run) + pad, to)
            except OSError:
                errors += 1
            seq += 1
        time.sleep(max(0.0, min(0.001, (seq / per_s) - (time.monotonic() - start))))
    emit({'role': 'blast', 'sent': seq, 'send_errors': errors, 'seconds': a.seconds,
          'frame_bytes': frame_bits // 8, 'offered_kbps': a.rate})


def run_sink(a):
    s = receiving_socket(a.port)
    s.settimeout(0.2)
    end = time.monotonic() + a.seconds
    first = last = None
    delays, arrivals, seqs = [], [], set()
    top = -1
    nbytes = 0
    while time.monotonic() < end:
        try:
            data, anc, _flags, _peer = s.recvmsg(65536, 64)
        except socket.timeout:
            if last is not None and time.monotonic() - last > a.idle:
                break
            continue
        t_rx = rx_time_ns(anc)
        last = time.monotonic()
        if len(data) < HEADER.size:
            continue
        seq, t_sent, _run = HEADER.unpack_from(data)
        first = first or t_rx
        delays.append((t_rx - t_sent) / 1e6)
        arrivals.append((t_rx, len(data) + L2_OVERHEAD))
        seqs.add(seq)
        top = max(top, seq)
        nbytes += len(data) + L2_OVERHEAD
    per_second = []
    if arrivals:
        t0 = arrivals[0][0]
        bins = {}
        for t, b in arrivals:
            k = int((t - t0) // 1_000_000_000)
            bins[k] = bins.get(k, 0) + b
        per_second = [round(bins.get(k, 0) * 8 / 1000.0, 1) for k in range(max(bins) + 1)]
    # Steady-state throughput: whole seconds after the first (the first
    # second carries the bucket's burst), the last partial one left out.
    steady = per_second[1:-1] if len(per_second) > 2 else per_second
    emit({'role': 'sink', 'received': len(seqs), 'highest_seq': top, 'frame_bytes': nbytes,
          'one_way_ms': {'min': min(delays, default=None), 'p50': pct(delays, 50),
                         'p99': pct(delays, 99), 'max': max(delays, default=None)},
          'kbps_per_second': per_second,
          'kbps_steady': statistics.fmean(steady) if steady else None})


# ------------------------------------------------------------------ verify

def verify(a):
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import netlab
    reason = netlab.unavailable_reason()
    if reason:
        print(f'SKIP: {reason}', flush=True)
        return 77
    me = os.path.abspath(__file__)
    py = sys.executable
    rows = []

    def probe(lab, ns, argv):
        return lab.popen(ns, [py, me, *argv], stdout=subprocess.PIPE, text=True)

    def result(p, timeout=120):
        out, _ = p.communicate(timeout=timeout)
        return json.loads(out.strip().splitlines()[-1])

    with netlab.Lab(a.forwarder, links=1, seed=1) as lab:
        link = lab.links[0]
        v, h = link.viewer_ns, lab.host_ns
        to_sink = f'{link.viewer_ip}:5000'
        to_echo = f'{link.viewer_ip}:5001'

        def one_way(rate, seconds, lab_=lab, size=1200):
            sink = probe(lab_, v, ['sink', '--port', '5000', '--seconds', seconds + 5, '--idle', 1.5])
            time.sleep(0.3)
            blast = result(probe(lab_, h, ['blast', '--to', to_sink, '--rate', rate,
                                           '--seconds', seconds, '--size', size]))
            return blast, result(sink)

        def ping(count, interval, size=200):
            echo = probe(lab, v, ['echo', '--port', '5001', '--seconds', count * interval / 1000 + 8])
            time.sleep(0.3)
            r = result(probe(lab, h, ['ping', '--to', to_echo, '--count', count, '--interval',
                                      interval, '--size', size]))
            echo.terminate()
            echo.wait()
            return r

        def overhead(lab_, label, busy):
            loops = [lab_.popen(h, [py, '-c', 'while True: pass']) for _ in range(busy)]
            try:
                link_ = lab_.links[0]
                link_.reset()
                st0 = link_.stats()
                blast, sink = one_way(10000, 8, lab_)
                st1 = link_.stats()
            finally:
                for p in loops:
                    p.kill()
                    p.wait()
            d0, d1 = st0['down'], st1['down']
            sent = d1['sent_frames'] - d0['sent_frames']
            return (f'forwarder alone, 10 Mbit/s offered (1,007 datagrams/s of 1,200 B), {label}, '
                    f'forwarder {"SCHED_FIFO" if link_.realtime else "normal priority"}',
                    'added delay ≤ 1 ms',
                    f'forwarder (kernel receive → send): max {d1["late_max_ms"]:.3f} ms, '
                    f'{d1["late_over_1ms"] - d0["late_over_1ms"]} of {sent} frames over 1 ms; '
                    f'probe one-way p50 {sink["one_way_ms"]["p50"]:.3f} ms, p99 '
                    f'{sink["one_way_ms"]["p99"]:.3f}, max {sink["one_way_ms"]["max"]:.3f}; '
                    f'{sink["kbps_steady"]:.0f} kbit/s; {blast["sent"] - sink["received"]} of '
                    f'{blast["sent"]} lost; kernel socket drops {st1["kernel_drops"] - st0["kernel_drops"]}')

        # Warm the ARP caches so the first measured packet is not an outlier.
        ping(5, 20)

        # 1. The forwarder's own cost: no impairment, 10 Mbit/s of 1200-byte
        # datagrams; idle, then with two busy loops competing for the CPUs.
        for label, busy in (('idle machine', 0), ('2 busy loops on the 2 CPUs', 2)):
            rows.append(overhead(lab, label, busy))
        r = ping(200, 10)
        rows.append(('forwarder alone, RTT (200 pings)', 'RTT ≈ 0',
                     f'RTT p50 {r["rtt_ms"]["p50"]:.3f} ms, p95 {r["rtt_ms"]["p95"]:.3f}, '
                     f'max {r["rtt_ms"]["max"]:.3f}; {r["sent"] - r["received"]} lost'))

        # 2. Delay.
        for delay, jitter in ((20, 0), (50, 10)):
            link.reset()
            link.set('both', delay=delay, jitter=jitter)
            r = ping(200, 20)
            rows.append((f'delay {delay} ms each way' + (f', jitter ±{jitter} ms' if jitter else ''),
                         f'RTT ≈ {2 * delay} ms' + (f' (± up to {2 * jitter})' if jitter else ''),
                         f'RTT min {r["rtt_ms"]["min"]:.2f}, p50 {r["rtt_ms"]["p50"]:.2f}, '
                         f'p95 {r["rtt_ms"]["p95"]:.2f}, max {r["rtt_ms"]["max"]:.2f} ms '
                         f'({r["received"]}/{r["sent"]})'))

        # 3. Loss.
        for loss in (2, 5):
            link.reset()
            link.set('both', loss=loss)
            blast, sink = one_way(5000, 10)
            measured = 100.0 * (blast['sent'] - sink['received']) / blast['sent']
            r = ping(1000, 5)
            expect_rt = 100.0 * (1 - (1 - loss / 100.0) ** 2)
            rows.append((f'loss {loss} % each way', f'one-way {loss} %, round trip {expect_rt:.1f} %',
                         f'one-way {measured:.2f} % ({blast["sent"] - sink["received"]} of '
                         f'{blast["sent"]}); round trip {r["loss_pct"]:.2f} % (of {r["sent"]} pings)'))

        # 4. Rate caps: offered twice the cap.
        for cap in (500, 1000, 10000):
            link.reset()
            link.set('down', rate=cap, queue=100)
            st0 = link.stats()
            blast, sink = one_way(2 * cap, 8)
            st1 = link.stats()
            d = st1['down']
            rows.append((f'cap {cap} kbit/s (queue 100 ms), {2 * cap} kbit/s offered',
                         f'≈ {cap} kbit/s; queueing ≤ 100 ms',
                         f'{sink["kbps_steady"]:.0f} kbit/s (Ethernet frames; per second '
                         f'{", ".join(f"{x:.0f}" for x in sink["kbps_per_second"][1:6])} …); one-way '
                         f'p50 {sink["one_way_ms"]["p50"]:.1f} ms, max {sink["one_way_ms"]["max"]:.1f}; '
                         f'{d["dropped_queue"] - st0["down"]["dropped_queue"]} tail drops of '
                         f'{blast["sent"]}'))

        # 5. A schedule: 10 Mbit/s for 4 s, 0.5 Mbit/s for 4 s, then 10 Mbit/s.
        link.reset()
        sink = probe(lab, v, ['sink', '--port', '5000', '--seconds', 20, '--idle', 1.5])
        time.sleep(0.3)
        link.schedule('down', [(4, {'rate': 10000}), (4, {'rate': 500}), (0, {'rate': 10000})])
        blast = result(probe(lab, h, ['blast', '--to', to_sink, '--rate', 2000, '--seconds', 12]))
        sink = result(sink)
        rows.append(('schedule: 10 Mbit/s 4 s → 0.5 Mbit/s 4 s → 10 Mbit/s; 2 Mbit/s offered',
                     '2000 ×4, ≈ 500 ×4, 2000 ×4 (kbit/s per second)',
                     'per second: ' + ', '.join(f'{x:.0f}' for x in sink['kbps_per_second'])))

    # The same under load with the forwarder at normal priority (what
    # SCHED_FIFO buys): a second lab, same names in its own namespaces.
    with netlab.Lab(a.forwarder, links=1, seed=1, realtime=False) as lab:
        link = lab.links[0]
        v, h = link.viewer_ns, lab.host_ns
        to_sink = f'{link.viewer_ip}:5000'
        rows.insert(2, overhead(lab, '2 busy loops on the 2 CPUs', 2))

    lines = ['| check | expected | measured |', '|---|---|---|']
    lines += [f'| {c} | {e} | {m} |' for c, e, m in rows]
    text = '\n'.join(lines)
    print(text)
    if a.out:
        with open(a.out, 'w') as f:
            f.write(text + '\n')
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('role', choices=['echo', 'ping', 'blast', 'sink', 'verify'])
    ap.add_argument('--port', type=int, default=5000)
    ap.add_argument('--to', default='')
    ap.add_argument('--seconds', type=float, default=10)
    ap.add_argument('--idle', type=float, default=2.0)
    ap.add_argument('--count', type=int, default=100)
    ap.add_argument('--interval', type=float, default=20, help='ms between pings')
    ap.add_argument('--timeout', type=float, default=2.0, help='s to wait for the last echoes')
    ap.add_argument('--size', type=int, default=1200, help='UDP payload bytes')
    ap.add_argument('--rate', type=float, default=1000, help='kbit/s of Ethernet frames')
    ap.add_argument('--forwarder', default=None)
    ap.add_argument('--out', default=None)
    a = ap.parse_args()
    if a.role == 'verify':
        if not a.forwarder:
            sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
            import netlab
            a.forwarder = netlab.default_forwarder()
        return verify(a)
    return {'echo': run_echo, 'ping': run_ping, 'blast': run_blast, 'sink': run_sink}[a.role](a) or 0


if __name__ == '__main__':
    sys.exit(main())
