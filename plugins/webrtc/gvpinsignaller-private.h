/* GhostView
 * Copyright (C) 2024 GhostView contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * GvPinSignaller internals shared by its source files: gvpinsignaller.cpp
 * (the object, its thread, the connection and its retries) and
 * gvpinsignaller-protocol.cpp (what each incoming protocol message does).
 */
#pragma once

#include "gvpinsignaller.h"

#include "gvtaskqueue.h"
#include "protocol.h"

#include <libsoup/soup.h>

#include <map>
#include <mutex>
#include <set>
#include <string>

GST_DEBUG_CATEGORY_EXTERN (gv_pin_signaller_debug);

namespace proto = gv::proto;

#define DEFAULT_SERVER "ws://127.0.0.1:8443/ws"
#define DEFAULT_MAX_VIEWERS 1
#define DEFAULT_PIN_TTL 0
#define DEFAULT_ROLE GV_SIGNALLER_ROLE_HOST
#define DEFAULT_JOIN_TIMEOUT 30
/* First retry soon: a restarted server is back within a second or two, and
 * a host that keeps its PIN should be reachable again within 5 s. */
#define RECONNECT_MIN_MS 500
#define RECONNECT_MAX_MS 30000

struct GvPinSignallerPrivate {
  std::mutex lock;
  std::mutex stop_lock; /* held through a stop, never on the signalling thread */
  /* settings */
  std::string server = DEFAULT_SERVER;
  /* host: which of several servers (cluster nodes) to try next */
  guint server_index = 0;
  std::string ca_file;
  bool insecure_tls = false;
  std::string pin;        /* viewer: the PIN to join; host: the session's, once announced */
  std::string viewer_url; /* host: announced with the PIN */
  gint64 expires_at = 0;  /* host: when the PIN expires, Unix seconds */
  std::string name;
  int max_viewers = DEFAULT_MAX_VIEWERS;
  int pin_ttl = DEFAULT_PIN_TTL;
  GvSignallerRole role = DEFAULT_ROLE;
  int join_timeout = DEFAULT_JOIN_TIMEOUT;
  /* viewer: join with this invite link's token instead of the PIN (a
   * secret: never logged) */
  std::string invite_token;
  std::string ingest;      /* viewer: a WHIP relay's receiver (PROTOCOL.md, "WHIP") */
  std::string reservation; /* host: a session API reservation token */
  /* host: an invite link to ask for once registered (0: none), its uses
   * and life in seconds (0: the server's default) */
  guint invite_capabilities = 0;
  int invite_uses = 1;
  int invite_ttl = 0;
  /* host: viewers asking to join with an invite link, what it stands for */
  std::map<std::string, guint> requested_capabilities;
  /* host: viewers that send the offer themselves (WHEP players) */
  std::set<std::string> offering_peers;

  /* the signalling thread: running while started */
  gv::webrtc::TaskThread thread{ "gvpinsignaller" };

  /* below: touched on the signalling thread only */
  SoupSession *http = nullptr; /* the HTTP client the WebSocket comes from */
  GCancellable *cancellable = nullptr;
  SoupWebsocketConnection *ws = nullptr;
  GSource *retry_source = nullptr;
  GSource *join_timer = nullptr;
  guint backoff_ms = RECONNECT_MIN_MS;
  bool admitted = false; /* viewer: joined; host: registered */
  bool failed = false;   /* viewer: a fatal error was reported */
  /* why the server's certificate was refused in the last connection attempt */
  GTlsCertificateFlags tls_rejected = (GTlsCertificateFlags) 0;
  std::string session_id;
  /* host: the server's latest resume token, sent with the next register to
   * keep the PIN (a secret: never logged) */
  std::string resume_token;
  /* host: viewers accepted and not gone, the session's viewer limit counts
   * them (they stay across a reconnection: their media goes on) */
  std::set<std::string> admitted_peers;
  /* host: the session an invite link was asked for (one per session) */
  std::string invite_session;
};

struct _GvPinSignaller {
  GObject parent;
  GvPinSignallerPrivate *priv;
};

/* gvpinsignaller.cpp; signalling thread only */
/* Emits "error"; a fatal one also marks a viewer as failed. */
void gv_pin_signaller_emit_error (GvPinSignaller *self, const char *code,
                                  const std::string &message, bool fatal);
/* Sends a text frame if connected, else drops it with a warning. */
void gv_pin_signaller_send_text (GvPinSignaller *self, const std::string &text);

/* gvpinsignaller-protocol.cpp; signalling thread only */
/* The WebSocket's "message" handler: parses and dispatches one message. */
void gv_pin_signaller_on_ws_message (SoupWebsocketConnection *ws, gint type, GBytes *message,
                                     gpointer user);
