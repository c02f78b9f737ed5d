#!/usr/bin/env python3
"""WHEP playback (issue 18, item 2) with real processes: a standalone
ghostview-signaling, `ghostview host` (test pattern and test tone), and a
WHEP player made of plain GStreamer (whep_player.py: webrtcbin, no
GhostView element), as any standard WHEP client is:

- POST /whep/{pin} with the PIN (or an invite link's token) as bearer: 201, an SDP answer, a Location;
  the player decodes video and gets the sound; the host shows a "WHEP
  player" viewer; DELETE on the Location: 200, the host sees it leave; a
  second DELETE: 404;
- trickle ICE: the offer without candidates, each one PATCHed after;
- every error a player can meet, with its JSON body: 401 (no token, a wrong
  one), 404 (no such session), 409 (the PIN spent), 415 (not
  application/sdp; a PATCH not trickle-ice-sdpfrag), 400 (not an SDP
  offer; an offer with none of the host's codecs), 429 (wrong PINs from
  one address), and the CORS preflight."""
import json
import os
import shutil
import sys
import tempfile

import gvfault
import gvtest
from gvhttp import events, expect_error, request

gvtest.need_ghostview()
gvfault.need_signaling()
gvtest.need_elements("vp8enc", "vp8dec", "webrtcbin", "videotestsrc", "opusenc")

PLAYER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "whep_player.py")


def play(base, pin, token, *extra, seconds=6):
    """Runs whep_player.py to the end; returns its events."""
    player = gvtest.Process([sys.executable, PLAYER, "--url", f"{base}/whep/{pin}", "--token",
                             token, "--seconds", str(seconds), *extra], "player")
    code = player.wait(seconds + 50)
    if code not in (0, 2):
        gvtest.fail(f"the WHEP player exited with {code}:\n" + player.output())
    return events(player)


def frames_of(evs):
    return sum(e["count"] for e in evs if e["event"] == "frames")


port = gvfault.free_port()
url = f"ws://127.0.0.1:{port}/ws"
base = f"http://127.0.0.1:{port}"
# A TURN server handed out with short-term credentials (nothing listens
# there: the player and host just carry it); the 201 names it in Link.
secret_dir = tempfile.mkdtemp(prefix="gv-whep-")
secret_file = os.path.join(secret_dir, "turn-secret")
with open(secret_file, "w") as f:
    f.write("whep-test-secret\n")
os.chmod(secret_file, 0o600)
server = gvfault.start_server(port, "--turn-url", "turn:127.0.0.1:9?transport=udp",
                              "--turn-secret-file", secret_file)
host = None
try:
    host, pin = gvfault.start_host(url, "--audio", "test")
    endpoint = f"{base}/whep/{pin}"

    # Refusals that spend nothing, before the player takes the PIN's one use.
    status, headers, _ = request("OPTIONS", endpoint,
                                 headers={"Origin": "https://player.example",
                                          "Access-Control-Request-Method": "POST"})
    if status != 204 or "Authorization" not in headers.get("Access-Control-Allow-Headers", "") \
            or "Location" not in headers.get("Access-Control-Expose-Headers", ""):
        gvtest.fail(f"OPTIONS: {status} {dict(headers)}")
    expect_error("no Authorization", request("POST", endpoint, None, "v=0\r\n", "application/sdp"),
                 401, "UNAUTHORIZED")
    expect_error("text/plain offer", request("POST", endpoint, pin, "v=0", "text/plain"),
                 415, "UNSUPPORTED_MEDIA_TYPE")
    expect_error("not an SDP offer", request("POST", endpoint, pin, "hello", "application/sdp"),
                 400, "BAD_SDP")
    wrong = f"{(int(pin) + 1) % 1000000:06d}"
    expect_error("a wrong PIN as token", request("POST", endpoint, wrong, "v=0\r\nm=video 9 x\r\n",
                                                 "application/sdp"), 401, "UNAUTHORIZED")
    expect_error("a session nobody has", request("POST", f"{base}/whep/{wrong}", wrong,
                                                 "v=0\r\nm=video 9 x\r\n", "application/sdp"),
                 404, "PIN_INVALID")

    # The player: frames and sound, then DELETE.
    evs = play(base, pin, pin, seconds=6)
    answered = [e for e in evs if e["event"] == "answered"]
    if not answered or not answered[0]["location"].startswith(f"/whep/{pin}/") \
            or answered[0]["content_type"] != "application/sdp":
        gvtest.fail(f"no 201 with an SDP answer and a Location: {evs}")
    links = answered[0]["links"]
    if not any(link.startswith("<turn:127.0.0.1:9?transport=udp>; rel=\"ice-server\"")
               and "username=" in link and "credential-type=\"password\"" in link
               for link in links):
        gvtest.fail(f"the 201 names no TURN server in a Link header: {links}")
    print(f"Link: {links[0]}", flush=True)
    kinds = {e["kind"]: e["codec"] for e in evs if e["event"] == "track"}
    if kinds.get("video") != "VP8" or kinds.get("audio") != "OPUS":
        gvtest.fail(f"the player got {kinds}, not VP8 video and Opus sound")
    if frames_of(evs) < 30:
        gvtest.fail(f"the player decoded {frames_of(evs)} frames in 6 s (15 fps sent): {evs}")
    deleted = [e for e in evs if e["event"] == "deleted"]
    if not deleted or deleted[0]["status"] != 200:
        gvtest.fail(f"DELETE did not answer 200: {evs}")
    print(f"WHEP player: {frames_of(evs)} frames decoded in 6 s, sound {kinds['audio']}",
          flush=True)
    m, _ = host.wait_for(r"viewer left: WHEP player", 10)
    if not m:
        gvtest.fail("the host did not see the WHEP player leave:\n" + host.output())
    location = base + answered[0]["location"]
    expect_error("DELETE again", request("DELETE", location, pin), 404, "NOT_FOUND")
    expect_error("the PIN spent", request("POST", endpoint, pin, "v=0\r\nm=video 9 x\r\n",
                                          "application/sdp"), 409, "PIN_USED")
    host.interrupt()
    host.wait(15)

    # Trickle ICE (PATCH), and an offer with none of the host's codecs.
    host, pin = gvfault.start_host(url, "--set", "MAX_VIEWERS=3", "--invite", "view")
    m, _ = host.wait_for(r"\?invite=(\S+)", 10)
    if not m:
        gvtest.fail("the host printed no invite link:\n" + host.output())
    invite = m.group(1)
    evs = play(base, pin, pin, "--trickle", "--no-audio", seconds=5)
    if frames_of(evs) < 20 or any(e["event"] == "patch-refused" for e in evs):
        gvtest.fail(f"trickled: {frames_of(evs)} frames, events {evs}")
    print(f"WHEP player with trickle ICE: {frames_of(evs)} frames decoded in 5 s", flush=True)
    # An invite link's token instead of the PIN; a tampered one is refused.
    tampered = invite[:-4] + ("0000" if not invite.endswith("0000") else "1111")
    expect_error("a tampered invite token", request("POST", f"{base}/whep/{pin}", tampered,
                                                    "v=0\r\nm=video 9 x\r\n", "application/sdp"),
                 401, "UNAUTHORIZED")
    evs = play(base, pin, invite, "--no-audio", seconds=4)
    if frames_of(evs) < 15:
        gvtest.fail(f"with the invite token: {frames_of(evs)} frames, events {evs}")
    print(f"WHEP player with an invite token: {frames_of(evs)} frames decoded in 4 s", flush=True)
    evs = play(base, pin, pin, "--codecs", "H264", "--no-audio", seconds=2)
    refused = [e for e in evs if e["event"] == "refused"]
    if not refused or refused[0]["status"] != 400 \
            or json.loads(refused[0]["body"])["code"] != "OFFER_REFUSED":
        gvtest.fail(f"an H.264-only offer to a VP8 host: {evs}")
    print("H.264-only offer: " + json.loads(refused[0]["body"])["message"], flush=True)
    status, _, _ = request("PATCH", endpoint + "/nothing", pin, "a=end-of-candidates\r\n",
                           "application/trickle-ice-sdpfrag")
    if status != 404:
        gvtest.fail(f"PATCH of no player: {status}")

    # Wrong PINs from one address: refused (429) before the PIN is looked at.
    statuses = []
    for i in range(14):
        guess = f"{(int(pin) + 7 + i) % 1000000:06d}"
        statuses.append(request("POST", f"{base}/whep/{guess}", guess, "v=0\r\nm=video 9 x\r\n",
                                "application/sdp")[0])
    if 429 not in statuses:
        gvtest.fail(f"14 wrong PINs: {statuses}, never 429")
    expect_error("rate limited", request("POST", endpoint, pin, "v=0\r\nm=video 9 x\r\n",
                                         "application/sdp"), 429, "RATE_LIMITED")
    print("wrong PINs: " + " ".join(map(str, statuses)), flush=True)
finally:
    if host:
        host.kill()
    server.kill()
    shutil.rmtree(secret_dir, ignore_errors=True)
print("OK", flush=True)
