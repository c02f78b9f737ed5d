/* gvwebrtcsink/gvwebrtcsrc: errors a person understands (wrong PIN, expired
 * PIN, unreachable server), and the input channel: navigation arrives
 * upstream of the host only with control, malformed input is dropped and
 * counted while the stream goes on, the gst-plugins-rs control form is
 * answered, a flood is cut at the limit and counted. */
#include "webrtc_harness.h"

#include <gst/check/gstcheck.h>
#include <gst/video/navigation.h>
#include <gst/webrtc/webrtc.h>

#include <string>
#include <vector>

using namespace gvtest;

static const int kTimeoutMs = 20000;

static bool wait_for_error (Pipeline &p, int ms)
{
  return wait_until ([&] { return !p.error.empty (); }, ms, &p);
}

GST_START_TEST (test_wrong_pin)
{
  TestServer server;
  Pipeline viewer (viewer_description (server.ws_url (), "000000", "", "fakesink"));
  viewer.play ();
  fail_unless (wait_for_error (viewer, 5000), "no error within 5 s");
  fail_unless (viewer.error == "No session has PIN 000000.", "got \"%s\"", viewer.error.c_str ());
}
GST_END_TEST;

GST_START_TEST (test_expired_pin)
{
  TestServer server (1); /* PINs live one second */
  Pipeline host (host_description (server.ws_url (), ""));
  host.play ();
  fail_unless (wait_until ([&] { return !host.pin.empty (); }, kTimeoutMs, &host));
  host.pump (1500);
  Pipeline viewer (viewer_description (server.ws_url (), host.pin, "", "fakesink"));
  viewer.play ();
  fail_unless (wait_until ([&] { return !viewer.error.empty (); }, 5000, &host, &viewer));
  std::string expected = "PIN " + host.pin + " has expired.";
  fail_unless (viewer.error == expected, "got \"%s\"", viewer.error.c_str ());
}
GST_END_TEST;

GST_START_TEST (test_unreachable_server)
{
  /* Nothing listens on port 9 of 127.0.0.1 (discard; not run here). */
  Pipeline viewer (viewer_description ("ws://127.0.0.1:9/ws", "123456", "", "fakesink"));
  viewer.play ();
  fail_unless (wait_for_error (viewer, 5000), "no error within 5 s");
  fail_unless (viewer.error.find ("Cannot reach the signalling server at ws://127.0.0.1:9/ws") == 0,
               "got \"%s\"", viewer.error.c_str ());
}
GST_END_TEST;

/* A host and a viewer with the test holding the viewer's input channel too. */
struct Session {
  TestServer server;
  std::unique_ptr<Pipeline> host, viewer;
  BufferCounter frames;
  UpstreamCatcher upstream;
  std::mutex lock;
  std::string peer;
  GObject *channel = nullptr;
  std::vector<std::string> replies;

  explicit Session (const std::string &host_extra)
  {
    host.reset (new Pipeline (host_description (server.ws_url (), host_extra)));
    GstPad *up = gst_element_get_static_pad (host->get ("up"), "src");
    upstream.attach (up);
    gst_object_unref (up);
    g_signal_connect (host->get ("host"), "viewer-added",
                      G_CALLBACK (+[] (GstElement *, const char *id, const char *, gpointer d) {
                        auto *self = static_cast<Session *> (d);
                        std::lock_guard<std::mutex> guard (self->lock);
                        self->peer = id;
                      }),
                      this);
    host->play ();
    fail_unless (wait_until ([&] { return !host->pin.empty (); }, kTimeoutMs, host.get ()));

    viewer.reset (new Pipeline (viewer_description (server.ws_url (), host->pin, "",
                                                    "identity name=tap ! fakesink sync=false")));
    count_at (*viewer, "tap", frames);
    gst_element_set_state (viewer->pipeline, GST_STATE_PAUSED);
    GstElement *webrtcbin = gst_bin_get_by_name (GST_BIN (viewer->get ("viewer")), "webrtcbin");
    fail_unless (webrtcbin != nullptr);
    g_signal_connect (
        webrtcbin, "on-data-channel", G_CALLBACK (+[] (GstElement *, GObject *ch, gpointer d) {
          auto *self = static_cast<Session *> (d);
          g_signal_connect (ch, "on-message-string",
                            G_CALLBACK (+[] (GObject *, const char *text, gpointer d2) {
                              auto *s2 = static_cast<Session *> (d2);
                              std::lock_guard<std::mutex> guard (s2->lock);
                              s2->replies.push_back (text);
                            }),
                            self);
          std::lock_guard<std::mutex> guard (self->lock);
          self->channel = G_OBJECT (g_object_ref (ch));
        }),
        this);
    gst_object_unref (webrtcbin);
    viewer->play ();
    fail_unless (wait_until (
                     [&] {
                       std::lock_guard<std::mutex> guard (lock);
                       return frames.buffers >= 10 && channel && !peer.empty ();
                     },
                     kTimeoutMs, host.get (), viewer.get ()),
                 "no media/channel: %d frames (%s)", (int) frames.buffers, viewer->error.c_str ());
    GstWebRTCDataChannelState state = GST_WEBRTC_DATA_CHANNEL_STATE_CONNECTING;
    wait_until (
        [&] {
          g_object_get (channel, "ready-state", &state, nullptr);
          return state == GST_WEBRTC_DATA_CHANNEL_STATE_OPEN;
        },
        5000, host.get (), viewer.get ());
  }

  ~Session ()
  {
    viewer.reset ();
    host.reset ();
    if (channel)
      g_object_unref (channel);
  }

  void send_raw (const std::string &text)
  {
    gst_webrtc_data_channel_send_string (GST_WEBRTC_DATA_CHANNEL (channel), text.c_str ());
  }

  /* As a video sink's window would: upstream from the viewer's sink pad. */
  void send_navigation (GstEvent *event)
  {
    GstPad *pad = gst_element_get_static_pad (viewer->get ("tap"), "src");
    gst_pad_send_event (pad, event);
    gst_object_unref (pad);
  }

  guint64 stat (const char *field)
  {
    GstStructure *s = nullptr;
    g_object_get (host->get ("host"), "stats", &s, nullptr);
    guint64 v = 0;
    gst_structure_get_uint64 (s, field, &v);
    gst_structure_free (s);
    return v;
  }

  int navigation ()
  {
    std::lock_guard<std::mutex> guard (upstream.lock);
    return upstream.navigation;
  }

  void pump (int ms)
  {
    gint64 end = g_get_monotonic_time () + ms * 1000;
    while (g_get_monotonic_time () < end) {
      host->pump (10);
      viewer->pump (10);
    }
  }
};

GST_START_TEST (test_navigation_needs_control)
{
  Session s ("");

  /* View only: the receiver does not send, and what a viewer sends anyway
   * is dropped by the host and counted. */
  s.send_navigation (gst_navigation_event_new_mouse_move (160, 60, GST_NAVIGATION_MODIFIER_NONE));
  s.send_raw ("{\"t\":\"mm\",\"x\":0.5,\"y\":0.25}");
  fail_unless (wait_until ([&] { return s.stat ("input-dropped-no-control") >= 1; }, 5000,
                           s.host.get (), s.viewer.get ()));
  s.pump (300);
  fail_unless_equals_int (s.navigation (), 0);

  /* Granted: the receiver's event arrives upstream of the host, in pixels. */
  gboolean found = FALSE;
  g_signal_emit_by_name (s.host->get ("host"), "grant-control", s.peer.c_str (), TRUE, &found);
  fail_unless (found);
  fail_unless (wait_until (
      [&] {
        gboolean control = FALSE;
        g_object_get (s.viewer->get ("viewer"), "control", &control, nullptr);
        return control;
      },
      5000, s.host.get (), s.viewer.get ()));
  s.send_navigation (gst_navigation_event_new_mouse_move (160, 60, GST_NAVIGATION_MODIFIER_NONE));
  fail_unless (
      wait_until ([&] { return s.navigation () >= 1; }, 5000, s.host.get (), s.viewer.get ()));
  {
    std::lock_guard<std::mutex> guard (s.upstream.lock);
    fail_unless (s.upstream.last_type == "mouse-move", "%s", s.upstream.last_type.c_str ());
    fail_unless (G_APPROX_VALUE (s.upstream.last_x, 160.0, 0.01) &&
                     G_APPROX_VALUE (s.upstream.last_y, 60.0, 0.01),
                 "at %f,%f", s.upstream.last_x, s.upstream.last_y);
  }

  /* Revoked: held input is released upstream. */
  g_signal_emit_by_name (s.host->get ("host"), "grant-control", s.peer.c_str (), FALSE, &found);
  fail_unless (wait_until (
      [&] {
        std::lock_guard<std::mutex> guard (s.upstream.lock);
        return s.upstream.release_all >= 1;
      },
      5000, s.host.get (), s.viewer.get ()));
}
GST_END_TEST;

GST_START_TEST (test_malformed_input_counted)
{
  Session s ("allow-control=true");
  const char *junk[] = {
    "not json",
    "[1,2,3]",
    "{}",
    "{\"t\":\"mm\",\"x\":\"left\",\"y\":0}",
    "{\"t\":\"kd\",\"k\":\"\"}",
    "{\"t\":\"md\",\"x\":0.1,\"y\":0.1,\"b\":99}",
    "{\"id\":1,\"request\":{\"type\":\"navigationEvent\"}}",
  };
  for (const char *j : junk)
    s.send_raw (j);
  s.send_raw (std::string (5000, '{'));
  guint64 expected = G_N_ELEMENTS (junk) + 1;
  fail_unless (wait_until ([&] { return s.stat ("input-dropped-malformed") >= expected; }, 5000,
                           s.host.get (), s.viewer.get ()),
               "dropped %" G_GUINT64_FORMAT, s.stat ("input-dropped-malformed"));
  fail_unless_equals_int (s.navigation (), 0);

  /* The gst-plugins-rs control form, in pixels, is applied and answered. */
  s.send_raw ("{\"id\":7,\"request\":{\"type\":\"navigationEvent\",\"event\":"
              "{\"event\":\"MouseButtonPress\",\"button\":1,\"x\":32,\"y\":48}}}");
  fail_unless (
      wait_until ([&] { return s.navigation () >= 1; }, 5000, s.host.get (), s.viewer.get ()));
  {
    std::lock_guard<std::mutex> guard (s.upstream.lock);
    fail_unless (s.upstream.last_type == "mouse-button-press");
    fail_unless (G_APPROX_VALUE (s.upstream.last_x, 32.0, 0.01));
  }
  fail_unless (wait_until (
      [&] {
        std::lock_guard<std::mutex> guard (s.lock);
        for (const auto &r : s.replies)
          if (r.find ("\"id\":7") != std::string::npos &&
              r.find ("\"error\":null") != std::string::npos)
            return true;
        return false;
      },
      5000, s.host.get (), s.viewer.get ()));

  /* The compact form, normalised coordinates. */
  s.send_raw ("{\"t\":\"kd\",\"k\":\"Return\"}");
  fail_unless (
      wait_until ([&] { return s.navigation () >= 2; }, 5000, s.host.get (), s.viewer.get ()));

  /* And the stream never stopped. */
  int before = s.frames.buffers;
  fail_unless (wait_until ([&] { return s.frames.buffers >= before + 20; }, 5000, s.host.get (),
                           s.viewer.get ()));
}
GST_END_TEST;

/* A burst beyond the flood limit (500 at once, then 250 a second) is dropped
 * and counted, what fits is applied, and the video never stops. */
GST_START_TEST (test_input_flood_dropped)
{
  Session s ("allow-control=true");
  const guint64 burst = 1500;
  gint64 start = g_get_monotonic_time ();
  for (guint64 i = 0; i < burst; i++)
    s.send_raw ("{\"t\":\"mm\",\"x\":0.5,\"y\":0.5}");
  fail_unless (
      wait_until ([&] { return s.stat ("input-events") + s.stat ("input-dropped-flood") >= burst; },
                  10000, s.host.get (), s.viewer.get ()),
      "only %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT " messages accounted for",
      s.stat ("input-events") + s.stat ("input-dropped-flood"), burst);
  double elapsed_s = (g_get_monotonic_time () - start) / 1e6;
  guint64 applied = s.stat ("input-events"), dropped = s.stat ("input-dropped-flood");
  fail_unless_equals_int (applied + dropped, burst);
  fail_unless (applied >= 500 && applied <= 500 + 250 * elapsed_s + 1,
               "%" G_GUINT64_FORMAT " applied in %.2f s", applied, elapsed_s);
  fail_unless (dropped > 0);
  fail_unless_equals_int (s.stat ("input-dropped-malformed"), 0);

  /* What was applied arrived upstream; the viewer's own entry counts the drops. */
  fail_unless (wait_until ([&] { return (guint64) s.navigation () == applied; }, 5000,
                           s.host.get (), s.viewer.get ()),
               "%d navigation events upstream, %" G_GUINT64_FORMAT " applied", s.navigation (),
               applied);
  GstStructure *stats = nullptr;
  g_object_get (s.host->get ("host"), "stats", &stats, nullptr);
  const GValue *viewers = gst_structure_get_value (stats, "viewers");
  fail_unless_equals_int (gst_value_array_get_size (viewers), 1);
  const GstStructure *v = gst_value_get_structure (gst_value_array_get_value (viewers, 0));
  guint64 viewer_dropped = 0;
  gst_structure_get_uint64 (v, "input-dropped-flood", &viewer_dropped);
  fail_unless_equals_int (viewer_dropped, dropped);
  gst_structure_free (stats);

  /* The stream never stopped, and once the burst is over input goes through again. */
  int before = s.frames.buffers;
  fail_unless (wait_until ([&] { return s.frames.buffers >= before + 20; }, 5000, s.host.get (),
                           s.viewer.get ()),
               "the video stalled at %d frames", (int) s.frames.buffers);
  s.send_raw ("{\"t\":\"mm\",\"x\":0.25,\"y\":0.25}");
  fail_unless (wait_until ([&] { return s.stat ("input-events") == applied + 1; }, 5000,
                           s.host.get (), s.viewer.get ()));
}
GST_END_TEST;

static Suite *webrtc_control_suite (void)
{
  Suite *s = suite_create ("webrtc-control");
  TCase *tc = tcase_create ("general");
  tcase_set_timeout (tc, 60);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_wrong_pin);
  tcase_add_test (tc, test_expired_pin);
  tcase_add_test (tc, test_unreachable_server);
  tcase_add_test (tc, test_navigation_needs_control);
  tcase_add_test (tc, test_malformed_input_counted);
  tcase_add_test (tc, test_input_flood_dropped);
  return s;
}

GST_CHECK_MAIN (webrtc_control);
