/* GhostView
 * Copyright (C) 2024 GhostView contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * One layer of gvwebrtcsink's video ladder: the input scaled down (layers
 * 1 and 2), encoded once for every viewer that watches it, and offered on a
 * tee of encoded frames; each viewer payloads them itself (so it keeps one
 * continuous RTP stream when it moves between layers). A layer with nobody
 * watching is not encoded (its valve is shut). Keyframe requests are
 * coalesced per layer: two in quick succession (a keyframe lost on its
 * way, or late at the viewer, is asked for again: a source switch waited
 * 500 ms for it before), the second at least 150 ms after the first (a
 * request sooner was sent before the viewer could see the first), then one
 * per keyframe_min_interval_ms, so one viewer asking on every loss cannot
 * flood the others with keyframes.
 *
 *   raw tee -> queue -> valve -> [videoscale ! capsfilter] -> videoconvert
 *           -> encoder [-> capsfilter -> h264parse] -> tee
 * or, for encoded input (one layer only): input [-> h264parse] -> tee
 */
#pragma once

#include "gvwebrtcsink.h"
#include "token_bucket.h"

#include <gst/gst.h>

#include <mutex>
#include <vector>

namespace gv::webrtc {

/* What became of the keyframe requests of a layer. */
struct KeyframeCounters {
  guint64 requested = 0; /* by viewers (PLI/FIR) and by the element */
  guint64 forced = 0;    /* keyframes asked of the encoder */

  KeyframeCounters &operator+= (const KeyframeCounters &other)
  {
    requested += other.requested;
    forced += other.forced;
    return *this;
  }
};

struct LayerSettings {
  GvWebRTCSinkCodec codec = GV_WEBRTC_SINK_CODEC_VP8;
  guint bitrate_kbps = 2000;
  guint keyframe_distance = 3000;
  guint keyframe_min_interval_ms = 500;
  int width = 0, height = 0; /* the input's size; the layer divides it */
  int divisor = 1;
};

class VideoLayer {
public:
  VideoLayer (int index, GstElement *owner) : index_ (index), owner_ (owner) {}
  VideoLayer (const VideoLayer &) = delete;
  VideoLayer &operator= (const VideoLayer &) = delete;

  /* Builds the layer from raw video: its elements are added to the owner
   * bin, fed from a new pad of `raw_tee`, and brought to the bin's state.
   * Returns false (an error posted) when an element is missing. */
  bool build_encoding (GstElement *raw_tee, const LayerSettings &settings);
  /* Builds the only layer of encoded input, after `input`. */
  bool build_passthrough (GstElement *input, GvWebRTCSinkCodec codec);
  /* The elements to add to the bin before linking (build_* only make). */
  int index () const { return index_; }
  /* Where the encoded frames are; nullptr until built. */
  GstElement *tee () const;
  /* Watching: the first viewer opens the valve, the last one shuts it. */
  void watch ();
  void unwatch ();
  int watchers () const;

  void request_keyframe ();
  KeyframeCounters keyframe_counters () const;
  void set_keyframe_min_interval (guint ms);
  /* The encoder's bitrate; kbit/s. */
  /* The picture coming in is now `width` x `height` (what is shared
   * changed): a scaled layer keeps its divisor of it. */
  void follow_input_size (int width, int height);
  void set_bitrate_kbps (guint kbps);
  guint bitrate_kbps () const;
  bool encodes () const;

private:
  static GstPadProbeReturn viewer_request_probe (GstPad *, GstPadProbeInfo *info, gpointer self);
  static GstPadProbeReturn pending_keyframe_probe (GstPad *, GstPadProbeInfo *info, gpointer self);
  bool admit_keyframe_request ();
  void force_keyframe ();
  GstElement *make (const char *factory);
  bool add_and_link (GstElement *first_upstream, std::vector<GstElement *> &chain);
  void watch_tee ();

  const int index_;
  GstElement *const owner_;
  mutable std::mutex lock_;
  GstElement *valve_ = nullptr;
  GstElement *encoder_ = nullptr;
  GstElement *tee_ = nullptr;
  GstElement *size_filter_ = nullptr; /* scaled layers: the capsfilter naming their size */
  int divisor_ = 1;
  GstPad *keyframe_target_ = nullptr; /* the src pad before the tee; a reference */
  bool h264_ = false;
  int watchers_ = 0;
  guint bitrate_kbps_ = 0;
  guint top_kbps_ = 0; /* the bitrate it was built with: the layer's top */
  guint keyframe_min_interval_ms_ = 500;
  /* Keyframes a viewer's request may have now: kKeyframeBurst, refilled
   * one per keyframe_min_interval_ms_. */
  gv::TokenBucket keyframe_tokens_{ 2, 2 };
  bool keyframe_pending_ = false;
  gint64 last_keyframe_us_ = 0; /* when a keyframe was last asked of the encoder */
  /* Under lock_: a request may have a keyframe now (takes it). */
  bool take_keyframe_locked (gint64 now_us);
  void set_keyframe_interval_locked (guint ms);
  KeyframeCounters keyframes_;

public:
  ~VideoLayer ();
};

} // namespace gv::webrtc
