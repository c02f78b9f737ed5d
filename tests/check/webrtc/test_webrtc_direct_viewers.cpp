/* Many viewers of one gvwebrtcsink, paired in one process: six receivers
 * get frames from ONE encoder; one that leaves is removed (viewer-removed
 * names it) while the others keep receiving; the remove-viewer action ends
 * one viewer's stream (its gvwebrtcsrc sends EOS); a viewer whose branch
 * fails is removed alone, with a warning, and the host goes on. */
#include "direct_harness.h"

#include <gst/check/gstcheck.h>

#include <memory>
#include <string>
#include <vector>

using namespace gvtest;

static const int kTimeoutMs = 20000;

/* `n` receivers named v0, v1, ... of one host, with their frame counters. */
struct Audience {
  DirectRoom room;
  SinkLog log;
  std::vector<std::unique_ptr<BufferCounter>> frames; /* outlive the pipelines */
  std::unique_ptr<DirectHost> host;
  std::vector<std::unique_ptr<DirectViewer>> viewers;

  explicit Audience (int n)
  {
    host.reset (new DirectHost (room, video_host ()));
    log.attach (host->sink ());
    for (int i = 0; i < n; i++) {
      frames.emplace_back (new BufferCounter ());
      viewers.emplace_back (new DirectViewer (room, tapped_viewer (), name (i)));
      count_at (*viewers.back (), "tap", *frames.back ());
    }
    host->play ();
    for (auto &v : viewers)
      v->play ();
  }

  ~Audience ()
  {
    viewers.clear ();
    host.reset ();
  }

  static std::string name (int i) { return "v" + std::to_string (i); }

  /* Pumps every pipeline still there until `cond`. */
  template <typename Cond> bool wait (Cond cond, int timeout_ms)
  {
    gint64 end = g_get_monotonic_time () + (gint64) timeout_ms * 1000;
    while (!cond ()) {
      if (g_get_monotonic_time () > end)
        return false;
      host->pump (5);
      for (auto &v : viewers)
        if (v)
          v->pump (2);
    }
    return true;
  }

  /* Every viewer still there has at least `n` more frames than in `base`. */
  bool all_gained (const std::vector<int> &base, int n)
  {
    for (size_t i = 0; i < viewers.size (); i++)
      if (viewers[i] && frames[i]->buffers < base[i] + n)
        return false;
    return true;
  }

  std::vector<int> counts ()
  {
    std::vector<int> out;
    for (auto &f : frames)
      out.push_back (f->buffers);
    return out;
  }

  std::string describe ()
  {
    std::string out;
    for (size_t i = 0; i < viewers.size (); i++)
      out += name (i) + ": " + std::to_string (frames[i]->buffers) + " frames" +
             (viewers[i] && !viewers[i]->error.empty () ? " (" + viewers[i]->error + ")" : "") +
             "; ";
    return out;
  }
};

/* Six receivers from one encoder; one leaves, its webrtcbin goes, the
 * others keep receiving. */
GST_START_TEST (test_six_viewers_one_encoder)
{
  Audience a (6);
  fail_unless (a.wait ([&] { return a.all_gained (std::vector<int> (6, 0), 15); }, kTimeoutMs),
               "%s", a.describe ().c_str ());
  GstElement *sink = a.host->sink ();
  fail_unless_equals_int (count_by_name (sink, "encoder"), 1);
  fail_unless_equals_int (count_by_klass (sink, "Encoder/Video"), 1);
  fail_unless_equals_int (count_by_factory (sink, "webrtcbin"), 6);
  GstStructure *stats = nullptr;
  g_object_get (sink, "stats", &stats, nullptr);
  guint viewers = 0;
  gst_structure_get_uint (stats, "viewer-count", &viewers);
  gst_structure_free (stats);
  fail_unless_equals_int (viewers, 6);

  /* v2 leaves (its pipeline stops): the host removes it, and only it. */
  std::string leaving = a.log.peer ("v2");
  fail_unless (!leaving.empty ());
  a.viewers[2].reset ();
  fail_unless (a.wait ([&] { return a.log.removed_count () >= 1; }, 10000), "viewer not removed");
  fail_unless_equals_int (a.log.removed_count (), 1);
  fail_unless (a.log.was_removed (leaving), "removed %s, not %s", a.log.removed[0].c_str (),
               leaving.c_str ());
  fail_unless_equals_int (count_by_factory (sink, "webrtcbin"), 5);
  fail_unless_equals_int (count_by_name (sink, "encoder"), 1);

  std::vector<int> base = a.counts ();
  fail_unless (a.wait ([&] { return a.all_gained (base, 30); }, 10000), "stalled: %s",
               a.describe ().c_str ());
  fail_unless (a.host->error.empty (), "%s", a.host->error.c_str ());
  for (auto &v : a.viewers)
    fail_unless (!v || v->error.empty (), "%s", v ? v->error.c_str () : "");
}
GST_END_TEST;

/* The host's remove-viewer: that viewer's stream ends (its gvwebrtcsrc
 * sends EOS, its pipeline posts it), viewer-removed names it, the other
 * viewer keeps receiving. */
GST_START_TEST (test_remove_viewer_action)
{
  Audience a (2);
  fail_unless (a.wait (
                   [&] {
                     return a.all_gained ({ 0, 0 }, 15);
                   },
                   kTimeoutMs),
               "%s", a.describe ().c_str ());
  std::string removed = a.log.peer ("v0");
  g_signal_emit_by_name (a.host->sink (), "remove-viewer", removed.c_str ());
  fail_unless (a.wait ([&] { return a.viewers[0]->eos || !a.viewers[0]->error.empty (); }, 10000),
               "the removed viewer saw nothing");
  fail_unless (a.viewers[0]->eos, "the removed viewer got an error instead of EOS: %s",
               a.viewers[0]->error.c_str ());
  fail_unless (a.wait ([&] { return a.log.removed_count () >= 1; }, 10000), "no viewer-removed");
  fail_unless (a.log.was_removed (removed));
  fail_unless_equals_int (count_by_factory (a.host->sink (), "webrtcbin"), 1);

  int before = a.frames[1]->buffers;
  fail_unless (a.wait ([&] { return a.frames[1]->buffers >= before + 30; }, 10000),
               "the other viewer stalled: %s", a.describe ().c_str ());
  fail_unless (a.viewers[1]->error.empty () && !a.viewers[1]->eos, "%s",
               a.viewers[1]->error.c_str ());
  fail_unless_equals_int (a.log.removed_count (), 1);
}
GST_END_TEST;

/* One viewer's branch failing (as sctpenc does when a browser leaves
 * abruptly) removes that viewer with a warning; the host keeps streaming to
 * the other. */
GST_START_TEST (test_viewer_error_removes_only_that_viewer)
{
  Audience a (2);
  fail_unless (a.wait (
                   [&] {
                     return a.all_gained ({ 0, 0 }, 15);
                   },
                   kTimeoutMs),
               "%s", a.describe ().c_str ());

  /* An element inside the first webrtcbin reports a write failure. */
  GstElement *sink = a.host->sink ();
  GstElement *webrtcbin = child_by_factory (sink, "webrtcbin");
  fail_unless (webrtcbin != nullptr);
  GST_ELEMENT_ERROR (webrtcbin, RESOURCE, WRITE, ("Could not write to resource."),
                     ("simulated: the peer went away"));
  gst_object_unref (webrtcbin);

  /* The warning is posted from the failing element's thread, viewer-removed
   * comes from the viewer's queue: either may come first. */
  fail_unless (a.wait ([&] { return a.log.removed_count () == 1 && a.host->warnings >= 1; }, 10000),
               "the failing viewer was not removed (%d removed, warning \"%s\")",
               (int) a.log.removed_count (), a.host->warning.c_str ());
  fail_unless (a.host->error.empty (), "the host stopped: %s", a.host->error.c_str ());
  fail_unless (a.host->warning.find ("failed and was removed") != std::string::npos, "warning: %s",
               a.host->warning.c_str ());
  fail_unless_equals_int (count_by_factory (sink, "webrtcbin"), 1);

  /* The one left keeps receiving; the removed one was told. */
  std::string gone;
  {
    std::lock_guard<std::mutex> guard (a.log.lock);
    gone = a.log.removed[0];
  }
  int kept = a.log.peer ("v0") == gone ? 1 : 0;
  int before = a.frames[kept]->buffers;
  fail_unless (a.wait ([&] { return a.frames[kept]->buffers >= before + 30; }, 10000),
               "the remaining viewer stalled: %s", a.describe ().c_str ());
  fail_unless (a.wait ([&] { return a.viewers[1 - kept]->eos; }, 10000),
               "the removed viewer's stream did not end");
  fail_unless (a.host->error.empty (), "the host stopped: %s", a.host->error.c_str ());
  fail_unless (a.viewers[kept]->error.empty (), "%s", a.viewers[kept]->error.c_str ());
}
GST_END_TEST;

static Suite *webrtc_direct_viewers_suite (void)
{
  Suite *s = suite_create ("webrtc-direct-viewers");
  TCase *tc = tcase_create ("viewers");
  tcase_set_timeout (tc, 40);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_six_viewers_one_encoder);
  tcase_add_test (tc, test_remove_viewer_action);
  tcase_add_test (tc, test_viewer_error_removes_only_that_viewer);
  return s;
}

GST_CHECK_MAIN (webrtc_direct_viewers);
