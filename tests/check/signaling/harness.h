/* Test harness: the real ghostview-signaling process on 127.0.0.1 (port 0),
 * and a real libsoup WebSocket client that waits for messages by iterating
 * the default main context. */
#pragma once

#include "protocol.h"

#include <libsoup/soup.h>

#include <deque>
#include <memory>
#include <string>
#include <vector>

namespace gv::test {

/* A running ghostview-signaling, stopped (SIGTERM) when destroyed. */
class ServerProcess {
public:
  ~ServerProcess ();
  const std::string &http_url () const { return http_url_; }
  const std::string &ws_url () const { return ws_url_; }
  /* From /healthz. */
  guint live_sessions () const;
  guint live_viewers () const;

  GPid pid = 0;
  std::string http_url_, ws_url_;
};

/* Starts build/signaling/ghostview-signaling --bind 127.0.0.1 --port 0
 * --web-root $GHOSTVIEW_WEB_DIR, then `args` (later options win), and waits
 * for its "listening on" line. nullptr (and a message) if it did not start. */
std::unique_ptr<ServerProcess> start_server (const std::vector<std::string> &args = {});

class WsClient {
public:
  /* Connects to `url`; `origin` is sent as the Origin header when set;
   * `local_ip` (e.g. "127.0.0.7") is the address the client connects from.
   * Returns nullptr (with a message on stderr) if the upgrade fails. */
  static std::unique_ptr<WsClient> connect (const std::string &url, const char *origin = nullptr,
                                            const char *local_ip = nullptr);
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

/* A self-signed certificate for 127.0.0.1 (openssl); returns the
 * certificate file and sets `key` to the key file. */
std::string make_test_certificate (std::string &key);

/* register + registered; returns the registered message. */
proto::Message register_host (WsClient &host, int max_viewers = 1, int pin_ttl = 0);

} // namespace gv::test
