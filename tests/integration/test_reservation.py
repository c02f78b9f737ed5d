#!/usr/bin/env python3
"""A session reserved through the session API and taken by `ghostview host
--reservation` (issue 14, item 2), with real processes: a standalone
ghostview-signaling with an API key, an integrator's POST
/api/v1/sessions, then

- a viewer that comes before the host (by the reserved PIN) waits, and
  sees frames once the host takes the reservation with its token;
- the host shows the reserved PIN, not a new one;
- the API shows the session live, with its host;
- the integrator ends it (DELETE): the host stops, saying why;
- the same token a second time (the session ended): the host stops with a
  clear error instead of sharing under a PIN nobody was given;
- a malformed token is refused before anything starts."""
import hashlib
import json
import os
import shutil
import tempfile
import urllib.request

import gvfault
import gvtest

gvtest.need_ghostview()
gvfault.need_signaling()
gvtest.need_elements("vp8enc", "vp8dec", "webrtcbin", "videotestsrc")

KEY = "gv-reservation-test-key"


def api(base, method, path, body=None):
    """(status, parsed JSON or None) of an API call with the write key."""
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data, method=method,
                                 headers={"Authorization": f"Bearer {KEY}"})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            text = r.read()
            return r.status, json.loads(text) if text else None
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def expect(proc, pattern, what, timeout=30):
    m, _ = proc.wait_for(pattern, timeout)
    if not m:
        gvtest.fail(f"{what}: no line matching {pattern!r} from {proc.name}:\n" + proc.output())
    return m


keydir = tempfile.mkdtemp(prefix="gv-reservation-")
keyfile = os.path.join(keydir, "api-keys")
with open(keyfile, "w") as f:
    f.write(f"integrator write,read {hashlib.sha256(KEY.encode()).hexdigest()}\n")

port = gvfault.free_port()
url = f"ws://127.0.0.1:{port}/ws"
base = f"http://127.0.0.1:{port}/api/v1"
server = gvfault.start_server(port, "--api-keys", keyfile)
host = again = viewer = None
try:
    status, made = api(base, "POST", "/sessions", {"max_viewers": 2, "label": "Ticket 42"})
    if status != 201:
        gvtest.fail(f"POST /sessions answered {status}: {made}")
    pin, token = made["session"]["pin"], made["reservation_token"]
    print(f"reserved PIN {pin}", flush=True)

    # A viewer who was given the PIN comes first and waits for the host.
    viewer = gvfault.Viewer(url, pin, "viewer")

    env = dict(os.environ, GHOSTVIEW_RESERVATION=token)  # kept out of the process list
    host = gvtest.Process([gvtest.GHOSTVIEW, "host", "--server", url, "--preset", "host-test",
                           "--fps", "15", "--set", "WIDTH=320", "--set", "HEIGHT=240"],
                          "host", env=env)
    shown = expect(host, r"PIN: (\d{6})", "the host shows a PIN").group(1)
    if shown != pin:
        gvtest.fail(f"the host shows PIN {shown}, not the reserved {pin}:\n" + host.output())
    expect(host, r"viewer joined: ", "the waiting viewer is put to the host")
    if not viewer.wait_frames(10, 30):
        gvtest.fail("the viewer who came first decoded no frames:\n" + viewer.messages())

    status, live = api(base, "GET", f"/sessions/{pin}")
    if status != 200 or live.get("state") == "reserved" or not live.get("host_peer"):
        gvtest.fail(f"GET /sessions/{pin} after the host took it: {status} {live}")
    print(f"the API shows the session live: state {live.get('state')}, "
          f"host {live.get('host_peer')}", flush=True)

    # The integrator ends the session: the host stops and says why.
    status, _ = api(base, "DELETE", f"/sessions/{pin}?reason=Ticket%20closed")
    if status != 204:
        gvtest.fail(f"DELETE /sessions/{pin} answered {status}")
    expect(host, r"The session was ended through the session API: Ticket closed",
           "the host says the session was ended, and why")
    if host.wait(30) == 0:
        gvtest.fail("a host whose session was ended must not exit as if all went well")
    host = None

    # The reservation is spent: the token again gets a clear error, no new PIN.
    again = gvtest.Process([gvtest.GHOSTVIEW, "host", "--server", url, "--preset", "host-test",
                            "--reservation", token], "again")
    rc = again.wait(30)
    if rc == 0 or again.count(r"PIN: \d"):
        gvtest.fail("a spent reservation must not give a session:\n" + again.output())
    expect(again, r"Could not take the reserved session: ", "the refusal is said", 1)
    again = None

    bad = gvtest.Process([gvtest.GHOSTVIEW, "host", "--server", url, "--reservation",
                          "not a token"], "bad")
    if bad.wait(15) == 0:
        gvtest.fail("a malformed token was taken:\n" + bad.output())
    expect(bad, r"--reservation: not a reservation token", "a malformed token is refused", 1)
    print(f"PIN {pin}: reserved, waited for, taken by the host, then refused when spent",
          flush=True)
finally:
    for proc in (again, host, viewer, server):
        if proc:
            proc.kill()
    shutil.rmtree(keydir, ignore_errors=True)
