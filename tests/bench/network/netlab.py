#!/usr/bin/python3
"""netlab: emulated network links between Linux network namespaces.

    host ns  --veth--  router ns  --veth--  viewer ns    (one per link)

  gvnl-h-TAG            gvnl-r-TAG            gvnl-v0-TAG, gvnl-v1-TAG ...
  gvh0-PID 10.N.0.1     gvrh0-PID  gvrv0-PID  gvv0-PID 10.N.0.2
  gvh1-PID 10.N.1.1     gvrh1-PID  gvrv1-PID  gvv1-PID 10.N.1.2

The host and each viewer get addresses on one /24 per link, so a WebRTC
peer's host candidates connect straight through. In the router namespace a
gvnl-forwarder (netlab-forwarder.cpp) per link bridges its two interfaces at
layer 2 and applies, per direction, loss, a rate cap with a bounded queue,
delay with jitter, and schedules of changes: this kernel has no netem, and
the forwarder does all of it in one place. "down" is host -> viewer (the
picture), "up" is viewer -> host.

No namespace sees the machine's own network: each has lo and its veths only,
IPv6 is off in all of them (one address family, no link-local candidates),
and no namespace forwards IP.

Clean-up: everything is named with this process's id (TAG = PID, or
PID-SEQ for a second lab in the same process) and deleted on every exit path:
the context manager, atexit, SIGTERM/SIGHUP (turned into SystemExit), and,
for SIGKILL (meson's timeout sends SIGTERM to the process group and SIGKILL
0.5 s later), a reaper process in a session of its own that deletes
whatever is still registered when this process's pipe to it closes.

    with netlab.Lab(forwarder, links=2) as lab:
        lab.links[1].set('both', rate=1000)
        p = lab.popen(lab.host_ns, ['my-server', '--bind', lab.links[0].host_ip])

CLI:
    netlab.py check              can this machine make namespaces? (exit 77 if not)
    netlab.py shell [--links N]  build a lab and print how to enter it; Enter tears it down
    netlab.py cleanup            delete gvnl-* namespaces whose creating process is gone
"""
import atexit
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
IP = '/usr/sbin/ip' if os.path.exists('/usr/sbin/ip') else 'ip'
NS_PREFIX = 'gvnl-'
DIRECTIONS = {'down': 'a2b', 'up': 'b2a', 'both': 'both'}
SETTING_KEYS = {'rate': 'rate', 'burst': 'burst', 'delay': 'delay', 'jitter': 'jitter',
                'loss': 'loss', 'queue': 'queue', 'udp': 'udp', 'tcp_only': 'tcp-only'}
WORD_SETTINGS = {'udp': ('drop', 'pass')}  # the settings that take a word, not a number


class LabUnavailable(Exception):
    """This machine (or user) cannot make network namespaces here."""


class LabError(Exception):
    pass


def ip(*args, check=True, timeout=10):
    r = subprocess.run([IP, *args], capture_output=True, text=True, timeout=timeout)
    if check and r.returncode != 0:
        raise LabError(f'ip {" ".join(args)}: {r.stderr.strip() or r.returncode}')
    return r


def namespaces():
    r = ip('netns', 'list', check=False)
    return {line.split()[0] for line in r.stdout.splitlines() if line.strip()}


def ns_pids(ns):
    r = ip('netns', 'pids', ns, check=False)
    return [int(p) for p in r.stdout.split() if p.isdigit()]


def kill_inside(ns):
    """SIGKILL to every process still inside namespace ns."""
    for pid in ns_pids(ns):
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


def remove_namespace(ns):
    kill_inside(ns)
    ip('netns', 'del', ns, check=False)


def unavailable_reason():
    """None when namespaces, veths and AF_PACKET work here, else why not."""
    if not sys.platform.startswith('linux'):
        return 'network namespaces need Linux'
    try:
        subprocess.run([IP, '-V'], capture_output=True, timeout=5)
    except OSError:
        return 'iproute2 (`ip`) is not installed'
    if os.geteuid() != 0:
        return 'not root: making network namespaces needs root (CAP_SYS_ADMIN + CAP_NET_ADMIN)'
    name = f'{NS_PREFIX}check-{os.getpid()}'
    r = ip('netns', 'add', name, check=False)
    if r.returncode != 0:
        return f'cannot make a network namespace: {r.stderr.strip()}'
    try:
        r = ip('-n', name, 'link', 'add', f'gvc-{os.getpid()}', 'type', 'veth', 'peer', 'name',
               f'gvd-{os.getpid()}', check=False)
        if r.returncode != 0:
            return f'cannot make a veth pair: {r.stderr.strip()}'
    finally:
        ip('netns', 'del', name, check=False)
    return None


# ------------------------------------------------------------------ reaper

def reaper_main():
    """Runs in a session of its own (meson's kill of the test's process group
    does not reach it). Reads 'ns NAME' / 'forget NAME' lines; when its stdin
    closes, whoever started it is gone: delete what is still registered."""
    for s in (signal.SIGINT, signal.SIGHUP, signal.SIGTERM):
        signal.signal(s, signal.SIG_IGN)
    live = []
    for line in sys.stdin:
        verb, _, name = line.strip().partition(' ')
        if not name.startswith(NS_PREFIX):
            continue
        if verb == 'ns' and name not in live:
            live.append(name)
        elif verb == 'forget' and name in live:
            live.remove(name)
    if not live:
        return 0
    existing = namespaces()
    removed = []
    for name in live:
        if name not in existing:
            continue
        remove_namespace(name)
        removed.append(name)
    try:
        if removed:
            print(f'netlab reaper: removed {", ".join(removed)} (their lab exited without '
                  'tearing down)', file=sys.stderr, flush=True)
    except OSError:
        pass
    return 0


class Reaper:
    def __init__(self):
        self.p = subprocess.Popen([sys.executable, os.path.abspath(__file__), '--reaper'],
                                  stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                  text=True, start_new_session=True, close_fds=True)

    def tell(self, line):
        try:
            self.p.stdin.write(line + '\n')
            self.p.stdin.flush()
        except (BrokenPipeError, OSError, ValueError):
            pass

    def close(self):
        try:
            self.p.stdin.close()
        except (BrokenPipeError, OSError):
            pass
        try:
            self.p.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass


# ------------------------------------------------------------------ signals

_LABS = []
_SIGNALS_INSTALLED = False
_TEARING_DOWN = threading.Event()


def _on_signal(signum, _frame):
    if _TEARING_DOWN.is_set():
        return  # already on the way out: let the teardown finish
    raise SystemExit(128 + signum)


def _teardown_all():
    for lab in list(_LABS):
        lab.teardown()


def install_exit_handlers():
    """SIGTERM and SIGHUP raise SystemExit (so `with` blocks and atexit run);
    SIGINT already raises KeyboardInterrupt. Main thread only."""
    global _SIGNALS_INSTALLED
    if _SIGNALS_INSTALLED:
        return
    _SIGNALS_INSTALLED = True
    for s in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, _on_signal)
    atexit.register(_teardown_all)


# ------------------------------------------------------------------ the lab

def settings_text(settings):
    words = []
    for key, value in settings.items():
        if key not in SETTING_KEYS:
            raise LabError(f'unknown link setting {key!r} (one of {", ".join(SETTING_KEYS)})')
        if key in WORD_SETTINGS:
            if value not in WORD_SETTINGS[key]:
                raise LabError(f'link setting {key}={value!r}: one of '
                               f'{", ".join(WORD_SETTINGS[key])}')
            words.append(f'{SETTING_KEYS[key]}={value}')
            continue
        words.append(f'{SETTING_KEYS[key]}={float(value):g}')
    return ' '.join(words)


class Link:
    """One emulated link: the host's interface i, the router's forwarder,
    viewer namespace i."""

    def __init__(self, lab, index):
        self.lab = lab
        self.index = index
        pid = lab.pid_tag
        self.host_if = f'gvh{index}-{pid}'
        self.router_host_if = f'gvrh{index}-{pid}'
        self.router_viewer_if = f'gvrv{index}-{pid}'
        self.viewer_if = f'gvv{index}-{pid}'
        self.viewer_ns = f'{NS_PREFIX}v{index}-{lab.tag}'
        self.host_ip = f'10.{lab.net}.{index}.1'
        self.viewer_ip = f'10.{lab.net}.{index}.2'
        self.forwarder = None
        self.lock = threading.Lock()

    def start_forwarder(self, seed=None):
        argv = [self.lab.forwarder_path, '--a', self.router_host_if, '--b', self.router_viewer_if]
        if seed is not None:
            argv += ['--seed', str(seed)]
        if not self.lab.realtime:
            argv.append('--no-realtime')
        self.forwarder = self.lab.popen(self.lab.router_ns, argv, stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, text=True, bufsize=1)
        ready = self._read()
        if ready.get('event') != 'ready':
            raise LabError(f'gvnl-forwarder on link {self.index}: {ready}')
        self.seed = ready.get('seed')
        self.realtime = ready.get('realtime', False)

    def _read(self):
        line = self.forwarder.stdout.readline()
        if not line:
            raise LabError(f'gvnl-forwarder on link {self.index} exited '
                           f'(status {self.forwarder.poll()})')
        return json.loads(line)

    def command(self, line):
        with self.lock:
            self.forwarder.stdin.write(line + '\n')
            self.forwarder.stdin.flush()
            reply = self._read()
        if reply.get('ok') is False:
            raise LabError(f'gvnl-forwarder: {reply.get("error")} (command: {line})')
        return reply

    def set(self, direction='both', **settings):
        """Impairments from now on, e.g. set('both', delay=20, loss=2),
        set('down', rate=1000, queue=100), set('both', udp='drop'). Keys: rate
        (kbit/s, 0 = none), burst (bytes), delay and jitter (ms, one way),
        loss (%), queue (ms), udp ('drop': every UDP frame is lost while TCP
        passes; 'pass', the default), tcp_only (a port: a firewall that
        passes only TCP to or from it, and ARP; 0, the default, is off).
        Unnamed keys keep their value; a running schedule stops."""
        return self.command(f'set {DIRECTIONS[direction]} {settings_text(settings)}')

    def reset(self):
        return self.set('both', rate=0, burst=0, delay=0, jitter=0, loss=0, queue=100,
                        udp='pass', tcp_only=0)

    def schedule(self, direction, phases):
        """Starts now: [(seconds, {settings}), ...]; each phase's changes apply
        on top of the running settings, the last phase holds."""
        text = '; '.join(f'{seconds:g} {settings_text(s)}' for seconds, s in phases)
        return self.command(f'schedule {DIRECTIONS[direction]} {text}')

    def stats(self):
        """Forwarder counters: {'down': {...}, 'up': {...}, 'kernel_drops': ..}."""
        s = self.command('stats')
        return {'down': s['a2b'], 'up': s['b2a'],
                'kernel_drops': s['kernel_drops_a'] + s['kernel_drops_b'],
                'truncated': s['truncated'], 'mono_ns': s['mono_ns']}


class Lab:
    _count = 0

    def __init__(self, forwarder_path, links=1, net=77, seed=None, realtime=True):
        if not os.access(forwarder_path, os.X_OK):
            raise LabError(f'{forwarder_path} is not built')
        if not 0 <= net <= 255:
            raise LabError('net is the second byte of 10.N.x.y')
        self.forwarder_path = forwarder_path
        self.net = net
        self.seed = seed
        self.realtime = realtime  # forwarders at SCHED_FIFO (ahead of what they carry)
        pid = os.getpid()
        self.pid_tag = str(pid) if Lab._count == 0 else f'{pid}-{Lab._count}'
        self.tag = self.pid_tag
        Lab._count += 1
        self.host_ns = f'{NS_PREFIX}h-{self.tag}'
        self.router_ns = f'{NS_PREFIX}r-{self.tag}'
        self.links = [Link(self, i) for i in range(links)]
        self.made = []  # namespaces made, in order
        self.procs = []
        self.reaper = None
        self.torn_down = False

    @property
    def all_ns(self):
        return [self.host_ns, self.router_ns] + [l.viewer_ns for l in self.links]

    # ---- building ----
    def __enter__(self):
        self.build()
        return self

    def __exit__(self, *_exc):
        self.teardown()
        return False

    def build(self):
        if threading.current_thread() is threading.main_thread():
            install_exit_handlers()
        _LABS.append(self)
        try:
            self._build()
        except BaseException:
            self.teardown()
            raise

    def _add_ns(self, name):
        if name in namespaces():
            raise LabError(f'namespace {name} exists already (a stale lab? `netlab.py cleanup`)')
        self.reaper.tell(f'ns {name}')  # before it exists: no window where it is unregistered
        r = ip('netns', 'add', name, check=False)
        if r.returncode != 0:
            if not self.made:
                raise LabUnavailable(f'cannot make a network namespace: {r.stderr.strip()}')
            raise LabError(f'ip netns add {name}: {r.stderr.strip()}')
        self.made.append(name)
        # IPv6 off before any interface exists; lo up (local delivery).
        self.run(name, ['sysctl', '-q', '-w', 'net.ipv6.conf.all.disable_ipv6=1',
                        'net.ipv6.conf.default.disable_ipv6=1', 'net.ipv4.ip_forward=0'])
        ip('-n', name, 'link', 'set', 'lo', 'up')

    def _build(self):
        self.reaper = Reaper()
        for name in self.all_ns:
            self._add_ns(name)
        for link in self.links:
            ip('link', 'add', link.host_if, 'netns', self.host_ns, 'type', 'veth',
               'peer', 'name', link.router_host_if, 'netns', self.router_ns)
            ip('link', 'add', link.router_viewer_if, 'netns', self.router_ns, 'type', 'veth',
               'peer', 'name', link.viewer_if, 'netns', link.viewer_ns)
            for ns, dev, addr in ((self.host_ns, link.host_if, link.host_ip),
                                  (link.viewer_ns, link.viewer_if, link.viewer_ip)):
                ip('-n', ns, 'addr', 'add', f'{addr}/24', 'dev', dev)
                # Frames no larger than the MTU (the local stack would hand
                # a veth 64 KB TCP segments), so loss and the rate cap see
                # the packets a real link carries.
                ip('-n', ns, 'link', 'set', 'dev', dev, 'gso_max_size', '1500', 'gso_max_segs', '1',
                   'up')
            for dev in (link.router_host_if, link.router_viewer_if):
                ip('-n', self.router_ns, 'link', 'set', 'dev', dev, 'up')
        for link in self.links:
            link.start_forwarder(None if self.seed is None else self.seed + link.index)
        self.wait_carrier()

    def wait_carrier(self, timeout=5.0):
        """Until every veth is up (a fresh veth takes a moment to carrier)."""
        end = time.monotonic() + timeout
        while True:
            down = []
            for link in self.links:
                for ns, dev in ((self.host_ns, link.host_if), (link.viewer_ns, link.viewer_if),
                                (self.router_ns, link.router_host_if),
                                (self.router_ns, link.router_viewer_if)):
                    out = ip('-n', ns, '-br', 'link', 'show', 'dev', dev, check=False).stdout
                    if ' UP ' not in f' {out} ':
                        down.append(dev)
            if not down:
                return
            if time.monotonic() > end:
                raise LabError(f'interfaces not up after {timeout:g} s: {", ".join(down)}')
            time.sleep(0.05)

    # ---- processes in namespaces ----
    def popen(self, ns, argv, **kwargs):
        """A process in namespace `ns` (tracked: stopped at teardown)."""
        if ns not in self.made:
            raise LabError(f'{ns} is not a namespace of this lab')
        p = subprocess.Popen([IP, 'netns', 'exec', ns, *[str(a) for a in argv]], **kwargs)
        self.procs.append(p)
        return p

    def run(self, ns, argv, **kwargs):
        kwargs.setdefault('capture_output', True)
        kwargs.setdefault('text', True)
        kwargs.setdefault('timeout', 30)
        r = subprocess.run([IP, 'netns', 'exec', ns, *[str(a) for a in argv]], **kwargs)
        if r.returncode != 0 and kwargs.get('check', True) is not False:
            raise LabError(f'{" ".join(map(str, argv))} in {ns}: {(r.stderr or "").strip()}')
        return r

    # ---- teardown ----
    def teardown(self):
        """Idempotent; fast (meson allows 0.5 s after SIGTERM before SIGKILL,
        and the reaper finishes the job if this is cut short)."""
        if self.torn_down:
            return
        self.torn_down = True
        _TEARING_DOWN.set()
        try:
            for p in self.procs:
                if p.poll() is None:
                    try:
                        p.terminate()
                    except OSError:
                        pass
            end = time.monotonic() + 0.25
            for p in self.procs:
                try:
                    p.wait(timeout=max(0.0, end - time.monotonic()))
                except subprocess.TimeoutExpired:
                    p.kill()
                for f in (p.stdin, p.stdout, p.stderr):
                    try:
                        if f:
                            f.close()
                    except OSError:
                        pass
            # Anything else still inside (a child of a child): ours too.
            for name in self.made:
                kill_inside(name)
            for name in reversed(self.made):
                ip('netns', 'del', name, check=False)
                if self.reaper:
                    self.reaper.tell(f'forget {name}')
            self.made = []
        finally:
            if self.reaper:
                self.reaper.close()
            if self in _LABS:
                _LABS.remove(self)
            if not _LABS:
                _TEARING_DOWN.clear()


# ------------------------------------------------------------------ CLI

def cleanup_stale():
    """gvnl-* namespaces whose creating process (the pid in the name) is gone."""
    removed = []
    for name in sorted(namespaces()):
        m = re.match(rf'^{NS_PREFIX}[a-z0-9]+-(\d+)(-\d+)?$', name)
        if not m:
            continue
        pid = int(m.group(1))
        if os.path.exists(f'/proc/{pid}'):
            continue
        remove_namespace(name)
        removed.append(name)
    print('removed: ' + (', '.join(removed) if removed else 'nothing'))
    return 0


def default_forwarder():
    build = os.environ.get('GHOSTVIEW_BUILD_DIR', os.path.join(HERE, '..', '..', '..', 'build'))
    return os.path.join(build, 'tests', 'bench', 'network', 'gvnl-forwarder')


def main(argv):
    if argv[:1] == ['--reaper']:
        return reaper_main()
    import argparse
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('command', choices=['check', 'shell', 'cleanup'])
    ap.add_argument('--forwarder', default=default_forwarder())
    ap.add_argument('--links', type=int, default=1)
    a = ap.parse_args(argv)
    if a.command == 'check':
        reason = unavailable_reason()
        print(reason or 'network namespaces: available')
        return 77 if reason else 0
    if a.command == 'cleanup':
        return cleanup_stale()
    with Lab(a.forwarder, links=a.links) as lab:
        print(f'host:   ip netns exec {lab.host_ns} bash')
        for link in lab.links:
            print(f'link {link.index}: host {link.host_ip}, viewer {link.viewer_ip}: '
                  f'ip netns exec {link.viewer_ns} bash')
        print('Enter tears the lab down.')
        try:
            input()
        except EOFError:
            pass
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
