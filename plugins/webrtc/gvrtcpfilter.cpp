/* GhostView
 * Copyright (C) 2024 GhostView contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "gvrtcpfilter.h"

#include "gvrtcpguard.h"

#include <mutex>

GST_DEBUG_CATEGORY_STATIC (gv_rtcp_filter_debug);
#define GST_CAT_DEFAULT gv_rtcp_filter_debug

namespace gv::webrtc {

namespace {

/* What a probe holds: the filter (for its count) and the guard's state of
 * that pad's RTP session, used only on the pad's streaming thread. */
struct PadGuard {
  std::shared_ptr<RtcpFilter> filter;
  RtcpGuardState state;
};

bool is_rtcp_input (GstPad *pad)
{
  return GST_PAD_IS_SINK (pad) && g_str_has_prefix (GST_PAD_NAME (pad), "recv_rtcp_sink_");
}

} // namespace

std::shared_ptr<RtcpFilter> RtcpFilter::attach (GstElement *webrtcbin, const std::string &peer)
{
  static std::once_flag category;
  std::call_once (category, [] () {
    GST_DEBUG_CATEGORY_INIT (gv_rtcp_filter_debug, "gvrtcpfilter", 0,
                             "GhostView: a peer's RTCP checked before the RTP session");
  });
  GstElement *rtpbin = gst_bin_get_by_name (GST_BIN (webrtcbin), "rtpbin");
  if (!rtpbin) {
    GST_WARNING_OBJECT (webrtcbin, "no rtpbin: RTCP from %s is not checked", peer.c_str ());
    return nullptr;
  }
  auto filter = std::make_shared<RtcpFilter> (peer);
  /* webrtcbin asks rtpbin for an RTCP input per transport as it sets up
   * the session, before anything can arrive (DTLS comes first); one may be
   * there already. */
  g_signal_connect_data (
      rtpbin, "pad-added", G_CALLBACK (on_pad_added), new std::shared_ptr<RtcpFilter> (filter),
      [] (gpointer data, GClosure *) { delete static_cast<std::shared_ptr<RtcpFilter> *> (data); },
      (GConnectFlags) 0);
  GstIterator *pads = gst_element_iterate_sink_pads (rtpbin);
  GValue item = G_VALUE_INIT;
  while (gst_iterator_next (pads, &item) == GST_ITERATOR_OK) {
    GstPad *pad = GST_PAD (g_value_get_object (&item));
    if (is_rtcp_input (pad))
      filter->guard (pad);
    g_value_reset (&item);
  }
  g_value_unset (&item);
  gst_iterator_free (pads);
  gst_object_unref (rtpbin);
  return filter;
}

void RtcpFilter::on_pad_added (GstElement *, GstPad *pad, gpointer self)
{
  if (is_rtcp_input (pad))
    (*static_cast<std::shared_ptr<RtcpFilter> *> (self))->guard (pad);
}

void RtcpFilter::guard (GstPad *pad)
{
  GST_DEBUG_OBJECT (pad, "checking RTCP from %s", peer_.c_str ());
  gst_pad_add_probe (pad,
                     (GstPadProbeType) (GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST),
                     on_rtcp, new PadGuard{ shared_from_this (), {} },
                     [] (gpointer data) { delete static_cast<PadGuard *> (data); });
}

/* On the pad's streaming thread: each compound packet through the guard;
 * a refused one dropped (out of a list, the list rebuilt without it). */
GstPadProbeReturn RtcpFilter::on_rtcp (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  auto *pg = static_cast<PadGuard *> (data);
  auto accepted = [pad, pg] (GstBuffer *buffer) {
    GstMapInfo map;
    if (!gst_buffer_map (buffer, &map, GST_MAP_READ))
      return false;
    const RtcpVerdict verdict = check_rtcp_compound (map.data, map.size, pg->state);
    const gsize size = map.size;
    gst_buffer_unmap (buffer, &map);
    if (verdict == RtcpVerdict::kAccepted)
      return true;
    const guint64 n = ++pg->filter->refused_;
    /* The first refusal of a peer as a warning, the rest at debug level:
     * a peer sending such packets in a loop must not flood the log. */
    if (n == 1)
      GST_WARNING_OBJECT (pad, "RTCP from %s refused (%s, %" G_GSIZE_FORMAT " bytes)",
                          pg->filter->peer_.c_str (), rtcp_verdict_name (verdict), size);
    else
      GST_DEBUG_OBJECT (
          pad, "RTCP from %s refused (%s, %" G_GSIZE_FORMAT " bytes), %" G_GUINT64_FORMAT " so far",
          pg->filter->peer_.c_str (), rtcp_verdict_name (verdict), size, n);
    return false;
  };
  if (GST_PAD_PROBE_INFO_TYPE (info) & GST_PAD_PROBE_TYPE_BUFFER)
    return accepted (GST_PAD_PROBE_INFO_BUFFER (info)) ? GST_PAD_PROBE_OK : GST_PAD_PROBE_DROP;

  GstBufferList *list = GST_PAD_PROBE_INFO_BUFFER_LIST (info);
  GstBufferList *kept = gst_buffer_list_new_sized (gst_buffer_list_length (list));
  for (guint i = 0; i < gst_buffer_list_length (list); i++) {
    GstBuffer *buffer = gst_buffer_list_get (list, i);
    if (accepted (buffer))
      gst_buffer_list_add (kept, gst_buffer_ref (buffer));
  }
  if (gst_buffer_list_length (kept) == gst_buffer_list_length (list)) {
    gst_buffer_list_unref (kept);
    return GST_PAD_PROBE_OK;
  }
  if (gst_buffer_list_length (kept) == 0) {
    gst_buffer_list_unref (kept);
    return GST_PAD_PROBE_DROP;
  }
  gst_buffer_list_unref (list);
  GST_PAD_PROBE_INFO_DATA (info) = kept;
  return GST_PAD_PROBE_OK;
}

} // namespace gv::webrtc
