#include "invite_token.h"

#include "capabilities.h"
#include "random.h"
#include "token_mac.h"

#include <vector>

namespace gv::signaling {
namespace {

/* A domain tag of its own: no resume token ("v1...") verifies as an invite,
 * nor an invite as a resume token. */
constexpr const char *kInviteVersion = "i1";
constexpr gsize kMacHexChars = 64; /* SHA-256 */
constexpr gsize kMaxSessionChars = 64;
constexpr gsize kIdBytes = 8;

std::string signed_text (const InviteClaim &c)
{
  return std::string (kInviteVersion) + "." + c.session + "." + std::to_string (c.capabilities) +
         "." + std::to_string (c.expires_at) + "." + std::to_string (c.uses) + "." + c.id;
}

} // namespace

std::string new_invite_id ()
{
  return random_id (kIdBytes);
}

std::string make_invite_token (const std::string &key, const InviteClaim &claim)
{
  std::string text = signed_text (claim);
  return text + "." + token::mac_hex (key, text);
}

std::optional<InviteClaim> verify_invite_token (const std::string &key, const std::string &text)
{
  if (text.size () > kMaxInviteTokenBytes)
    return std::nullopt;
  std::vector<std::string> parts = token::split_fields (text, 8);
  if (parts.size () != 7 || parts[0] != kInviteVersion || parts[6].size () != kMacHexChars)
    return std::nullopt;
  InviteClaim c;
  gint64 caps = 0, uses = 0;
  c.session = parts[1];
  c.id = parts[5];
  if (!token::is_lower_hex (c.session, kMaxSessionChars) ||
      !token::parse_number (parts[2], GV_CAPABILITY_VIEW, gv::kAllCapabilities, caps) ||
      !(caps & GV_CAPABILITY_VIEW) ||
      !token::parse_number (parts[3], 0, G_MAXINT64 / G_USEC_PER_SEC, c.expires_at) ||
      !token::parse_number (parts[4], 1, kMaxInviteUses, uses) ||
      !token::is_lower_hex (c.id, 2 * kIdBytes) || c.id.size () != 2 * kIdBytes)
    return std::nullopt;
  c.capabilities = (guint) caps;
  c.uses = (int) uses;
  /* Recomputed from the parsed fields, so only their one spelling verifies. */
  if (!token::equal_in_constant_time (token::mac_hex (key, signed_text (c)), parts[6]))
    return std::nullopt;
  return c;
}

} // namespace gv::signaling
