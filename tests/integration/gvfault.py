"""What the fault tests share: a standalone ghostview-signaling they can kill
and start again on the same port, a host sharing a small test pattern
through it, and native viewers (gvframes.py) whose frame counts and
longest gaps the tests read."""
import os
import re
import socket
import sys
import time

import gvtest

SIGNALING = os.environ.get("GHOSTVIEW_SIGNALING",
                           os.path.join(gvtest.BUILD_DIR, "signaling", "ghostview-signaling"))
FRAMES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "gvframes.py")
FRAME_LINE = re.compile(r"frames=(\d+) gap_ms=(\d+)")


def need_signaling():
    if not os.access(SIGNALING, os.X_OK):
        gvtest.skip(f"{SIGNALING} is not built")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port, *extra, name="server"):
    server = gvtest.Process([SIGNALING, "--bind", "127.0.0.1", "--port", str(port), *extra], name)
    m, _ = server.wait_for(r"listening on", 15)
    if not m:
        server.kill()
        gvtest.fail("the signalling server did not start:\n" + server.output())
    return server


def start_host(url, *extra, name="host"):
    """`ghostview host --preset host-test` (a test pattern, 320x240, 15 fps: light on a shared
    machine) through the server at `url`; returns (process, PIN)."""
    host = gvtest.Process([gvtest.GHOSTVIEW, "host", "--server", url, "--preset", "host-test",
                           "--fps", "15", "--set", "WIDTH=320", "--set", "HEIGHT=240", *extra],
                          name)
    m, _ = host.wait_for(r"PIN: (\d{6})", 30)
    if not m:
        host.kill()
        gvtest.fail("the host printed no PIN:\n" + host.output())
    return host, m.group(1)


class Viewer(gvtest.Process):
    """gvframes.py joining `pin`: its frame lines are read, not echoed."""

    def __init__(self, url, pin, name):
        super().__init__([sys.executable, FRAMES, url, pin], name, echo=False)

    def samples(self, since=0.0):
        """(arrival time, frames so far, longest gap in ms) of each line since `since`."""
        with self.cond:
            lines = list(self.lines)
        out = []
        for stamp, line in lines:
            m = FRAME_LINE.search(line)
            if m and stamp >= since:
                out.append((stamp, int(m.group(1)), int(m.group(2))))
        return out

    def frames(self):
        s = self.samples()
        return s[-1][1] if s else 0

    def wait_frames(self, count, timeout):
        """True once `count` frames have been decoded."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.frames() >= count:
                return True
            if self.proc.poll() is not None:
                return False
            time.sleep(0.1)
        return False

    def messages(self):
        """Its ERROR/WARNING lines (the frame lines left out)."""
        return "\n".join(line for _, line in self.lines if not FRAME_LINE.search(line))

    def longest_gap_ms(self, since):
        """The longest time without a frame since `since`, and the frames decoded then."""
        s = self.samples(since)
        if not s:
            return None, 0
        return max(g for _, _, g in s), s[-1][1] - s[0][1]

    def when_longest_gap(self, since):
        """When the line of the longest gap since `since` arrived (monotonic)."""
        s = self.samples(since)
        return max(s, key=lambda x: x[2])[0] if s else None
