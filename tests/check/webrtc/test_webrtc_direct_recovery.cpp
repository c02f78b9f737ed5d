/* Loss recovery between gvwebrtcsink and gvwebrtcsrc, paired in one
 * process: when the network loses video packets the receiver asks for them
 * again (NACK) and the host resends them (RTX), so the video goes on at its
 * frame rate instead of waiting for keyframes; a viewer that asks for a
 * keyframe a hundred times a second gets a few, not a hundred (one lossy
 * viewer cannot flood everyone with keyframes); and the receiver's
 * jitterbuffer latency stays at its floor on a clean link. */
#include "direct_harness.h"

#include <gst/check/gstcheck.h>
#include <gst/video/video.h>

#include <atomic>
#include <mutex>
#include <string>

using namespace gvtest;

static const int kTimeoutMs = 20000;
static const int kFramerate = 30; /* kSmallVideo's */

static void probe_inside (GstElement *bin, const char *factory, const char *pad,
                          GstPadProbeCallback callback, gpointer data);

/* Drops every `every`-th packet the host's network sink sends once armed:
 * only large ones (video RTP; DTLS, SCTP and RTCP are small), as a lossy
 * link would lose them after encryption. */
struct NetworkLoss {
  int every = 20;
  std::atomic<bool> armed{ false };
  std::atomic<int> seen{ 0 }, dropped{ 0 };

  static GstPadProbeReturn probe (GstPad *, GstPadProbeInfo *info, gpointer user)
  {
    auto *self = static_cast<NetworkLoss *> (user);
    if (!self->armed || !(info->type & GST_PAD_PROBE_TYPE_BUFFER))
      return GST_PAD_PROBE_OK;
    if (gst_buffer_get_size (GST_PAD_PROBE_INFO_BUFFER (info)) < 400)
      return GST_PAD_PROBE_OK;
    if (++self->seen % self->every)
      return GST_PAD_PROBE_OK;
    self->dropped++;
    return GST_PAD_PROBE_DROP;
  }

  /* On the sink pad of the nicesink inside the host's webrtcbin. */
  void attach (GstElement *host_sink) { probe_inside (host_sink, "nicesink", "sink", probe, this); }
};

/* Adds a buffer probe on pad `pad` of every `factory` element anywhere in
 * `bin` (a gvwebrtcsink or gvwebrtcsrc: inside its webrtcbin). */
static void probe_inside (GstElement *bin, const char *factory, const char *pad,
                          GstPadProbeCallback callback, gpointer data)
{
  GstIterator *it = gst_bin_iterate_recurse (GST_BIN (bin));
  GValue item = G_VALUE_INIT;
  int found = 0;
  while (gst_iterator_next (it, &item) == GST_ITERATOR_OK) {
    auto *e = GST_ELEMENT (g_value_get_object (&item));
    GstElementFactory *f = gst_element_get_factory (e);
    if (f && g_str_equal (GST_OBJECT_NAME (f), factory)) {
      GstPad *p = gst_element_get_static_pad (e, pad);
      gst_pad_add_probe (p, GST_PAD_PROBE_TYPE_BUFFER, callback, data, nullptr);
      gst_object_unref (p);
      found++;
    }
    g_value_reset (&item);
  }
  g_value_unset (&item);
  gst_iterator_free (it);
  fail_unless (found > 0, "no %s in %s", factory, GST_ELEMENT_NAME (bin));
}

/* A link of `kbps` kbit/s: a token bucket with 50 ms of burst; what does
 * not fit is lost, as on a saturated link with a small buffer. */
struct NarrowLink {
  double kbps = 0; /* 0: no limit */
  double tokens = 0;
  gint64 last_us = 0;
  std::atomic<int> dropped{ 0 };
  std::mutex lock;

  static GstPadProbeReturn probe (GstPad *, GstPadProbeInfo *info, gpointer user)
  {
    auto *self = static_cast<NarrowLink *> (user);
    if (!(info->type & GST_PAD_PROBE_TYPE_BUFFER))
      return GST_PAD_PROBE_OK;
    gsize size = gst_buffer_get_size (GST_PAD_PROBE_INFO_BUFFER (info));
    std::lock_guard<std::mutex> guard (self->lock);
    if (self->kbps <= 0 || size < 400)
      return GST_PAD_PROBE_OK;
    gint64 now = g_get_monotonic_time ();
    double burst = self->kbps * 1000 / 8 * 0.05;
    if (self->last_us)
      self->tokens = MIN (burst, self->tokens + (now - self->last_us) * self->kbps / 8000.0);
    self->last_us = now;
    if (self->tokens < size) {
      self->dropped++;
      return GST_PAD_PROBE_DROP;
    }
    self->tokens -= size;
    return GST_PAD_PROBE_OK;
  }
};

static guint64 viewer_u64 (GstElement *sink, const char *field)
{
  GstStructure *v = viewer_stats (sink);
  guint64 out = 0;
  if (v) {
    gst_structure_get_uint64 (v, field, &out);
    gst_structure_free (v);
  }
  return out;
}

GST_START_TEST (test_lost_packets_are_resent)
{
  DirectRoom room;
  BufferCounter frames;
  NetworkLoss loss;
  DirectHost host (room, video_host ("bitrate=1000"));
  DirectViewer viewer (room, tapped_viewer ());
  count_at (viewer, "tap", frames);
  host.play ();
  viewer.play ();
  fail_unless (wait_until ([&] { return frames.buffers >= 15 || !viewer.error.empty (); },
                           kTimeoutMs, &host, &viewer),
               "no frames: %s", viewer.error.c_str ());
  loss.attach (host.sink ());

  /* Five percent of the video packets lost for four seconds. */
  loss.armed = true;
  int before = frames.buffers;
  gint64 start = g_get_monotonic_time ();
  pump_for (4000, &host, &viewer);
  double seconds = (g_get_monotonic_time () - start) / 1e6;
  loss.armed = false;
  double fps = (frames.buffers - before) / seconds;
  GST_INFO ("%d of %d packets lost, %.1f frames/s", (int) loss.dropped, (int) loss.seen, fps);
  fail_unless (loss.dropped >= 10, "only %d packets dropped", (int) loss.dropped);
  /* Without retransmission every loss stops the picture until the next
   * keyframe (2 per second at most): well under half the frame rate. */
  fail_unless (fps >= 0.5 * kFramerate, "%.1f frames/s through the loss", fps);

  /* The viewer asked for them, the host resent them. */
  fail_unless (wait_until (
                   [&] {
                     return viewer_u64 (host.sink (), "nacks-received") > 0 &&
                            viewer_u64 (host.sink (), "packets-retransmitted") > 0;
                   },
                   kTimeoutMs, &host, &viewer),
               "no retransmission: %" G_GUINT64_FORMAT " NACKs, %" G_GUINT64_FORMAT " resent",
               viewer_u64 (host.sink (), "nacks-received"),
               viewer_u64 (host.sink (), "packets-retransmitted"));
  fail_unless (viewer.error.empty (), "%s", viewer.error.c_str ());
  fail_unless (host.error.empty (), "%s", host.error.c_str ());
}
GST_END_TEST;

/* Counts the keyframes the shared encoder makes. */
static GstPadProbeReturn count_keyframes (GstPad *, GstPadProbeInfo *info, gpointer user)
{
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  if (buf && !GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT))
    (*static_cast<std::atomic<int> *> (user))++;
  return GST_PAD_PROBE_OK;
}

GST_START_TEST (test_keyframe_requests_are_coalesced)
{
  DirectRoom room;
  BufferCounter frames;
  DirectHost host (room, video_host ("keyframe-min-interval=500"));
  DirectViewer viewer (room, tapped_viewer ());
  count_at (viewer, "tap", frames);
  host.play ();
  viewer.play ();
  fail_unless (wait_until ([&] { return frames.buffers >= 15 || !viewer.error.empty (); },
                           kTimeoutMs, &host, &viewer),
               "no frames: %s", viewer.error.c_str ());

  std::atomic<int> keyframes{ 0 };
  GstElement *encoder = gst_bin_get_by_name (GST_BIN (host.sink ()), "encoder");
  fail_unless (encoder != nullptr);
  GstPad *encoded = gst_element_get_static_pad (encoder, "src");
  gst_pad_add_probe (encoded, GST_PAD_PROBE_TYPE_BUFFER, count_keyframes, &keyframes, nullptr);
  /* What webrtcbin sends up the viewer's branch for each PLI. */
  GstElement *queue = child_by_factory (host.sink (), "gvpacer");
  fail_unless (queue != nullptr, "no viewer branch");
  GstPad *branch = gst_element_get_static_pad (queue, "src");
  guint64 asked_before = sink_stat (host.sink (), "keyframe-requests");

  /* A hundred requests a second for two seconds. */
  gint64 start = g_get_monotonic_time ();
  int sent = 0;
  while (g_get_monotonic_time () - start < 2 * G_USEC_PER_SEC) {
    gst_pad_send_event (branch,
                        gst_video_event_new_upstream_force_key_unit (GST_CLOCK_TIME_NONE, TRUE, 0));
    sent++;
    host.pump (5);
    viewer.pump (5);
  }
  pump_for (700, &host, &viewer); /* the last held request is served */
  double seconds = (g_get_monotonic_time () - start) / 1e6;
  int made = keyframes;
  guint64 asked = sink_stat (host.sink (), "keyframe-requests") - asked_before;
  GST_INFO ("%d requests, %" G_GUINT64_FORMAT " counted, %d keyframes in %.1f s", sent, asked, made,
            seconds);
  fail_unless (asked >= (guint64) sent, "%" G_GUINT64_FORMAT " of %d requests counted", asked,
               sent);
  /* Two at once, then one per half second at most, and the held one at
   * the end. */
  fail_unless (made >= 2 && made <= (int) (seconds / 0.5) + 3, "%d keyframes for %d requests", made,
               sent);
  fail_unless (frames.buffers > 0 && viewer.error.empty (), "%s", viewer.error.c_str ());
  gst_object_unref (branch);
  gst_object_unref (queue);
  gst_object_unref (encoded);
  gst_object_unref (encoder);
}
GST_END_TEST;

GST_START_TEST (test_latency_stays_low_on_a_clean_link)
{
  DirectRoom room;
  BufferCounter frames;
  DirectHost host (room, video_host ());
  DirectViewer viewer (room, tapped_viewer ("latency=50 max-latency=300"));
  count_at (viewer, "tap", frames);
  host.play ();
  viewer.play ();
  fail_unless (wait_until ([&] { return frames.buffers >= 60 || !viewer.error.empty (); },
                           kTimeoutMs, &host, &viewer),
               "no frames: %s", viewer.error.c_str ());
  guint current = 0;
  gboolean adaptive = FALSE;
  g_object_get (viewer.src (), "current-latency", &current, "adaptive-latency", &adaptive, nullptr);
  fail_unless (adaptive, "adaptive latency is on by default");
  fail_unless (current == 50, "latency %u ms on a clean link", current);
}
GST_END_TEST;

/* What the layer the only viewer watches is encoded at, kbit/s. */
static guint encoder_kbps (GstElement *sink)
{
  GstStructure *stats = nullptr;
  g_object_get (sink, "stats", &stats, nullptr);
  guint kbps = 0;
  GstStructure *v = viewer_stats (sink);
  int layer = 0;
  if (v) {
    gst_structure_get_int (v, "layer", &layer);
    gst_structure_free (v);
  }
  const GValue *rates = stats ? gst_structure_get_value (stats, "layer-bitrates") : nullptr;
  if (rates && layer >= 0 && (guint) layer < gst_value_array_get_size (rates))
    kbps = g_value_get_uint (gst_value_array_get_value (rates, layer));
  if (stats)
    gst_structure_free (stats);
  return kbps;
}

GST_START_TEST (test_encoder_follows_a_narrow_link)
{
  DirectRoom room;
  BufferCounter frames;
  NarrowLink link;
  DirectHost host (room, video_host ("bitrate=1500"));
  DirectViewer viewer (room, tapped_viewer ());
  count_at (viewer, "tap", frames);
  host.play ();
  viewer.play ();
  fail_unless (wait_until ([&] { return frames.buffers >= 15 || !viewer.error.empty (); },
                           kTimeoutMs, &host, &viewer),
               "no frames: %s", viewer.error.c_str ());
  /* A clean link: the viewer's estimate exists and the encoder keeps the
   * configured bitrate. */
  fail_unless (wait_until ([&] { return viewer_u64 (host.sink (), "estimated-bitrate") > 0; },
                           kTimeoutMs, &host, &viewer),
               "no bandwidth estimate for the viewer");
  pump_for (2000, &host, &viewer);
  guint clean = encoder_kbps (host.sink ());
  GST_INFO ("clean link: encoder at %u kbit/s, estimate %" G_GUINT64_FORMAT, clean,
            viewer_u64 (host.sink (), "estimated-bitrate"));
  fail_unless (clean >= 1200, "the encoder slowed to %u kbit/s on a clean link", clean);

  /* The link narrows to 400 kbit/s: what the viewer watches follows it down
   * (the full-size layer at a lower rate, or a smaller layer). */
  probe_inside (host.sink (), "nicesink", "sink", NarrowLink::probe, &link);
  {
    std::lock_guard<std::mutex> guard (link.lock);
    link.kbps = 400;
  }
  bool followed = wait_until (
      [&] {
        guint kbps = encoder_kbps (host.sink ());
        return kbps > 0 && kbps <= 600;
      },
      kTimeoutMs, &host, &viewer);
  GST_INFO ("narrow link: encoder at %u kbit/s, estimate %" G_GUINT64_FORMAT ", %d dropped",
            encoder_kbps (host.sink ()), viewer_u64 (host.sink (), "estimated-bitrate"),
            (int) link.dropped);
  fail_unless (followed,
               "encoder still at %u kbit/s on a 400 kbit/s link (estimate %" G_GUINT64_FORMAT ")",
               encoder_kbps (host.sink ()), viewer_u64 (host.sink (), "estimated-bitrate"));
  {
    std::lock_guard<std::mutex> guard (link.lock);
    link.kbps = 0;
  }
  int before = frames.buffers;
  fail_unless (
      wait_until ([&] { return frames.buffers >= before + 30; }, kTimeoutMs, &host, &viewer),
      "the viewer stalled");
}
GST_END_TEST;

static GstStructure *viewer_entry (GstElement *sink, const std::string &peer)
{
  return viewer_stats (sink, peer);
}

static int viewer_layer (GstElement *sink, const std::string &peer)
{
  GstStructure *v = viewer_entry (sink, peer);
  int layer = -1;
  if (v) {
    gst_structure_get_int (v, "layer", &layer);
    gst_structure_free (v);
  }
  return layer;
}

static int encoders_running (GstElement *sink)
{
  GstStructure *stats = nullptr;
  g_object_get (sink, "stats", &stats, nullptr);
  int n = 0;
  if (stats) {
    gst_structure_get_int (stats, "encoders-running", &n);
    gst_structure_free (stats);
  }
  return n;
}

/* The quality ladder: of two viewers, the one on a narrow link moves to a
 * smaller layer (its picture gets smaller, its frames keep coming) while
 * the one on a clean link keeps full size at full rate: two encoders, not
 * one slowed to the narrow link. */
GST_START_TEST (test_narrow_viewer_moves_down_the_ladder)
{
  DirectRoom room;
  SinkLog log;
  BufferCounter clean_frames, narrow_frames;
  NarrowLink link;
  DirectHost host (room, video_host ("bitrate=1500"));
  log.attach (host.sink ());
  DirectViewer clean (room, tapped_viewer (), "clean");
  DirectViewer narrow (room, tapped_viewer (), "narrow");
  count_at (clean, "tap", clean_frames);
  count_at (narrow, "tap", narrow_frames);
  host.play ();
  clean.play ();
  narrow.play ();
  fail_unless (wait_until (
                   [&] {
                     return (clean_frames.buffers >= 15 && narrow_frames.buffers >= 15) ||
                            !clean.error.empty () || !narrow.error.empty ();
                   },
                   kTimeoutMs, &host, &clean, &narrow),
               "no frames: %s %s", clean.error.c_str (), narrow.error.c_str ());
  std::string narrow_peer = log.peer ("narrow"), clean_peer = log.peer ("clean");
  fail_unless (viewer_layer (host.sink (), clean_peer) == 0 &&
                   viewer_layer (host.sink (), narrow_peer) == 0 &&
                   encoders_running (host.sink ()) == 1,
               "both viewers start on layer 0 of one encoder");

  /* The narrow viewer's link takes 300 kbit/s. */
  probe_inside (narrow.src (), "nicesrc", "src", NarrowLink::probe, &link);
  {
    std::lock_guard<std::mutex> guard (link.lock);
    link.kbps = 300;
  }
  bool moved = wait_until ([&] { return viewer_layer (host.sink (), narrow_peer) > 0; }, kTimeoutMs,
                           &host, &clean, &narrow);
  GST_INFO (
      "narrow viewer on layer %d, estimate %" G_GUINT64_FORMAT ", %d encoders",
      viewer_layer (host.sink (), narrow_peer),
      [&] {
        GstStructure *v = viewer_entry (host.sink (), narrow_peer);
        guint64 e = 0;
        if (v) {
          gst_structure_get_uint64 (v, "estimated-bitrate", &e);
          gst_structure_free (v);
        }
        return e;
      }(),
      encoders_running (host.sink ()));
  fail_unless (moved, "the narrow viewer stayed on layer 0");
  fail_unless (viewer_layer (host.sink (), clean_peer) == 0, "the clean viewer left layer 0");
  fail_unless (encoders_running (host.sink ()) == 2, "%d encoders running",
               encoders_running (host.sink ()));

  /* Both keep getting frames: the narrow one smaller, the clean one at the
   * full 320x240 and at a rate the narrow link could not take. */
  int clean_before = clean_frames.buffers, narrow_before = narrow_frames.buffers;
  fail_unless (wait_until (
                   [&] {
                     return clean_frames.buffers >= clean_before + 30 &&
                            narrow_frames.buffers >= narrow_before + 15;
                   },
                   kTimeoutMs, &host, &clean, &narrow),
               "frames stopped: clean %d, narrow %d", clean_frames.buffers - clean_before,
               narrow_frames.buffers - narrow_before);
  std::string narrow_caps = narrow_frames.caps_string ();
  std::string clean_caps = clean_frames.caps_string ();
  fail_unless (clean_caps.find ("width=(int)320") != std::string::npos, "clean: %s",
               clean_caps.c_str ());
  fail_unless (narrow_caps.find ("width=(int)320") == std::string::npos, "narrow: %s",
               narrow_caps.c_str ());
  fail_unless (clean.error.empty () && narrow.error.empty (), "%s %s", clean.error.c_str (),
               narrow.error.c_str ());
}
GST_END_TEST;

static Suite *webrtc_direct_recovery_suite (void)
{
  Suite *s = suite_create ("webrtc-direct-recovery");
  TCase *tc = tcase_create ("general");
  tcase_set_timeout (tc, 60);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_lost_packets_are_resent);
  tcase_add_test (tc, test_keyframe_requests_are_coalesced);
  tcase_add_test (tc, test_latency_stays_low_on_a_clean_link);
  tcase_add_test (tc, test_encoder_follows_a_narrow_link);
  tcase_add_test (tc, test_narrow_viewer_moves_down_the_ladder);
  return s;
}

GST_CHECK_MAIN (webrtc_direct_recovery);
