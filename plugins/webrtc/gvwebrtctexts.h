/* GhostView
 * Copyright (C) 2024 GhostView contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The sentences the WebRTC elements and signallers show people, in one
 * place: error and warning messages on the bus, and the words of the
 * signallers' "error" signal. Protocol error codes have their default
 * sentences in signaling/protocol.cpp; what a viewer's page shows is in
 * web/js/protocol.js.
 */
#pragma once

#include <string>

namespace gv::webrtc::texts {

inline std::string missing_element (const char *factory)
{
  return std::string ("The GStreamer element \"") + factory +
         "\" is missing; install the plugin package that provides it.";
}

inline constexpr const char *kMissingWebrtcbin =
    "webrtcbin is missing; install gstreamer1.0-plugins-bad and gstreamer1.0-nice.";

/* The host's video codecs (`offered`) and the receiver's share none. */
inline std::string no_common_codec (const std::string &offered, const std::string &accepted)
{
  return "No common video codec: the host sends " + offered + ", this receiver takes " +
         (accepted.empty () ? std::string ("none") : accepted) +
         " (install the GStreamer decoder, or start the host with another codec).";
}

inline std::string cannot_build_chain (const char *media)
{
  return std::string ("Cannot build the ") + media + " encoding chain.";
}

inline std::string viewer_failed (const std::string &peer, const char *why)
{
  return "Viewer " + peer + " failed and was removed: " + why;
}

inline std::string viewer_connection_failed (const std::string &viewer, guint grace_s)
{
  return "The connection to viewer " + viewer +
         " failed (no usable network path; a TURN server helps); it stays admitted for " +
         std::to_string (grace_s) + " s so its Retry can reconnect.";
}

inline constexpr const char *kConnectionToHostFailed =
    "The connection to the host failed (no usable network path).";
inline constexpr const char *kCannotAnswer = "Cannot answer the host's offer.";
inline constexpr const char *kInputChannelLost =
    "The data channel to the host closed: no more control or link reports (the picture goes on "
    "while the host sends it).";

inline std::string media_stalled (guint seconds)
{
  return "No video from the host for " + std::to_string (seconds) +
         " s; waiting for it (the network between you and the host may be down).";
}

inline std::string media_lost (guint seconds, bool signalling_lost)
{
  std::string text = "No video from the host for " + std::to_string (seconds) + " s";
  if (signalling_lost)
    return text + ", and the connection to the signalling server was lost: the session cannot "
                  "recover. Join again.";
  return text + ": the network between you and the host is down, or the host stopped. Join "
                "again.";
}

inline std::string host_ended (const char *reason)
{
  return std::string ("The host ended the session (") + reason + ").";
}

inline std::string unsupported_stream (const std::string &encoding, const std::string &media)
{
  return "The host sends " + encoding + " " + media +
         ", which this receiver cannot handle; it is ignored.";
}

inline constexpr const char *kSessionFull = "The session is full.";

/* A viewer's answer rejected media sections ("video", "audio"). */
inline std::string viewer_rejected_media (const std::string &viewer, const std::string &kinds)
{
  return "Viewer " + viewer + " cannot play the " + kinds +
         " offered: its browser decodes none of the codecs (its answer rejects them), so it "
         "gets no picture.";
}

inline std::string host_declined (const std::string &session, const std::string &reason)
{
  std::string words = "The host declined the request to join";
  if (!session.empty ())
    words += " session " + session;
  return words + (reason.empty () ? std::string (".") : ": " + reason);
}

} // namespace gv::webrtc::texts
