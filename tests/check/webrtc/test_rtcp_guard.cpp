/* The RTCP guard (plugins/webrtc/gvrtcpguard.h) on hand-built packets:
 * compounds as Chromium and GStreamer send them pass (the well-formed
 * ones written with GStreamer's own RTCP writer), and each shape of the
 * GStreamer 1.22 rtpsession problems is refused, the reproducers the
 * fuzzer found (tests/fuzz/known/) included; and the filter
 * (gvrtcpfilter.h) on a real rtpbin's RTCP input. */
#include "gvrtcpfilter.h"
#include "gvrtcpguard.h"

#include <gst/check/gstcheck.h>
#include <gst/rtp/rtp.h>

#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

using gv::webrtc::check_rtcp_compound;
using gv::webrtc::kMaxTwccNamedPackets;
using gv::webrtc::RtcpGuardState;
using gv::webrtc::RtcpVerdict;

namespace {

using Bytes = std::vector<guint8>;

constexpr guint32 kViewerSsrc = 0x5566aabb;
constexpr guint32 kMediaSsrc = 0x11223344;

void put16 (Bytes &b, guint v)
{
  b.push_back ((guint8) (v >> 8));
  b.push_back ((guint8) v);
}

void put32 (Bytes &b, guint32 v)
{
  put16 (b, v >> 16);
  put16 (b, v & 0xffff);
}

/* One RTCP packet by hand: header (count/FMT, type, length from the body
 * padded to 32 bits) and body. `length_words`, when not -1, overrides the
 * length field. */
Bytes packet (guint count, guint8 type, Bytes body, int length_words = -1)
{
  while (body.size () % 4)
    body.push_back (0);
  Bytes b{ (guint8) (0x80 | count), type };
  put16 (b, length_words >= 0 ? (guint) length_words : (guint) body.size () / 4);
  b.insert (b.end (), body.begin (), body.end ());
  return b;
}

Bytes compound (std::initializer_list<Bytes> packets)
{
  Bytes out;
  for (const Bytes &p : packets)
    out.insert (out.end (), p.begin (), p.end ());
  return out;
}

/* A TWCC report's FCI: base, count, reference time, feedback count, then
 * `chunks` (16-bit) and `deltas` (bytes). */
Bytes twcc_fci (guint16 base, guint16 count, guint8 fb_count, std::initializer_list<guint> chunks,
                guint small_deltas, guint large_deltas = 0)
{
  Bytes b;
  put16 (b, base);
  put16 (b, count);
  b.insert (b.end (), { 0x00, 0x12, 0x34, fb_count });
  for (guint c : chunks)
    put16 (b, c);
  for (guint i = 0; i < small_deltas; i++)
    b.push_back (4); /* 1 ms */
  for (guint i = 0; i < large_deltas; i++)
    put16 (b, 0xfff0);
  return b;
}

Bytes twcc (const Bytes &fci, int length_words = -1)
{
  Bytes body;
  put32 (body, kViewerSsrc);
  put32 (body, kMediaSsrc);
  body.insert (body.end (), fci.begin (), fci.end ());
  return packet (GST_RTCP_RTPFB_TYPE_TWCC, GST_RTCP_TYPE_RTPFB, body, length_words);
}

/* A run-length chunk of `n` packets with status `symbol`. */
guint run (guint symbol, guint n)
{
  return (symbol << 13) | n;
}

/* What GStreamer's own writer makes: a buffer to bytes. */
Bytes bytes_of (GstBuffer *buffer)
{
  GstMapInfo map;
  gst_buffer_map (buffer, &map, GST_MAP_READ);
  Bytes b (map.data, map.data + map.size);
  gst_buffer_unmap (buffer, &map);
  gst_buffer_unref (buffer);
  return b;
}

/* A receiver report about the host's video and the viewer's CNAME, as
 * GStreamer writes them; then `extra` (one feedback packet) if any. */
Bytes rr_sdes (GstRTCPType fb_type = GST_RTCP_TYPE_INVALID, guint fmt = 0, const Bytes &fci = {},
               bool with_sdes = true)
{
  GstBuffer *buffer = gst_rtcp_buffer_new (1500);
  GstRTCPBuffer rtcp = GST_RTCP_BUFFER_INIT;
  gst_rtcp_buffer_map (buffer, GST_MAP_READWRITE, &rtcp);
  GstRTCPPacket p;
  fail_unless (gst_rtcp_buffer_add_packet (&rtcp, GST_RTCP_TYPE_RR, &p));
  gst_rtcp_packet_rr_set_ssrc (&p, kViewerSsrc);
  fail_unless (gst_rtcp_packet_add_rb (&p, kMediaSsrc, 3, 12, 4711, 20, 0x12345678, 0x4000));
  if (with_sdes) {
    fail_unless (gst_rtcp_buffer_add_packet (&rtcp, GST_RTCP_TYPE_SDES, &p));
    fail_unless (gst_rtcp_packet_sdes_add_item (&p, kViewerSsrc));
    const char *cname = "Zm9vYmFyYmF6cXV1eA==";
    fail_unless (gst_rtcp_packet_sdes_add_entry (&p, GST_RTCP_SDES_CNAME, strlen (cname),
                                                 (const guint8 *) cname));
  }
  if (fb_type != GST_RTCP_TYPE_INVALID) {
    fail_unless (gst_rtcp_buffer_add_packet (&rtcp, fb_type, &p));
    gst_rtcp_packet_fb_set_type (&p, (GstRTCPFBType) fmt);
    gst_rtcp_packet_fb_set_sender_ssrc (&p, kViewerSsrc);
    gst_rtcp_packet_fb_set_media_ssrc (&p,
                                       fb_type == GST_RTCP_TYPE_PSFB && fmt == 15 ? 0 : kMediaSsrc);
    if (!fci.empty ()) {
      fail_unless (gst_rtcp_packet_fb_set_fci_length (&p, (guint16) ((fci.size () + 3) / 4)));
      guint8 *at = gst_rtcp_packet_fb_get_fci (&p);
      memset (at, 0, ((fci.size () + 3) / 4) * 4);
      memcpy (at, fci.data (), fci.size ());
    }
  }
  gst_rtcp_buffer_unmap (&rtcp);
  return bytes_of (buffer);
}

RtcpVerdict check (const Bytes &b, RtcpGuardState &state)
{
  return check_rtcp_compound (b.data (), b.size (), state);
}

RtcpVerdict check (const Bytes &b)
{
  RtcpGuardState state;
  return check (b, state);
}

#define assert_verdict(b, expected)                                                                \
  fail_unless_equals_string (gv::webrtc::rtcp_verdict_name (check (b)),                            \
                             gv::webrtc::rtcp_verdict_name (expected))

} // namespace

/* ---- what real peers send passes ---- */

GST_START_TEST (test_chromium_receiver_compounds)
{
  /* RR + SDES alone; + TWCC (a run of 20 received packets, then a status
   * vector of 7 two-bit symbols: received, lost, large delta...). */
  assert_verdict (rr_sdes (), RtcpVerdict::kAccepted);
  assert_verdict (
      rr_sdes (GST_RTCP_TYPE_RTPFB, GST_RTCP_RTPFB_TYPE_TWCC,
               twcc_fci (100, 27, 0, { run (1, 20), 0xc000 | 0x1000 | 0x0200 | 0x0004 }, 22, 1)),
      RtcpVerdict::kAccepted);
  /* RR + REMB (PSFB FMT 15: "REMB", one SSRC, 2.5 Mbit/s). */
  Bytes remb{ 'R', 'E', 'M', 'B', 1 };
  remb.insert (remb.end (), { (guint8) (4 << 2), 0x62, 0x5a });
  put32 (remb, kMediaSsrc);
  assert_verdict (rr_sdes (GST_RTCP_TYPE_PSFB, GST_RTCP_PSFB_TYPE_AFB, remb),
                  RtcpVerdict::kAccepted);
  /* NACK (packet 4711 and the two after it), PLI: alone (rtcp-rsize, as
   * Chromium sends them) and after an RR. */
  Bytes nack;
  put16 (nack, 4711);
  put16 (nack, 0x0003);
  assert_verdict (rr_sdes (GST_RTCP_TYPE_RTPFB, GST_RTCP_RTPFB_TYPE_NACK, nack, false),
                  RtcpVerdict::kAccepted);
  Bytes nack_body;
  put32 (nack_body, kViewerSsrc);
  put32 (nack_body, kMediaSsrc);
  nack_body.insert (nack_body.end (), nack.begin (), nack.end ());
  assert_verdict (packet (GST_RTCP_RTPFB_TYPE_NACK, GST_RTCP_TYPE_RTPFB, nack_body),
                  RtcpVerdict::kAccepted);
  assert_verdict (rr_sdes (GST_RTCP_TYPE_PSFB, GST_RTCP_PSFB_TYPE_PLI), RtcpVerdict::kAccepted);
  /* A TWCC report alone, two-byte deltas (status vector of 2-bit symbols). */
  assert_verdict (twcc (twcc_fci (7, 7, 0, { 0xc000 | 0x2aaa }, 0, 7)), RtcpVerdict::kAccepted);
}
GST_END_TEST;

/* What the host's rtpsession sends gvwebrtcsrc: an SR and an SDES chunk
 * of its sender (CNAME and TOOL). */
GST_START_TEST (test_gstreamer_sender_report)
{
  GstBuffer *buffer = gst_rtcp_buffer_new (1500);
  GstRTCPBuffer rtcp = GST_RTCP_BUFFER_INIT;
  gst_rtcp_buffer_map (buffer, GST_MAP_READWRITE, &rtcp);
  GstRTCPPacket p;
  fail_unless (gst_rtcp_buffer_add_packet (&rtcp, GST_RTCP_TYPE_SR, &p));
  gst_rtcp_packet_sr_set_sender_info (&p, kMediaSsrc, G_GUINT64_CONSTANT (0xe1e2e3e4e5e6e7e8),
                                      90000, 300, 400000);
  fail_unless (gst_rtcp_buffer_add_packet (&rtcp, GST_RTCP_TYPE_SDES, &p));
  fail_unless (gst_rtcp_packet_sdes_add_item (&p, kMediaSsrc));
  fail_unless (
      gst_rtcp_packet_sdes_add_entry (&p, GST_RTCP_SDES_CNAME, 4, (const guint8 *) "host"));
  fail_unless (
      gst_rtcp_packet_sdes_add_entry (&p, GST_RTCP_SDES_TOOL, 9, (const guint8 *) "GStreamer"));
  gst_rtcp_buffer_unmap (&rtcp);
  assert_verdict (bytes_of (buffer), RtcpVerdict::kAccepted);
}
GST_END_TEST;

/* A call's worth of consecutive TWCC reports, each starting where the last
 * ended, at the sink's highest bitrate (~520 packets per 50 ms report);
 * then one after a lost report (its feedback count jumps): rtpsession
 * counts nothing lost then, so it passes whatever its base. */
GST_START_TEST (test_consecutive_twcc_reports)
{
  RtcpGuardState state;
  guint16 base = 65000; /* wraps */
  guint8 fb = 250;
  for (int i = 0; i < 200; i++) {
    const Bytes report = twcc (twcc_fci (base, 520, fb, { run (1, 520) }, 520));
    fail_unless_equals_string (gv::webrtc::rtcp_verdict_name (check (report, state)), "accepted");
    base = (guint16) (base + 520);
    fb++;
  }
  const Bytes after_loss =
      twcc (twcc_fci ((guint16) (base + 30000), 20, fb + 1, { run (1, 20) }, 20));
  fail_unless_equals_string (gv::webrtc::rtcp_verdict_name (check (after_loss, state)), "accepted");
}
GST_END_TEST;

/* ---- each problem's shape is refused ---- */

GST_START_TEST (test_sdes_overruns)
{
  Bytes item_too_long{ 0, 0, 0, 1, GST_RTCP_SDES_CNAME, 40, 'a', 'b' }; /* 40 bytes promised */
  const Bytes after_rr = compound ({ rr_sdes (), packet (1, GST_RTCP_TYPE_SDES, item_too_long) });
  assert_verdict (after_rr, RtcpVerdict::kSdesOverrun);
  Bytes no_end{ 0, 0, 0, 1, GST_RTCP_SDES_CNAME, 2, 'a', 'b' }; /* no END item */
  assert_verdict (packet (1, GST_RTCP_TYPE_SDES, no_end), RtcpVerdict::kSdesOverrun);
  Bytes one_chunk{ 0, 0, 0, 1, GST_RTCP_SDES_CNAME, 1, 'a', 0 };
  assert_verdict (packet (1, GST_RTCP_TYPE_SDES, one_chunk), RtcpVerdict::kAccepted);
  /* Two chunks, the second with empty items and its END at a 32-bit
   * boundary (a whole word of END and padding). */
  Bytes two_chunks{ 0,
                    0,
                    0,
                    1,
                    GST_RTCP_SDES_CNAME,
                    5,
                    'h',
                    'o',
                    's',
                    't',
                    '1',
                    0,
                    0,
                    0,
                    0,
                    2,
                    GST_RTCP_SDES_NAME,
                    0,
                    GST_RTCP_SDES_TOOL,
                    0,
                    0,
                    0,
                    0,
                    0 };
  assert_verdict (packet (2, GST_RTCP_TYPE_SDES, two_chunks), RtcpVerdict::kAccepted);
  assert_verdict (packet (3, GST_RTCP_TYPE_SDES, two_chunks), RtcpVerdict::kSdesOverrun);
  assert_verdict (packet (15, GST_RTCP_TYPE_SDES, one_chunk), RtcpVerdict::kSdesOverrun);
}
GST_END_TEST;

GST_START_TEST (test_twcc_short_and_overrun)
{
  /* Shorter than the fixed part and a chunk; a header with no chunk; a
   * report naming nothing. */
  assert_verdict (twcc ({ 0x00, 0x64, 0x00, 0x00 }), RtcpVerdict::kTwccShort);
  assert_verdict (twcc (twcc_fci (100, 1, 0, {}, 0)), RtcpVerdict::kTwccShort);
  assert_verdict (twcc (twcc_fci (100, 0, 0, { run (0, 0) }, 0)), RtcpVerdict::kTwccShort);
  /* 22 small deltas fill the FCI exactly (8 + 2 + 22 = 32 bytes) and pass;
   * 23 promised in the same 32 bytes need one more: refused. */
  assert_verdict (twcc (twcc_fci (100, 22, 0, { run (1, 22) }, 22)), RtcpVerdict::kAccepted);
  assert_verdict (twcc (twcc_fci (100, 23, 0, { run (1, 23) }, 22)), RtcpVerdict::kTwccOverrun);
  /* Two-byte deltas: 11 fill 8 + 2 + 22 bytes; 12 need 2 more. */
  assert_verdict (twcc (twcc_fci (100, 11, 0, { run (2, 11) }, 0, 11)), RtcpVerdict::kAccepted);
  assert_verdict (twcc (twcc_fci (100, 12, 0, { run (2, 12) }, 0, 11)), RtcpVerdict::kTwccOverrun);
  /* More packets than the chunks carried cover. */
  assert_verdict (twcc (twcc_fci (100, 30, 0, { run (0, 14) }, 0)), RtcpVerdict::kTwccOverrun);
  /* The reserved status symbol. */
  assert_verdict (twcc (twcc_fci (100, 4, 0, { run (3, 4) }, 0)), RtcpVerdict::kTwccOverrun);
  /* A length field running past the buffer, or a feedback packet shorter
   * than its SSRCs: not a valid compound. */
  Bytes past = twcc (twcc_fci (100, 22, 0, { run (1, 22) }, 22));
  past.resize (past.size () - 4);
  assert_verdict (past, RtcpVerdict::kMalformed);
  assert_verdict (packet (GST_RTCP_RTPFB_TYPE_NACK, GST_RTCP_TYPE_RTPFB, { 0, 0, 0, 1 }),
                  RtcpVerdict::kMalformed);
  assert_verdict (Bytes{}, RtcpVerdict::kMalformed);
  assert_verdict ((Bytes{ 0x80, 0xc9, 0x00 }), RtcpVerdict::kMalformed);
}
GST_END_TEST;

GST_START_TEST (test_twcc_too_many)
{
  /* One report naming 65,535 packets, all lost (nine runs): 40 bytes. */
  assert_verdict (
      twcc (twcc_fci (0, 65535, 0,
                      { run (0, 8191), run (0, 8191), run (0, 8191), run (0, 8191), run (0, 8191),
                        run (0, 8191), run (0, 8191), run (0, 8191), run (0, 8191) },
                      0)),
      RtcpVerdict::kTwccTooMany);
  assert_verdict (
      twcc (twcc_fci (0, kMaxTwccNamedPackets, 0, { run (0, kMaxTwccNamedPackets) }, 0)),
      RtcpVerdict::kAccepted);
  assert_verdict (
      twcc (twcc_fci (0, kMaxTwccNamedPackets + 1, 0, { run (0, kMaxTwccNamedPackets + 1) }, 0)),
      RtcpVerdict::kTwccTooMany);

  /* A jump: the next report (feedback count following on) starts 60,000
   * packets on, which rtpsession lists as lost. Refused, and the state
   * stays: the peer's next report, counted on, passes. In one compound
   * too. */
  RtcpGuardState state;
  const Bytes first = twcc (twcc_fci (27, 10, 0, { run (1, 10) }, 10));
  const Bytes jump = twcc (twcc_fci (60037, 1, 1, { run (1, 1) }, 1));
  fail_unless (check (first, state) == RtcpVerdict::kAccepted);
  fail_unless (check (jump, state) == RtcpVerdict::kTwccTooMany);
  fail_unless (check (jump, state) == RtcpVerdict::kTwccTooMany);
  fail_unless (check (twcc (twcc_fci (37, 5, 1, { run (1, 5) }, 5)), state) ==
               RtcpVerdict::kAccepted);
  const Bytes both = compound ({ first, jump });
  assert_verdict (both, RtcpVerdict::kTwccTooMany);
  /* Many small reports in one compound add up. */
  Bytes many;
  for (guint i = 0; i < 5; i++) {
    const Bytes r = twcc (twcc_fci ((guint16) (i * 500), 500, (guint8) i, { run (0, 500) }, 0));
    many.insert (many.end (), r.begin (), r.end ());
  }
  assert_verdict (many, RtcpVerdict::kTwccTooMany);
}
GST_END_TEST;

/* The inputs the fuzzer found (tests/fuzz/known/): every one refused. */
GST_START_TEST (test_known_reproducers)
{
  const char *dir = g_getenv ("GV_RTCP_KNOWN_DIR");
  fail_unless (dir != nullptr, "GV_RTCP_KNOWN_DIR is not set");
  GDir *d = g_dir_open (dir, 0, nullptr);
  fail_unless (d != nullptr, "no %s", dir);
  guint n = 0;
  while (const char *name = g_dir_read_name (d)) {
    if (!g_str_has_prefix (name, "rtcp_feedback-"))
      continue;
    gchar *path = g_build_filename (dir, name, nullptr);
    gchar *data = nullptr;
    gsize size = 0;
    fail_unless (g_file_get_contents (path, &data, &size, nullptr));
    RtcpGuardState state;
    const RtcpVerdict v = check_rtcp_compound ((const guint8 *) data, size, state);
    fail_if (v == RtcpVerdict::kAccepted, "%s passed", name);
    GST_INFO ("%s: %s", name, gv::webrtc::rtcp_verdict_name (v));
    g_free (data);
    g_free (path);
    n++;
  }
  g_dir_close (d);
  fail_unless (n >= 6, "only %u reproducers in %s", n, dir);
}
GST_END_TEST;

/* ---- the filter, on a real rtpbin: what reaches the RTP session ---- */

namespace {

GstBuffer *buffer_of (const Bytes &b)
{
  return gst_buffer_new_memdup (b.data (), b.size ());
}

/* rtpsession takes no lists: a list reaching its pad is split there, and
 * each buffer passes the pad's buffer probes on its own. */
GstPadProbeReturn count_passed (GstPad *, GstPadProbeInfo *info, gpointer data)
{
  static_cast<std::vector<gsize> *> (data)->push_back (
      gst_buffer_get_size (GST_PAD_PROBE_INFO_BUFFER (info)));
  return GST_PAD_PROBE_OK;
}

} // namespace

/* rtpbin named "rtpbin" in a bin, as in webrtcbin: its RTCP input asked for
 * after the filter is attached (as webrtcbin does when it sets up a
 * transport); single buffers and lists, the refused ones dropped from
 * them, the rest reaching the RTP session unchanged, each refusal counted. */
GST_START_TEST (test_filter_on_rtpbin)
{
  GstElement *bin = gst_bin_new ("fake-webrtcbin");
  GstElement *rtpbin = gst_element_factory_make ("rtpbin", "rtpbin");
  fail_unless (rtpbin != nullptr, "no rtpbin (gstreamer1.0-plugins-good)");
  gst_bin_add (GST_BIN (bin), rtpbin);
  std::shared_ptr<gv::webrtc::RtcpFilter> filter = gv::webrtc::RtcpFilter::attach (bin, "test");
  fail_unless (filter != nullptr);
  GstPad *input = gst_element_request_pad_simple (rtpbin, "recv_rtcp_sink_0");
  fail_unless (input != nullptr);
  GstPad *session_pad = gst_ghost_pad_get_target (GST_GHOST_PAD (input));
  fail_unless (session_pad != nullptr);
  std::vector<gsize> passed;
  gst_pad_add_probe (session_pad, GST_PAD_PROBE_TYPE_BUFFER, count_passed, &passed, nullptr);
  fail_unless (gst_element_set_state (bin, GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE);

  GstPad *src = gst_pad_new ("peer", GST_PAD_SRC);
  fail_unless_equals_int (gst_pad_link (src, input), GST_PAD_LINK_OK);
  gst_pad_set_active (src, TRUE);
  gst_pad_push_event (src, gst_event_new_stream_start ("rtcp"));
  gst_pad_push_event (src, gst_event_new_caps (gst_caps_new_empty_simple ("application/x-rtcp")));
  GstSegment segment;
  gst_segment_init (&segment, GST_FORMAT_TIME);
  gst_pad_push_event (src, gst_event_new_segment (&segment));

  const Bytes good = rr_sdes (), good_twcc = twcc (twcc_fci (1, 22, 0, { run (1, 22) }, 22));
  const Bytes bad = twcc ({ 0x00, 0x64, 0x00, 0x00 });
  gst_pad_push (src, buffer_of (good));
  gst_pad_push (src, buffer_of (bad));
  GstBufferList *mixed = gst_buffer_list_new ();
  gst_buffer_list_add (mixed, buffer_of (bad));
  gst_buffer_list_add (mixed, buffer_of (good_twcc));
  gst_buffer_list_add (mixed, buffer_of (bad));
  gst_pad_push_list (src, mixed);
  GstBufferList *all_bad = gst_buffer_list_new ();
  gst_buffer_list_add (all_bad, buffer_of (bad));
  gst_buffer_list_add (all_bad, buffer_of (bad));
  gst_pad_push_list (src, all_bad);

  fail_unless_equals_uint64 (filter->refused (), 5);
  fail_unless_equals_int (passed.size (), 2);
  fail_unless_equals_int (passed[0], good.size ());
  fail_unless_equals_int (passed[1], good_twcc.size ());

  gst_element_set_state (bin, GST_STATE_NULL);
  gst_pad_set_active (src, FALSE);
  gst_object_unref (src);
  gst_object_unref (session_pad);
  gst_element_release_request_pad (rtpbin, input);
  gst_object_unref (input);
  gst_object_unref (bin);
}
GST_END_TEST;

static Suite *rtcp_guard_suite ()
{
  Suite *s = suite_create ("rtcp-guard");
  TCase *tc = tcase_create ("guard");
  tcase_add_test (tc, test_chromium_receiver_compounds);
  tcase_add_test (tc, test_gstreamer_sender_report);
  tcase_add_test (tc, test_consecutive_twcc_reports);
  tcase_add_test (tc, test_sdes_overruns);
  tcase_add_test (tc, test_twcc_short_and_overrun);
  tcase_add_test (tc, test_twcc_too_many);
  tcase_add_test (tc, test_known_reproducers);
  tcase_add_test (tc, test_filter_on_rtpbin);
  suite_add_tcase (s, tc);
  return s;
}

GST_CHECK_MAIN (rtcp_guard);
