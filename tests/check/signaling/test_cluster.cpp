/* The cluster's link to Redis (cluster.h) against a real redis-server on a
 * free 127.0.0.1 port: PINs taken once across nodes, taken over by the same
 * session, released only by their holder, found with their node's liveness;
 * messages between nodes through pub/sub. Also its URL rules, and the
 * registry asking a claimer for every new PIN. Needs redis-server (exit 77
 * without). */
#include "cluster.h"
#include "session_registry.h"

#include "gv_check.h"

#include <gio/gio.h>

#include <algorithm>
#include <csignal>
#include <cstdio>

using namespace gv::signaling;

namespace {

guint free_tcp_port ()
{
  GSocket *s =
      g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, nullptr);
  GInetAddress *lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  GSocketAddress *addr = g_inet_socket_address_new (lo, 0);
  g_socket_bind (s, addr, FALSE, nullptr);
  GSocketAddress *bound = g_socket_get_local_address (s, nullptr);
  guint port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  g_object_unref (bound);
  g_object_unref (addr);
  g_object_unref (lo);
  g_object_unref (s);
  return port;
}

struct Redis {
  GPid pid = 0;
  guint port = 0;
  std::string url;
  Redis ()
  {
    port = free_tcp_port ();
    std::string p = std::to_string (port);
    const gchar *argv[] = { "redis-server", "--port", p.c_str (),     "--bind", "127.0.0.1",
                            "--save",       "",       "--appendonly", "no",     nullptr };
    ck_assert (g_spawn_async (nullptr, (gchar **) argv, nullptr,
                              (GSpawnFlags) (G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL),
                              nullptr, nullptr, &pid, nullptr));
    url = "redis://127.0.0.1:" + p + "/3";
    /* Ready when it accepts a connection. */
    for (int i = 0; i < 100; i++) {
      GSocketClient *client = g_socket_client_new ();
      GSocketConnection *c =
          g_socket_client_connect_to_host (client, "127.0.0.1", (guint16) port, nullptr, nullptr);
      g_object_unref (client);
      if (c) {
        g_object_unref (c);
        return;
      }
      g_usleep (50000);
    }
    ck_abort_msg ("redis-server did not start on port %u", port);
  }
  ~Redis ()
  {
    if (pid) {
      kill (pid, SIGTERM);
      g_spawn_close_pid (pid);
    }
  }
};

std::unique_ptr<Cluster> node (const Redis &r, const char *name,
                               std::vector<std::string> *received = nullptr)
{
  Cluster::Handlers h;
  if (received)
    h.message = [received] (const char *data, gsize size, bool) {
      received->emplace_back (data, size);
    };
  GError *err = nullptr;
  auto c = Cluster::start (r.url, name, std::move (h), &err);
  ck_assert_msg (c != nullptr, "node %s: %s", name, err ? err->message : "?");
  /* Linked once its publisher and subscriber answered. */
  for (int i = 0; i < 200 && !c->up (); i++)
    g_main_context_iteration (nullptr, FALSE), g_usleep (10000);
  ck_assert_msg (c->up (), "node %s did not link", name);
  return c;
}

void spin_until (const std::function<bool ()> &done, int ms)
{
  gint64 end = g_get_monotonic_time () + ms * 1000;
  while (!done () && g_get_monotonic_time () < end)
    if (!g_main_context_iteration (nullptr, FALSE))
      g_usleep (2000);
}

} // namespace

START_TEST (test_redis_urls)
{
  RedisAddress a;
  std::string why;
  ck_assert (parse_redis_url ("redis://127.0.0.1:6390/2", a, why));
  GV_ASSERT_STR_EQ (a.host, "127.0.0.1");
  ck_assert_int_eq (a.port, 6390);
  ck_assert_int_eq (a.db, 2);
  ck_assert (parse_redis_url ("redis://:s3cret@redis.example", a, why));
  ck_assert_int_eq (a.port, 6379);
  GV_ASSERT_STR_EQ (a.password, "s3cret");
  ck_assert_msg (a.shown.find ("s3cret") == std::string::npos, "the password is shown");
  ck_assert (!parse_redis_url ("http://127.0.0.1:6379", a, why));
  ck_assert (!parse_redis_url ("redis://127.0.0.1:6379/x", a, why));
  ck_assert (!parse_redis_url ("127.0.0.1:6379", a, why));
  ck_assert_msg (why.find ("redis://HOST:PORT") != std::string::npos, "%s", why.c_str ());
  ck_assert (is_node_id ("node-1_a"));
  ck_assert (!is_node_id (""));
  ck_assert (!is_node_id ("a|b"));
  ck_assert (!is_node_id (std::string (33, 'n')));
}
END_TEST

START_TEST (test_registry_asks_the_claimer)
{
  SessionRegistry reg;
  int asked = 0;
  reg.set_pin_claimer ([&asked] (const std::string &, const std::string &, gint64) {
    return ++asked < 4 ? PinVerdict::InUse : PinVerdict::Ours;
  });
  Session *s = reg.create ("host", 1, 600, 0);
  ck_assert (s != nullptr);
  ck_assert_int_eq (asked, 4); /* three PINs held elsewhere, the fourth free */
  reg.set_pin_claimer (
      [] (const std::string &, const std::string &, gint64) { return PinVerdict::Unavailable; });
  ck_assert (reg.create ("host2", 1, 600, 0) == nullptr);
  ck_assert (reg.reserve (1, 600 * G_USEC_PER_SEC, 0) == nullptr);
}
END_TEST

START_TEST (test_pins_across_nodes)
{
  Redis redis;
  auto a = node (redis, "a");
  auto b = node (redis, "b");
  gint64 expiry = g_get_real_time () + 600 * G_USEC_PER_SEC;
  ck_assert (a->claim_pin ("123456", "s1", expiry, false) == PinClaim::Claimed);
  /* Another session on another node: refused, even as a takeover. */
  ck_assert (b->claim_pin ("123456", "s2", expiry, false) == PinClaim::Taken);
  ck_assert (b->claim_pin ("123456", "s2", expiry, true) == PinClaim::Taken);
  PinOwner o = b->find_pin ("123456");
  ck_assert (o.state == PinOwner::State::Live);
  GV_ASSERT_STR_EQ (o.node, "a");
  GV_ASSERT_STR_EQ (o.session, "s1");
  ck_assert (b->find_pin ("654321").state == PinOwner::State::None);
  /* The same session moving to b (its host resumed there). */
  std::string previous;
  ck_assert (b->claim_pin ("123456", "s1", expiry, true, &previous) == PinClaim::Claimed);
  GV_ASSERT_STR_EQ (previous, "a");
  /* a no longer holds it: its release changes nothing. */
  a->release_pin ("123456", "s1");
  spin_until ([] { return false; }, 200);
  GV_ASSERT_STR_EQ (a->find_pin ("123456").node, "b");
  /* b stops: its PIN's node is gone at once, and the PIN free to take. */
  b.reset ();
  ck_assert (a->find_pin ("123456").state == PinOwner::State::NodeGone);
  ck_assert (a->claim_pin ("123456", "s3", expiry, false) == PinClaim::Claimed);
  a->release_pin ("123456", "s3");
  spin_until ([&a] { return a->find_pin ("123456").state == PinOwner::State::None; }, 2000);
  ck_assert (a->find_pin ("123456").state == PinOwner::State::None);
}
END_TEST

START_TEST (test_messages_between_nodes)
{
  Redis redis;
  std::vector<std::string> to_a, to_b;
  auto a = node (redis, "a", &to_a);
  auto b = node (redis, "b", &to_b);
  ck_assert (b->send ("a", "{\"k\":\"hello\"}"));
  ck_assert (a->broadcast ("{\"k\":\"all\"}"));
  spin_until ([&] { return to_a.size () >= 2 && !to_b.empty (); }, 3000);
  ck_assert_int_eq (to_a.size (), 2); /* its own broadcast too: the server skips it */
  ck_assert (std::find (to_a.begin (), to_a.end (), "{\"k\":\"hello\"}") != to_a.end ());
  ck_assert_int_eq (to_b.size (), 1);
  GV_ASSERT_STR_EQ (to_b[0], "{\"k\":\"all\"}");
}
END_TEST

START_TEST (test_unreachable_and_duplicate_nodes)
{
  GError *err = nullptr;
  std::string url = "redis://127.0.0.1:" + std::to_string (free_tcp_port ());
  ck_assert (Cluster::start (url, "a", {}, &err) == nullptr);
  ck_assert_msg (strstr (err->message, "cannot reach Redis at"), "%s", err->message);
  g_clear_error (&err);
  Redis redis;
  auto a = node (redis, "a");
  ck_assert (Cluster::start (redis.url, "a", {}, &err) == nullptr);
  ck_assert_msg (strstr (err->message, "another node named a"), "%s", err->message);
  g_clear_error (&err);
  /* The refused duplicate did not remove the first one's heartbeat. */
  auto b = node (redis, "b");
  ck_assert (a->claim_pin ("111111", "s", g_get_real_time () + G_USEC_PER_SEC * 60, false) ==
             PinClaim::Claimed);
  ck_assert (b->find_pin ("111111").state == PinOwner::State::Live);
}
END_TEST

int main ()
{
  Suite *s = suite_create ("cluster");
  TCase *rules = tcase_create ("rules");
  tcase_add_test (rules, test_redis_urls);
  tcase_add_test (rules, test_registry_asks_the_claimer);
  suite_add_tcase (s, rules);
  gchar *redis = g_find_program_in_path ("redis-server");
  if (redis) {
    TCase *live = tcase_create ("redis");
    tcase_set_timeout (live, 60);
    tcase_add_test (live, test_pins_across_nodes);
    tcase_add_test (live, test_messages_between_nodes);
    tcase_add_test (live, test_unreachable_and_duplicate_nodes);
    suite_add_tcase (s, live);
  } else {
    std::printf ("redis-server is not installed (apt-get install redis-server): only the "
                 "rules are checked\n");
  }
  g_free (redis);
  SRunner *sr = srunner_create (s);
  srunner_run_all (sr, CK_NORMAL);
  int failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed == 0 ? 0 : 1;
}
