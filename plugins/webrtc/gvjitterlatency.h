/* GhostView
 * Copyright (C) 2024 GhostView contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * gvwebrtcsrc's jitterbuffer latency, following the path: small on a LAN,
 * larger where a lost packet's retransmission takes longer to come back.
 * Four times a second it reads each jitterbuffer's measured retransmission
 * round trip, jitter and late packets and sets the latency to what a
 * retransmission needs, between the element's `latency` (the floor) and
 * `max-latency`: at once when packets come too late, back down step by step
 * once the path has been clean for three seconds, or as soon as the queue
 * that made packets late or retransmissions slow has drained (QueueDelay).
 *
 * It also lets the receiver's RTP sessions report every ~25 ms instead of
 * every 5 s (GStreamer's default minimum): a NACK for a lost packet, and
 * transport-wide congestion control feedback, ride on those reports, and a
 * request that waits seconds comes too late to be of use.
 */
#pragma once

#include <gst/gst.h>

#include <atomic>
#include <deque>
#include <mutex>
#include <vector>

namespace gv::webrtc {

/* How often a receiver's RTCP (receiver reports, NACKs, TWCC feedback)
 * may go out at most. */
inline constexpr guint64 kReceiverRtcpIntervalNs = 25 * GST_MSECOND;
/* The RTCP bandwidth (rtpsession's unit) set aside for a receiver's reports,
 * and as much again for the sender's: with reports of ~100 bytes, more
 * than kReceiverRtcpIntervalNs allows, so that interval is what counts. */
inline constexpr gint kReceiverRtcpBandwidth = 50000;

/* The latency (ms) that lets a retransmitted packet arrive in time, also
 * when its first request is lost or waits for the next report: two and a
 * half retransmission round trips plus twice the jitter plus the longest
 * wait for the next report (kReceiverRtcpIntervalNs) plus a margin,
 * never below `floor_ms` nor above `ceiling_ms`. A round trip of 0 (none
 * measured yet: nothing was lost) gives the floor. */
guint target_latency_ms (guint floor_ms, guint ceiling_ms, double rtx_rtt_ms, double jitter_ms);

/* How long frames take to arrive, first packet to last: on a narrow link a
 * frame's packets queue behind each other (a 3 KB frame takes 24 ms at
 * 1 Mbit/s), and a latency below that makes frames late as a rule. Counts
 * only packets newer than any before (not retransmissions, not
 * duplicates); keeps the frames of the last kWindowUs. */
class FrameSpread {
public:
  static constexpr gint64 kWindowUs = 3 * G_USEC_PER_SEC;
  void add (guint32 rtp_time, guint16 seq, gint64 arrival_us);
  /* The spread (ms) that the share `q` (0..1) of the recent frames stayed
   * within, as of `now_us`; 0 with no frame. */
  double percentile_ms (gint64 now_us, double q);

private:
  bool have_ = false;
  guint32 rtp_time_ = 0;
  guint16 highest_seq_ = 0;
  gint64 first_arrival_us_ = 0, last_arrival_us_ = 0;
  std::deque<std::pair<gint64, double>> frames_; /* (arrival of the last packet, spread ms) */
};

/* The queue the path to this receiver holds now (ms): how much later,
 * against its RTP time, the first packet of the frames of the last
 * kRecentUs arrived than the quickest frame of the last kBaseWindowUs did.
 * A late packet or a slow retransmission seen while a queue was full says
 * nothing about the path once the queue has drained (the sender's
 * estimate cut its rate). Counts only packets newer than any before. */
class QueueDelay {
public:
  static constexpr gint64 kBaseWindowUs = 10 * G_USEC_PER_SEC;
  static constexpr gint64 kRecentUs = 500 * 1000;
  void add (guint32 rtp_time, guint clock_rate, guint16 seq, gint64 arrival_us);
  /* 0 with no frame. */
  double current_ms (gint64 now_us);

private:
  bool have_ = false;
  guint64 ext_rtp_time_ = G_MAXUINT64; /* gst_rtp_buffer_ext_timestamp's state (-1: none yet) */
  guint32 rtp_time_ = 0;
  guint16 highest_seq_ = 0;
  std::deque<std::pair<gint64, double>> frames_; /* (arrival, transit ms) */
};

/* The next latency (ms): up to the target at once; on late packets at
 * least half again as much (a retransmission missed its deadline); down
 * toward the target only once nothing was late for a while, half the way
 * per step. */
guint next_latency_ms (guint floor_ms, guint ceiling_ms, guint current_ms, double rtx_rtt_ms,
                       double jitter_ms, bool late, gint64 ms_since_late);

class JitterLatency {
public:
  explicit JitterLatency (GstElement *owner) : owner_ (owner) {}
  ~JitterLatency ();
  JitterLatency (const JitterLatency &) = delete;
  JitterLatency &operator= (const JitterLatency &) = delete;

  /* Watches the jitterbuffers `webrtcbin` makes from now on and starts the
   * once-a-second adjustment. */
  void start (GstElement *webrtcbin, guint floor_ms, guint ceiling_ms, bool adaptive);
  /* Stops adjusting and forgets the jitterbuffers. */
  void stop ();
  void set_bounds (guint floor_ms, guint ceiling_ms, bool adaptive);
  /* The latency the jitterbuffers have now, ms. */
  guint current_ms () const { return current_ms_; }
  /* How many times it was changed. */
  guint changes () const { return changes_; }

private:
  static void on_new_jitterbuffer (GstElement *rtpbin, GstElement *jitterbuffer, guint session,
                                   guint ssrc, gpointer self);
  static void on_new_ssrc (GstElement *rtpbin, guint session, guint ssrc, gpointer self);
  static gboolean on_tick (GstClock *, GstClockTime, GstClockID, gpointer self);
  struct Stream;
  static GstPadProbeReturn on_packets (GstPad *, GstPadProbeInfo *info, gpointer stream);
  void adjust ();

  GstElement *const owner_; /* for logs */
  mutable std::mutex lock_;
  std::vector<GstElement *> jitterbuffers_; /* references */
  FrameSpread spread_;
  QueueDelay queue_; /* the video's (90 kHz) */
  GstElement *rtpbin_ = nullptr;
  gulong handlers_[2] = { 0, 0 };
  GstClockID tick_ = nullptr;
  guint floor_ms_ = 50, ceiling_ms_ = 400;
  bool adaptive_ = true;
  std::atomic<guint> current_ms_{ 50 };
  std::atomic<guint> changes_{ 0 };
  /* on the clock's thread only */
  guint64 late_seen_ = 0;
  gint64 last_late_us_ = 0;
  double late_queue_ms_ = 0; /* the queue when packets last came late */
  guint64 recovered_seen_ = 0;
  gint64 last_recovery_us_ = 0;
  double last_rtt_ms_ = 0;
  double rtt_queue_ms_ = 0;             /* the queue when last_rtt_ms_ was taken */
  static constexpr int kQueueTicks = 4; /* a second */
  double queue_history_[kQueueTicks] = {};
  guint64 queue_ticks_ = 0;
};

} // namespace gv::webrtc
