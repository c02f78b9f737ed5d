#include "server.h"

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

void websocket_callback (SoupServer *, SoupServerMessage *msg, const char *,
                         SoupWebsocketConnection *ws, gpointer user_data)
{
  static_cast<ServerImpl *> (user_data)->handle_websocket (msg, ws);
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

} // namespace

ServerImpl::ServerImpl (const ServerConfig &cfg)
    : config (cfg), create_limiter (cfg.create_burst, cfg.create_per_s),
      join_fail_ip (cfg.join_fail_ip_burst, cfg.join_fail_ip_per_s),
      join_fail_global (cfg.join_fail_global_burst, cfg.join_fail_global_per_s)
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

  GTlsCertificate *cert = nullptr;
  if (config.tls ()) {
    cert = g_tls_certificate_new_from_files (config.tls_cert_file.c_str (),
                                             config.tls_key_file.c_str (), error);
    if (!cert)
      return false;
  }
  soup = SOUP_SERVER (g_object_new (SOUP_TYPE_SERVER, "server-header", "ghostview-signaling",
                                    "tls-certificate", cert, nullptr));
  g_clear_object (&cert);

  soup_server_add_websocket_handler (soup, "/ws", nullptr, nullptr, websocket_callback, this,
                                     nullptr);
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
  close_all (SOUP_WEBSOCKET_CLOSE_GOING_AWAY, "server shutting down");
  connections.clear ();
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
  bool https = config.tls () || config.behind_tls_proxy;
  const char *host =
      soup_message_headers_get_one (soup_server_message_get_request_headers (msg), "Host");
  std::string h = host && strlen (host) < 256 ? host : config.address + ":" + std::to_string (port);
  return std::string (https ? "https://" : "http://") + h;
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
  counter_head ("ghostview_join_failures_total", "Failed joins by error code.");
  for (const auto &[code, n] : metrics.join_failures_by_code)
    g_string_append_printf (s, "ghostview_join_failures_total{code=\"%s\"} %" G_GUINT64_FORMAT "\n",
                            code.c_str (), n);
  counter_head ("ghostview_rate_limited_total", "Requests refused by a rate limit.");
  for (const char *limit :
       { "create", "join_ip", "join_global", "messages", "reports", "restarts" }) {
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
  counter_head ("ghostview_messages_rejected_total", "Messages answered with an error.");
  g_string_append_printf (s, "ghostview_messages_rejected_total %" G_GUINT64_FORMAT "\n",
                          metrics.messages_rejected);
  counter_head ("ghostview_connections_total", "WebSocket connections accepted.");
  g_string_append_printf (s, "ghostview_connections_total %" G_GUINT64_FORMAT "\n",
                          metrics.connections_total);
  counter_head ("ghostview_origin_rejected_total", "WebSocket upgrades from a refused origin.");
  g_string_append_printf (s, "ghostview_origin_rejected_total %" G_GUINT64_FORMAT "\n",
                          metrics.origin_rejected);
  /* The GString's buffer is ours once freed with FALSE: copy, then free it
   * (every scrape of /metrics leaked it before the soak caught it). */
  gchar *text = g_string_free (s, FALSE);
  std::string out (text);
  g_free (text);
  return out;
}

void ServerImpl::handle_http (SoupServerMessage *msg, const char *path)
{
  add_security_headers (soup_server_message_get_response_headers (msg),
                        config.tls () || config.behind_tls_proxy);
  const char *method = soup_server_message_get_method (msg);
  bool head = strcmp (method, "HEAD") == 0;
  if (strcmp (method, "GET") != 0 && !head) {
    soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Allow",
                                  "GET, HEAD");
    respond (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "text/plain", "method not allowed\n");
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
  if (strcmp (path, "/ws") == 0) {
    respond (msg, SOUP_STATUS_BAD_REQUEST, "text/plain", "WebSocket endpoint: upgrade required\n");
    return;
  }
  if (web_root.empty ()) {
    respond (msg, SOUP_STATUS_NOT_FOUND, "text/plain", "no web pages are served here\n");
    return;
  }

  std::string file;
  guint status = resolve_static_path (web_root, path, file);
  if (status != SOUP_STATUS_OK) {
    respond (msg, status, "text/plain", std::string (soup_status_get_phrase (status)) + "\n");
    return;
  }
  gchar *data = nullptr;
  gsize len = 0;
  if (!g_file_get_contents (file.c_str (), &data, &len, nullptr)) {
    respond (msg, SOUP_STATUS_NOT_FOUND, "text/plain", "Not Found\n");
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
  return std::unique_ptr<Server> (new Server (std::make_unique<ServerImpl> (config)));
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
