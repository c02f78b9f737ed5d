/* Reservation tokens: how a host claims a session an integrator reserved
 * through the session API (POST /api/v1/sessions, PROTOCOL.md "Session
 * API"). The reservation itself (its PIN, expiry, viewer limit) lives in
 * the server's memory; the token only names it, signed with HMAC-SHA-256
 * under the server's session key (resume_token.h), so a host cannot claim
 * a reservation whose token it was not given. Tokens are secrets: never log
 * them. */
#pragma once

#include <optional>
#include <string>

namespace gv::signaling {

/* The token naming reserved session `session_id`, signed with `key`. */
std::string make_reservation_token (const std::string &key, const std::string &session_id);

/* The session id of a well-formed token whose signature `key` verifies
 * (compared in constant time); nothing otherwise (tampered, truncated,
 * another kind of token). Whether that reservation is still waiting is the
 * caller's to check. Never aborts on any input. */
std::optional<std::string> verify_reservation_token (const std::string &key,
                                                     const std::string &token);

} // namespace gv::signaling
