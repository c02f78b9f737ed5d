/* Abuse: rate limits, sizes, floods, idle clients, foreign origins. The
 * server must answer with a clear error and keep serving everyone else. */
#include "harness.h"

#include "gv_check.h"

using namespace gv;
using namespace gv::test;
using proto::ErrorCode;
using proto::Type;

namespace {

void assert_still_serving (ServerProcess &server)
{
  auto probe = WsClient::connect (server.ws_url ());
  ck_assert_msg (probe, "server stopped accepting connections");
  probe->send (proto::make_ping ());
  probe->expect (Type::Pong);
}

} // namespace

START_TEST (test_session_creation_rate_limit)
{
  auto server = start_server ();
  for (int i = 0; i < 10; i++) {
    auto host = WsClient::connect (server->ws_url ());
    register_host (*host);
  }
  auto eleventh = WsClient::connect (server->ws_url ());
  eleventh->send (proto::make_register ({}));
  eleventh->expect_error (ErrorCode::RateLimited);
  std::string metrics;
  http_request (server->http_url () + "/metrics", &metrics);
  ck_assert_msg (metrics.find ("ghostview_rate_limited_total{limit=\"create\"} 1") !=
                     std::string::npos,
                 "%s", metrics.c_str ());
}
END_TEST

START_TEST (test_failed_pin_rate_limit_blocks_before_lookup)
{
  auto server = start_server ();
  auto host = WsClient::connect (server->ws_url ());
  std::string pin = proto::get_string (register_host (*host), "pin");
  auto guesser = WsClient::connect (server->ws_url ());
  int wrong = 0;
  for (int guess = 0; wrong < 10; guess++) {
    char text[8];
    g_snprintf (text, sizeof text, "%06d", guess);
    if (pin == text)
      continue;
    guesser->send (proto::make_join (text, ""));
    guesser->expect_error (ErrorCode::PinInvalid);
    wrong++;
  }
  /* Even the right PIN is refused now: the answer must not reveal it. */
  guesser->send (proto::make_join (pin, ""));
  guesser->expect_error (ErrorCode::RateLimited);
  ck_assert_uint_eq (server->live_viewers (), 0);
}
END_TEST

START_TEST (test_oversized_and_malformed_messages)
{
  auto server = start_server ();
  auto c = WsClient::connect (server->ws_url ());
  std::string big = "{\"type\":\"ping\",\"pad\":\"" + std::string (70 * 1024, 'x') + "\"}";
  c->send (big);
  c->expect_error (ErrorCode::TooLarge);
  c->send ("{{{{ not json");
  c->expect_error (ErrorCode::BadMessage);
  c->send ("{\"type\":\"ping\",\"x\":" + std::string (5000, '[') + "}");
  c->expect_error (ErrorCode::BadMessage);
  c->send ("{\"type\":\"register\",\"version\":7}");
  c->expect_error (ErrorCode::UnsupportedVersion);
  ck_assert_int_eq (c->wait_closed (), SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION);

  auto d = WsClient::connect (server->ws_url ());
  /* Binary frames are the fallback's pictures, from hosts only: refused
   * with an error, the connection kept. */
  d->send_bytes (std::string ("\x00\x01\x02", 3));
  d->expect_error (ErrorCode::NotAllowed);
  d->send (proto::make_ping ());
  d->expect (Type::Pong);

  /* Over the frame limit: the WebSocket layer closes that one connection. */
  auto e = WsClient::connect (server->ws_url ());
  e->send (std::string (2 * 1024 * 1024, 'x'));
  /* The server refuses the frame while the client is still writing it, so
   * the close is abrupt (1006) or 1009 depending on timing. */
  gushort big_code = e->wait_closed (8000);
  ck_assert_msg (e->closed, "a 2 MiB frame did not close the connection");
  ck_assert_msg (big_code == 0 || big_code == SOUP_WEBSOCKET_CLOSE_TOO_BIG, "close code %u",
                 big_code);
  assert_still_serving (*server);
}
END_TEST

START_TEST (test_message_flood)
{
  auto server = start_server ();
  auto c = WsClient::connect (server->ws_url ());
  for (int i = 0; i < 400; i++)
    c->send (proto::make_ping ());
  int pongs = 0, limited = 0;
  for (;;) {
    proto::Message m = c->next (500);
    if (m.type == Type::Unknown)
      break;
    if (m.type == Type::Pong)
      pongs++;
    else if (m.type == Type::Error && proto::get_string (m, "code") == "RATE_LIMITED")
      limited++;
  }
  ck_assert_msg (pongs >= 200 && pongs < 400, "pongs %d", pongs);
  ck_assert_msg (limited >= 1 && limited <= 3, "rate-limit errors %d (one a second at most)",
                 limited);
  ck_assert (c->is_open ());

  /* A client that keeps flooding is cut off. */
  for (int i = 0; i < 2000 && c->is_open (); i++) {
    c->send (proto::make_ping ());
    if (i % 100 == 0)
      spin (1);
  }
  ck_assert_int_eq (c->wait_closed (), SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION);
  assert_still_serving (*server);
}
END_TEST

START_TEST (test_idle_connection_closed)
{
  auto server = start_server ({ "--idle-timeout", "1" });
  auto c = WsClient::connect (server->ws_url ());
  ck_assert_int_eq (c->wait_closed (4000), SOUP_WEBSOCKET_CLOSE_GOING_AWAY);
}
END_TEST

/* A client that says nothing but answers the server's pings stays: with
 * --keepalive 4 each I/O thread arms libsoup's pings every 4 s (and takes
 * them away between), so pongs arrive well within the 8 s idle timeout
 * that closes a silent client (at most about 6 s apart). A negative
 * interval is refused. */
START_TEST (test_pinged_client_stays)
{
  ck_assert (!start_server ({ "--keepalive", "-5" }));
  auto server = start_server ({ "--keepalive", "4", "--idle-timeout", "8", "--io-threads", "2" });
  auto quiet = WsClient::connect (server->ws_url ());
  auto other = WsClient::connect (server->ws_url ());
  ck_assert_int_eq (quiet->wait_closed (13000), 0);
  ck_assert (quiet->is_open () && other->is_open ());
  quiet->send (proto::make_ping ());
  quiet->expect (Type::Pong);
}
END_TEST

START_TEST (test_origin_checks)
{
  auto server = start_server ();
  std::string self = server->http_url ();
  auto same = WsClient::connect (server->ws_url (), self.c_str ());
  ck_assert (same);
  same->send (proto::make_ping ());
  same->expect (Type::Pong);

  auto evil = WsClient::connect (server->ws_url (), "https://evil.example");
  ck_assert (evil);
  evil->expect_error (ErrorCode::OriginRejected);
  ck_assert_int_eq (evil->wait_closed (), SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION);

  auto listed = start_server ({ "--allowed-origins", "https://app.example" });
  auto ok = WsClient::connect (listed->ws_url (), "https://app.example");
  ok->send (proto::make_ping ());
  ok->expect (Type::Pong);
  auto other = WsClient::connect (listed->ws_url (), listed->http_url ().c_str ());
  other->expect_error (ErrorCode::OriginRejected);
  std::string metrics;
  http_request (listed->http_url () + "/metrics", &metrics);
  ck_assert (metrics.find ("ghostview_origin_rejected_total 1") != std::string::npos);
}
END_TEST

static Suite *limits_suite ()
{
  Suite *s = suite_create ("server-limits");
  TCase *tc = tcase_create ("limits");
  tcase_set_timeout (tc, 30);
  tcase_add_test (tc, test_session_creation_rate_limit);
  tcase_add_test (tc, test_failed_pin_rate_limit_blocks_before_lookup);
  tcase_add_test (tc, test_oversized_and_malformed_messages);
  tcase_add_test (tc, test_message_flood);
  tcase_add_test (tc, test_pinged_client_stays);
  tcase_add_test (tc, test_idle_connection_closed);
  tcase_add_test (tc, test_origin_checks);
  suite_add_tcase (s, tc);
  return s;
}

int main ()
{
  SRunner *sr = srunner_create (limits_suite ());
  srunner_run_all (sr, CK_NORMAL);
  int failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed == 0 ? 0 : 1;
}
