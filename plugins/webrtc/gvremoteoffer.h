/* GhostView
 * Copyright (C) 2024 GhostView contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A viewer that sends the offer (a WHEP player: the host answers): what
 * its offer asks to receive, and how gvwebrtcsink answers each section
 * with what it has. A pure function on GstSDPMessage, tested on its own
 * (tests/check/webrtc/test_remote_offer.cpp).
 *
 * webrtcbin (1.22) answers a section from the codec preferences of the
 * transceiver it matches, taking their payload types and header extension
 * ids as they are: the preferences must be the offer's own (the codec's
 * payload type and parameters, the offer's id for the congestion control
 * extension), and the viewer's payloader must send with them.
 */
#pragma once

#include "gvwebrtcsink.h"

#include <gst/gst.h>
#include <gst/sdp/sdp.h>

#include <memory>
#include <string>
#include <vector>

namespace gv::webrtc {

enum class MediaKind;

/* One section of the offer the host sends media for. */
struct AnsweredMedia {
  MediaKind kind;
  guint mline = 0;
  /* Video: the codec slot (gvstreamencoder.h) the answer takes. */
  int slot = -1;
  /* The offer's payload type for it: the viewer's payloader sends with it. */
  guint pt = 0;
  /* The offer's id for the transport-wide congestion control extension;
   * 0: not offered (no TWCC feedback, the estimate follows receiver
   * reports). */
  guint twcc_id = 0;
  /* Video: the offer's retransmission payload type for `pt` (rtx,
   * apt=pt); 0: none offered. webrtcbin (1.22) leaves it out of its
   * answer: gvwebrtcsink adds it back (add_answer_rtx). */
  guint rtx_pt = 0;
  /* The transceiver's codec preferences: one structure, the offer's own. */
  std::shared_ptr<GstCaps> preferences;
};

/* The sections of `offer` the host answers with media, in their order:
 * each section the viewer receives on (recvonly or sendrecv, not
 * rejected) whose kind the host has (`codecs`: the video codecs by slot,
 * empty when there is no video; `audio`: Opus audio), with the first of
 * our codecs, by slot, that the section offers (H.264 only as packetization
 * mode 1, constrained baseline). Only one section of each kind is taken.
 * Empty, with `error` set to a sentence for the viewer, when the offer asks
 * for nothing the host sends. */
std::vector<AnsweredMedia> answer_remote_offer (const GstSDPMessage *offer,
                                                const std::vector<GvWebRTCSinkCodec> &codecs,
                                                bool audio, std::string &error);

/* Adds `m`'s retransmission payload type to section `m.mline` of
 * `answer` (a no-op without one, or when the section has it). */
void add_answer_rtx (GstSDPMessage *answer, const AnsweredMedia &m);

/* The answer as the viewer gets it: each section not in `answered` (a kind
 * the host does not send) rejected (port 0) and out of the BUNDLE group, so
 * the viewer does not wait for it on the shared transport; and no a=ssrc
 * or a=ssrc-group lines (webrtcbin 1.22 writes an SSRC there that is not
 * the one its payloader sends with; a browser that trusts them routes the
 * real stream nowhere). The viewer finds the stream by payload type. */
void finish_answer (GstSDPMessage *answer, const std::vector<AnsweredMedia> &answered);

} // namespace gv::webrtc
