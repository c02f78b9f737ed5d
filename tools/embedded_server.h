/* The signalling server inside the launcher (`serve`, and `host` without
 * --server), on the launcher's main context. */
#pragma once

#include "server.h"

#include <memory>
#include <string>

namespace gv::launcher {

/* Fills the web root when unset and, on all interfaces without a
 * --public-url, points viewer URLs at this machine's LAN address. */
void complete_server_config (gv::signaling::ServerConfig &config);

/* Starts the server and prints where it listens (and the development-mode
 * note); nullptr after printing why it cannot start. */
std::unique_ptr<gv::signaling::Server> start_server (const gv::signaling::ServerConfig &config,
                                                     const char *who);

} // namespace gv::launcher
