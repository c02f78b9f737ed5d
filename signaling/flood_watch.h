/* Whether the server sees a flood of wrong PINs (SECURITY.md, "PIN
 * guessing"): more than `networks` distinct networks had a wrong PIN looked
 * up within the last `window_s`. Sessions created while it does get longer
 * PINs. Once on, flood mode stays on until `calm_s` have passed since the
 * last wrong PIN that found more than `networks` networks counted, so it
 * does not flap while a flood ebbs. Time is passed in so tests can drive it.
 * Not thread safe: its owner locks. */
#pragma once

#include <glib.h>

#include <deque>
#include <string>
#include <unordered_map>
#include <utility>

namespace gv::signaling {

class FloodWatch {
public:
  FloodWatch (std::size_t networks, double window_s, double calm_s);

  /* A wrong PIN from `network` was looked up. */
  void record (const std::string &network, gint64 now_us);
  bool active (gint64 now_us) const;
  /* Distinct networks with a wrong PIN within the window. */
  std::size_t recent_networks (gint64 now_us) const;
  /* Forgets wrong PINs older than the window. */
  void prune (gint64 now_us);

private:
  std::size_t networks_;
  gint64 window_us_;
  gint64 calm_us_;
  /* Every looked-up wrong PIN in the window, oldest first; the limiter
   * looks up at most one wrong PIN per network a day plus the flood
   * bucket's share, so this stays as small as the flagged networks. */
  std::deque<std::pair<gint64, std::string>> wrong_pins_;
  std::unordered_map<std::string, gint64> last_wrong_pin_; /* network -> time */
  bool seen_flood_ = false;
  gint64 last_over_us_ = 0;
};

} // namespace gv::signaling
