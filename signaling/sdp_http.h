/* What the WebRTC-HTTP endpoints (WHEP playback, server_whep.cpp; WHIP
 * ingest, server_whip.cpp) share: their request bodies, SDP in outline,
 * and their error answers. */
#pragma once

#include <libsoup/soup.h>

#include <string>
#include <vector>

namespace gv::signaling {

/* Whether the request's Content-Type is `type` ("application/sdp;
 * charset=..." is application/sdp). */
bool content_type_is (SoupServerMessage *msg, const char *type);

/* The request body as text (bounded by http_guard.h before it is read). */
std::string request_body (SoupServerMessage *msg);

/* An SDP offer in its outline: UTF-8 text without NUL, "v=0" first, one
 * media section or more. */
bool looks_like_sdp (const std::string &sdp);

/* The mids of an SDP's media sections, by index ("" where one has none). */
std::vector<std::string> section_mids (const std::string &sdp);

/* The index of the section with `mid` (0 when none has it). */
guint mline_of (const std::vector<std::string> &mids, const std::string &mid);

/* The a=candidate lines of a trickle-ICE fragment, each with the mid of
 * the section above it in the fragment. */
struct FragmentCandidate {
  std::string mid;
  std::string candidate; /* "candidate:..." */
};
std::vector<FragmentCandidate> fragment_candidates (const std::string &fragment,
                                                    gsize max_candidate_bytes);

/* respond_error (), with "WWW-Authenticate: Bearer" on a 401. */
void respond_sdp_http_error (SoupServerMessage *msg, guint status, const char *code,
                             const std::string &message);

} // namespace gv::signaling
