/* gvwebrtcsink's `stats` as an application reads them, viewers paired in one
 * process: read from a streaming thread of the host's own pipeline they come
 * back at once (no deadlock) and reading changes nothing (two reads agree);
 * the bitrate matches the bytes sent, frames-sent follows the frame rate,
 * the viewer is connected; the round-trip time arrives with the viewers'
 * RTCP reports and is small, nothing is lost on a clean link; and when the
 * host drops every 10th RTP packet of one viewer's video, that viewer's
 * reports make packets-lost count them. */
#include "direct_harness.h"

#include <gst/check/gstcheck.h>

#include <atomic>
#include <cmath>
#include <string>

using namespace gvtest;

static const int kTimeoutMs = 15000;
static const int kFramerate = 30; /* kSmallVideo's */
/* The viewers' RTCP receiver reports come seconds apart (GStreamer 1.22:
 * about 4.5 s, randomised; 14 s was once seen between the first two). */
static const int kReportTimeoutMs = 25000;

struct ViewerStats {
  gint64 at_us = 0; /* just before the read */
  guint64 frames_sent = 0, bytes_sent = 0;
  double bitrate = 0, rtt = 0;
  gint64 packets_lost = 0;
  gboolean connected = FALSE;
  std::string text; /* the whole entry, for failure messages */
};

/* Reads the sink's stats: the entry of viewer `peer` ("": the only one).
 * Safe on any thread (no assertion in it); `ok` is false when the entry or
 * a field is missing. */
static ViewerStats read_stats (GstElement *sink, bool &ok, const std::string &peer = "")
{
  ViewerStats out;
  out.at_us = g_get_monotonic_time ();
  GstStructure *v = viewer_stats (sink, peer);
  ok = v != nullptr;
  if (!v)
    return out;
  gchar *text = gst_structure_to_string (v);
  out.text = text;
  g_free (text);
  ok = gst_structure_has_name (v, "gvwebrtcsink-viewer") &&
       gst_structure_get (v, "frames-sent", G_TYPE_UINT64, &out.frames_sent, "bytes-sent",
                          G_TYPE_UINT64, &out.bytes_sent, "bitrate", G_TYPE_DOUBLE, &out.bitrate,
                          "rtt", G_TYPE_DOUBLE, &out.rtt, "packets-lost", G_TYPE_INT64,
                          &out.packets_lost, "connected", G_TYPE_BOOLEAN, &out.connected, nullptr);
  gst_structure_free (v);
  return out;
}

/* The entry of viewer `peer` among `viewers` viewers. */
static ViewerStats read_viewer_stats (GstElement *sink, const std::string &peer = "",
                                      guint viewers = 1)
{
  GstStructure *all = nullptr;
  g_object_get (sink, "stats", &all, nullptr);
  fail_unless (all != nullptr && gst_structure_has_name (all, "gvwebrtcsink-stats"));
  const GValue *array = gst_structure_get_value (all, "viewers");
  fail_unless (array && GST_VALUE_HOLDS_ARRAY (array) &&
               gst_value_array_get_size (array) == viewers);
  gst_structure_free (all);
  bool ok = false;
  ViewerStats s = read_stats (sink, ok, peer);
  fail_unless (ok, "no viewer %s, or fields missing or of the wrong type: %s", peer.c_str (),
               s.text.c_str ());
  return s;
}

/* Three reads in a row. The sink samples once a second, so a sample can
 * fall between the first two or the last two reads, never both: a read
 * that changed nothing leaves at least one pair equal. */
static bool reads_agree (GstElement *sink, const std::string &peer, double &bitrate)
{
  bool ok1, ok2, ok3;
  double a = read_stats (sink, ok1, peer).bitrate, b = read_stats (sink, ok2, peer).bitrate,
         c = read_stats (sink, ok3, peer).bitrate;
  bitrate = b;
  return ok1 && ok2 && ok3 && (a == b || b == c);
}

/* Reads viewer `peer`'s stats from a streaming thread, on every buffer. */
struct StreamingReader {
  GstElement *sink = nullptr;
  std::string peer;
  std::atomic<int> reads{ 0 };     /* triples read with a bitrate */
  std::atomic<int> disagreed{ 0 }; /* of which no pair agreed */

  static GstPadProbeReturn probe (GstPad *, GstPadProbeInfo *, gpointer data)
  {
    auto *self = static_cast<StreamingReader *> (data);
    double bitrate = 0;
    bool agree = reads_agree (self->sink, self->peer, bitrate);
    if (bitrate > 0) {
      self->reads++;
      if (!agree)
        self->disagreed++;
    }
    return GST_PAD_PROBE_OK;
  }
};

/* The src pad of the pacer (gvpacer, a queue) that feeds the viewer's video
 * into its webrtcbin (tee -> ... -> gvpacer -> webrtcbin); a new reference. */
static GstPad *viewer_video_queue_src (GstElement *sink)
{
  GstPad *found = nullptr;
  GstIterator *it = gst_bin_iterate_elements (GST_BIN (sink));
  GValue item = G_VALUE_INIT;
  while (!found && gst_iterator_next (it, &item) == GST_ITERATOR_OK) {
    auto *el = GST_ELEMENT (g_value_get_object (&item));
    GstElementFactory *f = gst_element_get_factory (el);
    if (f && g_str_equal (GST_OBJECT_NAME (f), "gvpacer")) {
      GstPad *src = gst_element_get_static_pad (el, "src");
      GstPad *peer = gst_pad_get_peer (src);
      GstElement *next = peer ? gst_pad_get_parent_element (peer) : nullptr;
      GstCaps *caps = gst_pad_get_current_caps (src);
      bool video =
          caps && gst_structure_has_field (gst_caps_get_structure (caps, 0), "media") &&
          g_str_equal (gst_structure_get_string (gst_caps_get_structure (caps, 0), "media"),
                       "video");
      if (next && video &&
          g_str_equal (GST_OBJECT_NAME (gst_element_get_factory (next)), "webrtcbin"))
        found = GST_PAD (gst_object_ref (src));
      if (caps)
        gst_caps_unref (caps);
      if (next)
        gst_object_unref (next);
      if (peer)
        gst_object_unref (peer);
      gst_object_unref (src);
    }
    g_value_reset (&item);
  }
  g_value_unset (&item);
  gst_iterator_free (it);
  return found;
}

/* Drops every 10th RTP packet through a pad, buffers and buffer lists alike. */
struct PacketDropper {
  std::atomic<int> seen{ 0 };
  std::atomic<int> dropped{ 0 };

  bool drop_next ()
  {
    if (++seen % 10 != 0)
      return false;
    dropped++;
    return true;
  }

  static GstPadProbeReturn probe (GstPad *, GstPadProbeInfo *info, gpointer data)
  {
    auto *self = static_cast<PacketDropper *> (data);
    if (info->type & GST_PAD_PROBE_TYPE_BUFFER)
      return self->drop_next () ? GST_PAD_PROBE_DROP : GST_PAD_PROBE_OK;
    GstBufferList *list = gst_buffer_list_make_writable (gst_pad_probe_info_get_buffer_list (info));
    GST_PAD_PROBE_INFO_DATA (info) = list;
    gst_buffer_list_foreach (
        list,
        [] (GstBuffer **buffer, guint, gpointer d) -> gboolean {
          if (static_cast<PacketDropper *> (d)->drop_next ())
            gst_clear_buffer (buffer); /* removed from the list */
          return TRUE;
        },
        self);
    return gst_buffer_list_length (list) ? GST_PAD_PROBE_OK : GST_PAD_PROBE_DROP;
  }
};

/* Two viewers side by side: "clean" loses nothing; "lossy" will lose every
 * 10th packet of its video, after the payloader numbered it. */
GST_START_TEST (test_stats)
{
  BufferCounter lossy_frames, clean_frames;
  PacketDropper dropper;
  StreamingReader reader;
  SinkLog log;
  DirectRoom room;
  DirectHost host (room, video_host ());
  GstElement *sink = host.sink ();
  log.attach (sink);
  DirectViewer lossy_viewer (room, tapped_viewer (), "lossy");
  count_at (lossy_viewer, "tap", lossy_frames);
  host.play ();
  lossy_viewer.play ();
  fail_unless (
      wait_until ([&] { return lossy_frames.buffers >= 15 || !lossy_viewer.error.empty (); },
                  kTimeoutMs, &host, &lossy_viewer),
      "only %d frames (%s)", (int) lossy_frames.buffers, lossy_viewer.error.c_str ());
  /* While it is the only viewer, the one queue into a webrtcbin is its. */
  GstPad *lossy_queue = viewer_video_queue_src (sink);
  fail_unless (lossy_queue != nullptr, "no queue feeds the viewer's webrtcbin");

  DirectViewer clean_viewer (room, tapped_viewer (), "clean");
  count_at (clean_viewer, "tap", clean_frames);
  clean_viewer.play ();
  fail_unless (
      wait_until ([&] { return clean_frames.buffers >= 15 || !clean_viewer.error.empty (); },
                  kTimeoutMs, &host, &lossy_viewer, &clean_viewer),
      "only %d frames (%s)", (int) clean_frames.buffers, clean_viewer.error.c_str ());
  std::string lossy_peer = log.peer ("lossy"), clean_peer = log.peer ("clean");

  /* Read from a streaming thread of the host's own pipeline from now on:
   * it returns at once (the video goes on) and two reads agree. */
  reader.sink = sink;
  reader.peer = clean_peer;
  GstPad *up = gst_element_get_static_pad (host.get ("up"), "src");
  gst_pad_add_probe (up, GST_PAD_PROBE_TYPE_BUFFER, StreamingReader::probe, &reader, nullptr);
  gst_object_unref (up);

  /* From the application's thread, over three seconds on a clean link:
   * frames at the frame rate, and a bitrate that is the bytes sent over the
   * time between the two reads. */
  ViewerStats first = read_viewer_stats (sink, clean_peer, 2);
  fail_unless (first.connected, "not connected: %s", first.text.c_str ());
  pump_for (3000, &host, &lossy_viewer, &clean_viewer);
  ViewerStats second = read_viewer_stats (sink, clean_peer, 2);
  double seconds = (second.at_us - first.at_us) / 1e6;
  double frames_per_s = (second.frames_sent - first.frames_sent) / seconds;
  double bits_per_s = (second.bytes_sent - first.bytes_sent) * 8 / seconds;
  GST_INFO ("%.0f frames/s, %.0f bit/s (stats say %.0f bit/s)", frames_per_s, bits_per_s,
            second.bitrate);
  fail_unless (frames_per_s >= 0.6 * kFramerate && frames_per_s <= 1.2 * kFramerate,
               "%.1f frames/s sent at %d frames/s: %s", frames_per_s, kFramerate,
               second.text.c_str ());
  fail_unless (second.bitrate > 0 && bits_per_s > 0, "%s", second.text.c_str ());
  fail_unless (std::abs (second.bitrate - bits_per_s) <= 0.15 * bits_per_s,
               "bitrate %.0f, but %.0f bit/s sent: %s", second.bitrate, bits_per_s,
               second.text.c_str ());
  fail_unless (second.connected, "%s", second.text.c_str ());
  double bitrate = 0;
  fail_unless (reads_agree (sink, clean_peer, bitrate), "two reads in a row disagree");
  fail_unless (bitrate > 0);
  int before = clean_frames.buffers;
  fail_unless (
      wait_until ([&] { return reader.reads >= 30 && clean_frames.buffers >= before + 30; }, 10000,
                  &host, &lossy_viewer, &clean_viewer),
      "%d reads from the streaming thread, %d frames since (the video stalled?)",
      (int) reader.reads, (int) clean_frames.buffers - before);
  fail_unless_equals_int (reader.disagreed, 0);

  /* Now the lossy viewer loses packets. The round-trip time comes with each
   * viewer's RTCP receiver reports and is small on loopback; the lossy
   * viewer's reports count the gaps, the clean one's none. */
  gulong drop_probe = gst_pad_add_probe (
      lossy_queue, (GstPadProbeType) (GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST),
      PacketDropper::probe, &dropper, nullptr);
  ViewerStats lossy, clean;
  gint64 end = g_get_monotonic_time () + (gint64) kReportTimeoutMs * 1000;
  while (true) {
    lossy = read_viewer_stats (sink, lossy_peer, 2);
    clean = read_viewer_stats (sink, clean_peer, 2);
    if ((clean.rtt > 0 && lossy.packets_lost > 0) || g_get_monotonic_time () > end)
      break;
    pump_for (250, &host, &lossy_viewer, &clean_viewer);
  }
  gst_pad_remove_probe (lossy_queue, drop_probe);
  gst_object_unref (lossy_queue);
  GST_INFO ("clean link: %s", clean.text.c_str ());
  GST_INFO ("%d of %d packets dropped: %s", (int) dropper.dropped, (int) dropper.seen,
            lossy.text.c_str ());
  fail_unless (clean.rtt > 0, "no round-trip time: %s", clean.text.c_str ());
  fail_unless (clean.rtt < 0.2, "round-trip time %.3f s on loopback", clean.rtt);
  fail_unless (clean.packets_lost == 0, "lost on a clean link: %s", clean.text.c_str ());
  fail_unless (lossy.packets_lost > 0, "%d packets dropped, none reported lost: %s",
               (int) dropper.dropped, lossy.text.c_str ());
  fail_unless (lossy.packets_lost <= dropper.dropped, "%" G_GINT64_FORMAT " lost, %d dropped",
               lossy.packets_lost, (int) dropper.dropped);
  fail_unless (lossy.rtt > 0 && lossy.rtt < 0.2, "round-trip time %.3f s", lossy.rtt);

  /* The sessions go on. */
  int lossy_before = lossy_frames.buffers, clean_before = clean_frames.buffers;
  fail_unless (wait_until (
                   [&] {
                     return lossy_frames.buffers >= lossy_before + 15 &&
                            clean_frames.buffers >= clean_before + 15;
                   },
                   kTimeoutMs, &host, &lossy_viewer, &clean_viewer),
               "a viewer stalled after the loss: lossy %d, clean %d frames",
               (int) lossy_frames.buffers, (int) clean_frames.buffers);
  fail_unless (lossy_viewer.error.empty (), "%s", lossy_viewer.error.c_str ());
  fail_unless (clean_viewer.error.empty (), "%s", clean_viewer.error.c_str ());
  fail_unless (host.error.empty (), "%s", host.error.c_str ());
}
GST_END_TEST;

static Suite *webrtc_direct_stats_suite (void)
{
  Suite *s = suite_create ("webrtc-direct-stats");
  TCase *tc = tcase_create ("stats");
  /* RTCP receiver reports come seconds apart. */
  tcase_set_timeout (tc, 50);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_stats);
  return s;
}

GST_CHECK_MAIN (webrtc_direct_stats);
