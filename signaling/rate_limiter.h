/* Token buckets, single and keyed (per client IP). Time is passed in so
 * tests can drive it. */
#pragma once

#include <glib.h>

#include <string>
#include <unordered_map>

namespace gv::signaling {

class TokenBucket {
public:
  TokenBucket (double burst, double per_second)
      : burst_ (burst), rate_ (per_second), tokens_ (burst)
  {}
  /* True when a whole token is available at `now_us`. */
  bool has_token (gint64 now_us);
  /* Takes one token if available. */
  bool try_take (gint64 now_us);
  /* Takes one token, going no lower than zero. */
  void spend (gint64 now_us);
  /* Full again: nothing to remember. */
  bool is_full (gint64 now_us);

private:
  void refill (gint64 now_us);
  double burst_;
  double rate_;
  double tokens_;
  gint64 last_us_ = -1;
};

class KeyedRateLimiter {
public:
  KeyedRateLimiter (double burst, double per_second) : burst_ (burst), rate_ (per_second) {}
  bool has_token (const std::string &key, gint64 now_us);
  bool try_take (const std::string &key, gint64 now_us);
  void spend (const std::string &key, gint64 now_us);
  /* Forgets keys whose buckets have refilled, so memory stays bounded by
   * the clients active in the last burst/rate seconds. */
  void prune (gint64 now_us);
  std::size_t size () const { return buckets_.size (); }

private:
  TokenBucket &bucket (const std::string &key);
  double burst_;
  double rate_;
  std::unordered_map<std::string, TokenBucket> buckets_;
};

} // namespace gv::signaling
