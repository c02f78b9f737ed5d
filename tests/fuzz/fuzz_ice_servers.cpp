/* Fuzz target: TURN credentials and the ICE server lists that carry them.
 *
 * Input starting with '{': a message from the server (registered, joined)
 * through the parser, its ice_servers read as the GStreamer signaller reads
 * them (proto::get_ice_servers) and turned into webrtcbin's URIs
 * (plugins/webrtc/gviceuri.cpp); webrtcbin must get back the very username
 * and password from a TURN URI.
 *
 * Any other input: lines "SECRET", "ID", "EXPIRY", then STUN and TURN URLs,
 * through the server's credential maker (signaling/turn_credentials.cpp)
 * into a joined message; what the viewer parses must be what was made. */
#include "fuzz_check.h"
#include "gviceuri.h"
#include "protocol.h"
#include "turn_credentials.h"

#include <glib.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace proto = gv::proto;

namespace {

/* A URI's host part webrtcbin's URI parser cannot mistake for userinfo,
 * path or fragment. */
bool plain_host_part (const std::string &rest)
{
  for (char c : rest)
    if (!g_ascii_isalnum (c) && !strchr (".-_:[]?=&", c))
      return false;
  return true;
}

/* userinfo of "turn://USER:PASS@rest" unescaped, as webrtcbin splits it. */
void check_turn_uri (const std::string &uri, const proto::IceServer &server)
{
  auto scheme_end = uri.find ("://");
  GV_FUZZ_CHECK (scheme_end != std::string::npos);
  auto at = uri.find ('@', scheme_end + 3);
  GV_FUZZ_CHECK (at != std::string::npos);
  if (!plain_host_part (uri.substr (at + 1)))
    return;
  gchar *userinfo = nullptr;
  if (!g_uri_split (uri.c_str (), G_URI_FLAGS_ENCODED, nullptr, &userinfo, nullptr, nullptr,
                    nullptr, nullptr, nullptr, nullptr))
    return; /* not a URI at all (e.g. a bad port): webrtcbin refuses it */
  GV_FUZZ_CHECK (userinfo);
  gchar **parts = g_strsplit (userinfo, ":", 2);
  GV_FUZZ_CHECK (parts[0] && parts[1]);
  gchar *user = g_uri_unescape_string (parts[0], nullptr);
  gchar *pass = g_uri_unescape_string (parts[1], nullptr);
  GV_FUZZ_CHECK (user && server.username == user);
  GV_FUZZ_CHECK (pass && server.credential == pass);
  g_free (user);
  g_free (pass);
  g_strfreev (parts);
  g_free (userinfo);
}

void check_server_message (const char *data, size_t size)
{
  proto::Message msg;
  proto::ParseError error;
  if (!proto::parse (data, size, msg, error))
    return;
  for (const auto &server : proto::get_ice_servers (msg)) {
    GV_FUZZ_CHECK (!server.urls.empty ());
    for (const auto &url : server.urls) {
      std::string uri = gv::webrtc::webrtcbin_ice_uri (url, server);
      if (uri.rfind ("turn", 0) == 0)
        check_turn_uri (uri, server);
      else
        GV_FUZZ_CHECK (uri.empty () || uri.rfind ("stun://", 0) == 0);
    }
  }
}

void check_credentials (const std::string &input)
{
  std::vector<std::string> lines;
  gchar **split = g_strsplit (input.c_str (), "\n", 64);
  for (gchar **p = split; *p; p++)
    lines.emplace_back (*p);
  g_strfreev (split);
  if (lines.size () < 3)
    return;
  const std::string &secret = lines[0], &id = lines[1];
  gint64 expiry = g_ascii_strtoll (lines[2].c_str (), nullptr, 10);
  std::vector<std::string> stun, turn;
  for (size_t i = 3; i < lines.size (); i++)
    (lines[i].rfind ("stun", 0) == 0 ? stun : turn).push_back (lines[i]);

  auto made = gv::signaling::make_ice_servers (stun, turn, secret, id, expiry);
  for (const auto &server : made)
    if (!server.username.empty ()) {
      GV_FUZZ_CHECK (server.username == std::to_string (expiry) + ":" + id);
      gsize digest_len = 0;
      guchar *digest = g_base64_decode (server.credential.c_str (), &digest_len);
      GV_FUZZ_CHECK (digest_len == 20); /* HMAC-SHA1 */
      g_free (digest);
    }
  std::string text = proto::make_joined ("s", "p", 0, made);
  proto::Message msg;
  proto::ParseError error;
  if (!proto::parse (text.data (), text.size (), msg, error))
    return; /* e.g. text that is not UTF-8: the check of what a viewer reads is above */
  auto got = proto::get_ice_servers (msg);
  size_t expected = 0;
  for (const auto &server : made)
    expected += server.urls.empty () ? 0 : 1;
  GV_FUZZ_CHECK (got.size () == expected);
  size_t g = 0;
  for (const auto &server : made) {
    if (server.urls.empty ())
      continue;
    GV_FUZZ_CHECK (got[g].urls == server.urls);
    GV_FUZZ_CHECK (got[g].username == server.username);
    GV_FUZZ_CHECK (got[g].credential == server.credential);
    g++;
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  const char *text = reinterpret_cast<const char *> (data);
  if (size > 0 && text[0] == '{')
    check_server_message (text, size);
  else
    check_credentials (std::string (text, size));
  return 0;
}
