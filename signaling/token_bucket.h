/* GhostView
 * Copyright (C) 2024 GhostView contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The one token bucket of the project: the server's rate limits, the input
 * channel's flood limit (gvwebrtcsink) and gvinputinject's. Header-only so a
 * plugin can use it without linking the server library. Time is passed in
 * (microseconds, any monotonic origin) so tests can drive it. Not thread
 * safe: its owner locks.
 */
#pragma once

#include <glib.h>

#include <algorithm>

namespace gv {

class TokenBucket {
public:
  /* Starts full: `burst` tokens, refilled at `per_second`. */
  TokenBucket (double burst, double per_second)
      : burst_ (burst), rate_ (per_second), tokens_ (burst)
  {}

  /* True when a whole token is available at `now_us`. */
  bool has_token (gint64 now_us)
  {
    refill (now_us);
    return tokens_ >= 1.0;
  }
  /* Takes one token if available. */
  bool try_take (gint64 now_us)
  {
    if (!has_token (now_us))
      return false;
    tokens_ -= 1.0;
    return true;
  }
  /* Takes one token, going no lower than zero. */
  void spend (gint64 now_us)
  {
    refill (now_us);
    tokens_ = std::max (0.0, tokens_ - 1.0);
  }
  /* Full again: nothing to remember. */
  bool is_full (gint64 now_us)
  {
    refill (now_us);
    return tokens_ >= burst_;
  }
  /* Full, with a new burst and rate. */
  void reset (double burst, double per_second)
  {
    burst_ = burst;
    rate_ = per_second;
    tokens_ = burst;
    last_us_ = -1;
  }

private:
  void refill (gint64 now_us)
  {
    if (last_us_ >= 0 && now_us > last_us_)
      tokens_ = std::min (burst_, tokens_ + (double) (now_us - last_us_) / G_USEC_PER_SEC * rate_);
    if (now_us > last_us_)
      last_us_ = now_us;
  }

  double burst_;
  double rate_;
  double tokens_;
  gint64 last_us_ = -1;
};

} // namespace gv
