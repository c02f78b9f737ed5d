/* The ghostview-signaling executable as an operator runs it. */
#include "harness.h"

#include "gv_check.h"

#include <glib-unix.h>

#include <csignal>
#include <sys/wait.h>

using namespace gv::test;

namespace {

std::string exe_path ()
{
  return std::string (g_getenv ("GHOSTVIEW_BUILD_DIR")) + "/signaling/ghostview-signaling";
}

} // namespace

START_TEST (test_listens_serves_and_stops_on_sigterm)
{
  std::string exe = exe_path ();
  const char *web = g_getenv ("GHOSTVIEW_WEB_DIR");
  const gchar *argv[] = { exe.c_str (), "--address",  "127.0.0.1", "--port",
                          "0",          "--web-root", web,         nullptr };
  GPid pid;
  gint out_fd;
  GError *error = nullptr;
  ck_assert_msg (g_spawn_async_with_pipes (nullptr, (gchar **) argv, nullptr,
                                           G_SPAWN_DO_NOT_REAP_CHILD, nullptr, nullptr, &pid,
                                           nullptr, &out_fd, nullptr, &error),
                 "%s", error ? error->message : "");
  GIOChannel *ch = g_io_channel_unix_new (out_fd);
  gchar *line = nullptr;
  ck_assert (g_io_channel_read_line (ch, &line, nullptr, nullptr, nullptr) == G_IO_STATUS_NORMAL);
  std::string banner (line);
  g_free (line);
  const char *marker = "listening on ";
  auto at = banner.find (marker);
  ck_assert_msg (at != std::string::npos, "banner: %s", banner.c_str ());
  std::string url = banner.substr (at + strlen (marker));
  url = url.substr (0, url.find (' '));
  ck_assert_msg (g_str_has_prefix (url.c_str (), "http://127.0.0.1:"), "%s", url.c_str ());

  std::string body;
  ck_assert_uint_eq (http_request (url + "/healthz", &body), 200);
  ck_assert_msg (body.find ("\"status\":\"ok\"") != std::string::npos, "%s", body.c_str ());

  std::string ws = "ws" + url.substr (4) + "/ws";
  auto host = WsClient::connect (ws);
  ck_assert (host);
  ck_assert_uint_eq (gv::proto::get_string (register_host (*host), "pin").size (), 6);

  kill (pid, SIGTERM);
  int status = -1;
  for (int i = 0; i < 300 && waitpid (pid, &status, WNOHANG) == 0; i++)
    spin (10);
  ck_assert_msg (WIFEXITED (status) && WEXITSTATUS (status) == 0, "exit status %d", status);
  /* The host learns the server went away. */
  host->wait_closed (3000);
  ck_assert (host->closed);
  g_io_channel_unref (ch);
  close (out_fd);
}
END_TEST

START_TEST (test_usage_errors)
{
  std::string exe = exe_path ();
  struct {
    std::vector<const char *> args;
    const char *expected;
  } cases[] = {
    { { "--port", "99999" }, "not a port" },
    { { "--no-such-option" }, "Unknown option" },
    { { "--tls-cert", "/nonexistent.pem" }, "both --tls-cert and --tls-key" },
    { { "--turn-url", "turn:127.0.0.1:3478" }, "--turn-url needs the coturn secret" },
    { { "--turn", "turn:127.0.0.1:3478" }, "--turn-url needs the coturn secret" },
    { { "--io-threads", "0" }, "--io-threads 0: between 1 and 64" },
  };
  for (auto &c : cases) {
    std::vector<gchar *> argv{ (gchar *) exe.c_str () };
    for (auto *a : c.args)
      argv.push_back ((gchar *) a);
    argv.push_back (nullptr);
    gchar *err = nullptr;
    gint status = 0;
    ck_assert (g_spawn_sync (nullptr, argv.data (), nullptr, G_SPAWN_DEFAULT, nullptr, nullptr,
                             nullptr, &err, &status, nullptr));
    ck_assert_msg (WIFEXITED (status) && WEXITSTATUS (status) == 2, "%s: status %d", c.args[0],
                   status);
    ck_assert_msg (strstr (err, c.expected), "%s: stderr was: %s", c.args[0], err);
    g_free (err);
  }
}
END_TEST

int main ()
{
  Suite *s = suite_create ("server-exe");
  TCase *tc = tcase_create ("exe");
  tcase_set_timeout (tc, 30);
  tcase_add_test (tc, test_listens_serves_and_stops_on_sigterm);
  tcase_add_test (tc, test_usage_errors);
  suite_add_tcase (s, tc);
  SRunner *sr = srunner_create (s);
  srunner_run_all (sr, CK_NORMAL);
  int failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed == 0 ? 0 : 1;
}
