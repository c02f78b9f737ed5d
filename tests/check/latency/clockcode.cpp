/* GhostView
 * Copyright (C) 2024 GhostView contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The clock code layout on its own: bits, checksum, sync word, placement.
 */
#include <gst/check/gstcheck.h>

#include "clockcode.h"

namespace cc = gv::clockcode;

/* Cell means as a clean reader would see them for @bits. */
static cc::CellMeans means_for (const cc::Bits &bits, double black, double white)
{
  cc::CellMeans means{};
  for (unsigned i = 0; i < cc::kCells; i++)
    means[i] = bits[i] ? white : black;
  return means;
}

GST_START_TEST (test_crc_known_vector)
{
  const char *check = "123456789";
  /* The published check value of CRC-16/CCITT-FALSE. */
  fail_unless_equals_int (cc::crc16 (reinterpret_cast<const uint8_t *> (check), 9), 0x29B1);
}
GST_END_TEST;

GST_START_TEST (test_round_trip)
{
  const uint64_t stamps[] = {
    0, 1, G_MAXUINT64, G_GUINT64_CONSTANT (0x8000000000000000), cc::realtime_now_ns (),
  };
  for (uint64_t stamp : stamps) {
    uint64_t out = 42;
    const cc::Bits bits = cc::encode (stamp);
    fail_unless (cc::decode (means_for (bits, 16, 235), &out) == cc::ReadResult::kOk);
    fail_unless_equals_uint64 (out, stamp);
    /* Washed-out levels still read: the threshold follows the sync cells. */
    fail_unless (cc::decode (means_for (bits, 70, 150), &out) == cc::ReadResult::kOk);
    fail_unless_equals_uint64 (out, stamp);
  }
}
GST_END_TEST;

GST_START_TEST (test_layout_sync_word_first)
{
  const cc::Bits bits = cc::encode (0);
  for (unsigned i = 0; i < cc::kSyncBits; i++)
    fail_unless_equals_int (bits[i], (cc::kSyncWord >> (15 - i)) & 1);
  /* A zero stamp: 64 black cells after the sync word. */
  for (unsigned i = cc::kSyncBits; i < cc::kSyncBits + cc::kStampBits; i++)
    fail_if (bits[i]);
  const uint8_t zeros[8] = {};
  const uint16_t crc = cc::crc16 (zeros, 8);
  for (unsigned i = 0; i < cc::kCrcBits; i++)
    fail_unless_equals_int (bits[cc::kSyncBits + cc::kStampBits + i], (crc >> (15 - i)) & 1);
}
GST_END_TEST;

GST_START_TEST (test_any_single_flip_is_caught)
{
  const uint64_t stamp = cc::realtime_now_ns ();
  for (unsigned i = 0; i < cc::kCells; i++) {
    cc::Bits bits = cc::encode (stamp);
    bits[i] = !bits[i];
    uint64_t out = 7;
    const cc::ReadResult expected =
        i < cc::kSyncBits ? cc::ReadResult::kNoCode : cc::ReadResult::kBadChecksum;
    fail_unless (cc::decode (means_for (bits, 16, 235), &out) == expected, "cell %u", i);
    fail_unless_equals_uint64 (out, 7);
  }
}
GST_END_TEST;

GST_START_TEST (test_no_code_in_plain_or_noisy_areas)
{
  uint64_t out = 0;
  cc::CellMeans flat{};
  flat.fill (128);
  fail_unless (cc::decode (flat, &out) == cc::ReadResult::kNoCode);

  /* A faint code (contrast below the minimum) is not trusted. */
  fail_unless (cc::decode (means_for (cc::encode (5), 110, 150), &out) == cc::ReadResult::kNoCode);

  GRand *rand = g_rand_new_with_seed (7);
  for (int trial = 0; trial < 20000; trial++) {
    cc::CellMeans noise{};
    for (double &m : noise)
      m = g_rand_double_range (rand, 0, 255);
    fail_if (cc::decode (noise, &out) == cc::ReadResult::kOk, "trial %d", trial);
  }
  g_rand_free (rand);
}
GST_END_TEST;

GST_START_TEST (test_place_corners)
{
  int x = -1, y = -1;
  fail_unless (cc::place (640, 360, GV_CLOCK_CODE_CORNER_TOP_LEFT, 16, &x, &y));
  fail_unless_equals_int (x, 0);
  fail_unless_equals_int (y, 0);
  fail_unless (cc::place (640, 360, GV_CLOCK_CODE_CORNER_TOP_RIGHT, 16, &x, &y));
  fail_unless_equals_int (x, 640 - 192);
  fail_unless_equals_int (y, 0);
  fail_unless (cc::place (640, 360, GV_CLOCK_CODE_CORNER_BOTTOM_LEFT, 16, &x, &y));
  fail_unless_equals_int (x, 0);
  fail_unless_equals_int (y, 360 - 128);
  fail_unless (cc::place (640, 360, GV_CLOCK_CODE_CORNER_BOTTOM_RIGHT, 8, &x, &y));
  fail_unless_equals_int (x, 640 - 96);
  fail_unless_equals_int (y, 360 - 64);
  fail_unless (cc::place (192, 128, GV_CLOCK_CODE_CORNER_BOTTOM_RIGHT, 16, &x, &y));
  fail_if (cc::place (191, 128, GV_CLOCK_CODE_CORNER_TOP_LEFT, 16, &x, &y));
  fail_if (cc::place (192, 127, GV_CLOCK_CODE_CORNER_TOP_LEFT, 16, &x, &y));
}
GST_END_TEST;

static Suite *clockcode_suite (void)
{
  Suite *s = suite_create ("clockcode");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_crc_known_vector);
  tcase_add_test (tc, test_round_trip);
  tcase_add_test (tc, test_layout_sync_word_first);
  tcase_add_test (tc, test_any_single_flip_is_caught);
  tcase_add_test (tc, test_no_code_in_plain_or_noisy_areas);
  tcase_add_test (tc, test_place_corners);
  return s;
}

GST_CHECK_MAIN (clockcode);
