#!/usr/bin/env python3
"""The documented messages and exit codes: an unknown variable, a missing
required one, a bad preset name, a broken description (missing element) and
an unreachable signalling server."""
import os
import subprocess
import time

import gvtest

gvtest.need_ghostview()


def run(args, timeout=60):
    start = time.monotonic()
    r = subprocess.run([gvtest.GHOSTVIEW, *args], capture_output=True, text=True,
                       timeout=timeout)
    took = time.monotonic() - start
    print(f"$ ghostview {' '.join(args)}  -> exit {r.returncode} in {took:.1f} s\n"
          f"{r.stdout}{r.stderr}", flush=True)
    return r


def expect(args, code, *fragments, timeout=60):
    r = run(args, timeout)
    if r.returncode != code:
        gvtest.fail(f"ghostview {' '.join(args)}: exit {r.returncode}, expected {code}")
    text = r.stdout + r.stderr
    for fragment in fragments:
        if fragment not in text:
            gvtest.fail(f"ghostview {' '.join(args)}: output lacks {fragment!r}")
    return r


# Usage errors: exit 2, naming what is wrong.
expect(["run", "host-test", "--set", "NO_SUCH_VAR=1", "--print-pipeline"], 2,
       "preset 'host-test' has no variable NO_SUCH_VAR", "its variables: SERVER")
expect(["run", "record", "--print-pipeline"], 2, "preset 'record' needs PIN")
expect(["run", "no-such-preset"], 2, "no preset named 'no-such-preset'", "host-test")
expect(["record", "--output", "x.mkv"], 2, "--pin is required")
expect(["view", "--pin", "12345", "--print-pipeline"], 2, "--pin 12345: a PIN is 6 digits, or 9")
expect(["view", "--pin", "1234567890", "--print-pipeline"], 2, "a PIN is 6 digits, or 9")
expect(["view", "--pin", "12345678a", "--print-pipeline"], 2, "a PIN is 6 digits, or 9")
expect(["host", "--codec", "theora", "--print-pipeline"], 2, "--codec theora")
expect(["record", "--pin", "123456", "--codec", "vp9", "--print-pipeline"], 2,
       "--codec does not apply to preset 'record'")
expect(["frobnicate"], 2, "unknown command 'frobnicate'")
# --allow: capability names of signaling/capabilities.h only.
expect(["host", "--allow", "control,root", "--print-pipeline"], 2,
       "--allow control,root: unknown capability \"root\"", "choose from view, control")
expect(["host", "--allow", "chat,,control", "--print-pipeline"], 2, "an empty capability name")
r = expect(["host", "--allow", "control, chat", "--print-pipeline"], 0, "allow=view+control+chat",
           "allow-control=true")
r = expect(["host", "--preset", "host-test", "--allow", "chat", "--print-pipeline"], 0,
           "allow=view+chat")
expect(["run", "record", "--pin", "123456", "--allow", "chat", "--print-pipeline"], 2,
       "--allow does not apply to preset 'record'")
expect(["run", "host-test", "--set", "lower=1"], 2, "--set lower=1")

# A preset whose header does not declare a placeholder it uses, and one whose
# description names an element that does not exist.
work = gvtest.workdir()
undeclared = os.path.join(work, "undeclared.pipeline")
with open(undeclared, "w") as f:
    f.write("# undeclared: uses a variable it does not declare\n#\n# Variables:\n"
            "#   WIDTH=320  picture width\n\n"
            "videotestsrc ! video/x-raw,width=${WIDTH},height=${HEIGHT} ! fakesink\n")
expect(["run", undeclared], 2, "uses ${HEIGHT}", "does not declare")

broken = os.path.join(work, "broken.pipeline")
with open(broken, "w") as f:
    f.write("# broken: names an element that does not exist\n#\n# Variables:\n"
            "#   N=10  buffers\n\nvideotestsrc num-buffers=${N} ! gv-no-such-element ! fakesink\n")
expect(["run", broken], 3, f"preset '{broken}'", "missing GStreamer element gv-no-such-element")

# A pipeline that runs to its end: exit 0.
ok = os.path.join(work, "ok.pipeline")
with open(ok, "w") as f:
    f.write("# ok: ten buffers\n\nvideotestsrc num-buffers=10 ! fakesink\n")
expect(["run", ok], 0)

# An unreachable server: the viewer side fails fast with the element's
# message and exit 3 (port 9, discard, has no listener here).
gvtest.need_elements("webrtcbin")
r = expect(["record", "--server", "ws://127.0.0.1:9/ws", "--pin", "123456", "--output",
            os.path.join(work, "never.mkv")], 3, "ghostview: error:", timeout=60)
text = r.stdout + r.stderr
if "127.0.0.1:9" not in text and "connect" not in text.lower():
    gvtest.fail("the unreachable-server error names neither the server nor the connection")
if text.count("ghostview: error:") != 1:
    gvtest.fail("more than one error printed")
print("PASS")
