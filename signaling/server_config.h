/* Settings of the signalling server, from the command line and environment. */
#pragma once

#include "guess_limiter.h"
#include "webhooks.h"

#include <glib.h>

#include <string>
#include <vector>

namespace gv::signaling {

struct ServerConfig {
  std::string address = "0.0.0.0";
  guint port = 8443;
  std::string web_root; /* served at /; empty: no pages */
  std::string tls_cert_file;
  std::string tls_key_file;
  bool behind_tls_proxy = false; /* a proxy terminates TLS in front of us */
  bool trust_proxy = false;      /* use X-Forwarded-For for the client IP */
  bool production = false;
  std::vector<std::string> allowed_origins; /* "https://example.com" */
  std::string public_url;                   /* base for viewer_url; derived when empty */

  int pin_ttl_s = 600;
  int idle_timeout_s = 60;
  int keepalive_s = 20;
  guint max_sessions = 100000;

  /* The HTTP surface (README, "Limits"): a request must arrive whole, and a
   * kept-alive connection may sit idle, this long (slowloris); one client
   * address may hold this many TCP connections at once (pages and
   * WebSockets together; not applied with trust_proxy, where every
   * connection comes from the proxy). */
  int http_timeout_s = 10;
  guint max_connections_per_address = 64;
  /* Threads that read and write WebSockets (ws_io_threads.h); 0: sized
   * by WsIoThreads::sized (grows with the connections). */
  guint io_threads = 0;

  /* ICE servers handed to peers. TURN URLs get short-term credentials. */
  std::vector<std::string> stun_urls;
  std::vector<std::string> turn_urls;
  std::string turn_secret;
  int turn_ttl_s = 24 * 3600;

  /* Key of hosts' resume tokens; empty: a key for this process only, so a
   * host keeps its PIN across a lost connection but not a restart. */
  std::string session_key_file;

  /* Keys of the session API (/api/v1/..., api_keys.h); empty: no API. */
  std::string api_keys_file;

  /* WHIP ingest (server_whip.cpp): the `ghostview` launcher that runs a
   * relay for each publisher ("off": no WHIP; empty: `ghostview` beside
   * this program, else on PATH), and the WebSocket URL the relay reaches
   * this server at (empty: this server's own port on loopback). */
  std::string whip_relay;
  std::string whip_relay_server;
  /* Relays at once: each decodes and encodes a stream (503 beyond). */
  guint whip_max_relays = 8;

  /* A cluster of nodes through Redis (cluster.h): "redis://HOST:PORT[/DB]";
   * empty: this node alone, all in memory. `node_id` names this node to
   * the others (empty: a random one). */
  std::string redis_url;
  std::string node_id;

  /* Notifications of session events (webhooks.h): webhook receivers and a
   * Gotify server; none: nothing is sent. */
  WebhookSettings webhooks;

  /* Rate limits (see PROTOCOL.md). */
  double create_burst = 10, create_per_s = 10.0 / 60;
  GuessLimits guess_limits; /* wrong PINs: SECURITY.md, "PIN guessing" */
  double msg_burst = 200, msg_per_s = 50;

  bool tls () const { return !tls_cert_file.empty (); }
};

/* The server's options as a GOptionGroup named "server" (so a program that
 * embeds the server shows them with --help-server, or makes them its main
 * group). Parsing the group fills `config` — GHOSTVIEW_* environment
 * variables first, the command line over them — and validates it; a bad value
 * fails g_option_context_parse () with the error set. `config` must outlive
 * the parse; the group owns everything else. */
GOptionGroup *server_option_group (ServerConfig &config);

/* Fills `config` from argv (GOptionContext) and GHOSTVIEW_* environment
 * variables; command-line options win. Returns false with `error` set on a
 * usage error. Consumes the options it knows from argc/argv. */
bool parse_server_options (ServerConfig &config, int *argc, char ***argv, GError **error);

/* The production rules: TLS or a TLS proxy, and an origins list. */
bool validate_server_config (const ServerConfig &config, GError **error);

} // namespace gv::signaling
