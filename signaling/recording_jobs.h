/* The recorder pool's jobs in Redis (README, "Recorder pool"), shared by
 * the signalling server (which queues jobs and reports them: POST and GET
 * under /api/v1) and `ghostview recorder-worker` (which takes them).
 *
 * - Stream `gv:recordings`, consumer group `recorders`: one entry per job
 *   ({"job": ID}). A worker reads with XREADGROUP; the entry stays pending
 *   until the job ends (XACK). A worker that records keeps its entry fresh
 *   (XCLAIM to itself every few seconds); an entry idle longer than the
 *   claim time belongs to a dead worker, and XAUTOCLAIM hands it to another,
 *   which records the next part.
 * - Hash `gv:rec:ID`: the job (fields below), kept 7 days; sorted set
 *   `gv:recs`: the newest 1,000 job ids by creation time.
 * - List `gv:rec:ID:files`: the part files, in order, each listed when its
 *   part starts (its recorder finalizes it even if its worker dies). */
#pragma once

#include "redis_reply.h"

#include <glib.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace gv::signaling {
namespace recordings {

inline constexpr const char *kStream = "gv:recordings";
inline constexpr const char *kGroup = "recorders";
inline constexpr int kKeepDays = 7;

inline constexpr const char *kQueued = "queued";
inline constexpr const char *kRecording = "recording";
inline constexpr const char *kDone = "done";
inline constexpr const char *kFailed = "failed";

struct Job {
  std::string id;
  std::string pin;
  std::string session;
  std::string node;   /* the signalling node that queued it */
  std::string state;  /* kQueued, kRecording, kDone, kFailed */
  std::string worker; /* the one recording it, or that last did */
  std::string error;  /* why it failed, or what went wrong in a part */
  gint64 parts = 0;   /* parts started: more than one after a takeover */
  std::vector<std::string> files;
  gint64 created_at = 0; /* Unix seconds */
  gint64 updated_at = 0;
};

std::string hash_key (const std::string &id);

/* A new job for `job.pin` (its id, state and times set here), queued for
 * the workers; false with `error` set otherwise. */
bool enqueue (const RedisAsk &ask, Job &job, std::string &error);
/* The job, or nothing (no such job, or Redis unreachable: `reachable`). */
std::optional<Job> load (const RedisAsk &ask, const std::string &id, bool *reachable = nullptr);
/* Sets fields of the job's hash (updated_at with them). */
bool update (const RedisAsk &ask, const std::string &id,
             const std::vector<std::pair<std::string, std::string>> &fields);
/* Appends a part file to the job. */
bool add_file (const RedisAsk &ask, const std::string &id, const std::string &path);

/* The newest jobs, newest first (at most `limit`). */
std::vector<Job> recent (const RedisAsk &ask, int limit);

struct WorkerInfo {
  std::string name;
  gint64 pending = 0; /* jobs it holds (0 or 1) */
  gint64 idle_ms = 0; /* since it last read or refreshed a job */
};
/* The consumer group's workers. */
std::vector<WorkerInfo> workers (const RedisAsk &ask);

/* Takes a part file off the job's list (it was never written). */
bool remove_file (const RedisAsk &ask, const std::string &id, const std::string &path);

/* An id as made by enqueue: "rec-" and 16 letters or digits. */
bool is_job_id (const std::string &id);

} // namespace recordings
} // namespace gv::signaling
