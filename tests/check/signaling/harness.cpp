#include "harness.h"

#include "gv_check.h"

#include <cstdio>
#include <csignal>
#include <map>
#include <sys/wait.h>

namespace gv::test {
namespace {

void on_message (SoupWebsocketConnection *, gint type, GBytes *bytes, gpointer user_data)
{
  auto *c = static_cast<WsClient *> (user_data);
  if (type != SOUP_WEBSOCKET_DATA_TEXT)
    return;
  gsize len = 0;
  const char *data = static_cast<const char *> (g_bytes_get_data (bytes, &len));
  c->inbox.emplace_back (data, len);
}

void on_closed (SoupWebsocketConnection *, gpointer user_data)
{
  static_cast<WsClient *> (user_data)->closed = true;
}

struct ConnectResult {
  SoupWebsocketConnection *ws = nullptr;
  GError *error = nullptr;
  bool done = false;
};

void on_connected (GObject *source, GAsyncResult *res, gpointer user_data)
{
  auto *r = static_cast<ConnectResult *> (user_data);
  r->ws = soup_session_websocket_connect_finish (SOUP_SESSION (source), res, &r->error);
  r->done = true;
}

gboolean accept_any_certificate (SoupMessage *, GTlsCertificate *, GTlsCertificateFlags, gpointer)
{
  return TRUE; /* tests use a throwaway self-signed certificate */
}

SoupSession *test_session (const char *local_ip = nullptr)
{
  static std::map<std::string, SoupSession *> sessions;
  std::string key = local_ip ? local_ip : "";
  auto it = sessions.find (key);
  if (it != sessions.end ())
    return it->second;
  SoupSession *session;
  if (local_ip) {
    GInetSocketAddress *addr =
        G_INET_SOCKET_ADDRESS (g_inet_socket_address_new_from_string (local_ip, 0));
    session = soup_session_new_with_options ("local-address", addr, nullptr);
    g_object_unref (addr);
  } else {
    session = soup_session_new ();
  }
  sessions[key] = session;
  return session;
}

guint healthz_field (const std::string &http_url, const char *field)
{
  std::string body;
  if (http_request (http_url + "/healthz", &body) != 200)
    return G_MAXUINT;
  JsonParser *parser = json_parser_new ();
  guint value = G_MAXUINT;
  if (json_parser_load_from_data (parser, body.c_str (), -1, nullptr))
    value = (guint) json_object_get_int_member (
        json_node_get_object (json_parser_get_root (parser)), field);
  g_object_unref (parser);
  return value;
}

} // namespace

void spin (int ms)
{
  gint64 end = g_get_monotonic_time () + (gint64) ms * 1000;
  while (g_get_monotonic_time () < end)
    if (!g_main_context_iteration (nullptr, FALSE))
      g_usleep (1000);
}

ServerProcess::~ServerProcess ()
{
  if (!pid)
    return;
  kill (pid, SIGTERM);
  int status = 0;
  for (int i = 0; i < 300 && waitpid (pid, &status, WNOHANG) == 0; i++)
    spin (10);
  if (waitpid (pid, &status, WNOHANG) == 0) {
    kill (pid, SIGKILL);
    waitpid (pid, &status, 0);
  }
  g_spawn_close_pid (pid);
}

guint ServerProcess::live_sessions () const
{
  return healthz_field (http_url_, "sessions");
}
guint ServerProcess::live_viewers () const
{
  return healthz_field (http_url_, "viewers");
}

std::unique_ptr<ServerProcess> start_server (const std::vector<std::string> &args)
{
  std::string exe =
      std::string (g_getenv ("GHOSTVIEW_BUILD_DIR")) + "/signaling/ghostview-signaling";
  const char *web = g_getenv ("GHOSTVIEW_WEB_DIR");
  std::vector<std::string> all{ exe, "--bind", "127.0.0.1", "--port", "0" };
  if (web) {
    all.push_back ("--web-root");
    all.push_back (web);
  }
  all.insert (all.end (), args.begin (), args.end ());
  std::vector<gchar *> argv;
  for (auto &a : all)
    argv.push_back (a.data ());
  argv.push_back (nullptr);

  auto server = std::make_unique<ServerProcess> ();
  gint out_fd = -1;
  GError *error = nullptr;
  if (!g_spawn_async_with_pipes (nullptr, argv.data (), nullptr, G_SPAWN_DO_NOT_REAP_CHILD, nullptr,
                                 nullptr, &server->pid, nullptr, &out_fd, nullptr, &error)) {
    std::fprintf (stderr, "cannot start %s: %s\n", exe.c_str (), error->message);
    g_error_free (error);
    return nullptr;
  }
  /* The first line says where it listens; it comes once the socket is open. */
  GIOChannel *ch = g_io_channel_unix_new (out_fd);
  g_io_channel_set_close_on_unref (ch, TRUE);
  gchar *line = nullptr;
  GIOStatus st = g_io_channel_read_line (ch, &line, nullptr, nullptr, nullptr);
  g_io_channel_unref (ch);
  std::string banner = st == G_IO_STATUS_NORMAL && line ? line : "";
  g_free (line);
  const std::string marker = "listening on ";
  auto at = banner.find (marker);
  if (at == std::string::npos) {
    std::fprintf (stderr, "ghostview-signaling did not start (said: \"%s\")\n", banner.c_str ());
    return nullptr;
  }
  std::string url = banner.substr (at + marker.size ());
  server->http_url_ = url.substr (0, url.find (' '));
  bool tls = g_str_has_prefix (server->http_url_.c_str (), "https://");
  server->ws_url_ =
      (tls ? "wss" : "ws") + server->http_url_.substr (server->http_url_.find (':')) + "/ws";
  return server;
}

std::unique_ptr<WsClient> WsClient::connect (const std::string &url, const char *origin,
                                             const char *local_ip)
{
  SoupMessage *msg = soup_message_new ("GET", url.c_str ());
  g_signal_connect (msg, "accept-certificate", G_CALLBACK (accept_any_certificate), nullptr);
  ConnectResult r;
  soup_session_websocket_connect_async (test_session (local_ip), msg, origin, nullptr,
                                        G_PRIORITY_DEFAULT, nullptr, on_connected, &r);
  gint64 end = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
  while (!r.done && g_get_monotonic_time () < end)
    g_main_context_iteration (nullptr, TRUE);
  g_object_unref (msg);
  if (!r.ws) {
    std::fprintf (stderr, "websocket connect to %s failed: %s\n", url.c_str (),
                  r.error ? r.error->message : "timeout");
    g_clear_error (&r.error);
    return nullptr;
  }
  auto c = std::make_unique<WsClient> ();
  c->ws = r.ws;
  soup_websocket_connection_set_max_incoming_payload_size (c->ws, 0);
  g_signal_connect (c->ws, "message", G_CALLBACK (on_message), c.get ());
  g_signal_connect (c->ws, "closed", G_CALLBACK (on_closed), c.get ());
  return c;
}

WsClient::~WsClient ()
{
  if (!ws)
    return;
  g_signal_handlers_disconnect_by_data (ws, this);
  if (soup_websocket_connection_get_state (ws) == SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_close (ws, SOUP_WEBSOCKET_CLOSE_NORMAL, nullptr);
  g_object_unref (ws);
  spin (20);
}

bool WsClient::is_open () const
{
  return soup_websocket_connection_get_state (ws) == SOUP_WEBSOCKET_STATE_OPEN;
}

void WsClient::send (const std::string &text)
{
  soup_websocket_connection_send_text (ws, text.c_str ());
}

void WsClient::send_bytes (const std::string &data)
{
  soup_websocket_connection_send_binary (ws, data.data (), data.size ());
}

proto::Message WsClient::next (int timeout_ms)
{
  gint64 end = g_get_monotonic_time () + (gint64) timeout_ms * 1000;
  while (inbox.empty () && g_get_monotonic_time () < end)
    if (!g_main_context_iteration (nullptr, FALSE))
      g_usleep (500);
  proto::Message m;
  if (inbox.empty ())
    return m;
  std::string text = std::move (inbox.front ());
  inbox.pop_front ();
  proto::ParseError err;
  ck_assert_msg (proto::parse (text.data (), text.size (), m, err),
                 "server sent something the protocol rejects: %s (%s)", text.c_str (),
                 err.message.c_str ());
  return m;
}

proto::Message WsClient::expect (proto::Type type, int timeout_ms)
{
  gint64 end = g_get_monotonic_time () + (gint64) timeout_ms * 1000;
  for (;;) {
    int left = (int) ((end - g_get_monotonic_time ()) / 1000);
    proto::Message m = next (left > 0 ? left : 0);
    if (m.type == type)
      return m;
    ck_assert_msg (m.type != proto::Type::Unknown, "no \"%s\" message within %d ms",
                   proto::type_name (type), timeout_ms);
    if (m.type == proto::Type::Error)
      ck_abort_msg ("expected \"%s\", got error %s: %s", proto::type_name (type),
                    proto::get_string (m, "code").c_str (),
                    proto::get_string (m, "message").c_str ());
  }
}

std::string WsClient::expect_error (proto::ErrorCode code, int timeout_ms)
{
  proto::Message m = expect (proto::Type::Error, timeout_ms);
  GV_ASSERT_STR_EQ (proto::get_string (m, "code").c_str (), proto::error_code_name (code));
  std::string text = proto::get_string (m, "message");
  ck_assert_msg (!text.empty (), "error %s has no human message", proto::error_code_name (code));
  return text;
}

gushort WsClient::wait_closed (int timeout_ms)
{
  gint64 end = g_get_monotonic_time () + (gint64) timeout_ms * 1000;
  while (!closed && g_get_monotonic_time () < end)
    if (!g_main_context_iteration (nullptr, FALSE))
      g_usleep (1000);
  return closed ? soup_websocket_connection_get_close_code (ws) : 0;
}

guint http_request (const std::string &url, std::string *body, const char *method,
                    const char *header, std::string *header_value)
{
  SoupMessage *msg = soup_message_new (method, url.c_str ());
  if (!msg)
    return 0;
  g_signal_connect (msg, "accept-certificate", G_CALLBACK (accept_any_certificate), nullptr);
  /* Asynchronous: the server under test runs on this thread's context. */
  struct Result {
    GBytes *bytes = nullptr;
    bool done = false;
  } r;
  soup_session_send_and_read_async (
      test_session (), msg, G_PRIORITY_DEFAULT, nullptr,
      [] (GObject *src, GAsyncResult *res, gpointer data) {
        auto *out = static_cast<Result *> (data);
        out->bytes = soup_session_send_and_read_finish (SOUP_SESSION (src), res, nullptr);
        out->done = true;
      },
      &r);
  gint64 end = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  while (!r.done && g_get_monotonic_time () < end)
    g_main_context_iteration (nullptr, TRUE);
  guint status = soup_message_get_status (msg);
  if (r.bytes && body) {
    gsize len = 0;
    const char *data = static_cast<const char *> (g_bytes_get_data (r.bytes, &len));
    body->assign (data ? data : "", len);
  }
  if (header && header_value) {
    const char *v = soup_message_headers_get_one (soup_message_get_response_headers (msg), header);
    *header_value = v ? v : "";
  }
  if (r.bytes)
    g_bytes_unref (r.bytes);
  g_object_unref (msg);
  return status;
}

std::string make_test_certificate (std::string &key)
{
  gchar *dir = g_dir_make_tmp ("gv-tls-XXXXXX", nullptr);
  std::string cert = std::string (dir) + "/cert.pem";
  key = std::string (dir) + "/key.pem";
  g_free (dir);
  std::string cmd = "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 "
                    "-keyout " +
                    key + " -out " + cert;
  gint status = -1;
  ck_assert (g_spawn_command_line_sync (cmd.c_str (), nullptr, nullptr, &status, nullptr));
  ck_assert_int_eq (status, 0);
  return cert;
}

proto::Message register_host (WsClient &host, int max_viewers, int pin_ttl)
{
  proto::RegisterParams p;
  p.max_viewers = max_viewers;
  p.pin_ttl_s = pin_ttl;
  host.send (proto::make_register (p));
  return host.expect (proto::Type::Registered);
}

} // namespace gv::test
