/* gvwebrtcsink -> real signalling server -> gvwebrtcsrc, in one process over
 * loopback: frames arrive (VP8, VP9, H.264), decode=false records into
 * matroskamux, three viewers share one encoder, one leaves and the other two
 * keep receiving. */
#include "webrtc_harness.h"

#include <gst/check/gstcheck.h>

#include <glib/gstdio.h>

#include <string>
#include <vector>

using namespace gvtest;

static const int kTimeoutMs = 20000;

struct CodecCase {
  const char *codec;
  const char *raw_name;
};
static const CodecCase codec_cases[] = {
  { "vp8", "video/x-raw" },
  { "vp9", "video/x-raw" },
  { "h264", "video/x-raw" },
};

GST_START_TEST (test_frames_arrive)
{
  const CodecCase &c = codec_cases[__i__];
  BufferCounter frames; /* outlives the pipelines whose pads it counts */
  TestServer server;
  Pipeline host (host_description (server.ws_url (), std::string ("video-codec=") + c.codec));
  host.play ();
  fail_unless (wait_for_pin (host), "no PIN: %s", host.error.c_str ());

  Pipeline viewer (viewer_description (server.ws_url (), host.pin, "",
                                       "identity name=tap ! fakesink sync=false"));
  count_at (viewer, "tap", frames);
  viewer.play ();
  fail_unless (wait_until ([&] { return frames.buffers >= 15 || !viewer.error.empty (); },
                           kTimeoutMs, &host, &viewer),
               "%s: only %d frames", c.codec, (int) frames.buffers);
  fail_unless (viewer.error.empty (), "%s", viewer.error.c_str ());
  std::string caps = frames.caps_string ();
  fail_unless (caps.find (c.raw_name) == 0 && caps.find ("width=(int)320") != std::string::npos &&
                   caps.find ("height=(int)240") != std::string::npos,
               "unexpected caps %s", caps.c_str ());
}
GST_END_TEST;

/* decode=false gives encoded caps that matroskamux takes; the file parses. */
GST_START_TEST (test_record_without_decoding)
{
  BufferCounter frames, parsed;
  TestServer server;
  Pipeline host (host_description (server.ws_url (), ""));
  host.play ();
  fail_unless (wait_for_pin (host));

  gchar *path = g_build_filename (g_get_tmp_dir (), "gvwebrtc-record-XXXXXX.mkv", nullptr);
  int fd = g_mkstemp (path);
  close (fd);
  Pipeline viewer (viewer_description (server.ws_url (), host.pin, "decode=false",
                                       std::string ("identity name=tap ! matroskamux ! "
                                                    "filesink location=") +
                                           path));
  count_at (viewer, "tap", frames);
  viewer.play ();
  fail_unless (wait_until ([&] { return frames.buffers >= 30 || !viewer.error.empty (); },
                           kTimeoutMs, &host, &viewer),
               "only %d frames (%s)", (int) frames.buffers, viewer.error.c_str ());
  fail_unless (frames.caps_string ().find ("video/x-vp8") == 0, "caps %s",
               frames.caps_string ().c_str ());

  GstPad *tap_sink = gst_element_get_static_pad (viewer.get ("tap"), "sink");
  gst_pad_send_event (tap_sink, gst_event_new_eos ());
  gst_object_unref (tap_sink);
  fail_unless (wait_until ([&] { return viewer.eos; }, 5000, &viewer), "no EOS");
  gst_element_set_state (viewer.pipeline, GST_STATE_NULL);

  GStatBuf st;
  fail_unless (g_stat (path, &st) == 0 && st.st_size > 1000, "file too small");

  /* It parses: matroskademux finds a VP8 track and frames in it. */
  Pipeline check (std::string ("filesrc location=") + path +
                  " ! matroskademux ! identity name=tap ! fakesink");
  count_at (check, "tap", parsed);
  check.play ();
  fail_unless (wait_until ([&] { return check.eos || !check.error.empty (); }, 10000, &check));
  fail_unless (check.error.empty (), "%s", check.error.c_str ());
  fail_unless (parsed.buffers >= 20, "only %d frames in the file", (int) parsed.buffers);
  fail_unless (parsed.caps_string ().find ("video/x-vp8") == 0);
  g_unlink (path);
  g_free (path);
}
GST_END_TEST;

static int count_elements (GstElement *bin, const char *klass_part, const char *factory)
{
  int n = 0;
  GstIterator *it = gst_bin_iterate_recurse (GST_BIN (bin));
  GValue v = G_VALUE_INIT;
  while (gst_iterator_next (it, &v) == GST_ITERATOR_OK) {
    GstElement *e = GST_ELEMENT (g_value_get_object (&v));
    GstElementFactory *f = gst_element_get_factory (e);
    if (f) {
      const char *klass = gst_element_factory_get_metadata (f, GST_ELEMENT_METADATA_KLASS);
      if (klass_part && strstr (klass, klass_part))
        n++;
      if (factory && g_str_equal (GST_OBJECT_NAME (f), factory))
        n++;
    }
    g_value_reset (&v);
  }
  g_value_unset (&v);
  gst_iterator_free (it);
  return n;
}

/* Three viewers at once from one encoder; one leaves, its webrtcbin goes, the
 * other two keep receiving. */
/* One viewer's branch failing (as sctpenc does when a browser leaves
 * abruptly) removes that viewer with a warning; the host keeps streaming. */
GST_START_TEST (test_viewer_error_removes_only_that_viewer)
{
  BufferCounter fa, fb;
  std::vector<std::string> removed;
  TestServer server;
  Pipeline host (host_description (server.ws_url (), "max-viewers=2"));
  g_signal_connect (host.get ("host"), "viewer-removed",
                    G_CALLBACK (+[] (GstElement *, const char *peer, gpointer data) {
                      static_cast<std::vector<std::string> *> (data)->push_back (peer);
                    }),
                    &removed);
  host.play ();
  fail_unless (wait_for_pin (host));
  const std::string tail = "identity name=tap ! fakesink sync=false";
  Pipeline a (viewer_description (server.ws_url (), host.pin, "", tail));
  Pipeline b (viewer_description (server.ws_url (), host.pin, "", tail));
  count_at (a, "tap", fa);
  count_at (b, "tap", fb);
  a.play ();
  b.play ();
  fail_unless (
      wait_until ([&] { return fa.buffers >= 15 && fb.buffers >= 15; }, kTimeoutMs, &host, &a, &b),
      "frames: %d and %d", (int) fa.buffers, (int) fb.buffers);

  /* An element inside the first webrtcbin reports a write failure. */
  GstElement *sink = host.get ("host");
  GstElement *webrtcbin = nullptr;
  GstIterator *it = gst_bin_iterate_elements (GST_BIN (sink));
  GValue item = G_VALUE_INIT;
  while (!webrtcbin && gst_iterator_next (it, &item) == GST_ITERATOR_OK) {
    auto *el = GST_ELEMENT (g_value_get_object (&item));
    if (g_strcmp0 (GST_OBJECT_NAME (gst_element_get_factory (el)), "webrtcbin") == 0)
      webrtcbin = GST_ELEMENT (gst_object_ref (el));
    g_value_reset (&item);
  }
  g_value_unset (&item);
  gst_iterator_free (it);
  fail_unless (webrtcbin != nullptr);
  GST_ELEMENT_ERROR (webrtcbin, RESOURCE, WRITE, ("Could not write to resource."),
                     ("simulated: the peer went away"));
  gst_object_unref (webrtcbin);

  fail_unless (wait_until ([&] { return removed.size () == 1; }, 10000, &host, &a, &b),
               "the failing viewer was not removed");
  fail_unless (host.error.empty (), "the host stopped: %s", host.error.c_str ());
  fail_unless (host.warning.find ("failed and was removed") != std::string::npos, "warning: %s",
               host.warning.c_str ());
  fail_unless_equals_int (count_elements (sink, nullptr, "webrtcbin"), 1);
  int before_a = fa.buffers, before_b = fb.buffers;
  fail_unless (
      wait_until ([&] { return fa.buffers >= before_a + 30 || fb.buffers >= before_b + 30; }, 10000,
                  &host, &a, &b),
      "the remaining viewer stalled");
  fail_unless (host.error.empty (), "the host stopped: %s", host.error.c_str ());
}
GST_END_TEST;

GST_START_TEST (test_three_viewers_one_encoder)
{
  /* Declared before the pipelines: their teardown still reports into them. */
  BufferCounter fa, fb, fc;
  std::vector<std::string> removed;
  TestServer server;
  Pipeline host (host_description (server.ws_url (), "max-viewers=3"));
  g_signal_connect (host.get ("host"), "viewer-removed",
                    G_CALLBACK (+[] (GstElement *, const char *peer, gpointer data) {
                      static_cast<std::vector<std::string> *> (data)->push_back (peer);
                    }),
                    &removed);
  host.play ();
  fail_unless (wait_for_pin (host));

  const std::string tail = "identity name=tap ! fakesink sync=false";
  auto *a = new Pipeline (viewer_description (server.ws_url (), host.pin, "", tail));
  Pipeline b (viewer_description (server.ws_url (), host.pin, "", tail));
  Pipeline c (viewer_description (server.ws_url (), host.pin, "", tail));
  count_at (*a, "tap", fa);
  count_at (b, "tap", fb);
  count_at (c, "tap", fc);
  a->play ();
  b.play ();
  c.play ();
  fail_unless (wait_until ([&] { return fa.buffers >= 15 && fb.buffers >= 15 && fc.buffers >= 15; },
                           kTimeoutMs, &host, a, &b, &c),
               "frames: %d, %d and %d (%s / %s / %s)", (int) fa.buffers, (int) fb.buffers,
               (int) fc.buffers, a->error.c_str (), b.error.c_str (), c.error.c_str ());

  GstElement *sink = host.get ("host");
  fail_unless_equals_int (count_elements (sink, "Encoder/Video", nullptr), 1);
  fail_unless_equals_int (count_elements (sink, nullptr, "webrtcbin"), 3);

  GstStructure *stats = nullptr;
  g_object_get (sink, "stats", &stats, nullptr);
  guint viewers = 0;
  gst_structure_get_uint (stats, "viewer-count", &viewers);
  fail_unless_equals_int (viewers, 3);
  gst_structure_free (stats);

  delete a; /* leaves: the server tells the host the viewer disconnected */
  fail_unless (wait_until ([&] { return removed.size () == 1; }, 10000, &host, &b, &c),
               "viewer not removed");
  fail_unless_equals_int (count_elements (sink, nullptr, "webrtcbin"), 2);
  fail_unless_equals_int (count_elements (sink, "Encoder/Video", nullptr), 1);
  int before_b = fb.buffers, before_c = fc.buffers;
  fail_unless (
      wait_until ([&] { return fb.buffers >= before_b + 30 && fc.buffers >= before_c + 30; }, 10000,
                  &host, &b, &c),
      "the remaining viewers stalled at %d and %d", (int) fb.buffers, (int) fc.buffers);
  fail_unless (b.error.empty (), "%s", b.error.c_str ());
  fail_unless (c.error.empty (), "%s", c.error.c_str ());
}
GST_END_TEST;

static Suite *webrtc_media_suite (void)
{
  Suite *s = suite_create ("webrtc-media");
  TCase *tc = tcase_create ("general");
  tcase_set_timeout (tc, 90);
  suite_add_tcase (s, tc);
  tcase_add_loop_test (tc, test_frames_arrive, 0, G_N_ELEMENTS (codec_cases));
  tcase_add_test (tc, test_record_without_decoding);
  tcase_add_test (tc, test_three_viewers_one_encoder);
  tcase_add_test (tc, test_viewer_error_removes_only_that_viewer);
  return s;
}

GST_CHECK_MAIN (webrtc_media);
