/* A viewer sending the host RTCP that GStreamer 1.22's rtpsession
 * mishandles (the fuzzer's reproducers, tests/fuzz/known/), over the real
 * connection (SRTCP on ICE over loopback): the host's guard
 * (gvrtcpguard.h) refuses each one and counts it in that viewer's
 * `rtcp-refused`, the host keeps streaming to a second viewer, and the
 * RTCP that real webrtcbins send (receiver reports, SDES, TWCC, NACK; the
 * host's sender reports) is never refused. */
#include "direct_harness.h"

#include <gst/check/gstcheck.h>
#include <gst/rtp/rtp.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <string>
#include <vector>

using namespace gvtest;

static const int kTimeoutMs = 20000;

namespace {

/* Replaces every other RTCP compound the viewer's RTP session sends with
 * the next reproducer, until each has gone once: the host still gets the
 * viewer's own reports in between. The last is a TWCC report that jumps
 * 60,000 packets ahead of the viewer's own last report, with the feedback
 * count following on, so that rtpsession would list them all as lost (the
 * reproducer file of that shape counts from 0, which in a live session
 * rtpsession takes as an old report and lists nothing for). */
struct Injector {
  std::vector<GBytes *> packets;
  std::atomic<guint> sent{ 0 };
  std::atomic<guint> seen{ 0 };
  /* The viewer's last TWCC report that went out: where the next follows on. */
  bool have_twcc = false;
  guint16 next_base = 0;
  guint8 next_fb_count = 0;

  ~Injector ()
  {
    for (GBytes *b : packets)
      g_bytes_unref (b);
  }

  void load (const char *dir)
  {
    GDir *d = g_dir_open (dir, 0, nullptr);
    fail_unless (d != nullptr, "no %s", dir);
    std::vector<std::string> names;
    while (const char *name = g_dir_read_name (d))
      if (g_str_has_prefix (name, "rtcp_feedback-"))
        names.emplace_back (name);
    g_dir_close (d);
    std::sort (names.begin (), names.end ());
    for (const std::string &name : names) {
      if (name.find ("twcc-jump") != std::string::npos)
        continue; /* made live instead (jump ()) */
      gchar *path = g_build_filename (dir, name.c_str (), nullptr);
      gchar *data = nullptr;
      gsize size = 0;
      fail_unless (g_file_get_contents (path, &data, &size, nullptr), "%s", path);
      packets.push_back (g_bytes_new_take (data, size));
      g_free (path);
    }
    fail_unless (packets.size () >= 5, "only %zu reproducers in %s", packets.size (), dir);
  }

  /* Follows the TWCC reports of a compound the viewer sends. */
  void follow (GstBuffer *buffer)
  {
    GstMapInfo map;
    if (!gst_buffer_map (buffer, &map, GST_MAP_READ))
      return;
    for (gsize at = 0; at + 4 <= map.size;) {
      const guint8 *p = map.data + at;
      const gsize length = ((gsize) GST_READ_UINT16_BE (p + 2) + 1) * 4;
      if (at + length > map.size)
        break;
      if (p[1] == GST_RTCP_TYPE_RTPFB && (p[0] & 0x1f) == GST_RTCP_RTPFB_TYPE_TWCC &&
          length >= 20) {
        next_base = (guint16) (GST_READ_UINT16_BE (p + 12) + GST_READ_UINT16_BE (p + 14));
        next_fb_count = (guint8) (p[19] + 1);
        have_twcc = true;
      }
      at += length;
    }
    gst_buffer_unmap (buffer, &map);
  }

  /* One TWCC report naming 60,001 packets: one received (a run-length
   * chunk, one delta) 60,000 after where the viewer's reports stand. */
  GBytes *jump () const
  {
    static const guint8 kTemplate[] = { 0x8f, 0xcd, 0x00, 0x05, 0x55, 0x66, 0xaa, 0xbb,
                                        0x00, 0x00, 0x00, 0x00, 0,    0,    0x00, 0x01,
                                        0x00, 0x12, 0x34, 0,    0x20, 0x01, 0x04, 0x00 };
    guint8 *packet = (guint8 *) g_memdup2 (kTemplate, sizeof kTemplate);
    GST_WRITE_UINT16_BE (packet + 12, (guint16) (next_base + 60000));
    packet[19] = next_fb_count;
    return g_bytes_new_take (packet, sizeof kTemplate);
  }

  static GstPadProbeReturn probe (GstPad *, GstPadProbeInfo *info, gpointer data)
  {
    auto *self = static_cast<Injector *> (data);
    GstBuffer *original = GST_PAD_PROBE_INFO_BUFFER (info);
    const guint next = self->sent;
    const bool live_jump = next == self->packets.size () && self->have_twcc;
    if (self->seen++ % 2 == 0 || next > self->packets.size () ||
        (next == self->packets.size () && !live_jump)) {
      self->follow (original);
      return GST_PAD_PROBE_OK;
    }
    GBytes *bytes = live_jump ? self->jump () : g_bytes_ref (self->packets[next]);
    GstBuffer *bad = gst_buffer_new_wrapped_bytes (bytes);
    g_bytes_unref (bytes);
    gst_buffer_copy_into (bad, original, GST_BUFFER_COPY_METADATA, 0, -1);
    gst_buffer_unref (original);
    GST_PAD_PROBE_INFO_DATA (info) = bad;
    self->sent = next + 1;
    return GST_PAD_PROBE_OK;
  }

  /* On the RTCP output of the viewer's RTP session (gvwebrtcsrc's webrtcbin,
   * its rtpbin's send_rtcp_src_0, before SRTCP). */
  void attach (GstElement *src)
  {
    GstElement *webrtcbin = gst_bin_get_by_name (GST_BIN (src), "webrtcbin");
    fail_unless (webrtcbin != nullptr);
    GstElement *rtpbin = gst_bin_get_by_name (GST_BIN (webrtcbin), "rtpbin");
    fail_unless (rtpbin != nullptr);
    GstPad *pad = gst_element_get_static_pad (rtpbin, "send_rtcp_src_0");
    fail_unless (pad != nullptr, "no send_rtcp_src_0 in the viewer's rtpbin");
    gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, probe, this, nullptr);
    gst_object_unref (pad);
    gst_object_unref (rtpbin);
    gst_object_unref (webrtcbin);
  }
};

guint64 refused_of (GstElement *sink, const std::string &peer)
{
  GstStructure *s = viewer_stats (sink, peer);
  guint64 n = G_MAXUINT64;
  if (s) {
    gst_structure_get_uint64 (s, "rtcp-refused", &n);
    gst_structure_free (s);
  }
  return n;
}

guint64 src_refused (GstElement *src)
{
  guint64 n = 0;
  g_object_get (src, "rtcp-refused", &n, nullptr);
  return n;
}

} // namespace

GST_START_TEST (test_bad_rtcp_refused_other_viewer_unaffected)
{
  const char *known = g_getenv ("GV_RTCP_KNOWN_DIR");
  fail_unless (known != nullptr, "GV_RTCP_KNOWN_DIR is not set");
  Injector injector;
  injector.load (known);

  DirectRoom room;
  SinkLog log;
  BufferCounter bad_frames, good_frames; /* outlive the pipelines */
  auto host = std::make_unique<DirectHost> (room, video_host ());
  log.attach (host->sink ());
  auto bad = std::make_unique<DirectViewer> (room, tapped_viewer (), "bad");
  auto good = std::make_unique<DirectViewer> (room, tapped_viewer (), "good");
  count_at (*bad, "tap", bad_frames);
  count_at (*good, "tap", good_frames);
  host->play ();
  bad->play ();
  good->play ();
  fail_unless (wait_until ([&] { return bad_frames.buffers >= 10 && good_frames.buffers >= 10; },
                           kTimeoutMs, host.get (), bad.get (), good.get ()),
               "no frames: bad %d, good %d (%s)", bad_frames.buffers.load (),
               good_frames.buffers.load (), host->error.c_str ());
  const std::string bad_peer = log.peer ("bad"), good_peer = log.peer ("good");
  fail_unless (!bad_peer.empty () && !good_peer.empty ());
  /* Real webrtcbins' RTCP, both ways, passes. */
  fail_unless_equals_uint64 (refused_of (host->sink (), bad_peer), 0);

  injector.attach (bad->src ());
  const int good_before = good_frames.buffers;
  const guint total = (guint) injector.packets.size () + 1; /* and the live jump */
  fail_unless (
      wait_until (
          [&] { return injector.sent == total && refused_of (host->sink (), bad_peer) >= total; },
          kTimeoutMs, host.get (), bad.get (), good.get ()),
      "sent %u of %u reproducers, host refused %" G_GUINT64_FORMAT, injector.sent.load (), total,
      refused_of (host->sink (), bad_peer));
  /* Each refused once, nothing else: the viewer's own reports in between
   * passed. The other viewer's count is untouched; the sink's total has
   * them all. */
  fail_unless_equals_uint64 (refused_of (host->sink (), bad_peer), total);
  fail_unless_equals_uint64 (refused_of (host->sink (), good_peer), 0);
  fail_unless_equals_uint64 (sink_stat (host->sink (), "rtcp-refused"), total);

  /* The host keeps streaming: the good viewer gets another second of
   * frames, the bad one too (its connection stands). */
  const int bad_after = bad_frames.buffers;
  fail_unless (wait_until (
                   [&] {
                     return good_frames.buffers >= good_before + 60 &&
                            bad_frames.buffers >= bad_after + 30;
                   },
                   kTimeoutMs, host.get (), bad.get (), good.get ()),
               "stalled: good %d (from %d), bad %d (from %d)", good_frames.buffers.load (),
               good_before, bad_frames.buffers.load (), bad_after);
  fail_unless (host->error.empty (), "%s", host->error.c_str ());
  fail_unless (good->error.empty (), "%s", good->error.c_str ());
  /* The host's sender reports reach both viewers unrefused. */
  fail_unless_equals_uint64 (src_refused (bad->src ()), 0);
  fail_unless_equals_uint64 (src_refused (good->src ()), 0);
  bad.reset ();
  good.reset ();
  host.reset ();
}
GST_END_TEST;

static Suite *direct_rtcp_suite ()
{
  Suite *s = suite_create ("webrtc-direct-rtcp");
  TCase *tc = tcase_create ("rtcp");
  tcase_set_timeout (tc, 60);
  tcase_add_test (tc, test_bad_rtcp_refused_other_viewer_unaffected);
  suite_add_tcase (s, tc);
  return s;
}

GST_CHECK_MAIN (direct_rtcp);
