/* GhostView
 * Copyright (C) 2024 GhostView contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * How fast the host may send a file to one viewer while the viewer's video
 * shares the link: a scavenger. The video's congestion signals (its
 * bandwidth estimator: over-use, loss, a decrease) drive the file's rate;
 * the file only grows while the video is at its top bitrate and the link
 * is calm, halves when the video's packets queue or get lost, and never
 * goes below a floor so that it still moves. Without video feedback for a
 * while it does not limit anything (nothing to protect, nothing to steer
 * by). A token bucket turns the rate into bytes that may go now, in small
 * pieces on a narrow link so that a chunk never fills the link's queue,
 * and a window bounds what is on its way; what the receiver reports
 * arrived bounds the rate from above (twice the delivered rate) and sets
 * it after a halving.
 *
 * The data channel's own SCTP congestion control still applies under this
 * limit: it fills a queue until packets are lost, which is what starved the
 * video (tests/bench/network: file-cap4m).
 *
 * Thread-safe: signals come on the viewer's queue, allowance () on the
 * data channel's thread.
 */
#pragma once

#include <glib.h>

#include <deque>
#include <mutex>
#include <utility>

namespace gv::webrtc {

class FilePace {
public:
  struct Signal {
    /* The video's packets queue (over-use), get lost, or its estimate is
     * coming down. */
    bool congested = false;
    /* The video is below its top bitrate: it gets the room first (the
     * file gives way slowly). */
    bool video_wants_more = false;
  };

  static constexpr guint64 kFloorBps = 128 * 1000;
  static constexpr guint64 kStartBps = 1000 * 1000;
  static constexpr guint64 kCeilingBps = G_GUINT64_CONSTANT (8) * 1000 * 1000 * 1000;
  /* Without a signal for this long, nothing is limited. */
  static constexpr gint64 kStaleUs = G_USEC_PER_SEC;
  /* A halving at most this often (about a round trip and the estimator's
   * reaction). */
  static constexpr gint64 kCutEveryUs = 300 * 1000;
  /* Smallest piece worth sending, and the bucket's depth in time. */
  static constexpr gsize kMinPiece = 4 * 1024;
  static constexpr gint64 kBurstUs = 20 * 1000;
  /* Bytes sent and not yet reported arrived: at most the rate's worth of
   * kWindowUs, and at least kMinWindow (the receiver reports every
   * FileEndpoint::kAckEvery). The SCTP buffers would otherwise hide a
   * backlog that the link drains long after the video asked for room. */
  static constexpr gint64 kWindowUs = 250 * 1000;
  static constexpr guint64 kMinWindow = 128 * 1024;

  /* Slow start (until the first halving) grows per round trip of the
   * file's own bytes: a round ends when what was in flight at its start
   * has arrived, and lasts at least 250 ms (the video's estimator must see
   * a queue before the file doubles again) until a round has delivered
   * kFastLinkBps; on a link proven faster, proportionally less, down to
   * kMinRoundUs. */
  static constexpr gint64 kSlowRoundUs = 250 * 1000;
  static constexpr gint64 kMinRoundUs = 20 * 1000;
  static constexpr double kFastLinkBps = 2e6;

  /* A signal from the video's estimator at `now_us` (monotonic). */
  void on_signal (const Signal &signal, gint64 now_us);
  /* The receiver has `arrived` bytes of the file going out. */
  void on_arrived (guint64 arrived, gint64 now_us);

  /* Bytes of `want` that may go now, with `in_flight` bytes sent and not
   * yet reported arrived (0: wait; wait_us () says how long); what it
   * returns is spent. */
  gsize allowance (gsize want, guint64 in_flight, gint64 now_us);
  /* How long until `want` (or a piece of it worth sending) may go. */
  gint64 wait_us (gsize want, gint64 now_us) const;

  /* The file's rate now, bit/s (0: not limited). */
  guint64 rate_bps (gint64 now_us) const;
  guint64 cuts () const;

private:
  bool limiting (gint64 now_us) const;
  double depth_bytes () const;
  void refill (gint64 now_us);
  /* What reached the receiver lately, bit/s; < 0: unknown. */
  double delivered_bps (gint64 now_us);
  /* Slow start, as `arrived` bytes of the file have arrived: a round ends,
   * the rate doubles while the link keeps up, and slow start ends when
   * what arrives per round stops growing. */
  void slow_start_round (guint64 arrived, gint64 now_us);
  void start_round (guint64 arrived, gint64 now_us);

  mutable std::mutex lock_;
  double rate_bps_ = kStartBps;
  bool slow_start_ = true;
  gint64 last_signal_us_ = 0;
  gint64 last_update_us_ = 0;
  gint64 last_cut_us_ = 0;
  double rate_at_cut_bps_ = 0; /* what the file took when it last halved */
  guint64 cuts_ = 0;
  gint64 held_us_ = 0; /* when the rate (not the window) last held the file */
  double tokens_ = 0;  /* bytes */
  gint64 refilled_us_ = 0;
  std::deque<std::pair<gint64, guint64>> arrivals_; /* (when, bytes arrived) */
  guint64 in_flight_ = 0;                           /* as the sender last said */
  /* The last signal: not congested, and the video at its top bitrate. */
  bool calm_ = false;
  /* The slow-start round: when it began, what had arrived then, what
   * must have arrived for it to end (0: none yet); the best rate a round
   * delivered, and how many rounds since it grew by a quarter. */
  gint64 round_start_us_ = 0;
  guint64 round_start_arrived_ = 0;
  guint64 round_target_ = 0;
  double round_best_bps_ = 0;
  int round_stalls_ = 0;
};

} // namespace gv::webrtc
