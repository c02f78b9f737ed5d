/* GhostView
 * Copyright (C) 2024 GhostView contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Which video layer one viewer watches, and the move between layers. The
 * viewer's video branch starts with a funnel; each layer it watches is a
 * tee pad linked into the funnel, and a probe lets through only the layer
 * in use. A move subscribes to the new layer and lets the old one go on
 * until the new layer's first keyframe: from that frame on the viewer sees
 * the new layer, so it never gets a frame it cannot decode. The viewer's
 * own payloader after the funnel keeps one RTP stream across moves.
 *
 * Everything but the probe runs on the viewer's task queue.
 */
#pragma once

#include <gst/gst.h>

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

namespace gv::webrtc {

class LayerSwitch : public std::enable_shared_from_this<LayerSwitch> {
public:
  struct Callbacks {
    /* Starts watching a layer: its tee of encoded frames (a reference), or
     * nullptr. */
    std::function<GstElement *(int layer)> watch;
    std::function<void (int layer)> unwatch;
    /* Runs a task on the viewer's queue. */
    std::function<void (std::function<void ()>)> post;
  };

  /* `funnel` belongs to the viewer's branch (not a reference). */
  LayerSwitch (GstElement *funnel, GstObject *log_object, Callbacks callbacks);
  ~LayerSwitch ();
  LayerSwitch (const LayerSwitch &) = delete;
  LayerSwitch &operator= (const LayerSwitch &) = delete;

  /* Moves to `layer` (the first call starts there). */
  void switch_to (int layer);
  /* Lets go of every layer. */
  void stop ();
  /* The layer the viewer sees (-1 before the first keyframe), and the one
   * it is moving to (-1 when not moving). Any thread. */
  int active () const { return active_; }
  int pending () const { return pending_; }
  /* Where the viewer is or is going. */
  int target () const;
  guint64 moves () const { return moves_; }

private:
  struct Subscription {
    int layer;
    GstElement *tee; /* a reference */
    GstPad *tee_pad;
    GstPad *funnel_pad;
  };
  struct ProbeData;
  static GstPadProbeReturn gate (GstPad *, GstPadProbeInfo *info, gpointer data);
  void subscribe (int layer);
  void release (Subscription &sub);
  /* Lets go of the layers not in use (after a move). */
  void release_others ();

  GstElement *const funnel_;
  GstObject *const log_object_;
  const Callbacks callbacks_;
  std::mutex lock_; /* subs_ */
  std::vector<Subscription> subs_;
  std::atomic<int> active_{ -1 }, pending_{ -1 };
  std::atomic<guint64> moves_{ 0 };
};

} // namespace gv::webrtc
