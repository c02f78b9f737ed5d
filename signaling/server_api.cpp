/* The session API (PROTOCOL.md, "Session API"; signaling/openapi.json is
 * its contract, served at /api/v1/openapi.json): JSON over HTTP under
 * /api/v1, each request with an API key (api_keys.h) whose scope covers it,
 * `read` for GET and `write` for POST and DELETE. Routing, keys, bodies and
 * answers live here; the snapshot's wait for its host in
 * server_snapshot.cpp. */
#include "capabilities.h"
#include "http_errors.h"
#include "invite_token.h"
#include "reservation_token.h"
#include "server_impl.h"

#include <gio/gio.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <optional>
#include <vector>

/* signaling.gresource.xml, compiled in (glib-compile-resources declares it
 * without C linkage). */
extern "C" GResource *gv_signaling_get_resource (void);

namespace gv::signaling {
namespace {

/* libsoup 3.2 has no name for it. */
constexpr guint kStatusTooManyRequests = 429;
constexpr const char *kApiPrefix = "/api/v1/";
constexpr const char *kOpenApiResource = "/org/ghostview/signaling/openapi.json";
constexpr int kMaxBodyNesting = 16;
constexpr gint64 kDefaultListLimit = 100;
constexpr gint64 kMaxListLimit = 1000;
constexpr gsize kMaxLabelBytes = proto::kMaxNameBytes;
/* A reservation waits 10 s to 24 h for its host; its invite link lives as
 * long (the shortest link a host asks for is 60 s, but a reservation's
 * caller decides when its PIN goes stale). */
constexpr gint64 kMinReservationTtlS = 10;
constexpr gint64 kMaxReservationTtlS = kMaxInviteTtlS;
constexpr const char *kUnknownEndpoint = "unknown";

enum class Resource {
  None,
  OpenApi,
  Node,
  Sessions,
  Session,
  Viewers,
  Viewer,
  Snapshot,
  Recordings,
  Recording,
  Nodes,
  RecordingList
};

struct Operation {
  const char *method;
  const char *id; /* the OpenAPI operationId; the endpoint in /metrics */
  guint scope;    /* 0: no key needed */
};

struct Route {
  Resource resource = Resource::None;
  std::string pin;
  std::string viewer;
  std::string recording;
};

std::vector<Operation> operations_of (Resource resource)
{
  switch (resource) {
  case Resource::OpenApi:
    return { { "GET", "getOpenApi", 0 } };
  case Resource::Node:
    return { { "GET", "getNode", kScopeAdmin } };
  case Resource::Sessions:
    return { { "GET", "listSessions", kScopeRead }, { "POST", "createSession", kScopeWrite } };
  case Resource::Session:
    return { { "GET", "getSession", kScopeRead }, { "DELETE", "endSession", kScopeWrite } };
  case Resource::Viewers:
    return { { "GET", "listViewers", kScopeRead } };
  case Resource::Viewer:
    return { { "DELETE", "kickViewer", kScopeWrite } };
  case Resource::Snapshot:
    return { { "GET", "getSnapshot", kScopeRead } };
  case Resource::Recordings:
    return { { "POST", "createRecording", kScopeWrite } };
  case Resource::Recording:
    return { { "GET", "getRecording", kScopeRead } };
  case Resource::Nodes:
    return { { "GET", "listNodes", kScopeAdmin } };
  case Resource::RecordingList:
    return { { "GET", "listRecordings", kScopeRead } };
  case Resource::None:
    break;
  }
  return {};
}

/* The resource of an /api/v1/ path: "openapi.json", "node", "sessions",
 * "sessions/{pin}", "sessions/{pin}/viewers", "sessions/{pin}/viewers/{id}",
 * "sessions/{pin}/snapshot.jpg", "sessions/{pin}/recordings", "nodes",
 * "recordings", "recordings/{id}"; None for anything else (an empty segment,
 * a trailing slash). */
Route route_of (const char *path)
{
  Route r;
  const gsize prefix = strlen (kApiPrefix);
  if (strncmp (path, kApiPrefix, prefix) != 0)
    return r;
  gchar **parts = g_strsplit (path + prefix, "/", 6);
  std::vector<std::string> seg;
  for (gchar **p = parts; *p; p++)
    seg.emplace_back (*p);
  g_strfreev (parts);
  if (std::any_of (seg.begin (), seg.end (), [] (const std::string &s) { return s.empty (); }))
    return r;
  if (seg.size () == 1 && seg[0] == "openapi.json")
    r.resource = Resource::OpenApi;
  else if (seg.size () == 1 && seg[0] == "node")
    r.resource = Resource::Node;
  else if (seg.size () == 1 && seg[0] == "nodes")
    r.resource = Resource::Nodes;
  else if (seg.size () == 1 && seg[0] == "recordings")
    r.resource = Resource::RecordingList;
  else if (seg.size () == 2 && seg[0] == "recordings") {
    r.resource = Resource::Recording;
    r.recording = seg[1];
    return r;
  } else if (seg.empty () || seg[0] != "sessions")
    return r;
  else if (seg.size () == 1)
    r.resource = Resource::Sessions;
  else if (seg.size () == 2)
    r.resource = Resource::Session;
  else if (seg.size () == 3 && seg[2] == "viewers")
    r.resource = Resource::Viewers;
  else if (seg.size () == 3 && seg[2] == "snapshot.jpg")
    r.resource = Resource::Snapshot;
  else if (seg.size () == 3 && seg[2] == "recordings")
    r.resource = Resource::Recordings;
  else if (seg.size () == 4 && seg[2] == "viewers")
    r.resource = Resource::Viewer;
  if (seg.size () >= 2)
    r.pin = seg[1];
  if (seg.size () == 4)
    r.viewer = seg[3];
  return r;
}

/* One line a person may read: valid UTF-8, no control characters. */
bool is_one_line (const std::string &text)
{
  if (!g_utf8_validate (text.data (), (gssize) text.size (), nullptr))
    return false;
  return std::none_of (text.begin (), text.end (),
                       [] (char c) { return (guchar) c < 0x20 || c == 0x7f; });
}

/* The query's parameters; false with `error` set when one is not in
 * `known`, or the query is not well formed. */
bool query_params (SoupServerMessage *msg, std::initializer_list<const char *> known,
                   std::map<std::string, std::string> &out, std::string &error)
{
  const char *query = g_uri_get_query (soup_server_message_get_uri (msg));
  if (!query || !*query)
    return true;
  GError *err = nullptr;
  GHashTable *params = g_uri_parse_params (query, -1, "&", G_URI_PARAMS_WWW_FORM, &err);
  if (!params) {
    error = std::string ("The query is not well formed: ") + err->message;
    g_error_free (err);
    return false;
  }
  GHashTableIter it;
  gpointer key, value;
  g_hash_table_iter_init (&it, params);
  bool ok = true;
  while (ok && g_hash_table_iter_next (&it, &key, &value)) {
    std::string name = static_cast<const char *> (key);
    if (std::none_of (known.begin (), known.end (), [&] (const char *k) { return name == k; })) {
      error = "Unknown query parameter \"" + name.substr (0, 32) + "\".";
      ok = false;
    } else
      out[name] = static_cast<const char *> (value);
  }
  g_hash_table_unref (params);
  return ok;
}

/* A whole number within [min, max] written in decimal digits. */
bool parse_query_number (const std::string &text, gint64 min, gint64 max, gint64 &out)
{
  if (text.empty () || text.size () > 12 ||
      !std::all_of (text.begin (), text.end (), [] (char c) { return c >= '0' && c <= '9'; }))
    return false;
  out = g_ascii_strtoll (text.c_str (), nullptr, 10);
  return out >= min && out <= max;
}

/* The `reason` query parameter of the DELETE endpoints: one line of at most
 * kMaxReasonBytes bytes; false with `error` set otherwise. */
bool reason_param (SoupServerMessage *msg, std::string &reason, std::string &error)
{
  std::map<std::string, std::string> params;
  if (!query_params (msg, { "reason" }, params, error))
    return false;
  reason = params["reason"];
  if (reason.size () > proto::kMaxReasonBytes || !is_one_line (reason)) {
    error = "\"reason\" is one line of at most " + std::to_string (proto::kMaxReasonBytes) +
            " bytes of UTF-8.";
    return false;
  }
  return true;
}

void add_string (JsonBuilder *b, const char *name, const std::string &value)
{
  json_builder_set_member_name (b, name);
  json_builder_add_string_value (b, value.c_str ());
}

void add_int (JsonBuilder *b, const char *name, gint64 value)
{
  json_builder_set_member_name (b, name);
  json_builder_add_int_value (b, value);
}

void add_capabilities (JsonBuilder *b, const char *name, guint caps)
{
  json_builder_set_member_name (b, name);
  json_builder_begin_array (b);
  for (const auto &n : proto::capability_names (caps))
    json_builder_add_string_value (b, n.c_str ());
  json_builder_end_array (b);
}

/* What the request asks of a new reservation (POST /api/v1/sessions). */
struct ReservationRequest {
  int max_viewers = 1;
  gint64 ttl_s = 0;
  guint capabilities = GV_CAPABILITY_VIEW;
  std::string label;
};

/* Reads the body of POST /api/v1/sessions: empty, or a JSON object with
 * only the members below. False with `error` set otherwise. */
bool parse_reservation (GBytes *body, ReservationRequest &req, std::string &error)
{
  gsize len = 0;
  const char *data = body ? static_cast<const char *> (g_bytes_get_data (body, &len)) : nullptr;
  if (len == 0)
    return true;
  if (!proto::nesting_within (data, len, kMaxBodyNesting)) {
    error = "The body nests deeper than " + std::to_string (kMaxBodyNesting) + " levels.";
    return false;
  }
  JsonParser *parser = json_parser_new_immutable ();
  GError *err = nullptr;
  bool ok = json_parser_load_from_data (parser, data, (gssize) len, &err);
  if (!ok) {
    error = std::string ("The body is not valid JSON: ") + err->message;
    g_error_free (err);
    g_object_unref (parser);
    return false;
  }
  JsonNode *root = json_parser_get_root (parser);
  if (!root || !JSON_NODE_HOLDS_OBJECT (root)) {
    error = "The body is not a JSON object.";
    g_object_unref (parser);
    return false;
  }
  JsonObject *obj = json_node_get_object (root);
  GList *members = json_object_get_members (obj);
  for (GList *l = members; l && ok; l = l->next) {
    std::string name = static_cast<const char *> (l->data);
    JsonNode *node = json_object_get_member (obj, name.c_str ());
    bool is_int = JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_INT64;
    if (name == "max_viewers") {
      gint64 v = is_int ? json_node_get_int (node) : 0;
      ok = is_int && v >= 1 && v <= proto::kMaxViewersLimit;
      if (!ok)
        error = "\"max_viewers\" is a whole number from 1 to " +
                std::to_string (proto::kMaxViewersLimit) + ".";
      req.max_viewers = (int) v;
    } else if (name == "ttl") {
      gint64 v = is_int ? json_node_get_int (node) : 0;
      ok = is_int && v >= kMinReservationTtlS && v <= kMaxReservationTtlS;
      if (!ok)
        error = "\"ttl\" is a whole number of seconds from " +
                std::to_string (kMinReservationTtlS) + " to " +
                std::to_string (kMaxReservationTtlS) + ".";
      req.ttl_s = v;
    } else if (name == "label") {
      ok = JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING;
      if (ok)
        req.label = json_node_get_string (node);
      ok = ok && req.label.size () <= kMaxLabelBytes && is_one_line (req.label);
      if (!ok)
        error = "\"label\" is one line of at most " + std::to_string (kMaxLabelBytes) + " bytes.";
    } else if (name == "capabilities") {
      ok = JSON_NODE_HOLDS_ARRAY (node);
      JsonArray *arr = ok ? json_node_get_array (node) : nullptr;
      guint caps = GV_CAPABILITY_VIEW;
      for (guint i = 0; ok && i < json_array_get_length (arr); i++) {
        JsonNode *item = json_array_get_element (arr, i);
        std::optional<guint> bit;
        if (JSON_NODE_HOLDS_VALUE (item) && json_node_get_value_type (item) == G_TYPE_STRING)
          bit = proto::capability_from_name (json_node_get_string (item));
        ok = bit.has_value ();
        caps |= bit.value_or (0);
      }
      if (!ok)
        error = "\"capabilities\" is a list of capability names (view, control, clipboard, "
                "file, chat, source).";
      req.capabilities = caps;
    } else {
      ok = false;
      error = "Unknown member \"" + name.substr (0, 32) +
              "\"; a reservation takes max_viewers, ttl, capabilities and label.";
    }
  }
  g_list_free (members);
  g_object_unref (parser);
  return ok;
}

/* This node's name in the API's answers: its host name. One node per
 * process today; with a cluster (issue 14 item 1) each session names the
 * node that holds it. */
const char *node_name ()
{
  return g_get_host_name ();
}

void add_viewer (JsonBuilder *b, const Viewer &v)
{
  json_builder_begin_object (b);
  add_string (b, "id", v.id);
  add_string (b, "name", v.name);
  add_string (b, "address", v.address);
  add_string (b, "state", v.admitted ? "admitted" : "pending");
  add_capabilities (b, "capabilities", v.capabilities);
  add_string (b, "joined_with", v.invite_id.empty () ? "pin" : "invite");
  json_builder_end_object (b);
}

/* The API's view of a session (the Session schema of openapi.json), with
 * its viewers when `with_viewers` (listSessions' include=viewers). PINs
 * are shown whole: the API is for integrators holding a key, who hand the
 * PIN on. */
void add_session (JsonBuilder *b, const ServerImpl &server, const Session &s,
                  const std::string &base, bool with_viewers = false)
{
  gint64 now = g_get_real_time ();
  json_builder_begin_object (b);
  add_string (b, "pin", s.pin);
  add_string (b, "session", s.id);
  add_string (b, "state", s.reserved () ? "reserved" : "live");
  add_string (b, "label", s.label);
  add_int (b, "created_at", s.created_at_us / G_USEC_PER_SEC);
  add_int (b, "expires_at", s.expires_at_us / G_USEC_PER_SEC);
  json_builder_set_member_name (b, "pin_expired");
  json_builder_add_boolean_value (b, now >= s.expires_at_us);
  add_int (b, "max_viewers", s.max_viewers);
  add_int (b, "uses_spent", s.uses_spent);
  add_int (b, "viewers_admitted", s.admitted ());
  add_int (b, "viewers_pending", s.pending ());
  auto host = s.reserved () ? server.connections.end () : server.connections.find (s.host_peer);
  json_builder_set_member_name (b, "host_address");
  if (host != server.connections.end ())
    json_builder_add_string_value (b, host->second->address.c_str ());
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "host_peer");
  if (s.reserved ())
    json_builder_add_null_value (b);
  else
    json_builder_add_string_value (b, s.host_peer.c_str ());
  add_string (b, "node", node_name ());
  add_string (b, "viewer_url", base + "/?pin=" + s.pin);
  if (with_viewers) {
    json_builder_set_member_name (b, "viewers");
    json_builder_begin_array (b);
    for (const auto &kv : s.viewers)
      add_viewer (b, kv.second);
    json_builder_end_array (b);
  }
  json_builder_end_object (b);
}

JsonNode *finish (JsonBuilder *b)
{
  JsonNode *root = json_builder_get_root (b);
  g_object_unref (b);
  return root;
}

/* This process's resident set in bytes, from /proc/self/statm (its second
 * field, in pages); nothing where there is no /proc. */
std::optional<gint64> resident_bytes ()
{
  gchar *text = nullptr;
  if (!g_file_get_contents ("/proc/self/statm", &text, nullptr, nullptr))
    return std::nullopt;
  gchar **fields = g_strsplit (text, " ", 3);
  std::optional<gint64> out;
  long page = sysconf (_SC_PAGESIZE);
  if (fields[0] && fields[1] && page > 0)
    out = g_ascii_strtoll (fields[1], nullptr, 10) * page;
  g_strfreev (fields);
  g_free (text);
  return out;
}

/* GET /api/v1/node: this node and its load (the Node schema). */
JsonNode *node_json (const ServerImpl &server)
{
  gint64 live = 0;
  for (const auto &kv : server.registry.sessions ())
    live += kv.second.reserved () ? 0 : 1;
  gint64 uptime_us = g_get_monotonic_time () - server.started_us;
  JsonBuilder *b = json_builder_new ();
  json_builder_begin_object (b);
  add_string (b, "node", server.cluster ? server.cluster->node () : node_name ());
  add_string (b, "version", VERSION);
  add_int (b, "started_at", (g_get_real_time () - uptime_us) / G_USEC_PER_SEC);
  add_int (b, "uptime_s", uptime_us / G_USEC_PER_SEC);
  add_int (b, "sessions", (gint64) server.registry.session_count ());
  add_int (b, "sessions_live", live);
  add_int (b, "sessions_reserved", (gint64) server.registry.session_count () - live);
  add_int (b, "max_sessions", server.config.max_sessions);
  add_int (b, "viewers", (gint64) server.registry.viewer_count ());
  add_int (b, "connections", (gint64) server.connections.size ());
  json_builder_set_member_name (b, "rss_bytes");
  if (auto rss = resident_bytes ())
    json_builder_add_int_value (b, *rss);
  else
    json_builder_add_null_value (b);
  add_int (b, "messages_relayed", (gint64) server.metrics.messages_relayed);
  add_int (b, "fallback_bytes_relayed", (gint64) server.metrics.fallback_bytes_relayed);
  json_builder_set_member_name (b, "recorder_pool");
  json_builder_add_boolean_value (b, server.cluster != nullptr);
  json_builder_end_object (b);
  return finish (b);
}

} // namespace

void ServerImpl::count_api_request (const char *endpoint, const char *outcome)
{
  metrics.api_requests[{ endpoint, outcome }]++;
}

void ServerImpl::api_respond (SoupServerMessage *msg, const char *endpoint, guint status,
                              JsonNode *root)
{
  count_api_request (endpoint, "ok");
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Cache-Control",
                                "no-store");
  soup_server_message_set_status (msg, status, nullptr);
  if (!root)
    return;
  gchar *text = json_to_string (root, FALSE);
  json_node_unref (root);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_TAKE, text, strlen (text));
}

void ServerImpl::api_error (SoupServerMessage *msg, const char *endpoint, guint status,
                            const char *code, const std::string &message)
{
  count_api_request (endpoint, code);
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Cache-Control",
                                "no-store");
  respond_error (msg, status, code, message);
}

bool ServerImpl::handle_api (SoupServerMessage *msg, const char *path)
{
  if (strncmp (path, "/api/", 5) != 0)
    return false;
  if (soup_server_message_get_status (msg) != 0)
    return true; /* answered already (http_guard.h: a body over the limit) */
  if (!api_keys) {
    api_error (msg, kUnknownEndpoint, SOUP_STATUS_NOT_FOUND, "NOT_FOUND",
               "The session API is not enabled on this server (--api-keys).");
    return true;
  }
  Route route = route_of (path);
  std::vector<Operation> ops = operations_of (route.resource);
  if (ops.empty ()) {
    api_error (msg, kUnknownEndpoint, SOUP_STATUS_NOT_FOUND, "NOT_FOUND",
               "No API endpoint at this path; the API is described at /api/v1/openapi.json.");
    return true;
  }
  const char *method = soup_server_message_get_method (msg);
  auto op = std::find_if (ops.begin (), ops.end (),
                          [method] (const Operation &o) { return strcmp (o.method, method) == 0; });
  if (op == ops.end ()) {
    std::string allow;
    for (const auto &o : ops)
      allow += (allow.empty () ? "" : ", ") + std::string (o.method);
    soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Allow",
                                  allow.c_str ());
    api_error (msg, kUnknownEndpoint, SOUP_STATUS_METHOD_NOT_ALLOWED, "METHOD_NOT_ALLOWED",
               std::string (method) + " is not allowed here; this endpoint takes " + allow + ".");
    return true;
  }

  std::string key_name;
  if (op->scope) {
    const char *authorization = soup_message_headers_get_one (
        soup_server_message_get_request_headers (msg), "Authorization");
    ApiKeyCheck key = api_keys->check (authorization, op->scope, g_get_monotonic_time ());
    bool snapshot = route.resource == Resource::Snapshot;
    switch (key.result) {
    case ApiKeyCheck::Result::Ok:
      break;
    case ApiKeyCheck::Result::Missing:
    case ApiKeyCheck::Result::Unknown:
      if (snapshot)
        metrics.snapshots["unauthorized"]++;
      soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                    "WWW-Authenticate", "Bearer realm=\"ghostview\"");
      api_error (msg, op->id, SOUP_STATUS_UNAUTHORIZED, "UNAUTHORIZED", key.message);
      return true;
    case ApiKeyCheck::Result::Forbidden:
      if (snapshot)
        metrics.snapshots["forbidden"]++;
      api_error (msg, op->id, SOUP_STATUS_FORBIDDEN, "FORBIDDEN", key.message);
      return true;
    case ApiKeyCheck::Result::RateLimited:
      metrics.rate_limited["api"]++;
      api_error (msg, op->id, kStatusTooManyRequests, "RATE_LIMITED", key.message);
      return true;
    }
    key_name = key.name;
  }

  switch (route.resource) {
  case Resource::OpenApi:
    api_openapi (msg, op->id);
    break;
  case Resource::Node: {
    std::map<std::string, std::string> none;
    std::string error;
    if (!query_params (msg, {}, none, error))
      api_error (msg, op->id, SOUP_STATUS_BAD_REQUEST, "BAD_REQUEST", error);
    else
      api_respond (msg, op->id, SOUP_STATUS_OK, node_json (*this));
    break;
  }
  case Resource::Sessions:
    if (strcmp (method, "POST") == 0)
      api_create_session (msg, op->id, key_name);
    else
      api_list_sessions (msg, op->id);
    break;
  case Resource::Snapshot:
    request_snapshot (msg, route.pin, key_name);
    break;
  case Resource::Recordings:
    api_create_recording (msg, op->id, route.pin);
    break;
  case Resource::Recording:
    api_get_recording (msg, op->id, route.recording);
    break;
  case Resource::Nodes:
  case Resource::RecordingList: {
    std::map<std::string, std::string> none;
    std::string error;
    if (!query_params (msg, {}, none, error))
      api_error (msg, op->id, SOUP_STATUS_BAD_REQUEST, "BAD_REQUEST", error);
    else if (route.resource == Resource::Nodes)
      api_list_nodes (msg, op->id);
    else
      api_list_recordings (msg, op->id);
    break;
  }
  default:
    api_session_request (msg, op->id, route.resource == Resource::Session,
                         strcmp (method, "DELETE") == 0, route.pin, route.viewer);
    break;
  }
  return true;
}

void ServerImpl::api_openapi (SoupServerMessage *msg, const char *endpoint)
{
  GBytes *doc = g_resource_lookup_data (gv_signaling_get_resource (), kOpenApiResource,
                                        G_RESOURCE_LOOKUP_FLAGS_NONE, nullptr);
  if (!doc) {
    api_error (msg, endpoint, SOUP_STATUS_INTERNAL_SERVER_ERROR, "INTERNAL",
               "The OpenAPI document is missing from this build.");
    return;
  }
  count_api_request (endpoint, "ok");
  soup_server_message_set_status (msg, SOUP_STATUS_OK, nullptr);
  gsize len = 0;
  const char *data = static_cast<const char *> (g_bytes_get_data (doc, &len));
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_COPY, data, len);
  g_bytes_unref (doc);
}

void ServerImpl::api_list_sessions (SoupServerMessage *msg, const char *endpoint)
{
  std::map<std::string, std::string> params;
  std::string error;
  gint64 limit = kDefaultListLimit, offset = 0;
  if (!query_params (msg, { "limit", "offset", "include" }, params, error)) {
    api_error (msg, endpoint, SOUP_STATUS_BAD_REQUEST, "BAD_REQUEST", error);
    return;
  }
  if ((params.count ("limit") && !parse_query_number (params["limit"], 1, kMaxListLimit, limit)) ||
      (params.count ("offset") && !parse_query_number (params["offset"], 0, G_MAXINT32, offset))) {
    api_error (msg, endpoint, SOUP_STATUS_BAD_REQUEST, "BAD_REQUEST",
               "\"limit\" is 1 to " + std::to_string (kMaxListLimit) +
                   ", \"offset\" a whole number from 0.");
    return;
  }
  bool with_viewers = params.count ("include") != 0;
  if (with_viewers && params["include"] != "viewers") {
    api_error (msg, endpoint, SOUP_STATUS_BAD_REQUEST, "BAD_REQUEST",
               "\"include\" takes one value: viewers.");
    return;
  }
  /* Oldest first; the PIN breaks ties, so pages do not shift between
   * requests unless sessions come or go. */
  std::vector<const Session *> all;
  all.reserve (registry.session_count ());
  for (const auto &kv : registry.sessions ())
    all.push_back (&kv.second);
  std::sort (all.begin (), all.end (), [] (const Session *a, const Session *b) {
    return a->created_at_us != b->created_at_us ? a->created_at_us < b->created_at_us
                                                : a->pin < b->pin;
  });
  std::string base = page_base (msg);
  JsonBuilder *b = json_builder_new ();
  json_builder_begin_object (b);
  add_int (b, "total", (gint64) all.size ());
  json_builder_set_member_name (b, "sessions");
  json_builder_begin_array (b);
  for (gint64 i = offset; i < (gint64) all.size () && i < offset + limit; i++)
    add_session (b, *this, *all[i], base, with_viewers);
  json_builder_end_array (b);
  json_builder_end_object (b);
  api_respond (msg, endpoint, SOUP_STATUS_OK, finish (b));
}

void ServerImpl::api_create_session (SoupServerMessage *msg, const char *endpoint,
                                     const std::string &key_name)
{
  ReservationRequest req;
  req.ttl_s = CLAMP ((gint64) config.pin_ttl_s, kMinReservationTtlS, kMaxReservationTtlS);
  std::string error;
  GBytes *body = soup_message_body_flatten (soup_server_message_get_request_body (msg));
  bool ok = parse_reservation (body, req, error);
  g_bytes_unref (body);
  if (!ok) {
    api_error (msg, endpoint, SOUP_STATUS_BAD_REQUEST, "BAD_REQUEST", error);
    return;
  }
  if (registry.session_count () >= config.max_sessions) {
    api_error (msg, endpoint, SOUP_STATUS_SERVICE_UNAVAILABLE, "AT_CAPACITY",
               "The server is at capacity. Try again later.");
    return;
  }
  gint64 now = g_get_real_time ();
  /* Sessions reserved during a flood of wrong PINs get 9 digits, as
   * sessions hosts register do. */
  int pin_digits =
      guesses.flood_mode (g_get_monotonic_time ()) ? proto::kMaxPinDigits : proto::kMinPinDigits;
  InviteClaim invite;
  invite.id = new_invite_id ();
  Session *s =
      invite.id.empty ()
          ? nullptr
          : registry.reserve (req.max_viewers, now + req.ttl_s * G_USEC_PER_SEC, now, pin_digits);
  if (!s) {
    api_error (msg, endpoint, SOUP_STATUS_SERVICE_UNAVAILABLE, "AT_CAPACITY",
               invite.id.empty () ? "The server's random source failed." : no_pin_reason ());
    return;
  }
  s->label = req.label;
  s->reserved_by = key_name;
  metrics.reservations_made++;
  notify (event::kSessionCreated, *s);
  invite.session = s->id;
  invite.capabilities = req.capabilities;
  invite.uses = s->max_viewers;
  invite.expires_at = s->expires_at_us / G_USEC_PER_SEC;
  std::string invite_token = make_invite_token (session_key, invite);
  std::string base = page_base (msg);

  JsonBuilder *b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "session");
  add_session (b, *this, *s, base);
  add_string (b, "reservation_token", make_reservation_token (session_key, s->id));
  json_builder_set_member_name (b, "invite");
  json_builder_begin_object (b);
  add_string (b, "token", invite_token);
  add_string (b, "url", base + "/?invite=" + invite_token);
  add_capabilities (b, "capabilities", invite.capabilities);
  add_int (b, "uses", invite.uses);
  add_int (b, "expires_at", invite.expires_at);
  json_builder_end_object (b);
  json_builder_end_object (b);
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Location",
                                (std::string (kApiPrefix) + "sessions/" + s->pin).c_str ());
  api_respond (msg, endpoint, SOUP_STATUS_CREATED, finish (b));
}

void ServerImpl::api_session_request (SoupServerMessage *msg, const char *endpoint,
                                      bool whole_session, bool remove, const std::string &pin,
                                      const std::string &viewer)
{
  std::string reason, error;
  if (remove && !reason_param (msg, reason, error)) {
    api_error (msg, endpoint, SOUP_STATUS_BAD_REQUEST, "BAD_REQUEST", error);
    return;
  }
  if (!remove) {
    std::map<std::string, std::string> none;
    if (!query_params (msg, {}, none, error)) {
      api_error (msg, endpoint, SOUP_STATUS_BAD_REQUEST, "BAD_REQUEST", error);
      return;
    }
  }
  Session *s = registry.find_by_pin (pin);
  if (!s) {
    api_error (msg, endpoint, SOUP_STATUS_NOT_FOUND, "SESSION_NOT_FOUND",
               is_pin_shaped (pin) ? "No live session has PIN " + pin + "."
                                   : std::string ("A PIN is 6 to 9 digits."));
    return;
  }
  std::string said = reason.empty () ? "." : ": " + reason;

  if (whole_session && remove) {
    std::string id = s->id;
    if (!s->reserved ())
      ended_by_api[id] = s->expires_at_us;
    end_session (id, proto::kReasonHostEnded, "The session was ended by its operator" + said,
                 "The session was ended through the session API" + said);
    api_respond (msg, endpoint, SOUP_STATUS_NO_CONTENT, nullptr);
    return;
  }
  if (whole_session) {
    JsonBuilder *b = json_builder_new ();
    add_session (b, *this, *s, page_base (msg));
    api_respond (msg, endpoint, SOUP_STATUS_OK, finish (b));
    return;
  }
  if (remove) {
    if (!find_viewer (*s, viewer)) {
      api_error (msg, endpoint, SOUP_STATUS_NOT_FOUND, "VIEWER_NOT_FOUND",
                 "The session with PIN " + pin + " has no viewer \"" + viewer.substr (0, 64) +
                     "\".");
      return;
    }
    drop_viewer (*s, viewer, proto::kReasonRemoved, proto::kReasonRemoved,
                 "The session's operator removed you from the session" + said);
    api_respond (msg, endpoint, SOUP_STATUS_NO_CONTENT, nullptr);
    return;
  }
  JsonBuilder *b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "viewers");
  json_builder_begin_array (b);
  for (const auto &kv : s->viewers)
    add_viewer (b, kv.second);
  json_builder_end_array (b);
  json_builder_end_object (b);
  api_respond (msg, endpoint, SOUP_STATUS_OK, finish (b));
}

} // namespace gv::signaling
