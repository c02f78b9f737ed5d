/* GhostView
 * Copyright (C) 2024 GhostView contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * One input stream of gvwebrtcsink, encoded once for every viewer:
 *   sink pad -> identity -> [convert ! encoder] -> payloader -> tee
 * built when the input's caps are known. Viewers subscribe by taking a pad
 * of the tee (a StreamFeed); the encoder knows nothing of them. Video is
 * encoded to VP8, VP9 or H.264, audio to Opus; encoded input is payloaded
 * as is.
 */
#pragma once

#include "gvwebrtcsink.h"

#include <gst/gst.h>

#include <functional>
#include <mutex>
#include <optional>

namespace gv::webrtc {

enum class MediaKind { Video = 0, Audio = 1 };

/* Transport-wide congestion control's RTP header extension, and its id in
 * our offers. */
inline constexpr const char *kTwccUri =
    "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01";
inline constexpr guint kTwccExtensionId = 1;
inline constexpr int kMediaKinds = 2;
const char *media_kind_name (MediaKind kind);

/* The element's settings a chain is built with. */
struct EncoderSettings {
  GvWebRTCSinkCodec codec = GV_WEBRTC_SINK_CODEC_VP8;
  guint bitrate_kbps = 2000;
  guint audio_bitrate_kbps = 64;
  guint keyframe_distance = 3000;
  /* Keyframe requests (new viewers, PLI/FIR from any viewer) closer than
   * this are served by one keyframe at the end of the interval. */
  guint keyframe_min_interval_ms = 500;
};

/* What became of the keyframe requests of a stream. */
struct KeyframeCounters {
  guint64 requested = 0; /* by viewers (PLI/FIR) and by the element */
  guint64 forced = 0;    /* keyframes asked of the encoder */
};

/* Where a subscriber takes a stream's RTP from. Holds references. */
struct StreamFeed {
  MediaKind kind = MediaKind::Video;
  GstElement *tee = nullptr;
  GstCaps *caps = nullptr; /* fixed RTP caps of the payloader */

  StreamFeed () = default;
  StreamFeed (MediaKind k, GstElement *t, GstCaps *c);
  StreamFeed (const StreamFeed &other);
  StreamFeed &operator= (const StreamFeed &other) = delete;
  ~StreamFeed ();
};

class StreamEncoder {
public:
  struct Callbacks {
    std::function<EncoderSettings ()> settings; /* read when the chain is built */
    std::function<void ()> ready;               /* the first RTP caps are known */
    std::function<void (guint32 seqnum)> ended; /* EOS went through the whole chain */
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
  /* The RTP caps are known (and nobody waits for them any more). */
  bool ready () const;
  bool ended () const;
  /* What a new viewer subscribes to; empty until ready. */
  std::optional<StreamFeed> feed () const;
  /* Video: the input's size, for the coordinates of input events. */
  void video_size (int &width, int &height) const;
  /* Pushes an event upstream of the element's pad (navigation, release-all). */
  bool push_upstream (GstEvent *event);
  /* A keyframe from the shared encoder (or upstream, for encoded input),
   * at most one per keyframe_min_interval_ms: requests in between are
   * served together at the end of the interval. */
  void request_keyframe ();
  KeyframeCounters keyframe_counters () const;
  void apply_settings (const EncoderSettings &settings);
  /* Video: what the viewers' links take, bit/s (0: no limit). The encoder
   * runs at the smaller of this and the configured bitrate; returns the
   * bitrate it runs at now, kbit/s. */
  guint limit_bitrate (guint64 bps);
  /* Video: the bitrate the encoder runs at, kbit/s (0 before it exists). */
  guint encoder_bitrate_kbps () const;
  /* The pipeline went to READY: caps and end of stream are forgotten. */
  void reset ();

private:
  static GstPadProbeReturn input_event_probe (GstPad *, GstPadProbeInfo *info, gpointer self);
  static GstPadProbeReturn output_event_probe (GstPad *, GstPadProbeInfo *info, gpointer self);
  static GstPadProbeReturn viewer_request_probe (GstPad *, GstPadProbeInfo *info, gpointer self);
  static GstPadProbeReturn pending_keyframe_probe (GstPad *, GstPadProbeInfo *info, gpointer self);
  /* Whether a request now may go to the encoder; if not, it is kept. */
  bool admit_keyframe_request ();
  void force_keyframe ();
  bool build_chain (GstCaps *caps);
  bool video_elements (GstCaps *caps, const EncoderSettings &settings,
                       std::vector<GstElement *> &chain);
  bool audio_elements (GstCaps *caps, const EncoderSettings &settings,
                       std::vector<GstElement *> &chain);
  GstElement *make (const char *factory, const char *name = nullptr);
  void mark_ended (guint32 seqnum);

  const MediaKind kind_;
  GstElement *const owner_;
  const Callbacks callbacks_;

  mutable std::mutex lock_;
  GstPad *pad_ = nullptr;         /* the element's ghost sink pad */
  GstElement *input_ = nullptr;   /* identity the ghost pad targets */
  GstElement *encoder_ = nullptr; /* null for encoded input */
  GstElement *payloader_ = nullptr;
  GstElement *tee_ = nullptr;
  GstCaps *rtp_caps_ = nullptr;
  bool h264_ = false;
  bool chain_built_ = false;
  bool ended_ = false;
  int width_ = 0, height_ = 0;
  /* bitrate, under lock_ */
  guint configured_kbps_ = 0; /* the element's bitrate property */
  guint64 limit_bps_ = 0;     /* from the viewers' estimates; 0: none */
  guint running_kbps_ = 0;    /* what the encoder was last set to */
  void set_encoder_bitrate_locked ();
  /* keyframe requests, under lock_ */
  guint keyframe_min_interval_ms_ = 500;
  gint64 last_keyframe_us_ = 0; /* when one was last asked of the encoder */
  bool keyframe_pending_ = false;
  KeyframeCounters keyframes_;
};

} // namespace gv::webrtc
