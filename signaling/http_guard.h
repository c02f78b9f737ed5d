/* The limits on the server's TCP connections that libsoup leaves to the
 * application: how many one client address may hold, how long a request
 * may take to send its request and take its answer (slowloris, slow reads),
 * and how large a request body may be. */
#pragma once

#include <libsoup/soup.h>

#include <memory>
#include <string>
#include <unordered_map>

namespace gv::signaling {

class HttpGuard {
public:
  /* `max_per_address` 0: no bound on connections per address. */
  HttpGuard (guint max_per_address, int timeout_s, bool https);
  ~HttpGuard ();
  HttpGuard (const HttpGuard &) = delete;
  HttpGuard &operator= (const HttpGuard &) = delete;

  /* Watches every connection and request of `server` from now on. */
  void attach (SoupServer *server);
  /* Stops watching (before the server goes). */
  void detach ();
  /* The request became a WebSocket: from now on its connection lives as
   * long as the WebSocket does (the WebSocket has its own idle timeout),
   * still counted against its address until websocket_gone (address).
   * The connection is no longer watched here (its socket now belongs to
   * an I/O thread). Returns the address ("" for an unknown connection). */
  std::string upgraded (SoupServerMessage *msg);
  void websocket_gone (const std::string &address);

  guint64 refused = 0;   /* connections over the per-address bound */
  guint64 timed_out = 0; /* connections closed by the request deadline */
  guint64 too_large = 0; /* requests refused for their body size */

private:
  struct Tcp;

  static void on_request_started (SoupServer *, SoupServerMessage *msg, gpointer self);
  static void on_got_headers (SoupServerMessage *msg, gpointer self);
  static void on_got_chunk (SoupServerMessage *msg, GBytes *chunk, gpointer self);
  static void on_socket_gone (gpointer self, GObject *socket);

  Tcp *find (SoupServerMessage *msg);
  void arm (Tcp &tcp);
  void forget (GSocket *socket);
  /* Open connections of `address`. */
  guint held_by (const std::string &address);
  void refuse_body (SoupServerMessage *msg, gsize limit);

  guint max_per_address_;
  guint timeout_ms_;
  bool https_;
  SoupServer *server_ = nullptr;
  std::unordered_map<GSocket *, std::unique_ptr<Tcp>> sockets_;
  std::unordered_map<std::string, guint> per_address_;
};

} // namespace gv::signaling
