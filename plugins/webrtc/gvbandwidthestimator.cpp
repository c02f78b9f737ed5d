/* GhostView
 * Copyright (C) 2024 GhostView contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The constants follow draft-ietf-rmcat-gcc-02 ("the draft") and libwebrtc's
 * goog_cc where the draft leaves a choice; each says where it comes from or
 * why it was chosen. Every time is in nanoseconds; the trendline and the
 * over-use detector work in milliseconds as the published constants do.
 *
 * Hostile input: times are refused when negative, so the difference of two
 * accepted times always fits a gint64; no sum of times is formed that could
 * exceed the larger of them. Rates are
 * doubles and pass clamp_bps () (which also turns NaN into min_bps) before
 * they are stored.
 */
#include "gvbandwidthestimator.h"

#include <algorithm>
#include <cmath>

namespace gv::webrtc {

namespace {

constexpr gint64 kMs = G_GINT64_CONSTANT (1000000);
constexpr gint64 kSecond = 1000 * kMs;

/* Groups (draft 5.2): packets sent within burst_time of a group's first
 * packet form one group; so do packets that arrive within burst_time of the
 * group and ahead of their send spacing (they queued behind it), for at most
 * kMaxBurstDuration (libwebrtc's bound, so a long queue drain stays several
 * groups). */
constexpr gint64 kBurstTime = 5 * kMs;
constexpr gint64 kMaxBurstDuration = 100 * kMs;

/* The delay detector starts again after a pause of the sender longer than
 * this (libwebrtc's stream timeout: old groups say nothing about now) ... */
constexpr gint64 kMaxSendGap = 2 * kSecond;
/* ... after a delay variation no queue explains (the receiver's clock jumped,
 * or TWCC's 24-bit reference time wrapped; libwebrtc uses 3 s) ... */
constexpr gint64 kMaxDelayVariation = 3 * kSecond;
/* ... and after this many groups in a row arrive before the previous one. */
constexpr int kMaxReorderedGroups = 3;

/* Trendline (libwebrtc's TrendlineEstimator): the slope of the smoothed
 * accumulated delay over the last 20 groups, scaled by the number of deltas
 * (at most 60) and a gain of 4 before it meets the threshold. */
constexpr std::size_t kTrendWindow = 20;
constexpr double kTrendSmoothing = 0.9;
constexpr double kTrendGain = 4.0;
constexpr int kMaxTrendDeltas = 60;
constexpr int kMaxCountedDeltas = 1000;

/* Over-use detector (draft 5.4): adaptive threshold starting at 12.5 ms,
 * clamped to [6, 600] ms, not adapted to outliers more than 15 ms above it,
 * in steps of at most 100 ms; over-use needs the trend above it for 10 ms.
 * It rises with K_u = 0.0087 and falls with K_d = 0.039 per ms: libwebrtc's
 * values for the trendline (the draft's 0.01 / 0.00018 are for its Kalman
 * filter's output, on another scale). */
constexpr double kInitialThresholdMs = 12.5;
constexpr double kMinThresholdMs = 6;
constexpr double kMaxThresholdMs = 600;
constexpr double kThresholdUp = 0.0087;
constexpr double kThresholdDown = 0.039;
constexpr double kMaxAdaptOffsetMs = 15;
constexpr double kMaxThresholdStepMs = 100;
constexpr double kOverusingTimeMs = 10;

/* AIMD (draft 5.5): +15 % per second far from the last congestion point
 * (GCC says 8 %; without probing, which webrtcbin cannot do, that took 35 s
 * to come back from a 0.5 Mbit/s dip: 15 % is back to 2 Mbit/s in 10 s);
 * near it, one average packet per response time (RTT + 100 ms), at least
 * 4 kbit/s per second; on over-use, 0.85 × the received rate, at most once
 * per RTT clamped to [10, 200] ms (libwebrtc's pace, so a long queue does not
 * stall the descent). Never above 1.5 × the received rate + 10 kbit/s. */
constexpr double kDelayIncreasePerSecond = 1.15;
/* The loss-based controller keeps the draft's pace. */
constexpr double kIncreasePerSecond = 1.08;
constexpr double kDecreaseFactor = 0.85;
constexpr gint64 kResponseTimeExtra = 100 * kMs;
constexpr double kMinAdditiveBpsPerSecond = 4000;
constexpr gint64 kMinDecreaseInterval = 10 * kMs;
constexpr gint64 kMaxDecreaseInterval = 200 * kMs;
constexpr double kMaxOverEvidence = 1.5;
constexpr double kEvidenceHeadroomBps = 10000;

/* The last congestion point: an average of the received rates at decreases
 * (weight 0.05 per sample, libwebrtc's), with a relative deviation clamped
 * to [2 %, 5 %]; "near" is within three deviations (draft 5.5). */
constexpr double kCapacityWeight = 0.05;
constexpr double kMinCapacityDeviation = 0.02;
constexpr double kMaxCapacityDeviation = 0.05;
constexpr double kCapacityDeviations = 3;

/* Received rate over 500 ms of arrival time (the draft asks 0.5-1 s; the
 * shorter end follows a drop sooner); send rate over 1 s. Both need 100 ms of
 * data before they say anything. */
constexpr gint64 kReceivedWindow = 500 * kMs;
/* A decrease cuts to what the last 150 ms received when that is less
 * (libwebrtc's acknowledged rate looks 150 ms back too): a link cut to a
 * quarter of the rate sent shows there at once, where 500 ms still hold
 * mostly what came before the cut; the estimate then took three decreases
 * and 0.3 s to reach the link, and the viewer two layer moves (two
 * keyframes into a full queue) instead of one. */
constexpr gint64 kRecentReceivedWindow = 150 * kMs;
constexpr gint64 kSentWindow = 1 * kSecond;
constexpr gint64 kRateBucket = 10 * kMs;
constexpr gint64 kMinRateSpan = 100 * kMs;

/* Loss-based controller (draft 6): above 10 % loss decrease by half the
 * loss, below 2 % increase by 8 % (as the delay side, so loss does not slow
 * a clean ramp), in between hold. With TWCC, loss is counted over windows of
 * at least 1 s and 20 packets (a receiver report's cadence; fewer packets
 * make 2 % and 10 % noise), or 5 s with any packets; heavy loss (over 25 %)
 * over 40 packets closes a window after 0.5 s (a 1 Mbit/s viewer joining at
 * 2 Mbit/s then fits its link within 3 s, not 3.5). */
constexpr double kLossDecreaseAbove = 0.10;
/* Sending at least this share of the estimate counts as sending at it. */
constexpr double kSendingAtEstimate = 0.8;
/* Loss this heavy is a bottleneck far below the rate sent (a drop-tail
 * queue fed twice its rate drops half), not noise. */
constexpr double kHeavyLoss = 0.25;
constexpr double kLossIncreaseBelow = 0.02;
constexpr gint64 kLossWindow = 1 * kSecond;
constexpr guint64 kLossWindowPackets = 20;
constexpr gint64 kMaxLossWindow = 5 * kSecond;

/* Probes (libwebrtc's ProbeBitrateEstimator): a cluster tells something
 * from 5 packets that arrived; a received rate above twice the sent rate is
 * an artefact of a short cluster; received below 90 % of sent means the
 * path is full, and then 95 % of what it delivered is what it carries. A
 * probe whose feedback has not come 2 s after it ended tells nothing. */
constexpr guint kMinProbePackets = 5;
constexpr double kMaxProbeRatio = 2.0;
constexpr double kProbeSaturated = 0.9;
constexpr double kProbeSaturatedShare = 0.95;
/* The estimate grows to this share of a refused probe's delivered rate,
 * and the ceiling goes once a probe carries this much more than it. */
constexpr double kCeilingShare = 0.75;
constexpr double kCeilingCleared = 1.08;
constexpr gint64 kProbeTimeout = 2 * kSecond;
/* A refused probe's rate is read over the later half of its arrivals, at
 * least this many packets (fewer: over all of them). */
constexpr std::size_t kMinTailPackets = 3;
constexpr std::size_t kMaxProbeArrivals = 512;

/* RTT: 200 ms until measured (libwebrtc's default), smoothed by 1/8 (TCP's
 * SRTT); samples above 10 s are not a round trip. */
constexpr gint64 kDefaultRtt = 200 * kMs;
constexpr gint64 kMaxRtt = 10 * kSecond;

/* Sequence numbers more than this behind the highest are not reordering. A
 * run of kResync such packets means the sender restarted its numbering (or
 * one bogus number leapt ahead): follow it. */
constexpr gint64 kMaxSeqBehind = 1000;
constexpr guint kResync = 50;

/* An RTP packet fits in one UDP datagram. */
constexpr guint kMaxPacketBytes = 65535;
/* One on_sent () above 4 GiB is not a send. */
constexpr guint64 kMaxSentBytes = G_MAXUINT32;
/* Bounds of the bounds: the rates stay far from 0 (the multiplicative
 * increase needs something to multiply) and far from where a double stops
 * converting to guint64. */
constexpr double kFloorBps = 10000;
constexpr double kCeilingBps = 1e11;

double ms (gint64 ns)
{
  return ns / 1e6;
}

} // namespace

/* RateWindow */

BandwidthEstimator::RateWindow::RateWindow (gint64 window, gint64 bucket, gint64 min_span)
    : window_ (window), bucket_ (bucket), min_span_ (min_span)
{}

void BandwidthEstimator::RateWindow::reset ()
{
  buckets_.clear ();
  origin_ = latest_ = kLost;
}

void BandwidthEstimator::RateWindow::add (gint64 t, double bytes)
{
  /* A jump either way by more than the window: a new clock or a pause; the
   * old samples describe nothing current. */
  if (latest_ != kLost && (t - latest_ > window_ || latest_ - t > window_))
    reset ();
  if (latest_ == kLost)
    origin_ = latest_ = t;
  /* Late samples count as arriving now: buckets stay in order. */
  latest_ = std::max (t, latest_);
  /* Buckets are aligned on the first sample, so only differences of times
   * matter (a receiver's clock has its own origin). */
  const gint64 start = origin_ + (latest_ - origin_) / bucket_ * bucket_;
  if (buckets_.empty () || buckets_.back ().start != start)
    buckets_.push_back ({ start, 0 });
  buckets_.back ().bytes += bytes;
  while (!buckets_.empty () && latest_ - buckets_.front ().start >= window_)
    buckets_.pop_front ();
}

bool BandwidthEstimator::RateWindow::rate_bps (double &bps) const
{
  if (buckets_.empty ())
    return false;
  const gint64 span = latest_ - buckets_.front ().start;
  if (span < min_span_)
    return false;
  double bytes = 0;
  for (const Bucket &b : buckets_)
    bytes += b.bytes;
  bps = bytes * 8 * kSecond / span;
  return std::isfinite (bps);
}

/* BandwidthEstimator */

BandwidthEstimator::BandwidthEstimator () : BandwidthEstimator (Bounds ()) {}

BandwidthEstimator::BandwidthEstimator (const Bounds &bounds)
    : min_bps_ (kFloorBps), max_bps_ (kCeilingBps), delay_bps_ (0), loss_bps_ (0),
      threshold_ms_ (kInitialThresholdMs), received_ (kReceivedWindow, kRateBucket, kMinRateSpan),
      received_recent_ (kRecentReceivedWindow, kRateBucket, kMinRateSpan),
      sent_ (kSentWindow, kRateBucket, kMinRateSpan),
      reported_ (kReceivedWindow, kRateBucket, kMinRateSpan), rtt_ (kDefaultRtt)
{
  set_bounds (bounds.min_bps, bounds.max_bps);
  delay_bps_ = loss_bps_ = clamp_bps (bounds.start_bps);
}

void BandwidthEstimator::set_bounds (guint64 min_bps, guint64 max_bps)
{
  min_bps_ = std::clamp ((double) min_bps, kFloorBps, kCeilingBps);
  max_bps_ = std::clamp ((double) max_bps, min_bps_, kCeilingBps);
  delay_bps_ = clamp_bps (delay_bps_);
  loss_bps_ = clamp_bps (loss_bps_);
}

double BandwidthEstimator::clamp_bps (double bps) const
{
  if (!(bps >= min_bps_)) /* also NaN */
    return min_bps_;
  return std::min (bps, max_bps_);
}

double BandwidthEstimator::combined_bps () const
{
  return twcc_active_ ? std::min (delay_bps_, loss_bps_) : loss_bps_;
}

guint64 BandwidthEstimator::estimate_bps () const
{
  return (guint64) clamp_bps (combined_bps ());
}

guint64 BandwidthEstimator::delay_based_bps () const
{
  return (guint64) clamp_bps (delay_bps_);
}

guint64 BandwidthEstimator::loss_based_bps () const
{
  return (guint64) clamp_bps (loss_bps_);
}

guint64 BandwidthEstimator::RateWindow::bps_or_zero () const
{
  double bps = 0;
  if (!rate_bps (bps))
    return 0;
  return (guint64) std::clamp (bps, 0.0, kCeilingBps);
}

guint64 BandwidthEstimator::received_bps () const
{
  return received_.bps_or_zero ();
}

guint64 BandwidthEstimator::sent_bps () const
{
  return reported_.bps_or_zero ();
}

BandwidthEstimator::State BandwidthEstimator::state () const
{
  const State delay = twcc_active_ ? delay_action_ : State::Increase;
  if (delay == State::Decrease || loss_action_ == State::Decrease)
    return State::Decrease;
  if (delay == State::Hold || loss_action_ == State::Hold)
    return State::Hold;
  return State::Increase;
}

const char *BandwidthEstimator::state_name (State state)
{
  switch (state) {
  case State::Increase:
    return "increase";
  case State::Hold:
    return "hold";
  case State::Decrease:
    return "decrease";
  }
  return "unknown";
}

const char *BandwidthEstimator::usage_name (Usage usage)
{
  switch (usage) {
  case Usage::Normal:
    return "normal";
  case Usage::Overuse:
    return "overuse";
  case Usage::Underuse:
    return "underuse";
  }
  return "unknown";
}

gint64 BandwidthEstimator::take_now (gint64 now)
{
  if (now < last_now_) { /* negative, or going back */
    counters_.times_ignored++;
    return last_now_;
  }
  last_now_ = now;
  return now;
}

void BandwidthEstimator::add_rtt_sample (gint64 rtt)
{
  if (rtt < 0 || rtt > kMaxRtt) {
    counters_.rtt_ignored++;
    return;
  }
  if (!have_rtt_) {
    rtt_ = rtt;
    have_rtt_ = true;
  } else {
    rtt_ += (rtt - rtt_) / 8;
  }
}

bool BandwidthEstimator::evidence_bps (double &bps) const
{
  return twcc_active_ ? received_.rate_bps (bps) : sent_.rate_bps (bps);
}

/* Feedback */

void BandwidthEstimator::on_feedback (const std::vector<PacketResult> &packets, gint64 now)
{
  now = take_now (now);
  counters_.feedback_reports++;

  /* Sequence numbers unwrapped (each relative to the one before it), then
   * in order: the feedback's order is not trusted. */
  struct Entry {
    gint64 seq;
    const PacketResult *packet;
  };
  std::vector<Entry> entries;
  entries.reserve (packets.size ());
  gint64 reference = have_seq_ ? highest_seq_ : (packets.empty () ? 0 : packets[0].seq);
  for (const PacketResult &p : packets) {
    const gint64 seq = reference + (gint16) (guint16) (p.seq - (guint16) reference);
    entries.push_back ({ seq, &p });
    reference = seq;
  }
  std::stable_sort (entries.begin (), entries.end (),
                    [] (const Entry &a, const Entry &b) { return a.seq < b.seq; });

  guint64 received = 0, lost = 0;
  gint64 newest_send = kLost;
  bool any_accepted = false;
  for (std::size_t i = 0; i < entries.size (); i++) {
    const PacketResult &p = *entries[i].packet;
    const gint64 seq = entries[i].seq;
    if (p.send_time < 0 || p.size == 0 || p.size > kMaxPacketBytes ||
        (i > 0 && entries[i - 1].seq == seq)) {
      counters_.packets_ignored++;
      continue;
    }
    if (have_seq_ && seq <= highest_seq_ &&
        (highest_seq_ - seq <= kMaxSeqBehind || ++far_behind_ < kResync)) {
      counters_.packets_ignored++; /* a duplicate, or reported before */
      continue;
    }
    /* (Far behind kResync times in a row: not reordering, the numbering
     * restarted; follow it.) */
    far_behind_ = 0;
    highest_seq_ = seq;
    have_seq_ = true;
    any_accepted = true;

    if (!twcc_active_ || last_feedback_ == kLost || now - last_feedback_ > kTwccTimeout) {
      /* (Re)starting with TWCC: the delay side takes over from the current
       * estimate, with nothing remembered from before. */
      delay_bps_ = clamp_bps (combined_bps ());
      loss_bps_ = std::max (loss_bps_, delay_bps_);
      twcc_active_ = true;
      delay_state_ = delay_action_ = State::Hold;
      current_ = Group ();
      reset_delay_detector ();
      received_.reset ();
      received_recent_.reset ();
      reported_.reset ();
      window_start_ = kLost;
      window_received_ = window_lost_ = 0;
    }
    last_feedback_ = now;
    add_to_probe (p);
    reported_.add (p.send_time, p.size);
    if (p.arrival_time < 0) {
      lost++;
      continue;
    }
    received++;
    received_.add (p.arrival_time, p.size);
    received_recent_.add (p.arrival_time, p.size);
    average_packet_bytes_ += (p.size - average_packet_bytes_) / 16;
    newest_send = std::max (newest_send, p.send_time);
    add_to_delay_detector (p);
  }
  if (probe_.active && (probe_.covered || now > probe_.given_up))
    finish_probe ();
  if (!any_accepted)
    return;
  counters_.packets_received += received;
  counters_.packets_lost += lost;

  if (newest_send != kLost)
    add_rtt_sample (now - newest_send);
  count_loss (received, lost, now);
  if (received > 0)
    update_delay_controller (now);
}

/* Probes */

gint64 BandwidthEstimator::probe_sent (gint64 start, gint64 end, guint64 target_bps)
{
  probe_ = Probe ();
  probe_.active = true;
  probe_.id = next_probe_id_++;
  probe_.start = std::max<gint64> (start, 0);
  probe_.end = std::max (end, probe_.start);
  probe_.given_up =
      probe_.end > G_MAXINT64 - kProbeTimeout ? G_MAXINT64 : probe_.end + kProbeTimeout;
  probe_.target_bps = target_bps;
  return probe_.id;
}

void BandwidthEstimator::add_to_probe (const PacketResult &p)
{
  if (!probe_.active || p.send_time < probe_.start)
    return;
  if (p.send_time > probe_.end) {
    probe_.covered = true;
    return;
  }
  if (probe_.received + probe_.lost == 0 || p.send_time < probe_.first_send)
    probe_.first_send = p.send_time;
  if (probe_.received + probe_.lost == 0 || p.send_time >= probe_.last_send) {
    probe_.last_send = p.send_time;
    probe_.last_sent_size = p.size;
  }
  probe_.sent_bytes += p.size;
  if (p.arrival_time < 0) {
    probe_.lost++;
    return;
  }
  if (probe_.received == 0 || p.arrival_time < probe_.first_arrival) {
    probe_.first_arrival = p.arrival_time;
    probe_.first_received_size = p.size;
  }
  if (probe_.received == 0 || p.arrival_time > probe_.last_arrival)
    probe_.last_arrival = p.arrival_time;
  probe_.received_bytes += p.size;
  probe_.received++;
  if (probe_.arrivals.size () < kMaxProbeArrivals)
    probe_.arrivals.emplace_back (p.arrival_time, p.size);
}

/* What a full path carries: the arrival rate over the later half of the
 * cluster. A link with a token bucket lets its first few kB through at line
 * rate, and only then the queue grows: a 50 ms cluster on a 1 Mbit/s link
 * with a 3 kB bucket arrived at 1.46 Mbit/s over all of it, and that
 * ceiling let the estimate pass the full size's 1.15 Mbit/s. */
static double sustained_bps (std::vector<std::pair<gint64, guint>> arrivals, double whole_bps)
{
  if (arrivals.size () < 2 * kMinTailPackets)
    return whole_bps;
  std::sort (arrivals.begin (), arrivals.end ());
  const std::size_t from = arrivals.size () / 2;
  const gint64 span = arrivals.back ().first - arrivals[from].first;
  if (span <= 0)
    return whole_bps;
  double bytes = 0;
  for (std::size_t i = from + 1; i < arrivals.size (); i++)
    bytes += arrivals[i].second;
  return std::min (whole_bps, bytes * 8 * kSecond / span);
}

double BandwidthEstimator::below_ceiling (double bps) const
{
  return ceiling_bps_ > 0 ? std::min (bps, kCeilingShare * ceiling_bps_) : bps;
}

void BandwidthEstimator::finish_probe ()
{
  const Probe probe = probe_;
  probe_ = Probe ();
  counters_.probes++;
  probe_result_ = ProbeResult ();
  probe_result_.id = probe.id;
  probe_result_.target_bps = probe.target_bps;
  if (probe.received < kMinProbePackets || probe.last_send <= probe.first_send ||
      probe.last_arrival <= probe.first_arrival)
    return;
  /* The last packet sent and the first received open the intervals: they
   * take no time of them. */
  const double send_bps = (probe.sent_bytes - probe.last_sent_size) * 8 * kSecond /
                          (probe.last_send - probe.first_send);
  const double received_bps = (probe.received_bytes - probe.first_received_size) * 8 * kSecond /
                              (probe.last_arrival - probe.first_arrival);
  if (!std::isfinite (send_bps) || !std::isfinite (received_bps) ||
      received_bps > kMaxProbeRatio * send_bps)
    return;
  double bps = std::min (send_bps, received_bps);
  /* Refused: the path delivered under 90 % of what it was sent, and less
   * than the probe asked for. Media frames bunched into a 50 ms cluster send
   * it faster than its target; one packet held a few ms by a busy machine
   * then reads as a queue. What arrived at the target or faster answered
   * the probe: the link takes the target. */
  if (received_bps < kProbeSaturated * send_bps && received_bps < (double) probe.target_bps) {
    const double carried_bps = sustained_bps (probe.arrivals, received_bps);
    bps = kProbeSaturatedShare * carried_bps;
    probe_result_.saturated = true;
    ceiling_bps_ = carried_bps;
  } else if (ceiling_bps_ > 0 && bps >= kCeilingCleared * ceiling_bps_) {
    ceiling_bps_ = 0; /* the link takes more now */
  }
  probe_result_.bps = (guint64) std::clamp (bps, 0.0, kCeilingBps);

  /* What the path delivered without a queue growing is what it takes: the
   * delay side starts from there (past the old congestion point), and the
   * loss side too when the cluster lost nothing to speak of. */
  if (!twcc_active_ || usage_ == Usage::Overuse)
    return;
  if (probe_result_.saturated && delay_bps_ > bps) {
    /* The link carries no more than that: an estimate above it (a
     * short probe through a token bucket's burst raised it) comes down,
     * or a small layer's viewer moves up into a link that cannot take the
     * bigger one (1.21 Mbit/s on a 1 Mbit/s link, the full size's 1.15
     * passed for 3 s). */
    delay_bps_ = clamp_bps (bps);
    return;
  }
  const double before = combined_bps ();
  const double raised = below_ceiling (clamp_bps (bps));
  if (raised > delay_bps_) {
    delay_bps_ = raised;
    have_capacity_ = false;
  }
  const guint total = probe.received + probe.lost;
  if (raised > loss_bps_ && (double) probe.lost < kLossIncreaseBelow * total)
    loss_bps_ = raised;
  if (combined_bps () > before)
    counters_.probes_raised++;
}

/* Delay detector */

void BandwidthEstimator::reset_delay_detector ()
{
  previous_ = Group ();
  reordered_groups_ = 0;
  trend_origin_ = kLost;
  accumulated_delay_ms_ = smoothed_delay_ms_ = trend_ = 0;
  trend_points_.clear ();
  num_deltas_ = 0;
  threshold_ms_ = kInitialThresholdMs;
  last_threshold_update_ = kLost;
  time_over_using_ms_ = -1;
  previous_trend_ = modified_trend_ = 0;
  overuse_counter_ = 0;
  usage_ = Usage::Normal;
}

void BandwidthEstimator::add_to_delay_detector (const PacketResult &p)
{
  if (current_.valid && p.send_time < current_.first_send) {
    if (current_.first_send - p.send_time <= kMaxSendGap) {
      counters_.out_of_order++;
      return;
    }
    /* The group being filled was sent in the far future: a jump, not
     * reordering. Waiting for the sender to catch up with it would stop
     * delay detection for as long. */
    counters_.delay_resets++;
    reset_delay_detector ();
    current_ = Group ();
  }
  if (current_.valid) {
    const gint64 arrival_delta = p.arrival_time - current_.last_arrival;
    const bool same_send_burst = p.send_time - current_.first_send <= kBurstTime;
    /* Arrived right behind the group, sooner than it was sent after it:
     * it queued behind the group. (Compared, not subtracted: the send
     * times may be anything.) */
    const bool queued_behind = arrival_delta >= 0 && arrival_delta <= kBurstTime &&
                               arrival_delta < p.send_time - current_.last_send &&
                               p.arrival_time - current_.first_arrival < kMaxBurstDuration;
    if (same_send_burst || queued_behind) {
      current_.last_send = std::max (current_.last_send, p.send_time);
      current_.last_arrival = std::max (current_.last_arrival, p.arrival_time);
      return;
    }
    complete_group ();
  }
  current_.valid = true;
  current_.first_send = current_.last_send = p.send_time;
  current_.first_arrival = current_.last_arrival = p.arrival_time;
}

void BandwidthEstimator::complete_group ()
{
  if (previous_.valid) {
    const gint64 send_delta = current_.last_send - previous_.last_send;
    const gint64 arrival_delta = current_.last_arrival - previous_.last_arrival;
    if (send_delta > kMaxSendGap) {
      counters_.delay_resets++;
      reset_delay_detector ();
    } else if (send_delta < 0 || arrival_delta < 0) {
      if (++reordered_groups_ >= kMaxReorderedGroups) {
        counters_.delay_resets++;
        reset_delay_detector ();
      }
    } else {
      reordered_groups_ = 0;
      const gint64 variation = arrival_delta - send_delta;
      if (variation > kMaxDelayVariation || variation < -kMaxDelayVariation) {
        counters_.delay_resets++;
        reset_delay_detector ();
      } else {
        trendline_update (ms (variation), current_.last_arrival, ms (send_delta));
      }
    }
  }
  previous_ = current_;
}

void BandwidthEstimator::trendline_update (double delay_variation_ms, gint64 arrival,
                                           double send_delta_ms)
{
  num_deltas_ = std::min (num_deltas_ + 1, kMaxCountedDeltas);
  if (trend_origin_ == kLost)
    trend_origin_ = arrival;
  accumulated_delay_ms_ += delay_variation_ms;
  smoothed_delay_ms_ =
      kTrendSmoothing * smoothed_delay_ms_ + (1 - kTrendSmoothing) * accumulated_delay_ms_;
  trend_points_.emplace_back (ms (arrival - trend_origin_), smoothed_delay_ms_);
  if (trend_points_.size () > kTrendWindow)
    trend_points_.pop_front ();

  if (trend_points_.size () == kTrendWindow) {
    double mean_x = 0, mean_y = 0;
    for (const auto &[x, y] : trend_points_) {
      mean_x += x;
      mean_y += y;
    }
    mean_x /= trend_points_.size ();
    mean_y /= trend_points_.size ();
    double numerator = 0, denominator = 0;
    for (const auto &[x, y] : trend_points_) {
      numerator += (x - mean_x) * (y - mean_y);
      denominator += (x - mean_x) * (x - mean_x);
    }
    const double slope = numerator / denominator;
    if (denominator > 0 && std::isfinite (slope))
      trend_ = slope;
  }
  detect (send_delta_ms, arrival);
}

void BandwidthEstimator::detect (double send_delta_ms, gint64 arrival)
{
  if (num_deltas_ < 2) {
    usage_ = Usage::Normal;
    return;
  }
  const double modified_trend = std::min (num_deltas_, kMaxTrendDeltas) * trend_ * kTrendGain;
  modified_trend_ = modified_trend;
  if (modified_trend > threshold_ms_) {
    /* Over the threshold for the first time: assume half the last interval. */
    time_over_using_ms_ =
        time_over_using_ms_ < 0 ? send_delta_ms / 2 : time_over_using_ms_ + send_delta_ms;
    overuse_counter_++;
    if (time_over_using_ms_ > kOverusingTimeMs && overuse_counter_ > 1 &&
        trend_ >= previous_trend_) {
      time_over_using_ms_ = 0;
      overuse_counter_ = 0;
      usage_ = Usage::Overuse;
      overuse_in_feedback_ = true;
      counters_.overuse_signals++;
    }
  } else if (modified_trend < -threshold_ms_) {
    time_over_using_ms_ = -1;
    overuse_counter_ = 0;
    usage_ = Usage::Underuse;
  } else {
    time_over_using_ms_ = -1;
    overuse_counter_ = 0;
    usage_ = Usage::Normal;
  }
  previous_trend_ = trend_;

  /* The threshold follows the trend, slowly up and faster down, so that a
   * competing loss-based flow does not starve us and a small queue still
   * triggers (the draft's reasons); outliers do not move it. */
  if (last_threshold_update_ == kLost)
    last_threshold_update_ = arrival;
  const double magnitude = std::fabs (modified_trend);
  if (magnitude <= threshold_ms_ + kMaxAdaptOffsetMs) {
    const double k = magnitude < threshold_ms_ ? kThresholdDown : kThresholdUp;
    const double step =
        std::clamp (ms (arrival - last_threshold_update_), 0.0, kMaxThresholdStepMs);
    /* At most all the way to the trend: K_d × 100 ms would overshoot it. */
    threshold_ms_ += std::min (k * step, 1.0) * (magnitude - threshold_ms_);
    threshold_ms_ = std::clamp (threshold_ms_, kMinThresholdMs, kMaxThresholdMs);
  }
  last_threshold_update_ = arrival;
}

/* AIMD rate controller */

void BandwidthEstimator::add_capacity_sample (double bps)
{
  if (!have_capacity_) {
    capacity_bps_ = bps;
    capacity_rel_var_ = kMaxCapacityDeviation * kMaxCapacityDeviation;
    have_capacity_ = true;
    return;
  }
  const double relative = (bps - capacity_bps_) / capacity_bps_;
  capacity_bps_ += kCapacityWeight * (bps - capacity_bps_);
  capacity_rel_var_ += kCapacityWeight * (relative * relative - capacity_rel_var_);
}

void BandwidthEstimator::update_delay_controller (gint64 now)
{
  const Usage signal = overuse_in_feedback_ ? Usage::Overuse : usage_;
  overuse_in_feedback_ = false;
  switch (signal) {
  case Usage::Overuse:
    delay_state_ = State::Decrease;
    break;
  case Usage::Underuse: /* the queue drains: let it */
    delay_state_ = State::Hold;
    break;
  case Usage::Normal:
    if (delay_state_ == State::Hold)
      delay_state_ = State::Increase;
    break;
  }

  const double dt_s = last_delay_update_ == kLost
                          ? 0.0
                          : std::min ((double) (now - last_delay_update_) / kSecond, 1.0);
  last_delay_update_ = now;
  double received = 0;
  const bool have_received = received_.rate_bps (received);
  const double deviation =
      std::clamp (std::sqrt (capacity_rel_var_), kMinCapacityDeviation, kMaxCapacityDeviation);
  delay_action_ = delay_state_;

  switch (delay_state_) {
  case State::Hold:
    break;
  case State::Increase: {
    if (!have_received) { /* no evidence yet */
      delay_action_ = State::Hold;
      break;
    }
    if (have_capacity_ && delay_bps_ > capacity_bps_ * (1 + kCapacityDeviations * deviation))
      have_capacity_ = false; /* past the old congestion point: the path got better */
    double next;
    if (have_capacity_) {
      const double packet_bits = std::clamp (average_packet_bytes_, 200.0, 1500.0) * 8;
      const double response_s = (double) (rtt_ + kResponseTimeExtra) / kSecond;
      next = delay_bps_ + std::max (packet_bits / response_s, kMinAdditiveBpsPerSecond) * dt_s;
    } else {
      next = delay_bps_ * std::pow (kDelayIncreasePerSecond, dt_s);
    }
    const double limit = below_ceiling (kMaxOverEvidence * received + kEvidenceHeadroomBps);
    if (next > limit)
      next = std::max (delay_bps_, limit); /* the limit stops increases, never decreases */
    delay_bps_ = clamp_bps (next);
    break;
  }
  case State::Decrease: {
    if (last_decrease_ != kLost &&
        now - last_decrease_ < std::clamp (rtt_, kMinDecreaseInterval, kMaxDecreaseInterval))
      break; /* the last decrease has not been seen in the feedback yet */
    double target = kDecreaseFactor * delay_bps_;
    if (have_received) {
      double recent = 0;
      if (received_recent_.rate_bps (recent))
        received = std::min (received, recent);
      if (have_capacity_ && received < capacity_bps_ * (1 - kCapacityDeviations * deviation))
        have_capacity_ = false; /* below the old congestion point: the path got worse */
      add_capacity_sample (received);
      target = kDecreaseFactor * received;
    }
    if (target < delay_bps_)
      delay_bps_ = clamp_bps (target);
    last_decrease_ = now;
    counters_.delay_decreases++;
    delay_state_ = State::Hold;
    break;
  }
  }
}

/* Loss-based controller */

void BandwidthEstimator::count_loss (guint64 received, guint64 lost, gint64 now)
{
  if (window_start_ == kLost)
    window_start_ = now;
  window_received_ += received;
  window_lost_ += lost;
  const guint64 total = window_received_ + window_lost_;
  const gint64 span = now - window_start_;
  /* Heavy loss over many packets is no noise: half a window tells. */
  const bool heavy =
      total >= 2 * kLossWindowPackets && (double) window_lost_ > kHeavyLoss * (double) total;
  if ((span >= kLossWindow && total >= kLossWindowPackets) || (span >= kLossWindow / 2 && heavy) ||
      (span >= kMaxLossWindow && total > 0)) {
    apply_loss ((double) window_lost_ / total, span);
    window_start_ = now;
    window_received_ = window_lost_ = 0;
  }
}

void BandwidthEstimator::apply_loss (double fraction, gint64 window)
{
  loss_fraction_ = fraction;
  const double current = combined_bps ();
  if (fraction > kLossDecreaseAbove) {
    double next = current * (1 - 0.5 * fraction);
    /* Heavy loss while sending at the estimate is a full queue (a drop-tail
     * bottleneck keeps the delay flat, so the delay side may not see it):
     * what arrived is what the path carries. Straight there, at most
     * halving per window, instead of a quarter off per second. Not when the
     * source sends less than the estimate: then the loss says nothing about
     * the path's rate. */
    double sent = 0, received = 0;
    if (fraction > kHeavyLoss && twcc_active_ && reported_.rate_bps (sent) &&
        sent >= kSendingAtEstimate * current && received_.rate_bps (received))
      next = std::min (next, std::max (kDecreaseFactor * received, 0.5 * current));
    loss_bps_ = clamp_bps (next);
    loss_action_ = State::Decrease;
    counters_.loss_decreases++;
  } else if (fraction >= kLossIncreaseBelow) {
    loss_bps_ = clamp_bps (std::min (loss_bps_, current));
    loss_action_ = State::Hold;
  } else {
    double evidence = 0;
    if (!evidence_bps (evidence)) {
      loss_action_ = State::Hold;
      return;
    }
    const double dt_s = std::min ((double) window / kSecond, 1.0);
    double next = loss_bps_ * std::pow (kIncreasePerSecond, dt_s);
    const double limit = kMaxOverEvidence * evidence + kEvidenceHeadroomBps;
    if (next > limit)
      next = std::max (loss_bps_, limit);
    loss_bps_ = clamp_bps (next);
    loss_action_ = State::Increase;
  }
}

void BandwidthEstimator::on_receiver_report (double fraction_lost, double rtt_s, gint64 now)
{
  now = take_now (now);
  counters_.receiver_reports++;
  if (!(fraction_lost >= 0 && fraction_lost <= 1)) { /* also NaN */
    counters_.reports_ignored++;
    return;
  }
  if (rtt_s != 0) { /* 0: unknown (no sender report seen yet) */
    if (std::isfinite (rtt_s) && rtt_s > 0 && rtt_s * kSecond <= kMaxRtt)
      add_rtt_sample ((gint64) (rtt_s * kSecond));
    else
      counters_.rtt_ignored++;
  }

  if (twcc_active_ && now - last_feedback_ <= kTwccTimeout)
    return; /* TWCC counts loss packet by packet */
  if (twcc_active_) {
    /* TWCC went quiet: receiver reports take over from the current
     * estimate (the loss side may have been far above it). */
    loss_bps_ = clamp_bps (combined_bps ());
    twcc_active_ = false;
  }
  const gint64 since = last_report_ == kLost ? kLossWindow : now - last_report_;
  last_report_ = now;
  apply_loss (fraction_lost, since);
}

void BandwidthEstimator::on_sent (guint64 bytes, gint64 now)
{
  now = take_now (now);
  if (bytes > kMaxSentBytes) {
    counters_.sent_ignored++;
    return;
  }
  sent_.add (now, (double) bytes);
}

} // namespace gv::webrtc
