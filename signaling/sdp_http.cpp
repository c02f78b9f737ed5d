#include "sdp_http.h"

#include "http_errors.h"

#include <cstring>

namespace gv::signaling {

bool content_type_is (SoupServerMessage *msg, const char *type)
{
  const char *value = soup_message_headers_get_content_type (
      soup_server_message_get_request_headers (msg), nullptr);
  return value && g_ascii_strcasecmp (value, type) == 0;
}

std::string request_body (SoupServerMessage *msg)
{
  SoupMessageBody *body = soup_server_message_get_request_body (msg);
  GBytes *bytes = soup_message_body_flatten (body);
  gsize size = 0;
  const char *data = static_cast<const char *> (g_bytes_get_data (bytes, &size));
  std::string text (data ? data : "", size);
  g_bytes_unref (bytes);
  return text;
}

bool looks_like_sdp (const std::string &sdp)
{
  return sdp.compare (0, 3, "v=0") == 0 && sdp.find ("\nm=") != std::string::npos &&
         g_utf8_validate (sdp.data (), (gssize) sdp.size (), nullptr) &&
         sdp.find ('\0') == std::string::npos;
}

std::vector<std::string> section_mids (const std::string &sdp)
{
  std::vector<std::string> mids;
  gchar **lines = g_strsplit (sdp.c_str (), "\n", -1);
  for (gchar **l = lines; *l; l++) {
    g_strchomp (*l);
    if (g_str_has_prefix (*l, "m="))
      mids.emplace_back ();
    else if (g_str_has_prefix (*l, "a=mid:") && !mids.empty ())
      mids.back () = *l + 6;
  }
  g_strfreev (lines);
  return mids;
}

guint mline_of (const std::vector<std::string> &mids, const std::string &mid)
{
  for (guint i = 0; i < mids.size (); i++)
    if (mids[i] == mid)
      return i;
  return 0;
}

std::vector<FragmentCandidate> fragment_candidates (const std::string &fragment,
                                                    gsize max_candidate_bytes)
{
  std::vector<FragmentCandidate> out;
  gchar **lines = g_strsplit (fragment.c_str (), "\n", -1);
  std::string mid;
  for (gchar **l = lines; *l; l++) {
    g_strchomp (*l);
    if (g_str_has_prefix (*l, "a=mid:"))
      mid = *l + 6;
    else if (g_str_has_prefix (*l, "a=candidate:") && strlen (*l) < max_candidate_bytes)
      out.push_back ({ mid, *l + 2 });
  }
  g_strfreev (lines);
  return out;
}

void respond_sdp_http_error (SoupServerMessage *msg, guint status, const char *code,
                             const std::string &message)
{
  if (status == SOUP_STATUS_UNAUTHORIZED)
    soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                  "WWW-Authenticate", "Bearer realm=\"ghostview\"");
  respond_error (msg, status, code, message);
}

} // namespace gv::signaling
