#include "flood_watch.h"

namespace gv::signaling {

FloodWatch::FloodWatch (std::size_t networks, double window_s, double calm_s)
    : networks_ (networks), window_us_ ((gint64) (window_s * G_USEC_PER_SEC)),
      calm_us_ ((gint64) (calm_s * G_USEC_PER_SEC))
{}

void FloodWatch::record (const std::string &network, gint64 now_us)
{
  prune (now_us);
  wrong_pins_.emplace_back (now_us, network);
  last_wrong_pin_[network] = now_us;
  /* The count only grows here, so checking it here sees every moment it is
   * above the threshold. */
  if (last_wrong_pin_.size () > networks_) {
    seen_flood_ = true;
    last_over_us_ = now_us;
  }
}

bool FloodWatch::active (gint64 now_us) const
{
  return seen_flood_ && now_us - last_over_us_ < calm_us_;
}

std::size_t FloodWatch::recent_networks (gint64 now_us) const
{
  std::size_t n = 0;
  for (const auto &entry : last_wrong_pin_)
    n += now_us - entry.second < window_us_ ? 1 : 0;
  return n;
}

void FloodWatch::prune (gint64 now_us)
{
  while (!wrong_pins_.empty () && now_us - wrong_pins_.front ().first >= window_us_) {
    auto it = last_wrong_pin_.find (wrong_pins_.front ().second);
    /* A later wrong PIN from the same network keeps it counted. */
    if (it != last_wrong_pin_.end () && it->second == wrong_pins_.front ().first)
      last_wrong_pin_.erase (it);
    wrong_pins_.pop_front ();
  }
}

} // namespace gv::signaling
