/* The limits on wrong PINs, without sockets, on a driven clock: what each
 * bucket refuses, that a clean network is never refused for the flood, and
 * that an attacker gets no more guesses than SECURITY.md says. */
#include "guess_limiter.h"

#include "gv_check.h"

#include <cstdio>

using namespace gv::signaling;

namespace {
constexpr gint64 kSec = G_USEC_PER_SEC;

std::string address_in_own_lan (int n)
{
  return "10." + std::to_string (n / 256) + "." + std::to_string (n % 256) + ".1";
}

/* Every address guesses (wrong) whenever the limiter lets it, once a second
 * for `seconds`; returns how many guesses were looked up. */
int attack (GuessLimiter &limiter, int addresses, int seconds)
{
  int looked_up = 0;
  for (int t = 0; t < seconds; t++)
    for (int a = 0; a < addresses; a++) {
      std::string address = address_in_own_lan (a);
      if (limiter.check (address, t * kSec) == GuessVerdict::Allowed) {
        limiter.record_failure (address, t * kSec);
        looked_up++;
      }
    }
  return looked_up;
}
} // namespace

START_TEST (test_network_prefixes)
{
  GV_ASSERT_STR_EQ (network_prefix ("192.0.2.77", 24, 64), "192.0.2.0/24");
  GV_ASSERT_STR_EQ (network_prefix ("::ffff:192.0.2.77", 24, 64), "192.0.2.0/24");
  GV_ASSERT_STR_EQ (network_prefix ("2001:db8:1:2:3:4:5:6", 24, 64), "2001:db8:1:2::/64");
  GV_ASSERT_STR_EQ (network_prefix ("2001:db8:1:2:3:4:5:6", 24, 48), "2001:db8:1::/48");
  GV_ASSERT_STR_EQ (network_prefix ("2001:db8:1:a2ff:3::", 24, 52), "2001:db8:1:a000::/52");
  GV_ASSERT_STR_EQ (network_prefix ("unknown", 24, 64), "unknown");
}
END_TEST

START_TEST (test_address_limit)
{
  GuessLimiter limiter;
  for (int i = 0; i < 10; i++) {
    ck_assert (limiter.check ("192.0.2.1", 0) == GuessVerdict::Allowed);
    limiter.record_failure ("192.0.2.1", 0);
  }
  ck_assert (limiter.check ("192.0.2.1", 0) == GuessVerdict::AddressLimited);
  /* Its neighbour has guessed nothing; one wrong guess every 30 s comes back. */
  ck_assert (limiter.check ("192.0.2.2", 0) == GuessVerdict::Allowed);
  ck_assert (limiter.check ("192.0.2.1", 29 * kSec) == GuessVerdict::AddressLimited);
  ck_assert (limiter.check ("192.0.2.1", 31 * kSec) == GuessVerdict::Allowed);
}
END_TEST

START_TEST (test_prefix_limit)
{
  /* 30 addresses of one /24 (or one /64), 1 wrong guess each: the network's
   * budget is spent, though each address has 9 left. */
  for (const char *net : { "198.51.100.", "2001:db8:7:7::" }) {
    GuessLimiter limiter;
    for (int i = 1; i <= 30; i++) {
      std::string address = net + std::to_string (i);
      ck_assert (limiter.check (address, 0) == GuessVerdict::Allowed);
      limiter.record_failure (address, 0);
    }
    ck_assert_msg (limiter.check (std::string (net) + "99", 0) == GuessVerdict::PrefixLimited, "%s",
                   net);
    ck_assert (limiter.check ("203.0.113.5", 0) == GuessVerdict::Allowed);
    ck_assert (limiter.check (std::string (net) + "99", 11 * kSec) == GuessVerdict::Allowed);
  }
}
END_TEST

START_TEST (test_flood_spares_clean_networks)
{
  GuessLimiter limiter;
  /* 40 networks, one wrong guess each: the server-wide bucket (30) is empty. */
  for (int n = 0; n < 40; n++) {
    ck_assert (limiter.check (address_in_own_lan (n), 0) == GuessVerdict::Allowed);
    limiter.record_failure (address_in_own_lan (n), 0);
  }
  /* A network that sent no wrong PIN is looked up: the viewer with the right PIN. */
  ck_assert (limiter.check ("192.0.2.1", 0) == GuessVerdict::Allowed);
  /* The guessers' networks wait for the flood bucket, even from a fresh address. */
  ck_assert (limiter.check ("10.0.0.1", 0) == GuessVerdict::FloodLimited);
  ck_assert (limiter.check ("10.0.0.200", 0) == GuessVerdict::FloodLimited);
  /* One flagged guess every 10 s. */
  ck_assert (limiter.check ("10.0.0.1", 11 * kSec) == GuessVerdict::Allowed);
  limiter.record_failure ("10.0.0.1", 11 * kSec);
  ck_assert (limiter.check ("10.0.1.1", 11 * kSec) == GuessVerdict::FloodLimited);
  ck_assert_uint_eq (limiter.flagged_networks (), 40);
}
END_TEST

START_TEST (test_flag_lasts_a_day)
{
  GuessLimiter limiter;
  limiter.record_failure ("192.0.2.1", 0);
  gint64 day = 24 * 3600 * kSec;
  auto drain_flood = [&] (gint64 at) {
    for (int n = 0; n < 30; n++)
      limiter.record_failure (address_in_own_lan (n), at);
  };
  drain_flood (day - kSec);
  ck_assert (limiter.check ("192.0.2.50", day - kSec) == GuessVerdict::FloodLimited);
  drain_flood (day + kSec);
  ck_assert (limiter.check ("192.0.2.50", day + kSec) == GuessVerdict::Allowed);
  /* Forgotten once clean: memory holds only networks flagged in the last day. */
  limiter.prune (2 * day + 2 * kSec);
  ck_assert_uint_eq (limiter.flagged_networks (), 0);
}
END_TEST

START_TEST (test_flagged_memory_is_bounded)
{
  GuessLimits limits;
  limits.max_flagged = 3;
  GuessLimiter limiter (limits);
  for (int n = 0; n < 40; n++)
    limiter.record_failure (address_in_own_lan (n), 0);
  ck_assert_uint_eq (limiter.flagged_networks (), 3);
  /* Full: an unknown network is treated as flagged rather than forgotten. */
  ck_assert (limiter.check ("192.0.2.1", 0) == GuessVerdict::FloodLimited);
}
END_TEST

/* Flood mode: on once more than flood_networks networks had a wrong PIN
 * looked up within 10 minutes, off 10 minutes after that was last true. */
START_TEST (test_flood_mode_turns_on_and_off)
{
  GuessLimits limits;
  limits.flood_networks = 5;
  GuessLimiter limiter (limits);
  /* Five networks, however many wrong PINs each: not a flood. */
  for (int round = 0; round < 3; round++)
    for (int n = 0; n < 5; n++)
      limiter.record_failure (address_in_own_lan (n), round * kSec);
  ck_assert (!limiter.flood_mode (3 * kSec));
  ck_assert_uint_eq (limiter.recent_guessing_networks (3 * kSec), 5);
  /* Two addresses of one /24 are one network; another /24 is the sixth. */
  limiter.record_failure ("10.0.0.77", 4 * kSec);
  ck_assert (!limiter.flood_mode (4 * kSec));
  limiter.record_failure (address_in_own_lan (5), 5 * kSec);
  ck_assert (limiter.flood_mode (5 * kSec));
  ck_assert_uint_eq (limiter.recent_guessing_networks (5 * kSec), 6);
  /* The guessing stops: still on after 10 minutes (hysteresis), though the
   * six networks have aged out of the count ... */
  limiter.prune (5 * kSec + 600 * kSec - 1);
  ck_assert (limiter.flood_mode (5 * kSec + 600 * kSec - 1));
  limiter.prune (610 * kSec);
  ck_assert_uint_eq (limiter.recent_guessing_networks (610 * kSec), 0);
  /* ... and off 10 minutes after the last wrong PIN that found six. */
  ck_assert (!limiter.flood_mode (605 * kSec));
}
END_TEST

START_TEST (test_flood_mode_counts_only_the_window)
{
  GuessLimits limits;
  limits.flood_networks = 5;
  GuessLimiter limiter (limits);
  /* A new network every 100 s: never more than five within 10 minutes ... */
  for (int n = 0; n < 5; n++)
    limiter.record_failure (address_in_own_lan (n), n * 100 * kSec);
  /* ... the first has aged out when the sixth comes. */
  limiter.record_failure (address_in_own_lan (5), 650 * kSec);
  ck_assert_uint_eq (limiter.recent_guessing_networks (650 * kSec), 5);
  ck_assert (!limiter.flood_mode (650 * kSec));
  /* The first network guesses again: six within 10 minutes. */
  limiter.record_failure (address_in_own_lan (0), 651 * kSec);
  ck_assert_uint_eq (limiter.recent_guessing_networks (651 * kSec), 6);
  ck_assert (limiter.flood_mode (651 * kSec));
  /* An IPv6 site (/48) is one network, whichever of its /64s guesses. */
  GuessLimiter v6 (limits);
  for (int n = 0; n < 10; n++)
    v6.record_failure ("2001:db8:1:" + std::to_string (n) + "::1", 0);
  ck_assert_uint_eq (v6.recent_guessing_networks (0), 1);
  ck_assert (!v6.flood_mode (0));
}
END_TEST

/* The attacker of SECURITY.md's 10,000-network row spends each network's
 * clean lookup at once; flood mode is on from its 201st network. */
START_TEST (test_flood_mode_catches_the_10000_network_attacker)
{
  GuessLimiter limiter;
  int looked_up_before = 0;
  for (int a = 0; a < 10000; a++) {
    std::string address = address_in_own_lan (a);
    if (limiter.check (address, 0) != GuessVerdict::Allowed)
      continue;
    if (!limiter.flood_mode (0))
      looked_up_before++;
    limiter.record_failure (address, 0);
  }
  ck_assert_int_eq (looked_up_before, 201);
  ck_assert (limiter.flood_mode (0));
  ck_assert_uint_eq (limiter.recent_guessing_networks (0), 10000);
  /* An attacker that stays under the threshold (200 new networks per 10
   * minutes) never turns it on. */
  GuessLimiter patient;
  for (int minute = 0; minute < 60; minute++)
    for (int n = 0; n < 20; n++) {
      std::string address = address_in_own_lan (minute * 20 + n);
      if (patient.check (address, minute * 60 * kSec) == GuessVerdict::Allowed)
        patient.record_failure (address, minute * 60 * kSec);
    }
  ck_assert (!patient.flood_mode (3600 * kSec));
}
END_TEST

/* The figures of SECURITY.md ("PIN guessing"): guesses looked up in a
 * PIN's 10-minute life and in an hour, for attackers whose addresses are
 * each in a network of its own (their best case). */
START_TEST (test_attacker_figures)
{
  struct Case {
    int addresses, seconds, at_most;
  } cases[] = {
    { 1, 600, 30 },      /* 10 + 20 */
    { 1, 3600, 130 },    /* 10 + 120 */
    { 100, 600, 190 },   /* 100 clean + 30 + 60 */
    { 100, 3600, 490 },  /* 100 clean + 30 + 360 */
    { 1000, 600, 1090 }, /* 1,000 clean + 30 + 60 */
  };
  for (const auto &c : cases) {
    GuessLimiter limiter;
    int looked_up = attack (limiter, c.addresses, c.seconds);
    std::fprintf (stderr, "%d addresses, %d s: %d guesses looked up (SECURITY.md: at most %d)\n",
                  c.addresses, c.seconds, looked_up, c.at_most);
    ck_assert_msg (looked_up <= c.at_most && looked_up >= c.at_most * 8 / 10,
                   "%d addresses, %d s: %d guesses looked up, SECURITY.md says at most %d",
                   c.addresses, c.seconds, looked_up, c.at_most);
  }
}
END_TEST

static Suite *guess_suite ()
{
  Suite *s = suite_create ("guess-limits");
  TCase *tc = tcase_create ("guess-limits");
  tcase_set_timeout (tc, 60);
  tcase_add_test (tc, test_network_prefixes);
  tcase_add_test (tc, test_address_limit);
  tcase_add_test (tc, test_prefix_limit);
  tcase_add_test (tc, test_flood_spares_clean_networks);
  tcase_add_test (tc, test_flag_lasts_a_day);
  tcase_add_test (tc, test_flagged_memory_is_bounded);
  tcase_add_test (tc, test_attacker_figures);
  tcase_add_test (tc, test_flood_mode_turns_on_and_off);
  tcase_add_test (tc, test_flood_mode_counts_only_the_window);
  tcase_add_test (tc, test_flood_mode_catches_the_10000_network_attacker);
  suite_add_tcase (s, tc);
  return s;
}

int main ()
{
  SRunner *sr = srunner_create (guess_suite ());
  srunner_run_all (sr, CK_NORMAL);
  int failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed == 0 ? 0 : 1;
}
