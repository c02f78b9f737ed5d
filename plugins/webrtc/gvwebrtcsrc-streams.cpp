/* GhostView
 * Copyright (C) 2024 GhostView contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * gvwebrtcsrc: each stream webrtcbin receives becomes a source pad, through
 * its depayloader (and parser), and decodebin with decode=true; the video
 * pad sends navigation events back to the host on the input channel.
 */
#include "gvwebrtcsrc-private.h"

#include "../input/gvclipboardevent.h"
#include "gvnavjson.h"
#include "gvwebrtctexts.h"

#include <gst/webrtc/webrtc.h>

#define GST_CAT_DEFAULT gv_webrtc_src_debug

/* ---- navigation -> data channel ---- */

static GstPadProbeReturn navigation_probe (GstPad *pad, GstPadProbeInfo *info, gpointer user)
{
  auto *self = GV_WEBRTC_SRC (user);
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
  if (GST_EVENT_TYPE (event) != GST_EVENT_NAVIGATION)
    return GST_PAD_PROBE_OK;
  int width = 0, height = 0;
  GstCaps *caps = gst_pad_get_current_caps (pad);
  if (caps) {
    GstStructure *s = gst_caps_get_structure (caps, 0);
    gst_structure_get_int (s, "width", &width);
    gst_structure_get_int (s, "height", &height);
    gst_caps_unref (caps);
  }
  GObject *channel = nullptr;
  {
    std::lock_guard<std::mutex> guard (self->priv->lock);
    if (self->priv->channel && (self->priv->capabilities & GV_CAPABILITY_CONTROL))
      channel = G_OBJECT (g_object_ref (self->priv->channel));
  }
  if (channel) {
    std::string text = gv::nav::compact_from_event (event, width, height);
    if (!text.empty ()) {
      GST_LOG_OBJECT (self, "sending input %s", text.c_str ());
      gst_webrtc_data_channel_send_string (GST_WEBRTC_DATA_CHANNEL (channel), text.c_str ());
    }
    g_object_unref (channel);
  } else {
    GST_LOG_OBJECT (self, "no control granted, dropping a navigation event");
  }
  return GST_PAD_PROBE_HANDLED;
}

/* ---- the clipboard, up to the host (gvwebrtcsrc-assist.cpp) ---- */

/* An event function rather than a probe: the sender of a "gv-clipboard"
 * event (gvclipboard) learns whether it went to the host. */
static gboolean video_pad_event (GstPad *pad, GstObject *parent, GstEvent *event)
{
  if (GST_EVENT_TYPE (event) == GST_EVENT_CUSTOM_UPSTREAM && gv_clipboard_event_is (event)) {
    bool sent = gv_webrtc_src_clipboard_from_downstream (GV_WEBRTC_SRC (parent), event);
    gst_event_unref (event);
    return sent;
  }
  return gst_pad_event_default (pad, parent, event);
}

/* A pad nobody linked (the audio of a host that added sound, downstream of
 * a pipeline written for video only) is dropped, not fatal: not-linked
 * would stop the other streams too. */
static GstPadProbeReturn audio_buffer_probe (GstPad *pad, GstPadProbeInfo *, gpointer user)
{
  GV_WEBRTC_SRC (user)->priv->media_watch.on_media (g_get_monotonic_time ());
  return gst_pad_is_linked (pad) ? GST_PAD_PROBE_OK : GST_PAD_PROBE_DROP;
}

/* The same for video, and the host's clipboard goes down before the next
 * buffer, in stream order. */
static GstPadProbeReturn video_buffer_probe (GstPad *pad, GstPadProbeInfo *info, gpointer user)
{
  if (audio_buffer_probe (pad, info, user) == GST_PAD_PROBE_DROP)
    return GST_PAD_PROBE_DROP;
  gv_webrtc_src_push_clipboard (GV_WEBRTC_SRC (user), pad);
  return GST_PAD_PROBE_OK;
}

static void expose_pad (GvWebRTCSrc *self, GstPad *target, bool video)
{
  guint index;
  {
    std::lock_guard<std::mutex> guard (self->priv->lock);
    index = video ? self->priv->video_pads++ : self->priv->audio_pads++;
  }
  const char *templ_name = video ? "video_%u" : "audio_%u";
  gchar *name = g_strdup_printf (video ? "video_%u" : "audio_%u", index);
  GstPad *ghost = gst_ghost_pad_new_from_template (
      name, target, gst_element_class_get_pad_template (GST_ELEMENT_GET_CLASS (self), templ_name));
  g_free (name);
  if (video) {
    gst_pad_add_probe (ghost, GST_PAD_PROBE_TYPE_EVENT_UPSTREAM, navigation_probe, self, nullptr);
    gst_pad_set_event_function (ghost, video_pad_event);
  }
  gst_pad_add_probe (ghost,
                     (GstPadProbeType) (GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST),
                     video ? video_buffer_probe : audio_buffer_probe, self, nullptr);
  gst_pad_set_active (ghost, TRUE);
  {
    std::lock_guard<std::mutex> guard (self->priv->expose_lock);
    gst_element_add_pad (GST_ELEMENT (self), ghost);
  }
  GST_INFO_OBJECT (self, "exposed %s", GST_PAD_NAME (ghost));
}

/* One stream of the offer has its pad (or is ignored): after the last one,
 * no-more-pads. */
static void stream_settled (GvWebRTCSrc *self)
{
  bool last;
  {
    std::lock_guard<std::mutex> guard (self->priv->lock);
    self->priv->streams_settled++;
    last = self->priv->streams_settled == self->priv->streams_offered;
  }
  if (last) {
    GST_INFO_OBJECT (self, "every offered stream has its pad");
    gst_element_no_more_pads (GST_ELEMENT (self));
  }
}

static void on_decodebin_pad (GstElement *, GstPad *pad, gpointer user)
{
  GstCaps *caps = gst_pad_get_current_caps (pad);
  if (!caps)
    caps = gst_pad_query_caps (pad, nullptr);
  bool video =
      g_str_has_prefix (gst_structure_get_name (gst_caps_get_structure (caps, 0)), "video");
  gst_caps_unref (caps);
  expose_pad (GV_WEBRTC_SRC (user), pad, video);
  stream_settled (GV_WEBRTC_SRC (user));
}

/* ---- the streams of the host's offer ---- */

/* The depayloading (and parsing) elements for an RTP stream; empty when
 * this receiver cannot handle it. */
static std::vector<const char *> depayloaders_for (const std::string &media,
                                                   const std::string &encoding)
{
  if (media == "video" && encoding == "VP8")
    return { "rtpvp8depay" };
  if (media == "video" && encoding == "VP9")
    return { "rtpvp9depay" };
  if (media == "video" && encoding == "H264")
    return { "rtph264depay", "h264parse" };
  if (media == "audio" && encoding == "OPUS")
    return { "rtpopusdepay", "opusparse" };
  return {};
}

void gv_webrtc_src_on_stream (GstElement *, GstPad *pad, gpointer user)
{
  auto *self = GV_WEBRTC_SRC (user);
  if (GST_PAD_DIRECTION (pad) != GST_PAD_SRC)
    return;
  GstCaps *caps = gst_pad_get_current_caps (pad);
  if (!caps)
    caps = gst_pad_query_caps (pad, nullptr);
  GstStructure *s = gst_caps_get_structure (caps, 0);
  const char *field = gst_structure_get_string (s, "media");
  std::string media = field ? field : "";
  field = gst_structure_get_string (s, "encoding-name");
  std::string encoding = field ? field : "";
  gst_caps_unref (caps);
  std::vector<const char *> factories = depayloaders_for (media, encoding);
  if (factories.empty ()) {
    GST_ELEMENT_WARNING (self, STREAM, CODEC_NOT_FOUND,
                         ("%s", gv::webrtc::texts::unsupported_stream (encoding, media).c_str ()),
                         (nullptr));
    /* Into a fakesink: an unlinked webrtcbin pad would stop every stream. */
    GstElement *sink = gst_element_factory_make ("fakesink", nullptr);
    g_object_set (sink, "sync", FALSE, "async", FALSE, nullptr);
    gst_bin_add (GST_BIN (self), sink);
    gst_element_sync_state_with_parent (sink);
    GstPad *sink_pad = gst_element_get_static_pad (sink, "sink");
    gst_pad_link (pad, sink_pad);
    gst_object_unref (sink_pad);
    stream_settled (self);
    return;
  }
  bool video = media == "video";
  bool decode;
  {
    std::lock_guard<std::mutex> guard (self->priv->lock);
    decode = self->priv->decode && (video || self->priv->decode_audio);
  }
  if (decode)
    factories.push_back ("decodebin");

  std::vector<GstElement *> chain;
  for (const char *f : factories) {
    GstElement *e = gst_element_factory_make (f, nullptr);
    if (!e) {
      GST_ELEMENT_ERROR (self, CORE, MISSING_PLUGIN,
                         ("%s", gv::webrtc::texts::missing_element (f).c_str ()), (nullptr));
      for (GstElement *c : chain)
        gst_object_unref (c);
      return;
    }
    /* Video depayloaders wait for a keyframe, at the start and after a
     * loss, and ask the host for one (RTCP PLI) instead of passing on
     * frames that would decode to garbage. */
    for (const char *prop : { "wait-for-keyframe", "request-keyframe" })
      if (video && g_object_class_find_property (G_OBJECT_GET_CLASS (e), prop))
        g_object_set (e, prop, TRUE, nullptr);
    chain.push_back (e);
  }
  GstElement *prev = nullptr;
  for (GstElement *e : chain) {
    gst_bin_add (GST_BIN (self), e);
    if (prev)
      gst_element_link (prev, e);
    prev = e;
  }
  GstElement *last = chain.back ();
  if (decode)
    g_signal_connect (last, "pad-added", G_CALLBACK (on_decodebin_pad), self);
  else {
    GstPad *src = gst_element_get_static_pad (last, "src");
    expose_pad (self, src, video);
    gst_object_unref (src);
    stream_settled (self);
  }
  for (auto it = chain.rbegin (); it != chain.rend (); ++it)
    gst_element_sync_state_with_parent (*it);
  GstPad *sink = gst_element_get_static_pad (chain.front (), "sink");
  gst_pad_link (pad, sink);
  gst_object_unref (sink);
  std::lock_guard<std::mutex> guard (self->priv->lock);
  self->priv->depayloaders.push_back (GST_ELEMENT (gst_object_ref (chain.front ())));
}
