/* GhostView
 * Copyright (C) 2024 GhostView contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "gvstreamencoder.h"

#include "gvwebrtctexts.h"

#include <gst/rtp/rtp.h>
#include <gst/video/video.h>

#include <vector>

GST_DEBUG_CATEGORY_EXTERN (gv_webrtc_sink_debug);
#define GST_CAT_DEFAULT gv_webrtc_sink_debug

namespace gv::webrtc {

const char *media_kind_name (MediaKind kind)
{
  return kind == MediaKind::Video ? "video" : "audio";
}

StreamFeed::StreamFeed (MediaKind k, GstElement *t, GstCaps *c)
    : kind (k), tee (GST_ELEMENT (gst_object_ref (t))), caps (gst_caps_ref (c))
{}

StreamFeed::StreamFeed (const StreamFeed &other) : StreamFeed (other.kind, other.tee, other.caps) {}

StreamFeed::~StreamFeed ()
{
  if (tee)
    gst_object_unref (tee);
  if (caps)
    gst_caps_unref (caps);
}

StreamEncoder::StreamEncoder (MediaKind kind, GstElement *owner, Callbacks callbacks)
    : kind_ (kind), owner_ (owner), callbacks_ (std::move (callbacks))
{}

StreamEncoder::~StreamEncoder ()
{
  gst_caps_replace (&rtp_caps_, nullptr);
}

GstPad *StreamEncoder::add_input (const char *name, GstPadTemplate *templ)
{
  bool video = kind_ == MediaKind::Video;
  {
    std::lock_guard<std::mutex> guard (lock_);
    if (pad_) {
      GST_WARNING_OBJECT (owner_, "only one %s pad is supported", media_kind_name (kind_));
      return nullptr;
    }
  }
  GstElement *input = gst_element_factory_make ("identity", video ? "input" : "audio-input");
  gst_bin_add (GST_BIN (owner_), input);
  GstPad *target = gst_element_get_static_pad (input, "sink");
  gst_pad_add_probe (target, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, input_event_probe, this, nullptr);
  GstPad *pad = gst_ghost_pad_new_from_template (name    ? name
                                                 : video ? "video_0"
                                                         : "audio_0",
                                                 target, templ);
  gst_object_unref (target);
  gst_pad_set_active (pad, TRUE);
  gst_element_sync_state_with_parent (input);
  gst_element_add_pad (owner_, pad);
  std::lock_guard<std::mutex> guard (lock_);
  input_ = input;
  pad_ = pad;
  return pad;
}

bool StreamEncoder::release_input (GstPad *pad)
{
  std::lock_guard<std::mutex> guard (lock_);
  if (pad != pad_)
    return false;
  pad_ = nullptr;
  return true;
}

bool StreamEncoder::has_input () const
{
  std::lock_guard<std::mutex> guard (lock_);
  return pad_ != nullptr;
}

bool StreamEncoder::ready () const
{
  std::lock_guard<std::mutex> guard (lock_);
  return rtp_caps_ != nullptr;
}

bool StreamEncoder::ended () const
{
  std::lock_guard<std::mutex> guard (lock_);
  return ended_;
}

std::optional<StreamFeed> StreamEncoder::feed () const
{
  std::lock_guard<std::mutex> guard (lock_);
  if (!tee_ || !rtp_caps_)
    return std::nullopt;
  return StreamFeed (kind_, tee_, rtp_caps_);
}

void StreamEncoder::video_size (int &width, int &height) const
{
  std::lock_guard<std::mutex> guard (lock_);
  width = width_;
  height = height_;
}

bool StreamEncoder::push_upstream (GstEvent *event)
{
  GstPad *pad = nullptr;
  {
    std::lock_guard<std::mutex> guard (lock_);
    if (pad_)
      pad = GST_PAD (gst_object_ref (pad_));
  }
  if (!pad) {
    gst_event_unref (event);
    return false;
  }
  bool ok = gst_pad_push_event (pad, event);
  gst_object_unref (pad);
  return ok;
}

/* ---- keyframe requests ---- */

bool StreamEncoder::admit_keyframe_request ()
{
  std::lock_guard<std::mutex> guard (lock_);
  keyframes_.requested++;
  gint64 now = g_get_monotonic_time ();
  if (last_keyframe_us_ && now - last_keyframe_us_ < (gint64) keyframe_min_interval_ms_ * 1000) {
    keyframe_pending_ = true;
    return false;
  }
  last_keyframe_us_ = now;
  keyframes_.forced++;
  return true;
}

void StreamEncoder::force_keyframe ()
{
  GstPad *pad = nullptr;
  {
    std::lock_guard<std::mutex> guard (lock_);
    if (payloader_)
      pad = gst_element_get_static_pad (payloader_, "src");
  }
  if (!pad)
    return;
  GST_DEBUG_OBJECT (owner_, "asking for a %s keyframe", media_kind_name (kind_));
  gst_pad_send_event (pad,
                      gst_video_event_new_upstream_force_key_unit (GST_CLOCK_TIME_NONE, TRUE, 0));
  gst_object_unref (pad);
}

void StreamEncoder::request_keyframe ()
{
  if (admit_keyframe_request ())
    force_keyframe ();
}

KeyframeCounters StreamEncoder::keyframe_counters () const
{
  std::lock_guard<std::mutex> guard (lock_);
  return keyframes_;
}

/* On the tee's sink pad, going up: a viewer's PLI or FIR, which webrtcbin
 * turns into a force-key-unit event. One viewer asking for a keyframe on
 * every loss must not flood every viewer with keyframes. */
GstPadProbeReturn StreamEncoder::viewer_request_probe (GstPad *, GstPadProbeInfo *info,
                                                       gpointer user)
{
  auto *self = static_cast<StreamEncoder *> (user);
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
  if (!gst_video_event_is_force_key_unit (event))
    return GST_PAD_PROBE_OK;
  return self->admit_keyframe_request () ? GST_PAD_PROBE_OK : GST_PAD_PROBE_DROP;
}

/* On the tee's sink pad, each buffer: a request held back is served once
 * its interval has passed. */
GstPadProbeReturn StreamEncoder::pending_keyframe_probe (GstPad *, GstPadProbeInfo *, gpointer user)
{
  auto *self = static_cast<StreamEncoder *> (user);
  {
    std::lock_guard<std::mutex> guard (self->lock_);
    gint64 now = g_get_monotonic_time ();
    if (!self->keyframe_pending_ ||
        now - self->last_keyframe_us_ < (gint64) self->keyframe_min_interval_ms_ * 1000)
      return GST_PAD_PROBE_OK;
    self->keyframe_pending_ = false;
    self->last_keyframe_us_ = now;
    self->keyframes_.forced++;
  }
  self->force_keyframe ();
  return GST_PAD_PROBE_OK;
}

void StreamEncoder::apply_settings (const EncoderSettings &settings)
{
  std::lock_guard<std::mutex> guard (lock_);
  keyframe_min_interval_ms_ = settings.keyframe_min_interval_ms;
  configured_kbps_ =
      kind_ == MediaKind::Audio ? settings.audio_bitrate_kbps : settings.bitrate_kbps;
  set_encoder_bitrate_locked ();
}

void StreamEncoder::set_encoder_bitrate_locked ()
{
  guint kbps = configured_kbps_;
  if (kind_ == MediaKind::Video && limit_bps_)
    kbps = (guint) MIN ((guint64) kbps, MAX (limit_bps_ / 1000, (guint64) 1));
  if (!encoder_ || kbps == running_kbps_)
    return;
  running_kbps_ = kbps;
  if (kind_ == MediaKind::Audio)
    g_object_set (encoder_, "bitrate", (gint) (kbps * 1000), nullptr);
  else if (h264_)
    g_object_set (encoder_, "bitrate", kbps, nullptr);
  else
    g_object_set (encoder_, "target-bitrate", (gint) (kbps * 1000), nullptr);
}

guint StreamEncoder::limit_bitrate (guint64 bps)
{
  std::lock_guard<std::mutex> guard (lock_);
  limit_bps_ = bps;
  set_encoder_bitrate_locked ();
  return running_kbps_;
}

guint StreamEncoder::encoder_bitrate_kbps () const
{
  std::lock_guard<std::mutex> guard (lock_);
  return running_kbps_;
}

void StreamEncoder::reset ()
{
  std::lock_guard<std::mutex> guard (lock_);
  gst_caps_replace (&rtp_caps_, nullptr);
  ended_ = false;
}

void StreamEncoder::mark_ended (guint32 seqnum)
{
  {
    std::lock_guard<std::mutex> guard (lock_);
    ended_ = true;
  }
  GST_DEBUG_OBJECT (owner_, "%s stream ended", media_kind_name (kind_));
  callbacks_.ended (seqnum);
}

/* ---- the chain: input -> [convert ! encoder] -> payloader -> tee ---- */

GstElement *StreamEncoder::make (const char *factory, const char *name)
{
  GstElement *e = gst_element_factory_make (factory, name);
  if (!e)
    GST_ELEMENT_ERROR (owner_, CORE, MISSING_PLUGIN,
                       ("%s", texts::missing_element (factory).c_str ()), (nullptr));
  return e;
}

/* Transport-wide sequence numbers on every video packet: each viewer's
 * webrtcbin numbers its own copy, its viewer reports what arrived when
 * (TWCC feedback), and that is what the viewer's bandwidth estimate is made
 * from. The extension then appears in the payloader's caps, hence in the
 * offer ("a=extmap", "a=rtcp-fb:96 transport-cc"). */
static void add_twcc_extension (GstElement *payloader)
{
  GstRTPHeaderExtension *twcc = gst_rtp_header_extension_create_from_uri (kTwccUri);
  if (!twcc) {
    GST_WARNING ("rtphdrexttwcc is missing: no bandwidth estimate for viewers");
    return;
  }
  gst_rtp_header_extension_set_id (twcc, kTwccExtensionId);
  g_signal_emit_by_name (payloader, "add-extension", twcc);
  gst_object_unref (twcc);
}

/* [videoconvert ! encoder] [! h264parse] ! payloader */
bool StreamEncoder::video_elements (GstCaps *caps, const EncoderSettings &settings,
                                    std::vector<GstElement *> &chain)
{
  const char *media = gst_structure_get_name (gst_caps_get_structure (caps, 0));
  GvWebRTCSinkCodec codec = settings.codec;
  bool raw = g_str_equal (media, "video/x-raw");
  if (!raw)
    codec = g_str_equal (media, "video/x-vp9")    ? GV_WEBRTC_SINK_CODEC_VP9
            : g_str_equal (media, "video/x-h264") ? GV_WEBRTC_SINK_CODEC_H264
                                                  : GV_WEBRTC_SINK_CODEC_VP8;
  bool h264 = codec == GV_WEBRTC_SINK_CODEC_H264;
  if (raw) {
    GstElement *convert = make ("videoconvert");
    const char *factory = codec == GV_WEBRTC_SINK_CODEC_VP9 ? "vp9enc"
                          : h264                            ? "x264enc"
                                                            : "vp8enc";
    GstElement *encoder = make (factory, "encoder");
    for (GstElement *e : { convert, encoder })
      if (e)
        chain.push_back (e);
    if (!convert || !encoder)
      return false; /* the caller drops what is in `chain` */
    if (h264) {
      g_object_set (encoder, "bitrate", settings.bitrate_kbps, "key-int-max",
                    settings.keyframe_distance, "bframes", 0, nullptr);
      gst_util_set_object_arg (G_OBJECT (encoder), "tune", "zerolatency");
      gst_util_set_object_arg (G_OBJECT (encoder), "speed-preset", "ultrafast");
      GstElement *filter = make ("capsfilter");
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
      g_object_set (encoder, "deadline", (gint64) 1, "target-bitrate",
                    (gint) (settings.bitrate_kbps * 1000), "keyframe-max-dist",
                    (gint) settings.keyframe_distance, "lag-in-frames", 0, "threads", threads,
                    nullptr);
      g_object_set (encoder, "cpu-used", codec == GV_WEBRTC_SINK_CODEC_VP9 ? 8 : -16, nullptr);
      gst_util_set_object_arg (G_OBJECT (encoder), "end-usage", "cbr");
      gst_util_set_object_arg (G_OBJECT (encoder), "error-resilient", "default");
    }
    std::lock_guard<std::mutex> guard (lock_);
    encoder_ = encoder;
  }
  if (h264) {
    GstElement *parse = make ("h264parse");
    if (!parse)
      return false;
    chain.push_back (parse);
  }
  const char *pay_factory = codec == GV_WEBRTC_SINK_CODEC_VP9 ? "rtpvp9pay"
                            : h264                            ? "rtph264pay"
                                                              : "rtpvp8pay";
  GstElement *pay = make (pay_factory, "payloader");
  if (!pay)
    return false;
  g_object_set (pay, "mtu", 1200, "pt", 96, nullptr);
  add_twcc_extension (pay);
  if (h264) {
    g_object_set (pay, "config-interval", -1, nullptr);
    gst_util_set_object_arg (G_OBJECT (pay), "aggregate-mode", "zero-latency");
  } else {
    gst_util_set_object_arg (G_OBJECT (pay), "picture-id-mode", "15-bit");
  }
  chain.push_back (pay);
  std::lock_guard<std::mutex> guard (lock_);
  payloader_ = pay;
  h264_ = h264;
  return true;
}

/* [audioconvert ! audioresample ! 48 kHz ! opusenc] ! rtpopuspay. Opus at
 * 48 kHz is what every browser decodes. */
bool StreamEncoder::audio_elements (GstCaps *caps, const EncoderSettings &settings,
                                    std::vector<GstElement *> &chain)
{
  const char *media = gst_structure_get_name (gst_caps_get_structure (caps, 0));
  if (g_str_equal (media, "audio/x-raw")) {
    GstElement *convert = make ("audioconvert");
    GstElement *resample = make ("audioresample");
    GstElement *filter = make ("capsfilter");
    GstElement *encoder = make ("opusenc", "audio-encoder");
    for (GstElement *e : { convert, resample, filter, encoder })
      if (e)
        chain.push_back (e);
    if (!convert || !resample || !filter || !encoder)
      return false; /* the caller drops what is in `chain` */
    GstCaps *rate = gst_caps_from_string ("audio/x-raw,rate=48000");
    g_object_set (filter, "caps", rate, nullptr);
    gst_caps_unref (rate);
    g_object_set (encoder, "bitrate", (gint) (settings.audio_bitrate_kbps * 1000), nullptr);
    std::lock_guard<std::mutex> guard (lock_);
    encoder_ = encoder;
  }
  GstElement *pay = make ("rtpopuspay", "audio-payloader");
  if (!pay)
    return false;
  g_object_set (pay, "mtu", 1200, "pt", 111, nullptr);
  chain.push_back (pay);
  std::lock_guard<std::mutex> guard (lock_);
  payloader_ = pay;
  return true;
}

/* Runs on the streaming thread, before the caps event goes further. */
bool StreamEncoder::build_chain (GstCaps *caps)
{
  bool video = kind_ == MediaKind::Video;
  EncoderSettings settings = callbacks_.settings ();
  {
    std::lock_guard<std::mutex> guard (lock_);
    keyframe_min_interval_ms_ = settings.keyframe_min_interval_ms;
    configured_kbps_ = video ? settings.bitrate_kbps : settings.audio_bitrate_kbps;
    running_kbps_ = configured_kbps_; /* what the chain is built with */
    limit_bps_ = 0;
  }
  std::vector<GstElement *> chain;
  bool made =
      video ? video_elements (caps, settings, chain) : audio_elements (caps, settings, chain);
  GstElement *tee = made ? make ("tee", video ? "tee" : "audio-tee") : nullptr;
  if (!tee) {
    for (GstElement *e : chain)
      gst_object_unref (gst_object_ref_sink (e));
    std::lock_guard<std::mutex> guard (lock_);
    encoder_ = payloader_ = nullptr;
    return false;
  }
  g_object_set (tee, "allow-not-linked", TRUE, nullptr);
  chain.push_back (tee);

  GstPad *tee_sink = gst_element_get_static_pad (tee, "sink");
  gst_pad_add_probe (tee_sink, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, output_event_probe, this,
                     nullptr);
  if (video) {
    gst_pad_add_probe (tee_sink, GST_PAD_PROBE_TYPE_EVENT_UPSTREAM, viewer_request_probe, this,
                       nullptr);
    gst_pad_add_probe (
        tee_sink, (GstPadProbeType) (GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST),
        pending_keyframe_probe, this, nullptr);
  }
  gst_object_unref (tee_sink);

  GstElement *prev;
  {
    std::lock_guard<std::mutex> guard (lock_);
    prev = input_;
  }
  for (GstElement *e : chain) {
    gst_bin_add (GST_BIN (owner_), e);
    if (!gst_element_link (prev, e)) {
      GST_ELEMENT_ERROR (
          owner_, CORE, NEGOTIATION,
          ("%s", texts::cannot_build_chain (media_kind_name (kind_)).c_str ()),
          ("failed to link %s to %s", GST_ELEMENT_NAME (prev), GST_ELEMENT_NAME (e)));
      return false;
    }
    prev = e;
  }
  for (auto it = chain.rbegin (); it != chain.rend (); ++it)
    gst_element_sync_state_with_parent (*it);

  std::lock_guard<std::mutex> guard (lock_);
  tee_ = tee;
  GST_INFO_OBJECT (owner_, "built %s chain for %" GST_PTR_FORMAT,
                   encoder_ ? "encoding" : "payloading", caps);
  return true;
}

GstPadProbeReturn StreamEncoder::input_event_probe (GstPad *, GstPadProbeInfo *info, gpointer user)
{
  auto *self = static_cast<StreamEncoder *> (user);
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
  if (GST_EVENT_TYPE (event) == GST_EVENT_EOS) {
    /* Without a tee (no caps yet, or no chain) nobody else sees it. */
    bool no_chain;
    {
      std::lock_guard<std::mutex> guard (self->lock_);
      no_chain = self->tee_ == nullptr;
    }
    if (no_chain)
      self->mark_ended (gst_event_get_seqnum (event));
    return GST_PAD_PROBE_OK;
  }
  if (GST_EVENT_TYPE (event) != GST_EVENT_CAPS)
    return GST_PAD_PROBE_OK;
  GstCaps *caps;
  gst_event_parse_caps (event, &caps);
  bool build;
  {
    std::lock_guard<std::mutex> guard (self->lock_);
    if (self->kind_ == MediaKind::Video) {
      GstStructure *s = gst_caps_get_structure (caps, 0);
      gst_structure_get_int (s, "width", &self->width_);
      gst_structure_get_int (s, "height", &self->height_);
    }
    build = !self->chain_built_;
    self->chain_built_ = true;
  }
  if (build && !self->build_chain (caps))
    return GST_PAD_PROBE_DROP;
  return GST_PAD_PROBE_OK;
}

/* On the tee's sink pad: the payloader's caps (subscribers wait for them)
 * and the end of the stream, once the encoder has drained. */
GstPadProbeReturn StreamEncoder::output_event_probe (GstPad *, GstPadProbeInfo *info, gpointer user)
{
  auto *self = static_cast<StreamEncoder *> (user);
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
  if (GST_EVENT_TYPE (event) == GST_EVENT_EOS) {
    self->mark_ended (gst_event_get_seqnum (event));
    return GST_PAD_PROBE_OK;
  }
  if (GST_EVENT_TYPE (event) != GST_EVENT_CAPS)
    return GST_PAD_PROBE_OK;
  GstCaps *caps;
  gst_event_parse_caps (event, &caps);
  bool first;
  {
    std::lock_guard<std::mutex> guard (self->lock_);
    first = self->rtp_caps_ == nullptr;
    gst_caps_replace (&self->rtp_caps_, caps);
  }
  GST_DEBUG_OBJECT (self->owner_, "%s RTP caps %" GST_PTR_FORMAT, media_kind_name (self->kind_),
                    caps);
  if (first)
    self->callbacks_.ready ();
  return GST_PAD_PROBE_OK;
}

} // namespace gv::webrtc
