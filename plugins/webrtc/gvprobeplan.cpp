/* GhostView
 * Copyright (C) 2024 GhostView contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "gvprobeplan.h"

#include <algorithm>

namespace gv::webrtc {

/* Nothing above an estimate this close to the maximum is worth a probe. */
static constexpr double kNearMax = 0.95;
static constexpr double kIdleTargetFactor = 2.0;
static constexpr double kBusyTargetFactor = 1.5;
static constexpr double kIdleBelow = 0.75;
/* After a probe the link refused, the next ones ask only a quarter more:
 * on a link that is full they queue ~10 ms; on one that came back they
 * pass, and the climb goes on at full factors. */
static constexpr double kGentleTargetFactor = 1.25;
/* A probe the path carried delivered at least this share of its target. */
static constexpr double kCarried = 0.9;
static constexpr gint64 kAfterCarriedUs = 500 * 1000;
static constexpr gint64 kAfterRefusedUs = 3 * G_USEC_PER_SEC;
static constexpr gint64 kAfterTroubleUs = 2 * G_USEC_PER_SEC;
/* A probe whose result never comes (no feedback at all) is given up. */
static constexpr gint64 kGiveUpUs = 3 * G_USEC_PER_SEC;

void ProbePlan::hold (gint64 now_us)
{
  next_at_us_ = std::max (next_at_us_, now_us + kAfterTroubleUs);
}

guint64 ProbePlan::next (gint64 now_us, guint64 estimate_bps, guint64 sending_bps, guint64 max_bps,
                         bool calm)
{
  if (!calm) {
    hold (now_us);
    return 0;
  }
  if (now_us < next_at_us_ || max_bps == 0 || estimate_bps == 0 ||
      estimate_bps >= kNearMax * max_bps)
    return 0;
  double factor = sending_bps < kIdleBelow * estimate_bps ? kIdleTargetFactor : kBusyTargetFactor;
  if (refused_)
    factor = kGentleTargetFactor;
  double target = std::min ((double) max_bps, factor * estimate_bps);
  return (guint64) target;
}

void ProbePlan::started (gint64 now_us)
{
  sent_++;
  waiting_ = true;
  next_at_us_ = now_us + kGiveUpUs;
}

void ProbePlan::finished (gint64 now_us, guint64 target_bps, guint64 delivered_bps)
{
  if (!waiting_)
    return;
  waiting_ = false;
  bool carried = target_bps > 0 && delivered_bps >= kCarried * target_bps;
  if (carried)
    succeeded_++;
  refused_ = !carried && delivered_bps > 0;
  next_at_us_ = now_us + (carried ? kAfterCarriedUs : kAfterRefusedUs);
}

} // namespace gv::webrtc
