/* The fallback (PROTOCOL.md, "Fallback"): JPEG pictures from a host to a
 * viewer whose peer connection did not connect, and that viewer's input
 * back, relayed over the signalling WebSockets with limits of their own. */
#include "fallback_frame.h"
#include "server_impl.h"

#include <cstring>

namespace gv::signaling {
namespace {

using proto::ErrorCode;
using proto::Type;

/* The admitted viewer connection `peer` of session `s`, or nullptr. */
Connection *viewer_connection (ServerImpl &server, const Session &s, const std::string &peer)
{
  const Viewer *v = find_viewer (s, peer);
  if (!v || !v->admitted)
    return nullptr;
  auto it = server.connections.find (peer);
  return it == server.connections.end () ? nullptr : it->second.get ();
}

} // namespace

/* Errors about binary messages: one a second at most, as a flood of bad
 * pictures must not turn into a flood of answers. */
void ServerImpl::send_binary_error (Connection &c, ErrorCode code, const std::string &message)
{
  gint64 now = g_get_monotonic_time ();
  if (now - c.last_binary_error_us < G_USEC_PER_SEC) {
    metrics.messages_rejected++;
    return;
  }
  c.last_binary_error_us = now;
  send_error (c, code, message, Type::Fallback);
}

void ServerImpl::handle_binary (Connection &c, GBytes *bytes)
{
  gint64 now = g_get_monotonic_time ();
  c.last_seen_us = now;
  if (c.closing)
    return;
  /* Only a host sends pictures; anyone else's binary costs a message. */
  TokenBucket &bucket = c.role == Role::Host ? c.pictures : c.messages;
  if (!bucket.try_take (now)) {
    metrics.rate_limited[c.role == Role::Host ? "pictures" : "messages"]++;
    return;
  }
  if (c.role != Role::Host) {
    send_binary_error (c, ErrorCode::NotAllowed, "only a host sends binary messages");
    return;
  }
  gsize size = 0;
  const auto *data = static_cast<const guint8 *> (g_bytes_get_data (bytes, &size));
  proto::FallbackFrame frame;
  std::string why;
  if (!proto::parse_fallback_frame (data, size, frame, why)) {
    send_binary_error (c, ErrorCode::BadMessage, why);
    return;
  }
  if (answer_snapshot (c, frame))
    return;
  Session *s = registry.find_by_host (c.peer);
  Connection *viewer = s ? viewer_connection (*this, *s, frame.peer) : nullptr;
  if (!viewer) {
    send_binary_error (c, ErrorCode::UnknownPeer,
                       "no viewer \"" + frame.peer + "\" admitted to this session");
    return;
  }
  if (!viewer->fallback)
    return;                /* it stopped; pictures still under way are not an error */
  if (viewer->stand_in ()) /* on_fallback told it: none across nodes */
    return;
  if (viewer->fallback_in_flight >= proto::kMaxFallbackInFlight) {
    metrics.fallback_frames_dropped++;
    return;
  }
  GBytes *out = proto::make_fallback_frame ("", frame.frame, frame.width, frame.height, frame.jpeg,
                                            frame.jpeg_size);
  if (!out)
    return;
  if (viewer->channel->open ()) {
    viewer->channel->send_binary (out);
    viewer->fallback_in_flight++;
    metrics.fallback_frames_relayed++;
    metrics.fallback_bytes_relayed += g_bytes_get_size (out);
  }
  g_bytes_unref (out);
}

void ServerImpl::on_fallback (Connection &c, const proto::Message &m)
{
  std::string action = proto::get_string (m, "action");
  if (c.role == Role::Host) {
    /* A host answers a viewer's start: only `unavailable`. */
    if (action != proto::kFallbackUnavailable) {
      send_error (c, ErrorCode::NotAllowed, "a host sends only fallback \"unavailable\"", m.type);
      return;
    }
    std::string to = proto::get_string (m, "peer");
    Session *s = registry.find_by_host (c.peer);
    Connection *viewer = s ? viewer_connection (*this, *s, to) : nullptr;
    if (!viewer) {
      send_error (c, ErrorCode::UnknownPeer, "no viewer \"" + to + "\" admitted to this session",
                  m.type);
      return;
    }
    viewer->fallback = false;
    send (*viewer, proto::make_fallback (c.peer, proto::kFallbackUnavailable, 0,
                                         proto::get_string (m, "reason")));
    metrics.messages_relayed++;
    return;
  }
  Session *s = c.role == Role::Viewer ? registry.find_by_viewer (c.peer) : nullptr;
  const Viewer *self = s ? find_viewer (*s, c.peer) : nullptr;
  if (!self || !self->admitted) {
    send_error (c, ErrorCode::NotAllowed, "only a viewer the host has accepted asks for fallback",
                m.type);
    return;
  }
  if (action == proto::kFallbackUnavailable) {
    send_error (c, ErrorCode::NotAllowed, "a viewer sends fallback start, stop or ack", m.type);
    return;
  }
  if (c.stand_in () && action == proto::kFallbackStart) {
    /* Pictures are binary messages the cluster does not carry: the viewer
     * is told at once instead of waiting for them. */
    send (c, proto::make_fallback (s->host_peer, proto::kFallbackUnavailable, 0,
                                   "the picture fallback does not cross the nodes of a cluster; "
                                   "join through the host's server"));
    return;
  }
  guint32 frame = 0;
  if (action == proto::kFallbackStart) {
    c.fallback = true;
    c.fallback_in_flight = 0;
  } else if (action == proto::kFallbackStop) {
    c.fallback = false;
    c.fallback_in_flight = 0;
  } else {
    if (c.fallback_in_flight > 0)
      c.fallback_in_flight--;
    frame = (guint32) proto::get_int (m, "frame");
  }
  if (send_to (s->host_peer, proto::make_fallback (c.peer, action.c_str (), frame)))
    metrics.messages_relayed++;
}

void ServerImpl::on_input (Connection &c, const proto::Message &m)
{
  Session *s = c.role == Role::Viewer ? registry.find_by_viewer (c.peer) : nullptr;
  const Viewer *self = s ? find_viewer (*s, c.peer) : nullptr;
  if (!self || !self->admitted || !(self->capabilities & GV_CAPABILITY_CONTROL)) {
    send_error (c, ErrorCode::NotAllowed,
                "the host has not given you control of its mouse and keyboard", m.type);
    return;
  }
  JsonArray *events = json_object_get_array_member (m.body.get (), "events");
  if (send_to (s->host_peer, proto::make_input (c.peer, events))) {
    metrics.messages_relayed++;
    metrics.fallback_inputs_relayed++;
  }
}

} // namespace gv::signaling
