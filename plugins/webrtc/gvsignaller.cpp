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
 * Signals (all may be emitted from the signaller's own thread):
 *
 * - `session-info` (GstStructure *info): the host registered (structure
 *   `gv-session`: `session-id`, `pin`, `viewer-url`, `expires-at` (gint64,
 *   Unix seconds), `stun-servers`, `turn-servers` (GStrv, in webrtcbin URI
 *   form)) or the viewer was admitted (`session-id`, `peer-id`,
 *   `capabilities` (guint), `stun-servers`, `turn-servers`).
 * - `session-requested` (session-id, name): host only, a viewer asks to join;
 *   answer with accept_session() or decline_session().
 * - `session-description` (session-id, GstWebRTCSessionDescription *)
 * - `handle-ice` (session-id, mline-index, mid, candidate)
 * - `session-ended` (session-id, reason)
 * - `capabilities-changed` (session-id, capabilities): viewer only.
 * - `error` (code, message, fatal): `message` is a sentence for people;
 *   `fatal` means the signaller has given up (a host's signaller retries
 *   lost connections itself and reports them as non-fatal).
 */
#include "gvsignaller.h"

GType gv_signaller_role_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    { GV_SIGNALLER_ROLE_HOST, "Host: register a session and admit viewers", "host" },
    { GV_SIGNALLER_ROLE_VIEWER, "Viewer: join a session by PIN", "viewer" },
    { 0, nullptr, nullptr },
  };
  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GvSignallerRole", values);
    g_once_init_leave (&type, t);
  }
  return type;
}

GType gv_signaller_capabilities_get_type (void)
{
  static GType type = 0;
  static const GFlagsValue values[] = {
    { GV_SIGNALLER_CAP_VIEW, "Watch the stream", "view" },
    { GV_SIGNALLER_CAP_CONTROL, "Mouse, keyboard and touch input", "control" },
    { GV_SIGNALLER_CAP_CLIPBOARD, "Clipboard (reserved)", "clipboard" },
    { GV_SIGNALLER_CAP_FILE, "File transfer (reserved)", "file" },
    { 0, nullptr, nullptr },
  };
  if (g_once_init_enter (&type)) {
    GType t = g_flags_register_static ("GvSignallerCapabilities", values);
    g_once_init_leave (&type, t);
  }
  return type;
}

G_DEFINE_INTERFACE (GvSignaller, gv_signaller, G_TYPE_OBJECT)

static void gv_signaller_default_init (GvSignallerInterface *iface)
{
  (void) iface;
  g_signal_new ("session-info", G_TYPE_FROM_INTERFACE (iface), G_SIGNAL_RUN_LAST, 0, nullptr,
                nullptr, nullptr, G_TYPE_NONE, 1, GST_TYPE_STRUCTURE);
  g_signal_new ("session-requested", G_TYPE_FROM_INTERFACE (iface), G_SIGNAL_RUN_LAST, 0, nullptr,
                nullptr, nullptr, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);
  g_signal_new ("session-description", G_TYPE_FROM_INTERFACE (iface), G_SIGNAL_RUN_LAST, 0, nullptr,
                nullptr, nullptr, G_TYPE_NONE, 2, G_TYPE_STRING,
                GST_TYPE_WEBRTC_SESSION_DESCRIPTION);
  g_signal_new ("handle-ice", G_TYPE_FROM_INTERFACE (iface), G_SIGNAL_RUN_LAST, 0, nullptr, nullptr,
                nullptr, G_TYPE_NONE, 4, G_TYPE_STRING, G_TYPE_UINT, G_TYPE_STRING, G_TYPE_STRING);
  g_signal_new ("session-ended", G_TYPE_FROM_INTERFACE (iface), G_SIGNAL_RUN_LAST, 0, nullptr,
                nullptr, nullptr, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);
  g_signal_new ("capabilities-changed", G_TYPE_FROM_INTERFACE (iface), G_SIGNAL_RUN_LAST, 0,
                nullptr, nullptr, nullptr, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_UINT);
  g_signal_new ("error", G_TYPE_FROM_INTERFACE (iface), G_SIGNAL_RUN_LAST, 0, nullptr, nullptr,
                nullptr, G_TYPE_NONE, 3, G_TYPE_STRING, G_TYPE_STRING, G_TYPE_BOOLEAN);
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

void gv_signaller_send_sdp (GvSignaller *self, const gchar *session_id,
                            const GstWebRTCSessionDescription *sdp)
{
  CALL_VFUNC (send_sdp, self, session_id, sdp);
}

void gv_signaller_add_ice (GvSignaller *self, const gchar *session_id, const gchar *candidate,
                           guint mline_index, const gchar *mid)
{
  CALL_VFUNC (add_ice, self, session_id, candidate, mline_index, mid);
}

void gv_signaller_end_session (GvSignaller *self, const gchar *session_id)
{
  CALL_VFUNC (end_session, self, session_id);
}

void gv_signaller_accept_session (GvSignaller *self, const gchar *session_id, guint capabilities)
{
  CALL_VFUNC (accept_session, self, session_id, capabilities);
}

void gv_signaller_decline_session (GvSignaller *self, const gchar *session_id, const gchar *reason)
{
  CALL_VFUNC (decline_session, self, session_id, reason);
}

void gv_signaller_set_capabilities (GvSignaller *self, const gchar *session_id, guint capabilities)
{
  CALL_VFUNC (set_capabilities, self, session_id, capabilities);
}
