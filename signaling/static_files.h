/* Serving web/: path resolution that cannot leave the web root, MIME types,
 * and the security headers every response carries. */
#pragma once

#include <libsoup/soup.h>

#include <string>

namespace gv::signaling {

/* The Content-Security-Policy of every page: no inline script, no eval,
 * nothing from other hosts. */
extern const char *const kContentSecurityPolicy;

/* Maps an URL path to a regular file under `root` (an absolute, resolved
 * directory). Rejects encoded slashes, NULs, backslashes, dot segments and
 * hidden files, then checks the resolved path is still under `root` (so a
 * symlink cannot escape). A directory maps to its index.html. Returns the
 * HTTP status to answer: 200 with `file_out` set, 400, 403 or 404. */
guint resolve_static_path (const std::string &root, const char *url_path, std::string &file_out);

const char *mime_type_for (const std::string &file);

/* `tls`: the client reached us over https (our TLS or a proxy's). */
void add_security_headers (SoupMessageHeaders *headers, bool tls);

} // namespace gv::signaling
