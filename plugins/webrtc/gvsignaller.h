/* GhostView
 * Copyright (C) 2024 GhostView contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * GvSignaller: the interface between the WebRTC bins and a signalling
 * service. The bins call the methods below and listen to the signals
 * documented in gvsignaller.cpp; they never see the wire protocol, PINs or
 * admission rules, which are the signaller's (gst-plugins-rs webrtcsink's
 * Signallable is the model).
 *
 * Words: a *session* is what a host opens and viewers join (one PIN, for
 * GvPinSignaller); a *peer* is one viewer of it, named by a peer id that is
 * unique within the session. A viewer's signaller has one peer, its host,
 * whose id is "".
 *
 * Threads: implementations may emit every signal from a thread of their own;
 * every method may be called from any thread and never blocks on the
 * network.
 */
#pragma once

#include "capabilities.h"

#include <gst/gst.h>
#include <gst/webrtc/webrtc.h>

G_BEGIN_DECLS

/* Which side of a session the signaller speaks for. */
typedef enum {
  GV_SIGNALLER_ROLE_HOST = 0,   /* opens a session, admits viewers, makes offers */
  GV_SIGNALLER_ROLE_VIEWER = 1, /* joins a session, answers the host's offer */
} GvSignallerRole;

#define GV_TYPE_SIGNALLER_ROLE (gv_signaller_role_get_type ())
GType gv_signaller_role_get_type (void);

/* The GFlags type of GvCapabilities (capabilities.h); its nicks are the
 * capabilities' names on the wire. */
#define GV_TYPE_CAPABILITIES (gv_capabilities_get_type ())
GType gv_capabilities_get_type (void);

#define GV_TYPE_SIGNALLER (gv_signaller_get_type ())
G_DECLARE_INTERFACE (GvSignaller, gv_signaller, GV, SIGNALLER, GObject)

struct _GvSignallerInterface {
  GTypeInterface parent_iface;

  /* Connects (host: and opens a session; viewer: and joins). Asynchronous. */
  void (*start) (GvSignaller *self);
  /* Leaves the session, disconnects and stops every retry; blocks until the
   * signaller is idle: no signal is emitted once it returns. */
  void (*stop) (GvSignaller *self);
  void (*send_sdp) (GvSignaller *self, const gchar *peer_id,
                    const GstWebRTCSessionDescription *sdp);
  void (*add_ice) (GvSignaller *self, const gchar *peer_id, const gchar *candidate,
                   guint mline_index, const gchar *mid);
  /* Host: removes the viewer `peer_id` from the session; viewer: leaves. */
  void (*remove_peer) (GvSignaller *self, const gchar *peer_id);
  /* Host only: answer a peer-requested; change an admitted viewer's
   * capabilities (GV_CAPABILITY_VIEW is always added). */
  void (*accept_peer) (GvSignaller *self, const gchar *peer_id, GvCapabilities capabilities);
  void (*decline_peer) (GvSignaller *self, const gchar *peer_id, const gchar *reason);
  void (*set_capabilities) (GvSignaller *self, const gchar *peer_id, GvCapabilities capabilities);
  /* Host only, optional: what a viewer asking to join came with (an invite
   * link that stands for these capabilities); 0 when it came with a PIN, or
   * the signaller does not know. */
  GvCapabilities (*requested_capabilities) (GvSignaller *self, const gchar *peer_id);
  /* Host only, optional (the fallback, signaling/PROTOCOL.md): sends the
   * viewer one JPEG picture of `width`x`height` over the signalling
   * connection, or tells it the fallback is not available and why. FALSE:
   * the signaller has no fallback (or the picture is too large). */
  gboolean (*send_fallback_picture) (GvSignaller *self, const gchar *peer_id, guint32 frame,
                                     guint width, guint height, GBytes *jpeg);
  void (*refuse_fallback) (GvSignaller *self, const gchar *peer_id, const gchar *reason);
  /* Host only, optional: refuses snapshot request `request_id` (answer it
   * with send_fallback_picture () and the request id as the peer). */
  void (*refuse_snapshot) (GvSignaller *self, const gchar *request_id, const gchar *reason);
  /* Host only, optional: whether the viewer `peer_id` sends the SDP offer
   * itself (a WHEP player): the host answers it instead of offering. */
  gboolean (*peer_offers) (GvSignaller *self, const gchar *peer_id);
  /* Host only, optional: removes an admitted viewer whose offer the host
   * cannot answer, telling it why (`reason`, one sentence). */
  void (*refuse_offer) (GvSignaller *self, const gchar *peer_id, const gchar *reason);

  gpointer padding[2];
};

void gv_signaller_start (GvSignaller *self);
void gv_signaller_stop (GvSignaller *self);
void gv_signaller_send_sdp (GvSignaller *self, const gchar *peer_id,
                            const GstWebRTCSessionDescription *sdp);
void gv_signaller_add_ice (GvSignaller *self, const gchar *peer_id, const gchar *candidate,
                           guint mline_index, const gchar *mid);
void gv_signaller_remove_peer (GvSignaller *self, const gchar *peer_id);
void gv_signaller_accept_peer (GvSignaller *self, const gchar *peer_id,
                               GvCapabilities capabilities);
void gv_signaller_decline_peer (GvSignaller *self, const gchar *peer_id, const gchar *reason);
void gv_signaller_set_capabilities (GvSignaller *self, const gchar *peer_id,
                                    GvCapabilities capabilities);
GvCapabilities gv_signaller_requested_capabilities (GvSignaller *self, const gchar *peer_id);
gboolean gv_signaller_send_fallback_picture (GvSignaller *self, const gchar *peer_id, guint32 frame,
                                             guint width, guint height, GBytes *jpeg);
void gv_signaller_refuse_fallback (GvSignaller *self, const gchar *peer_id, const gchar *reason);
void gv_signaller_refuse_snapshot (GvSignaller *self, const gchar *request_id, const gchar *reason);
gboolean gv_signaller_peer_offers (GvSignaller *self, const gchar *peer_id);
void gv_signaller_refuse_offer (GvSignaller *self, const gchar *peer_id, const gchar *reason);

/* ICE servers for the peer connections, in webrtcbin's URI form
 * ("stun://host:port", "turn://user:password@host:port?transport=udp").
 * Implementations set them (NULL: none) before they emit peer-requested or
 * admitted; the bins read them when they make a webrtcbin. */
void gv_signaller_set_ice_servers (GvSignaller *self, const gchar *const *stun_servers,
                                   const gchar *const *turn_servers);
/* Copies of the current lists (never NULL; free with g_strfreev). */
void gv_signaller_dup_ice_servers (GvSignaller *self, gchar ***stun_servers, gchar ***turn_servers);

/* Error codes carried by the "error" signal besides the protocol's own
 * (PIN_INVALID, PIN_EXPIRED, ...): */
#define GV_SIGNALLER_ERROR_UNREACHABLE "UNREACHABLE"   /* could not connect */
#define GV_SIGNALLER_ERROR_DISCONNECTED "DISCONNECTED" /* connection lost */
#define GV_SIGNALLER_ERROR_TIMEOUT "TIMEOUT"           /* the other side never answered */

G_END_DECLS
