/* GhostView
 * Copyright (C) 2024 GhostView contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * What a user sees: stamp, lossy encode at a modest bitrate, decode, check.
 * Every frame reads, with a small positive latency.
 */
#include <gst/check/gstcheck.h>

#define FRAMES 60
#define SOURCE                                                                                     \
  "videotestsrc num-buffers=60 pattern=ball animation-mode=frames ! "                              \
  "video/x-raw,format=I420,width=320,height=240,framerate=30/1 ! "

struct Figures {
  guint64 count = 0;
  guint64 unreadable = 0;
  gdouble p50 = -1, p95 = -1, max = -1, min = -1;
};

static bool have_elements (const char *const *names)
{
  for (; *names; names++) {
    GstElementFactory *f = gst_element_factory_find (*names);
    if (!f)
      return false;
    gst_object_unref (f);
  }
  return true;
}

/* Runs @launch to EOS and returns gvclockcheck's figures from its final
 * gvclockcheck-stats message. */
static Figures run (const char *launch)
{
  GError *error = nullptr;
  GstElement *pipeline = gst_parse_launch (launch, &error);
  fail_unless (pipeline != nullptr, "%s: %s", launch, error ? error->message : "?");
  GstBus *bus = gst_element_get_bus (pipeline);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);

  Figures figures;
  bool final_seen = false;
  for (;;) {
    GstMessage *msg = gst_bus_timed_pop_filtered (
        bus, 30 * GST_SECOND,
        static_cast<GstMessageType> (GST_MESSAGE_ELEMENT | GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
    fail_unless (msg != nullptr, "timed out: %s", launch);
    if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
      GError *err = nullptr;
      gst_message_parse_error (msg, &err, nullptr);
      ck_abort_msg ("error from %s: %s", GST_OBJECT_NAME (msg->src), err->message);
    }
    if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS) {
      gst_message_unref (msg);
      break;
    }
    const GstStructure *s = gst_message_get_structure (msg);
    gboolean eos = FALSE;
    if (gst_structure_has_name (s, "gvclockcheck-stats") &&
        gst_structure_get_boolean (s, "eos", &eos) && eos) {
      fail_unless (gst_structure_get (s, "count", G_TYPE_UINT64, &figures.count, "unreadable",
                                      G_TYPE_UINT64, &figures.unreadable, "p50", G_TYPE_DOUBLE,
                                      &figures.p50, "p95", G_TYPE_DOUBLE, &figures.p95, "max",
                                      G_TYPE_DOUBLE, &figures.max, "min", G_TYPE_DOUBLE,
                                      &figures.min, nullptr));
      final_seen = true;
    }
    gst_message_unref (msg);
  }
  fail_unless (final_seen, "no final gvclockcheck-stats: %s", launch);

  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (bus);
  gst_object_unref (pipeline);
  GST_INFO ("%s: count %" G_GUINT64_FORMAT " unreadable %" G_GUINT64_FORMAT
            " p50 %.2f p95 %.2f max %.2f ms",
            launch, figures.count, figures.unreadable, figures.p50, figures.p95, figures.max);
  return figures;
}

static void assert_all_read (const Figures &f)
{
  fail_unless_equals_uint64 (f.count, FRAMES);
  fail_unless_equals_uint64 (f.unreadable, 0);
  /* Same clock, so never negative; an encode and decode of 320x240 take
   * milliseconds, even on a loaded machine well under 2 s. */
  fail_unless (f.min > 0 && f.p50 <= f.p95 && f.p95 <= f.max && f.max < 2000.0,
               "min %f p50 %f p95 %f max %f", f.min, f.p50, f.p95, f.max);
}

GST_START_TEST (test_vp8)
{
  const char *needed[] = { "vp8enc", "vp8dec", nullptr };
  if (!have_elements (needed)) {
    g_printerr ("SKIP test_vp8: vp8enc/vp8dec not installed (gstreamer1.0-plugins-good)\n");
    return;
  }
  assert_all_read (run (SOURCE "gvclockstamp ! vp8enc deadline=1 cpu-used=8 target-bitrate=250000 "
                               "end-usage=cbr lag-in-frames=0 ! vp8dec ! gvclockcheck ! "
                               "fakesink"));
  /* Another corner and a smaller cell: the two ends agree through their
   * properties. */
  assert_all_read (
      run (SOURCE "gvclockstamp corner=bottom-right cell-size=12 ! vp8enc deadline=1 cpu-used=8 "
                  "target-bitrate=250000 end-usage=cbr lag-in-frames=0 ! vp8dec ! "
                  "gvclockcheck corner=bottom-right cell-size=12 ! fakesink"));
}
GST_END_TEST;

GST_START_TEST (test_h264)
{
  const char *needed[] = { "x264enc", "avdec_h264", "h264parse", nullptr };
  if (!have_elements (needed)) {
    g_printerr ("SKIP test_h264: x264enc/avdec_h264 not installed "
                "(gstreamer1.0-plugins-ugly, gstreamer1.0-libav)\n");
    return;
  }
  assert_all_read (run (SOURCE "gvclockstamp corner=top-right ! x264enc tune=zerolatency "
                               "speed-preset=ultrafast bitrate=250 threads=1 ! h264parse ! "
                               "avdec_h264 ! gvclockcheck corner=top-right ! fakesink"));
}
GST_END_TEST;

GST_START_TEST (test_unstamped_stream_reads_nothing)
{
  const char *needed[] = { "vp8enc", "vp8dec", nullptr };
  if (!have_elements (needed)) {
    g_printerr ("SKIP test_unstamped_stream_reads_nothing: vp8enc/vp8dec not installed\n");
    return;
  }
  const Figures f = run (SOURCE "vp8enc deadline=1 cpu-used=8 ! vp8dec ! gvclockcheck ! fakesink");
  fail_unless_equals_uint64 (f.count, 0);
  fail_unless_equals_uint64 (f.unreadable, FRAMES);
}
GST_END_TEST;

static Suite *encoded_suite (void)
{
  Suite *s = suite_create ("latency-encoded");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_vp8);
  tcase_add_test (tc, test_h264);
  tcase_add_test (tc, test_unstamped_stream_reads_nothing);
  return s;
}

GST_CHECK_MAIN (encoded);
