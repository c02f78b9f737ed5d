/* GhostView
 * Copyright (C) 2024 GhostView contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Transport-wide congestion control feedback as webrtcbin's RTP session
 * hands it upstream (the custom event "RTPTWCCPackets", see
 * gvbandwidthestimator.h), read into what the bandwidth estimator takes.
 * Apart from the viewer so the fuzz target for RTCP feedback
 * (tests/fuzz/fuzz_rtcp_feedback.cpp) runs the same code.
 */
#pragma once

#include "gvbandwidthestimator.h"

#include <gst/gst.h>

#include <vector>

namespace gv::webrtc {

/* The event's name. */
inline constexpr const char *kTwccPacketsEvent = "RTPTWCCPackets";

/* The packets of one "RTPTWCCPackets" structure, in its order. Entries
 * without a sequence number or a send time (or one above G_MAXINT64) are
 * left out; a lost packet, or one whose arrival time is unknown, has
 * arrival_time kLost. Empty when `s` has no "packets" list. */
std::vector<BandwidthEstimator::PacketResult> twcc_packet_results (const GstStructure *s);

} // namespace gv::webrtc
