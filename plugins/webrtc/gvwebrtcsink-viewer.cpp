/* GhostView
 * Copyright (C) 2024 GhostView contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * gvwebrtcsink: one webrtcbin per viewer, fed by one branch per stream
 * (tee pad -> queue -> webrtcbin sink pad), its negotiation, its input data
 * channel, its removal, and the stats.
 */
#include "gvwebrtcsink-private.h"

#include "gvnavjson.h"
#include "gvwebrtcutils.h"

#include <gst/rtp/rtp.h>
#include <gst/webrtc/webrtc.h>

#include <condition_variable>
#include <cstring>

#define GST_CAT_DEFAULT gv_webrtc_sink_debug

/* Closures hold the viewer alive until their webrtcbin/channel lets go. */
static gpointer hold (const GvViewerPtr &v)
{
  return new GvViewerPtr (v);
}
static void release_hold (gpointer data, GClosure * = nullptr)
{
  delete static_cast<GvViewerPtr *> (data);
}
static GvViewer *held (gpointer data)
{
  return static_cast<GvViewerPtr *> (data)->get ();
}

static GvSignaller *ref_signaller (GvWebRTCSink *self)
{
  std::lock_guard<std::mutex> guard (self->priv->lock);
  return self->priv->signaller.ref ();
}

static bool viewer_is_live (GvWebRTCSink *self, GvViewer *v)
{
  auto it = self->priv->viewers.find (v->id);
  return it != self->priv->viewers.end () && it->second.get () == v;
}

/* ---- input channel ---- */

static void send_on_channel (GObject *channel, const std::string &text)
{
  gst_webrtc_data_channel_send_string (GST_WEBRTC_DATA_CHANNEL (channel), text.c_str ());
}

static void handle_input (GvViewer *v, GObject *channel, const char *text)
{
  GvWebRTCSink *self = v->sink;
  GvWebRTCSinkPrivate *priv = self->priv;
  gsize len = text ? strlen (text) : 0;
  int width, height;
  bool control, on_request;
  {
    std::lock_guard<std::mutex> guard (priv->lock);
    if (!viewer_is_live (self, v))
      return;
    gint64 now = g_get_monotonic_time ();
    if (v->tokens_at_us)
      v->tokens = MIN (kInputBurst, v->tokens + (now - v->tokens_at_us) * kInputPerSecond / 1e6);
    v->tokens_at_us = now;
    if (v->tokens < 1) {
      v->dropped_flood++;
      return;
    }
    v->tokens -= 1;
    if (len > gv::nav::kMaxMessageBytes) {
      v->dropped_malformed++;
      return;
    }
    width = priv->width;
    height = priv->height;
    control = v->capabilities & GV_SIGNALLER_CAP_CONTROL;
    on_request = priv->control_on_request;
  }

  gv::nav::InputMessage msg;
  std::string error;
  if (!gv::nav::parse_input_message (text, len, width, height, msg, error)) {
    GST_LOG_OBJECT (self, "dropping malformed input from %s: %s", v->id.c_str (), error.c_str ());
    {
      std::lock_guard<std::mutex> guard (priv->lock);
      v->dropped_malformed++;
    }
    if (msg.has_id)
      send_on_channel (channel, gv::nav::make_control_response (msg.id, error.c_str ()));
    return;
  }
  if (msg.request_control) {
    GST_INFO_OBJECT (self, "viewer %s asks for control", v->id.c_str ());
    g_signal_emit (self, gv_webrtc_sink_signals[GV_SINK_SIGNAL_CONTROL_REQUESTED], 0,
                   v->id.c_str ());
    if (on_request)
      gv_webrtc_sink_set_control (self, v->id, true);
    return;
  }
  if (!control) {
    {
      std::lock_guard<std::mutex> guard (priv->lock);
      v->dropped_no_control++;
    }
    gst_event_unref (msg.event);
    if (msg.has_id)
      send_on_channel (channel, gv::nav::make_control_response (msg.id, "control not granted"));
    return;
  }
  GST_LOG_OBJECT (self, "input from %s: %" GST_PTR_FORMAT, v->id.c_str (),
                  gst_event_get_structure (msg.event));
  gv_webrtc_sink_push_upstream (self, msg.event);
  {
    std::lock_guard<std::mutex> guard (priv->lock);
    v->input_events++;
  }
  if (msg.has_id)
    send_on_channel (channel, gv::nav::make_control_response (msg.id, nullptr));
}

static void on_channel_message (GObject *channel, const gchar *text, gpointer user)
{
  handle_input (held (user), channel, text);
}

static void on_channel_data (GObject *channel, GBytes *data, gpointer user)
{
  /* Binary messages are accepted as UTF-8 JSON text too. */
  gsize len = 0;
  const char *bytes = data ? (const char *) g_bytes_get_data (data, &len) : nullptr;
  std::string text = bytes ? std::string (bytes, len) : std::string ();
  if (text.size () != strlen (text.c_str ()))
    text = std::string (gv::nav::kMaxMessageBytes + 1, ' '); /* embedded NUL: malformed */
  handle_input (held (user), channel, text.c_str ());
}

static void attach_channel (GvViewer *v, const GvViewerPtr &ptr, GObject *channel)
{
  g_signal_connect_data (channel, "on-message-string", G_CALLBACK (on_channel_message), hold (ptr),
                         release_hold, (GConnectFlags) 0);
  g_signal_connect_data (channel, "on-message-data", G_CALLBACK (on_channel_data), hold (ptr),
                         release_hold, (GConnectFlags) 0);
  std::lock_guard<std::mutex> guard (v->sink->priv->lock);
  if (!v->channel)
    v->channel = channel;
}

static void on_data_channel (GstElement *, GObject *channel, gpointer user)
{
  GvViewerPtr ptr = *static_cast<GvViewerPtr *> (user);
  GST_DEBUG_OBJECT (ptr->sink, "viewer %s opened a data channel", ptr->id.c_str ());
  attach_channel (ptr.get (), ptr, channel);
}

/* ---- negotiation ---- */

static void on_ice_candidate (GstElement *, guint mline, const gchar *candidate, gpointer user)
{
  GvViewer *v = held (user);
  GvSignaller *signaller = ref_signaller (v->sink);
  if (!signaller)
    return;
  gv_signaller_add_ice (signaller, v->id.c_str (), candidate, mline, nullptr);
  g_object_unref (signaller);
}

static void on_connection_state (GstElement *webrtcbin, GParamSpec *, gpointer user)
{
  GvViewer *v = held (user);
  GstWebRTCPeerConnectionState state;
  g_object_get (webrtcbin, "connection-state", &state, nullptr);
  GST_DEBUG_OBJECT (v->sink, "viewer %s connection state %d", v->id.c_str (), state);
  if (state == GST_WEBRTC_PEER_CONNECTION_STATE_CONNECTED) {
    {
      std::lock_guard<std::mutex> guard (v->sink->priv->lock);
      v->connected = true;
    }
    /* From now on the viewer gets media, starting with a fresh keyframe. */
    v->media_flowing = true;
    gv_webrtc_sink_request_keyframe (v->sink);
  } else if (state == GST_WEBRTC_PEER_CONNECTION_STATE_FAILED) {
    GST_INFO_OBJECT (v->sink, "connection to viewer %s failed, removing it", v->id.c_str ());
    gv_webrtc_sink_remove_viewer (v->sink, v->id, true);
  }
}

/* H.264 is offered as constrained baseline level 3.1 whatever level the
 * encoder picked: browsers look for 42e01f. */
static std::string offer_text (GvWebRTCSink *self, GstWebRTCSessionDescription *offer)
{
  gchar *raw = gst_sdp_message_as_text (offer->sdp);
  std::string text = raw;
  g_free (raw);
  bool h264;
  {
    std::lock_guard<std::mutex> guard (self->priv->lock);
    h264 = self->priv->is_h264;
  }
  static const std::string key = "profile-level-id=";
  for (size_t at = h264 ? text.find (key) : std::string::npos; at != std::string::npos;
       at = text.find (key, at + key.size ()))
    if (at + key.size () + 6 <= text.size ())
      text.replace (at + key.size (), 6, "42e01f");
  return text;
}

static void on_offer_created (GstPromise *promise, gpointer user)
{
  GvViewer *v = held (user);
  GvWebRTCSink *self = v->sink;
  GstWebRTCSessionDescription *offer = nullptr;
  if (gst_promise_wait (promise) == GST_PROMISE_RESULT_REPLIED) {
    const GstStructure *reply = gst_promise_get_reply (promise);
    if (reply)
      gst_structure_get (reply, "offer", GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &offer, nullptr);
  }
  gst_promise_unref (promise);
  if (!offer) {
    GST_WARNING_OBJECT (self, "no offer for viewer %s", v->id.c_str ());
    return;
  }
  g_signal_emit_by_name (v->webrtcbin, "set-local-description", offer, nullptr);
  std::string text = offer_text (self, offer);
  GstSDPMessage *sdp = nullptr;
  gst_sdp_message_new_from_text (text.c_str (), &sdp);
  GstWebRTCSessionDescription *sent =
      gst_webrtc_session_description_new (GST_WEBRTC_SDP_TYPE_OFFER, sdp);
  GvSignaller *signaller = ref_signaller (self);
  if (signaller) {
    gv_signaller_send_sdp (signaller, v->id.c_str (), sent);
    g_object_unref (signaller);
  }
  gst_webrtc_session_description_free (sent);
  gst_webrtc_session_description_free (offer);
}

/* Counts what one viewer's branch sends: bytes, and video frames (RTP
 * marker bits) or audio packets. */
template <GvMediaKind kind>
static GstPadProbeReturn count_sent (GstPad *, GstPadProbeInfo *info, gpointer user)
{
  GvViewer *v = held (user);
  guint64 frames = 0, packets = 0, bytes = 0;
  auto count = [&] (GstBuffer *buf) {
    bytes += gst_buffer_get_size (buf);
    packets++;
    if (kind != GvMediaKind::Video)
      return;
    GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
    if (gst_rtp_buffer_map (buf, GST_MAP_READ, &rtp)) {
      frames += gst_rtp_buffer_get_marker (&rtp) ? 1 : 0;
      gst_rtp_buffer_unmap (&rtp);
    }
  };
  if (info->type & GST_PAD_PROBE_TYPE_BUFFER) {
    count (GST_PAD_PROBE_INFO_BUFFER (info));
  } else if (info->type & GST_PAD_PROBE_TYPE_BUFFER_LIST) {
    GstBufferList *list = GST_PAD_PROBE_INFO_BUFFER_LIST (info);
    for (guint i = 0; i < gst_buffer_list_length (list); i++)
      count (gst_buffer_list_get (list, i));
  }
  std::lock_guard<std::mutex> guard (v->sink->priv->lock);
  v->frames_sent += frames;
  if (kind == GvMediaKind::Audio)
    v->audio_packets_sent += packets;
  v->bytes_sent += bytes;
  return GST_PAD_PROBE_OK;
}

/* What one stream gives a new viewer: its tee and caps. */
struct StreamFeed {
  GvMediaKind kind;
  GstElement *tee; /* owned */
  GstCaps *caps;   /* owned */
};

/* Adds the viewer's branch of one stream: a leaky queue into a new
 * webrtcbin sink pad (its transceiver is made with the pad). The tee is
 * linked later, once webrtcbin is running. */
static GstElement *add_stream_branch (GvWebRTCSink *self, const GvViewerPtr &v,
                                      GstElement *webrtcbin, const StreamFeed &feed)
{
  GstElement *queue = gst_element_factory_make ("queue", nullptr);
  g_object_set (queue, "max-size-buffers", 0, "max-size-bytes", 0, "max-size-time",
                (guint64) 500 * GST_MSECOND, nullptr);
  gst_util_set_object_arg (G_OBJECT (queue), "leaky", "downstream");
  gst_bin_add (GST_BIN (self), queue);
  GstPadTemplate *templ = gst_element_get_pad_template (webrtcbin, "sink_%u");
  GstPad *wsink = gst_element_request_pad (webrtcbin, templ, nullptr, feed.caps);
  GstPad *qsrc = gst_element_get_static_pad (queue, "src");
  gst_pad_link (qsrc, wsink);
  gst_pad_add_probe (qsrc,
                     (GstPadProbeType) (GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST),
                     feed.kind == GvMediaKind::Video ? count_sent<GvMediaKind::Video>
                                                     : count_sent<GvMediaKind::Audio>,
                     hold (v), [] (gpointer d) { release_hold (d); });
  gst_object_unref (wsink);
  gst_object_unref (qsrc);
  /* Until the peer connection is up, frames would only wait in the queue
   * and reach the viewer stale: drop them. */
  GstPad *qsink = gst_element_get_static_pad (queue, "sink");
  gst_pad_add_probe (
      qsink, (GstPadProbeType) (GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST),
      [] (GstPad *, GstPadProbeInfo *, gpointer user) {
        return held (user)->media_flowing ? GST_PAD_PROBE_OK : GST_PAD_PROBE_DROP;
      },
      hold (v), [] (gpointer d) { release_hold (d); });
  gst_object_unref (qsink);
  return queue;
}

static void create_branch (GvWebRTCSink *self, const GvViewerPtr &v)
{
  GvWebRTCSinkPrivate *priv = self->priv;
  std::vector<StreamFeed> feeds;
  bool loopback;
  GstStructure *info;
  {
    std::lock_guard<std::mutex> guard (priv->lock);
    if (!viewer_is_live (self, v.get ()) || !priv->running)
      return;
    for (const GvSinkStream &stream : priv->streams)
      if (stream.tee && stream.rtp_caps)
        feeds.push_back ({ stream.kind, GST_ELEMENT (gst_object_ref (stream.tee)),
                           gst_caps_ref (stream.rtp_caps) });
    loopback = priv->ice_loopback;
    info = priv->session_info ? gst_structure_copy (priv->session_info) : nullptr;
  }
  auto drop_feeds = [&] () {
    for (const StreamFeed &feed : feeds) {
      gst_object_unref (feed.tee);
      gst_caps_unref (feed.caps);
    }
    if (info)
      gst_structure_free (info);
  };
  if (feeds.empty ()) {
    drop_feeds ();
    return;
  }
  GST_INFO_OBJECT (self, "adding viewer %s (%s)", v->id.c_str (), v->name.c_str ());

  GstElement *webrtcbin = gst_element_factory_make ("webrtcbin", nullptr);
  if (!webrtcbin) {
    GST_ELEMENT_ERROR (self, CORE, MISSING_PLUGIN,
                       ("webrtcbin is missing; install gstreamer1.0-plugins-bad and "
                        "gstreamer1.0-nice."),
                       (nullptr));
    drop_feeds ();
    return;
  }
  gst_util_set_object_arg (G_OBJECT (webrtcbin), "bundle-policy", "max-bundle");
  gv::webrtc::maybe_add_loopback (webrtcbin, loopback, GST_OBJECT (self));
  gv::webrtc::configure_ice_servers (webrtcbin, info);
  if (info)
    gst_structure_free (info);
  info = nullptr;

  g_signal_connect_data (webrtcbin, "on-ice-candidate", G_CALLBACK (on_ice_candidate), hold (v),
                         release_hold, (GConnectFlags) 0);
  g_signal_connect_data (webrtcbin, "notify::connection-state", G_CALLBACK (on_connection_state),
                         hold (v), release_hold, (GConnectFlags) 0);
  g_signal_connect_data (webrtcbin, "on-data-channel", G_CALLBACK (on_data_channel), hold (v),
                         release_hold, (GConnectFlags) 0);
  gst_bin_add (GST_BIN (self), webrtcbin);

  GstElement *queues[kMediaKinds] = {};
  for (const StreamFeed &feed : feeds)
    queues[(int) feed.kind] = add_stream_branch (self, v, webrtcbin, feed);

  /* The offer is made before the first buffer reaches webrtcbin: give each
   * transceiver its stream's fixed caps, or it offers the payloader's
   * template ranges. Transceivers come in the order of the pads. */
  GArray *transceivers = nullptr;
  g_signal_emit_by_name (webrtcbin, "get-transceivers", &transceivers);
  for (guint i = 0; transceivers && i < transceivers->len && i < feeds.size (); i++) {
    GstCaps *prefs = gst_caps_copy (feeds[i].caps);
    gst_structure_remove_fields (gst_caps_get_structure (prefs, 0), "ssrc", "timestamp-offset",
                                 "seqnum-offset", nullptr);
    g_object_set (g_array_index (transceivers, GstWebRTCRTPTransceiver *, i), "direction",
                  GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDONLY, "codec-preferences", prefs,
                  nullptr);
    gst_caps_unref (prefs);
  }
  if (transceivers)
    g_array_unref (transceivers);

  gst_element_sync_state_with_parent (webrtcbin);
  GstPad *tee_pads[kMediaKinds] = {};
  for (const StreamFeed &feed : feeds) {
    GstElement *queue = queues[(int) feed.kind];
    gst_element_sync_state_with_parent (queue);
    GstPad *tee_pad = gst_element_request_pad_simple (feed.tee, "src_%u");
    GstPad *qsink = gst_element_get_static_pad (queue, "sink");
    gst_pad_link (tee_pad, qsink);
    gst_object_unref (qsink);
    tee_pads[(int) feed.kind] = tee_pad;
  }
  drop_feeds ();

  GObject *channel = nullptr;
  GstStructure *opts = gst_structure_new ("opts", "ordered", G_TYPE_BOOLEAN, TRUE, nullptr);
  g_signal_emit_by_name (webrtcbin, "create-data-channel", "control", opts, &channel);
  gst_structure_free (opts);
  {
    std::lock_guard<std::mutex> guard (priv->lock);
    for (int k = 0; k < kMediaKinds; k++)
      v->branches[k] = { queues[k], tee_pads[k] };
    v->webrtcbin = webrtcbin;
  }
  if (channel) {
    attach_channel (v.get (), v, channel);
    g_object_unref (channel);
  }

  GstPromise *promise = gst_promise_new_with_change_func (on_offer_created, hold (v),
                                                          [] (gpointer d) { release_hold (d); });
  g_signal_emit_by_name (webrtcbin, "create-offer", nullptr, promise);
  gv_webrtc_sink_request_keyframe (self);
}

void gv_webrtc_sink_add_viewer (GvWebRTCSink *self, const std::string &id, const std::string &name,
                                guint capabilities)
{
  GvWebRTCSinkPrivate *priv = self->priv;
  auto v = std::make_shared<GvViewer> ();
  v->sink = self;
  v->id = id;
  v->name = name;
  v->capabilities = capabilities | GV_SIGNALLER_CAP_VIEW;
  bool ready;
  {
    std::lock_guard<std::mutex> guard (priv->lock);
    if (priv->viewers.count (id))
      return;
    priv->viewers[id] = v;
    ready = gv_webrtc_sink_streams_ready_locked (priv);
    if (!ready)
      priv->waiting_for_caps.push_back (v);
  }
  g_signal_emit (self, gv_webrtc_sink_signals[GV_SINK_SIGNAL_VIEWER_ADDED], 0, id.c_str (),
                 name.c_str ());
  if (ready)
    create_branch (self, v);
  else
    GST_INFO_OBJECT (self, "viewer %s waits for the stream to start", id.c_str ());
}

void gv_webrtc_sink_stream_ready (GvWebRTCSink *self)
{
  std::vector<GvViewerPtr> waiting;
  {
    std::lock_guard<std::mutex> guard (self->priv->lock);
    waiting.swap (self->priv->waiting_for_caps);
  }
  for (const auto &v : waiting)
    create_branch (self, v);
}

void gv_webrtc_sink_handle_sdp (GvWebRTCSink *self, const char *id,
                                GstWebRTCSessionDescription *desc)
{
  GstElement *webrtcbin = nullptr;
  {
    std::lock_guard<std::mutex> guard (self->priv->lock);
    auto it = self->priv->viewers.find (id);
    if (it != self->priv->viewers.end () && it->second->webrtcbin)
      webrtcbin = GST_ELEMENT (gst_object_ref (it->second->webrtcbin));
  }
  if (!webrtcbin) {
    GST_WARNING_OBJECT (self, "SDP for unknown viewer %s", id);
    return;
  }
  if (desc->type != GST_WEBRTC_SDP_TYPE_ANSWER)
    GST_WARNING_OBJECT (self, "viewer %s sent an offer; the host offers, ignoring", id);
  else
    g_signal_emit_by_name (webrtcbin, "set-remote-description", desc, nullptr);
  gst_object_unref (webrtcbin);
}

void gv_webrtc_sink_handle_ice (GvWebRTCSink *self, const char *id, guint mline,
                                const char *candidate)
{
  GstElement *webrtcbin = nullptr;
  {
    std::lock_guard<std::mutex> guard (self->priv->lock);
    auto it = self->priv->viewers.find (id);
    if (it != self->priv->viewers.end () && it->second->webrtcbin)
      webrtcbin = GST_ELEMENT (gst_object_ref (it->second->webrtcbin));
  }
  if (!webrtcbin)
    return;
  gv::webrtc::add_remote_candidate (webrtcbin, mline, candidate, GST_OBJECT (self));
  gst_object_unref (webrtcbin);
}

bool gv_webrtc_sink_set_control (GvWebRTCSink *self, const std::string &id, bool control)
{
  bool had;
  GvSignaller *signaller;
  guint caps;
  {
    std::lock_guard<std::mutex> guard (self->priv->lock);
    auto it = self->priv->viewers.find (id);
    if (it == self->priv->viewers.end ())
      return false;
    had = it->second->capabilities & GV_SIGNALLER_CAP_CONTROL;
    if (control)
      it->second->capabilities |= GV_SIGNALLER_CAP_CONTROL;
    else
      it->second->capabilities &= ~GV_SIGNALLER_CAP_CONTROL;
    caps = it->second->capabilities;
    signaller = self->priv->signaller.ref ();
  }
  GST_INFO_OBJECT (self, "%s control %s viewer %s", control ? "granting" : "revoking",
                   control ? "to" : "from", id.c_str ());
  if (signaller) {
    gv_signaller_set_capabilities (signaller, id.c_str (), caps);
    g_object_unref (signaller);
  }
  if (had && !control)
    gv_webrtc_sink_release_all_input (self);
  return true;
}

/* ---- removal ---- */

static void teardown_branch (GvWebRTCSink *self, const GvViewerPtr &v)
{
  GvViewerBranch branches[kMediaKinds];
  GstElement *tees[kMediaKinds] = {};
  GstElement *webrtcbin;
  {
    std::lock_guard<std::mutex> guard (self->priv->lock);
    for (int k = 0; k < kMediaKinds; k++) {
      branches[k] = v->branches[k];
      v->branches[k] = {};
      GstElement *tee = self->priv->streams[k].tee;
      tees[k] = tee ? GST_ELEMENT (gst_object_ref (tee)) : nullptr;
    }
    webrtcbin = v->webrtcbin;
    v->webrtcbin = nullptr;
    v->channel = nullptr;
  }
  for (int k = 0; k < kMediaKinds; k++) {
    GstPad *tee_pad = branches[k].tee_pad;
    if (tee_pad) {
      GstPad *peer = gst_pad_get_peer (tee_pad);
      if (peer) {
        gst_pad_unlink (tee_pad, peer);
        gst_object_unref (peer);
      }
      if (tees[k])
        gst_element_release_request_pad (tees[k], tee_pad);
      gst_object_unref (tee_pad);
    }
    if (tees[k])
      gst_object_unref (tees[k]);
  }
  for (GstElement *e : { webrtcbin, branches[0].queue, branches[1].queue }) {
    if (!e)
      continue;
    gst_element_set_locked_state (e, TRUE);
    gst_element_set_state (e, GST_STATE_NULL);
    gst_bin_remove (GST_BIN (self), e);
  }
  GST_INFO_OBJECT (self, "viewer %s removed", v->id.c_str ());
  g_signal_emit (self, gv_webrtc_sink_signals[GV_SINK_SIGNAL_VIEWER_REMOVED], 0, v->id.c_str ());
  if (v->capabilities & GV_SIGNALLER_CAP_CONTROL)
    gv_webrtc_sink_release_all_input (self);
}

static GvViewerPtr forget_viewer (GvWebRTCSink *self, const std::string &id)
{
  GvWebRTCSinkPrivate *priv = self->priv;
  std::lock_guard<std::mutex> guard (priv->lock);
  auto it = priv->viewers.find (id);
  if (it == priv->viewers.end ())
    return nullptr;
  GvViewerPtr v = it->second;
  priv->viewers.erase (it);
  auto &w = priv->waiting_for_caps;
  for (auto wi = w.begin (); wi != w.end (); ++wi)
    if (wi->get () == v.get ()) {
      w.erase (wi);
      break;
    }
  priv->gone_input_events += v->input_events;
  priv->gone_dropped_malformed += v->dropped_malformed;
  priv->gone_dropped_no_control += v->dropped_no_control;
  priv->gone_dropped_flood += v->dropped_flood;
  return v;
}

void gv_webrtc_sink_remove_viewer (GvWebRTCSink *self, const std::string &id, bool kick)
{
  GvViewerPtr v = forget_viewer (self, id);
  if (!v)
    return;
  if (kick) {
    GvSignaller *signaller = ref_signaller (self);
    if (signaller) {
      gv_signaller_end_session (signaller, id.c_str ());
      g_object_unref (signaller);
    }
  }
  /* Never tear a webrtcbin down from one of its own threads. */
  gst_element_call_async (
      GST_ELEMENT (self),
      [] (GstElement *element, gpointer data) {
        teardown_branch (GV_WEBRTC_SINK (element), *static_cast<GvViewerPtr *> (data));
      },
      hold (v), [] (gpointer d) { release_hold (d); });
}

/* The element directly inside the sink that `obj` belongs to, or nullptr. */
static GstObject *branch_root (GvWebRTCSink *self, GstObject *obj)
{
  GstObject *cur = obj ? GST_OBJECT (gst_object_ref (obj)) : nullptr;
  while (cur) {
    GstObject *parent = gst_object_get_parent (cur);
    if (parent == GST_OBJECT (self)) {
      gst_object_unref (parent);
      return cur;
    }
    gst_object_unref (cur);
    cur = parent;
  }
  return nullptr;
}

std::string gv_webrtc_sink_viewer_of_message (GvWebRTCSink *self, GstMessage *message)
{
  GstObject *root = branch_root (self, GST_MESSAGE_SRC (message));
  if (!root)
    return {};
  std::string id;
  {
    std::lock_guard<std::mutex> guard (self->priv->lock);
    for (const auto &kv : self->priv->viewers)
      for (GstObject *part :
           { GST_OBJECT (kv.second->webrtcbin), GST_OBJECT (kv.second->branches[0].queue),
             GST_OBJECT (kv.second->branches[1].queue) })
        if (part && part == root)
          id = kv.first;
  }
  /* A branch already being torn down (its viewer forgotten) still counts:
   * e.g. sctpenc failing to write once the peer has gone. */
  bool stray_branch =
      id.empty () && GST_IS_ELEMENT (root) && gst_element_get_factory (GST_ELEMENT (root)) &&
      g_strcmp0 (GST_OBJECT_NAME (gst_element_get_factory (GST_ELEMENT (root))), "webrtcbin") == 0;
  gst_object_unref (root);
  if (!id.empty ())
    gv_webrtc_sink_remove_viewer (self, id, true);
  return stray_branch ? std::string ("(leaving)") : id;
}

void gv_webrtc_sink_remove_all_viewers (GvWebRTCSink *self)
{
  std::vector<std::string> ids;
  {
    std::lock_guard<std::mutex> guard (self->priv->lock);
    for (const auto &kv : self->priv->viewers)
      ids.push_back (kv.first);
  }
  for (const auto &id : ids) {
    GvViewerPtr v = forget_viewer (self, id);
    if (v)
      teardown_branch (self, v);
  }
}

/* ---- stats ---- */

struct StatsWait {
  std::mutex lock;
  std::condition_variable cond;
  GstStructure *reply = nullptr;
  bool done = false;
};

static GstStructure *webrtcbin_stats (GstElement *webrtcbin)
{
  auto wait = std::make_shared<StatsWait> ();
  GstPromise *promise = gst_promise_new_with_change_func (
      [] (GstPromise *p, gpointer data) {
        auto w = *static_cast<std::shared_ptr<StatsWait> *> (data);
        std::lock_guard<std::mutex> guard (w->lock);
        if (gst_promise_wait (p) == GST_PROMISE_RESULT_REPLIED && gst_promise_get_reply (p))
          w->reply = gst_structure_copy (gst_promise_get_reply (p));
        w->done = true;
        w->cond.notify_all ();
      },
      new std::shared_ptr<StatsWait> (wait),
      [] (gpointer d) { delete static_cast<std::shared_ptr<StatsWait> *> (d); });
  g_signal_emit_by_name (webrtcbin, "get-stats", nullptr, promise);
  gst_promise_unref (promise);
  std::unique_lock<std::mutex> guard (wait->lock);
  wait->cond.wait_for (guard, std::chrono::milliseconds (500), [&] { return wait->done; });
  GstStructure *out = wait->reply;
  wait->reply = nullptr;
  return out;
}

static gboolean find_remote_inbound (GQuark, const GValue *value, gpointer data)
{
  auto *out = static_cast<std::pair<double *, gint64 *> *> (data);
  if (!GST_VALUE_HOLDS_STRUCTURE (value))
    return TRUE;
  const GstStructure *s = gst_value_get_structure (value);
  GstWebRTCStatsType type;
  if (gst_structure_get (s, "type", GST_TYPE_WEBRTC_STATS_TYPE, &type, nullptr) &&
      type == GST_WEBRTC_STATS_REMOTE_INBOUND_RTP) {
    gst_structure_get_double (s, "round-trip-time", out->first);
    /* A gint64 since GStreamer 1.22 (a gint before): read either. RFC 3550's
     * cumulative loss goes below zero with duplicates, and a GStreamer
     * receiver reports -1 on a clean link (it counts a packet from before the
     * sequence number it starts from): none lost, for the user. */
    gint64 lost64 = 0;
    gint lost = 0;
    if (gst_structure_get_int64 (s, "packets-lost", &lost64))
      *out->second += MAX (lost64, 0);
    else if (gst_structure_get_int (s, "packets-lost", &lost))
      *out->second += MAX (lost, 0);
  }
  return TRUE;
}

GstStructure *gv_webrtc_sink_collect_stats (GvWebRTCSink *self)
{
  GvWebRTCSinkPrivate *priv = self->priv;
  std::vector<GvViewerPtr> viewers;
  guint64 events, malformed, no_control, flood;
  {
    std::lock_guard<std::mutex> guard (priv->lock);
    for (const auto &kv : priv->viewers)
      viewers.push_back (kv.second);
    events = priv->gone_input_events;
    malformed = priv->gone_dropped_malformed;
    no_control = priv->gone_dropped_no_control;
    flood = priv->gone_dropped_flood;
    for (const auto &v : viewers) {
      events += v->input_events;
      malformed += v->dropped_malformed;
      no_control += v->dropped_no_control;
      flood += v->dropped_flood;
    }
  }
  GValue array = G_VALUE_INIT;
  gst_value_array_init (&array, viewers.size ());
  for (const auto &v : viewers) {
    GstElement *webrtcbin = nullptr;
    GstStructure *vs;
    {
      std::lock_guard<std::mutex> guard (priv->lock);
      if (v->webrtcbin)
        webrtcbin = GST_ELEMENT (gst_object_ref (v->webrtcbin));
      gint64 now = g_get_monotonic_time ();
      double bitrate = 0;
      if (v->last_stats_us && now > v->last_stats_us)
        bitrate = (v->bytes_sent - v->bytes_at_last_stats) * 8.0 * 1e6 / (now - v->last_stats_us);
      v->last_stats_us = now;
      v->bytes_at_last_stats = v->bytes_sent;
      vs = gst_structure_new (
          "gvwebrtcsink-viewer", "peer-id", G_TYPE_STRING, v->id.c_str (), "name", G_TYPE_STRING,
          v->name.c_str (), "control", G_TYPE_BOOLEAN,
          (gboolean) ((v->capabilities & GV_SIGNALLER_CAP_CONTROL) != 0), "connected",
          G_TYPE_BOOLEAN, (gboolean) v->connected, "frames-sent", G_TYPE_UINT64, v->frames_sent,
          "audio-packets-sent", G_TYPE_UINT64, v->audio_packets_sent, "bytes-sent", G_TYPE_UINT64,
          v->bytes_sent, "bitrate", G_TYPE_DOUBLE, bitrate, "input-events", G_TYPE_UINT64,
          v->input_events, "input-dropped-malformed", G_TYPE_UINT64, v->dropped_malformed,
          "input-dropped-no-control", G_TYPE_UINT64, v->dropped_no_control, "input-dropped-flood",
          G_TYPE_UINT64, v->dropped_flood, nullptr);
    }
    double rtt = -1;
    gint64 lost = 0;
    if (webrtcbin) {
      GstStructure *stats = webrtcbin_stats (webrtcbin);
      gst_object_unref (webrtcbin);
      if (stats) {
        std::pair<double *, gint64 *> out (&rtt, &lost);
        gst_structure_foreach (stats, find_remote_inbound, &out);
        gst_structure_free (stats);
      }
    }
    gst_structure_set (vs, "rtt", G_TYPE_DOUBLE, rtt, "packets-lost", G_TYPE_INT64, lost, nullptr);
    GValue val = G_VALUE_INIT;
    g_value_init (&val, GST_TYPE_STRUCTURE);
    g_value_take_boxed (&val, vs);
    gst_value_array_append_and_take_value (&array, &val);
  }
  GstStructure *s =
      gst_structure_new ("gvwebrtcsink-stats", "viewer-count", G_TYPE_UINT, (guint) viewers.size (),
                         "input-events", G_TYPE_UINT64, events, "input-dropped-malformed",
                         G_TYPE_UINT64, malformed, "input-dropped-no-control", G_TYPE_UINT64,
                         no_control, "input-dropped-flood", G_TYPE_UINT64, flood, nullptr);
  gst_structure_take_value (s, "viewers", &array);
  return s;
}
