/* GhostView
 * Copyright (C) 2024 GhostView contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * When to probe a viewer's link, and how hard. The estimate alone climbs
 * 15 % a second and never past 1.5 times what the viewer received: a viewer
 * held on a small layer (its encoder sends less than the estimate), or one
 * whose link just came back from a dip, would wait for ever or for tens of
 * seconds. A probe is a short cluster (kProbeDurationMs) of extra packets
 * that brings what the viewer gets to a target rate; the estimator reads
 * what the path delivered (BandwidthEstimator::probe_sent ()).
 *
 *   - never while the estimate is at the host's maximum (nothing to find),
 *     nor while the link is not calm (a decrease, or loss of 2 % or more),
 *     nor within 2 s of that;
 *   - nor within 2 s of a move between layers (its keyframe is a burst of
 *     its own);
 *   - the target is twice the estimate when the media sends less than 3/4
 *     of it (a small layer: the link is idle, not known), one and a half
 *     times otherwise (the media already tests the estimate), at most the
 *     maximum;
 *   - after a probe the path carried (delivered what it was sent), the next
 *     one follows 0.5 s later (back to a fast link within a few seconds);
 *     after one it refused, 2 s later;
 *   - while the estimator holds a ceiling (each refused probe measured the
 *     link: gvbandwidthestimator.h), the probe asks only whether the link
 *     now takes more than that: 1.15 times the ceiling. It adds a few
 *     hundred bytes to the link's queue, where twice the estimate offered
 *     more than a 0.5 Mbit/s link's 100 ms queue holds. (A refusal after a
 *     probe without a ceiling used to wait 3 s, then 6: in the dip a ceiling
 *     probe that passed through the link's token bucket cleared the
 *     ceiling, and the refusal after it held the climb back 1 s longer.)
 * Pure arithmetic on times in microseconds: tested on its own.
 */
#pragma once

#include <glib.h>

namespace gv::webrtc {

/* How long one probe cluster lasts: long enough for a rate (5 packets and
 * more at any target worth probing), short enough that a link that cannot
 * take the target queues only a few tens of milliseconds. */
inline constexpr guint kProbeDurationMs = 50;

/* A probe lasts kProbeDurationMs, or longer on a slow link, so that it holds
 * the six packets (of `packet_bytes` on average) a rate needs: at 0.6 Mbit/s
 * 50 ms is three. At most 150 ms. */
inline guint probe_duration_ms (guint64 target_bps, double packet_bytes)
{
  if (target_bps == 0)
    return kProbeDurationMs;
  const double needed_ms = 6 * packet_bytes * 8 * 1000 / (double) target_bps;
  return (guint) CLAMP (needed_ms, (double) kProbeDurationMs, 150.0);
}

class ProbePlan {
public:
  /* The target of a probe to start now (bit/s), or 0 for none. */
  guint64 next (gint64 now_us, guint64 estimate_bps, guint64 sending_bps, guint64 max_bps,
                bool calm, guint64 ceiling_bps = 0);
  /* Something else bursts now (a layer move's keyframe): no probe for a
   * while. */
  void hold (gint64 now_us);
  /* A probe was sent now. */
  void started (gint64 now_us);
  /* The estimator evaluated a probe: what the path delivered (0: nothing
   * could be told) and whether that was less than it was sent (the link is
   * full: the probe was refused). */
  void finished (gint64 now_us, guint64 delivered_bps, bool saturated);

  guint64 sent () const { return sent_; }
  guint64 succeeded () const { return succeeded_; }

private:
  gint64 next_at_us_ = 0;
  bool waiting_ = false;
  guint64 sent_ = 0, succeeded_ = 0;
};

} // namespace gv::webrtc
