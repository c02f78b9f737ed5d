/* GhostView
 * Copyright (C) 2024 GhostView contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "gvlayerplan.h"

#include <algorithm>

namespace gv::webrtc {

/* Layer tops as fractions of B: full size down to a half, half size down
 * to a quarter and up to a third, quarter size up to a sixth. A size takes
 * about four times the bits of the next one down for the same picture:
 * busy content (a page scrolling) at 720p needed 2.1 Mbit/s in VP8, at
 * 360p 0.76, at 180p 0.28 (tests/bench/network). With full size down to a
 * third, a 1 Mbit/s link got 720p at 10 frames/s where 360p plays at 30.
 * Half size stops at a third of B, more bits per pixel than full size gets
 * at B: more only fills a narrow link's queue (a 1 Mbit/s link run at
 * 1 Mbit/s queued 300 ms). A viewer whose link could take more goes up a
 * layer once a probe shows it (gvprobeplan.h). */
static constexpr double kTopShare[kMaxLayers] = { 1.0, 1.0 / 3, 1.0 / 6 };
/* A viewer stays on a layer while its estimate reaches the layer's bottom:
 * full size needs half of B, half size a quarter. Between a sixth and a
 * quarter the quarter size runs at its top, with room to spare: the half
 * size held there (0.33 to 0.5 of a 2 Mbit/s B, a 0.5 Mbit/s link) went out
 * 10 to 35 % over its target for seconds after each cut of the estimate,
 * and each such run of the dip had a freeze of 0.75 to 1.8 s in mid-dip;
 * none of the runs on the quarter size had one (tests/bench/network). */
static constexpr double kBottomShare[kMaxLayers] = { 1.0 / 2, 1.0 / 4, 0 };
/* Below this the quarter-size layer still runs (a frozen picture helps no
 * one more than a blurred one). */
static constexpr guint64 kFloorBps = 30000;
/* Going up needs the estimate this much above the higher layer's bottom. */
static constexpr double kUpMargin = 1.15;
/* Layer 0 leaves out viewers below this share of the best viewer's link. */
static constexpr double kShareOfBest = 0.6;

guint64 LayerPlan::top_bps (int layer) const
{
  layer = std::clamp (layer, 0, kMaxLayers - 1);
  return std::max<guint64> ((guint64) (max_bps * kTopShare[layer]), kFloorBps);
}

guint64 LayerPlan::bottom_bps (int layer) const
{
  if (layer >= layers - 1)
    return kFloorBps;
  layer = std::clamp (layer, 0, kMaxLayers - 1);
  return std::max<guint64> ((guint64) (max_bps * kBottomShare[layer]), kFloorBps);
}

/* The highest layer whose bottom `bps` reaches, with `margin`. */
static int layer_for (const LayerPlan &plan, guint64 bps, double margin, guint64 layer0_bottom)
{
  for (int layer = 0; layer < plan.layers; layer++) {
    guint64 bottom = layer == 0 ? layer0_bottom : plan.bottom_bps (layer);
    if (bps >= bottom * margin || layer == plan.layers - 1)
      return layer;
  }
  return plan.layers - 1;
}

std::vector<int> assign_layers (const LayerPlan &plan, std::vector<LayerViewer> &viewers,
                                gint64 now_us)
{
  std::vector<int> out (viewers.size (), 0);
  if (plan.layers <= 1)
    return out;
  /* The best link among those measured: a viewer without an estimate yet
   * says nothing about its link, and counting it as the host's bitrate
   * pushed a viewer still at its starting estimate off the full size. */
  guint64 best = 0;
  for (const LayerViewer &v : viewers)
    best = std::max (best, std::min (v.estimate_bps, plan.max_bps));
  guint64 layer0_bottom = std::max (plan.bottom_bps (0), (guint64) (best * kShareOfBest));
  for (size_t i = 0; i < viewers.size (); i++) {
    LayerViewer &v = viewers[i];
    int current = std::clamp (v.layer, 0, plan.layers - 1);
    if (!v.estimate_bps) {
      out[i] = current;
      continue;
    }
    int fits = layer_for (plan, v.estimate_bps, 1.0, layer0_bottom);
    out[i] = current;
    if (fits > current) { /* worse: down at once */
      out[i] = fits;
      v.fit = LayerFit ();
      continue;
    }
    /* Each higher layer has its own clock: the estimate reaches every layer
     * from `fits_with_margin` down to the current one. */
    int fits_with_margin = layer_for (plan, v.estimate_bps, kUpMargin, layer0_bottom);
    for (int layer = 0; layer < kMaxLayers; layer++) {
      gint64 &since = v.fit.since_us[layer];
      if (layer >= current || layer < fits_with_margin)
        since = 0;
      else if (!since)
        since = now_us;
    }
    for (int layer = 0; layer < current; layer++)
      if (v.fit.since_us[layer] && now_us - v.fit.since_us[layer] >= plan.up_after_us) {
        out[i] = layer; /* the highest that has fitted long enough */
        /* The clocks of the layers above keep running: an estimate that
         * fitted the full size 1.5 s after the half size goes there 1.5 s
         * after the move to the half size, not 3 s (back from a dip it
         * took 6 s to climb two layers). */
        for (int done = layer; done < kMaxLayers; done++)
          v.fit.since_us[done] = 0;
        break;
      }
  }
  return out;
}

guint64 layer_bitrate (const LayerPlan &plan, int layer, const std::vector<LayerViewer> &viewers,
                       const std::vector<int> &assignment)
{
  guint64 rate = 0;
  bool watched = false;
  for (size_t i = 0; i < viewers.size () && i < assignment.size (); i++) {
    if (assignment[i] != layer)
      continue;
    guint64 estimate = viewers[i].estimate_bps ? viewers[i].estimate_bps : plan.max_bps;
    rate = watched ? std::min (rate, estimate) : estimate;
    watched = true;
  }
  if (!watched)
    return 0;
  guint64 top = plan.layers <= 1 ? plan.max_bps : plan.top_bps (layer);
  return std::clamp (rate, std::min (kFloorBps, top), top);
}

} // namespace gv::webrtc
