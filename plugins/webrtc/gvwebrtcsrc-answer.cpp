/* GhostView
 * Copyright (C) 2026 GhostView contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
/* gvwebrtcsrc: when its answer goes to the signaller. Right away, the
 * candidates trickling after it; or, with `complete-answer`, once ICE
 * gathering is complete (at most kGatheringTimeoutMs), with every candidate
 * in it: a WHIP publisher takes no trickled candidate from the server. */
#include "gvwebrtcsrc-private.h"

#include <atomic>
#include <memory>

GST_DEBUG_CATEGORY_EXTERN (gv_webrtc_src_debug);
#define GST_CAT_DEFAULT gv_webrtc_src_debug

namespace {

constexpr GstClockTime kGatheringTimeoutMs = 3000;

/* One answer waiting for its candidates; sent once, by whichever comes
 * first: gathering complete or the timeout. */
struct PendingAnswer {
  GvWebRTCSrc *self;     /* a reference */
  GstElement *webrtcbin; /* a reference */
  std::atomic<bool> sent{ false };
  ~PendingAnswer ()
  {
    gst_object_unref (webrtcbin);
    gst_object_unref (self);
  }
};
using PendingAnswerPtr = std::shared_ptr<PendingAnswer>;

void send_local_description (const PendingAnswerPtr &pending, const char *why)
{
  if (pending->sent.exchange (true))
    return;
  GstWebRTCSessionDescription *local = nullptr;
  g_object_get (pending->webrtcbin, "local-description", &local, nullptr);
  if (!local)
    return;
  GST_INFO_OBJECT (pending->self, "sending the answer with its candidates (%s)", why);
  GvSignaller *signaller = gv_webrtc_src_ref_signaller (pending->self);
  if (signaller) {
    gv_signaller_send_sdp (signaller, "", local);
    g_object_unref (signaller);
  }
  gst_webrtc_session_description_free (local);
}

void on_gathering_state (GstElement *webrtcbin, GParamSpec *, gpointer data)
{
  GstWebRTCICEGatheringState state;
  g_object_get (webrtcbin, "ice-gathering-state", &state, nullptr);
  if (state == GST_WEBRTC_ICE_GATHERING_STATE_COMPLETE)
    send_local_description (*static_cast<PendingAnswerPtr *> (data), "gathering complete");
}

gboolean on_gathering_timeout (GstClock *, GstClockTime, GstClockID, gpointer data)
{
  send_local_description (*static_cast<PendingAnswerPtr *> (data), "gathering timed out");
  return TRUE;
}

void free_pending (gpointer data)
{
  delete static_cast<PendingAnswerPtr *> (data);
}

void free_pending_closure (gpointer data, GClosure *)
{
  free_pending (data);
}

} // namespace

void gv_webrtc_src_send_answer (GvWebRTCSrc *self, GstElement *webrtcbin,
                                GstWebRTCSessionDescription *answer)
{
  bool complete;
  {
    std::lock_guard<std::mutex> guard (self->priv->lock);
    complete = self->priv->complete_answer;
  }
  if (!complete) {
    GvSignaller *signaller = gv_webrtc_src_ref_signaller (self);
    if (signaller) {
      gv_signaller_send_sdp (signaller, "", answer);
      g_object_unref (signaller);
    }
    return;
  }
  auto pending = std::make_shared<PendingAnswer> ();
  pending->self = GV_WEBRTC_SRC (gst_object_ref (self));
  pending->webrtcbin = GST_ELEMENT (gst_object_ref (webrtcbin));
  g_signal_connect_data (webrtcbin, "notify::ice-gathering-state", G_CALLBACK (on_gathering_state),
                         new PendingAnswerPtr (pending), free_pending_closure, (GConnectFlags) 0);
  GstClock *clock = gst_system_clock_obtain ();
  GstClockID timer = gst_clock_new_single_shot_id (clock, gst_clock_get_time (clock) +
                                                              kGatheringTimeoutMs * GST_MSECOND);
  gst_clock_id_wait_async (timer, on_gathering_timeout, new PendingAnswerPtr (pending),
                           free_pending);
  gst_clock_id_unref (timer);
  gst_object_unref (clock);
  GstWebRTCICEGatheringState state;
  g_object_get (webrtcbin, "ice-gathering-state", &state, nullptr);
  if (state == GST_WEBRTC_ICE_GATHERING_STATE_COMPLETE)
    send_local_description (pending, "gathering was complete");
}
