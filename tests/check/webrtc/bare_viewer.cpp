#include "bare_viewer.h"

#include <gst/check/gstcheck.h>

namespace proto = gv::proto;

namespace gvtest {

BareViewer::BareViewer (const std::string &url) : session (soup_session_new ())
{
  SoupMessage *msg = soup_message_new ("GET", url.c_str ());
  struct Result {
    SoupWebsocketConnection *ws = nullptr;
    bool done = false;
  } result;
  soup_session_websocket_connect_async (
      session, msg, nullptr, nullptr, G_PRIORITY_DEFAULT, nullptr,
      [] (GObject *source, GAsyncResult *res, gpointer data) {
        auto *r = static_cast<Result *> (data);
        r->ws = soup_session_websocket_connect_finish (SOUP_SESSION (source), res, nullptr);
        r->done = true;
      },
      &result);
  gint64 end = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
  while (!result.done && g_get_monotonic_time () < end)
    g_main_context_iteration (nullptr, TRUE);
  g_object_unref (msg);
  fail_unless (result.ws != nullptr, "cannot connect to %s", url.c_str ());
  ws = result.ws;
  /* Pictures may be larger than libsoup's default 128 KiB limit. */
  soup_websocket_connection_set_max_incoming_payload_size (ws, 4 * 1024 * 1024);
  g_signal_connect (
      ws, "message",
      G_CALLBACK (+[] (SoupWebsocketConnection *, gint type, GBytes *bytes, gpointer self) {
        gsize len = 0;
        auto *data = static_cast<const char *> (g_bytes_get_data (bytes, &len));
        auto *viewer = static_cast<BareViewer *> (self);
        (type == SOUP_WEBSOCKET_DATA_BINARY ? viewer->binary : viewer->inbox)
            .emplace_back (data, len);
      }),
      this);
}

BareViewer::~BareViewer ()
{
  if (ws && soup_websocket_connection_get_state (ws) == SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_close (ws, SOUP_WEBSOCKET_CLOSE_NORMAL, nullptr);
  if (ws)
    g_object_unref (ws);
  g_object_unref (session);
}

void BareViewer::send (const std::string &text)
{
  soup_websocket_connection_send_text (ws, text.c_str ());
}

void BareViewer::spin (int ms)
{
  gint64 end = g_get_monotonic_time () + (gint64) ms * 1000;
  while (g_get_monotonic_time () < end)
    if (!g_main_context_iteration (nullptr, FALSE))
      g_usleep (1000);
}

bool BareViewer::wait_binary (int timeout_ms)
{
  gint64 end = g_get_monotonic_time () + (gint64) timeout_ms * 1000;
  while (binary.empty () && g_get_monotonic_time () < end)
    if (!g_main_context_iteration (nullptr, FALSE))
      g_usleep (1000);
  return !binary.empty ();
}

proto::Message BareViewer::expect (proto::Type type, int timeout_ms)
{
  gint64 end = g_get_monotonic_time () + (gint64) timeout_ms * 1000;
  while (g_get_monotonic_time () < end) {
    if (inbox.empty ()) {
      if (!g_main_context_iteration (nullptr, FALSE))
        g_usleep (1000);
      continue;
    }
    std::string text = std::move (inbox.front ());
    inbox.pop_front ();
    proto::Message m;
    proto::ParseError err;
    fail_unless (proto::parse (text.data (), text.size (), m, err), "bad message %s",
                 text.c_str ());
    if (m.type == type)
      return m;
    fail_if (m.type == proto::Type::Error, "error from the server: %s", text.c_str ());
  }
  return proto::Message ();
}

} // namespace gvtest
