/* WHIP ingest (PROTOCOL.md, "WHIP"): a standard WHIP publisher (OBS 30+, a
 * browser, a GStreamer WHIP sink) is the host of a session reserved through
 * the session API.
 *   POST /whip/{pin}              the publisher's SDP offer; 201 with the
 *                                 relay's answer (every candidate in it)
 *   PATCH /whip/{pin}/{resource}  trickle ICE fragments, relayed to the relay
 *   DELETE /whip/{pin}/{resource} the publisher stops: the session ends
 *   OPTIONS                       CORS preflight
 * Authorization: Bearer with the session's reservation token (the
 * `reservation_token` of POST /api/v1/sessions); a wrong one counts as a
 * wrong PIN (guess_limiter.h).
 *
 * Media never passes through this process: for each publisher the server
 * starts `ghostview whip-relay` (preset whip-relay), whose gvwebrtcsrc joins
 * with the publisher's `ingest` id and answers its offer, and whose
 * gvwebrtcsink claims the reservation and shares the decoded stream with
 * the viewers, one encoder per quality layer, as for a screen. A relay dies
 * with the server (PR_SET_PDEATHSIG), its publisher's session with it. */
#include "http_errors.h"
#include "random.h"
#include "reservation_token.h"
#include "sdp_http.h"
#include "server_impl.h"
#include "token_mac.h"

#include <csignal>
#include <cstring>
#include <sys/prctl.h>
#include <unistd.h>

namespace gv::signaling {
namespace {

/* Starting the relay, its ICE gathering (3 s at most) and its answer. */
constexpr guint kWhipAnswerTimeoutS = 20;
constexpr const char *kWhipPrefix = "/whip/";
constexpr const char *kRelayName = "WHIP relay";

struct RelayWait {
  ServerImpl *server;
  std::string peer;
};

void on_relay_exited (GObject *source, GAsyncResult *result, gpointer data)
{
  auto *wait = static_cast<RelayWait *> (data);
  GError *error = nullptr;
  GSubprocess *relay = G_SUBPROCESS (source);
  if (!g_subprocess_wait_finish (relay, result, &error)) {
    /* Cancelled: the publisher was ended and forgotten, or the server stops. */
    g_error_free (error);
    delete wait;
    return;
  }
  std::string status =
      g_subprocess_get_if_signaled (relay)
          ? "killed by signal " + std::to_string (g_subprocess_get_term_sig (relay))
          : "exit status " + std::to_string (g_subprocess_get_exit_status (relay));
  wait->server->whip_relay_exited (wait->peer, status);
  delete wait;
}

/* In the relay, between fork and exec: it dies with the server. */
void die_with_parent (gpointer)
{
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

bool is_executable (const std::string &path)
{
  return !path.empty () && g_file_test (path.c_str (), G_FILE_TEST_IS_REGULAR) &&
         access (path.c_str (), X_OK) == 0;
}

} // namespace

WhipPublisher::~WhipPublisher ()
{
  if (relay_wait) {
    g_cancellable_cancel (relay_wait);
    g_object_unref (relay_wait);
  }
  if (relay) {
    /* A relay still running is told to stop; GLib reaps it. */
    if (g_subprocess_get_identifier (relay))
      g_subprocess_send_signal (relay, SIGTERM);
    g_object_unref (relay);
  }
}

void ServerImpl::whip_error (SoupServerMessage *msg, guint status, const char *code,
                             const std::string &message)
{
  metrics.whip[code]++;
  respond_sdp_http_error (msg, status, code, message);
}

bool ServerImpl::handle_whip (SoupServerMessage *msg, const char *path)
{
  if (strncmp (path, kWhipPrefix, strlen (kWhipPrefix)) != 0)
    return false;
  SdpEndpoint e{ "WHIP", kWhipPrefix,
                 "the reservation_token of the session (POST /api/v1/sessions)" };
  e.outcomes = &metrics.whip;
  SdpRequest r;
  if (!sdp_http_front (msg, path, e, r))
    return true;
  if (r.post)
    whip_offer (msg, r.pin, r.token, r.offer);
  else
    whip_resource_request (msg, r);
  return true;
}

std::string ServerImpl::whip_relay_program (std::string &why) const
{
  if (config.whip_relay == "off") {
    why = "WHIP ingest is turned off on this server (--whip-relay off).";
    return "";
  }
  if (!config.whip_relay.empty ()) {
    std::string path = config.whip_relay;
    if (path.find ('/') == std::string::npos) {
      gchar *found = g_find_program_in_path (path.c_str ());
      path = found ? found : "";
      g_free (found);
    }
    if (!is_executable (path))
      why = "The WHIP relay program (--whip-relay " + config.whip_relay +
            ") is not an executable file.";
    return is_executable (path) ? path : "";
  }
  /* `ghostview` beside this program (installed; it is this program in
   * ghostview host and serve), in the build tree's tools/, else on PATH. */
  gchar *self = g_file_read_link ("/proc/self/exe", nullptr);
  if (self) {
    gchar *dir = g_path_get_dirname (self);
    const std::string beside = std::string (dir) + "/ghostview";
    const std::string built = std::string (dir) + "/../tools/ghostview";
    g_free (dir);
    g_free (self);
    for (const std::string &path : { beside, built })
      if (is_executable (path))
        return path;
  }
  gchar *found = g_find_program_in_path ("ghostview");
  std::string path = found ? found : "";
  g_free (found);
  if (path.empty ())
    why = "This server found no ghostview program to relay WHIP publishers with (install it, "
          "or start the server with --whip-relay PATH).";
  return path;
}

guint ServerImpl::start_whip_relay (WhipPublisher &p, std::string &why)
{
  std::string program = whip_relay_program (why);
  if (program.empty ())
    return SOUP_STATUS_NOT_IMPLEMENTED;
  std::string server = config.whip_relay_server;
  std::string ca_file;
  if (server.empty ()) {
    bool any = config.address == "0.0.0.0" || config.address == "::" || config.address.empty ();
    std::string host = any ? (config.tls () ? "localhost" : "127.0.0.1") : config.address;
    if (host.find (':') != std::string::npos)
      host = "[" + host + "]";
    server = std::string (config.tls () ? "wss://" : "ws://") + host + ":" + std::to_string (port) +
             "/ws";
    ca_file = config.tls_cert_file;
  }
  GSubprocessLauncher *launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  /* Secrets go in the environment, not in the process list. */
  g_subprocess_launcher_setenv (launcher, "GHOSTVIEW_INGEST", p.ingest.c_str (), TRUE);
  g_subprocess_launcher_setenv (launcher, "GHOSTVIEW_RESERVATION", p.token.c_str (), TRUE);
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, nullptr, nullptr);
  std::vector<const char *> argv{ program.c_str (), "whip-relay", "--server", server.c_str () };
  std::string ca_set = "CA_FILE=" + ca_file;
  if (!ca_file.empty ()) {
    argv.push_back ("--set");
    argv.push_back (ca_set.c_str ());
  }
  argv.push_back (nullptr);
  GError *error = nullptr;
  p.relay = g_subprocess_launcher_spawnv (launcher, argv.data (), &error);
  g_object_unref (launcher);
  if (!p.relay) {
    why = std::string ("The WHIP relay could not be started: ") + error->message;
    g_warning ("WHIP: %s", why.c_str ());
    g_error_free (error);
    return SOUP_STATUS_INTERNAL_SERVER_ERROR;
  }
  g_message ("WHIP: relay %s started for PIN %s", g_subprocess_get_identifier (p.relay),
             p.pin.c_str ());
  p.relay_wait = g_cancellable_new ();
  g_subprocess_wait_async (p.relay, p.relay_wait, on_relay_exited, new RelayWait{ this, p.peer });
  return 0;
}

void ServerImpl::whip_offer (SoupServerMessage *msg, const std::string &pin,
                             const std::string &token, const std::string &offer)
{
  const std::string address = client_address (msg);
  gint64 now = g_get_monotonic_time ();
  std::optional<std::string> reserved = verify_reservation_token (session_key, token);
  Session *s = is_pin_shaped (pin) ? registry.find_by_pin (pin) : nullptr;
  if (!reserved || !s || s->id != *reserved) {
    /* A genuine token whose session is gone is no guess. */
    if (reserved && !s && !registry.find (*reserved)) {
      whip_error (msg, SOUP_STATUS_NOT_FOUND, "PIN_EXPIRED",
                  "The reservation has expired or was ended; reserve a new session.");
      return;
    }
    record_guess (address, now);
    note_flood_mode (now);
    whip_error (msg, SOUP_STATUS_UNAUTHORIZED, "UNAUTHORIZED",
                "The token is not the reservation token of the session with this PIN.");
    return;
  }
  for (const auto &[id, other] : whip_publishers)
    if (other.session_id == s->id) {
      whip_error (msg, SOUP_STATUS_CONFLICT, "ALREADY_PUBLISHING",
                  "A WHIP publisher is already the host of this session; it must stop (DELETE "
                  "its resource) before another one starts.");
      return;
    }
  if (!s->reserved ()) {
    whip_error (msg, SOUP_STATUS_CONFLICT, "SESSION_HAS_HOST",
                "A host already took this session's reservation.");
    return;
  }
  if (whip_publishers.size () >= config.whip_max_relays) {
    soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Retry-After",
                                  "30");
    whip_error (msg, SOUP_STATUS_SERVICE_UNAVAILABLE, "WHIP_BUSY",
                "This server relays " + std::to_string (config.whip_max_relays) +
                    " WHIP publishers at once already (--whip-max-relays); try again later.");
    return;
  }

  const std::string peer = proto::kWhipPeerPrefix + random_id (12);
  WhipPublisher &p = whip_publishers[peer];
  p.peer = peer;
  p.session_id = s->id;
  p.pin = s->pin;
  p.resource = random_id (16);
  p.token = token;
  p.ingest = random_id (24);
  p.offer = offer;
  p.mids = section_mids (offer);
  std::string why;
  if (guint refused = start_whip_relay (p, why)) {
    whip_publishers.erase (peer);
    whip_error (msg, refused, "WHIP_UNAVAILABLE", why);
    return;
  }
  p.post.pause (msg, kWhipAnswerTimeoutS, this, peer, &ServerImpl::whip_timed_out,
                &ServerImpl::whip_abandoned);
}

void ServerImpl::whip_relay_joined (Connection &c, const proto::Message &m)
{
  const std::string ingest = proto::get_string (m, "ingest");
  WhipPublisher *found = nullptr;
  for (auto &[id, p] : whip_publishers)
    if (token::equal_in_constant_time (p.ingest, ingest) && p.relay_peer.empty ())
      found = &p;
  if (!found || !found->post.waiting ()) {
    send_error (c, proto::ErrorCode::NotAllowed,
                "No WHIP publisher waits for a relay with this ingest id.", m.type);
    return;
  }
  c.role = Role::Ingest;
  found->relay_peer = c.peer;
  send (c, proto::make_joined (found->session_id, c.peer, GV_CAPABILITY_VIEW,
                               ice_servers_for (c.peer)));
  send (c, proto::make_sdp (found->peer, "offer", found->offer));
  found->offer.clear ();
}

void ServerImpl::whip_from_relay (Connection &c, const proto::Message &m)
{
  auto it = whip_publishers.begin ();
  while (it != whip_publishers.end () && it->second.relay_peer != c.peer)
    ++it;
  if (it == whip_publishers.end ())
    return;
  /* The answer carries the relay's candidates (complete-answer): WHIP has
   * no trickle from the server to the publisher. */
  if (m.type != proto::Type::Sdp || proto::get_string (m, "sdp_type") != "answer")
    return;
  std::string answer = proto::get_string (m, "sdp");
  finish_whip_post (it->first, SOUP_STATUS_CREATED, nullptr, "", &answer);
}

void ServerImpl::finish_whip_post (const std::string &peer, guint status, const char *code,
                                   const std::string &message, const std::string *answer)
{
  auto it = whip_publishers.find (peer);
  if (it == whip_publishers.end () || !it->second.post.waiting ())
    return;
  WhipPublisher &p = it->second;
  SoupServerMessage *msg = p.post.take ();
  if (answer) {
    metrics.whip["ok"]++;
    respond_created (msg, std::string (kWhipPrefix) + p.pin + "/" + p.resource, *answer, peer);
    g_message ("WHIP: publisher of PIN %s answered", p.pin.c_str ());
  } else {
    whip_error (msg, status, code, message);
  }
  soup_server_message_unpause (msg);
  g_object_unref (msg);
}

void ServerImpl::end_whip (const std::string &peer, guint status, const char *code,
                           const std::string &message)
{
  auto it = whip_publishers.find (peer);
  if (it == whip_publishers.end ())
    return;
  finish_whip_post (peer, status, code, message, nullptr);
  g_message ("WHIP: the publisher of PIN %s ended: %s", it->second.pin.c_str (), message.c_str ());
  std::string session_id = it->second.session_id;
  /* Forgotten first (its relay told to stop): ending the session comes
   * back through whip_session_ended. */
  whip_publishers.erase (it);
  if (registry.find (session_id))
    end_session (session_id, proto::kReasonHostEnded, message);
}

void ServerImpl::whip_timed_out (const std::string &peer)
{
  end_whip (peer, SOUP_STATUS_GATEWAY_TIMEOUT, "RELAY_TIMEOUT",
            "The WHIP relay did not answer within " + std::to_string (kWhipAnswerTimeoutS) +
                " s; the server's log says why.");
}

void ServerImpl::whip_abandoned (const std::string &peer)
{
  auto it = whip_publishers.find (peer);
  if (it == whip_publishers.end () || !it->second.post.waiting ())
    return;
  g_object_unref (it->second.post.take ()); /* finished: nothing to answer */
  metrics.whip["CLIENT_GONE"]++;
  end_whip (peer, 0, nullptr, "The publisher went away before its stream started.");
}

void ServerImpl::whip_relay_exited (const std::string &peer, const std::string &status)
{
  auto it = whip_publishers.find (peer);
  if (it == whip_publishers.end ())
    return;
  g_message ("WHIP: the relay for PIN %s stopped (%s)", it->second.pin.c_str (), status.c_str ());
  /* Nothing to stop or wait for any more. */
  g_clear_object (&it->second.relay);
  g_clear_object (&it->second.relay_wait);
  end_whip (peer, SOUP_STATUS_BAD_GATEWAY, "RELAY_FAILED",
            it->second.post.waiting () ? "The WHIP relay stopped (" + status +
                                             ") before it answered; the server's log says why."
                                       : std::string ("The publisher's stream ended."));
}

void ServerImpl::whip_relay_gone (const std::string &relay_peer)
{
  for (auto &[peer, p] : whip_publishers)
    if (p.relay_peer == relay_peer) {
      end_whip (peer, SOUP_STATUS_BAD_GATEWAY, "RELAY_FAILED",
                p.post.waiting () ? "The WHIP relay disconnected before it answered."
                                  : "The publisher's stream ended.");
      return;
    }
}

void ServerImpl::whip_session_ended (const std::string &session_id)
{
  for (auto &[peer, p] : whip_publishers)
    if (p.session_id == session_id) {
      std::string id = peer;
      g_message ("WHIP: the session of PIN %s ended; its relay is stopped", p.pin.c_str ());
      finish_whip_post (id, SOUP_STATUS_SERVICE_UNAVAILABLE, "SESSION_ENDED",
                        "The session ended before the relay answered.", nullptr);
      whip_publishers.erase (id);
      return;
    }
}

void ServerImpl::stop_whip ()
{
  std::vector<std::string> all;
  for (const auto &kv : whip_publishers)
    all.push_back (kv.first);
  for (const auto &peer : all)
    finish_whip_post (peer, SOUP_STATUS_SERVICE_UNAVAILABLE, "SHUTTING_DOWN",
                      "The server is shutting down.", nullptr);
  whip_publishers.clear ();
}

void ServerImpl::whip_resource_request (SoupServerMessage *msg, const SdpRequest &r)
{
  auto it = whip_publishers.begin ();
  for (; it != whip_publishers.end (); ++it)
    if (it->second.pin == r.pin && token::equal_in_constant_time (it->second.resource, r.resource))
      break;
  if (it == whip_publishers.end () || it->second.post.waiting ()) {
    whip_error (msg, SOUP_STATUS_NOT_FOUND, "NOT_FOUND",
                "No WHIP publisher at this address (it stopped, or its session ended).");
    return;
  }
  if (!token::equal_in_constant_time (it->second.token, r.token)) {
    whip_error (msg, SOUP_STATUS_UNAUTHORIZED, "UNAUTHORIZED",
                "The token is not the one this publisher was created with.");
    return;
  }
  const std::string peer = it->first;
  if (r.remove) {
    metrics.whip["deleted"]++;
    end_whip (peer, 0, nullptr, "The publisher stopped.");
    soup_server_message_set_status (msg, SOUP_STATUS_OK, nullptr);
    return;
  }
  /* Each candidate goes to the relay under the section (its mid) above it
   * in the fragment. */
  const WhipPublisher &p = it->second;
  guint relayed = 0;
  for (const FragmentCandidate &f :
       fragment_candidates (request_body (msg), proto::kMaxCandidateBytes))
    if (send_to (p.relay_peer,
                 proto::make_ice (peer, f.candidate, mline_of (p.mids, f.mid), f.mid)))
      relayed++;
  metrics.messages_relayed += relayed;
  soup_server_message_set_status (msg, SOUP_STATUS_NO_CONTENT, nullptr);
}

} // namespace gv::signaling
