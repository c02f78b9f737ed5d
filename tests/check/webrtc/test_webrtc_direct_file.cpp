/* File transfer over the real data channel ("file"), host and receiver
 * paired in one process: a viewer with the `file` capability sends 8 MiB
 * to the host's download-dir and the host sends 8 MiB to the viewer's, both
 * arriving whole (SHA-256 compared) while video keeps flowing; a viewer
 * without `file` is refused with the sentence, counted, and nothing lands,
 * until the host grants it; a viewer whose link dies while the host sends
 * it a file is removed, and the next viewer gets video (the host used to
 * wedge there). */
#include "direct_harness.h"

#include "capabilities.h"

#include <gst/check/gstcheck.h>

#include <glib/gstdio.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

using namespace gvtest;

static const int kTimeoutMs = 30000;

namespace {

/* The file messages a pipeline posted: state, file, code, message. */
struct FileLog {
  struct Entry {
    std::string direction, state, file, code, message;
  };
  std::mutex lock;
  std::vector<Entry> entries;

  void attach (Pipeline &p, const char *name)
  {
    struct Ctx {
      FileLog *log;
      const char *name;
    };
    GstBus *bus = gst_element_get_bus (p.pipeline);
    gst_bus_set_sync_handler (
        bus,
        [] (GstBus *, GstMessage *msg, gpointer data) {
          auto *ctx = static_cast<Ctx *> (data);
          const GstStructure *s = gst_message_get_structure (msg);
          if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ELEMENT && s &&
              gst_structure_has_name (s, ctx->name)) {
            Entry e;
            e.direction = gst_structure_get_string (s, "direction");
            e.state = gst_structure_get_string (s, "state");
            e.file = gst_structure_get_string (s, "file");
            e.code = gst_structure_get_string (s, "code");
            e.message = gst_structure_get_string (s, "message");
            std::lock_guard<std::mutex> guard (ctx->log->lock);
            ctx->log->entries.push_back (e);
          }
          return GST_BUS_PASS;
        },
        new Ctx{ this, name }, [] (gpointer d) { delete static_cast<Ctx *> (d); });
    gst_object_unref (bus);
  }

  bool find (const std::string &direction, const std::string &state, Entry *out = nullptr,
             const std::string &code = "")
  {
    std::lock_guard<std::mutex> guard (lock);
    for (const Entry &e : entries)
      if (e.direction == direction && e.state == state && (code.empty () || e.code == code)) {
        if (out)
          *out = e;
        return true;
      }
    return false;
  }
};

std::string temp_dir ()
{
  gchar *d = g_dir_make_tmp ("gv-direct-file-XXXXXX", nullptr);
  std::string dir = d;
  g_free (d);
  return dir;
}

void remove_tree (const std::string &dir)
{
  GDir *d = g_dir_open (dir.c_str (), 0, nullptr);
  if (d) {
    while (const gchar *n = g_dir_read_name (d)) {
      std::string path = dir + "/" + n;
      if (g_file_test (path.c_str (), G_FILE_TEST_IS_DIR))
        remove_tree (path);
      else
        g_unlink (path.c_str ());
    }
    g_dir_close (d);
  }
  g_rmdir (dir.c_str ());
}

std::string make_file (const std::string &dir, const std::string &name, gsize bytes)
{
  std::string data (bytes, '\0');
  guint32 x = 88172645u;
  for (gsize i = 0; i < bytes; i++) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    data[i] = (char) x;
  }
  std::string path = dir + "/" + name;
  fail_unless (g_file_set_contents (path.c_str (), data.data (), data.size (), nullptr));
  return path;
}

std::string sha256_of (const std::string &path)
{
  gchar *contents = nullptr;
  gsize length = 0;
  if (!g_file_get_contents (path.c_str (), &contents, &length, nullptr))
    return "";
  gchar *hex = g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *) contents, length);
  std::string out = hex;
  g_free (hex);
  g_free (contents);
  return out;
}

struct Room {
  DirectRoom room;
  SinkLog log;
  FileLog host_files, viewer_files;
  std::string src_dir = temp_dir (), host_dir = temp_dir (), viewer_dir = temp_dir ();
  std::unique_ptr<DirectHost> host;
  std::unique_ptr<DirectViewer> viewer;
  std::atomic<int> frames{ 0 }; /* at the viewer's tap */

  explicit Room (const std::string &allow)
  {
    host.reset (new DirectHost (room, video_host ("allow=" + allow + " download-dir=" + host_dir)));
    log.attach (host->sink ());
    host_files.attach (*host, "gvwebrtcsink-file");
    host->play ();
    viewer.reset (new DirectViewer (room, tapped_viewer ("download-dir=" + viewer_dir), "alice"));
    viewer_files.attach (*viewer, "gvwebrtcsrc-file");
    g_signal_connect (viewer->get ("tap"), "handoff",
                      G_CALLBACK (+[] (GstElement *, GstBuffer *, gpointer d) {
                        static_cast<std::atomic<int> *> (d)->fetch_add (1);
                      }),
                      &frames);
    viewer->play ();
    fail_unless (wait ([&] { return !log.peer ("alice").empty (); }), "viewer not added (%s)",
                 viewer->error.c_str ());
  }
  ~Room ()
  {
    viewer.reset ();
    host.reset ();
    remove_tree (src_dir);
    remove_tree (host_dir);
    remove_tree (viewer_dir);
  }
  template <typename Cond> bool wait (Cond cond, int ms = kTimeoutMs)
  {
    return wait_until (cond, ms, host.get (), viewer.get ());
  }
  /* Offers `path` from the viewer once its file channel is open. */
  bool viewer_sends (const std::string &path)
  {
    return wait ([&] {
      gboolean ok = FALSE;
      g_signal_emit_by_name (viewer->src (), "send-file", path.c_str (), &ok);
      return ok == TRUE;
    });
  }
};

} // namespace

GST_START_TEST (test_files_both_ways)
{
  Room r ("view+file");
  const gsize size = 8 * 1024 * 1024;
  std::string up = make_file (r.src_dir, "from-viewer.bin", size);
  std::string down = make_file (r.src_dir, "from-host.bin", size + 999);
  fail_unless (r.viewer_sends (up));
  gboolean ok = FALSE;
  g_signal_emit_by_name (r.host->sink (), "send-file", r.log.peer ("alice").c_str (), down.c_str (),
                         &ok);
  fail_unless (ok);

  const int frames_before = r.frames;
  FileLog::Entry at_host, at_viewer;
  fail_unless (r.wait ([&] {
    return r.host_files.find ("incoming", "done", &at_host) &&
           r.viewer_files.find ("incoming", "done", &at_viewer);
  }),
               "transfers did not finish");
  fail_unless (g_str_has_prefix (at_host.file.c_str (), r.host_dir.c_str ()), "%s",
               at_host.file.c_str ());
  fail_unless (sha256_of (at_host.file) == sha256_of (up));
  fail_unless (g_str_has_prefix (at_viewer.file.c_str (), r.viewer_dir.c_str ()));
  fail_unless (sha256_of (at_viewer.file) == sha256_of (down));
  /* Each sender heard "done", and progress on the way. */
  fail_unless (r.wait ([&] {
    return r.viewer_files.find ("outgoing", "done") && r.host_files.find ("outgoing", "done");
  }));
  fail_unless (r.viewer_files.find ("outgoing", "progress"));
  /* Video goes on. */
  fail_unless (r.wait ([&] { return r.frames > frames_before + 10; }), "%d frames since",
               r.frames - frames_before);
}
GST_END_TEST;

GST_START_TEST (test_refused_without_file_capability)
{
  Room r ("view");
  std::string path = make_file (r.src_dir, "notes.txt", 1000);
  fail_unless (r.viewer_sends (path));
  FileLog::Entry refused;
  fail_unless (
      r.wait ([&] { return r.viewer_files.find ("outgoing", "failed", &refused, "NOT_ALLOWED"); }));
  fail_unless_equals_string (refused.code.c_str (), "NOT_ALLOWED");
  fail_unless (refused.message.find ("not allowed") != std::string::npos);
  fail_unless (r.wait ([&] {
    GstStructure *st = viewer_stats (r.host->sink (), r.log.peer ("alice"));
    guint64 n = 0;
    if (st) {
      gst_structure_get_uint64 (st, "files-refused", &n);
      gst_structure_free (st);
    }
    return n == 1;
  }));
  GDir *d = g_dir_open (r.host_dir.c_str (), 0, nullptr);
  fail_unless (d && g_dir_read_name (d) == nullptr, "something landed without the capability");
  g_dir_close (d);

  /* Granted at run time: it lands in the folder. */
  gboolean ok = FALSE;
  guint caps = GV_CAPABILITY_VIEW | GV_CAPABILITY_FILE;
  g_signal_emit_by_name (r.host->sink (), "set-capabilities", r.log.peer ("alice").c_str (), caps,
                         &ok);
  fail_unless (ok);
  fail_unless (r.viewer_sends (path));
  FileLog::Entry landed;
  fail_unless (r.wait ([&] { return r.host_files.find ("incoming", "done", &landed); }));
  fail_unless (landed.file == r.host_dir + "/notes.txt", "%s", landed.file.c_str ());
}
GST_END_TEST;

/* Drops everything the network brings into `pipeline` (its nicesrcs): for
 * its peer, the link is dead (no SCTP acknowledgements come back). */
static void deafen (GstElement *pipeline)
{
  GstIterator *it = gst_bin_iterate_recurse (GST_BIN (pipeline));
  GValue v = G_VALUE_INIT;
  while (gst_iterator_next (it, &v) == GST_ITERATOR_OK) {
    GstElement *e = GST_ELEMENT (g_value_get_object (&v));
    GstElementFactory *f = gst_element_get_factory (e);
    if (f && g_str_equal (GST_OBJECT_NAME (f), "nicesrc")) {
      GstPad *src = gst_element_get_static_pad (e, "src");
      gst_pad_add_probe (
          src, (GstPadProbeType) (GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST),
          [] (GstPad *, GstPadProbeInfo *, gpointer) { return GST_PAD_PROBE_DROP; }, nullptr,
          nullptr);
      gst_object_unref (src);
    }
    g_value_reset (&v);
  }
  g_value_unset (&v);
  gst_iterator_free (it);
}

/* A viewer gone while the host sends it a file: the host's data channel
 * waits for SCTP room that never comes (webrtcbin's sctpenc, holding its
 * stream lock), and removing the viewer used to wait for that lock
 * forever, wedging the host's viewer queue: the next viewer never got an
 * offer. Found end to end (tests/browser, a page reloaded mid-file). */
GST_START_TEST (test_viewer_gone_mid_send_does_not_wedge_the_host)
{
  Room r ("view+file");
  std::string big = make_file (r.src_dir, "big.bin", 64 * 1024 * 1024);
  gboolean ok = FALSE;
  fail_unless (r.wait ([&] {
    g_signal_emit_by_name (r.host->sink (), "send-file", r.log.peer ("alice").c_str (),
                           big.c_str (), &ok);
    return ok == TRUE;
  }));
  fail_unless (r.wait ([&] { return r.host_files.find ("outgoing", "progress"); }));
  /* Alice's link dies (nothing reaches her any more), the host's send
   * buffer fills; then she is gone. */
  deafen (r.viewer->pipeline);
  pump_for (1500, r.host.get (), r.viewer.get ());
  const std::string alice = r.log.peer ("alice");
  r.viewer.reset ();
  fail_unless (r.wait ([&] { return r.log.was_removed (alice); }), "alice not removed");

  /* Bob joins: the host still takes viewers, and he gets video. */
  DirectViewer bob (r.room, tapped_viewer (), "bob");
  std::atomic<int> frames{ 0 };
  g_signal_connect (bob.get ("tap"), "handoff",
                    G_CALLBACK (+[] (GstElement *, GstBuffer *, gpointer d) {
                      static_cast<std::atomic<int> *> (d)->fetch_add (1);
                    }),
                    &frames);
  bob.play ();
  fail_unless (wait_until ([&] { return frames > 10; }, kTimeoutMs, r.host.get (), &bob),
               "no video for the viewer after one left mid-send (%s)", bob.error.c_str ());
}
GST_END_TEST;

/* The other way: the host's link dies while a viewer sends it a file; the
 * viewer stopping (Ctrl-C) must not hang on its own full send buffer.
 * (It does not today, without the flush the host needs: gvwebrtcsrc takes
 * its children down in another order; this keeps it so.) */
GST_START_TEST (test_viewer_stops_while_sending_to_a_gone_host)
{
  Room r ("view+file");
  std::string big = make_file (r.src_dir, "big.bin", 64 * 1024 * 1024);
  fail_unless (r.viewer_sends (big));
  fail_unless (r.wait ([&] { return r.viewer_files.find ("outgoing", "progress"); }));
  deafen (r.host->pipeline);
  pump_for (1500, r.host.get (), r.viewer.get ());
  /* Stopping runs on this thread: a wedge fails the test by its timeout. */
  const gint64 start = g_get_monotonic_time ();
  r.viewer.reset ();
  fail_unless ((g_get_monotonic_time () - start) / 1000 < 10000,
               "the viewer took %" G_GINT64_FORMAT " ms to stop",
               (g_get_monotonic_time () - start) / 1000);
}
GST_END_TEST;

static Suite *direct_file_suite (void)
{
  Suite *s = suite_create ("webrtc-direct-file");
  TCase *tc = tcase_create ("general");
  tcase_set_timeout (tc, 90);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_files_both_ways);
  tcase_add_test (tc, test_refused_without_file_capability);
  tcase_add_test (tc, test_viewer_gone_mid_send_does_not_wedge_the_host);
  tcase_add_test (tc, test_viewer_stops_while_sending_to_a_gone_host);
  return s;
}

GST_CHECK_MAIN (direct_file);
