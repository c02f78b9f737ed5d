/* GhostView
 * Copyright (C) 2024 GhostView contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * When each packet of a paced stream may leave (gvpacer's rule, apart from
 * the element so a unit test runs it on simulated time). Packets leave one
 * after another at the rate: the gap after a packet is its size at the
 * rate of the moment (a rate change applies to the packet waiting now,
 * not from the next one). The schedule may run up to kCreditUs behind
 * the clock, so a packet after a quiet spell leaves at once and wake-up
 * delays do not add up to a lower rate. No packet waits longer than the
 * maximum delay after it arrived: when more comes than the rate carries,
 * packets leave faster rather than later.
 */
#pragma once

#include <glib.h>

namespace gv::webrtc {

class PaceSchedule {
public:
  /* How far behind the clock the schedule may fall. */
  static constexpr gint64 kCreditUs = 5000;

  /* bit/s; 0: not paced (every packet leaves when it comes). */
  void set_rate (guint64 bps) { rate_bps_ = bps; }
  guint64 rate () const { return rate_bps_; }
  void set_max_delay_us (gint64 us) { max_delay_us_ = us; }
  gint64 max_delay_us () const { return max_delay_us_; }

  /* When the next packet, which arrived at `arrival_us`, may leave: a time
   * at or before `now_us` means now (hand that time to sent ()). All times
   * in µs of one monotonic clock. */
  gint64 release_us (gint64 arrival_us, gint64 now_us) const;
  /* The packet of `bytes` left at `release_us` (what release_us said). */
  void sent (gsize bytes, gint64 release_us);
  /* Forgets what was sent (after a flush). */
  void reset () { last_release_us_ = G_MININT64, last_bytes_ = 0; }

private:
  guint64 rate_bps_ = 0;
  gint64 max_delay_us_ = 250000;
  gint64 last_release_us_ = G_MININT64;
  gsize last_bytes_ = 0;
};

} // namespace gv::webrtc
