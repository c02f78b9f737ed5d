/* Internal state of the signalling server, shared by server.cpp (HTTP and
 * lifecycle) and server_ws.cpp (WebSocket connections and messages). */
#pragma once

#include "http_guard.h"
#include "guess_limiter.h"
#include "protocol.h"
#include "rate_limiter.h"
#include "server_config.h"
#include "session_registry.h"

#include <libsoup/soup.h>

#include <map>
#include <memory>
#include <string>
#include <unordered_map>

namespace gv::signaling {

/* A WebSocket frame or message (fragments together) above this closes the
 * connection with 1009; between the protocol's 64 KiB and this, a message
 * is answered TOO_LARGE and the connection kept. */
constexpr guint64 kMaxWebSocketBytes = 1024 * 1024;

enum class Role { None, Host, Viewer };

class ServerImpl;

struct Connection {
  Connection (ServerImpl *server, SoupWebsocketConnection *ws, std::string peer,
              std::string address, std::string page_base, double burst, double rate);
  ~Connection ();
  Connection (const Connection &) = delete;
  Connection &operator= (const Connection &) = delete;

  ServerImpl *server;
  SoupWebsocketConnection *ws;
  std::string peer;
  std::string address;
  std::string page_base; /* "http://host:port" the client reached us at */
  Role role = Role::None;
  TokenBucket messages;
  /* A viewer's reports and restarts, on top of `messages` (PROTOCOL.md). */
  TokenBucket reports{ 10, 1.0 / 3 };
  TokenBucket restarts{ 3, 1.0 / 10 };
  gint64 last_seen_us;
  gint64 last_rate_error_us = 0;
  guint dropped = 0;
  bool closing = false;
};

struct Metrics {
  guint64 sessions_created = 0;
  guint64 joins_ok = 0;
  guint64 joins_failed = 0;
  guint64 joins_accepted = 0;
  guint64 joins_declined = 0;
  guint64 joins_by_invite = 0; /* of joins_ok */
  guint64 invites_made = 0;
  std::map<std::string, guint64> join_failures_by_code;
  std::map<std::string, guint64> rate_limited; /* by limit name */
  guint64 messages_relayed = 0;
  std::map<std::string, guint64> reports_by_problem; /* viewers' `report`s relayed */
  guint64 restarts = 0;                              /* viewers' `restart`s relayed */
  guint64 messages_rejected = 0;
  guint64 connections_total = 0;
  guint64 origin_rejected = 0;
};

class ServerImpl {
public:
  explicit ServerImpl (const ServerConfig &config);
  ~ServerImpl ();

  bool start (GError **error);
  void stop ();

  /* server.cpp: HTTP */
  void handle_http (SoupServerMessage *msg, const char *path);
  std::string client_address (SoupServerMessage *msg) const;
  std::string page_base (SoupServerMessage *msg) const;
  std::string healthz_json () const;
  /* Clients reach us over https: our TLS, or a proxy's in front. */
  bool https () const { return config.tls () || config.behind_tls_proxy; }
  std::string metrics_text () const;

  /* server_ws.cpp: WebSocket */
  void handle_websocket (SoupServerMessage *msg, SoupWebsocketConnection *ws);
  void handle_text (Connection &c, GBytes *bytes);
  void handle_closed (Connection &c);
  void housekeeping ();
  /* Logs flood mode turning on or off. */
  void note_flood_mode (gint64 now_us);
  void close_all (gushort code, const char *reason);

  ServerConfig config;
  SoupServer *soup = nullptr;
  std::string web_root; /* resolved; empty: no pages */
  guint port = 0;
  gint64 started_us = 0;
  guint housekeeping_source = 0;
  std::unique_ptr<HttpGuard> http_guard;

  SessionRegistry registry;
  std::string session_key; /* signs resume tokens (resume_token.h) */
  KeyedRateLimiter create_limiter;
  GuessLimiter guesses;
  std::unordered_map<std::string, std::unique_ptr<Connection>> connections;
  Metrics metrics;
  bool flood_mode_noted = false;

private:
  void send (Connection &c, const std::string &text);
  bool send_to (const std::string &peer, const std::string &text);
  void send_error (Connection &c, proto::ErrorCode code, const std::string &message,
                   proto::Type ref);
  void close_connection (Connection &c, gushort code, const char *reason);
  bool origin_allowed (SoupServerMessage *msg) const;
  std::vector<proto::IceServer> ice_servers_for (const std::string &peer) const;

  void on_register (Connection &c, const proto::Message &m);
  Session *resume_session (Connection &c, const std::string &token, std::string &refusal);
  std::string resume_token_for (const Session &s) const;
  void on_join (Connection &c, const proto::Message &m);
  void join_by_invite (Connection &c, const proto::Message &m, const Viewer &v, gint64 now);
  void on_invite (Connection &c, const proto::Message &m);
  void on_host_decision (Connection &c, const proto::Message &m);
  void on_relay (Connection &c, const proto::Message &m);
  void on_viewer_notice (Connection &c, const proto::Message &m);
  void on_leave (Connection &c);
  void end_session (const std::string &session_id, const char *reason);
  void drop_viewer (Session &s, const std::string &viewer, const char *host_reason,
                    const char *viewer_reason);
};

} // namespace gv::signaling
