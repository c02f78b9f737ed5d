/* GhostView
 * Copyright (C) 2024 GhostView contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Checks one RTCP compound packet from a peer before GStreamer's RTP
 * session (rtpsession, in webrtcbin's rtpbin) parses it. GStreamer 1.22's
 * rtpsession reads past the end of a packet for SDES chunks that do not
 * fit, for a transport-wide congestion control (TWCC) report shorter than
 * its fixed part or whose chunks and deltas do not fit, and spends ~0.2 s
 * and 45 MB on one 40-byte TWCC report naming 65,535 packets (README,
 * "Fuzzing"). A compound with any such report is refused whole.
 *
 * Pure (bytes in, verdict out) so that the unit test and the fuzz target
 * (tests/fuzz/fuzz_rtcp_feedback.cpp) run the very check the elements run
 * (gvrtcpfilter.h).
 */
#pragma once

#include <glib.h>

namespace gv::webrtc {

/* The most packets one compound's TWCC reports may name, lost ones
 * rtpsession adds on its own included. Chromium reports every 50-250 ms,
 * the faster the higher the bitrate; at the sink's highest `bitrate`
 * (100 Mbit/s, 1,200-byte packets: ~10,400 packets/s) a 50 ms report names
 * ~520, a 100 ms one ~1,040. A report after a lost one names no more:
 * rtpsession adds no losses when the feedback count jumps. 2,000 leaves
 * room for that, and rtpsession's cost for it (per report, quadratic in
 * the count) is ~1,000 times below the 65,535 a report can name. */
inline constexpr guint kMaxTwccNamedPackets = 2000;

enum class RtcpVerdict {
  kAccepted,
  kMalformed,   /* not a valid compound (gst_rtcp_buffer_validate_data_reduced),
                   or a feedback packet shorter than its two SSRCs */
  kSdesOverrun, /* an SDES chunk or item runs past its packet */
  kTwccShort,   /* a TWCC report shorter than its 8-byte header and a chunk,
                   or naming no packet */
  kTwccOverrun, /* a TWCC report's chunks and deltas run past its packet,
                   or it uses the reserved status symbol */
  kTwccTooMany, /* TWCC reports naming more than kMaxTwccNamedPackets */
};

/* What rtpsession remembers of the TWCC reports it parsed, as far as it
 * decides how many packets the next one names: it counts every packet
 * between the last report's end and this one's base as lost when the
 * report's feedback count follows on. One per RTP session (one per peer
 * connection: max-bundle). */
struct RtcpGuardState {
  bool have_twcc = false;
  guint16 expected_seq = 0;
  guint8 expected_fb_count = 0;
};

/* The verdict on `size` bytes of RTCP; `state` moves on as rtpsession's
 * would only when the compound is accepted. */
RtcpVerdict check_rtcp_compound (const guint8 *data, gsize size, RtcpGuardState &state);

/* "accepted", "malformed", "sdes-overrun", ... for logs. */
const char *rtcp_verdict_name (RtcpVerdict verdict);

} // namespace gv::webrtc
