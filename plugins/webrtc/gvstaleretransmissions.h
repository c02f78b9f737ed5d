/* GhostView
 * Copyright (C) 2024 GhostView contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Retransmissions a keyframe made useless, for one viewer. Once a keyframe
 * has gone to the viewer, no packet sent before it is needed any more: the
 * decoder starts again from the keyframe. A NACK for such a packet (a loss
 * right after a link got narrow, before the move to a smaller layer) would
 * resend old data into the very queue that lost it, ahead of the keyframe
 * the viewer waits for. So:
 *   - the viewer's payloader is watched: the first packet it makes of a
 *     keyframe (an input buffer without the delta-unit flag) is noted, its
 *     SSRC and sequence number;
 *   - on the retransmission sender (rtprtxsend) inside the viewer's
 *     webrtcbin, a request for that SSRC older than the noted packet is
 *     dropped and counted; every other request passes, and so do the
 *     bandwidth probe's own (gvrtxprober.h marks them).
 */
#pragma once

#include <gst/gst.h>

#include <atomic>
#include <mutex>
#include <utility>
#include <vector>

namespace gv::webrtc {

/* The field gvrtxprober puts in its retransmission requests: they pad a
 * probe and are never stale. */
inline constexpr const char *kProbeRequestField = "gv-probe";

class StaleRetransmissions {
public:
  explicit StaleRetransmissions (GObject *log) : log_ (log) {}
  ~StaleRetransmissions ();
  StaleRetransmissions (const StaleRetransmissions &) = delete;
  StaleRetransmissions &operator= (const StaleRetransmissions &) = delete;

  /* Notes the keyframes `payloader` packs (its sink and src pads). */
  void watch_payloader (GstElement *payloader);
  /* Filters the requests reaching `rtxsend` (an rtprtxsend: the one in
   * the viewer's webrtcbin); once. */
  bool attach (GstElement *rtxsend);
  /* Stops watching and filtering (the viewer is going). */
  void detach ();

  /* A keyframe's first packet went out: `ssrc`, `seq`. */
  void keyframe_sent (guint32 ssrc, guint16 seq);
  /* Whether a request for packet `seq` of `ssrc` asks for what a keyframe
   * since made useless. */
  bool stale (guint32 ssrc, guint16 seq) const;
  /* Requests dropped so far. Any thread. */
  guint64 skipped () const { return skipped_; }

private:
  static GstPadProbeReturn on_payloader_input (GstPad *, GstPadProbeInfo *info, gpointer self);
  static GstPadProbeReturn on_payloader_output (GstPad *, GstPadProbeInfo *info, gpointer self);
  static GstPadProbeReturn on_request (GstPad *, GstPadProbeInfo *info, gpointer self);

  GObject *const log_;
  /* The last keyframe's first packet: ssrc << 16 | seq, with kKnown set. */
  std::atomic<guint64> keyframe_{ 0 };
  std::atomic<bool> keyframe_pending_{ false };
  std::atomic<guint64> skipped_{ 0 };
  std::mutex lock_;
  GstPad *rtx_src_ = nullptr; /* rtprtxsend's src pad, where requests arrive */
  gulong rtx_probe_ = 0;
  std::vector<std::pair<GstPad *, gulong>> probes_; /* the payloader's, each pad held */
};

} // namespace gv::webrtc
