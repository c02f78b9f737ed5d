"""The offering side of the WebRTC-HTTP protocols (WHEP players, WHIP
publishers), made of plain webrtcbin as any standard client is: it offers,
POSTs the offer (every candidate in it, or each one PATCHed after with
trickle), sets the answer, and after `seconds` sends its DELETE. One JSON
line per event on stdout (see whep_player.py, whip_publisher.py)."""
import json
import time
import urllib.error
import urllib.request

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstWebRTC", "1.0")
gi.require_version("GstSdp", "1.0")
from gi.repository import GLib, Gst, GstSdp, GstWebRTC  # noqa: E402


def emit(event, **fields):
    print(json.dumps({"event": event, "mono_s": time.monotonic(), **fields}), flush=True)


def http(method, url, token, body=None, content_type=None):
    """(status, headers, body text); the Link headers of a POST in headers["Link"]."""
    headers = {"Authorization": f"Bearer {token}"}
    if content_type:
        headers["Content-Type"] = content_type
    req = urllib.request.Request(url, data=body.encode() if body else None, method=method,
                                 headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            out = dict(r.headers)
            out["Link"] = r.headers.get_all("Link") or []
            return r.status, out, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read().decode()


class OfferingClient:
    """Negotiates `webrtc` (in `pipeline`) with the endpoint `url`; run()
    returns the exit code: 0, 1 (a pipeline error), 2 (the POST refused)."""

    def __init__(self, pipeline, webrtc, url, token, seconds, trickle=False, delete=True,
                 on_answer=None):
        self.pipeline, self.webrtc = pipeline, webrtc
        self.url, self.token, self.seconds = url, token, seconds
        self.trickle, self.delete = trickle, delete
        self.on_answer = on_answer  # (status, headers, body) -> extra fields of "answered"
        self.loop = GLib.MainLoop()
        self.location = None
        self.candidates = []
        self.offer_sent = self.finished = False
        self.exit = 0
        webrtc.connect("on-ice-candidate", self._on_candidate)

    def offer(self):
        self.webrtc.emit("create-offer", None, Gst.Promise.new_with_change_func(self._on_offer, None))

    def _on_offer(self, promise, _data):
        reply = promise.get_reply()
        offer = reply.get_value("offer")
        if self.trickle:  # the offer goes once set, its candidates after
            self.webrtc.emit("set-local-description", offer, Gst.Promise.new_with_change_func(
                lambda *_: GLib.idle_add(lambda: self._send_offer() and False), None))
        else:
            self.webrtc.connect("notify::ice-gathering-state", self._on_gathering)
            self.webrtc.emit("set-local-description", offer, None)

    def _on_gathering(self, webrtc, _pspec):
        if webrtc.get_property("ice-gathering-state") == GstWebRTC.WebRTCICEGatheringState.COMPLETE:
            GLib.idle_add(lambda: self._send_offer() and False)

    def _send_offer(self):
        if self.offer_sent:
            return
        self.offer_sent = True
        offer = self.webrtc.get_property("local-description")
        status, headers, body = http("POST", self.url, self.token, offer.sdp.as_text(),
                                     "application/sdp")
        if status != 201:
            emit("refused", status=status, body=body)
            self.exit = 2
            self.loop.quit()
            return
        location = headers.get("Location", "")
        self.location = urllib.request.urljoin(self.url, location)
        extra = self.on_answer(status, headers, body) if self.on_answer else {}
        emit("answered", status=status, location=location,
             content_type=headers.get("Content-Type", ""), **extra)
        _, sdp = GstSdp.SDPMessage.new_from_text(body)
        answer = GstWebRTC.WebRTCSessionDescription.new(GstWebRTC.WebRTCSDPType.ANSWER, sdp)
        self.webrtc.emit("set-remote-description", answer, None)
        GLib.timeout_add_seconds(self.seconds, self.finish)  # this long from the answer
        for mline, cand in self.candidates:
            self._patch(mline, cand)

    def _patch(self, mline, cand):
        frag = f"a=mid:{'video0' if mline == 0 else 'audio1'}\r\na={cand}\r\n"
        status, _, body = http("PATCH", self.location, self.token, frag,
                               "application/trickle-ice-sdpfrag")
        if status != 204:
            emit("patch-refused", status=status, body=body)

    def _on_candidate(self, _webrtc, mline, cand):
        if not self.trickle:
            return
        if self.location:
            GLib.idle_add(lambda: self._patch(mline, cand) and False)
        else:
            self.candidates.append((mline, cand))

    def finish(self):
        if self.finished:
            return False
        self.finished = True
        if self.location and self.delete:
            status, _, _ = http("DELETE", self.location, self.token)
            emit("deleted", status=status)
        self.loop.quit()
        return False

    def _on_message(self, _bus, msg):
        if msg.type == Gst.MessageType.ERROR:
            err, debug = msg.parse_error()
            emit("error", message=err.message, debug=debug)
            self.exit = 1
            self.loop.quit()

    def run(self):
        bus = self.pipeline.get_bus()
        bus.add_signal_watch()
        bus.connect("message", self._on_message)
        GLib.timeout_add_seconds(self.seconds + 40, self.finish)  # no answer at all
        self.loop.run()
        self.pipeline.set_state(Gst.State.NULL)
        return self.exit
