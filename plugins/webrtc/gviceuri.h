/* GhostView
 * Copyright (C) 2024 GhostView contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The ICE servers a registered/joined message hands out (RTCPeerConnection
 * form, signaling/protocol.h) as the URIs webrtcbin takes. A pure function,
 * fuzzed on its own (tests/fuzz/fuzz_ice_servers.cpp).
 */
#pragma once

#include "protocol.h"

#include <string>

namespace gv::webrtc {

/* "stun:host:port" -> "stun://host:port"; "turn:host:port?transport=udp"
 * with the server's short-term credentials -> "turn://user:pass@host:port?..."
 * (user and password URI-escaped). Empty for any other scheme or a URL
 * without one. */
std::string webrtcbin_ice_uri (const std::string &url, const gv::proto::IceServer &server);

} // namespace gv::webrtc
