/* A video layer built while raw video flows (the first viewer moving to a
 * smaller layer does that) never stops the video: once linked to the raw
 * tee its elements must already run, or the tee takes FLUSHING back from
 * the new branch and hands it to the source, which stops for good with no
 * error (seen in tests/bench/network before the fix). The source here
 * pushes as fast as it can, so a frame arrives in any window there is. */
#include "gvvideolayer.h"

#include <gst/check/gstcheck.h>

#include <atomic>
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

static Suite *video_layer_suite (void)
{
  GST_DEBUG_CATEGORY_INIT (gv_webrtc_sink_debug, "gvwebrtcsink", 0, "video layer test");
  Suite *s = suite_create ("webrtc-video-layer");
  TCase *tc = tcase_create ("general");
  tcase_set_timeout (tc, 120);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_layers_built_while_video_flows);
  return s;
}

GST_CHECK_MAIN (video_layer);
