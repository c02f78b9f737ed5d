#!/usr/bin/env python3
"""Fault test (issue 16): the signalling server restarted while a host and
two viewers are connected — once stopped with SIGTERM, once killed with
SIGKILL — and started again on the same port with the same session key
file. Viewers already connected keep their media (no gap of a second or
more in their decoded frames); the host reconnects by itself within 5 s
and keeps its PIN (its console says so); a new viewer then joins with that
PIN and decodes frames. Last, a server with another key: the host says it
could not keep its PIN and shows a new one. Real processes: ghostview-signaling, ghostview host,
gvwebrtcsrc viewers (gvframes.py)."""
import os
import signal
import time

import gvfault
import gvtest

RECONNECT_LIMIT_S = 5.0
FREEZE_LIMIT_MS = 1000
WATCH_AFTER_S = 2.0

gvtest.need_ghostview()
gvfault.need_signaling()
gvtest.need_elements("vp8enc", "vp8dec", "webrtcbin", "videotestsrc")

work = gvtest.workdir()
key_file = os.path.join(work, "session.key")
port = gvfault.free_port()
url = f"ws://127.0.0.1:{port}/ws"
procs = []
try:
    server = gvfault.start_server(port, "--session-key-file", key_file)
    procs.append(server)
    if os.stat(key_file).st_mode & 0o777 != 0o600:
        gvtest.fail(f"the key file was created with mode {os.stat(key_file).st_mode & 0o777:o}")
    host, pin = gvfault.start_host(url, "--set", "MAX_VIEWERS=4")
    procs.append(host)
    viewers = [gvfault.Viewer(url, pin, f"viewer{i}") for i in (1, 2)]
    procs += viewers
    for v in viewers:
        if not v.wait_frames(15, 40):
            gvtest.fail(f"{v.name} decoded no frames:\n{v.messages()}\n{host.output()}")

    for round_no, sig in enumerate((signal.SIGTERM, signal.SIGKILL), start=1):
        kept_before = len(host.output().split("kept")) - 1
        killed = time.monotonic()
        server.proc.send_signal(sig)
        server.proc.wait(10)
        print(f"--- round {round_no}: server stopped with {sig.name}", flush=True)
        server = gvfault.start_server(port, "--session-key-file", key_file,
                                      name=f"server{round_no + 1}")
        procs.append(server)
        # The host's line for this round: the (round)th "PIN ... kept".
        deadline = killed + RECONNECT_LIMIT_S + 5
        back = None
        while time.monotonic() < deadline and back is None:
            kept = [(t, line) for t, line in host.lines if "kept" in line]
            if len(kept) > kept_before:
                back = kept[kept_before]
            time.sleep(0.05)
        if back is None:
            gvtest.fail(f"round {round_no}: the host did not say it kept its PIN:\n"
                        + host.output())
        if f"PIN {pin} kept" not in back[1]:
            gvtest.fail(f"round {round_no}: the host did not keep PIN {pin}: {back[1]}")
        took = back[0] - killed
        print(f"round {round_no}: host registered again with PIN {pin} {took:.2f} s after "
              f"{sig.name}", flush=True)
        if took > RECONNECT_LIMIT_S:
            gvtest.fail(f"round {round_no}: the host took {took:.2f} s to come back "
                        f"(limit {RECONNECT_LIMIT_S} s)")

        time.sleep(WATCH_AFTER_S)
        for v in viewers:
            gap, gained = v.longest_gap_ms(killed)
            print(f"round {round_no}: {v.name}: {gained} frames since the server stopped, "
                  f"longest gap {gap} ms", flush=True)
            if v.proc.poll() is not None:
                gvtest.fail(f"{v.name} exited: {v.messages()}")
            if gap is None or gap >= FREEZE_LIMIT_MS or gained < 15:
                gvtest.fail(f"round {round_no}: {v.name} froze (longest gap {gap} ms, "
                            f"{gained} frames)")

        newcomer = gvfault.Viewer(url, pin, f"newcomer{round_no}")
        procs.append(newcomer)
        viewers.append(newcomer)
        if not newcomer.wait_frames(15, 30):
            gvtest.fail(f"round {round_no}: a new viewer with PIN {pin} decoded no frames:\n"
                        f"{newcomer.messages()}\n{host.output()}")
        print(f"round {round_no}: a new viewer joined with PIN {pin} and decoded "
              f"{newcomer.frames()} frames", flush=True)

    if "new session registered" in host.output():
        gvtest.fail("the host registered a new session:\n" + host.output())

    # A server with another key cannot honour the token: the host says so
    # and gets a new PIN by itself; its viewers' media goes on.
    server.proc.send_signal(signal.SIGTERM)
    server.proc.wait(10)
    stopped = time.monotonic()
    server = gvfault.start_server(port, "--session-key-file", os.path.join(work, "other.key"),
                                  name="server-other-key")
    procs.append(server)
    m, when = host.wait_for(r"Could not keep PIN " + pin + r": .*cannot be kept", 10)
    if not m:
        gvtest.fail("the host did not say its PIN could not be kept:\n" + host.output())
    m, when = host.wait_for(r"PIN: (?!" + pin + r")(\d{6})", 10)
    if not m:
        gvtest.fail("the host printed no new PIN:\n" + host.output())
    print(f"another key: the host says its PIN could not be kept and shows PIN {m.group(1)} "
          f"{when - stopped:.2f} s after the server stopped", flush=True)
    time.sleep(1)
    for v in viewers[:2]:
        gap, gained = v.longest_gap_ms(stopped)
        if gap is None or gap >= FREEZE_LIMIT_MS:
            gvtest.fail(f"another key: {v.name} froze (longest gap {gap} ms)")
finally:
    for p in reversed(procs):
        p.kill()
print("PASS")
