/* GhostView
 * Copyright (C) 2024 GhostView contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "gvfilepace.h"

#include <algorithm>
#include <cmath>

namespace gv::webrtc {

/* Growth while calm and held by the rate, per 250 ms (slow start, until
 * the first halving, grows per round instead: slow_start_round): after a
 * halving, quickly back up to 80 % of the rate it halved from (a delay
 * spike on a busy machine must not keep a LAN transfer slow); 2 % from
 * there to 110 % of it (where the video suffered last), 25 % beyond. Never
 * above twice what arrives. While the video climbs back the file gives
 * way, 5 % per 250 ms. (A period tied to the video's round trip did not
 * help: it is about 1 ms on a capped link with a short queue too.) */
static constexpr double kGrowthPeriodUs = 250 * 1000;
static constexpr double kBeyondCutGrowth = 0.25;
static constexpr double kNearCutGrowth = 0.02;
static constexpr double kNearCutLow = 0.8, kNearCutHigh = 1.1;
static constexpr double kYield = 0.05;
/* Longer gaps between signals do not count as more calm. */
static constexpr gint64 kMaxStepUs = 200 * 1000;
/* The rate held the file back this recently: it is what limits the file. */
static constexpr gint64 kHeldRecentlyUs = 500 * 1000;
/* Without a report of arrival for this long the window is not trusted
 * (a receiver that reports seldom must not stall the file). */
static constexpr gint64 kArrivalTrustUs = 2 * G_USEC_PER_SEC;
/* The delivered rate is measured over about this long (short enough for
 * doubling per kGrowthPeriodUs not to be held back by its own past). */
static constexpr gint64 kDeliveredSpanUs = 300 * 1000;

void FilePace::on_signal (const Signal &signal, gint64 now_us)
{
  std::lock_guard<std::mutex> guard (lock_);
  const bool was_limiting = limiting (now_us);
  refill (now_us);
  gint64 step = last_update_us_ ? std::min (now_us - last_update_us_, kMaxStepUs) : 0;
  if (!was_limiting)
    step = 0; /* back after a gap: start from where it was */
  last_signal_us_ = now_us;
  last_update_us_ = now_us;
  calm_ = !signal.congested && !signal.video_wants_more;
  const double delivered = delivered_bps (now_us);
  if (signal.congested) {
    if (!last_cut_us_ || now_us - last_cut_us_ >= kCutEveryUs) {
      /* Half of what arrives, if that is less than the rate: a rate the
       * file did not get through says nothing about the link. */
      const double base = delivered >= 0 ? std::min (rate_bps_, delivered) : rate_bps_;
      rate_at_cut_bps_ = base;
      rate_bps_ = std::max ((double) kFloorBps, base / 2);
      slow_start_ = false;
      last_cut_us_ = now_us;
      cuts_++;
    }
    return;
  }
  if (step <= 0)
    return;
  const double periods = (double) step / kGrowthPeriodUs;
  const bool held = held_us_ && now_us - held_us_ <= kHeldRecentlyUs;
  if (signal.video_wants_more)
    rate_bps_ *= std::pow (1.0 - kYield, periods);
  else if (slow_start_)
    return; /* grows per round (on_arrived) */
  else if (held && rate_bps_ < kNearCutLow * rate_at_cut_bps_)
    rate_bps_ = std::min (rate_bps_ * std::pow (2.0, periods), kNearCutLow * rate_at_cut_bps_);
  else if (held)
    rate_bps_ *= std::pow (
        1.0 + (rate_bps_ <= kNearCutHigh * rate_at_cut_bps_ ? kNearCutGrowth : kBeyondCutGrowth),
        periods);
  else
    return;
  const double above = delivered >= 0 ? std::max ((double) kStartBps, 2 * delivered) : kStartBps;
  rate_bps_ = std::clamp (std::min (rate_bps_, above), (double) kFloorBps, (double) kCeilingBps);
}

void FilePace::on_arrived (guint64 arrived, gint64 now_us)
{
  std::lock_guard<std::mutex> guard (lock_);
  if (!arrivals_.empty () && arrived < arrivals_.back ().second) {
    arrivals_.clear (); /* another file */
    round_target_ = 0;
  }
  arrivals_.emplace_back (now_us, arrived);
  while (arrivals_.size () > 2 && now_us - arrivals_[1].first >= kDeliveredSpanUs)
    arrivals_.pop_front ();
  if (slow_start_)
    slow_start_round (arrived, now_us);
}

void FilePace::start_round (guint64 arrived, gint64 now_us)
{
  round_start_us_ = now_us;
  round_start_arrived_ = arrived;
  round_target_ = arrived + std::max (in_flight_, (guint64) kMinPiece);
}

/* Growth per round while the video is calm and what arrives keeps up with
 * the rate (at least 45 % of it: a round's bytes went out at half today's
 * rate), like TCP's slow start but paced; three rounds without a quarter
 * more arriving end it at the best rate seen (BBR's test that the link is
 * full). The video's signals (on_signal) still halve it at any time. */
void FilePace::slow_start_round (guint64 arrived, gint64 now_us)
{
  if (!round_target_) {
    start_round (arrived, now_us);
    return;
  }
  const double shortest =
      std::clamp ((double) kSlowRoundUs * kFastLinkBps / std::max (round_best_bps_, 1.0),
                  (double) kMinRoundUs, (double) kSlowRoundUs);
  if (arrived < round_target_ || (double) (now_us - round_start_us_) < shortest)
    return;
  const double round_bps = (double) (arrived - round_start_arrived_) * 8 * G_USEC_PER_SEC /
                           (double) (now_us - round_start_us_);
  /* A round the rate did not hold back (SCTP's own window did) says
   * nothing about the link. */
  const bool held = held_us_ >= round_start_us_;
  if (round_bps >= 1.25 * round_best_bps_) {
    round_best_bps_ = round_bps;
    round_stalls_ = 0;
  } else if (held && ++round_stalls_ >= 3) {
    slow_start_ = false;
    rate_at_cut_bps_ = round_best_bps_;
    rate_bps_ = std::clamp (round_best_bps_, (double) kFloorBps, rate_bps_);
    return;
  }
  if (held && calm_ && limiting (now_us) && round_bps >= 0.45 * rate_bps_)
    rate_bps_ = std::min (rate_bps_ * 2, (double) kCeilingBps);
  start_round (arrived, now_us);
}

double FilePace::delivered_bps (gint64 now_us)
{
  if (arrivals_.size () < 2 || now_us - arrivals_.back ().first > kArrivalTrustUs)
    return -1;
  const auto &first = arrivals_.front ();
  const auto &last = arrivals_.back ();
  const gint64 span = std::max (now_us - first.first, kDeliveredSpanUs / 2);
  return (double) (last.second - first.second) * 8 * G_USEC_PER_SEC / (double) span;
}

bool FilePace::limiting (gint64 now_us) const
{
  return last_signal_us_ != 0 && now_us - last_signal_us_ <= kStaleUs;
}

double FilePace::depth_bytes () const
{
  return std::max ((double) kMinPiece, rate_bps_ / 8 * kBurstUs / G_USEC_PER_SEC);
}

void FilePace::refill (gint64 now_us)
{
  if (refilled_us_ && now_us > refilled_us_)
    tokens_ += rate_bps_ / 8 * (double) (now_us - refilled_us_) / G_USEC_PER_SEC;
  refilled_us_ = now_us;
  tokens_ = std::min (tokens_, depth_bytes ());
}

gsize FilePace::allowance (gsize want, guint64 in_flight, gint64 now_us)
{
  std::lock_guard<std::mutex> guard (lock_);
  in_flight_ = in_flight;
  if (!limiting (now_us))
    return want;
  refill (now_us);
  const bool trusted = !arrivals_.empty () && now_us - arrivals_.back ().first <= kArrivalTrustUs;
  const double window = std::max ((double) kMinWindow, rate_bps_ / 8 * kWindowUs / G_USEC_PER_SEC);
  if (trusted && (double) in_flight >= window)
    return 0; /* the next report of arrival pumps again */
  const double piece = (double) std::min (want, kMinPiece);
  if (tokens_ < piece) {
    held_us_ = now_us;
    return 0;
  }
  gsize n = std::min (want, (gsize) tokens_);
  tokens_ -= (double) n;
  return n;
}

gint64 FilePace::wait_us (gsize want, gint64 now_us) const
{
  std::lock_guard<std::mutex> guard (lock_);
  if (!limiting (now_us))
    return 0;
  const double piece = (double) std::min (want, kMinPiece);
  const double missing = piece - tokens_;
  if (missing <= 0)
    return 0;
  return (gint64) std::ceil (missing * 8 / rate_bps_ * G_USEC_PER_SEC);
}

guint64 FilePace::rate_bps (gint64 now_us) const
{
  std::lock_guard<std::mutex> guard (lock_);
  return limiting (now_us) ? (guint64) rate_bps_ : 0;
}

guint64 FilePace::cuts () const
{
  std::lock_guard<std::mutex> guard (lock_);
  return cuts_;
}

} // namespace gv::webrtc
