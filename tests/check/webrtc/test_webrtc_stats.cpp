/* gvwebrtcsink's `stats` as an application reads them, with one viewer over
 * loopback: the bitrate matches the bytes sent, frames-sent follows the frame
 * rate, the round-trip time arrives with the viewer's RTCP reports and is
 * small, nothing is lost on a clean link; and when the host drops every 10th
 * RTP packet of the viewer's video, the viewer's reports make packets-lost
 * count them. */
#include "webrtc_harness.h"

#include <gst/check/gstcheck.h>

#include <cmath>
#include <string>

using namespace gvtest;

static const int kTimeoutMs = 20000;
static const int kFramerate = 30; /* host_description's */
/* The viewer's RTCP receiver reports come seconds apart (14 s seen here
 * between the first two). */
static const int kReportTimeoutMs = 40000;

struct ViewerStats {
  gint64 at_us = 0; /* just before the read */
  guint64 frames_sent = 0, bytes_sent = 0;
  double bitrate = 0, rtt = 0;
  gint64 packets_lost = 0;
  std::string text; /* the whole stats structure, for failure messages */
};

/* Reads the sink's `stats` and returns its one viewer's entry. */
static ViewerStats read_viewer_stats (GstElement *sink)
{
  ViewerStats out;
  GstStructure *stats = nullptr;
  out.at_us = g_get_monotonic_time ();
  g_object_get (sink, "stats", &stats, nullptr);
  fail_unless (stats != nullptr && gst_structure_has_name (stats, "gvwebrtcsink-stats"));
  gchar *text = gst_structure_to_string (stats);
  out.text = text;
  g_free (text);
  const GValue *viewers = gst_structure_get_value (stats, "viewers");
  fail_unless (viewers && GST_VALUE_HOLDS_ARRAY (viewers) &&
                   gst_value_array_get_size (viewers) == 1,
               "not one viewer: %s", out.text.c_str ());
  const GstStructure *v = gst_value_get_structure (gst_value_array_get_value (viewers, 0));
  fail_unless (gst_structure_has_name (v, "gvwebrtcsink-viewer"));
  fail_unless (gst_structure_get (v, "frames-sent", G_TYPE_UINT64, &out.frames_sent, "bytes-sent",
                                  G_TYPE_UINT64, &out.bytes_sent, "bitrate", G_TYPE_DOUBLE,
                                  &out.bitrate, "rtt", G_TYPE_DOUBLE, &out.rtt, "packets-lost",
                                  G_TYPE_INT64, &out.packets_lost, nullptr),
               "fields missing or of the wrong type: %s", out.text.c_str ());
  gst_structure_free (stats);
  return out;
}

/* Reads the stats every 250 ms, pumping the buses between reads, until
 * `done` says so or `timeout_ms` passes; `last` is the last read. */
template <typename Done, typename... Pipelines>
static bool wait_for_stats (GstElement *sink, ViewerStats &last, Done done, int timeout_ms,
                            Pipelines *...pipelines)
{
  gint64 end = g_get_monotonic_time () + (gint64) timeout_ms * 1000;
  while (true) {
    last = read_viewer_stats (sink);
    if (done (last))
      return true;
    if (g_get_monotonic_time () > end)
      return false;
    wait_until ([] { return false; }, 250, pipelines...);
  }
}

/* Pumps the buses for `ms` milliseconds, whatever happens. */
template <typename... Pipelines> static void pump_for (int ms, Pipelines *...pipelines)
{
  wait_until ([] { return false; }, ms, pipelines...);
}

/* The src pad of the queue that feeds the viewer's video into its webrtcbin
 * (tee -> queue -> webrtcbin); a new reference. */
static GstPad *viewer_video_queue_src (GstElement *sink)
{
  GstPad *found = nullptr;
  GstIterator *it = gst_bin_iterate_elements (GST_BIN (sink));
  GValue item = G_VALUE_INIT;
  while (!found && gst_iterator_next (it, &item) == GST_ITERATOR_OK) {
    auto *el = GST_ELEMENT (g_value_get_object (&item));
    GstElementFactory *f = gst_element_get_factory (el);
    if (f && g_str_equal (GST_OBJECT_NAME (f), "queue")) {
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

GST_START_TEST (test_stats_values)
{
  BufferCounter frames;
  PacketDropper dropper;
  TestServer server;
  Pipeline host (host_description (server.ws_url (), ""));
  GstElement *sink = host.get ("host");
  host.play ();
  fail_unless (wait_for_pin (host), "no PIN: %s", host.error.c_str ());
  Pipeline viewer (viewer_description (server.ws_url (), host.pin, "",
                                       "identity name=tap ! fakesink sync=false"));
  count_at (viewer, "tap", frames);
  viewer.play ();
  fail_unless (wait_until ([&] { return frames.buffers >= 15 || !viewer.error.empty (); },
                           kTimeoutMs, &host, &viewer),
               "only %d frames (%s)", (int) frames.buffers, viewer.error.c_str ());

  /* Over three seconds: frames at the frame rate, and a bitrate that is the
   * bytes sent over the time between the two reads. */
  ViewerStats first = read_viewer_stats (sink);
  pump_for (3000, &host, &viewer);
  ViewerStats second = read_viewer_stats (sink);
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

  /* The round-trip time comes with the viewer's first RTCP receiver report
   * (a few seconds); on loopback it is small, and nothing is lost. */
  ViewerStats clean;
  fail_unless (wait_for_stats (
                   sink, clean, [] (const ViewerStats &s) { return s.rtt > 0; }, kReportTimeoutMs,
                   &host, &viewer),
               "no round-trip time: %s", clean.text.c_str ());
  GST_INFO ("clean link: %s", clean.text.c_str ());
  fail_unless (clean.rtt < 0.2, "round-trip time %.3f s on loopback", clean.rtt);
  fail_unless (clean.packets_lost == 0, "lost on a clean link: %s", clean.text.c_str ());
  fail_unless (viewer.error.empty (), "%s", viewer.error.c_str ());

  /* Every 10th packet of the viewer's video goes missing after the
   * payloader numbered it: the viewer's reports count the gaps. */
  GstPad *queue_src = viewer_video_queue_src (sink);
  fail_unless (queue_src != nullptr, "no queue feeds the viewer's webrtcbin");
  gulong drop_probe = gst_pad_add_probe (
      queue_src, (GstPadProbeType) (GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST),
      PacketDropper::probe, &dropper, nullptr);
  ViewerStats lossy;
  bool lost = wait_for_stats (
      sink, lossy, [] (const ViewerStats &s) { return s.packets_lost > 0; }, kReportTimeoutMs,
      &host, &viewer);
  gst_pad_remove_probe (queue_src, drop_probe);
  gst_object_unref (queue_src);
  GST_INFO ("%d of %d packets dropped: %s", (int) dropper.dropped, (int) dropper.seen,
            lossy.text.c_str ());
  fail_unless (lost, "%d packets dropped, none reported lost: %s", (int) dropper.dropped,
               lossy.text.c_str ());
  fail_unless (lossy.packets_lost <= dropper.dropped, "%" G_GINT64_FORMAT " lost, %d dropped",
               lossy.packets_lost, (int) dropper.dropped);
  fail_unless (lossy.rtt > 0 && lossy.rtt < 0.2, "round-trip time %.3f s", lossy.rtt);

  /* The session goes on. */
  int before = frames.buffers;
  fail_unless (
      wait_until ([&] { return frames.buffers >= before + 15; }, kTimeoutMs, &host, &viewer),
      "the viewer stalled after the loss");
  fail_unless (viewer.error.empty (), "%s", viewer.error.c_str ());
  fail_unless (host.error.empty (), "%s", host.error.c_str ());
}
GST_END_TEST;

static Suite *webrtc_stats_suite (void)
{
  Suite *s = suite_create ("webrtc-stats");
  TCase *tc = tcase_create ("general");
  tcase_set_timeout (tc, 120);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_stats_values);
  return s;
}

GST_CHECK_MAIN (webrtc_stats);
