/* GhostView
 * Copyright (C) 2024 GhostView contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The video codecs of an SDP message: what gvwebrtcsink's offer carries
 * and each viewer's answer picks (per-viewer codec negotiation), and what
 * gvwebrtcsrc's answer accepts. Pure functions on GstSDPMessage, tested on
 * their own (tests/check/webrtc/test_sdp_codecs.cpp).
 */
#pragma once

#include <gst/sdp/sdp.h>

#include <string>
#include <vector>

namespace gv::webrtc {

/* Whether a section is rejected: port 0 without "a=bundle-only" (a bundled
 * section of an offer also has port 0). */
bool section_rejected (const GstSDPMedia *media);

/* The encoding names of the codecs the video sections not rejected carry
 * (upper case, rtx left out), in their order. */
std::vector<std::string> video_codec_names (const GstSDPMessage *sdp);

/* Adds a retransmission payload type (rtx, apt=PT) for each of `pts` that
 * the video sections offer without one. webrtcbin (1.22) gives only the
 * first codec of a section one; a viewer answering with another codec
 * would get no retransmissions. Returns how many were added. */
int add_missing_rtx (GstSDPMessage *sdp, const std::vector<guint> &pts);

/* The first payload type of `ours` in the answer's first video section
 * (the answerer lists what it takes, best first); -1 when the section is
 * rejected (port 0), missing, or takes none of them. */
int answer_video_payload (const GstSDPMessage *answer, const std::vector<guint> &ours);

/* Keeps in the video sections only the codecs named in `accepted` (RTP
 * encoding names, case-insensitive), with the retransmission types of those
 * kept; with `reorder`, best first in the order of `accepted`, else in the
 * section's own order. A section left with no codec is rejected (port 0).
 * Returns the encoding names kept, in the section's new order. */
std::vector<std::string> keep_video_codecs (GstSDPMessage *sdp,
                                            const std::vector<std::string> &accepted,
                                            bool reorder = true);

/* The video codecs (RTP encoding names: "VP8", "VP9", "H264") this
 * machine's GStreamer can receive: a depayloader and, with `decode`, a
 * decoder (else, for H.264, a parser) in the registry. Reads the registry. */
std::vector<std::string> receivable_video_codecs (bool decode);

/* "vp8, H264" -> { "VP8", "H264" }; empty items skipped. */
std::vector<std::string> parse_codec_list (const char *text);

} // namespace gv::webrtc
