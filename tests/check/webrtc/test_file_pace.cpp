/* The pace of a file to a viewer (gvfilepace.h) in simulated time, no
 * pipeline: nothing is limited without the video's signals; a fast, calm
 * link lets the file reach hundreds of Mbit/s within seconds; a narrow link
 * shared with the video keeps the queue short and still moves the file;
 * congestion halves to what arrived; the video climbing back makes the file
 * give way; the window stops a file whose bytes do not arrive; a receiver
 * that stops reporting does not stall it. */
#include "gvfilepace.h"

#include <check.h>
#include <glib.h>

#include <algorithm>

using gv::webrtc::FilePace;

static constexpr gint64 kMs = 1000;
static constexpr gsize kChunk = 60 * 1024;

START_TEST (test_unlimited_without_signals)
{
  FilePace pace;
  ck_assert_uint_eq (pace.allowance (kChunk, 0, 1000 * kMs), kChunk);
  ck_assert_uint_eq (pace.rate_bps (1000 * kMs), 0);
  /* Signals stop: after a second nothing is limited again. */
  pace.on_signal ({}, 2000 * kMs);
  ck_assert_uint_gt (pace.rate_bps (2000 * kMs), 0);
  ck_assert_uint_eq (pace.rate_bps (3100 * kMs), 0);
  ck_assert_uint_eq (pace.allowance (kChunk, 0, 3100 * kMs), kChunk);
}
END_TEST

/* A link of `link_bps` shared with `video_bps` of video and a queue of
 * `queue_ms`: every ms the sender takes what the pace allows, the link
 * drains, the receiver reports every 32 KiB or 50 ms, and the video's
 * estimator says "congested" when the queue holds more than 15 ms. */
struct LinkRun {
  double file_bytes = 0;
  double max_queue_ms = 0;
  double queue_over_50ms_ms = 0;
  guint64 final_rate = 0;
};

static LinkRun run_link (double link_bps, double video_bps, double queue_ms, gint64 seconds)
{
  FilePace pace;
  LinkRun out;
  double queue_bytes = 0, delivered = 0, reported = 0, sent = 0, resend = 0;
  gint64 reported_at = 0;
  const double queue_cap = link_bps / 8 * queue_ms / 1000;
  pace.on_signal ({}, 1); /* the video's feedback flows before the file starts */
  for (gint64 t = 1; t <= seconds * 1000; t++) {
    const gint64 now = t * kMs;
    /* The video's packets, then the file's. */
    queue_bytes = std::min (queue_cap, queue_bytes + video_bps / 8 / 1000);
    /* SCTP holds at most 4 MiB; what does not fit the queue is lost and
     * sent again before new bytes (it stays in flight meanwhile). */
    for (int i = 0; i < 1000 && sent - delivered < 4 * 1024 * 1024; i++) {
      gsize n = pace.allowance (kChunk, (guint64) (sent - reported), now);
      if (n == 0)
        break;
      const double fresh = std::max (0.0, (double) n - resend);
      resend = std::max (0.0, resend - (double) n);
      sent += fresh;
      queue_bytes += (double) n;
      if (queue_bytes > queue_cap) {
        resend += queue_bytes - queue_cap;
        queue_bytes = queue_cap;
      }
    }
    /* The link drains; the file's share is what left of the file. */
    const double drained = std::min (queue_bytes, link_bps / 8 / 1000);
    const double video_share = std::min (drained, video_bps / 8 / 1000);
    queue_bytes -= drained;
    delivered += drained - video_share;
    if (delivered - reported >= 32 * 1024 ||
        (now - reported_at >= 50 * kMs && delivered > reported)) {
      reported = delivered;
      reported_at = now;
      pace.on_arrived ((guint64) reported, now);
    }
    const double queue_now_ms = queue_bytes * 8 * 1000 / link_bps;
    out.max_queue_ms = std::max (out.max_queue_ms, queue_now_ms);
    if (queue_now_ms > 50)
      out.queue_over_50ms_ms += 1;
    if (t % 50 == 0) {
      FilePace::Signal s;
      s.congested = queue_now_ms > 15;
      pace.on_signal (s, now);
    }
  }
  out.file_bytes = delivered;
  out.final_rate = pace.rate_bps (seconds * 1000 * kMs);
  return out;
}

START_TEST (test_fast_link_goes_fast)
{
  /* 1 Gbit/s: the file is at hundreds of Mbit/s within three seconds. */
  LinkRun r = run_link (1e9, 2e6, 100, 3);
  g_print ("1 Gbit/s link, 3 s: %.1f MB of file, pace %.0f Mbit/s at the end\n", r.file_bytes / 1e6,
           r.final_rate / 1e6);
  ck_assert_msg (r.file_bytes > 40e6, "only %.1f MB in 3 s", r.file_bytes / 1e6);
  ck_assert_uint_gt (r.final_rate, 200 * 1000 * 1000);
}
END_TEST

START_TEST (test_narrow_link_keeps_the_queue_short)
{
  /* 4 Mbit/s with 2 Mbit/s of video: over 20 s the queue is rarely long,
   * and the file still gets a good part of the spare 2 Mbit/s. */
  LinkRun r = run_link (4e6, 2e6, 100, 20);
  g_print ("4 Mbit/s link, 2 Mbit/s video, 20 s: file %.2f Mbit/s, queue longest %.0f ms, "
           "over 50 ms for %.0f ms\n",
           r.file_bytes * 8 / 20 / 1e6, r.max_queue_ms, r.queue_over_50ms_ms);
  ck_assert_msg (r.queue_over_50ms_ms < 1000, "queue over 50 ms for %.0f ms", r.queue_over_50ms_ms);
  ck_assert_msg (r.file_bytes * 8 / 20 > 0.5e6, "file at %.2f Mbit/s", r.file_bytes * 8 / 20 / 1e6);
}
END_TEST

START_TEST (test_congestion_halves_to_what_arrived)
{
  FilePace pace;
  gint64 now = 1000 * kMs;
  pace.on_signal ({}, now);
  /* 1 Mbit/s arrives (125 kB/s). */
  for (int i = 0; i <= 10; i++)
    pace.on_arrived ((guint64) i * 12500, now + i * 100 * kMs);
  now += 1000 * kMs;
  FilePace::Signal congested;
  congested.congested = true;
  pace.on_signal (congested, now);
  ck_assert_uint_le (pace.rate_bps (now), 510 * 1000);
  ck_assert_uint_ge (pace.rate_bps (now), 490 * 1000);
  ck_assert_uint_eq (pace.cuts (), 1);
  /* Not again within 300 ms; then down to the floor at most. */
  pace.on_signal (congested, now + 100 * kMs);
  ck_assert_uint_eq (pace.cuts (), 1);
  for (int i = 1; i <= 20; i++)
    pace.on_signal (congested, now + i * 400 * kMs);
  ck_assert_uint_eq (pace.rate_bps (now + 8000 * kMs), FilePace::kFloorBps);
}
END_TEST

START_TEST (test_gives_way_to_the_video)
{
  FilePace pace;
  gint64 now = 1000 * kMs;
  pace.on_signal ({}, now);
  const guint64 before = pace.rate_bps (now);
  FilePace::Signal wants;
  wants.video_wants_more = true;
  for (int i = 1; i <= 20; i++)
    pace.on_signal (wants, now + i * 100 * kMs);
  const guint64 after = pace.rate_bps (now + 2000 * kMs);
  ck_assert_uint_lt (after, before);
  ck_assert_uint_ge (after, FilePace::kFloorBps);
}
END_TEST

START_TEST (test_window_and_silent_receiver)
{
  FilePace pace;
  gint64 now = 1000 * kMs;
  pace.on_signal ({}, now);
  pace.on_arrived (0, now);
  pace.on_arrived (4096, now + 10 * kMs);
  now += 100 * kMs;
  pace.on_signal ({}, now);
  /* Tokens are there, but too much is on its way. */
  ck_assert_uint_eq (pace.allowance (kChunk, FilePace::kMinWindow, now), 0);
  ck_assert_uint_gt (pace.allowance (kChunk, 0, now), 0);
  /* The receiver stops reporting: after 2 s the window no longer holds. */
  for (int i = 1; i <= 25; i++)
    pace.on_signal ({}, now + i * 100 * kMs);
  ck_assert_uint_gt (pace.allowance (kChunk, FilePace::kMinWindow, now + 2500 * kMs), 0);
}
END_TEST

static Suite *file_pace_suite ()
{
  Suite *s = suite_create ("file-pace");
  TCase *tc = tcase_create ("pace");
  tcase_set_timeout (tc, 60);
  tcase_add_test (tc, test_unlimited_without_signals);
  tcase_add_test (tc, test_fast_link_goes_fast);
  tcase_add_test (tc, test_narrow_link_keeps_the_queue_short);
  tcase_add_test (tc, test_congestion_halves_to_what_arrived);
  tcase_add_test (tc, test_gives_way_to_the_video);
  tcase_add_test (tc, test_window_and_silent_receiver);
  suite_add_tcase (s, tc);
  return s;
}

int main ()
{
  SRunner *sr = srunner_create (file_pace_suite ());
  srunner_run_all (sr, CK_NORMAL);
  const int failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed == 0 ? 0 : 1;
}
