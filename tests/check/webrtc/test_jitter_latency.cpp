/* gvwebrtcsrc's jitterbuffer latency rule (gvjitterlatency.h), as numbers:
 * the floor on a clean link, enough for a retransmission on a long path,
 * never above the ceiling, up at once when packets come late, down slowly
 * and only after the path has been clean for a while; nonsense measurements
 * give the floor. */
#include "gvjitterlatency.h"

#include <gst/check/gstcheck.h>

#include <cmath>

GST_DEBUG_CATEGORY (gv_webrtc_src_debug);

using gv::webrtc::FrameSpread;
using gv::webrtc::next_latency_ms;
using gv::webrtc::QueueDelay;
using gv::webrtc::target_latency_ms;

GST_START_TEST (test_target)
{
  /* Nothing lost yet: no round trip measured, the floor. */
  ck_assert_uint_eq (target_latency_ms (50, 400, 0, 0.2), 50);
  /* A LAN: a few ms round trip, a retry that waits for the next report
   * (25 ms) and a margin: a little above the floor. */
  guint lan = target_latency_ms (50, 400, 4, 0.5);
  ck_assert_uint_ge (lan, 55);
  ck_assert_uint_le (lan, 60);
  ck_assert_uint_eq (target_latency_ms (80, 400, 4, 0.5), 80);
  /* 80 ms round trip: room for a retransmission and a retry. */
  guint long_path = target_latency_ms (50, 400, 80, 2);
  ck_assert_uint_ge (long_path, 200);
  ck_assert_uint_le (long_path, 260);
  /* Never above the ceiling, never below the floor. */
  ck_assert_uint_eq (target_latency_ms (50, 400, 900, 30), 400);
  ck_assert_uint_eq (target_latency_ms (120, 100, 0, 0), 120);
  /* Nonsense in, the floor out. */
  ck_assert_uint_eq (target_latency_ms (50, 400, NAN, 0), 50);
  ck_assert_uint_eq (target_latency_ms (50, 400, -5, 0), 50);
  ck_assert_uint_eq (target_latency_ms (50, 400, INFINITY, 0), 50);
  /* A jitter that is no number counts as none. */
  ck_assert_uint_eq (target_latency_ms (50, 400, 10, NAN), target_latency_ms (50, 400, 10, 0));
}
GST_END_TEST;

GST_START_TEST (test_next)
{
  /* Late packets: at least half again, whatever the round trip says. */
  ck_assert_uint_ge (next_latency_ms (50, 400, 50, 5, 0, true, 0), 75);
  ck_assert_uint_eq (next_latency_ms (50, 400, 350, 5, 0, true, 0), 400);
  /* Up to the target at once. */
  ck_assert_uint_eq (next_latency_ms (50, 400, 50, 80, 2, false, 100000),
                     target_latency_ms (50, 400, 80, 2));
  /* Held after a late packet... */
  ck_assert_uint_eq (next_latency_ms (50, 400, 200, 0, 0, false, 2000), 200);
  /* ...then down a step at a time, never below the floor. */
  guint latency = 200;
  int steps = 0;
  while (latency > 50 && steps < 100) {
    guint next = next_latency_ms (50, 400, latency, 0, 0, false, 60000);
    ck_assert_uint_lt (next, latency);
    /* Every step is one worth making (10 ms, the smallest change applied),
     * down to the target itself. */
    ck_assert_uint_ge (latency - next, MIN (10u, latency - 50));
    latency = next;
    steps++;
  }
  ck_assert_uint_eq (latency, 50);
  ck_assert_int_gt (steps, 2);
}
GST_END_TEST;

/* Frames' packets spread over the wire: what nine frames in ten stayed
 * within, over the last 3 s, retransmissions and duplicates left out. */
GST_START_TEST (test_frame_spread)
{
  FrameSpread spread;
  gint64 t = 1000000;
  guint16 seq = 65500; /* wraps on the way */
  guint32 ts = 0;
  auto frame = [&] (int packets, gint64 gap_us) {
    for (int p = 0; p < packets; p++)
      spread.add (ts, seq++, t + p * gap_us);
    ts += 3000;
    t += 33000;
  };
  ck_assert (spread.percentile_ms (t, 0.9) == 0); /* nothing yet */
  for (int i = 0; i < 60; i++)
    frame (3, 2000); /* 4 ms each */
  /* One slow frame among 60 (a hiccup), and a retransmission 150 ms late. */
  frame (8, 8000);
  spread.add (ts - 3000, (guint16) (seq - 3), t + 150000);
  frame (3, 2000);
  ck_assert (std::fabs (spread.percentile_ms (t, 0.9) - 4.0) < 0.01);
  /* A narrow link: every frame takes 24 ms. */
  for (int i = 0; i < 60; i++)
    frame (4, 8000);
  ck_assert (std::fabs (spread.percentile_ms (t, 0.9) - 24.0) < 0.01);
  /* Forgotten after the window. */
  ck_assert (spread.percentile_ms (t + FrameSpread::kWindowUs + 100000, 0.9) == 0);
}
GST_END_TEST;

/* The queue frames meet: their first packets against their RTP times,
 * over the quickest of the last 10 s; retransmissions left out. */
GST_START_TEST (test_queue_delay)
{
  QueueDelay queue;
  gint64 t = 5000000;
  guint16 seq = 65530;             /* wraps on the way */
  guint32 ts = G_MAXUINT32 - 9000; /* and so does the RTP time */
  auto frame = [&] (gint64 queued_us) {
    for (int p = 0; p < 3; p++)
      queue.add (ts, 90000, seq++, t + queued_us + p * 2000);
    ts += 3000; /* 33.3 ms at 90 kHz */
    t += 33333;
  };
  ck_assert (queue.current_ms (t) == 0); /* nothing yet */
  for (int i = 0; i < 60; i++)
    frame (0);
  ck_assert (queue.current_ms (t) < 1);
  /* A queue builds to 100 ms; a retransmission 300 ms late is not the
   * path's queue. */
  for (int i = 0; i <= 20; i++)
    frame (i * 5000);
  queue.add (ts - 3000, 90000, (guint16) (seq - 5), t + 300000);
  ck_assert (std::fabs (queue.current_ms (t) - 100.0) < 1);
  /* Drained: gone from the figure half a second later. */
  for (int i = 0; i < 30; i++)
    frame (0);
  ck_assert (queue.current_ms (t) < 1);
  /* No clock rate (not video): nothing counted. */
  QueueDelay audio;
  audio.add (0, 0, 1, t);
  ck_assert (audio.current_ms (t) == 0);
}
GST_END_TEST;

static Suite *jitter_latency_suite (void)
{
  Suite *s = suite_create ("webrtc-jitter-latency");
  TCase *tc = tcase_create ("general");
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_target);
  tcase_add_test (tc, test_next);
  tcase_add_test (tc, test_frame_spread);
  tcase_add_test (tc, test_queue_delay);
  return s;
}

GST_CHECK_MAIN (jitter_latency);
