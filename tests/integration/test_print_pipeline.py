#!/usr/bin/env python3
"""`--print-pipeline` for every preset (and for host/view/record with their
options) prints a description that gst_parse_launch builds, with GhostView's
own elements found through GST_PLUGIN_PATH."""
import re
import subprocess

import gvtest

try:
    import gi
    gi.require_version("Gst", "1.0")
    from gi.repository import GLib, Gst
except (ImportError, ValueError) as e:
    gvtest.skip(f"python3-gi with Gst is missing ({e}); run with /usr/bin/python3")

gvtest.need_ghostview()
Gst.init(None)


def printed(args):
    r = subprocess.run([gvtest.GHOSTVIEW, *args, "--print-pipeline"], capture_output=True,
                       text=True, timeout=30)
    if r.returncode != 0:
        gvtest.fail(f"ghostview {' '.join(args)} --print-pipeline exited {r.returncode}: "
                    f"{r.stderr.strip()}")
    return r.stdout.strip()


presets = subprocess.run([gvtest.GHOSTVIEW, "presets"], capture_output=True, text=True,
                         check=True).stdout
names = [line.split()[0] for line in presets.splitlines() if line.startswith("  ")]
for required in ["host", "host-h264", "host-vp9", "host-test", "host-record", "view", "record",
                 "record-mp4", "restream-rtmp"]:
    if required not in names:
        gvtest.fail(f"preset {required} is missing from 'ghostview presets'")

cases = []
verbose = subprocess.run([gvtest.GHOSTVIEW, "presets", "--verbose"], capture_output=True,
                         text=True, check=True).stdout
for name in names:
    # The preset's declared variables, from its header as `presets --verbose` shows it.
    section = verbose.split(f"== {name} (")[1].split("\n== ")[0]
    block = section.split("Variables:\n")[1].split("\n\n")[0] if "Variables:" in section else ""
    declared = {}
    for line in block.splitlines():
        m = re.match(r"^  ([A-Z_][A-Z0-9_]*)(=?)", line)
        if m:
            declared[m.group(1)] = m.group(2) == "="
    args = ["run", name]
    if "PIN" in declared:
        args += ["--set", "PIN=123456"]
    if "RTMP_URL" in declared:
        args += ["--set", "RTMP_URL=rtmp://127.0.0.1/live/key"]
    if "SOURCE" in declared:
        args += ["--source", "test"]
    missing = [v for v, has_default in declared.items()
               if not has_default and v not in ("PIN", "RTMP_URL")]
    if missing:
        gvtest.fail(f"preset {name} requires {missing}, which this test does not know")
    cases.append(args)
cases += [
    ["host", "--source", "test", "--codec", "h264", "--bitrate", "1500", "--fps", "20",
     "--allow-control"],
    ["host", "--source", "test", "--output", "/tmp/x.mp4"],
    ["view", "--pin", "123456", "--server", "ws://127.0.0.1:9/ws", "--request-control"],
    ["record", "--pin", "123456", "--output", "/tmp/x.mkv"],
    ["record", "--pin", "123456", "--output", "/tmp/x.webm"],
    ["view", "--pin", "123456789", "--server", "ws://127.0.0.1:9/ws"],  # a flood-mode PIN
    ["record", "--pin", "123456", "--output", "/tmp/my file.mp4", "--bitrate", "1000"],
]

failed = 0
for args in cases:
    line = printed(args)
    print(f"ghostview {' '.join(args)}:\n  {line}", flush=True)
    if "${" in line:
        gvtest.fail("unexpanded placeholder left")
    try:
        pipeline = Gst.parse_launch_full(line, None, Gst.ParseFlags.FATAL_ERRORS)
        pipeline.set_state(Gst.State.NULL)
    except GLib.Error as e:
        print(f"  DOES NOT PARSE: {e.message}", flush=True)
        failed += 1
if failed:
    gvtest.fail(f"{failed} of {len(cases)} descriptions do not parse")
print(f"PASS ({len(cases)} descriptions parse)")
