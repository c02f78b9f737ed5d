/* GhostView
 * Copyright (C) 2024 GhostView contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * gvnl-forwarder's link model on its own (netlab-link.h), no sockets: the
 * settings' text form, the udp=drop filter and the tcp-only firewall.
 */
#include "netlab-link.h"

#include <check.h>

#include <string>
#include <vector>

namespace {

constexpr size_t kVnetHeader = 10; /* what the forwarder's sockets put first */

/* An Ethernet II frame: zero MACs, `ethertype`, then `payload`. */
std::vector<uint8_t> ethernet (uint16_t ethertype, const std::vector<uint8_t> &payload)
{
  std::vector<uint8_t> frame (12, 0);
  frame.push_back (ethertype >> 8);
  frame.push_back (ethertype & 0xff);
  frame.insert (frame.end (), payload.begin (), payload.end ());
  return frame;
}

/* A 20-byte IPv4 header with `protocol`, and 8 bytes of transport header. */
std::vector<uint8_t> ipv4 (uint8_t protocol)
{
  std::vector<uint8_t> ip = { 0x45, 0, 0,  28, 0, 0, 0x40, 0,  64, protocol,
                              0,    0, 10, 77, 0, 1, 10,   77, 0,  2 };
  ip.resize (ip.size () + 8, 0);
  return ethernet (0x0800, ip);
}

/* A 40-byte IPv6 header with next header `next`, and 8 bytes after it. */
std::vector<uint8_t> ipv6 (uint8_t next)
{
  std::vector<uint8_t> ip (48, 0);
  ip[0] = 0x60;
  ip[5] = 8;
  ip[6] = next;
  ip[7] = 64;
  return ethernet (0x86dd, ip);
}

bool udp (const std::vector<uint8_t> &frame)
{
  return gvnl::carries_udp (frame.data (), frame.size ());
}

/* The frame as the forwarder hands it over: a virtio-net header first. */
gvnl::Frame as_read (const std::vector<uint8_t> &wire)
{
  gvnl::Frame frame;
  frame.bytes.assign (kVnetHeader, 0);
  frame.bytes.insert (frame.bytes.end (), wire.begin (), wire.end ());
  frame.wire_bytes = wire.size ();
  return frame;
}

/* Each frame through a direction with `settings`; how many came out. */
size_t passed (const char *settings, const std::vector<std::vector<uint8_t>> &frames,
               std::string *stats = nullptr)
{
  gvnl::Settings s;
  std::string error;
  ck_assert_msg (gvnl::parse_settings (settings, s, error), "%s", error.c_str ());
  gvnl::Direction direction ("a2b", 1);
  direction.configure (s, 0);
  for (const auto &wire : frames)
    direction.arrive (as_read (wire), 1000);
  size_t out = 0;
  direction.service (1000, [&out] (const gvnl::Frame &) {
    out++;
    return true;
  });
  if (stats)
    *stats = direction.stats_json ();
  return out;
}

} // namespace

START_TEST (test_parse_udp)
{
  gvnl::Settings s;
  std::string error;
  ck_assert (!s.drop_udp);
  ck_assert (gvnl::parse_settings ("loss=2 udp=drop", s, error));
  ck_assert (s.drop_udp);
  ck_assert (s.loss_pct == 2);
  ck_assert (gvnl::settings_json (s).find ("\"udp\":\"drop\"") != std::string::npos);
  /* Unnamed keys keep their value, and udp=pass restores. */
  ck_assert (gvnl::parse_settings ("delay=20", s, error));
  ck_assert (s.drop_udp);
  ck_assert (gvnl::parse_settings ("udp=pass", s, error));
  ck_assert (!s.drop_udp);
  ck_assert (s.loss_pct == 2 && s.delay_ms == 20);
  ck_assert (gvnl::settings_json (s).find ("\"udp\":\"pass\"") != std::string::npos);
  /* A bad word changes nothing, even after a good one. */
  for (const char *bad : { "udp=maybe", "udp=1", "udp=", "udp", "udp=drop loss=x" }) {
    gvnl::Settings before = s;
    error.clear ();
    ck_assert_msg (!gvnl::parse_settings (bad, s, error), "\"%s\" was taken", bad);
    ck_assert_msg (!error.empty (), "no error for \"%s\"", bad);
    ck_assert (s.drop_udp == before.drop_udp);
  }
  /* And in a schedule. */
  std::vector<gvnl::Phase> phases;
  ck_assert (gvnl::parse_schedule ("10 udp=drop; 0 udp=pass", phases, error));
  ck_assert_uint_eq (phases.size (), 2);
  ck_assert (!gvnl::parse_schedule ("10 udp=never", phases, error));
}
END_TEST

START_TEST (test_carries_udp)
{
  ck_assert (udp (ipv4 (17)));
  ck_assert (!udp (ipv4 (6))); /* TCP */
  ck_assert (!udp (ipv4 (1))); /* ICMP */
  ck_assert (udp (ipv6 (17)));
  ck_assert (!udp (ipv6 (6)));
  ck_assert (!udp (ipv6 (58))); /* ICMPv6 */
  /* ARP whose 10th byte happens to be 17. */
  std::vector<uint8_t> arp (28, 0);
  arp[9] = 17;
  ck_assert (!udp (ethernet (0x0806, arp)));
  /* An IPv4 EtherType over something that is not IPv4. */
  std::vector<uint8_t> not_v4 = ipv4 (17);
  not_v4[14] = 0x65;
  ck_assert (!udp (not_v4));
  ck_assert (!gvnl::carries_udp (nullptr, 0));
}
END_TEST

/* Every prefix of a UDP frame, each in a buffer of exactly its size (so a
 * read past it is a heap overflow for ASan/valgrind): UDP only from the byte
 * that says so on. */
START_TEST (test_truncated)
{
  for (const auto &[whole, needed] :
       { std::pair{ ipv4 (17), size_t (14 + 10) }, std::pair{ ipv6 (17), size_t (14 + 7) } }) {
    for (size_t n = 0; n <= whole.size (); n++) {
      std::vector<uint8_t> cut (whole.begin (), whole.begin () + n);
      cut.shrink_to_fit ();
      bool is_udp = udp (cut);
      ck_assert_msg (is_udp == (n >= needed), "%zu bytes of %zu: udp %d", n, whole.size (), is_udp);
    }
  }
}
END_TEST

START_TEST (test_direction_drops_udp)
{
  std::vector<uint8_t> short_v4 = ipv4 (17);
  short_v4.resize (20); /* EtherType IPv4, too short to hold the protocol */
  const std::vector<std::vector<uint8_t>> frames = {
    ipv4 (17), ipv4 (6), ipv6 (17), ipv6 (6), short_v4, {}, { 0x08 },
  };
  std::string stats;
  /* Default: everything passes. */
  ck_assert_uint_eq (passed ("", frames, &stats), frames.size ());
  ck_assert (stats.find ("\"dropped_udp\":0") != std::string::npos);
  ck_assert_uint_eq (passed ("udp=pass", frames), frames.size ());
  /* udp=drop: the two UDP frames are lost, TCP and the rest pass. */
  ck_assert_uint_eq (passed ("udp=drop", frames, &stats), frames.size () - 2);
  ck_assert_msg (stats.find ("\"dropped_udp\":2") != std::string::npos, "%s", stats.c_str ());
  ck_assert_msg (stats.find ("\"rx_frames\":7") != std::string::npos, "%s", stats.c_str ());
  ck_assert_uint_eq (passed ("udp=drop", { ipv4 (6), ipv6 (6) }), 2);
  ck_assert_uint_eq (passed ("udp=drop", { ipv4 (17), ipv6 (17) }), 0);
  /* A frame whose wire length claims more than was read is not looked into. */
  gvnl::Settings s;
  std::string error;
  ck_assert (gvnl::parse_settings ("udp=drop", s, error));
  gvnl::Direction direction ("a2b", 1);
  direction.configure (s, 0);
  gvnl::Frame odd = as_read (ipv4 (17));
  odd.wire_bytes = odd.bytes.size () + 1;
  direction.arrive (std::move (odd), 0);
  size_t out = 0;
  direction.service (0, [&out] (const gvnl::Frame &) {
    out++;
    return true;
  });
  ck_assert_uint_eq (out, 1);
}
END_TEST

/* udp=drop set at run time, then udp=pass: as the forwarder's "set" does. */
/* tcp-only=PORT: TCP to or from the port and non-IP frames pass, nothing
 * else (UDP, other TCP ports, ICMP, later fragments, cut frames). */
START_TEST (test_tcp_only_firewall)
{
  auto tcp = [] (std::vector<uint8_t> frame, int source, int destination, size_t ip_header) {
    uint8_t *ports = frame.data () + 14 + ip_header;
    ports[0] = source >> 8;
    ports[1] = source & 0xff;
    ports[2] = destination >> 8;
    ports[3] = destination & 0xff;
    return frame;
  };
  auto passes = [] (const std::vector<uint8_t> &frame) {
    return gvnl::firewall_passes (frame.data (), frame.size (), 8443);
  };
  ck_assert (passes (tcp (ipv4 (6), 50000, 8443, 20)));
  ck_assert (passes (tcp (ipv4 (6), 8443, 50000, 20)));
  ck_assert (!passes (tcp (ipv4 (6), 50000, 9000, 20)));  /* ICE-TCP to another port */
  ck_assert (!passes (tcp (ipv4 (17), 50000, 8443, 20))); /* UDP, even to the port */
  ck_assert (passes (tcp (ipv6 (6), 50000, 8443, 40)));
  ck_assert (!passes (tcp (ipv6 (17), 50000, 8443, 40)));
  std::vector<uint8_t> arp (28, 0);
  ck_assert (passes (ethernet (0x0806, arp)));
  std::vector<uint8_t> fragment = tcp (ipv4 (6), 50000, 8443, 20);
  fragment[14 + 7] = 1; /* fragment offset 8 bytes */
  ck_assert (!passes (fragment));
  /* Every prefix in a buffer of its size: no read past it, no pass until
   * both ports are there. */
  std::vector<uint8_t> whole = tcp (ipv4 (6), 50000, 8443, 20);
  for (size_t n = 0; n < 14 + 20 + 4; n++) {
    std::vector<uint8_t> cut (whole.begin (), whole.begin () + n);
    cut.shrink_to_fit ();
    ck_assert_msg (!passes (cut), "%zu bytes passed", n);
  }
  gvnl::Settings s;
  std::string error;
  ck_assert (gvnl::parse_settings ("tcp-only=8443", s, error));
  ck_assert_int_eq (s.tcp_only_port, 8443);
  ck_assert (gvnl::settings_json (s).find ("\"tcp_only\":8443") != std::string::npos);
  ck_assert (!gvnl::parse_settings ("tcp-only=70000", s, error));
  ck_assert (!gvnl::parse_settings ("tcp-only=1.5", s, error));
  ck_assert (gvnl::parse_settings ("tcp-only=0", s, error));
  ck_assert_int_eq (s.tcp_only_port, 0);
  std::string stats;
  ck_assert_uint_eq (passed ("tcp-only=8443",
                             { tcp (ipv4 (6), 1, 8443, 20), tcp (ipv4 (6), 1, 2, 20), ipv4 (17) },
                             &stats),
                     1);
  ck_assert_msg (stats.find ("\"dropped_firewall\":2") != std::string::npos, "%s", stats.c_str ());
}
END_TEST

START_TEST (test_direction_changes_at_run_time)
{
  gvnl::Direction direction ("b2a", 1);
  gvnl::Settings s;
  std::string error;
  direction.configure (s, 0);
  size_t out = 0;
  auto count = [&out] (const gvnl::Frame &) {
    out++;
    return true;
  };
  direction.arrive (as_read (ipv4 (17)), 10);
  direction.service (10, count);
  ck_assert_uint_eq (out, 1);
  ck_assert (gvnl::parse_settings ("udp=drop", s, error));
  direction.configure (s, 20);
  direction.arrive (as_read (ipv4 (17)), 30);
  direction.arrive (as_read (ipv4 (6)), 30);
  direction.service (30, count);
  ck_assert_uint_eq (out, 2);
  ck_assert (gvnl::parse_settings ("udp=pass", s, error));
  direction.configure (s, 40);
  direction.arrive (as_read (ipv6 (17)), 50);
  direction.service (50, count);
  ck_assert_uint_eq (out, 3);
  /* A schedule: UDP lost for its first phase only. */
  std::vector<gvnl::Phase> phases;
  ck_assert (gvnl::parse_schedule ("1 udp=drop; 0 udp=pass", phases, error));
  ck_assert (direction.set_schedule (phases, 100, error));
  direction.arrive (as_read (ipv4 (17)), 200);
  direction.service (200, count);
  ck_assert_uint_eq (out, 3);
  direction.arrive (as_read (ipv4 (17)), 100 + 1000000000);
  direction.service (100 + 1000000000, count);
  ck_assert_uint_eq (out, 4);
}
END_TEST

static Suite *netlab_link_suite (void)
{
  Suite *s = suite_create ("netlab-link");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_parse_udp);
  tcase_add_test (tc, test_carries_udp);
  tcase_add_test (tc, test_truncated);
  tcase_add_test (tc, test_direction_drops_udp);
  tcase_add_test (tc, test_direction_changes_at_run_time);
  tcase_add_test (tc, test_tcp_only_firewall);
  return s;
}

int main (void)
{
  SRunner *runner = srunner_create (netlab_link_suite ());
  srunner_run_all (runner, CK_NORMAL);
  int failed = srunner_ntests_failed (runner);
  srunner_free (runner);
  return failed ? 1 : 0;
}
