/* Internal state of the signalling server, shared by server.cpp (HTTP and
 * lifecycle) and server_ws.cpp (WebSocket connections and messages). */
#pragma once

#include "api_keys.h"
#include "cluster.h"
#include "fallback_frame.h"
#include "http_guard.h"
#include "guess_limiter.h"
#include "protocol.h"
#include "rate_limiter.h"
#include "server_config.h"
#include "session_registry.h"
#include "webhooks.h"
#include "ws_io_threads.h"

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace gv::signaling {

/* A WebSocket frame or message (fragments together) above this closes the
 * connection with 1009; between the protocol's 64 KiB and this, a message
 * is answered TOO_LARGE and the connection kept. */
constexpr guint64 kMaxWebSocketBytes = 1024 * 1024;

/* Ingest: a WHIP relay's receiver (server_whip.cpp), which the server
 * gives its publisher's offer. */
enum class Role { None, Host, Viewer, Ingest };

class ServerImpl;

struct Connection {
  Connection (ServerImpl *server, std::shared_ptr<WsChannel> channel, std::string peer,
              std::string address, std::string page_base, double burst, double rate);
  ~Connection ();
  /* A stand-in for a viewer whose WebSocket is on node `remote_node` of
   * the cluster (server_cluster.cpp): what is sent to it goes there. */
  Connection (ServerImpl *server, std::string peer, std::string address, std::string page_base,
              std::string remote_node, double burst, double rate);
  Connection (const Connection &) = delete;
  Connection &operator= (const Connection &) = delete;

  ServerImpl *server;
  std::shared_ptr<WsChannel> channel; /* its WebSocket, on an I/O thread */
  std::string peer;
  std::string address;
  std::string page_base; /* "http://host:port" the client reached us at */
  Role role = Role::None;
  TokenBucket messages;
  /* A viewer's reports and restarts, on top of `messages` (PROTOCOL.md). */
  TokenBucket reports{ 10, 1.0 / 3 };
  TokenBucket restarts{ 3, 1.0 / 10 };
  /* A host's fallback pictures (binary messages), instead of `messages`. */
  TokenBucket pictures{ 240, 240 };
  /* A viewer on the fallback: it asked for pictures (`fallback` start), and
   * how many it was sent and has not acknowledged. */
  bool fallback = false;
  guint fallback_in_flight = 0;
  gint64 last_binary_error_us = 0;
  gint64 last_seen_us;
  gint64 last_rate_error_us = 0;
  guint dropped = 0;
  bool closing = false;
  /* Cluster (server_cluster.cpp). A stand-in (no `channel`): the viewer's
   * WebSocket is on node `remote_node`. A WebSocket whose session is on
   * node `home_node`: what it sends goes there, and `proxied_on` are the
   * nodes that hold a stand-in for it. */
  std::string remote_node;
  std::string home_node;
  std::set<std::string> proxied_on;
  bool stand_in () const { return !channel; }
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
  guint64 fallback_frames_relayed = 0;
  guint64 fallback_frames_dropped = 0; /* the viewer had kMaxFallbackInFlight unacknowledged */
  guint64 fallback_bytes_relayed = 0;
  guint64 fallback_inputs_relayed = 0; /* `input` messages */
  /* The snapshot API's requests, by outcome: taken, refused, timeout,
   * host-gone, unauthorized, forbidden, no-session. */
  std::map<std::string, guint64> snapshots;
  /* Session API requests, by endpoint (its OpenAPI operationId, "unknown"
   * for no endpoint or a method it does not take) and outcome ("ok", or
   * the error's code). */
  std::map<std::pair<std::string, std::string>, guint64> api_requests;
  /* Reservations (POST /api/v1/sessions): made, claimed by a host, expired
   * unclaimed. */
  guint64 reservations_made = 0;
  guint64 reservations_claimed = 0;
  guint64 reservations_expired = 0;
  /* WHEP requests by outcome: ok (answered), deleted, or the error code. */
  std::map<std::string, guint64> whep;
  /* WHIP requests by outcome: ok (answered), deleted, or the error code. */
  std::map<std::string, guint64> whip;
  /* Cluster: joins sent on to the node that holds their PIN, joins refused
   * because that node or Redis could not be reached, messages between
   * nodes. */
  guint64 cluster_joins_routed = 0;
  std::map<std::string, guint64> cluster_joins_refused; /* node-gone, unavailable */
  guint64 cluster_messages_in = 0;
  guint64 cluster_messages_out = 0;
  guint64 recordings_queued = 0; /* POST .../recordings */
};

/* Called with a peer id: ServerImpl's reactions to a paused POST. */
using PeerHandler = void (ServerImpl::*) (const std::string &peer);

/* A WHEP or WHIP POST (server_sdp_http.cpp), paused until the other side
 * of the session answers. */
struct PausedPost {
  PausedPost () = default;
  PausedPost (const PausedPost &) = delete;
  PausedPost &operator= (const PausedPost &) = delete;
  ~PausedPost ();
  /* Pauses `msg`; (server->*on_timeout) (peer) after `timeout_s`, or
   * (server->*on_gone) (peer) when the client goes away first. */
  void pause (SoupServerMessage *msg, guint timeout_s, ServerImpl *server, const std::string &peer,
              PeerHandler on_timeout, PeerHandler on_gone);
  bool waiting () const { return msg_ != nullptr; }
  /* The paused message (a reference, still paused), and nothing fires any
   * more; nullptr when none waits. */
  SoupServerMessage *take ();

private:
  SoupServerMessage *msg_ = nullptr;
  GSource *timeout_ = nullptr;
  gulong gone_handler_ = 0;
};

/* A WHEP player (server_whep.cpp): a viewer of a session with no
 * WebSocket, its POST paused until the host answers. */
struct WhepPlayer {
  std::string peer; /* its viewer id in the session */
  std::string session_id;
  std::string pin;
  std::string resource;          /* the last part of its Location */
  std::string token;             /* the bearer it was made with; DELETE and PATCH show it again */
  std::string offer;             /* until the host accepted it and got the offer */
  std::vector<std::string> mids; /* the offer's sections' mids, by index */
  PausedPost post;
};

/* A WHIP publisher (server_whip.cpp): the host of a reserved session
 * through a relay the server started, which answers its offer and shares
 * its stream with the viewers. */
struct WhipPublisher {
  std::string peer; /* "whip-...": its id towards the relay */
  std::string session_id;
  std::string pin;
  std::string resource; /* the last part of its Location */
  std::string token;    /* the reservation token; DELETE and PATCH show it again */
  std::string ingest;   /* the relay's receiver joins with it */
  std::string offer;
  std::vector<std::string> mids; /* the offer's sections' mids, by index */
  std::string relay_peer;        /* the relay's receiver, once it joined */
  GSubprocess *relay = nullptr;  /* owned; running until its wait ends */
  GCancellable *relay_wait = nullptr;
  PausedPost post;
  ~WhipPublisher ();
};

/* The endpoint a WebRTC-HTTP request came to (server_sdp_http.cpp). */
struct SdpEndpoint {
  const char *name;                                   /* "WHEP" */
  const char *prefix;                                 /* "/whep/" */
  const char *token_is;                               /* what its bearer token is, for people */
  std::map<std::string, guint64> *outcomes = nullptr; /* its errors counted here */
};
struct SdpRequest {
  std::string pin, resource, token;
  std::string offer; /* a POST's, checked in outline */
  bool post = false, patch = false, remove = false;
};

/* A snapshot request waiting for its host (server_snapshot.cpp). */
struct PendingSnapshot {
  SoupServerMessage *msg = nullptr; /* a reference; paused */
  std::string host_peer;
  GSource *timeout = nullptr; /* a reference */
  gulong finished_handler = 0;
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
  void handle_websocket (SoupServerMessage *msg, std::shared_ptr<WsChannel> channel);
  void handle_ws_event (const WsEvent &event);
  void handle_text (Connection &c, GBytes *bytes);
  /* server_fallback.cpp: a binary message (a fallback picture) */
  void handle_binary (Connection &c, GBytes *bytes);
  /* server_api.cpp: the session API (/api/...); false for other paths. */
  bool handle_api (SoupServerMessage *msg, const char *path);
  /* Answers an API request with JSON (`root` is taken) or an error, and
   * counts it under `endpoint`. */
  void api_respond (SoupServerMessage *msg, const char *endpoint, guint status, JsonNode *root);
  void api_error (SoupServerMessage *msg, const char *endpoint, guint status, const char *code,
                  const std::string &message);
  void count_api_request (const char *endpoint, const char *outcome);
  void api_openapi (SoupServerMessage *msg, const char *endpoint);
  void api_list_sessions (SoupServerMessage *msg, const char *endpoint);
  void api_create_session (SoupServerMessage *msg, const char *endpoint,
                           const std::string &key_name);
  /* GET or DELETE (`remove`) of /sessions/{pin} (`whole_session`), GET of
   * its /viewers, DELETE of its /viewers/{viewer}. */
  void api_session_request (SoupServerMessage *msg, const char *endpoint, bool whole_session,
                            bool remove, const std::string &pin, const std::string &viewer);
  /* server_recordings.cpp: the recorder pool (recording_jobs.h). False,
   * answered, without --redis or while Redis is out of reach. */
  bool recorder_pool_ready (SoupServerMessage *msg, const char *endpoint);
  void api_create_recording (SoupServerMessage *msg, const char *endpoint, const std::string &pin);
  void api_get_recording (SoupServerMessage *msg, const char *endpoint, const std::string &id);
  /* GET /recordings: the workers and the newest jobs; GET /nodes: the
   * cluster's nodes (this one alone without --redis). */
  void api_list_recordings (SoupServerMessage *msg, const char *endpoint);
  void api_list_nodes (SoupServerMessage *msg, const char *endpoint);
  /* server_snapshot.cpp: GET /api/v1/sessions/{pin}/snapshot.jpg, the key
   * checked; the answer waits for the host. */
  void request_snapshot (SoupServerMessage *msg, const std::string &pin,
                         const std::string &key_name);
  void snapshot_timed_out (const std::string &id);
  void snapshot_abandoned (const std::string &id); /* the client went away */
  /* Answers every waiting snapshot of `host_peer` ("" every one) with an error. */
  void fail_snapshots (const std::string &host_peer, guint status, const char *code,
                       const std::string &message);
  /* server_whep.cpp: /whep/...; false for other paths. */
  bool handle_whep (SoupServerMessage *msg, const char *path);
  void whep_timed_out (const std::string &peer);
  void whep_abandoned (const std::string &peer); /* the player went before its answer */
  /* The host accepted WHEP player `peer` (if it is one): it gets the offer. */
  void whep_accepted (Session &s, const std::string &peer);
  /* The host's sdp or ice for `peer`: true when `peer` is a WHEP player
   * (the message is used or dropped here). */
  bool whep_from_host (const std::string &peer, const proto::Message &m);
  /* WHEP player `peer` (if it is one) is no longer in its session: `why`
   * "declined" or "refused" (by the host, `detail` its reason) or "ended".
   * A POST still waiting is answered with the error. */
  void whep_gone (const std::string &peer, const char *why, const std::string &detail);
  /* Answers every POST still waiting (the server stops). */
  void fail_whep_posts ();
  /* server_whip.cpp: /whip/...; false for other paths. */
  bool handle_whip (SoupServerMessage *msg, const char *path);
  void whip_timed_out (const std::string &peer);
  void whip_abandoned (const std::string &peer); /* the publisher went before its answer */
  /* The relay of publisher `peer` exited (`status`: how, for people). */
  void whip_relay_exited (const std::string &peer, const std::string &status);
  /* A join with `ingest`: the relay's receiver gets its publisher's offer. */
  void whip_relay_joined (Connection &c, const proto::Message &m);
  /* The relay's receiver's sdp (its answer) or ice. */
  void whip_from_relay (Connection &c, const proto::Message &m);
  /* The relay's receiver's connection closed. */
  void whip_relay_gone (const std::string &relay_peer);
  /* Session `session_id` ended: its publisher's relay (if any) is stopped. */
  void whip_session_ended (const std::string &session_id);
  /* Stops every relay and answers every POST still waiting (the server stops). */
  void stop_whip ();
  /* server_cluster.cpp: --redis. */
  bool start_cluster (GError **error);
  void on_cluster_message (const char *data, gsize size, bool broadcast);
  void cluster_node_gone (const std::string &node);
  std::vector<std::string> cluster_watched () const;
  std::string cluster_load () const;
  /* A join by PIN for a session this node does not hold: sent on to the
   * node that holds it, or refused; false when it is this node's to
   * answer. */
  bool route_join (Connection &c, const std::string &pin);
  /* A message of a WebSocket whose session is on another node. */
  void forward_to_home (Connection &c, const char *data, gsize size);
  /* Text for, or the closing of, a stand-in: to the viewer's node. */
  void send_to_stand_in (Connection &c, const std::string &text);
  void close_stand_in (Connection &c, gushort code, const char *reason);
  /* A WebSocket closed: the nodes holding stand-ins for it are told. */
  void tell_stand_ins_closed (Connection &c);
  /* The viewer `c` no longer has a role; a stand-in's node gets it back. */
  void release_viewer (Connection &c);
  /* A wrong PIN or invite from `address`, counted by every node. */
  void record_guess (const std::string &address, gint64 now_us);
  /* A session created from `address`, counted by every node. */
  void share_create (const std::string &address);
  /* The PIN `pin` for restored session `session_id`: taken over in the
   * cluster (its host moved here); false with `refusal` set otherwise. */
  bool cluster_claim_restored (const std::string &pin, const std::string &session_id,
                               gint64 expires_at_us, std::string &refusal);
  /* A recorder pool job ended: webhooks, if this node queued it. */
  void recording_ended (const std::string &job_id);
  /* Redis is back: this node's sessions take their PINs again. */
  void reclaim_pins ();
  /* Why no PIN could be given: the cluster, or the PIN space. */
  std::string no_pin_reason () const;
  /* Reads --api-keys again; the keys in use stay when the file is bad. */
  bool reload_api_keys (std::string &error);
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
  std::unique_ptr<Cluster> cluster; /* null: no --redis */
  /* The text of the message being handled (a join sent on to another
   * node goes as it came). */
  std::string_view handling_text;
  std::string session_key; /* signs resume tokens (resume_token.h) */
  KeyedRateLimiter create_limiter;
  GuessLimiter guesses;
  std::unordered_map<std::string, std::unique_ptr<Connection>> connections;
  /* Where the WebSockets are read and written (ws_io_threads.h). */
  std::unique_ptr<WsIoThreads> ws_threads;
  Metrics metrics;
  bool flood_mode_noted = false;
  std::unique_ptr<ApiKeys> api_keys; /* null: no --api-keys, no API */
  std::map<std::string, PendingSnapshot> snapshots;
  std::map<std::string, WhepPlayer> whep_players;       /* by viewer id */
  std::map<std::string, WhipPublisher> whip_publishers; /* by publisher id */
  /* Sessions ended through the session API, by id, until their PIN's
   * expiry (Unix µs): their hosts' resume tokens no longer bring them
   * back. */
  std::unordered_map<std::string, gint64> ended_by_api;
  /* Webhook and Gotify notifications (webhooks.h); null: none configured. */
  std::unique_ptr<Notifier> notifier;
  void notify (const char *type, const Session &s, const Viewer *v = nullptr,
               const char *reason = nullptr, const RecordingNote *recording = nullptr)
  {
    if (notifier)
      notifier->emit (type, s, v, reason, recording);
  }
  /* control.granted / control.revoked when a viewer's control capability
   * changed from `before`. */
  void notify_control_change (const Session &s, const Viewer &v, guint before);

  /* server_ws.cpp, also used by the session API. Ends the session: its
   * viewers get `session-ended` with `reason` (and `message` when set);
   * with `host_message` set its host gets `session-ended` too (`removed`)
   * and keeps its connection without a role. */
  void end_session (const std::string &session_id, const char *reason,
                    const std::string &message = "", const std::string &host_message = "");
  /* Removes a viewer; its host gets `peer-left` (`host_reason`), the viewer
   * `session-ended` (`viewer_reason`, with `message` when set) unless
   * `viewer_reason` is null. */
  void drop_viewer (Session &s, const std::string &viewer, const char *host_reason,
                    const char *viewer_reason, const std::string &message = "");

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
  /* server_fallback.cpp */
  void on_fallback (Connection &c, const proto::Message &m);
  void on_input (Connection &c, const proto::Message &m);
  void send_binary_error (Connection &c, proto::ErrorCode code, const std::string &message);
  /* server_snapshot.cpp */
  bool answer_snapshot (Connection &host, const proto::FallbackFrame &frame);
  bool take_snapshot_request (const std::string &id, PendingSnapshot &out);
  void on_snapshot (Connection &c, const proto::Message &m);
  void finish_snapshot (const std::string &id, guint status, const char *code,
                        const std::string &message, const guint8 *jpeg, gsize size);
  /* The reservation of a verified reservation token, now this host's;
   * nullptr with `refusal` set otherwise. */
  Session *claim_reservation (Connection &c, const std::string &token, std::string &refusal);
  /* server_sdp_http.cpp: the front shared by WHEP and WHIP. False when the
   * request was answered (CORS preflight, a malformed request; a POST from
   * an address the wrong-PIN limits stop, checked before its token is
   * looked at, or whose body is not an SDP offer). */
  void sdp_http_cors (SoupServerMessage *msg);
  bool sdp_http_front (SoupServerMessage *msg, const char *path, const SdpEndpoint &e,
                       SdpRequest &out);
  void add_ice_server_links (SoupServerMessage *msg, const std::string &peer);
  /* 201 Created: the SDP `answer`, `location`, no caching, the ICE servers
   * `peer` may use (Link headers). */
  void respond_created (SoupServerMessage *msg, const std::string &location,
                        const std::string &answer, const std::string &peer);
  /* server_whip.cpp */
  void whip_error (SoupServerMessage *msg, guint status, const char *code,
                   const std::string &message);
  void whip_offer (SoupServerMessage *msg, const std::string &pin, const std::string &token,
                   const std::string &offer);
  void whip_resource_request (SoupServerMessage *msg, const SdpRequest &r);
  /* The POST of `peer` answered with `answer`, or failed. */
  void finish_whip_post (const std::string &peer, guint status, const char *code,
                         const std::string &message, const std::string *answer);
  /* Ends publisher `peer`: its POST (if waiting) failed, its relay stopped,
   * its session ended with `message` for the viewers. */
  void end_whip (const std::string &peer, guint status, const char *code,
                 const std::string &message);
  /* The `ghostview` program that runs relays; empty: none (`why` says). */
  std::string whip_relay_program (std::string &why) const;
  /* 0 once the relay runs; else the HTTP status of the refusal (501: no
   * relay program, 500: it could not be started), `why` set. */
  guint start_whip_relay (WhipPublisher &p, std::string &why);
  /* server_whep.cpp */
  void whep_error (SoupServerMessage *msg, guint status, const char *code,
                   const std::string &message);
  void whep_offer (SoupServerMessage *msg, const std::string &pin, const std::string &token,
                   const std::string &offer);
  void whep_resource_request (SoupServerMessage *msg, const std::string &pin,
                              const std::string &resource, const std::string &token, bool patch);
  void finish_whep_post (const std::string &peer, guint status, const char *code,
                         const std::string &message, const std::string *answer);
};

/* server_ws.cpp: what joins with a PIN are told, shared with WHEP. */
bool is_fail_code (proto::ErrorCode code);
std::string pin_error_text (proto::ErrorCode code, const std::string &pin);
const char *guess_limit_name (GuessVerdict verdict);
const char *guess_refusal_text (GuessVerdict verdict);

} // namespace gv::signaling
