/* A viewer played by a bare WebSocket client speaking the signalling
 * protocol (signaling/protocol.h) to the real server: what a browser page
 * sends, without a browser, so a test can send exactly what it wants (a
 * report, a rejecting answer, a fallback request) and read every message,
 * binary ones too. Messages are read by iterating the default main context
 * (the server and the pipelines have their own). */
#pragma once

#include "protocol.h"

#include <libsoup/soup.h>

#include <deque>
#include <string>

namespace gvtest {

struct BareViewer {
  explicit BareViewer (const std::string &url);
  ~BareViewer ();
  BareViewer (const BareViewer &) = delete;
  BareViewer &operator= (const BareViewer &) = delete;

  void send (const std::string &text);
  /* The next text message of `type` (others skipped; an error fails the
   * test unless `type` is Error), or Type::Unknown after `timeout_ms`. */
  gv::proto::Message expect (gv::proto::Type type, int timeout_ms = 20000);
  /* Iterates the default main context for up to `timeout_ms` until a
   * binary message is waiting; false if none came. */
  bool wait_binary (int timeout_ms);
  /* Iterates the default main context for `ms`. */
  void spin (int ms);

  SoupSession *session = nullptr;
  SoupWebsocketConnection *ws = nullptr;
  std::deque<std::string> inbox;  /* text messages */
  std::deque<std::string> binary; /* binary messages */
};

} // namespace gvtest
