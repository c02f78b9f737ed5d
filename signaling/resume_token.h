/* Resume tokens: how a host keeps its PIN across a lost connection or a
 * restart of the server, which stores no sessions (PROTOCOL.md, "Keeping a
 * PIN"). A token is the session's id, PIN, expiry and viewer uses, signed
 * with HMAC-SHA-256 under a server key; the server checks the signature and
 * trusts nothing else in it. Tokens are secrets: never log them. */
#pragma once

#include <glib.h>

#include <optional>
#include <string>

namespace gv::signaling {

/* Bytes of key; a key file holds exactly this many. */
inline constexpr gsize kSessionKeyBytes = 32;

struct ResumeClaim {
  std::string session;
  std::string pin;
  gint64 expires_at = 0; /* Unix seconds */
  int max_viewers = 1;
  int uses_spent = 0;
};

/* The token for `claim`, signed with `key`. */
std::string make_resume_token (const std::string &key, const ResumeClaim &claim);

/* The claim of a well-formed token whose signature `key` verifies
 * (compared in constant time); nothing otherwise. Never aborts. */
std::optional<ResumeClaim> verify_resume_token (const std::string &key, const std::string &token);

/* The key of `path`: read when the file exists (it must hold exactly
 * kSessionKeyBytes bytes), otherwise created with that many CSPRNG bytes and
 * mode 0600. An empty `path` gives a fresh key for this process only. */
bool load_session_key (const std::string &path, std::string &key, GError **error);

} // namespace gv::signaling
