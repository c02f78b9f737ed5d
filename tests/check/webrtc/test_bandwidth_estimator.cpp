/* The per-viewer bandwidth estimator on synthetic traces in simulated time
 * (no pipeline, no clock): a sender paced at the estimate through a
 * bottleneck (capacity, one-way delay, drop-tail buffer, random loss), and
 * TWCC feedback every 50 ms or receiver reports every second coming back.
 * The receiver's clock starts 99.5 s after the sender's, so every arrival
 * time is "before" its send time, as it may be with webrtcbin. */
#include "gvbandwidthestimator.h"
#include "gvprobeplan.h"

#include <check.h>
#include <glib.h>

#include <algorithm>
#include <cmath>
#include <deque>
#include <functional>
#include <vector>

using gv::webrtc::BandwidthEstimator;
using gv::webrtc::ProbePlan;
using Packet = BandwidthEstimator::PacketResult;

namespace {

constexpr gint64 kMs = G_GINT64_CONSTANT (1000000);
constexpr gint64 kSecond = 1000 * kMs;
constexpr gint64 kStart = 100 * kSecond; /* the sender's clock at the start of a trace */
constexpr guint kPacketBytes = 1200;

/* xorshift64*: the same numbers on every platform and library. */
struct Rng {
  guint64 state;
  explicit Rng (guint64 seed) : state (seed ? seed : 1) {}
  guint64 next ()
  {
    state ^= state >> 12;
    state ^= state << 25;
    state ^= state >> 27;
    return state * G_GUINT64_CONSTANT (2685821657736338717);
  }
  double uniform () { return (next () >> 11) * (1.0 / 9007199254740992.0); }
};

struct Link {
  double capacity_bps = 2500000;
  gint64 one_way = 25 * kMs; /* each way */
  gint64 buffer = 300 * kMs; /* drop-tail: a packet that would queue longer is lost */
  double random_loss = 0;    /* before the bottleneck */
  gint64 receiver_offset = -99500 * kMs;
};

/* The sender, the bottleneck and the receiver's TWCC feedback, in simulated
 * time. The sender is paced at the current estimate. */
class Sim {
public:
  Sim (BandwidthEstimator &bwe, const Link &link, guint64 seed = 1, guint16 first_seq = 0)
      : bwe_ (bwe), link_ (link), rng_ (seed), seq_ (first_seq)
  {}

  Link &link () { return link_; }
  gint64 now () const { return now_; }
  guint16 next_seq () const { return seq_; }

  /* Applied to every feedback before the estimator sees it. */
  std::function<void (std::vector<Packet> &, Rng &)> mutate;
  /* Called after every feedback. */
  std::function<void (gint64 now)> after_feedback;
  /* Without TWCC: receiver reports every second instead, and on_sent (). */
  bool receiver_reports_only = false;
  /* The media sends at most this (0: the estimate), as a small layer does. */
  double app_limit_bps = 0;
  /* Probes as `probes` plans them (none when null), up to `probe_max_bps`. */
  ProbePlan *probes = nullptr;
  guint64 probe_max_bps = 0;

  /* (now, estimate) after every feedback or report. */
  std::vector<std::pair<gint64, guint64>> trace;

  void run_until (gint64 end)
  {
    for (;;) {
      const gint64 next_report = next_receiver_tick_ + link_.one_way;
      const gint64 next_probe = now_ < probe_end_ ? next_probe_send_ : G_MAXINT64;
      const gint64 t = std::min ({ next_send_, next_report, next_probe });
      if (t > end)
        break;
      now_ = t;
      if (next_probe <= next_send_ && next_probe <= next_report) {
        send_packet ();
        next_probe_send_ = now_ + probe_gap_;
      } else if (next_send_ <= next_report) {
        send ();
      } else {
        report ();
      }
    }
    now_ = end;
  }

  /* Estimates in [from, to] (sender's clock). */
  guint64 min_in (gint64 from, gint64 to) const { return fold (from, to, G_MAXUINT64, false); }
  guint64 max_in (gint64 from, gint64 to) const { return fold (from, to, 0, true); }
  double mean_in (gint64 from, gint64 to) const
  {
    double sum = 0;
    guint n = 0;
    for (const auto &[t, e] : trace)
      if (t >= from && t <= to) {
        sum += e;
        n++;
      }
    return n ? sum / n : 0;
  }
  /* The first time the estimate reached `bps`, or -1. */
  gint64 first_reaching (guint64 bps) const
  {
    for (const auto &[t, e] : trace)
      if (e >= bps)
        return t;
    return -1;
  }

private:
  struct InFlight {
    Packet packet;
    gint64 arrival; /* true time; -1 lost */
  };

  guint64 fold (gint64 from, gint64 to, guint64 init, bool max) const
  {
    guint64 v = init;
    for (const auto &[t, e] : trace)
      if (t >= from && t <= to)
        v = max ? std::max (v, e) : std::min (v, e);
    return v;
  }

  void send ()
  {
    double rate = (double) bwe_.estimate_bps ();
    if (app_limit_bps > 0)
      rate = std::min (rate, app_limit_bps);
    send_packet ();
    next_send_ = now_ + (gint64) (kPacketBytes * 8 * kSecond / rate);
  }

  void send_packet ()
  {
    InFlight f;
    f.packet.seq = seq_++;
    f.packet.send_time = now_;
    f.packet.size = kPacketBytes;
    f.arrival = -1;
    if (rng_.uniform () >= link_.random_loss) {
      const gint64 start = std::max (now_, bottleneck_free_);
      if (start - now_ <= link_.buffer) {
        bottleneck_free_ = start + (gint64) (kPacketBytes * 8 * kSecond / link_.capacity_bps);
        f.arrival = bottleneck_free_ + link_.one_way;
      }
    }
    in_flight_.push_back (f);
    if (receiver_reports_only) {
      bwe_.on_sent (kPacketBytes, now_);
      rr_sent_++;
      if (f.arrival < 0)
        rr_lost_++;
    }
  }

  /* After each feedback: the probe plan's result and next probe. */
  void plan_probe ()
  {
    const BandwidthEstimator::ProbeResult &r = bwe_.last_probe ();
    if (r.id != last_probe_id_) {
      last_probe_id_ = r.id;
      probes->finished (now_ / 1000, r.bps, r.saturated);
    }
    if (bwe_.probing ())
      return;
    const bool calm =
        bwe_.state () != BandwidthEstimator::State::Decrease && bwe_.loss_fraction () < 0.02;
    double media = (double) bwe_.estimate_bps ();
    if (app_limit_bps > 0)
      media = std::min (media, app_limit_bps);
    const guint64 target = probes->next (now_ / 1000, bwe_.estimate_bps (), (guint64) media,
                                         probe_max_bps, calm, bwe_.ceiling_bps ());
    if (target == 0 || target <= media)
      return;
    const gint64 duration = gv::webrtc::probe_duration_ms (target, kPacketBytes) * kMs;
    probes->started (now_ / 1000);
    bwe_.probe_sent (now_, now_ + duration, target);
    probe_end_ = now_ + duration;
    probe_gap_ = (gint64) (kPacketBytes * 8 * kSecond / (target - media));
    next_probe_send_ = now_;
  }

  void report ()
  {
    const gint64 tick = next_receiver_tick_;
    if (receiver_reports_only) {
      next_receiver_tick_ += kSecond;
      const double fraction = rr_sent_ ? (double) rr_lost_ / rr_sent_ : 0;
      rr_sent_ = rr_lost_ = 0;
      bwe_.on_receiver_report (fraction, 2.0 * link_.one_way / kSecond, now_);
      in_flight_.clear ();
    } else {
      next_receiver_tick_ += 50 * kMs;
      /* Everything up to the last packet arrived by the tick; lost ones are
       * known lost once a later one arrived. */
      std::size_t count = 0;
      for (std::size_t i = 0; i < in_flight_.size (); i++)
        if (in_flight_[i].arrival >= 0 && in_flight_[i].arrival <= tick)
          count = i + 1;
      std::vector<Packet> feedback;
      for (std::size_t i = 0; i < count; i++) {
        Packet p = in_flight_[i].packet;
        p.arrival_time = in_flight_[i].arrival < 0 ? BandwidthEstimator::kLost
                                                   : in_flight_[i].arrival + link_.receiver_offset;
        feedback.push_back (p);
      }
      in_flight_.erase (in_flight_.begin (), in_flight_.begin () + count);
      if (feedback.empty ())
        return;
      if (mutate)
        mutate (feedback, rng_);
      bwe_.on_feedback (feedback, now_);
    }
    if (probes)
      plan_probe ();
    trace.emplace_back (now_, bwe_.estimate_bps ());
    if (after_feedback)
      after_feedback (now_);
  }

  BandwidthEstimator &bwe_;
  Link link_;
  Rng rng_;
  guint16 seq_;
  gint64 now_ = kStart;
  gint64 next_send_ = kStart;
  gint64 next_receiver_tick_ = kStart;
  gint64 bottleneck_free_ = 0;
  std::deque<InFlight> in_flight_;
  guint64 rr_sent_ = 0, rr_lost_ = 0;
  gint64 probe_end_ = 0, probe_gap_ = 0, next_probe_send_ = 0, last_probe_id_ = 0;
};

BandwidthEstimator::Bounds bounds (guint64 min_bps, guint64 max_bps, guint64 start_bps)
{
  BandwidthEstimator::Bounds b;
  b.min_bps = min_bps;
  b.max_bps = max_bps;
  b.start_bps = start_bps;
  return b;
}

gint64 at (double seconds)
{
  return kStart + (gint64) (seconds * kSecond);
}

/* What must hold after any input at all. */
void assert_sane (const BandwidthEstimator &bwe, guint64 min_bps, guint64 max_bps)
{
  const guint64 e = bwe.estimate_bps ();
  ck_assert_msg (e >= min_bps && e <= max_bps,
                 "estimate %" G_GUINT64_FORMAT " outside [%" G_GUINT64_FORMAT ", %" G_GUINT64_FORMAT
                 "]",
                 e, min_bps, max_bps);
  ck_assert (bwe.delay_based_bps () >= min_bps && bwe.delay_based_bps () <= max_bps);
  ck_assert (bwe.loss_based_bps () >= min_bps && bwe.loss_based_bps () <= max_bps);
  ck_assert (bwe.loss_fraction () >= 0 && bwe.loss_fraction () <= 1);
  ck_assert (bwe.rtt () >= 0 && bwe.rtt () <= 10 * kSecond);
  ck_assert (std::isfinite (bwe.delay_threshold_ms ()));
  ck_assert (bwe.delay_threshold_ms () >= 6 && bwe.delay_threshold_ms () <= 600);
  ck_assert (BandwidthEstimator::state_name (bwe.state ()) != nullptr);
  ck_assert (BandwidthEstimator::usage_name (bwe.usage ()) != nullptr);
}

void print_trace (const char *name, const Sim &sim, double step_s, double from_s = 0)
{
  g_print ("%s:", name);
  gint64 next = at (from_s);
  for (const auto &[t, e] : sim.trace)
    if (t >= next) {
      g_print (" %.1fs=%.2f", (double) (t - kStart) / kSecond, e / 1e6);
      next += (gint64) (step_s * kSecond);
    }
  g_print (" (Mbit/s)\n");
}

} // namespace

/* A link of capacity C, starting at 300 kbit/s: +8 %/s to 70 % of C, then
 * around C (decrease to 0.85 × the received rate on over-use, additive
 * increase near it). */
static const double ramp_capacities[] = { 1e6, 2.5e6, 5e6 };

START_TEST (test_ramp_and_settle)
{
  const double capacity = ramp_capacities[_i];
  BandwidthEstimator bwe (bounds (100000, 20000000, 300000));
  Link link;
  link.capacity_bps = capacity;
  Sim sim (bwe, link);
  sim.after_feedback = [&] (gint64) { assert_sane (bwe, 100000, 20000000); };
  sim.run_until (at (90));
  print_trace ("ramp", sim, 5);

  /* 300 kbit/s to 70 % of 5 Mbit/s at 8 %/s is 32 s. */
  const gint64 reached = sim.first_reaching ((guint64) (0.7 * capacity));
  const gint64 settled = reached + 5 * kSecond;
  g_print ("%.1f Mbit/s: 70 %% at %.1f s; from %.1f s mean %.2f min %.2f max %.2f (of C)\n",
           capacity / 1e6, (double) (reached - kStart) / kSecond,
           (double) (settled - kStart) / kSecond, sim.mean_in (settled, at (90)) / capacity,
           sim.min_in (settled, at (90)) / capacity, sim.max_in (settled, at (90)) / capacity);
  ck_assert_msg (reached >= 0 && reached <= at (40), "70 %% of %.1f Mbit/s reached at %.1f s",
                 capacity / 1e6, (double) (reached - kStart) / kSecond);
  /* Settled: on average within 70-100 % of C, never far below, never
   * persistently above (over-use is seen a few % above C). */
  const double mean = sim.mean_in (settled, at (90));
  ck_assert_msg (mean >= 0.7 * capacity && mean <= capacity, "mean %.0f of %.0f", mean, capacity);
  ck_assert_msg (sim.min_in (settled, at (90)) >= 0.6 * capacity, "min %" G_GUINT64_FORMAT,
                 sim.min_in (settled, at (90)));
  ck_assert_msg (sim.max_in (settled, at (90)) <= 1.15 * capacity, "max %" G_GUINT64_FORMAT,
                 sim.max_in (settled, at (90)));
  ck_assert_uint_eq (bwe.counters ().packets_ignored, 0);
  ck_assert_uint_gt (bwe.counters ().overuse_signals, 0);
}
END_TEST

/* Joining a 1 Mbit/s link with a short drop-tail queue at twice its rate
 * (a viewer starts at the host's bitrate): the estimate fits the link
 * within 3 s (the network bench's goal), and stays within it. The paced
 * sender here lets the delay side see the queue grow; the real encoder's
 * bursts fill it within a frame or two, where the loss side's cut to the
 * received rate does the work (tests/bench/network, cap1m). */
START_TEST (test_start_above_a_short_queue)
{
  BandwidthEstimator bwe (bounds (30000, 2000000, 2000000));
  Link link;
  link.capacity_bps = 1e6;
  link.buffer = 100 * kMs;
  link.one_way = 1 * kMs;
  Sim sim (bwe, link);
  sim.after_feedback = [&] (gint64) { assert_sane (bwe, 30000, 2000000); };
  sim.run_until (at (30));
  print_trace ("start above", sim, 1);
  gint64 fits = -1;
  for (const auto &[t, bps] : sim.trace)
    if (bps <= link.capacity_bps) {
      fits = t;
      break;
    }
  g_print ("fits the link after %.1f s; 10-30 s mean %.2f max %.2f (of C)\n",
           (double) (fits - kStart) / kSecond, sim.mean_in (at (10), at (30)) / link.capacity_bps,
           sim.max_in (at (10), at (30)) / link.capacity_bps);
  ck_assert_msg (fits >= 0 && fits <= at (3), "fits the link after %.1f s",
                 (double) (fits - kStart) / kSecond);
  ck_assert_msg (sim.mean_in (at (10), at (30)) >= 0.6 * link.capacity_bps &&
                     sim.mean_in (at (10), at (30)) <= link.capacity_bps,
                 "mean %.0f", sim.mean_in (at (10), at (30)));
}
END_TEST

/* Capacity above the host's maximum: the estimate reaches the maximum and
 * never passes it. */
START_TEST (test_never_above_max)
{
  BandwidthEstimator bwe (bounds (100000, 3000000, 300000));
  Link link;
  link.capacity_bps = 20e6;
  Sim sim (bwe, link);
  sim.after_feedback = [&] (gint64) { assert_sane (bwe, 100000, 3000000); };
  sim.run_until (at (60));
  ck_assert_uint_le (sim.max_in (kStart, at (60)), 3000000);
  ck_assert_uint_eq (bwe.estimate_bps (), 3000000);
  ck_assert_int_le (sim.first_reaching (3000000), at (40));

  /* A lower maximum applies at once. */
  bwe.set_bounds (100000, 1000000);
  ck_assert_uint_eq (bwe.estimate_bps (), 1000000);
  sim.after_feedback = [&] (gint64) { assert_sane (bwe, 100000, 1000000); };
  sim.run_until (at (70));
}
END_TEST

/* 10 -> 0.5 Mbit/s: below the new capacity within 2 s; back to 10 Mbit/s:
 * additive near the old congestion point, then +8 %/s again. */
START_TEST (test_capacity_drop_and_return)
{
  BandwidthEstimator bwe (bounds (100000, 12000000, 5000000));
  Link link;
  link.capacity_bps = 10e6;
  Sim sim (bwe, link);
  sim.after_feedback = [&] (gint64) { assert_sane (bwe, 100000, 12000000); };
  sim.run_until (at (30));
  ck_assert_uint_ge (bwe.estimate_bps (), 7000000);

  sim.link ().capacity_bps = 0.5e6;
  sim.run_until (at (32));
  print_trace ("drop", sim, 0.5);
  ck_assert_msg (bwe.estimate_bps () <= 500000, "%" G_GUINT64_FORMAT " 2 s after the drop",
                 bwe.estimate_bps ());
  sim.run_until (at (50));
  /* Then around the new capacity, as on any link. */
  ck_assert_uint_le (sim.max_in (at (32), at (50)), 1.15 * 0.5e6);
  ck_assert_uint_ge (sim.mean_in (at (40), at (50)), 0.5 * 0.5e6);
  const guint64 low = bwe.estimate_bps ();

  sim.link ().capacity_bps = 10e6;
  sim.run_until (at (60));
  ck_assert_msg (bwe.estimate_bps () >= 2 * low,
                 "%" G_GUINT64_FORMAT " 10 s after %" G_GUINT64_FORMAT, bwe.estimate_bps (), low);
  sim.run_until (at (110));
  print_trace ("return", sim, 5);
  ck_assert_int_le (sim.first_reaching (7000000), at (105));
}
END_TEST

/* A link cut to a quarter of what it carried, with a short queue (the
 * network bench's dip: 2 Mbit/s video, 10 then 0.5 Mbit/s, 100 ms): the
 * first decreases land at the new link, not at what the last half second
 * received (most of it from before the cut), so the viewer's layer is
 * chosen once, for the link it now has. */
START_TEST (test_cut_found_at_once)
{
  const guint64 max_bps = 2000000;
  BandwidthEstimator bwe (bounds (30000, max_bps, max_bps));
  Link link;
  link.capacity_bps = 10e6;
  link.buffer = 100 * kMs;
  link.one_way = 1 * kMs;
  Sim sim (bwe, link);
  sim.run_until (at (10));
  ck_assert_uint_eq (bwe.estimate_bps (), max_bps);
  sim.link ().capacity_bps = 0.5e6;
  sim.run_until (at (10.5));
  print_trace ("cut to 0.5 Mbit/s", sim, 0.05, 9.9);
  ck_assert_msg (bwe.estimate_bps () <= 0.6e6,
                 "%" G_GUINT64_FORMAT " 0.5 s after the cut (the half size's bottom is 0.5 Mbit/s)",
                 bwe.estimate_bps ());
  /* Not below what the link carries, either. */
  ck_assert_uint_ge (sim.min_in (at (10), at (12)), 0.3e6);
}
END_TEST

/* Random loss on a fat pipe (no queue): below 2 % the estimate increases,
 * between 2 and 10 % it holds, above 10 % it decreases by half the loss. */
START_TEST (test_random_loss_after_ramp)
{
  const double losses[] = { 0.02, 0.05 };
  for (double loss : losses) {
    BandwidthEstimator bwe (bounds (100000, 4000000, 1000000));
    Link link;
    link.capacity_bps = 100e6;
    Sim sim (bwe, link, 7);
    sim.run_until (at (30));
    ck_assert_uint_eq (bwe.estimate_bps (), 4000000);
    sim.link ().random_loss = loss;
    sim.after_feedback = [&] (gint64) { assert_sane (bwe, 100000, 4000000); };
    sim.run_until (at (90));
    /* Hold or increase: the estimate does not move down. */
    ck_assert_msg (sim.min_in (at (30), at (90)) >= 4000000, "%.0f %% loss: min %" G_GUINT64_FORMAT,
                   loss * 100, sim.min_in (at (30), at (90)));
    ck_assert_uint_eq (bwe.counters ().loss_decreases, 0);
    ck_assert (bwe.loss_fraction () > loss / 3 && bwe.loss_fraction () < loss * 2);
  }
}
END_TEST

START_TEST (test_random_loss_from_start)
{
  /* 2 % from the start: about half the loss windows measure below 2 %, so
   * the estimate still rises, about half as fast. */
  {
    BandwidthEstimator bwe (bounds (100000, 10000000, 300000));
    Link link;
    link.capacity_bps = 100e6;
    link.random_loss = 0.02;
    Sim sim (bwe, link, 3);
    sim.run_until (at (60));
    print_trace ("2 % loss", sim, 10);
    ck_assert_uint_ge (bwe.estimate_bps (), 900000);
    ck_assert_uint_ge (sim.min_in (kStart, at (60)), 300000);
  }
  /* 5 % from the start: hold, near the start rate (GCC has no evidence the
   * link can take more, and no reason to take less). */
  {
    BandwidthEstimator bwe (bounds (100000, 10000000, 300000));
    Link link;
    link.capacity_bps = 100e6;
    link.random_loss = 0.05;
    Sim sim (bwe, link, 3);
    sim.run_until (at (60));
    print_trace ("5 % loss", sim, 10);
    /* At 30 packets a second a window reads 0 % or above 10 % now and then. */
    ck_assert_uint_ge (sim.min_in (kStart, at (60)), 0.7 * 300000);
    ck_assert_uint_le (bwe.estimate_bps (), 2 * 300000);
  }
}
END_TEST

START_TEST (test_heavy_random_loss_decreases)
{
  BandwidthEstimator bwe (bounds (100000, 4000000, 1000000));
  Link link;
  link.capacity_bps = 100e6;
  Sim sim (bwe, link, 11);
  sim.run_until (at (30));
  ck_assert_uint_eq (bwe.estimate_bps (), 4000000);
  sim.link ().random_loss = 0.2;
  sim.after_feedback = [&] (gint64) { assert_sane (bwe, 100000, 4000000); };
  sim.run_until (at (40));
  /* -10 % a second: 0.9^10 = 0.35 */
  ck_assert_msg (bwe.estimate_bps () <= 2000000, "%" G_GUINT64_FORMAT, bwe.estimate_bps ());
  ck_assert_uint_gt (bwe.counters ().loss_decreases, 5);
  ck_assert_int_eq ((int) bwe.state (), (int) BandwidthEstimator::State::Decrease);
  sim.run_until (at (70));
  print_trace ("20 % loss", sim, 5);
  /* Towards the minimum; at 10 packets a second a window can read 5 %. */
  ck_assert_uint_le (bwe.estimate_bps (), 200000);
}
END_TEST

/* No TWCC: receiver reports every second drive the loss-based controller;
 * the send rate (on_sent) is the evidence increases need. */
START_TEST (test_receiver_reports_only)
{
  {
    BandwidthEstimator bwe (bounds (100000, 10000000, 300000));
    Link link;
    link.capacity_bps = 100e6;
    Sim sim (bwe, link);
    sim.receiver_reports_only = true;
    sim.after_feedback = [&] (gint64) { assert_sane (bwe, 100000, 10000000); };
    sim.run_until (at (20.5));
    ck_assert (!bwe.twcc_active ());
    /* +8 % a report: 300 k × 1.08^20 = 1.4 M */
    ck_assert_msg (bwe.estimate_bps () >= 1200000 && bwe.estimate_bps () <= 1500000,
                   "%" G_GUINT64_FORMAT, bwe.estimate_bps ());
    ck_assert (BandwidthEstimator::State::Increase == bwe.state ());

    const guint64 before = bwe.estimate_bps ();
    sim.link ().random_loss = 0.3;
    sim.run_until (at (25.5));
    /* × (1 - 0.15) a report: 0.85^5 = 0.44 */
    ck_assert_uint_le (bwe.estimate_bps (), before / 2);
    ck_assert_uint_ge (bwe.counters ().loss_decreases, 4);
    ck_assert_uint_eq (bwe.counters ().receiver_reports, 26); /* at 0, 1, ... 25 s */
  }
  /* Exactly: above 10 % × (1 - loss / 2), 2-10 % hold, below 2 % × 1.08
   * (with the send rate as evidence). */
  {
    BandwidthEstimator bwe (bounds (100000, 10000000, 1000000));
    gint64 now = kSecond;
    auto report = [&] (double loss) {
      for (int i = 0; i < 100; i++)
        bwe.on_sent (1250, now += 10 * kMs); /* 1 Mbit/s */
      bwe.on_receiver_report (loss, 0.05, now);
    };
    report (0.05);
    ck_assert_uint_eq (bwe.estimate_bps (), 1000000);
    ck_assert (BandwidthEstimator::State::Hold == bwe.state ());
    report (0.10);
    ck_assert_uint_eq (bwe.estimate_bps (), 1000000);
    report (0.2);
    ck_assert_uint_eq (bwe.estimate_bps (), 900000);
    ck_assert (BandwidthEstimator::State::Decrease == bwe.state ());
    report (0.0);
    ck_assert_uint_eq (bwe.estimate_bps (), 972000);
    ck_assert (BandwidthEstimator::State::Increase == bwe.state ());
    report (0.0199);
    ck_assert_uint_eq (bwe.estimate_bps (), 1049760);
    report (1.0);
    ck_assert_uint_eq (bwe.estimate_bps (), 524880);
  }
  /* Reports without anything sent (an idle sender): no evidence, no rise. */
  {
    BandwidthEstimator bwe (bounds (100000, 10000000, 300000));
    for (int i = 1; i <= 30; i++)
      bwe.on_receiver_report (0, 0.05, i * kSecond);
    ck_assert_uint_eq (bwe.estimate_bps (), 300000);
    ck_assert (BandwidthEstimator::State::Hold == bwe.state ());
  }
}
END_TEST

/* With TWCC, receiver reports only give their RTT: TWCC already counts every
 * packet's loss. */
START_TEST (test_receiver_reports_with_twcc)
{
  BandwidthEstimator bwe (bounds (100000, 10000000, 300000));
  Link link;
  link.capacity_bps = 100e6;
  Sim sim (bwe, link);
  gint64 next_report = at (1);
  sim.after_feedback = [&] (gint64 now) {
    if (now >= next_report) {
      bwe.on_receiver_report (0.5, 0.05, now);
      next_report += kSecond;
    }
  };
  sim.run_until (at (20));
  ck_assert (bwe.twcc_active ());
  ck_assert_uint_ge (bwe.estimate_bps (), 1000000);
  ck_assert_uint_eq (bwe.counters ().loss_decreases, 0);
  ck_assert_uint_ge (bwe.counters ().receiver_reports, 18);
}
END_TEST

/* The same trace gives the same estimates; so do the same trace with the
 * sequence numbers wrapping and the receiver's clock elsewhere. */
START_TEST (test_deterministic)
{
  auto run = [] (guint16 first_seq, gint64 receiver_offset, double loss) {
    BandwidthEstimator bwe (bounds (100000, 20000000, 300000));
    Link link;
    link.capacity_bps = 2.5e6;
    link.random_loss = loss;
    link.receiver_offset = receiver_offset;
    Sim sim (bwe, link, 5, first_seq);
    sim.run_until (at (40));
    return sim.trace;
  };
  const auto a = run (0, -99500 * kMs, 0.01);
  ck_assert (a == run (0, -99500 * kMs, 0.01));
  /* 40 s at up to 3 Mbit/s is more than 65536 packets: wraps at least once. */
  ck_assert (a == run (65000, -99500 * kMs, 0.01));
  ck_assert (a == run (0, 12345 * kSecond + 678, 0.01));
}
END_TEST

/* Hostile input: whatever the feedback says, the estimator stays within its
 * bounds, finite, counts what it refused, and works again afterwards. */

struct Hostile {
  const char *name;
  /* Rewrites each feedback during the hostile phase. */
  std::function<void (std::vector<Packet> &, Rng &)> mutate;
  /* What the counters must show after the hostile phase. */
  std::function<bool (const BandwidthEstimator::Counters &)> counted;
};

static gint64 pick_time (Rng &rng)
{
  static const gint64 extremes[] = {
    0, 1, -1, G_MAXINT64, G_MININT64, G_MAXINT64 - 1, G_MININT64 + 1, 1000 * kSecond
  };
  return rng.uniform () < 0.5 ? extremes[rng.next () % G_N_ELEMENTS (extremes)]
                              : (gint64) (rng.next () >> 1);
}

static const Hostile hostile[] = {
  { "empty feedback", [] (std::vector<Packet> &f, Rng &) { f.clear (); },
    [] (const BandwidthEstimator::Counters &c) { return c.packets_ignored == 0; } },
  { "reversed order", [] (std::vector<Packet> &f, Rng &) { std::reverse (f.begin (), f.end ()); },
    [] (const BandwidthEstimator::Counters &c) { return c.packets_ignored == 0; } },
  { "shuffled",
    [] (std::vector<Packet> &f, Rng &rng) {
      for (std::size_t i = f.size (); i > 1; i--)
        std::swap (f[i - 1], f[rng.next () % i]);
    },
    [] (const BandwidthEstimator::Counters &c) { return c.packets_ignored == 0; } },
  { "every packet twice",
    [] (std::vector<Packet> &f, Rng &) {
      const std::vector<Packet> copy = f;
      f.insert (f.end (), copy.begin (), copy.end ());
    },
    [] (const BandwidthEstimator::Counters &c) {
      return c.packets_ignored > 0 && c.packets_ignored * 2 <= c.packets_received * 2 + 10;
    } },
  { "the previous feedback again",
    [] (std::vector<Packet> &f, Rng &) {
      static std::vector<Packet> previous;
      const std::vector<Packet> current = f;
      f.insert (f.begin (), previous.begin (), previous.end ());
      previous = current;
    },
    [] (const BandwidthEstimator::Counters &c) { return c.packets_ignored > 0; } },
  { "one sequence number leaps ahead", [] (std::vector<Packet> &f, Rng &) { f[0].seq += 20000; },
    [] (const BandwidthEstimator::Counters &c) { return c.packets_ignored > 0; } },
  { "random sequence numbers",
    [] (std::vector<Packet> &f, Rng &rng) {
      for (Packet &p : f)
        p.seq = (guint16) rng.next ();
    },
    [] (const BandwidthEstimator::Counters &c) { return c.packets_ignored > 0; } },
  { "arrival 10 s before send",
    [] (std::vector<Packet> &f, Rng &) {
      for (Packet &p : f)
        if (p.arrival_time >= 0)
          p.arrival_time = std::max<gint64> (p.send_time - 10 * kSecond, 0);
    },
    [] (const BandwidthEstimator::Counters &c) { return c.delay_resets > 0; } },
  { "arrival jumps an hour ahead and back",
    [] (std::vector<Packet> &f, Rng &rng) {
      if (rng.uniform () < 0.3)
        for (Packet &p : f)
          if (p.arrival_time >= 0)
            p.arrival_time += 3600 * kSecond;
    },
    [] (const BandwidthEstimator::Counters &c) { return c.delay_resets > 0; } },
  { "send time jumps an hour ahead",
    [] (std::vector<Packet> &f, Rng &rng) {
      if (rng.uniform () < 0.3)
        for (Packet &p : f)
          p.send_time += 3600 * kSecond;
    },
    [] (const BandwidthEstimator::Counters &c) {
      return c.delay_resets > 0 || c.out_of_order > 0;
    } },
  { "extreme times",
    [] (std::vector<Packet> &f, Rng &rng) {
      for (Packet &p : f) {
        p.send_time = pick_time (rng);
        p.arrival_time = pick_time (rng);
      }
    },
    [] (const BandwidthEstimator::Counters &c) { return c.packets_ignored > 0; } },
  { "absurd sizes",
    [] (std::vector<Packet> &f, Rng &rng) {
      static const guint sizes[] = { 0, 65536, G_MAXUINT, 1 };
      for (Packet &p : f)
        p.size = sizes[rng.next () % G_N_ELEMENTS (sizes)];
    },
    [] (const BandwidthEstimator::Counters &c) { return c.packets_ignored > 0; } },
  { "every packet lost",
    [] (std::vector<Packet> &f, Rng &) {
      for (Packet &p : f)
        p.arrival_time = BandwidthEstimator::kLost;
    },
    [] (const BandwidthEstimator::Counters &c) {
      return c.packets_lost > 0 && c.loss_decreases > 0;
    } },
  { "every field random",
    [] (std::vector<Packet> &f, Rng &rng) {
      const std::size_t n = rng.next () % 300;
      f.resize (n);
      for (Packet &p : f) {
        p.seq = (guint16) rng.next ();
        p.send_time = pick_time (rng);
        p.arrival_time = rng.uniform () < 0.2 ? BandwidthEstimator::kLost : pick_time (rng);
        p.size = rng.uniform () < 0.5 ? (guint) rng.next () : (guint) (rng.next () % 1500);
      }
    },
    [] (const BandwidthEstimator::Counters &c) { return c.packets_ignored > 0; } },
};

START_TEST (test_hostile_feedback)
{
  const Hostile &h = hostile[_i];
  const guint64 min_bps = 100000, max_bps = 5000000;
  BandwidthEstimator bwe (bounds (min_bps, max_bps, 300000));
  Link link;
  link.capacity_bps = 2.5e6;
  Sim sim (bwe, link, 13);
  sim.after_feedback = [&] (gint64) { assert_sane (bwe, min_bps, max_bps); };
  sim.run_until (at (10));
  const BandwidthEstimator::Counters before = bwe.counters ();
  const guint64 before_bps = bwe.estimate_bps ();

  sim.mutate = h.mutate;
  sim.run_until (at (20));
  BandwidthEstimator::Counters during = bwe.counters ();
  during.packets_ignored -= before.packets_ignored;
  during.packets_received -= before.packets_received;
  during.packets_lost -= before.packets_lost;
  during.delay_resets -= before.delay_resets;
  during.loss_decreases -= before.loss_decreases;
  ck_assert_msg (h.counted (during),
                 "%s: ignored %" G_GUINT64_FORMAT " received %" G_GUINT64_FORMAT
                 " lost %" G_GUINT64_FORMAT " resets %" G_GUINT64_FORMAT
                 " out of order %" G_GUINT64_FORMAT,
                 h.name, during.packets_ignored, during.packets_received, during.packets_lost,
                 during.delay_resets, bwe.counters ().out_of_order);
  const guint64 after_hostile = bwe.estimate_bps ();
  g_print ("%s: ignored %" G_GUINT64_FORMAT " received %" G_GUINT64_FORMAT
           " lost %" G_GUINT64_FORMAT " out of order %" G_GUINT64_FORMAT
           " resets %" G_GUINT64_FORMAT "; %.2f Mbit/s before, %.2f after\n",
           h.name, during.packets_ignored, during.packets_received, during.packets_lost,
           bwe.counters ().out_of_order - before.out_of_order, during.delay_resets,
           sim.trace.empty () ? 0 : before_bps / 1e6, after_hostile / 1e6);

  /* Clean again: it works, delay detection included (over-use is seen
   * again), and settles around the capacity. */
  sim.mutate = nullptr;
  const guint64 overuse_before = bwe.counters ().overuse_signals;
  sim.run_until (at (80));
  g_print ("  recovered: %.2f Mbit/s on average in the last 10 s\n",
           sim.mean_in (at (70), at (80)) / 1e6);
  ck_assert_msg (bwe.counters ().overuse_signals > overuse_before, "%s: no over-use after", h.name);
  ck_assert_msg (sim.mean_in (at (70), at (80)) >= 0.7 * link.capacity_bps &&
                     sim.mean_in (at (70), at (80)) <= link.capacity_bps,
                 "%s: %.0f after", h.name, sim.mean_in (at (70), at (80)));
}
END_TEST

/* One huge feedback of garbage. */
START_TEST (test_hostile_huge_feedback)
{
  BandwidthEstimator bwe (bounds (100000, 5000000, 300000));
  Rng rng (17);
  std::vector<Packet> f (200000);
  for (Packet &p : f) {
    p.seq = (guint16) rng.next ();
    p.send_time = (gint64) (rng.next () >> 1);
    p.arrival_time = (gint64) (rng.next () >> 1);
    p.size = 1200;
  }
  bwe.on_feedback (f, 1);
  assert_sane (bwe, 100000, 5000000);
  ck_assert_uint_eq (bwe.counters ().packets_received + bwe.counters ().packets_ignored, f.size ());
}
END_TEST

/* Nothing ever arrives: TWCC still counts the loss, and the estimate halves
 * every (half) loss window down to the minimum. */
START_TEST (test_hostile_all_lost_from_start)
{
  BandwidthEstimator bwe (bounds (100000, 5000000, 2000000));
  guint16 seq = 0;
  for (gint64 now = kSecond; now <= 10 * kSecond; now += 50 * kMs) {
    std::vector<Packet> f (10);
    for (Packet &p : f) {
      p.seq = seq++;
      p.send_time = now - 100 * kMs;
      p.size = 1200;
    }
    bwe.on_feedback (f, now);
    assert_sane (bwe, 100000, 5000000);
  }
  ck_assert (bwe.twcc_active ());
  ck_assert_uint_eq (bwe.counters ().packets_lost, 1810);
  /* Every half second from 1.5 s: loss this heavy over this many packets
   * closes a window at half its length. */
  ck_assert_uint_eq (bwe.counters ().loss_decreases, 18);
  ck_assert_uint_eq (bwe.estimate_bps (), 100000);
  ck_assert (bwe.loss_fraction () == 1.0);
}
END_TEST

/* Receiver reports and on_sent with NaN, infinite, negative, absurd values;
 * `now` negative or going back. */
START_TEST (test_hostile_reports_and_times)
{
  const guint64 min_bps = 100000, max_bps = 5000000;
  BandwidthEstimator bwe (bounds (min_bps, max_bps, 300000));
  const double bad_losses[] = { NAN, -NAN, INFINITY, -INFINITY, -0.1, 1.0001, 1e300, -1e300 };
  gint64 now = kSecond;
  for (double loss : bad_losses) {
    bwe.on_receiver_report (loss, 0.05, now += kSecond);
    assert_sane (bwe, min_bps, max_bps);
  }
  ck_assert_uint_eq (bwe.counters ().reports_ignored, G_N_ELEMENTS (bad_losses));
  ck_assert_uint_eq (bwe.estimate_bps (), 300000);

  const double bad_rtts[] = { NAN, INFINITY, -INFINITY, -1, 11, 1e300, -1e-300 };
  for (double rtt : bad_rtts) {
    bwe.on_receiver_report (0.0, rtt, now += kSecond);
    assert_sane (bwe, min_bps, max_bps);
  }
  ck_assert_uint_eq (bwe.counters ().rtt_ignored, G_N_ELEMENTS (bad_rtts));
  ck_assert_int_eq (bwe.rtt (), 200 * kMs);

  bwe.on_sent (G_MAXUINT64, now);
  bwe.on_sent (G_MAXUINT32 + G_GUINT64_CONSTANT (1), now);
  ck_assert_uint_eq (bwe.counters ().sent_ignored, 2);

  const gint64 bad_nows[] = { -1, G_MININT64, now - kSecond, 0 };
  for (gint64 t : bad_nows) {
    bwe.on_receiver_report (0.5, 0.05, t);
    bwe.on_sent (1200, t);
    bwe.on_feedback ({}, t);
    assert_sane (bwe, min_bps, max_bps);
  }
  ck_assert_uint_eq (bwe.counters ().times_ignored, 3 * G_N_ELEMENTS (bad_nows));

  /* Bounds out of order or out of range. */
  bwe.set_bounds (G_MAXUINT64, 0);
  ck_assert_uint_ge (bwe.estimate_bps (), 10000);
  ck_assert_uint_le (bwe.estimate_bps (), (guint64) 1e11);
  bwe.set_bounds (0, 0);
  ck_assert_uint_eq (bwe.estimate_bps (), 10000);
  BandwidthEstimator zero (bounds (0, 0, 0));
  ck_assert_uint_eq (zero.estimate_bps (), 10000);
}
END_TEST

/* Probes: a viewer held on a small layer (its media sends 600 kbit/s) on a
 * fast link. Without probes the estimate stops at 1.5 times what arrives;
 * with them it reaches the maximum within seconds. On a 1 Mbit/s link the
 * same probes never raise it past the link. */
START_TEST (test_probes_find_an_idle_link)
{
  const guint64 max_bps = 2000000;
  for (int probing = 0; probing < 2; probing++) {
    BandwidthEstimator bwe (bounds (100000, max_bps, 600000));
    ProbePlan plan;
    Link link;
    link.capacity_bps = 10e6;
    Sim sim (bwe, link);
    sim.app_limit_bps = 600000;
    if (probing) {
      sim.probes = &plan;
      sim.probe_max_bps = max_bps;
    }
    sim.after_feedback = [&] (gint64) { assert_sane (bwe, 100000, max_bps); };
    sim.run_until (at (20));
    print_trace (probing ? "idle link, probes" : "idle link, no probes", sim, 1);
    if (!probing) {
      ck_assert_uint_le (sim.max_in (at (0), at (20)), 1.6 * 600000);
    } else {
      ck_assert_int_ge (sim.first_reaching (0.95 * max_bps), 0);
      ck_assert_int_le (sim.first_reaching (0.95 * max_bps), at (5));
      ck_assert_uint_ge (plan.succeeded (), 1);
      ck_assert_uint_ge (bwe.counters ().probes_raised, 1);
    }
  }

  BandwidthEstimator bwe (bounds (100000, max_bps, 600000));
  ProbePlan plan;
  Link link;
  link.capacity_bps = 1e6;
  link.buffer = 100 * kMs;
  Sim sim (bwe, link);
  sim.app_limit_bps = 600000;
  sim.probes = &plan;
  sim.probe_max_bps = max_bps;
  sim.run_until (at (30));
  print_trace ("1 Mbit/s link, probes", sim, 2);
  ck_assert_uint_ge (plan.sent (), 3);
  ck_assert_uint_le (sim.max_in (at (0), at (30)), 1.05 * 1e6 * 1.5);
  ck_assert_uint_le (sim.mean_in (at (10), at (30)), 1.1e6);
}
END_TEST

/* 2.5 -> 0.5 -> 2.5 Mbit/s: with probes the estimate is back near the
 * capacity within 6 s of the return, sooner than the +15 %/s climb alone. */
START_TEST (test_probes_after_a_dip)
{
  gint64 back[2] = { -1, -1 };
  for (int probing = 0; probing < 2; probing++) {
    BandwidthEstimator bwe (bounds (100000, 2500000, 2500000));
    ProbePlan plan;
    Link link;
    link.capacity_bps = 2.5e6;
    link.buffer = 100 * kMs;
    Sim sim (bwe, link);
    if (probing) {
      sim.probes = &plan;
      sim.probe_max_bps = 2500000;
    }
    sim.after_feedback = [&] (gint64) { assert_sane (bwe, 100000, 2500000); };
    sim.run_until (at (10));
    sim.link ().capacity_bps = 0.5e6;
    sim.run_until (at (25));
    ck_assert_uint_le (sim.mean_in (at (15), at (25)), 0.6e6);
    sim.link ().capacity_bps = 2.5e6;
    sim.run_until (at (45));
    print_trace (probing ? "dip, probes" : "dip, no probes", sim, 1);
    for (const auto &[t, e] : sim.trace)
      if (t >= at (25) && e >= 0.8 * 2.5e6) {
        back[probing] = t;
        break;
      }
  }
  g_print ("back to 2 Mbit/s %.1f s after the return without probes, %.1f s with\n",
           (back[0] - at (25)) / 1e9, (back[1] - at (25)) / 1e9);
  ck_assert_int_ge (back[1], at (25));
  ck_assert_int_le (back[1], at (31));
  ck_assert (back[0] < 0 || back[1] < back[0]);
}
END_TEST

/* The 10 -> 0.5 Mbit/s dip as the network benchmark has it, with a small
 * layer sending 340 kbit/s: the refused probes set a ceiling, so the
 * estimate stays under the link (before, it climbed past it and the move
 * to a bigger layer overflowed the queue); when the link comes back, a
 * probe carries more than the ceiling and the estimate reaches the
 * maximum within 6 s. */
START_TEST (test_probes_ceiling_on_a_narrow_link)
{
  const guint64 max_bps = 2000000;
  BandwidthEstimator bwe (bounds (30000, max_bps, 400000));
  ProbePlan plan;
  Link link;
  link.capacity_bps = 0.5e6;
  link.buffer = 100 * kMs;
  Sim sim (bwe, link);
  sim.app_limit_bps = 340000;
  sim.probes = &plan;
  sim.probe_max_bps = max_bps;
  guint64 ceiling_seen = 0;
  sim.after_feedback = [&] (gint64) {
    assert_sane (bwe, 30000, max_bps);
    ceiling_seen = std::max (ceiling_seen, bwe.ceiling_bps ());
  };
  sim.run_until (at (20));
  ck_assert_uint_ge (plan.sent (), 3);
  ck_assert_uint_gt (ceiling_seen, 0.4e6);
  ck_assert_uint_le (ceiling_seen, 0.55e6);
  /* Under the link once the first refusal measured it. */
  ck_assert_uint_le (sim.max_in (at (8), at (20)), 0.9 * 0.5e6);
  ck_assert_uint_gt (sim.min_in (at (8), at (20)), 0.25e6);
  sim.link ().capacity_bps = 10e6;
  sim.app_limit_bps = 0;
  sim.run_until (at (35));
  print_trace ("0.5 Mbit/s with a small layer, then 10", sim, 1);
  ck_assert_uint_eq (bwe.ceiling_bps (), 0);
  ck_assert_int_ge (sim.first_reaching (0.95 * max_bps), at (20));
  ck_assert_int_le (sim.first_reaching (0.95 * max_bps), at (26));
}
END_TEST

/* A probe cluster judged by what it delivered against its target: media
 * frames bunched into it sent it at 1.37 Mbit/s, and its last packets came
 * in 2.5 ms late each (a busy machine), so the path delivered 1.16 Mbit/s,
 * under 90 % of what it was sent. A 0.7 Mbit/s probe got more than it asked
 * for: passed, no ceiling (before, a ceiling of 1.16 Mbit/s held the climb
 * after a dip for seconds). The same cluster as a 1.5 Mbit/s probe did not
 * get its target: refused, and the ceiling is what its later half
 * delivered, 1.01 Mbit/s. */
static void probe_cluster (BandwidthEstimator &bwe, guint64 target_bps, guint16 &seq, gint64 &t)
{
  const gint64 offset = -99500 * kMs; /* the receiver's clock */
  auto one = [&] (gint64 send, gint64 arrival) {
    Packet p;
    p.seq = seq++;
    p.send_time = send;
    p.arrival_time = arrival + offset;
    p.size = kPacketBytes;
    return p;
  };
  /* 2 s of media at 0.6 Mbit/s over an idle 25 ms path. */
  const gint64 gap = (gint64) (kPacketBytes * 8 * kSecond / 600000);
  for (gint64 end = t + 2 * kSecond; t < end;) {
    std::vector<Packet> feedback;
    for (gint64 tick = t + 50 * kMs; t < tick; t += gap)
      feedback.push_back (one (t, t + 25 * kMs));
    bwe.on_feedback (feedback, t + 25 * kMs);
  }
  bwe.probe_sent (t, t + 55 * kMs, target_bps);
  std::vector<Packet> cluster;
  for (int i = 0; i < 8; i++)
    cluster.push_back (
        one (t + i * 7 * kMs, t + i * 7 * kMs + 25 * kMs + std::max (0, i - 4) * 2500000));
  cluster.push_back (one (t + 60 * kMs, t + 85 * kMs)); /* after it: the cluster is covered */
  t += 60 * kMs + gap;
  bwe.on_feedback (cluster, t + 30 * kMs);
}

START_TEST (test_probe_judged_by_its_target)
{
  guint16 seq = 0;
  gint64 t = kStart;
  BandwidthEstimator passed (bounds (100000, 5000000, 600000));
  probe_cluster (passed, 700000, seq, t);
  const BandwidthEstimator::ProbeResult &ok = passed.last_probe ();
  ck_assert_int_eq (ok.id, 1);
  ck_assert (!ok.saturated);
  ck_assert_uint_gt (ok.bps, 1100000);
  ck_assert_uint_lt (ok.bps, 1200000);
  ck_assert_uint_eq (passed.ceiling_bps (), 0);
  ck_assert_uint_ge (passed.estimate_bps (), 1000000);

  seq = 0;
  t = kStart;
  BandwidthEstimator refused (bounds (100000, 5000000, 600000));
  probe_cluster (refused, 1500000, seq, t);
  const BandwidthEstimator::ProbeResult &no = refused.last_probe ();
  ck_assert (no.saturated);
  ck_assert_uint_gt (refused.ceiling_bps (), 1000000);
  ck_assert_uint_lt (refused.ceiling_bps (), 1050000);
}
END_TEST

/* A refused probe through a link with a token bucket (1 Mbit/s, 3 kB, as
 * tbf and the benchmark's links have): the bucket's first packets arrive at
 * line rate, so over the whole cluster the path seems to deliver 1.18
 * Mbit/s (1.46 in a benchmark run); a ceiling there let a viewer on the half
 * size climb past the full size's 1.15 Mbit/s and move up into a link that
 * could not take it. The ceiling is what the link carries once the bucket is
 * spent, and an estimate above it comes down. */
START_TEST (test_probe_through_a_bucket)
{
  const gint64 offset = -99500 * kMs;
  BandwidthEstimator bwe (bounds (100000, 2000000, 1300000));
  guint16 seq = 0;
  gint64 t = kStart;
  auto one = [&] (gint64 send, gint64 arrival) {
    Packet p;
    p.seq = seq++;
    p.send_time = send;
    p.arrival_time = arrival + offset;
    p.size = kPacketBytes;
    return p;
  };
  /* 2 s of media at 0.6 Mbit/s: the bucket stays full. */
  const gint64 gap = (gint64) (kPacketBytes * 8 * kSecond / 600000);
  for (gint64 end = t + 2 * kSecond; t < end;) {
    std::vector<Packet> feedback;
    for (gint64 tick = t + 50 * kMs; t < tick; t += gap)
      feedback.push_back (one (t, t + 25 * kMs));
    bwe.on_feedback (feedback, t + 25 * kMs);
  }
  /* Above the full size's 1.15 Mbit/s, as a probe through the bucket's
   * burst once raised it. */
  ck_assert_uint_ge (bwe.estimate_bps (), 1150000);
  /* A 2 Mbit/s probe for 50 ms through the bucket: 3,000 bytes of tokens,
   * 125 bytes a millisecond. */
  bwe.probe_sent (t, t + 55 * kMs, 2000000);
  const double rate = 1e6 / 8 / kSecond; /* bytes per ns */
  double tokens = 3000;
  gint64 token_time = t, free = t;
  std::vector<Packet> cluster;
  const gint64 probe_gap = (gint64) (kPacketBytes * 8 * kSecond / 2000000);
  for (gint64 send = t; send < t + 50 * kMs; send += probe_gap) {
    gint64 leave = std::max (send, free);
    tokens = std::min (3000.0, tokens + (leave - token_time) * rate);
    if (tokens < kPacketBytes) {
      leave += (gint64) ((kPacketBytes - tokens) / rate);
      tokens = kPacketBytes;
    }
    tokens -= kPacketBytes;
    token_time = free = leave;
    cluster.push_back (one (send, leave + 25 * kMs));
  }
  cluster.push_back (one (t + 60 * kMs, free + 30 * kMs)); /* covers the cluster */
  bwe.on_feedback (cluster, free + 60 * kMs);
  ck_assert (bwe.last_probe ().saturated);
  ck_assert_uint_gt (bwe.ceiling_bps (), 900000);
  ck_assert_uint_lt (bwe.ceiling_bps (), 1080000);
  /* Down to what the link carries. */
  ck_assert_uint_le (bwe.estimate_bps (), 0.95 * bwe.ceiling_bps () + 1);
}
END_TEST

/* The plan alone: with a ceiling the target is just above it whatever the
 * estimate, and a refusal waits 2 s; the duration grows so that a slow
 * probe still holds six packets. */
START_TEST (test_probe_plan_ceiling)
{
  const gint64 s = G_USEC_PER_SEC;
  ProbePlan plan;
  /* A small layer on an unknown link: twice the estimate. */
  ck_assert_uint_eq (plan.next (10 * s, 400000, 200000, 2000000, true), 800000);
  /* With a ceiling: 1.15 times it. */
  ck_assert_uint_eq (plan.next (10 * s, 400000, 200000, 2000000, true, 500000), 575000);
  plan.started (10 * s);
  plan.finished (10 * s + 200000, 480000, true);
  ck_assert_uint_eq (plan.next (11 * s, 400000, 200000, 2000000, true, 500000), 0);
  ck_assert_uint_eq (plan.next (12 * s + 200000, 400000, 200000, 2000000, true, 500000), 575000);
  /* Never above the host's maximum. */
  ck_assert_uint_eq (plan.next (13 * s, 400000, 200000, 520000, true, 500000), 520000);
  /* A refusal of a probe asked without a ceiling waits 2 s as well (the
   * estimator holds one after every refusal); refusals do not pile up. */
  ProbePlan unknown;
  unknown.started (10 * s);
  unknown.finished (10 * s, 480000, true);
  ck_assert_uint_eq (unknown.next (11 * s + 900000, 400000, 200000, 2000000, true, 500000), 0);
  ck_assert_uint_eq (unknown.next (12 * s, 400000, 200000, 2000000, true, 500000), 575000);
  unknown.started (12 * s);
  unknown.finished (12 * s, 480000, true);
  ck_assert_uint_eq (unknown.next (14 * s, 400000, 200000, 2000000, true, 500000), 575000);
  /* One it carried: the next 0.5 s later, at twice the estimate. */
  unknown.started (14 * s);
  unknown.finished (14 * s, 900000, false);
  ck_assert_uint_eq (unknown.next (14 * s + 400000, 900000, 200000, 2000000, true), 0);
  ck_assert_uint_eq (unknown.next (14 * s + 500000, 900000, 200000, 2000000, true), 1800000);

  ck_assert_uint_eq (gv::webrtc::probe_duration_ms (4000000, 1200), gv::webrtc::kProbeDurationMs);
  ck_assert_uint_eq (gv::webrtc::probe_duration_ms (576000, 1200), 100);
  ck_assert_uint_eq (gv::webrtc::probe_duration_ms (10000, 1200), 150);
  ck_assert_uint_eq (gv::webrtc::probe_duration_ms (0, 1200), gv::webrtc::kProbeDurationMs);
}
END_TEST

/* Probe calls with absurd times or targets never break the estimate. */
START_TEST (test_hostile_probes)
{
  BandwidthEstimator bwe (bounds (100000, 5000000, 300000));
  Link link;
  Sim sim (bwe, link, 5);
  sim.run_until (at (5));
  const gint64 times[] = { G_MININT64, -1, 0, G_MAXINT64, at (4), at (6) };
  for (gint64 a : times)
    for (gint64 b : times) {
      bwe.probe_sent (a, b, G_MAXUINT64);
      sim.run_until (sim.now () + 200 * kMs);
      assert_sane (bwe, 100000, 5000000);
    }
  ck_assert_uint_ge (bwe.counters ().probes, 1);
}
END_TEST

static Suite *bandwidth_estimator_suite ()
{
  Suite *s = suite_create ("bandwidth-estimator");
  TCase *tc = tcase_create ("traces");
  tcase_set_timeout (tc, 60);
  tcase_add_loop_test (tc, test_ramp_and_settle, 0, G_N_ELEMENTS (ramp_capacities));
  tcase_add_test (tc, test_never_above_max);
  tcase_add_test (tc, test_start_above_a_short_queue);
  tcase_add_test (tc, test_capacity_drop_and_return);
  tcase_add_test (tc, test_cut_found_at_once);
  tcase_add_test (tc, test_random_loss_after_ramp);
  tcase_add_test (tc, test_random_loss_from_start);
  tcase_add_test (tc, test_heavy_random_loss_decreases);
  tcase_add_test (tc, test_receiver_reports_only);
  tcase_add_test (tc, test_receiver_reports_with_twcc);
  tcase_add_test (tc, test_deterministic);
  tcase_add_test (tc, test_probes_find_an_idle_link);
  tcase_add_test (tc, test_probes_after_a_dip);
  tcase_add_test (tc, test_probes_ceiling_on_a_narrow_link);
  tcase_add_test (tc, test_probe_judged_by_its_target);
  tcase_add_test (tc, test_probe_through_a_bucket);
  tcase_add_test (tc, test_probe_plan_ceiling);
  suite_add_tcase (s, tc);

  TCase *hostile_tc = tcase_create ("hostile");
  tcase_set_timeout (hostile_tc, 60);
  tcase_add_loop_test (hostile_tc, test_hostile_feedback, 0, G_N_ELEMENTS (hostile));
  tcase_add_test (hostile_tc, test_hostile_huge_feedback);
  tcase_add_test (hostile_tc, test_hostile_all_lost_from_start);
  tcase_add_test (hostile_tc, test_hostile_reports_and_times);
  tcase_add_test (hostile_tc, test_hostile_probes);
  suite_add_tcase (s, hostile_tc);
  return s;
}

int main ()
{
  SRunner *sr = srunner_create (bandwidth_estimator_suite ());
  srunner_run_all (sr, CK_NORMAL);
  const int failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed == 0 ? 0 : 1;
}
