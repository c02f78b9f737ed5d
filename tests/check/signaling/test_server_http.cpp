/* The HTTP side: pages with the right types and headers, no way out of the
 * web root, health and metrics, TLS, and production-mode refusals. */
#include "harness.h"

#include "gv_check.h"
#include <glib/gstdio.h>
#include <sys/wait.h>

using namespace gv;
using namespace gv::test;

namespace {

std::string make_web_root (std::string &outside_secret)
{
  gchar *dir = g_dir_make_tmp ("gv-web-XXXXXX", nullptr);
  std::string root = std::string (dir) + "/web";
  g_mkdir (root.c_str (), 0755);
  g_mkdir ((root + "/js").c_str (), 0755);
  g_file_set_contents ((root + "/index.html").c_str (), "<!doctype html><title>GV</title>", -1,
                       nullptr);
  g_file_set_contents ((root + "/js/app.js").c_str (), "export const x = 1;\n", -1, nullptr);
  g_file_set_contents ((root + "/.hidden").c_str (), "hidden", -1, nullptr);
  outside_secret = std::string (dir) + "/secret.txt";
  g_file_set_contents (outside_secret.c_str (), "TOP-SECRET", -1, nullptr);
  ck_assert_int_eq (symlink (outside_secret.c_str (), (root + "/escape.txt").c_str ()), 0);
  g_free (dir);
  return root;
}

} // namespace

START_TEST (test_static_pages_and_headers)
{
  std::string secret;
  auto server = start_server ({ "--web-root", make_web_root (secret) });
  std::string base = server->http_url ();
  std::string body, value;

  ck_assert_uint_eq (http_request (base + "/", &body, "GET", "Content-Type", &value), 200);
  GV_ASSERT_STR_EQ (body.c_str (), "<!doctype html><title>GV</title>");
  GV_ASSERT_STR_EQ (value.c_str (), "text/html; charset=utf-8");
  ck_assert_uint_eq (http_request (base + "/js/app.js", &body, "GET", "Content-Type", &value), 200);
  GV_ASSERT_STR_EQ (value.c_str (), "text/javascript; charset=utf-8");

  http_request (base + "/", &body, "GET", "Content-Security-Policy", &value);
  ck_assert_msg (value.find ("script-src 'self'") != std::string::npos, "%s", value.c_str ());
  ck_assert (value.find ("unsafe-inline") == std::string::npos);
  ck_assert (value.find ("unsafe-eval") == std::string::npos);
  ck_assert (value.find ("frame-ancestors 'none'") != std::string::npos);
  http_request (base + "/", &body, "GET", "X-Content-Type-Options", &value);
  GV_ASSERT_STR_EQ (value.c_str (), "nosniff");
  /* Plain http: nothing that only https may say (Chromium logs an error for
   * a Cross-Origin-Opener-Policy from an untrustworthy origin). */
  for (const char *https_only : { "Cross-Origin-Opener-Policy", "Strict-Transport-Security" }) {
    value = "unset";
    http_request (base + "/", &body, "GET", https_only, &value);
    ck_assert_msg (value.empty (), "%s: %s on plain http", https_only, value.c_str ());
  }

  ck_assert_uint_eq (http_request (base + "/missing.html", &body), 404);
  ck_assert_uint_eq (http_request (base + "/", &body, "POST"), 405);
}
END_TEST

START_TEST (test_no_directory_traversal)
{
  std::string secret;
  auto server = start_server ({ "--web-root", make_web_root (secret) });
  std::string base = server->http_url ();
  const char *attempts[] = {
    "/../secret.txt",   "/%2e%2e/secret.txt",       "/js/%2e%2e/%2e%2e/secret.txt",
    "/..%2fsecret.txt", "/js/..%5c..%5csecret.txt", "/escape.txt",
    "/.hidden",         "/%00index.html",           "/js/../../secret.txt",
  };
  for (const char *path : attempts) {
    std::string body;
    guint status = http_request (base + path, &body);
    ck_assert_msg (body.find ("TOP-SECRET") == std::string::npos, "%s leaked the file", path);
    ck_assert_msg (status == 400 || status == 403 || status == 404, "%s answered %u", path, status);
  }
}
END_TEST

START_TEST (test_healthz_and_metrics)
{
  auto server = start_server ();
  auto host = WsClient::connect (server->ws_url ());
  std::string pin = proto::get_string (register_host (*host, 1), "pin");
  auto viewer = WsClient::connect (server->ws_url ());
  viewer->send (proto::make_join (pin, ""));
  std::string vid = proto::get_string (viewer->expect (proto::Type::Waiting), "peer");
  host->expect (proto::Type::JoinRequest);
  host->send (proto::make_accept (vid, 0));
  viewer->expect (proto::Type::Joined);
  host->send (proto::make_sdp (vid, "offer", "v=0"));
  viewer->expect (proto::Type::Sdp);
  auto bad = WsClient::connect (server->ws_url ());
  bad->send (proto::make_join ("000000" == pin ? "000001" : "000000", ""));
  bad->expect_error (proto::ErrorCode::PinInvalid);

  std::string body, type;
  ck_assert_uint_eq (
      http_request (server->http_url () + "/healthz", &body, "GET", "Content-Type", &type), 200);
  GV_ASSERT_STR_EQ (type.c_str (), "application/json");
  JsonParser *parser = json_parser_new ();
  ck_assert (json_parser_load_from_data (parser, body.c_str (), -1, nullptr));
  JsonObject *o = json_node_get_object (json_parser_get_root (parser));
  GV_ASSERT_STR_EQ (json_object_get_string_member (o, "status"), "ok");
  ck_assert_int_eq (json_object_get_int_member (o, "sessions"), 1);
  ck_assert_int_eq (json_object_get_int_member (o, "viewers"), 1);
  ck_assert_int_eq (json_object_get_int_member (o, "protocol"), 1);
  g_object_unref (parser);

  ck_assert_uint_eq (http_request (server->http_url () + "/metrics", &body), 200);
  for (const char *line :
       { "ghostview_sessions 1", "ghostview_viewers 1", "ghostview_joins_total{result=\"ok\"} 1",
         "ghostview_joins_total{result=\"failed\"} 1",
         "ghostview_join_failures_total{code=\"PIN_INVALID\"} 1",
         "ghostview_messages_relayed_total 1", "# TYPE ghostview_sessions gauge" })
    ck_assert_msg (body.find (line) != std::string::npos, "metrics lack \"%s\":\n%s", line,
                   body.c_str ());
}
END_TEST

START_TEST (test_tls)
{
  std::string key;
  std::string cert = make_test_certificate (key);
  auto server = start_server ({ "--tls-cert", cert, "--tls-key", key });
  ck_assert (server);
  ck_assert (g_str_has_prefix (server->ws_url ().c_str (), "wss://"));
  std::string body, hsts;
  ck_assert_uint_eq (http_request (server->http_url () + "/healthz", &body, "GET",
                                   "Strict-Transport-Security", &hsts),
                     200);
  ck_assert (!hsts.empty ());
  std::string coop;
  http_request (server->http_url () + "/", &body, "GET", "Cross-Origin-Opener-Policy", &coop);
  GV_ASSERT_STR_EQ (coop.c_str (), "same-origin");
  auto host = WsClient::connect (server->ws_url ());
  ck_assert (host);
  ck_assert_uint_eq (proto::get_string (register_host (*host), "pin").size (), 6);
}
END_TEST

/* Runs the executable to completion; returns its exit status and stderr. */
static int run_server (std::vector<const char *> args, std::string &err_out,
                       const char *env_name = nullptr, const char *env_value = nullptr)
{
  std::string exe =
      std::string (g_getenv ("GHOSTVIEW_BUILD_DIR")) + "/signaling/ghostview-signaling";
  std::vector<gchar *> argv{ (gchar *) exe.c_str () };
  for (auto *a : args)
    argv.push_back ((gchar *) a);
  argv.push_back (nullptr);
  gchar **envp = g_get_environ ();
  if (env_name)
    envp = g_environ_setenv (envp, env_name, env_value, TRUE);
  gchar *err = nullptr;
  gint status = 0;
  ck_assert (g_spawn_sync (nullptr, argv.data (), envp, G_SPAWN_DEFAULT, nullptr, nullptr, nullptr,
                           &err, &status, nullptr));
  err_out = err ? err : "";
  g_free (err);
  g_strfreev (envp);
  return WIFEXITED (status) ? WEXITSTATUS (status) : -1;
}

START_TEST (test_production_refusals)
{
  std::string err;
  ck_assert_int_ne (run_server ({ "--production", "--port", "0" }, err), 0);
  ck_assert_msg (err.find ("production mode needs TLS") != std::string::npos, "%s", err.c_str ());

  ck_assert_int_ne (run_server ({ "--port", "0" }, err, "GHOSTVIEW_ENV", "production"), 0);
  ck_assert_msg (err.find ("production mode needs TLS") != std::string::npos, "%s", err.c_str ());

  ck_assert_int_ne (run_server ({ "--production", "--behind-proxy", "--port", "0" }, err), 0);
  ck_assert_msg (err.find ("allowed-origins") != std::string::npos, "%s", err.c_str ());

  ck_assert_int_ne (run_server ({ "--http-timeout", "0", "--port", "0" }, err), 0);
  ck_assert_msg (err.find ("--http-timeout must be between") != std::string::npos, "%s",
                 err.c_str ());
  ck_assert_int_ne (run_server ({ "--max-connections-per-address", "0", "--port", "0" }, err), 0);
  ck_assert_msg (err.find ("--max-connections-per-address must be at least 1") != std::string::npos,
                 "%s", err.c_str ());

  /* With both it starts, and it still refuses raised rate limits. */
  ck_assert_int_ne (run_server ({ "--production", "--behind-proxy", "--allowed-origins",
                                  "https://app.example", "--create-rate", "1000", "--port", "0" },
                                err),
                    0);
  auto ok = start_server (
      { "--production", "--behind-proxy", "--allowed-origins", "https://app.example" });
  ck_assert_msg (ok != nullptr, "production mode with a TLS proxy and origins did not start");
  std::string body, hsts;
  ck_assert_uint_eq (
      http_request (ok->http_url () + "/healthz", &body, "GET", "Strict-Transport-Security", &hsts),
      200);
  ck_assert_msg (!hsts.empty (), "behind a TLS proxy the client is on https: HSTS expected");
}
END_TEST

static Suite *http_suite ()
{
  Suite *s = suite_create ("server-http");
  TCase *tc = tcase_create ("http");
  tcase_set_timeout (tc, 30);
  tcase_add_test (tc, test_static_pages_and_headers);
  tcase_add_test (tc, test_no_directory_traversal);
  tcase_add_test (tc, test_healthz_and_metrics);
  tcase_add_test (tc, test_tls);
  tcase_add_test (tc, test_production_refusals);
  suite_add_tcase (s, tc);
  return s;
}

int main ()
{
  SRunner *sr = srunner_create (http_suite ());
  srunner_run_all (sr, CK_NORMAL);
  int failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed == 0 ? 0 : 1;
}
