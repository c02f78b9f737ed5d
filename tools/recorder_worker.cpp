/* `ghostview recorder-worker`: one worker of the recorder pool
 * (signaling/recording_jobs.h). It takes recording jobs from the cluster's
 * Redis stream as a member of its consumer group, records each with
 * `ghostview record` (a child process: the recorder preset, joining the
 * session by PIN through --server), and reports the job's state and files in
 * Redis, where the signalling server's API reads them.
 *
 * While it records it keeps its stream entry fresh (XCLAIM to itself every 5
 * s). When no job is waiting it looks for entries idle longer than
 * --claim-idle (a worker that died: SIGKILL, a lost machine) and takes them
 * over (XAUTOCLAIM), recording into the job's next part file. A recorder
 * whose worker dies gets SIGTERM (PR_SET_PDEATHSIG) and finalizes its part,
 * so nothing written is lost.
 *
 * SIGINT or SIGTERM: the current part is finalized and the job left for
 * another worker, which continues it within --claim-idle seconds. */
#include "commands.h"
#include "exit_codes.h"

#include "cluster.h"
#include "recording_jobs.h"

#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <glib-unix.h>
#include <glib/gstdio.h>

#include <sys/prctl.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <optional>

namespace gv::launcher {
namespace {

namespace rec = gv::signaling::recordings;
using gv::signaling::RedisReply;

constexpr guint kTickMs = 1000;
constexpr guint kKeepAliveS = 5;

struct Options {
  std::string redis_url;
  std::string out_dir;
  std::string server = "ws://127.0.0.1:8443/ws";
  std::string name;
  int claim_idle_s = 15;
};

struct Part {
  std::string entry; /* the stream entry */
  rec::Job job;
  gint64 number = 0;
  std::string file, log;
  GSubprocess *child = nullptr;
  guint keepalive = 0;
  int exited_ticks = 0; /* ticks since GLib reaped the recorder */
};

void say (const std::string &line)
{
  GDateTime *t = g_date_time_new_now_local ();
  gchar *now = g_date_time_format (t, "%H:%M:%S");
  std::printf ("[%s] %s\n", now, line.c_str ());
  std::fflush (stdout);
  g_free (now);
  g_date_time_unref (t);
}

class Worker {
public:
  explicit Worker (Options o) : opt_ (std::move (o)) { loop_ = g_main_loop_new (nullptr, FALSE); }
  ~Worker ()
  {
    if (redis_)
      redisFree (redis_);
    g_main_loop_unref (loop_);
  }

  int run ();

private:
  RedisReply ask (const std::vector<std::string> &args);
  bool connect (std::string &why);
  void tick ();
  std::optional<std::pair<std::string, std::string>> next_entry ();
  void start (const std::string &entry, const std::string &job_id);
  void finished (GSubprocess *child, int status);
  void watch_child ();
  void stop_requested ();
  void announce (const std::string &job_id);
  std::string recorder_said (const std::string &path) const;

  Options opt_;
  GMainLoop *loop_;
  redisContext *redis_ = nullptr;
  bool redis_lost_said_ = false;
  std::optional<Part> part_;
  bool stopping_ = false;
  int signals_ = 0;
  gint64 last_claim_look_us_ = 0;
  std::string self_;
  int db_ = 0;
};

RedisReply Worker::ask (const std::vector<std::string> &args)
{
  std::string why;
  if (!redis_ && !connect (why)) {
    if (!redis_lost_said_)
      say ("cannot reach Redis: " + why + "; trying again every second");
    redis_lost_said_ = true;
    return nullptr;
  }
  RedisReply r = gv::signaling::redis_command (redis_, args);
  if (!r) {
    say (std::string ("lost Redis: ") + redis_->errstr);
    redisFree (redis_);
    redis_ = nullptr;
  }
  return r;
}

bool Worker::connect (std::string &why)
{
  gv::signaling::RedisAddress a;
  if (!gv::signaling::parse_redis_url (opt_.redis_url, a, why))
    return false;
  timeval connect_timeout{ 1, 0 }, command_timeout{ 2, 0 };
  redisContext *c = redisConnectWithTimeout (a.host.c_str (), a.port, connect_timeout);
  if (!c || c->err) {
    why = c ? c->errstr : "out of memory";
    if (c)
      redisFree (c);
    return false;
  }
  redisSetTimeout (c, command_timeout);
  db_ = a.db;
  std::vector<std::vector<std::string>> setup;
  if (!a.password.empty ())
    setup.push_back ({ "AUTH", a.password });
  setup.push_back ({ "SELECT", std::to_string (a.db) });
  setup.push_back ({ "XGROUP", "CREATE", rec::kStream, rec::kGroup, "0", "MKSTREAM" });
  for (const auto &args : setup) {
    RedisReply r = gv::signaling::redis_command (c, args);
    bool exists = r && r->type == REDIS_REPLY_ERROR && g_str_has_prefix (r->str, "BUSYGROUP");
    if (!r || (r->type == REDIS_REPLY_ERROR && !exists)) {
      why = r ? r->str : c->errstr;
      redisFree (c);
      return false;
    }
  }
  redis_ = c;
  if (redis_lost_said_)
    say ("Redis is back");
  redis_lost_said_ = false;
  return true;
}

/* One entry of an XREADGROUP / XAUTOCLAIM answer: (entry id, job id). */
std::optional<std::pair<std::string, std::string>> entry_of (const redisReply *e)
{
  if (!e || e->type != REDIS_REPLY_ARRAY || e->elements != 2 ||
      e->element[0]->type != REDIS_REPLY_STRING || e->element[1]->type != REDIS_REPLY_ARRAY)
    return std::nullopt;
  const redisReply *fields = e->element[1];
  for (size_t i = 0; i + 1 < fields->elements; i += 2)
    if (fields->element[i]->type == REDIS_REPLY_STRING &&
        std::string (fields->element[i]->str) == "job" &&
        fields->element[i + 1]->type == REDIS_REPLY_STRING)
      return std::make_pair (std::string (e->element[0]->str),
                             std::string (fields->element[i + 1]->str));
  return std::make_pair (std::string (e->element[0]->str), std::string ());
}

/* A job of a worker that stopped answering first, then a new one. */
std::optional<std::pair<std::string, std::string>> Worker::next_entry ()
{
  gint64 now = g_get_monotonic_time ();
  if (now - last_claim_look_us_ >= (gint64) kKeepAliveS * G_USEC_PER_SEC) {
    last_claim_look_us_ = now;
    RedisReply r = ask ({ "XAUTOCLAIM", rec::kStream, rec::kGroup, opt_.name,
                          std::to_string (opt_.claim_idle_s * 1000), "0-0", "COUNT", "1" });
    if (r && r->type == REDIS_REPLY_ARRAY && r->elements >= 2 &&
        r->element[1]->type == REDIS_REPLY_ARRAY && r->element[1]->elements > 0)
      if (auto e = entry_of (r->element[1]->element[0]))
        return e;
  }
  RedisReply r = ask ({ "XREADGROUP", "GROUP", rec::kGroup, opt_.name, "COUNT", "1", "STREAMS",
                        rec::kStream, ">" });
  if (!r || r->type != REDIS_REPLY_ARRAY || r->elements == 0)
    return std::nullopt;
  const redisReply *stream = r->element[0];
  if (stream->type != REDIS_REPLY_ARRAY || stream->elements != 2 ||
      stream->element[1]->type != REDIS_REPLY_ARRAY || stream->element[1]->elements == 0)
    return std::nullopt;
  return entry_of (stream->element[1]->element[0]);
}

void Worker::tick ()
{
  if (part_) {
    watch_child ();
    return;
  }
  if (stopping_)
    return;
  auto entry = next_entry ();
  if (entry)
    start (entry->first, entry->second);
}

void child_setup (gpointer)
{
  /* The worker gone (even SIGKILL): the recorder finalizes its file.
   * SIGTERM, not SIGINT: the signal comes once per worker thread that exits,
   * and a second SIGINT would make the recorder quit at once. */
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

void Worker::start (const std::string &entry, const std::string &job_id)
{
  auto done_with = [this, &entry] () { ask ({ "XACK", rec::kStream, rec::kGroup, entry }); };
  auto job =
      rec::is_job_id (job_id)
          ? rec::load ([this] (const std::vector<std::string> &a) { return ask (a); }, job_id)
          : std::nullopt;
  if (!job || job->state == rec::kDone || job->state == rec::kFailed) {
    done_with (); /* expired, malformed, or finished already */
    return;
  }
  RedisReply n = ask ({ "HINCRBY", rec::hash_key (job_id), "parts", "1" });
  if (!n || n->type != REDIS_REPLY_INTEGER)
    return; /* left pending: taken again later */
  Part p;
  p.entry = entry;
  p.job = *job;
  p.number = n->integer;
  std::string base =
      opt_.out_dir + G_DIR_SEPARATOR_S + job_id + "-part" + std::to_string (p.number);
  p.file = base + ".mkv";
  p.log = base + ".log";
  std::string taken = job->worker.empty () || job->worker == opt_.name
                          ? std::string ()
                          : ", taken over from " + job->worker;
  GSubprocessLauncher *launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDERR_MERGE);
  g_subprocess_launcher_set_stdout_file_path (launcher, p.log.c_str ());
  g_subprocess_launcher_set_child_setup (launcher, child_setup, nullptr, nullptr);
  const gchar *argv[] = { self_.c_str (),       "record",        "--server",
                          opt_.server.c_str (), "--pin",         job->pin.c_str (),
                          "--output",           p.file.c_str (), nullptr };
  GError *err = nullptr;
  p.child = g_subprocess_launcher_spawnv (launcher, argv, &err);
  g_object_unref (launcher);
  auto ask_fn = [this] (const std::vector<std::string> &a) { return ask (a); };
  if (!p.child) {
    rec::update (ask_fn, job_id,
                 { { "state", rec::kFailed },
                   { "error", std::string ("the recorder could not start: ") + err->message } });
    say ("job " + job_id + ": the recorder could not start: " + err->message);
    g_error_free (err);
    done_with ();
    return;
  }
  rec::update (ask_fn, job_id, { { "state", rec::kRecording }, { "worker", opt_.name } });
  /* Listed now: if this worker dies, its recorder still finalizes the file. */
  rec::add_file (ask_fn, job_id, p.file);
  say ("job " + job_id + ": recording PIN " + job->pin + " to " + p.file + " (part " +
       std::to_string (p.number) + taken + ")");
  p.keepalive = g_timeout_add_seconds (
      kKeepAliveS,
      [] (gpointer data) -> gboolean {
        auto *self = static_cast<Worker *> (data);
        if (self->part_) {
          /* Claiming its own entry again resets its idle time: it is alive. */
          self->ask ({ "XCLAIM", rec::kStream, rec::kGroup, self->opt_.name, "0",
                       self->part_->entry, "JUSTID" });
          rec::update ([self] (const std::vector<std::string> &a) { return self->ask (a); },
                       self->part_->job.id, {});
        }
        return G_SOURCE_CONTINUE;
      },
      this);
  g_subprocess_wait_async (
      p.child, nullptr,
      [] (GObject *source, GAsyncResult *res, gpointer data) {
        g_subprocess_wait_finish (G_SUBPROCESS (source), res, nullptr);
        static_cast<Worker *> (data)->finished (G_SUBPROCESS (source),
                                                g_subprocess_get_status (G_SUBPROCESS (source)));
      },
      this);
  part_ = std::move (p);
}

/* GLib learns that a child exited from SIGCHLD, then waitpid (WNOHANG). On
 * some kernels (seen on a Linux 6.18 VM) a recorder that exited is still not
 * reapable when that one SIGCHLD arrives, and no second one comes: the
 * worker would wait for ever with the job "recording". Raising SIGCHLD again
 * each tick makes GLib look once more; a finished child whose wait callback
 * still has not come is finished here. */
void Worker::watch_child ()
{
  if (g_subprocess_get_identifier (part_->child)) {
    raise (SIGCHLD);
    return;
  }
  if (++part_->exited_ticks > 2) /* GLib reaped it two ticks ago: its callback is lost */
    finished (part_->child, g_subprocess_get_status (part_->child));
}

std::string Worker::recorder_said (const std::string &path) const
{
  gchar *text = nullptr;
  if (!g_file_get_contents (path.c_str (), &text, nullptr, nullptr))
    return "";
  gchar **lines = g_strsplit (text, "\n", -1);
  /* The recorder's last error, else its last line (an error is followed by
   * where it came from and a hint about GST_DEBUG). */
  const std::string error_prefix = "ghostview: error: ";
  std::string last, error;
  for (gchar **l = lines; *l; l++) {
    std::string line = g_strstrip (*l);
    if (line.rfind (error_prefix, 0) == 0)
      error = line.substr (error_prefix.size ());
    else if (!line.empty ())
      last = line;
  }
  g_strfreev (lines);
  g_free (text);
  return (error.empty () ? last : error).substr (0, 300);
}

void Worker::finished (GSubprocess *child, int status)
{
  if (!part_ || part_->child != child)
    return; /* finished already (watch_child) */
  Part p = std::move (*part_);
  part_.reset ();
  g_source_remove (p.keepalive);
  g_object_unref (p.child);
  auto ask_fn = [this] (const std::vector<std::string> &a) { return ask (a); };
  GStatBuf st;
  bool wrote = g_stat (p.file.c_str (), &st) == 0 && st.st_size > 0;
  if (!wrote) /* the recorder never got a picture: no file */
    rec::remove_file (ask_fn, p.job.id, p.file);
  bool ok = g_spawn_check_wait_status (status, nullptr);
  std::string why = recorder_said (p.log);
  if (stopping_) {
    rec::update (ask_fn, p.job.id,
                 { { "state", rec::kQueued },
                   { "error", "worker " + opt_.name + " stopped; another worker continues" } });
    say ("job " + p.job.id + ": part " + std::to_string (p.number) + (wrote ? " saved" : "") +
         "; left for another worker");
    g_main_loop_quit (loop_);
    return;
  }
  auto job = rec::load (ask_fn, p.job.id);
  bool any_files = wrote || (job && !job->files.empty ());
  if (ok) {
    rec::update (ask_fn, p.job.id, { { "state", rec::kDone } });
    say ("job " + p.job.id + ": done (the session ended), " + p.file);
  } else {
    std::string error = "part " + std::to_string (p.number) + ": " + why;
    rec::update (ask_fn, p.job.id,
                 { { "state", any_files ? rec::kDone : rec::kFailed }, { "error", error } });
    say ("job " + p.job.id + (any_files ? ": done, but " : ": failed: ") + error);
  }
  ask ({ "XACK", rec::kStream, rec::kGroup, p.entry });
  announce (p.job.id);
}

/* The node that queued the job notifies (webhooks) when it hears this. */
void Worker::announce (const std::string &job_id)
{
  JsonBuilder *b = json_builder_new ();
  json_builder_begin_object (b);
  for (const auto &[name, value] : { std::pair<const char *, std::string> ("k", "recording"),
                                     { "from", opt_.name },
                                     { "job", job_id } }) {
    json_builder_set_member_name (b, name);
    json_builder_add_string_value (b, value.c_str ());
  }
  json_builder_end_object (b);
  JsonNode *root = json_builder_get_root (b);
  gchar *text = json_to_string (root, FALSE);
  ask ({ "PUBLISH", gv::signaling::cluster_broadcast_channel (db_), text });
  g_free (text);
  json_node_unref (root);
  g_object_unref (b);
}

void Worker::stop_requested ()
{
  signals_++;
  stopping_ = true;
  if (!part_) {
    /* Holding no job: off the group's list of workers (the admin portal's). */
    ask ({ "XGROUP", "DELCONSUMER", rec::kStream, rec::kGroup, opt_.name });
    g_main_loop_quit (loop_);
    return;
  }
  if (signals_ == 1) {
    say ("stopping: finalizing the current part (Ctrl-C again to stop at once)");
    /* SIGTERM: on a terminal the recorder got the Ctrl-C itself too, and a
     * second SIGINT would make it quit at once. */
    g_subprocess_send_signal (part_->child, SIGTERM);
  } else {
    g_subprocess_force_exit (part_->child);
  }
}

int Worker::run ()
{
  gchar *exe = g_file_read_link ("/proc/self/exe", nullptr);
  self_ = exe ? exe : "ghostview";
  g_free (exe);
  std::string why;
  if (!connect (why)) {
    std::fprintf (stderr, "ghostview recorder-worker: cannot reach Redis at %s: %s\n",
                  opt_.redis_url.c_str (), why.c_str ());
    return kExitFailure;
  }
  say ("recorder-worker " + opt_.name + ": taking recording jobs from " + opt_.redis_url +
       ", writing to " + opt_.out_dir + ", joining through " + opt_.server);
  g_timeout_add (
      kTickMs,
      [] (gpointer data) -> gboolean {
        static_cast<Worker *> (data)->tick ();
        return G_SOURCE_CONTINUE;
      },
      this);
  for (int sig : { SIGINT, SIGTERM })
    g_unix_signal_add (
        sig,
        [] (gpointer data) -> gboolean {
          static_cast<Worker *> (data)->stop_requested ();
          return G_SOURCE_CONTINUE;
        },
        this);
  tick ();
  g_main_loop_run (loop_);
  return kExitOk;
}

} // namespace

int command_recorder_worker (int argc, char **argv)
{
  Options o;
  gchar *redis = nullptr, *out = nullptr, *server = nullptr, *name = nullptr;
  const GOptionEntry entries[] = {
    { "redis", 0, 0, G_OPTION_ARG_STRING, &redis,
      "The cluster's Redis, as given to ghostview-signaling --redis (or GHOSTVIEW_REDIS)",
      "redis://HOST:PORT[/DB]" },
    { "out", 'o', 0, G_OPTION_ARG_FILENAME, &out, "Folder for the recordings (created)", "DIR" },
    { "server", 's', 0, G_OPTION_ARG_STRING, &server,
      "Signalling server the recorders join through: any node of the cluster (default "
      "ws://127.0.0.1:8443/ws)",
      "URL" },
    { "name", 'n', 0, G_OPTION_ARG_STRING, &name,
      "This worker's name in the consumer group (default worker-HOST-PID)", "NAME" },
    { "claim-idle", 0, 0, G_OPTION_ARG_INT, &o.claim_idle_s,
      "Take over a job whose worker has not been heard of for this long (default 15)", "SECONDS" },
    { nullptr, 0, 0, G_OPTION_ARG_NONE, nullptr, nullptr, nullptr },
  };
  GOptionContext *ctx = g_option_context_new ("- record sessions for the recorder pool");
  g_option_context_set_summary (
      ctx, "Takes recording jobs (POST /api/v1/sessions/PIN/recordings on a signalling node) "
           "from the cluster's Redis and records each session to DIR, continuing the jobs of "
           "workers that died.");
  g_option_context_add_main_entries (ctx, entries, nullptr);
  GError *err = nullptr;
  bool parsed = g_option_context_parse (ctx, &argc, &argv, &err);
  g_option_context_free (ctx);
  auto take = [] (gchar *v, std::string &to) {
    if (v)
      to = v;
    g_free (v);
  };
  if (const char *env = g_getenv ("GHOSTVIEW_REDIS"))
    o.redis_url = env;
  take (redis, o.redis_url);
  take (out, o.out_dir);
  take (server, o.server);
  take (name, o.name);
  auto usage = [] (const std::string &text) {
    std::fprintf (stderr, "ghostview recorder-worker: %s\n", text.c_str ());
    return kExitUsage;
  };
  if (!parsed) {
    std::string text = err->message;
    g_error_free (err);
    return usage (text);
  }
  gv::signaling::RedisAddress address;
  std::string why;
  if (o.redis_url.empty ())
    return usage ("--redis redis://HOST:PORT[/DB] is required: the cluster's Redis");
  if (!gv::signaling::parse_redis_url (o.redis_url, address, why))
    return usage (why);
  if (o.out_dir.empty ())
    return usage ("--out DIR is required: where the recordings go");
  if (!g_str_has_prefix (o.server.c_str (), "ws://") &&
      !g_str_has_prefix (o.server.c_str (), "wss://"))
    return usage ("--server " + o.server + ": give a WebSocket URL, ws://HOST:PORT/ws");
  if (o.claim_idle_s < 5 || o.claim_idle_s > 3600)
    return usage ("--claim-idle " + std::to_string (o.claim_idle_s) + ": give 5 to 3600 seconds");
  if (o.name.empty ()) {
    std::string host = g_get_host_name ();
    for (char &c : host)
      if (!g_ascii_isalnum (c) && c != '-' && c != '_')
        c = '-';
    std::string pid = "-" + std::to_string (getpid ());
    o.name = ("worker-" + host).substr (0, 32 - pid.size ()) + pid;
  }
  if (!gv::signaling::is_node_id (o.name))
    return usage ("--name " + o.name + ": use 1 to 32 letters, digits, '-' or '_'");
  if (g_mkdir_with_parents (o.out_dir.c_str (), 0755) != 0)
    return usage ("--out " + o.out_dir + ": " + g_strerror (errno));
  Worker worker (std::move (o));
  return worker.run ();
}

} // namespace gv::launcher
