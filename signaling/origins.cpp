#include "origins.h"

#include <glib.h>

namespace gv::signaling {

std::vector<std::string> split_option_list (const char *text)
{
  std::vector<std::string> out;
  if (!text)
    return out;
  gchar **parts = g_strsplit_set (text, ", ", -1);
  for (gchar **p = parts; *p; p++)
    if (**p)
      out.emplace_back (*p);
  g_strfreev (parts);
  return out;
}

static std::string ascii_lower (std::string text)
{
  for (auto &c : text)
    c = g_ascii_tolower (c);
  return text;
}

std::string normalise_origin (std::string origin)
{
  origin = ascii_lower (std::move (origin));
  while (!origin.empty () && origin.back () == '/')
    origin.pop_back ();
  return origin;
}

bool origin_allowed (const char *origin, const char *host, const std::vector<std::string> &allowed)
{
  if (!origin)
    return true;
  const std::string o = ascii_lower (origin);
  if (!allowed.empty ()) {
    for (const auto &a : allowed)
      if (o == a)
        return true;
    return false;
  }
  if (!host)
    return false;
  const std::string h = ascii_lower (host);
  return o == "http://" + h || o == "https://" + h;
}

} // namespace gv::signaling
