/* GhostView
 * Copyright (C) 2024 GhostView contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * gvclockcheck: what it counts, what it refuses to guess, what it posts.
 */
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/video/video.h>

#include "clockcode.h"

namespace cc = gv::clockcode;

#define WIDTH 320
#define HEIGHT 240
#define CAPS "video/x-raw,format=I420,width=320,height=240,framerate=30/1"

static GstBuffer *grey_buffer (const GstVideoInfo *info)
{
  GstBuffer *buf = gst_buffer_new_allocate (nullptr, GST_VIDEO_INFO_SIZE (info), nullptr);
  gst_buffer_memset (buf, 0, 128, GST_VIDEO_INFO_SIZE (info));
  return buf;
}

static guint64 get_u64 (GstElement *element, const char *name)
{
  guint64 value = 0;
  g_object_get (element, name, &value, nullptr);
  return value;
}

/* Inverts the luma of one code cell (top-left corner, 16 px cells). */
static void flip_cell (GstBuffer *buf, const GstVideoInfo *info, unsigned cell)
{
  GstVideoFrame frame;
  fail_unless (gst_video_frame_map (&frame, info, buf, GST_MAP_READWRITE));
  guint8 *y = static_cast<guint8 *> (GST_VIDEO_FRAME_PLANE_DATA (&frame, 0));
  const gint stride = GST_VIDEO_FRAME_PLANE_STRIDE (&frame, 0);
  const unsigned x0 = (cell % cc::kColumns) * 16, y0 = (cell / cc::kColumns) * 16;
  for (unsigned row = y0; row < y0 + 16; row++)
    for (unsigned col = x0; col < x0 + 16; col++)
      y[row * stride + col] = y[row * stride + col] > 128 ? cc::kLumaBlack : cc::kLumaWhite;
  gst_video_frame_unmap (&frame);
}

GST_START_TEST (test_frame_without_code_is_unreadable)
{
  GstHarness *h = gst_harness_new ("gvclockcheck");
  gst_harness_set_src_caps_str (h, CAPS);
  GstVideoInfo info;
  gst_video_info_set_format (&info, GST_VIDEO_FORMAT_I420, WIDTH, HEIGHT);

  for (int i = 0; i < 4; i++)
    fail_unless_equals_int (gst_harness_push (h, grey_buffer (&info)), GST_FLOW_OK);
  /* Frames pass through. */
  fail_unless_equals_int (gst_harness_buffers_received (h), 4);

  fail_unless_equals_uint64 (get_u64 (h->element, "count"), 0);
  fail_unless_equals_uint64 (get_u64 (h->element, "unreadable"), 4);
  GstStructure *stats = nullptr;
  g_object_get (h->element, "stats", &stats, nullptr);
  fail_unless (gst_structure_has_name (stats, "gvclockcheck-stats"));
  guint64 no_code = 0, bad = 99;
  fail_unless (gst_structure_get_uint64 (stats, "no-code", &no_code));
  fail_unless (gst_structure_get_uint64 (stats, "bad-checksum", &bad));
  fail_unless_equals_uint64 (no_code, 4);
  fail_unless_equals_uint64 (bad, 0);
  gdouble p50 = -1;
  fail_unless (gst_structure_get_double (stats, "p50", &p50));
  fail_unless_equals_float (p50, 0.0);
  gst_structure_free (stats);
  gst_harness_teardown (h);
}
GST_END_TEST;

GST_START_TEST (test_corrupted_cell_is_unreadable_not_wrong)
{
  GstHarness *stamp = gst_harness_new ("gvclockstamp");
  GstHarness *check = gst_harness_new ("gvclockcheck");
  gst_harness_set_src_caps_str (stamp, CAPS);
  gst_harness_set_src_caps_str (check, CAPS);
  GstVideoInfo info;
  gst_video_info_set_format (&info, GST_VIDEO_FORMAT_I420, WIDTH, HEIGHT);

  /* One intact frame, then every payload and checksum cell broken in turn,
   * then every sync cell broken in turn. */
  for (unsigned cell = 0; cell <= cc::kCells; cell++) {
    fail_unless_equals_int (gst_harness_push (stamp, grey_buffer (&info)), GST_FLOW_OK);
    GstBuffer *buf = gst_buffer_make_writable (gst_harness_pull (stamp));
    if (cell > 0)
      flip_cell (buf, &info, (cell - 1 + cc::kSyncBits) % cc::kCells);
    fail_unless_equals_int (gst_harness_push (check, buf), GST_FLOW_OK);
  }

  GstStructure *stats = nullptr;
  g_object_get (check->element, "stats", &stats, nullptr);
  guint64 count = 0, unreadable = 0, no_code = 0, bad = 0;
  fail_unless (gst_structure_get (stats, "count", G_TYPE_UINT64, &count, "unreadable",
                                  G_TYPE_UINT64, &unreadable, "no-code", G_TYPE_UINT64, &no_code,
                                  "bad-checksum", G_TYPE_UINT64, &bad, nullptr));
  gst_structure_free (stats);
  fail_unless_equals_uint64 (count, 1);
  fail_unless_equals_uint64 (bad, cc::kStampBits + cc::kCrcBits);
  fail_unless_equals_uint64 (no_code, cc::kSyncBits);
  fail_unless_equals_uint64 (unreadable, cc::kCells);

  /* reset forgets everything. */
  g_signal_emit_by_name (check->element, "reset");
  fail_unless_equals_uint64 (get_u64 (check->element, "count"), 0);
  fail_unless_equals_uint64 (get_u64 (check->element, "unreadable"), 0);

  gst_harness_teardown (stamp);
  gst_harness_teardown (check);
}
GST_END_TEST;

static void check_stats_fields (const GstStructure *s)
{
  const char *u64_fields[] = { "count", "unreadable", "no-code", "bad-checksum" };
  const char *double_fields[] = { "p50", "p95", "max", "min", "mean" };
  for (const char *f : u64_fields)
    fail_unless (gst_structure_has_field_typed (s, f, G_TYPE_UINT64), "field %s", f);
  for (const char *f : double_fields)
    fail_unless (gst_structure_has_field_typed (s, f, G_TYPE_DOUBLE), "field %s", f);
  fail_unless (gst_structure_has_field_typed (s, "eos", G_TYPE_BOOLEAN));
}

GST_START_TEST (test_bus_messages)
{
  /* 15 live frames at 30 fps (0.5 s) with a 100 ms interval: periodic
   * messages while running, and one final message before EOS. */
  GstElement *pipeline =
      gst_parse_launch ("videotestsrc is-live=true num-buffers=15 ! " CAPS " ! gvclockstamp ! "
                        "gvclockcheck name=check interval=100000000 ! fakesink sync=false",
                        nullptr);
  fail_unless (pipeline != nullptr);
  GstBus *bus = gst_element_get_bus (pipeline);
  fail_unless_equals_int (gst_element_set_state (pipeline, GST_STATE_PLAYING),
                          GST_STATE_CHANGE_ASYNC);

  guint periodic = 0;
  gboolean final_seen = FALSE;
  for (;;) {
    GstMessage *msg = gst_bus_timed_pop_filtered (
        bus, 10 * GST_SECOND,
        static_cast<GstMessageType> (GST_MESSAGE_ELEMENT | GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
    fail_unless (msg != nullptr, "timed out");
    fail_if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR);
    if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS) {
      gst_message_unref (msg);
      break;
    }
    const GstStructure *s = gst_message_get_structure (msg);
    if (gst_structure_has_name (s, "gvclockcheck-stats")) {
      fail_if (final_seen, "stats after the final message");
      check_stats_fields (s);
      gboolean eos = FALSE;
      gst_structure_get_boolean (s, "eos", &eos);
      if (eos) {
        final_seen = TRUE;
        guint64 count = 0, unreadable = 1;
        gdouble p50 = -1, p95 = -1, max = -1;
        gst_structure_get (s, "count", G_TYPE_UINT64, &count, "unreadable", G_TYPE_UINT64,
                           &unreadable, "p50", G_TYPE_DOUBLE, &p50, "p95", G_TYPE_DOUBLE, &p95,
                           "max", G_TYPE_DOUBLE, &max, nullptr);
        fail_unless_equals_uint64 (count, 15);
        fail_unless_equals_uint64 (unreadable, 0);
        fail_unless (p50 >= 0 && p50 <= p95 && p95 <= max && max < 1000.0, "p50 %f p95 %f max %f",
                     p50, p95, max);
      } else {
        periodic++;
      }
    }
    gst_message_unref (msg);
  }

  fail_unless (final_seen);
  fail_unless (periodic >= 2, "only %u periodic messages", periodic);

  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (bus);
  gst_object_unref (pipeline);
}
GST_END_TEST;

GST_START_TEST (test_post_messages_off)
{
  GstElement *pipeline = gst_parse_launch ("videotestsrc num-buffers=5 ! " CAPS " ! gvclockstamp ! "
                                           "gvclockcheck post-messages=false ! fakesink",
                                           nullptr);
  GstBus *bus = gst_element_get_bus (pipeline);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  for (;;) {
    GstMessage *msg = gst_bus_timed_pop_filtered (
        bus, 10 * GST_SECOND,
        static_cast<GstMessageType> (GST_MESSAGE_ELEMENT | GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
    fail_unless (msg != nullptr);
    const GstMessageType type = GST_MESSAGE_TYPE (msg);
    if (type == GST_MESSAGE_ELEMENT)
      fail_if (gst_message_has_name (msg, "gvclockcheck-stats"));
    gst_message_unref (msg);
    fail_if (type == GST_MESSAGE_ERROR);
    if (type == GST_MESSAGE_EOS)
      break;
  }
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (bus);
  gst_object_unref (pipeline);
}
GST_END_TEST;

static Suite *gvclockcheck_suite (void)
{
  Suite *s = suite_create ("gvclockcheck");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_frame_without_code_is_unreadable);
  tcase_add_test (tc, test_corrupted_cell_is_unreadable_not_wrong);
  tcase_add_test (tc, test_bus_messages);
  tcase_add_test (tc, test_post_messages_off);
  return s;
}

GST_CHECK_MAIN (gvclockcheck);
