"""`ghostview devices` and `ghostview host --source screen` on a real X
server (Xvfb): the display and a window are listed, and the host shares the
screen rather than falling back to the test pattern."""
import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gvtest  # noqa: E402

TITLE = "GhostView devices test"


def main():
    gvtest.need_ghostview()
    if not shutil.which("xmessage"):
        gvtest.skip("xmessage is not installed (Debian: x11-utils)")
    xvfb, display = gvtest.start_xvfb()
    os.environ["DISPLAY"] = display
    window = subprocess.Popen(["xmessage", "-title", TITLE, "-geometry", "300x100+50+60", "hello"])
    try:
        listed = ""
        for _ in range(50):  # until the window is mapped
            listed = subprocess.run([gvtest.GHOSTVIEW, "devices"], capture_output=True, text=True,
                                    timeout=30).stdout
            if TITLE in listed:
                break
            time.sleep(0.1)
        print(listed, flush=True)
        if "display:0" not in listed or "1024x768+0+0" not in listed:
            gvtest.fail("the Xvfb screen is not listed as display:0 at 1024x768+0+0")
        if TITLE not in listed:
            gvtest.fail(f"the window '{TITLE}' is not listed")
        window_line = next(line for line in listed.splitlines() if TITLE in line)
        if "window:0x" not in window_line:
            gvtest.fail("the window has no window:ID to share: " + window_line)

        host, _, pin = gvtest.start_host("--source", "screen")
        out = host.output()
        host.interrupt()
        rc = host.wait(20)
        if "test pattern" in out:
            gvtest.fail("with a display, the host fell back to the test pattern:\n" + out)
        if rc != 0:
            gvtest.fail(f"the host exited with {rc}:\n" + host.output())
        print(f"shared the screen of {display} with PIN {pin}; exit status 0")
    finally:
        window.kill()
        window.wait()
        xvfb.kill()
        xvfb.wait()


main()
