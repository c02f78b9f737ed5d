/* A flood of wrong PINs from many networks while viewers with the right PIN
 * join: the real server over real WebSockets, every client bound to its own
 * loopback address (127.0.0.0/8 is all this machine), each in a /24 of its
 * own. The viewers get in on their first try; the guesses are refused as
 * SECURITY.md ("PIN guessing") says, and counted in /metrics. */
#include "harness.h"

#include "gv_check.h"

#include <map>

using namespace gv;
using namespace gv::test;
using proto::ErrorCode;
using proto::Type;

namespace {

constexpr int kGuessers = 24;
constexpr int kFloodSeconds = 15;
constexpr int kGuessIntervalMs = 50; /* per guesser: 20 a second, under the message limit */
constexpr int kViewerIntervalMs = 1000;

struct Guesser {
  std::unique_ptr<WsClient> ws;
  int next_guess = 0;
  bool waiting = false;
  gint64 last_sent_us = 0;
};

struct FloodCounts {
  int sent = 0, looked_up = 0, refused = 0;
};

guint64 metric (const ServerProcess &server, const std::string &name)
{
  std::string body;
  http_request (server.http_url () + "/metrics", &body);
  auto at = body.find ("\n" + name + " ");
  ck_assert_msg (at != std::string::npos, "no %s in /metrics", name.c_str ());
  return g_ascii_strtoull (body.c_str () + at + name.size () + 2, nullptr, 10);
}

/* Reads whatever answers have arrived and, when `send_more`, sends each
 * guesser's next wrong PIN once its last one is answered and its interval
 * has passed. Never waits. Returns how many guesses are unanswered. */
int drive_flood (std::vector<Guesser> &guessers, const std::string &pin, FloodCounts &counts,
                 bool send_more = true)
{
  int unanswered = 0;
  gint64 now = g_get_monotonic_time ();
  for (auto &g : guessers) {
    while (!g.ws->inbox.empty ()) {
      proto::Message m = g.ws->next (0);
      ck_assert_msg (m.type == Type::Error, "a guesser got \"%s\"", proto::type_name (m.type));
      std::string code = proto::get_string (m, "code");
      if (code == proto::error_code_name (ErrorCode::PinInvalid))
        counts.looked_up++;
      else if (code == proto::error_code_name (ErrorCode::RateLimited))
        counts.refused++;
      else
        ck_abort_msg ("a guess got %s", code.c_str ());
      g.waiting = false;
    }
    unanswered += g.waiting ? 1 : 0;
    if (!send_more || g.waiting || now - g.last_sent_us < kGuessIntervalMs * 1000)
      continue;
    char guess[8];
    do
      g_snprintf (guess, sizeof guess, "%06d", g.next_guess++);
    while (pin == guess);
    g.ws->send (proto::make_join (guess, "guesser"));
    g.waiting = true;
    g.last_sent_us = now;
    counts.sent++;
  }
  g_main_context_iteration (nullptr, FALSE);
  return unanswered;
}

} // namespace

START_TEST (test_right_pin_joins_during_flood)
{
  auto server = start_server ();
  ck_assert (server);
  auto host = WsClient::connect (server->ws_url ());
  std::string pin = proto::get_string (register_host (*host, proto::kMaxViewersLimit), "pin");

  std::vector<Guesser> guessers (kGuessers);
  for (int n = 0; n < kGuessers; n++) {
    std::string address = "127.0." + std::to_string (10 + n) + ".1";
    guessers[n].ws = WsClient::connect (server->ws_url (), nullptr, address.c_str ());
    ck_assert_msg (guessers[n].ws, "no connection from %s", address.c_str ());
  }

  FloodCounts flood;
  int viewers_tried = 0, viewers_in = 0;
  gint64 start = g_get_monotonic_time ();
  gint64 next_viewer = start + kViewerIntervalMs * 1000;
  while (g_get_monotonic_time () - start < kFloodSeconds * G_USEC_PER_SEC) {
    drive_flood (guessers, pin, flood);
    if (g_get_monotonic_time () < next_viewer) {
      g_usleep (1000);
      continue;
    }
    next_viewer += kViewerIntervalMs * 1000;
    /* A viewer on a network that never guessed, with the right PIN. */
    std::string address = "127.1." + std::to_string (++viewers_tried) + ".1";
    auto viewer = WsClient::connect (server->ws_url (), nullptr, address.c_str ());
    ck_assert_msg (viewer, "no connection from %s", address.c_str ());
    viewer->send (proto::make_join (pin, "viewer"));
    proto::Message first = viewer->next (3000);
    ck_assert_msg (
        first.type == Type::Waiting, "viewer %d (after %d guesses, %d refused): \"%s\" %s: %s",
        viewers_tried, flood.sent, flood.refused, proto::type_name (first.type),
        proto::get_string (first, "code").c_str (), proto::get_string (first, "message").c_str ());
    std::string peer = proto::get_string (first, "peer");
    proto::Message request = host->expect (Type::JoinRequest);
    GV_ASSERT_STR_EQ (proto::get_string (request, "peer"), peer);
    GV_ASSERT_STR_EQ (proto::get_string (request, "address"), address);
    host->send (proto::make_accept (peer, GV_CAPABILITY_VIEW));
    viewer->expect (Type::Joined);
    viewers_in++;
  }
  /* The flood stops; every guess gets its answer. */
  gint64 answers_by = g_get_monotonic_time () + 3 * G_USEC_PER_SEC;
  int unanswered;
  while ((unanswered = drive_flood (guessers, pin, flood, false)) > 0 &&
         g_get_monotonic_time () < answers_by)
    spin (5);
  ck_assert_int_eq (unanswered, 0);

  std::fprintf (stderr,
                "flood of %d s from %d networks: %d guesses, %d looked up, %d refused; "
                "viewers with the right PIN: %d of %d in on the first try\n",
                kFloodSeconds, kGuessers, flood.sent, flood.looked_up, flood.refused, viewers_in,
                viewers_tried);
  ck_assert_int_ge (viewers_tried, kFloodSeconds - 2);
  ck_assert_int_eq (viewers_in, viewers_tried);
  /* Each network's first guess is looked up (it could be a viewer's typo);
   * after that the flood bucket (30, then 1 per 10 s) is all they share. */
  ck_assert_int_ge (flood.sent, kGuessers * 10);
  ck_assert_int_le (flood.looked_up, kGuessers + 30 + kFloodSeconds / 10 + 1);
  ck_assert_int_ge (flood.looked_up, kGuessers);
  ck_assert_int_eq (flood.refused, flood.sent - flood.looked_up);
  ck_assert_uint_eq (metric (*server, "ghostview_rate_limited_total{limit=\"join_flood\"}") +
                         metric (*server, "ghostview_rate_limited_total{limit=\"join_ip\"}"),
                     (guint64) flood.refused);
  ck_assert_uint_eq (metric (*server, "ghostview_join_failures_total{code=\"PIN_INVALID\"}"),
                     (guint64) flood.looked_up);
  ck_assert_uint_eq (metric (*server, "ghostview_joins_total{result=\"accepted\"}"),
                     (guint64) viewers_in);
  ck_assert_uint_eq (metric (*server, "ghostview_guess_flagged_networks"), kGuessers);
}
END_TEST

START_TEST (test_flagged_network_waits_out_the_flood)
{
  /* The price of the design: during a flood, a network that itself sent a
   * wrong PIN today waits for the flood bucket, even with the right PIN. */
  auto server = start_server ();
  auto host = WsClient::connect (server->ws_url ());
  std::string pin = proto::get_string (register_host (*host), "pin");
  std::string wrong = pin == "000000" ? "000001" : "000000";
  for (int n = 0; n < 31; n++) {
    std::string address = "127.0." + std::to_string (10 + n) + ".1";
    auto guesser = WsClient::connect (server->ws_url (), nullptr, address.c_str ());
    guesser->send (proto::make_join (wrong, ""));
    guesser->expect_error (ErrorCode::PinInvalid);
  }
  auto typo = WsClient::connect (server->ws_url (), nullptr, "127.0.10.2");
  typo->send (proto::make_join (pin, ""));
  std::string text = typo->expect_error (ErrorCode::RateLimited);
  ck_assert_msg (text.find ("your network") != std::string::npos, "%s", text.c_str ());
  ck_assert_uint_eq (server->live_viewers (), 0);
  ck_assert_uint_eq (metric (*server, "ghostview_rate_limited_total{limit=\"join_flood\"}"), 1);
}
END_TEST

START_TEST (test_flood_gives_new_sessions_nine_digits)
{
  /* Flood mode after more than 20 networks (the default is 200, too many
   * loopback connections for a quick test). */
  constexpr int kFloodNetworks = 20;
  auto server = start_server ({ "--flood-networks", std::to_string (kFloodNetworks) });
  ck_assert (server);
  auto before_host = WsClient::connect (server->ws_url ());
  std::string before_pin = proto::get_string (register_host (*before_host), "pin");
  ck_assert_uint_eq (before_pin.size (), proto::kMinPinDigits);
  ck_assert_uint_eq (metric (*server, "ghostview_guess_flood_mode"), 0);

  /* One wrong PIN from each of 21 networks. */
  std::string wrong = before_pin == "000000" ? "000001" : "000000";
  for (int n = 0; n <= kFloodNetworks; n++) {
    std::string address = "127.0." + std::to_string (10 + n) + ".1";
    auto guesser = WsClient::connect (server->ws_url (), nullptr, address.c_str ());
    ck_assert_msg (guesser, "no connection from %s", address.c_str ());
    guesser->send (proto::make_join (wrong, "guesser"));
    guesser->expect_error (ErrorCode::PinInvalid);
    if (n == kFloodNetworks - 1) /* 20 networks: not yet a flood */
      ck_assert_uint_eq (metric (*server, "ghostview_guess_flood_mode"), 0);
  }
  ck_assert_uint_eq (metric (*server, "ghostview_guess_flood_mode"), 1);
  ck_assert_uint_eq (metric (*server, "ghostview_guess_recent_networks"), kFloodNetworks + 1);

  /* A session registered now gets nine digits, and its viewer (from a
   * network that never guessed) joins with them on the first try. */
  auto host = WsClient::connect (server->ws_url ());
  proto::Message registered = register_host (*host);
  std::string pin = proto::get_string (registered, "pin");
  ck_assert_msg (pin.size () == (std::size_t) proto::kMaxPinDigits &&
                     pin.find_first_not_of ("0123456789") == std::string::npos,
                 "PIN during a flood: %s", pin.c_str ());
  std::string viewer_url = proto::get_string (registered, "viewer_url");
  ck_assert_msg (g_str_has_suffix (viewer_url.c_str (), ("/?pin=" + pin).c_str ()), "%s",
                 viewer_url.c_str ());
  auto viewer = WsClient::connect (server->ws_url (), nullptr, "127.1.1.1");
  viewer->send (proto::make_join (pin, "viewer"));
  proto::Message first = viewer->next (3000);
  ck_assert_msg (first.type == Type::Waiting, "\"%s\" %s", proto::type_name (first.type),
                 proto::get_string (first, "message").c_str ());
  std::string peer = proto::get_string (first, "peer");
  GV_ASSERT_STR_EQ (proto::get_string (host->expect (Type::JoinRequest), "peer"), peer);
  host->send (proto::make_accept (peer, GV_CAPABILITY_VIEW));
  viewer->expect (Type::Joined);

  /* The session from before the flood keeps its six digits, and they still
   * let its viewer in. */
  auto old_viewer = WsClient::connect (server->ws_url (), nullptr, "127.1.2.1");
  old_viewer->send (proto::make_join (before_pin, "viewer"));
  proto::Message waiting = old_viewer->expect (Type::Waiting);
  GV_ASSERT_STR_EQ (proto::get_string (before_host->expect (Type::JoinRequest), "peer"),
                    proto::get_string (waiting, "peer"));
  before_host->send (proto::make_accept (proto::get_string (waiting, "peer"), GV_CAPABILITY_VIEW));
  old_viewer->expect (Type::Joined);
  ck_assert_uint_eq (server->live_viewers (), 2);
}
END_TEST

static Suite *guessing_suite ()
{
  Suite *s = suite_create ("server-guessing");
  TCase *tc = tcase_create ("guessing");
  tcase_set_timeout (tc, 60);
  tcase_add_test (tc, test_right_pin_joins_during_flood);
  tcase_add_test (tc, test_flagged_network_waits_out_the_flood);
  tcase_add_test (tc, test_flood_gives_new_sessions_nine_digits);
  suite_add_tcase (s, tc);
  return s;
}

int main ()
{
  SRunner *sr = srunner_create (guessing_suite ());
  srunner_run_all (sr, CK_NORMAL);
  int failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed == 0 ? 0 : 1;
}
