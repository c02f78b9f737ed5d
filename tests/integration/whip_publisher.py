#!/usr/bin/python3
"""A WHIP publisher made of plain GStreamer (webrtcbin, no GhostView
element), as any standard WHIP client works: it offers to send a moving test
pattern (VP8, or H.264 as OBS sends it) and a tone (Opus), POSTs the offer
with every candidate in it to the endpoint and sends once the answer is set. One JSON line per event
on stdout:

  {"event": "answered", "mono_s": T, "status": 201, "location": ..}
  {"event": "refused", "mono_s": T, "status": N, "body": ..}   then exit 2
  {"event": "ice", "mono_s": T, "state": "connected"}
  {"event": "deleted", "mono_s": T, "status": N}  --seconds after the answer, its DELETE

    whip_publisher.py --url http://HOST:PORT/whip/PIN --token TOKEN [--seconds 20]
                      [--no-audio] [--no-delete] [--trickle] [--codec vp8|h264]

--no-delete ends without the DELETE, as a publisher that crashed would.
With --trickle the offer goes without candidates and they follow in PATCH
requests (application/trickle-ice-sdpfrag)."""
import argparse
import sys

from sdp_http_client import OfferingClient, emit

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstWebRTC", "1.0")
from gi.repository import GLib, Gst, GstWebRTC  # noqa: E402

TEST_PATTERN = ("videotestsrc is-live=true pattern=ball"
                " ! video/x-raw,width=640,height=360,framerate=30/1")
VIDEO = {
    "vp8": (" ! vp8enc deadline=1 target-bitrate=800000 keyframe-max-dist=60"
            " ! rtpvp8pay pt=96 picture-id-mode=15-bit"
            " ! application/x-rtp,media=video,encoding-name=VP8,payload=96,clock-rate=90000 ! w."),
    # As OBS sends it: x264, zero latency, baseline, a keyframe every 2 s.
    "h264": (" ! x264enc tune=zerolatency speed-preset=ultrafast bitrate=800 key-int-max=60"
             " ! video/x-h264,profile=constrained-baseline ! rtph264pay pt=102 config-interval=-1"
             " ! application/x-rtp,media=video,encoding-name=H264,payload=102,clock-rate=90000"
             " ! w."),
}
AUDIO = ("audiotestsrc is-live=true wave=sine freq=440 ! audioconvert ! audioresample"
         " ! opusenc ! rtpopuspay pt=111"
         " ! application/x-rtp,media=audio,encoding-name=OPUS,payload=111,clock-rate=48000 ! w.")


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--url", required=True)
    ap.add_argument("--token", required=True)
    ap.add_argument("--seconds", type=int, default=20)
    ap.add_argument("--no-audio", action="store_true")
    ap.add_argument("--no-delete", action="store_true")
    ap.add_argument("--trickle", action="store_true")
    ap.add_argument("--codec", choices=sorted(VIDEO), default="vp8")
    args = ap.parse_args()
    Gst.init(None)

    desc = "webrtcbin name=w bundle-policy=max-bundle " + TEST_PATTERN + VIDEO[args.codec]
    if not args.no_audio:
        desc += " " + AUDIO
    pipeline = Gst.parse_launch(desc)
    webrtc = pipeline.get_by_name("w")
    client = OfferingClient(pipeline, webrtc, args.url, args.token, args.seconds,
                            trickle=args.trickle, delete=not args.no_delete)

    def on_ice_state(_webrtc, _pspec):
        ice = webrtc.get_property("ice-connection-state")
        GLib.idle_add(lambda: emit("ice", state=ice.value_nick) and False)

    def on_negotiation_needed(_webrtc):
        for i in range(2):
            trans = webrtc.emit("get-transceiver", i)
            if trans:
                trans.set_property("direction",
                                   GstWebRTC.WebRTCRTPTransceiverDirection.SENDONLY)
        client.offer()

    webrtc.connect("notify::ice-connection-state", on_ice_state)
    webrtc.connect("on-negotiation-needed", on_negotiation_needed)
    pipeline.set_state(Gst.State.PLAYING)
    return client.run()


if __name__ == "__main__":
    sys.exit(main())
