/* A host keeps its PIN: resume tokens (signaling/resume_token.h) checked on
 * their own, and over real WebSockets against real servers — a lost host
 * connection, a server restarted with the same key file, a server with
 * another key, a token altered or out of date. */
#include "harness.h"
#include "resume_token.h"
#include "session_registry.h"

#include "gv_check.h"

#include <glib/gstdio.h>

#include <sys/stat.h>

using namespace gv;
using namespace gv::test;
using proto::ErrorCode;
using proto::Type;

namespace {

const std::string kKey (signaling::kSessionKeyBytes, 'k');

signaling::ResumeClaim sample_claim ()
{
  signaling::ResumeClaim c;
  c.session = "0123456789abcdef0123456789abcdef";
  c.pin = "042917";
  c.expires_at = 1900000000;
  c.max_viewers = 3;
  c.uses_spent = 1;
  return c;
}

/* A fresh temporary folder's path for a key file (the file not created). */
std::string key_path (std::string &dir)
{
  gchar *d = g_dir_make_tmp ("gv-resume-XXXXXX", nullptr);
  ck_assert (d);
  dir = d;
  g_free (d);
  return dir + "/session.key";
}

void remove_dir (const std::string &dir, const std::string &file)
{
  g_unlink (file.c_str ());
  g_rmdir (dir.c_str ());
}

/* Joins `pin` and has `host` accept; returns the host's fresh token. */
std::string join_and_accept (ServerProcess &server, WsClient &host, const std::string &pin,
                             std::unique_ptr<WsClient> &viewer)
{
  viewer = WsClient::connect (server.ws_url ());
  viewer->send (proto::make_join (pin, "viewer"));
  std::string vid = proto::get_string (viewer->expect (Type::Waiting), "peer");
  host.expect (Type::JoinRequest);
  host.send (proto::make_accept (vid, GV_CAPABILITY_VIEW));
  viewer->expect (Type::Joined);
  return proto::get_string (host.expect (Type::ResumeToken), "resume_token");
}

proto::Message register_with (WsClient &host, const std::string &token, int max_viewers = 1)
{
  proto::RegisterParams p;
  p.max_viewers = max_viewers;
  p.resume_token = token;
  host.send (proto::make_register (p));
  return host.next ();
}

} // namespace

START_TEST (test_token_round_trip_and_tampering)
{
  signaling::ResumeClaim c = sample_claim ();
  std::string token = signaling::make_resume_token (kKey, c);
  ck_assert_uint_le (token.size (), proto::kMaxResumeTokenBytes);
  auto back = signaling::verify_resume_token (kKey, token);
  ck_assert (back);
  GV_ASSERT_STR_EQ (back->session, c.session);
  GV_ASSERT_STR_EQ (back->pin, c.pin);
  ck_assert_int_eq (back->expires_at, c.expires_at);
  ck_assert_int_eq (back->max_viewers, 3);
  ck_assert_int_eq (back->uses_spent, 1);

  /* Another key, any character changed, cut, padded, or a field spelled
   * another way: refused. */
  ck_assert (!signaling::verify_resume_token (std::string (32, 'x'), token));
  for (gsize i = 0; i < token.size (); i++) {
    std::string t = token;
    t[i] = t[i] == '1' ? '2' : '1';
    ck_assert_msg (!signaling::verify_resume_token (kKey, t), "accepted with byte %zu changed", i);
  }
  ck_assert (!signaling::verify_resume_token (kKey, token.substr (0, token.size () - 1)));
  ck_assert (!signaling::verify_resume_token (kKey, token + "0"));
  ck_assert (!signaling::verify_resume_token (kKey, ""));
  ck_assert (!signaling::verify_resume_token (kKey, std::string (100000, '.')));
  signaling::ResumeClaim bad = c;
  bad.uses_spent = 4; /* more uses than viewers: not a token the server makes */
  ck_assert (!signaling::verify_resume_token (kKey, signaling::make_resume_token (kKey, bad)));
  bad = c;
  bad.pin = "12345";
  ck_assert (!signaling::verify_resume_token (kKey, signaling::make_resume_token (kKey, bad)));
}
END_TEST

START_TEST (test_key_file_created_private_and_checked)
{
  std::string dir, path = key_path (dir);
  std::string key, again;
  ck_assert (signaling::load_session_key (path, key, nullptr));
  ck_assert_uint_eq (key.size (), signaling::kSessionKeyBytes);
  GStatBuf st;
  ck_assert_int_eq (g_stat (path.c_str (), &st), 0);
  ck_assert_int_eq (st.st_mode & 0777, 0600);
  ck_assert (signaling::load_session_key (path, again, nullptr));
  ck_assert (key == again);

  /* Readable by others, or not a key: a clear error, never a silent new key. */
  g_chmod (path.c_str (), 0644);
  GError *err = nullptr;
  ck_assert (!signaling::load_session_key (path, again, &err));
  ck_assert_msg (strstr (err->message, "readable by other users"), "%s", err->message);
  g_clear_error (&err);
  g_chmod (path.c_str (), 0600);
  ck_assert (g_file_set_contents (path.c_str (), "short", -1, nullptr));
  g_chmod (path.c_str (), 0600);
  ck_assert (!signaling::load_session_key (path, again, &err));
  ck_assert_msg (strstr (err->message, "not 32"), "%s", err->message);
  g_clear_error (&err);

  std::string a, b;
  ck_assert (signaling::load_session_key ("", a, nullptr));
  ck_assert (signaling::load_session_key ("", b, nullptr));
  ck_assert (a != b);
  remove_dir (dir, path);
}
END_TEST

START_TEST (test_restore_refuses_a_live_pin)
{
  signaling::SessionRegistry reg;
  signaling::Session *live = reg.create ("host-a", 1, 600, 0);
  std::string pin = live->pin;
  ck_assert (!reg.restore ("host-b", "othersession", pin, 600 * G_USEC_PER_SEC, 1, 0, 0));
  ck_assert (!reg.restore ("host-b", live->id, "000001" == pin ? "000002" : "000001",
                           600 * G_USEC_PER_SEC, 1, 0, 0));
  signaling::Session *s =
      reg.restore ("host-b", "othersession", pin == "000001" ? "000002" : "000001",
                   600 * G_USEC_PER_SEC, 2, 2, 0);
  ck_assert (s);
  ck_assert (
      reg.join (s->pin, signaling::Viewer{ "v", "", "", 0, false, "", 0 }, G_USEC_PER_SEC).error ==
      ErrorCode::PinUsed);
}
END_TEST

START_TEST (test_host_keeps_pin_after_lost_connection)
{
  auto server = start_server ();
  ck_assert (server);
  auto host = WsClient::connect (server->ws_url ());
  proto::Message reg = register_host (*host, 3);
  std::string pin = proto::get_string (reg, "pin");
  std::string session = proto::get_string (reg, "session");
  std::unique_ptr<WsClient> viewer;
  std::string token = join_and_accept (*server, *host, pin, viewer);
  ck_assert (!token.empty ());

  /* The host's connection drops: the session ends for the server... */
  host.reset ();
  viewer->expect (Type::SessionEnded);
  /* ...and comes back with the same PIN and id, one use spent. */
  auto again = WsClient::connect (server->ws_url ());
  proto::Message resumed = register_with (*again, token);
  ck_assert_msg (resumed.type == Type::Registered, "got %s", proto::type_name (resumed.type));
  GV_ASSERT_STR_EQ (proto::get_string (resumed, "pin"), pin);
  GV_ASSERT_STR_EQ (proto::get_string (resumed, "session"), session);
  ck_assert_int_eq (proto::get_int (resumed, "max_viewers"), 3);
  std::unique_ptr<WsClient> second, third, fourth;
  join_and_accept (*server, *again, pin, second);
  join_and_accept (*server, *again, pin, third);
  /* Three uses: the one before the drop counted. */
  fourth = WsClient::connect (server->ws_url ());
  fourth->send (proto::make_join (pin, "late"));
  fourth->expect_error (ErrorCode::PinUsed);
}
END_TEST

START_TEST (test_resume_takes_over_a_connection_not_yet_noticed_gone)
{
  auto server = start_server ();
  auto host = WsClient::connect (server->ws_url ());
  proto::Message reg = register_host (*host, 2);
  std::string pin = proto::get_string (reg, "pin");
  std::string token = proto::get_string (reg, "resume_token");
  /* A viewer waits for the host's answer while the host reconnects. */
  auto viewer = WsClient::connect (server->ws_url ());
  viewer->send (proto::make_join (pin, "waiting"));
  std::string vid = proto::get_string (viewer->expect (Type::Waiting), "peer");
  host->expect (Type::JoinRequest);

  auto again = WsClient::connect (server->ws_url ());
  proto::Message resumed = register_with (*again, token);
  ck_assert (resumed.type == Type::Registered);
  GV_ASSERT_STR_EQ (proto::get_string (resumed, "pin"), pin);
  ck_assert_uint_ne (host->wait_closed (), 0);
  /* The waiting viewer is asked for again on the new connection. */
  GV_ASSERT_STR_EQ (proto::get_string (again->expect (Type::JoinRequest), "peer"), vid);
  again->send (proto::make_accept (vid, GV_CAPABILITY_VIEW));
  viewer->expect (Type::Joined);
  ck_assert_uint_eq (server->live_sessions (), 1);
}
END_TEST

START_TEST (test_restart_with_key_file_keeps_pin_other_key_refuses)
{
  std::string dir, path = key_path (dir);
  auto server = start_server ({ "--session-key-file", path });
  ck_assert (server);
  auto host = WsClient::connect (server->ws_url ());
  proto::Message reg = register_host (*host, 2);
  std::string pin = proto::get_string (reg, "pin");
  std::unique_ptr<WsClient> viewer;
  std::string token = join_and_accept (*server, *host, pin, viewer);
  host.reset ();
  viewer.reset ();
  server.reset (); /* SIGTERM: every session is gone with the process */

  server = start_server ({ "--session-key-file", path });
  ck_assert (server);
  ck_assert_uint_eq (server->live_sessions (), 0);
  host = WsClient::connect (server->ws_url ());
  proto::Message resumed = register_with (*host, token);
  ck_assert_msg (resumed.type == Type::Registered, "got %s", proto::type_name (resumed.type));
  GV_ASSERT_STR_EQ (proto::get_string (resumed, "pin"), pin);
  std::unique_ptr<WsClient> second;
  join_and_accept (*server, *host, pin, second);
  auto third = WsClient::connect (server->ws_url ());
  third->send (proto::make_join (pin, "late"));
  third->expect_error (ErrorCode::PinUsed);
  host.reset ();

  /* A server without that key: a clear refusal, and a plain register on the
   * same connection gets a new session. */
  auto other = start_server ();
  auto lost = WsClient::connect (other->ws_url ());
  proto::Message refused = register_with (*lost, token);
  ck_assert (refused.type == Type::Error);
  GV_ASSERT_STR_EQ (proto::get_string (refused, "code"), "RESUME_REFUSED");
  GV_ASSERT_STR_EQ (proto::get_string (refused, "ref"), "register");
  std::string why = proto::get_string (refused, "message");
  ck_assert_msg (strstr (why.c_str (), "cannot be kept"), "%s", why.c_str ());
  ck_assert_msg (why.find (token) == std::string::npos, "the refusal repeats the token");
  proto::Message fresh = register_host (*lost, 1);
  ck_assert (!proto::get_string (fresh, "pin").empty ());
  remove_dir (dir, path);
}
END_TEST

START_TEST (test_expired_pin_is_not_resumed)
{
  auto server = start_server ();
  auto host = WsClient::connect (server->ws_url ());
  proto::Message reg = register_host (*host, 1, 1);
  std::string token = proto::get_string (reg, "resume_token");
  host.reset ();
  spin (2100);
  auto again = WsClient::connect (server->ws_url ());
  proto::Message refused = register_with (*again, token);
  ck_assert (refused.type == Type::Error);
  GV_ASSERT_STR_EQ (proto::get_string (refused, "code"), "RESUME_REFUSED");
  std::string why = proto::get_string (refused, "message");
  ck_assert_msg (strstr (why.c_str (), "has expired"), "%s", why.c_str ());
}
END_TEST

static Suite *resume_suite ()
{
  Suite *s = suite_create ("resume");
  TCase *tc = tcase_create ("resume");
  tcase_set_timeout (tc, 60);
  tcase_add_test (tc, test_token_round_trip_and_tampering);
  tcase_add_test (tc, test_key_file_created_private_and_checked);
  tcase_add_test (tc, test_restore_refuses_a_live_pin);
  tcase_add_test (tc, test_host_keeps_pin_after_lost_connection);
  tcase_add_test (tc, test_resume_takes_over_a_connection_not_yet_noticed_gone);
  tcase_add_test (tc, test_restart_with_key_file_keeps_pin_other_key_refuses);
  tcase_add_test (tc, test_expired_pin_is_not_resumed);
  suite_add_tcase (s, tc);
  return s;
}

int main ()
{
  SRunner *sr = srunner_create (resume_suite ());
  srunner_run_all (sr, CK_NORMAL);
  int failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed == 0 ? 0 : 1;
}
