/* A session as a user sees it, host and receivers paired in one process:
 * the application decides who joins (accepted: frames; declined: an error
 * that says so, with the reason); EOS into the host ends the session (the
 * receivers get EOS, a recording is finalised and plays, the host posts
 * EOS); and GvDirectSignaller's own rules: a receiver started before its
 * host waits for it, a second host in the room is an error. */
#include "direct_harness.h"

#include <gst/check/gstcheck.h>

#include <map>
#include <string>
#include <vector>

using namespace gvtest;

static const int kTimeoutMs = 15000;

struct JoinLog {
  std::mutex lock;
  std::map<std::string, std::string> peer_by_name; /* join-request */

  std::string peer (const std::string &name)
  {
    std::lock_guard<std::mutex> guard (lock);
    auto it = peer_by_name.find (name);
    return it == peer_by_name.end () ? "" : it->second;
  }
};

GST_START_TEST (test_application_decides_join)
{
  BufferCounter alice_frames, bob_frames;
  JoinLog joins;
  SinkLog log;
  DirectRoom room;
  DirectHost host (room, video_host ());
  g_signal_connect (host.sink (), "join-request",
                    G_CALLBACK (+[] (GstElement *, const char *peer, const char *name,
                                     gpointer data) -> gboolean {
                      auto *l = static_cast<JoinLog *> (data);
                      std::lock_guard<std::mutex> guard (l->lock);
                      l->peer_by_name[name] = peer;
                      return TRUE; /* the application decides */
                    }),
                    &joins);
  log.attach (host.sink ());
  DirectViewer alice (room, tapped_viewer (), "alice");
  DirectViewer bob (room, tapped_viewer (), "bob");
  count_at (alice, "tap", alice_frames);
  count_at (bob, "tap", bob_frames);
  host.play ();
  alice.play ();
  bob.play ();
  fail_unless (
      wait_until ([&] { return !joins.peer ("alice").empty () && !joins.peer ("bob").empty (); },
                  kTimeoutMs, &host, &alice, &bob),
      "join requests did not reach the application");

  /* Until the application answers, nobody is admitted: no viewer, no
   * webrtcbin, no error. */
  fail_unless_equals_int (log.added_count (), 0);
  fail_unless_equals_int (count_by_factory (host.sink (), "webrtcbin"), 0);
  fail_unless (alice.error.empty (), "%s", alice.error.c_str ());

  g_signal_emit_by_name (host.sink (), "decline-viewer", joins.peer ("alice").c_str (),
                         "not today");
  g_signal_emit_by_name (host.sink (), "accept-viewer", joins.peer ("bob").c_str (), FALSE);

  fail_unless (wait_until ([&] { return !alice.error.empty (); }, 5000, &host, &alice, &bob),
               "the declined viewer got no error");
  fail_unless (alice.error == "The host declined the request to join: not today", "got \"%s\"",
               alice.error.c_str ());

  fail_unless (wait_until ([&] { return bob_frames.buffers >= 15; }, kTimeoutMs, &host, &bob),
               "the accepted viewer got %d frames (%s)", (int) bob_frames.buffers,
               bob.error.c_str ());
  fail_unless (bob.error.empty (), "%s", bob.error.c_str ());
  gboolean control = TRUE;
  g_object_get (bob.src (), "control", &control, nullptr);
  fail_unless (!control, "accepted view-only, yet has control");
  fail_unless_equals_int (alice_frames.buffers, 0);
  fail_unless_equals_int (log.added_count (), 1);
  fail_unless (log.peer ("bob") == joins.peer ("bob"));
  fail_unless (log.controls ().empty ());
}
GST_END_TEST;

/* accept-viewer with control: the viewer is admitted with it. */
GST_START_TEST (test_accept_with_control)
{
  BufferCounter frames;
  JoinLog joins;
  SinkLog log;
  DirectRoom room;
  DirectHost host (room, video_host ());
  g_signal_connect (
      host.sink (), "join-request",
      G_CALLBACK (+[] (GstElement *sink, const char *peer, const char *, gpointer) -> gboolean {
        /* At once, from the handler. */
        g_signal_emit_by_name (sink, "accept-viewer", peer, TRUE);
        return TRUE;
      }),
      nullptr);
  log.attach (host.sink ());
  DirectViewer viewer (room, tapped_viewer (), "carol");
  count_at (viewer, "tap", frames);
  host.play ();
  viewer.play ();
  fail_unless (wait_until ([&] { return frames.buffers >= 15; }, kTimeoutMs, &host, &viewer),
               "%d frames (%s)", (int) frames.buffers, viewer.error.c_str ());
  fail_unless (wait_until (
                   [&] {
                     gboolean control = FALSE;
                     g_object_get (viewer.src (), "control", &control, nullptr);
                     return control;
                   },
                   5000, &host, &viewer),
               "accepted with control, yet has none");
  auto controls = log.controls ();
  fail_unless_equals_int (controls.size (), 1);
  fail_unless (controls[0].first == log.peer ("carol") && controls[0].second);
}
GST_END_TEST;

/* EOS into the host ends the session: both receivers get EOS (the
 * recording one finalises its file, which plays), the host posts EOS. */
GST_START_TEST (test_eos_ends_session)
{
  BufferCounter watched, recorded, played;
  TempFile file ("gvwebrtc-direct-eos-XXXXXX.mkv");
  {
    DirectRoom room;
    DirectHost host (room, video_host ());
    DirectViewer watcher (room, tapped_viewer ());
    DirectViewer recorder (room, direct_viewer ("decode=false", "identity name=tap ! matroskamux ! "
                                                                "filesink location=" +
                                                                    file.path));
    count_at (watcher, "tap", watched);
    count_at (recorder, "tap", recorded);
    host.play ();
    watcher.play ();
    recorder.play ();
    fail_unless (wait_until ([&] { return watched.buffers >= 15 && recorded.buffers >= 30; },
                             kTimeoutMs, &host, &watcher, &recorder),
                 "frames: %d and %d (%s / %s)", (int) watched.buffers, (int) recorded.buffers,
                 watcher.error.c_str (), recorder.error.c_str ());

    fail_unless (gst_element_send_event (host.pipeline, gst_event_new_eos ()));
    fail_unless (wait_until ([&] { return host.eos && watcher.eos && recorder.eos; }, 10000, &host,
                             &watcher, &recorder),
                 "EOS: host %d, watcher %d, recorder %d", host.eos, watcher.eos, recorder.eos);
    fail_unless (host.error.empty (), "%s", host.error.c_str ());
    fail_unless (watcher.error.empty (), "%s", watcher.error.c_str ());
    fail_unless (recorder.error.empty (), "%s", recorder.error.c_str ());
  }
  Pipeline check ("filesrc location=" + file.path +
                  " ! matroskademux ! decodebin ! identity name=tap ! fakesink");
  count_at (check, "tap", played);
  check.play ();
  fail_unless (wait_until ([&] { return check.eos || !check.error.empty (); }, 10000, &check));
  fail_unless (check.error.empty (), "%s", check.error.c_str ());
  fail_unless (played.buffers >= 25, "only %d frames play from the file", (int) played.buffers);
}
GST_END_TEST;

/* `gst-launch-1.0 -e` with nobody watching still finishes. */
GST_START_TEST (test_eos_without_viewers)
{
  DirectRoom room;
  DirectHost host (room, video_host ());
  host.play ();
  fail_unless (wait_until ([&] { return host.sessions >= 1; }, 5000, &host),
               "the session was not announced");
  fail_unless (gst_element_send_event (host.pipeline, gst_event_new_eos ()));
  fail_unless (wait_until ([&] { return host.eos; }, 5000, &host), "no EOS on the host's bus");
  fail_unless (host.error.empty (), "%s", host.error.c_str ());
}
GST_END_TEST;

/* A receiver that starts first waits for its host, then gets frames. */
GST_START_TEST (test_viewer_before_host)
{
  BufferCounter frames;
  DirectRoom room;
  DirectViewer viewer (room, tapped_viewer ());
  count_at (viewer, "tap", frames);
  viewer.play ();
  viewer.pump (1);
  fail_unless (viewer.error.empty (), "%s", viewer.error.c_str ());
  fail_unless_equals_int (frames.buffers, 0);

  DirectHost host (room, video_host ());
  host.play ();
  fail_unless (wait_until ([&] { return frames.buffers >= 15 || !viewer.error.empty (); },
                           kTimeoutMs, &host, &viewer),
               "%d frames once the host started (%s)", (int) frames.buffers, viewer.error.c_str ());
  fail_unless (viewer.error.empty (), "%s", viewer.error.c_str ());
}
GST_END_TEST;

/* One host per room: a second one fails with an error that says so, and
 * the first keeps serving its viewer. */
GST_START_TEST (test_second_host_in_room)
{
  BufferCounter frames;
  DirectRoom room;
  DirectHost first (room, video_host ());
  DirectViewer viewer (room, tapped_viewer ());
  count_at (viewer, "tap", frames);
  first.play ();
  viewer.play ();
  fail_unless (wait_until ([&] { return frames.buffers >= 15; }, kTimeoutMs, &first, &viewer));

  DirectHost second (room, video_host ());
  second.play ();
  fail_unless (wait_until ([&] { return !second.error.empty (); }, 5000, &second, &first, &viewer),
               "the second host reported nothing");
  fail_unless (second.error.find ("Another host already uses the room \"" + room.name () + "\"") ==
                   0,
               "got \"%s\"", second.error.c_str ());

  int before = frames.buffers;
  fail_unless (
      wait_until ([&] { return frames.buffers >= before + 30; }, 10000, &first, &viewer, &second),
      "the first host's viewer stalled");
  fail_unless (first.error.empty (), "%s", first.error.c_str ());
  fail_unless (viewer.error.empty (), "%s", viewer.error.c_str ());
}
GST_END_TEST;

static Suite *webrtc_direct_session_suite (void)
{
  Suite *s = suite_create ("webrtc-direct-session");
  TCase *tc = tcase_create ("session");
  tcase_set_timeout (tc, 30);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_application_decides_join);
  tcase_add_test (tc, test_accept_with_control);
  tcase_add_test (tc, test_eos_ends_session);
  tcase_add_test (tc, test_eos_without_viewers);
  tcase_add_test (tc, test_viewer_before_host);
  tcase_add_test (tc, test_second_host_in_room);
  return s;
}

GST_CHECK_MAIN (webrtc_direct_session);
