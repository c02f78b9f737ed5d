/* Allowed origins of the WebSocket: the option lists they are written in
 * and the check of a browser's Origin header against them. Plain GLib, so
 * the fuzz targets (tests/fuzz) build it on its own. */
#pragma once

#include <string>
#include <vector>

namespace gv::signaling {

/* An option's list, comma- or space-separated ("a,b c"), empty items
 * dropped; none for null. */
std::vector<std::string> split_option_list (const char *text);

/* The form origins are compared in: ASCII lower case, no trailing '/'. */
std::string normalise_origin (std::string origin);

/* Whether a WebSocket upgrade with these headers may go on. `origin` null:
 * a native client (browsers always send one). With `allowed` empty
 * (development), only the server's own pages: http:// or https:// and
 * `host`, the request's Host header (null: refused). */
bool origin_allowed (const char *origin, const char *host, const std::vector<std::string> &allowed);

} // namespace gv::signaling
