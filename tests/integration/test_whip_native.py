#!/usr/bin/env python3
"""WHIP ingest (issue 18, item 3) with real processes: a standalone
ghostview-signaling with a session API key, whose WHIP relay is the
`ghostview` under test; an integrator's reservation (POST
/api/v1/sessions); a WHIP publisher made of plain GStreamer
(whip_publisher.py: webrtcbin, no GhostView element), as any standard WHIP
client is; and native viewers that join by the reserved PIN:

- refusals before anything starts, each with its JSON body: 401 (no token,
  the token of another session), 415, 400 (not SDP), 404 (not an
  endpoint), and the CORS preflight;
- POST /whip/{pin} with the reservation token: 201, an SDP answer with the
  relay's candidates, a Location; two viewers decode the publisher's
  pattern; a second POST while it publishes: 409;
- DELETE on the Location: 200, the viewers see the session end, the relay
  process is gone; a second DELETE: 404; the spent token: 404;
- trickle ICE: the offer without candidates, each one PATCHed after: 204;
  H.264 video as OBS sends it (x264, zero latency), no sound;
- a publisher that vanishes without its DELETE: the session ends (the
  relay's media timeout) and the relay is gone;
- a server with `--whip-relay off`: 501; one with `--whip-max-relays 0`:
  503 with Retry-After; wrong tokens from one address: 429."""
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

import gvfault
import gvtest
from gvhttp import events, expect_error, request

gvtest.need_ghostview()
gvfault.need_signaling()
gvtest.need_elements("vp8enc", "vp8dec", "webrtcbin", "videotestsrc", "opusenc", "opusdec",
                     "x264enc", "avdec_h264")

PUBLISHER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "whip_publisher.py")
KEY = "gv-whip-test-key"


def reserve(base, max_viewers=2):
    req = urllib.request.Request(f"{base}/api/v1/sessions", method="POST",
                                 data=json.dumps({"max_viewers": max_viewers}).encode(),
                                 headers={"Authorization": f"Bearer {KEY}"})
    with urllib.request.urlopen(req, timeout=10) as r:
        made = json.loads(r.read())
    return made["session"]["pin"], made["reservation_token"]


def publish(base, pin, token, *extra, seconds=30):
    return gvtest.Process([sys.executable, PUBLISHER, "--url", f"{base}/whip/{pin}", "--token",
                           token, "--seconds", str(seconds), *extra], "publisher")


def wait_event(proc, name, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for e in events(proc):
            if e["event"] in (name, "refused", "error"):
                return e
        time.sleep(0.1)
    gvtest.fail(f"the publisher printed no {name!r} in {timeout} s:\n" + proc.output())


def relays(port):
    """The pids of relays of the server on `port` still running."""
    out = subprocess.run(["pgrep", "-f", f"whip-relay --server ws://127.0.0.1:{port}/ws"],
                         capture_output=True, text=True).stdout
    return out.split()


def session_status(base, pin):
    req = urllib.request.Request(f"{base}/api/v1/sessions/{pin}",
                                 headers={"Authorization": f"Bearer {KEY}"})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def wait_ended(base, pin, viewers, what, timeout):
    """The session is gone from the API and its viewers get no more frames."""
    deadline = time.monotonic() + timeout
    while session_status(base, pin) != 404 and time.monotonic() < deadline:
        time.sleep(0.2)
    if session_status(base, pin) != 404:
        gvtest.fail(f"{what}: the session with PIN {pin} is still live {timeout} s later")
    time.sleep(1)  # what was on its way is shown
    before = [v.frames() for v in viewers]
    time.sleep(2)
    for v, n in zip(viewers, before):
        if v.frames() > n + 2:
            gvtest.fail(f"{what}: {v.name} still decodes frames ({n} -> {v.frames()})")


keydir = tempfile.mkdtemp(prefix="gv-whip-")
keyfile = os.path.join(keydir, "api-keys")
with open(keyfile, "w") as f:
    f.write(f"integrator write,read {hashlib.sha256(KEY.encode()).hexdigest()}\n")

port = gvfault.free_port()
url = f"ws://127.0.0.1:{port}/ws"
base = f"http://127.0.0.1:{port}"
server = gvfault.start_server(port, "--api-keys", keyfile, "--whip-relay", gvtest.GHOSTVIEW)
off = publisher = None
viewers = []
try:
    pin, token = reserve(base)
    other_pin, other_token = reserve(base)
    endpoint = f"{base}/whip/{pin}"
    sdp_type = "application/sdp"

    status, headers, _ = request("OPTIONS", endpoint,
                                 headers={"Origin": "https://studio.example",
                                          "Access-Control-Request-Method": "POST"})
    if status != 204 or "Location" not in headers.get("Access-Control-Expose-Headers", ""):
        gvtest.fail(f"CORS preflight: {status} {dict(headers)}")
    expect_error("no bearer", request("POST", endpoint, None, "v=0\r\n", sdp_type),
                 401, "UNAUTHORIZED")
    expect_error("another session's token",
                 request("POST", endpoint, other_token, "v=0\r\nm=video 9 UDP 96\r\n", sdp_type),
                 401, "UNAUTHORIZED")
    expect_error("not application/sdp", request("POST", endpoint, token, "{}", "application/json"),
                 415, "UNSUPPORTED_MEDIA_TYPE")
    expect_error("not an SDP offer", request("POST", endpoint, token, "hello", sdp_type),
                 400, "BAD_SDP")
    expect_error("not an endpoint", request("POST", f"{base}/whip/", token, "v=0", sdp_type),
                 404, "NOT_FOUND")

    # The publisher: 201, an answer with the relay's candidates, a Location.
    viewers.append(gvfault.Viewer(url, pin, "viewer-early"))  # waits for the host
    publisher = publish(base, pin, token)
    answered = wait_event(publisher, "answered")
    if answered["event"] != "answered" or answered.get("content_type") != sdp_type or \
            not answered.get("location", "").startswith(f"/whip/{pin}/"):
        gvtest.fail(f"the publish was not answered as WHIP says: {answered}\n" + publisher.output())
    location = base + answered["location"]
    print(f"POST /whip/{pin}: 201, Location {answered['location']}", flush=True)
    if wait_event(publisher, "ice")["event"] != "ice":
        gvtest.fail("the publisher's ICE never moved:\n" + publisher.output())

    viewers.append(gvfault.Viewer(url, pin, "viewer-late"))
    for v in viewers:
        if not v.wait_frames(30, 40):
            gvtest.fail(f"{v.name} decoded no frames of the publisher's stream:\n" +
                        v.messages() + "\n" + server.output())
        print(f"{v.name}: {v.frames()} frames of the publisher's pattern", flush=True)

    expect_error("a second publisher",
                 request("POST", endpoint, token, "v=0\r\nm=video 9 UDP 96\r\n", sdp_type),
                 409, "ALREADY_PUBLISHING")
    if len(relays(port)) != 1:
        gvtest.fail(f"expected one relay running, found {relays(port)}")

    # The publisher stops: the session ends for its viewers, the relay goes.
    status, _, body = request("DELETE", location, token)
    if status != 200:
        gvtest.fail(f"DELETE {location}: {status} {body}")
    wait_ended(base, pin, viewers, "after the DELETE", 20)
    deadline = time.monotonic() + 20
    while relays(port) and time.monotonic() < deadline:
        time.sleep(0.2)
    if relays(port):
        gvtest.fail(f"the relay still runs 20 s after the DELETE: {relays(port)}")
    print("DELETE: 200, both viewers saw the session end, the relay exited", flush=True)
    expect_error("DELETE again", request("DELETE", location, token), 404, "NOT_FOUND")
    expect_error("the spent token", request("POST", endpoint, token, "v=0\r\nm=video 9 UDP 96\r\n",
                                            sdp_type), 404, "PIN_EXPIRED")
    publisher.kill()
    publisher = None
    viewers = []

    # Trickle ICE: candidates PATCHed after the answer.
    # H.264 as OBS sends it (x264, zero latency), no sound: the relay decodes it.
    publisher = publish(base, other_pin, other_token, "--trickle", "--no-audio", "--codec", "h264")
    if wait_event(publisher, "answered")["event"] != "answered":
        gvtest.fail("the trickle publisher was refused:\n" + publisher.output())
    viewers.append(gvfault.Viewer(url, other_pin, "viewer-trickle"))
    if not viewers[0].wait_frames(30, 40):
        gvtest.fail("no frames from the trickle publisher:\n" + viewers[0].messages())
    if any(e["event"] == "patch-refused" for e in events(publisher)):
        gvtest.fail("a PATCH was refused:\n" + publisher.output())
    print(f"trickle ICE, H.264: PATCHes 204, {viewers[0].frames()} frames", flush=True)

    # The publisher vanishes without its DELETE: the relay's media timeout
    # (10 s) ends the session.
    publisher.kill()
    publisher = None
    wait_ended(base, other_pin, viewers, "after the publisher vanished", 40)
    deadline = time.monotonic() + 20
    while relays(port) and time.monotonic() < deadline:
        time.sleep(0.2)
    if relays(port):
        gvtest.fail("the relay of a vanished publisher still runs")
    print("a publisher gone without DELETE: the session ended, the relay exited", flush=True)
    viewers = []

    off_port = gvfault.free_port()
    off = gvfault.start_server(off_port, "--api-keys", keyfile, "--whip-relay", "off",
                               name="server-off")
    off_pin, off_token = reserve(f"http://127.0.0.1:{off_port}")
    expect_error("WHIP turned off",
                 request("POST", f"http://127.0.0.1:{off_port}/whip/{off_pin}", off_token,
                         "v=0\r\nm=video 9 UDP 96\r\n", sdp_type), 501, "WHIP_UNAVAILABLE")
    off.kill()
    off_port = gvfault.free_port()
    off = gvfault.start_server(off_port, "--api-keys", keyfile, "--whip-max-relays", "0",
                               name="server-busy")
    off_pin, off_token = reserve(f"http://127.0.0.1:{off_port}")
    busy = request("POST", f"http://127.0.0.1:{off_port}/whip/{off_pin}", off_token,
                   "v=0\r\nm=video 9 UDP 96\r\n", sdp_type)
    expect_error("no relay left (--whip-max-relays 0)", busy, 503, "WHIP_BUSY")
    if busy[1].get("Retry-After") != "30":
        gvtest.fail(f"a busy server says when to come back: {dict(busy[1])}")

    # Wrong tokens are guesses: the limiter stops them (last: it locks out
    # this address).
    limited = None
    for i in range(12):
        got = request("POST", endpoint, f"r1.{i:032x}.{'0' * 64}", "v=0\r\nm=video 9 UDP 96\r\n",
                      sdp_type)
        if got[0] == 429:
            limited = got
            break
    if not limited:
        gvtest.fail("12 wrong tokens from one address were never rate limited")
    expect_error(f"wrong token number {i + 1}", limited, 429, "RATE_LIMITED")
finally:
    for proc in (publisher, *viewers, off, server):
        if proc:
            proc.kill()
    shutil.rmtree(keydir, ignore_errors=True)
