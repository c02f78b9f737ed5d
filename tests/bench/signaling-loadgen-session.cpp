/* ghostview-signaling-loadgen: the host/viewer session state machine. A
 * session's start, what the host and the viewer do with each message the
 * server passes them (GhostView: register, join by PIN, accept, offer /
 * answer, candidates; PeerJS: OPEN, OFFER / ANSWER, CANDIDATE), the relay
 * fast path once negotiated, and how a session ends (negotiated, failed,
 * finished).
 */
#include "signaling-loadgen-private.h"

#include <json-glib/json-glib.h>

#include <algorithm>
#include <cstring>

namespace gv::loadgen {

Session *Generator::new_session (bool probe)
{
  auto s = std::make_unique<Session> ();
  s->probe = probe;
  s->index = probe ? (int) probes_.size () : (int) sessions_.size ();
  s->host.session = s.get ();
  s->host.is_host = true;
  s->viewer.session = s.get ();
  if (opt_.wire == Wire::PeerJS) {
    /* Our own ids: "<prefix>-<h|v><p?><index>" */
    std::string base = opt_.id_prefix + (probe ? "-p" : "-") + std::to_string (s->index);
    s->host_id = base + "h";
    s->viewer_id = base + "v";
  }
  Session *raw = s.get ();
  (probe ? probes_ : sessions_).push_back (std::move (s));
  return raw;
}

void Generator::start_session (Session *s)
{
  s->t_start = now_us ();
  in_flight_++;
  /* The viewer connects once the host is ready (registered / OPEN), as a
   * person would, and so that at most one connect per session in set-up
   * is waiting on the server's listen queue at a time. */
  connect (s->host);
}

void Generator::handle (Conn &c, const char *text, gsize len)
{
  Session *s = c.session;
  if (s->closed)
    return; /* being closed by us: what the server still says is moot */
  if (s->negotiated) {
    /* Fast path for the relay phase: the only traffic after negotiation
     * is relayed candidates, recognised by their type without parsing. */
    const char *tag = opt_.wire == Wire::GhostView ? "\"ice\"" : "\"CANDIDATE\"";
    gsize head = std::min<gsize> (len, 24);
    bool is_candidate = g_strstr_len (text, head, tag) != nullptr;
    if (is_candidate) {
      if (relay_active_ && !s->probe) {
        relay_count_++;
        send (c, c.is_host ? s->host_relay : s->viewer_relay);
      }
      return;
    }
  }
  if (opt_.wire == Wire::GhostView)
    handle_ghostview (c, text, len);
  else
    handle_peerjs (c, text, len);
}

void Generator::maybe_join (Session *s)
{
  if (s->join_sent || s->pin.empty () || !s->viewer.open)
    return;
  s->join_sent = true;
  s->t_join = now_us ();
  send (s->viewer, proto::make_join (s->pin, "bench viewer " + std::to_string (s->index)));
}

void Generator::handle_ghostview (Conn &c, const char *text, gsize len)
{
  Session *s = c.session;
  proto::Message m;
  proto::ParseError perr;
  if (!proto::parse (text, len, m, perr)) {
    fail (s, std::string ("unparsable message from server: ") + perr.message);
    return;
  }
  using proto::Type;
  if (m.type == Type::Error) {
    std::string code = proto::get_string (m, "code");
    errors_[code]++;
    fail (s, "error " + code + ": " + proto::get_string (m, "message"));
    return;
  }
  if (c.is_host) {
    switch (m.type) {
    case Type::Registered:
      s->pin = proto::get_string (m, "pin");
      s->host_id = proto::get_string (m, "peer");
      connect (s->viewer);
      break;
    case Type::JoinRequest:
      s->viewer_id = proto::get_string (m, "peer");
      host_offer (s);
      break;
    case Type::Sdp:
      s->host_sdp = true;
      check_done (s);
      break;
    case Type::Ice:
      s->host_ice++;
      check_done (s);
      break;
    case Type::PeerLeft:
      fail (s, "peer-left");
      break;
    default:
      break;
    }
  } else {
    switch (m.type) {
    case Type::Waiting:
      break;
    case Type::Joined:
      s->t_joined = now_us ();
      break;
    case Type::Sdp:
      s->t_sdp = now_us ();
      s->viewer_sdp = true;
      send (c, proto::make_sdp ("", "answer", sdp_answer_));
      for (int i = 0; i < opt_.candidates; i++)
        send (c, proto::make_ice ("", candidate_, 0, "0"));
      s->viewer_relay = proto::make_ice ("", candidate_, 0, "0");
      check_done (s);
      break;
    case Type::Ice:
      s->viewer_ice++;
      check_done (s);
      break;
    case Type::SessionEnded:
      fail (s, "session-ended");
      break;
    default:
      break;
    }
  }
}

void Generator::host_offer (Session *s)
{
  /* What gvwebrtcsink does on a join request it admits: accept, then its
   * offer and its candidates as they are gathered. */
  send (s->host, proto::make_accept (s->viewer_id, GV_CAPABILITY_VIEW));
  send (s->host, proto::make_sdp (s->viewer_id, "offer", sdp_offer_));
  std::string ice = proto::make_ice (s->viewer_id, candidate_, 0, "0");
  for (int i = 0; i < opt_.candidates; i++)
    send (s->host, ice);
  s->host_relay = ice;
}

void Generator::handle_peerjs (Conn &c, const char *text, gsize len)
{
  Session *s = c.session;
  JsonParser *parser = json_parser_new ();
  std::string type;
  if (json_parser_load_from_data (parser, text, (gssize) len, nullptr)) {
    JsonNode *root = json_parser_get_root (parser);
    if (root && JSON_NODE_HOLDS_OBJECT (root)) {
      JsonObject *o = json_node_get_object (root);
      if (json_object_has_member (o, "type"))
        type = json_object_get_string_member_with_default (o, "type", "");
    }
  }
  g_object_unref (parser);

  if (type == "OPEN") {
    c.peerjs_open = true;
    if (c.is_host && !s->viewer.started) {
      connect (s->viewer);
      return;
    }
    if (s->host.peerjs_open && s->viewer.peerjs_open && !s->join_sent) {
      /* The viewer calls the host: its offer and candidates. */
      s->join_sent = true;
      s->t_join = now_us ();
      send (s->viewer, peerjs_message ("OFFER", s->host_id, "offer", sdp_offer_));
      std::string ice = peerjs_message ("CANDIDATE", s->host_id, "candidate", candidate_);
      for (int i = 0; i < opt_.candidates; i++)
        send (s->viewer, ice);
      s->viewer_relay = ice;
    }
  } else if (type == "OFFER" && c.is_host) {
    s->host_sdp = true;
    send (s->host, peerjs_message ("ANSWER", s->viewer_id, "answer", sdp_answer_));
    std::string ice = peerjs_message ("CANDIDATE", s->viewer_id, "candidate", candidate_);
    for (int i = 0; i < opt_.candidates; i++)
      send (s->host, ice);
    s->host_relay = ice;
    check_done (s);
  } else if (type == "ANSWER" && !c.is_host) {
    s->t_sdp = now_us ();
    s->viewer_sdp = true;
    check_done (s);
  } else if (type == "CANDIDATE") {
    (c.is_host ? s->host_ice : s->viewer_ice)++;
    check_done (s);
  } else {
    errors_["peerjs " + (type.empty () ? std::string ("unparsable") : type)]++;
    fail (s, "PeerJS message " + std::string (text, std::min<gsize> (len, 200)));
  }
}

void Generator::check_done (Session *s)
{
  if (s->negotiated || s->failed)
    return;
  if (!(s->host_sdp && s->viewer_sdp && s->host_ice >= opt_.candidates &&
        s->viewer_ice >= opt_.candidates))
    return;
  s->negotiated = true;
  Latencies &l = s->probe ? probe_lat_ : ramp_;
  gint64 t = now_us ();
  if (s->t_joined)
    l.joined_ms.push_back ((s->t_joined - s->t_join) / 1000.0);
  l.sdp_ms.push_back ((s->t_sdp - s->t_join) / 1000.0);
  l.setup_ms.push_back ((t - s->t_start) / 1000.0);
  finished (s);
}

void Generator::fail (Session *s, const std::string &why)
{
  if (s->failed)
    return;
  bool was_negotiated = s->negotiated;
  s->failed = true;
  if (s->probe)
    probe_failed_++;
  else
    failed_++;
  static int printed = 0;
  if (printed++ < 10)
    g_printerr ("loadgen: session %s%d failed: %s\n", s->probe ? "probe " : "", s->index,
                why.c_str ());
  close_session (s);
  if (!was_negotiated)
    finished (s);
}

void Generator::finished (Session *s)
{
  in_flight_--;
  if (s->probe) {
    if (!s->failed)
      close_session (s);
    if (probes_left_ > 0) {
      probes_left_--;
      start_session (new_session (true));
    } else if (in_flight_ == 0) {
      report_probes ();
      command_done ();
    }
    return;
  }
  done_++;
  if (!setup_finished_)
    setup_next ();
}

} // namespace gv::loadgen
