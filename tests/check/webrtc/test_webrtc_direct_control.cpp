/* The input channel and control grants, host and receiver paired in one
 * process: navigation from a receiver reaches upstream of the host only
 * once control is granted; control-changed tells the application of every
 * grant and revocation (and of an admission with allow-control), the
 * receiver's `control` follows with notify::control; revoking releases held
 * input upstream; malformed messages are dropped and counted while the
 * stream goes on; the gst-plugins-rs control form is answered; a flood is
 * cut at the limit and counted; a receiver can ask for control; the host
 * reports the link to each viewer on the same channel (link-estimate,
 * link-layer, link-bitrate on the receiver) and refuses that report from a
 * viewer. */
#include "direct_harness.h"

#include <gst/check/gstcheck.h>
#include <gst/video/navigation.h>
#include <gst/webrtc/webrtc.h>

#include <atomic>
#include <memory>
#include <string>
#include <vector>

using namespace gvtest;

static const int kTimeoutMs = 15000;

/* A host and one receiver, the test holding the receiver's input channel
 * too (to send what a browser could) and what the host signalled. */
struct Session {
  DirectRoom room;
  BufferCounter frames;
  UpstreamCatcher upstream;
  SinkLog log;
  std::atomic<int> control_notifies{ 0 };
  std::atomic<int> link_notifies{ 0 };
  std::mutex lock;
  GObject *channel = nullptr;
  std::vector<std::string> replies;
  std::unique_ptr<DirectHost> host;
  std::unique_ptr<DirectViewer> viewer;
  std::string peer;

  explicit Session (const std::string &host_extra, const std::string &viewer_extra = "")
  {
    host.reset (new DirectHost (room, video_host (host_extra)));
    GstPad *up = gst_element_get_static_pad (host->get ("up"), "src");
    upstream.attach (up);
    gst_object_unref (up);
    log.attach (host->sink ());
    host->play ();

    viewer.reset (new DirectViewer (room, tapped_viewer (viewer_extra), "alice"));
    count_at (*viewer, "tap", frames);
    g_signal_connect (viewer->src (), "notify::control",
                      G_CALLBACK (+[] (GObject *, GParamSpec *, gpointer d) {
                        static_cast<Session *> (d)->control_notifies++;
                      }),
                      this);
    for (const char *link : { "notify::link-estimate", "notify::link-layer" })
      g_signal_connect (viewer->src (), link,
                        G_CALLBACK (+[] (GObject *, GParamSpec *, gpointer d) {
                          static_cast<Session *> (d)->link_notifies++;
                        }),
                        this);
    /* webrtcbin is made on the way to PAUSED. */
    gst_element_set_state (viewer->pipeline, GST_STATE_PAUSED);
    GstElement *webrtcbin = gst_bin_get_by_name (GST_BIN (viewer->src ()), "webrtcbin");
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
          /* The input channel; the assistance channel ("assist") beside it
           * is webrtc-direct-chat's. */
          gchar *label = nullptr;
          g_object_get (ch, "label", &label, nullptr);
          bool input = label && g_str_equal (label, "control");
          g_free (label);
          std::lock_guard<std::mutex> guard (self->lock);
          if (input && !self->channel)
            self->channel = G_OBJECT (g_object_ref (ch));
        }),
        this);
    gst_object_unref (webrtcbin);
    viewer->play ();
    fail_unless (wait (
                     [&] {
                       std::lock_guard<std::mutex> guard (lock);
                       return frames.buffers >= 10 && channel;
                     },
                     kTimeoutMs),
                 "no media/channel: %d frames (%s)", (int) frames.buffers, viewer->error.c_str ());
    fail_unless (wait (
                     [&] {
                       GstWebRTCDataChannelState state;
                       g_object_get (channel, "ready-state", &state, nullptr);
                       return state == GST_WEBRTC_DATA_CHANNEL_STATE_OPEN;
                     },
                     5000),
                 "the input channel did not open");
    peer = log.peer ("alice");
    fail_unless (!peer.empty (), "no viewer-added for alice");
  }

  ~Session ()
  {
    viewer.reset ();
    host.reset ();
    if (channel)
      g_object_unref (channel);
  }

  template <typename Cond> bool wait (Cond cond, int ms)
  {
    return wait_until (cond, ms, host.get (), viewer.get ());
  }

  void send_raw (const std::string &text)
  {
    gst_webrtc_data_channel_send_string (GST_WEBRTC_DATA_CHANNEL (channel), text.c_str ());
  }

  /* As a video sink's window would: upstream from the receiver's sink. */
  void send_navigation (GstEvent *event)
  {
    GstPad *pad = gst_element_get_static_pad (viewer->get ("tap"), "src");
    gst_pad_send_event (pad, event);
    gst_object_unref (pad);
  }

  /* Sends a gst-plugins-rs request with `id` and waits for its answer: the
   * channel is ordered, so every message sent before it has been handled
   * by then. Returns the answer. */
  std::string round_trip (int id)
  {
    std::string key = "\"id\":" + std::to_string (id) + ",";
    send_raw ("{\"id\":" + std::to_string (id) +
              ",\"request\":{\"type\":\"navigationEvent\",\"event\":{\"event\":\"MouseMove\","
              "\"x\":1,\"y\":1}}}");
    std::string answer;
    fail_unless (wait (
                     [&] {
                       std::lock_guard<std::mutex> guard (lock);
                       for (const auto &r : replies)
                         if (r.find (key) != std::string::npos)
                           answer = r;
                       return !answer.empty ();
                     },
                     5000),
                 "no answer to request %d", id);
    return answer;
  }

  guint64 stat (const char *field) { return sink_stat (host->sink (), field); }

  bool receiver_control ()
  {
    gboolean control = FALSE;
    g_object_get (viewer->src (), "control", &control, nullptr);
    return control;
  }

  int navigation ()
  {
    std::lock_guard<std::mutex> guard (upstream.lock);
    return upstream.navigation;
  }

  int release_all ()
  {
    std::lock_guard<std::mutex> guard (upstream.lock);
    return upstream.release_all;
  }
};

GST_START_TEST (test_navigation_needs_control)
{
  Session s ("");
  GstElement *sink = s.host->sink ();

  /* View only: the receiver does not send its window's events, and what a
   * viewer sends anyway is dropped by the host and counted. */
  s.send_navigation (gst_navigation_event_new_mouse_move (160, 60, GST_NAVIGATION_MODIFIER_NONE));
  s.send_raw ("{\"t\":\"mm\",\"x\":0.5,\"y\":0.25}");
  std::string answer = s.round_trip (1);
  fail_unless (answer.find ("control not granted") != std::string::npos, "answer %s",
               answer.c_str ());
  /* The raw move and the request: the receiver sent nothing of its own. */
  fail_unless_equals_int (s.stat ("input-dropped-no-control"), 2);
  fail_unless_equals_int (s.navigation (), 0);
  fail_unless (!s.receiver_control ());
  fail_unless_equals_int (s.log.controls ().size (), 0);

  /* Granted: the application hears of it, the receiver learns it, and its
   * window's event arrives upstream of the host, in pixels. */
  gboolean found = FALSE;
  g_signal_emit_by_name (sink, "grant-control", s.peer.c_str (), TRUE, &found);
  fail_unless (found);
  auto controls = s.log.controls ();
  fail_unless_equals_int (controls.size (), 1);
  fail_unless (controls[0].first == s.peer && controls[0].second, "control-changed (%s, %d)",
               controls[0].first.c_str (), controls[0].second);
  /* notify::control follows the property's change, from another thread. */
  fail_unless (s.wait ([&] { return s.receiver_control () && s.control_notifies >= 1; }, 5000),
               "the receiver has no control (%d notifications)", (int) s.control_notifies);
  fail_unless_equals_int (s.control_notifies, 1);
  GstStructure *v = viewer_stats (sink, s.peer);
  gboolean stats_control = FALSE;
  gst_structure_get_boolean (v, "control", &stats_control);
  gst_structure_free (v);
  fail_unless (stats_control, "stats say no control");

  s.send_navigation (gst_navigation_event_new_mouse_move (160, 60, GST_NAVIGATION_MODIFIER_NONE));
  fail_unless (s.wait ([&] { return s.navigation () >= 1; }, 5000), "nothing arrived upstream");
  {
    std::lock_guard<std::mutex> guard (s.upstream.lock);
    fail_unless (s.upstream.last_type == "mouse-move", "%s", s.upstream.last_type.c_str ());
    fail_unless (G_APPROX_VALUE (s.upstream.last_x, 160.0, 0.01) &&
                     G_APPROX_VALUE (s.upstream.last_y, 60.0, 0.01),
                 "at %f,%f", s.upstream.last_x, s.upstream.last_y);
  }
  fail_unless_equals_int (s.release_all (), 0);

  /* Granting again changes nothing, so no control-changed. */
  g_signal_emit_by_name (sink, "grant-control", s.peer.c_str (), TRUE, &found);
  fail_unless_equals_int (s.log.controls ().size (), 1);

  /* Revoked: held input is released upstream, the application and the
   * receiver hear of it, and the receiver's events stop. */
  g_signal_emit_by_name (sink, "grant-control", s.peer.c_str (), FALSE, &found);
  fail_unless (found);
  controls = s.log.controls ();
  fail_unless_equals_int (controls.size (), 2);
  fail_unless (controls[1].first == s.peer && !controls[1].second, "control-changed (%s, %d)",
               controls[1].first.c_str (), controls[1].second);
  fail_unless (s.wait ([&] { return s.release_all () >= 1; }, 5000), "no gv-release-all upstream");
  fail_unless (s.wait ([&] { return !s.receiver_control () && s.control_notifies >= 2; }, 5000),
               "the receiver kept control (%d notifications)", (int) s.control_notifies);
  fail_unless_equals_int (s.control_notifies, 2);
  int upstream_before = s.navigation ();
  guint64 dropped_before = s.stat ("input-dropped-no-control");
  s.send_navigation (gst_navigation_event_new_mouse_move (10, 10, GST_NAVIGATION_MODIFIER_NONE));
  s.round_trip (2);
  fail_unless_equals_int (s.navigation (), upstream_before);
  fail_unless_equals_int (s.stat ("input-dropped-no-control"), dropped_before + 1);

  /* A peer that is not there. */
  found = TRUE;
  g_signal_emit_by_name (sink, "grant-control", "nobody", TRUE, &found);
  fail_unless (!found);
  fail_unless_equals_int (s.log.controls ().size (), 2);
}
GST_END_TEST;

/* allow-control=true: control from admission, and the application hears of
 * it there. */
GST_START_TEST (test_control_on_admission)
{
  Session s ("allow-control=true");
  auto controls = s.log.controls ();
  fail_unless_equals_int (controls.size (), 1);
  fail_unless (controls[0].first == s.peer && controls[0].second, "control-changed (%s, %d)",
               controls[0].first.c_str (), controls[0].second);
  fail_unless (s.wait ([&] { return s.receiver_control (); }, 5000), "the receiver has no control");
  s.send_navigation (
      gst_navigation_event_new_mouse_button_press (1, 80, 120, GST_NAVIGATION_MODIFIER_NONE));
  fail_unless (s.wait ([&] { return s.navigation () >= 1; }, 5000), "nothing arrived upstream");
  std::lock_guard<std::mutex> guard (s.upstream.lock);
  fail_unless (s.upstream.last_type == "mouse-button-press", "%s", s.upstream.last_type.c_str ());
  fail_unless (G_APPROX_VALUE (s.upstream.last_x, 80.0, 0.01) &&
                   G_APPROX_VALUE (s.upstream.last_y, 120.0, 0.01),
               "at %f,%f", s.upstream.last_x, s.upstream.last_y);
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
  fail_unless (s.wait ([&] { return s.stat ("input-dropped-malformed") >= expected; }, 5000),
               "dropped %" G_GUINT64_FORMAT, s.stat ("input-dropped-malformed"));
  fail_unless_equals_int (s.stat ("input-dropped-malformed"), expected);
  fail_unless_equals_int (s.navigation (), 0);

  /* The gst-plugins-rs control form, in pixels, is applied and answered. */
  s.send_raw ("{\"id\":7,\"request\":{\"type\":\"navigationEvent\",\"event\":"
              "{\"event\":\"MouseButtonPress\",\"button\":1,\"x\":32,\"y\":48}}}");
  fail_unless (s.wait ([&] { return s.navigation () >= 1; }, 5000));
  {
    std::lock_guard<std::mutex> guard (s.upstream.lock);
    fail_unless (s.upstream.last_type == "mouse-button-press");
    fail_unless (G_APPROX_VALUE (s.upstream.last_x, 32.0, 0.01) &&
                     G_APPROX_VALUE (s.upstream.last_y, 48.0, 0.01),
                 "at %f,%f", s.upstream.last_x, s.upstream.last_y);
  }
  fail_unless (s.wait (
                   [&] {
                     std::lock_guard<std::mutex> guard (s.lock);
                     for (const auto &r : s.replies)
                       if (r.find ("\"ControlResponseMessage\"") != std::string::npos &&
                           r.find ("\"id\":7") != std::string::npos &&
                           r.find ("\"error\":null") != std::string::npos)
                         return true;
                     return false;
                   },
                   5000),
               "no ControlResponseMessage for request 7");

  /* The compact form, normalised coordinates. */
  s.send_raw ("{\"t\":\"kd\",\"k\":\"Return\"}");
  fail_unless (s.wait ([&] { return s.navigation () >= 2; }, 5000));
  {
    std::lock_guard<std::mutex> guard (s.upstream.lock);
    fail_unless (s.upstream.last_type == "key-press", "%s", s.upstream.last_type.c_str ());
  }

  /* And the stream never stopped. */
  int before = s.frames.buffers;
  fail_unless (s.wait ([&] { return s.frames.buffers >= before + 20; }, 5000),
               "the video stalled at %d frames", (int) s.frames.buffers);
  fail_unless (s.viewer->error.empty (), "%s", s.viewer->error.c_str ());
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
      s.wait ([&] { return s.stat ("input-events") + s.stat ("input-dropped-flood") >= burst; },
              10000),
      "only %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT " messages accounted for",
      s.stat ("input-events") + s.stat ("input-dropped-flood"), burst);
  double elapsed_s = (g_get_monotonic_time () - start) / 1e6;
  guint64 applied = s.stat ("input-events"), dropped = s.stat ("input-dropped-flood");
  fail_unless_equals_int (applied + dropped, burst);
  /* The bucket's arithmetic, not a timing: at most what it held plus what
   * it refilled while the burst was handled. */
  fail_unless (applied >= 500 && applied <= 500 + 250 * elapsed_s + 1,
               "%" G_GUINT64_FORMAT " applied in %.2f s", applied, elapsed_s);
  fail_unless (dropped > 0);
  fail_unless_equals_int (s.stat ("input-dropped-malformed"), 0);

  /* What was applied arrived upstream; the viewer's own entry counts the drops. */
  fail_unless (s.wait ([&] { return (guint64) s.navigation () == applied; }, 5000),
               "%d navigation events upstream, %" G_GUINT64_FORMAT " applied", s.navigation (),
               applied);
  GstStructure *v = viewer_stats (s.host->sink (), s.peer);
  fail_unless (v != nullptr);
  guint64 viewer_dropped = 0;
  gst_structure_get_uint64 (v, "input-dropped-flood", &viewer_dropped);
  gst_structure_free (v);
  fail_unless_equals_int (viewer_dropped, dropped);

  /* The stream never stopped, and once the burst is over input goes through again. */
  int before = s.frames.buffers;
  fail_unless (s.wait ([&] { return s.frames.buffers >= before + 20; }, 5000),
               "the video stalled at %d frames", (int) s.frames.buffers);
  s.send_raw ("{\"t\":\"mm\",\"x\":0.25,\"y\":0.25}");
  fail_unless (s.wait ([&] { return s.stat ("input-events") == applied + 1; }, 5000));
}
GST_END_TEST;

/* request-control=true on the receiver: with control-on-request=true the
 * host grants it (control-requested, then control-changed); without, the
 * application is asked and nothing changes. */
GST_START_TEST (test_request_control)
{
  bool granted = __i__ == 0;
  Session s (granted ? "control-on-request=true" : "", "request-control=true");
  fail_unless (s.wait ([&] { return !s.log.requests ().empty (); }, 5000), "no control-requested");
  fail_unless (s.log.requests ()[0] == s.peer, "control-requested by %s, not %s",
               s.log.requests ()[0].c_str (), s.peer.c_str ());
  if (granted) {
    /* The receiver hears of the grant through the signaller, the
     * application from the sink's thread: either may come first. */
    fail_unless (s.wait (
                     [&] {
                       return s.receiver_control () && s.control_notifies >= 1 &&
                              !s.log.controls ().empty ();
                     },
                     5000),
                 "the receiver got no control");
    auto controls = s.log.controls ();
    fail_unless_equals_int (controls.size (), 1);
    fail_unless (controls[0].first == s.peer && controls[0].second);
    fail_unless_equals_int (s.control_notifies, 1);
    s.send_navigation (gst_navigation_event_new_mouse_move (1, 2, GST_NAVIGATION_MODIFIER_NONE));
    fail_unless (s.wait ([&] { return s.navigation () >= 1; }, 5000), "nothing arrived upstream");
  } else {
    /* A second request, after the first: once it is signalled, the first
     * has been decided (one thread, in order). */
    s.send_raw ("{\"t\":\"request-control\"}");
    fail_unless (s.wait ([&] { return s.log.requests ().size () >= 2; }, 5000),
                 "no second control-requested");
    fail_unless_equals_int (s.log.controls ().size (), 0);
    fail_unless (!s.receiver_control ());
    fail_unless_equals_int (s.control_notifies, 0);
  }
}
GST_END_TEST;

/* About once a second the host tells the viewer its link on the input
 * channel; the receiver has it as properties, with notify, before and
 * without any control. A viewer that sends the host's report is refused
 * as malformed, and the stream goes on. */
GST_START_TEST (test_link_report)
{
  Session s ("");
  auto link = [&] (guint64 &estimate, gint &layer, guint64 &bitrate) {
    g_object_get (s.viewer->src (), "link-estimate", &estimate, "link-layer", &layer,
                  "link-bitrate", &bitrate, nullptr);
  };
  guint64 estimate = 0, bitrate = 0;
  gint layer = -1;
  fail_unless (s.wait (
                   [&] {
                     link (estimate, layer, bitrate);
                     return estimate > 0 && layer == 0 && bitrate > 0;
                   },
                   5000),
               "no link report: estimate %" G_GUINT64_FORMAT
               ", layer %d, bitrate %" G_GUINT64_FORMAT,
               estimate, layer, bitrate);
  fail_unless (s.link_notifies >= 2, "%d notifications", (int) s.link_notifies);
  /* The figures are the host's own for this viewer. */
  guint64 max_bps = 0;
  {
    guint kbps = 0;
    g_object_get (s.host->sink (), "bitrate", &kbps, nullptr);
    max_bps = (guint64) kbps * 1000;
  }
  fail_unless (estimate <= max_bps, "estimate %" G_GUINT64_FORMAT " above the host's bitrate",
               estimate);
  GstStructure *v = viewer_stats (s.host->sink (), s.peer);
  fail_unless (v != nullptr);
  gint host_layer = -2;
  gst_structure_get_int (v, "layer", &host_layer);
  gst_structure_free (v);
  fail_unless_equals_int (host_layer, layer);
  /* On the wire, as the test's own copy of the channel saw it. */
  fail_unless (s.wait (
                   [&] {
                     std::lock_guard<std::mutex> guard (s.lock);
                     for (const auto &r : s.replies)
                       if (r.rfind ("{\"t\":\"link\",\"estimate\":", 0) == 0)
                         return true;
                     return false;
                   },
                   3000),
               "no link report on the channel");

  /* From a viewer it is malformed. */
  s.send_raw ("{\"t\":\"link\",\"estimate\":1000,\"layer\":0,\"bitrate\":1000}");
  s.round_trip (1);
  fail_unless_equals_int (s.stat ("input-dropped-malformed"), 1);
  fail_unless_equals_int (s.navigation (), 0);
  int before = s.frames.buffers;
  fail_unless (s.wait ([&] { return s.frames.buffers >= before + 10; }, 5000),
               "the video stalled at %d frames", (int) s.frames.buffers);
}
GST_END_TEST;

static Suite *webrtc_direct_control_suite (void)
{
  Suite *s = suite_create ("webrtc-direct-control");
  TCase *tc = tcase_create ("control");
  tcase_set_timeout (tc, 30);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_navigation_needs_control);
  tcase_add_test (tc, test_control_on_admission);
  tcase_add_test (tc, test_malformed_input_counted);
  tcase_add_test (tc, test_input_flood_dropped);
  tcase_add_loop_test (tc, test_request_control, 0, 2);
  tcase_add_test (tc, test_link_report);
  return s;
}

GST_CHECK_MAIN (webrtc_direct_control);
