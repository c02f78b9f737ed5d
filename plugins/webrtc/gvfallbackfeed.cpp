/* GhostView
 * Copyright (C) 2024 GhostView contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "gvfallbackfeed.h"

#include "gvwebrtctexts.h"

#include <gst/video/video.h>

#include <vector>

GST_DEBUG_CATEGORY_EXTERN (gv_webrtc_sink_debug);
#define GST_CAT_DEFAULT gv_webrtc_sink_debug

namespace gv::webrtc {

/* JPEG quality: sharp enough for text on a screen, about 60-120 KiB for a
 * 720p desktop. */
constexpr int kJpegQuality = 75;

void fallback_picture_size (int width, int height, int &out_width, int &out_height)
{
  out_width = width;
  out_height = height;
  if (width <= 0 || height <= 0)
    return;
  if (out_width > kFallbackMaxWidth) {
    out_height = (int) ((gint64) out_height * kFallbackMaxWidth / out_width);
    out_width = kFallbackMaxWidth;
  }
  if (out_height > kFallbackMaxHeight) {
    out_width = (int) ((gint64) out_width * kFallbackMaxHeight / out_height);
    out_height = kFallbackMaxHeight;
  }
  out_width = MAX (2, out_width & ~1);
  out_height = MAX (2, out_height & ~1);
}

FallbackFeed::FallbackFeed (GstElement *owner, Callbacks callbacks)
    : owner_ (owner), callbacks_ (std::move (callbacks))
{}

FallbackFeed::~FallbackFeed ()
{
  if (sink_) {
    g_signal_handlers_disconnect_by_data (sink_, this);
    gst_object_unref (sink_);
  }
  if (queue_sink_) {
    gst_pad_remove_probe (queue_sink_, caps_probe_id_);
    gst_object_unref (queue_sink_);
  }
  if (queue_src_) {
    gst_pad_remove_probe (queue_src_, gate_probe_id_);
    gst_object_unref (queue_src_);
  }
  if (size_filter_)
    gst_object_unref (size_filter_);
}

bool FallbackFeed::build (GstElement *raw_tee)
{
  std::vector<GstElement *> chain;
  for (const char *factory :
       { "queue", "videoscale", "videoconvert", "capsfilter", "jpegenc", "fakesink" }) {
    GstElement *e = gst_element_factory_make (factory, nullptr);
    if (!e) {
      GST_ELEMENT_ERROR (owner_, CORE, MISSING_PLUGIN,
                         ("%s", texts::missing_element (factory).c_str ()), (nullptr));
      for (GstElement *made : chain)
        gst_object_unref (gst_object_ref_sink (made));
      return false;
    }
    chain.push_back (e);
  }
  GstElement *queue = chain[0], *filter = chain[3], *jpeg = chain[4], *sink = chain[5];
  g_object_set (queue, "max-size-buffers", 1, "max-size-bytes", 0, "max-size-time", (guint64) 0,
                nullptr);
  gst_util_set_object_arg (G_OBJECT (queue), "leaky", "downstream");
  g_object_set (jpeg, "quality", kJpegQuality, nullptr);
  g_object_set (sink, "sync", FALSE, "async", FALSE, "signal-handoffs", TRUE, nullptr);
  const char *names[] = { "fallback-queue", "fallback-scale", "fallback-convert",
                          "fallback-size",  "fallback-jpeg",  "fallback-sink" };
  for (size_t i = 0; i < chain.size (); i++)
    gst_element_set_name (chain[i], names[i]);

  queue_sink_ = gst_element_get_static_pad (queue, "sink");
  queue_src_ = gst_element_get_static_pad (queue, "src");
  sink_ = GST_ELEMENT (gst_object_ref (sink));
  {
    std::lock_guard<std::mutex> guard (lock_);
    size_filter_ = GST_ELEMENT (gst_object_ref (filter));
  }
  caps_probe_id_ = gst_pad_add_probe (queue_sink_, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, caps_probe,
                                      this, nullptr);
  gate_probe_id_ =
      gst_pad_add_probe (queue_src_, GST_PAD_PROBE_TYPE_BUFFER, gate_probe, this, nullptr);
  g_signal_connect (sink, "handoff", G_CALLBACK (on_handoff), this);

  for (GstElement *e : chain)
    gst_bin_add (GST_BIN (owner_), e);
  bool linked = true;
  for (size_t i = 1; i < chain.size () && linked; i++)
    linked = gst_element_link (chain[i - 1], chain[i]);
  if (linked) {
    for (auto it = chain.rbegin (); it != chain.rend (); ++it)
      gst_element_sync_state_with_parent (*it);
    /* The tee's current caps (a pad linked late missed the caps event). */
    GstPad *tee_sink = gst_element_get_static_pad (raw_tee, "sink");
    GstCaps *caps = gst_pad_get_current_caps (tee_sink);
    gst_object_unref (tee_sink);
    if (caps) {
      follow_input_size (caps);
      gst_caps_unref (caps);
    }
    linked = gst_element_link (raw_tee, queue);
  }
  if (!linked) {
    GST_ELEMENT_ERROR (owner_, CORE, NEGOTIATION,
                       ("%s", texts::cannot_build_chain ("fallback picture").c_str ()), (nullptr));
    return false;
  }
  GST_INFO_OBJECT (owner_, "fallback pictures: JPEG, at most %u a second", fps_.load ());
  return true;
}

void FallbackFeed::follow_input_size (const GstCaps *caps)
{
  GstVideoInfo info;
  if (!gst_video_info_from_caps (&info, caps))
    return;
  int w = 0, h = 0;
  fallback_picture_size (GST_VIDEO_INFO_WIDTH (&info), GST_VIDEO_INFO_HEIGHT (&info), w, h);
  GstCaps *size = gst_caps_new_simple ("video/x-raw", "width", G_TYPE_INT, w, "height", G_TYPE_INT,
                                       h, "pixel-aspect-ratio", GST_TYPE_FRACTION, 1, 1, nullptr);
  std::lock_guard<std::mutex> guard (lock_);
  if (size_filter_)
    g_object_set (size_filter_, "caps", size, nullptr);
  gst_caps_unref (size);
}

GstPadProbeReturn FallbackFeed::caps_probe (GstPad *, GstPadProbeInfo *info, gpointer data)
{
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
  if (GST_EVENT_TYPE (event) == GST_EVENT_CAPS) {
    GstCaps *caps = nullptr;
    gst_event_parse_caps (event, &caps);
    static_cast<FallbackFeed *> (data)->follow_input_size (caps);
  }
  return GST_PAD_PROBE_OK;
}

GstPadProbeReturn FallbackFeed::gate_probe (GstPad *, GstPadProbeInfo *, gpointer data)
{
  auto *self = static_cast<FallbackFeed *> (data);
  guint fps = self->fps_;
  gint64 now = g_get_monotonic_time ();
  if (fps == 0 || now < self->next_due_us_ || !self->callbacks_.wants_picture ())
    return GST_PAD_PROBE_DROP;
  /* Due times a fixed interval apart (not from this frame), so a source at
   * 15/s gives 10/s, not every second frame; never more than one behind. */
  self->next_due_us_ = MAX (self->next_due_us_ + G_USEC_PER_SEC / fps, now);
  return GST_PAD_PROBE_OK;
}

void FallbackFeed::on_handoff (GstElement *, GstBuffer *buffer, GstPad *pad, gpointer data)
{
  auto *self = static_cast<FallbackFeed *> (data);
  GstCaps *caps = gst_pad_get_current_caps (pad);
  gint width = 0, height = 0;
  if (caps) {
    GstStructure *s = gst_caps_get_structure (caps, 0);
    gst_structure_get_int (s, "width", &width);
    gst_structure_get_int (s, "height", &height);
    gst_caps_unref (caps);
  }
  GstMapInfo map;
  if (width <= 0 || height <= 0 || !gst_buffer_map (buffer, &map, GST_MAP_READ))
    return;
  GBytes *jpeg = g_bytes_new (map.data, map.size);
  gst_buffer_unmap (buffer, &map);
  self->pictures_++;
  self->callbacks_.picture (jpeg, (guint) width, (guint) height);
  g_bytes_unref (jpeg);
}

} // namespace gv::webrtc
