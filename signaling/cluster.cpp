#include "cluster.h"

#include "random.h"
#include "redis_reply.h"
#include "redis_source.h"

#include <gio/gio.h>

#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include <algorithm>
#include <cstdlib>

namespace gv::signaling {
namespace {

constexpr guint kHeartbeatMs = 1000;
constexpr int kNodeLeaseMs = 3000;                 /* a node silent this long is dead */
constexpr gint64 kPinKeptAfterExpiryMs = 86400000; /* sessions outlive their PIN's expiry */

/* Takes the PIN when free, held by this same value, held by a dead node,
 * or (ARGV[4] "1") held by this same session on another node. Answers
 * {1 taken | 0 refused, the previous value or ""}. */
constexpr const char *kClaimScript = R"(
local cur = redis.call('GET', KEYS[1])
if cur and cur ~= ARGV[1] then
  local node, session = string.match(cur, '^([^|]*)|(.*)$')
  local mine = string.match(ARGV[1], '|(.*)$')
  if node and redis.call('EXISTS', ARGV[3] .. node) == 1
     and not (ARGV[4] == '1' and session == mine) then
    return {0, cur}
  end
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return {1, cur or ''}
)";

/* {value, 1 alive | 0 gone}, or {} when no session has the PIN. */
constexpr const char *kFindScript = R"(
local cur = redis.call('GET', KEYS[1])
if not cur then return {} end
local node = string.match(cur, '^([^|]*)|') or ''
return {cur, redis.call('EXISTS', ARGV[1] .. node)}
)";

constexpr const char *kReleaseScript = R"(
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
)";

using Reply = RedisReply;

/* An asynchronous connection: one publishes and heartbeats, one listens. */
struct Link {
  redisAsyncContext *ac = nullptr;
  GSource *source = nullptr; /* owned by the main context */
  bool ready = false;        /* answered its first command */
  void reset ()
  {
    ac = nullptr;
    source = nullptr;
    ready = false;
  }
};

} // namespace

struct Cluster::Private {
  std::string node;
  RedisAddress addr;
  Handlers handlers;
  GMainContext *context = nullptr;
  redisContext *sync = nullptr; /* the PIN link: ask and wait */
  Link pub, sub;
  guint heartbeat = 0;
  bool was_up = false;
  gint64 linked_us = 0; /* when it last came up (monotonic) */
  bool closing = false;
  bool heartbeating = false; /* its node key is its own to delete */
  bool reconnecting = false;
  std::string last_problem; /* logged once until it changes */
  std::string pin_prefix = "gv:pin:";
  std::string node_prefix = "gv:node:";
  std::string my_channel, all_channel;

  ~Private ();
  bool connect_sync (std::string &why);
  Reply ask (const std::vector<std::string> &args);
  void open_link (Link &l, bool subscriber);
  Link *link_of (const redisAsyncContext *ac);
  void forget (const redisAsyncContext *ac);
  void update_state ();
  void problem (const std::string &text);
  void beat ();
  bool up () const { return sync && pub.ready && sub.ready; }
};

namespace {

void command_argv (redisAsyncContext *ac, redisCallbackFn *fn, void *data,
                   const std::vector<std::string> &args)
{
  std::vector<const char *> argv;
  std::vector<size_t> lens;
  for (const auto &a : args) {
    argv.push_back (a.data ());
    lens.push_back (a.size ());
  }
  redisAsyncCommandArgv (ac, fn, data, (int) args.size (), argv.data (), lens.data ());
}

void on_connect (const redisAsyncContext *ac, int status)
{
  auto *p = static_cast<Cluster::Private *> (ac->data);
  if (status != REDIS_OK) {
    p->problem (std::string ("cannot reach Redis at ") + p->addr.shown + ": " + ac->errstr);
    p->forget (ac); /* hiredis frees it after this returns */
  }
}

void on_disconnect (const redisAsyncContext *ac, int status)
{
  auto *p = static_cast<Cluster::Private *> (ac->data);
  if (status != REDIS_OK && !p->closing)
    p->problem (std::string ("lost Redis at ") + p->addr.shown + ": " + ac->errstr);
  p->forget (ac);
}

void on_ready_reply (redisAsyncContext *ac, void *reply, void *)
{
  auto *p = static_cast<Cluster::Private *> (ac->data);
  auto *r = static_cast<redisReply *> (reply);
  Link *l = p->link_of (ac);
  if (!r || !l)
    return;
  if (r->type == REDIS_REPLY_ERROR) {
    p->problem (std::string ("Redis at ") + p->addr.shown + " refused us: " + r->str);
    return;
  }
  l->ready = true;
  p->update_state ();
}

void on_subscription (redisAsyncContext *ac, void *reply, void *)
{
  auto *p = static_cast<Cluster::Private *> (ac->data);
  auto *r = static_cast<redisReply *> (reply);
  if (!r)
    return;
  if (r->type == REDIS_REPLY_ERROR) {
    p->problem (std::string ("Redis at ") + p->addr.shown + " refused to subscribe: " + r->str);
    return;
  }
  if (r->type != REDIS_REPLY_ARRAY || r->elements < 3 || r->element[0]->type != REDIS_REPLY_STRING)
    return;
  std::string kind (r->element[0]->str, r->element[0]->len);
  if (kind == "subscribe") {
    if (r->element[2]->type == REDIS_REPLY_INTEGER && r->element[2]->integer == 2) {
      p->sub.ready = true;
      p->update_state ();
    }
    return;
  }
  if (kind != "message" || r->element[1]->type != REDIS_REPLY_STRING ||
      r->element[2]->type != REDIS_REPLY_STRING || !p->handlers.message)
    return;
  bool broadcast = std::string (r->element[1]->str, r->element[1]->len) == p->all_channel;
  p->handlers.message (r->element[2]->str, r->element[2]->len, broadcast);
}

struct Watch {
  Cluster::Private *p;
  std::string node;
};

void on_watch_reply (redisAsyncContext *, void *reply, void *data)
{
  std::unique_ptr<Watch> w (static_cast<Watch *> (data));
  auto *r = static_cast<redisReply *> (reply);
  if (r && r->type == REDIS_REPLY_INTEGER && r->integer == 0 && w->p->handlers.node_gone &&
      !w->p->closing)
    w->p->handlers.node_gone (w->node);
}

gboolean heartbeat_cb (gpointer data)
{
  static_cast<Cluster::Private *> (data)->beat ();
  return G_SOURCE_CONTINUE;
}

} // namespace

RedisReply redis_command (redisContext *c, const std::vector<std::string> &args)
{
  std::vector<const char *> argv;
  std::vector<size_t> lens;
  for (const auto &a : args) {
    argv.push_back (a.data ());
    lens.push_back (a.size ());
  }
  return RedisReply (static_cast<redisReply *> (
      redisCommandArgv (c, (int) args.size (), argv.data (), lens.data ())));
}

bool parse_redis_url (const std::string &url, RedisAddress &out, std::string &error)
{
  GError *err = nullptr;
  GUri *uri = g_uri_parse (url.c_str (), G_URI_FLAGS_HAS_PASSWORD, &err);
  if (!uri) {
    error = "--redis " + url + ": not a URL (" + err->message + "); give redis://HOST:PORT[/DB]";
    g_error_free (err);
    return false;
  }
  bool ok = true;
  const char *path = g_uri_get_path (uri);
  if (g_strcmp0 (g_uri_get_scheme (uri), "redis") != 0 || !g_uri_get_host (uri) ||
      !*g_uri_get_host (uri)) {
    error = "--redis " + url + ": give redis://HOST:PORT[/DB]";
    ok = false;
  } else {
    out.host = g_uri_get_host (uri);
    out.port = g_uri_get_port (uri) > 0 ? g_uri_get_port (uri) : 6379;
    out.password = g_uri_get_password (uri) ? g_uri_get_password (uri) : "";
    out.db = 0;
    if (path && *path && g_strcmp0 (path, "/") != 0) {
      char *end = nullptr;
      long db = strtol (path + 1, &end, 10);
      if (!g_ascii_isdigit (path[1]) || *end || db < 0 || db > 1000) {
        error = "--redis " + url + ": the database after the port is a number, as in /0";
        ok = false;
      }
      out.db = (int) db;
    }
    out.shown =
        "redis://" + out.host + ":" + std::to_string (out.port) + "/" + std::to_string (out.db);
  }
  g_uri_unref (uri);
  return ok;
}

std::string cluster_broadcast_channel (int db)
{
  return "gv:" + std::to_string (db) + ":all";
}

bool is_node_id (const std::string &id)
{
  return !id.empty () && id.size () <= 32 && std::all_of (id.begin (), id.end (), [] (char c) {
    return g_ascii_isalnum (c) || c == '-' || c == '_';
  });
}

Cluster::Private::~Private ()
{
  closing = true;
  if (heartbeat)
    g_source_remove (heartbeat);
  for (Link *l : { &pub, &sub }) {
    if (l->ac)
      redisAsyncFree (l->ac); /* runs forget () when it was connected */
    if (l->source)
      g_source_destroy (l->source);
  }
  if (sync) {
    /* Gone now, not in kNodeLeaseMs: the other nodes stop waiting for us. */
    if (heartbeating)
      Reply bye (ask ({ "DEL", node_prefix + node }));
    if (sync)
      redisFree (sync);
  }
}

void Cluster::Private::problem (const std::string &text)
{
  if (text == last_problem || closing)
    return;
  last_problem = text;
  g_warning ("cluster: %s; this node keeps its own sessions and tries again every second",
             text.c_str ());
}

bool Cluster::Private::connect_sync (std::string &why)
{
  timeval connect_timeout{ 0, 500000 };
  redisContext *c = redisConnectWithTimeout (addr.host.c_str (), addr.port, connect_timeout);
  if (!c || c->err) {
    why = c ? c->errstr : "out of memory";
    if (c)
      redisFree (c);
    return false;
  }
  timeval command_timeout{ 0, 200000 };
  redisSetTimeout (c, command_timeout);
  sync = c;
  std::vector<std::vector<std::string>> setup;
  if (!addr.password.empty ())
    setup.push_back ({ "AUTH", addr.password });
  setup.push_back ({ "SELECT", std::to_string (addr.db) });
  for (const auto &args : setup) {
    Reply r = ask (args);
    if (!r || r->type == REDIS_REPLY_ERROR) {
      why = r ? std::string (r->str) : "no answer";
      if (sync)
        redisFree (sync);
      sync = nullptr;
      return false;
    }
  }
  return true;
}

Reply Cluster::Private::ask (const std::vector<std::string> &args)
{
  if (!sync)
    return nullptr;
  redisReply *r = redis_command (sync, args).release ();
  std::string why;
  if (!r && (sync->err == REDIS_ERR_EOF || sync->err == REDIS_ERR_IO) && !reconnecting) {
    /* Redis restarted since this link last spoke: once more, afresh. */
    redisFree (sync);
    sync = nullptr;
    reconnecting = true;
    bool again = connect_sync (why);
    reconnecting = false;
    if (again)
      r = redis_command (sync, args).release ();
  }
  if (!r) {
    problem (std::string ("lost Redis at ") + addr.shown + ": " + (sync ? sync->errstr : why));
    if (sync)
      redisFree (sync);
    sync = nullptr;
    update_state ();
  }
  return Reply (r);
}

void Cluster::Private::open_link (Link &l, bool subscriber)
{
  l.reset ();
  l.ac = redisAsyncConnect (addr.host.c_str (), addr.port);
  if (!l.ac || l.ac->err) {
    if (l.ac) {
      problem (std::string ("cannot reach Redis at ") + addr.shown + ": " + l.ac->errstr);
      redisAsyncFree (l.ac);
    }
    l.ac = nullptr;
    return;
  }
  l.ac->data = this;
  l.source = attach_redis_source (l.ac, context);
  redisAsyncSetConnectCallback (l.ac, on_connect);
  redisAsyncSetDisconnectCallback (l.ac, on_disconnect);
  if (!addr.password.empty ())
    command_argv (l.ac, nullptr, nullptr, { "AUTH", addr.password });
  if (subscriber) {
    command_argv (l.ac, on_subscription, nullptr, { "SUBSCRIBE", my_channel, all_channel });
  } else {
    command_argv (l.ac, nullptr, nullptr, { "SELECT", std::to_string (addr.db) });
    command_argv (l.ac, on_ready_reply, nullptr, { "PING" });
  }
}

Link *Cluster::Private::link_of (const redisAsyncContext *ac)
{
  if (ac && ac == pub.ac)
    return &pub;
  if (ac && ac == sub.ac)
    return &sub;
  return nullptr;
}

void Cluster::Private::forget (const redisAsyncContext *ac)
{
  Link *l = link_of (ac);
  if (!l)
    return;
  if (l->source)
    g_source_destroy (l->source);
  l->reset ();
  update_state ();
}

void Cluster::Private::update_state ()
{
  bool now_up = up ();
  if (now_up == was_up || closing)
    return;
  was_up = now_up;
  if (now_up) {
    linked_us = g_get_monotonic_time ();
    /* Alive again at once: Redis may have come back empty. */
    Reply alive (ask ({ "SET", node_prefix + node, handlers.load ? handlers.load () : "{}", "PX",
                        std::to_string (kNodeLeaseMs) }));
    g_message ("cluster: node %s is linked through Redis at %s", node.c_str (),
               addr.shown.c_str ());
    last_problem.clear ();
  }
  if (handlers.state_changed)
    handlers.state_changed (now_up);
}

void Cluster::Private::beat ()
{
  if (!sync) {
    std::string why;
    if (!connect_sync (why))
      problem ("cannot reach Redis at " + addr.shown + ": " + why);
  }
  if (!pub.ac)
    open_link (pub, false);
  if (!sub.ac)
    open_link (sub, true);
  if (pub.ready) {
    command_argv (pub.ac, nullptr, nullptr,
                  { "SET", node_prefix + node, handlers.load ? handlers.load () : "{}", "PX",
                    std::to_string (kNodeLeaseMs) });
    /* After Redis came back (perhaps empty), other nodes need a lease to
     * write their heartbeat again before their silence means anything. */
    bool settled = g_get_monotonic_time () - linked_us > (gint64) kNodeLeaseMs * 1000;
    if (handlers.watched && settled)
      for (const auto &other : handlers.watched ())
        if (other != node)
          command_argv (pub.ac, on_watch_reply, new Watch{ this, other },
                        { "EXISTS", node_prefix + other });
  }
  update_state ();
}

Cluster::Cluster () : priv_ (std::make_unique<Private> ()) {}
Cluster::~Cluster () = default;

std::unique_ptr<Cluster> Cluster::start (const std::string &url, const std::string &node,
                                         Handlers handlers, GError **error)
{
  std::unique_ptr<Cluster> c (new Cluster ());
  Private &p = *c->priv_;
  std::string why;
  if (!parse_redis_url (url, p.addr, why)) {
    g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, why.c_str ());
    return nullptr;
  }
  p.node = node.empty () ? "node-" + random_id (6) : node;
  if (!is_node_id (p.node)) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                 "--node-id %s: use 1 to 32 letters, digits, '-' or '_'", p.node.c_str ());
    return nullptr;
  }
  p.handlers = std::move (handlers);
  p.context = g_main_context_get_thread_default ();
  std::string prefix = "gv:" + std::to_string (p.addr.db) + ":";
  p.my_channel = prefix + "to:" + p.node;
  p.all_channel = cluster_broadcast_channel (p.addr.db);
  if (!p.connect_sync (why)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED, "cannot reach Redis at %s: %s",
                 p.addr.shown.c_str (), why.c_str ());
    return nullptr;
  }
  /* A node of the same name still heartbeating: two nodes would share one
   * channel and each other's sessions. */
  Reply alive = p.ask ({ "EXISTS", p.node_prefix + p.node });
  if (alive && alive->type == REDIS_REPLY_INTEGER && alive->integer == 1) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS,
                 "another node named %s is running in the cluster at %s; give each node its "
                 "own --node-id",
                 p.node.c_str (), p.addr.shown.c_str ());
    return nullptr;
  }
  p.ask ({ "SET", p.node_prefix + p.node, "{}", "PX", std::to_string (kNodeLeaseMs) });
  p.heartbeating = true;
  p.open_link (p.pub, false);
  p.open_link (p.sub, true);
  GSource *timer = g_timeout_source_new (kHeartbeatMs);
  g_source_set_callback (timer, heartbeat_cb, &p, nullptr);
  p.heartbeat = g_source_attach (timer, p.context);
  g_source_unref (timer);
  return c;
}

const std::string &Cluster::node () const
{
  return priv_->node;
}

const RedisAddress &Cluster::address () const
{
  return priv_->addr;
}

bool Cluster::up () const
{
  return priv_->up ();
}

std::vector<std::pair<std::string, std::string>> Cluster::nodes ()
{
  Private &p = *priv_;
  std::vector<std::string> keys;
  std::string cursor = "0";
  do {
    Reply r = p.ask ({ "SCAN", cursor, "MATCH", p.node_prefix + "*", "COUNT", "1000" });
    if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
        r->element[0]->type != REDIS_REPLY_STRING || r->element[1]->type != REDIS_REPLY_ARRAY)
      return {};
    cursor.assign (r->element[0]->str, r->element[0]->len);
    for (size_t i = 0; i < r->element[1]->elements && keys.size () < 10000; i++)
      keys.emplace_back (r->element[1]->element[i]->str, r->element[1]->element[i]->len);
  } while (cursor != "0" && keys.size () < 10000);
  std::vector<std::pair<std::string, std::string>> out;
  if (keys.empty ())
    return out;
  std::vector<std::string> args = { "MGET" };
  args.insert (args.end (), keys.begin (), keys.end ());
  Reply values = p.ask (args);
  if (!values || values->type != REDIS_REPLY_ARRAY || values->elements != keys.size ())
    return out;
  for (size_t i = 0; i < keys.size (); i++)
    if (values->element[i]->type == REDIS_REPLY_STRING)
      out.emplace_back (keys[i].substr (p.node_prefix.size ()),
                        std::string (values->element[i]->str, values->element[i]->len));
  std::sort (out.begin (), out.end ());
  return out;
}

RedisReply Cluster::ask (const std::vector<std::string> &args)
{
  return priv_->ask (args);
}

PinClaim Cluster::claim_pin (const std::string &pin, const std::string &session,
                             gint64 expires_at_us, bool takeover, std::string *previous)
{
  Private &p = *priv_;
  gint64 ttl_ms = MAX (0, (expires_at_us - g_get_real_time ()) / 1000) + kPinKeptAfterExpiryMs;
  Reply r = p.ask ({ "EVAL", kClaimScript, "1", p.pin_prefix + pin, p.node + "|" + session,
                     std::to_string (ttl_ms), p.node_prefix, takeover ? "1" : "0" });
  if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
      r->element[0]->type != REDIS_REPLY_INTEGER) {
    if (r && r->type == REDIS_REPLY_ERROR)
      p.problem (std::string ("Redis refused a PIN claim: ") + r->str);
    return PinClaim::Unavailable;
  }
  std::string before = r->element[1]->type == REDIS_REPLY_STRING
                           ? std::string (r->element[1]->str, r->element[1]->len)
                           : "";
  if (previous)
    *previous = before.substr (0, before.find ('|'));
  return r->element[0]->integer == 1 ? PinClaim::Claimed : PinClaim::Taken;
}

void Cluster::release_pin (const std::string &pin, const std::string &session)
{
  Private &p = *priv_;
  if (p.pub.ac)
    command_argv (p.pub.ac, nullptr, nullptr,
                  { "EVAL", kReleaseScript, "1", p.pin_prefix + pin, p.node + "|" + session });
}

PinOwner Cluster::find_pin (const std::string &pin)
{
  Private &p = *priv_;
  PinOwner owner;
  if (!p.up ()) {
    owner.state = PinOwner::State::Unavailable;
    return owner;
  }
  Reply r = p.ask ({ "EVAL", kFindScript, "1", p.pin_prefix + pin, p.node_prefix });
  if (!r || r->type != REDIS_REPLY_ARRAY) {
    owner.state = PinOwner::State::Unavailable;
    return owner;
  }
  if (r->elements != 2 || r->element[0]->type != REDIS_REPLY_STRING)
    return owner;
  std::string value (r->element[0]->str, r->element[0]->len);
  std::size_t bar = value.find ('|');
  owner.node = value.substr (0, bar);
  owner.session = bar == std::string::npos ? "" : value.substr (bar + 1);
  owner.state = r->element[1]->type == REDIS_REPLY_INTEGER && r->element[1]->integer == 1
                    ? PinOwner::State::Live
                    : PinOwner::State::NodeGone;
  return owner;
}

bool Cluster::send (const std::string &node, const std::string &text)
{
  Private &p = *priv_;
  if (!p.pub.ready)
    return false;
  command_argv (p.pub.ac, nullptr, nullptr,
                { "PUBLISH", "gv:" + std::to_string (p.addr.db) + ":to:" + node, text });
  return true;
}

bool Cluster::broadcast (const std::string &text)
{
  Private &p = *priv_;
  if (!p.pub.ready)
    return false;
  command_argv (p.pub.ac, nullptr, nullptr, { "PUBLISH", p.all_channel, text });
  return true;
}

} // namespace gv::signaling
