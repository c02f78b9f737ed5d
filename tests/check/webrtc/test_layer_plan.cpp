/* The video quality ladder's rules (gvlayerplan.h), as numbers: viewers on
 * good links share the full-size layer at the narrowest of their links; a
 * viewer far below the best goes down a layer at once instead of holding
 * everyone down; it comes back up only after its link has been good enough
 * for a while, straight to the highest layer it has fitted that long; no layer is encoded above its
 * top or the host's bitrate; one layer means one encoder at the narrowest link. */
#include "gvlayerplan.h"

#include <gst/check/gstcheck.h>

using namespace gv::webrtc;

static const guint64 kB = 2000000; /* the configured bitrate */

static LayerPlan plan (int layers = 3)
{
  LayerPlan p;
  p.max_bps = kB;
  p.layers = layers;
  return p;
}

GST_START_TEST (test_good_links_share_layer_zero)
{
  LayerPlan p = plan ();
  std::vector<LayerViewer> v = { { 2000000, 0, {} }, { 1700000, 0, {} }, { 0, 0, {} } };
  std::vector<int> a = assign_layers (p, v, 0);
  ck_assert_int_eq (a[0], 0);
  ck_assert_int_eq (a[1], 0);
  ck_assert_int_eq (a[2], 0); /* no estimate yet: stays */
  ck_assert_uint_eq (layer_bitrate (p, 0, v, a), 1700000);
  ck_assert_uint_eq (layer_bitrate (p, 1, v, a), 0); /* nobody watches it */
}
GST_END_TEST;

GST_START_TEST (test_narrow_viewer_goes_down_at_once)
{
  LayerPlan p = plan ();
  /* 1.1 Mbit/s is a fine full-size rate alone, but under 60 % of the best
   * viewer's 2 Mbit/s: it would hold that viewer down. */
  std::vector<LayerViewer> v = { { 2000000, 0, {} }, { 1100000, 0, {} } };
  std::vector<int> a = assign_layers (p, v, 0);
  ck_assert_int_eq (a[0], 0);
  ck_assert_int_eq (a[1], 1);
  ck_assert_uint_eq (layer_bitrate (p, 0, v, a), kB);
  ck_assert_uint_eq (layer_bitrate (p, 1, v, a), p.top_bps (1)); /* capped at its top */
  /* Alone, the same link keeps the full size; below half the bitrate,
   * half the size at the same rate plays smoother. */
  std::vector<LayerViewer> alone = { { 1100000, 0, {} } };
  ck_assert_int_eq (assign_layers (p, alone, 0)[0], 0);
  alone[0].estimate_bps = 900000;
  ck_assert_int_eq (assign_layers (p, alone, 0)[0], 1);
  /* A very narrow link: the quarter-size layer. */
  std::vector<LayerViewer> tiny = { { 2000000, 0, {} }, { 100000, 0, {} } };
  ck_assert_int_eq (assign_layers (p, tiny, 0)[1], 2);
  /* A 0.5 Mbit/s link: the quarter size at its top, with room to spare,
   * not the half size at the whole estimate. */
  std::vector<LayerViewer> half_megabit = { { 450000, 0, {} } };
  std::vector<int> h = assign_layers (p, half_megabit, 0);
  ck_assert_int_eq (h[0], 2);
  ck_assert_uint_eq (layer_bitrate (p, 2, half_megabit, h), p.top_bps (2));
}
GST_END_TEST;

GST_START_TEST (test_up_after_a_while)
{
  LayerPlan p = plan ();
  /* Back from a dip to a link that takes the full size: one move. */
  std::vector<LayerViewer> v = { { 2000000, 0, {} }, { 1900000, 2, {} } };
  gint64 t = 1000000;
  ck_assert_int_eq (assign_layers (p, v, t)[1], 2); /* not yet */
  ck_assert_int_eq (assign_layers (p, v, t + p.up_after_us / 2)[1], 2);
  ck_assert_int_eq (assign_layers (p, v, t + p.up_after_us)[1], 0);
  /* An estimate that climbs: half size once it has fitted that for a
   * while, full size once it has fitted that for a while too. */
  std::vector<LayerViewer> climb = { { 600000, 2, {} } }; /* fits the half size (B / 4 + 15 %) */
  ck_assert_int_eq (assign_layers (p, climb, t)[0], 2);
  climb[0].estimate_bps = 1200000; /* fits the full size (1 Mbit/s + 15 %) */
  const gint64 t2 = t + p.up_after_us / 2;
  ck_assert_int_eq (assign_layers (p, climb, t2)[0], 2);
  std::vector<int> a = assign_layers (p, climb, t + p.up_after_us);
  ck_assert_int_eq (a[0], 1); /* the half size has fitted long enough */
  climb[0].layer = 1;
  ck_assert_int_eq (assign_layers (p, climb, t + p.up_after_us + 1)[0], 1);
  /* The full size's clock ran on through the move: up once it has fitted
   * that long, not a whole while after the move. */
  ck_assert_int_eq (assign_layers (p, climb, t2 + p.up_after_us - 1)[0], 1);
  ck_assert_int_eq (assign_layers (p, climb, t2 + p.up_after_us)[0], 0);
  /* A dip in between starts the clocks again. */
  std::vector<LayerViewer> dip = { { 1900000, 2, {} } };
  ck_assert_int_eq (assign_layers (p, dip, t)[0], 2);
  dip[0].estimate_bps = 200000;
  ck_assert_int_eq (assign_layers (p, dip, t + p.up_after_us / 2)[0], 2);
  dip[0].estimate_bps = 1900000;
  ck_assert_int_eq (assign_layers (p, dip, t + p.up_after_us)[0], 2);
  ck_assert_int_eq (assign_layers (p, dip, t + 2 * p.up_after_us - 1)[0], 2);
  ck_assert_int_eq (assign_layers (p, dip, t + 2 * p.up_after_us)[0], 0);
  /* Just above a layer's bottom is not enough to go up: no flapping. */
  std::vector<LayerViewer> edge = { { p.bottom_bps (0) + 1000, 1, {} } };
  for (gint64 s = 0; s < 20; s++)
    ck_assert_int_eq (assign_layers (p, edge, s * G_USEC_PER_SEC)[0], 1);
}
GST_END_TEST;

GST_START_TEST (test_one_layer_follows_the_narrowest)
{
  LayerPlan p = plan (1);
  std::vector<LayerViewer> v = { { 2000000, 0, {} }, { 300000, 0, {} } };
  std::vector<int> a = assign_layers (p, v, 0);
  ck_assert_int_eq (a[0], 0);
  ck_assert_int_eq (a[1], 0);
  ck_assert_uint_eq (layer_bitrate (p, 0, v, a), 300000);
  /* Never above the configured bitrate, whatever an estimate says. */
  std::vector<LayerViewer> huge = { { 50000000, 0, {} } };
  ck_assert_uint_eq (layer_bitrate (p, 0, huge, assign_layers (p, huge, 0)), kB);
}
GST_END_TEST;

static Suite *layer_plan_suite (void)
{
  Suite *s = suite_create ("webrtc-layer-plan");
  TCase *tc = tcase_create ("general");
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_good_links_share_layer_zero);
  tcase_add_test (tc, test_narrow_viewer_goes_down_at_once);
  tcase_add_test (tc, test_up_after_a_while);
  tcase_add_test (tc, test_one_layer_follows_the_narrowest);
  return s;
}

GST_CHECK_MAIN (layer_plan);
