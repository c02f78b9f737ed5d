/* GhostView
 * Copyright (C) 2024 GhostView contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "gvjitterlatency.h"

#include "gvpadbuffers.h"

#include <gst/rtp/rtp.h>

#include <algorithm>
#include <cmath>

GST_DEBUG_CATEGORY_EXTERN (gv_webrtc_src_debug);
#define GST_CAT_DEFAULT gv_webrtc_src_debug

namespace gv::webrtc {

/* Changes smaller than this are not worth a latency renegotiation. */
static constexpr guint kMinChangeMs = 10;
/* How often the latency is looked at. */
static constexpr GstClockTime kTickNs = 250 * GST_MSECOND;
/* Added to every target: scheduling and decoding take a little. */
static constexpr double kMarginMs = 20;
/* After packets came late the latency is not lowered for this long (a
 * retransmission that saved one keeps its round trip in the target this
 * long). Ten seconds kept a narrow link at the 300 ms
 * its first second of queueing asked for: three clean seconds are enough to
 * say the path is calm again (frames that take long to arrive keep their
 * share through FrameSpread). */
static constexpr gint64 kHoldAfterLateMs = 3000;
/* The least wait (ms) before a retransmission request is sent again. */
static constexpr gint kMinRetryTimeoutMs = 10;
/* How long (ms) a gap waits for its packet before it is asked for. */
static constexpr gint kRtxDelayMs = 5;
/* A queue this deep (ms) when packets came late or a retransmission came
 * back, and under kDrainedMs now: what was measured then was the queue's. */
static constexpr double kQueuedMs = 40;
static constexpr double kDrainedMs = 25;

guint target_latency_ms (guint floor_ms, guint ceiling_ms, double rtx_rtt_ms, double jitter_ms)
{
  ceiling_ms = std::max (ceiling_ms, floor_ms);
  if (!std::isfinite (rtx_rtt_ms) || rtx_rtt_ms <= 0)
    return floor_ms;
  if (!std::isfinite (jitter_ms) || jitter_ms < 0)
    jitter_ms = 0;
  /* A second request may wait for the next report. */
  const double report_ms = kReceiverRtcpIntervalNs / 1e6;
  double wanted = 2.5 * rtx_rtt_ms + 2 * jitter_ms + report_ms + kMarginMs;
  return (guint) std::clamp (wanted, (double) floor_ms, (double) ceiling_ms);
}

/* Frames kept at most, whatever their times say. */
static constexpr std::size_t kMaxFrames = 1000;
/* The share of recent frames the latency covers: one frame in ten may wait
 * for the decoder's next chance (a hiccup of the machine is not the path). */
static constexpr double kSpreadShare = 0.9;

void FrameSpread::add (guint32 rtp_time, guint16 seq, gint64 arrival_us)
{
  if (have_ && (gint16) (seq - highest_seq_) <= 0)
    return; /* a retransmission or a duplicate: not the frame's own pace */
  if (have_ && rtp_time != rtp_time_) {
    frames_.emplace_back (last_arrival_us_, (last_arrival_us_ - first_arrival_us_) / 1000.0);
    if (frames_.size () > kMaxFrames)
      frames_.pop_front ();
  }
  if (!have_ || rtp_time != rtp_time_) {
    rtp_time_ = rtp_time;
    first_arrival_us_ = arrival_us;
  }
  have_ = true;
  highest_seq_ = seq;
  last_arrival_us_ = arrival_us;
}

double FrameSpread::percentile_ms (gint64 now_us, double q)
{
  while (!frames_.empty () && now_us - frames_.front ().first > kWindowUs)
    frames_.pop_front ();
  if (frames_.empty ())
    return 0;
  std::vector<double> spreads;
  spreads.reserve (frames_.size ());
  for (const auto &frame : frames_)
    spreads.push_back (frame.second);
  const std::size_t at =
      std::min (spreads.size () - 1, (std::size_t) (std::clamp (q, 0.0, 1.0) * spreads.size ()));
  std::nth_element (spreads.begin (), spreads.begin () + at, spreads.end ());
  return spreads[at];
}

void QueueDelay::add (guint32 rtp_time, guint clock_rate, guint16 seq, gint64 arrival_us)
{
  if (clock_rate == 0 || (have_ && (gint16) (seq - highest_seq_) <= 0))
    return; /* a retransmission or a duplicate: it waited for its request */
  highest_seq_ = seq;
  if (have_ && rtp_time == rtp_time_)
    return; /* not the frame's first packet */
  const guint64 ext = gst_rtp_buffer_ext_timestamp (&ext_rtp_time_, rtp_time);
  have_ = true;
  rtp_time_ = rtp_time;
  const double transit_ms = arrival_us / 1000.0 - (double) ext * 1000.0 / clock_rate;
  frames_.emplace_back (arrival_us, transit_ms);
  if (frames_.size () > kMaxFrames)
    frames_.pop_front ();
}

double QueueDelay::current_ms (gint64 now_us)
{
  while (!frames_.empty () && now_us - frames_.front ().first > kBaseWindowUs)
    frames_.pop_front ();
  double base = G_MAXDOUBLE, recent = -G_MAXDOUBLE;
  for (const auto &frame : frames_) {
    base = std::min (base, frame.second);
    if (now_us - frame.first <= kRecentUs)
      recent = std::max (recent, frame.second);
  }
  return recent > base ? recent - base : 0;
}

JitterLatency::~JitterLatency ()
{
  stop ();
}

void JitterLatency::start (GstElement *webrtcbin, guint floor_ms, guint ceiling_ms, bool adaptive)
{
  stop ();
  GstElement *rtpbin = gst_bin_get_by_name (GST_BIN (webrtcbin), "rtpbin");
  GstClock *clock = gst_system_clock_obtain ();
  std::lock_guard<std::mutex> guard (lock_);
  floor_ms_ = floor_ms;
  ceiling_ms_ = ceiling_ms;
  adaptive_ = adaptive;
  current_ms_ = floor_ms;
  if (rtpbin) {
    rtpbin_ = rtpbin;
    handlers_[0] =
        g_signal_connect (rtpbin, "new-jitterbuffer", G_CALLBACK (on_new_jitterbuffer), this);
    handlers_[1] = g_signal_connect (rtpbin, "on-new-ssrc", G_CALLBACK (on_new_ssrc), this);
  } else {
    GST_WARNING_OBJECT (owner_, "webrtcbin has no rtpbin: the latency stays at %u ms", floor_ms);
  }
  tick_ = gst_clock_new_periodic_id (clock, gst_clock_get_time (clock) + kTickNs, kTickNs);
  gst_clock_id_wait_async (tick_, on_tick, this, nullptr);
  gst_object_unref (clock);
}

void JitterLatency::stop ()
{
  GstClockID tick;
  {
    std::lock_guard<std::mutex> guard (lock_);
    tick = tick_;
    tick_ = nullptr;
  }
  if (tick) {
    gst_clock_id_unschedule (tick);
    gst_clock_id_unref (tick);
  }
  std::lock_guard<std::mutex> guard (lock_);
  if (rtpbin_) {
    for (gulong handler : handlers_)
      g_signal_handler_disconnect (rtpbin_, handler);
    gst_object_unref (rtpbin_);
    rtpbin_ = nullptr;
  }
  for (GstElement *jb : jitterbuffers_)
    gst_object_unref (jb);
  jitterbuffers_.clear ();
}

void JitterLatency::set_bounds (guint floor_ms, guint ceiling_ms, bool adaptive)
{
  std::lock_guard<std::mutex> guard (lock_);
  floor_ms_ = floor_ms;
  ceiling_ms_ = ceiling_ms;
  adaptive_ = adaptive;
}

/* What a jitterbuffer's packets carry; its pad's caps say only the SSRC,
 * so the clock rate of each payload type is asked of webrtcbin, through
 * rtpbin's request-pt-map, once per payload type. */
struct JitterLatency::Stream {
  JitterLatency *self;
  guint session;
  gint payload_type = -1;
  guint video_rate = 0; /* 90000 for video, else 0 */
};

static guint video_clock_rate (GstPad *pad, guint session, guint payload_type)
{
  guint rate = 0;
  GstObject *jitterbuffer = gst_pad_get_parent (pad);
  GstObject *rtpbin = jitterbuffer ? gst_object_get_parent (jitterbuffer) : nullptr;
  GstCaps *caps = nullptr;
  if (rtpbin)
    g_signal_emit_by_name (rtpbin, "request-pt-map", session, payload_type, &caps);
  if (caps && !gst_caps_is_empty (caps)) {
    const GstStructure *s = gst_caps_get_structure (caps, 0);
    gint clock_rate = 0;
    if (g_strcmp0 (gst_structure_get_string (s, "media"), "video") == 0 &&
        gst_structure_get_int (s, "clock-rate", &clock_rate) && clock_rate > 0)
      rate = (guint) clock_rate;
  }
  if (caps)
    gst_caps_unref (caps);
  if (rtpbin)
    gst_object_unref (rtpbin);
  if (jitterbuffer)
    gst_object_unref (jitterbuffer);
  return rate;
}

void JitterLatency::on_new_jitterbuffer (GstElement *, GstElement *jitterbuffer, guint session,
                                         guint, gpointer user)
{
  auto *self = static_cast<JitterLatency *> (user);
  /* webrtcbin 1.22 turns retransmission requests on only for transceivers
   * it matches to the jitterbuffer's stream, which it does not for an
   * answerer's transceivers: ask for lost packets here. A stream the host
   * does not resend (audio) just gets no answer. */
  g_object_set (jitterbuffer, "do-retransmission", TRUE, nullptr);
  /* Retransmissions only for gaps, not for a packet that has not come yet:
   * a host that pauses (a switch of what it shares restarts capture and
   * encoder for 0.1 - 0.3 s) would otherwise have its next packet, the new
   * picture's keyframe, declared lost, dropped as too late when it comes,
   * and asked for again (0.5 - 1 s; tests/bench/media/run-switch-bench.py).
   * A packet lost at the end of a frame is found by the next frame's. */
  g_object_set (jitterbuffer, "rtx-next-seqnum", FALSE, nullptr);
  /* A request not answered within a retransmission round trip (plus
   * twice the jitter: the jitterbuffer's own measure) is sent again. Its
   * default floor for that wait is a frame interval (33 ms at 30 frames/s),
   * so at the latency a short path gets (target_latency_ms: 60 ms at a
   * 15 ms round trip) no second request fitted before the deadline: each
   * lost request or lost retransmission (2 % loss each way: 1 loss in 25)
   * was a lost packet (tests/bench/network/README.md). */
  g_object_set (jitterbuffer, "rtx-min-retry-timeout", kMinRetryTimeoutMs, nullptr);
  /* A gap is asked for after kRtxDelayMs, not the default half a frame
   * interval (17 ms at 30 frames/s): a gap is a packet lost or overtaken,
   * and packets are rarely overtaken; at a short path's latency (35 ms)
   * those 17 ms left no time for a second request. */
  g_object_set (jitterbuffer, "rtx-delay", kRtxDelayMs, nullptr);
  if (GstPad *sink = gst_element_get_static_pad (jitterbuffer, "sink")) {
    gst_pad_add_probe (
        sink, (GstPadProbeType) (GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST),
        on_packets, new Stream{ self, session },
        [] (gpointer stream) { delete static_cast<Stream *> (stream); });
    gst_object_unref (sink);
  }
  std::lock_guard<std::mutex> guard (self->lock_);
  self->jitterbuffers_.push_back (GST_ELEMENT (gst_object_ref (jitterbuffer)));
}

/* Every packet into a jitterbuffer, on its streaming thread: arrival times
 * for FrameSpread (video and audio alike: audio frames are one packet) and,
 * the video's, for QueueDelay. */
GstPadProbeReturn JitterLatency::on_packets (GstPad *pad, GstPadProbeInfo *info, gpointer user)
{
  auto *stream = static_cast<Stream *> (user);
  JitterLatency *self = stream->self;
  const gint64 now_us = g_get_monotonic_time ();
  auto add = [self, stream, pad, now_us] (GstBuffer *buffer) {
    GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
    if (!gst_rtp_buffer_map (buffer, GST_MAP_READ, &rtp))
      return;
    const guint32 ts = gst_rtp_buffer_get_timestamp (&rtp);
    const guint16 seq = gst_rtp_buffer_get_seq (&rtp);
    const guint8 payload_type = gst_rtp_buffer_get_payload_type (&rtp);
    gst_rtp_buffer_unmap (&rtp);
    if (payload_type != stream->payload_type) {
      stream->payload_type = payload_type;
      stream->video_rate = video_clock_rate (pad, stream->session, payload_type);
    }
    std::lock_guard<std::mutex> guard (self->lock_);
    self->spread_.add (ts, seq, now_us);
    self->queue_.add (ts, stream->video_rate, seq, now_us);
  };
  for_each_buffer (info, add);
  return GST_PAD_PROBE_OK;
}

void JitterLatency::on_new_ssrc (GstElement *rtpbin, guint session, guint, gpointer user)
{
  GObject *internal = nullptr;
  g_signal_emit_by_name (rtpbin, "get-internal-session", session, &internal);
  if (!internal)
    return;
  guint64 interval = 0;
  g_object_get (internal, "rtcp-min-interval", &interval, nullptr);
  if (interval != kReceiverRtcpIntervalNs) {
    GST_DEBUG_OBJECT (static_cast<JitterLatency *> (user)->owner_,
                      "RTP session %u reports every %" G_GUINT64_FORMAT " ms at most", session,
                      kReceiverRtcpIntervalNs / GST_MSECOND);
    g_object_set (internal, "rtcp-min-interval", kReceiverRtcpIntervalNs, nullptr);
  }
  /* The share of the link reports may take is set, not derived from the
   * session's bandwidth: that is measured from the host's packets and is
   * small for the first seconds, and reports, and the NACKs in them, then
   * went out every 350 ms (the first requests' answers came too late, and
   * each raised the latency by half). */
  if (g_object_class_find_property (G_OBJECT_GET_CLASS (internal), "rtcp-rr-bandwidth")) {
    gint receivers = -1;
    g_object_get (internal, "rtcp-rr-bandwidth", &receivers, nullptr);
    if (receivers != kReceiverRtcpBandwidth)
      g_object_set (internal, "rtcp-rs-bandwidth", kReceiverRtcpBandwidth, "rtcp-rr-bandwidth",
                    kReceiverRtcpBandwidth, nullptr);
  }
  g_object_unref (internal);
}

gboolean JitterLatency::on_tick (GstClock *, GstClockTime, GstClockID, gpointer user)
{
  static_cast<JitterLatency *> (user)->adjust ();
  return TRUE;
}

guint next_latency_ms (guint floor_ms, guint ceiling_ms, guint current_ms, double rtx_rtt_ms,
                       double jitter_ms, bool late, gint64 ms_since_late)
{
  ceiling_ms = std::max (ceiling_ms, floor_ms);
  guint target = target_latency_ms (floor_ms, ceiling_ms, rtx_rtt_ms, jitter_ms);
  if (late) {
    /* Packets came after their deadline: whatever the round trip says, the
     * latency is too small now. */
    guint grown = std::max ({ target, current_ms + current_ms / 2, current_ms + 20 });
    return std::min (grown, ceiling_ms);
  }
  if (target >= current_ms)
    return target;
  if (ms_since_late < kHoldAfterLateMs)
    return std::max (current_ms, floor_ms);
  /* Back down once the path has been clean for a while: half the way per
   * step (400 ms is back to 70 within 1.5 s), at least the smallest change
   * worth making (a smaller step was never applied, and the latency stayed
   * up to 40 ms above its target for good). */
  guint step = std::max<guint> (kMinChangeMs, (current_ms - target) / 2);
  return std::max (target, current_ms - std::min (step, current_ms - target));
}

void JitterLatency::adjust ()
{
  std::vector<GstElement *> jitterbuffers;
  guint floor_ms, ceiling_ms;
  double spread_ms, queue_ms;
  {
    std::lock_guard<std::mutex> guard (lock_);
    if (!tick_ || !adaptive_)
      return;
    for (GstElement *jb : jitterbuffers_)
      jitterbuffers.push_back (GST_ELEMENT (gst_object_ref (jb)));
    floor_ms = floor_ms_;
    ceiling_ms = ceiling_ms_;
    spread_ms = spread_.percentile_ms (g_get_monotonic_time (), kSpreadShare);
    queue_ms = queue_.current_ms (g_get_monotonic_time ());
  }
  /* Never below what most frames took to arrive lately, plus a margin. */
  floor_ms =
      std::clamp ((guint) (spread_ms + kMarginMs), floor_ms, std::max (floor_ms, ceiling_ms));
  double rtt_ms = 0, jitter_ms = 0;
  guint64 late_total = 0, recovered_total = 0;
  for (GstElement *jb : jitterbuffers) {
    GstStructure *stats = nullptr;
    g_object_get (jb, "stats", &stats, nullptr);
    guint64 rtt = 0, jitter = 0, late = 0, recovered = 0;
    if (stats) {
      gst_structure_get_uint64 (stats, "rtx-rtt", &rtt);
      gst_structure_get_uint64 (stats, "avg-jitter", &jitter);
      gst_structure_get_uint64 (stats, "num-late", &late);
      gst_structure_get_uint64 (stats, "rtx-success-count", &recovered);
      gst_structure_free (stats);
    }
    rtt_ms = std::max (rtt_ms, rtt / 1e6);
    jitter_ms = std::max (jitter_ms, jitter / 1e6);
    late_total += late;
    recovered_total += recovered;
  }
  gint64 now_us = g_get_monotonic_time ();
  bool late = late_total > late_seen_;
  late_seen_ = late_total;
  /* Packets come late, and retransmissions back, up to a round trip after
   * the queue that delayed them: they are the queue's if there was one in
   * the last second. */
  queue_history_[queue_ticks_++ % kQueueTicks] = queue_ms;
  const double recent_queue_ms =
      *std::max_element (std::begin (queue_history_), std::end (queue_history_));
  if (late) {
    last_late_us_ = now_us;
    late_queue_ms_ = recent_queue_ms;
  }
  /* The jitterbuffer keeps its last retransmission round trip for ever:
   * it counts only while retransmissions keep bringing packets back. A
   * request for a packet that was only late (a busy machine) brings back a
   * duplicate, not a recovery, and is no measure of the path. */
  if (recovered_total > recovered_seen_) {
    last_recovery_us_ = now_us;
    last_rtt_ms_ = rtt_ms;
    rtt_queue_ms_ = recent_queue_ms;
  }
  recovered_seen_ = recovered_total;
  bool recovering = last_recovery_us_ && now_us - last_recovery_us_ < kHoldAfterLateMs * 1000;
  /* What a queue that has drained since made late, or slow, holds nothing
   * now: the round trip is what it was less the queue that is gone. (A
   * 1 Mbit/s viewer's start fills the link's queue until the estimate
   * fits it, 130 ms of round trip; held, that kept 380 ms of latency for
   * three seconds after the queue was empty.) */
  const bool drained = queue_ms < kDrainedMs;
  const bool late_drained = drained && late_queue_ms_ >= kQueuedMs;
  const bool rtt_drained = drained && rtt_queue_ms_ >= kQueuedMs;
  rtt_ms = !recovering   ? 0
           : rtt_drained ? std::max (1.0, last_rtt_ms_ - (rtt_queue_ms_ - queue_ms))
                         : last_rtt_ms_;
  /* Only late packets hold the latency up; retransmissions that come back
   * in time say what the round trip is (the target), not that more is
   * needed. (Held while they kept coming, a latency a late packet had
   * raised never came down under steady loss: 341 ms at 2 % instead of
   * 86, tests/bench/network/README.md.) */
  gint64 last_event_us = late_drained ? 0 : last_late_us_;
  gint64 since_late_ms = last_event_us ? (now_us - last_event_us) / 1000 : G_MAXINT64 / 1000;
  guint now = current_ms_;
  /* Late only because of a queue that is gone: no reason to grow. */
  late = late && !late_drained;
  guint next = next_latency_ms (floor_ms, ceiling_ms, now, rtt_ms, jitter_ms, late, since_late_ms);
  if ((next > now ? next - now : now - next) >= kMinChangeMs || (late && next > now)) {
    GST_INFO_OBJECT (owner_,
                     "jitterbuffer latency %u -> %u ms (retransmission round trip %.0f ms, "
                     "jitter %.1f ms, queue %.0f ms%s)",
                     now, next, rtt_ms, jitter_ms, queue_ms, late ? ", packets came late" : "");
    for (GstElement *jb : jitterbuffers)
      g_object_set (jb, "latency", next, nullptr);
    current_ms_ = next;
    changes_++;
  }
  for (GstElement *jb : jitterbuffers)
    gst_object_unref (jb);
}

} // namespace gv::webrtc
