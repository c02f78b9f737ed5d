/* WHEP playback (PROTOCOL.md, "WHEP"): a standard WHEP player watches a
 * session without the GhostView page.
 *   POST /whep/{pin}             the player's SDP offer; 201 with the host's
 *                                answer (every candidate in it) and Location
 *   PATCH /whep/{pin}/{resource} trickle ICE fragments, relayed to the host
 *   DELETE /whep/{pin}/{resource} the player leaves
 *   OPTIONS                      CORS preflight
 * Authorization: Bearer with the session's PIN or an invite link's token;
 * a wrong one counts as a wrong PIN (guess_limiter.h). The player is a
 * viewer of the session like any other: the host decides (join-request,
 * with `offers`), it is view-only, it counts against the PIN's uses. The
 * POST waits, paused, for the host's answer for at most kWhepAnswerTimeoutS. */
#include "http_errors.h"
#include "random.h"
#include "sdp_http.h"
#include "server_impl.h"
#include "token_mac.h"

#include <cstring>

namespace gv::signaling {
namespace {

using proto::ErrorCode;

constexpr guint kWhepAnswerTimeoutS = 20;
constexpr const char *kWhepPrefix = "/whep/";
constexpr const char *kPlayerName = "WHEP player";

guint http_status_of (ErrorCode code)
{
  switch (code) {
  case ErrorCode::PinInvalid:
  case ErrorCode::PinExpired:
    return SOUP_STATUS_NOT_FOUND;
  case ErrorCode::PinUsed:
  case ErrorCode::SessionFull:
  case ErrorCode::InviteUsed:
    return SOUP_STATUS_CONFLICT;
  case ErrorCode::InviteInvalid:
  case ErrorCode::InviteExpired:
    return SOUP_STATUS_UNAUTHORIZED;
  default:
    return SOUP_STATUS_FORBIDDEN;
  }
}

} // namespace

void ServerImpl::whep_error (SoupServerMessage *msg, guint status, const char *code,
                             const std::string &message)
{
  metrics.whep[code]++;
  respond_sdp_http_error (msg, status, code, message);
}

bool ServerImpl::handle_whep (SoupServerMessage *msg, const char *path)
{
  if (strncmp (path, kWhepPrefix, strlen (kWhepPrefix)) != 0)
    return false;
  static const SdpEndpoint endpoint{ "WHEP", kWhepPrefix,
                                     "the session's PIN or an invite link's token" };
  SdpEndpoint e = endpoint;
  e.outcomes = &metrics.whep;
  SdpRequest r;
  if (!sdp_http_front (msg, path, e, r))
    return true;
  if (r.post)
    whep_offer (msg, r.pin, r.token, r.offer);
  else
    whep_resource_request (msg, r.pin, r.resource, r.token, r.patch);
  return true;
}

void ServerImpl::whep_offer (SoupServerMessage *msg, const std::string &pin,
                             const std::string &token, const std::string &offer)
{
  const std::string address = client_address (msg);
  gint64 now = g_get_monotonic_time ();
  Viewer v;
  v.id = proto::kWhepPeerPrefix + random_id (12);
  v.name = kPlayerName;
  v.address = address;
  v.offers = true;
  JoinOutcome out;
  std::optional<InviteClaim> claim;
  if (is_pin_shaped (token)) {
    /* The PIN, as typed on the page: it must be the path's. */
    if (!token::equal_in_constant_time (token, pin))
      out.error = ErrorCode::PinInvalid;
    else
      out = registry.join (pin, v, g_get_real_time ());
  } else {
    claim = verify_invite_token (session_key, token);
    Session *by_pin = is_pin_shaped (pin) ? registry.find_by_pin (pin) : nullptr;
    if (!claim || !by_pin || by_pin->id != claim->session)
      out.error = ErrorCode::InviteInvalid;
    else
      out = registry.join_by_invite (*claim, v, g_get_real_time ());
  }
  if (out.error) {
    if (is_fail_code (*out.error) || *out.error == ErrorCode::InviteInvalid) {
      record_guess (address, now);
      note_flood_mode (now);
    }
    metrics.joins_failed++;
    metrics.join_failures_by_code[proto::error_code_name (*out.error)]++;
    const bool bad_token = *out.error == ErrorCode::InviteInvalid ||
                           (*out.error == ErrorCode::PinInvalid && is_pin_shaped (token) &&
                            !token::equal_in_constant_time (token, pin));
    whep_error (msg, bad_token ? (guint) SOUP_STATUS_UNAUTHORIZED : http_status_of (*out.error),
                bad_token ? "UNAUTHORIZED" : proto::error_code_name (*out.error),
                bad_token ? "The token is neither this session's PIN nor a valid invite link's."
                          : pin_error_text (*out.error, pin));
    return;
  }
  metrics.joins_ok++;
  if (claim)
    metrics.joins_by_invite++;

  WhepPlayer &p = whep_players[v.id];
  p.peer = v.id;
  p.session_id = out.session->id;
  p.pin = out.session->pin;
  p.resource = random_id (16);
  p.token = token;
  p.offer = offer;
  p.mids = section_mids (offer);
  p.post.pause (msg, kWhepAnswerTimeoutS, this, v.id, &ServerImpl::whep_timed_out,
                &ServerImpl::whep_abandoned);
  /* A reservation without its host yet: the host gets the request when it
   * claims the session (on_register). */
  send_to (
      out.session->host_peer,
      proto::make_join_request (v.id, v.name, v.address, claim ? claim->capabilities : 0, true));
}

/* The POST of `peer`, answered (`answer` set) or failed; the player is
 * forgotten unless it was answered. */
void ServerImpl::finish_whep_post (const std::string &peer, guint status, const char *code,
                                   const std::string &message, const std::string *answer)
{
  auto it = whep_players.find (peer);
  if (it == whep_players.end () || !it->second.post.waiting ())
    return;
  WhepPlayer &p = it->second;
  SoupServerMessage *msg = p.post.take ();
  if (answer) {
    metrics.whep["ok"]++;
    respond_created (msg, std::string (kWhepPrefix) + p.pin + "/" + p.resource, *answer, peer);
    p.offer.clear ();
  } else {
    whep_error (msg, status, code, message);
    whep_players.erase (it);
  }
  soup_server_message_unpause (msg);
  g_object_unref (msg);
}

void ServerImpl::whep_accepted (Session &s, const std::string &peer)
{
  auto it = whep_players.find (peer);
  if (it == whep_players.end () || it->second.offer.empty ())
    return;
  if (send_to (s.host_peer, proto::make_sdp (peer, "offer", it->second.offer)))
    metrics.messages_relayed++;
}

bool ServerImpl::whep_from_host (const std::string &peer, const proto::Message &m)
{
  auto it = whep_players.find (peer);
  if (it == whep_players.end ())
    return false;
  if (m.type == proto::Type::Ice)
    return true; /* the answer carries the host's candidates */
  std::string type = proto::get_string (m, "sdp_type");
  std::string sdp = proto::get_string (m, "sdp");
  if (type == "answer" && it->second.post.waiting ()) {
    finish_whep_post (peer, SOUP_STATUS_CREATED, nullptr, "", &sdp);
    return true;
  }
  if (type == "offer" && it->second.post.waiting ()) {
    /* A host that offers to everyone (the browser host page, an older
     * ghostview) cannot take a WHEP player. */
    Session *s = registry.find (it->second.session_id);
    finish_whep_post (peer, SOUP_STATUS_NOT_IMPLEMENTED, "HOST_CANNOT_ANSWER",
                      "This session's host cannot answer a WHEP player's offer (it offers to its "
                      "viewers itself); watch it with the GhostView page instead.",
                      nullptr);
    if (s)
      drop_viewer (*s, peer, proto::kReasonLeft, nullptr);
  }
  return true;
}

void ServerImpl::whep_gone (const std::string &peer, const char *why, const std::string &detail)
{
  auto it = whep_players.find (peer);
  if (it == whep_players.end ())
    return;
  if (it->second.post.waiting ()) {
    bool refused = strcmp (why, "refused") == 0;
    bool declined = strcmp (why, "declined") == 0;
    finish_whep_post (peer,
                      refused    ? SOUP_STATUS_BAD_REQUEST
                      : declined ? SOUP_STATUS_FORBIDDEN
                                 : SOUP_STATUS_SERVICE_UNAVAILABLE,
                      refused    ? "OFFER_REFUSED"
                      : declined ? "DECLINED"
                                 : "SESSION_ENDED",
                      refused    ? "The host cannot answer this offer: " + detail
                      : declined ? "The host declined the request to watch" +
                                       (detail.empty () ? std::string (".") : ": " + detail + ".")
                                 : "The session ended before the host answered.",
                      nullptr);
    return;
  }
  whep_players.erase (it);
}

void ServerImpl::whep_timed_out (const std::string &peer)
{
  auto it = whep_players.find (peer);
  std::string session_id = it == whep_players.end () ? "" : it->second.session_id;
  finish_whep_post (peer, SOUP_STATUS_GATEWAY_TIMEOUT, "HOST_TIMEOUT",
                    "The host did not answer within " + std::to_string (kWhepAnswerTimeoutS) +
                        " s (it may not have accepted the request to watch).",
                    nullptr);
  if (Session *s = registry.find (session_id))
    drop_viewer (*s, peer, proto::kReasonLeft, nullptr);
}

void ServerImpl::whep_abandoned (const std::string &peer)
{
  auto it = whep_players.find (peer);
  if (it == whep_players.end () || !it->second.post.waiting ())
    return;
  WhepPlayer &p = it->second;
  g_object_unref (p.post.take ()); /* finished: nothing to answer */
  std::string session_id = p.session_id;
  whep_players.erase (it);
  metrics.whep["CLIENT_GONE"]++;
  if (Session *s = registry.find (session_id))
    drop_viewer (*s, peer, proto::kReasonDisconnected, nullptr);
}

void ServerImpl::fail_whep_posts ()
{
  std::vector<std::string> waiting;
  for (const auto &kv : whep_players)
    if (kv.second.post.waiting ())
      waiting.push_back (kv.first);
  for (const auto &peer : waiting)
    finish_whep_post (peer, SOUP_STATUS_SERVICE_UNAVAILABLE, "SHUTTING_DOWN",
                      "The server is shutting down.", nullptr);
}

void ServerImpl::whep_resource_request (SoupServerMessage *msg, const std::string &pin,
                                        const std::string &resource, const std::string &token,
                                        bool patch)
{
  auto it = whep_players.begin ();
  for (; it != whep_players.end (); ++it)
    if (it->second.pin == pin && token::equal_in_constant_time (it->second.resource, resource))
      break;
  if (it == whep_players.end () || it->second.post.waiting ()) {
    whep_error (msg, SOUP_STATUS_NOT_FOUND, "NOT_FOUND",
                "No WHEP player at this address (it left, or its session ended).");
    return;
  }
  if (!token::equal_in_constant_time (it->second.token, token)) {
    whep_error (msg, SOUP_STATUS_UNAUTHORIZED, "UNAUTHORIZED",
                "The token is not the one this player was created with.");
    return;
  }
  const std::string peer = it->first;
  Session *s = registry.find (it->second.session_id);
  if (!patch) {
    whep_players.erase (it);
    if (s)
      drop_viewer (*s, peer, proto::kReasonLeft, nullptr);
    metrics.whep["deleted"]++;
    soup_server_message_set_status (msg, SOUP_STATUS_OK, nullptr);
    return;
  }
  /* Each candidate goes to the host under the section (its mid) above it
   * in the fragment. */
  const std::vector<std::string> &mids = it->second.mids;
  guint relayed = 0;
  for (const FragmentCandidate &f :
       fragment_candidates (request_body (msg), proto::kMaxCandidateBytes))
    if (s &&
        send_to (s->host_peer, proto::make_ice (peer, f.candidate, mline_of (mids, f.mid), f.mid)))
      relayed++;
  metrics.messages_relayed += relayed;
  soup_server_message_set_status (msg, SOUP_STATUS_NO_CONTENT, nullptr);
}

} // namespace gv::signaling
