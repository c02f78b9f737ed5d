#include "rate_limiter.h"

namespace gv::signaling {

TokenBucket &KeyedRateLimiter::bucket (const std::string &key)
{
  auto it = buckets_.find (key);
  if (it == buckets_.end ())
    it = buckets_.emplace (key, TokenBucket (burst_, rate_)).first;
  return it->second;
}

bool KeyedRateLimiter::has_token (const std::string &key, gint64 now_us)
{
  auto it = buckets_.find (key);
  return it == buckets_.end () || it->second.has_token (now_us);
}

bool KeyedRateLimiter::try_take (const std::string &key, gint64 now_us)
{
  return bucket (key).try_take (now_us);
}

void KeyedRateLimiter::spend (const std::string &key, gint64 now_us)
{
  bucket (key).spend (now_us);
}

void KeyedRateLimiter::prune (gint64 now_us)
{
  for (auto it = buckets_.begin (); it != buckets_.end ();) {
    if (it->second.is_full (now_us))
      it = buckets_.erase (it);
    else
      ++it;
  }
}

} // namespace gv::signaling
