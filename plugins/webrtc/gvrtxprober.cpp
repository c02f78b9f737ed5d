/* GhostView
 * Copyright (C) 2024 GhostView contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "gvrtxprober.h"

#include "gvpadbuffers.h"
#include "gvstaleretransmissions.h"
#include "gvwebrtcutils.h"

#include <gst/rtp/rtp.h>

#include <string>

GST_DEBUG_CATEGORY_EXTERN (gv_webrtc_sink_debug);
#define GST_CAT_DEFAULT gv_webrtc_sink_debug

namespace gv::webrtc {

/* The newest packets kept: rtprtxsend keeps 100 by default, and a probe
 * repeats the newest rather than reaching far back. */
static constexpr std::size_t kRecentPackets = 32;
/* At most this many packets per call, whatever `bytes` says. */
static constexpr guint64 kMaxPacketsPerSend = 64;

RtxProber::~RtxProber ()
{
  detach ();
}

void RtxProber::detach ()
{
  std::lock_guard<std::mutex> guard (lock_);
  if (sink_) {
    if (probe_)
      gst_pad_remove_probe (sink_, probe_);
    gst_object_unref (sink_);
  }
  if (rtxsend_)
    gst_object_unref (rtxsend_);
  if (payload_types_)
    gst_structure_free (payload_types_);
  sink_ = nullptr;
  rtxsend_ = nullptr;
  payload_types_ = nullptr;
  probe_ = 0;
  recent_.clear ();
}

bool RtxProber::attach (GstElement *webrtcbin)
{
  {
    std::lock_guard<std::mutex> guard (lock_);
    if (rtxsend_)
      return payload_types_ != nullptr;
  }
  GstElement *rtxsend = nullptr;
  for_each_element_made_by (GST_BIN (webrtcbin), "rtprtxsend", [&rtxsend] (GstElement *e) {
    rtxsend = GST_ELEMENT (gst_object_ref (e));
    return false; /* the first: one per bundled session */
  });
  if (!rtxsend)
    return false; /* not negotiated yet */
  GstStructure *map = nullptr;
  g_object_get (rtxsend, "payload-type-map", &map, nullptr);
  GstPad *sink = gst_element_get_static_pad (rtxsend, "sink");
  std::lock_guard<std::mutex> guard (lock_);
  rtxsend_ = rtxsend;
  payload_types_ = map;
  sink_ = sink;
  if (sink_)
    probe_ = gst_pad_add_probe (
        sink_, (GstPadProbeType) (GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST),
        on_buffers, this, nullptr);
  GST_DEBUG_OBJECT (log_, "probing through %s", GST_OBJECT_NAME (rtxsend));
  return payload_types_ != nullptr;
}

GstPadProbeReturn RtxProber::on_buffers (GstPad *, GstPadProbeInfo *info, gpointer user)
{
  auto *self = static_cast<RtxProber *> (user);
  for_each_buffer (info, [self] (GstBuffer *buffer) { self->remember (buffer); });
  return GST_PAD_PROBE_OK;
}

void RtxProber::remember (GstBuffer *buffer)
{
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  if (!gst_rtp_buffer_map (buffer, GST_MAP_READ, &rtp))
    return;
  const Sent sent{ gst_rtp_buffer_get_ssrc (&rtp), gst_rtp_buffer_get_seq (&rtp),
                   (guint) gst_buffer_get_size (buffer) };
  const std::string pt = std::to_string (gst_rtp_buffer_get_payload_type (&rtp));
  gst_rtp_buffer_unmap (&rtp);
  std::lock_guard<std::mutex> guard (lock_);
  /* Only what rtprtxsend can resend: the video payload types. */
  if (!payload_types_ || !gst_structure_has_field (payload_types_, pt.c_str ()))
    return;
  recent_.push_back (sent);
  while (recent_.size () > kRecentPackets)
    recent_.pop_front ();
}

guint64 RtxProber::send (GstElement *webrtcbin, guint64 bytes)
{
  if (!webrtcbin || !attach (webrtcbin))
    return 0;
  std::deque<Sent> recent;
  GstPad *src = nullptr;
  {
    std::lock_guard<std::mutex> guard (lock_);
    recent = recent_;
    if (rtxsend_)
      src = gst_element_get_static_pad (rtxsend_, "src");
  }
  if (!src || recent.empty ()) {
    if (src)
      gst_object_unref (src);
    return 0;
  }
  /* The oldest packets kept, oldest first: they have long arrived (or
   * were lost and asked for), so a copy never races its original. */
  guint64 asked = 0, packets = 0;
  for (auto it = recent.begin (); asked < bytes && packets < kMaxPacketsPerSend; ++packets) {
    if (it == recent.end ())
      it = recent.begin ();
    GstStructure *request = gst_structure_new ("GstRTPRetransmissionRequest", "seqnum", G_TYPE_UINT,
                                               (guint) it->seq, "ssrc", G_TYPE_UINT, it->ssrc,
                                               kProbeRequestField, G_TYPE_BOOLEAN, TRUE, nullptr);
    gst_pad_send_event (src, gst_event_new_custom (GST_EVENT_CUSTOM_UPSTREAM, request));
    asked += it->size;
    ++it;
  }
  gst_object_unref (src);
  asked_ += packets;
  return asked;
}

} // namespace gv::webrtc
