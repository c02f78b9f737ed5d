/* GhostView
 * Copyright (C) 2024 GhostView contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "gvtwccfeedback.h"

namespace gv::webrtc {

std::vector<BandwidthEstimator::PacketResult> twcc_packet_results (const GstStructure *s)
{
  std::vector<BandwidthEstimator::PacketResult> packets;
  const GValue *list = gst_structure_get_value (s, "packets");
  /* A GValueArray (deprecated in GLib, still what rtpsession sends). */
  if (!list || !g_str_equal (g_type_name (G_VALUE_TYPE (list)), "GValueArray"))
    return packets;
  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  auto *array = static_cast<GValueArray *> (g_value_get_boxed (list));
  for (guint i = 0; array && i < array->n_values; i++) {
    const GValue *v = &array->values[i];
    if (!GST_VALUE_HOLDS_STRUCTURE (v))
      continue;
    const GstStructure *p = gst_value_get_structure (v);
    guint seqnum = 0, size = 0;
    guint64 sent = GST_CLOCK_TIME_NONE, arrived = GST_CLOCK_TIME_NONE;
    gboolean lost = FALSE;
    if (!gst_structure_get_uint (p, "seqnum", &seqnum) ||
        !gst_structure_get_uint64 (p, "local-ts", &sent) || sent > (guint64) G_MAXINT64)
      continue;
    gst_structure_get_uint64 (p, "remote-ts", &arrived);
    gst_structure_get_uint (p, "size", &size);
    gst_structure_get_boolean (p, "lost", &lost);
    BandwidthEstimator::PacketResult r;
    r.seq = (guint16) seqnum;
    r.send_time = (gint64) sent;
    r.arrival_time =
        lost || arrived > (guint64) G_MAXINT64 ? BandwidthEstimator::kLost : (gint64) arrived;
    r.size = size;
    packets.push_back (r);
  }
  G_GNUC_END_IGNORE_DEPRECATIONS
  return packets;
}

} // namespace gv::webrtc
