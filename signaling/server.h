/* The GhostView signalling server: one SoupServer serving the web pages,
 * /healthz, /metrics and the /ws WebSocket endpoint. Embeddable: the
 * launcher runs it in-process, tests start it on 127.0.0.1 port 0. */
#pragma once

#include "server_config.h"

#include <glib.h>

#include <memory>
#include <string>

namespace gv::signaling {

class ServerImpl;

class Server {
public:
  /* Validates `config` (production rules included) and creates the server;
   * nothing listens yet. Returns nullptr with `error` set on bad config. */
  static std::unique_ptr<Server> create (const ServerConfig &config, GError **error);
  ~Server ();
  Server (const Server &) = delete;
  Server &operator= (const Server &) = delete;

  /* Starts listening on config.address:config.port (port 0 picks a free
   * port). Handlers run on the thread-default main context of the caller. */
  bool start (GError **error);
  /* Ends every session (clients get `session-ended`), closes sockets. */
  void stop ();

  guint port () const;
  /* "http://127.0.0.1:8443" or "https://..." */
  std::string http_url () const;
  /* "ws://127.0.0.1:8443/ws" or "wss://..." */
  std::string ws_url () const;

  /* Live counters, as /healthz and /metrics report them. */
  guint live_sessions () const;
  guint live_viewers () const;

  /* Reads the --api-keys file again (SIGHUP); on a bad file the keys in use
   * stay and `error` says what is wrong. Call on the server's context. */
  bool reload_api_keys (std::string &error);
  /* Keys the session API accepts (0: no API). */
  std::size_t api_key_count () const;

private:
  explicit Server (std::unique_ptr<ServerImpl> impl);
  std::unique_ptr<ServerImpl> impl_;
};

} // namespace gv::signaling
