/* GhostView
 * Copyright (C) 2024 GhostView contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "gvpaceschedule.h"

#include <algorithm>

namespace gv::webrtc {

gint64 PaceSchedule::release_us (gint64 arrival_us, gint64 now_us) const
{
  if (rate_bps_ == 0 || last_release_us_ == G_MININT64)
    return now_us;
  const gint64 gap_us = (gint64) (last_bytes_ * 8 * G_USEC_PER_SEC / rate_bps_);
  gint64 t = std::min (last_release_us_ + gap_us, arrival_us + max_delay_us_);
  return std::max (t, now_us - kCreditUs);
}

void PaceSchedule::sent (gsize bytes, gint64 release_us)
{
  last_release_us_ = release_us;
  last_bytes_ = bytes;
}

} // namespace gv::webrtc
