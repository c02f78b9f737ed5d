/* What only the real signalling server shows (embedded, on 127.0.0.1, over
 * real WebSockets; the elements' default GvPinSignaller): a VP8 session end
 * to end by PIN; errors a person understands (wrong PIN, expired PIN,
 * unreachable server); the server going away and coming back (the media
 * goes on, a new PIN is posted and works); the application deciding who
 * joins, its decline reason reaching the receiver; signaller::max-viewers
 * refusing a join beyond the limit; and the sink's deprecated max-viewers /
 * pin-ttl still reaching the signaller. Everything that does not need a
 * server is in the fast layer (test_webrtc_direct_*.cpp). */
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

/* A host and a viewer through the server by PIN: VP8 frames decoded at the
 * host's size. */
GST_START_TEST (test_vp8_session_by_pin)
{
  BufferCounter frames; /* outlives the pipelines whose pads it counts */
  TestServer server;
  Pipeline host (host_description (server.ws_url (), "video-codec=vp8"));
  host.play ();
  fail_unless (wait_for_pin (host), "no PIN: %s", host.error.c_str ());
  fail_unless_equals_int (host.pin.size (), 6);

  Pipeline viewer (viewer_description (server.ws_url (), host.pin, "", kTail));
  count_at (viewer, "tap", frames);
  viewer.play ();
  fail_unless (wait_until ([&] { return frames.buffers >= 15 || !viewer.error.empty (); },
                           kTimeoutMs, &host, &viewer),
               "only %d frames", (int) frames.buffers);
  fail_unless (viewer.error.empty (), "%s", viewer.error.c_str ());
  std::string caps = frames.caps_string ();
  fail_unless (caps.find ("video/x-raw") == 0 &&
                   caps.find ("width=(int)320") != std::string::npos &&
                   caps.find ("height=(int)240") != std::string::npos,
               "unexpected caps %s", caps.c_str ());
}
GST_END_TEST;

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
  /* Past the PIN's one second. */
  pump_for (1500, &host);
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

GST_START_TEST (test_host_reconnects)
{
  BufferCounter fa, fb;
  TestServer server;
  Pipeline host (host_description (server.ws_url (), "signaller::max-viewers=2"));
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

  /* A server is back on the same port, without the first one's session key
   * (so it cannot keep the PIN: test_resume.cpp and fault-server-restart
   * show a key file keeping it): the host registers again and posts a new
   * session whose PIN works, while the first viewer still receives. */
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
  size_t added_count ()
  {
    std::lock_guard<std::mutex> guard (lock);
    return added.size ();
  }
};

/* The application handles join-request and answers later. */
static void let_application_decide (GstElement *sink, JoinLog &log)
{
  g_signal_connect (sink, "join-request",
                    G_CALLBACK (+[] (GstElement *, const char *peer, const char *name,
                                     gpointer data) -> gboolean {
                      auto *l = static_cast<JoinLog *> (data);
                      std::lock_guard<std::mutex> guard (l->lock);
                      l->peer_by_name[name] = peer;
                      return TRUE;
                    }),
                    &log);
  g_signal_connect (sink, "viewer-added",
                    G_CALLBACK (+[] (GstElement *, const char *, const char *name, gpointer data) {
                      auto *l = static_cast<JoinLog *> (data);
                      std::lock_guard<std::mutex> guard (l->lock);
                      l->added.push_back (name);
                    }),
                    &log);
}

/* Through the server: the names viewers give reach the application, which
 * declines one (the receiver reads why, with the session's PIN) and accepts
 * the other (frames, view only). */
GST_START_TEST (test_application_decides_join)
{
  BufferCounter bob_frames;
  JoinLog log;
  TestServer server;
  Pipeline host (host_description (server.ws_url (), "signaller::max-viewers=2"));
  GstElement *sink = host.get ("host");
  let_application_decide (sink, log);
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
  fail_unless_equals_int (log.added_count (), 0);
  fail_unless_equals_int (bob_frames.buffers, 0);
  fail_unless (alice.error.empty (), "%s", alice.error.c_str ());

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
  std::lock_guard<std::mutex> guard (log.lock);
  fail_unless_equals_int (log.added.size (), 1);
  fail_unless_equals_string (log.added[0].c_str (), "bob");
}
GST_END_TEST;

/* signaller::max-viewers=1: while one viewer waits for the application, a
 * second is refused because the session is full; once the first is in, the
 * PIN is used up. Neither refused viewer reaches the application. */
GST_START_TEST (test_max_viewers_refuses_beyond_limit)
{
  BufferCounter alice_frames;
  JoinLog log;
  TestServer server;
  Pipeline host (host_description (server.ws_url (), "signaller::max-viewers=1"));
  let_application_decide (host.get ("host"), log);
  host.play ();
  fail_unless (wait_for_pin (host));

  Pipeline alice (viewer_description (server.ws_url (), host.pin, "display-name=alice", kTail));
  count_at (alice, "tap", alice_frames);
  alice.play ();
  fail_unless (wait_until ([&] { return !log.peer ("alice").empty (); }, 10000, &host, &alice),
               "alice's join request did not reach the application");

  Pipeline bob (viewer_description (server.ws_url (), host.pin, "display-name=bob", kTail));
  bob.play ();
  fail_unless (wait_until ([&] { return !bob.error.empty (); }, 5000, &host, &alice, &bob),
               "the second viewer was not refused");
  std::string full = "The session with PIN " + host.pin + " is full; try again in a moment.";
  fail_unless (bob.error == full, "got \"%s\"", bob.error.c_str ());

  g_signal_emit_by_name (host.get ("host"), "accept-viewer", log.peer ("alice").c_str (), FALSE);
  fail_unless (wait_until ([&] { return alice_frames.buffers >= 15; }, kTimeoutMs, &host, &alice),
               "the admitted viewer got %d frames (%s)", (int) alice_frames.buffers,
               alice.error.c_str ());

  Pipeline carol (viewer_description (server.ws_url (), host.pin, "display-name=carol", kTail));
  carol.play ();
  fail_unless (wait_until ([&] { return !carol.error.empty (); }, 5000, &host, &alice, &carol),
               "the viewer beyond the limit was not refused");
  std::string used = "PIN " + host.pin + " has already been used.";
  fail_unless (carol.error == used, "got \"%s\"", carol.error.c_str ());

  fail_unless (log.peer ("bob").empty () && log.peer ("carol").empty (),
               "a refused viewer reached the application");
  fail_unless_equals_int (log.added_count (), 1);
  fail_unless (alice.error.empty (), "%s", alice.error.c_str ());
}
GST_END_TEST;

/* The sink's max-viewers and pin-ttl, deprecated, still set (and read) the
 * PIN signaller's. */
GST_START_TEST (test_deprecated_sink_aliases)
{
  Pipeline host (host_description ("ws://127.0.0.1:9/ws", ""));
  GstElement *sink = host.get ("host");
  g_object_set (sink, "max-viewers", 3, "pin-ttl", 120, nullptr);
  GObject *signaller = gst_child_proxy_get_child_by_name (GST_CHILD_PROXY (sink), "signaller");
  fail_unless (signaller != nullptr);
  gint max_viewers = 0, pin_ttl = 0;
  g_object_get (signaller, "max-viewers", &max_viewers, "pin-ttl", &pin_ttl, nullptr);
  fail_unless_equals_int (max_viewers, 3);
  fail_unless_equals_int (pin_ttl, 120);
  g_object_set (signaller, "max-viewers", 5, nullptr);
  g_object_get (sink, "max-viewers", &max_viewers, nullptr);
  fail_unless_equals_int (max_viewers, 5);
  g_object_unref (signaller);
}
GST_END_TEST;

static Suite *webrtc_server_suite (void)
{
  Suite *s = suite_create ("webrtc-server");
  TCase *tc = tcase_create ("server");
  tcase_set_timeout (tc, 60);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_vp8_session_by_pin);
  tcase_add_test (tc, test_wrong_pin);
  tcase_add_test (tc, test_expired_pin);
  tcase_add_test (tc, test_unreachable_server);
  tcase_add_test (tc, test_host_reconnects);
  tcase_add_test (tc, test_application_decides_join);
  tcase_add_test (tc, test_max_viewers_refuses_beyond_limit);
  tcase_add_test (tc, test_deprecated_sink_aliases);
  return s;
}

GST_CHECK_MAIN (webrtc_server);
