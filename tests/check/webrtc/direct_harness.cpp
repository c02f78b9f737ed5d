#include "direct_harness.h"

#include <glib/gstdio.h>
#include <gst/check/gstcheck.h>

#include <atomic>
#include <cstring>
#include <functional>

#include <unistd.h>

namespace gvtest {

const char *const kSmallVideo =
    "videotestsrc is-live=true ! video/x-raw,format=I420,width=320,height=240,framerate=30/1 ! "
    "identity name=up";

DirectRoom::DirectRoom ()
{
  static std::atomic<int> next{ 1 };
  name_ = "gvtest-" + std::to_string ((long) getpid ()) + "-" + std::to_string (next++);
}

/* A GvDirectSignaller of `room` on `element` (the pipeline is still in NULL). */
static void set_direct_signaller (GstElement *element, int role, const std::string &room,
                                  const std::string &name)
{
  fail_unless (element != nullptr, "no gvwebrtcsink \"host\" / gvwebrtcsrc \"viewer\"");
  GType type = g_type_from_name ("GvDirectSignaller");
  fail_unless (type != 0, "GvDirectSignaller is not registered");
  GObject *signaller = G_OBJECT (g_object_new (type, "role", role, "room", room.c_str (), nullptr));
  if (!name.empty ())
    g_object_set (signaller, "name", name.c_str (), nullptr);
  g_object_set (element, "signaller", signaller, nullptr);
  g_object_unref (signaller);
}

DirectHost::DirectHost (const DirectRoom &room, const std::string &description)
    : Pipeline (description)
{
  set_direct_signaller (get ("host"), 0, room.name (), "");
}

DirectViewer::DirectViewer (const DirectRoom &room, const std::string &description,
                            const std::string &name)
    : Pipeline (description)
{
  set_direct_signaller (get ("viewer"), 1, room.name (), name);
}

std::string video_host (const std::string &sink_extra, const std::string &more)
{
  return std::string (kSmallVideo) + " ! gvwebrtcsink name=host ice-loopback=true " + sink_extra +
         " " + more;
}

std::string direct_viewer (const std::string &src_extra, const std::string &downstream)
{
  std::string d = "gvwebrtcsrc name=viewer ice-loopback=true " + src_extra;
  return downstream.empty () ? d : d + " ! " + downstream;
}

std::string tapped_viewer (const std::string &src_extra)
{
  return direct_viewer (src_extra, "identity name=tap ! fakesink sync=false");
}

/* ---- SinkLog ---- */

void SinkLog::attach (GstElement *sink)
{
  g_signal_connect (sink, "viewer-added",
                    G_CALLBACK (+[] (GstElement *, const char *peer, const char *name, gpointer d) {
                      auto *log = static_cast<SinkLog *> (d);
                      std::lock_guard<std::mutex> guard (log->lock);
                      log->peer_by_name[name ? name : ""] = peer;
                      log->added.push_back (peer);
                    }),
                    this);
  g_signal_connect (sink, "viewer-removed",
                    G_CALLBACK (+[] (GstElement *, const char *peer, gpointer d) {
                      auto *log = static_cast<SinkLog *> (d);
                      std::lock_guard<std::mutex> guard (log->lock);
                      log->removed.push_back (peer);
                    }),
                    this);
  g_signal_connect (sink, "control-changed",
                    G_CALLBACK (+[] (GstElement *, const char *peer, gboolean control, gpointer d) {
                      auto *log = static_cast<SinkLog *> (d);
                      std::lock_guard<std::mutex> guard (log->lock);
                      log->control_changes.emplace_back (peer, control != FALSE);
                    }),
                    this);
  g_signal_connect (sink, "control-requested",
                    G_CALLBACK (+[] (GstElement *, const char *peer, gpointer d) {
                      auto *log = static_cast<SinkLog *> (d);
                      std::lock_guard<std::mutex> guard (log->lock);
                      log->control_requests.push_back (peer);
                    }),
                    this);
}

std::string SinkLog::peer (const std::string &name)
{
  std::lock_guard<std::mutex> guard (lock);
  auto it = peer_by_name.find (name);
  return it == peer_by_name.end () ? "" : it->second;
}

size_t SinkLog::added_count ()
{
  std::lock_guard<std::mutex> guard (lock);
  return added.size ();
}

size_t SinkLog::removed_count ()
{
  std::lock_guard<std::mutex> guard (lock);
  return removed.size ();
}

bool SinkLog::was_removed (const std::string &peer)
{
  std::lock_guard<std::mutex> guard (lock);
  for (const std::string &p : removed)
    if (p == peer)
      return true;
  return false;
}

std::vector<std::pair<std::string, bool>> SinkLog::controls ()
{
  std::lock_guard<std::mutex> guard (lock);
  return control_changes;
}

std::vector<std::string> SinkLog::requests ()
{
  std::lock_guard<std::mutex> guard (lock);
  return control_requests;
}

/* ---- looking inside bins ---- */

static int count_matching (GstElement *bin, const std::function<bool (GstElement *)> &match)
{
  int n = 0;
  GstIterator *it = gst_bin_iterate_recurse (GST_BIN (bin));
  GValue v = G_VALUE_INIT;
  while (gst_iterator_next (it, &v) == GST_ITERATOR_OK) {
    if (match (GST_ELEMENT (g_value_get_object (&v))))
      n++;
    g_value_reset (&v);
  }
  g_value_unset (&v);
  gst_iterator_free (it);
  return n;
}

int count_by_factory (GstElement *bin, const char *factory)
{
  return count_matching (bin, [factory] (GstElement *e) {
    GstElementFactory *f = gst_element_get_factory (e);
    return f && g_str_equal (GST_OBJECT_NAME (f), factory);
  });
}

int count_by_klass (GstElement *bin, const char *klass)
{
  return count_matching (bin, [klass] (GstElement *e) {
    GstElementFactory *f = gst_element_get_factory (e);
    return f && strstr (gst_element_factory_get_metadata (f, GST_ELEMENT_METADATA_KLASS), klass);
  });
}

int count_by_name (GstElement *bin, const char *name)
{
  return count_matching (
      bin, [name] (GstElement *e) { return g_str_equal (GST_OBJECT_NAME (e), name); });
}

GstElement *child_by_factory (GstElement *bin, const char *factory)
{
  GstElement *found = nullptr;
  GstIterator *it = gst_bin_iterate_elements (GST_BIN (bin));
  GValue item = G_VALUE_INIT;
  while (!found && gst_iterator_next (it, &item) == GST_ITERATOR_OK) {
    auto *e = GST_ELEMENT (g_value_get_object (&item));
    GstElementFactory *f = gst_element_get_factory (e);
    if (f && g_str_equal (GST_OBJECT_NAME (f), factory))
      found = GST_ELEMENT (gst_object_ref (e));
    g_value_reset (&item);
  }
  g_value_unset (&item);
  gst_iterator_free (it);
  return found;
}

/* ---- stats ---- */

GstStructure *viewer_stats (GstElement *sink, const std::string &peer)
{
  GstStructure *stats = nullptr;
  g_object_get (sink, "stats", &stats, nullptr);
  if (!stats)
    return nullptr;
  GstStructure *out = nullptr;
  const GValue *viewers = gst_structure_get_value (stats, "viewers");
  guint n = viewers ? gst_value_array_get_size (viewers) : 0;
  for (guint i = 0; i < n && !out; i++) {
    const GstStructure *v = gst_value_get_structure (gst_value_array_get_value (viewers, i));
    const gchar *id = gst_structure_get_string (v, "peer-id");
    if ((peer.empty () && n == 1) || (id && peer == id))
      out = gst_structure_copy (v);
  }
  gst_structure_free (stats);
  return out;
}

guint64 sink_stat (GstElement *sink, const char *field)
{
  GstStructure *s = nullptr;
  g_object_get (sink, "stats", &s, nullptr);
  guint64 v = 0;
  gst_structure_get_uint64 (s, field, &v);
  gst_structure_free (s);
  return v;
}

/* ---- files ---- */

TempFile::TempFile (const char *pattern)
{
  gchar *p = g_build_filename (g_get_tmp_dir (), pattern, nullptr);
  int fd = g_mkstemp (p);
  fail_unless (fd >= 0, "cannot make %s", p);
  close (fd);
  path = p;
  g_free (p);
}

TempFile::~TempFile ()
{
  g_unlink (path.c_str ());
}

} // namespace gvtest
