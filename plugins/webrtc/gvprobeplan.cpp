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
/* After a probe the path carried, the next follows 0.5 s later (the climb
 * goes on); after one it refused, 2 s later, at 1.15 times the ceiling the
 * refusal left: on a full link each costs a few hundred bytes of queue, and
 * a link that came back is found within 2 s. */
static constexpr gint64 kAfterCarriedUs = 500 * 1000;
static constexpr gint64 kAfterRefusedUs = 2 * G_USEC_PER_SEC;
static constexpr gint64 kAfterTroubleUs = 2 * G_USEC_PER_SEC;
static constexpr double kCeilingTargetFactor = 1.15;
/* A probe whose result never comes (no feedback at all) is given up. */
static constexpr gint64 kGiveUpUs = 3 * G_USEC_PER_SEC;

void ProbePlan::hold (gint64 now_us)
{
  next_at_us_ = std::max (next_at_us_, now_us + kAfterTroubleUs);
}

guint64 ProbePlan::next (gint64 now_us, guint64 estimate_bps, guint64 sending_bps, guint64 max_bps,
                         bool calm, guint64 ceiling_bps)
{
  if (!calm) {
    hold (now_us);
    return 0;
  }
  if (now_us < next_at_us_ || max_bps == 0 || estimate_bps == 0 ||
      estimate_bps >= kNearMax * max_bps)
    return 0;
  double factor = sending_bps < kIdleBelow * estimate_bps ? kIdleTargetFactor : kBusyTargetFactor;
  double target = factor * estimate_bps;
  if (ceiling_bps > 0)
    target = kCeilingTargetFactor * ceiling_bps;
  return (guint64) std::min ((double) max_bps, target);
}

void ProbePlan::started (gint64 now_us)
{
  sent_++;
  waiting_ = true;
  next_at_us_ = now_us + kGiveUpUs;
}

void ProbePlan::finished (gint64 now_us, guint64 delivered_bps, bool saturated)
{
  if (!waiting_)
    return;
  waiting_ = false;
  const bool carried = delivered_bps > 0 && !saturated;
  if (carried)
    succeeded_++;
  next_at_us_ = now_us + (carried ? kAfterCarriedUs : kAfterRefusedUs);
}

} // namespace gv::webrtc
