/* Notifications (PROTOCOL.md, "Notifications"): the real server process
 * POSTs session events over real HTTP to receivers in this test on
 * 127.0.0.1, driven by a real host and viewers over WebSockets. Each
 * webhook's signature and timestamp are checked the way a receiver would
 * (HMAC-SHA-256 of "TIMESTAMP.BODY", computed here, not with the server's
 * code); a receiver that accepts connections and never answers does not
 * hold up joins, and its events end as failed; a 500 is retried; Gotify's
 * message format is checked by a fake Gotify endpoint (Gotify itself is
 * not packaged in Debian). */
#include "harness.h"

#include "gv_check.h"

#include <json-glib/json-glib.h>

#include <algorithm>
#include <deque>
#include <functional>
#include <map>
#include <set>
#include <sys/wait.h>

using namespace gv;
using namespace gv::test;
using proto::Type;

namespace {

constexpr const char *kSecret = "test-webhook-secret-0123456789";
constexpr const char *kGotifyToken = "AbCdEf-gotify-token";

struct Received {
  std::string path;
  std::map<std::string, std::string> headers;
  std::string body;
};

/* An HTTP receiver on 127.0.0.1 in this process; it answers with the next
 * status of `statuses` (200 once they are used up). It runs while the test
 * iterates the default main context (WsClient waits, spin, wait_for). */
class Receiver {
public:
  Receiver ()
  {
    server_ = soup_server_new ("server-header", "test-receiver", nullptr);
    soup_server_add_handler (server_, nullptr, on_request, this, nullptr);
    GError *error = nullptr;
    ck_assert_msg (soup_server_listen_local (server_, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error),
                   "%s", error ? error->message : "");
    GSList *uris = soup_server_get_uris (server_);
    url = "http://127.0.0.1:" + std::to_string (g_uri_get_port ((GUri *) uris->data));
    g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  }
  ~Receiver ()
  {
    soup_server_disconnect (server_);
    g_object_unref (server_);
  }

  std::string url;
  std::deque<guint> statuses;
  std::vector<Received> got;

private:
  static void on_request (SoupServer *, SoupServerMessage *msg, const char *path, GHashTable *,
                          gpointer data)
  {
    auto *self = static_cast<Receiver *> (data);
    Received r;
    r.path = path;
    SoupMessageHeadersIter it;
    const char *name, *value;
    soup_message_headers_iter_init (&it, soup_server_message_get_request_headers (msg));
    while (soup_message_headers_iter_next (&it, &name, &value)) {
      gchar *lower = g_ascii_strdown (name, -1);
      r.headers[lower] = value;
      g_free (lower);
    }
    SoupMessageBody *body = soup_server_message_get_request_body (msg);
    GBytes *bytes = soup_message_body_flatten (body);
    gsize len = 0;
    const char *data_ = static_cast<const char *> (g_bytes_get_data (bytes, &len));
    r.body.assign (data_, len);
    g_bytes_unref (bytes);
    r.headers["method"] = soup_server_message_get_method (msg);
    self->got.push_back (std::move (r));
    guint status = 200;
    if (!self->statuses.empty ()) {
      status = self->statuses.front ();
      self->statuses.pop_front ();
    }
    soup_server_message_set_status (msg, status, nullptr);
    soup_server_message_set_response (msg, "text/plain", SOUP_MEMORY_STATIC, "ok", 2);
  }
  SoupServer *server_ = nullptr;
};

/* A TCP listener that never accepts: the kernel completes connections into
 * its backlog and the requests sent on them are never answered. */
class DeadReceiver {
public:
  DeadReceiver ()
  {
    sock_ =
        g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, nullptr);
    GInetAddress *lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
    GSocketAddress *addr = g_inet_socket_address_new (lo, 0);
    g_object_unref (lo);
    g_socket_set_listen_backlog (sock_, 128);
    ck_assert (g_socket_bind (sock_, addr, TRUE, nullptr));
    ck_assert (g_socket_listen (sock_, nullptr));
    g_object_unref (addr);
    GSocketAddress *bound = g_socket_get_local_address (sock_, nullptr);
    url = "http://127.0.0.1:" +
          std::to_string (g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound))) + "/hook";
    g_object_unref (bound);
  }
  ~DeadReceiver () { g_object_unref (sock_); }
  std::string url;

private:
  GSocket *sock_ = nullptr;
};

std::string temp_file (const char *name, const char *contents)
{
  gchar *dir = g_dir_make_tmp ("gv-hook-XXXXXX", nullptr);
  std::string path = std::string (dir) + "/" + name;
  g_free (dir);
  ck_assert (g_file_set_contents (path.c_str (), contents, -1, nullptr));
  return path;
}

/* Iterates the main context until `done` or `timeout_ms`; returns done (). */
bool wait_for (const std::function<bool ()> &done, int timeout_ms)
{
  gint64 end = g_get_monotonic_time () + (gint64) timeout_ms * 1000;
  while (!done () && g_get_monotonic_time () < end)
    if (!g_main_context_iteration (nullptr, FALSE))
      g_usleep (2000);
  return done ();
}

std::string metrics_of (ServerProcess &server)
{
  std::string body;
  ck_assert_uint_eq (http_request (server.http_url () + "/metrics", &body), 200);
  return body;
}

gint64 metric (const std::string &text, const std::string &name)
{
  std::size_t at = text.find ("\n" + name + " ");
  if (at == std::string::npos)
    return -1;
  return g_ascii_strtoll (text.c_str () + at + name.size () + 2, nullptr, 10);
}

gint64 webhooks_total (ServerProcess &server, const char *outcome)
{
  return metric (metrics_of (server),
                 std::string ("ghostview_webhooks_total{outcome=\"") + outcome + "\"}");
}

std::string header (const Received &r, const char *name)
{
  auto it = r.headers.find (name);
  return it == r.headers.end () ? "" : it->second;
}

/* What a receiver does: recompute the signature of "TIMESTAMP.BODY" and
 * compare; refuse a timestamp more than 5 minutes away. */
void assert_signed (const Received &r, const char *secret)
{
  std::string ts = header (r, "x-ghostview-timestamp");
  ck_assert_msg (!ts.empty (), "no X-GhostView-Timestamp");
  gint64 when = g_ascii_strtoll (ts.c_str (), nullptr, 10);
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  ck_assert_msg (when > now - 300 && when <= now + 1, "timestamp %s, now %" G_GINT64_FORMAT,
                 ts.c_str (), now);
  std::string signed_text = ts + "." + r.body;
  gchar *hex = g_compute_hmac_for_data (G_CHECKSUM_SHA256, (const guchar *) secret, strlen (secret),
                                        (const guchar *) signed_text.data (), signed_text.size ());
  std::string expected = std::string ("sha256=") + hex;
  g_free (hex);
  GV_ASSERT_STR_EQ (header (r, "x-ghostview-signature"), expected);
  GV_ASSERT_STR_EQ (header (r, "method"), "POST");
  ck_assert_msg (g_str_has_prefix (header (r, "content-type").c_str (), "application/json"),
                 "content-type %s", header (r, "content-type").c_str ());
}

/* The body of a webhook, parsed. */
struct Event {
  std::string id, type, time, pin, host, viewer, reason;
  gint64 seq = -1;
  std::vector<std::string> capabilities;
};

Event parse_event (const Received &r)
{
  JsonParser *p = json_parser_new ();
  ck_assert_msg (json_parser_load_from_data (p, r.body.c_str (), (gssize) r.body.size (), nullptr),
                 "not JSON: %s", r.body.c_str ());
  JsonObject *o = json_node_get_object (json_parser_get_root (p));
  Event e;
  e.id = json_object_get_string_member (o, "id");
  e.type = json_object_get_string_member (o, "type");
  e.time = json_object_get_string_member (o, "time");
  e.seq = json_object_get_int_member (o, "seq");
  JsonObject *s = json_object_get_object_member (o, "session");
  e.pin = json_object_get_string_member (s, "pin");
  e.host = json_object_get_string_member (s, "host");
  if (json_object_has_member (o, "viewer")) {
    JsonObject *v = json_object_get_object_member (o, "viewer");
    e.viewer = json_object_get_string_member (v, "id");
    JsonArray *caps = json_object_get_array_member (v, "capabilities");
    for (guint i = 0; i < json_array_get_length (caps); i++)
      e.capabilities.push_back (json_array_get_string_element (caps, i));
  }
  if (json_object_has_member (o, "reason"))
    e.reason = json_object_get_string_member (o, "reason");
  g_object_unref (p);
  GV_ASSERT_STR_EQ (header (r, "x-ghostview-event"), e.type);
  GV_ASSERT_STR_EQ (header (r, "x-ghostview-delivery"), e.id);
  /* ISO 8601, UTC, within the last minute. */
  ck_assert_msg (g_str_has_suffix (e.time.c_str (), "Z"), "time %s", e.time.c_str ());
  GDateTime *t = g_date_time_new_from_iso8601 (e.time.c_str (), nullptr);
  ck_assert_msg (t, "time %s is not ISO 8601", e.time.c_str ());
  gint64 age = g_get_real_time () / G_USEC_PER_SEC - g_date_time_to_unix (t);
  g_date_time_unref (t);
  ck_assert_msg (age >= -1 && age < 60, "time %s is %" G_GINT64_FORMAT " s old", e.time.c_str (),
                 age);
  return e;
}

bool has (const std::vector<std::string> &v, const char *item)
{
  return std::find (v.begin (), v.end (), item) != v.end ();
}

std::unique_ptr<WsClient> host_session (ServerProcess &server, int max_viewers, std::string &pin,
                                        std::string &host_peer)
{
  auto host = WsClient::connect (server.ws_url ());
  ck_assert (host);
  proto::Message reg = register_host (*host, max_viewers);
  pin = proto::get_string (reg, "pin");
  host_peer = proto::get_string (reg, "peer");
  return host;
}

/* A viewer joins `pin` and the host admits it with `caps`; its id. */
std::string join_and_accept (ServerProcess &server, WsClient &host, const std::string &pin,
                             guint caps, std::vector<std::unique_ptr<WsClient>> &viewers)
{
  auto viewer = WsClient::connect (server.ws_url ());
  ck_assert (viewer);
  viewer->send (proto::make_join (pin, "Ann"));
  std::string peer = proto::get_string (viewer->expect (Type::Waiting), "peer");
  proto::Message req = host.expect (Type::JoinRequest);
  GV_ASSERT_STR_EQ (proto::get_string (req, "peer"), peer);
  host.send (proto::make_accept (peer, caps));
  viewer->expect (Type::Joined);
  viewers.push_back (std::move (viewer));
  return peer;
}

} // namespace

START_TEST (test_events_signed_and_in_order)
{
  Receiver receiver;
  auto server = start_server ({ "--webhook", receiver.url + "/hook", "--webhook-secret-file",
                                temp_file ("secret", kSecret) });
  ck_assert (server);
  std::string pin, host_peer;
  auto host = host_session (*server, 1, pin, host_peer);
  std::vector<std::unique_ptr<WsClient>> viewers;
  std::string viewer =
      join_and_accept (*server, *host, pin, GV_CAPABILITY_VIEW | GV_CAPABILITY_CONTROL, viewers);
  host->send (proto::make_grant (viewer, GV_CAPABILITY_VIEW));
  viewers[0]->expect (Type::Capabilities);
  viewers[0]->send (proto::make_leave ());
  host->expect (Type::PeerLeft);
  host->send (proto::make_end ());

  const std::vector<std::string> expected = { "session.created", "viewer.joined", "control.granted",
                                              "control.revoked", "viewer.left",   "session.ended" };
  ck_assert_msg (wait_for ([&] { return receiver.got.size () >= expected.size (); }, 10000),
                 "%zu of %zu events arrived", receiver.got.size (), expected.size ());
  spin (300); /* nothing more comes */
  ck_assert_uint_eq (receiver.got.size (), expected.size ());

  std::vector<Event> events;
  std::set<std::string> ids;
  for (const auto &r : receiver.got) {
    GV_ASSERT_STR_EQ (r.path, "/hook");
    assert_signed (r, kSecret);
    events.push_back (parse_event (r));
    ids.insert (events.back ().id);
  }
  ck_assert_uint_eq (ids.size (), expected.size ()); /* every event has its own id */
  std::sort (events.begin (), events.end (),
             [] (const Event &a, const Event &b) { return a.seq < b.seq; });
  for (std::size_t i = 0; i < events.size (); i++) {
    GV_ASSERT_STR_EQ (events[i].type, expected[i]);
    GV_ASSERT_STR_EQ (events[i].pin, pin); /* whole: the receiver is the operator's */
    GV_ASSERT_STR_EQ (events[i].host, host_peer);
  }
  for (std::size_t i = 1; i < 5; i++)
    GV_ASSERT_STR_EQ (events[i].viewer, viewer);
  ck_assert (has (events[1].capabilities, "control"));
  ck_assert (has (events[2].capabilities, "control"));
  ck_assert (!has (events[3].capabilities, "control"));
  ck_assert (has (events[3].capabilities, "view"));
  GV_ASSERT_STR_EQ (events[4].reason, "left");
  GV_ASSERT_STR_EQ (events[5].reason, "host-ended");

  /* A receiver with another secret would refuse them. */
  gchar *wrong = g_compute_hmac_for_string (G_CHECKSUM_SHA256, (const guchar *) "other", 5,
                                            receiver.got[0].body.c_str (), -1);
  ck_assert (header (receiver.got[0], "x-ghostview-signature") != std::string ("sha256=") + wrong);
  g_free (wrong);

  ck_assert_int_eq (webhooks_total (*server, "delivered"), 6);
  ck_assert_int_eq (webhooks_total (*server, "retried"), 0);
  ck_assert_int_eq (webhooks_total (*server, "failed"), 0);
  ck_assert_int_eq (webhooks_total (*server, "dropped"), 0);
}
END_TEST

/* A kick and an end through the session API are events too. */
START_TEST (test_api_kick_and_end_are_events)
{
  Receiver receiver;
  const char *key = "hook-admin-key-0123";
  gchar *hash = g_compute_checksum_for_string (G_CHECKSUM_SHA256, key, -1);
  std::string keys = std::string ("ops admin ") + hash + "\n";
  g_free (hash);
  auto server = start_server ({ "--webhook", receiver.url + "/hook", "--webhook-secret-file",
                                temp_file ("secret", kSecret), "--api-keys",
                                temp_file ("keys", keys.c_str ()) });
  ck_assert (server);
  std::string pin, host_peer;
  auto host = host_session (*server, 2, pin, host_peer);
  std::vector<std::unique_ptr<WsClient>> viewers;
  std::string viewer = join_and_accept (*server, *host, pin, GV_CAPABILITY_VIEW, viewers);

  SoupSession *http = soup_session_new ();
  std::string auth = std::string ("Bearer ") + key;
  auto api_delete = [&] (const std::string &path) {
    SoupMessage *msg = soup_message_new ("DELETE", (server->http_url () + path).c_str ());
    soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization",
                                  auth.c_str ());
    guint status = 0;
    bool done = false;
    struct Ctx {
      SoupMessage *msg;
      guint *status;
      bool *done;
    } ctx{ msg, &status, &done };
    soup_session_send_and_read_async (
        http, msg, G_PRIORITY_DEFAULT, nullptr,
        [] (GObject *src, GAsyncResult *res, gpointer data) {
          auto *c = static_cast<Ctx *> (data);
          GBytes *b = soup_session_send_and_read_finish (SOUP_SESSION (src), res, nullptr);
          if (b)
            g_bytes_unref (b);
          *c->status = soup_message_get_status (c->msg);
          *c->done = true;
        },
        &ctx);
    ck_assert (wait_for ([&] { return done; }, 5000));
    g_object_unref (msg);
    return status;
  };
  ck_assert_uint_eq (api_delete ("/api/v1/sessions/" + pin + "/viewers/" + viewer), 204);
  ck_assert_uint_eq (api_delete ("/api/v1/sessions/" + pin), 204);
  g_object_unref (http);

  ck_assert (wait_for ([&] { return receiver.got.size () >= 4; }, 10000));
  std::vector<Event> events;
  for (const auto &r : receiver.got) {
    assert_signed (r, kSecret);
    events.push_back (parse_event (r));
  }
  std::sort (events.begin (), events.end (),
             [] (const Event &a, const Event &b) { return a.seq < b.seq; });
  GV_ASSERT_STR_EQ (events[2].type, "viewer.left");
  GV_ASSERT_STR_EQ (events[2].viewer, viewer);
  GV_ASSERT_STR_EQ (events[2].reason, "removed");
  GV_ASSERT_STR_EQ (events[3].type, "session.ended");
  GV_ASSERT_STR_EQ (events[3].pin, pin);
}
END_TEST

START_TEST (test_dead_receiver_does_not_hold_up_joins)
{
  DeadReceiver dead;
  /* Short settings for the test: 1 s per request, one retry after 100 ms. */
  auto server =
      start_server ({ "--webhook", dead.url, "--webhook-secret-file", temp_file ("secret", kSecret),
                      "--webhook-timeout", "1", "--webhook-retries", "1", "--webhook-retry-ms",
                      "100", "--webhook-concurrency", "8", "--create-rate", "100" });
  ck_assert (server);
  std::string pin, host_peer;
  auto host = host_session (*server, 20, pin, host_peer);
  /* 20 viewers join and are admitted, each within the harness's usual 3 s
   * per message, while the dead receiver holds the notifier's connections
   * and 21 events wait. */
  std::vector<std::unique_ptr<WsClient>> viewers;
  for (int i = 0; i < 20; i++)
    join_and_accept (*server, *host, pin, GV_CAPABILITY_VIEW, viewers);
  ck_assert_uint_eq (server->live_viewers (), 20);
  ck_assert_int_eq (webhooks_total (*server, "delivered"), 0);

  /* Every event ends as failed: first attempt and one retry timed out. */
  bool all_failed = wait_for ([&] { return webhooks_total (*server, "failed") == 21; }, 30000);
  std::string text = metrics_of (*server);
  ck_assert_msg (all_failed, "metrics: %s", text.c_str ());
  ck_assert_int_eq (metric (text, "ghostview_webhooks_total{outcome=\"retried\"}"), 21);
  ck_assert_int_eq (metric (text, "ghostview_webhooks_total{outcome=\"delivered\"}"), 0);
  ck_assert_int_eq (metric (text, "ghostview_webhooks_queued"), 0);
}
END_TEST

START_TEST (test_full_queue_drops_oldest)
{
  DeadReceiver dead;
  auto server =
      start_server ({ "--webhook", dead.url, "--webhook-secret-file", temp_file ("secret", kSecret),
                      "--webhook-concurrency", "1", "--webhook-queue", "2", "--webhook-retries",
                      "0", "--create-rate", "100" });
  ck_assert (server);
  std::string pin, host_peer;
  auto host = host_session (*server, 5, pin, host_peer);
  std::vector<std::unique_ptr<WsClient>> viewers;
  for (int i = 0; i < 5; i++)
    join_and_accept (*server, *host, pin, GV_CAPABILITY_VIEW, viewers);
  /* Six events: one being sent (the dead receiver holds it for 5 s), two
   * waiting, three dropped. */
  std::string text = metrics_of (*server);
  ck_assert_int_eq (metric (text, "ghostview_webhooks_total{outcome=\"dropped\"}"), 3);
  ck_assert_int_eq (metric (text, "ghostview_webhooks_queued"), 2);
}
END_TEST

START_TEST (test_500_is_retried)
{
  Receiver receiver;
  receiver.statuses = { 500 };
  auto server = start_server ({ "--webhook", receiver.url + "/hook", "--webhook-secret-file",
                                temp_file ("secret", kSecret), "--webhook-retry-ms", "50" });
  ck_assert (server);
  std::string pin, host_peer;
  auto host = host_session (*server, 1, pin, host_peer);
  ck_assert (wait_for ([&] { return receiver.got.size () >= 2; }, 10000));
  spin (200);
  ck_assert_uint_eq (receiver.got.size (), 2);
  /* The same event twice, each signed with its own timestamp. */
  for (const auto &r : receiver.got)
    assert_signed (r, kSecret);
  Event first = parse_event (receiver.got[0]), second = parse_event (receiver.got[1]);
  GV_ASSERT_STR_EQ (first.id, second.id);
  GV_ASSERT_STR_EQ (first.type, "session.created");
  GV_ASSERT_STR_EQ (receiver.got[0].body, receiver.got[1].body);
  ck_assert (wait_for ([&] { return webhooks_total (*server, "delivered") == 1; }, 5000));
  ck_assert_int_eq (webhooks_total (*server, "retried"), 1);
  ck_assert_int_eq (webhooks_total (*server, "failed"), 0);
}
END_TEST

START_TEST (test_gotify_messages)
{
  Receiver gotify;
  auto server = start_server ({ "--gotify", gotify.url + "/gotify/", "--gotify-token-file",
                                temp_file ("token", kGotifyToken) });
  ck_assert (server);
  std::string pin, host_peer;
  auto host = host_session (*server, 1, pin, host_peer);
  std::vector<std::unique_ptr<WsClient>> viewers;
  join_and_accept (*server, *host, pin, GV_CAPABILITY_VIEW | GV_CAPABILITY_CONTROL, viewers);
  host->send (proto::make_end ());
  ck_assert (wait_for ([&] { return gotify.got.size () >= 4; }, 10000));
  spin (200);
  ck_assert_uint_eq (gotify.got.size (), 4);
  std::set<std::string> titles;
  for (const auto &r : gotify.got) {
    /* Gotify's message API: POST /message, the app token in X-Gotify-Key,
     * JSON {title, message, priority}. */
    GV_ASSERT_STR_EQ (r.path, "/gotify/message");
    GV_ASSERT_STR_EQ (header (r, "method"), "POST");
    GV_ASSERT_STR_EQ (header (r, "x-gotify-key"), kGotifyToken);
    ck_assert (header (r, "x-ghostview-signature").empty ());
    JsonParser *p = json_parser_new ();
    ck_assert (json_parser_load_from_data (p, r.body.c_str (), -1, nullptr));
    JsonObject *o = json_node_get_object (json_parser_get_root (p));
    ck_assert_uint_eq (json_object_get_size (o), 3);
    std::string title = json_object_get_string_member (o, "title");
    std::string message = json_object_get_string_member (o, "message");
    gint64 priority = json_object_get_int_member (o, "priority");
    g_object_unref (p);
    ck_assert (g_str_has_prefix (title.c_str (), "GhostView: "));
    ck_assert_msg (message.find ("PIN " + pin) != std::string::npos, "message: %s",
                   message.c_str ());
    ck_assert (priority >= 0 && priority <= 10);
    titles.insert (title);
  }
  ck_assert (titles.count ("GhostView: session started"));
  ck_assert (titles.count ("GhostView: viewer joined"));
  ck_assert (titles.count ("GhostView: control granted"));
  ck_assert (titles.count ("GhostView: session ended"));
  ck_assert_int_eq (webhooks_total (*server, "delivered"), 4);
}
END_TEST

START_TEST (test_bad_settings_refused_at_start)
{
  std::string exe =
      std::string (g_getenv ("GHOSTVIEW_BUILD_DIR")) + "/signaling/ghostview-signaling";
  std::string secret = temp_file ("secret", kSecret);
  std::string empty = temp_file ("empty", "\n");
  struct {
    std::vector<std::string> args;
    const char *expected;
  } cases[] = {
    { { "--webhook", "ftp://example.com/x", "--webhook-secret-file", secret },
      "not an http:// or https:// URL" },
    { { "--webhook", "/relative/path", "--webhook-secret-file", secret },
      "--webhook: /relative/path is not a URL" },
    { { "--webhook", "http://127.0.0.1:9/hook" }, "needs a signing secret" },
    { { "--webhook", "http://127.0.0.1:9/hook", "--webhook-secret-file", "/nonexistent/secret" },
      "--webhook-secret-file /nonexistent/secret" },
    { { "--webhook", "http://127.0.0.1:9/hook", "--webhook-secret-file", empty }, "is empty" },
    { { "--gotify", "http://127.0.0.1:9" }, "--gotify needs the application token" },
    { { "--gotify", "gotify.example.com", "--gotify-token-file", secret }, "--gotify:" },
    { { "--webhook", "http://127.0.0.1:9/hook", "--webhook-secret-file", secret,
        "--webhook-retries", "99" },
      "--webhook-retries 99" },
  };
  for (auto &c : cases) {
    std::vector<std::string> all{ exe, "--bind", "127.0.0.1", "--port", "0" };
    all.insert (all.end (), c.args.begin (), c.args.end ());
    std::vector<gchar *> argv;
    for (auto &a : all)
      argv.push_back (a.data ());
    argv.push_back (nullptr);
    gchar *err = nullptr;
    gint status = 0;
    ck_assert (g_spawn_sync (nullptr, argv.data (), nullptr, G_SPAWN_STDOUT_TO_DEV_NULL, nullptr,
                             nullptr, nullptr, &err, &status, nullptr));
    ck_assert_msg (WIFEXITED (status) && WEXITSTATUS (status) != 0, "%s: status %d",
                   c.args[1].c_str (), status);
    ck_assert_msg (strstr (err, c.expected), "%s: stderr was: %s", c.args[1].c_str (), err);
    g_free (err);
  }
}
END_TEST

int main ()
{
  Suite *s = suite_create ("webhooks");
  TCase *tc = tcase_create ("webhooks");
  tcase_set_timeout (tc, 60);
  tcase_add_test (tc, test_events_signed_and_in_order);
  tcase_add_test (tc, test_api_kick_and_end_are_events);
  tcase_add_test (tc, test_dead_receiver_does_not_hold_up_joins);
  tcase_add_test (tc, test_full_queue_drops_oldest);
  tcase_add_test (tc, test_500_is_retried);
  tcase_add_test (tc, test_gotify_messages);
  tcase_add_test (tc, test_bad_settings_refused_at_start);
  suite_add_tcase (s, tc);
  SRunner *sr = srunner_create (s);
  srunner_run_all (sr, CK_NORMAL);
  int failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed == 0 ? 0 : 1;
}
