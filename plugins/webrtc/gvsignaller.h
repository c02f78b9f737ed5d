/* GhostView
 * Copyright (C) 2024 GhostView contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * GvSignaller: the interface between the WebRTC bins and a signalling
 * service. The bins call start/stop/send-sdp/add-ice/end-session and the
 * session-admission methods, and listen to the signals below; they never see
 * the wire protocol. A new signalling service is a new object implementing
 * this interface (gst-plugins-rs webrtcsink's Signallable is the model).
 *
 * Threads: implementations may emit every signal from a thread of their own;
 * every method may be called from any thread and never blocks on the network.
 */
#pragma once

#include <gst/gst.h>
#include <gst/webrtc/webrtc.h>

G_BEGIN_DECLS

/* Which side of a session the signaller speaks for. */
typedef enum {
  GV_SIGNALLER_ROLE_HOST = 0,   /* registers a session, admits viewers, makes offers */
  GV_SIGNALLER_ROLE_VIEWER = 1, /* joins by PIN, answers the host's offer */
} GvSignallerRole;

#define GV_TYPE_SIGNALLER_ROLE (gv_signaller_role_get_type ())
GType gv_signaller_role_get_type (void);

/* Capabilities a host grants a viewer (same bits as the wire protocol). */
typedef enum {
  GV_SIGNALLER_CAP_VIEW = 1 << 0,
  GV_SIGNALLER_CAP_CONTROL = 1 << 1,
  GV_SIGNALLER_CAP_CLIPBOARD = 1 << 2,
  GV_SIGNALLER_CAP_FILE = 1 << 3,
} GvSignallerCapabilities;

#define GV_TYPE_SIGNALLER_CAPABILITIES (gv_signaller_capabilities_get_type ())
GType gv_signaller_capabilities_get_type (void);

#define GV_TYPE_SIGNALLER (gv_signaller_get_type ())
G_DECLARE_INTERFACE (GvSignaller, gv_signaller, GV, SIGNALLER, GObject)

struct _GvSignallerInterface {
  GTypeInterface parent_iface;

  /* Connects (host: and registers; viewer: and joins). Asynchronous. */
  void (*start) (GvSignaller *self);
  /* Disconnects and stops every retry; blocks until the signaller is idle. */
  void (*stop) (GvSignaller *self);
  void (*send_sdp) (GvSignaller *self, const gchar *session_id,
                    const GstWebRTCSessionDescription *sdp);
  void (*add_ice) (GvSignaller *self, const gchar *session_id, const gchar *candidate,
                   guint mline_index, const gchar *mid);
  /* Host: removes the viewer `session_id`; viewer: leaves. */
  void (*end_session) (GvSignaller *self, const gchar *session_id);
  /* Host only: answer a session-requested, change a viewer's capabilities. */
  void (*accept_session) (GvSignaller *self, const gchar *session_id, guint capabilities);
  void (*decline_session) (GvSignaller *self, const gchar *session_id, const gchar *reason);
  void (*set_capabilities) (GvSignaller *self, const gchar *session_id, guint capabilities);

  gpointer padding[8];
};

void gv_signaller_start (GvSignaller *self);
void gv_signaller_stop (GvSignaller *self);
void gv_signaller_send_sdp (GvSignaller *self, const gchar *session_id,
                            const GstWebRTCSessionDescription *sdp);
void gv_signaller_add_ice (GvSignaller *self, const gchar *session_id, const gchar *candidate,
                           guint mline_index, const gchar *mid);
void gv_signaller_end_session (GvSignaller *self, const gchar *session_id);
void gv_signaller_accept_session (GvSignaller *self, const gchar *session_id, guint capabilities);
void gv_signaller_decline_session (GvSignaller *self, const gchar *session_id, const gchar *reason);
void gv_signaller_set_capabilities (GvSignaller *self, const gchar *session_id, guint capabilities);

/* Error codes carried by the "error" signal besides the protocol's own
 * (PIN_INVALID, PIN_EXPIRED, ...): */
#define GV_SIGNALLER_ERROR_UNREACHABLE "UNREACHABLE"   /* could not connect */
#define GV_SIGNALLER_ERROR_DISCONNECTED "DISCONNECTED" /* connection lost */

G_END_DECLS
