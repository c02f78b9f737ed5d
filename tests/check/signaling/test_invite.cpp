/* Invite links (signaling/invite_token.h): tokens checked on their own, the
 * registry's counting of a link's uses, and over real WebSockets against the
 * real server — a host asks for a link, viewers join with it (the host
 * still decides, and learns what the link stands for), and expired, used
 * up, tampered, truncated and foreign tokens get their own clear errors. */
#include "harness.h"
#include "invite_token.h"
#include "resume_token.h"
#include "session_registry.h"

#include "gv_check.h"

using namespace gv;
using namespace gv::test;
using proto::ErrorCode;
using proto::Type;

namespace {

const std::string kKey (signaling::kSessionKeyBytes, 'k');

signaling::InviteClaim sample_claim ()
{
  signaling::InviteClaim c;
  c.session = "0123456789abcdef0123456789abcdef";
  c.capabilities = GV_CAPABILITY_VIEW | GV_CAPABILITY_CONTROL;
  c.expires_at = 1900000000;
  c.uses = 2;
  c.id = "00112233aabbccdd";
  return c;
}

/* The invite-link answer to an `invite` for `caps`. */
proto::Message ask_invite (WsClient &host, guint caps, int uses, int ttl = 0)
{
  host.send (proto::make_invite (caps, uses, ttl));
  return host.expect (Type::InviteLink);
}

} // namespace

START_TEST (test_token_round_trip_and_tampering)
{
  signaling::InviteClaim c = sample_claim ();
  std::string token = signaling::make_invite_token (kKey, c);
  ck_assert_uint_le (token.size (), signaling::kMaxInviteTokenBytes);
  auto back = signaling::verify_invite_token (kKey, token);
  ck_assert (back);
  GV_ASSERT_STR_EQ (back->session, c.session);
  ck_assert_uint_eq (back->capabilities, c.capabilities);
  ck_assert_int_eq (back->expires_at, c.expires_at);
  ck_assert_int_eq (back->uses, c.uses);
  GV_ASSERT_STR_EQ (back->id, c.id);

  /* Another key, any one character changed, cut short or grown: refused. */
  ck_assert (
      !signaling::verify_invite_token (std::string (signaling::kSessionKeyBytes, 'x'), token));
  for (gsize i = 0; i < token.size (); i++) {
    std::string t = token;
    t[i] = t[i] == '1' ? '2' : '1';
    ck_assert_msg (!signaling::verify_invite_token (kKey, t), "changed at %zu verified", i);
  }
  ck_assert (!signaling::verify_invite_token (kKey, token.substr (0, token.size () - 1)));
  ck_assert (!signaling::verify_invite_token (kKey, token + "0"));
  ck_assert (!signaling::verify_invite_token (kKey, ""));
  ck_assert (!signaling::verify_invite_token (kKey, std::string (10000, '.')));

  /* A link that would not even let the viewer watch is never made valid. */
  signaling::InviteClaim blind = c;
  blind.capabilities = GV_CAPABILITY_CONTROL;
  ck_assert (!signaling::verify_invite_token (kKey, signaling::make_invite_token (kKey, blind)));

  /* Resume tokens and invites do not stand in for each other. */
  signaling::ResumeClaim r;
  r.session = c.session;
  r.pin = "123456";
  r.expires_at = c.expires_at;
  std::string resume = signaling::make_resume_token (kKey, r);
  ck_assert (!signaling::verify_invite_token (kKey, resume));
  ck_assert (!signaling::verify_resume_token (kKey, token));
}
END_TEST

START_TEST (test_registry_counts_uses_per_link)
{
  signaling::SessionRegistry reg;
  signaling::Session *s = reg.create ("host", 1, 600, 0);
  ck_assert (s);
  signaling::InviteClaim c = sample_claim ();
  c.session = s->id;
  c.expires_at = 100; /* seconds */
  c.uses = 2;
  signaling::Viewer a{ "a", "", "", 0, false, "", 0 }, b = a, d = a;
  b.id = "b";
  d.id = "d";
  const gint64 now = 10 * G_USEC_PER_SEC;
  ck_assert (!reg.join_by_invite (c, a, now).error);
  ck_assert (!reg.join_by_invite (c, b, now).error);
  auto used = reg.join_by_invite (c, d, now);
  ck_assert (used.error && *used.error == ErrorCode::InviteUsed);
  /* A pending viewer who goes gives its use back; an admitted one does not. */
  ck_assert (reg.remove_viewer (*s, "b"));
  ck_assert (!reg.join_by_invite (c, d, now).error);
  ck_assert (reg.accept (*s, "a", GV_CAPABILITY_VIEW));
  ck_assert (reg.remove_viewer (*s, "a"));
  auto still = reg.join_by_invite (c, b, now);
  ck_assert (still.error && *still.error == ErrorCode::InviteUsed);
  /* The PIN's own uses are untouched by the link's. */
  ck_assert_int_eq (s->uses_spent, 0);
  ck_assert (!reg.join (s->pin, signaling::Viewer{ "p", "", "", 0, false, "", 0 }, now).error);

  /* Expired, and a session that ended: the link is over. */
  signaling::InviteClaim other = c;
  other.id = "ffeeddccbbaa9988";
  auto late = reg.join_by_invite (other, signaling::Viewer{ "x", "", "", 0, false, "", 0 },
                                  101 * G_USEC_PER_SEC);
  ck_assert (late.error && *late.error == ErrorCode::InviteExpired);
  reg.end (s->id);
  auto ended = reg.join_by_invite (other, signaling::Viewer{ "y", "", "", 0, false, "", 0 }, now);
  ck_assert (ended.error && *ended.error == ErrorCode::InviteExpired);
}
END_TEST

START_TEST (test_join_by_invite_over_websockets)
{
  auto server = start_server ();
  ck_assert (server);
  auto host = WsClient::connect (server->ws_url ());
  register_host (*host, 1);
  proto::Message link = ask_invite (*host, GV_CAPABILITY_CONTROL, 2);
  std::string token = proto::get_string (link, "token");
  ck_assert (!token.empty ());
  ck_assert_uint_eq (proto::get_capabilities (link), GV_CAPABILITY_VIEW | GV_CAPABILITY_CONTROL);
  ck_assert_int_eq (proto::get_int (link, "uses"), 2);
  gint64 expires = proto::get_int (link, "expires_at");
  gint64 now_s = g_get_real_time () / G_USEC_PER_SEC;
  ck_assert_int_ge (expires, now_s + 3590); /* the default hour */
  ck_assert_int_le (expires, now_s + 3601);
  std::string url = proto::get_string (link, "url");
  ck_assert_msg (g_str_has_suffix (url.c_str (), ("/?invite=" + token).c_str ()), "%s",
                 url.c_str ());

  /* The host learns what the link stands for, and still decides. */
  auto first = WsClient::connect (server->ws_url ());
  first->send (proto::make_join_by_invite (token, "Ann"));
  std::string peer = proto::get_string (first->expect (Type::Waiting), "peer");
  proto::Message request = host->expect (Type::JoinRequest);
  GV_ASSERT_STR_EQ (proto::get_string (request, "peer"), peer);
  ck_assert_uint_eq (proto::get_capabilities (request), GV_CAPABILITY_VIEW | GV_CAPABILITY_CONTROL);
  host->send (proto::make_accept (peer, proto::get_capabilities (request)));
  ck_assert_uint_eq (proto::get_capabilities (first->expect (Type::Joined)),
                     GV_CAPABILITY_VIEW | GV_CAPABILITY_CONTROL);

  /* A viewer the host declines gives its use back, as with a PIN. */
  auto second = WsClient::connect (server->ws_url ());
  second->send (proto::make_join_by_invite (token, "Bob"));
  std::string bob = proto::get_string (second->expect (Type::Waiting), "peer");
  host->expect (Type::JoinRequest);
  host->send (proto::make_decline (bob, "not now"));
  second->expect_error (ErrorCode::Declined);
  auto third = WsClient::connect (server->ws_url ());
  third->send (proto::make_join_by_invite (token, "Cy"));
  std::string cy = proto::get_string (third->expect (Type::Waiting), "peer");
  host->expect (Type::JoinRequest);
  host->send (proto::make_accept (cy, GV_CAPABILITY_VIEW));
  third->expect (Type::Joined);
  /* Both uses spent: the link is used up. */
  auto fourth = WsClient::connect (server->ws_url ());
  fourth->send (proto::make_join_by_invite (token, "Di"));
  std::string why = fourth->expect_error (ErrorCode::InviteUsed);
  ck_assert_msg (strstr (why.c_str (), "already been used"), "%s", why.c_str ());

  /* A view-only link of a minute: the host is told "view" only. */
  proto::Message view = ask_invite (*host, 0, 1, 60);
  ck_assert_uint_eq (proto::get_capabilities (view), GV_CAPABILITY_VIEW);
  auto fifth = WsClient::connect (server->ws_url ());
  fifth->send (proto::make_join_by_invite (proto::get_string (view, "token"), "Ed"));
  fifth->expect (Type::Waiting);
  ck_assert_uint_eq (proto::get_capabilities (host->expect (Type::JoinRequest)),
                     GV_CAPABILITY_VIEW);
}
END_TEST

START_TEST (test_bad_invites_get_clear_errors)
{
  auto server = start_server ();
  ck_assert (server);
  auto host = WsClient::connect (server->ws_url ());
  register_host (*host, 1);
  std::string token = proto::get_string (ask_invite (*host, 0, 1), "token");

  /* Tampered: the capabilities raised from view (1) to view and control (3). */
  std::vector<std::string> parts;
  gchar **split = g_strsplit (token.c_str (), ".", -1);
  for (gchar **p = split; *p; p++)
    parts.emplace_back (*p);
  g_strfreev (split);
  ck_assert_uint_eq (parts.size (), 7);
  parts[2] = "3";
  std::string raised;
  for (gsize i = 0; i < parts.size (); i++)
    raised += (i ? "." : "") + parts[i];
  auto viewer = WsClient::connect (server->ws_url ());
  viewer->send (proto::make_join_by_invite (raised, "mallory"));
  std::string why = viewer->expect_error (ErrorCode::InviteInvalid);
  ck_assert_msg (strstr (why.c_str (), "not valid"), "%s", why.c_str ());
  /* Cut short (as a mail client might), and not a token at all. */
  viewer->send (proto::make_join_by_invite (token.substr (0, 40), ""));
  viewer->expect_error (ErrorCode::InviteInvalid);
  viewer->send (proto::make_join_by_invite ("hello", ""));
  viewer->expect_error (ErrorCode::InviteInvalid);
  /* Neither PIN nor invite. */
  viewer->send ("{\"type\":\"join\",\"version\":1}");
  viewer->expect_error (ErrorCode::BadMessage);
  /* Both: which one would count is not the server's to guess. */
  viewer->send ("{\"type\":\"join\",\"version\":1,\"pin\":\"123456\",\"invite\":\"" + token +
                "\"}");
  viewer->expect_error (ErrorCode::BadMessage);
  /* Only a host asks for links. */
  viewer->send (proto::make_invite (GV_CAPABILITY_CONTROL, 1, 0));
  viewer->expect_error (ErrorCode::NotAllowed);
  /* Out of range: 65 uses, a 30 s or 2-day life. */
  host->send ("{\"type\":\"invite\",\"capabilities\":[\"view\"],\"uses\":65}");
  host->expect_error (ErrorCode::BadMessage);
  host->send ("{\"type\":\"invite\",\"capabilities\":[\"view\"],\"ttl\":30}");
  host->expect_error (ErrorCode::BadMessage);
  host->send ("{\"type\":\"invite\",\"capabilities\":[\"view\"],\"ttl\":172800}");
  host->expect_error (ErrorCode::BadMessage);

  /* The session ends: its links with it. */
  host->send (proto::make_end ());
  spin (200);
  auto late = WsClient::connect (server->ws_url ());
  late->send (proto::make_join_by_invite (token, "late"));
  late->expect_error (ErrorCode::InviteExpired);

  /* Forged tokens count as wrong guesses: an address that keeps sending
   * them is slowed down like one that keeps guessing PINs. */
  auto forger = WsClient::connect (server->ws_url ());
  bool limited = false;
  for (int i = 0; i < 40 && !limited; i++) {
    forger->send (proto::make_join_by_invite (raised, ""));
    proto::Message m = forger->expect (Type::Error);
    limited = proto::get_string (m, "code") == "RATE_LIMITED";
  }
  ck_assert_msg (limited, "forged invites were never rate-limited");
}
END_TEST

static Suite *invite_suite ()
{
  Suite *s = suite_create ("invite");
  TCase *tc = tcase_create ("invite");
  tcase_set_timeout (tc, 60);
  tcase_add_test (tc, test_token_round_trip_and_tampering);
  tcase_add_test (tc, test_registry_counts_uses_per_link);
  tcase_add_test (tc, test_join_by_invite_over_websockets);
  tcase_add_test (tc, test_bad_invites_get_clear_errors);
  suite_add_tcase (s, tc);
  return s;
}

int main ()
{
  SRunner *sr = srunner_create (invite_suite ());
  srunner_run_all (sr, CK_NORMAL);
  int failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed == 0 ? 0 : 1;
}
