/* The cluster side of the server (--redis, cluster.h): a viewer may join on
 * any node. A session lives on the node its host is connected to; a viewer
 * connected to another node gets a stand-in Connection there, and the two
 * nodes pass messages through Redis:
 *
 *   viewer's node -> session's node   open, msg (the viewer's text), closed
 *   session's node -> viewer's node   send (text for the viewer), close,
 *                                     released (the viewer has no role any
 *                                     more: its next join is its own node's)
 *   host's new node -> old node       moved (the host resumed elsewhere)
 *   every node -> every node          guess (a wrong PIN), create
 *
 * Every envelope is a JSON object with `k` (the kind) and `from` (the
 * sending node). */
#include "recording_jobs.h"
#include "server_impl.h"

namespace gv::signaling {
namespace {

using proto::ErrorCode;
using proto::Type;

/* An envelope carries one protocol message (64 KiB) and a little more. */
constexpr gsize kMaxEnvelopeBytes = 2 * proto::kMaxMessageBytes;

std::string envelope (const char *kind, const std::string &from,
                      std::initializer_list<std::pair<const char *, std::string>> fields)
{
  JsonBuilder *b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "k");
  json_builder_add_string_value (b, kind);
  json_builder_set_member_name (b, "from");
  json_builder_add_string_value (b, from.c_str ());
  for (const auto &[name, value] : fields) {
    json_builder_set_member_name (b, name);
    json_builder_add_string_value (b, value.c_str ());
  }
  json_builder_end_object (b);
  JsonNode *root = json_builder_get_root (b);
  gchar *text = json_to_string (root, FALSE);
  std::string out (text);
  g_free (text);
  json_node_unref (root);
  g_object_unref (b);
  return out;
}

std::string member (JsonObject *o, const char *name)
{
  JsonNode *n = json_object_get_member (o, name);
  if (!n || !JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_STRING)
    return "";
  return json_node_get_string (n);
}

} // namespace

Connection::Connection (ServerImpl *srv, std::string peer_id, std::string addr, std::string base,
                        std::string node, double burst, double rate)
    : server (srv), peer (std::move (peer_id)), address (std::move (addr)),
      page_base (std::move (base)), messages (burst, rate), last_seen_us (g_get_monotonic_time ()),
      remote_node (std::move (node))
{}

bool ServerImpl::start_cluster (GError **error)
{
  Cluster::Handlers h;
  h.message = [this] (const char *data, gsize size, bool) {
    on_cluster_message (data, size, false);
  };
  h.node_gone = [this] (const std::string &node) { cluster_node_gone (node); };
  h.watched = [this] () { return cluster_watched (); };
  h.load = [this] () { return cluster_load (); };
  h.state_changed = [this] (bool up) {
    if (up)
      reclaim_pins ();
  };
  cluster = Cluster::start (config.redis_url, config.node_id, std::move (h), error);
  if (!cluster)
    return false;
  registry.set_pin_claimer (
      [this] (const std::string &pin, const std::string &session, gint64 expires_at_us) {
        switch (cluster->claim_pin (pin, session, expires_at_us, false)) {
        case PinClaim::Claimed:
          return PinVerdict::Ours;
        case PinClaim::Taken:
          return PinVerdict::InUse;
        default:
          return PinVerdict::Unavailable;
        }
      });
  g_message ("cluster: node %s joins through Redis at %s", cluster->node ().c_str (),
             cluster->address ().shown.c_str ());
  return true;
}

/* Redis came back, perhaps empty (restarted without persistence): this
 * node's sessions take their PINs again, so other nodes find them. */
void ServerImpl::reclaim_pins ()
{
  if (!cluster)
    return;
  std::size_t taken = 0, lost = 0;
  for (const auto &[id, s] : registry.sessions ()) {
    switch (cluster->claim_pin (s.pin, id, s.expires_at_us, false)) {
    case PinClaim::Claimed:
      taken++;
      break;
    case PinClaim::Taken:
      lost++;
      g_warning ("cluster: PIN %s of session %s was given to another node's session while "
                 "Redis was out of reach; only this node's viewers reach it",
                 s.pin.c_str (), id.c_str ());
      break;
    default:
      return; /* gone again: the next link does it */
    }
  }
  if (taken || lost)
    g_message ("cluster: %zu sessions took their PINs again", taken);
}

std::string ServerImpl::no_pin_reason () const
{
  if (cluster && !cluster->up ())
    return "This server cannot reach its cluster right now, so it cannot give a PIN unique "
           "across the cluster. Try again in a few seconds.";
  return "No free PIN right now. Try again later.";
}

std::string ServerImpl::cluster_load () const
{
  gchar *text = g_strdup_printf ("{\"sessions\":%zu,\"viewers\":%zu,\"connections\":%zu,"
                                 "\"port\":%u}",
                                 registry.session_count (), registry.viewer_count (),
                                 connections.size (), port);
  std::string out (text);
  g_free (text);
  return out;
}

std::vector<std::string> ServerImpl::cluster_watched () const
{
  std::set<std::string> nodes;
  for (const auto &[peer, c] : connections) {
    if (!c->remote_node.empty ())
      nodes.insert (c->remote_node);
    if (!c->home_node.empty ())
      nodes.insert (c->home_node);
  }
  return { nodes.begin (), nodes.end () };
}

void ServerImpl::record_guess (const std::string &address, gint64 now_us)
{
  guesses.record_failure (address, now_us);
  if (cluster)
    cluster->broadcast (envelope ("guess", cluster->node (), { { "address", address } }));
}

void ServerImpl::share_create (const std::string &address)
{
  if (cluster)
    cluster->broadcast (envelope ("create", cluster->node (), { { "address", address } }));
}

bool ServerImpl::route_join (Connection &c, const std::string &pin)
{
  if (!cluster || c.stand_in () || !is_pin_shaped (pin))
    return false;
  Session *here = registry.find_by_pin (pin);
  if (here && g_get_real_time () < here->expires_at_us)
    return false;
  PinOwner owner = cluster->find_pin (pin);
  const char *refused = nullptr;
  std::string text;
  switch (owner.state) {
  case PinOwner::State::None:
    return false;
  case PinOwner::State::Live:
    if (owner.node == cluster->node ())
      return false;
    if (!cluster->send (
            owner.node,
            envelope ("open", cluster->node (),
                      { { "peer", c.peer }, { "address", c.address }, { "base", c.page_base } })) ||
        !cluster->send (owner.node, envelope ("msg", cluster->node (),
                                              { { "peer", c.peer },
                                                { "text", std::string (handling_text) } }))) {
      refused = "unavailable";
      text = "This server lost its link to the rest of its cluster, so the session with PIN " +
             pin + " cannot be reached from here. Try again in a few seconds.";
      break;
    }
    c.home_node = owner.node;
    c.proxied_on.insert (owner.node);
    metrics.cluster_joins_routed++;
    metrics.cluster_messages_out += 2;
    return true;
  case PinOwner::State::NodeGone:
    if (owner.node == cluster->node ())
      return false;
    refused = "node-gone";
    text = "The server that held the session with PIN " + pin +
           " has stopped. If its host reconnects, the PIN works again in a few seconds.";
    break;
  case PinOwner::State::Unavailable:
    refused = "unavailable";
    text = "This server cannot reach the rest of its cluster right now, so a session hosted on "
           "another server cannot be joined. Try again in a few seconds.";
    /* A guess nobody could check still counts as one. */
    record_guess (c.address, g_get_monotonic_time ());
    break;
  }
  metrics.joins_failed++;
  metrics.cluster_joins_refused[refused]++;
  send_error (c, ErrorCode::Internal, text, Type::Join);
  return true;
}

void ServerImpl::forward_to_home (Connection &c, const char *data, gsize size)
{
  if (cluster && cluster->send (c.home_node, envelope ("msg", cluster->node (),
                                                       { { "peer", c.peer },
                                                         { "text", std::string (data, size) } }))) {
    metrics.cluster_messages_out++;
    return;
  }
  send_error (c, ErrorCode::Internal,
              "This server lost its link to the server that holds your session; this message "
              "was not delivered.",
              Type::Unknown);
}

void ServerImpl::send_to_stand_in (Connection &c, const std::string &text)
{
  if (cluster && cluster->send (c.remote_node, envelope ("send", cluster->node (),
                                                         { { "peer", c.peer }, { "text", text } })))
    metrics.cluster_messages_out++;
}

void ServerImpl::close_stand_in (Connection &c, gushort code, const char *reason)
{
  if (cluster)
    cluster->send (c.remote_node, envelope ("close", cluster->node (),
                                            { { "peer", c.peer },
                                              { "code", std::to_string (code) },
                                              { "reason", reason ? reason : "" } }));
}

void ServerImpl::tell_stand_ins_closed (Connection &c)
{
  if (!cluster)
    return;
  for (const auto &node : c.proxied_on)
    cluster->send (node, envelope ("closed", cluster->node (), { { "peer", c.peer } }));
}

void ServerImpl::release_viewer (Connection &c)
{
  c.role = Role::None;
  if (c.stand_in () && cluster)
    cluster->send (c.remote_node, envelope ("released", cluster->node (), { { "peer", c.peer } }));
}

bool ServerImpl::cluster_claim_restored (const std::string &pin, const std::string &session_id,
                                         gint64 expires_at_us, std::string &refusal)
{
  if (!cluster)
    return true;
  std::string previous;
  switch (cluster->claim_pin (pin, session_id, expires_at_us, true, &previous)) {
  case PinClaim::Claimed:
    if (!previous.empty () && previous != cluster->node ())
      cluster->send (previous, envelope ("moved", cluster->node (), { { "session", session_id } }));
    return true;
  case PinClaim::Taken:
    refusal = "PIN " + pin + " is in use by another session in the cluster; it cannot be kept.";
    return false;
  default:
    refusal = no_pin_reason ();
    return false;
  }
}

void ServerImpl::on_cluster_message (const char *data, gsize size, bool)
{
  if (size > kMaxEnvelopeBytes) {
    g_warning ("cluster: dropped a message of %" G_GSIZE_FORMAT " bytes", size);
    return;
  }
  JsonParser *parser = json_parser_new ();
  if (!json_parser_load_from_data (parser, data, (gssize) size, nullptr) ||
      !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser))) {
    g_object_unref (parser);
    g_warning ("cluster: dropped a message that is not a JSON object");
    return;
  }
  JsonObject *o = json_node_get_object (json_parser_get_root (parser));
  std::string kind = member (o, "k"), from = member (o, "from"), peer = member (o, "peer");
  gint64 now = g_get_monotonic_time ();
  auto it = connections.find (peer);
  Connection *c = it == connections.end () ? nullptr : it->second.get ();
  if (from == cluster->node ()) {
    /* our own broadcast */
  } else if (kind == "guess") {
    guesses.record_failure (member (o, "address"), now);
    note_flood_mode (now);
  } else if (kind == "create") {
    create_limiter.try_take (member (o, "address"), now);
  } else if (kind == "recording") {
    recording_ended (member (o, "job"));
  } else {
    metrics.cluster_messages_in++;
    if (kind == "open" && !c) {
      auto stand_in =
          std::make_unique<Connection> (this, peer, member (o, "address"), member (o, "base"), from,
                                        config.msg_burst, config.msg_per_s);
      connections.emplace (peer, std::move (stand_in));
    } else if (kind == "msg" && c && c->remote_node == from) {
      std::string text = member (o, "text");
      GBytes *bytes = g_bytes_new (text.data (), text.size ());
      handle_text (*c, bytes);
      g_bytes_unref (bytes);
      /* A join refused, or a leave: the viewer's own node takes it back. */
      it = connections.find (peer);
      if (it != connections.end () && it->second->role == Role::None)
        release_viewer (*it->second);
    } else if (kind == "closed" && c && c->remote_node == from) {
      handle_closed (*c); /* destroys it */
    } else if (kind == "send" && c && c->proxied_on.count (from)) {
      c->channel->send_text (member (o, "text"));
    } else if (kind == "close" && c && c->proxied_on.count (from)) {
      close_connection (*c, SOUP_WEBSOCKET_CLOSE_GOING_AWAY, "closed by the session's server");
    } else if (kind == "released" && c && c->home_node == from) {
      c->home_node.clear ();
    } else if (kind == "moved") {
      if (Session *s = registry.find (member (o, "session"))) {
        g_message ("cluster: the host of session %s resumed on node %s", s->id.c_str (),
                   from.c_str ());
        std::string host = s->host_peer;
        end_session (s->id, proto::kReasonHostDisconnected);
        auto h = connections.find (host);
        if (h != connections.end ()) {
          h->second->role = Role::None;
          close_connection (*h->second, SOUP_WEBSOCKET_CLOSE_NORMAL,
                            "the host resumed on another server");
        }
      }
    }
  }
  g_object_unref (parser);
}

/* A worker finished a job (recording_jobs.h): the node that queued it
 * tells the webhooks. */
void ServerImpl::recording_ended (const std::string &job_id)
{
  if (!notifier || !recordings::is_job_id (job_id))
    return;
  auto job = recordings::load (
      [this] (const std::vector<std::string> &a) { return cluster->ask (a); }, job_id);
  if (!job || job->node != cluster->node () ||
      (job->state != recordings::kDone && job->state != recordings::kFailed))
    return;
  Session s;
  if (const Session *live = registry.find (job->session))
    s = *live;
  s.id = job->session;
  s.pin = job->pin;
  RecordingNote note{ job->id, job->state, job->files, job->error };
  notify (job->state == recordings::kDone ? event::kRecordingDone : event::kRecordingFailed, s,
          nullptr, nullptr, &note);
}

void ServerImpl::cluster_node_gone (const std::string &node)
{
  g_message ("cluster: node %s stopped heartbeating", node.c_str ());
  std::vector<std::string> stand_ins, homed;
  for (const auto &[peer, c] : connections) {
    if (c->remote_node == node)
      stand_ins.push_back (peer);
    if (c->home_node == node)
      homed.push_back (peer);
  }
  for (const auto &peer : stand_ins) {
    auto it = connections.find (peer);
    if (it != connections.end ())
      handle_closed (*it->second);
  }
  /* As when a lone server stops: the viewer's WebSocket closes, its media
   * goes on. */
  for (const auto &peer : homed) {
    auto it = connections.find (peer);
    if (it == connections.end ())
      continue;
    it->second->home_node.clear ();
    it->second->proxied_on.erase (node);
    close_connection (*it->second, SOUP_WEBSOCKET_CLOSE_GOING_AWAY,
                      "the server holding this session stopped");
  }
}

} // namespace gv::signaling
