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
#include "server_impl.h"
#include "token_mac.h"

#include <cstring>

namespace gv::signaling {
namespace {

using proto::ErrorCode;

constexpr guint kWhepAnswerTimeoutS = 20;
/* libsoup 3.2 has no name for it. */
constexpr guint kStatusTooManyRequests = 429;
constexpr const char *kWhepPrefix = "/whep/";
constexpr const char *kPlayerName = "WHEP player";

struct Callback {
  ServerImpl *server;
  std::string peer;
};

gboolean on_answer_timeout (gpointer data)
{
  auto *c = static_cast<Callback *> (data);
  c->server->whep_timed_out (c->peer);
  return G_SOURCE_REMOVE;
}

void on_post_gone (SoupServerMessage *, gpointer data)
{
  auto *c = static_cast<Callback *> (data);
  c->server->whep_abandoned (c->peer);
}

void delete_callback (gpointer data)
{
  delete static_cast<Callback *> (data);
}

void delete_closure_callback (gpointer data, GClosure *)
{
  delete static_cast<Callback *> (data);
}

/* "application/sdp; charset=..." is application/sdp. */
bool content_type_is (SoupServerMessage *msg, const char *type)
{
  const char *value = soup_message_headers_get_content_type (
      soup_server_message_get_request_headers (msg), nullptr);
  return value && g_ascii_strcasecmp (value, type) == 0;
}

std::string request_body (SoupServerMessage *msg)
{
  SoupMessageBody *body = soup_server_message_get_request_body (msg);
  GBytes *bytes = soup_message_body_flatten (body);
  gsize size = 0;
  const char *data = static_cast<const char *> (g_bytes_get_data (bytes, &size));
  std::string text (data ? data : "", size);
  g_bytes_unref (bytes);
  return text;
}

/* An SDP offer in its outline: text, "v=0" first, one media section or more. */
bool looks_like_sdp (const std::string &sdp)
{
  return sdp.compare (0, 3, "v=0") == 0 && sdp.find ("\nm=") != std::string::npos &&
         g_utf8_validate (sdp.data (), (gssize) sdp.size (), nullptr) &&
         sdp.find ('\0') == std::string::npos;
}

/* The mids of the offer's media sections, by index. */
std::vector<std::string> section_mids (const std::string &sdp)
{
  std::vector<std::string> mids;
  gchar **lines = g_strsplit (sdp.c_str (), "\n", -1);
  for (gchar **l = lines; *l; l++) {
    g_strchomp (*l);
    if (g_str_has_prefix (*l, "m="))
      mids.emplace_back ();
    else if (g_str_has_prefix (*l, "a=mid:") && !mids.empty ())
      mids.back () = *l + 6;
  }
  g_strfreev (lines);
  return mids;
}

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

/* CORS: a player on another origin may call us (its token is a bearer, no
 * cookie); with --allowed-origins, only those origins. */
void ServerImpl::whep_cors (SoupServerMessage *msg)
{
  SoupMessageHeaders *in = soup_server_message_get_request_headers (msg);
  SoupMessageHeaders *out = soup_server_message_get_response_headers (msg);
  const char *origin = soup_message_headers_get_one (in, "Origin");
  if (!config.allowed_origins.empty ()) {
    if (!origin || !origin_allowed (msg))
      return;
    soup_message_headers_replace (out, "Access-Control-Allow-Origin", origin);
    soup_message_headers_replace (out, "Vary", "Origin");
  } else {
    soup_message_headers_replace (out, "Access-Control-Allow-Origin", "*");
  }
  soup_message_headers_replace (out, "Access-Control-Allow-Methods",
                                "POST, PATCH, DELETE, OPTIONS");
  soup_message_headers_replace (out, "Access-Control-Allow-Headers",
                                "Authorization, Content-Type, If-Match");
  soup_message_headers_replace (out, "Access-Control-Expose-Headers", "Location, ETag, Link");
  soup_message_headers_replace (out, "Access-Control-Max-Age", "600");
}

void ServerImpl::whep_error (SoupServerMessage *msg, guint status, const char *code,
                             const std::string &message)
{
  metrics.whep[code]++;
  if (status == SOUP_STATUS_UNAUTHORIZED)
    soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                  "WWW-Authenticate", "Bearer realm=\"ghostview\"");
  respond_error (msg, status, code, message);
}

bool ServerImpl::handle_whep (SoupServerMessage *msg, const char *path)
{
  if (strncmp (path, kWhepPrefix, strlen (kWhepPrefix)) != 0)
    return false;
  whep_cors (msg);
  if (soup_server_message_get_status (msg) != 0)
    return true; /* answered already (http_guard.h: a body over the limit) */
  gchar **parts = g_strsplit (path + strlen (kWhepPrefix), "/", 3);
  guint n = g_strv_length (parts);
  std::string pin = n >= 1 ? parts[0] : "", resource = n >= 2 ? parts[1] : "";
  bool shaped = (n == 1 || (n == 2 && !resource.empty ())) && !pin.empty ();
  g_strfreev (parts);
  const char *method = soup_server_message_get_method (msg);
  if (!shaped) {
    whep_error (msg, SOUP_STATUS_NOT_FOUND, "NOT_FOUND",
                "WHEP endpoints are /whep/{pin} (POST) and the Location it returns.");
    return true;
  }
  const char *allowed = resource.empty () ? "POST, OPTIONS" : "PATCH, DELETE, OPTIONS";
  if (strcmp (method, "OPTIONS") == 0) {
    soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Allow", allowed);
    soup_server_message_set_status (msg, SOUP_STATUS_NO_CONTENT, nullptr);
    return true;
  }
  bool post = resource.empty () && strcmp (method, "POST") == 0;
  bool patch = !resource.empty () && strcmp (method, "PATCH") == 0;
  bool remove = !resource.empty () && strcmp (method, "DELETE") == 0;
  if (!post && !patch && !remove) {
    soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Allow", allowed);
    whep_error (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "METHOD_NOT_ALLOWED",
                std::string (method) + " is not allowed here; this endpoint takes " + allowed +
                    ".");
    return true;
  }
  std::string token;
  const char *authorization =
      soup_message_headers_get_one (soup_server_message_get_request_headers (msg), "Authorization");
  if (!bearer_token (authorization, token)) {
    whep_error (msg, SOUP_STATUS_UNAUTHORIZED, "UNAUTHORIZED",
                "A WHEP request needs \"Authorization: Bearer TOKEN\", the token being the "
                "session's PIN or an invite link's token.");
    return true;
  }
  if (post)
    whep_offer (msg, pin, token);
  else
    whep_resource_request (msg, pin, resource, token, patch);
  return true;
}

void ServerImpl::whep_offer (SoupServerMessage *msg, const std::string &pin,
                             const std::string &token)
{
  if (!content_type_is (msg, "application/sdp")) {
    whep_error (msg, SOUP_STATUS_UNSUPPORTED_MEDIA_TYPE, "UNSUPPORTED_MEDIA_TYPE",
                "A WHEP offer is sent as \"Content-Type: application/sdp\".");
    return;
  }
  const std::string address = client_address (msg);
  gint64 now = g_get_monotonic_time ();
  /* Checked before the PIN is looked at, as for a join: a refused guess
   * learns nothing. */
  GuessVerdict verdict = guesses.check (address, now);
  if (verdict != GuessVerdict::Allowed) {
    metrics.rate_limited[guess_limit_name (verdict)]++;
    soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Retry-After",
                                  "60");
    whep_error (msg, kStatusTooManyRequests, "RATE_LIMITED", guess_refusal_text (verdict));
    return;
  }
  std::string offer = request_body (msg);
  if (!looks_like_sdp (offer)) {
    whep_error (msg, SOUP_STATUS_BAD_REQUEST, "BAD_SDP",
                "The body is not an SDP offer (\"v=0\" first, one media section or more).");
    return;
  }

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
      guesses.record_failure (address, now);
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
  p.post = SOUP_SERVER_MESSAGE (g_object_ref (msg));
  p.post_gone =
      g_signal_connect_data (msg, "finished", G_CALLBACK (on_post_gone), new Callback{ this, v.id },
                             delete_closure_callback, (GConnectFlags) 0);
  p.timeout = g_timeout_source_new_seconds (kWhepAnswerTimeoutS);
  g_source_set_callback (p.timeout, on_answer_timeout, new Callback{ this, v.id }, delete_callback);
  g_source_attach (p.timeout, g_main_context_get_thread_default ());
  soup_server_message_pause (msg);
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
  if (it == whep_players.end () || !it->second.post)
    return;
  WhepPlayer &p = it->second;
  SoupServerMessage *msg = p.post;
  p.post = nullptr;
  g_signal_handler_disconnect (msg, p.post_gone);
  g_source_destroy (p.timeout);
  g_source_unref (p.timeout);
  p.timeout = nullptr;
  if (answer) {
    metrics.whep["ok"]++;
    std::string location = std::string (kWhepPrefix) + p.pin + "/" + p.resource;
    SoupMessageHeaders *h = soup_server_message_get_response_headers (msg);
    soup_message_headers_replace (h, "Location", location.c_str ());
    soup_message_headers_replace (h, "Cache-Control", "no-store");
    /* The ICE servers a GhostView viewer would get (TURN with short-term
     * credentials), as WHEP's Link headers: for the player's ICE restarts
     * and for players that read them before their next session. */
    for (const proto::IceServer &server : ice_servers_for (peer))
      for (const std::string &url : server.urls) {
        std::string link = "<" + url + ">; rel=\"ice-server\"";
        if (!server.username.empty ())
          link += "; username=\"" + server.username + "\"; credential=\"" + server.credential +
                  "\"; credential-type=\"password\"";
        soup_message_headers_append (h, "Link", link.c_str ());
      }
    soup_server_message_set_status (msg, SOUP_STATUS_CREATED, nullptr);
    soup_server_message_set_response (msg, "application/sdp", SOUP_MEMORY_COPY, answer->data (),
                                      answer->size ());
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
  if (type == "answer" && it->second.post) {
    finish_whep_post (peer, SOUP_STATUS_CREATED, nullptr, "", &sdp);
    return true;
  }
  if (type == "offer" && it->second.post) {
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
  if (it->second.post) {
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
  if (it == whep_players.end () || !it->second.post)
    return;
  WhepPlayer &p = it->second;
  g_source_destroy (p.timeout);
  g_source_unref (p.timeout);
  g_object_unref (p.post);
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
    if (kv.second.post)
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
  if (it == whep_players.end () || it->second.post) {
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
  if (!content_type_is (msg, "application/trickle-ice-sdpfrag")) {
    whep_error (msg, SOUP_STATUS_UNSUPPORTED_MEDIA_TYPE, "UNSUPPORTED_MEDIA_TYPE",
                "Trickle ICE is sent as \"Content-Type: application/trickle-ice-sdpfrag\".");
    return;
  }
  /* Each a=candidate line goes to the host under the section (its mid)
   * above it in the fragment. */
  const std::vector<std::string> &mids = it->second.mids;
  std::string body = request_body (msg);
  gchar **lines = g_strsplit (body.c_str (), "\n", -1);
  std::string mid;
  guint relayed = 0;
  for (gchar **l = lines; *l; l++) {
    g_strchomp (*l);
    if (g_str_has_prefix (*l, "a=mid:"))
      mid = *l + 6;
    else if (g_str_has_prefix (*l, "a=candidate:") && s &&
             strlen (*l) < proto::kMaxCandidateBytes) {
      guint mline = 0;
      for (guint i = 0; i < mids.size (); i++)
        if (mids[i] == mid)
          mline = i;
      if (send_to (s->host_peer, proto::make_ice (peer, *l + 2, mline, mid)))
        relayed++;
    }
  }
  g_strfreev (lines);
  metrics.messages_relayed += relayed;
  soup_server_message_set_status (msg, SOUP_STATUS_NO_CONTENT, nullptr);
}

} // namespace gv::signaling
