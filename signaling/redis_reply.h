/* A hiredis reply that frees itself, and a way to ask Redis and wait. */
#pragma once

#include <hiredis/hiredis.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace gv::signaling {

struct RedisReplyFree {
  void operator() (redisReply *r) const { freeReplyObject (r); }
};
using RedisReply = std::unique_ptr<redisReply, RedisReplyFree>;

/* Runs one command and waits; null when Redis could not be reached. */
using RedisAsk = std::function<RedisReply (const std::vector<std::string> &args)>;

/* One command on a blocking context (its argv as given: binary-safe). */
RedisReply redis_command (redisContext *c, const std::vector<std::string> &args);

} // namespace gv::signaling
