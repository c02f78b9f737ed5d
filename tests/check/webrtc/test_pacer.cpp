/* gvpacer and its schedule (gvpaceschedule.h). The schedule on simulated
 * time: packets leave one after another at the rate; a rate change applies
 * to the packet waiting; none waits past the maximum delay; a late wake-up
 * does not lower the rate; 0 is not paced. The element on real time (only
 * lower bounds: it can never be faster than its rate): a burst comes out
 * spread and in order, events stay behind the buffers before them,
 * upstream events (the viewer's congestion feedback) pass, a flush empties
 * it (keeping the stream start and caps not yet sent), and it stops at
 * once with buffers still waiting. */
#include "gvpaceschedule.h"

#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>

#include <vector>

using gv::webrtc::PaceSchedule;

static constexpr gint64 kMs = 1000;
static constexpr gint64 kT0 = 1000000 * kMs; /* a monotonic time, not 0 */

/* Sends `count` packets of `bytes` that all arrived at `arrival`, asking
 * from `start` on and waiting exactly until each release: their times. */
static std::vector<gint64> send_all (PaceSchedule &schedule, int count, gsize bytes, gint64 arrival,
                                     gint64 start)
{
  std::vector<gint64> out;
  gint64 now = start;
  for (int i = 0; i < count; i++) {
    gint64 t = schedule.release_us (arrival, now);
    now = std::max (now, t);
    schedule.sent (bytes, t);
    out.push_back (now);
  }
  return out;
}

GST_START_TEST (test_schedule_spreads_a_burst)
{
  PaceSchedule schedule;
  schedule.set_rate (1000000); /* 1250 bytes = 10 ms */
  schedule.set_max_delay_us (1000 * kMs);
  std::vector<gint64> out = send_all (schedule, 10, 1250, kT0, kT0);
  for (int i = 0; i < 10; i++)
    ck_assert_int_eq (out[i] - kT0, i * 10 * kMs);
}
GST_END_TEST;

GST_START_TEST (test_schedule_rate_change_applies_now)
{
  PaceSchedule schedule;
  schedule.set_rate (100000); /* 1250 bytes = 100 ms */
  schedule.set_max_delay_us (1000 * kMs);
  schedule.sent (1250, schedule.release_us (kT0, kT0));
  ck_assert_int_eq (schedule.release_us (kT0, kT0) - kT0, 100 * kMs);
  schedule.set_rate (1000000);
  ck_assert_int_eq (schedule.release_us (kT0, kT0) - kT0, 10 * kMs);
  /* 0: at once. */
  schedule.set_rate (0);
  ck_assert_int_eq (schedule.release_us (kT0, kT0), kT0);
}
GST_END_TEST;

GST_START_TEST (test_schedule_max_delay)
{
  PaceSchedule schedule;
  schedule.set_rate (100000); /* 100 ms a packet */
  schedule.set_max_delay_us (250 * kMs);
  std::vector<gint64> out = send_all (schedule, 6, 1250, kT0, kT0);
  const gint64 want[] = { 0, 100, 200, 250, 250, 250 };
  for (int i = 0; i < 6; i++)
    ck_assert_int_eq (out[i] - kT0, want[i] * kMs);
  /* The next packet, arrived later, is paced from the last one again. */
  ck_assert_int_eq (schedule.release_us (kT0 + 250 * kMs, kT0 + 250 * kMs) - kT0, 350 * kMs);
}
GST_END_TEST;

GST_START_TEST (test_schedule_credit)
{
  PaceSchedule schedule;
  schedule.set_rate (1000000); /* 10 ms a packet */
  schedule.set_max_delay_us (1000 * kMs);
  schedule.sent (1250, schedule.release_us (kT0, kT0));
  /* Woken 3 ms late: it leaves now, and the next one is due 10 ms after
   * its turn, not after now. */
  gint64 t = schedule.release_us (kT0, kT0 + 13 * kMs);
  ck_assert_int_eq (t - kT0, 10 * kMs);
  schedule.sent (1250, t);
  ck_assert_int_eq (schedule.release_us (kT0, kT0 + 13 * kMs) - kT0, 20 * kMs);
  /* After a quiet second no burst builds up beyond the credit. */
  const gint64 later = kT0 + 1000 * kMs;
  t = schedule.release_us (later, later);
  ck_assert_int_eq (t, later - PaceSchedule::kCreditUs);
  schedule.sent (1250, t);
  ck_assert_int_eq (schedule.release_us (later, later), later + 5 * kMs);
}
GST_END_TEST;

/* A pacer in a harness with the given properties, running. */
static GstHarness *new_pacer (guint64 rate, guint max_delay_ms)
{
  GstHarness *h = gst_harness_new ("gvpacer");
  g_object_set (h->element, "rate", rate, "max-delay", max_delay_ms, nullptr);
  gst_harness_set_src_caps_str (h, "application/x-rtp");
  return h;
}

static GstBuffer *numbered_buffer (gsize bytes, guint64 n)
{
  GstBuffer *b = gst_buffer_new_allocate (nullptr, bytes, nullptr);
  GST_BUFFER_OFFSET (b) = n;
  return b;
}

GST_START_TEST (test_element_spreads_in_order)
{
  /* 8 Mbit/s: 50 buffers of 2000 bytes are 100 ms. */
  GstHarness *h = new_pacer (8000000, 1000);
  const gint64 start = g_get_monotonic_time ();
  for (guint64 i = 0; i < 50; i++)
    ck_assert_int_eq (gst_harness_push (h, numbered_buffer (2000, i)), GST_FLOW_OK);
  for (guint64 i = 0; i < 50; i++) {
    GstBuffer *b = gst_harness_pull (h);
    ck_assert (b != nullptr);
    ck_assert_uint_eq (GST_BUFFER_OFFSET (b), i);
    gst_buffer_unref (b);
  }
  const gint64 took = g_get_monotonic_time () - start;
  /* The last leaves 49 gaps of 2 ms after the first, less the credit. */
  ck_assert_msg (took >= 98 * kMs - PaceSchedule::kCreditUs,
                 "50 buffers out in %" G_GINT64_FORMAT " us, faster than the rate", took);
  guint64 queued = 1;
  g_object_get (h->element, "queued-bytes", &queued, nullptr);
  ck_assert_uint_eq (queued, 0);
  gst_harness_teardown (h);
}
GST_END_TEST;

GST_START_TEST (test_element_events_in_order)
{
  GstHarness *h = new_pacer (8000000, 1000);
  for (guint64 i = 0; i < 20; i++)
    gst_harness_push (h, numbered_buffer (2000, i));
  GstStructure *s = gst_structure_new_empty ("gv-test-marker");
  ck_assert (gst_harness_push_event (h, gst_event_new_custom (GST_EVENT_CUSTOM_DOWNSTREAM, s)));
  /* Upstream events pass at once (the congestion feedback's way). */
  ck_assert (gst_harness_push_upstream_event (
      h, gst_event_new_custom (GST_EVENT_CUSTOM_UPSTREAM, gst_structure_new_empty ("gv-up"))));
  for (;;) {
    GstEvent *up = gst_harness_pull_upstream_event (h);
    ck_assert (up != nullptr);
    const bool ours = gst_event_has_name (up, "gv-up");
    gst_event_unref (up);
    if (ours)
      break;
  }
  /* The marker comes after the 20 buffers pushed before it. */
  for (;;) {
    GstEvent *e = gst_harness_pull_event (h);
    ck_assert (e != nullptr);
    const bool marker = gst_event_has_name (e, "gv-test-marker");
    gst_event_unref (e);
    if (marker)
      break;
  }
  ck_assert_uint_eq (gst_harness_buffers_received (h), 20);
  gst_harness_teardown (h);
}
GST_END_TEST;

GST_START_TEST (test_element_flush_and_stop)
{
  /* 8 kbit/s: each 1000-byte buffer waits a second. */
  GstHarness *h = new_pacer (8000, 10000);
  for (guint64 i = 0; i < 10; i++)
    gst_harness_push (h, numbered_buffer (1000, i));
  ck_assert (gst_harness_push_event (h, gst_event_new_flush_start ()));
  ck_assert (gst_harness_push_event (h, gst_event_new_flush_stop (TRUE)));
  guint64 queued = 1;
  g_object_get (h->element, "queued-bytes", &queued, nullptr);
  ck_assert_uint_eq (queued, 0);
  /* It runs again after the flush; segment first, then a buffer. */
  GstSegment segment;
  gst_segment_init (&segment, GST_FORMAT_TIME);
  gst_harness_push_event (h, gst_event_new_segment (&segment));
  ck_assert_int_eq (gst_harness_push (h, numbered_buffer (1000, 100)), GST_FLOW_OK);
  GstBuffer *b = gst_harness_pull (h);
  ck_assert (b != nullptr);
  gst_buffer_unref (b);
  /* Buffers waiting seconds for their turn do not hold up the stop. */
  for (guint64 i = 0; i < 10; i++)
    gst_harness_push (h, numbered_buffer (1000, i));
  gst_harness_teardown (h);
}
GST_END_TEST;

static Suite *pacer_suite (void)
{
  Suite *s = suite_create ("webrtc-pacer");
  TCase *tc = tcase_create ("general");
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_schedule_spreads_a_burst);
  tcase_add_test (tc, test_schedule_rate_change_applies_now);
  tcase_add_test (tc, test_schedule_max_delay);
  tcase_add_test (tc, test_schedule_credit);
  tcase_add_test (tc, test_element_spreads_in_order);
  tcase_add_test (tc, test_element_events_in_order);
  tcase_add_test (tc, test_element_flush_and_stop);
  return s;
}

GST_CHECK_MAIN (pacer);
