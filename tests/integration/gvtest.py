"""Shared helpers for the launcher's integration tests.

Each test is self-contained: it starts its own `ghostview host` (with the
signalling server in-process on 127.0.0.1 and a free port) and the clients
it needs, and exits 77 with a one-line reason when it cannot run here.
"""
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

SKIP = 77
BUILD_DIR = os.environ.get("GHOSTVIEW_BUILD_DIR", "")
GHOSTVIEW = os.environ.get("GHOSTVIEW", os.path.join(BUILD_DIR, "tools", "ghostview"))


def skip(reason):
    print(f"SKIP: {reason}")
    sys.exit(SKIP)


def fail(message):
    print(f"FAIL: {message}")
    sys.exit(1)


def need_ghostview():
    if not os.access(GHOSTVIEW, os.X_OK):
        skip(f"{GHOSTVIEW} is not built")


def need_elements(*names):
    for name in names:
        if subprocess.run(["gst-inspect-1.0", "--exists", name]).returncode != 0:
            skip(f"GStreamer element {name} is not installed")


def need_discoverer():
    if not shutil.which("gst-discoverer-1.0"):
        skip("gst-discoverer-1.0 is missing (Debian: gstreamer1.0-plugins-base-apps)")


def workdir():
    return tempfile.mkdtemp(prefix="gv-integration-")


class Process:
    """A ghostview process whose output lines are collected as they come,
    each with the monotonic time it arrived."""

    def __init__(self, args, name, echo=True, stdin=False, env=None):
        self.name = name
        self.echo = echo  # False: collect the lines without printing them
        self.lines = []
        self.cond = threading.Condition()
        print(f"$ {' '.join(args)}", flush=True)
        # stdin=True: a pipe for send_line (the launcher reads typed lines).
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
                                     text=True, bufsize=1, env=env)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.proc.stdout:
            line = line.rstrip("\n")
            if self.echo:
                print(f"[{self.name}] {line}", flush=True)
            with self.cond:
                self.lines.append((time.monotonic(), line))
                self.cond.notify_all()
        with self.cond:
            self.cond.notify_all()

    def wait_for(self, pattern, timeout):
        """The first match of `pattern` in the output, and when its line came."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for stamp, line in self.lines:
                    m = regex.search(line)
                    if m:
                        return m, stamp
                left = deadline - time.monotonic()
                if left <= 0 or (self.proc.poll() is not None and not self.reader.is_alive()):
                    return None, None
                self.cond.wait(min(left, 0.5))

    def send_line(self, text):
        """Types one line on the process's stdin (started with stdin=True)."""
        print(f"[{self.name} <] {text}", flush=True)
        self.proc.stdin.write(text + "\n")
        self.proc.stdin.flush()

    def count(self, pattern):
        """How many output lines match `pattern` so far."""
        regex = re.compile(pattern)
        with self.cond:
            return sum(1 for _, line in self.lines if regex.search(line))

    def interrupt(self):
        self.proc.send_signal(signal.SIGINT)
        return time.monotonic()

    def wait(self, timeout):
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            fail(f"{self.name} did not exit within {timeout} s after SIGINT")
        self.reader.join(5)
        return rc

    def output(self):
        with self.cond:
            return "\n".join(line for _, line in self.lines)

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def start_host(*extra, name="host", stdin=False, env=None):
    """`ghostview host` with its own server on 127.0.0.1 and a free port;
    returns (process, ws_url, pin). `env`: its environment (default: ours)."""
    host = Process([GHOSTVIEW, "host", "--local", "--port", "0", *extra], name, stdin=stdin,
                   env=env)
    m, _ = host.wait_for(r"WebSocket (ws://127\.0\.0\.1:\d+/ws)", 20)
    if not m:
        host.kill()
        fail("the host did not start its signalling server:\n" + host.output())
    url = m.group(1)
    m, _ = host.wait_for(r"PIN: (\d{6,9})", 30)
    if not m:
        host.kill()
        fail("the host printed no PIN:\n" + host.output())
    return host, url, m.group(1)


def stream_for(proc, seconds, what):
    """Waits for `proc` (a recorder, a restream) to say "video is flowing",
    lets it run `seconds`, stops it with SIGINT and checks it exited 0;
    the seconds between its first video and the SIGINT."""
    m, started = proc.wait_for(r"video is flowing", 30)
    if not m:
        fail(f"{what} never started:\n" + proc.output())
    time.sleep(seconds)
    stopped = proc.interrupt()
    if proc.wait(30) != 0:
        fail(f"{what} failed:\n" + proc.output())
    return stopped - started


def start_xvfb(size="1024x768x24"):
    """A private Xvfb (-noreset) on a display number it picks itself
    (-displayfd: the server skips numbers in use and clears locks whose
    owner is gone); returns (process, ":N"). Skips the test without Xvfb."""
    if not shutil.which("Xvfb"):
        skip("Xvfb is not installed (Debian: xvfb)")
    read_end, write_end = os.pipe()
    xvfb = subprocess.Popen(["Xvfb", "-displayfd", str(write_end), "-noreset", "-nolisten", "tcp",
                             "-screen", "0", size], pass_fds=(write_end,),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write_end)
    number = b""
    deadline = time.monotonic() + 15
    while not number.endswith(b"\n") and time.monotonic() < deadline:
        ready, _, _ = select.select([read_end], [], [], 0.2)
        if ready:
            chunk = os.read(read_end, 16)
            if not chunk:
                break
            number += chunk
    os.close(read_end)
    if not number.strip().isdigit():
        xvfb.kill()
        fail(f"Xvfb gave no display number in 15 s (exit status {xvfb.wait()})")
    return xvfb, ":" + number.strip().decode()


def discover(path):
    """gst-discoverer-1.0's view of a file: container, video codec, duration (s)."""
    out = subprocess.run(["gst-discoverer-1.0", path], capture_output=True, text=True,
                         timeout=60).stdout
    print(out, flush=True)
    info = {"container": None, "video": None, "duration": None, "text": out}
    m = re.search(r"container(?: #\d+)?: (.+)", out)
    if m:
        info["container"] = m.group(1).strip()
    m = re.search(r"video(?: #\d+)?: (.+)", out)
    if m:
        info["video"] = m.group(1).strip()
    m = re.search(r"Duration: (\d+):(\d+):(\d+(?:\.\d+)?)", out)
    if m:
        h, mi, s = m.groups()
        info["duration"] = int(h) * 3600 + int(mi) * 60 + float(s)
    return info


def check_recording(path, container, codec, expected_s, tolerance=0.10):
    if not os.path.exists(path) or os.path.getsize(path) == 0:
        fail(f"{path} was not written")
    info = discover(path)
    if not info["container"] or container.lower() not in info["container"].lower():
        fail(f"{path}: container is {info['container']}, expected {container}")
    if not info["video"] or codec.lower() not in info["video"].lower():
        fail(f"{path}: video is {info['video']}, expected {codec}")
    if info["duration"] is None:
        fail(f"{path}: no duration (not finalized?)")
    error = abs(info["duration"] - expected_s) / expected_s
    print(f"{path}: {info['container']}, {info['video']}, {info['duration']:.2f} s "
          f"(recorded {expected_s:.2f} s, off by {error * 100:.1f}%)", flush=True)
    if error > tolerance:
        fail(f"{path}: duration {info['duration']:.2f} s is more than {tolerance * 100:.0f}% "
             f"from the {expected_s:.2f} s recorded")
