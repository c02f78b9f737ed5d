/* ghostview-signaling-loadgen: the WebSocket client side. Payloads of
 * realistic size (SDP, ICE candidate, PeerJS messages), opening a host or
 * viewer connection with libsoup, its message / closed callbacks, sending
 * and closing. What the messages mean to a session is in
 * signaling-loadgen-session.cpp.
 */
#include "signaling-loadgen-private.h"

#include <json-glib/json-glib.h>

#include <cstdlib>
#include <cstring>

namespace gv::loadgen {

/* ---- payloads of realistic size ---- */

std::string make_sdp_text (const char *kind, int bytes)
{
  /* A Chromium-like SDP: one audio-less BUNDLE with a video and a data
   * m-line, then ssrc and rtpmap lines until it reaches `bytes`. */
  std::string s = "v=0\r\n"
                  "o=- 4611731400430051336 2 IN IP4 127.0.0.1\r\n"
                  "s=-\r\nt=0 0\r\n"
                  "a=group:BUNDLE 0 1\r\n"
                  "a=extmap-allow-mixed\r\n"
                  "a=msid-semantic: WMS ghostview\r\n"
                  "m=video 9 UDP/TLS/RTP/SAVPF 96 97 98 99 100 101 102\r\n"
                  "c=IN IP4 0.0.0.0\r\n"
                  "a=rtcp:9 IN IP4 0.0.0.0\r\n"
                  "a=ice-ufrag:EsAw\r\n"
                  "a=ice-pwd:bP+XJMM09aR8AiX1jdukzR6Y\r\n"
                  "a=ice-options:trickle\r\n"
                  "a=fingerprint:sha-256 D7:87:1A:4D:9B:5C:6E:2F:30:41:52:63:74:85:96:A7:B8:C9:"
                  "DA:EB:FC:0D:1E:2F:30:41:52:63:74:85:96:A7\r\n";
  s += std::string ("a=setup:") + (strcmp (kind, "offer") == 0 ? "actpass" : "active") + "\r\n";
  s += "a=mid:0\r\na=sendrecv\r\na=rtcp-mux\r\na=rtcp-rsize\r\n";
  int pt = 96;
  while ((int) s.size () < bytes - 200) {
    char line[256];
    g_snprintf (line, sizeof line,
                "a=rtpmap:%d VP8/90000\r\na=rtcp-fb:%d goog-remb\r\na=rtcp-fb:%d transport-cc\r\n"
                "a=rtcp-fb:%d ccm fir\r\na=rtcp-fb:%d nack\r\na=rtcp-fb:%d nack pli\r\n",
                pt, pt, pt, pt, pt, pt);
    s += line;
    pt++;
  }
  s += "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\na=mid:1\r\n"
       "a=sctp-port:5000\r\n";
  while ((int) s.size () < bytes)
    s += "a=x-pad\r\n";
  s.resize (bytes);
  return s;
}

std::string make_candidate_text (int bytes)
{
  std::string c = "candidate:1467250027 1 udp 2122260223 192.0.2.10 46243 typ host generation 0 "
                  "ufrag EsAw network-id 1 network-cost 10";
  while ((int) c.size () < bytes)
    c += " x";
  c.resize (bytes);
  return c;
}

/* ---- connections ---- */

void Generator::connect (Conn &c)
{
  if (c.started)
    return;
  c.started = true;
  std::string url = !c.is_host && !opt_.viewer_url.empty () ? opt_.viewer_url : opt_.url;
  if (opt_.wire == Wire::PeerJS) {
    const std::string &id = c.is_host ? c.session->host_id : c.session->viewer_id;
    url += "?key=peerjs&id=" + id + "&token=tk" + id;
  }
  SoupMessage *msg = soup_message_new ("GET", url.c_str ());
  if (!msg) {
    g_printerr ("loadgen: bad URL %s\n", url.c_str ());
    exit (2);
  }
  soup_session_websocket_connect_async (soup_, msg, nullptr, nullptr, G_PRIORITY_DEFAULT, nullptr,
                                        on_connected, &c);
  g_object_unref (msg);
}

void Generator::on_connected (GObject *source, GAsyncResult *res, gpointer data)
{
  auto &c = *static_cast<Conn *> (data);
  Session *s = c.session;
  GError *error = nullptr;
  SoupWebsocketConnection *ws =
      soup_session_websocket_connect_finish (SOUP_SESSION (source), res, &error);
  Generator *self = g_gen;
  if (!ws) {
    self->fail (s, std::string ("connect: ") + error->message);
    g_error_free (error);
    return;
  }
  c.ws = ws;
  c.open = true;
  self->open_conns_++;
  soup_websocket_connection_set_max_incoming_payload_size (ws, 1024 * 1024);
  g_signal_connect (ws, "message", G_CALLBACK (on_message), &c);
  g_signal_connect (ws, "closed", G_CALLBACK (on_closed), &c);
  if (s->failed || s->closed) {
    soup_websocket_connection_close (ws, SOUP_WEBSOCKET_CLOSE_NORMAL, nullptr);
    return;
  }
  if (self->opt_.wire == Wire::GhostView) {
    if (c.is_host) {
      proto::RegisterParams p;
      p.max_viewers = 1;
      p.name = "bench host " + std::to_string (s->index);
      self->send (c, proto::make_register (p));
    } else {
      self->maybe_join (s);
    }
  }
  /* PeerJS: wait for OPEN. */
}

void Generator::on_message (SoupWebsocketConnection *, gint type, GBytes *bytes, gpointer data)
{
  if (type != SOUP_WEBSOCKET_DATA_TEXT)
    return;
  auto &c = *static_cast<Conn *> (data);
  gsize len = 0;
  const char *text = static_cast<const char *> (g_bytes_get_data (bytes, &len));
  g_gen->handle (c, text, len);
}

void Generator::on_closed (SoupWebsocketConnection *ws, gpointer data)
{
  auto &c = *static_cast<Conn *> (data);
  Generator *self = g_gen;
  c.open = false;
  self->open_conns_--;
  Session *s = c.session;
  if (!s->closed && !self->quitting_) {
    self->unexpected_closes_++;
    gushort code = soup_websocket_connection_get_close_code (ws);
    self->fail (s, "closed by server (" + std::to_string (code) + ")");
  }
  g_signal_handlers_disconnect_by_data (ws, data);
  g_object_unref (ws);
  c.ws = nullptr;
  if (self->quitting_ && self->open_conns_ <= 0)
    g_main_loop_quit (self->loop_);
}

void Generator::send (Conn &c, const std::string &text)
{
  if (c.ws && c.open && soup_websocket_connection_get_state (c.ws) == SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_send_text (c.ws, text.c_str ());
}

void Generator::close_session (Session *s)
{
  s->closed = true;
  for (Conn *c : { &s->viewer, &s->host })
    if (c->ws && c->open &&
        soup_websocket_connection_get_state (c->ws) == SOUP_WEBSOCKET_STATE_OPEN)
      soup_websocket_connection_close (c->ws, SOUP_WEBSOCKET_CLOSE_NORMAL, nullptr);
}

std::string Generator::peerjs_message (const char *type, const std::string &dst,
                                       const char *payload_kind, const std::string &payload_text)
{
  /* What the PeerJS client library sends (peerjs/lib/negotiator.ts). */
  JsonBuilder *b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "type");
  json_builder_add_string_value (b, type);
  json_builder_set_member_name (b, "dst");
  json_builder_add_string_value (b, dst.c_str ());
  json_builder_set_member_name (b, "payload");
  json_builder_begin_object (b);
  if (strcmp (payload_kind, "candidate") == 0) {
    json_builder_set_member_name (b, "candidate");
    json_builder_begin_object (b);
    json_builder_set_member_name (b, "candidate");
    json_builder_add_string_value (b, payload_text.c_str ());
    json_builder_set_member_name (b, "sdpMLineIndex");
    json_builder_add_int_value (b, 0);
    json_builder_set_member_name (b, "sdpMid");
    json_builder_add_string_value (b, "0");
    json_builder_end_object (b);
  } else {
    json_builder_set_member_name (b, "sdp");
    json_builder_begin_object (b);
    json_builder_set_member_name (b, "type");
    json_builder_add_string_value (b, payload_kind);
    json_builder_set_member_name (b, "sdp");
    json_builder_add_string_value (b, payload_text.c_str ());
    json_builder_end_object (b);
  }
  json_builder_set_member_name (b, "type");
  json_builder_add_string_value (b, "media");
  json_builder_set_member_name (b, "connectionId");
  json_builder_add_string_value (b, "mc_ghostviewbench");
  json_builder_end_object (b);
  json_builder_end_object (b);
  JsonNode *root = json_builder_get_root (b);
  gchar *text = json_to_string (root, FALSE);
  std::string out (text);
  g_free (text);
  json_node_unref (root);
  g_object_unref (b);
  return out;
}

} // namespace gv::loadgen
