/* The limits on wrong PINs (SECURITY.md, "PIN guessing"). A wrong guess
 * never spends an allowance that a viewer holding the right PIN needs: the
 * server-wide flood limit only refuses networks that have themselves sent a
 * wrong PIN recently, so a viewer on a clean network is always looked up.
 * Time is passed in so tests can drive it. Not thread safe: its owner locks. */
#pragma once

#include "flood_watch.h"
#include "rate_limiter.h"

#include <glib.h>

#include <string>

namespace gv::signaling {

struct GuessLimits {
  /* Wrong guesses per client address. */
  double address_burst = 10, address_per_s = 1.0 / 30;
  /* Wrong guesses per network: IPv4 /24, IPv6 /64 (one subscriber's LAN). */
  double prefix_burst = 30, prefix_per_s = 1.0 / 10;
  /* Wrong guesses, whole server, paid only by flagged networks. */
  double flood_burst = 30, flood_per_s = 1.0 / 10;
  /* A network (IPv4 /24, IPv6 /48: one site) is flagged for this long
   * after its last wrong guess. */
  double flag_s = 24 * 3600;
  /* Flagged networks remembered at most; beyond, every unknown network is
   * treated as flagged, so memory stays bounded and the PIN space stays
   * guarded (at the price of the flood limit applying to everyone). */
  std::size_t max_flagged = 100000;
  /* Flood mode (longer PINs for new sessions): more than flood_networks
   * networks (sites, as flagged) with a wrong PIN looked up within
   * flood_window_s; it ends flood_calm_s after that was last true. */
  std::size_t flood_networks = 200;
  double flood_window_s = 600, flood_calm_s = 600;
};

enum class GuessVerdict {
  Allowed,
  AddressLimited, /* this address guessed wrong too often */
  PrefixLimited,  /* its network did */
  FloodLimited,   /* the server sees a flood and this network is flagged */
};

/* The network an address belongs to, as "a.b.c.0/24" or "2001:db8::/64";
 * IPv4-mapped IPv6 addresses count as IPv4. Anything that is not an IP
 * address is its own network. */
std::string network_prefix (const std::string &address, guint ipv4_bits, guint ipv6_bits);

class GuessLimiter {
public:
  explicit GuessLimiter (const GuessLimits &limits = {});

  /* Asked before the PIN is looked at, so a refused guess learns nothing. */
  GuessVerdict check (const std::string &address, gint64 now_us);
  /* A join that failed on its PIN (invalid, expired, used). */
  void record_failure (const std::string &address, gint64 now_us);
  void prune (gint64 now_us);

  std::size_t flagged_networks () const { return flagged_.size (); }
  /* True while the server sees a flood: sessions created now get longer
   * PINs. */
  bool flood_mode (gint64 now_us) const { return flood_watch_.active (now_us); }
  std::size_t recent_guessing_networks (gint64 now_us) const
  {
    return flood_watch_.recent_networks (now_us);
  }

private:
  bool is_flagged (const std::string &site, gint64 now_us);

  GuessLimits limits_;
  KeyedRateLimiter by_address_;
  KeyedRateLimiter by_prefix_;
  /* One token per site: spent by a wrong guess, back after flag_s. */
  KeyedRateLimiter flagged_;
  TokenBucket flood_;
  FloodWatch flood_watch_;
};

} // namespace gv::signaling
