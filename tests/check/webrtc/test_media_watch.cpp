/* gvwebrtcsrc's watch over its media (gvmediawatch.h), as times: nothing
 * before the first frame; a warning once media has stopped for 5 s, once
 * per stall; an error at media-timeout, or after 10 s once the signalling
 * is lost too; never after the session ended; 0 only warns. */
#include "gvmediawatch.h"

#include <gst/check/gstcheck.h>

using gv::webrtc::MediaWatch;
using Verdict = gv::webrtc::MediaWatch::Verdict;

static constexpr gint64 kS = G_USEC_PER_SEC;
static constexpr gint64 kT0 = 1000 * kS; /* a monotonic time, not 0 */

GST_START_TEST (test_nothing_before_media)
{
  MediaWatch watch (30);
  ck_assert (watch.check (kT0 + 600 * kS) == Verdict::kFine);
  ck_assert_uint_eq (watch.stalled_s (kT0 + 600 * kS), 0);
}
GST_END_TEST;

GST_START_TEST (test_warn_then_give_up)
{
  MediaWatch watch (30);
  watch.on_media (kT0);
  ck_assert (watch.check (kT0 + 4 * kS) == Verdict::kFine);
  ck_assert (watch.check (kT0 + 5 * kS) == Verdict::kWarn);
  ck_assert_uint_eq (watch.stalled_s (kT0 + 5 * kS), 5);
  ck_assert (watch.check (kT0 + 6 * kS) == Verdict::kFine); /* said once */
  /* Media again, then a second stall: warned again. */
  watch.on_media (kT0 + 10 * kS);
  ck_assert (watch.check (kT0 + 11 * kS) == Verdict::kFine);
  ck_assert (watch.check (kT0 + 16 * kS) == Verdict::kWarn);
  ck_assert (watch.check (kT0 + 39 * kS) == Verdict::kFine);
  ck_assert (watch.check (kT0 + 40 * kS) == Verdict::kGiveUp);
  ck_assert (watch.check (kT0 + 41 * kS) == Verdict::kFine); /* once */
}
GST_END_TEST;

GST_START_TEST (test_signalling_lost)
{
  MediaWatch watch (30);
  watch.on_media (kT0);
  /* The WebSocket closed while media flows (a server restart): fine. */
  watch.on_signalling_lost ();
  ck_assert (watch.signalling_lost ());
  watch.on_media (kT0 + 20 * kS);
  ck_assert (watch.check (kT0 + 21 * kS) == Verdict::kFine);
  /* Then the media stops as well: nothing could end the session, 10 s. */
  ck_assert (watch.check (kT0 + 25 * kS) == Verdict::kWarn);
  ck_assert (watch.check (kT0 + 30 * kS) == Verdict::kGiveUp);
  /* A shorter media-timeout still wins. */
  MediaWatch quick (3);
  quick.on_media (kT0);
  quick.on_signalling_lost ();
  ck_assert (quick.check (kT0 + 3 * kS) == Verdict::kGiveUp);
  /* 0 gives up only without signalling. */
  MediaWatch patient (0);
  patient.on_media (kT0);
  ck_assert (patient.check (kT0 + 5 * kS) == Verdict::kWarn);
  ck_assert (patient.check (kT0 + 3600 * kS) == Verdict::kFine);
  patient.on_signalling_lost ();
  ck_assert (patient.check (kT0 + 3601 * kS) == Verdict::kGiveUp);
}
GST_END_TEST;

GST_START_TEST (test_ended_and_paused)
{
  MediaWatch watch (30);
  watch.on_media (kT0);
  watch.on_ended ();
  ck_assert (watch.check (kT0 + 100 * kS) == Verdict::kFine);
  /* Paused for a minute, then playing again: the stall counts from then. */
  MediaWatch paused (30);
  paused.on_media (kT0);
  paused.restart (kT0 + 60 * kS);
  ck_assert (paused.check (kT0 + 61 * kS) == Verdict::kFine);
  ck_assert_uint_eq (paused.stalled_s (kT0 + 61 * kS), 1);
  /* restart() before any media keeps "no media yet". */
  MediaWatch fresh (30);
  fresh.restart (kT0);
  ck_assert_uint_eq (fresh.stalled_s (kT0 + 60 * kS), 0);
}
GST_END_TEST;

static Suite *media_watch_suite (void)
{
  Suite *s = suite_create ("webrtc-media-watch");
  TCase *tc = tcase_create ("general");
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_nothing_before_media);
  tcase_add_test (tc, test_warn_then_give_up);
  tcase_add_test (tc, test_signalling_lost);
  tcase_add_test (tc, test_ended_and_paused);
  return s;
}

GST_CHECK_MAIN (media_watch);
