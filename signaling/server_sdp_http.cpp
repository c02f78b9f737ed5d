/* The front of the WebRTC-HTTP endpoints, WHEP (server_whep.cpp) and WHIP
 * (server_whip.cpp): CORS, the path's shape, OPTIONS, the method, the
 * bearer token; and the ICE servers a 201 names. */
#include "sdp_http.h"
#include "server_impl.h"

#include <cstring>

namespace gv::signaling {
namespace {

/* libsoup 3.2 has no name for it. */
constexpr guint kStatusTooManyRequests = 429;

struct PeerCallback {
  ServerImpl *server;
  std::string peer;
  PeerHandler handler;
  void fire () const { (server->*handler) (peer); }
};

gboolean on_post_timeout (gpointer data)
{
  static_cast<PeerCallback *> (data)->fire ();
  return G_SOURCE_REMOVE;
}

void on_post_finished (SoupServerMessage *, gpointer data)
{
  static_cast<PeerCallback *> (data)->fire ();
}

void delete_callback (gpointer data)
{
  delete static_cast<PeerCallback *> (data);
}

void delete_closure_callback (gpointer data, GClosure *)
{
  delete static_cast<PeerCallback *> (data);
}

} // namespace

PausedPost::~PausedPost ()
{
  if (SoupServerMessage *msg = take ())
    g_object_unref (msg);
}

void PausedPost::pause (SoupServerMessage *msg, guint timeout_s, ServerImpl *server,
                        const std::string &peer, PeerHandler on_timeout, PeerHandler on_gone)
{
  msg_ = SOUP_SERVER_MESSAGE (g_object_ref (msg));
  gone_handler_ = g_signal_connect_data (msg, "finished", G_CALLBACK (on_post_finished),
                                         new PeerCallback{ server, peer, on_gone },
                                         delete_closure_callback, (GConnectFlags) 0);
  timeout_ = g_timeout_source_new_seconds (timeout_s);
  g_source_set_callback (timeout_, on_post_timeout, new PeerCallback{ server, peer, on_timeout },
                         delete_callback);
  g_source_attach (timeout_, g_main_context_get_thread_default ());
  soup_server_message_pause (msg);
}

SoupServerMessage *PausedPost::take ()
{
  SoupServerMessage *msg = msg_;
  if (!msg)
    return nullptr;
  msg_ = nullptr;
  g_signal_handler_disconnect (msg, gone_handler_);
  g_source_destroy (timeout_);
  g_source_unref (timeout_);
  timeout_ = nullptr;
  return msg;
}

/* CORS: a player or publisher on another origin may call us (its token is
 * a bearer, no cookie); with --allowed-origins, only those origins. */
void ServerImpl::sdp_http_cors (SoupServerMessage *msg)
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

bool ServerImpl::sdp_http_front (SoupServerMessage *msg, const char *path, const SdpEndpoint &e,
                                 SdpRequest &out)
{
  sdp_http_cors (msg);
  if (soup_server_message_get_status (msg) != 0)
    return false; /* answered already (http_guard.h: a body over the limit) */
  auto fail = [&] (guint status, const char *code, const std::string &message) {
    (*e.outcomes)[code]++;
    respond_sdp_http_error (msg, status, code, message);
    return false;
  };
  gchar **parts = g_strsplit (path + strlen (e.prefix), "/", 3);
  guint n = g_strv_length (parts);
  out.pin = n >= 1 ? parts[0] : "";
  out.resource = n >= 2 ? parts[1] : "";
  bool shaped = (n == 1 || (n == 2 && !out.resource.empty ())) && !out.pin.empty ();
  g_strfreev (parts);
  const char *method = soup_server_message_get_method (msg);
  if (!shaped)
    return fail (SOUP_STATUS_NOT_FOUND, "NOT_FOUND",
                 std::string (e.name) + " endpoints are " + e.prefix +
                     "{pin} (POST) and the Location it returns.");
  const char *allowed = out.resource.empty () ? "POST, OPTIONS" : "PATCH, DELETE, OPTIONS";
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  if (strcmp (method, "OPTIONS") == 0) {
    soup_message_headers_replace (headers, "Allow", allowed);
    soup_server_message_set_status (msg, SOUP_STATUS_NO_CONTENT, nullptr);
    return false;
  }
  out.post = out.resource.empty () && strcmp (method, "POST") == 0;
  out.patch = !out.resource.empty () && strcmp (method, "PATCH") == 0;
  out.remove = !out.resource.empty () && strcmp (method, "DELETE") == 0;
  if (!out.post && !out.patch && !out.remove) {
    soup_message_headers_replace (headers, "Allow", allowed);
    return fail (SOUP_STATUS_METHOD_NOT_ALLOWED, "METHOD_NOT_ALLOWED",
                 std::string (method) + " is not allowed here; this endpoint takes " + allowed +
                     ".");
  }
  const char *authorization =
      soup_message_headers_get_one (soup_server_message_get_request_headers (msg), "Authorization");
  if (!bearer_token (authorization, out.token))
    return fail (SOUP_STATUS_UNAUTHORIZED, "UNAUTHORIZED",
                 std::string ("A ") + e.name +
                     " request needs \"Authorization: Bearer TOKEN\", the token being " +
                     e.token_is + ".");
  if ((out.post && !content_type_is (msg, "application/sdp")) ||
      (out.patch && !content_type_is (msg, "application/trickle-ice-sdpfrag")))
    return fail (SOUP_STATUS_UNSUPPORTED_MEDIA_TYPE, "UNSUPPORTED_MEDIA_TYPE",
                 out.post ? std::string ("A ") + e.name +
                                " offer is sent as \"Content-Type: application/sdp\"."
                          : "Trickle ICE is sent as \"Content-Type: "
                            "application/trickle-ice-sdpfrag\".");
  if (!out.post)
    return true;
  /* Checked before the token is looked at, as for a join: a refused guess
   * learns nothing. */
  GuessVerdict verdict = guesses.check (client_address (msg), g_get_monotonic_time ());
  if (verdict != GuessVerdict::Allowed) {
    metrics.rate_limited[guess_limit_name (verdict)]++;
    soup_message_headers_replace (headers, "Retry-After", "60");
    return fail (kStatusTooManyRequests, "RATE_LIMITED", guess_refusal_text (verdict));
  }
  out.offer = request_body (msg);
  if (!looks_like_sdp (out.offer) || out.offer.size () > proto::kMaxSdpBytes)
    return fail (SOUP_STATUS_BAD_REQUEST, "BAD_SDP",
                 "The body is not an SDP offer (\"v=0\" first, one media section or more).");
  return true;
}

void ServerImpl::respond_created (SoupServerMessage *msg, const std::string &location,
                                  const std::string &answer, const std::string &peer)
{
  SoupMessageHeaders *h = soup_server_message_get_response_headers (msg);
  soup_message_headers_replace (h, "Location", location.c_str ());
  soup_message_headers_replace (h, "Cache-Control", "no-store");
  add_ice_server_links (msg, peer);
  soup_server_message_set_status (msg, SOUP_STATUS_CREATED, nullptr);
  soup_server_message_set_response (msg, "application/sdp", SOUP_MEMORY_COPY, answer.data (),
                                    answer.size ());
}

void ServerImpl::add_ice_server_links (SoupServerMessage *msg, const std::string &peer)
{
  /* The ICE servers a GhostView peer would get (TURN with short-term
   * credentials), as WHEP's and WHIP's Link headers: for the client's ICE
   * restarts and for clients that read them before their next session. */
  SoupMessageHeaders *h = soup_server_message_get_response_headers (msg);
  for (const proto::IceServer &server : ice_servers_for (peer))
    for (const std::string &url : server.urls) {
      std::string link = "<" + url + ">; rel=\"ice-server\"";
      if (!server.username.empty ())
        link += "; username=\"" + server.username + "\"; credential=\"" + server.credential +
                "\"; credential-type=\"password\"";
      soup_message_headers_append (h, "Link", link.c_str ());
    }
}

} // namespace gv::signaling
