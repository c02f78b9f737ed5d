#!/usr/bin/env python3
"""Chat and capabilities end to end, with real processes: `ghostview host
--allow control,chat` (host-test, its own server), a `ghostview view` and a
`ghostview record`.

- the host's typed line reaches the viewer; the viewer's typed line reaches
  the host's terminal (and comes back to the viewer: one history);
- /revoke 1 control takes control away; /revoke 1 chat makes the viewer's
  next line refused (shown by the viewer, counted by the host's /viewers);
  /grant 1 chat lets it through again;
- the recorder (admitted with chat) writes session.vtt beside session.mkv,
  whose cues hold the lines, escaped as WebVTT needs; it is valid while
  the recorder still runs, and after a kill -9."""
import os
import re
import signal
import time

import gvtest

gvtest.need_ghostview()
gvtest.need_elements("vp8enc", "vp8dec", "matroskamux", "webrtcbin")

TIMEOUT = 20
work = gvtest.workdir()
recording = os.path.join(work, "session.mkv")
transcript = os.path.join(work, "session.vtt")

CUE_TIME = r"(\d\d):(\d\d):(\d\d)\.(\d\d\d)"


def parse_vtt(path):
    """The cues of a WebVTT file: [(start_ms, end_ms, text)]; fails on
    anything that is not WebVTT."""
    with open(path, encoding="utf-8") as f:
        content = f.read()
    blocks = content.split("\n\n")
    if not blocks[0].startswith("WEBVTT"):
        gvtest.fail(f"{path} does not start with WEBVTT:\n{content}")
    cues = []
    for block in blocks[1:]:
        lines = [line for line in block.split("\n") if line]
        if not lines:
            continue
        if len(lines) < 3 or not lines[0].isdigit():
            gvtest.fail(f"{path}: not a cue (id, timing, text): {block!r}")
        m = re.fullmatch(CUE_TIME + " --> " + CUE_TIME, lines[1])
        if not m:
            gvtest.fail(f"{path}: bad cue timing {lines[1]!r}")
        g = [int(x) for x in m.groups()]
        start = ((g[0] * 60 + g[1]) * 60 + g[2]) * 1000 + g[3]
        end = ((g[4] * 60 + g[5]) * 60 + g[6]) * 1000 + g[7]
        if end - start != 4000:
            gvtest.fail(f"{path}: a cue of {end - start} ms, not 4 s")
        cues.append((start, end, "\n".join(lines[2:])))
    return cues


def expect_nth(proc, pattern, n, what):
    """Waits for the n-th line matching `pattern` (the same line may come
    back later, after another command)."""
    deadline = time.monotonic() + TIMEOUT
    while proc.count(pattern) < n:
        if time.monotonic() > deadline:
            gvtest.fail(f"{what}: {proc.count(pattern)} lines matching {pattern!r} from "
                        f"{proc.name}, not {n}:\n" + proc.output())
        time.sleep(0.05)


def expect(proc, pattern, what):
    m, _ = proc.wait_for(pattern, TIMEOUT)
    if not m:
        gvtest.fail(f"{what}: no line matching {pattern!r} from {proc.name}:\n" + proc.output())
    return m


host, url, pin = gvtest.start_host("--preset", "host-test", "--set", "WIDTH=320",
                                   "--set", "HEIGHT=240", "--set", "FPS=15",
                                   "--set", "MAX_VIEWERS=3", "--allow", "control,chat",
                                   stdin=True)
viewer = recorder = None
try:
    expect(host, r"Viewers get: view, control, chat", "banner")

    viewer = gvtest.Process([gvtest.GHOSTVIEW, "view", "--server", url, "--pin", pin,
                             "--set", "SINK=fakesink"], "viewer", stdin=True)
    expect(host, r"viewer joined: .* \(number 1\)$", "the viewer joined")
    expect(viewer, r"video is flowing", "the viewer plays")

    # Host -> viewer. The channel opens with the peer connection; the line
    # goes to whoever has chat then, so it is typed once the video flows.
    host.send_line("hello viewers")
    expect(viewer, r"^\[\d\d:\d\d:\d\d\] Host: hello viewers$", "host to viewer")

    # Viewer -> host (and back to the viewer: one history).
    viewer.send_line("hi host, it works")
    m = expect(host, r"^\[\d\d:\d\d:\d\d\] viewer (\S+): hi host, it works$", "viewer to host")
    expect(viewer, r"\] viewer \S+: hi host, it works$", "the viewer's own line comes back")

    # The recorder joins: admitted with chat, it writes the transcript.
    recorder = gvtest.Process([gvtest.GHOSTVIEW, "record", "--server", url, "--pin", pin,
                               "--output", recording], "record")
    expect(host, r"viewer joined: .* \(number 2\)$", "the recorder joined")
    expect(recorder, r"video is flowing", "the recorder records")
    host.send_line("for the <record> & more")
    expect(recorder, r"\] Host: for the <record> & more$", "the recorder gets the host's line")
    viewer.send_line("viewer line\tfor the record")
    expect(recorder, r"\] viewer \S+: viewer line for the record$", "the recorder gets the viewer's")

    # /revoke removes control.
    host.send_line("/revoke 1 control")
    expect(host, r"viewer 1 .* now has: view, chat$", "/revoke control")
    expect(host, r"lost control", "control-changed after /revoke")

    # Without chat: refused, shown to the viewer, counted by the host.
    host.send_line("/revoke 1 chat")
    expect(host, r"viewer 1 .* now has: view$", "/revoke chat")
    viewer.send_line("can you still hear me")
    expect(viewer, r"the host refused: The host has not allowed chat\.", "the refusal")
    host.send_line("/viewers")
    expect(host, r"^  1  viewer \S+: view \(chat lines refused: 1\)$", "/viewers counts the refusal")
    if host.count(r"can you still hear me"):
        gvtest.fail("a refused line reached the host's terminal")

    # /grant at run time lets it through.
    host.send_line("/grant 1 chat")
    expect_nth(host, r"viewer 1 .* now has: view, chat$", 2, "/grant chat")
    viewer.send_line("thanks for the chat")
    expect(host, r"\] viewer \S+: thanks for the chat$", "chat after /grant")

    # Mistakes get a clear line, never a crash.
    host.send_line("/grant 9 chat")
    expect(host, r"/grant: no viewer 9", "unknown viewer")
    host.send_line("/grant 1 root")
    expect(host, r'/grant: unknown capability "root"', "unknown capability")
    host.send_line("/frobnicate")
    expect(host, r"unknown command /frobnicate", "unknown command")

    # The transcript, read while the recorder runs, then after kill -9.
    expect(recorder, r"\] viewer \S+: thanks for the chat$", "the recorder gets the last line")
    cues = parse_vtt(transcript)
    texts = [c[2] for c in cues]
    want = ["Host: for the &lt;record&gt; &amp; more", "viewer line for the record",
            "thanks for the chat"]
    for w in want:
        if not any(w in t for t in texts):
            gvtest.fail(f"no cue holds {w!r}: {texts}")
    starts = [c[0] for c in cues]
    if starts != sorted(starts) or starts[-1] > 60000:
        gvtest.fail(f"cue times are not in order within the minute recorded: {starts}")
    recorder.proc.send_signal(signal.SIGKILL)
    recorder.proc.wait(10)
    if parse_vtt(transcript) != cues:
        gvtest.fail("the transcript changed when the recorder was killed")
    print(f"transcript: {len(cues)} cues, at {starts} ms")
finally:
    for p in (viewer, recorder):
        if p:
            p.kill()
    host.interrupt()
    host.wait(30)
print("PASS")
