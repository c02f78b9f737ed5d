/* Token buckets keyed by client (IP address or prefix), built on the one
 * gv::TokenBucket. Time is passed in so tests can drive it. */
#pragma once

#include <glib.h>

#include "token_bucket.h"

#include <string>
#include <unordered_map>

namespace gv::signaling {

using gv::TokenBucket;

class KeyedRateLimiter {
public:
  KeyedRateLimiter (double burst, double per_second) : burst_ (burst), rate_ (per_second) {}
  bool has_token (const std::string &key, gint64 now_us);
  bool try_take (const std::string &key, gint64 now_us);
  void spend (const std::string &key, gint64 now_us);
  bool contains (const std::string &key) const { return buckets_.count (key) > 0; }
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
