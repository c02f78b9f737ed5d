/* GhostView
 * Copyright (C) 2024 GhostView contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "gvstreamencoder.h"

#include "../input/gvclipboardevent.h"

#include "gvwebrtctexts.h"

#include <gst/rtp/rtp.h>
#include <gst/video/video.h>

#include <string>

#include <vector>

GST_DEBUG_CATEGORY_EXTERN (gv_webrtc_sink_debug);
#define GST_CAT_DEFAULT gv_webrtc_sink_debug

namespace gv::webrtc {

const char *media_kind_name (MediaKind kind)
{
  return kind == MediaKind::Video ? "video" : "audio";
}

StreamFeed::StreamFeed (MediaKind k, GstElement *t, GstCaps *c,
                        std::vector<GvWebRTCSinkCodec> codecs)
    : kind (k), tee (GST_ELEMENT (gst_object_ref (t))), caps (gst_caps_ref (c)),
      codecs (std::move (codecs))
{}

StreamFeed::StreamFeed (const StreamFeed &other)
    : StreamFeed (other.kind, other.tee, other.caps, other.codecs)
{}

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
  std::vector<GvWebRTCSinkCodec> codecs;
  if (kind_ == MediaKind::Video)
    codecs.assign (codecs_, codecs_ + codec_count_);
  return StreamFeed (kind_, tee_, rtp_caps_, std::move (codecs));
}

void StreamEncoder::video_size (int &width, int &height) const
{
  std::lock_guard<std::mutex> guard (lock_);
  width = width_;
  height = height_;
}

bool StreamEncoder::query_upstream (GstQuery *query)
{
  GstPad *pad = nullptr;
  {
    std::lock_guard<std::mutex> guard (lock_);
    if (pad_)
      pad = GST_PAD (gst_object_ref (pad_));
  }
  if (!pad)
    return false;
  bool ok = gst_pad_peer_query (pad, query);
  gst_object_unref (pad);
  return ok;
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

void StreamEncoder::apply_settings (const EncoderSettings &settings)
{
  std::lock_guard<std::mutex> guard (lock_);
  settings_ = settings;
  if (audio_encoder_)
    g_object_set (audio_encoder_, "bitrate", (gint) (settings.audio_bitrate_kbps * 1000), nullptr);
  for (auto &l : layers_)
    if (l)
      l->set_keyframe_min_interval (settings.keyframe_min_interval_ms);
}

/* ---- video layers ---- */

VideoLayer *StreamEncoder::layer (int index) const
{
  std::lock_guard<std::mutex> guard (lock_);
  if (index < 0 || index >= kCodecSlots * kMaxLayers)
    return nullptr;
  return layers_[index].get ();
}

int StreamEncoder::codec_count () const
{
  std::lock_guard<std::mutex> guard (lock_);
  return codec_count_;
}

int StreamEncoder::layer_count () const
{
  std::lock_guard<std::mutex> guard (lock_);
  if (kind_ != MediaKind::Video || !chain_built_ || !raw_tee_)
    return layers_[0] ? 1 : 0;
  return CLAMP (settings_.video_layers, 1, kMaxLayers);
}

LayerSettings StreamEncoder::layer_settings_locked (int index) const
{
  LayerSettings ls;
  ls.codec = codecs_[CLAMP (layer_slot (index), 0, codec_count_ - 1)];
  ls.keyframe_distance = settings_.keyframe_distance;
  ls.keyframe_min_interval_ms = settings_.keyframe_min_interval_ms;
  ls.width = width_;
  ls.height = height_;
  ls.divisor = LayerPlan::divisor (layer_size (index));
  LayerPlan plan;
  plan.max_bps = (guint64) settings_.bitrate_kbps * 1000;
  plan.layers = CLAMP (settings_.video_layers, 1, kMaxLayers);
  ls.bitrate_kbps = (guint) MAX (plan.top_bps (layer_size (index)) / 1000, (guint64) 1);
  return ls;
}

GstElement *StreamEncoder::watch_layer (int index)
{
  const int slot = layer_slot (index);
  if (index < 0 || slot >= codec_count ())
    return nullptr;
  index = layer_index (slot, CLAMP (layer_size (index), 0, MAX (layer_count () - 1, 0)));
  VideoLayer *l = layer (index);
  if (!l) {
    /* First use of a lower layer: built now, from the raw tee. */
    std::unique_ptr<VideoLayer> made;
    GstElement *raw_tee;
    LayerSettings ls;
    {
      std::lock_guard<std::mutex> guard (lock_);
      raw_tee = raw_tee_;
      ls = layer_settings_locked (index);
    }
    if (!raw_tee)
      return nullptr;
    made = std::make_unique<VideoLayer> (index, owner_);
    if (!made->build_encoding (raw_tee, ls))
      return nullptr;
    std::lock_guard<std::mutex> guard (lock_);
    if (!layers_[index])
      layers_[index] = std::move (made);
    l = layers_[index].get ();
  }
  l->watch ();
  l->request_keyframe (); /* whoever starts watching starts at a keyframe */
  GstElement *tee = l->tee ();
  return tee ? GST_ELEMENT (gst_object_ref (tee)) : nullptr;
}

GstElement *StreamEncoder::ref_raw_tee () const
{
  std::lock_guard<std::mutex> guard (lock_);
  return raw_tee_ ? GST_ELEMENT (gst_object_ref (raw_tee_)) : nullptr;
}

void StreamEncoder::unwatch_layer (int index)
{
  if (VideoLayer *l = layer (index))
    l->unwatch ();
}

void StreamEncoder::request_keyframe (int index)
{
  if (VideoLayer *l = layer (index))
    l->request_keyframe ();
}

KeyframeCounters StreamEncoder::keyframe_counters () const
{
  KeyframeCounters total;
  std::lock_guard<std::mutex> guard (lock_);
  for (const auto &l : layers_)
    if (l)
      total += l->keyframe_counters ();
  return total;
}

void StreamEncoder::set_layer_bitrate (int index, guint kbps)
{
  if (VideoLayer *l = layer (index))
    l->set_bitrate_kbps (kbps);
}

guint StreamEncoder::layer_bitrate (int index) const
{
  VideoLayer *l = layer (index);
  return l && l->encodes () ? l->bitrate_kbps () : 0;
}

int StreamEncoder::encoders_running () const
{
  int n = 0;
  std::lock_guard<std::mutex> guard (lock_);
  for (const auto &l : layers_)
    n += l && l->encodes () ? 1 : 0;
  return n;
}

void StreamEncoder::reset ()
{
  std::lock_guard<std::mutex> guard (lock_);
  /* Audio's caps come again with the next data; video's are the codec's. */
  if (kind_ == MediaKind::Audio)
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
 * from. The extension then appears in the payloader's caps. */
static void add_twcc_extension (GstElement *payloader, guint id)
{
  GstRTPHeaderExtension *twcc = gst_rtp_header_extension_create_from_uri (kTwccUri);
  if (!twcc) {
    GST_WARNING ("rtphdrexttwcc is missing: no bandwidth estimate for viewers");
    return;
  }
  gst_rtp_header_extension_set_id (twcc, id);
  g_signal_emit_by_name (payloader, "add-extension", twcc);
  gst_object_unref (twcc);
}

const char *encoding_name (GvWebRTCSinkCodec codec)
{
  return codec == GV_WEBRTC_SINK_CODEC_VP9    ? "VP9"
         : codec == GV_WEBRTC_SINK_CODEC_H264 ? "H264"
                                              : "VP8";
}

GstElement *make_video_payloader (GvWebRTCSinkCodec codec, guint pt, guint twcc_id,
                                  GstElement *owner)
{
  const char *factory = codec == GV_WEBRTC_SINK_CODEC_VP9    ? "rtpvp9pay"
                        : codec == GV_WEBRTC_SINK_CODEC_H264 ? "rtph264pay"
                                                             : "rtpvp8pay";
  GstElement *pay = gst_element_factory_make (factory, nullptr);
  if (!pay) {
    GST_ELEMENT_ERROR (owner, CORE, MISSING_PLUGIN,
                       ("%s", texts::missing_element (factory).c_str ()), (nullptr));
    return nullptr;
  }
  g_object_set (pay, "mtu", 1200, "pt", pt, nullptr);
  if (codec == GV_WEBRTC_SINK_CODEC_H264) {
    g_object_set (pay, "config-interval", -1, nullptr);
    gst_util_set_object_arg (G_OBJECT (pay), "aggregate-mode", "zero-latency");
  } else {
    gst_util_set_object_arg (G_OBJECT (pay), "picture-id-mode", "15-bit");
  }
  if (twcc_id)
    add_twcc_extension (pay, twcc_id);
  return pay;
}

/* What a viewer's transceiver offers: each codec in order of preference,
 * with its payload type and the congestion control extension (H.264's
 * profile-level-id is written into the offer, browsers look for 42e01f). */
static GstCaps *video_rtp_caps (const GvWebRTCSinkCodec *codecs, int count)
{
  GstCaps *caps = gst_caps_new_empty ();
  for (int slot = 0; slot < count; slot++) {
    GstStructure *s = gst_structure_new ("application/x-rtp", "media", G_TYPE_STRING, "video",
                                         "clock-rate", G_TYPE_INT, 90000, "encoding-name",
                                         G_TYPE_STRING, encoding_name (codecs[slot]), "payload",
                                         G_TYPE_INT, (gint) slot_payload_type (slot), nullptr);
    gst_structure_set (s, ("extmap-" + std::to_string (kTwccExtensionId)).c_str (), G_TYPE_STRING,
                       kTwccUri, nullptr);
    if (codecs[slot] == GV_WEBRTC_SINK_CODEC_H264)
      gst_structure_set (s, "packetization-mode", G_TYPE_STRING, "1", nullptr);
    gst_caps_append_structure (caps, s);
  }
  return caps;
}

/* Raw input: a tee of raw frames, and layer 0 right away. Encoded input:
 * layer 0 passes it through. */
bool StreamEncoder::build_video (GstCaps *caps, const EncoderSettings &settings)
{
  const char *media = gst_structure_get_name (gst_caps_get_structure (caps, 0));
  bool raw = g_str_equal (media, "video/x-raw");
  GvWebRTCSinkCodec codec = settings.codec;
  if (!raw)
    codec = g_str_equal (media, "video/x-vp9")    ? GV_WEBRTC_SINK_CODEC_VP9
            : g_str_equal (media, "video/x-h264") ? GV_WEBRTC_SINK_CODEC_H264
                                                  : GV_WEBRTC_SINK_CODEC_VP8;
  GstElement *input;
  {
    std::lock_guard<std::mutex> guard (lock_);
    codecs_[0] = codec;
    codec_count_ = 1;
    /* A fallback for viewers that cannot decode the codec: raw input only
     * (encoded input is passed through, never transcoded). */
    if (raw && settings.fallback_codec != GV_WEBRTC_SINK_FALLBACK_NONE &&
        (GvWebRTCSinkCodec) settings.fallback_codec != codec) {
      codecs_[1] = (GvWebRTCSinkCodec) settings.fallback_codec;
      codec_count_ = 2;
    }
    input = input_;
  }
  auto layer0 = std::make_unique<VideoLayer> (0, owner_);
  if (raw) {
    GstElement *raw_tee = make ("tee", "raw-tee");
    if (!raw_tee)
      return false;
    g_object_set (raw_tee, "allow-not-linked", TRUE, nullptr);
    gst_bin_add (GST_BIN (owner_), raw_tee);
    if (!gst_element_link (input, raw_tee)) {
      GST_ELEMENT_ERROR (owner_, CORE, NEGOTIATION,
                         ("%s", texts::cannot_build_chain ("video").c_str ()), (nullptr));
      return false;
    }
    gst_element_sync_state_with_parent (raw_tee);
    LayerSettings ls;
    {
      std::lock_guard<std::mutex> guard (lock_);
      raw_tee_ = raw_tee;
      ls = layer_settings_locked (0);
    }
    if (!layer0->build_encoding (raw_tee, ls))
      return false;
  } else if (!layer0->build_passthrough (input, codec)) {
    return false;
  }
  GstPad *tee_sink = gst_element_get_static_pad (layer0->tee (), "sink");
  gst_pad_add_probe (tee_sink, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, output_event_probe, this,
                     nullptr);
  gst_object_unref (tee_sink);
  {
    std::lock_guard<std::mutex> guard (lock_);
    tee_ = layer0->tee ();
    layers_[0] = std::move (layer0);
    gst_caps_replace (&rtp_caps_, nullptr);
    rtp_caps_ = video_rtp_caps (codecs_, codec_count_);
  }
  GST_INFO_OBJECT (owner_, "built the video %s for %" GST_PTR_FORMAT,
                   raw ? "ladder" : "passthrough", caps);
  callbacks_.ready ();
  return true;
}

/* [audioconvert ! audioresample ! 48 kHz ! opusenc] ! rtpopuspay ! tee.
 * Opus at 48 kHz is what every browser decodes. */
bool StreamEncoder::build_audio (GstCaps *caps, const EncoderSettings &settings)
{
  std::vector<GstElement *> chain;
  GstElement *encoder = nullptr;
  auto drop = [&] () {
    for (GstElement *e : chain)
      gst_object_unref (gst_object_ref_sink (e));
    return false;
  };
  if (g_str_equal (gst_structure_get_name (gst_caps_get_structure (caps, 0)), "audio/x-raw")) {
    GstElement *convert = make ("audioconvert");
    GstElement *resample = make ("audioresample");
    GstElement *filter = make ("capsfilter");
    encoder = make ("opusenc", "audio-encoder");
    for (GstElement *e : { convert, resample, filter, encoder })
      if (e)
        chain.push_back (e);
    if (!convert || !resample || !filter || !encoder)
      return drop ();
    GstCaps *rate = gst_caps_from_string ("audio/x-raw,rate=48000");
    g_object_set (filter, "caps", rate, nullptr);
    gst_caps_unref (rate);
    g_object_set (encoder, "bitrate", (gint) (settings.audio_bitrate_kbps * 1000), nullptr);
  }
  GstElement *pay = make ("rtpopuspay", "audio-payloader");
  if (!pay)
    return drop ();
  g_object_set (pay, "mtu", 1200, "pt", kAudioPayloadType, nullptr);
  chain.push_back (pay);
  GstElement *tee = make ("tee", "audio-tee");
  if (!tee)
    return drop ();
  g_object_set (tee, "allow-not-linked", TRUE, nullptr);
  chain.push_back (tee);

  GstPad *tee_sink = gst_element_get_static_pad (tee, "sink");
  gst_pad_add_probe (tee_sink, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, output_event_probe, this,
                     nullptr);
  /* A viewer's branch linked to the tee, or linked inside its webrtcbin,
   * sends a reconfigure upstream; opusenc answers each with its caps again
   * and the payloader renegotiates against every viewer's webrtcbin, one of
   * which may be half connected: not-negotiated, and the shared encoder
   * (and the sound source) stops for everyone. Nothing downstream of the
   * payloader ever asks for other caps: keep them from going further. */
  gst_pad_add_probe (
      tee_sink, GST_PAD_PROBE_TYPE_EVENT_UPSTREAM,
      [] (GstPad *, GstPadProbeInfo *info, gpointer) {
        return GST_EVENT_TYPE (GST_PAD_PROBE_INFO_EVENT (info)) == GST_EVENT_RECONFIGURE
                   ? GST_PAD_PROBE_DROP
                   : GST_PAD_PROBE_OK;
      },
      nullptr, nullptr);
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
          owner_, CORE, NEGOTIATION, ("%s", texts::cannot_build_chain ("audio").c_str ()),
          ("failed to link %s to %s", GST_ELEMENT_NAME (prev), GST_ELEMENT_NAME (e)));
      return false;
    }
    prev = e;
  }
  for (auto it = chain.rbegin (); it != chain.rend (); ++it)
    gst_element_sync_state_with_parent (*it);

  std::lock_guard<std::mutex> guard (lock_);
  tee_ = tee;
  audio_encoder_ = encoder;
  GST_INFO_OBJECT (owner_, "built the audio %s for %" GST_PTR_FORMAT,
                   encoder ? "encoder" : "payloader", caps);
  return true;
}

/* Runs on the streaming thread, before the caps event goes further. */
bool StreamEncoder::build_chain (GstCaps *caps)
{
  EncoderSettings settings = callbacks_.settings ();
  {
    std::lock_guard<std::mutex> guard (lock_);
    settings_ = settings;
  }
  return kind_ == MediaKind::Video ? build_video (caps, settings) : build_audio (caps, settings);
}

GstPadProbeReturn StreamEncoder::input_event_probe (GstPad *, GstPadProbeInfo *info, gpointer user)
{
  auto *self = static_cast<StreamEncoder *> (user);
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
  if (gv_clipboard_event_is (event)) {
    const gchar *mime = nullptr;
    GBytes *data = nullptr;
    if (gv_clipboard_event_is_from_host (event) && self->callbacks_.clipboard &&
        gv_clipboard_event_parse (event, &mime, &data, nullptr) &&
        gv_clipboard_mime_is_known (mime))
      self->callbacks_.clipboard (mime, data);
    return GST_PAD_PROBE_DROP; /* the encoders have no use for it */
  }
  if (gv_cursor_event_is (event)) {
    if (self->callbacks_.cursor)
      self->callbacks_.cursor (event);
    return GST_PAD_PROBE_DROP;
  }
  if (gv_shared_event_is (event)) {
    GvShareableSource source;
    std::string by, reason;
    if (self->callbacks_.shared && gv_shared_event_parse (event, source, by, reason))
      self->callbacks_.shared (source, by, reason);
    return GST_PAD_PROBE_DROP;
  }
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
  bool build, resized = false;
  int width = 0, height = 0;
  {
    std::lock_guard<std::mutex> guard (self->lock_);
    if (self->kind_ == MediaKind::Video) {
      GstStructure *s = gst_caps_get_structure (caps, 0);
      gst_structure_get_int (s, "width", &width);
      gst_structure_get_int (s, "height", &height);
      resized = self->chain_built_ && (width != self->width_ || height != self->height_);
      self->width_ = width;
      self->height_ = height;
    }
    build = !self->chain_built_;
    self->chain_built_ = true;
  }
  if (build && !self->build_chain (caps))
    return GST_PAD_PROBE_DROP;
  if (resized) {
    /* What is shared changed size: the scaled layers follow, before the
     * new caps reach them. */
    GST_INFO_OBJECT (self->owner_, "video input now %dx%d", width, height);
    for (int i = 0; i < kCodecSlots * kMaxLayers; i++)
      if (VideoLayer *l = self->layer (i))
        l->follow_input_size (width, height);
  }
  return GST_PAD_PROBE_OK;
}

/* On the (layer 0) tee's sink pad: the end of the stream, once the encoder
 * has drained; for audio also the payloader's caps (subscribers wait for
 * them). */
GstPadProbeReturn StreamEncoder::output_event_probe (GstPad *, GstPadProbeInfo *info, gpointer user)
{
  auto *self = static_cast<StreamEncoder *> (user);
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
  if (GST_EVENT_TYPE (event) == GST_EVENT_EOS) {
    self->mark_ended (gst_event_get_seqnum (event));
    return GST_PAD_PROBE_OK;
  }
  if (GST_EVENT_TYPE (event) != GST_EVENT_CAPS || self->kind_ == MediaKind::Video)
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
