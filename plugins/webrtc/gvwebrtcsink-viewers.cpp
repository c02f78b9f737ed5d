/* GhostView
 * Copyright (C) 2024 GhostView contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * gvwebrtcsink's viewers: who gets in with which capabilities (the
 * element's policy; the session's own rules are the signaller's), the
 * signaller's peers as Viewer objects, control grants, and the stats.
 */
#include "gvwebrtcsink-private.h"

#include "gvwebrtctexts.h"

#define GST_CAT_DEFAULT gv_webrtc_sink_debug

using gv::webrtc::AssistCounters;
using gv::webrtc::InputCounters;
using gv::webrtc::MediaKind;
using gv::webrtc::StreamFeed;
using gv::webrtc::Viewer;
using gv::webrtc::ViewerPtr;
using gv::webrtc::ViewerStats;

static GvSignaller *ref_signaller (GvWebRTCSink *self)
{
  std::lock_guard<std::mutex> guard (self->priv->lock);
  return self->priv->signaller.ref ();
}

static ViewerPtr find_viewer (GvWebRTCSink *self, const std::string &peer)
{
  std::lock_guard<std::mutex> guard (self->priv->lock);
  auto it = self->priv->viewers.find (peer);
  return it == self->priv->viewers.end () ? nullptr : it->second;
}

/* ---- what viewers ask of the sink ---- */

/* How long a viewer whose connection failed stays admitted, waiting for
 * its Retry. */
static constexpr guint kFailedGraceMs = 60 * 1000;

class GvSinkViewerHost : public gv::webrtc::ViewerHost {
public:
  explicit GvSinkViewerHost (GvWebRTCSink *sink) : sink_ (sink) {}

  GstBin *bin () override { return GST_BIN (sink_); }
  GObject *log_object () override { return G_OBJECT (sink_); }

  void ice_settings (GStrv *stun, GStrv *turn, bool *loopback) override
  {
    GvSignaller *signaller = ref_signaller (sink_);
    gv_signaller_dup_ice_servers (signaller, stun, turn);
    g_object_unref (signaller);
    std::lock_guard<std::mutex> guard (sink_->priv->lock);
    *loopback = sink_->priv->ice_loopback;
  }

  void send_sdp (const std::string &peer, const GstWebRTCSessionDescription *offer) override
  {
    GvSignaller *signaller = ref_signaller (sink_);
    gv_signaller_send_sdp (signaller, peer.c_str (), offer);
    g_object_unref (signaller);
  }

  void send_ice (const std::string &peer, guint mline, const std::string &candidate) override
  {
    GvSignaller *signaller = ref_signaller (sink_);
    gv_signaller_add_ice (signaller, peer.c_str (), candidate.c_str (), mline, nullptr);
    g_object_unref (signaller);
  }

  GstElement *watch_layer (int layer) override { return sink_->priv->video ().watch_layer (layer); }

  void unwatch_layer (int layer) override { sink_->priv->video ().unwatch_layer (layer); }

  void request_keyframe (int layer) override { sink_->priv->video ().request_keyframe (layer); }

  /* The viewer's connection failed (ICE or DTLS). It stays admitted for
   * kFailedGraceMs: its page says why and offers Retry (`restart`), which
   * replaces this connection on the same session (its PIN is spent). If no
   * retry comes, it goes. */
  void failed (const std::string &peer) override
  {
    ViewerPtr viewer;
    {
      std::lock_guard<std::mutex> guard (sink_->priv->lock);
      auto it = sink_->priv->viewers.find (peer);
      if (it == sink_->priv->viewers.end ())
        return;
      viewer = it->second;
    }
    GST_ELEMENT_WARNING (
        sink_, RESOURCE, WRITE,
        ("%s", gv::webrtc::texts::viewer_connection_failed (
                   viewer->name ().empty () ? peer : viewer->name (), kFailedGraceMs / 1000)
                   .c_str ()),
        ("viewer %s: peer connection failed", peer.c_str ()));
    GvWebRTCSink *sink = sink_;
    std::weak_ptr<Viewer> failed = viewer;
    sink_->priv->thread.after (kFailedGraceMs, [sink, peer, failed] () {
      ViewerPtr still = failed.lock ();
      {
        std::lock_guard<std::mutex> guard (sink->priv->lock);
        auto it = sink->priv->viewers.find (peer);
        if (!still || it == sink->priv->viewers.end () || it->second != still)
          return; /* it retried (a new connection), or is gone */
      }
      gv_webrtc_sink_remove_viewer (sink, peer, true);
    });
  }

  void refuse_offer (const std::string &peer, const std::string &reason) override
  {
    GvSignaller *signaller = ref_signaller (sink_);
    gv_signaller_refuse_offer (signaller, peer.c_str (), reason.c_str ());
    g_object_unref (signaller);
  }

  void video_size (int &width, int &height) override
  {
    sink_->priv->video ().video_size (width, height);
  }

  void navigate (GstEvent *event) override { sink_->priv->video ().push_upstream (event); }

  void chat_received (const std::string &peer, const std::string &name,
                      const std::string &text) override
  {
    gv_webrtc_sink_chat_received (sink_, peer, name, text);
  }

  std::string source_request (const std::string &peer, const std::string &name,
                              const gv::assist::Message &request) override
  {
    return gv_webrtc_sink_source_request (sink_, peer, name, request);
  }
  std::vector<std::string> greeting (const std::string &peer) override
  {
    return gv_webrtc_sink_greeting (sink_, peer);
  }
  void clipboard_received (const std::string &peer, const std::string &mime,
                           const std::string &bytes) override
  {
    gv_webrtc_sink_clipboard_from_viewer (sink_, peer, mime, bytes);
  }

  std::string download_dir () override
  {
    std::lock_guard<std::mutex> guard (sink_->priv->lock);
    return sink_->priv->download_dir;
  }

  void file_event (const std::string &peer, const std::string &name,
                   const gv::webrtc::FileEvent &event) override
  {
    gv_webrtc_sink_file_event (sink_, peer, name, event);
  }

  void control_requested (const std::string &peer) override
  {
    /* On the thread viewers change state on, not the data channel's. */
    GvWebRTCSink *sink = sink_;
    sink_->priv->thread.post ([sink, peer] () {
      g_signal_emit (sink, gv_webrtc_sink_signals[GV_SINK_SIGNAL_CONTROL_REQUESTED], 0,
                     peer.c_str ());
      bool grant;
      {
        std::lock_guard<std::mutex> guard (sink->priv->lock);
        grant = sink->priv->control_on_request;
      }
      if (grant)
        gv_webrtc_sink_set_control (sink, peer, true);
    });
  }

  void estimate_changed (const std::string &, guint64) override
  {
    gv_webrtc_sink_follow_estimates (sink_);
  }

  void link_reported (const std::string &peer, const std::string &name, guint64 estimate_bps,
                      int layer, guint64 bitrate_bps, const char *feedback) override
  {
    GstStructure *s = gst_structure_new (
        "gvwebrtcsink-link", "peer-id", G_TYPE_STRING, peer.c_str (), "name", G_TYPE_STRING,
        name.c_str (), "estimated-bitrate", G_TYPE_UINT64, estimate_bps, "layer", G_TYPE_INT, layer,
        "bitrate", G_TYPE_UINT64, bitrate_bps, "feedback", G_TYPE_STRING, feedback, nullptr);
    gst_element_post_message (GST_ELEMENT (sink_), gst_message_new_element (GST_OBJECT (sink_), s));
    gv_webrtc_sink_cursor_layer (sink_, peer, layer);
  }

  guint64 max_bitrate_bps () override
  {
    std::lock_guard<std::mutex> guard (sink_->priv->lock);
    return (guint64) sink_->priv->encoder_settings.bitrate_kbps * 1000;
  }

  double pacing () override
  {
    std::lock_guard<std::mutex> guard (sink_->priv->lock);
    return sink_->priv->pacing;
  }

  void codec_chosen (const std::string &peer, const std::string &name, const char *codec) override
  {
    /* Which viewer gets which codec (none: it accepted none we offered). */
    GstStructure *s = gst_structure_new ("gvwebrtcsink-codec", "peer-id", G_TYPE_STRING,
                                         peer.c_str (), "name", G_TYPE_STRING, name.c_str (),
                                         "codec", G_TYPE_STRING, codec ? codec : "none", nullptr);
    gst_element_post_message (GST_ELEMENT (sink_), gst_message_new_element (GST_OBJECT (sink_), s));
    gv_webrtc_sink_follow_estimates (sink_); /* a viewer joined its codec's ladder */
  }

  std::shared_ptr<gv::webrtc::Terminal> terminal () override
  {
    return gv_webrtc_sink_terminal (sink_);
  }

private:
  GvWebRTCSink *const sink_; /* not a reference: the sink outlives its viewers */
};

void gv_webrtc_sink_init_viewers (GvWebRTCSink *self)
{
  self->priv->viewer_host = std::make_unique<GvSinkViewerHost> (self);
}

/* ---- the shared encoder follows the viewers' links ---- */

/* The ladder of one codec (slot): its viewers, each on the layer its link
 * takes, each layer encoded at its viewers' narrowest link. */
static void follow_estimates_of_codec (GvWebRTCSink *self, int slot)
{
  GvWebRTCSinkPrivate *priv = self->priv;
  gv::webrtc::StreamEncoder &video = priv->video ();
  gv::webrtc::LayerPlan plan;
  std::vector<ViewerPtr> viewers;
  std::vector<gv::webrtc::LayerViewer> states;
  std::vector<int> assignment;
  {
    std::lock_guard<std::mutex> guard (priv->lock);
    plan.max_bps = (guint64) priv->encoder_settings.bitrate_kbps * 1000;
    plan.layers = MAX (1, MIN (priv->encoder_settings.video_layers, video.layer_count ()));
    for (const auto &kv : priv->viewers) {
      if (kv.second->codec_slot () != slot)
        continue;
      viewers.push_back (kv.second);
      states.push_back ({ kv.second->estimate_bps (), kv.second->layer (), kv.second->layer_fit });
    }
    if (viewers.empty ())
      return;
    assignment = gv::webrtc::assign_layers (plan, states, g_get_monotonic_time ());
    for (size_t i = 0; i < viewers.size (); i++)
      viewers[i]->layer_fit = states[i].fit;
  }
  for (size_t i = 0; i < viewers.size (); i++)
    if (assignment[i] != viewers[i]->layer ())
      viewers[i]->switch_layer (assignment[i]);
  for (int layer = 0; layer < plan.layers; layer++) {
    guint64 bps = gv::webrtc::layer_bitrate (plan, layer, states, assignment);
    if (bps)
      video.set_layer_bitrate (gv::webrtc::layer_index (slot, layer),
                               (guint) MAX (bps / 1000, (guint64) 1));
  }
}

void gv_webrtc_sink_follow_estimates (GvWebRTCSink *self)
{
  /* One quality ladder per codec in use (gvlayerplan.h): the viewers of
   * the fallback codec share its encoders, as those of the configured
   * codec share theirs. */
  for (int slot = 0; slot < self->priv->video ().codec_count (); slot++)
    follow_estimates_of_codec (self, slot);
}

/* ---- viewers come and go ---- */

/* What a new viewer subscribes to; nothing until every stream with a pad
 * knows its caps. A sink with a terminal and no pad at all shares the
 * terminal alone: its viewers start at once, with no media. */
static std::optional<std::vector<StreamFeed>> ready_feeds (GvWebRTCSink *self)
{
  std::vector<StreamFeed> feeds;
  bool inputs = false;
  for (auto &stream : self->priv->streams) {
    if (!stream->has_input ())
      continue;
    inputs = true;
    std::optional<StreamFeed> feed = stream->feed ();
    if (!feed)
      return std::nullopt;
    feeds.push_back (*feed);
  }
  if (!inputs && !gv_webrtc_sink_terminal (self))
    return std::nullopt;
  return feeds;
}

static void add_viewer (GvWebRTCSink *self, const std::string &peer, const std::string &name,
                        GvCapabilities capabilities)
{
  GvWebRTCSinkPrivate *priv = self->priv;
  auto viewer =
      std::make_shared<Viewer> (peer, name, capabilities, *priv->viewer_host, priv->thread);
  GvSignaller *signaller = ref_signaller (self);
  if (gv_signaller_peer_offers (signaller, peer.c_str ()))
    viewer->expect_offer ();
  g_object_unref (signaller);
  {
    std::lock_guard<std::mutex> guard (priv->lock);
    if (!priv->running || priv->viewers.count (peer))
      return;
    priv->viewers[peer] = viewer;
    priv->waiting_for_streams.push_back (viewer);
  }
  g_signal_emit (self, gv_webrtc_sink_signals[GV_SINK_SIGNAL_VIEWER_ADDED], 0, peer.c_str (),
                 name.c_str ());
  if (viewer->capabilities () & GV_CAPABILITY_CONTROL)
    g_signal_emit (self, gv_webrtc_sink_signals[GV_SINK_SIGNAL_CONTROL_CHANGED], 0, peer.c_str (),
                   TRUE);
  /* Every viewer waits in the list until the streams are ready; whoever
   * finds them ready (here, or the last stream's caps) starts it, once. */
  gv_webrtc_sink_streams_ready (self);
}

void gv_webrtc_sink_streams_ready (GvWebRTCSink *self)
{
  std::optional<std::vector<StreamFeed>> feeds = ready_feeds (self);
  if (!feeds)
    return;
  std::vector<ViewerPtr> waiting;
  {
    std::lock_guard<std::mutex> guard (self->priv->lock);
    waiting.swap (self->priv->waiting_for_streams);
  }
  for (const ViewerPtr &viewer : waiting)
    viewer->start (*feeds);
}

static ViewerPtr forget_viewer (GvWebRTCSink *self, const std::string &peer)
{
  GvWebRTCSinkPrivate *priv = self->priv;
  std::lock_guard<std::mutex> guard (priv->lock);
  auto it = priv->viewers.find (peer);
  if (it == priv->viewers.end ())
    return nullptr;
  ViewerPtr viewer = it->second;
  priv->viewers.erase (it);
  auto &waiting = priv->waiting_for_streams;
  for (auto w = waiting.begin (); w != waiting.end (); ++w)
    if (*w == viewer) {
      waiting.erase (w);
      break;
    }
  return viewer;
}

/* On the viewer's queue, once its webrtcbin is gone. */
static void viewer_stopped (GvWebRTCSink *self, const ViewerPtr &viewer)
{
  {
    std::lock_guard<std::mutex> guard (self->priv->lock);
    const ViewerStats st = viewer->stats ();
    self->priv->gone_input += st.input;
    self->priv->gone_assist += st.assist;
    self->priv->gone_rtcp_refused += st.rtcp_refused;
  }
  g_signal_emit (self, gv_webrtc_sink_signals[GV_SINK_SIGNAL_VIEWER_REMOVED], 0,
                 viewer->peer ().c_str ());
  gv_webrtc_sink_follow_estimates (self); /* the narrowest link may have gone */
  if (viewer->capabilities () & GV_CAPABILITY_CONTROL)
    gv_webrtc_sink_release_all_input (self);
}

static void stop_viewer (GvWebRTCSink *self, const ViewerPtr &viewer)
{
  viewer->stop ([self, viewer] () { viewer_stopped (self, viewer); });
}

void gv_webrtc_sink_remove_viewer (GvWebRTCSink *self, const std::string &peer, bool tell_signaller)
{
  gv_webrtc_sink_fallback_forget (self, peer);
  ViewerPtr viewer = forget_viewer (self, peer);
  if (!viewer)
    return;
  if (tell_signaller) {
    GvSignaller *signaller = ref_signaller (self);
    gv_signaller_remove_peer (signaller, peer.c_str ());
    g_object_unref (signaller);
  }
  stop_viewer (self, viewer);
}

void gv_webrtc_sink_remove_all_viewers (GvWebRTCSink *self)
{
  std::map<std::string, ViewerPtr> viewers;
  {
    std::lock_guard<std::mutex> guard (self->priv->lock);
    viewers.swap (self->priv->viewers);
    self->priv->waiting_for_streams.clear ();
    self->priv->fallback_viewers.clear ();
  }
  for (const auto &kv : viewers)
    stop_viewer (self, kv.second);
}

std::string gv_webrtc_sink_viewer_of (GvWebRTCSink *self, GstElement *element)
{
  std::lock_guard<std::mutex> guard (self->priv->lock);
  for (const auto &kv : self->priv->viewers)
    if (kv.second->owns (element))
      return kv.first;
  return {};
}

bool gv_webrtc_sink_set_control (GvWebRTCSink *self, const std::string &peer, bool control)
{
  ViewerPtr viewer = find_viewer (self, peer);
  if (!viewer)
    return false;
  GvCapabilities now = viewer->capabilities ();
  now = (GvCapabilities) (control ? now | GV_CAPABILITY_CONTROL : now & ~GV_CAPABILITY_CONTROL);
  return gv_webrtc_sink_set_capabilities (self, peer, now);
}

bool gv_webrtc_sink_set_capabilities (GvWebRTCSink *self, const std::string &peer,
                                      GvCapabilities capabilities)
{
  ViewerPtr viewer = find_viewer (self, peer);
  if (!viewer)
    return false;
  auto now = (GvCapabilities) ((capabilities & gv::kAllCapabilities) | GV_CAPABILITY_VIEW);
  bool had = viewer->set_capabilities (now) & GV_CAPABILITY_CONTROL;
  bool control = (now & GV_CAPABILITY_CONTROL) != 0;
  gchar *names = g_flags_to_string (GV_TYPE_CAPABILITIES, now);
  GST_INFO_OBJECT (self, "viewer %s now has %s", peer.c_str (), names);
  g_free (names);
  GvSignaller *signaller = ref_signaller (self);
  gv_signaller_set_capabilities (signaller, peer.c_str (), now);
  g_object_unref (signaller);
  if (had != control)
    g_signal_emit (self, gv_webrtc_sink_signals[GV_SINK_SIGNAL_CONTROL_CHANGED], 0, peer.c_str (),
                   (gboolean) control);
  if (had && !control)
    gv_webrtc_sink_release_all_input (self);
  return true;
}

void gv_webrtc_sink_accept (GvWebRTCSink *self, const std::string &peer, bool control)
{
  guint allow;
  {
    std::lock_guard<std::mutex> guard (self->priv->lock);
    allow = self->priv->allow;
  }
  /* What `allow` gives, with control as the caller says. */
  gv_webrtc_sink_accept_with (self, peer,
                              (GvCapabilities) ((allow & ~GV_CAPABILITY_CONTROL) |
                                                GV_CAPABILITY_VIEW |
                                                (control ? GV_CAPABILITY_CONTROL : 0)));
}

void gv_webrtc_sink_accept_with (GvWebRTCSink *self, const std::string &peer, GvCapabilities caps)
{
  GvSignaller *signaller;
  std::string name;
  {
    std::lock_guard<std::mutex> guard (self->priv->lock);
    signaller = self->priv->signaller.ref ();
    auto it = self->priv->pending_joins.find (peer);
    if (it != self->priv->pending_joins.end ()) {
      name = it->second;
      self->priv->pending_joins.erase (it);
    }
  }
  gv_signaller_accept_peer (signaller, peer.c_str (), caps);
  g_object_unref (signaller);
  add_viewer (self, peer, name, caps);
}

void gv_webrtc_sink_decline (GvWebRTCSink *self, const std::string &peer, const char *reason)
{
  GvSignaller *signaller;
  {
    std::lock_guard<std::mutex> guard (self->priv->lock);
    signaller = self->priv->signaller.ref ();
    self->priv->pending_joins.erase (peer);
  }
  gv_signaller_decline_peer (signaller, peer.c_str (), reason ? reason : "");
  g_object_unref (signaller);
}

/* ---- the signaller ---- */

static void on_session_announced (GvSignaller *, GstStructure *details, gpointer user)
{
  auto *self = GV_WEBRTC_SINK (user);
  GstStructure *s = gst_structure_copy (details);
  /* The session (its PIN), or an invite link to it (gvpinsignaller's
   * "invite"). */
  gst_structure_set_name (s, gst_structure_has_name (details, "gv-invite")
                                 ? "gvwebrtcsink-invite"
                                 : "gvwebrtcsink-session");
  GST_INFO_OBJECT (self, "session announced: %" GST_PTR_FORMAT, s);
  gst_element_post_message (GST_ELEMENT (self), gst_message_new_element (GST_OBJECT (self), s));
}

/* The element's admission policy: the application decides when it handles
 * join-request, else every viewer gets in, with control when allow-control;
 * a viewer who came with an invite link gets what the link stands for (the
 * host made it). */
static void on_peer_requested (GvSignaller *signaller, const char *peer, const char *name,
                               gpointer user)
{
  auto *self = GV_WEBRTC_SINK (user);
  gboolean handled = FALSE;
  bool control;
  const GvCapabilities invited = gv_signaller_requested_capabilities (signaller, peer);
  {
    /* Kept for accept-viewer, which the handler may call at once. */
    std::lock_guard<std::mutex> guard (self->priv->lock);
    self->priv->pending_joins[peer] = name ? name : "";
    control = (self->priv->allow & GV_CAPABILITY_CONTROL) != 0;
  }
  g_signal_emit (self, gv_webrtc_sink_signals[GV_SINK_SIGNAL_JOIN_REQUEST], 0, peer, name,
                 &handled);
  if (handled) {
    GST_INFO_OBJECT (self, "the application decides on viewer %s", peer);
    return;
  }
  /* A WHEP player only watches: it has no data channel to control with. */
  if (gv_signaller_peer_offers (signaller, peer))
    gv_webrtc_sink_accept_with (self, peer, GV_CAPABILITY_VIEW);
  else if (invited)
    gv_webrtc_sink_accept_with (self, peer, (GvCapabilities) (invited | GV_CAPABILITY_VIEW));
  else
    gv_webrtc_sink_accept (self, peer, control);
}

static void on_session_description (GvSignaller *, const char *peer,
                                    GstWebRTCSessionDescription *desc, gpointer user)
{
  auto *self = GV_WEBRTC_SINK (user);
  ViewerPtr viewer = find_viewer (self, peer);
  /* Viewers' reports (gvwebrtcsink-reports.cpp): an answer that rejects a
   * media section never reaches webrtcbin. */
  if (viewer && gv_webrtc_sink_refuse_rejecting_answer (self, peer, desc))
    return;
  if (viewer)
    viewer->set_remote_description (desc);
  else
    GST_WARNING_OBJECT (self, "SDP for unknown viewer %s", peer);
}

static void on_handle_ice (GvSignaller *, const char *peer, guint mline, const char *,
                           const char *candidate, gpointer user)
{
  ViewerPtr viewer = find_viewer (GV_WEBRTC_SINK (user), peer);
  if (viewer && candidate)
    viewer->add_remote_candidate (mline, candidate);
}

static void on_peer_left (GvSignaller *, const char *peer, const char *reason, gpointer user)
{
  auto *self = GV_WEBRTC_SINK (user);
  GST_INFO_OBJECT (self, "viewer %s left (%s)", peer, reason);
  {
    std::lock_guard<std::mutex> guard (self->priv->lock);
    self->priv->pending_joins.erase (peer);
  }
  gv_webrtc_sink_remove_viewer (self, peer, false);
}

static void on_signaller_error (GvSignaller *, const char *code, const char *message,
                                gboolean fatal, gpointer user)
{
  gv::webrtc::post_signaller_error (GST_ELEMENT (user), code, message, fatal);
}

void gv_webrtc_sink_attach_signaller (GvWebRTCSink *self, GvSignaller *signaller)
{
  self->priv->signaller.attach (
      signaller, GV_SIGNALLER_ROLE_HOST,
      {
          { "session-announced", G_CALLBACK (on_session_announced) },
          { "peer-requested", G_CALLBACK (on_peer_requested) },
          { "session-description", G_CALLBACK (on_session_description) },
          { "handle-ice", G_CALLBACK (on_handle_ice) },
          { "peer-left", G_CALLBACK (on_peer_left) },
          { "error", G_CALLBACK (on_signaller_error) },
          /* gvwebrtcsink-reports.cpp */
          { "peer-report", G_CALLBACK (gv_webrtc_sink_on_peer_report) },
          { "peer-restart", G_CALLBACK (gv_webrtc_sink_on_peer_restart) },
          /* gvwebrtcsink-fallback.cpp */
          { "peer-fallback", G_CALLBACK (gv_webrtc_sink_on_peer_fallback) },
          { "peer-input", G_CALLBACK (gv_webrtc_sink_on_peer_input) },
          { "snapshot-requested", G_CALLBACK (gv_webrtc_sink_on_snapshot_requested) },
      },
      self);
}

/* ---- stats: read from what the viewers last measured, never waiting ---- */

static void set_assist_counters (GstStructure *s, const AssistCounters &c)
{
  gst_structure_set (s, "assist-chat", G_TYPE_UINT64, c.chat, "assist-refused", G_TYPE_UINT64,
                     c.refused, "assist-malformed", G_TYPE_UINT64, c.malformed, "assist-flood",
                     G_TYPE_UINT64, c.flood, nullptr);
}

static void set_input_counters (GstStructure *s, const InputCounters &c)
{
  gst_structure_set (s, "input-events", G_TYPE_UINT64, c.events, "input-dropped-malformed",
                     G_TYPE_UINT64, c.malformed, "input-dropped-no-control", G_TYPE_UINT64,
                     c.no_control, "input-dropped-flood", G_TYPE_UINT64, c.flood, nullptr);
}

GstStructure *gv_webrtc_sink_collect_stats (GvWebRTCSink *self)
{
  std::vector<ViewerPtr> viewers;
  InputCounters total;
  AssistCounters assist_total;
  guint64 rtcp_refused;
  {
    std::lock_guard<std::mutex> guard (self->priv->lock);
    for (const auto &kv : self->priv->viewers)
      viewers.push_back (kv.second);
    total = self->priv->gone_input;
    assist_total = self->priv->gone_assist;
    rtcp_refused = self->priv->gone_rtcp_refused;
  }
  GValue array = G_VALUE_INIT;
  gst_value_array_init (&array, viewers.size ());
  for (const ViewerPtr &viewer : viewers) {
    ViewerStats st = viewer->stats ();
    total += st.input;
    assist_total += st.assist;
    rtcp_refused += st.rtcp_refused;
    GstStructure *vs = gst_structure_new (
        "gvwebrtcsink-viewer", "peer-id", G_TYPE_STRING, viewer->peer ().c_str (), "name",
        G_TYPE_STRING, viewer->name ().c_str (), "control", G_TYPE_BOOLEAN,
        (gboolean) ((viewer->capabilities () & GV_CAPABILITY_CONTROL) != 0), "connected",
        G_TYPE_BOOLEAN, (gboolean) st.connected, "frames-sent", G_TYPE_UINT64, st.frames_sent,
        "audio-packets-sent", G_TYPE_UINT64, st.audio_packets_sent, "bytes-sent", G_TYPE_UINT64,
        st.bytes_sent, "bitrate", G_TYPE_DOUBLE, st.bitrate, "rtt", G_TYPE_DOUBLE, st.rtt,
        "packets-lost", G_TYPE_INT64, st.packets_lost, "nacks-received", G_TYPE_UINT64,
        st.nacks_received, "packets-retransmitted", G_TYPE_UINT64, st.packets_retransmitted,
        "estimated-bitrate", G_TYPE_UINT64, st.estimated_bitrate, "estimator-state", G_TYPE_STRING,
        st.estimator_state.c_str (), "feedback-ignored", G_TYPE_UINT64, st.feedback_ignored,
        "probes", G_TYPE_UINT64, st.probes, "probes-carried", G_TYPE_UINT64, st.probes_carried,
        "retransmissions-skipped", G_TYPE_UINT64, st.retransmissions_skipped, "layer", G_TYPE_INT,
        st.layer, "layer-moves", G_TYPE_UINT64, st.layer_moves, "codec", G_TYPE_STRING,
        st.codec.c_str (), "rtcp-refused", G_TYPE_UINT64, st.rtcp_refused, "files-refused",
        G_TYPE_UINT64, st.files_refused, "file-pace", G_TYPE_UINT64, st.file_pace, "file-pace-cuts",
        G_TYPE_UINT64, st.file_pace_cuts, nullptr);
    set_input_counters (vs, st.input);
    set_assist_counters (vs, st.assist);
    gst_structure_set (vs, "terminal-input", G_TYPE_UINT64, st.terminal.input, "terminal-refused",
                       G_TYPE_UINT64, st.terminal.refused, "terminal-malformed", G_TYPE_UINT64,
                       st.terminal.malformed, "terminal-flood", G_TYPE_UINT64, st.terminal.flood,
                       "terminal-skipped", G_TYPE_UINT64, st.terminal.skipped, nullptr);
    gst_structure_set (vs, "capabilities", GV_TYPE_CAPABILITIES, viewer->capabilities (),
                       "fallback", G_TYPE_BOOLEAN,
                       (gboolean) gv_webrtc_sink_on_fallback (self, viewer->peer ()), nullptr);
    GValue val = G_VALUE_INIT;
    g_value_init (&val, GST_TYPE_STRUCTURE);
    g_value_take_boxed (&val, vs);
    gst_value_array_append_and_take_value (&array, &val);
  }
  gv::webrtc::KeyframeCounters keyframes = self->priv->video ().keyframe_counters ();
  GstStructure *s =
      gst_structure_new ("gvwebrtcsink-stats", "viewer-count", G_TYPE_UINT, (guint) viewers.size (),
                         "keyframe-requests", G_TYPE_UINT64, keyframes.requested,
                         "keyframes-forced", G_TYPE_UINT64, keyframes.forced, "encoders-running",
                         G_TYPE_INT, self->priv->video ().encoders_running (), nullptr);
  /* What each layer is encoded at (0: not encoding), and, for one layer
   * only, the encoder's bitrate; the fallback codec's layers apart. */
  for (int slot = 0; slot < self->priv->video ().codec_count (); slot++) {
    GValue rates = G_VALUE_INIT;
    gst_value_array_init (&rates, gv::webrtc::kMaxLayers);
    for (int layer = 0; layer < gv::webrtc::kMaxLayers; layer++) {
      GValue v = G_VALUE_INIT;
      g_value_init (&v, G_TYPE_UINT);
      g_value_set_uint (&v,
                        self->priv->video ().layer_bitrate (gv::webrtc::layer_index (slot, layer)));
      gst_value_array_append_and_take_value (&rates, &v);
    }
    gst_structure_take_value (s, slot == 0 ? "layer-bitrates" : "fallback-layer-bitrates", &rates);
  }
  gst_structure_set (s, "encoder-bitrate", G_TYPE_UINT, self->priv->video ().layer_bitrate (0),
                     nullptr);
  set_input_counters (s, total);
  set_assist_counters (s, assist_total);
  gst_structure_set (s, "rtcp-refused", G_TYPE_UINT64, rtcp_refused, nullptr);
  gv_webrtc_sink_fallback_stats (self, s);
  gst_structure_take_value (s, "viewers", &array);
  return s;
}
