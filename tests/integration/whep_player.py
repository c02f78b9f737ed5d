#!/usr/bin/python3
"""A WHEP player made of plain GStreamer (webrtcbin, no GhostView element),
as any standard WHEP client works: it offers to receive video (and audio),
POSTs the offer to the endpoint and plays the answer. One JSON line per
event on stdout:

  {"event": "answered", "mono_s": T, "status": 201, "location": ..}
  {"event": "refused", "mono_s": T, "status": N, "body": ..}   then exit 2
  {"event": "frames", "mono_s": T, "count": N}   frames decoded in the last second
  {"event": "deleted", "mono_s": T, "status": N}  --seconds after the answer, its DELETE

    whep_player.py --url http://HOST:PORT/whep/PIN --token TOKEN [--seconds 20]
                   [--codecs VP8,H264] [--trickle]

With --trickle the offer goes without candidates and they follow in PATCH
requests (application/trickle-ice-sdpfrag), one per candidate."""
import argparse
import sys

from sdp_http_client import OfferingClient, emit

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstWebRTC", "1.0")
from gi.repository import GLib, Gst, GstWebRTC  # noqa: E402

TWCC = "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"
CODEC_CAPS = {
    "VP8": "encoding-name=VP8,payload=100",
    "H264": "encoding-name=H264,payload=102,packetization-mode=(string)1,"
            "profile-level-id=(string)42e01f",
    "VP9": "encoding-name=VP9,payload=98",
}


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--url", required=True)
    ap.add_argument("--token", required=True)
    ap.add_argument("--seconds", type=int, default=20)
    ap.add_argument("--codecs", default="VP8,H264")
    ap.add_argument("--trickle", action="store_true")
    ap.add_argument("--no-audio", action="store_true", help="offer to receive video only")
    ap.add_argument("--verbose", action="store_true", help="print the answer on stderr")
    args = ap.parse_args()
    Gst.init(None)

    pipeline = Gst.Pipeline.new("whep-player")
    webrtc = Gst.ElementFactory.make("webrtcbin", "webrtc")
    webrtc.set_property("bundle-policy", GstWebRTC.WebRTCBundlePolicy.MAX_BUNDLE)
    webrtc.set_property("latency", 50)
    pipeline.add(webrtc)
    caps = ";".join(
        f"application/x-rtp,media=video,clock-rate=90000,{CODEC_CAPS[c]},extmap-4={TWCC},"
        "rtcp-fb-nack=(boolean)true,rtcp-fb-nack-pli=(boolean)true,"
        "rtcp-fb-transport-cc=(boolean)true"
        for c in args.codecs.split(","))
    video = webrtc.emit("add-transceiver", GstWebRTC.WebRTCRTPTransceiverDirection.RECVONLY,
                        Gst.Caps.from_string(caps))
    video.set_property("do-nack", True)  # offers rtx, as browsers do
    if not args.no_audio:
        webrtc.emit("add-transceiver", GstWebRTC.WebRTCRTPTransceiverDirection.RECVONLY,
                    Gst.Caps.from_string("application/x-rtp,media=audio,encoding-name=OPUS,"
                                         "payload=109,clock-rate=48000,encoding-params=(string)2"))

    frames = [0]

    def on_pad(_webrtc, pad):
        if pad.get_direction() != Gst.PadDirection.SRC:
            return
        caps = pad.get_current_caps().get_structure(0)
        name = caps.get_string("media")
        decode = {"VP8": "rtpvp8depay ! vp8dec", "VP9": "rtpvp9depay ! vp9dec",
                  "H264": "rtph264depay ! avdec_h264"}.get(caps.get_string("encoding-name"))
        desc = (f"queue ! {decode} ! videoconvert ! fakesink name=v sync=true signal-handoffs=true"
                if name == "video" and decode else "fakesink sync=false")
        emit("track", kind=name, codec=caps.get_string("encoding-name"),
             payload=caps.get_int("payload")[1])
        branch = Gst.parse_bin_from_description(desc, True)
        pipeline.add(branch)
        branch.sync_state_with_parent()
        linked = pad.link(branch.get_static_pad("sink"))
        if linked != Gst.PadLinkReturn.OK:
            emit("error", message=f"cannot link the {name} pad: {linked}")
        sink = branch.get_by_name("v")
        if sink:
            sink.connect("handoff", lambda *_: frames.__setitem__(0, frames[0] + 1))

    webrtc.connect("pad-added", on_pad)

    def on_answer(_status, headers, body):
        if args.verbose:
            print(body, file=sys.stderr)
        return {"links": headers.get("Link", [])}

    client = OfferingClient(pipeline, webrtc, args.url, args.token, args.seconds,
                            trickle=args.trickle, on_answer=on_answer)
    pipeline.set_state(Gst.State.PLAYING)
    client.offer()

    def every_second():
        emit("frames", count=frames[0])
        frames[0] = 0
        return True

    GLib.timeout_add(1000, every_second)
    return client.run()


if __name__ == "__main__":
    sys.exit(main())
