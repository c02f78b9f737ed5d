/* GhostView
 * Copyright (C) 2024 GhostView contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * gvclockstamp ! gvclockcheck in a GstHarness, for every supported format
 * and corner: the stamp written is the time the frame passed, and it reads
 * back.
 */
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/video/video.h>

#include "clockcode.h"

namespace cc = gv::clockcode;

static const char *const formats[] = {
  "I420", "YV12", "NV12", "NV21", "Y42B", "Y444", "GRAY8", "YUY2", "UYVY", "BGRx",
  "BGRA", "RGBx", "RGBA", "xRGB", "xBGR", "ARGB", "ABGR",  "RGB",  "BGR",
};

static const GvClockCodeCorner corners[] = {
  GV_CLOCK_CODE_CORNER_TOP_LEFT,
  GV_CLOCK_CODE_CORNER_TOP_RIGHT,
  GV_CLOCK_CODE_CORNER_BOTTOM_LEFT,
  GV_CLOCK_CODE_CORNER_BOTTOM_RIGHT,
};

/* A frame of seeded noise, so the code has to overwrite whatever is there. */
static GstBuffer *noise_buffer (const GstVideoInfo *info, guint32 seed)
{
  GstBuffer *buf = gst_buffer_new_allocate (nullptr, GST_VIDEO_INFO_SIZE (info), nullptr);
  GstMapInfo map;
  fail_unless (gst_buffer_map (buf, &map, GST_MAP_WRITE));
  GRand *rand = g_rand_new_with_seed (seed);
  for (gsize i = 0; i < map.size; i++)
    map.data[i] = static_cast<guint8> (g_rand_int (rand));
  g_rand_free (rand);
  gst_buffer_unmap (buf, &map);
  return buf;
}

static guint64 get_u64 (GstElement *element, const char *name)
{
  guint64 value = 0;
  g_object_get (element, name, &value, nullptr);
  return value;
}

GST_START_TEST (test_round_trip_every_format_and_corner)
{
  /* Odd sizes catch chroma rounding at the right and bottom edges. */
  for (const char *format : formats) {
    for (GvClockCodeCorner corner : corners) {
      gchar *launch = g_strdup_printf (
          "gvclockstamp corner=%d cell-size=12 ! gvclockcheck corner=%d cell-size=12", corner,
          corner);
      GstHarness *h = gst_harness_new_parse (launch);
      g_free (launch);
      gchar *caps =
          g_strdup_printf ("video/x-raw,format=%s,width=161,height=121,framerate=30/1", format);
      gst_harness_set_src_caps_str (h, caps);
      g_free (caps);

      GstVideoInfo info;
      GstCaps *current = gst_pad_get_current_caps (h->srcpad);
      fail_unless (current != nullptr);
      fail_unless (gst_video_info_from_caps (&info, current));
      gst_caps_unref (current);

      const guint64 before = cc::realtime_now_ns ();
      for (guint i = 0; i < 3; i++)
        fail_unless_equals_int (gst_harness_push (h, noise_buffer (&info, i + 1)), GST_FLOW_OK);
      const guint64 after = cc::realtime_now_ns ();

      for (guint i = 0; i < 3; i++) {
        GstBuffer *out = gst_harness_pull (h);
        GstVideoFrame frame;
        fail_unless (gst_video_frame_map (&frame, &info, out, GST_MAP_READ));
        guint64 stamp = 0;
        fail_unless (cc::read_frame (&frame, corner, 12, &stamp) == cc::ReadResult::kOk,
                     "%s corner %d frame %u", format, corner, i);
        fail_unless (stamp >= before && stamp <= after, "%s: stamp outside the push window",
                     format);
        gst_video_frame_unmap (&frame);
        gst_buffer_unref (out);
      }

      GstElement *check = gst_harness_find_element (h, "gvclockcheck");
      fail_unless_equals_uint64 (get_u64 (check, "count"), 3);
      fail_unless_equals_uint64 (get_u64 (check, "unreadable"), 0);
      gdouble p50 = -1, max = -1;
      g_object_get (check, "p50", &p50, "max", &max, nullptr);
      fail_unless (p50 >= 0 && max >= p50 && max < 1000.0, "%s: p50 %f max %f", format, p50, max);
      gst_object_unref (check);
      gst_harness_teardown (h);
    }
  }
}
GST_END_TEST;

GST_START_TEST (test_small_frame_passes_unstamped)
{
  GstHarness *h = gst_harness_new ("gvclockstamp");
  gst_harness_set_src_caps_str (h, "video/x-raw,format=GRAY8,width=100,height=100,framerate=1/1");
  GstVideoInfo info;
  gst_video_info_set_format (&info, GST_VIDEO_FORMAT_GRAY8, 100, 100);
  GstBuffer *in = noise_buffer (&info, 9);
  GstBuffer *expected = gst_buffer_copy_deep (in);

  fail_unless_equals_int (gst_harness_push (h, in), GST_FLOW_OK);
  GstBuffer *out = gst_harness_pull (h);
  GstMapInfo a, b;
  fail_unless (gst_buffer_map (out, &a, GST_MAP_READ));
  fail_unless (gst_buffer_map (expected, &b, GST_MAP_READ));
  fail_unless (a.size == b.size && memcmp (a.data, b.data, a.size) == 0);
  gst_buffer_unmap (out, &a);
  gst_buffer_unmap (expected, &b);
  gst_buffer_unref (out);
  gst_buffer_unref (expected);
  gst_harness_teardown (h);
}
GST_END_TEST;

static Suite *gvclockstamp_suite (void)
{
  Suite *s = suite_create ("gvclockstamp");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_round_trip_every_format_and_corner);
  tcase_add_test (tc, test_small_frame_passes_unstamped);
  return s;
}

GST_CHECK_MAIN (gvclockstamp);
