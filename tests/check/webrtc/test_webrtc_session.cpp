/* gvwebrtcsink's session as a user sees it: the signalling server goes away
 * and comes back (the media goes on, a new PIN is posted), the application
 * decides who joins (a declined viewer reads why, an accepted one gets
 * frames), and EOS ends the session (the pipeline finishes, viewers are
 * told). */
#include "webrtc_harness.h"

#include <gst/check/gstcheck.h>

#include <map>
#include <string>
#include <vector>

using namespace gvtest;

static const int kTimeoutMs = 20000;
static const char *kTail = "identity name=tap ! fakesink sync=false";

/* Pumps the buses for `ms` milliseconds, whatever happens. */
template <typename... Pipelines> static void pump_for (int ms, Pipelines *...pipelines)
{
  wait_until ([] { return false; }, ms, pipelines...);
}

GST_START_TEST (test_host_reconnects)
{
  BufferCounter fa, fb;
  TestServer server;
  Pipeline host (host_description (server.ws_url (), "max-viewers=2"));
  host.play ();
  fail_unless (wait_for_pin (host));
  std::string first_pin = host.pin;
  Pipeline a (viewer_description (server.ws_url (), first_pin, "", kTail));
  count_at (a, "tap", fa);
  a.play ();
  fail_unless (wait_until ([&] { return fa.buffers >= 15; }, kTimeoutMs, &host, &a),
               "no frames before the server went away: %s", a.error.c_str ());

  /* The server goes away: the host says so and retries; the connected
   * viewer keeps receiving all along. */
  server.stop ();
  fail_unless (wait_until ([&] { return host.warnings >= 1; }, 5000, &host, &a),
               "the host did not report the lost server");
  fail_unless (host.warning.find ("was lost") != std::string::npos, "warning \"%s\"",
               host.warning.c_str ());
  /* At least two seconds without a server, and 30 more frames meanwhile
   * (a busy machine may take longer: the server stays away until then). */
  int before = fa.buffers;
  gint64 down_since = g_get_monotonic_time ();
  fail_unless (wait_until (
                   [&] {
                     return g_get_monotonic_time () - down_since >= 2 * G_USEC_PER_SEC &&
                            fa.buffers >= before + 30;
                   },
                   8000, &host, &a),
               "the viewer stalled at %d frames (%d before)", (int) fa.buffers, before);
  fail_unless (host.error.empty (), "%s", host.error.c_str ());
  fail_unless (a.error.empty (), "%s", a.error.c_str ());
  fail_unless_equals_int (host.sessions, 1);

  /* A server is back on the same port: the host registers again and posts a
   * new session whose PIN works, while the first viewer still receives. */
  server.restart ();
  fail_unless (wait_until ([&] { return host.sessions >= 2; }, 10000, &host, &a),
               "no new session after the server came back");
  GST_INFO ("PIN %s before, %s after the reconnection", first_pin.c_str (), host.pin.c_str ());
  Pipeline b (viewer_description (server.ws_url (), host.pin, "", kTail));
  count_at (b, "tap", fb);
  b.play ();
  before = fa.buffers;
  fail_unless (wait_until ([&] { return fb.buffers >= 15 && fa.buffers >= before + 15; },
                           kTimeoutMs, &host, &a, &b),
               "after the reconnection: new viewer %d frames, first viewer %d (%s)",
               (int) fb.buffers, (int) fa.buffers, b.error.c_str ());
  fail_unless (a.error.empty (), "%s", a.error.c_str ());
  fail_unless (b.error.empty (), "%s", b.error.c_str ());
}
GST_END_TEST;

struct JoinLog {
  std::mutex lock;
  std::map<std::string, std::string> peer_by_name; /* join-request */
  std::vector<std::string> added;                  /* viewer-added, by name */

  std::string peer (const std::string &name)
  {
    std::lock_guard<std::mutex> guard (lock);
    auto it = peer_by_name.find (name);
    return it == peer_by_name.end () ? "" : it->second;
  }
};

GST_START_TEST (test_application_decides_join)
{
  BufferCounter bob_frames;
  JoinLog log;
  TestServer server;
  Pipeline host (host_description (server.ws_url (), "max-viewers=2"));
  GstElement *sink = host.get ("host");
  g_signal_connect (sink, "join-request",
                    G_CALLBACK (+[] (GstElement *, const char *peer, const char *name,
                                     gpointer data) -> gboolean {
                      auto *l = static_cast<JoinLog *> (data);
                      std::lock_guard<std::mutex> guard (l->lock);
                      l->peer_by_name[name] = peer;
                      return TRUE; /* the application decides */
                    }),
                    &log);
  g_signal_connect (sink, "viewer-added",
                    G_CALLBACK (+[] (GstElement *, const char *, const char *name, gpointer data) {
                      auto *l = static_cast<JoinLog *> (data);
                      std::lock_guard<std::mutex> guard (l->lock);
                      l->added.push_back (name);
                    }),
                    &log);
  host.play ();
  fail_unless (wait_for_pin (host));

  Pipeline alice (viewer_description (server.ws_url (), host.pin, "display-name=alice", kTail));
  Pipeline bob (viewer_description (server.ws_url (), host.pin, "display-name=bob", kTail));
  count_at (bob, "tap", bob_frames);
  alice.play ();
  bob.play ();
  fail_unless (
      wait_until ([&] { return !log.peer ("alice").empty () && !log.peer ("bob").empty (); }, 10000,
                  &host, &alice, &bob),
      "join requests did not reach the application");

  /* Until the application answers, nobody is admitted. */
  pump_for (300, &host, &alice, &bob);
  fail_unless_equals_int (bob_frames.buffers, 0);
  fail_unless (alice.error.empty (), "%s", alice.error.c_str ());
  {
    std::lock_guard<std::mutex> guard (log.lock);
    fail_unless_equals_int (log.added.size (), 0);
  }

  g_signal_emit_by_name (sink, "decline-viewer", log.peer ("alice").c_str (), "not today");
  g_signal_emit_by_name (sink, "accept-viewer", log.peer ("bob").c_str (), FALSE);

  fail_unless (wait_until ([&] { return !alice.error.empty (); }, 5000, &host, &alice, &bob),
               "the declined viewer got no error");
  std::string expected =
      "The host declined the request to join session " + host.pin + ": not today";
  fail_unless (alice.error == expected, "got \"%s\"", alice.error.c_str ());

  fail_unless (wait_until ([&] { return bob_frames.buffers >= 15; }, kTimeoutMs, &host, &bob),
               "the accepted viewer got %d frames (%s)", (int) bob_frames.buffers,
               bob.error.c_str ());
  fail_unless (bob.error.empty (), "%s", bob.error.c_str ());
  gboolean control = TRUE;
  g_object_get (bob.get ("viewer"), "control", &control, nullptr);
  fail_unless (!control, "accepted view-only, yet has control");
  {
    std::lock_guard<std::mutex> guard (log.lock);
    fail_unless_equals_int (log.added.size (), 1);
    fail_unless_equals_string (log.added[0].c_str (), "bob");
  }
}
GST_END_TEST;

/* As `gst-launch-1.0 -e` and the launcher's Ctrl-C do: EOS into the pipeline. */
static void send_eos (Pipeline &p)
{
  fail_unless (gst_element_send_event (p.pipeline, gst_event_new_eos ()));
}

GST_START_TEST (test_eos_without_viewers)
{
  TestServer server;
  Pipeline host (host_description (server.ws_url (), ""));
  host.play ();
  fail_unless (wait_for_pin (host));
  send_eos (host);
  fail_unless (wait_until ([&] { return host.eos; }, 3000, &host), "no EOS on the host's bus");
  fail_unless (host.error.empty (), "%s", host.error.c_str ());
}
GST_END_TEST;

GST_START_TEST (test_eos_ends_session)
{
  BufferCounter frames;
  TestServer server;
  Pipeline host (host_description (server.ws_url (), ""));
  host.play ();
  fail_unless (wait_for_pin (host));
  Pipeline viewer (viewer_description (server.ws_url (), host.pin, "", kTail));
  count_at (viewer, "tap", frames);
  viewer.play ();
  fail_unless (wait_until ([&] { return frames.buffers >= 15; }, kTimeoutMs, &host, &viewer),
               "no frames: %s", viewer.error.c_str ());

  send_eos (host);
  fail_unless (wait_until ([&] { return host.eos; }, 5000, &host, &viewer),
               "no EOS on the host's bus");
  /* The viewer is told the session ended: its gvwebrtcsrc sends EOS. */
  fail_unless (wait_until ([&] { return viewer.eos; }, 5000, &host, &viewer),
               "the viewer was not told the session ended");
  fail_unless (host.error.empty (), "%s", host.error.c_str ());
  fail_unless (viewer.error.empty (), "%s", viewer.error.c_str ());
}
GST_END_TEST;

static Suite *webrtc_session_suite (void)
{
  Suite *s = suite_create ("webrtc-session");
  TCase *tc = tcase_create ("general");
  tcase_set_timeout (tc, 60);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_host_reconnects);
  tcase_add_test (tc, test_application_decides_join);
  tcase_add_test (tc, test_eos_without_viewers);
  tcase_add_test (tc, test_eos_ends_session);
  return s;
}

GST_CHECK_MAIN (webrtc_session);
