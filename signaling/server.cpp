#include "server.h"

#include "http_errors.h"
#include "resume_token.h"
#include "server_impl.h"
#include "static_files.h"

#include <climits>
#include <sys/socket.h>
#include <cstdlib>

namespace gv::signaling {
namespace {

void http_callback (SoupServer *, SoupServerMessage *msg, const char *path, GHashTable *,
                    gpointer user_data)
{
  static_cast<ServerImpl *> (user_data)->handle_http (msg, path);
}

/* Runs when /ws's request headers are in: a request that is no WebSocket
 * handshake gets the JSON error of every endpoint (libsoup's own answer
 * would be an HTML page) and its body is never looked at. */
void websocket_early_callback (SoupServer *, SoupServerMessage *msg, const char *, GHashTable *,
                               gpointer user_data)
{
  GError *error = nullptr;
  if (soup_websocket_server_check_handshake (msg, nullptr, nullptr, nullptr, &error))
    return;
  auto *self = static_cast<ServerImpl *> (user_data);
  add_security_headers (soup_server_message_get_response_headers (msg), self->https ());
  respond_error (msg, SOUP_STATUS_BAD_REQUEST, "NOT_WEBSOCKET",
                 std::string ("/ws is the WebSocket endpoint: ") + error->message);
  g_error_free (error);
}

/* The 101 is out: from here the connection is a WebSocket, read and
 * written on one of the I/O threads (ws_io_threads.h) inside the frame and
 * message limits of ws_limited_stream.h. */
void websocket_upgraded_callback (SoupServerMessage *msg, gpointer user_data)
{
  auto *self = static_cast<ServerImpl *> (user_data);
  std::string address = self->http_guard->upgraded (msg);
  GIOStream *stream = soup_server_message_steal_connection (msg);
  const char *origin =
      soup_message_headers_get_one (soup_server_message_get_request_headers (msg), "Origin");
  auto channel = self->ws_threads->adopt (stream, soup_server_message_get_uri (msg), origin);
  g_object_unref (stream);
  if (!address.empty ())
    channel->on_closed = [guard = self->http_guard.get (), address] {
      guard->websocket_gone (address);
    };
  self->handle_websocket (msg, std::move (channel));
}

void websocket_callback (SoupServer *, SoupServerMessage *msg, const char *, GHashTable *,
                         gpointer user_data)
{
  /* No extensions: permessage-deflate would inflate a frame with no bound
   * on the result (a 1 MiB frame of zeros is 1 GiB); our messages are
   * small JSON. */
  if (!soup_websocket_server_process_handshake (msg, nullptr, nullptr, nullptr, nullptr)) {
    add_security_headers (soup_server_message_get_response_headers (msg),
                          static_cast<ServerImpl *> (user_data)->https ());
    respond_error (msg, SOUP_STATUS_BAD_REQUEST, "NOT_WEBSOCKET",
                   "/ws is the WebSocket endpoint: the handshake is not valid.");
    return;
  }
  g_signal_connect (msg, "wrote-informational", G_CALLBACK (websocket_upgraded_callback),
                    user_data);
}

gboolean housekeeping_callback (gpointer user_data)
{
  static_cast<ServerImpl *> (user_data)->housekeeping ();
  return G_SOURCE_CONTINUE;
}

/* soup_server_listen() keeps GLib's listen backlog of 10, so a burst of
 * connects (many viewers joining at once) loses SYNs and waits seconds for
 * TCP retries. Listen on our own socket with the system's maximum. */
GSocket *listening_socket (GInetAddress *inet, guint16 port, GError **error)
{
  GSocket *sock = g_socket_new (g_inet_address_get_family (inet), G_SOCKET_TYPE_STREAM,
                                G_SOCKET_PROTOCOL_TCP, error);
  if (!sock)
    return nullptr;
  GSocketAddress *addr = g_inet_socket_address_new (inet, port);
  g_socket_set_listen_backlog (sock, SOMAXCONN);
  bool ok = g_socket_bind (sock, addr, TRUE, error) && g_socket_listen (sock, error);
  g_object_unref (addr);
  if (!ok)
    g_clear_object (&sock);
  return sock;
}

void respond (SoupServerMessage *msg, guint status, const char *mime, std::string body)
{
  soup_server_message_set_status (msg, status, nullptr);
  soup_server_message_set_response (msg, mime, SOUP_MEMORY_COPY, body.data (), body.size ());
}

/* The JSON error of a static-file status that is not 200. */
void respond_static_error (SoupServerMessage *msg, guint status, const char *path)
{
  std::string where (path);
  if (where.size () > 200)
    where = where.substr (0, 200) + "...";
  switch (status) {
  case SOUP_STATUS_NOT_FOUND:
    respond_error (msg, status, "NOT_FOUND", "No page at " + where + ".");
    return;
  case SOUP_STATUS_FORBIDDEN:
    respond_error (msg, status, "FORBIDDEN",
                   "Only files inside the web root are served; " + where + " is not one.");
    return;
  default:
    respond_error (msg, SOUP_STATUS_BAD_REQUEST, "BAD_PATH",
                   "The path holds an encoded slash, a backslash, a NUL or bad escaping.");
  }
}

} // namespace

ServerImpl::ServerImpl (const ServerConfig &cfg)
    : config (cfg), create_limiter (cfg.create_burst, cfg.create_per_s), guesses (cfg.guess_limits)
{}

ServerImpl::~ServerImpl ()
{
  stop ();
}

bool ServerImpl::start (GError **error)
{
  if (!config.web_root.empty ()) {
    char resolved[PATH_MAX];
    if (!realpath (config.web_root.c_str (), resolved)) {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT, "web root %s does not exist",
                   config.web_root.c_str ());
      return false;
    }
    web_root = resolved;
  }

  if (!load_session_key (config.session_key_file, session_key, error))
    return false;

  GTlsCertificate *cert = nullptr;
  if (config.tls ()) {
    cert = g_tls_certificate_new_from_files (config.tls_cert_file.c_str (),
                                             config.tls_key_file.c_str (), error);
    if (!cert)
      return false;
  }
  /* raw-paths: libsoup leaves percent-escapes alone, so the static-file
   * resolver decodes a path exactly once (and refuses an encoded slash). */
  soup = SOUP_SERVER (g_object_new (SOUP_TYPE_SERVER, "server-header", "ghostview-signaling",
                                    "tls-certificate", cert, "raw-paths", TRUE, nullptr));
  g_clear_object (&cert);
  http_guard = std::make_unique<HttpGuard> (
      config.trust_proxy ? 0 : config.max_connections_per_address, config.http_timeout_s, https ());
  http_guard->attach (soup);

  soup_server_add_handler (soup, "/ws", websocket_callback, this, nullptr);
  soup_server_add_early_handler (soup, "/ws", websocket_early_callback, this, nullptr);
  soup_server_add_handler (soup, nullptr, http_callback, this, nullptr);

  GInetAddress *inet = g_inet_address_new_from_string (config.address.c_str ());
  if (!inet) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "%s is not an IP address",
                 config.address.c_str ());
    g_clear_object (&soup);
    return false;
  }
  GSocket *listener = listening_socket (inet, (guint16) config.port, error);
  g_object_unref (inet);
  SoupServerListenOptions opts =
      config.tls () ? SOUP_SERVER_LISTEN_HTTPS : (SoupServerListenOptions) 0;
  bool ok = listener && soup_server_listen_socket (soup, listener, opts, error);
  g_clear_object (&listener);
  if (!ok) {
    g_clear_object (&soup);
    return false;
  }

  GSList *uris = soup_server_get_uris (soup);
  port = uris ? (guint) g_uri_get_port ((GUri *) uris->data) : config.port;
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);

  if (!config.redis_url.empty () && !start_cluster (error)) {
    http_guard->detach ();
    soup_server_disconnect (soup);
    g_clear_object (&soup);
    return false;
  }
  ws_threads = std::make_unique<WsIoThreads> (
      WsIoThreads::sized (config.io_threads, kMaxWebSocketBytes, (guint) config.keepalive_s),
      [this] (const WsEvent &event) { handle_ws_event (event); });
  started_us = g_get_monotonic_time ();
  housekeeping_source = g_timeout_add_seconds (1, housekeeping_callback, this);
  return true;
}

void ServerImpl::stop ()
{
  if (housekeeping_source) {
    g_source_remove (housekeeping_source);
    housekeeping_source = 0;
  }
  fail_snapshots ("", SOUP_STATUS_SERVICE_UNAVAILABLE, "SHUTTING_DOWN",
                  "The server is shutting down.");
  fail_whep_posts ();
  stop_whip ();
  close_all (SOUP_WEBSOCKET_CLOSE_GOING_AWAY, "server shutting down");
  connections.clear ();
  ws_threads.reset (); /* the closes above go out first */
  cluster.reset ();    /* the other nodes see this one gone at once */
  if (notifier)
    notifier->shutdown ();
  if (http_guard)
    http_guard->detach ();
  if (soup) {
    soup_server_disconnect (soup);
    g_clear_object (&soup);
  }
}

std::string ServerImpl::client_address (SoupServerMessage *msg) const
{
  if (config.trust_proxy) {
    const char *fwd = soup_message_headers_get_list (soup_server_message_get_request_headers (msg),
                                                     "X-Forwarded-For");
    if (fwd) {
      const char *last = strrchr (fwd, ',');
      std::string ip (last ? last + 1 : fwd);
      gchar *stripped = g_strstrip (g_strdup (ip.c_str ()));
      ip = stripped;
      g_free (stripped);
      if (!ip.empty () && ip.size () < 64)
        return ip;
    }
  }
  const char *host = soup_server_message_get_remote_host (msg);
  return host ? host : "unknown";
}

std::string ServerImpl::page_base (SoupServerMessage *msg) const
{
  if (!config.public_url.empty ()) {
    std::string base = config.public_url;
    while (!base.empty () && base.back () == '/')
      base.pop_back ();
    return base;
  }
  const char *host =
      soup_message_headers_get_one (soup_server_message_get_request_headers (msg), "Host");
  std::string h = host && strlen (host) < 256 ? host : config.address + ":" + std::to_string (port);
  return std::string (https () ? "https://" : "http://") + h;
}

std::string ServerImpl::healthz_json () const
{
  gchar *text = g_strdup_printf (
      "{\"status\":\"ok\",\"version\":\"%s\",\"protocol\":%d,\"sessions\":%zu,\"viewers\":%zu,"
      "\"connections\":%zu,\"uptime_s\":%" G_GINT64_FORMAT "}",
      VERSION, proto::kVersion, registry.session_count (), registry.viewer_count (),
      connections.size (), (g_get_monotonic_time () - started_us) / G_USEC_PER_SEC);
  std::string out (text);
  g_free (text);
  if (cluster)
    out.insert (out.size () - 1, std::string (",\"node\":\"") + cluster->node () +
                                     "\",\"cluster\":\"" + (cluster->up () ? "up" : "down") + "\"");
  return out;
}

std::string ServerImpl::metrics_text () const
{
  GString *s = g_string_new (nullptr);
  auto gauge = [s] (const char *name, const char *help, guint64 v) {
    g_string_append_printf (s, "# HELP %s %s\n# TYPE %s gauge\n%s %" G_GUINT64_FORMAT "\n", name,
                            help, name, name, v);
  };
  auto counter_head = [s] (const char *name, const char *help) {
    g_string_append_printf (s, "# HELP %s %s\n# TYPE %s counter\n", name, help, name);
  };
  gauge ("ghostview_sessions", "Live sessions.", registry.session_count ());
  gauge ("ghostview_viewers", "Viewers in live sessions (pending and admitted).",
         registry.viewer_count ());
  gauge ("ghostview_connections", "Open WebSocket connections.", connections.size ());
  gauge ("ghostview_guess_flagged_networks",
         "Networks that sent a wrong PIN in the last day (the flood limit applies to them).",
         guesses.flagged_networks ());
  gint64 now = g_get_monotonic_time ();
  gauge ("ghostview_guess_recent_networks",
         "Networks with a wrong PIN in the last 10 minutes (flood mode above --flood-networks).",
         guesses.recent_guessing_networks (now));
  gauge ("ghostview_guess_flood_mode",
         "1 while the server sees a flood of wrong PINs: new sessions get 9-digit PINs.",
         guesses.flood_mode (now) ? 1 : 0);

  if (cluster) {
    gauge ("ghostview_cluster_up", "1 while this node reaches its cluster's Redis.",
           cluster->up () ? 1 : 0);
    counter_head ("ghostview_cluster_joins_routed_total",
                  "Joins sent on to the node that holds their PIN.");
    g_string_append_printf (s, "ghostview_cluster_joins_routed_total %" G_GUINT64_FORMAT "\n",
                            metrics.cluster_joins_routed);
    counter_head ("ghostview_cluster_joins_refused_total",
                  "Joins refused because the PIN's node or Redis could not be reached.");
    for (const auto &[why, n] : metrics.cluster_joins_refused)
      g_string_append_printf (s,
                              "ghostview_cluster_joins_refused_total{reason=\"%s\"} "
                              "%" G_GUINT64_FORMAT "\n",
                              why.c_str (), n);
    counter_head ("ghostview_cluster_messages_total", "Messages between nodes, by direction.");
    g_string_append_printf (s,
                            "ghostview_cluster_messages_total{direction=\"in\"} "
                            "%" G_GUINT64_FORMAT "\n",
                            metrics.cluster_messages_in);
    g_string_append_printf (s,
                            "ghostview_cluster_messages_total{direction=\"out\"} "
                            "%" G_GUINT64_FORMAT "\n",
                            metrics.cluster_messages_out);
  }
  counter_head ("ghostview_sessions_created_total", "Sessions registered.");
  g_string_append_printf (s, "ghostview_sessions_created_total %" G_GUINT64_FORMAT "\n",
                          metrics.sessions_created);
  counter_head ("ghostview_joins_total", "Join attempts by result.");
  g_string_append_printf (s, "ghostview_joins_total{result=\"ok\"} %" G_GUINT64_FORMAT "\n",
                          metrics.joins_ok);
  g_string_append_printf (s, "ghostview_joins_total{result=\"failed\"} %" G_GUINT64_FORMAT "\n",
                          metrics.joins_failed);
  g_string_append_printf (s, "ghostview_joins_total{result=\"accepted\"} %" G_GUINT64_FORMAT "\n",
                          metrics.joins_accepted);
  g_string_append_printf (s, "ghostview_joins_total{result=\"declined\"} %" G_GUINT64_FORMAT "\n",
                          metrics.joins_declined);
  counter_head ("ghostview_invite_joins_total", "Joins with an invite link (of result=ok).");
  g_string_append_printf (s, "ghostview_invite_joins_total %" G_GUINT64_FORMAT "\n",
                          metrics.joins_by_invite);
  counter_head ("ghostview_invites_made_total", "Invite links hosts asked for.");
  g_string_append_printf (s, "ghostview_invites_made_total %" G_GUINT64_FORMAT "\n",
                          metrics.invites_made);
  counter_head ("ghostview_join_failures_total", "Failed joins by error code.");
  for (const auto &[code, n] : metrics.join_failures_by_code)
    g_string_append_printf (s, "ghostview_join_failures_total{code=\"%s\"} %" G_GUINT64_FORMAT "\n",
                            code.c_str (), n);
  counter_head ("ghostview_rate_limited_total", "Requests refused by a rate limit.");
  for (const char *limit : { "create", "join_ip", "join_prefix", "join_flood", "messages",
                             "reports", "restarts", "pictures", "api", "snapshots" }) {
    auto it = metrics.rate_limited.find (limit);
    g_string_append_printf (s, "ghostview_rate_limited_total{limit=\"%s\"} %" G_GUINT64_FORMAT "\n",
                            limit, it == metrics.rate_limited.end () ? 0 : it->second);
  }
  counter_head ("ghostview_messages_relayed_total",
                "SDP, ICE, report and restart messages relayed.");
  g_string_append_printf (s, "ghostview_messages_relayed_total %" G_GUINT64_FORMAT "\n",
                          metrics.messages_relayed);
  counter_head ("ghostview_viewer_reports_total",
                "Viewers' reports of why they see no picture, by problem.");
  for (const char *problem : proto::kProblems) {
    auto it = metrics.reports_by_problem.find (problem);
    g_string_append_printf (
        s, "ghostview_viewer_reports_total{problem=\"%s\"} %" G_GUINT64_FORMAT "\n", problem,
        it == metrics.reports_by_problem.end () ? 0 : it->second);
  }
  counter_head ("ghostview_viewer_restarts_total",
                "Viewers' requests for a new peer connection (Retry).");
  g_string_append_printf (s, "ghostview_viewer_restarts_total %" G_GUINT64_FORMAT "\n",
                          metrics.restarts);
  counter_head ("ghostview_fallback_frames_total",
                "Fallback pictures from hosts: relayed to the viewer, or dropped (it had 4 "
                "unacknowledged).");
  g_string_append_printf (
      s, "ghostview_fallback_frames_total{outcome=\"relayed\"} %" G_GUINT64_FORMAT "\n",
      metrics.fallback_frames_relayed);
  g_string_append_printf (
      s, "ghostview_fallback_frames_total{outcome=\"dropped\"} %" G_GUINT64_FORMAT "\n",
      metrics.fallback_frames_dropped);
  counter_head ("ghostview_fallback_bytes_total", "Bytes of fallback pictures relayed.");
  g_string_append_printf (s, "ghostview_fallback_bytes_total %" G_GUINT64_FORMAT "\n",
                          metrics.fallback_bytes_relayed);
  counter_head ("ghostview_fallback_inputs_total",
                "Input messages relayed from viewers on the fallback.");
  g_string_append_printf (s, "ghostview_fallback_inputs_total %" G_GUINT64_FORMAT "\n",
                          metrics.fallback_inputs_relayed);
  counter_head ("ghostview_snapshots_total", "Snapshot API requests by outcome.");
  for (const char *outcome :
       { "taken", "refused", "timeout", "host-gone", "unauthorized", "forbidden", "no-session" }) {
    auto it = metrics.snapshots.find (outcome);
    g_string_append_printf (s, "ghostview_snapshots_total{outcome=\"%s\"} %" G_GUINT64_FORMAT "\n",
                            outcome, it == metrics.snapshots.end () ? 0 : it->second);
  }
  /* WHEP and WHIP requests, by outcome. */
  struct SdpEndpointCounts {
    const char *metric, *label;
    const std::map<std::string, guint64> &counts;
  };
  for (const SdpEndpointCounts &e :
       { SdpEndpointCounts{ "ghostview_whep_requests_total", "WHEP", metrics.whep },
         SdpEndpointCounts{ "ghostview_whip_requests_total", "WHIP", metrics.whip } }) {
    counter_head (e.metric, (std::string (e.label) +
                             " requests by outcome: ok (answered), deleted, or the error code.")
                                .c_str ());
    for (const auto &[outcome, n] : e.counts)
      g_string_append_printf (s, "%s{outcome=\"%s\"} %" G_GUINT64_FORMAT "\n", e.metric,
                              outcome.c_str (), n);
  }
  counter_head ("ghostview_api_requests_total",
                "Session API requests by endpoint (its operationId; unknown: no such endpoint or "
                "method) and outcome (ok, or the error code).");
  for (const auto &[key, n] : metrics.api_requests)
    g_string_append_printf (
        s, "ghostview_api_requests_total{endpoint=\"%s\",outcome=\"%s\"} %" G_GUINT64_FORMAT "\n",
        key.first.c_str (), key.second.c_str (), n);
  counter_head ("ghostview_reservations_total",
                "Sessions reserved through the session API: made, claimed by their host, expired "
                "unclaimed.");
  g_string_append_printf (s,
                          "ghostview_reservations_total{outcome=\"made\"} %" G_GUINT64_FORMAT "\n",
                          metrics.reservations_made);
  g_string_append_printf (
      s, "ghostview_reservations_total{outcome=\"claimed\"} %" G_GUINT64_FORMAT "\n",
      metrics.reservations_claimed);
  g_string_append_printf (
      s, "ghostview_reservations_total{outcome=\"expired\"} %" G_GUINT64_FORMAT "\n",
      metrics.reservations_expired);
  counter_head ("ghostview_webhooks_total",
                "Notifications (webhooks and Gotify) by outcome: delivered (2xx), retried (an "
                "attempt failed, sent again later), failed (given up after the retries), dropped "
                "(a full queue dropped its oldest).");
  {
    WebhookCounters none;
    const WebhookCounters &w = notifier ? notifier->counters () : none;
    const std::pair<const char *, guint64> outcomes[] = { { "delivered", w.delivered },
                                                          { "retried", w.retried },
                                                          { "failed", w.failed },
                                                          { "dropped", w.dropped } };
    for (const auto &[outcome, n] : outcomes)
      g_string_append_printf (s, "ghostview_webhooks_total{outcome=\"%s\"} %" G_GUINT64_FORMAT "\n",
                              outcome, n);
  }
  gauge ("ghostview_webhooks_queued", "Notifications waiting in the targets' queues.",
         notifier ? notifier->queued () : 0);
  counter_head ("ghostview_messages_rejected_total", "Messages answered with an error.");
  g_string_append_printf (s, "ghostview_messages_rejected_total %" G_GUINT64_FORMAT "\n",
                          metrics.messages_rejected);
  counter_head ("ghostview_connections_total", "WebSocket connections accepted.");
  g_string_append_printf (s, "ghostview_connections_total %" G_GUINT64_FORMAT "\n",
                          metrics.connections_total);
  counter_head ("ghostview_origin_rejected_total", "WebSocket upgrades from a refused origin.");
  g_string_append_printf (s, "ghostview_origin_rejected_total %" G_GUINT64_FORMAT "\n",
                          metrics.origin_rejected);
  counter_head ("ghostview_http_refused_total",
                "HTTP connections closed at once: their address held the most allowed.");
  g_string_append_printf (s, "ghostview_http_refused_total %" G_GUINT64_FORMAT "\n",
                          http_guard ? http_guard->refused : 0);
  counter_head ("ghostview_http_timeouts_total",
                "HTTP connections closed for a request that did not arrive, or idling, in time.");
  g_string_append_printf (s, "ghostview_http_timeouts_total %" G_GUINT64_FORMAT "\n",
                          http_guard ? http_guard->timed_out : 0);
  counter_head ("ghostview_http_too_large_total", "HTTP requests refused for their body size.");
  g_string_append_printf (s, "ghostview_http_too_large_total %" G_GUINT64_FORMAT "\n",
                          http_guard ? http_guard->too_large : 0);
  /* The GString's buffer is ours once freed with FALSE: copy, then free it
   * (every scrape of /metrics leaked it before the soak caught it). */
  gchar *text = g_string_free (s, FALSE);
  std::string out (text);
  g_free (text);
  return out;
}

void ServerImpl::handle_http (SoupServerMessage *msg, const char *path)
{
  add_security_headers (soup_server_message_get_response_headers (msg), https ());
  if (handle_api (msg, path) || handle_whep (msg, path) || handle_whip (msg, path))
    return;
  const char *method = soup_server_message_get_method (msg);
  bool head = strcmp (method, "HEAD") == 0;
  if (strcmp (method, "GET") != 0 && !head) {
    soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Allow",
                                  "GET, HEAD");
    respond_error (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "METHOD_NOT_ALLOWED",
                   std::string ("Only GET and HEAD are served here, not ") + method + ".");
    return;
  }
  if (strcmp (path, "/healthz") == 0) {
    respond (msg, SOUP_STATUS_OK, "application/json", healthz_json ());
    return;
  }
  if (strcmp (path, "/metrics") == 0) {
    respond (msg, SOUP_STATUS_OK, "text/plain; version=0.0.4", metrics_text ());
    return;
  }
  if (web_root.empty ()) {
    respond_error (msg, SOUP_STATUS_NOT_FOUND, "NOT_FOUND", "No web pages are served here.");
    return;
  }

  /* The admin portal (web/admin.html) at a short address. */
  if (strcmp (path, "/admin") == 0)
    path = "/admin.html";
  std::string file;
  guint status = resolve_static_path (web_root, path, file);
  if (status != SOUP_STATUS_OK) {
    respond_static_error (msg, status, path);
    return;
  }
  gchar *data = nullptr;
  gsize len = 0;
  if (!g_file_get_contents (file.c_str (), &data, &len, nullptr)) {
    respond_static_error (msg, SOUP_STATUS_NOT_FOUND, path);
    return;
  }
  soup_server_message_set_status (msg, SOUP_STATUS_OK, nullptr);
  soup_server_message_set_response (msg, mime_type_for (file), SOUP_MEMORY_TAKE, data, len);
}

Server::Server (std::unique_ptr<ServerImpl> impl) : impl_ (std::move (impl)) {}
Server::~Server () = default;

std::unique_ptr<Server> Server::create (const ServerConfig &config, GError **error)
{
  if (!validate_server_config (config, error))
    return nullptr;
  auto impl = std::make_unique<ServerImpl> (config);
  if (!config.api_keys_file.empty ()) {
    std::string why;
    impl->api_keys = std::make_unique<ApiKeys> ();
    if (!impl->api_keys->load_file (config.api_keys_file, why)) {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "--api-keys: %s", why.c_str ());
      return nullptr;
    }
  }
  if (config.webhooks.any ()) {
    impl->notifier = Notifier::create (config.webhooks, error);
    if (!impl->notifier)
      return nullptr;
  }
  return std::unique_ptr<Server> (new Server (std::move (impl)));
}

bool ServerImpl::reload_api_keys (std::string &error)
{
  if (!api_keys) {
    error = "no --api-keys file was given";
    return false;
  }
  return api_keys->load_file (config.api_keys_file, error);
}

bool Server::reload_api_keys (std::string &error)
{
  return impl_->reload_api_keys (error);
}

std::size_t Server::api_key_count () const
{
  return impl_->api_keys ? impl_->api_keys->size () : 0;
}

bool Server::start (GError **error)
{
  return impl_->start (error);
}
void Server::stop ()
{
  impl_->stop ();
}
guint Server::port () const
{
  return impl_->port;
}

std::string Server::http_url () const
{
  const auto &c = impl_->config;
  std::string host = c.address == "0.0.0.0" ? "127.0.0.1" : c.address;
  if (host.find (':') != std::string::npos)
    host = "[" + host + "]";
  return std::string (c.tls () ? "https://" : "http://") + host + ":" +
         std::to_string (impl_->port);
}

std::string Server::ws_url () const
{
  std::string http = http_url ();
  return (impl_->config.tls () ? "wss" : "ws") + http.substr (http.find (':')) + "/ws";
}

guint Server::live_sessions () const
{
  return (guint) impl_->registry.session_count ();
}
guint Server::live_viewers () const
{
  return (guint) impl_->registry.viewer_count ();
}

} // namespace gv::signaling
