/* GhostView
 * Copyright (C) 2024 GhostView contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
/**
 * SECTION:gvsignaller
 * @title: GvSignaller
 * @short_description: the interface between gvwebrtcsink/gvwebrtcsrc and a
 * signalling service
 *
 * A signaller opens (host) or joins (viewer) a *session* and relays the
 * negotiation of each *peer*. What it takes to join — a PIN, a viewer
 * limit, an expiry — is the signaller's business: the bins only see peers
 * that passed its rules. GvPinSignaller speaks GhostView's PIN protocol;
 * GvDirectSignaller pairs a sink and sources in one process, with no server.
 *
 * Signals (any of them may be emitted from the signaller's own thread):
 *
 * Host role:
 * - `peer-requested` (gchararray peer-id, gchararray name): a viewer asks
 *   to join and has passed the signaller's own rules; answer with
 *   gv_signaller_accept_peer() or gv_signaller_decline_peer().
 * - `peer-left` (gchararray peer-id, gchararray reason): a viewer, admitted
 *   or waiting, is gone ("left", "disconnected", "removed").
 * - `peer-report` (gchararray peer-id, GstStructure *report): an admitted
 *   viewer says why it sees no picture, or that it is back. `report` is a
 *   `gv-report` structure: `problem` (string: "no-common-codec",
 *   "connection-blocked", "connection-lost", "no-media", "media-stopped",
 *   "cannot-decode" or "resolved"; signaling/protocol.h kProblems),
 *   `detail` (string, one line for people, may be empty) and `codec`
 *   (string, e.g. "H264", may be empty).
 * - `peer-restart` (gchararray peer-id): an admitted viewer asks for a new
 *   peer connection (its Retry): drop its webrtcbin and offer again on a
 *   fresh one. It stays admitted, with its capabilities.
 * - `peer-fallback` (gchararray peer-id, gchararray action, guint frame):
 *   a viewer whose peer connection did not connect asks for the fallback
 *   ("start": send it pictures with gv_signaller_send_fallback_picture(),
 *   or refuse with gv_signaller_refuse_fallback()), no longer needs it
 *   ("stop"), or has shown picture `frame` ("ack").
 * - `peer-input` (gchararray peer-id, gchararray events): input from a
 *   viewer on the fallback: a JSON array of the input data channel's
 *   messages. The signaller's service relays it only for viewers with
 *   control; check again as for the data channel.
 * - `snapshot-requested` (gchararray request-id, gchararray by): someone
 *   (`by`: an API key's name) asks the signalling service for one still of
 *   the session: answer with gv_signaller_send_fallback_picture() with the
 *   request id as the peer, or gv_signaller_refuse_snapshot().
 * - `session-announced` (GstStructure *details): the session can be
 *   joined. The fields are the signaller's, for people and applications
 *   (GvPinSignaller: `session-id`, `pin`, `viewer-url`, `expires-at` (gint64,
 *   Unix seconds), `max-viewers`); gvwebrtcsink posts them on the bus
 *   unread. Emitted again whenever they change (a new PIN).
 *
 * Viewer role:
 * - `admitted` (GvCapabilities capabilities): the host let us in.
 * - `capabilities-changed` (GvCapabilities capabilities): the host changed
 *   what we may do.
 * - `session-ended` (gchararray reason): the host ended the session or
 *   removed us ("host-ended", "removed", ...).
 *
 * Both roles:
 * - `session-description` (gchararray peer-id, GstWebRTCSessionDescription *)
 * - `handle-ice` (gchararray peer-id, guint mline-index, gchararray mid,
 *   gchararray candidate): a remote ICE candidate.
 * - `error` (gchararray code, gchararray message, gboolean fatal):
 *   `message` is a sentence for people; `fatal` means the signaller has
 *   given up (a host's signaller retries lost connections itself and
 *   reports them as non-fatal).
 */
#include "gvsignaller.h"

#include <mutex>

GType gv_signaller_role_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    { GV_SIGNALLER_ROLE_HOST, "Host: open a session and admit viewers", "host" },
    { GV_SIGNALLER_ROLE_VIEWER, "Viewer: join a session", "viewer" },
    { 0, nullptr, nullptr },
  };
  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GvSignallerRole", values);
    g_once_init_leave (&type, t);
  }
  return type;
}

GType gv_capabilities_get_type (void)
{
  /* Made from gv::kCapabilities, the table the wire protocol uses. */
  static GFlagsValue values[gv::kCapabilityCount + 1];
  static GType type = 0;
  if (g_once_init_enter (&type)) {
    for (guint i = 0; i < gv::kCapabilityCount; i++)
      values[i] = { gv::kCapabilities[i].bit, gv::kCapabilities[i].description,
                    gv::kCapabilities[i].name };
    values[gv::kCapabilityCount] = { 0, nullptr, nullptr };
    GType t = g_flags_register_static ("GvCapabilities", values);
    g_once_init_leave (&type, t);
  }
  return type;
}

G_DEFINE_INTERFACE (GvSignaller, gv_signaller, G_TYPE_OBJECT)

static void gv_signaller_default_init (GvSignallerInterface *iface)
{
  GType type = G_TYPE_FROM_INTERFACE (iface);
  auto add = [type] (const char *name, guint n, auto... types) {
    g_signal_new (name, type, G_SIGNAL_RUN_LAST, 0, nullptr, nullptr, nullptr, G_TYPE_NONE, n,
                  types...);
  };
  add ("peer-requested", 2, G_TYPE_STRING, G_TYPE_STRING);
  add ("peer-left", 2, G_TYPE_STRING, G_TYPE_STRING);
  add ("session-announced", 1, GST_TYPE_STRUCTURE);
  add ("peer-report", 2, G_TYPE_STRING, GST_TYPE_STRUCTURE);
  add ("peer-restart", 1, G_TYPE_STRING);
  add ("peer-fallback", 3, G_TYPE_STRING, G_TYPE_STRING, G_TYPE_UINT);
  add ("peer-input", 2, G_TYPE_STRING, G_TYPE_STRING);
  add ("snapshot-requested", 2, G_TYPE_STRING, G_TYPE_STRING);
  add ("admitted", 1, GV_TYPE_CAPABILITIES);
  add ("capabilities-changed", 1, GV_TYPE_CAPABILITIES);
  add ("session-ended", 1, G_TYPE_STRING);
  add ("session-description", 2, G_TYPE_STRING, GST_TYPE_WEBRTC_SESSION_DESCRIPTION);
  add ("handle-ice", 4, G_TYPE_STRING, G_TYPE_UINT, G_TYPE_STRING, G_TYPE_STRING);
  add ("error", 3, G_TYPE_STRING, G_TYPE_STRING, G_TYPE_BOOLEAN);
}

#define CALL_VFUNC(name, ...)                                                                      \
  G_STMT_START                                                                                     \
  {                                                                                                \
    g_return_if_fail (GV_IS_SIGNALLER (self));                                                     \
    GvSignallerInterface *iface = GV_SIGNALLER_GET_IFACE (self);                                   \
    if (iface->name)                                                                               \
      iface->name (__VA_ARGS__);                                                                   \
  }                                                                                                \
  G_STMT_END

void gv_signaller_start (GvSignaller *self)
{
  CALL_VFUNC (start, self);
}

void gv_signaller_stop (GvSignaller *self)
{
  CALL_VFUNC (stop, self);
}

void gv_signaller_send_sdp (GvSignaller *self, const gchar *peer_id,
                            const GstWebRTCSessionDescription *sdp)
{
  CALL_VFUNC (send_sdp, self, peer_id, sdp);
}

void gv_signaller_add_ice (GvSignaller *self, const gchar *peer_id, const gchar *candidate,
                           guint mline_index, const gchar *mid)
{
  CALL_VFUNC (add_ice, self, peer_id, candidate, mline_index, mid);
}

void gv_signaller_remove_peer (GvSignaller *self, const gchar *peer_id)
{
  CALL_VFUNC (remove_peer, self, peer_id);
}

GvCapabilities gv_signaller_requested_capabilities (GvSignaller *self, const gchar *peer_id)
{
  g_return_val_if_fail (GV_IS_SIGNALLER (self), (GvCapabilities) 0);
  GvSignallerInterface *iface = GV_SIGNALLER_GET_IFACE (self);
  return iface->requested_capabilities ? iface->requested_capabilities (self, peer_id)
                                       : (GvCapabilities) 0;
}

gboolean gv_signaller_peer_offers (GvSignaller *self, const gchar *peer_id)
{
  g_return_val_if_fail (GV_IS_SIGNALLER (self), FALSE);
  GvSignallerInterface *iface = GV_SIGNALLER_GET_IFACE (self);
  return iface->peer_offers ? iface->peer_offers (self, peer_id) : FALSE;
}

void gv_signaller_refuse_offer (GvSignaller *self, const gchar *peer_id, const gchar *reason)
{
  g_return_if_fail (GV_IS_SIGNALLER (self));
  GvSignallerInterface *iface = GV_SIGNALLER_GET_IFACE (self);
  if (iface->refuse_offer)
    iface->refuse_offer (self, peer_id, reason);
  else
    gv_signaller_remove_peer (self, peer_id);
}

gboolean gv_signaller_send_fallback_picture (GvSignaller *self, const gchar *peer_id, guint32 frame,
                                             guint width, guint height, GBytes *jpeg)
{
  g_return_val_if_fail (GV_IS_SIGNALLER (self), FALSE);
  GvSignallerInterface *iface = GV_SIGNALLER_GET_IFACE (self);
  return iface->send_fallback_picture
             ? iface->send_fallback_picture (self, peer_id, frame, width, height, jpeg)
             : FALSE;
}

void gv_signaller_refuse_fallback (GvSignaller *self, const gchar *peer_id, const gchar *reason)
{
  CALL_VFUNC (refuse_fallback, self, peer_id, reason);
}

void gv_signaller_refuse_snapshot (GvSignaller *self, const gchar *request_id, const gchar *reason)
{
  CALL_VFUNC (refuse_snapshot, self, request_id, reason);
}

void gv_signaller_accept_peer (GvSignaller *self, const gchar *peer_id, GvCapabilities capabilities)
{
  CALL_VFUNC (accept_peer, self, peer_id, capabilities);
}

void gv_signaller_decline_peer (GvSignaller *self, const gchar *peer_id, const gchar *reason)
{
  CALL_VFUNC (decline_peer, self, peer_id, reason);
}

void gv_signaller_set_capabilities (GvSignaller *self, const gchar *peer_id,
                                    GvCapabilities capabilities)
{
  CALL_VFUNC (set_capabilities, self, peer_id, capabilities);
}

/* ---- ICE servers, kept on the object ---- */

namespace {

struct IceServers {
  std::mutex lock;
  GStrv stun = nullptr;
  GStrv turn = nullptr;
  ~IceServers ()
  {
    g_strfreev (stun);
    g_strfreev (turn);
  }
};

IceServers *ice_servers_of (GvSignaller *self)
{
  static GQuark quark = g_quark_from_static_string ("gv-signaller-ice-servers");
  static std::mutex attach_lock;
  std::lock_guard<std::mutex> guard (attach_lock);
  auto *servers = static_cast<IceServers *> (g_object_get_qdata (G_OBJECT (self), quark));
  if (!servers) {
    servers = new IceServers ();
    g_object_set_qdata_full (G_OBJECT (self), quark, servers,
                             [] (gpointer p) { delete static_cast<IceServers *> (p); });
  }
  return servers;
}

GStrv copy_or_empty (const gchar *const *v)
{
  if (v)
    return g_strdupv ((gchar **) v);
  return g_new0 (gchar *, 1);
}

} // namespace

void gv_signaller_set_ice_servers (GvSignaller *self, const gchar *const *stun_servers,
                                   const gchar *const *turn_servers)
{
  g_return_if_fail (GV_IS_SIGNALLER (self));
  IceServers *servers = ice_servers_of (self);
  std::lock_guard<std::mutex> guard (servers->lock);
  g_strfreev (servers->stun);
  g_strfreev (servers->turn);
  servers->stun = copy_or_empty (stun_servers);
  servers->turn = copy_or_empty (turn_servers);
}

void gv_signaller_dup_ice_servers (GvSignaller *self, gchar ***stun_servers, gchar ***turn_servers)
{
  g_return_if_fail (GV_IS_SIGNALLER (self));
  IceServers *servers = ice_servers_of (self);
  std::lock_guard<std::mutex> guard (servers->lock);
  *stun_servers = copy_or_empty (servers->stun);
  *turn_servers = copy_or_empty (servers->turn);
}
