/* GhostView
 * Copyright (C) 2024 GhostView contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Puts the RTCP guard (gvrtcpguard.h) in front of every RTP session of a
 * webrtcbin: a probe on each RTCP input of its rtpbin (recv_rtcp_sink_%u,
 * fed with the peer's decrypted RTCP), present or requested later, drops a
 * refused compound packet whole and counts it. Used by gvwebrtcsink for each
 * viewer and by gvwebrtcsrc for its host.
 */
#pragma once

#include <gst/gst.h>

#include <atomic>
#include <memory>
#include <string>

namespace gv::webrtc {

class RtcpFilter : public std::enable_shared_from_this<RtcpFilter> {
public:
  /* Guards `webrtcbin`'s RTCP inputs until it goes; `peer` names the
   * other side in the log. Returns nullptr, with a warning, if webrtcbin
   * has no rtpbin. */
  static std::shared_ptr<RtcpFilter> attach (GstElement *webrtcbin, const std::string &peer);

  /* Compound packets dropped so far. Any thread. */
  guint64 refused () const { return refused_; }

  explicit RtcpFilter (std::string peer) : peer_ (std::move (peer)) {}

private:
  static void on_pad_added (GstElement *rtpbin, GstPad *pad, gpointer self);
  static GstPadProbeReturn on_rtcp (GstPad *pad, GstPadProbeInfo *info, gpointer data);
  void guard (GstPad *pad);

  const std::string peer_;
  std::atomic<guint64> refused_{ 0 };
};

} // namespace gv::webrtc
