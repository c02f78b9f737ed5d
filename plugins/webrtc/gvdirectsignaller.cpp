/* GhostView
 * Copyright (C) 2024 GhostView contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
/**
 * SECTION:gvdirectsignaller
 * @title: GvDirectSignaller
 * @short_description: a GvSignaller that pairs a gvwebrtcsink with
 * gvwebrtcsrc elements of the same process, without a server
 *
 * Signallers with the same `room` find each other: one host (a
 * gvwebrtcsink's) and any number of viewers (gvwebrtcsrc's). No PIN, no
 * limit, no network: every viewer that starts is put to the host
 * (`peer-requested`), and SDP and ICE candidates are handed over in memory.
 * A viewer that starts before its host waits for it. For tests and for
 * applications that receive their own stream (a local preview through the
 * whole WebRTC path, say).
 *
 * Every signal is emitted from one thread of the process, in the order the
 * calls were made, never from inside the call. Set it from code:
 * |[
 * GObject *host = g_object_new (g_type_from_name ("GvDirectSignaller"),
 *     "role", 0, "room", "preview", NULL);
 * g_object_set (sink, "signaller", host, NULL);
 * ]|
 */
#include "gvdirectsignaller.h"

#include "gvtaskqueue.h"
#include "gvwebrtctexts.h"

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

GST_DEBUG_CATEGORY_STATIC (gv_direct_signaller_debug);
#define GST_CAT_DEFAULT gv_direct_signaller_debug

enum {
  PROP_0,
  PROP_ROLE,
  PROP_ROOM,
  PROP_NAME,
};

#define DEFAULT_ROOM "default"

struct GvDirectSignallerPrivate {
  std::mutex lock;
  std::condition_variable idle;
  GvSignallerRole role = GV_SIGNALLER_ROLE_HOST;
  std::string room = DEFAULT_ROOM;
  std::string name;
  std::string peer_id; /* viewer: its id in the room */
  bool active = false; /* started and not stopped: deliveries reach it */
  int delivering = 0;  /* deliveries running now */
};

struct _GvDirectSignaller {
  GObject parent;
  GvDirectSignallerPrivate *priv;
};

static void gv_direct_signaller_iface_init (GvSignallerInterface *iface);

G_DEFINE_TYPE_WITH_CODE (GvDirectSignaller, gv_direct_signaller, G_TYPE_OBJECT,
                         G_IMPLEMENT_INTERFACE (GV_TYPE_SIGNALLER, gv_direct_signaller_iface_init));

namespace {

/* Who is in a room. Pointers, not references: a signaller leaves its room
 * when it stops, and it stops before it is finalised. */
struct Room {
  GvDirectSignaller *host = nullptr;
  std::map<std::string, GvDirectSignaller *> viewers;
};

std::mutex rooms_lock;
std::map<std::string, Room> &rooms ()
{
  static auto *all = new std::map<std::string, Room> ();
  return *all;
}

/* The thread every signal is emitted from, for the life of the process. */
gv::webrtc::TaskThread &dispatch_thread ()
{
  static gv::webrtc::TaskThread *thread = [] () {
    auto *t = new gv::webrtc::TaskThread ("gvdirectsignal");
    t->start ();
    return t;
  }();
  return *thread;
}

/* Runs `fn (target)` on the dispatch thread, if `target` is still active
 * then. */
void deliver (GvDirectSignaller *target, std::function<void (GvDirectSignaller *)> fn)
{
  auto hold =
      std::shared_ptr<GvDirectSignaller> (GV_DIRECT_SIGNALLER (g_object_ref (target)),
                                          [] (GvDirectSignaller *s) { g_object_unref (s); });
  dispatch_thread ().post ([hold, fn = std::move (fn)] () {
    GvDirectSignallerPrivate *priv = hold->priv;
    {
      std::lock_guard<std::mutex> guard (priv->lock);
      if (!priv->active)
        return;
      priv->delivering++;
    }
    fn (hold.get ());
    {
      std::lock_guard<std::mutex> guard (priv->lock);
      priv->delivering--;
    }
    priv->idle.notify_all ();
  });
}

void emit_error (GvDirectSignaller *target, const char *code, const std::string &message,
                 bool fatal)
{
  deliver (target, [code, message, fatal] (GvDirectSignaller *s) {
    g_signal_emit_by_name (s, "error", code, message.c_str (), (gboolean) fatal);
  });
}

/* The viewer `peer_id` of `room`, or nullptr. Call with rooms_lock held. */
GvDirectSignaller *viewer_locked (const std::string &room, const std::string &peer_id)
{
  auto it = rooms ().find (room);
  if (it == rooms ().end ())
    return nullptr;
  auto v = it->second.viewers.find (peer_id);
  return v == it->second.viewers.end () ? nullptr : v->second;
}

void forget_empty_room_locked (const std::string &room)
{
  auto it = rooms ().find (room);
  if (it != rooms ().end () && !it->second.host && it->second.viewers.empty ())
    rooms ().erase (it);
}

std::string room_of (GvDirectSignaller *self)
{
  std::lock_guard<std::mutex> guard (self->priv->lock);
  return self->priv->room;
}

void ask_host (GvDirectSignaller *host, const std::string &peer_id, const std::string &name)
{
  deliver (host, [peer_id, name] (GvDirectSignaller *s) {
    g_signal_emit_by_name (s, "peer-requested", peer_id.c_str (), name.c_str ());
  });
}

} // namespace

/* ---- GvSignaller ---- */

static void signaller_start (GvSignaller *signaller)
{
  auto *self = GV_DIRECT_SIGNALLER (signaller);
  GvDirectSignallerPrivate *priv = self->priv;
  static std::atomic<guint> next_viewer{ 1 };
  std::string room, name;
  GvSignallerRole role;
  {
    std::lock_guard<std::mutex> guard (priv->lock);
    if (priv->active)
      return;
    priv->active = true;
    room = priv->room;
    name = priv->name;
    role = priv->role;
    if (role == GV_SIGNALLER_ROLE_VIEWER)
      priv->peer_id = "direct-viewer-" + std::to_string (next_viewer++);
  }
  gv_signaller_set_ice_servers (signaller, nullptr, nullptr);
  std::lock_guard<std::mutex> guard (rooms_lock);
  Room &r = rooms ()[room];
  if (role == GV_SIGNALLER_ROLE_HOST) {
    if (r.host) {
      emit_error (self, "ROOM_TAKEN", "Another host already uses the room \"" + room + "\".", true);
      return;
    }
    r.host = self;
    GST_INFO_OBJECT (self, "hosting room %s", room.c_str ());
    deliver (self, [room] (GvDirectSignaller *s) {
      GstStructure *details =
          gst_structure_new ("gv-session", "session-id", G_TYPE_STRING, room.c_str (), "room",
                             G_TYPE_STRING, room.c_str (), nullptr);
      g_signal_emit_by_name (s, "session-announced", details);
      gst_structure_free (details);
    });
    for (const auto &kv : r.viewers) {
      std::lock_guard<std::mutex> viewer_guard (kv.second->priv->lock);
      ask_host (self, kv.first, kv.second->priv->name);
    }
    return;
  }
  std::string peer_id;
  {
    std::lock_guard<std::mutex> self_guard (priv->lock);
    peer_id = priv->peer_id;
  }
  r.viewers[peer_id] = self;
  GST_INFO_OBJECT (self, "joining room %s as %s", room.c_str (), peer_id.c_str ());
  if (r.host)
    ask_host (r.host, peer_id, name);
}

/* Leaves the room: the host's viewers are told the session ended, a
 * viewer's host that it left. */
static void leave_room (GvDirectSignaller *self, const char *viewer_reason)
{
  GvDirectSignallerPrivate *priv = self->priv;
  std::string room, peer_id;
  GvSignallerRole role;
  {
    std::lock_guard<std::mutex> guard (priv->lock);
    room = priv->room;
    peer_id = priv->peer_id;
    role = priv->role;
  }
  std::lock_guard<std::mutex> guard (rooms_lock);
  auto it = rooms ().find (room);
  if (it == rooms ().end ())
    return;
  Room &r = it->second;
  if (role == GV_SIGNALLER_ROLE_HOST) {
    if (r.host != self)
      return;
    r.host = nullptr;
    for (const auto &kv : r.viewers)
      deliver (kv.second, [] (GvDirectSignaller *s) {
        g_signal_emit_by_name (s, "session-ended", "host-ended");
      });
    r.viewers.clear ();
  } else {
    auto v = r.viewers.find (peer_id);
    if (v == r.viewers.end () || v->second != self)
      return;
    r.viewers.erase (v);
    if (r.host)
      deliver (r.host, [peer_id, viewer_reason] (GvDirectSignaller *s) {
        g_signal_emit_by_name (s, "peer-left", peer_id.c_str (), viewer_reason);
      });
  }
  forget_empty_room_locked (room);
}

static void signaller_stop (GvSignaller *signaller)
{
  auto *self = GV_DIRECT_SIGNALLER (signaller);
  GvDirectSignallerPrivate *priv = self->priv;
  {
    std::lock_guard<std::mutex> guard (priv->lock);
    if (!priv->active)
      return;
  }
  leave_room (self, "left");
  std::unique_lock<std::mutex> guard (priv->lock);
  priv->active = false;
  /* On the dispatch thread the one delivery running is the caller's own. */
  if (!dispatch_thread ().is_current ())
    priv->idle.wait (guard, [priv] { return priv->delivering == 0; });
}

/* Hands `fn` to the other side: the viewer `peer_id` (host) or the host
 * (viewer). */
static void to_peer (GvDirectSignaller *self, const gchar *peer_id,
                     std::function<void (GvDirectSignaller *, const std::string &from)> fn)
{
  GvDirectSignallerPrivate *priv = self->priv;
  std::string room, from;
  bool host;
  {
    std::lock_guard<std::mutex> guard (priv->lock);
    if (!priv->active)
      return;
    room = priv->room;
    host = priv->role == GV_SIGNALLER_ROLE_HOST;
    from = host ? "" : priv->peer_id;
  }
  GvDirectSignaller *target = nullptr;
  {
    std::lock_guard<std::mutex> guard (rooms_lock);
    if (host) {
      target = viewer_locked (room, peer_id ? peer_id : "");
    } else {
      auto it = rooms ().find (room);
      if (it != rooms ().end () && it->second.viewers.count (from))
        target = it->second.host;
    }
    if (target)
      g_object_ref (target);
  }
  if (!target) {
    GST_DEBUG_OBJECT (self, "no peer %s in room %s", peer_id ? peer_id : "(host)", room.c_str ());
    return;
  }
  deliver (target, [fn, from] (GvDirectSignaller *s) { fn (s, from); });
  g_object_unref (target);
}

static void signaller_send_sdp (GvSignaller *signaller, const gchar *peer_id,
                                const GstWebRTCSessionDescription *sdp)
{
  GstWebRTCSessionDescription *copy = gst_webrtc_session_description_copy (sdp);
  auto shared = std::shared_ptr<GstWebRTCSessionDescription> (
      copy, [] (GstWebRTCSessionDescription *d) { gst_webrtc_session_description_free (d); });
  to_peer (GV_DIRECT_SIGNALLER (signaller), peer_id,
           [shared] (GvDirectSignaller *s, const std::string &from) {
             g_signal_emit_by_name (s, "session-description", from.c_str (), shared.get ());
           });
}

static void signaller_add_ice (GvSignaller *signaller, const gchar *peer_id, const gchar *candidate,
                               guint mline_index, const gchar *mid)
{
  std::string c = candidate ? candidate : "", m = mid ? mid : "";
  to_peer (GV_DIRECT_SIGNALLER (signaller), peer_id,
           [c, m, mline_index] (GvDirectSignaller *s, const std::string &from) {
             g_signal_emit_by_name (s, "handle-ice", from.c_str (), mline_index, m.c_str (),
                                    c.c_str ());
           });
}

static void signaller_remove_peer (GvSignaller *signaller, const gchar *peer_id)
{
  auto *self = GV_DIRECT_SIGNALLER (signaller);
  if (self->priv->role == GV_SIGNALLER_ROLE_VIEWER) {
    leave_room (self, "left");
    return;
  }
  std::string room = room_of (self), peer = peer_id ? peer_id : "";
  std::lock_guard<std::mutex> guard (rooms_lock);
  GvDirectSignaller *viewer = viewer_locked (room, peer);
  if (!viewer)
    return;
  deliver (viewer,
           [] (GvDirectSignaller *s) { g_signal_emit_by_name (s, "session-ended", "removed"); });
  rooms ()[room].viewers.erase (peer);
}

static void signaller_accept_peer (GvSignaller *signaller, const gchar *peer_id,
                                   GvCapabilities capabilities)
{
  guint caps = capabilities | GV_CAPABILITY_VIEW;
  to_peer (GV_DIRECT_SIGNALLER (signaller), peer_id, [caps] (GvDirectSignaller *s, auto &) {
    g_signal_emit_by_name (s, "admitted", (GvCapabilities) caps);
  });
}

static void signaller_decline_peer (GvSignaller *signaller, const gchar *peer_id,
                                    const gchar *reason)
{
  auto *self = GV_DIRECT_SIGNALLER (signaller);
  std::string room = room_of (self), peer = peer_id ? peer_id : "";
  std::lock_guard<std::mutex> guard (rooms_lock);
  GvDirectSignaller *viewer = viewer_locked (room, peer);
  if (!viewer)
    return;
  emit_error (viewer, "DECLINED", gv::webrtc::texts::host_declined ("", reason ? reason : ""),
              true);
  rooms ()[room].viewers.erase (peer);
}

static void signaller_set_capabilities (GvSignaller *signaller, const gchar *peer_id,
                                        GvCapabilities capabilities)
{
  guint caps = capabilities | GV_CAPABILITY_VIEW;
  to_peer (GV_DIRECT_SIGNALLER (signaller), peer_id, [caps] (GvDirectSignaller *s, auto &) {
    g_signal_emit_by_name (s, "capabilities-changed", (GvCapabilities) caps);
  });
}

static void gv_direct_signaller_iface_init (GvSignallerInterface *iface)
{
  iface->start = signaller_start;
  iface->stop = signaller_stop;
  iface->send_sdp = signaller_send_sdp;
  iface->add_ice = signaller_add_ice;
  iface->remove_peer = signaller_remove_peer;
  iface->accept_peer = signaller_accept_peer;
  iface->decline_peer = signaller_decline_peer;
  iface->set_capabilities = signaller_set_capabilities;
}

/* ---- GObject ---- */

static void gv_direct_signaller_set_property (GObject *object, guint prop_id, const GValue *value,
                                              GParamSpec *pspec)
{
  GvDirectSignallerPrivate *priv = GV_DIRECT_SIGNALLER (object)->priv;
  std::lock_guard<std::mutex> guard (priv->lock);
  switch (prop_id) {
  case PROP_ROLE:
    priv->role = (GvSignallerRole) g_value_get_enum (value);
    break;
  case PROP_ROOM:
    priv->room = g_value_get_string (value) ? g_value_get_string (value) : DEFAULT_ROOM;
    break;
  case PROP_NAME:
    priv->name = g_value_get_string (value) ? g_value_get_string (value) : "";
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    break;
  }
}

static void gv_direct_signaller_get_property (GObject *object, guint prop_id, GValue *value,
                                              GParamSpec *pspec)
{
  GvDirectSignallerPrivate *priv = GV_DIRECT_SIGNALLER (object)->priv;
  std::lock_guard<std::mutex> guard (priv->lock);
  switch (prop_id) {
  case PROP_ROLE:
    g_value_set_enum (value, priv->role);
    break;
  case PROP_ROOM:
    g_value_set_string (value, priv->room.c_str ());
    break;
  case PROP_NAME:
    g_value_set_string (value, priv->name.c_str ());
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    break;
  }
}

static void gv_direct_signaller_dispose (GObject *object)
{
  gv_signaller_stop (GV_SIGNALLER (object));
  G_OBJECT_CLASS (gv_direct_signaller_parent_class)->dispose (object);
}

static void gv_direct_signaller_finalize (GObject *object)
{
  delete GV_DIRECT_SIGNALLER (object)->priv;
  G_OBJECT_CLASS (gv_direct_signaller_parent_class)->finalize (object);
}

static void gv_direct_signaller_class_init (GvDirectSignallerClass *klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  gobject_class->set_property = gv_direct_signaller_set_property;
  gobject_class->get_property = gv_direct_signaller_get_property;
  gobject_class->dispose = gv_direct_signaller_dispose;
  gobject_class->finalize = gv_direct_signaller_finalize;

  const auto flags = (GParamFlags) (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_property (
      gobject_class, PROP_ROLE,
      g_param_spec_enum ("role", "Role", "Which side of a session this signaller speaks for",
                         GV_TYPE_SIGNALLER_ROLE, GV_SIGNALLER_ROLE_HOST, flags));
  g_object_class_install_property (
      gobject_class, PROP_ROOM,
      g_param_spec_string ("room", "Room",
                           "Signallers of the same room (one host, any viewers) are paired",
                           DEFAULT_ROOM, flags));
  g_object_class_install_property (
      gobject_class, PROP_NAME,
      g_param_spec_string ("name", "Name", "Viewer: the name the host is given", nullptr, flags));
  GST_DEBUG_CATEGORY_INIT (gv_direct_signaller_debug, "gvdirectsignaller", 0,
                           "GhostView in-process signaller");
}

static void gv_direct_signaller_init (GvDirectSignaller *self)
{
  self->priv = new GvDirectSignallerPrivate ();
}

GvDirectSignaller *gv_direct_signaller_new (GvSignallerRole role, const gchar *room)
{
  return GV_DIRECT_SIGNALLER (
      g_object_new (GV_TYPE_DIRECT_SIGNALLER, "role", role, "room", room, nullptr));
}
