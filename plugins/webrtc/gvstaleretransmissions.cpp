/* GhostView
 * Copyright (C) 2024 GhostView contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "gvstaleretransmissions.h"

#include "gvpadbuffers.h"

#include <gst/rtp/rtp.h>

GST_DEBUG_CATEGORY_EXTERN (gv_webrtc_sink_debug);
#define GST_CAT_DEFAULT gv_webrtc_sink_debug

namespace gv::webrtc {

static constexpr guint64 kKnown = G_GUINT64_CONSTANT (1) << 48;

StaleRetransmissions::~StaleRetransmissions ()
{
  detach ();
}

void StaleRetransmissions::watch_payloader (GstElement *payloader)
{
  const auto buffers =
      (GstPadProbeType) (GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST);
  const std::pair<const char *, GstPadProbeCallback> watched[] = {
    { "sink", on_payloader_input },
    { "src", on_payloader_output },
  };
  std::lock_guard<std::mutex> guard (lock_);
  for (const auto &[name, callback] : watched) {
    GstPad *pad = gst_element_get_static_pad (payloader, name);
    if (!pad)
      continue;
    probes_.emplace_back (pad, gst_pad_add_probe (pad, buffers, callback, this, nullptr));
  }
}

/* The payloader's streaming thread: a keyframe comes in... */
GstPadProbeReturn StaleRetransmissions::on_payloader_input (GstPad *, GstPadProbeInfo *info,
                                                            gpointer user)
{
  auto *self = static_cast<StaleRetransmissions *> (user);
  for_each_buffer (info, [self] (GstBuffer *buffer) {
    if (!GST_BUFFER_FLAG_IS_SET (buffer, GST_BUFFER_FLAG_DELTA_UNIT))
      self->keyframe_pending_ = true;
  });
  return GST_PAD_PROBE_OK;
}

/* ... and its first packet goes out, on the same thread. */
GstPadProbeReturn StaleRetransmissions::on_payloader_output (GstPad *, GstPadProbeInfo *info,
                                                             gpointer user)
{
  auto *self = static_cast<StaleRetransmissions *> (user);
  if (!self->keyframe_pending_)
    return GST_PAD_PROBE_OK;
  bool noted = false;
  for_each_buffer (info, [self, &noted] (GstBuffer *buffer) {
    GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
    if (noted || !gst_rtp_buffer_map (buffer, GST_MAP_READ, &rtp))
      return;
    self->keyframe_sent (gst_rtp_buffer_get_ssrc (&rtp), gst_rtp_buffer_get_seq (&rtp));
    gst_rtp_buffer_unmap (&rtp);
    noted = true;
  });
  if (noted)
    self->keyframe_pending_ = false;
  return GST_PAD_PROBE_OK;
}

void StaleRetransmissions::keyframe_sent (guint32 ssrc, guint16 seq)
{
  keyframe_ = kKnown | ((guint64) ssrc << 16) | seq;
}

bool StaleRetransmissions::stale (guint32 ssrc, guint16 seq) const
{
  const guint64 keyframe = keyframe_;
  if (!(keyframe & kKnown) || (guint32) (keyframe >> 16) != ssrc)
    return false;
  /* Older in sequence-number order, wrap included. */
  return gst_rtp_buffer_compare_seqnum (seq, (guint16) (keyframe & 0xffff)) > 0;
}

bool StaleRetransmissions::attach (GstElement *rtxsend)
{
  std::lock_guard<std::mutex> guard (lock_);
  if (rtx_src_)
    return true;
  GstPad *src = gst_element_get_static_pad (rtxsend, "src");
  if (!src)
    return false;
  rtx_src_ = src;
  rtx_probe_ =
      gst_pad_add_probe (src, GST_PAD_PROBE_TYPE_EVENT_UPSTREAM, on_request, this, nullptr);
  return true;
}

void StaleRetransmissions::detach ()
{
  std::lock_guard<std::mutex> guard (lock_);
  if (rtx_src_)
    probes_.emplace_back (rtx_src_, rtx_probe_);
  rtx_src_ = nullptr;
  rtx_probe_ = 0;
  for (auto &[pad, id] : probes_) {
    gst_pad_remove_probe (pad, id);
    gst_object_unref (pad);
  }
  probes_.clear ();
}

GstPadProbeReturn StaleRetransmissions::on_request (GstPad *, GstPadProbeInfo *info, gpointer user)
{
  auto *self = static_cast<StaleRetransmissions *> (user);
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
  if (GST_EVENT_TYPE (event) != GST_EVENT_CUSTOM_UPSTREAM ||
      !gst_event_has_name (event, "GstRTPRetransmissionRequest"))
    return GST_PAD_PROBE_OK;
  const GstStructure *s = gst_event_get_structure (event);
  guint seq = 0, ssrc = 0;
  if (gst_structure_has_field (s, kProbeRequestField) ||
      !gst_structure_get_uint (s, "seqnum", &seq) || !gst_structure_get_uint (s, "ssrc", &ssrc) ||
      !self->stale (ssrc, (guint16) seq))
    return GST_PAD_PROBE_OK;
  self->skipped_++;
  GST_LOG_OBJECT (self->log_, "not resending packet %u of %08x: a keyframe came after it", seq,
                  ssrc);
  return GST_PAD_PROBE_DROP;
}

} // namespace gv::webrtc
