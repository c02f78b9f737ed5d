/* The cluster's endpoints of the session API: the recorder pool
 * (recording_jobs.h) — POST /api/v1/sessions/{pin}/recordings queues a job
 * for the `ghostview recorder-worker` processes, GET /api/v1/recordings/{id}
 * reports it, GET /api/v1/recordings lists the workers and the newest jobs
 * (these need --redis) — and GET /api/v1/nodes, the nodes. */
#include "recording_jobs.h"
#include "server_impl.h"

namespace gv::signaling {
namespace {

JsonNode *job_json (const recordings::Job &job)
{
  JsonBuilder *b = json_builder_new ();
  json_builder_begin_object (b);
  auto text = [b] (const char *name, const std::string &value) {
    json_builder_set_member_name (b, name);
    json_builder_add_string_value (b, value.c_str ());
  };
  auto number = [b] (const char *name, gint64 value) {
    json_builder_set_member_name (b, name);
    json_builder_add_int_value (b, value);
  };
  text ("id", job.id);
  text ("pin", job.pin);
  text ("state", job.state);
  json_builder_set_member_name (b, "worker");
  if (job.worker.empty ())
    json_builder_add_null_value (b);
  else
    json_builder_add_string_value (b, job.worker.c_str ());
  number ("parts", job.parts);
  json_builder_set_member_name (b, "files");
  json_builder_begin_array (b);
  for (const auto &f : job.files)
    json_builder_add_string_value (b, f.c_str ());
  json_builder_end_array (b);
  json_builder_set_member_name (b, "error");
  if (job.error.empty ())
    json_builder_add_null_value (b);
  else
    json_builder_add_string_value (b, job.error.c_str ());
  number ("created_at", job.created_at);
  number ("updated_at", job.updated_at);
  json_builder_end_object (b);
  JsonNode *root = json_builder_get_root (b);
  g_object_unref (b);
  return root;
}

/* One node of GET /nodes: its name and the load its heartbeat carries. */
void add_node (JsonBuilder *b, const std::string &name, bool self, const std::string &load)
{
  JsonParser *parser = json_parser_new ();
  JsonObject *o = nullptr;
  if (json_parser_load_from_data (parser, load.c_str (), (gssize) load.size (), nullptr) &&
      JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    o = json_node_get_object (json_parser_get_root (parser));
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "node");
  json_builder_add_string_value (b, name.c_str ());
  json_builder_set_member_name (b, "self");
  json_builder_add_boolean_value (b, self);
  for (const char *field : { "sessions", "viewers", "connections" }) {
    json_builder_set_member_name (b, field);
    json_builder_add_int_value (
        b, o && json_object_has_member (o, field) ? json_object_get_int_member (o, field) : 0);
  }
  json_builder_end_object (b);
  g_object_unref (parser);
}

} // namespace

bool ServerImpl::recorder_pool_ready (SoupServerMessage *msg, const char *endpoint)
{
  if (!cluster) {
    api_error (msg, endpoint, SOUP_STATUS_NOT_IMPLEMENTED, "RECORDER_POOL_UNAVAILABLE",
               "The recorder pool needs a cluster: start the server with --redis, and "
               "`ghostview recorder-worker --redis` beside it.");
    return false;
  }
  if (!cluster->up ()) {
    api_error (msg, endpoint, SOUP_STATUS_SERVICE_UNAVAILABLE, "CLUSTER_UNAVAILABLE",
               "This server cannot reach its cluster's Redis right now. Try again in a few "
               "seconds.");
    return false;
  }
  return true;
}

void ServerImpl::api_create_recording (SoupServerMessage *msg, const char *endpoint,
                                       const std::string &pin)
{
  if (!recorder_pool_ready (msg, endpoint))
    return;
  Session *s = registry.find_by_pin (pin);
  if (!s) {
    api_error (msg, endpoint, SOUP_STATUS_NOT_FOUND, "SESSION_NOT_FOUND",
               is_pin_shaped (pin) ? "No live session on this server has PIN " + pin + "."
                                   : std::string ("A PIN is 6 to 9 digits."));
    return;
  }
  recordings::Job job;
  job.pin = s->pin;
  job.session = s->id;
  job.node = cluster->node ();
  std::string error;
  if (!recordings::enqueue ([this] (const std::vector<std::string> &a) { return cluster->ask (a); },
                            job, error)) {
    api_error (msg, endpoint, SOUP_STATUS_SERVICE_UNAVAILABLE, "CLUSTER_UNAVAILABLE",
               "The job could not be queued: " + error);
    return;
  }
  metrics.recordings_queued++;
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Location",
                                ("/api/v1/recordings/" + job.id).c_str ());
  api_respond (msg, endpoint, SOUP_STATUS_ACCEPTED, job_json (job));
}

void ServerImpl::api_get_recording (SoupServerMessage *msg, const char *endpoint,
                                    const std::string &id)
{
  if (!recorder_pool_ready (msg, endpoint))
    return;
  if (!recordings::is_job_id (id)) {
    api_error (msg, endpoint, SOUP_STATUS_NOT_FOUND, "RECORDING_NOT_FOUND",
               "A recording's id is \"rec-\" and 16 letters or digits.");
    return;
  }
  bool reachable = true;
  auto job = recordings::load (
      [this] (const std::vector<std::string> &a) { return cluster->ask (a); }, id, &reachable);
  if (!job) {
    if (reachable)
      api_error (msg, endpoint, SOUP_STATUS_NOT_FOUND, "RECORDING_NOT_FOUND",
                 "No recording " + id + " (jobs are kept 7 days).");
    else
      api_error (msg, endpoint, SOUP_STATUS_SERVICE_UNAVAILABLE, "CLUSTER_UNAVAILABLE",
                 "This server cannot reach its cluster's Redis right now.");
    return;
  }
  api_respond (msg, endpoint, SOUP_STATUS_OK, job_json (*job));
}

void ServerImpl::api_list_nodes (SoupServerMessage *msg, const char *endpoint)
{
  JsonBuilder *b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "nodes");
  json_builder_begin_array (b);
  if (cluster && cluster->up ()) {
    for (const auto &[name, load] : cluster->nodes ())
      add_node (b, name, name == cluster->node (), load);
  } else {
    /* Alone, or cut off from the others: what this node knows. */
    add_node (b, cluster ? cluster->node () : std::string (g_get_host_name ()), true,
              cluster_load ());
  }
  json_builder_end_array (b);
  json_builder_end_object (b);
  JsonNode *root = json_builder_get_root (b);
  g_object_unref (b);
  api_respond (msg, endpoint, SOUP_STATUS_OK, root);
}

void ServerImpl::api_list_recordings (SoupServerMessage *msg, const char *endpoint)
{
  if (!recorder_pool_ready (msg, endpoint))
    return;
  auto ask = [this] (const std::vector<std::string> &a) { return cluster->ask (a); };
  JsonBuilder *b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "workers");
  json_builder_begin_array (b);
  for (const auto &w : recordings::workers (ask)) {
    json_builder_begin_object (b);
    json_builder_set_member_name (b, "name");
    json_builder_add_string_value (b, w.name.c_str ());
    json_builder_set_member_name (b, "pending");
    json_builder_add_int_value (b, w.pending);
    json_builder_set_member_name (b, "idle_ms");
    json_builder_add_int_value (b, w.idle_ms);
    json_builder_end_object (b);
  }
  json_builder_end_array (b);
  json_builder_set_member_name (b, "recordings");
  json_builder_begin_array (b);
  for (const auto &job : recordings::recent (ask, 50))
    json_builder_add_value (b, job_json (job));
  json_builder_end_array (b);
  json_builder_end_object (b);
  JsonNode *root = json_builder_get_root (b);
  g_object_unref (b);
  api_respond (msg, endpoint, SOUP_STATUS_OK, root);
}

} // namespace gv::signaling
