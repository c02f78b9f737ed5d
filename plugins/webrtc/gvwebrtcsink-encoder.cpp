/* GhostView
 * Copyright (C) 2024 GhostView contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * gvwebrtcsink: the shared part of the stream, built once the input caps are
 * known: input -> [videoconvert ! encoder] -> payloader -> tee, with one tee
 * branch per viewer (gvwebrtcsink-viewer.cpp). Also the keyframe requests,
 * the encoder's bitrate, and where the end of the stream is noticed.
 */
#include "gvwebrtcsink-private.h"

#include <gst/video/video.h>

#define GST_CAT_DEFAULT gv_webrtc_sink_debug

void gv_webrtc_sink_request_keyframe (GvWebRTCSink *self)
{
  GstPad *pad = nullptr;
  {
    std::lock_guard<std::mutex> guard (self->priv->lock);
    GstElement *target = self->priv->payloader;
    if (target)
      pad = gst_element_get_static_pad (target, "src");
  }
  if (!pad)
    return;
  GST_DEBUG_OBJECT (self, "requesting a keyframe");
  gst_pad_send_event (pad,
                      gst_video_event_new_upstream_force_key_unit (GST_CLOCK_TIME_NONE, TRUE, 0));
  gst_object_unref (pad);
}

/* ---- the shared chain: input -> [convert ! encoder] -> payloader -> tee ---- */

static GstElement *make (GvWebRTCSink *self, const char *factory, const char *name = nullptr)
{
  GstElement *e = gst_element_factory_make (factory, name);
  if (!e)
    GST_ELEMENT_ERROR (self, CORE, MISSING_PLUGIN,
                       ("The GStreamer element \"%s\" is missing; install the plugin package that "
                        "provides it.",
                        factory),
                       (nullptr));
  return e;
}

/* On the tee's sink pad: the payloader's caps (viewers wait for them) and the
 * end of the stream, once the encoder has drained. */
static GstPadProbeReturn stream_event_probe (GstPad *, GstPadProbeInfo *info, gpointer user)
{
  auto *self = GV_WEBRTC_SINK (user);
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
  if (GST_EVENT_TYPE (event) == GST_EVENT_EOS) {
    gv_webrtc_sink_stream_ended (self, gst_event_get_seqnum (event));
    return GST_PAD_PROBE_OK;
  }
  if (GST_EVENT_TYPE (event) != GST_EVENT_CAPS)
    return GST_PAD_PROBE_OK;
  GstCaps *caps;
  gst_event_parse_caps (event, &caps);
  bool first;
  {
    std::lock_guard<std::mutex> guard (self->priv->lock);
    first = self->priv->rtp_caps == nullptr;
    gst_caps_replace (&self->priv->rtp_caps, caps);
  }
  GST_DEBUG_OBJECT (self, "stream caps %" GST_PTR_FORMAT, caps);
  if (first)
    gv_webrtc_sink_stream_ready (self);
  return GST_PAD_PROBE_OK;
}

/* Builds the shared part once the input caps are known. Runs on the
 * streaming thread, before the caps event goes further. */
static bool build_chain (GvWebRTCSink *self, GstCaps *caps)
{
  GvWebRTCSinkPrivate *priv = self->priv;
  GstStructure *s = gst_caps_get_structure (caps, 0);
  const char *media = gst_structure_get_name (s);
  GvWebRTCSinkCodec codec;
  guint bitrate, kf;
  {
    std::lock_guard<std::mutex> guard (priv->lock);
    codec = priv->codec;
    bitrate = priv->bitrate_kbps;
    kf = priv->keyframe_distance;
  }
  bool raw = g_str_equal (media, "video/x-raw");
  if (!raw)
    codec = g_str_equal (media, "video/x-vp9")    ? GV_WEBRTC_SINK_CODEC_VP9
            : g_str_equal (media, "video/x-h264") ? GV_WEBRTC_SINK_CODEC_H264
                                                  : GV_WEBRTC_SINK_CODEC_VP8;

  std::vector<GstElement *> chain;
  GstElement *encoder = nullptr;
  if (raw) {
    GstElement *convert = make (self, "videoconvert");
    const char *factory = codec == GV_WEBRTC_SINK_CODEC_VP9    ? "vp9enc"
                          : codec == GV_WEBRTC_SINK_CODEC_H264 ? "x264enc"
                                                               : "vp8enc";
    encoder = make (self, factory, "encoder");
    if (!convert || !encoder)
      return false;
    chain.push_back (convert);
    chain.push_back (encoder);
    if (codec == GV_WEBRTC_SINK_CODEC_H264) {
      g_object_set (encoder, "bitrate", bitrate, "key-int-max", kf, "bframes", 0, nullptr);
      gst_util_set_object_arg (G_OBJECT (encoder), "tune", "zerolatency");
      gst_util_set_object_arg (G_OBJECT (encoder), "speed-preset", "ultrafast");
      GstElement *filter = make (self, "capsfilter");
      GstCaps *profile = gst_caps_from_string ("video/x-h264,profile=constrained-baseline");
      g_object_set (filter, "caps", profile, nullptr);
      gst_caps_unref (profile);
      chain.push_back (filter);
    } else {
      g_object_set (encoder, "deadline", (gint64) 1, "target-bitrate", (gint) (bitrate * 1000),
                    "keyframe-max-dist", (gint) kf, "lag-in-frames", 0, "threads", 2, nullptr);
      g_object_set (encoder, "cpu-used", codec == GV_WEBRTC_SINK_CODEC_VP9 ? 8 : -16, nullptr);
      gst_util_set_object_arg (G_OBJECT (encoder), "end-usage", "cbr");
      gst_util_set_object_arg (G_OBJECT (encoder), "error-resilient", "default");
    }
  }
  if (codec == GV_WEBRTC_SINK_CODEC_H264) {
    GstElement *parse = make (self, "h264parse");
    if (!parse)
      return false;
    chain.push_back (parse);
  }
  const char *pay_factory = codec == GV_WEBRTC_SINK_CODEC_VP9    ? "rtpvp9pay"
                            : codec == GV_WEBRTC_SINK_CODEC_H264 ? "rtph264pay"
                                                                 : "rtpvp8pay";
  GstElement *pay = make (self, pay_factory, "payloader");
  GstElement *tee = make (self, "tee", "tee");
  if (!pay || !tee)
    return false;
  g_object_set (pay, "mtu", 1200, "pt", 96, nullptr);
  if (codec == GV_WEBRTC_SINK_CODEC_H264) {
    g_object_set (pay, "config-interval", -1, nullptr);
    gst_util_set_object_arg (G_OBJECT (pay), "aggregate-mode", "zero-latency");
  } else {
    gst_util_set_object_arg (G_OBJECT (pay), "picture-id-mode", "15-bit");
  }
  g_object_set (tee, "allow-not-linked", TRUE, nullptr);
  chain.push_back (pay);
  chain.push_back (tee);

  GstPad *tee_sink = gst_element_get_static_pad (tee, "sink");
  gst_pad_add_probe (tee_sink, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, stream_event_probe, self,
                     nullptr);
  gst_object_unref (tee_sink);

  GstElement *prev = priv->input;
  for (GstElement *e : chain) {
    gst_bin_add (GST_BIN (self), e);
    if (!gst_element_link (prev, e)) {
      GST_ELEMENT_ERROR (
          self, CORE, NEGOTIATION, ("Cannot build the encoding chain."),
          ("failed to link %s to %s", GST_ELEMENT_NAME (prev), GST_ELEMENT_NAME (e)));
      return false;
    }
    prev = e;
  }
  for (auto it = chain.rbegin (); it != chain.rend (); ++it)
    gst_element_sync_state_with_parent (*it);

  std::lock_guard<std::mutex> guard (priv->lock);
  priv->encoder = encoder;
  priv->payloader = pay;
  priv->tee = tee;
  priv->is_h264 = codec == GV_WEBRTC_SINK_CODEC_H264;
  GST_INFO_OBJECT (self, "built %s chain for %" GST_PTR_FORMAT, raw ? "encoding" : "payloading",
                   caps);
  return true;
}

static GstPadProbeReturn input_event_probe (GstPad *, GstPadProbeInfo *info, gpointer user)
{
  auto *self = GV_WEBRTC_SINK (user);
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
  if (GST_EVENT_TYPE (event) == GST_EVENT_EOS) {
    /* Without a tee (no caps yet, or no chain) nobody else sees it. */
    bool no_chain;
    {
      std::lock_guard<std::mutex> guard (self->priv->lock);
      no_chain = self->priv->tee == nullptr;
    }
    if (no_chain)
      gv_webrtc_sink_stream_ended (self, gst_event_get_seqnum (event));
    return GST_PAD_PROBE_OK;
  }
  if (GST_EVENT_TYPE (event) != GST_EVENT_CAPS)
    return GST_PAD_PROBE_OK;
  GstCaps *caps;
  gst_event_parse_caps (event, &caps);
  GstStructure *s = gst_caps_get_structure (caps, 0);
  bool build;
  {
    std::lock_guard<std::mutex> guard (self->priv->lock);
    gst_structure_get_int (s, "width", &self->priv->width);
    gst_structure_get_int (s, "height", &self->priv->height);
    build = !self->priv->chain_built;
    self->priv->chain_built = true;
  }
  if (build && !build_chain (self, caps))
    return GST_PAD_PROBE_DROP;
  return GST_PAD_PROBE_OK;
}

void gv_webrtc_sink_watch_input (GvWebRTCSink *self, GstPad *input_sink)
{
  gst_pad_add_probe (input_sink, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, input_event_probe, self,
                     nullptr);
}

void gv_webrtc_sink_apply_bitrate_locked (GvWebRTCSink *self)
{
  GvWebRTCSinkPrivate *priv = self->priv;
  if (!priv->encoder)
    return;
  if (priv->is_h264)
    g_object_set (priv->encoder, "bitrate", priv->bitrate_kbps, nullptr);
  else
    g_object_set (priv->encoder, "target-bitrate", (gint) (priv->bitrate_kbps * 1000), nullptr);
}
