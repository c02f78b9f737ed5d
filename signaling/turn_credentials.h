/* Short-term TURN credentials for coturn's use-auth-secret mode:
 * username "<expiry>:<id>", password base64(HMAC-SHA1(secret, username)). */
#pragma once

#include "protocol.h"

#include <glib.h>

#include <string>
#include <vector>

namespace gv::signaling {

proto::IceServer make_turn_server (const std::vector<std::string> &urls, const std::string &secret,
                                   const std::string &id, gint64 expiry_unix_s);

/* STUN entries as they are, then TURN entries with fresh credentials. */
std::vector<proto::IceServer> make_ice_servers (const std::vector<std::string> &stun_urls,
                                                const std::vector<std::string> &turn_urls,
                                                const std::string &secret, const std::string &id,
                                                gint64 expiry_unix_s);

} // namespace gv::signaling
