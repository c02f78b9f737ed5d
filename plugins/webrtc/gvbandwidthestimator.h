/* GhostView
 * Copyright (C) 2024 GhostView contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * One viewer's available bandwidth, estimated the way Google Congestion
 * Control is published (draft-ietf-rmcat-gcc-02, libwebrtc's trendline
 * estimator): Debian 12's GStreamer has no rtpgccbwe, so this is ours.
 *
 *   TWCC feedback --> send-time groups --> delay variation --> trendline
 *                 --> over-use detector (adaptive threshold) --> AIMD  --> delay-based
 *                 --> received rate (bounds increases and decreases)
 *                 --> loss fraction --> loss-based controller          --> loss-based
 *   RTCP receiver reports (no TWCC) --> loss-based controller
 *
 *   estimate = min (delay-based, loss-based), clamped to [min_bps, max_bps]
 *
 * Plain C++: no pipeline, no clock. Every time is passed in, in nanoseconds
 * (gint64), so a trace gives the same estimates every time it is replayed.
 * Every `now` (on_feedback, on_receiver_report, on_sent) is on one monotonic
 * clock; one that is negative or goes back is replaced by the latest seen.
 * Not thread-safe: one owner (the viewer's task queue) feeds and reads it.
 *
 * Decreases (over-use): to 0.85 times the received rate, over the last
 * 500 ms or the last 150 ms, whichever is less: a link cut to a quarter
 * shows in the short window at once.
 *
 * Speed: +15 % a second (delay side, +8 % loss side) while far from the
 * last congestion point; faster only through probes: the owner sends a
 * short cluster of extra packets at a target rate (probe_sent ()), and once
 * the feedback covers it, the rate the path delivered raises the estimate at
 * once (libwebrtc's probe controller does the same with padding).
 *
 * A probe the path refused (it delivered under 90 % of what it was sent,
 * and less than its target) measured the link: the rate the later half of
 * the cluster arrived at (a token bucket lets the first packets through at
 * line rate) is a ceiling. An estimate above 95 % of it comes down to that,
 * and the estimate grows no further than 0.75 times it (a small layer that
 * sends less than the estimate would otherwise let it climb past the link,
 * and the move to a bigger layer overflowed the queue; at 0.85 a ceiling
 * read 10 % high and the encoder's overshoot on the move still did). The
 * ceiling goes when a probe carries clearly more (8 %) than it; a newer
 * refusal replaces it.
 *
 * Feeding it from webrtcbin 1.22 (the upstream custom event "RTPTWCCPackets"
 * on the RTP sink side of a viewer's webrtcbin transport; its "packets" is a
 * GValueArray of "RTPTWCCPacket" structures):
 *   seq          <- "seqnum"    (guint; 16 bits of transport-wide sequence)
 *   send_time    <- "local-ts"  (guint64 ns, GstSystemClock of rtpsession)
 *   arrival_time <- "remote-ts" (guint64 ns, receiver's clock), or kLost when
 *                   "lost" is TRUE or remote-ts is GST_CLOCK_TIME_NONE
 *   size         <- "size"      (guint bytes)
 * A guint64 above G_MAXINT64 must become kLost (arrival) or be skipped (send
 * time); "payload-type" is not needed. `now` is the time the event was
 * handled on the clock of local-ts: gst_clock_get_time (gst_system_clock_obtain
 * ()) (the monotonic clock, so g_get_monotonic_time () * 1000 on Linux).
 * The receiver's clock has its own origin: only differences of arrival times
 * are used, so an arrival "before" its send time is normal.
 */
#pragma once

#include <glib.h>

#include <deque>
#include <utility>
#include <vector>

namespace gv::webrtc {

class BandwidthEstimator {
public:
  /* An arrival time that says "lost" (any negative arrival time does). */
  static constexpr gint64 kLost = -1;

  struct PacketResult {
    guint16 seq = 0;             /* transport-wide sequence number (wraps) */
    gint64 send_time = 0;        /* ns, sender's clock */
    gint64 arrival_time = kLost; /* ns, receiver's clock; kLost when lost */
    guint size = 0;              /* bytes of the RTP packet */
  };

  struct Bounds {
    guint64 min_bps = 100000;
    guint64 max_bps = 10000000; /* the estimate never exceeds it */
    guint64 start_bps = 300000;
  };

  /* What the estimate is doing: the more cautious of the two controllers
   * (a decrease by either is Decrease, a hold by either is Hold). */
  enum class State { Increase, Hold, Decrease };
  /* The over-use detector's last verdict on the delay trend. */
  enum class Usage { Normal, Overuse, Underuse };

  struct Counters {
    guint64 feedback_reports = 0; /* on_feedback () calls */
    guint64 packets_received = 0; /* accepted feedback entries that arrived */
    guint64 packets_lost = 0;     /* accepted feedback entries reported lost */
    guint64 packets_ignored = 0;  /* entries refused: duplicate or late sequence number,
                                   * negative send time, size 0 or above 65535 */
    guint64 out_of_order = 0;     /* arrived, but sent before the group being filled:
                                   * counted for loss and rate, not for delay */
    guint64 receiver_reports = 0; /* on_receiver_report () calls */
    guint64 reports_ignored = 0;  /* receiver reports refused: loss NaN or outside 0..1 */
    guint64 rtt_ignored = 0;      /* RTT samples refused: NaN, negative, above 10 s */
    guint64 sent_ignored = 0;     /* on_sent () calls refused: above 4 GiB at once */
    guint64 times_ignored = 0;    /* `now` negative or going back (the last one is kept) */
    guint64 delay_resets = 0;     /* delay detector restarted: jump, pause, reordering */
    guint64 overuse_signals = 0;  /* over-use detected */
    guint64 delay_decreases = 0;  /* decreases by the delay-based controller */
    guint64 loss_decreases = 0;   /* decreases by the loss-based controller */
    guint64 probes = 0;           /* probe clusters evaluated */
    guint64 probes_raised = 0;    /* ... that raised the estimate */
  };

  /* What a probe cluster showed. */
  struct ProbeResult {
    gint64 id = 0;          /* probe_sent ()'s return value; 0: none yet */
    guint64 target_bps = 0; /* what it was sent at */
    guint64 bps = 0;        /* what the path delivered; 0: it told nothing */
    bool saturated = false; /* it delivered under 90 % of what was sent */
  };

  BandwidthEstimator ();
  explicit BandwidthEstimator (const Bounds &bounds);

  /* New bounds, e.g. when the host's maximum changes; the estimates are
   * clamped into them at once. min is at least 10 kbit/s, max at most
   * 100 Gbit/s and at least min. */
  void set_bounds (guint64 min_bps, guint64 max_bps);
  guint64 max_bps () const { return (guint64) max_bps_; }

  /* One TWCC feedback: the packets it reports, in any order. */
  void on_feedback (const std::vector<PacketResult> &packets, gint64 now);
  /* One RTCP receiver report block: fraction lost (0..1, as the report's
   * fraction / 256) and the round trip time in seconds (0 when unknown; NaN,
   * infinite, negative or above 10 s is counted in rtt_ignored). Drives the
   * loss-based controller (+8 % a report at most) only when no TWCC feedback
   * has come for kTwccTimeout; otherwise only its RTT is used. */
  void on_receiver_report (double fraction_lost, double rtt_s, gint64 now);
  /* Bytes put on the wire since the last call (per packet or in batches).
   * Needed only without TWCC: the send rate is then the evidence an increase
   * needs, so reports alone never raise the estimate of an idle sender. */
  void on_sent (guint64 bytes, gint64 now);

  /* The owner sent extra packets from `start` to `end` (the clock of the
   * send times) so that the viewer got `target_bps` in all. Evaluated once
   * feedback reports a packet sent after `end` (or 2 s later: nothing);
   * a new probe replaces one still waiting. Returns the probe's id. */
  gint64 probe_sent (gint64 start, gint64 end, guint64 target_bps);
  /* True while a probe waits for its feedback. */
  bool probing () const { return probe_.active; }
  const ProbeResult &last_probe () const { return probe_result_; }
  /* What the last refused probe delivered, bit/s; 0: no refusal since a
   * probe carried more. */
  guint64 ceiling_bps () const { return (guint64) ceiling_bps_; }
  /* The packets' average size, bytes (1200 until feedback says). */
  double average_packet_bytes () const { return average_packet_bytes_; }

  guint64 estimate_bps () const;
  State state () const;
  Usage usage () const { return usage_; }
  const Counters &counters () const { return counters_; }

  /* For stats and debugging. */
  guint64 delay_based_bps () const;
  guint64 loss_based_bps () const;
  guint64 received_bps () const; /* 0 while unknown */
  /* What the feedback of the last 500 ms covers, at its send times: the
   * rate the viewer was sent, known ~one feedback interval late. */
  guint64 sent_bps () const;                               /* 0 while unknown */
  double loss_fraction () const { return loss_fraction_; } /* last loss window */
  gint64 rtt () const { return rtt_; }                     /* ns, smoothed */
  double delay_threshold_ms () const { return threshold_ms_; }
  /* The last delay trend compared with that threshold (ms; > 0: queues
   * grow), before over-use is declared on it. */
  double delay_trend_ms () const { return modified_trend_; }
  bool twcc_active () const { return twcc_active_; }

  static const char *state_name (State state);
  static const char *usage_name (Usage usage);

  /* Feedback older than this leaves receiver reports in charge of loss. */
  static constexpr gint64 kTwccTimeout = 2 * G_GINT64_CONSTANT (1000000000);

private:
  /* Bytes per time over a sliding window, in fixed buckets (bounded memory). */
  class RateWindow {
  public:
    RateWindow (gint64 window, gint64 bucket, gint64 min_span);
    void add (gint64 t, double bytes);
    bool rate_bps (double &bps) const;
    guint64 bps_or_zero () const; /* 0 while unknown */
    void reset ();

  private:
    struct Bucket {
      gint64 start;
      double bytes;
    };
    std::deque<Bucket> buckets_;
    gint64 window_, bucket_, min_span_;
    gint64 origin_ = kLost, latest_ = kLost;
  };

  struct Group {
    bool valid = false;
    gint64 first_send = 0, last_send = 0;
    gint64 first_arrival = 0, last_arrival = 0;
  };

  void add_to_delay_detector (const PacketResult &p);
  void complete_group ();
  void reset_delay_detector ();
  void trendline_update (double delay_variation_ms, gint64 arrival, double send_delta_ms);
  void detect (double send_delta_ms, gint64 arrival);
  void update_delay_controller (gint64 now);
  void add_capacity_sample (double bps);
  void count_loss (guint64 received, guint64 lost, gint64 now);
  void apply_loss (double fraction, gint64 window);
  void add_rtt_sample (gint64 rtt);
  void add_to_probe (const PacketResult &p);
  void finish_probe ();
  /* `bps`, no higher than the ceiling allows (kCeilingShare of it). */
  double below_ceiling (double bps) const;
  gint64 take_now (gint64 now);
  double clamp_bps (double bps) const;
  double combined_bps () const;
  bool evidence_bps (double &bps) const;

  double min_bps_, max_bps_;
  double delay_bps_, loss_bps_;
  Counters counters_;
  gint64 last_now_ = 0;

  /* Sequence numbers: the highest accepted one, unwrapped. */
  bool have_seq_ = false;
  gint64 highest_seq_ = 0;
  guint far_behind_ = 0; /* refused in a row for being far behind: a restart? */

  /* Delay detector: groups, trendline, over-use detector. */
  Group current_, previous_;
  int reordered_groups_ = 0;
  gint64 trend_origin_ = kLost;
  double accumulated_delay_ms_ = 0, smoothed_delay_ms_ = 0, trend_ = 0;
  std::deque<std::pair<double, double>> trend_points_;
  int num_deltas_ = 0;
  double threshold_ms_;
  gint64 last_threshold_update_ = kLost;
  double time_over_using_ms_ = -1, previous_trend_ = 0, modified_trend_ = 0;
  int overuse_counter_ = 0;
  Usage usage_ = Usage::Normal;
  bool overuse_in_feedback_ = false;

  /* AIMD rate controller. */
  State delay_state_ = State::Hold, delay_action_ = State::Hold;
  gint64 last_delay_update_ = kLost, last_decrease_ = kLost;
  bool have_capacity_ = false;
  double ceiling_bps_ = 0; /* ceiling_bps (); 0: none */
  double capacity_bps_ = 0, capacity_rel_var_ = 0;
  double average_packet_bytes_ = 1200;

  /* Received rate (TWCC, on the receiver's clock), send rate (on_sent),
   * and the rate of what the feedback reports, lost or not (on the
   * sender's clock: what was sent, as the receiver's feedback covers it). */
  RateWindow received_, received_recent_, sent_, reported_;

  /* Loss-based controller. */
  State loss_action_ = State::Hold;
  guint64 window_received_ = 0, window_lost_ = 0;
  gint64 window_start_ = kLost, last_report_ = kLost;
  double loss_fraction_ = 0;

  /* The probe cluster waiting for its feedback. */
  struct Probe {
    bool active = false;
    gint64 id = 0, start = 0, end = 0, given_up = 0;
    guint64 target_bps = 0;
    guint received = 0, lost = 0;
    double sent_bytes = 0, received_bytes = 0;
    guint last_sent_size = 0, first_received_size = 0;
    gint64 first_send = 0, last_send = 0, first_arrival = 0, last_arrival = 0;
    bool covered = false;                           /* a packet sent after `end` was reported */
    std::vector<std::pair<gint64, guint>> arrivals; /* (time, bytes), kMaxProbeArrivals */
  } probe_;
  ProbeResult probe_result_;
  gint64 next_probe_id_ = 1;

  /* TWCC activity and round trip time. */
  bool twcc_active_ = false;
  gint64 last_feedback_ = kLost;
  bool have_rtt_ = false;
  gint64 rtt_;
};

} // namespace gv::webrtc
