/* GhostView
 * Copyright (C) 2024 GhostView contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * One input stream of gvwebrtcsink, encoded once for all viewers, built
 * when the input's caps are known. The encoder knows nothing of its
 * viewers: they take pads of its tees.
 *   audio: sink pad -> identity -> [audioconvert ! ... ! opusenc] ->
 *          rtpopuspay -> tee (RTP, shared)
 *   video: sink pad -> identity -> tee (raw) -> one VideoLayer per quality
 *          layer in use (gvvideolayer.h), each with a tee of encoded
 *          frames that viewers payload themselves; encoded input is one
 *          layer, passed through.
 *
 * Raw video is offered in two codecs when a fallback is set: the
 * configured one (codec slot 0, payload type 96) and the fallback (slot 1,
 * payload type 97). Each viewer's answer picks one; each codec has its own
 * ladder of layers, encoded only while a viewer of that codec watches it.
 * A layer's index counts across codecs: slot * kMaxLayers + size layer.
 */
#pragma once

#include "gvlayerplan.h"
#include "gvvideolayer.h"
#include "gvwebrtcsink.h"

#include <gst/gst.h>

#include "../capture/gvcursorevent.h"
#include "../capture/gvsharedsource.h"

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

namespace gv::webrtc {

enum class MediaKind { Video = 0, Audio = 1 };

/* Transport-wide congestion control's RTP header extension, and its id in
 * our offers. */
inline constexpr const char *kTwccUri =
    "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01";
inline constexpr guint kTwccExtensionId = 1;
inline constexpr int kMediaKinds = 2;
const char *media_kind_name (MediaKind kind);

/* Codecs raw video may be offered in: the configured one and a fallback. */
inline constexpr int kCodecSlots = 2;
inline constexpr int layer_index (int slot, int size)
{
  return slot * kMaxLayers + size;
}
inline constexpr int layer_slot (int index)
{
  return index / kMaxLayers;
}
inline constexpr int layer_size (int index)
{
  return index % kMaxLayers;
}
/* The RTP payload type a codec slot is offered and sent with. */
inline constexpr guint slot_payload_type (int slot)
{
  return 96 + (guint) slot;
}
/* The RTP payload type of the shared Opus stream. */
inline constexpr guint kAudioPayloadType = 111;
/* "VP8", "VP9", "H264": the codec's RTP encoding name. */
const char *encoding_name (GvWebRTCSinkCodec codec);

/* The element's settings a chain is built with. */
struct EncoderSettings {
  GvWebRTCSinkCodec codec = GV_WEBRTC_SINK_CODEC_VP8;
  /* For viewers that cannot decode `codec` (raw input only). */
  GvWebRTCSinkFallbackCodec fallback_codec = GV_WEBRTC_SINK_FALLBACK_VP8;
  guint bitrate_kbps = 2000;
  guint audio_bitrate_kbps = 64;
  guint keyframe_distance = 3000;
  /* Keyframe requests (new viewers, PLI/FIR from any viewer): two at once,
   * then one per this interval (gvvideolayer.h). */
  guint keyframe_min_interval_ms = 500;
  /* How many video quality layers there may be (gvlayerplan.h). */
  int video_layers = kMaxLayers;
};

/* Where a subscriber takes a stream from. Holds references.
 * Audio: RTP from the shared payloader's tee; `caps` are its fixed caps.
 * Video: encoded frames of layer 0's tee; each viewer payloads them itself
 * in the codec its answer picked, and `caps` are the RTP caps to offer:
 * one structure per codec slot (`codecs`), in order of preference. */
struct StreamFeed {
  MediaKind kind = MediaKind::Video;
  GstElement *tee = nullptr;
  GstCaps *caps = nullptr;
  std::vector<GvWebRTCSinkCodec> codecs; /* video: by codec slot */

  StreamFeed () = default;
  StreamFeed (MediaKind k, GstElement *t, GstCaps *c, std::vector<GvWebRTCSinkCodec> codecs);
  StreamFeed (const StreamFeed &other);
  StreamFeed &operator= (const StreamFeed &other) = delete;
  ~StreamFeed ();
};

/* A viewer's own video payloader for `codec` (payload type `pt`, MTU 1200,
 * the transport-wide congestion control extension as `twcc_id`, 0: none);
 * nullptr (an error posted on `owner`) when missing. */
GstElement *make_video_payloader (GvWebRTCSinkCodec codec, guint pt, guint twcc_id,
                                  GstElement *owner);

class StreamEncoder {
public:
  struct Callbacks {
    std::function<EncoderSettings ()> settings; /* read when the chain is built */
    std::function<void ()> ready;               /* viewers may subscribe now */
    std::function<void (guint32 seqnum)> ended; /* EOS went through the whole chain */
    /* Clipboard content the host copied (a "gv-clipboard" event from
     * gvinputinject, consumed here: gvclipboardevent.h). */
    std::function<void (const char *mime, GBytes *data)> clipboard;
    /* What is shared changed (a "gv-shared" event from gvscreensrc,
     * consumed here: gvsharedsource.h). */
    std::function<void (const GvShareableSource &source, const std::string &by,
                        const std::string &reason)>
        shared;
    /* The pointer ("gv-cursor" / "gv-cursor-shape" from gvscreensrc,
     * consumed here: gvcursorevent.h). */
    std::function<void (GstEvent *event)> cursor;
  };

  /* `owner` is the bin the chain lives in and the element errors are
   * posted from. */
  StreamEncoder (MediaKind kind, GstElement *owner, Callbacks callbacks);
  ~StreamEncoder ();
  StreamEncoder (const StreamEncoder &) = delete;
  StreamEncoder &operator= (const StreamEncoder &) = delete;

  MediaKind kind () const { return kind_; }
  /* Makes the element's request pad for this stream (one per stream). */
  GstPad *add_input (const char *name, GstPadTemplate *templ);
  /* Forgets the pad the element is releasing; false if it is not ours. */
  bool release_input (GstPad *pad);
  bool has_input () const;
  /* Viewers may subscribe (the caps to offer are known). */
  bool ready () const;
  bool ended () const;
  /* What a new viewer subscribes to; empty until ready. */
  std::optional<StreamFeed> feed () const;
  /* Video: the input's size, for the coordinates of input events. */
  void video_size (int &width, int &height) const;
  /* Pushes an event upstream of the element's pad (navigation, release-all). */
  bool push_upstream (GstEvent *event);
  /* Asks upstream (gv_sources_query_new and the like); false when no one
   * answered. */
  bool query_upstream (GstQuery *query);
  void apply_settings (const EncoderSettings &settings);
  /* The pipeline went to READY: caps and end of stream are forgotten. */
  void reset ();

  /* ---- video layers ---- */
  /* How many sizes viewers may use (per codec): 1 for encoded input. */
  int layer_count () const;
  /* How many codecs video is offered in: 2 with a fallback, else 1. */
  int codec_count () const;
  /* A viewer starts watching `layer` (an index across codecs: layer_index
   * ()), built on first use; call from a thread that may change the bin,
   * not a streaming thread. The layer's encoded tee (a new reference), or
   * nullptr. */
  GstElement *watch_layer (int layer);
  void unwatch_layer (int layer);
  /* A keyframe from the layer's encoder (or upstream, for encoded input),
   * coalesced per layer (keyframe_min_interval_ms). */
  void request_keyframe (int layer);
  KeyframeCounters keyframe_counters () const;
  /* Sets the layer's encoder bitrate (kbit/s; ignored when 0). */
  void set_layer_bitrate (int layer, guint kbps);
  /* The bitrate a layer is encoded at now, kbit/s; 0 when not encoding. */
  guint layer_bitrate (int layer) const;
  /* Layers being encoded now. */
  int encoders_running () const;
  /* Video: the raw frames' tee (a new reference), for branches of the
   * element's own (the fallback's pictures); nullptr for encoded input or
   * before the chain is built. */
  GstElement *ref_raw_tee () const;

private:
  static GstPadProbeReturn input_event_probe (GstPad *, GstPadProbeInfo *info, gpointer self);
  static GstPadProbeReturn output_event_probe (GstPad *, GstPadProbeInfo *info, gpointer self);
  bool build_chain (GstCaps *caps);
  bool build_video (GstCaps *caps, const EncoderSettings &settings);
  bool build_audio (GstCaps *caps, const EncoderSettings &settings);
  GstElement *make (const char *factory, const char *name = nullptr);
  void mark_ended (guint32 seqnum);
  LayerSettings layer_settings_locked (int layer) const;
  VideoLayer *layer (int index) const;

  const MediaKind kind_;
  GstElement *const owner_;
  const Callbacks callbacks_;

  mutable std::mutex lock_;
  GstPad *pad_ = nullptr;       /* the element's ghost sink pad */
  GstElement *input_ = nullptr; /* identity the ghost pad targets */
  GstElement *tee_ = nullptr;   /* audio: RTP; video: layer 0's encoded frames */
  GstCaps *rtp_caps_ = nullptr;
  bool chain_built_ = false;
  bool ended_ = false;
  int width_ = 0, height_ = 0;
  EncoderSettings settings_; /* as last applied */
  /* audio */
  GstElement *audio_encoder_ = nullptr; /* null for Opus input */
  /* video */
  GvWebRTCSinkCodec codecs_[kCodecSlots] = { GV_WEBRTC_SINK_CODEC_VP8, GV_WEBRTC_SINK_CODEC_VP8 };
  int codec_count_ = 1;
  GstElement *raw_tee_ = nullptr; /* null for encoded input */
  std::unique_ptr<VideoLayer> layers_[kCodecSlots * kMaxLayers];
};

} // namespace gv::webrtc
