/* GhostView
 * Copyright (C) 2024 GhostView contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * gvwebrtcsink and what its viewers say about the picture they get (or do
 * not get): a viewer's report becomes a `gvwebrtcsink-viewer-report` bus
 * message and the `viewer-report` signal; a viewer's Retry (the
 * signaller's `peer-restart`) replaces its webrtcbin with a fresh one and a
 * fresh offer, the admission and capabilities kept; and an answer that
 * rejects a media section, which webrtcbin 1.22 aborts on, is refused here
 * and reported as the host sees it.
 */
#include "gvwebrtcsink-private.h"

#include "gvwebrtctexts.h"
#include "protocol.h"

#include <cstring>

#define GST_CAT_DEFAULT gv_webrtc_sink_debug

using gv::webrtc::Viewer;
using gv::webrtc::ViewerPtr;

static std::string viewer_name (GvWebRTCSink *self, const std::string &peer)
{
  std::lock_guard<std::mutex> guard (self->priv->lock);
  auto it = self->priv->viewers.find (peer);
  return it == self->priv->viewers.end () ? std::string () : it->second->name ();
}

/* `observed_by`: "viewer" (its own report) or "host" (what the sink saw). */
static void post_report (GvWebRTCSink *self, const std::string &peer, const char *problem,
                         const char *detail, const char *codec, const char *observed_by)
{
  std::string name = viewer_name (self, peer);
  GstStructure *s = gst_structure_new (
      "gvwebrtcsink-viewer-report", "peer-id", G_TYPE_STRING, peer.c_str (), "name", G_TYPE_STRING,
      name.c_str (), "problem", G_TYPE_STRING, problem, "detail", G_TYPE_STRING, detail, "codec",
      G_TYPE_STRING, codec, "observed-by", G_TYPE_STRING, observed_by, nullptr);
  GST_INFO_OBJECT (self, "viewer report: %" GST_PTR_FORMAT, s);
  gst_element_post_message (GST_ELEMENT (self), gst_message_new_element (GST_OBJECT (self), s));
  g_signal_emit (self, gv_webrtc_sink_signals[GV_SINK_SIGNAL_VIEWER_REPORT], 0, peer.c_str (),
                 problem, detail, codec);
}

void gv_webrtc_sink_install_report_signal (GType type)
{
  gv_webrtc_sink_signals[GV_SINK_SIGNAL_VIEWER_REPORT] =
      g_signal_new ("viewer-report", type, G_SIGNAL_RUN_LAST, 0, nullptr, nullptr, nullptr,
                    G_TYPE_NONE, 4, G_TYPE_STRING, G_TYPE_STRING, G_TYPE_STRING, G_TYPE_STRING);
}

void gv_webrtc_sink_on_peer_report (GvSignaller *, const char *peer, GstStructure *report,
                                    gpointer user)
{
  auto *self = GV_WEBRTC_SINK (user);
  const char *problem = report ? gst_structure_get_string (report, "problem") : nullptr;
  if (!peer || !problem)
    return;
  {
    /* Only the sink's own viewers: a report names one of them. */
    std::lock_guard<std::mutex> guard (self->priv->lock);
    if (!self->priv->viewers.count (peer))
      return;
  }
  const char *detail = gst_structure_get_string (report, "detail");
  const char *codec = gst_structure_get_string (report, "codec");
  post_report (self, peer, problem, detail ? detail : "", codec ? codec : "", "viewer");
}

/* ---- Retry: the same viewer on a fresh webrtcbin ---- */

/* On the old viewer's queue, once its webrtcbin is gone. Not a viewer
 * leaving: no viewer-removed, the new one is already in its place. */
static void old_connection_stopped (GvWebRTCSink *self, const ViewerPtr &old)
{
  {
    std::lock_guard<std::mutex> guard (self->priv->lock);
    const gv::webrtc::ViewerStats st = old->stats ();
    self->priv->gone_input += st.input;
    self->priv->gone_assist += st.assist;
    self->priv->gone_rtcp_refused += st.rtcp_refused;
  }
  gv_webrtc_sink_follow_estimates (self);
  if (old->capabilities () & GV_CAPABILITY_CONTROL)
    gv_webrtc_sink_release_all_input (self); /* keys held through the old channel */
}

void gv_webrtc_sink_on_peer_restart (GvSignaller *, const char *peer_id, gpointer user)
{
  auto *self = GV_WEBRTC_SINK (user);
  GvWebRTCSinkPrivate *priv = self->priv;
  std::string peer (peer_id ? peer_id : "");
  ViewerPtr old, fresh;
  {
    std::lock_guard<std::mutex> guard (priv->lock);
    auto it = priv->viewers.find (peer);
    if (!priv->running || it == priv->viewers.end ())
      return;
    old = it->second;
    fresh = std::make_shared<Viewer> (peer, old->name (), old->capabilities (), *priv->viewer_host,
                                      priv->thread);
    it->second = fresh;
    auto &waiting = priv->waiting_for_streams;
    for (auto w = waiting.begin (); w != waiting.end (); ++w)
      if (*w == old) {
        waiting.erase (w);
        break;
      }
    waiting.push_back (fresh);
  }
  GST_INFO_OBJECT (self, "viewer %s asks for a new connection: a fresh webrtcbin and offer",
                   peer.c_str ());
  old->stop ([self, old] () { old_connection_stopped (self, old); });
  GstStructure *s =
      gst_structure_new ("gvwebrtcsink-viewer-restart", "peer-id", G_TYPE_STRING, peer.c_str (),
                         "name", G_TYPE_STRING, fresh->name ().c_str (), nullptr);
  gst_element_post_message (GST_ELEMENT (self), gst_message_new_element (GST_OBJECT (self), s));
  gv_webrtc_sink_streams_ready (self); /* the fresh viewer starts once the streams are ready */
}

/* ---- answers webrtcbin cannot take ---- */

static bool in_bundle_group (const GstSDPMessage *sdp, const char *mid)
{
  for (guint i = 0; mid && i < gst_sdp_message_attributes_len (sdp); i++) {
    const GstSDPAttribute *a = gst_sdp_message_get_attribute (sdp, i);
    if (g_strcmp0 (a->key, "group") != 0 || !a->value || strncmp (a->value, "BUNDLE ", 7) != 0)
      continue;
    gchar **mids = g_strsplit (a->value + 7, " ", -1);
    bool found = g_strv_contains ((const gchar *const *) mids, mid);
    g_strfreev (mids);
    if (found)
      return true;
  }
  return false;
}

bool gv_webrtc_sink_refuse_rejecting_answer (GvWebRTCSink *self, const std::string &peer,
                                             const GstWebRTCSessionDescription *desc)
{
  if (!desc || !desc->sdp || desc->type != GST_WEBRTC_SDP_TYPE_ANSWER)
    return false;
  /* Rejected: port 0 and not bundled (a bundled section may carry port 0). */
  std::string kinds;
  bool video = false;
  for (guint i = 0; i < gst_sdp_message_medias_len (desc->sdp); i++) {
    const GstSDPMedia *m = gst_sdp_message_get_media (desc->sdp, i);
    if (gst_sdp_media_get_port (m) != 0 ||
        in_bundle_group (desc->sdp, gst_sdp_media_get_attribute_val (m, "mid")))
      continue;
    const char *media = gst_sdp_media_get_media (m) ? gst_sdp_media_get_media (m) : "media";
    video = video || g_strcmp0 (media, "video") == 0;
    kinds += (kinds.empty () ? "" : " and ") + std::string (media);
  }
  if (kinds.empty ())
    return false;
  std::string name = viewer_name (self, peer);
  std::string who = name.empty () ? peer : name + " (" + peer + ")";
  GST_ELEMENT_WARNING (self, STREAM, CODEC_NOT_FOUND,
                       ("%s", gv::webrtc::texts::viewer_rejected_media (who, kinds).c_str ()),
                       ("the answer of viewer %s rejects its %s section; not given to webrtcbin "
                        "(1.22 aborts on it)",
                        peer.c_str (), kinds.c_str ()));
  post_report (self, peer, gv::proto::kProblemNoCommonCodec,
               video ? "its answer rejects the video"
                     : ("its answer rejects the " + kinds).c_str (),
               "", "host");
  return true;
}
