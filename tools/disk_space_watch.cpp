#include "disk_space_watch.h"

#include <gio/gio.h>

#include <algorithm>

namespace gv::launcher {
namespace {

/* The rate is the fall of the free space over this window: long enough to
 * smooth a muxer's bursts (a keyframe, a cluster), short enough to follow a
 * bitrate that rises. */
constexpr gint64 kRateWindowUs = 2 * G_USEC_PER_SEC;

bool query_free (const std::string &directory, guint64 &free_bytes)
{
  GFile *dir = g_file_new_for_path (directory.c_str ());
  GFileInfo *info =
      g_file_query_filesystem_info (dir, G_FILE_ATTRIBUTE_FILESYSTEM_FREE, nullptr, nullptr);
  g_object_unref (dir);
  bool ok = info && g_file_info_has_attribute (info, G_FILE_ATTRIBUTE_FILESYSTEM_FREE);
  if (ok)
    free_bytes = g_file_info_get_attribute_uint64 (info, G_FILE_ATTRIBUTE_FILESYSTEM_FREE);
  if (info)
    g_object_unref (info);
  return ok;
}

} // namespace

guint64 DiskSpaceWatch::reserve_for_rate (double bytes_per_second)
{
  double for_rate = std::max (0.0, bytes_per_second) * kReserveSeconds;
  return std::max (kMinReserveBytes, static_cast<guint64> (for_rate));
}

DiskSpaceWatch::DiskSpaceWatch (std::vector<std::string> locations, LowSpaceHandler on_low_space)
    : on_low_space_ (std::move (on_low_space))
{
  for (std::string &location : locations) {
    gchar *dir = g_path_get_dirname (location.c_str ());
    watched_.push_back ({ std::move (location), dir, {} });
    g_free (dir);
  }
  if (!watched_.empty ())
    timer_ = g_timeout_add (kPollMs, poll_cb, this);
}

DiskSpaceWatch::~DiskSpaceWatch ()
{
  if (timer_)
    g_source_remove (timer_);
}

bool DiskSpaceWatch::check (Watched &w)
{
  /* A device or a pipe (/dev/null, a FIFO) fills no disk. */
  if (g_file_test (w.location.c_str (), G_FILE_TEST_EXISTS) &&
      !g_file_test (w.location.c_str (), G_FILE_TEST_IS_REGULAR))
    return true;
  guint64 free_bytes;
  if (!query_free (w.directory, free_bytes))
    return true; /* a file system that does not say: nothing to watch */
  gint64 now = g_get_monotonic_time ();
  w.samples.push_back ({ now, free_bytes });
  while (w.samples.size () > 2 && now - w.samples.front ().when_us > kRateWindowUs)
    w.samples.pop_front ();
  double rate = 0;
  const Sample &first = w.samples.front ();
  if (now > first.when_us && first.free_bytes > free_bytes)
    rate = static_cast<double> (first.free_bytes - free_bytes) * G_USEC_PER_SEC /
           static_cast<double> (now - first.when_us);
  if (free_bytes >= reserve_for_rate (rate))
    return true;
  on_low_space_ (w.location, free_bytes);
  return false;
}

gboolean DiskSpaceWatch::poll_cb (gpointer user)
{
  auto *self = static_cast<DiskSpaceWatch *> (user);
  for (Watched &w : self->watched_) {
    if (!self->check (w)) {
      self->timer_ = 0;
      return G_SOURCE_REMOVE; /* said once; the pipeline is finishing */
    }
  }
  return G_SOURCE_CONTINUE;
}

} // namespace gv::launcher
