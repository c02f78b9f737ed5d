/* A signalling node's link to the other nodes of its cluster, through one
 * Redis server (`ghostview-signaling --redis redis://HOST:PORT[/DB]`).
 *
 * What lives in Redis:
 * - `gv:pin:PIN` = "NODE|SESSION": the PIN is taken cluster-wide (set only
 *   when free, or when its node is gone); removed when the session ends,
 *   expires a day after the PIN does.
 * - `gv:node:NODE` = this node's load (JSON), refreshed every second and
 *   expiring after 3: a node whose key is gone is dead, and its sessions
 *   with it.
 * Channels (pub/sub; channels are server-wide, so they carry the database
 * number): `gv:DB:to:NODE`, one per node for everything addressed to it,
 * and `gv:DB:all` for what every node counts (wrong PINs, sessions
 * created).
 *
 * The PIN operations ask and wait (a few hundred microseconds on a LAN,
 * 200 ms at most); messages and heartbeats do not wait. When Redis cannot
 * be reached the link says so (up () false) and reconnects by itself every
 * second; the node keeps its own sessions meanwhile. */
#pragma once

#include "redis_reply.h"

#include <glib.h>

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace gv::signaling {

struct RedisAddress {
  std::string host;
  int port = 6379;
  int db = 0;
  std::string password;
  std::string shown; /* the URL without its password, for messages */
};

/* redis://[:PASSWORD@]HOST[:PORT][/DB]; false with `error` set otherwise. */
bool parse_redis_url (const std::string &url, RedisAddress &out, std::string &error);

/* The channel every node listens to, in database `db`. A recorder-worker
 * publishes {"k": "recording", "from": WORKER, "job": ID} there when a job
 * ends, for the node that queued it to notify (webhooks.h). */
std::string cluster_broadcast_channel (int db);

/* A node name: 1 to 32 of [A-Za-z0-9_-]. */
bool is_node_id (const std::string &id);

enum class PinClaim {
  Claimed,    /* the PIN is this session's on this node */
  Taken,      /* another live session on a live node holds it */
  Unavailable /* Redis cannot be reached: nothing is known */
};

struct PinOwner {
  enum class State {
    None,       /* no session in the cluster has this PIN */
    Live,       /* `node` holds session `session`, and is alive */
    NodeGone,   /* `node` held it, and has stopped heartbeating */
    Unavailable /* Redis cannot be reached */
  };
  State state = State::None;
  std::string node;
  std::string session;
};

class Cluster {
public:
  struct Handlers {
    /* A message published to this node's channel, or (`broadcast`) by
     * another node to every node. */
    std::function<void (const char *data, gsize size, bool broadcast)> message;
    /* A node this node asked about (`watched`) stopped heartbeating. */
    std::function<void (const std::string &node)> node_gone;
    /* The nodes whose liveness matters to this node now. */
    std::function<std::vector<std::string> ()> watched;
    /* This node's load, for its heartbeat (a JSON object). */
    std::function<std::string ()> load;
    /* Redis came back (true) or went away (false). */
    std::function<void (bool up)> state_changed;
  };

  /* Connects (the PIN link at once: a Redis that cannot be reached is an
   * error here) and starts heartbeating. */
  static std::unique_ptr<Cluster> start (const std::string &url, const std::string &node,
                                         Handlers handlers, GError **error);
  ~Cluster ();
  Cluster (const Cluster &) = delete;
  Cluster &operator= (const Cluster &) = delete;

  const std::string &node () const;
  const RedisAddress &address () const;
  bool up () const;

  /* Takes `pin` for `session` on this node until a day after
   * `expires_at_us` (Unix µs). `takeover`: also when another live node
   * holds it for this same session (its host moved here); `previous` is
   * then that node. */
  PinClaim claim_pin (const std::string &pin, const std::string &session, gint64 expires_at_us,
                      bool takeover, std::string *previous = nullptr);
  /* Gives `pin` up, if this node still holds it for `session`. */
  void release_pin (const std::string &pin, const std::string &session);
  PinOwner find_pin (const std::string &pin);

  /* Publishes `text` to node `node`'s channel, or to every node. Dropped
   * while Redis cannot be reached (false). */
  bool send (const std::string &node, const std::string &text);
  bool broadcast (const std::string &text);

  /* The nodes heartbeating now: (name, its load as it wrote it: JSON). */
  std::vector<std::pair<std::string, std::string>> nodes ();

  /* Any command, waited for (null while Redis cannot be reached): the
   * recorder pool's jobs (recording_jobs.h). */
  RedisReply ask (const std::vector<std::string> &args);

  struct Private;

private:
  Cluster ();
  std::unique_ptr<Private> priv_;
};

} // namespace gv::signaling
