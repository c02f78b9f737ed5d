/* Pairing rules, PINs, rate limiters and TURN credentials, without sockets. */
#include "random.h"
#include "rate_limiter.h"
#include "session_registry.h"
#include "turn_credentials.h"

#include "gv_check.h"

#include <set>

using namespace gv::signaling;
using gv::proto::ErrorCode;

namespace {
constexpr gint64 kSec = G_USEC_PER_SEC;

Viewer viewer (const char *id)
{
  Viewer v;
  v.id = id;
  return v;
}
} // namespace

START_TEST (test_pins_are_six_digits_unique_and_spread)
{
  SessionRegistry reg;
  std::set<std::string> pins;
  int first_digit[10] = { 0 };
  for (int i = 0; i < 20000; i++) {
    Session *s = reg.create ("host" + std::to_string (i), 1, 600, 0);
    ck_assert (s != nullptr);
    ck_assert_msg (is_pin_shaped (s->pin), "bad PIN %s", s->pin.c_str ());
    ck_assert_msg (pins.insert (s->pin).second, "PIN %s handed out twice", s->pin.c_str ());
    first_digit[s->pin[0] - '0']++;
  }
  /* 2,000 expected per leading digit; a uniform draw stays well within
   * +-15% (that is > 6 standard deviations). */
  for (int d = 0; d < 10; d++)
    ck_assert_msg (first_digit[d] > 1700 && first_digit[d] < 2300, "digit %d: %d", d,
                   first_digit[d]);
  ck_assert_uint_eq (reg.session_count (), 20000);
}
END_TEST

START_TEST (test_nine_digit_pins_unique_spread_and_joinable)
{
  SessionRegistry reg;
  Session *six = reg.create ("host-six", 1, 600, 0);
  ck_assert_uint_eq (six->pin.size (), 6);
  std::set<std::string> pins;
  int first_digit[10] = { 0 };
  for (int i = 0; i < 10000; i++) {
    Session *s = reg.create ("host" + std::to_string (i), 1, 600, 0, 9);
    ck_assert (s != nullptr);
    ck_assert_uint_eq (s->pin.size (), 9);
    ck_assert_msg (is_pin_shaped (s->pin), "bad PIN %s", s->pin.c_str ());
    ck_assert_msg (pins.insert (s->pin).second, "PIN %s handed out twice", s->pin.c_str ());
    first_digit[s->pin[0] - '0']++;
  }
  for (int d = 0; d < 10; d++) /* 1,000 expected each; > 6 standard deviations */
    ck_assert_msg (first_digit[d] > 800 && first_digit[d] < 1200, "digit %d: %d", d,
                   first_digit[d]);
  /* A nine-digit PIN joins its own session; the six-digit one still its own. */
  Session *nine = reg.create ("host-nine", 1, 600, 0, 9);
  auto joined = reg.join (nine->pin, viewer ("v9"), kSec);
  ck_assert (!joined.error && joined.session == nine);
  joined = reg.join (six->pin, viewer ("v6"), kSec);
  ck_assert (!joined.error && joined.session == six);
  /* Nine digits of which six are a live PIN find nothing. */
  ck_assert (reg.join ("000" + six->pin, viewer ("x"), kSec).error == ErrorCode::PinInvalid);
  ck_assert (!is_pin_shaped ("12345") && !is_pin_shaped ("1234567890") &&
             !is_pin_shaped ("12345a") && is_pin_shaped ("1234567"));
}
END_TEST

START_TEST (test_random_ids_differ)
{
  std::string a = random_id (16), b = random_id (16);
  ck_assert_uint_eq (a.size (), 32);
  ck_assert (a != b);
}
END_TEST

START_TEST (test_single_use_and_expiry)
{
  SessionRegistry reg;
  Session *s = reg.create ("host", 1, 10, 0);
  std::string pin = s->pin;

  ck_assert (reg.join ("12345", viewer ("short"), kSec).error == ErrorCode::PinInvalid);
  std::string wrong = pin == "000000" ? "000001" : "000000";
  ck_assert (reg.join (wrong, viewer ("w"), kSec).error == ErrorCode::PinInvalid);

  auto first = reg.join (pin, viewer ("v1"), kSec);
  ck_assert (!first.error);
  /* The only use is held by v1's pending request. */
  ck_assert (reg.join (pin, viewer ("v2"), kSec).error == ErrorCode::SessionFull);
  ck_assert (reg.accept (*s, "v1", GV_CAPABILITY_CONTROL));
  ck_assert_uint_eq (s->viewers["v1"].capabilities, GV_CAPABILITY_CONTROL | GV_CAPABILITY_VIEW);
  ck_assert (reg.join (pin, viewer ("v3"), kSec).error == ErrorCode::PinUsed);
  /* Leaving does not give the use back. */
  reg.remove_viewer (*s, "v1");
  ck_assert (reg.join (pin, viewer ("v4"), kSec).error == ErrorCode::PinUsed);

  Session *t = reg.create ("host2", 1, 10, 0);
  ck_assert (reg.join (t->pin, viewer ("late"), 10 * kSec).error == ErrorCode::PinExpired);
}
END_TEST

START_TEST (test_declined_request_frees_its_use)
{
  SessionRegistry reg;
  Session *s = reg.create ("host", 2, 600, 0);
  ck_assert (!reg.join (s->pin, viewer ("a"), 0).error);
  ck_assert (!reg.join (s->pin, viewer ("b"), 0).error);
  ck_assert (reg.join (s->pin, viewer ("c"), 0).error == ErrorCode::SessionFull);
  reg.remove_viewer (*s, "b"); /* declined */
  ck_assert (!reg.join (s->pin, viewer ("c"), 0).error);
  ck_assert (reg.accept (*s, "a", 0));
  ck_assert (!reg.accept (*s, "a", 0)); /* twice */
  ck_assert (reg.grant (*s, "a", GV_CAPABILITY_CONTROL));
  ck_assert (!reg.grant (*s, "c", GV_CAPABILITY_CONTROL)); /* still pending */
  ck_assert (reg.find_by_viewer ("c") == s);

  auto viewers = reg.end (s->id);
  ck_assert_uint_eq (viewers.size (), 2);
  ck_assert_uint_eq (reg.session_count (), 0);
  ck_assert_uint_eq (reg.viewer_count (), 0);
  ck_assert (reg.find_by_host ("host") == nullptr);
}
END_TEST

START_TEST (test_token_bucket)
{
  TokenBucket b (10, 10.0 / 60);
  gint64 t = 1000 * kSec;
  for (int i = 0; i < 10; i++)
    ck_assert (b.try_take (t));
  ck_assert (!b.try_take (t));
  ck_assert (!b.try_take (t + 5 * kSec));
  ck_assert (b.try_take (t + 6 * kSec + kSec / 10)); /* one back every 6 s */
  ck_assert (!b.try_take (t + 6 * kSec + kSec / 10));
  ck_assert (b.is_full (t + 600 * kSec));
}
END_TEST

START_TEST (test_keyed_limiter_per_address)
{
  KeyedRateLimiter lim (10, 1.0 / 30);
  gint64 t = 50 * kSec;
  for (int i = 0; i < 10; i++)
    lim.spend ("10.0.0.1", t);
  ck_assert (!lim.has_token ("10.0.0.1", t));
  ck_assert (lim.has_token ("10.0.0.2", t));
  ck_assert (!lim.has_token ("10.0.0.1", t + 29 * kSec));
  ck_assert (lim.has_token ("10.0.0.1", t + 31 * kSec));
  lim.prune (t + 31 * kSec);
  ck_assert_uint_eq (lim.size (), 1);
  lim.prune (t + 400 * kSec);
  ck_assert_uint_eq (lim.size (), 0);
}
END_TEST

START_TEST (test_turn_credentials_hmac)
{
  /* Reference from OpenSSL: printf '1700000000:peer1' |
   *   openssl dgst -sha1 -hmac coturn-secret -binary | base64 */
  auto s = make_turn_server ({ "turn:127.0.0.1:3478" }, "coturn-secret", "peer1", 1700000000);
  GV_ASSERT_STR_EQ (s.username.c_str (), "1700000000:peer1");
  GV_ASSERT_STR_EQ (s.credential.c_str (), "i16m1nKVhKsftkRHEFOTkr3OLmQ=");
  GV_ASSERT_STR_EQ (s.urls[0].c_str (), "turn:127.0.0.1:3478");

  auto list = make_ice_servers ({ "stun:a" }, { "turn:b" }, "k", "peer", 99);
  ck_assert_uint_eq (list.size (), 2);
  ck_assert (list[0].username.empty ());
  GV_ASSERT_STR_EQ (list[1].username.c_str (), "99:peer");
  /* TURN without a secret is never handed out with empty credentials. */
  ck_assert_uint_eq (make_ice_servers ({}, { "turn:b" }, "", "p", 1).size (), 0);
}
END_TEST

static Suite *sessions_suite ()
{
  Suite *s = suite_create ("sessions");
  TCase *tc = tcase_create ("sessions");
  tcase_add_test (tc, test_pins_are_six_digits_unique_and_spread);
  tcase_add_test (tc, test_nine_digit_pins_unique_spread_and_joinable);
  tcase_add_test (tc, test_random_ids_differ);
  tcase_add_test (tc, test_single_use_and_expiry);
  tcase_add_test (tc, test_declined_request_frees_its_use);
  tcase_add_test (tc, test_token_bucket);
  tcase_add_test (tc, test_keyed_limiter_per_address);
  tcase_add_test (tc, test_turn_credentials_hmac);
  suite_add_tcase (s, tc);
  return s;
}

int main ()
{
  SRunner *sr = srunner_create (sessions_suite ());
  srunner_run_all (sr, CK_NORMAL);
  int failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed == 0 ? 0 : 1;
}
