#include "rate_limiter.h"

#include <algorithm>

namespace gv::signaling {

void TokenBucket::refill (gint64 now_us)
{
  if (last_us_ >= 0 && now_us > last_us_)
    tokens_ = std::min (burst_, tokens_ + (double) (now_us - last_us_) / G_USEC_PER_SEC * rate_);
  if (now_us > last_us_)
    last_us_ = now_us;
}

bool TokenBucket::has_token (gint64 now_us)
{
  refill (now_us);
  return tokens_ >= 1.0;
}

bool TokenBucket::try_take (gint64 now_us)
{
  if (!has_token (now_us))
    return false;
  tokens_ -= 1.0;
  return true;
}

void TokenBucket::spend (gint64 now_us)
{
  refill (now_us);
  tokens_ = std::max (0.0, tokens_ - 1.0);
}

bool TokenBucket::is_full (gint64 now_us)
{
  refill (now_us);
  return tokens_ >= burst_;
}

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
