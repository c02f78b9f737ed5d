/* GhostView
 * Copyright (C) 2024 GhostView contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "gvmediawatch.h"

namespace gv::webrtc {

void MediaWatch::set_timeout (guint timeout_s)
{
  std::lock_guard<std::mutex> guard (lock_);
  timeout_s_ = timeout_s;
}

guint MediaWatch::timeout () const
{
  std::lock_guard<std::mutex> guard (lock_);
  return timeout_s_;
}

void MediaWatch::on_signalling_lost ()
{
  std::lock_guard<std::mutex> guard (lock_);
  signalling_lost_ = true;
}

void MediaWatch::on_ended ()
{
  std::lock_guard<std::mutex> guard (lock_);
  ended_ = true;
}

void MediaWatch::restart (gint64 now_us)
{
  if (last_media_us_.load (std::memory_order_relaxed) != 0)
    last_media_us_.store (now_us, std::memory_order_relaxed);
}

guint MediaWatch::stalled_s (gint64 now_us) const
{
  gint64 last = last_media_us_.load (std::memory_order_relaxed);
  if (last == 0 || now_us <= last)
    return 0;
  return static_cast<guint> ((now_us - last) / G_USEC_PER_SEC);
}

bool MediaWatch::signalling_lost () const
{
  std::lock_guard<std::mutex> guard (lock_);
  return signalling_lost_;
}

MediaWatch::Verdict MediaWatch::check (gint64 now_us)
{
  gint64 last = last_media_us_.load (std::memory_order_relaxed);
  guint stalled = stalled_s (now_us);
  std::lock_guard<std::mutex> guard (lock_);
  if (last == 0 || ended_ || gave_up_)
    return Verdict::kFine;
  guint limit = timeout_s_;
  if (signalling_lost_ && (limit == 0 || limit > kGiveUpWithoutSignallingS))
    limit = kGiveUpWithoutSignallingS;
  if (limit > 0 && stalled >= limit) {
    gave_up_ = true;
    return Verdict::kGiveUp;
  }
  if (stalled < kWarnAfterS || warned_for_us_ == last)
    return Verdict::kFine;
  warned_for_us_ = last;
  return Verdict::kWarn;
}

} // namespace gv::webrtc
