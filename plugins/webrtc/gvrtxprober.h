/* GhostView
 * Copyright (C) 2024 GhostView contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The extra packets of a bandwidth probe (gvprobeplan.h), for one viewer:
 * retransmissions (RTX) of the newest video packets, asked of the
 * retransmission sender (rtprtxsend) inside the viewer's webrtcbin exactly
 * as a NACK asks for them. They pass the RTP session like any packet, so
 * they carry transport-wide sequence numbers and come back in the viewer's
 * TWCC feedback; the viewer's jitterbuffer drops them as duplicates. This
 * is how libwebrtc pads a probe too, and needs nothing from the viewer.
 */
#pragma once

#include <gst/gst.h>

#include <deque>
#include <mutex>

namespace gv::webrtc {

class RtxProber {
public:
  explicit RtxProber (GObject *log) : log_ (log) {}
  ~RtxProber ();
  RtxProber (const RtxProber &) = delete;
  RtxProber &operator= (const RtxProber &) = delete;

  /* Asks for about `bytes` of retransmissions of the newest video packets
   * of `webrtcbin`; returns the bytes asked for (0 when it has no
   * retransmission sender yet, or nothing was sent yet). */
  guint64 send (GstElement *webrtcbin, guint64 bytes);
  /* Starts watching the packets `webrtcbin`'s retransmission sender
   * passes (once negotiated), so the first probe has packets to repeat. */
  bool prepare (GstElement *webrtcbin) { return webrtcbin && attach (webrtcbin); }
  /* Forgets the retransmission sender (the webrtcbin is going). */
  void detach ();
  guint64 packets_asked () const { return asked_; }

private:
  struct Sent {
    guint32 ssrc;
    guint16 seq;
    guint size;
  };
  bool attach (GstElement *webrtcbin);
  static GstPadProbeReturn on_buffers (GstPad *, GstPadProbeInfo *info, gpointer self);
  void remember (GstBuffer *buffer);

  GObject *const log_;
  std::mutex lock_;
  std::deque<Sent> recent_; /* newest last */
  GstElement *rtxsend_ = nullptr;
  GstPad *sink_ = nullptr;
  gulong probe_ = 0;
  GstStructure *payload_types_ = nullptr; /* rtprtxsend's "payload-type-map" */
  guint64 asked_ = 0;
};

} // namespace gv::webrtc
