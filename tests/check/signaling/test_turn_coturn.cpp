/* The TURN credentials the server hands out work on a real coturn running
 * with use-auth-secret; tampered or expired ones are refused. */
#include "harness.h"
#include "turn_credentials.h"

#include "gv_check.h"

#include <gio/gio.h>

#include <cstdio>

using namespace gv;
using namespace gv::test;

namespace {

const char *kSecret = "ghostview-test-secret";

guint free_udp_port ()
{
  GSocket *s =
      g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, nullptr);
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

struct Coturn {
  GPid pid = 0;
  guint port = 0;
  ~Coturn ()
  {
    if (pid) {
      kill (pid, SIGTERM);
      g_spawn_close_pid (pid);
    }
  }
};

/* Runs one allocation + relayed echo with turnutils_uclient; returns its
 * output. */
std::string allocate (guint port, const std::string &user, const std::string &password)
{
  std::string p = std::to_string (port);
  const gchar *argv[] = { "turnutils_uclient",
                          "-y",
                          "-c",
                          "-n",
                          "2",
                          "-m",
                          "1",
                          "-z",
                          "5",
                          "-p",
                          p.c_str (),
                          "-u",
                          user.c_str (),
                          "-w",
                          password.c_str (),
                          "-X",
                          "127.0.0.1",
                          nullptr };
  gchar *out = nullptr, *err = nullptr;
  ck_assert (g_spawn_sync (nullptr, (gchar **) argv, nullptr, G_SPAWN_SEARCH_PATH, nullptr, nullptr,
                           &out, &err, nullptr, nullptr));
  std::string all = std::string (out ? out : "") + (err ? err : "");
  g_free (out);
  g_free (err);
  return all;
}

/* The allocation completed and data came back through the relay. */
bool allocation_worked (const std::string &output)
{
  if (output.find ("Cannot complete Allocation") != std::string::npos)
    return false;
  const std::string key = "tot_recv_bytes ~ ";
  for (auto at = output.find (key); at != std::string::npos; at = output.find (key, at + 1))
    if (g_ascii_strtoull (output.c_str () + at + key.size (), nullptr, 10) > 0)
      return true;
  return false;
}

} // namespace

START_TEST (test_coturn_accepts_server_credentials)
{
  Coturn turn;
  turn.port = free_udp_port ();
  std::string port = std::to_string (turn.port);
  const gchar *argv[] = { "turnserver",
                          "-n",
                          "--listening-ip",
                          "127.0.0.1",
                          "--relay-ip",
                          "127.0.0.1",
                          "-p",
                          port.c_str (),
                          "--min-port",
                          "49200",
                          "--max-port",
                          "49400",
                          "--use-auth-secret",
                          "--static-auth-secret",
                          kSecret,
                          "--realm",
                          "ghostview.test",
                          "--no-tls",
                          "--no-dtls",
                          "--no-cli",
                          "--allow-loopback-peers",
                          "--fingerprint",
                          "--log-file",
                          "stdout",
                          "--simple-log",
                          "--pidfile",
                          "/dev/null",
                          nullptr };
  GError *error = nullptr;
  ck_assert_msg (
      g_spawn_async (nullptr, (gchar **) argv, nullptr,
                     (GSpawnFlags) (G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL |
                                    G_SPAWN_STDERR_TO_DEV_NULL | G_SPAWN_DO_NOT_REAP_CHILD),
                     nullptr, nullptr, &turn.pid, &error),
      "turnserver: %s", error ? error->message : "?");
  g_usleep (500 * 1000);

  auto server =
      start_server ({ "--turn-url", "turn:127.0.0.1:" + port, "--stun-url",
                      "stun:127.0.0.1:" + port, "--turn-secret", kSecret, "--turn-ttl", "600" });
  auto host = WsClient::connect (server->ws_url ());
  proto::Message reg = register_host (*host);
  auto ice = proto::get_ice_servers (reg);
  ck_assert_uint_eq (ice.size (), 2);
  GV_ASSERT_STR_EQ (ice[0].urls[0], "stun:127.0.0.1:" + port);
  ck_assert (ice[0].username.empty ());
  const proto::IceServer &t = ice[1];
  GV_ASSERT_STR_EQ (t.urls[0], "turn:127.0.0.1:" + port);
  gint64 expiry = g_ascii_strtoll (t.username.c_str (), nullptr, 10);
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  ck_assert_msg (expiry > now + 590 && expiry <= now + 601, "expiry %" G_GINT64_FORMAT, expiry);
  ck_assert (
      g_str_has_suffix (t.username.c_str (), (":" + proto::get_string (reg, "peer")).c_str ()));

  std::string ok = allocate (turn.port, t.username, t.credential);
  ck_assert_msg (allocation_worked (ok), "coturn refused the server's credentials:\n%s",
                 ok.c_str ());

  std::string tampered = t.credential;
  tampered[0] = tampered[0] == 'A' ? 'B' : 'A';
  ck_assert_msg (!allocation_worked (allocate (turn.port, t.username, tampered)),
                 "coturn accepted a tampered password");

  /* The same scheme and secret, but an expiry a minute ago. */
  proto::IceServer expired =
      signaling::make_turn_server (t.urls, kSecret, proto::get_string (reg, "peer"), now - 60);
  ck_assert_msg (!allocation_worked (allocate (turn.port, expired.username, expired.credential)),
                 "coturn accepted expired credentials");
}
END_TEST

int main ()
{
  if (!g_find_program_in_path ("turnserver") || !g_find_program_in_path ("turnutils_uclient")) {
    std::printf (
        "coturn is not installed (turnserver, turnutils_uclient); apt-get install coturn\n");
    return 77;
  }
  Suite *s = suite_create ("turn");
  TCase *tc = tcase_create ("coturn");
  tcase_set_timeout (tc, 60);
  tcase_add_test (tc, test_coturn_accepts_server_credentials);
  suite_add_tcase (s, tc);
  SRunner *sr = srunner_create (s);
  srunner_run_all (sr, CK_NORMAL);
  int failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed == 0 ? 0 : 1;
}
