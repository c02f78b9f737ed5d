#include "reservation_token.h"

#include "protocol.h"
#include "token_mac.h"

#include <vector>

namespace gv::signaling {
namespace {

/* A domain tag of its own: no resume ("v1") or invite ("i1") token
 * verifies as a reservation, nor a reservation as either of them. */
constexpr const char *kReservationVersion = "r1";
constexpr gsize kMacHexChars = 64; /* SHA-256 */
constexpr gsize kMaxSessionChars = 64;

std::string signed_text (const std::string &session_id)
{
  return std::string (kReservationVersion) + "." + session_id;
}

} // namespace

std::string make_reservation_token (const std::string &key, const std::string &session_id)
{
  std::string text = signed_text (session_id);
  return text + "." + token::mac_hex (key, text);
}

std::optional<std::string> verify_reservation_token (const std::string &key,
                                                     const std::string &text)
{
  if (text.size () > proto::kMaxResumeTokenBytes)
    return std::nullopt;
  std::vector<std::string> parts = token::split_fields (text, 4);
  if (parts.size () != 3 || parts[0] != kReservationVersion || parts[2].size () != kMacHexChars ||
      !token::is_lower_hex (parts[1], kMaxSessionChars))
    return std::nullopt;
  if (!token::equal_in_constant_time (token::mac_hex (key, signed_text (parts[1])), parts[2]))
    return std::nullopt;
  return parts[1];
}

} // namespace gv::signaling
