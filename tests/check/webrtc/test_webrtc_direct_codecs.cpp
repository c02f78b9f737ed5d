/* Per-viewer codec negotiation, paired in one process: an H.264 host
 * offers H.264 and its fallback (VP8); a receiver that takes only VP8 gets
 * VP8 frames, one that takes H.264 gets H.264, and however many viewers
 * need the fallback they share ONE fallback encoder. The host's stats and
 * its gvwebrtcsink-codec messages say who gets which. With no fallback a
 * receiver that cannot decode the codec is told so in words, and the
 * host's stats say "none". VP9 is profile 0 (8-bit 4:2:0, what the offer
 * means and Firefox decodes) whatever the source gives. */
#include "direct_harness.h"

#include <gst/check/gstcheck.h>

#include <memory>
#include <string>
#include <vector>

using namespace gvtest;

static const int kTimeoutMs = 20000;

static bool have_h264 ()
{
  for (const char *f : { "x264enc", "rtph264pay", "rtph264depay", "h264parse" })
    if (!gst_registry_check_feature_version (gst_registry_get (), f, 1, 0, 0))
      return false;
  return true;
}

static std::string codec_of (GstElement *sink, const std::string &peer)
{
  GstStructure *st = viewer_stats (sink, peer);
  if (!st)
    return "";
  const char *codec = gst_structure_get_string (st, "codec");
  std::string out = codec ? codec : "";
  gst_structure_free (st);
  return out;
}

/* One receiver of encoded video (decode=false: its caps name the codec it
 * got), taking `codecs`. */
struct Receiver {
  BufferCounter frames;
  std::unique_ptr<DirectViewer> pipeline;
  Receiver (const DirectRoom &room, const std::string &codecs, const std::string &name)
  {
    pipeline.reset (
        new DirectViewer (room, tapped_viewer ("decode=false video-codecs=" + codecs), name));
    count_at (*pipeline, "tap", frames);
  }
};

GST_START_TEST (test_fallback_codec_is_shared)
{
  if (!have_h264 ()) {
    g_print ("SKIP: x264enc/rtph264pay/h264parse missing (gstreamer1.0-plugins-ugly)\n");
    return;
  }
  DirectRoom room;
  SinkLog log;
  std::vector<std::unique_ptr<Receiver>> rx;
  DirectHost host (room, video_host ("video-codec=h264 signaller::max-viewers=3"));
  log.attach (host.sink ());
  rx.emplace_back (new Receiver (room, "vp8", "vp8-a"));
  rx.emplace_back (new Receiver (room, "h264,vp8", "h264"));
  rx.emplace_back (new Receiver (room, "vp8", "vp8-b"));
  host.play ();
  for (auto &r : rx)
    r->pipeline->play ();
  auto all_playing = [&] {
    for (auto &r : rx)
      if (r->frames.buffers < 20)
        return false;
    return true;
  };
  fail_unless (wait_until (all_playing, kTimeoutMs, &host, rx[0]->pipeline.get (),
                           rx[1]->pipeline.get (), rx[2]->pipeline.get ()),
               "frames: %d %d %d", (int) rx[0]->frames.buffers, (int) rx[1]->frames.buffers,
               (int) rx[2]->frames.buffers);
  /* What each receiver got, by its caps, and what the host says. */
  fail_unless (rx[0]->frames.caps_string ().find ("video/x-vp8") == 0, "%s",
               rx[0]->frames.caps_string ().c_str ());
  fail_unless (rx[1]->frames.caps_string ().find ("video/x-h264") == 0, "%s",
               rx[1]->frames.caps_string ().c_str ());
  fail_unless (rx[2]->frames.caps_string ().find ("video/x-vp8") == 0, "%s",
               rx[2]->frames.caps_string ().c_str ());
  GstElement *sink = host.sink ();
  fail_unless_equals_string (codec_of (sink, log.peer ("vp8-a")).c_str (), "VP8");
  fail_unless_equals_string (codec_of (sink, log.peer ("h264")).c_str (), "H264");
  fail_unless_equals_string (codec_of (sink, log.peer ("vp8-b")).c_str (), "VP8");
  /* Encode once per codec, never per viewer: two encoders for three. */
  fail_unless_equals_int (count_by_klass (sink, "Encoder/Video"), 2);
  GstStructure *stats = nullptr;
  g_object_get (sink, "stats", &stats, nullptr);
  gint running = 0;
  gst_structure_get_int (stats, "encoders-running", &running);
  fail_unless (gst_structure_has_field (stats, "fallback-layer-bitrates"));
  gst_structure_free (stats);
  fail_unless_equals_int (running, 2);
  fail_unless (host.error.empty (), "%s", host.error.c_str ());
  for (auto &r : rx)
    fail_unless (r->pipeline->error.empty (), "%s", r->pipeline->error.c_str ());
}
GST_END_TEST;

GST_START_TEST (test_no_common_codec_is_said)
{
  if (!have_h264 ()) {
    g_print ("SKIP: x264enc/rtph264pay/h264parse missing (gstreamer1.0-plugins-ugly)\n");
    return;
  }
  DirectRoom room;
  SinkLog log;
  DirectHost host (room, video_host ("video-codec=h264 fallback-codec=none"));
  log.attach (host.sink ());
  Receiver rx (room, "vp8", "vp8-only");
  host.play ();
  rx.pipeline->play ();
  fail_unless (wait_until (
                   [&] {
                     return rx.pipeline->warnings > 0 &&
                            codec_of (host.sink (), log.peer ("vp8-only")) == "none";
                   },
                   kTimeoutMs, &host, rx.pipeline.get ()),
               "warning \"%s\", host says \"%s\"", rx.pipeline->warning.c_str (),
               codec_of (host.sink (), log.peer ("vp8-only")).c_str ());
  /* In words a person can act on, naming both sides. */
  fail_unless (rx.pipeline->warning.find ("No common video codec") != std::string::npos, "%s",
               rx.pipeline->warning.c_str ());
  fail_unless (rx.pipeline->warning.find ("H264") != std::string::npos, "%s",
               rx.pipeline->warning.c_str ());
  fail_unless (rx.pipeline->warning.find ("VP8") != std::string::npos, "%s",
               rx.pipeline->warning.c_str ());
  pump_for (1000, &host, rx.pipeline.get ());
  fail_unless_equals_int (rx.frames.buffers, 0);
  fail_unless (host.error.empty (), "%s", host.error.c_str ());
}
GST_END_TEST;

/* A 10-bit source: vp9enc would write profile 2, which Firefox fails to
 * decode on every keyframe; the encoder is given 8-bit 4:2:0. */
GST_START_TEST (test_vp9_is_profile_0)
{
  DirectRoom room;
  DirectHost host (room, "videotestsrc is-live=true ! "
                         "video/x-raw,format=I420_10LE,width=320,height=240,framerate=30/1 ! "
                         "gvwebrtcsink name=host ice-loopback=true video-codec=vp9");
  Receiver rx (room, "vp9", "vp9");
  host.play ();
  rx.pipeline->play ();
  fail_unless (
      wait_until ([&] { return rx.frames.buffers >= 10; }, kTimeoutMs, &host, rx.pipeline.get ()),
      "%d frames; %s", (int) rx.frames.buffers, rx.pipeline->error.c_str ());
  GstElement *encoder = gst_bin_get_by_name (GST_BIN (host.sink ()), "encoder");
  fail_unless (encoder != nullptr);
  GstPad *src = gst_element_get_static_pad (encoder, "src");
  GstCaps *caps = gst_pad_get_current_caps (src);
  fail_unless (caps != nullptr);
  const char *profile = gst_structure_get_string (gst_caps_get_structure (caps, 0), "profile");
  fail_unless_equals_string (profile, "0");
  gst_caps_unref (caps);
  gst_object_unref (src);
  gst_object_unref (encoder);
}
GST_END_TEST;

static Suite *direct_codecs_suite (void)
{
  Suite *s = suite_create ("webrtc-direct-codecs");
  TCase *tc = tcase_create ("general");
  tcase_set_timeout (tc, 60);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_fallback_codec_is_shared);
  tcase_add_test (tc, test_no_common_codec_is_said);
  tcase_add_test (tc, test_vp9_is_profile_0);
  return s;
}

GST_CHECK_MAIN (direct_codecs);
