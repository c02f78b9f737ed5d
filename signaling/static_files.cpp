#include "static_files.h"

#include <glib/gstdio.h>

#include <climits>
#include <cstdlib>
#include <cstring>
#include <sys/stat.h>

namespace gv::signaling {

const char *const kContentSecurityPolicy =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "media-src 'self' blob: mediastream:; connect-src 'self'; font-src 'self'; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

guint resolve_static_path (const std::string &root, const char *url_path, std::string &file_out)
{
  if (!url_path || url_path[0] != '/')
    return SOUP_STATUS_BAD_REQUEST;
  /* "/" in the illegal set: an encoded slash is refused, not decoded. */
  gchar *decoded = g_uri_unescape_string (url_path, "/\\");
  if (!decoded)
    return SOUP_STATUS_BAD_REQUEST;
  std::string path (decoded);
  g_free (decoded);
  if (path.find ('\0') != std::string::npos || path.find ('\\') != std::string::npos)
    return SOUP_STATUS_BAD_REQUEST;

  std::string relative;
  gchar **segments = g_strsplit (path.c_str (), "/", -1);
  for (gchar **seg = segments; *seg; seg++) {
    if (**seg == '\0')
      continue;
    if ((*seg)[0] == '.') { /* "..", ".", and hidden files like .git */
      g_strfreev (segments);
      return SOUP_STATUS_FORBIDDEN;
    }
    relative += "/";
    relative += *seg;
  }
  g_strfreev (segments);

  std::string candidate = root + relative;
  char resolved[PATH_MAX];
  if (!realpath (candidate.c_str (), resolved))
    return SOUP_STATUS_NOT_FOUND;
  std::string real (resolved);
  if (real != root && real.compare (0, root.size () + 1, root + "/") != 0)
    return SOUP_STATUS_FORBIDDEN;

  GStatBuf st;
  if (g_stat (real.c_str (), &st) != 0)
    return SOUP_STATUS_NOT_FOUND;
  if (S_ISDIR (st.st_mode)) {
    real += "/index.html";
    if (g_stat (real.c_str (), &st) != 0)
      return SOUP_STATUS_NOT_FOUND;
  }
  if (!S_ISREG (st.st_mode))
    return SOUP_STATUS_NOT_FOUND;
  file_out = real;
  return SOUP_STATUS_OK;
}

const char *mime_type_for (const std::string &file)
{
  static const struct {
    const char *ext;
    const char *mime;
  } kTypes[] = {
    { ".html", "text/html; charset=utf-8" },
    { ".js", "text/javascript; charset=utf-8" },
    { ".mjs", "text/javascript; charset=utf-8" },
    { ".css", "text/css; charset=utf-8" },
    { ".json", "application/json" },
    { ".svg", "image/svg+xml" },
    { ".png", "image/png" },
    { ".ico", "image/x-icon" },
    { ".webp", "image/webp" },
    { ".txt", "text/plain; charset=utf-8" },
    { ".webmanifest", "application/manifest+json" },
    { ".woff2", "font/woff2" },
  };
  for (const auto &t : kTypes)
    if (g_str_has_suffix (file.c_str (), t.ext))
      return t.mime;
  return "application/octet-stream";
}

void add_security_headers (SoupMessageHeaders *headers, bool tls)
{
  soup_message_headers_replace (headers, "Content-Security-Policy", kContentSecurityPolicy);
  soup_message_headers_replace (headers, "X-Content-Type-Options", "nosniff");
  soup_message_headers_replace (headers, "Referrer-Policy", "no-referrer");
  soup_message_headers_replace (headers, "X-Frame-Options", "DENY");
  soup_message_headers_replace (headers, "Cache-Control", "no-cache");
  /* Both only mean something on https: Chromium logs an error for a
   * Cross-Origin-Opener-Policy from an untrustworthy (plain http, not
   * localhost) origin, and HSTS over http would pin clients to an https
   * this server may not have. */
  if (tls) {
    soup_message_headers_replace (headers, "Cross-Origin-Opener-Policy", "same-origin");
    soup_message_headers_replace (headers, "Strict-Transport-Security", "max-age=31536000");
  }
}

} // namespace gv::signaling
