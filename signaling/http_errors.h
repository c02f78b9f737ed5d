/* Error answers of the HTTP side: one JSON shape, {"code", "message"}, for
 * every status the server chooses itself (PROTOCOL.md, "HTTP errors"). */
#pragma once

#include <libsoup/soup.h>

#include <string>

namespace gv::signaling {

/* The request body larger than this is refused with 413. Only the session
 * API's POST /api/v1/sessions reads one (a small JSON object); elsewhere
 * this bounds what a client may make the server read and drop. */
constexpr gsize kMaxRequestBodyBytes = 16 * 1024;
/* A WHEP player's or WHIP publisher's SDP offer or trickle fragment (POST
 * and PATCH /whep/ and /whip/):
 * browsers' offers are 5 to 10 KiB; relayed to the host inside a message
 * of at most proto::kMaxSdpBytes. */
constexpr gsize kMaxWhepBodyBytes = 32 * 1024;

/* Answers `status` with {"code": code, "message": message} as JSON. */
void respond_error (SoupServerMessage *msg, guint status, const char *code,
                    const std::string &message);

} // namespace gv::signaling
