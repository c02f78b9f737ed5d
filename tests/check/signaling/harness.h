/* Test harness: a real signalling server on 127.0.0.1 (port 0) in this
 * process, and a real libsoup WebSocket client that waits for messages by
 * iterating the default main context. */
#pragma once

#include "protocol.h"
#include "server.h"

#include <libsoup/soup.h>

#include <deque>
#include <memory>
#include <string>

namespace gv::test {

/* A server on 127.0.0.1 with a free port and test-friendly settings. */
std::unique_ptr<signaling::Server> start_server (signaling::ServerConfig config = {});

class WsClient {
public:
  /* Connects to `url`; `origin` is sent as the Origin header when set.
   * Returns nullptr (with a message on stderr) if the upgrade fails. */
  static std::unique_ptr<WsClient> connect (const std::string &url, const char *origin = nullptr);
  ~WsClient ();

  void send (const std::string &text);
  void send_bytes (const std::string &data);
  /* The next message of any type, or a Message with Type::Unknown after
   * `timeout_ms`. */
  proto::Message next (int timeout_ms = 3000);
  /* Skips messages until one of `type` arrives; fails the test otherwise. */
  proto::Message expect (proto::Type type, int timeout_ms = 3000);
  /* Expects an error with `code`; returns its human message. */
  std::string expect_error (proto::ErrorCode code, int timeout_ms = 3000);
  /* Waits until the server closes; returns the close code (0: still open). */
  gushort wait_closed (int timeout_ms = 3000);
  bool is_open () const;

  SoupWebsocketConnection *ws = nullptr;
  std::deque<std::string> inbox;
  bool closed = false;
};

/* Iterates the default main context for `ms` milliseconds. */
void spin (int ms);

/* An HTTP GET (or another method) against the server; returns the status
 * and fills body and the named response header when asked. */
guint http_request (const std::string &url, std::string *body = nullptr, const char *method = "GET",
                    const char *header = nullptr, std::string *header_value = nullptr);

/* register + registered; returns the registered message. */
proto::Message register_host (WsClient &host, int max_viewers = 1, int pin_ttl = 0);

} // namespace gv::test
