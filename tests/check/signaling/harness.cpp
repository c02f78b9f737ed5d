#include "harness.h"

#include "gv_check.h"

#include <cstdio>

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

SoupSession *test_session ()
{
  static SoupSession *session = soup_session_new ();
  return session;
}

} // namespace

void spin (int ms)
{
  gint64 end = g_get_monotonic_time () + (gint64) ms * 1000;
  while (g_get_monotonic_time () < end)
    if (!g_main_context_iteration (nullptr, FALSE))
      g_usleep (1000);
}

std::unique_ptr<signaling::Server> start_server (signaling::ServerConfig config)
{
  config.address = "127.0.0.1";
  config.port = 0;
  if (config.web_root.empty ()) {
    const char *web = g_getenv ("GHOSTVIEW_WEB_DIR");
    config.web_root = web ? web : "";
  }
  GError *error = nullptr;
  auto server = signaling::Server::create (config, &error);
  if (server && !server->start (&error))
    server.reset ();
  if (!server) {
    std::fprintf (stderr, "server did not start: %s\n", error ? error->message : "?");
    g_clear_error (&error);
  }
  return server;
}

std::unique_ptr<WsClient> WsClient::connect (const std::string &url, const char *origin)
{
  SoupMessage *msg = soup_message_new ("GET", url.c_str ());
  g_signal_connect (msg, "accept-certificate", G_CALLBACK (accept_any_certificate), nullptr);
  ConnectResult r;
  soup_session_websocket_connect_async (test_session (), msg, origin, nullptr, G_PRIORITY_DEFAULT,
                                        nullptr, on_connected, &r);
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

proto::Message register_host (WsClient &host, int max_viewers, int pin_ttl)
{
  proto::RegisterParams p;
  p.max_viewers = max_viewers;
  p.pin_ttl_s = pin_ttl;
  host.send (proto::make_register (p));
  return host.expect (proto::Type::Registered);
}

} // namespace gv::test
