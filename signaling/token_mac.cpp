#include "token_mac.h"

namespace gv::signaling::token {

std::string mac_hex (const std::string &key, const std::string &text)
{
  GHmac *hmac = g_hmac_new (G_CHECKSUM_SHA256, (const guchar *) key.data (), key.size ());
  g_hmac_update (hmac, (const guchar *) text.data (), (gssize) text.size ());
  std::string hex = g_hmac_get_string (hmac);
  g_hmac_unref (hmac);
  return hex;
}

bool equal_in_constant_time (const std::string &a, const std::string &b)
{
  if (a.size () != b.size ())
    return false;
  unsigned char diff = 0;
  for (gsize i = 0; i < a.size (); i++)
    diff |= (unsigned char) (a[i] ^ b[i]);
  return diff == 0;
}

bool is_lower_hex (const std::string &s, gsize max)
{
  if (s.empty () || s.size () > max)
    return false;
  for (char ch : s)
    if (!g_ascii_isdigit (ch) && !(ch >= 'a' && ch <= 'f'))
      return false;
  return true;
}

bool parse_number (const std::string &s, gint64 min, gint64 max, gint64 &out)
{
  /* Digits only (an embedded NUL would end the C string early) and no
   * leading zero: one spelling per number (found by fuzzing, 2026-12-03). */
  if (s.empty () || s.size () > 19 || s.find_first_not_of ("0123456789") != std::string::npos ||
      (s.size () > 1 && s[0] == '0'))
    return false;
  guint64 value = 0;
  if (!g_ascii_string_to_unsigned (s.c_str (), 10, 0, G_MAXINT64, &value, nullptr))
    return false;
  out = (gint64) value;
  return out >= min && out <= max;
}

std::vector<std::string> split_fields (const std::string &token, gsize max_parts)
{
  std::vector<std::string> parts;
  gsize start = 0;
  for (gsize dot;
       parts.size () + 1 < max_parts && (dot = token.find ('.', start)) != std::string::npos;
       start = dot + 1)
    parts.push_back (token.substr (start, dot - start));
  parts.push_back (token.substr (start));
  return parts;
}

} // namespace gv::signaling::token
