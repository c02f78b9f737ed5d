/* The WebSocket side of the server: connections, the per-message rules of
 * PROTOCOL.md, and the relay between a host and its viewers. */
#include "origins.h"
#include "random.h"
#include "reservation_token.h"
#include "resume_token.h"
#include "server_impl.h"
#include "turn_credentials.h"

#include <algorithm>
#include <cstring>

namespace gv::signaling {
namespace {

using proto::ErrorCode;
using proto::Type;

constexpr guint kMaxDroppedBeforeClose = 1000;

} // namespace

bool is_fail_code (ErrorCode code)
{
  return code == ErrorCode::PinInvalid || code == ErrorCode::PinExpired ||
         code == ErrorCode::PinUsed;
}

std::string pin_error_text (ErrorCode code, const std::string &pin)
{
  switch (code) {
  case ErrorCode::PinInvalid:
    return "No session has PIN " + pin + ". Check the digits and try again.";
  case ErrorCode::PinExpired:
    return "PIN " + pin + " has expired. Ask the host for a new one.";
  case ErrorCode::PinUsed:
    return "PIN " + pin + " has already been used. Ask the host for a new one.";
  case ErrorCode::SessionFull:
    return "The session with PIN " + pin + " has no room for another viewer right now.";
  default:
    return proto::error_code_default_message (code);
  }
}

const char *guess_limit_name (GuessVerdict verdict)
{
  switch (verdict) {
  case GuessVerdict::AddressLimited:
    return "join_ip";
  case GuessVerdict::PrefixLimited:
    return "join_prefix";
  default:
    return "join_flood";
  }
}

const char *guess_refusal_text (GuessVerdict verdict)
{
  switch (verdict) {
  case GuessVerdict::AddressLimited:
    return "Too many wrong PINs from this address. Wait a minute and try again.";
  case GuessVerdict::PrefixLimited:
    return "Too many wrong PINs from your network. Wait a minute and try again.";
  default:
    return "Someone is trying many wrong PINs on this server, and a wrong PIN came from your "
           "network today, so joins from it are paused. Try again in a minute.";
  }
}

Connection::Connection (ServerImpl *srv, std::shared_ptr<WsChannel> ws_channel, std::string peer_id,
                        std::string addr, std::string base, double burst, double rate)
    : server (srv), channel (std::move (ws_channel)), peer (std::move (peer_id)),
      address (std::move (addr)), page_base (std::move (base)), messages (burst, rate),
      last_seen_us (g_get_monotonic_time ())
{
  channel->user = this;
}

Connection::~Connection ()
{
  if (!channel)
    return; /* a stand-in (server_cluster.cpp) */
  channel->user = nullptr;
  channel->close (SOUP_WEBSOCKET_CLOSE_GOING_AWAY, nullptr);
}

bool ServerImpl::origin_allowed (SoupServerMessage *msg) const
{
  SoupMessageHeaders *h = soup_server_message_get_request_headers (msg);
  return signaling::origin_allowed (soup_message_headers_get_one (h, "Origin"),
                                    soup_message_headers_get_one (h, "Host"),
                                    config.allowed_origins);
}

void ServerImpl::handle_websocket (SoupServerMessage *msg, std::shared_ptr<WsChannel> channel)
{
  if (!origin_allowed (msg)) {
    metrics.origin_rejected++;
    channel->send_text (proto::make_error (ErrorCode::OriginRejected, "", Type::Unknown));
    channel->close (SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION, "origin rejected");
    return;
  }
  metrics.connections_total++;
  std::string peer = random_id (8);
  auto conn = std::make_unique<Connection> (this, std::move (channel), peer, client_address (msg),
                                            page_base (msg), config.msg_burst, config.msg_per_s);
  connections.emplace (peer, std::move (conn));
}

/* What an I/O thread saw on a WebSocket, now on the main loop. */
void ServerImpl::handle_ws_event (const WsEvent &event)
{
  auto *c = static_cast<Connection *> (event.channel->user);
  switch (event.kind) {
  case WsEvent::Kind::Text:
    handle_text (*c, event.data);
    return;
  case WsEvent::Kind::Binary:
    handle_binary (*c, event.data);
    return;
  case WsEvent::Kind::Closed:
    handle_closed (*c); /* destroys `c` */
    return;
  }
}

void ServerImpl::send (Connection &c, const std::string &text)
{
  if (c.stand_in ())
    send_to_stand_in (c, text);
  else
    c.channel->send_text (text);
}

bool ServerImpl::send_to (const std::string &peer, const std::string &text)
{
  auto it = connections.find (peer);
  if (it == connections.end ())
    return false;
  send (*it->second, text);
  return true;
}

void ServerImpl::send_error (Connection &c, ErrorCode code, const std::string &message, Type ref)
{
  metrics.messages_rejected++;
  send (c, proto::make_error (code, message, ref));
}

void ServerImpl::close_connection (Connection &c, gushort code, const char *reason)
{
  if (c.closing)
    return;
  c.closing = true;
  if (c.stand_in ())
    close_stand_in (c, code, reason);
  else
    c.channel->close (code, reason);
}

void ServerImpl::close_all (gushort code, const char *reason)
{
  for (auto &[peer, c] : connections)
    close_connection (*c, code, reason);
}

std::vector<proto::IceServer> ServerImpl::ice_servers_for (const std::string &peer) const
{
  gint64 expiry = g_get_real_time () / G_USEC_PER_SEC + config.turn_ttl_s;
  return make_ice_servers (config.stun_urls, config.turn_urls, config.turn_secret, peer, expiry);
}

void ServerImpl::handle_text (Connection &c, GBytes *bytes)
{
  gint64 now = g_get_monotonic_time ();
  c.last_seen_us = now;
  if (c.closing)
    return;

  if (!c.messages.try_take (now)) {
    metrics.rate_limited["messages"]++;
    if (++c.dropped >= kMaxDroppedBeforeClose) {
      close_connection (c, SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION, "message flood");
      return;
    }
    /* One error a second at most: answering every dropped message would
     * turn a flood into a flood back. */
    if (now - c.last_rate_error_us >= G_USEC_PER_SEC) {
      c.last_rate_error_us = now;
      send_error (c, ErrorCode::RateLimited, "Too many messages; this one was dropped. Slow down.",
                  Type::Unknown);
    }
    return;
  }

  gsize len = 0;
  const char *data = static_cast<const char *> (g_bytes_get_data (bytes, &len));
  proto::Message m;
  proto::ParseError perr;
  if (!proto::parse (data, len, m, perr)) {
    send_error (c, perr.code, perr.message, Type::Unknown);
    if (perr.code == ErrorCode::UnsupportedVersion)
      close_connection (c, SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION, "unsupported version");
    return;
  }

  if (!c.home_node.empty () && m.type != Type::Ping && m.type != Type::Pong) {
    forward_to_home (c, data, len);
    return;
  }
  handling_text = std::string_view (data, len);
  switch (m.type) {
  case Type::Ping:
    send (c, proto::make_pong ());
    return;
  case Type::Pong:
    return;
  case Type::Register:
    on_register (c, m);
    return;
  case Type::Join:
    on_join (c, m);
    return;
  case Type::Invite:
    on_invite (c, m);
    return;
  case Type::Accept:
  case Type::Decline:
  case Type::Grant:
  case Type::Kick:
  case Type::End:
    on_host_decision (c, m);
    return;
  case Type::Sdp:
  case Type::Ice:
    on_relay (c, m);
    return;
  case Type::Report:
  case Type::Restart:
    on_viewer_notice (c, m);
    return;
  case Type::Fallback:
    on_fallback (c, m);
    return;
  case Type::Input:
    on_input (c, m);
    return;
  case Type::Snapshot:
    on_snapshot (c, m);
    return;
  case Type::Leave:
    on_leave (c);
    return;
  default:
    send_error (c, ErrorCode::NotAllowed,
                std::string ("clients do not send \"") + proto::type_name (m.type) + "\"", m.type);
    return;
  }
}

void ServerImpl::on_register (Connection &c, const proto::Message &m)
{
  if (c.role != Role::None) {
    send_error (c, ErrorCode::NotAllowed, "this connection already has a role", m.type);
    return;
  }
  if (!create_limiter.try_take (c.address, g_get_monotonic_time ())) {
    metrics.rate_limited["create"]++;
    send_error (c, ErrorCode::RateLimited,
                "Too many sessions created from this address. Wait a minute and try again.",
                m.type);
    return;
  }
  share_create (c.address);
  std::string token = proto::get_string (m, "resume_token");
  std::string reservation = proto::get_string (m, "reservation");
  if (!token.empty () && !reservation.empty ()) {
    send_error (c, ErrorCode::BadMessage,
                "a register carries a resume_token or a reservation, not both", m.type);
    return;
  }
  /* A reservation is already counted among the sessions. */
  if (reservation.empty () && registry.session_count () >= config.max_sessions) {
    send_error (c, ErrorCode::Internal, "The server is at capacity. Try again later.", m.type);
    return;
  }
  Session *s = nullptr;
  bool fresh = false; /* not a reservation claimed or a session resumed */
  if (!reservation.empty ()) {
    std::string refusal;
    s = claim_reservation (c, reservation, refusal);
    if (!s) {
      send_error (c, ErrorCode::ResumeRefused, refusal, m.type);
      return;
    }
  } else if (!token.empty ()) {
    std::string refusal;
    s = resume_session (c, token, refusal);
    if (!s) {
      /* The connection keeps no role: the host registers again for a new PIN. */
      send_error (c, ErrorCode::ResumeRefused, refusal, m.type);
      return;
    }
  } else {
    int ttl = (int) proto::get_int (m, "pin_ttl", config.pin_ttl_s);
    int max_viewers = (int) proto::get_int (m, "max_viewers", 1);
    /* During a flood of wrong PINs, new sessions get 9 digits: the lookups a
     * flood from many networks gains then find a PIN 1,000 times less often.
     * Sessions already live keep theirs (their viewers may hold them). */
    int pin_digits =
        guesses.flood_mode (g_get_monotonic_time ()) ? proto::kMaxPinDigits : proto::kMinPinDigits;
    s = registry.create (c.peer, max_viewers, ttl, g_get_real_time (), pin_digits);
    if (!s) {
      send_error (c, ErrorCode::Internal, no_pin_reason (), m.type);
      return;
    }
    metrics.sessions_created++;
    fresh = true;
  }
  c.role = Role::Host;
  if (fresh)
    notify (event::kSessionCreated, *s);

  proto::RegisteredParams p;
  p.session = s->id;
  p.peer = c.peer;
  p.pin = s->pin;
  p.expires_at = s->expires_at_us / G_USEC_PER_SEC;
  p.pin_ttl_s = s->pin_ttl_s;
  p.max_viewers = s->max_viewers;
  p.viewer_url = c.page_base + "/?pin=" + s->pin;
  p.ice_servers = ice_servers_for (c.peer);
  p.resume_token = resume_token_for (*s);
  send (c, proto::make_registered (p));
  /* A session taken over from the host's old connection: its pending
   * viewers were asked there, so ask again here. */
  for (const auto &[id, v] : s->viewers)
    if (!v.admitted)
      send (c, proto::make_join_request (id, v.name, v.address, v.invite_capabilities, v.offers));
}

Session *ServerImpl::claim_reservation (Connection &c, const std::string &token,
                                        std::string &refusal)
{
  std::optional<std::string> id = verify_reservation_token (session_key, token);
  Session *s = id ? registry.find (*id) : nullptr;
  if (!id)
    refusal = "The reservation token does not verify (it was altered, or the server's session key "
              "changed).";
  else if (!s && cluster)
    refusal = "No reservation with this token on this server: it expired, was ended, or was "
              "made on another node of the cluster (connect the host to the node whose API made "
              "it).";
  else if (!s || g_get_real_time () >= s->expires_at_us)
    refusal = "The reservation has expired or was ended; ask for a new one.";
  else if (!s->reserved ())
    refusal = "The reservation was already claimed by another host connection.";
  else {
    registry.move_host (*s, c.peer);
    metrics.reservations_claimed++;
    return s;
  }
  return nullptr;
}

std::string ServerImpl::resume_token_for (const Session &s) const
{
  ResumeClaim claim;
  claim.session = s.id;
  claim.pin = s.pin;
  claim.expires_at = s.expires_at_us / G_USEC_PER_SEC;
  claim.max_viewers = s.max_viewers;
  claim.uses_spent = s.uses_spent;
  return make_resume_token (session_key, claim);
}

/* The session of a verified resume token: still live (the host's old
 * connection has not been noticed gone: it is replaced) or restored (the
 * server restarted, or ended the session when the old connection closed).
 * nullptr with `refusal` set otherwise. Never logs the token. */
Session *ServerImpl::resume_session (Connection &c, const std::string &token, std::string &refusal)
{
  std::optional<ResumeClaim> claim = verify_resume_token (session_key, token);
  if (!claim) {
    refusal = "The resume token does not verify (the server's session key changed, or the token "
              "was altered); the old PIN cannot be kept.";
    return nullptr;
  }
  gint64 now = g_get_real_time ();
  if (now >= claim->expires_at * G_USEC_PER_SEC) {
    refusal = "PIN " + claim->pin + " has expired; it cannot be kept.";
    return nullptr;
  }
  if (ended_by_api.count (claim->session)) {
    refusal = "The session with PIN " + claim->pin +
              " was ended through the session API; it cannot be resumed.";
    return nullptr;
  }
  if (Session *live = registry.find (claim->session)) {
    std::string old_host = live->host_peer;
    registry.move_host (*live, c.peer);
    auto it = connections.find (old_host);
    if (it != connections.end () && it->second.get () != &c) {
      it->second->role = Role::None;
      close_connection (*it->second, SOUP_WEBSOCKET_CLOSE_NORMAL,
                        "the host resumed on another connection");
    }
    return live;
  }
  if (!cluster_claim_restored (claim->pin, claim->session, claim->expires_at * G_USEC_PER_SEC,
                               refusal))
    return nullptr;
  Session *s =
      registry.restore (c.peer, claim->session, claim->pin, claim->expires_at * G_USEC_PER_SEC,
                        claim->max_viewers, claim->uses_spent, now);
  if (!s) {
    refusal = "PIN " + claim->pin + " is in use by another session; it cannot be kept.";
    if (cluster)
      cluster->release_pin (claim->pin, claim->session);
  }
  return s;
}

void ServerImpl::on_join (Connection &c, const proto::Message &m)
{
  if (c.role != Role::None) {
    send_error (c, ErrorCode::NotAllowed, "this connection already has a role", m.type);
    return;
  }
  /* A WHIP relay's receiver: its id is the server's own secret, not a
   * guess (and a relay must not be locked out by guesses from loopback). */
  if (proto::has_field (m, "ingest")) {
    whip_relay_joined (c, m);
    return;
  }
  gint64 now = g_get_monotonic_time ();
  /* Checked before the PIN is looked at: a refused guess learns nothing. */
  GuessVerdict verdict = guesses.check (c.address, now);
  if (verdict != GuessVerdict::Allowed) {
    metrics.rate_limited[guess_limit_name (verdict)]++;
    send_error (c, ErrorCode::RateLimited, guess_refusal_text (verdict), m.type);
    return;
  }

  Viewer v;
  v.id = c.peer;
  v.name = proto::get_string (m, "name");
  v.address = c.address;
  if (proto::has_field (m, "invite")) {
    join_by_invite (c, m, v, now);
    return;
  }
  std::string pin = proto::get_string (m, "pin");
  if (route_join (c, pin))
    return;
  JoinOutcome out = registry.join (pin, v, g_get_real_time ());
  std::string shown_pin = is_pin_shaped (pin) ? pin : "\"" + pin.substr (0, 8) + "\"";
  if (out.error) {
    if (is_fail_code (*out.error)) {
      record_guess (c.address, now);
      note_flood_mode (now);
    }
    metrics.joins_failed++;
    metrics.join_failures_by_code[proto::error_code_name (*out.error)]++;
    send_error (c, *out.error, pin_error_text (*out.error, shown_pin), m.type);
    return;
  }
  c.role = Role::Viewer;
  metrics.joins_ok++;
  send (c, proto::make_waiting (out.session->id, c.peer));
  send_to (out.session->host_peer, proto::make_join_request (c.peer, v.name, c.address));
}

/* A viewer with an invite link's token: a forged, tampered or truncated
 * one counts as a wrong guess (guess_limiter.h), as a wrong PIN does. */
void ServerImpl::join_by_invite (Connection &c, const proto::Message &m, const Viewer &v,
                                 gint64 now)
{
  std::optional<InviteClaim> claim =
      verify_invite_token (session_key, proto::get_string (m, "invite"));
  JoinOutcome out;
  if (claim)
    out = registry.join_by_invite (*claim, v, g_get_real_time ());
  else
    out.error = ErrorCode::InviteInvalid;
  if (out.error) {
    if (*out.error == ErrorCode::InviteInvalid) {
      record_guess (c.address, now);
      note_flood_mode (now);
    }
    metrics.joins_failed++;
    metrics.join_failures_by_code[proto::error_code_name (*out.error)]++;
    send_error (c, *out.error, proto::error_code_default_message (*out.error), m.type);
    return;
  }
  c.role = Role::Viewer;
  metrics.joins_ok++;
  metrics.joins_by_invite++;
  send (c, proto::make_waiting (out.session->id, c.peer));
  send_to (out.session->host_peer,
           proto::make_join_request (c.peer, v.name, c.address, claim->capabilities));
}

/* A host asks for an invite link to its session. */
void ServerImpl::on_invite (Connection &c, const proto::Message &m)
{
  Session *s = c.role == Role::Host ? registry.find_by_host (c.peer) : nullptr;
  if (!s) {
    send_error (c, ErrorCode::NotAllowed, "only a host sends \"invite\"", m.type);
    return;
  }
  InviteClaim claim;
  claim.session = s->id;
  claim.capabilities = (proto::get_capabilities (m) & gv::kAllCapabilities) | GV_CAPABILITY_VIEW;
  claim.uses = (int) proto::get_int (m, "uses", 1);
  claim.expires_at =
      g_get_real_time () / G_USEC_PER_SEC + proto::get_int (m, "ttl", kDefaultInviteTtlS);
  claim.id = new_invite_id ();
  if (claim.id.empty ()) {
    send_error (c, ErrorCode::Internal, "the server's random source failed", m.type);
    return;
  }
  proto::InviteLinkParams p;
  p.token = make_invite_token (session_key, claim);
  p.capabilities = claim.capabilities;
  p.uses = claim.uses;
  p.expires_at = claim.expires_at;
  p.url = c.page_base + "/?invite=" + p.token;
  metrics.invites_made++;
  send (c, proto::make_invite_link (p));
}

void ServerImpl::on_host_decision (Connection &c, const proto::Message &m)
{
  Session *s = c.role == Role::Host ? registry.find_by_host (c.peer) : nullptr;
  if (!s) {
    send_error (c, ErrorCode::NotAllowed,
                std::string ("only a host sends \"") + proto::type_name (m.type) + "\"", m.type);
    return;
  }
  if (m.type == Type::End) {
    end_session (s->id, proto::kReasonHostEnded);
    return;
  }
  std::string viewer = proto::get_string (m, "peer");
  auto vit = s->viewers.find (viewer);
  if (vit == s->viewers.end ()) {
    send_error (c, ErrorCode::UnknownPeer, "no viewer " + viewer + " in this session", m.type);
    return;
  }

  switch (m.type) {
  case Type::Accept: {
    guint caps = proto::has_field (m, "capabilities") ? proto::get_capabilities (m)
                                                      : (guint) GV_CAPABILITY_VIEW;
    if (!registry.accept (*s, viewer, caps)) {
      send_error (c, ErrorCode::NotAllowed, "viewer " + viewer + " is already admitted", m.type);
      return;
    }
    metrics.joins_accepted++;
    if (vit->second.offers)
      registry.grant (*s, viewer, GV_CAPABILITY_VIEW); /* a WHEP player only watches */
    notify (event::kViewerJoined, *s, &s->viewers[viewer]);
    notify_control_change (*s, s->viewers[viewer], 0);
    /* The token must carry the use just spent, or a resume would refund it. */
    send (c, proto::make_resume_token (resume_token_for (*s)));
    send_to (viewer, proto::make_joined (s->id, viewer, s->viewers[viewer].capabilities,
                                         ice_servers_for (viewer)));
    whep_accepted (*s, viewer);
    return;
  }
  case Type::Decline: {
    if (vit->second.admitted) {
      send_error (c, ErrorCode::NotAllowed, "viewer " + viewer + " is already admitted; use kick",
                  m.type);
      return;
    }
    metrics.joins_declined++;
    std::string reason = proto::get_string (m, "reason");
    whep_gone (viewer, "declined", reason);
    registry.remove_viewer (*s, viewer);
    auto it = connections.find (viewer);
    if (it != connections.end ()) {
      send (*it->second,
            proto::make_error (ErrorCode::Declined,
                               reason.empty () ? ""
                                               : "The host declined the request to join: " + reason,
                               Type::Join, reason));
      release_viewer (*it->second);
    }
    return;
  }
  case Type::Grant: {
    guint before = vit->second.capabilities;
    if (!registry.grant (*s, viewer, proto::get_capabilities (m))) {
      send_error (c, ErrorCode::NotAllowed, "viewer " + viewer + " is not admitted yet", m.type);
      return;
    }
    send_to (viewer, proto::make_capabilities (s->viewers[viewer].capabilities));
    notify_control_change (*s, s->viewers[viewer], before);
    return;
  }
  case Type::Kick:
    /* A WHEP player waiting for its answer: the host could not answer. */
    whep_gone (viewer, "refused", proto::get_string (m, "reason"));
    drop_viewer (*s, viewer, proto::kReasonRemoved, proto::kReasonRemoved);
    return;
  default:
    return;
  }
}

void ServerImpl::on_relay (Connection &c, const proto::Message &m)
{
  if (c.role == Role::Ingest) {
    whip_from_relay (c, m);
    return;
  }
  Session *s = nullptr;
  std::string to;
  if (c.role == Role::Host) {
    s = registry.find_by_host (c.peer);
    to = proto::get_string (m, "peer");
    const Viewer *v = s ? find_viewer (*s, to) : nullptr;
    if (!v) {
      send_error (c, ErrorCode::UnknownPeer, "no viewer \"" + to + "\" in this session", m.type);
      return;
    }
    if (!v->admitted) {
      send_error (c, ErrorCode::NotAllowed, "viewer " + to + " has not been accepted", m.type);
      return;
    }
  } else if (c.role == Role::Viewer) {
    s = registry.find_by_viewer (c.peer);
    const Viewer *self = s ? find_viewer (*s, c.peer) : nullptr;
    if (!self || !self->admitted) {
      send_error (c, ErrorCode::NotAllowed, "wait until the host has accepted you", m.type);
      return;
    }
    to = s->host_peer;
  } else {
    send_error (c, ErrorCode::NotAllowed, "register or join first", m.type);
    return;
  }

  if (c.role == Role::Host && whep_from_host (to, m))
    return;
  std::string text;
  if (m.type == Type::Sdp)
    text =
        proto::make_sdp (c.peer, proto::get_string (m, "sdp_type"), proto::get_string (m, "sdp"));
  else
    text = proto::make_ice (c.peer, proto::get_string (m, "candidate"),
                            (guint) proto::get_int (m, "sdp_mline_index"),
                            proto::get_string (m, "sdp_mid"));
  if (send_to (to, text))
    metrics.messages_relayed++;
}

/* A viewer's report or restart, for its host only: relayed like sdp and ice,
 * with limits of their own (a restart costs the host a peer connection). */
void ServerImpl::on_viewer_notice (Connection &c, const proto::Message &m)
{
  Session *s = c.role == Role::Viewer ? registry.find_by_viewer (c.peer) : nullptr;
  const Viewer *self = s ? find_viewer (*s, c.peer) : nullptr;
  if (!self || !self->admitted) {
    send_error (c, ErrorCode::NotAllowed,
                std::string ("only a viewer the host has accepted sends \"") +
                    proto::type_name (m.type) + "\"",
                m.type);
    return;
  }
  bool report = m.type == Type::Report;
  if (!(report ? c.reports : c.restarts).try_take (g_get_monotonic_time ())) {
    metrics.rate_limited[report ? "reports" : "restarts"]++;
    send_error (c, ErrorCode::RateLimited,
                report ? "Too many reports; this one was dropped."
                       : "Too many retries in a short time. Wait a few seconds and try again.",
                m.type);
    return;
  }
  std::string text;
  if (report) {
    std::string problem = proto::get_string (m, "problem");
    text = proto::make_report (c.peer, problem, proto::get_string (m, "detail"),
                               proto::get_string (m, "codec"));
    metrics.reports_by_problem[problem]++;
  } else {
    text = proto::make_restart (c.peer);
    metrics.restarts++;
  }
  if (send_to (s->host_peer, text))
    metrics.messages_relayed++;
}

void ServerImpl::on_leave (Connection &c)
{
  Session *s = c.role == Role::Viewer ? registry.find_by_viewer (c.peer) : nullptr;
  if (!s) {
    send_error (c, ErrorCode::NotAllowed, "only a viewer in a session leaves", Type::Leave);
    return;
  }
  drop_viewer (*s, c.peer, proto::kReasonLeft, nullptr);
  release_viewer (c);
}

void ServerImpl::drop_viewer (Session &s, const std::string &viewer, const char *host_reason,
                              const char *viewer_reason, const std::string &message)
{
  std::string host = s.host_peer;
  /* Only a viewer that was admitted "joined"; a pending one that goes
   * away is no event. */
  const Viewer *found = find_viewer (s, viewer);
  std::optional<Viewer> left;
  if (found && found->admitted)
    left = *found;
  registry.remove_viewer (s, viewer);
  whep_gone (viewer, "ended", "");
  if (left)
    notify (event::kViewerLeft, s, &*left, host_reason);
  send_to (host, proto::make_peer_left (viewer, host_reason));
  if (viewer_reason) {
    auto it = connections.find (viewer);
    if (it != connections.end ()) {
      send (*it->second, proto::make_session_ended (viewer_reason, message));
      release_viewer (*it->second);
    }
  }
}

void ServerImpl::end_session (const std::string &session_id, const char *reason,
                              const std::string &message, const std::string &host_message)
{
  Session *s = registry.find (session_id);
  std::string host_peer = s ? s->host_peer : "";
  if (s)
    notify (event::kSessionEnded, *s, nullptr, reason);
  whip_session_ended (session_id);
  if (s && cluster)
    cluster->release_pin (s->pin, s->id);
  if (!host_peer.empty ())
    fail_snapshots (host_peer, SOUP_STATUS_BAD_GATEWAY, "HOST_GONE",
                    "The session ended before the host sent the snapshot.");
  for (const auto &viewer : registry.end (session_id)) {
    whep_gone (viewer, "ended", "");
    auto it = connections.find (viewer);
    if (it != connections.end ()) {
      send (*it->second, proto::make_session_ended (reason, message));
      release_viewer (*it->second);
    }
  }
  auto host = host_message.empty () ? connections.end () : connections.find (host_peer);
  if (host != connections.end ()) {
    send (*host->second, proto::make_session_ended (proto::kReasonRemoved, host_message));
    host->second->role = Role::None;
  }
}

void ServerImpl::notify_control_change (const Session &s, const Viewer &v, guint before)
{
  bool had = before & GV_CAPABILITY_CONTROL, has = v.capabilities & GV_CAPABILITY_CONTROL;
  if (had != has)
    notify (has ? event::kControlGranted : event::kControlRevoked, s, &v);
}

void ServerImpl::handle_closed (Connection &c)
{
  if (c.role == Role::Host) {
    fail_snapshots (c.peer, SOUP_STATUS_BAD_GATEWAY, "HOST_GONE",
                    "The host disconnected before it sent the snapshot.");
    if (Session *s = registry.find_by_host (c.peer))
      end_session (s->id, proto::kReasonHostDisconnected);
  } else if (c.role == Role::Viewer) {
    if (Session *s = registry.find_by_viewer (c.peer))
      drop_viewer (*s, c.peer, proto::kReasonDisconnected, nullptr);
  } else if (c.role == Role::Ingest) {
    whip_relay_gone (c.peer);
  }
  tell_stand_ins_closed (c);
  connections.erase (c.peer); /* destroys `c` */
}

void ServerImpl::housekeeping ()
{
  gint64 now = g_get_monotonic_time ();
  gint64 idle_us = (gint64) config.idle_timeout_s * G_USEC_PER_SEC;
  for (auto &[peer, c] : connections)
    /* A stand-in's WebSocket is watched on its own node. */
    if (!c->stand_in () && now - std::max (c->last_seen_us, c->channel->last_pong_us ()) > idle_us)
      close_connection (*c, SOUP_WEBSOCKET_CLOSE_GOING_AWAY, "idle timeout");
  create_limiter.prune (now);
  guesses.prune (now);
  gint64 wall = g_get_real_time ();
  for (const auto &id : registry.expired_reservations (wall)) {
    metrics.reservations_expired++;
    end_session (id, proto::kReasonHostDisconnected,
                 "The session's host never connected; its reservation expired.");
  }
  for (auto it = ended_by_api.begin (); it != ended_by_api.end ();)
    it = wall >= it->second ? ended_by_api.erase (it) : std::next (it);
  note_flood_mode (now);
}

void ServerImpl::note_flood_mode (gint64 now_us)
{
  bool flood = guesses.flood_mode (now_us);
  if (flood == flood_mode_noted)
    return;
  flood_mode_noted = flood;
  if (flood)
    g_message ("flood of wrong PINs: more than %zu networks in %.0f minutes; new sessions get "
               "%d-digit PINs",
               config.guess_limits.flood_networks, config.guess_limits.flood_window_s / 60,
               proto::kMaxPinDigits);
  else
    g_message ("the flood of wrong PINs is over; new sessions get %d-digit PINs again",
               proto::kMinPinDigits);
}

} // namespace gv::signaling
