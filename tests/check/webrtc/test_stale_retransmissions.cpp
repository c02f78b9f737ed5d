/* Retransmissions a keyframe made useless (gvstaleretransmissions.h): the
 * rule on sequence numbers, then a real VP8 encoder, payloader and
 * retransmission sender (rtprtxsend) in a harness: a request for a packet
 * sent before the last keyframe gets nothing resent, one for the keyframe
 * itself does, and a bandwidth probe's request always does. */
#include "gvstaleretransmissions.h"

#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/rtp/rtp.h>

#include <vector>

GST_DEBUG_CATEGORY (gv_webrtc_sink_debug);

using gv::webrtc::kProbeRequestField;
using gv::webrtc::StaleRetransmissions;

static constexpr guint kSsrc = 0x1234;
static constexpr guint kVideoPt = 96, kRtxPt = 97;

GST_START_TEST (test_rule)
{
  StaleRetransmissions stale (nullptr);
  /* No keyframe yet: nothing is stale. */
  fail_if (stale.stale (kSsrc, 10));
  stale.keyframe_sent (kSsrc, 100);
  fail_unless (stale.stale (kSsrc, 99));
  fail_unless (stale.stale (kSsrc, 1));
  fail_if (stale.stale (kSsrc, 100)); /* the keyframe's own packets */
  fail_if (stale.stale (kSsrc, 140));
  fail_if (stale.stale (kSsrc + 1, 99)); /* another stream */
  /* Across the wrap of the 16-bit sequence number. */
  stale.keyframe_sent (kSsrc, 3);
  fail_unless (stale.stale (kSsrc, 65530));
  fail_if (stale.stale (kSsrc, 5));
}
GST_END_TEST;

/* Whether an RTP VP8 packet starts a keyframe: the payload descriptor's
 * start bit, partition 0, and the frame header's inverse key bit clear. */
static bool starts_keyframe (GstBuffer *buffer, guint16 *seq, bool *marker)
{
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  fail_unless (gst_rtp_buffer_map (buffer, GST_MAP_READ, &rtp));
  *seq = gst_rtp_buffer_get_seq (&rtp);
  *marker = gst_rtp_buffer_get_marker (&rtp);
  const guint8 *p = (const guint8 *) gst_rtp_buffer_get_payload (&rtp);
  const guint size = gst_rtp_buffer_get_payload_len (&rtp);
  bool key = false;
  if (size >= 1 && (p[0] & 0x10) && (p[0] & 0x07) == 0) {
    guint at = 1;
    if (p[0] & 0x80) { /* extensions */
      const guint8 x = size > at ? p[at] : 0;
      at++;
      if (x & 0x80) /* picture id, 7 or 15 bits */
        at += (size > at && (p[at] & 0x80)) ? 2 : 1;
      if (x & 0x40)
        at++;
      if (x & 0x30)
        at++;
    }
    key = size > at && (p[at] & 0x01) == 0;
  }
  gst_rtp_buffer_unmap (&rtp);
  return key;
}

/* The original sequence number an RTX packet carries. */
static guint16 resent_seq (GstBuffer *buffer)
{
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  fail_unless (gst_rtp_buffer_map (buffer, GST_MAP_READ, &rtp));
  fail_unless_equals_int (gst_rtp_buffer_get_payload_type (&rtp), kRtxPt);
  const guint8 *p = (const guint8 *) gst_rtp_buffer_get_payload (&rtp);
  const guint16 seq = (guint16) ((p[0] << 8) | p[1]);
  gst_rtp_buffer_unmap (&rtp);
  return seq;
}

/* The next packet out is the retransmission of `seq`. */
static void expect_resent (GstHarness *h, guint16 seq)
{
  GstBuffer *buffer = gst_harness_pull (h);
  fail_unless (buffer != nullptr);
  fail_unless_equals_int (resent_seq (buffer), seq);
  gst_buffer_unref (buffer);
}

static void ask (GstHarness *h, guint seq, bool probe)
{
  GstStructure *s = gst_structure_new ("GstRTPRetransmissionRequest", "seqnum", G_TYPE_UINT, seq,
                                       "ssrc", G_TYPE_UINT, kSsrc, nullptr);
  if (probe)
    gst_structure_set (s, kProbeRequestField, G_TYPE_BOOLEAN, TRUE, nullptr);
  gst_harness_push_upstream_event (h, gst_event_new_custom (GST_EVENT_CUSTOM_UPSTREAM, s));
}

GST_START_TEST (test_requests)
{
  GstHarness *h = gst_harness_new_parse (
      "vp8enc keyframe-max-dist=10 lag-in-frames=0 deadline=1 target-bitrate=400000"
      " ! rtpvp8pay name=pay pt=96 ssrc=4660 mtu=300"
      " ! rtprtxsend name=rtx max-size-packets=1000"
      " payload-type-map=\"application/x-rtp-pt-map,96=(uint)97\"");
  gst_harness_add_src_parse (
      h,
      "videotestsrc is-live=true pattern=ball"
      " ! capsfilter caps=\"video/x-raw,format=I420,width=320,height=240,framerate=30/1\"",
      TRUE);
  GstElement *pay = gst_bin_get_by_name (GST_BIN (h->element), "pay");
  GstElement *rtx = gst_bin_get_by_name (GST_BIN (h->element), "rtx");
  StaleRetransmissions stale (nullptr);
  stale.watch_payloader (pay);
  fail_unless (stale.attach (rtx));

  for (int i = 0; i < 25; i++)
    fail_unless_equals_int (gst_harness_push_from_src (h), GST_FLOW_OK);
  /* What went out: the first packet of the last keyframe, and a packet
   * before it. */
  std::vector<guint16> sent;
  int keyframes = 0;
  guint16 last_key = 0;
  bool frame_start = true;
  GstBuffer *buffer;
  while ((buffer = gst_harness_try_pull (h))) {
    guint16 seq;
    bool marker;
    const bool key = starts_keyframe (buffer, &seq, &marker);
    if (frame_start && key) {
      keyframes++;
      last_key = seq;
    }
    frame_start = marker;
    sent.push_back (seq);
    gst_buffer_unref (buffer);
  }
  fail_unless (keyframes >= 2, "%d keyframes in 25 frames", keyframes);
  fail_unless (last_key != sent.front ());

  /* Before the last keyframe: nothing resent. The keyframe's first
   * packet: resent. The RTX packets come from rtprtxsend's own thread, in
   * order, so the first one out says which request was answered first. */
  ask (h, (guint16) (last_key - 1), false);
  ask (h, last_key, false);
  expect_resent (h, last_key);
  fail_unless_equals_int (stale.skipped (), 1);

  /* A probe's request for the same old packet is padding: resent. */
  ask (h, (guint16) (last_key - 1), true);
  expect_resent (h, (guint16) (last_key - 1));
  fail_unless_equals_int (stale.skipped (), 1);

  stale.detach ();
  /* Detached: old packets are resent again. */
  ask (h, (guint16) (last_key - 2), false);
  expect_resent (h, (guint16) (last_key - 2));

  gst_object_unref (pay);
  gst_object_unref (rtx);
  gst_harness_teardown (h);
}
GST_END_TEST;

static Suite *stale_retransmissions_suite ()
{
  Suite *s = suite_create ("stale-retransmissions");
  TCase *tc = tcase_create ("general");
  tcase_add_test (tc, test_rule);
  tcase_add_test (tc, test_requests);
  suite_add_tcase (s, tc);
  return s;
}

GST_CHECK_MAIN (stale_retransmissions);
