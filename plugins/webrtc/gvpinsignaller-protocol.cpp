/* GhostView
 * Copyright (C) 2024 GhostView contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * GvPinSignaller: what each incoming message of the PIN protocol
 * (signaling/protocol.h) does, as signals of the GvSignaller interface, and
 * the errors a viewer's user reads.
 */
#include "gvpinsignaller-private.h"

#include "gviceuri.h"
#include "gvwebrtctexts.h"

#define GST_CAT_DEFAULT gv_pin_signaller_debug

/* The ICE servers of a registered/joined message, for the bins. */
static void publish_ice_servers (GvPinSignaller *self, const proto::Message &msg)
{
  GPtrArray *stun = g_ptr_array_new_with_free_func (g_free);
  GPtrArray *turn = g_ptr_array_new_with_free_func (g_free);
  for (const auto &server : proto::get_ice_servers (msg))
    for (const auto &url : server.urls) {
      std::string uri = gv::webrtc::webrtcbin_ice_uri (url, server);
      if (uri.empty ())
        continue;
      g_ptr_array_add (uri.rfind ("stun", 0) == 0 ? stun : turn, g_strdup (uri.c_str ()));
    }
  g_ptr_array_add (stun, nullptr);
  g_ptr_array_add (turn, nullptr);
  gv_signaller_set_ice_servers (GV_SIGNALLER (self), (const gchar *const *) stun->pdata,
                                (const gchar *const *) turn->pdata);
  g_ptr_array_unref (stun);
  g_ptr_array_unref (turn);
}

/* ---- incoming messages ---- */

static std::string viewer_error_sentence (GvPinSignaller *self, const proto::Message &msg)
{
  std::string pin;
  {
    std::lock_guard<std::mutex> guard (self->priv->lock);
    pin = self->priv->pin;
  }
  std::string code = proto::get_string (msg, "code");
  std::string server_message = proto::get_string (msg, "message");
  auto known = proto::error_code_from_name (code.c_str ());
  if (known) {
    switch (*known) {
    case proto::ErrorCode::PinInvalid:
      return "No session has PIN " + pin + ".";
    case proto::ErrorCode::PinExpired:
      return "PIN " + pin + " has expired.";
    case proto::ErrorCode::PinUsed:
      return "PIN " + pin + " has already been used.";
    case proto::ErrorCode::SessionFull:
      return "The session with PIN " + pin + " is full; try again in a moment.";
    case proto::ErrorCode::Declined:
      return gv::webrtc::texts::host_declined (pin, proto::get_string (msg, "reason"));
    case proto::ErrorCode::RateLimited:
      return "Too many attempts to join; wait a minute and try again.";
    default:
      break;
    }
  }
  if (!server_message.empty ())
    return server_message;
  return known ? proto::error_code_default_message (*known) : "The signalling server refused.";
}

static void handle_error_message (GvPinSignaller *self, const proto::Message &msg)
{
  GvPinSignallerPrivate *priv = self->priv;
  std::string code = proto::get_string (msg, "code");
  std::string ref = proto::get_string (msg, "ref");
  if (priv->role == GV_SIGNALLER_ROLE_VIEWER) {
    /* Before admission every refusal ends the attempt; afterwards errors are
     * answers to relayed messages and the media may well be fine. */
    bool fatal = !priv->admitted;
    gv_pin_signaller_emit_error (self, code.c_str (), viewer_error_sentence (self, msg), fatal);
    if (fatal && priv->ws)
      soup_websocket_connection_close (priv->ws, SOUP_WEBSOCKET_CLOSE_NORMAL, nullptr);
    return;
  }
  std::string message = proto::get_string (msg, "message", "the signalling server refused");
  bool claiming = false;
  {
    std::lock_guard<std::mutex> guard (priv->lock);
    claiming = priv->resume_token.empty () && !priv->reservation.empty ();
  }
  if (code == proto::error_code_name (proto::ErrorCode::ResumeRefused) && !priv->admitted &&
      claiming) {
    /* The viewers were given the reserved PIN: a session with another one
     * would wait for nobody. The host stops and says why. */
    gv_pin_signaller_emit_error (self, code.c_str (),
                                 "Could not take the reserved session: " + message, true);
    if (priv->ws)
      soup_websocket_connection_close (priv->ws, SOUP_WEBSOCKET_CLOSE_NORMAL, nullptr);
    return;
  }
  if (code == proto::error_code_name (proto::ErrorCode::ResumeRefused) && !priv->admitted) {
    /* The old PIN is gone for good: say so, and register for a new one on
     * this same connection. */
    std::string old_pin;
    proto::RegisterParams params;
    {
      std::lock_guard<std::mutex> guard (priv->lock);
      old_pin = priv->pin;
      params.max_viewers = priv->max_viewers;
      params.pin_ttl_s = priv->pin_ttl;
      params.name = priv->name;
    }
    priv->resume_token.clear ();
    gv_pin_signaller_emit_error (self, code.c_str (),
                                 "Could not keep PIN " + old_pin + ": " + message +
                                     " Registering a new session with a new PIN.",
                                 false);
    gv_pin_signaller_send_text (self, proto::make_register (params));
    return;
  }
  gv_pin_signaller_emit_error (self, code.c_str (),
                               message + " (" + code + ", in answer to " + ref + ")", false);
  if (!priv->admitted && priv->ws)
    soup_websocket_connection_close (priv->ws, SOUP_WEBSOCKET_CLOSE_NORMAL, nullptr);
}

/* A viewer with the right PIN (or an invite link) asks to join: beyond the
 * session's viewer limit it is declined here; otherwise the element
 * decides. */
static void handle_join_request (GvPinSignaller *self, const std::string &peer,
                                 const std::string &name, guint invite_capabilities, bool offers)
{
  GvPinSignallerPrivate *priv = self->priv;
  int max_viewers;
  {
    std::lock_guard<std::mutex> guard (priv->lock);
    max_viewers = priv->max_viewers;
    /* The invite link's viewers come on top of the PIN's (the server
     * counts the link's uses). */
    if (invite_capabilities)
      max_viewers += priv->invite_uses;
    if (invite_capabilities)
      priv->requested_capabilities[peer] = invite_capabilities | GV_CAPABILITY_VIEW;
    else
      priv->requested_capabilities.erase (peer);
    if (offers)
      priv->offering_peers.insert (peer);
    else
      priv->offering_peers.erase (peer);
  }
  if ((int) priv->admitted_peers.size () >= max_viewers) {
    GST_INFO_OBJECT (self, "declining %s: %d viewers already admitted", peer.c_str (), max_viewers);
    gv_pin_signaller_send_text (self, proto::make_decline (peer, gv::webrtc::texts::kSessionFull));
    return;
  }
  g_signal_emit_by_name (self, "peer-requested", peer.c_str (), name.c_str ());
}

/* Host: the invite link the `invite` property asks for, once per session
 * (a resumed session keeps the link it had: its token still verifies). */
static void ask_for_invite (GvPinSignaller *self)
{
  GvPinSignallerPrivate *priv = self->priv;
  std::string text;
  {
    std::lock_guard<std::mutex> guard (priv->lock);
    if (!priv->invite_capabilities || priv->invite_session == priv->session_id)
      return;
    priv->invite_session = priv->session_id;
    text = proto::make_invite (priv->invite_capabilities, priv->invite_uses, priv->invite_ttl);
  }
  gv_pin_signaller_send_text (self, text);
}

/* Host: the link, as "session-announced" with a "gv-invite" structure. */
static void announce_invite (GvPinSignaller *self, const proto::Message &msg)
{
  std::string caps;
  for (const std::string &name : proto::capability_names (proto::get_capabilities (msg)))
    caps += (caps.empty () ? "" : ",") + name;
  GstStructure *s =
      gst_structure_new ("gv-invite", "invite-url", G_TYPE_STRING,
                         proto::get_string (msg, "url").c_str (), "capabilities", G_TYPE_STRING,
                         caps.c_str (), "uses", G_TYPE_INT, (gint) proto::get_int (msg, "uses", 1),
                         "expires-at", G_TYPE_INT64, proto::get_int (msg, "expires_at"), nullptr);
  GST_INFO_OBJECT (self, "invite link for %s ready", caps.c_str ());
  g_signal_emit_by_name (self, "session-announced", s);
  gst_structure_free (s);
}

static void handle_message (GvPinSignaller *self, const proto::Message &msg)
{
  GvPinSignallerPrivate *priv = self->priv;
  switch (msg.type) {
  case proto::Type::Registered: {
    priv->admitted = true;
    priv->backoff_ms = RECONNECT_MIN_MS;
    priv->session_id = proto::get_string (msg, "session");
    priv->resume_token = proto::get_string (msg, "resume_token");
    publish_ice_servers (self, msg);
    std::string pin = proto::get_string (msg, "pin");
    std::string url = proto::get_string (msg, "viewer_url");
    gint64 expires_at = proto::get_int (msg, "expires_at");
    {
      std::lock_guard<std::mutex> guard (priv->lock);
      priv->pin = pin;
      priv->viewer_url = url;
      priv->expires_at = expires_at;
      /* The session's limit, which a reservation (or a resumed session)
       * set before this host came: the viewers it admits are admitted. */
      priv->max_viewers = (int) proto::get_int (msg, "max_viewers", priv->max_viewers);
    }
    for (const char *property : { "pin", "viewer-url", "expires-at", "max-viewers" })
      g_object_notify (G_OBJECT (self), property);
    GstStructure *s =
        gst_structure_new ("gv-session", "session-id", G_TYPE_STRING, priv->session_id.c_str (),
                           "pin", G_TYPE_STRING, pin.c_str (), "viewer-url", G_TYPE_STRING,
                           url.c_str (), "expires-at", G_TYPE_INT64, expires_at, "max-viewers",
                           G_TYPE_INT, (gint) proto::get_int (msg, "max_viewers", 1), nullptr);
    g_signal_emit_by_name (self, "session-announced", s);
    gst_structure_free (s);
    ask_for_invite (self);
    break;
  }
  case proto::Type::InviteLink:
    if (priv->role == GV_SIGNALLER_ROLE_HOST)
      announce_invite (self, msg);
    break;
  case proto::Type::ResumeToken:
    if (priv->role == GV_SIGNALLER_ROLE_HOST)
      priv->resume_token = proto::get_string (msg, "resume_token");
    break;
  case proto::Type::Waiting:
    GST_INFO_OBJECT (self, "waiting for the host to admit us");
    break;
  case proto::Type::Joined: {
    priv->admitted = true;
    if (priv->join_timer) {
      g_source_destroy (priv->join_timer);
      g_clear_pointer (&priv->join_timer, g_source_unref);
    }
    priv->session_id = proto::get_string (msg, "session");
    publish_ice_servers (self, msg);
    g_signal_emit_by_name (self, "admitted", (GvCapabilities) proto::get_capabilities (msg));
    break;
  }
  case proto::Type::JoinRequest:
    handle_join_request (self, proto::get_string (msg, "peer"), proto::get_string (msg, "name"),
                         proto::get_capabilities (msg), proto::get_bool (msg, "offers"));
    break;
  case proto::Type::Capabilities:
    g_signal_emit_by_name (self, "capabilities-changed",
                           (GvCapabilities) proto::get_capabilities (msg));
    break;
  case proto::Type::Sdp: {
    std::string peer = priv->role == GV_SIGNALLER_ROLE_HOST ? proto::get_string (msg, "peer") : "";
    std::string type = proto::get_string (msg, "sdp_type");
    std::string text = proto::get_string (msg, "sdp");
    GstSDPMessage *sdp = nullptr;
    gst_sdp_message_new (&sdp);
    if (gst_sdp_message_parse_buffer ((const guint8 *) text.data (), text.size (), sdp) !=
        GST_SDP_OK) {
      GST_WARNING_OBJECT (self, "unparsable SDP from %s", peer.c_str ());
      gst_sdp_message_free (sdp);
      break;
    }
    auto *desc = gst_webrtc_session_description_new (
        type == "offer" ? GST_WEBRTC_SDP_TYPE_OFFER : GST_WEBRTC_SDP_TYPE_ANSWER, sdp);
    g_signal_emit_by_name (self, "session-description", peer.c_str (), desc);
    gst_webrtc_session_description_free (desc);
    break;
  }
  case proto::Type::Ice: {
    std::string peer = priv->role == GV_SIGNALLER_ROLE_HOST ? proto::get_string (msg, "peer") : "";
    g_signal_emit_by_name (
        self, "handle-ice", peer.c_str (), (guint) proto::get_int (msg, "sdp_mline_index"),
        proto::get_string (msg, "sdp_mid").c_str (), proto::get_string (msg, "candidate").c_str ());
    break;
  }
  case proto::Type::Report: {
    /* Host role only: the server relays a viewer's reports to its host. */
    if (priv->role != GV_SIGNALLER_ROLE_HOST)
      break;
    std::string peer = proto::get_string (msg, "peer");
    GstStructure *report = gst_structure_new (
        "gv-report", "problem", G_TYPE_STRING, proto::get_string (msg, "problem").c_str (),
        "detail", G_TYPE_STRING, proto::get_string (msg, "detail").c_str (), "codec", G_TYPE_STRING,
        proto::get_string (msg, "codec").c_str (), nullptr);
    GST_INFO_OBJECT (self, "viewer %s reports %" GST_PTR_FORMAT, peer.c_str (), report);
    g_signal_emit_by_name (self, "peer-report", peer.c_str (), report);
    gst_structure_free (report);
    break;
  }
  case proto::Type::Restart:
    if (priv->role == GV_SIGNALLER_ROLE_HOST)
      g_signal_emit_by_name (self, "peer-restart", proto::get_string (msg, "peer").c_str ());
    break;
  case proto::Type::Fallback:
    /* Host role: a viewer's start, stop or ack. (A viewer's signaller has
     * no use for the fallback: gvwebrtcsrc does not ask for it.) */
    if (priv->role == GV_SIGNALLER_ROLE_HOST)
      g_signal_emit_by_name (self, "peer-fallback", proto::get_string (msg, "peer").c_str (),
                             proto::get_string (msg, "action").c_str (),
                             (guint) proto::get_int (msg, "frame"));
    break;
  case proto::Type::Snapshot:
    if (priv->role == GV_SIGNALLER_ROLE_HOST)
      g_signal_emit_by_name (self, "snapshot-requested",
                             proto::get_string (msg, "request").c_str (),
                             proto::get_string (msg, "by").c_str ());
    break;
  case proto::Type::Input:
    if (priv->role == GV_SIGNALLER_ROLE_HOST) {
      JsonNode *events = json_object_get_member (msg.body.get (), "events");
      gchar *text = json_to_string (events, FALSE);
      g_signal_emit_by_name (self, "peer-input", proto::get_string (msg, "peer").c_str (), text);
      g_free (text);
    }
    break;
  case proto::Type::PeerLeft: {
    std::string peer = proto::get_string (msg, "peer");
    priv->admitted_peers.erase (peer);
    {
      std::lock_guard<std::mutex> guard (priv->lock);
      priv->requested_capabilities.erase (peer);
      priv->offering_peers.erase (peer);
    }
    g_signal_emit_by_name (self, "peer-left", peer.c_str (),
                           proto::get_string (msg, "reason", proto::kReasonLeft).c_str ());
    break;
  }
  case proto::Type::SessionEnded:
    if (priv->role == GV_SIGNALLER_ROLE_HOST) {
      /* The server ended this host's session (the session API's DELETE):
       * nothing more will come, so the host stops and says why. */
      gv_pin_signaller_emit_error (
          self, "SESSION_ENDED",
          proto::get_string (msg, "message", "The signalling server ended the session."), true);
      if (priv->ws)
        soup_websocket_connection_close (priv->ws, SOUP_WEBSOCKET_CLOSE_NORMAL, nullptr);
      break;
    }
    g_signal_emit_by_name (self, "session-ended",
                           proto::get_string (msg, "reason", proto::kReasonHostEnded).c_str ());
    break;
  case proto::Type::Error:
    handle_error_message (self, msg);
    break;
  case proto::Type::Ping:
    gv_pin_signaller_send_text (self, proto::make_pong ());
    break;
  case proto::Type::Pong:
    break;
  default:
    GST_DEBUG_OBJECT (self, "ignoring message of type %s", proto::type_name (msg.type));
    break;
  }
}

void gv_pin_signaller_on_ws_message (SoupWebsocketConnection *, gint type, GBytes *message,
                                     gpointer user)
{
  auto *self = GV_PIN_SIGNALLER (user);
  if (type != SOUP_WEBSOCKET_DATA_TEXT) {
    GST_DEBUG_OBJECT (self, "ignoring a binary frame (only hosts send fallback pictures)");
    return;
  }
  gsize len = 0;
  const char *data = (const char *) g_bytes_get_data (message, &len);
  proto::Message msg;
  proto::ParseError err;
  if (!proto::parse (data, len, msg, err)) {
    GST_WARNING_OBJECT (self, "dropping a malformed message: %s", err.message.c_str ());
    return;
  }
  if (proto::has_field (msg, "resume_token"))
    GST_LOG_OBJECT (self, "<- %s (with a resume token, not logged)", proto::type_name (msg.type));
  else
    GST_LOG_OBJECT (self, "<- %.*s", (int) MIN (len, 200), data);
  handle_message (self, msg);
}
