#include "recording_jobs.h"

#include "random.h"

#include <algorithm>

namespace gv::signaling::recordings {
namespace {

constexpr const char *kIndex = "gv:recs";
constexpr int kIndexSize = 1000;

std::string now_s ()
{
  return std::to_string (g_get_real_time () / G_USEC_PER_SEC);
}

bool ok (const RedisReply &r)
{
  return r && r->type != REDIS_REPLY_ERROR;
}

} // namespace

std::string hash_key (const std::string &id)
{
  return "gv:rec:" + id;
}

bool is_job_id (const std::string &id)
{
  return id.size () == 20 && id.compare (0, 4, "rec-") == 0 &&
         std::all_of (id.begin () + 4, id.end (), [] (char c) { return g_ascii_isalnum (c); });
}

bool enqueue (const RedisAsk &ask, Job &job, std::string &error)
{
  job.id = "rec-" + random_id (8);
  job.state = kQueued;
  job.created_at = job.updated_at = g_get_real_time () / G_USEC_PER_SEC;
  std::string key = hash_key (job.id), t = std::to_string (job.created_at);
  RedisReply made = ask ({ "HSET", key, "pin", job.pin, "session", job.session, "node", job.node,
                           "state", job.state, "parts", "0", "created_at", t, "updated_at", t });
  RedisReply kept =
      ok (made) ? ask ({ "EXPIRE", key, std::to_string (kKeepDays * 86400) }) : nullptr;
  RedisReply listed = ok (kept) ? ask ({ "ZADD", kIndex, t, job.id }) : nullptr;
  if (ok (listed))
    ask ({ "ZREMRANGEBYRANK", kIndex, "0", std::to_string (-kIndexSize - 1) });
  RedisReply queued = ok (listed) ? ask ({ "XADD", kStream, "*", "job", job.id }) : nullptr;
  if (!ok (queued)) {
    error = queued && queued->str ? queued->str : "Redis could not be reached";
    return false;
  }
  return true;
}

std::optional<Job> load (const RedisAsk &ask, const std::string &id, bool *reachable)
{
  RedisReply r = ask ({ "HGETALL", hash_key (id) });
  if (reachable)
    *reachable = ok (r);
  if (!ok (r) || r->type != REDIS_REPLY_ARRAY || r->elements == 0)
    return std::nullopt;
  Job job;
  job.id = id;
  for (size_t i = 0; i + 1 < r->elements; i += 2) {
    if (r->element[i]->type != REDIS_REPLY_STRING || r->element[i + 1]->type != REDIS_REPLY_STRING)
      continue;
    std::string name (r->element[i]->str, r->element[i]->len);
    std::string value (r->element[i + 1]->str, r->element[i + 1]->len);
    if (name == "pin")
      job.pin = value;
    else if (name == "session")
      job.session = value;
    else if (name == "node")
      job.node = value;
    else if (name == "state")
      job.state = value;
    else if (name == "worker")
      job.worker = value;
    else if (name == "error")
      job.error = value;
    else if (name == "parts")
      job.parts = g_ascii_strtoll (value.c_str (), nullptr, 10);
    else if (name == "created_at")
      job.created_at = g_ascii_strtoll (value.c_str (), nullptr, 10);
    else if (name == "updated_at")
      job.updated_at = g_ascii_strtoll (value.c_str (), nullptr, 10);
  }
  RedisReply files = ask ({ "LRANGE", hash_key (id) + ":files", "0", "-1" });
  if (ok (files) && files->type == REDIS_REPLY_ARRAY)
    for (size_t i = 0; i < files->elements; i++)
      if (files->element[i]->type == REDIS_REPLY_STRING)
        job.files.emplace_back (files->element[i]->str, files->element[i]->len);
  return job;
}

bool update (const RedisAsk &ask, const std::string &id,
             const std::vector<std::pair<std::string, std::string>> &fields)
{
  std::vector<std::string> args = { "HSET", hash_key (id), "updated_at", now_s () };
  for (const auto &[name, value] : fields) {
    args.push_back (name);
    args.push_back (value);
  }
  return ok (ask (args));
}

bool add_file (const RedisAsk &ask, const std::string &id, const std::string &path)
{
  std::string list = hash_key (id) + ":files";
  return ok (ask ({ "RPUSH", list, path })) &&
         ok (ask ({ "EXPIRE", list, std::to_string (kKeepDays * 86400) }));
}

std::vector<Job> recent (const RedisAsk &ask, int limit)
{
  std::vector<Job> out;
  RedisReply ids = ask ({ "ZREVRANGE", kIndex, "0", std::to_string (limit - 1) });
  if (!ok (ids) || ids->type != REDIS_REPLY_ARRAY)
    return out;
  for (size_t i = 0; i < ids->elements; i++)
    if (ids->element[i]->type == REDIS_REPLY_STRING)
      if (auto job = load (ask, std::string (ids->element[i]->str, ids->element[i]->len)))
        out.push_back (std::move (*job));
  return out;
}

std::vector<WorkerInfo> workers (const RedisAsk &ask)
{
  std::vector<WorkerInfo> out;
  RedisReply r = ask ({ "XINFO", "CONSUMERS", kStream, kGroup });
  if (!ok (r) || r->type != REDIS_REPLY_ARRAY)
    return out; /* no stream or group yet: no worker ever started */
  for (size_t i = 0; i < r->elements; i++) {
    const redisReply *c = r->element[i];
    if (c->type != REDIS_REPLY_ARRAY)
      continue;
    WorkerInfo w;
    for (size_t k = 0; k + 1 < c->elements; k += 2) {
      if (c->element[k]->type != REDIS_REPLY_STRING)
        continue;
      std::string name (c->element[k]->str, c->element[k]->len);
      const redisReply *v = c->element[k + 1];
      if (name == "name" && v->type == REDIS_REPLY_STRING)
        w.name.assign (v->str, v->len);
      else if (name == "pending" && v->type == REDIS_REPLY_INTEGER)
        w.pending = v->integer;
      else if (name == "idle" && v->type == REDIS_REPLY_INTEGER)
        w.idle_ms = v->integer;
    }
    if (!w.name.empty ())
      out.push_back (w);
  }
  return out;
}

bool remove_file (const RedisAsk &ask, const std::string &id, const std::string &path)
{
  return ok (ask ({ "LREM", hash_key (id) + ":files", "0", path }));
}

} // namespace gv::signaling::recordings
