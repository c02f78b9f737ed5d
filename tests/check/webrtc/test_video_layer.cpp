/* A video layer built while raw video flows (the first viewer moving to a
 * smaller layer does that) never stops the video: once linked to the raw
 * tee its elements must already run, or the tee takes FLUSHING back from
 * the new branch and hands it to the source, which stops for good with no
 * error (seen in tests/bench/network before the fix). The source here
 * pushes as fast as it can, so a frame arrives in any window there is. */
#include "gvvideolayer.h"

#include <gst/check/gstcheck.h>
#include <gst/video/video.h>

#include <atomic>
#include <mutex>
#include <memory>
#include <vector>

GST_DEBUG_CATEGORY (gv_webrtc_sink_debug);

using namespace gv::webrtc;

static constexpr int kBuilds = 25;
static constexpr gint64 kFlowTimeoutUs = 3 * G_USEC_PER_SEC;

static GstPadProbeReturn count_buffers (GstPad *, GstPadProbeInfo *, gpointer user)
{
  (*static_cast<std::atomic<guint64> *> (user))++;
  return GST_PAD_PROBE_OK;
}

/* Waits until `count` passes `target`; false after kFlowTimeoutUs or an
 * error on the bus (its text in `error`). */
static bool wait_for_flow (GstElement *pipeline, const std::atomic<guint64> &count, guint64 target,
                           std::string &error)
{
  GstBus *bus = gst_element_get_bus (pipeline);
  gint64 end = g_get_monotonic_time () + kFlowTimeoutUs;
  bool ok = false;
  while (g_get_monotonic_time () < end) {
    if (count > target) {
      ok = true;
      break;
    }
    GstMessage *msg = gst_bus_timed_pop_filtered (bus, 5 * GST_MSECOND, GST_MESSAGE_ERROR);
    if (msg) {
      GError *err = nullptr;
      gst_message_parse_error (msg, &err, nullptr);
      error = err ? err->message : "an error";
      g_clear_error (&err);
      gst_message_unref (msg);
      break;
    }
  }
  gst_object_unref (bus);
  return ok;
}

GST_START_TEST (test_layers_built_while_video_flows)
{
  GstElement *pipeline = gst_parse_launch (
      "videotestsrc is-live=false pattern=ball ! "
      "video/x-raw,format=I420,width=64,height=48,framerate=30/1 ! identity name=input ! "
      "tee name=raw allow-not-linked=true ! queue ! fakesink sync=false async=false",
      nullptr);
  fail_unless (pipeline != nullptr);
  GstElement *input = gst_bin_get_by_name (GST_BIN (pipeline), "input");
  GstElement *raw = gst_bin_get_by_name (GST_BIN (pipeline), "raw");
  std::atomic<guint64> frames{ 0 };
  GstPad *pad = gst_element_get_static_pad (input, "src");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, count_buffers, &frames, nullptr);
  gst_object_unref (pad);
  fail_unless (gst_element_set_state (pipeline, GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE);
  std::string error;
  fail_unless (wait_for_flow (pipeline, frames, 100, error), "no video: %s", error.c_str ());

  std::vector<std::unique_ptr<VideoLayer>> layers;
  for (int i = 1; i <= kBuilds; i++) {
    auto layer = std::make_unique<VideoLayer> (i, pipeline); /* its index names its elements */
    LayerSettings settings;
    settings.width = 64;
    settings.height = 48;
    settings.divisor = 2;
    settings.bitrate_kbps = 100;
    fail_unless (layer->build_encoding (raw, settings), "layer %d not built", i);
    layers.push_back (std::move (layer));
    guint64 before = frames;
    fail_unless (wait_for_flow (pipeline, frames, before + 50, error),
                 "the video stopped after layer %d was built (%" G_GUINT64_FORMAT
                 " frames in all)%s%s",
                 i, (guint64) frames, error.empty () ? "" : ": ", error.c_str ());
  }
  GST_INFO ("%d layers built while %" G_GUINT64_FORMAT " frames went by", kBuilds,
            (guint64) frames);

  gst_element_set_state (pipeline, GST_STATE_NULL);
  layers.clear ();
  gst_object_unref (raw);
  gst_object_unref (input);
  gst_object_unref (pipeline);
}
GST_END_TEST;

/* When each keyframe came out of a layer (monotonic µs). */
struct KeyframeTimes {
  std::mutex lock;
  std::vector<gint64> at;
};

static GstPadProbeReturn note_keyframe (GstPad *, GstPadProbeInfo *info, gpointer user)
{
  auto *times = static_cast<KeyframeTimes *> (user);
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  if (!GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT)) {
    std::lock_guard<std::mutex> guard (times->lock);
    times->at.push_back (g_get_monotonic_time ());
  }
  return GST_PAD_PROBE_OK;
}

static size_t keyframes_seen (KeyframeTimes &times)
{
  std::lock_guard<std::mutex> guard (times.lock);
  return times.at.size ();
}

/* A viewer that asks twice at once (its link was cut: it asks on every
 * lost packet) gets one keyframe now and the second 150 ms later, not two
 * back to back into the same full queue. */
GST_START_TEST (test_keyframe_requests_spaced)
{
  GstElement *pipeline = gst_parse_launch (
      "videotestsrc is-live=true pattern=ball ! "
      "video/x-raw,format=I420,width=64,height=48,framerate=30/1 ! "
      "tee name=raw allow-not-linked=true ! queue ! fakesink sync=false async=false",
      nullptr);
  fail_unless (pipeline != nullptr);
  GstElement *raw = gst_bin_get_by_name (GST_BIN (pipeline), "raw");
  fail_unless (gst_element_set_state (pipeline, GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE);
  VideoLayer layer (1, pipeline);
  LayerSettings settings;
  settings.width = 64;
  settings.height = 48;
  settings.bitrate_kbps = 100;
  settings.keyframe_distance = 3000; /* no keyframe but those asked for */
  fail_unless (layer.build_encoding (raw, settings));
  GstElement *viewer = gst_element_factory_make ("fakesink", nullptr);
  g_object_set (viewer, "sync", FALSE, "async", FALSE, nullptr);
  gst_bin_add (GST_BIN (pipeline), viewer);
  gst_element_sync_state_with_parent (viewer);
  GstPad *tee_pad = gst_element_request_pad_simple (layer.tee (), "src_%u");
  GstPad *viewer_pad = gst_element_get_static_pad (viewer, "sink");
  fail_unless (gst_pad_link (tee_pad, viewer_pad) == GST_PAD_LINK_OK);
  KeyframeTimes times;
  gst_pad_add_probe (viewer_pad, GST_PAD_PROBE_TYPE_BUFFER, note_keyframe, &times, nullptr);
  layer.watch ();
  const gint64 deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
  while (keyframes_seen (times) < 1 && g_get_monotonic_time () < deadline)
    g_usleep (10000);
  fail_unless (keyframes_seen (times) == 1, "no first keyframe");
  g_usleep (600000); /* the interval's token is back */

  auto ask = [&] () {
    gst_pad_push_event (viewer_pad,
                        gst_video_event_new_upstream_force_key_unit (GST_CLOCK_TIME_NONE, TRUE, 0));
  };
  const gint64 asked = g_get_monotonic_time ();
  ask ();
  ask ();
  while (keyframes_seen (times) < 3 && g_get_monotonic_time () < asked + 2 * G_USEC_PER_SEC)
    g_usleep (5000);
  g_usleep (300000);
  std::vector<gint64> at;
  {
    std::lock_guard<std::mutex> guard (times.lock);
    at = times.at;
  }
  fail_unless (at.size () == 3, "%zu keyframes for two requests (and the first)", at.size ());
  GST_INFO ("keyframes %.0f and %.0f ms after the requests", (at[1] - asked) / 1000.0,
            (at[2] - asked) / 1000.0);
  fail_unless (at[1] - asked < 100000, "the first request waited %" G_GINT64_FORMAT " us",
               at[1] - asked);
  fail_unless (at[2] - at[1] >= 140000 && at[2] - at[1] < 300000,
               "the second keyframe %" G_GINT64_FORMAT " us after the first", at[2] - at[1]);

  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (viewer_pad);
  gst_object_unref (tee_pad);
  gst_object_unref (raw);
  gst_object_unref (pipeline);
}
GST_END_TEST;

static Suite *video_layer_suite (void)
{
  GST_DEBUG_CATEGORY_INIT (gv_webrtc_sink_debug, "gvwebrtcsink", 0, "video layer test");
  Suite *s = suite_create ("webrtc-video-layer");
  TCase *tc = tcase_create ("general");
  tcase_set_timeout (tc, 120);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_layers_built_while_video_flows);
  tcase_add_test (tc, test_keyframe_requests_spaced);
  return s;
}

GST_CHECK_MAIN (video_layer);
