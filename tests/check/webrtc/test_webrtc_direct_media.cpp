/* gvwebrtcsink -> GvDirectSignaller -> gvwebrtcsrc in one process: VP8, VP9
 * and H.264 frames reach a receiver decoded at the host's size, and another
 * (decode=false) as encoded caps that matroskamux takes; a recording made
 * that way decodes again. */
#include "direct_harness.h"

#include <gst/check/gstcheck.h>

#include <glib/gstdio.h>

#include <string>

using namespace gvtest;

static const int kTimeoutMs = 15000;

struct CodecCase {
  const char *codec;
  const char *encoded; /* the receiver's caps with decode=false */
};
static const CodecCase codec_cases[] = {
  { "vp8", "video/x-vp8" },
  { "vp9", "video/x-vp9" },
  { "h264", "video/x-h264" },
};

/* Each codec end to end, two receivers side by side: one decodes frames of
 * the host's size, the other (decode=false) gives the encoded caps a muxer
 * takes, and matroskamux takes them. */
GST_START_TEST (test_codec_end_to_end)
{
  const CodecCase &c = codec_cases[__i__];
  BufferCounter decoded, encoded; /* outlive the pipelines whose pads they count */
  DirectRoom room;
  DirectHost host (room, video_host (std::string ("video-codec=") + c.codec));
  DirectViewer viewer (room, tapped_viewer ());
  DirectViewer muxer (
      room,
      direct_viewer ("decode=false", "identity name=tap ! matroskamux ! fakesink sync=false"));
  count_at (viewer, "tap", decoded);
  count_at (muxer, "tap", encoded);
  host.play ();
  viewer.play ();
  muxer.play ();
  fail_unless (wait_until (
                   [&] {
                     return (decoded.buffers >= 15 && encoded.buffers >= 15) ||
                            !viewer.error.empty () || !muxer.error.empty ();
                   },
                   kTimeoutMs, &host, &viewer, &muxer),
               "%s: only %d decoded and %d encoded frames (%s / %s)", c.codec,
               (int) decoded.buffers, (int) encoded.buffers, viewer.error.c_str (),
               muxer.error.c_str ());
  fail_unless (viewer.error.empty (), "%s: %s", c.codec, viewer.error.c_str ());
  fail_unless (muxer.error.empty (), "%s: %s", c.codec, muxer.error.c_str ());
  fail_unless (host.error.empty (), "%s: %s", c.codec, host.error.c_str ());
  std::string caps = decoded.caps_string ();
  fail_unless (caps.find ("video/x-raw") == 0 &&
                   caps.find ("width=(int)320") != std::string::npos &&
                   caps.find ("height=(int)240") != std::string::npos,
               "%s: unexpected caps %s", c.codec, caps.c_str ());
  caps = encoded.caps_string ();
  fail_unless (caps.find (c.encoded) == 0, "%s: caps %s", c.codec, caps.c_str ());
}
GST_END_TEST;

/* decode=false into matroskamux: the file has a VP8 track, and decoding it
 * again gives frames of the host's size. */
GST_START_TEST (test_recording_plays_back)
{
  BufferCounter frames, parsed, decoded;
  TempFile file ("gvwebrtc-direct-record-XXXXXX.mkv");
  {
    DirectRoom room;
    DirectHost host (room, video_host ());
    DirectViewer viewer (
        room, direct_viewer ("decode=false", "identity name=tap ! matroskamux ! filesink "
                                             "location=" +
                                                 file.path));
    count_at (viewer, "tap", frames);
    host.play ();
    viewer.play ();
    fail_unless (wait_until ([&] { return frames.buffers >= 30 || !viewer.error.empty (); },
                             kTimeoutMs, &host, &viewer),
                 "only %d frames (%s)", (int) frames.buffers, viewer.error.c_str ());
    fail_unless (frames.caps_string ().find ("video/x-vp8") == 0, "caps %s",
                 frames.caps_string ().c_str ());

    /* The recording stops (EOS into the muxer) and is finalised. */
    GstPad *tap_sink = gst_element_get_static_pad (viewer.get ("tap"), "sink");
    gst_pad_send_event (tap_sink, gst_event_new_eos ());
    gst_object_unref (tap_sink);
    fail_unless (wait_until ([&] { return viewer.eos; }, 5000, &host, &viewer), "no EOS");
  }
  GStatBuf st;
  fail_unless (g_stat (file.path.c_str (), &st) == 0 && st.st_size > 1000, "file too small");

  Pipeline check ("filesrc location=" + file.path +
                  " ! matroskademux ! identity name=parsed ! decodebin ! identity name=decoded ! "
                  "fakesink");
  count_at (check, "parsed", parsed);
  count_at (check, "decoded", decoded);
  check.play ();
  fail_unless (wait_until ([&] { return check.eos || !check.error.empty (); }, 10000, &check));
  fail_unless (check.error.empty (), "%s", check.error.c_str ());
  fail_unless (parsed.caps_string ().find ("video/x-vp8") == 0, "track %s",
               parsed.caps_string ().c_str ());
  fail_unless (parsed.buffers >= 20, "only %d frames in the file", (int) parsed.buffers);
  fail_unless (decoded.buffers >= 20, "only %d frames decoded from the file",
               (int) decoded.buffers);
  std::string caps = decoded.caps_string ();
  fail_unless (caps.find ("video/x-raw") == 0 && caps.find ("width=(int)320") != std::string::npos,
               "decoded caps %s", caps.c_str ());
}
GST_END_TEST;

static Suite *webrtc_direct_media_suite (void)
{
  Suite *s = suite_create ("webrtc-direct-media");
  TCase *tc = tcase_create ("media");
  tcase_set_timeout (tc, 30);
  suite_add_tcase (s, tc);
  tcase_add_loop_test (tc, test_codec_end_to_end, 0, G_N_ELEMENTS (codec_cases));
  tcase_add_test (tc, test_recording_plays_back);
  return s;
}

GST_CHECK_MAIN (webrtc_direct_media);
