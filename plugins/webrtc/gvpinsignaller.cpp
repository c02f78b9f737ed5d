/* GhostView
 * Copyright (C) 2024 GhostView contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
/**
 * SECTION:gvpinsignaller
 * @title: GvPinSignaller
 * @short_description: the default GvSignaller: GhostView's PIN protocol over
 * a libsoup WebSocket
 *
 * Speaks signaling/PROTOCOL.md through the one definition in
 * signaling/protocol.h. It runs its own thread with its own GMainContext, so
 * no GStreamer thread ever waits on the network. Its properties are reached
 * from a launch line through the bin's `signaller` child:
 * `gvwebrtcsink signaller::server=wss://example.com/ws signaller::ca-file=ca.pem`.
 *
 * As a host it reconnects after a lost or refused connection with an
 * exponential backoff (0.5 s doubling up to 30 s) and registers again with
 * the server's resume token, keeping its session and PIN — also across a
 * restart of a server that has a `--session-key-file`. With several servers
 * in `server` (comma-separated nodes of a `--redis` cluster sharing one
 * session key) each retry goes to the next, so a host whose node stopped
 * resumes its session, PIN and all, on another. When the server
 * refuses the token (expired PIN, another key, the PIN taken) it registers a
 * new session with a new PIN and says so in a non-fatal error. Media of
 * viewers already connected is not affected. As a viewer every failure
 * before admission is fatal and reported once.
 *
 * The session's rules are all here: the PIN and its lifetime (`pin-ttl`),
 * how many viewers it admits (`max-viewers`: the PIN's number of uses, and
 * the viewers admitted at once — a join beyond it is declined with "The
 * session is full." before the element is asked), the viewer URL. The host
 * element only sees `peer-requested` for viewers within those rules, and
 * `session-announced` with `session-id`, `pin`, `viewer-url`, `expires-at`
 * and `max-viewers`. An application that holds the signaller reads the same
 * as typed properties: `pin`, `viewer-url` and `expires-at` (notified on
 * every registration).
 *
 * Invite links (PROTOCOL.md, "Invite links"): a host with `invite` set
 * (capabilities, e.g. `invite=view+control`) asks for one link per session
 * once registered (`invite-uses` viewers, `invite-ttl` seconds) and announces
 * it with `session-announced` and a "gv-invite" structure: `invite-url`,
 * `capabilities`, `uses`, `expires-at`. A viewer who joins with a link is
 * announced with `peer-requested` like any other (within `max-viewers`);
 * `gv_signaller_requested_capabilities ()` tells the element what the link
 * stands for. A viewer signaller with `invite-token` joins with a link's
 * token instead of a PIN:
 * |[
 * gst-launch-1.0 gvwebrtcsrc signaller::server=ws://127.0.0.1:8443/ws \
 *     signaller::invite-token=i1.… ! videoconvert ! autovideosink
 * ]|
 */
#include "gvpinsignaller-private.h"

#include "fallback_frame.h"

#include <glib/gstdio.h>

#include <cerrno>
#include <fcntl.h>

#include <functional>

GST_DEBUG_CATEGORY (gv_pin_signaller_debug);
#define GST_CAT_DEFAULT gv_pin_signaller_debug

enum {
  PROP_0,
  PROP_SERVER,
  PROP_CA_FILE,
  PROP_INSECURE_TLS,
  PROP_PIN,
  PROP_NAME,
  PROP_MAX_VIEWERS,
  PROP_PIN_TTL,
  PROP_ROLE,
  PROP_JOIN_TIMEOUT,
  PROP_VIEWER_URL,
  PROP_EXPIRES_AT,
  PROP_INVITE,
  PROP_INVITE_USES,
  PROP_INVITE_TTL,
  PROP_INVITE_TOKEN,
  PROP_RESERVATION,
  PROP_INGEST,
};

static void gv_pin_signaller_iface_init (GvSignallerInterface *iface);

G_DEFINE_TYPE_WITH_CODE (GvPinSignaller, gv_pin_signaller, G_TYPE_OBJECT,
                         G_IMPLEMENT_INTERFACE (GV_TYPE_SIGNALLER, gv_pin_signaller_iface_init));

static void connect_to_server (GvPinSignaller *self);

/* ---- running code on the signalling thread ---- */

/* Runs `fn` on the signalling thread, holding a reference; dropped when
 * the signaller is not started. */
static void run_on_thread (GvPinSignaller *self, std::function<void ()> fn)
{
  auto hold = std::shared_ptr<GvPinSignaller> (GV_PIN_SIGNALLER (g_object_ref (self)),
                                               [] (GvPinSignaller *s) { g_object_unref (s); });
  if (!self->priv->thread.post ([hold, fn = std::move (fn)] () { fn (); }))
    GST_DEBUG_OBJECT (self, "not started, dropping a request");
}

void gv_pin_signaller_emit_error (GvPinSignaller *self, const char *code,
                                  const std::string &message, bool fatal)
{
  GST_INFO_OBJECT (self, "error %s (%s): %s", code, fatal ? "fatal" : "non-fatal",
                   message.c_str ());
  if (fatal)
    self->priv->failed = true;
  g_signal_emit_by_name (self, "error", code, message.c_str (), (gboolean) fatal);
}

void gv_pin_signaller_send_text (GvPinSignaller *self, const std::string &text)
{
  GvPinSignallerPrivate *priv = self->priv;
  if (!priv->ws || soup_websocket_connection_get_state (priv->ws) != SOUP_WEBSOCKET_STATE_OPEN) {
    GST_WARNING_OBJECT (self, "not connected, dropping %.60s", text.c_str ());
    return;
  }
  if (text.find ("\"resume_token\"") == std::string::npos)
    GST_LOG_OBJECT (self, "-> %.200s", text.c_str ());
  else
    GST_LOG_OBJECT (self, "-> a register with its resume token (not logged)");
  soup_websocket_connection_send_text (priv->ws, text.c_str ());
}

/* ---- connection lifecycle ---- */

/* The server to try now: `server` is one WebSocket URL, or several
 * separated by commas or spaces (nodes of a cluster), tried in turn. Called
 * with priv->lock held. */
static std::string current_server_locked (GvPinSignallerPrivate *priv)
{
  std::vector<std::string> urls;
  gchar **parts = g_strsplit_set (priv->server.c_str (), ", ", -1);
  for (gchar **p = parts; *p; p++)
    if (**p)
      urls.push_back (*p);
  g_strfreev (parts);
  return urls.empty () ? priv->server : urls[priv->server_index % urls.size ()];
}

static gboolean retry_cb (gpointer user)
{
  auto *self = GV_PIN_SIGNALLER (user);
  g_clear_pointer (&self->priv->retry_source, g_source_unref);
  connect_to_server (self);
  return G_SOURCE_REMOVE;
}

/* Host: try again later. Viewer: report and give up. */
static void connection_failed (GvPinSignaller *self, const char *code, const std::string &why)
{
  GvPinSignallerPrivate *priv = self->priv;
  if (priv->cancellable && g_cancellable_is_cancelled (priv->cancellable))
    return;
  if (priv->role == GV_SIGNALLER_ROLE_VIEWER) {
    if (priv->failed)
      return;
    /* An admitted viewer keeps its media; only later joins are affected. */
    gv_pin_signaller_emit_error (self, code, why, !priv->admitted);
    return;
  }
  guint delay = priv->backoff_ms;
  priv->backoff_ms = MIN (priv->backoff_ms * 2, (guint) RECONNECT_MAX_MS);
  {
    std::lock_guard<std::mutex> guard (priv->lock);
    priv->server_index++; /* the next server of several, if there are */
  }
  priv->admitted = false;
  gv_pin_signaller_emit_error (
      self, code, why + "; retrying in " + std::to_string (delay / 1000.0).substr (0, 3) + " s",
      false);
  if (priv->retry_source)
    return;
  priv->retry_source = g_timeout_source_new (delay);
  g_source_set_callback (priv->retry_source, retry_cb, self, nullptr);
  g_source_attach (priv->retry_source, g_main_context_get_thread_default ());
}

static void on_ws_closed (SoupWebsocketConnection *ws, gpointer user)
{
  auto *self = GV_PIN_SIGNALLER (user);
  GvPinSignallerPrivate *priv = self->priv;
  if (ws != priv->ws)
    return;
  gushort code = soup_websocket_connection_get_close_code (ws);
  GST_INFO_OBJECT (self, "connection closed (code %u)", code);
  g_signal_handlers_disconnect_by_data (ws, self);
  g_clear_object (&priv->ws);
  std::string server;
  {
    std::lock_guard<std::mutex> guard (priv->lock);
    server = current_server_locked (priv);
  }
  connection_failed (self, GV_SIGNALLER_ERROR_DISCONNECTED,
                     "The connection to the signalling server at " + server + " was lost");
}

static void on_ws_error (SoupWebsocketConnection *, GError *error, gpointer user)
{
  GST_WARNING_OBJECT (user, "websocket error: %s", error->message);
}

static gboolean join_timeout_cb (gpointer user)
{
  auto *self = GV_PIN_SIGNALLER (user);
  GvPinSignallerPrivate *priv = self->priv;
  g_clear_pointer (&priv->join_timer, g_source_unref);
  if (!priv->admitted && !priv->failed) {
    gv_pin_signaller_emit_error (self, "TIMEOUT",
                                 "The host did not answer the request to join within " +
                                     std::to_string (priv->join_timeout) + " seconds.",
                                 true);
    if (priv->ws)
      soup_websocket_connection_close (priv->ws, SOUP_WEBSOCKET_CLOSE_NORMAL, nullptr);
  }
  return G_SOURCE_REMOVE;
}

/* The reasons GLib gives for refusing a certificate, as words. */
static std::string describe_certificate_errors (GTlsCertificateFlags errors)
{
  static const struct {
    GTlsCertificateFlags flag;
    const char *words;
  } reasons[] = {
    { G_TLS_CERTIFICATE_UNKNOWN_CA, "it is not signed by a trusted certificate authority" },
    { G_TLS_CERTIFICATE_BAD_IDENTITY, "it was issued for another host name" },
    { G_TLS_CERTIFICATE_NOT_ACTIVATED, "it is not valid yet" },
    { G_TLS_CERTIFICATE_EXPIRED, "it has expired" },
    { G_TLS_CERTIFICATE_REVOKED, "it was revoked" },
    { G_TLS_CERTIFICATE_INSECURE, "it uses an insecure algorithm" },
  };
  std::string out;
  for (const auto &r : reasons) {
    if (!(errors & r.flag))
      continue;
    out += out.empty () ? "" : ", ";
    out += r.words;
  }
  return out.empty () ? "it could not be verified" : out;
}

/* A refused certificate is a setting to change, not a network problem: say
 * which setting. */
static std::string untrusted_certificate_message (GvPinSignaller *self, const std::string &server,
                                                  const GError *err)
{
  GvPinSignallerPrivate *priv = self->priv;
  std::string ca_file;
  {
    std::lock_guard<std::mutex> guard (priv->lock);
    ca_file = priv->ca_file;
  }
  std::string why = priv->tls_rejected
                        ? describe_certificate_errors (priv->tls_rejected)
                        : std::string ("it could not be verified (") + err->message + ")";
  std::string message =
      "The signalling server at " + server + " presented a TLS certificate that is not trusted: ";
  if (ca_file.empty ())
    return message + why +
           ". Trust the server's certificate authority with signaller::ca-file=<PEM file>, "
           "or, for development only, set signaller::insecure-tls=true";
  return message + why + ". Check that signaller::ca-file=" + ca_file +
         " holds the authority that signed the server's certificate";
}

static void on_connected (GObject *source, GAsyncResult *res, gpointer user)
{
  auto *self = GV_PIN_SIGNALLER (user);
  GvPinSignallerPrivate *priv = self->priv;
  GError *err = nullptr;
  SoupWebsocketConnection *ws =
      soup_session_websocket_connect_finish (SOUP_SESSION (source), res, &err);
  if (!ws) {
    bool cancelled = g_error_matches (err, G_IO_ERROR, G_IO_ERROR_CANCELLED);
    std::string server;
    {
      std::lock_guard<std::mutex> guard (priv->lock);
      server = current_server_locked (priv);
    }
    std::string why =
        g_error_matches (err, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE) || priv->tls_rejected
            ? untrusted_certificate_message (self, server, err)
            : "Cannot reach the signalling server at " + server + ": " + err->message;
    g_error_free (err);
    if (!cancelled)
      connection_failed (self, GV_SIGNALLER_ERROR_UNREACHABLE, why);
    g_object_unref (self);
    return;
  }
  priv->ws = ws;
  soup_websocket_connection_set_max_incoming_payload_size (ws, 1024 * 1024);
  soup_websocket_connection_set_keepalive_interval (ws, 15);
  g_signal_connect (ws, "message", G_CALLBACK (gv_pin_signaller_on_ws_message), self);
  g_signal_connect (ws, "closed", G_CALLBACK (on_ws_closed), self);
  g_signal_connect (ws, "error", G_CALLBACK (on_ws_error), self);

  std::string text;
  {
    std::lock_guard<std::mutex> guard (priv->lock);
    if (priv->role == GV_SIGNALLER_ROLE_HOST) {
      proto::RegisterParams params;
      params.max_viewers = priv->max_viewers;
      params.pin_ttl_s = priv->pin_ttl;
      params.name = priv->name;
      params.resume_token = priv->resume_token;
      /* A reservation is claimed once; a reconnect resumes the session. */
      if (priv->resume_token.empty ())
        params.reservation = priv->reservation;
      text = proto::make_register (params);
    } else {
      text = !priv->ingest.empty () ? proto::make_join_for_ingest (priv->ingest, priv->name)
             : !priv->invite_token.empty ()
                 ? proto::make_join_by_invite (priv->invite_token, priv->name)
                 : proto::make_join (priv->pin, priv->name);
    }
  }
  GST_INFO_OBJECT (self, "connected, %s",
                   priv->role == GV_SIGNALLER_ROLE_HOST ? "registering" : "joining");
  gv_pin_signaller_send_text (self, text);
  if (priv->role == GV_SIGNALLER_ROLE_VIEWER && priv->join_timeout > 0 && !priv->join_timer) {
    priv->join_timer = g_timeout_source_new_seconds (priv->join_timeout);
    g_source_set_callback (priv->join_timer, join_timeout_cb, self, nullptr);
    g_source_attach (priv->join_timer, g_main_context_get_thread_default ());
  }
  g_object_unref (self);
}

static gboolean accept_any_certificate (SoupMessage *, GTlsCertificate *, GTlsCertificateFlags,
                                        gpointer)
{
  return TRUE;
}

/* Refuses the certificate, as libsoup would, remembering why for the error
 * message (libsoup's own says only "Unacceptable TLS certificate"). */
static gboolean remember_certificate_errors (SoupMessage *, GTlsCertificate *,
                                             GTlsCertificateFlags errors, gpointer user)
{
  GV_PIN_SIGNALLER (user)->priv->tls_rejected = errors;
  return FALSE;
}

static void connect_to_server (GvPinSignaller *self)
{
  GvPinSignallerPrivate *priv = self->priv;
  std::string server, ca_file;
  bool insecure;
  {
    std::lock_guard<std::mutex> guard (priv->lock);
    server = current_server_locked (priv);
    ca_file = priv->ca_file;
    insecure = priv->insecure_tls;
  }
  if (!priv->http) {
    GTlsDatabase *db = nullptr;
    if (!ca_file.empty ()) {
      /* GnuTLS says only "Error while reading file" for a file that is not
       * there: ask the system why first. */
      std::string why;
      int fd = g_open (ca_file.c_str (), O_RDONLY, 0);
      if (fd < 0)
        why = g_strerror (errno);
      else
        g_close (fd, nullptr);
      GError *err = nullptr;
      if (why.empty ())
        db = g_tls_file_database_new (ca_file.c_str (), &err);
      if (!db) {
        gv_pin_signaller_emit_error (self, GV_SIGNALLER_ERROR_UNREACHABLE,
                                     "Cannot read the CA file " + ca_file +
                                         " (signaller::ca-file): " + (err ? err->message : why),
                                     true);
        g_clear_error (&err);
        return;
      }
    }
    priv->http = soup_session_new ();
    if (db) {
      soup_session_set_tls_database (priv->http, db);
      g_object_unref (db);
    }
  }
  GError *err = nullptr;
  GUri *uri = g_uri_parse (server.c_str (), (GUriFlags) (SOUP_HTTP_URI_FLAGS), &err);
  if (!uri) {
    gv_pin_signaller_emit_error (
        self, GV_SIGNALLER_ERROR_UNREACHABLE,
        "The signalling server address \"" + server + "\" is not a valid URI", true);
    g_error_free (err);
    return;
  }
  SoupMessage *msg = soup_message_new_from_uri (SOUP_METHOD_GET, uri);
  g_uri_unref (uri);
  priv->tls_rejected = (GTlsCertificateFlags) 0;
  if (insecure)
    g_signal_connect (msg, "accept-certificate", G_CALLBACK (accept_any_certificate), nullptr);
  else
    g_signal_connect (msg, "accept-certificate", G_CALLBACK (remember_certificate_errors), self);
  GST_INFO_OBJECT (self, "connecting to %s", server.c_str ());
  soup_session_websocket_connect_async (priv->http, msg, nullptr, nullptr, G_PRIORITY_DEFAULT,
                                        priv->cancellable, on_connected, g_object_ref (self));
  g_object_unref (msg);
}

/* ---- GvSignaller ---- */

static void signaller_start (GvSignaller *signaller)
{
  auto *self = GV_PIN_SIGNALLER (signaller);
  GvPinSignallerPrivate *priv = self->priv;
  if (priv->thread.running ())
    return;
  {
    std::lock_guard<std::mutex> guard (priv->lock);
    g_clear_object (&priv->cancellable);
    priv->cancellable = g_cancellable_new ();
    priv->backoff_ms = RECONNECT_MIN_MS;
    priv->admitted = false;
    priv->failed = false;
    priv->admitted_peers.clear (); /* the thread is not running yet */
    priv->resume_token.clear ();   /* a new start is a new session */
  }
  priv->thread.start ();
  run_on_thread (self, [self] () { connect_to_server (self); });
}

/* Leaves the session (host: "end", viewer: "leave") and closes everything
 * of the connection. On the signalling thread. */
static void teardown_on_thread (GvPinSignaller *self, GCancellable *cancellable)
{
  GvPinSignallerPrivate *priv = self->priv;
  g_cancellable_cancel (cancellable);
  if (priv->retry_source) {
    g_source_destroy (priv->retry_source);
    g_clear_pointer (&priv->retry_source, g_source_unref);
  }
  if (priv->join_timer) {
    g_source_destroy (priv->join_timer);
    g_clear_pointer (&priv->join_timer, g_source_unref);
  }
  if (priv->ws) {
    g_signal_handlers_disconnect_by_data (priv->ws, self);
    if (soup_websocket_connection_get_state (priv->ws) == SOUP_WEBSOCKET_STATE_OPEN) {
      if (priv->admitted)
        gv_pin_signaller_send_text (
            self, priv->role == GV_SIGNALLER_ROLE_HOST ? proto::make_end () : proto::make_leave ());
      soup_websocket_connection_close (priv->ws, SOUP_WEBSOCKET_CLOSE_NORMAL, nullptr);
    }
    g_clear_object (&priv->ws);
  }
  if (priv->http)
    soup_session_abort (priv->http);
  g_clear_object (&priv->http);
}

static void signaller_stop (GvSignaller *signaller)
{
  auto *self = GV_PIN_SIGNALLER (signaller);
  GvPinSignallerPrivate *priv = self->priv;
  if (!priv->thread.running ())
    return;
  bool own_thread = priv->thread.is_current ();
  /* Two stops at once (a bin's end of stream and its state change) must not
   * both join the thread; the second waits until the first is done. */
  std::unique_lock<std::mutex> serial (priv->stop_lock, std::defer_lock);
  if (!own_thread)
    serial.lock ();
  if (!priv->thread.running ())
    return;
  GCancellable *cancellable;
  {
    std::lock_guard<std::mutex> guard (priv->lock);
    cancellable = G_CANCELLABLE (g_object_ref (priv->cancellable));
  }
  if (own_thread) {
    /* Stopped from one of our own signal handlers: the thread ends once the
     * handler returns. */
    teardown_on_thread (self, cancellable);
  } else {
    priv->thread.post ([self, cancellable] () { teardown_on_thread (self, cancellable); });
  }
  priv->thread.stop ();
  g_object_unref (cancellable);
}

static void send_on_thread (GvPinSignaller *self, std::string msg)
{
  run_on_thread (self, [self, msg] () { gv_pin_signaller_send_text (self, msg); });
}

static void signaller_send_sdp (GvSignaller *signaller, const gchar *peer_id,
                                const GstWebRTCSessionDescription *sdp)
{
  auto *self = GV_PIN_SIGNALLER (signaller);
  gchar *text = gst_sdp_message_as_text (sdp->sdp);
  std::string peer = self->priv->role == GV_SIGNALLER_ROLE_HOST ? peer_id : "";
  std::string msg =
      proto::make_sdp (peer, sdp->type == GST_WEBRTC_SDP_TYPE_OFFER ? "offer" : "answer", text);
  g_free (text);
  send_on_thread (self, std::move (msg));
}

static void signaller_add_ice (GvSignaller *signaller, const gchar *peer_id, const gchar *candidate,
                               guint mline_index, const gchar *mid)
{
  auto *self = GV_PIN_SIGNALLER (signaller);
  std::string peer = self->priv->role == GV_SIGNALLER_ROLE_HOST ? peer_id : "";
  send_on_thread (self,
                  proto::make_ice (peer, candidate ? candidate : "", mline_index, mid ? mid : ""));
}

static void kick (GvPinSignaller *self, const std::string &peer, const std::string &reason)
{
  {
    std::lock_guard<std::mutex> guard (self->priv->lock);
    self->priv->offering_peers.erase (peer);
  }
  run_on_thread (self, [self, peer, reason] () {
    self->priv->admitted_peers.erase (peer);
    gv_pin_signaller_send_text (self, proto::make_kick (peer, reason));
  });
}

static void signaller_remove_peer (GvSignaller *signaller, const gchar *peer_id)
{
  auto *self = GV_PIN_SIGNALLER (signaller);
  if (self->priv->role != GV_SIGNALLER_ROLE_HOST) {
    send_on_thread (self, proto::make_leave ());
    return;
  }
  kick (self, peer_id ? peer_id : "", "removed by the host");
}

static gboolean signaller_peer_offers (GvSignaller *signaller, const gchar *peer_id)
{
  GvPinSignallerPrivate *priv = GV_PIN_SIGNALLER (signaller)->priv;
  std::lock_guard<std::mutex> guard (priv->lock);
  return priv->offering_peers.count (peer_id ? peer_id : "") > 0;
}

static void signaller_refuse_offer (GvSignaller *signaller, const gchar *peer_id,
                                    const gchar *reason)
{
  auto *self = GV_PIN_SIGNALLER (signaller);
  if (self->priv->role == GV_SIGNALLER_ROLE_HOST)
    kick (self, peer_id ? peer_id : "", reason ? reason : "");
}

static void signaller_accept_peer (GvSignaller *signaller, const gchar *peer_id,
                                   GvCapabilities capabilities)
{
  auto *self = GV_PIN_SIGNALLER (signaller);
  std::string peer = peer_id ? peer_id : "";
  std::string msg = proto::make_accept (peer, capabilities | GV_CAPABILITY_VIEW);
  {
    std::lock_guard<std::mutex> guard (self->priv->lock);
    self->priv->requested_capabilities.erase (peer);
  }
  run_on_thread (self, [self, peer, msg] () {
    self->priv->admitted_peers.insert (peer);
    gv_pin_signaller_send_text (self, msg);
  });
}

static void signaller_decline_peer (GvSignaller *signaller, const gchar *peer_id,
                                    const gchar *reason)
{
  auto *self = GV_PIN_SIGNALLER (signaller);
  send_on_thread (self, proto::make_decline (peer_id ? peer_id : "", reason ? reason : ""));
}

static void signaller_set_capabilities (GvSignaller *signaller, const gchar *peer_id,
                                        GvCapabilities capabilities)
{
  auto *self = GV_PIN_SIGNALLER (signaller);
  send_on_thread (self,
                  proto::make_grant (peer_id ? peer_id : "", capabilities | GV_CAPABILITY_VIEW));
}

static GvCapabilities signaller_requested_capabilities (GvSignaller *signaller,
                                                        const gchar *peer_id)
{
  GvPinSignallerPrivate *priv = GV_PIN_SIGNALLER (signaller)->priv;
  std::lock_guard<std::mutex> guard (priv->lock);
  auto it = priv->requested_capabilities.find (peer_id ? peer_id : "");
  return (GvCapabilities) (it == priv->requested_capabilities.end () ? 0 : it->second);
}

static gboolean signaller_send_fallback_picture (GvSignaller *signaller, const gchar *peer_id,
                                                 guint32 frame, guint width, guint height,
                                                 GBytes *jpeg)
{
  auto *self = GV_PIN_SIGNALLER (signaller);
  gsize size = 0;
  const auto *data = static_cast<const guint8 *> (g_bytes_get_data (jpeg, &size));
  GBytes *message =
      proto::make_fallback_frame (peer_id ? peer_id : "", frame, width, height, data, size);
  if (!message || self->priv->role != GV_SIGNALLER_ROLE_HOST) {
    if (message)
      g_bytes_unref (message);
    return FALSE;
  }
  auto held = std::shared_ptr<GBytes> (message, g_bytes_unref);
  run_on_thread (self, [self, held] () {
    GvPinSignallerPrivate *priv = self->priv;
    if (priv->ws && soup_websocket_connection_get_state (priv->ws) == SOUP_WEBSOCKET_STATE_OPEN)
      soup_websocket_connection_send_message (priv->ws, SOUP_WEBSOCKET_DATA_BINARY, held.get ());
  });
  return TRUE;
}

static void signaller_refuse_fallback (GvSignaller *signaller, const gchar *peer_id,
                                       const gchar *reason)
{
  send_on_thread (GV_PIN_SIGNALLER (signaller),
                  proto::make_fallback (peer_id ? peer_id : "", proto::kFallbackUnavailable, 0,
                                        reason ? reason : ""));
}

static void signaller_refuse_snapshot (GvSignaller *signaller, const gchar *request_id,
                                       const gchar *reason)
{
  send_on_thread (GV_PIN_SIGNALLER (signaller),
                  proto::make_snapshot (request_id ? request_id : "", "", reason ? reason : ""));
}

static void gv_pin_signaller_iface_init (GvSignallerInterface *iface)
{
  iface->refuse_snapshot = signaller_refuse_snapshot;
  iface->send_fallback_picture = signaller_send_fallback_picture;
  iface->refuse_fallback = signaller_refuse_fallback;
  iface->requested_capabilities = signaller_requested_capabilities;
  iface->peer_offers = signaller_peer_offers;
  iface->refuse_offer = signaller_refuse_offer;
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

static void gv_pin_signaller_set_property (GObject *object, guint prop_id, const GValue *value,
                                           GParamSpec *pspec)
{
  auto *self = GV_PIN_SIGNALLER (object);
  std::lock_guard<std::mutex> guard (self->priv->lock);
  GvPinSignallerPrivate *priv = self->priv;
  switch (prop_id) {
  case PROP_SERVER:
    priv->server = g_value_get_string (value) ? g_value_get_string (value) : DEFAULT_SERVER;
    break;
  case PROP_CA_FILE:
    priv->ca_file = g_value_get_string (value) ? g_value_get_string (value) : "";
    break;
  case PROP_INSECURE_TLS:
    priv->insecure_tls = g_value_get_boolean (value);
    break;
  case PROP_PIN:
    priv->pin = g_value_get_string (value) ? g_value_get_string (value) : "";
    break;
  case PROP_NAME:
    priv->name = g_value_get_string (value) ? g_value_get_string (value) : "";
    break;
  case PROP_MAX_VIEWERS:
    priv->max_viewers = g_value_get_int (value);
    break;
  case PROP_PIN_TTL:
    priv->pin_ttl = g_value_get_int (value);
    break;
  case PROP_ROLE:
    priv->role = (GvSignallerRole) g_value_get_enum (value);
    break;
  case PROP_INVITE:
    priv->invite_capabilities = g_value_get_flags (value);
    break;
  case PROP_INVITE_USES:
    priv->invite_uses = g_value_get_int (value);
    break;
  case PROP_INVITE_TTL:
    priv->invite_ttl = g_value_get_int (value);
    break;
  case PROP_INVITE_TOKEN:
    priv->invite_token = g_value_get_string (value) ? g_value_get_string (value) : "";
    break;
  case PROP_RESERVATION:
    priv->reservation = g_value_get_string (value) ? g_value_get_string (value) : "";
    break;
  case PROP_INGEST:
    priv->ingest = g_value_get_string (value) ? g_value_get_string (value) : "";
    break;
  case PROP_JOIN_TIMEOUT:
    priv->join_timeout = g_value_get_int (value);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    break;
  }
}

static void gv_pin_signaller_get_property (GObject *object, guint prop_id, GValue *value,
                                           GParamSpec *pspec)
{
  auto *self = GV_PIN_SIGNALLER (object);
  std::lock_guard<std::mutex> guard (self->priv->lock);
  GvPinSignallerPrivate *priv = self->priv;
  switch (prop_id) {
  case PROP_SERVER:
    g_value_set_string (value, priv->server.c_str ());
    break;
  case PROP_CA_FILE:
    g_value_set_string (value, priv->ca_file.c_str ());
    break;
  case PROP_INSECURE_TLS:
    g_value_set_boolean (value, priv->insecure_tls);
    break;
  case PROP_PIN:
    g_value_set_string (value, priv->pin.c_str ());
    break;
  case PROP_NAME:
    g_value_set_string (value, priv->name.c_str ());
    break;
  case PROP_MAX_VIEWERS:
    g_value_set_int (value, priv->max_viewers);
    break;
  case PROP_PIN_TTL:
    g_value_set_int (value, priv->pin_ttl);
    break;
  case PROP_ROLE:
    g_value_set_enum (value, priv->role);
    break;
  case PROP_INVITE:
    g_value_set_flags (value, priv->invite_capabilities);
    break;
  case PROP_INVITE_USES:
    g_value_set_int (value, priv->invite_uses);
    break;
  case PROP_INVITE_TTL:
    g_value_set_int (value, priv->invite_ttl);
    break;
  case PROP_INVITE_TOKEN:
    g_value_set_string (value, priv->invite_token.c_str ());
    break;
  case PROP_RESERVATION:
    g_value_set_string (value, priv->reservation.c_str ());
    break;
  case PROP_INGEST:
    g_value_set_string (value, priv->ingest.c_str ());
    break;
  case PROP_JOIN_TIMEOUT:
    g_value_set_int (value, priv->join_timeout);
    break;
  case PROP_VIEWER_URL:
    g_value_set_string (value, priv->viewer_url.c_str ());
    break;
  case PROP_EXPIRES_AT:
    g_value_set_int64 (value, priv->expires_at);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    break;
  }
}

static void gv_pin_signaller_dispose (GObject *object)
{
  gv_signaller_stop (GV_SIGNALLER (object));
  G_OBJECT_CLASS (gv_pin_signaller_parent_class)->dispose (object);
}

static void gv_pin_signaller_finalize (GObject *object)
{
  auto *self = GV_PIN_SIGNALLER (object);
  g_clear_object (&self->priv->cancellable);
  delete self->priv;
  G_OBJECT_CLASS (gv_pin_signaller_parent_class)->finalize (object);
}

static void gv_pin_signaller_class_init (GvPinSignallerClass *klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  gobject_class->set_property = gv_pin_signaller_set_property;
  gobject_class->get_property = gv_pin_signaller_get_property;
  gobject_class->dispose = gv_pin_signaller_dispose;
  gobject_class->finalize = gv_pin_signaller_finalize;

  const auto flags = (GParamFlags) (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_property (
      gobject_class, PROP_SERVER,
      g_param_spec_string (
          "server", "Server",
          "WebSocket URI of the signalling server (ws://host:port/ws or wss://...); a host may "
          "name several, separated by commas (nodes of a cluster): after a failure it tries the "
          "next",
          DEFAULT_SERVER, flags));
  g_object_class_install_property (
      gobject_class, PROP_CA_FILE,
      g_param_spec_string (
          "ca-file", "CA file",
          "PEM file of CA certificates to trust for wss:// (e.g. a development CA)", nullptr,
          flags));
  g_object_class_install_property (
      gobject_class, PROP_INSECURE_TLS,
      g_param_spec_boolean ("insecure-tls", "Insecure TLS",
                            "Accept any TLS certificate (development only)", FALSE, flags));
  g_object_class_install_property (
      gobject_class, PROP_PIN,
      g_param_spec_string ("pin", "PIN",
                           "Viewer: the PIN of the session to join (6 digits, or 9 for a session "
                           "created during a flood of wrong PINs); host: the session's "
                           "PIN once registered (notified on every new PIN)",
                           nullptr, flags));
  g_object_class_install_property (
      gobject_class, PROP_NAME,
      g_param_spec_string ("name", "Name", "Display name shown to the other side", nullptr, flags));
  g_object_class_install_property (
      gobject_class, PROP_MAX_VIEWERS,
      g_param_spec_int ("max-viewers", "Max viewers",
                        "Host: viewers admitted at once, and the PIN's number of uses", 1,
                        proto::kMaxViewersLimit, DEFAULT_MAX_VIEWERS, flags));
  g_object_class_install_property (
      gobject_class, PROP_PIN_TTL,
      g_param_spec_int ("pin-ttl", "PIN TTL",
                        "Host: seconds the PIN stays valid (0: the server's default, 600)", 0,
                        24 * 3600, DEFAULT_PIN_TTL, flags));
  g_object_class_install_property (
      gobject_class, PROP_ROLE,
      g_param_spec_enum ("role", "Role", "Which side of a session this signaller speaks for",
                         GV_TYPE_SIGNALLER_ROLE, DEFAULT_ROLE, flags));
  g_object_class_install_property (
      gobject_class, PROP_JOIN_TIMEOUT,
      g_param_spec_int ("join-timeout", "Join timeout",
                        "Viewer: seconds to wait for the host to admit us (0: forever)", 0, 3600,
                        DEFAULT_JOIN_TIMEOUT, flags));
  g_object_class_install_property (
      gobject_class, PROP_INVITE,
      g_param_spec_flags ("invite", "Invite",
                          "Host: once registered, ask for an invite link standing for these "
                          "capabilities (empty: none); announced as \"gv-invite\"",
                          GV_TYPE_CAPABILITIES, 0, flags));
  g_object_class_install_property (gobject_class, PROP_INVITE_USES,
                                   g_param_spec_int ("invite-uses", "Invite uses",
                                                     "Host: viewers the invite link admits", 1,
                                                     proto::kMaxInviteUses, 1, flags));
  g_object_class_install_property (
      gobject_class, PROP_INVITE_TTL,
      g_param_spec_int ("invite-ttl", "Invite TTL",
                        "Host: seconds the invite link lives (0: the server's default, 3600)", 0,
                        proto::kMaxInviteTtlS, 0, flags));
  g_object_class_install_property (
      gobject_class, PROP_INVITE_TOKEN,
      g_param_spec_string ("invite-token", "Invite token",
                           "Viewer: join with this invite link's token (the part after "
                           "?invite=) instead of the PIN",
                           nullptr, flags));
  g_object_class_install_property (
      gobject_class, PROP_RESERVATION,
      g_param_spec_string ("reservation", "Reservation",
                           "Host: take the session an integrator reserved through the session "
                           "API (POST /api/v1/sessions) with its reservation token, and so its "
                           "PIN and waiting viewers",
                           nullptr, flags));
  g_object_class_install_property (
      gobject_class, PROP_INGEST,
      g_param_spec_string ("ingest", "Ingest",
                           "Viewer: receive a WHIP publisher's stream instead of joining by PIN, "
                           "with the id the signalling server started this WHIP relay with "
                           "(GHOSTVIEW_INGEST; see the whip-relay preset)",
                           nullptr, flags));
  const auto readable = (GParamFlags) (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_property (
      gobject_class, PROP_VIEWER_URL,
      g_param_spec_string ("viewer-url", "Viewer URL",
                           "Host: the page a viewer opens to join (from the server)", nullptr,
                           readable));
  g_object_class_install_property (
      gobject_class, PROP_EXPIRES_AT,
      g_param_spec_int64 ("expires-at", "Expires at",
                          "Host: when the PIN expires, Unix seconds (0: not registered)", 0,
                          G_MAXINT64, 0, readable));

  GST_DEBUG_CATEGORY_INIT (gv_pin_signaller_debug, "gvpinsignaller", 0, "GhostView PIN signaller");
}

static void gv_pin_signaller_init (GvPinSignaller *self)
{
  self->priv = new GvPinSignallerPrivate ();
}

GvPinSignaller *gv_pin_signaller_new (GvSignallerRole role)
{
  return GV_PIN_SIGNALLER (g_object_new (GV_TYPE_PIN_SIGNALLER, "role", role, nullptr));
}
