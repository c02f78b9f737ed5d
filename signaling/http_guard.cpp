#include "http_guard.h"

#include "http_errors.h"
#include "static_files.h"

#include <vector>

namespace gv::signaling {

/* One TCP connection. libsoup has no public connection object, so the
 * connection is known by its GSocket, which lives exactly as long. */
struct HttpGuard::Tcp {
  HttpGuard *guard;
  GSocket *socket;
  std::string address;
  guint deadline = 0; /* closes the connection when it fires */
  gsize body_bytes = 0;
  gsize body_limit = kMaxRequestBodyBytes; /* of the request being read */

  void disarm ()
  {
    if (deadline) {
      g_source_remove (deadline);
      deadline = 0;
    }
  }
};

namespace {

/* Ends the connection from below libsoup: its pending read or write fails,
 * and libsoup drops the connection as a client that went away. */
void cut (GSocket *socket)
{
  g_socket_shutdown (socket, TRUE, TRUE, nullptr);
}

} // namespace

HttpGuard::HttpGuard (guint max_per_address, int timeout_s, bool https)
    : max_per_address_ (max_per_address), timeout_ms_ ((guint) timeout_s * 1000), https_ (https)
{}

HttpGuard::~HttpGuard ()
{
  detach ();
}

void HttpGuard::attach (SoupServer *server)
{
  server_ = server;
  g_signal_connect (server, "request-started", G_CALLBACK (on_request_started), this);
}

void HttpGuard::detach ()
{
  if (server_)
    g_signal_handlers_disconnect_by_data (server_, this);
  server_ = nullptr;
  for (auto &[socket, tcp] : sockets_) {
    tcp->disarm ();
    g_object_weak_unref (G_OBJECT (socket), on_socket_gone, this);
  }
  sockets_.clear ();
  per_address_.clear ();
}

HttpGuard::Tcp *HttpGuard::find (SoupServerMessage *msg)
{
  auto it = sockets_.find (soup_server_message_get_socket (msg));
  return it == sockets_.end () ? nullptr : it->second.get ();
}

void HttpGuard::arm (Tcp &tcp)
{
  tcp.disarm ();
  tcp.deadline = g_timeout_add (
      timeout_ms_,
      [] (gpointer data) -> gboolean {
        auto *t = static_cast<Tcp *> (data);
        t->deadline = 0;
        t->guard->timed_out++;
        cut (t->socket);
        return G_SOURCE_REMOVE;
      },
      &tcp);
}

std::string HttpGuard::upgraded (SoupServerMessage *msg)
{
  GSocket *socket = soup_server_message_get_socket (msg);
  auto it = sockets_.find (socket);
  if (it == sockets_.end ())
    return {};
  it->second->disarm ();
  std::string address = it->second->address;
  g_object_weak_unref (G_OBJECT (socket), on_socket_gone, this);
  sockets_.erase (it);
  return address;
}

void HttpGuard::websocket_gone (const std::string &address)
{
  auto count = per_address_.find (address);
  if (count != per_address_.end () && --count->second == 0)
    per_address_.erase (count);
}

/* Emitted when a connection is accepted, before any byte or TLS handshake
 * (and on a kept-alive connection when the next request's first bytes
 * arrive, which "Connection: close" rules out). */
void HttpGuard::on_request_started (SoupServer *, SoupServerMessage *msg, gpointer data)
{
  auto *self = static_cast<HttpGuard *> (data);
  GSocket *socket = soup_server_message_get_socket (msg);
  if (!socket)
    return;
  Tcp *tcp = self->find (msg);
  if (!tcp) {
    const char *host = soup_server_message_get_remote_host (msg);
    std::string address = host ? host : "unknown";
    if (self->max_per_address_ && self->held_by (address) >= self->max_per_address_) {
      self->refused++;
      cut (socket);
      return;
    }
    auto owned = std::make_unique<Tcp> (Tcp{ self, socket, address });
    tcp = owned.get ();
    self->sockets_.emplace (socket, std::move (owned));
    self->per_address_[address]++;
    g_object_weak_ref (G_OBJECT (socket), on_socket_gone, self);
  }
  tcp->body_bytes = 0;
  tcp->body_limit = kMaxRequestBodyBytes;
  self->arm (*tcp);
  /* One request per connection. libsoup 3.2 never closes a kept-alive
   * connection that its client closes while idle (fixed in 3.3.0), so
   * every browser would leak a socket per page; and no idle connection is
   * left to hold a slot of its address. The WebSocket handshake replaces
   * this with "Upgrade". */
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Connection",
                                "close");
  /* Only the session API reads a body (on_got_headers): never keep
   * another one in memory. */
  soup_message_body_set_accumulate (soup_server_message_get_request_body (msg), FALSE);
  g_signal_connect (msg, "got-headers", G_CALLBACK (on_got_headers), self);
  g_signal_connect (msg, "got-chunk", G_CALLBACK (on_got_chunk), self);
}

void HttpGuard::on_got_headers (SoupServerMessage *msg, gpointer data)
{
  auto *self = static_cast<HttpGuard *> (data);
  /* The session API's POST takes a JSON body, WHEP's and WHIP's POST and PATCH an SDP
   * (at most their limit: a longer one is refused while it arrives,
   * on_got_chunk). */
  const char *path = g_uri_get_path (soup_server_message_get_uri (msg));
  bool api = path && g_str_has_prefix (path, "/api/");
  bool whep = path && (g_str_has_prefix (path, "/whep/") || g_str_has_prefix (path, "/whip/"));
  gsize limit = whep ? kMaxWhepBodyBytes : kMaxRequestBodyBytes;
  if (Tcp *tcp = self->find (msg))
    tcp->body_limit = limit;
  SoupMessageHeaders *h = soup_server_message_get_request_headers (msg);
  if (soup_message_headers_get_encoding (h) == SOUP_ENCODING_CONTENT_LENGTH &&
      soup_message_headers_get_content_length (h) > (goffset) limit) {
    self->refuse_body (msg, limit);
    return;
  }
  if (api || whep)
    soup_message_body_set_accumulate (soup_server_message_get_request_body (msg), TRUE);
}

/* Chunked bodies announce no length: count what arrives. */
void HttpGuard::on_got_chunk (SoupServerMessage *msg, GBytes *chunk, gpointer data)
{
  auto *self = static_cast<HttpGuard *> (data);
  Tcp *tcp = self->find (msg);
  if (!tcp)
    return;
  tcp->body_bytes += g_bytes_get_size (chunk);
  if (tcp->body_bytes > tcp->body_limit)
    self->refuse_body (msg, tcp->body_limit);
}

void HttpGuard::refuse_body (SoupServerMessage *msg, gsize limit)
{
  if (soup_server_message_get_status (msg) != 0)
    return; /* already answered */
  too_large++;
  soup_message_body_set_accumulate (soup_server_message_get_request_body (msg), FALSE);
  SoupMessageHeaders *h = soup_server_message_get_response_headers (msg);
  add_security_headers (h, https_);
  /* The rest of the body is read and dropped (within the deadline), then
   * the answer goes out and the connection ends. */
  respond_error (msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, "PAYLOAD_TOO_LARGE",
                 "Request bodies are limited to " + std::to_string (limit) + " bytes here.");
}

void HttpGuard::on_socket_gone (gpointer data, GObject *socket)
{
  static_cast<HttpGuard *> (data)->forget (reinterpret_cast<GSocket *> (socket));
}

void HttpGuard::forget (GSocket *socket)
{
  auto it = sockets_.find (socket);
  if (it == sockets_.end ())
    return;
  it->second->disarm ();
  auto count = per_address_.find (it->second->address);
  if (count != per_address_.end () && --count->second == 0)
    per_address_.erase (count);
  sockets_.erase (it);
}

guint HttpGuard::held_by (const std::string &address)
{
  auto count = per_address_.find (address);
  if (count == per_address_.end ())
    return 0;
  /* A socket closed but not yet released (its last reference still on
   * its way out) holds no slot. */
  if (count->second >= max_per_address_) {
    std::vector<GSocket *> closed;
    for (auto &[socket, tcp] : sockets_)
      if (tcp->address == address && g_socket_is_closed (socket))
        closed.push_back (socket);
    for (GSocket *socket : closed) {
      g_object_weak_unref (G_OBJECT (socket), on_socket_gone, this);
      forget (socket);
    }
    count = per_address_.find (address);
  }
  return count == per_address_.end () ? 0 : count->second;
}

} // namespace gv::signaling
