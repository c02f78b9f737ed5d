/* A host and viewers over real WebSockets against a real server: the
 * pairing flow, relaying, and the errors a person would hit. */
#include "harness.h"

#include "gv_check.h"

using namespace gv;
using namespace gv::test;
using proto::ErrorCode;
using proto::Type;

START_TEST (test_full_session_flow)
{
  auto server = start_server ();
  ck_assert (server);
  auto host = WsClient::connect (server->ws_url ());
  ck_assert (host);
  proto::Message reg = register_host (*host, 2);
  std::string pin = proto::get_string (reg, "pin");
  ck_assert_uint_eq (pin.size (), 6);
  gint64 expires = proto::get_int (reg, "expires_at");
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  ck_assert_msg (expires >= now + 590 && expires <= now + 601, "expiry %" G_GINT64_FORMAT, expires);
  std::string url = proto::get_string (reg, "viewer_url");
  ck_assert_msg (g_str_has_suffix (url.c_str (), ("/?pin=" + pin).c_str ()), "%s", url.c_str ());
  ck_assert_uint_eq (server->live_sessions (), 1);

  auto viewer = WsClient::connect (server->ws_url ());
  viewer->send (proto::make_join (pin, "Bob"));
  proto::Message waiting = viewer->expect (Type::Waiting);
  std::string vid = proto::get_string (waiting, "peer");
  proto::Message req = host->expect (Type::JoinRequest);
  GV_ASSERT_STR_EQ (proto::get_string (req, "peer"), vid);
  GV_ASSERT_STR_EQ (proto::get_string (req, "name").c_str (), "Bob");
  GV_ASSERT_STR_EQ (proto::get_string (req, "address").c_str (), "127.0.0.1");

  /* Not admitted yet: the viewer cannot signal. */
  viewer->send (proto::make_sdp ("", "answer", "v=0"));
  viewer->expect_error (ErrorCode::NotAllowed);

  host->send (proto::make_accept (vid, GV_CAPABILITY_VIEW));
  proto::Message joined = viewer->expect (Type::Joined);
  ck_assert_uint_eq (proto::get_capabilities (joined), GV_CAPABILITY_VIEW);

  host->send (proto::make_sdp (vid, "offer", "v=0\r\nhost-offer\r\n"));
  proto::Message offer = viewer->expect (Type::Sdp);
  GV_ASSERT_STR_EQ (proto::get_string (offer, "sdp").c_str (), "v=0\r\nhost-offer\r\n");
  GV_ASSERT_STR_EQ (proto::get_string (offer, "sdp_type").c_str (), "offer");
  GV_ASSERT_STR_EQ (proto::get_string (offer, "peer").c_str (),
                    proto::get_string (reg, "peer").c_str ());

  viewer->send (proto::make_sdp ("", "answer", "v=0\r\nviewer-answer\r\n"));
  proto::Message answer = host->expect (Type::Sdp);
  GV_ASSERT_STR_EQ (proto::get_string (answer, "peer"), vid);
  GV_ASSERT_STR_EQ (proto::get_string (answer, "sdp").c_str (), "v=0\r\nviewer-answer\r\n");

  viewer->send (
      proto::make_ice ("", "candidate:1 1 UDP 2122260223 127.0.0.1 5000 typ host", 0, "0"));
  proto::Message ice = host->expect (Type::Ice);
  GV_ASSERT_STR_EQ (proto::get_string (ice, "sdp_mid").c_str (), "0");
  host->send (
      proto::make_ice (vid, "candidate:2 1 UDP 2122260223 127.0.0.1 6000 typ host", 0, "0"));
  ck_assert (g_str_has_prefix (proto::get_string (viewer->expect (Type::Ice), "candidate").c_str (),
                               "candidate:2"));

  /* Control granted, then revoked. */
  host->send (proto::make_grant (vid, GV_CAPABILITY_VIEW | GV_CAPABILITY_CONTROL));
  ck_assert_uint_eq (proto::get_capabilities (viewer->expect (Type::Capabilities)),
                     GV_CAPABILITY_VIEW | GV_CAPABILITY_CONTROL);
  host->send (proto::make_grant (vid, GV_CAPABILITY_VIEW));
  ck_assert_uint_eq (proto::get_capabilities (viewer->expect (Type::Capabilities)),
                     GV_CAPABILITY_VIEW);

  /* A host cannot address a peer outside its session. */
  host->send (proto::make_sdp ("nobody", "offer", "v=0"));
  host->expect_error (ErrorCode::UnknownPeer);

  viewer->send (proto::make_leave ());
  proto::Message left = host->expect (Type::PeerLeft);
  GV_ASSERT_STR_EQ (proto::get_string (left, "reason").c_str (), "left");

  host->send (proto::make_end ());
  spin (100);
  ck_assert_uint_eq (server->live_sessions (), 0);
}
END_TEST

START_TEST (test_wrong_used_expired_declined)
{
  auto server = start_server ();
  auto host = WsClient::connect (server->ws_url ());
  std::string pin = proto::get_string (register_host (*host), "pin");

  auto v1 = WsClient::connect (server->ws_url ());
  std::string wrong = pin == "999999" ? "999998" : "999999";
  v1->send (proto::make_join (wrong, ""));
  std::string text = v1->expect_error (ErrorCode::PinInvalid);
  ck_assert_msg (text.find (wrong) != std::string::npos, "message does not name the PIN: %s",
                 text.c_str ());
  v1->send (proto::make_join ("12ab", ""));
  v1->expect_error (ErrorCode::PinInvalid);

  /* Declined: the viewer is told so. */
  v1->send (proto::make_join (pin, ""));
  std::string vid = proto::get_string (v1->expect (Type::Waiting), "peer");
  host->expect (Type::JoinRequest);
  host->send (proto::make_decline (vid, "not now"));
  text = v1->expect_error (ErrorCode::Declined);
  ck_assert_msg (text.find ("not now") != std::string::npos, "%s", text.c_str ());

  /* The declined request gave the use back; accept the next one. */
  auto v2 = WsClient::connect (server->ws_url ());
  v2->send (proto::make_join (pin, ""));
  std::string v2id = proto::get_string (v2->expect (Type::Waiting), "peer");
  host->expect (Type::JoinRequest);

  auto v3 = WsClient::connect (server->ws_url ());
  v3->send (proto::make_join (pin, ""));
  v3->expect_error (ErrorCode::SessionFull);

  host->send (proto::make_accept (v2id, GV_CAPABILITY_VIEW));
  v2->expect (Type::Joined);
  v3->send (proto::make_join (pin, ""));
  text = v3->expect_error (ErrorCode::PinUsed);
  ck_assert_msg (text.find ("already been used") != std::string::npos, "%s", text.c_str ());

  /* Expired. */
  auto host2 = WsClient::connect (server->ws_url ());
  std::string pin2 = proto::get_string (register_host (*host2, 1, 1), "pin");
  spin (1100);
  auto v4 = WsClient::connect (server->ws_url ());
  v4->send (proto::make_join (pin2, ""));
  text = v4->expect_error (ErrorCode::PinExpired);
  ck_assert_msg (text.find ("PIN " + pin2 + " has expired") != std::string::npos, "%s",
                 text.c_str ());
}
END_TEST

START_TEST (test_host_disconnect_ends_session)
{
  auto server = start_server ();
  auto host = WsClient::connect (server->ws_url ());
  std::string pin = proto::get_string (register_host (*host, 3), "pin");
  auto viewer = WsClient::connect (server->ws_url ());
  viewer->send (proto::make_join (pin, ""));
  std::string vid = proto::get_string (viewer->expect (Type::Waiting), "peer");
  host->expect (Type::JoinRequest);
  host->send (proto::make_accept (vid, 0));
  viewer->expect (Type::Joined);
  ck_assert_uint_eq (server->live_viewers (), 1);

  host.reset (); /* closes the socket */
  proto::Message ended = viewer->expect (Type::SessionEnded);
  GV_ASSERT_STR_EQ (proto::get_string (ended, "reason").c_str (), "host-disconnected");
  ck_assert_uint_eq (server->live_sessions (), 0);
  ck_assert_uint_eq (server->live_viewers (), 0);

  /* The PIN is gone with the session. */
  auto late = WsClient::connect (server->ws_url ());
  late->send (proto::make_join (pin, ""));
  late->expect_error (ErrorCode::PinInvalid);
}
END_TEST

START_TEST (test_kick_and_viewer_disconnect)
{
  auto server = start_server ();
  auto host = WsClient::connect (server->ws_url ());
  std::string pin = proto::get_string (register_host (*host, 2), "pin");
  std::unique_ptr<WsClient> v[2];
  std::string ids[2];
  for (int i = 0; i < 2; i++) {
    v[i] = WsClient::connect (server->ws_url ());
    v[i]->send (proto::make_join (pin, ""));
    ids[i] = proto::get_string (v[i]->expect (Type::Waiting), "peer");
    host->expect (Type::JoinRequest);
    host->send (proto::make_accept (ids[i], GV_CAPABILITY_VIEW));
    v[i]->expect (Type::Joined);
  }
  host->send (proto::make_kick (ids[0], ""));
  GV_ASSERT_STR_EQ (proto::get_string (v[0]->expect (Type::SessionEnded), "reason").c_str (),
                    "removed");
  GV_ASSERT_STR_EQ (proto::get_string (host->expect (Type::PeerLeft), "reason").c_str (),
                    "removed");
  v[1].reset ();
  proto::Message left = host->expect (Type::PeerLeft);
  GV_ASSERT_STR_EQ (proto::get_string (left, "peer"), ids[1]);
  GV_ASSERT_STR_EQ (proto::get_string (left, "reason").c_str (), "disconnected");
}
END_TEST

START_TEST (test_roles_are_enforced)
{
  auto server = start_server ();
  auto stranger = WsClient::connect (server->ws_url ());
  stranger->send (proto::make_accept ("x", GV_CAPABILITY_CONTROL));
  stranger->expect_error (ErrorCode::NotAllowed);
  stranger->send (proto::make_sdp ("x", "offer", "v=0"));
  stranger->expect_error (ErrorCode::NotAllowed);
  stranger->send (proto::make_error (ErrorCode::Internal, "spoof", Type::Unknown));
  stranger->expect_error (ErrorCode::NotAllowed);

  auto host = WsClient::connect (server->ws_url ());
  std::string pin = proto::get_string (register_host (*host), "pin");
  host->send (proto::make_join (pin, ""));
  host->expect_error (ErrorCode::NotAllowed);

  auto viewer = WsClient::connect (server->ws_url ());
  viewer->send (proto::make_join (pin, ""));
  viewer->expect (Type::Waiting);
  viewer->send (proto::make_grant ("anyone", GV_CAPABILITY_CONTROL));
  viewer->expect_error (ErrorCode::NotAllowed);
  viewer->send (proto::make_end ());
  viewer->expect_error (ErrorCode::NotAllowed);
  ck_assert_uint_eq (server->live_sessions (), 1);
}
END_TEST

/* A viewer's report and Retry reach its host with the viewer's id; only an
 * admitted viewer sends them; bad ones are refused with a clear error and
 * never relayed; a flood of them is cut by their own limits. */
START_TEST (test_reports_and_restarts)
{
  auto server = start_server ();
  auto host = WsClient::connect (server->ws_url ());
  std::string pin = proto::get_string (register_host (*host), "pin");
  auto viewer = WsClient::connect (server->ws_url ());

  /* No role yet, then pending: not allowed. */
  viewer->send (proto::make_report ("", proto::kProblemNoMedia, "", ""));
  viewer->expect_error (ErrorCode::NotAllowed);
  viewer->send (proto::make_join (pin, "Bob"));
  std::string vid = proto::get_string (viewer->expect (Type::Waiting), "peer");
  host->expect (Type::JoinRequest);
  viewer->send (proto::make_restart (""));
  std::string why = viewer->expect_error (ErrorCode::NotAllowed);
  ck_assert_msg (why.find ("accepted") != std::string::npos, "%s", why.c_str ());
  /* A host does not send them. */
  host->send (proto::make_report (vid, proto::kProblemNoMedia, "", ""));
  host->expect_error (ErrorCode::NotAllowed);

  host->send (proto::make_accept (vid, GV_CAPABILITY_VIEW));
  viewer->expect (Type::Joined);

  viewer->send (proto::make_report ("", proto::kProblemNoCommonCodec,
                                    "the browser decodes none of: H264", "H264"));
  proto::Message report = host->expect (Type::Report);
  GV_ASSERT_STR_EQ (proto::get_string (report, "peer"), vid);
  GV_ASSERT_STR_EQ (proto::get_string (report, "problem").c_str (), "no-common-codec");
  GV_ASSERT_STR_EQ (proto::get_string (report, "detail").c_str (),
                    "the browser decodes none of: H264");
  GV_ASSERT_STR_EQ (proto::get_string (report, "codec").c_str (), "H264");

  /* A viewer cannot pose as another: the server names the sender. */
  viewer->send ("{\"type\":\"report\",\"peer\":\"someone-else\",\"problem\":\"resolved\"}");
  GV_ASSERT_STR_EQ (proto::get_string (host->expect (Type::Report), "peer"), vid);

  /* Refused, with a sentence, and not relayed. */
  viewer->send ("{\"type\":\"report\",\"problem\":\"bored\"}");
  why = viewer->expect_error (ErrorCode::BadMessage);
  GV_ASSERT_STR_EQ (why.c_str (), "unknown problem \"bored\"");
  viewer->send ("{\"type\":\"report\",\"problem\":\"no-media\",\"detail\":\"" +
                std::string (proto::kMaxDetailBytes + 1, 'x') + "\"}");
  why = viewer->expect_error (ErrorCode::BadMessage);
  ck_assert_msg (why.find ("detail") != std::string::npos, "%s", why.c_str ());
  viewer->send ("{\"type\":\"report\",\"problem\":\"no-media\",\"detail\":\"a\\nb\"}");
  viewer->expect_error (ErrorCode::BadMessage);

  viewer->send (proto::make_restart (""));
  proto::Message restart = host->expect (Type::Restart);
  GV_ASSERT_STR_EQ (proto::get_string (restart, "peer"), vid);

  /* Restarts: 3 at once (one spent above), then one per 10 s. */
  viewer->send (proto::make_restart (""));
  host->expect (Type::Restart);
  viewer->send (proto::make_restart (""));
  host->expect (Type::Restart);
  viewer->send (proto::make_restart (""));
  why = viewer->expect_error (ErrorCode::RateLimited);
  ck_assert_msg (why.find ("Wait") != std::string::npos, "%s", why.c_str ());
  /* Reports: 10 at once (two spent above), then one per 3 s. */
  for (int i = 0; i < 8; i++) {
    viewer->send (proto::make_report ("", proto::kProblemMediaStopped, "", ""));
    host->expect (Type::Report);
  }
  viewer->send (proto::make_report ("", proto::kProblemMediaStopped, "", ""));
  viewer->expect_error (ErrorCode::RateLimited);
  ck_assert_msg (host->next (300).type == Type::Unknown, "a refused report was relayed");

  std::string metrics;
  http_request (server->http_url () + "/metrics", &metrics);
  for (const char *line :
       { "ghostview_viewer_reports_total{problem=\"no-common-codec\"} 1",
         "ghostview_viewer_reports_total{problem=\"media-stopped\"} 8",
         "ghostview_viewer_restarts_total 3", "ghostview_rate_limited_total{limit=\"restarts\"} 1",
         "ghostview_rate_limited_total{limit=\"reports\"} 1" })
    ck_assert_msg (metrics.find (line) != std::string::npos, "no \"%s\" in\n%s", line,
                   metrics.c_str ());
}
END_TEST

static Suite *flow_suite ()
{
  Suite *s = suite_create ("server-flow");
  TCase *tc = tcase_create ("flow");
  tcase_set_timeout (tc, 30);
  tcase_add_test (tc, test_full_session_flow);
  tcase_add_test (tc, test_wrong_used_expired_declined);
  tcase_add_test (tc, test_host_disconnect_ends_session);
  tcase_add_test (tc, test_kick_and_viewer_disconnect);
  tcase_add_test (tc, test_roles_are_enforced);
  tcase_add_test (tc, test_reports_and_restarts);
  suite_add_tcase (s, tc);
  return s;
}

int main ()
{
  SRunner *sr = srunner_create (flow_suite ());
  srunner_run_all (sr, CK_NORMAL);
  int failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed == 0 ? 0 : 1;
}
