/* Invite links: besides the PIN, a host can hand out a link whose token
 * names the session, the capabilities the link stands for ("view only",
 * "view and control", ...), when it expires and how many viewers may use
 * it, signed with HMAC-SHA-256 under the server's session key
 * (resume_token.h). The server checks the signature, the expiry and the
 * uses; the host still admits or declines each viewer. Tokens are secrets:
 * never log them. */
#pragma once

#include <glib.h>

#include <optional>
#include <string>

namespace gv::signaling {

/* Longest token on the wire (also proto::kMaxInviteTokenBytes). */
inline constexpr gsize kMaxInviteTokenBytes = 256;
/* An invite lives 1 minute to 24 hours; one link admits 1 to 64 viewers. */
inline constexpr gint64 kMinInviteTtlS = 60;
inline constexpr gint64 kMaxInviteTtlS = 24 * 3600;
inline constexpr gint64 kDefaultInviteTtlS = 3600;
inline constexpr int kMaxInviteUses = 64;

struct InviteClaim {
  std::string session;
  guint capabilities = 0;
  gint64 expires_at = 0; /* Unix seconds */
  int uses = 1;          /* viewers the link admits */
  std::string id;        /* random: which link (its uses are counted per id) */
};

/* A fresh claim's id: 16 lowercase hex characters from the CSPRNG; empty
 * when the random source failed. */
std::string new_invite_id ();

/* The token for `claim`, signed with `key`. */
std::string make_invite_token (const std::string &key, const InviteClaim &claim);

/* The claim of a well-formed token whose signature `key` verifies
 * (compared in constant time); nothing otherwise (tampered, truncated,
 * another kind of token). Expiry and uses are the caller's to check. Never
 * aborts on any input. */
std::optional<InviteClaim> verify_invite_token (const std::string &key, const std::string &token);

} // namespace gv::signaling
