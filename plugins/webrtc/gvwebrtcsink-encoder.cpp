/* GhostView
 * Copyright (C) 2024 GhostView contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * gvwebrtcsink: the shared part of each stream, built once its input caps
 * are known: input -> [convert ! encoder] -> payloader -> tee, with one tee
 * branch per viewer (gvwebrtcsink-viewer.cpp). Video is encoded to VP8, VP9
 * or H.264, audio to Opus. Also the keyframe requests, the encoder's
 * bitrate, and where the end of each stream is noticed.
 */
#include "gvwebrtcsink-private.h"

#include <gst/video/video.h>

#define GST_CAT_DEFAULT gv_webrtc_sink_debug

void gv_webrtc_sink_request_keyframe (GvWebRTCSink *self)
{
  GstPad *pad = nullptr;
  {
    std::lock_guard<std::mutex> guard (self->priv->lock);
    GstElement *target = self->priv->video ().payloader;
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

/* ---- the shared chains: input -> [convert ! encoder] -> payloader -> tee ---- */

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

bool gv_webrtc_sink_streams_ready_locked (GvWebRTCSinkPrivate *priv)
{
  bool any = false;
  for (const GvSinkStream &stream : priv->streams) {
    if (stream.pad && !stream.rtp_caps)
      return false;
    any = any || stream.rtp_caps;
  }
  return any;
}

/* On a tee's sink pad: the payloader's caps (viewers wait for them) and the
 * end of the stream, once the encoder has drained. */
static GstPadProbeReturn stream_event_probe (GstPad *, GstPadProbeInfo *info, gpointer user)
{
  auto *stream = static_cast<GvSinkStream *> (user);
  GvWebRTCSink *self = stream->sink;
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
  if (GST_EVENT_TYPE (event) == GST_EVENT_EOS) {
    gv_webrtc_sink_stream_eos (stream, gst_event_get_seqnum (event));
    return GST_PAD_PROBE_OK;
  }
  if (GST_EVENT_TYPE (event) != GST_EVENT_CAPS)
    return GST_PAD_PROBE_OK;
  GstCaps *caps;
  gst_event_parse_caps (event, &caps);
  bool ready;
  {
    std::lock_guard<std::mutex> guard (self->priv->lock);
    bool first = stream->rtp_caps == nullptr;
    gst_caps_replace (&stream->rtp_caps, caps);
    ready = first && gv_webrtc_sink_streams_ready_locked (self->priv);
  }
  GST_DEBUG_OBJECT (self, "stream caps %" GST_PTR_FORMAT, caps);
  if (ready)
    gv_webrtc_sink_stream_ready (self);
  return GST_PAD_PROBE_OK;
}

/* The video elements between the input and the tee: [videoconvert ! encoder]
 * [! h264parse] ! payloader. */
static bool video_chain (GvWebRTCSink *self, GstCaps *caps, std::vector<GstElement *> &chain,
                         GstElement **encoder_out, GstElement **payloader_out)
{
  GvWebRTCSinkPrivate *priv = self->priv;
  const char *media = gst_structure_get_name (gst_caps_get_structure (caps, 0));
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
  if (raw) {
    GstElement *convert = make (self, "videoconvert");
    const char *factory = codec == GV_WEBRTC_SINK_CODEC_VP9    ? "vp9enc"
                          : codec == GV_WEBRTC_SINK_CODEC_H264 ? "x264enc"
                                                               : "vp8enc";
    GstElement *encoder = make (self, factory, "encoder");
    for (GstElement *e : { convert, encoder })
      if (e)
        chain.push_back (e);
    if (!convert || !encoder)
      return false; /* the caller drops what is in `chain` */
    *encoder_out = encoder;
    if (codec == GV_WEBRTC_SINK_CODEC_H264) {
      g_object_set (encoder, "bitrate", bitrate, "key-int-max", kf, "bframes", 0, nullptr);
      gst_util_set_object_arg (G_OBJECT (encoder), "tune", "zerolatency");
      gst_util_set_object_arg (G_OBJECT (encoder), "speed-preset", "ultrafast");
      GstElement *filter = make (self, "capsfilter");
      if (!filter)
        return false;
      GstCaps *profile = gst_caps_from_string ("video/x-h264,profile=constrained-baseline");
      g_object_set (filter, "caps", profile, nullptr);
      gst_caps_unref (profile);
      chain.push_back (filter);
    } else {
      /* libvpx's worker threads spin while they wait for each other: on a
       * small, busy machine two threads cost 4x the CPU of one (measured in
       * tests/bench/media). Half the processors, 1 to 4. */
      gint threads = CLAMP ((gint) g_get_num_processors () / 2, 1, 4);
      g_object_set (encoder, "deadline", (gint64) 1, "target-bitrate", (gint) (bitrate * 1000),
                    "keyframe-max-dist", (gint) kf, "lag-in-frames", 0, "threads", threads,
                    nullptr);
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
  if (!pay)
    return false;
  g_object_set (pay, "mtu", 1200, "pt", 96, nullptr);
  if (codec == GV_WEBRTC_SINK_CODEC_H264) {
    g_object_set (pay, "config-interval", -1, nullptr);
    gst_util_set_object_arg (G_OBJECT (pay), "aggregate-mode", "zero-latency");
  } else {
    gst_util_set_object_arg (G_OBJECT (pay), "picture-id-mode", "15-bit");
  }
  chain.push_back (pay);
  *payloader_out = pay;
  std::lock_guard<std::mutex> guard (priv->lock);
  priv->is_h264 = codec == GV_WEBRTC_SINK_CODEC_H264;
  return true;
}

/* The audio elements: [audioconvert ! audioresample ! 48 kHz ! opusenc] !
 * rtpopuspay. Opus at 48 kHz is what every browser decodes. */
static bool audio_chain (GvWebRTCSink *self, GstCaps *caps, std::vector<GstElement *> &chain,
                         GstElement **encoder_out, GstElement **payloader_out)
{
  const char *media = gst_structure_get_name (gst_caps_get_structure (caps, 0));
  guint bitrate;
  {
    std::lock_guard<std::mutex> guard (self->priv->lock);
    bitrate = self->priv->audio_bitrate_kbps;
  }
  if (g_str_equal (media, "audio/x-raw")) {
    GstElement *convert = make (self, "audioconvert");
    GstElement *resample = make (self, "audioresample");
    GstElement *filter = make (self, "capsfilter");
    GstElement *encoder = make (self, "opusenc", "audio-encoder");
    for (GstElement *e : { convert, resample, filter, encoder })
      if (e)
        chain.push_back (e);
    if (!convert || !resample || !filter || !encoder)
      return false; /* the caller drops what is in `chain` */
    GstCaps *rate = gst_caps_from_string ("audio/x-raw,rate=48000");
    g_object_set (filter, "caps", rate, nullptr);
    gst_caps_unref (rate);
    g_object_set (encoder, "bitrate", (gint) (bitrate * 1000), nullptr);
    *encoder_out = encoder;
  }
  GstElement *pay = make (self, "rtpopuspay", "audio-payloader");
  if (!pay)
    return false;
  g_object_set (pay, "mtu", 1200, "pt", 111, nullptr);
  chain.push_back (pay);
  *payloader_out = pay;
  return true;
}

/* Builds a stream's shared part once its input caps are known. Runs on the
 * streaming thread, before the caps event goes further. */
static bool build_chain (GvSinkStream *stream, GstCaps *caps)
{
  GvWebRTCSink *self = stream->sink;
  bool video = stream->kind == GvMediaKind::Video;
  std::vector<GstElement *> chain;
  GstElement *encoder = nullptr, *pay = nullptr;
  bool made = video ? video_chain (self, caps, chain, &encoder, &pay)
                    : audio_chain (self, caps, chain, &encoder, &pay);
  GstElement *tee = made ? make (self, "tee", video ? "tee" : "audio-tee") : nullptr;
  if (!tee) {
    for (GstElement *e : chain)
      gst_object_unref (gst_object_ref_sink (e));
    return false;
  }
  g_object_set (tee, "allow-not-linked", TRUE, nullptr);
  chain.push_back (tee);

  GstPad *tee_sink = gst_element_get_static_pad (tee, "sink");
  gst_pad_add_probe (tee_sink, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, stream_event_probe, stream,
                     nullptr);
  gst_object_unref (tee_sink);

  GstElement *prev = stream->input;
  for (GstElement *e : chain) {
    gst_bin_add (GST_BIN (self), e);
    if (!gst_element_link (prev, e)) {
      GST_ELEMENT_ERROR (
          self, CORE, NEGOTIATION,
          ("Cannot build the %s encoding chain.", video ? "video" : "audio"),
          ("failed to link %s to %s", GST_ELEMENT_NAME (prev), GST_ELEMENT_NAME (e)));
      return false;
    }
    prev = e;
  }
  for (auto it = chain.rbegin (); it != chain.rend (); ++it)
    gst_element_sync_state_with_parent (*it);

  std::lock_guard<std::mutex> guard (self->priv->lock);
  stream->encoder = encoder;
  stream->payloader = pay;
  stream->tee = tee;
  GST_INFO_OBJECT (self, "built %s chain for %" GST_PTR_FORMAT, encoder ? "encoding" : "payloading",
                   caps);
  return true;
}

static GstPadProbeReturn input_event_probe (GstPad *, GstPadProbeInfo *info, gpointer user)
{
  auto *stream = static_cast<GvSinkStream *> (user);
  GvWebRTCSink *self = stream->sink;
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
  if (GST_EVENT_TYPE (event) == GST_EVENT_EOS) {
    /* Without a tee (no caps yet, or no chain) nobody else sees it. */
    bool no_chain;
    {
      std::lock_guard<std::mutex> guard (self->priv->lock);
      no_chain = stream->tee == nullptr;
    }
    if (no_chain)
      gv_webrtc_sink_stream_eos (stream, gst_event_get_seqnum (event));
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
    if (stream->kind == GvMediaKind::Video) {
      gst_structure_get_int (s, "width", &self->priv->width);
      gst_structure_get_int (s, "height", &self->priv->height);
    }
    build = !stream->chain_built;
    stream->chain_built = true;
  }
  if (build && !build_chain (stream, caps))
    return GST_PAD_PROBE_DROP;
  return GST_PAD_PROBE_OK;
}

void gv_webrtc_sink_watch_input (GvSinkStream *stream, GstPad *input_sink)
{
  gst_pad_add_probe (input_sink, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, input_event_probe, stream,
                     nullptr);
}

void gv_webrtc_sink_apply_bitrate_locked (GvWebRTCSink *self)
{
  GvWebRTCSinkPrivate *priv = self->priv;
  GstElement *encoder = priv->video ().encoder;
  if (encoder) {
    if (priv->is_h264)
      g_object_set (encoder, "bitrate", priv->bitrate_kbps, nullptr);
    else
      g_object_set (encoder, "target-bitrate", (gint) (priv->bitrate_kbps * 1000), nullptr);
  }
  GstElement *audio_encoder = priv->streams[(int) GvMediaKind::Audio].encoder;
  if (audio_encoder)
    g_object_set (audio_encoder, "bitrate", (gint) (priv->audio_bitrate_kbps * 1000), nullptr);
}
