/* Watches the free space of the file systems the pipeline's files are
 * written to, so that a recording stops while there is still room to finish
 * its file: a muxer writes its index and length at the end, and a file cut
 * by "No space left on device" has neither (players show no duration, some
 * refuse it). */
#pragma once

#include <glib.h>

#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <vector>

namespace gv::launcher {

class DiskSpaceWatch {
public:
  /* Called once, on the main thread, when the file system of `location` has
   * less than the reserve left. */
  using LowSpaceHandler = std::function<void (const std::string &location, guint64 free_bytes)>;

  DiskSpaceWatch (std::vector<std::string> locations, LowSpaceHandler on_low_space);
  ~DiskSpaceWatch ();
  DiskSpaceWatch (const DiskSpaceWatch &) = delete;
  DiskSpaceWatch &operator= (const DiskSpaceWatch &) = delete;

  /* Free space kept for finishing the files: at least kMinReserveBytes,
   * more when the disk fills fast (kReserveSeconds of the rate seen). */
  static constexpr guint64 kMinReserveBytes = 1024 * 1024;
  static constexpr double kReserveSeconds = 3.0;
  static constexpr guint kPollMs = 250;

  /* The reserve for a disk filling at `bytes_per_second`. */
  static guint64 reserve_for_rate (double bytes_per_second);

private:
  struct Sample {
    gint64 when_us;
    guint64 free_bytes;
  };
  struct Watched {
    std::string location;
    std::string directory; /* queried: the file may not exist yet */
    std::deque<Sample> samples;
  };

  static gboolean poll_cb (gpointer self);
  bool check (Watched &w);

  std::vector<Watched> watched_;
  LowSpaceHandler on_low_space_;
  guint timer_ = 0;
};

} // namespace gv::launcher
