/* GhostView
 * Copyright (C) 2024 GhostView contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A viewer that sends the offer (a WHEP player through the signalling
 * server's /whep/ endpoint): the host answers it. The viewer's webrtcbin
 * is made once both the streams and the offer are there; each section the
 * offer receives on gets its stream, with the offer's payload type and
 * congestion control extension id (gvremoteoffer.h). The answer goes out
 * once ICE gathering is complete, with every candidate in it: a WHEP
 * player gets no trickled candidates from the host.
 */
#include "gvviewer.h"

#include "gvpadbuffers.h"
#include "gvwebrtctexts.h"

#include <gst/rtp/rtp.h>

GST_DEBUG_CATEGORY_EXTERN (gv_webrtc_sink_debug);
#define GST_CAT_DEFAULT gv_webrtc_sink_debug

namespace gv::webrtc {

/* How long the answer waits for ICE gathering to complete; then it goes
 * with the candidates gathered so far. */
static constexpr guint kGatheringTimeoutMs = 3000;

void Viewer::offer_received (std::shared_ptr<GstWebRTCSessionDescription> offer)
{
  if (offer->type != GST_WEBRTC_SDP_TYPE_OFFER || remote_offer_) {
    GST_WARNING_OBJECT (host_.log_object (),
                        "viewer %s: %s ignored (it offers once, the host answers)", peer_.c_str (),
                        offer->type == GST_WEBRTC_SDP_TYPE_OFFER ? "a second offer" : "an answer");
    return;
  }
  remote_offer_ = std::move (offer);
  if (waiting_feeds_) {
    std::vector<StreamFeed> feeds = std::move (*waiting_feeds_);
    waiting_feeds_.reset ();
    do_start (feeds);
  }
}

void Viewer::refuse_offer (const std::string &reason)
{
  GST_WARNING_OBJECT (host_.log_object (), "viewer %s (%s): %s", peer_.c_str (), name_.c_str (),
                      reason.c_str ());
  {
    std::lock_guard<std::mutex> guard (stats_lock_);
    codec_ = "none";
  }
  host_.refuse_offer (peer_, reason);
}

/* The shared Opus stream's packets, and its caps, with the payload type
 * the viewer's offer gave Opus: webrtcbin accepts only caps its codec
 * preferences (the offer's) intersect. The shared payloader keeps its own
 * (gvstreamencoder.cpp no longer lets a viewer renegotiate it). */
static GstPadProbeReturn rewrite_payload_type (GstPad *, GstPadProbeInfo *info, gpointer data)
{
  const guint pt = GPOINTER_TO_UINT (data);
  if (GST_PAD_PROBE_INFO_TYPE (info) & GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM) {
    GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
    if (GST_EVENT_TYPE (event) != GST_EVENT_CAPS)
      return GST_PAD_PROBE_OK;
    GstCaps *caps;
    gst_event_parse_caps (event, &caps);
    GstCaps *ours = gst_caps_copy (caps);
    gst_caps_set_simple (ours, "payload", G_TYPE_INT, (gint) pt, nullptr);
    GstEvent *rewritten = gst_event_new_caps (ours);
    gst_event_set_seqnum (rewritten, gst_event_get_seqnum (event));
    GST_PAD_PROBE_INFO_DATA (info) = rewritten;
    gst_caps_unref (ours);
    gst_event_unref (event);
    return GST_PAD_PROBE_OK;
  }
  auto rewrite = [pt] (GstBuffer *buf) {
    GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
    if (gst_rtp_buffer_map (buf, GST_MAP_WRITE, &rtp)) {
      gst_rtp_buffer_set_payload_type (&rtp, (guint8) pt);
      gst_rtp_buffer_unmap (&rtp);
    }
  };
  if (GST_PAD_PROBE_INFO_TYPE (info) & GST_PAD_PROBE_TYPE_BUFFER_LIST) {
    GstBufferList *list = gst_buffer_list_make_writable (GST_PAD_PROBE_INFO_BUFFER_LIST (info));
    GST_PAD_PROBE_INFO_DATA (info) = list;
    for (guint i = 0; i < gst_buffer_list_length (list); i++) {
      GstBuffer *buf = gst_buffer_list_get_writable (list, i);
      rewrite (buf);
    }
  } else {
    GstBuffer *buf = gst_buffer_make_writable (GST_PAD_PROBE_INFO_BUFFER (info));
    GST_PAD_PROBE_INFO_DATA (info) = buf;
    rewrite (buf);
  }
  return GST_PAD_PROBE_OK;
}

/* Removes the candidates from every section of `sdp`; returns them, each
 * with its section's index. */
static std::vector<std::pair<guint, std::string>> take_candidates (GstSDPMessage *sdp)
{
  std::vector<std::pair<guint, std::string>> taken;
  for (guint i = 0; i < gst_sdp_message_medias_len (sdp); i++) {
    auto *media = const_cast<GstSDPMedia *> (gst_sdp_message_get_media (sdp, i));
    for (guint a = gst_sdp_media_attributes_len (media); a-- > 0;) {
      const GstSDPAttribute *attr = gst_sdp_media_get_attribute (media, a);
      if (g_strcmp0 (attr->key, "candidate") != 0 || !attr->value)
        continue;
      taken.emplace (taken.begin (), i, std::string ("candidate:") + attr->value);
      gst_sdp_media_remove_attribute (media, a);
    }
  }
  return taken;
}

void Viewer::start_answering (GstElement *webrtcbin, const std::vector<StreamFeed> &feeds)
{
  std::vector<GvWebRTCSinkCodec> codecs;
  const StreamFeed *video = nullptr, *audio = nullptr;
  for (const StreamFeed &feed : feeds) {
    if (feed.kind == MediaKind::Video && !video) {
      video = &feed;
      codecs = feed.codecs;
    } else if (feed.kind == MediaKind::Audio && !audio)
      audio = &feed;
  }
  std::string error;
  answered_ = answer_remote_offer (remote_offer_->sdp, codecs, audio != nullptr, error);
  {
    std::lock_guard<std::mutex> guard (lock_);
    webrtcbin_ = webrtcbin;
  }
  if (answered_.empty ()) {
    refuse_offer (error);
    return;
  }
  video_codecs_ = codecs;
  /* One branch per answered section, in the offer's order: webrtcbin
   * gives the sections to the transceivers of our pads in that order. */
  for (const AnsweredMedia &m : answered_) {
    add_branch (webrtcbin, m.kind == MediaKind::Video ? *video : *audio);
    if (m.kind == MediaKind::Video) {
      video_pt_ = m.pt;
      video_twcc_id_ = m.twcc_id;
    }
  }
  GArray *transceivers = nullptr;
  g_signal_emit_by_name (webrtcbin, "get-transceivers", &transceivers);
  for (guint i = 0; transceivers && i < transceivers->len && i < answered_.size (); i++) {
    GstWebRTCRTPTransceiver *trans = g_array_index (transceivers, GstWebRTCRTPTransceiver *, i);
    GST_DEBUG_OBJECT (host_.log_object (), "viewer %s: section %u answered with %" GST_PTR_FORMAT,
                      peer_.c_str (), answered_[i].mline, answered_[i].preferences.get ());
    g_object_set (trans, "direction", GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDONLY,
                  "codec-preferences", answered_[i].preferences.get (), nullptr);
    if (answered_[i].kind == MediaKind::Video)
      g_object_set (trans, "do-nack", TRUE, nullptr);
  }
  if (transceivers)
    g_array_unref (transceivers);
  for (const AnsweredMedia &m : answered_) {
    if (m.kind != MediaKind::Audio || m.pt == kAudioPayloadType)
      continue;
    std::lock_guard<std::mutex> guard (lock_);
    for (Branch &branch : branches_)
      if (branch.kind == MediaKind::Audio) {
        /* On the queue's sink: its accept-caps asks webrtcbin already. */
        GstPad *sink = gst_element_get_static_pad (branch.elements.front (), "sink");
        gst_pad_add_probe (sink,
                           (GstPadProbeType) (GST_PAD_PROBE_TYPE_BUFFER |
                                              GST_PAD_PROBE_TYPE_BUFFER_LIST |
                                              GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM),
                           rewrite_payload_type, GUINT_TO_POINTER (m.pt), nullptr);
        gst_object_unref (sink);
      }
  }
  gst_element_sync_state_with_parent (webrtcbin);
  start_branches ();

  GstPromise *promise = gst_promise_new_with_change_func (
      [] (GstPromise *p, gpointer data) {
        GstWebRTCSessionDescription *answer = nullptr;
        if (gst_promise_wait (p) == GST_PROMISE_RESULT_REPLIED && gst_promise_get_reply (p))
          gst_structure_get (gst_promise_get_reply (p), "answer",
                             GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &answer, nullptr);
        gst_promise_unref (p);
        ViewerPtr self = lock (data);
        auto shared = std::shared_ptr<GstWebRTCSessionDescription> (
            answer, [] (GstWebRTCSessionDescription *d) {
              if (d)
                gst_webrtc_session_description_free (d);
            });
        if (self)
          self->queue_.post ([self, shared] () { self->answer_created (shared.get ()); });
      },
      weak (), [] (gpointer d) { release (d); });
  /* The offer's own candidates are added one by one after it, as trickled
   * ones are: a browser's mDNS names must be resolved first (libnice
   * cannot). create-answer is queued behind set-remote-description in
   * webrtcbin. */
  GstWebRTCSessionDescription *offer = gst_webrtc_session_description_copy (remote_offer_.get ());
  std::vector<std::pair<guint, std::string>> candidates = take_candidates (offer->sdp);
  g_signal_emit_by_name (webrtcbin, "set-remote-description", offer, nullptr);
  gst_webrtc_session_description_free (offer);
  g_signal_emit_by_name (webrtcbin, "create-answer", nullptr, promise);
  for (const auto &[mline, candidate] : candidates)
    add_remote_candidate (mline, candidate);
}

void Viewer::answer_created (GstWebRTCSessionDescription *answer)
{
  GstElement *webrtcbin = ref_webrtcbin ();
  if (!webrtcbin)
    return;
  if (!answer) {
    gst_object_unref (webrtcbin);
    refuse_offer ("The host could not answer the offer (webrtcbin made no answer from it).");
    return;
  }
  /* Losses are resent, as for every other viewer (webrtcbin answers
   * without the offer's rtx type). */
  for (const AnsweredMedia &m : answered_)
    if (m.kind == MediaKind::Video)
      add_answer_rtx (answer->sdp, m);
  g_signal_emit_by_name (webrtcbin, "set-local-description", answer, nullptr);
  /* The video's codec is the one the answer took (its slot): the viewer's
   * payloader sends it with the offer's payload type. */
  for (const AnsweredMedia &m : answered_)
    if (m.kind == MediaKind::Video)
      use_codec (m.slot);
  /* The answer goes once every candidate is in it, or after a while with
   * those there are. */
  auto on_gathering = [] (GstElement *bin, GParamSpec *, gpointer data) {
    GstWebRTCICEGatheringState state;
    g_object_get (bin, "ice-gathering-state", &state, nullptr);
    if (state != GST_WEBRTC_ICE_GATHERING_STATE_COMPLETE)
      return;
    if (ViewerPtr self = lock (data))
      self->queue_.post ([self] () { self->send_answer (); });
  };
  g_signal_connect_data (
      webrtcbin, "notify::ice-gathering-state",
      G_CALLBACK (+static_cast<void (*) (GstElement *, GParamSpec *, gpointer)> (on_gathering)),
      weak (), release, (GConnectFlags) 0);
  GstWebRTCICEGatheringState state;
  g_object_get (webrtcbin, "ice-gathering-state", &state, nullptr);
  gst_object_unref (webrtcbin);
  if (state == GST_WEBRTC_ICE_GATHERING_STATE_COMPLETE)
    send_answer ();
  else
    queue_.post_after (kGatheringTimeoutMs,
                       [self = shared_from_this ()] () { self->send_answer (); });
}

void Viewer::send_answer ()
{
  if (answer_sent_)
    return;
  GstElement *webrtcbin = ref_webrtcbin ();
  if (!webrtcbin)
    return;
  GstWebRTCSessionDescription *local = nullptr;
  g_object_get (webrtcbin, "local-description", &local, nullptr);
  gst_object_unref (webrtcbin);
  if (!local)
    return;
  answer_sent_ = true;
  finish_answer (local->sdp, answered_);
  host_.send_sdp (peer_, local);
  gst_webrtc_session_description_free (local);
}

} // namespace gv::webrtc
