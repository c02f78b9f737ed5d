/* gvwebrtcsrc's jitterbuffer latency rule (gvjitterlatency.h), as numbers:
 * the floor on a clean link, enough for a retransmission on a long path,
 * never above the ceiling, up at once when packets come late, down slowly
 * and only after the path has been clean for a while; nonsense measurements
 * give the floor. */
#include "gvjitterlatency.h"

#include <gst/check/gstcheck.h>

#include <cmath>

GST_DEBUG_CATEGORY (gv_webrtc_src_debug);

using gv::webrtc::next_latency_ms;
using gv::webrtc::target_latency_ms;

GST_START_TEST (test_target)
{
  /* Nothing lost yet: no round trip measured, the floor. */
  ck_assert_uint_eq (target_latency_ms (50, 400, 0, 0.2), 50);
  /* A LAN: a few ms round trip stays at the floor. */
  ck_assert_uint_eq (target_latency_ms (50, 400, 4, 0.5), 50);
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
  ck_assert_uint_eq (target_latency_ms (50, 400, 10, NAN), 50);
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
    ck_assert_uint_ge (latency - next, MIN (5u, latency - 50));
    latency = next;
    steps++;
  }
  ck_assert_uint_eq (latency, 50);
  ck_assert_int_gt (steps, 2);
}
GST_END_TEST;

static Suite *jitter_latency_suite (void)
{
  Suite *s = suite_create ("webrtc-jitter-latency");
  TCase *tc = tcase_create ("general");
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_target);
  tcase_add_test (tc, test_next);
  return s;
}

GST_CHECK_MAIN (jitter_latency);
