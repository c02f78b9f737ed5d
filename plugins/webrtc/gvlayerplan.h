/* GhostView
 * Copyright (C) 2024 GhostView contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The video quality ladder: which layer each viewer watches, and at what
 * bitrate each layer is encoded. Pure arithmetic on the viewers' bandwidth
 * estimates, so it is tested on its own (tests/check/webrtc).
 *
 * With B the configured bitrate:
 *   layer 0: full size,    from half of B up to B
 *   layer 1: half size,    from a quarter of B up to a third of B
 *   layer 2: quarter size, below a quarter of B, at most a sixth of B
 * A viewer goes down at once when its estimate no longer fits its layer,
 * and up only after its estimate has fitted a higher layer (with a 15 %
 * margin) for a few seconds, so it does not flap; then straight to the
 * highest layer it has fitted that long (back from a dip, a quarter-size
 * viewer whose link fits the full size goes there in one move, one
 * keyframe, instead of a move and 3 s more per layer). Layer 0 also leaves out a
 * viewer whose link takes less than 60 % of the best viewer's: that viewer
 * would hold everyone on layer 0 down to its rate. Within a layer the
 * encoder runs at the smallest estimate of its viewers, capped by the
 * layer's top.
 */
#pragma once

#include <glib.h>

#include <vector>

namespace gv::webrtc {

inline constexpr int kMaxLayers = 3;

struct LayerPlan {
  guint64 max_bps = 2000000; /* the host's configured bitrate, B */
  int layers = kMaxLayers;   /* 1 to 3; 1: one encoder follows the narrowest link */
  gint64 up_after_us = 3 * G_USEC_PER_SEC;

  /* How many times smaller than the input layer `layer` is encoded. */
  static int divisor (int layer) { return 1 << layer; }
  /* The top and bottom of a layer's bitrate range. */
  guint64 top_bps (int layer) const;
  guint64 bottom_bps (int layer) const;
};

/* Since when a viewer's estimate has fitted each layer above its own (with
 * the margin); 0: it does not. */
struct LayerFit {
  gint64 since_us[kMaxLayers] = {};
};

/* One viewer, as the plan sees it. */
struct LayerViewer {
  guint64 estimate_bps = 0; /* 0: no estimate yet (watches layer 0 at B) */
  int layer = 0;            /* where it is now */
  LayerFit fit;
};

/* The layer each viewer should watch now (same order as `viewers`); updates
 * each viewer's fit. */
std::vector<int> assign_layers (const LayerPlan &plan, std::vector<LayerViewer> &viewers,
                                gint64 now_us);

/* The bitrate layer `layer` is encoded at for the viewers given their
 * assignment; 0 when nobody watches it. */
guint64 layer_bitrate (const LayerPlan &plan, int layer, const std::vector<LayerViewer> &viewers,
                       const std::vector<int> &assignment);

} // namespace gv::webrtc
