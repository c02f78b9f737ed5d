/* GhostView
 * Copyright (C) 2024 GhostView contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The RTCP checks of gvrtcpguard.h. Layouts: RFC 3550 6.5 (SDES), RFC 4585
 * 6.1 (feedback), draft-holmer-rmcat-transport-wide-cc-extensions-01 3.1
 * (TWCC). The TWCC walk follows rtpsession's own (gst-plugins-good 1.22,
 * rtptwcc.c) so that it counts what rtpsession would parse.
 */
#include "gvrtcpguard.h"

#include <gst/rtp/gstrtcpbuffer.h>

namespace gv::webrtc {

namespace {

constexpr gsize kHeaderBytes = 4;
constexpr gsize kFbSsrcBytes = 8;    /* sender and media SSRC */
constexpr gsize kTwccFixedBytes = 8; /* base, count, reference time, feedback count */
constexpr guint8 kSdesEnd = 0;
constexpr guint8 kSdesPriv = 8;
constexpr guint8 kTwccSmallDelta = 1;
constexpr guint8 kTwccLargeDelta = 2; /* or negative */
constexpr guint8 kTwccReserved = 3;

/* The SDES packet's `count` chunks (SSRC, items, an END item, zeros to the
 * next 32-bit boundary) within its `body` (after the header), and nothing
 * but zeros after them: GStreamer 1.22's rtpsession walks one chunk more
 * than `count` when bytes are left (gst_rtcp_packet_sdes_next_item), and
 * reads that chunk's items without bounds. A PRIV item's value starts with
 * its prefix's length, which rtpsession copies without checking it against
 * the item's (g_strndup past the packet: found by fuzzing, 2026-12-03): it
 * must fit. */
bool sdes_fits (const guint8 *body, gsize length, guint count)
{
  gsize at = 0;
  for (guint chunk = 0; chunk < count; chunk++) {
    if (length - at < 4)
      return false;
    at += 4;
    for (;;) {
      if (at >= length)
        return false;
      if (body[at] == kSdesEnd) {
        at = (at + 4) & ~(gsize) 3; /* the END and its padding */
        if (at > length)
          return false;
        break;
      }
      if (length - at < 2 || length - at - 2 < body[at + 1])
        return false;
      if (body[at] == kSdesPriv && (body[at + 1] < 1 || body[at + 2] > body[at + 1] - 1))
        return false;
      at += 2 + body[at + 1];
    }
  }
  for (; at < length; at++)
    if (body[at] != 0)
      return false;
  return true;
}

/* A TWCC report's FCI (after the two SSRCs): its fixed part, chunks and
 * deltas fit; `named` gets the packets rtpsession would list for it, the
 * ones it counts as lost since the last report included, and `state` moves
 * on as rtpsession's would. */
RtcpVerdict check_twcc (const guint8 *fci, gsize length, RtcpGuardState &state, guint &named)
{
  if (length < kTwccFixedBytes + 2)
    return RtcpVerdict::kTwccShort;
  const guint16 base = GST_READ_UINT16_BE (fci);
  const guint16 count = GST_READ_UINT16_BE (fci + 2);
  const guint8 fb_count = fci[7];
  if (count == 0)
    return RtcpVerdict::kTwccShort;

  gsize at = kTwccFixedBytes, delta_bytes = 0;
  for (guint listed = 0; listed < count; at += 2) {
    if (length - at < 2)
      return RtcpVerdict::kTwccOverrun;
    const guint16 chunk = GST_READ_UINT16_BE (fci + at);
    const guint remaining = count - listed;
    /* `n` packets with status `symbol`: the deltas they carry. */
    auto add = [&delta_bytes] (guint8 symbol, guint n) {
      if (symbol == kTwccSmallDelta)
        delta_bytes += n;
      else if (symbol == kTwccLargeDelta)
        delta_bytes += 2 * (gsize) n;
      return symbol != kTwccReserved || n == 0;
    };
    if (!(chunk & 0x8000)) { /* run length: a symbol, 13 bits of run */
      const guint run = MIN ((guint) (chunk & 0x1fff), remaining);
      if (!add ((chunk >> 13) & 0x3, run))
        return RtcpVerdict::kTwccOverrun;
      listed += run;
    } else if (!(chunk & 0x4000)) { /* status vector of 14 one-bit symbols */
      const guint n = MIN (14u, remaining);
      for (guint i = 0; i < n; i++)
        add ((chunk >> (13 - i)) & 0x1, 1);
      listed += n;
    } else { /* status vector of 7 two-bit symbols */
      const guint n = MIN (7u, remaining);
      for (guint i = 0; i < n; i++)
        if (!add ((chunk >> (12 - 2 * i)) & 0x3, 1))
          return RtcpVerdict::kTwccOverrun;
      listed += n;
    }
  }
  if (length - at < delta_bytes)
    return RtcpVerdict::kTwccOverrun;

  /* rtpsession's count of lost packets before this report's base: only
   * when its feedback count follows the last one's and the base is not
   * behind (a plain comparison, as rtpsession makes it). */
  guint lost = 0;
  bool moves_on = true;
  if (state.have_twcc) {
    const gint8 fb_diff = (gint8) (fb_count - state.expected_fb_count);
    if (fb_diff < 0 || (fb_diff == 0 && base < state.expected_seq))
      moves_on = false;
    else if (fb_diff == 0)
      lost = base - state.expected_seq;
  }
  named = lost + count;
  if (moves_on) {
    state.have_twcc = true;
    state.expected_seq = (guint16) (base + count);
    state.expected_fb_count = (guint8) (fb_count + 1);
  }
  return RtcpVerdict::kAccepted;
}

} // namespace

RtcpVerdict check_rtcp_compound (const guint8 *data, gsize size, RtcpGuardState &state)
{
  /* GStreamer's own check of a (reduced-size) compound: version 2, every
   * packet's length within the buffer, padding only in the last. */
  if (!data || size < kHeaderBytes ||
      !gst_rtcp_buffer_validate_data_reduced (const_cast<guint8 *> (data), (guint) size))
    return RtcpVerdict::kMalformed;

  RtcpGuardState next = state;
  guint named = 0;
  for (gsize at = 0; at + kHeaderBytes <= size;) {
    const guint8 *packet = data + at;
    const guint count = packet[0] & 0x1f;
    const guint8 type = packet[1];
    const gsize length = ((gsize) GST_READ_UINT16_BE (packet + 2) + 1) * 4;
    if (length > size - at) /* what the check above ensures; kept in case it changes */
      return RtcpVerdict::kMalformed;
    const gsize body = length - kHeaderBytes;
    at += length;
    if (type == GST_RTCP_TYPE_SDES) {
      if (!sdes_fits (packet + kHeaderBytes, body, count))
        return RtcpVerdict::kSdesOverrun;
    } else if (type == GST_RTCP_TYPE_RTPFB || type == GST_RTCP_TYPE_PSFB) {
      if (body < kFbSsrcBytes)
        return RtcpVerdict::kMalformed;
      if (type == GST_RTCP_TYPE_RTPFB && count == GST_RTCP_RTPFB_TYPE_TWCC) {
        guint report_named = 0;
        const RtcpVerdict v = check_twcc (packet + kHeaderBytes + kFbSsrcBytes, body - kFbSsrcBytes,
                                          next, report_named);
        if (v != RtcpVerdict::kAccepted)
          return v;
        named += report_named;
        if (named > kMaxTwccNamedPackets)
          return RtcpVerdict::kTwccTooMany;
      }
    }
  }
  state = next;
  return RtcpVerdict::kAccepted;
}

const char *rtcp_verdict_name (RtcpVerdict verdict)
{
  switch (verdict) {
  case RtcpVerdict::kAccepted:
    return "accepted";
  case RtcpVerdict::kMalformed:
    return "malformed";
  case RtcpVerdict::kSdesOverrun:
    return "sdes-overrun";
  case RtcpVerdict::kTwccShort:
    return "twcc-short";
  case RtcpVerdict::kTwccOverrun:
    return "twcc-overrun";
  case RtcpVerdict::kTwccTooMany:
    return "twcc-too-many";
  }
  return "unknown";
}

} // namespace gv::webrtc
