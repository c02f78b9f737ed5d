#include "guess_limiter.h"

#include <gio/gio.h>

namespace gv::signaling {
namespace {

constexpr guint kIpv4Bytes = 4;
constexpr guint kIpv6Bytes = 16;
constexpr guint kIpv4MappedPrefixBytes = 12; /* ::ffff:a.b.c.d */

bool is_ipv4_mapped (const guint8 *bytes)
{
  for (guint i = 0; i < 10; i++)
    if (bytes[i] != 0)
      return false;
  return bytes[10] == 0xff && bytes[11] == 0xff;
}

std::string masked (GSocketFamily family, const guint8 *bytes, guint length, guint bits)
{
  guint8 copy[kIpv6Bytes] = {};
  for (guint i = 0; i < length; i++) {
    guint first_bit = i * 8;
    if (first_bit + 8 <= bits)
      copy[i] = bytes[i];
    else if (first_bit < bits)
      copy[i] = bytes[i] & (guint8) (0xff << (8 - (bits - first_bit)));
  }
  GInetAddress *net = g_inet_address_new_from_bytes (copy, family);
  gchar *text = g_inet_address_to_string (net);
  std::string out = std::string (text) + "/" + std::to_string (bits);
  g_free (text);
  g_object_unref (net);
  return out;
}

/* The networks a viewer's address is counted in: its LAN for the guess
 * budget, its site for the flag (an IPv6 site holds 65,536 LANs). */
std::string lan_of (const std::string &address)
{
  return network_prefix (address, 24, 64);
}

std::string site_of (const std::string &address)
{
  return network_prefix (address, 24, 48);
}

} // namespace

std::string network_prefix (const std::string &address, guint ipv4_bits, guint ipv6_bits)
{
  GInetAddress *inet = g_inet_address_new_from_string (address.c_str ());
  if (!inet)
    return address;
  const guint8 *bytes = g_inet_address_to_bytes (inet);
  std::string out;
  if (g_inet_address_get_family (inet) == G_SOCKET_FAMILY_IPV4)
    out = masked (G_SOCKET_FAMILY_IPV4, bytes, kIpv4Bytes, MIN (ipv4_bits, 32u));
  else if (is_ipv4_mapped (bytes))
    out = masked (G_SOCKET_FAMILY_IPV4, bytes + kIpv4MappedPrefixBytes, kIpv4Bytes,
                  MIN (ipv4_bits, 32u));
  else
    out = masked (G_SOCKET_FAMILY_IPV6, bytes, kIpv6Bytes, MIN (ipv6_bits, 128u));
  g_object_unref (inet);
  return out;
}

GuessLimiter::GuessLimiter (const GuessLimits &limits)
    : limits_ (limits), by_address_ (limits.address_burst, limits.address_per_s),
      by_prefix_ (limits.prefix_burst, limits.prefix_per_s), flagged_ (1, 1.0 / limits.flag_s),
      flood_ (limits.flood_burst, limits.flood_per_s),
      flood_watch_ (limits.flood_networks, limits.flood_window_s, limits.flood_calm_s)
{}

bool GuessLimiter::is_flagged (const std::string &site, gint64 now_us)
{
  if (!flagged_.contains (site))
    return flagged_.size () >= limits_.max_flagged;
  return !flagged_.has_token (site, now_us);
}

GuessVerdict GuessLimiter::check (const std::string &address, gint64 now_us)
{
  if (!by_address_.has_token (address, now_us))
    return GuessVerdict::AddressLimited;
  if (!by_prefix_.has_token (lan_of (address), now_us))
    return GuessVerdict::PrefixLimited;
  /* A clean network is looked up whatever the flood: that is how a viewer
   * with the right PIN gets in while others guess. Each network is clean
   * for one wrong guess a day, which bounds what a flood of them gains. */
  if (is_flagged (site_of (address), now_us) && !flood_.has_token (now_us))
    return GuessVerdict::FloodLimited;
  return GuessVerdict::Allowed;
}

void GuessLimiter::record_failure (const std::string &address, gint64 now_us)
{
  by_address_.spend (address, now_us);
  by_prefix_.spend (lan_of (address), now_us);
  std::string site = site_of (address);
  if (flagged_.contains (site) || flagged_.size () < limits_.max_flagged)
    flagged_.spend (site, now_us);
  flood_.spend (now_us);
  flood_watch_.record (site, now_us);
}

void GuessLimiter::prune (gint64 now_us)
{
  by_address_.prune (now_us);
  by_prefix_.prune (now_us);
  flagged_.prune (now_us);
  flood_watch_.prune (now_us);
}

} // namespace gv::signaling
