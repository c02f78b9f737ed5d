/* GhostView
 * Copyright (C) 2024 GhostView contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * gvwebrtcsink's pictures for viewers on the fallback (signaling/PROTOCOL.md,
 * "Fallback"): JPEG stills made from the raw video, for viewers whose peer
 * connection did not connect, sent over the signalling connection.
 *   raw tee -> queue (leaky, 1 buffer) -> [gate] -> videoscale ->
 *   videoconvert -> capsfilter (at most 1280x720, the input's aspect) ->
 *   jpegenc -> fakesink (its handoffs)
 * The gate passes a frame only when one is due (at most `fps` a second)
 * and some viewer can take a picture now, so nothing is scaled or encoded
 * while no viewer is on the fallback. Built on first use; lives as long as
 * the raw tee.
 */
#pragma once

#include <gst/gst.h>

#include <atomic>
#include <functional>
#include <mutex>

namespace gv::webrtc {

/* The largest picture the fallback sends (smaller inputs keep their size). */
inline constexpr int kFallbackMaxWidth = 1280;
inline constexpr int kFallbackMaxHeight = 720;
/* gvwebrtcsink's `fallback-pictures` by default: pictures per second. */
inline constexpr guint kDefaultFallbackFps = 10;

/* The size a `width`x`height` input is sent at: within the limits above,
 * same aspect, even. */
void fallback_picture_size (int width, int height, int &out_width, int &out_height);

class FallbackFeed {
public:
  struct Callbacks {
    /* Whether some viewer takes a picture now (streaming thread). */
    std::function<bool ()> wants_picture;
    /* One picture (streaming thread): JPEG bytes and its size. */
    std::function<void (GBytes *jpeg, guint width, guint height)> picture;
  };

  /* `owner` is the bin the chain lives in and errors are posted from. */
  FallbackFeed (GstElement *owner, Callbacks callbacks);
  ~FallbackFeed ();
  FallbackFeed (const FallbackFeed &) = delete;
  FallbackFeed &operator= (const FallbackFeed &) = delete;

  /* Adds the chain to the owner, from `raw_tee`; false (an error posted)
   * when an element is missing. From a thread that may change the bin. */
  bool build (GstElement *raw_tee);
  /* Pictures a second at most (0 stops them). Any thread. */
  void set_fps (guint fps) { fps_ = fps; }
  guint64 pictures () const { return pictures_; }

private:
  static GstPadProbeReturn gate_probe (GstPad *, GstPadProbeInfo *info, gpointer self);
  static GstPadProbeReturn caps_probe (GstPad *, GstPadProbeInfo *info, gpointer self);
  static void on_handoff (GstElement *sink, GstBuffer *buffer, GstPad *pad, gpointer self);
  void follow_input_size (const GstCaps *caps);

  GstElement *const owner_;
  const Callbacks callbacks_;
  std::atomic<guint> fps_{ kDefaultFallbackFps };
  std::atomic<guint64> pictures_{ 0 };
  std::mutex lock_;
  /* References, so the destructor can take its probes and handler off. */
  GstPad *queue_sink_ = nullptr;
  GstPad *queue_src_ = nullptr;
  GstElement *sink_ = nullptr;
  gulong caps_probe_id_ = 0, gate_probe_id_ = 0;
  GstElement *size_filter_ = nullptr; /* a reference; under lock_ */
  gint64 next_due_us_ = 0;            /* streaming thread only */
};

} // namespace gv::webrtc
