"""HTTP helpers of the WebRTC-HTTP tests (WHEP, WHIP): one request with a
bearer token, an expected JSON error, and the JSON event lines a test
client (whep_player.py, whip_publisher.py) printed."""
import json
import urllib.error
import urllib.request

import gvtest


def request(method, url, token=None, body=None, content_type=None, headers=None):
    """(status, headers, body text) of one HTTP request."""
    h = dict(headers or {})
    if token is not None:
        h["Authorization"] = f"Bearer {token}"
    if content_type:
        h["Content-Type"] = content_type
    req = urllib.request.Request(url, data=body.encode() if body is not None else None,
                                 method=method, headers=h)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.headers, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read().decode()


def expect_error(what, got, status, code):
    got_status, _, body = got
    try:
        parsed = json.loads(body)
    except ValueError:
        gvtest.fail(f"{what}: {got_status} with a body that is not JSON: {body!r}")
    if got_status != status or parsed.get("code") != code or not parsed.get("message"):
        gvtest.fail(f"{what}: expected {status} {code} with a message, got {got_status} {body}")
    print(f"{what}: {status} {code}: {parsed['message']}", flush=True)


def events(player):
    with player.cond:
        lines = [line for _, line in player.lines]
    out = []
    for line in lines:
        try:
            out.append(json.loads(line))
        except ValueError:
            pass
    return out
