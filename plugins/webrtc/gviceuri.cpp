/* GhostView
 * Copyright (C) 2024 GhostView contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "gviceuri.h"

namespace gv::webrtc {

std::string webrtcbin_ice_uri (const std::string &url, const gv::proto::IceServer &server)
{
  auto colon = url.find (':');
  if (colon == std::string::npos)
    return {};
  std::string scheme = url.substr (0, colon);
  std::string rest = url.substr (colon + 1);
  if (rest.rfind ("//", 0) == 0)
    rest = rest.substr (2);
  if (scheme == "stun" || scheme == "stuns")
    return "stun://" + rest;
  if (scheme == "turn" || scheme == "turns") {
    gchar *user = g_uri_escape_string (server.username.c_str (), nullptr, FALSE);
    gchar *pass = g_uri_escape_string (server.credential.c_str (), nullptr, FALSE);
    std::string out = scheme + "://" + user + ":" + pass + "@" + rest;
    g_free (user);
    g_free (pass);
    return out;
  }
  return {};
}

} // namespace gv::webrtc
