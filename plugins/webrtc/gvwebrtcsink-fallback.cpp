/* GhostView
 * Copyright (C) 2024 GhostView contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * gvwebrtcsink's fallback (signaling/PROTOCOL.md, "Fallback"): a viewer
 * whose peer connection did not connect asks for pictures over the
 * signalling connection; it gets JPEG stills of the raw video
 * (gvfallbackfeed.h), at most `fallback-pictures` a second and never more
 * than two it has not acknowledged, and its input comes back the same way,
 * through its input channel's checks. Each change is posted on the bus as
 * a `gvwebrtcsink-viewer-fallback` message: `peer-id`, `name`, `active`
 * (gboolean) and `reason` (why it was refused, or "").
 *
 * The same pictures answer the signalling service's snapshot requests
 * (its session API) when `allow-snapshot` is true; each request, taken or
 * refused, is posted as `gvwebrtcsink-snapshot`: `request-id`, `by` (who
 * asked: an API key's name), `taken` (gboolean), `reason`.
 */
#include "gvwebrtcsink-private.h"

#include "protocol.h"

#include <json-glib/json-glib.h>

#define GST_CAT_DEFAULT gv_webrtc_sink_debug

using gv::webrtc::FallbackFeed;
using gv::webrtc::ViewerPtr;

/* Pictures a viewer has not acknowledged before it gets another: two keep
 * one on the wire while the viewer draws the other. */
constexpr guint kHostFallbackInFlight = 2;

static void post_fallback (GvWebRTCSink *self, const std::string &peer, const std::string &name,
                           bool active, const char *reason)
{
  GstStructure *s =
      gst_structure_new ("gvwebrtcsink-viewer-fallback", "peer-id", G_TYPE_STRING, peer.c_str (),
                         "name", G_TYPE_STRING, name.c_str (), "active", G_TYPE_BOOLEAN,
                         (gboolean) active, "reason", G_TYPE_STRING, reason ? reason : "", nullptr);
  GST_INFO_OBJECT (self, "%" GST_PTR_FORMAT, s);
  gst_element_post_message (GST_ELEMENT (self), gst_message_new_element (GST_OBJECT (self), s));
}

static void post_snapshot (GvWebRTCSink *self, const std::string &request, const std::string &by,
                           bool taken, const char *reason)
{
  GstStructure *s =
      gst_structure_new ("gvwebrtcsink-snapshot", "request-id", G_TYPE_STRING, request.c_str (),
                         "by", G_TYPE_STRING, by.c_str (), "taken", G_TYPE_BOOLEAN,
                         (gboolean) taken, "reason", G_TYPE_STRING, reason ? reason : "", nullptr);
  GST_INFO_OBJECT (self, "%" GST_PTR_FORMAT, s);
  gst_element_post_message (GST_ELEMENT (self), gst_message_new_element (GST_OBJECT (self), s));
}

static void send_pictures (GvWebRTCSink *self, GBytes *jpeg, guint width, guint height)
{
  GvWebRTCSinkPrivate *priv = self->priv;
  std::vector<std::pair<std::string, guint32>> to;
  std::vector<std::pair<std::string, std::string>> snapshots;
  GvSignaller *signaller;
  {
    std::lock_guard<std::mutex> guard (priv->lock);
    snapshots.swap (priv->snapshot_requests);
    priv->snapshots_taken += snapshots.size ();
    for (auto &[peer, v] : priv->fallback_viewers)
      if (v.in_flight < kHostFallbackInFlight) {
        v.in_flight++;
        to.emplace_back (peer, ++v.frame);
      }
    priv->fallback_pictures_sent += to.size ();
    signaller = priv->signaller.ref ();
  }
  if (!signaller)
    return;
  for (const auto &[peer, frame] : to)
    if (!gv_signaller_send_fallback_picture (signaller, peer.c_str (), frame, width, height, jpeg))
      GST_WARNING_OBJECT (
          self, "the signaller took no fallback picture for %s (%" G_GSIZE_FORMAT " bytes)",
          peer.c_str (), g_bytes_get_size (jpeg));
  for (const auto &[request, by] : snapshots) {
    bool sent =
        gv_signaller_send_fallback_picture (signaller, request.c_str (), 0, width, height, jpeg);
    post_snapshot (self, request, by, sent, sent ? nullptr : "the signaller cannot send it");
  }
  g_object_unref (signaller);
}

static bool wants_picture (GvWebRTCSink *self)
{
  std::lock_guard<std::mutex> guard (self->priv->lock);
  if (!self->priv->snapshot_requests.empty ())
    return true;
  for (const auto &kv : self->priv->fallback_viewers)
    if (kv.second.in_flight < kHostFallbackInFlight)
      return true;
  return false;
}

/* Why the host cannot make pictures, or nullptr when it can (the chain is
 * built here on first use). On the sink's thread. */
static const char *prepare_feed (GvWebRTCSink *self)
{
  GvWebRTCSinkPrivate *priv = self->priv;
  {
    std::lock_guard<std::mutex> guard (priv->lock);
    if (priv->fallback_feed)
      return nullptr;
  }
  GstElement *raw_tee = priv->video ().ref_raw_tee ();
  if (!raw_tee)
    return "the host shares encoded video, which has no pictures for the fallback";
  auto feed = std::make_unique<FallbackFeed> (
      GST_ELEMENT (self), FallbackFeed::Callbacks{ [self] () { return wants_picture (self); },
                                                   [self] (GBytes *jpeg, guint w, guint h) {
                                                     send_pictures (self, jpeg, w, h);
                                                   } });
  {
    std::lock_guard<std::mutex> guard (priv->lock);
    feed->set_fps (gv_webrtc_sink_feed_fps (priv->fallback_fps));
  }
  bool built = feed->build (raw_tee);
  gst_object_unref (raw_tee);
  if (!built)
    return "the host could not make pictures for the fallback";
  std::lock_guard<std::mutex> guard (priv->lock);
  priv->fallback_feed = std::move (feed);
  return nullptr;
}

static void start_fallback (GvWebRTCSink *self, const std::string &peer)
{
  GvWebRTCSinkPrivate *priv = self->priv;
  std::string name;
  {
    std::lock_guard<std::mutex> guard (priv->lock);
    auto it = priv->viewers.find (peer);
    if (it == priv->viewers.end ())
      return; /* gone meanwhile */
    name = it->second->name ();
  }
  bool off;
  {
    std::lock_guard<std::mutex> guard (priv->lock);
    off = priv->fallback_fps == 0;
  }
  const char *refusal = off ? "the host has switched the fallback off" : prepare_feed (self);
  if (refusal) {
    GvSignaller *signaller;
    {
      std::lock_guard<std::mutex> guard (priv->lock);
      signaller = priv->signaller.ref ();
    }
    if (signaller) {
      gv_signaller_refuse_fallback (signaller, peer.c_str (), refusal);
      g_object_unref (signaller);
    }
    post_fallback (self, peer, name, false, refusal);
    return;
  }
  {
    std::lock_guard<std::mutex> guard (priv->lock);
    if (!priv->viewers.count (peer))
      return;
    priv->fallback_viewers[peer] = {}; /* a new start: nothing in flight */
  }
  post_fallback (self, peer, name, true, nullptr);
}

void gv_webrtc_sink_on_peer_fallback (GvSignaller *, const char *peer_id, const char *action,
                                      guint frame, gpointer user)
{
  auto *self = GV_WEBRTC_SINK (user);
  GvWebRTCSinkPrivate *priv = self->priv;
  std::string peer (peer_id ? peer_id : "");
  std::string what (action ? action : "");
  if (what == gv::proto::kFallbackStart) {
    /* The chain may be built: on the sink's thread, which changes the bin. */
    g_object_ref (self);
    if (!priv->thread.post ([self, peer] () {
          start_fallback (self, peer);
          g_object_unref (self);
        }))
      g_object_unref (self);
    return;
  }
  std::string name;
  {
    std::lock_guard<std::mutex> guard (priv->lock);
    auto it = priv->fallback_viewers.find (peer);
    if (it == priv->fallback_viewers.end ())
      return;
    if (what == gv::proto::kFallbackAck) {
      if (it->second.in_flight > 0)
        it->second.in_flight--;
      GST_LOG_OBJECT (self, "viewer %s showed fallback picture %u", peer.c_str (), frame);
      return;
    }
    if (what != gv::proto::kFallbackStop)
      return;
    priv->fallback_viewers.erase (it);
    auto v = priv->viewers.find (peer);
    if (v != priv->viewers.end ())
      name = v->second->name ();
  }
  post_fallback (self, peer, name, false, nullptr);
}

void gv_webrtc_sink_on_peer_input (GvSignaller *, const char *peer_id, const char *events,
                                   gpointer user)
{
  auto *self = GV_WEBRTC_SINK (user);
  std::string peer (peer_id ? peer_id : "");
  ViewerPtr viewer;
  {
    std::lock_guard<std::mutex> guard (self->priv->lock);
    auto it = self->priv->viewers.find (peer);
    if (it != self->priv->viewers.end () && self->priv->fallback_viewers.count (peer))
      viewer = it->second;
  }
  if (!viewer || !events) {
    GST_DEBUG_OBJECT (self, "input from %s, which is not on the fallback: dropped", peer.c_str ());
    return;
  }
  JsonNode *root = json_from_string (events, nullptr);
  if (root && JSON_NODE_HOLDS_ARRAY (root)) {
    JsonArray *array = json_node_get_array (root);
    /* Each is one message of the input channel, checked there. */
    for (guint i = 0; i < json_array_get_length (array); i++) {
      gchar *text = json_to_string (json_array_get_element (array, i), FALSE);
      viewer->fallback_input (text);
      g_free (text);
    }
  }
  if (root)
    json_node_unref (root);
}

/* Most snapshot requests waiting at once (the server has its own limit). */
constexpr std::size_t kMaxSnapshotRequests = 8;

static void take_snapshot (GvWebRTCSink *self, const std::string &request, const std::string &by)
{
  const char *refusal = prepare_feed (self);
  if (!refusal) {
    std::lock_guard<std::mutex> guard (self->priv->lock);
    if (self->priv->snapshot_requests.size () < kMaxSnapshotRequests) {
      self->priv->snapshot_requests.emplace_back (request, by);
      return;
    }
    refusal = "the host has too many snapshots waiting";
  }
  GvSignaller *signaller;
  {
    std::lock_guard<std::mutex> guard (self->priv->lock);
    signaller = self->priv->signaller.ref ();
  }
  if (signaller) {
    gv_signaller_refuse_snapshot (signaller, request.c_str (), refusal);
    g_object_unref (signaller);
  }
  post_snapshot (self, request, by, false, refusal);
}

void gv_webrtc_sink_on_snapshot_requested (GvSignaller *signaller, const char *request_id,
                                           const char *by_name, gpointer user)
{
  auto *self = GV_WEBRTC_SINK (user);
  std::string request (request_id ? request_id : ""), by (by_name ? by_name : "");
  bool allowed;
  {
    std::lock_guard<std::mutex> guard (self->priv->lock);
    allowed = self->priv->allow_snapshot;
  }
  if (!allowed) {
    const char *refusal = "the host does not allow snapshots";
    gv_signaller_refuse_snapshot (signaller, request.c_str (), refusal);
    post_snapshot (self, request, by, false, refusal);
    return;
  }
  g_object_ref (self);
  if (!self->priv->thread.post ([self, request, by] () {
        take_snapshot (self, request, by);
        g_object_unref (self);
      }))
    g_object_unref (self);
}

void gv_webrtc_sink_fallback_forget (GvWebRTCSink *self, const std::string &peer)
{
  std::lock_guard<std::mutex> guard (self->priv->lock);
  self->priv->fallback_viewers.erase (peer);
}

bool gv_webrtc_sink_on_fallback (GvWebRTCSink *self, const std::string &peer)
{
  std::lock_guard<std::mutex> guard (self->priv->lock);
  return self->priv->fallback_viewers.count (peer) > 0;
}

void gv_webrtc_sink_fallback_stats (GvWebRTCSink *self, GstStructure *stats)
{
  std::lock_guard<std::mutex> guard (self->priv->lock);
  gst_structure_set (stats, "fallback-viewers", G_TYPE_UINT,
                     (guint) self->priv->fallback_viewers.size (), "fallback-pictures",
                     G_TYPE_UINT64, self->priv->fallback_pictures_sent, "snapshots-taken",
                     G_TYPE_UINT64, self->priv->snapshots_taken, nullptr);
}
