/* Audio through gvwebrtcsink's audio_%u pad and out of gvwebrtcsrc's
 * audio_%u pad, over the real signalling server and loopback: the tone a
 * host sends is the tone the receiver hears, beside the video; decode=false
 * records both tracks into one Matroska file that plays; a host with sound
 * only works too, from raw audio or from Opus. */
#include "webrtc_harness.h"

#include <gst/check/gstcheck.h>

#include <glib/gstdio.h>

#include <atomic>
#include <cmath>
#include <mutex>
#include <string>

using namespace gvtest;

static const int kTimeoutMs = 20000;

/* Listens to S16 mono audio through a pad: samples, loudness and pitch. */
struct Listener {
  std::mutex lock;
  guint64 samples = 0;
  guint64 zero_crossings = 0;
  double sum_squares = 0;
  gint16 last = 0;
  int rate = 0;

  void attach (GstPad *pad)
  {
    gst_pad_add_probe (
        pad, GST_PAD_PROBE_TYPE_BUFFER,
        [] (GstPad *p, GstPadProbeInfo *info, gpointer user) {
          auto *self = static_cast<Listener *> (user);
          GstCaps *caps = gst_pad_get_current_caps (p);
          int rate = 0;
          if (caps) {
            gst_structure_get_int (gst_caps_get_structure (caps, 0), "rate", &rate);
            gst_caps_unref (caps);
          }
          GstMapInfo map;
          GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
          if (!gst_buffer_map (buf, &map, GST_MAP_READ))
            return GST_PAD_PROBE_OK;
          std::lock_guard<std::mutex> guard (self->lock);
          self->rate = rate;
          const auto *s = reinterpret_cast<const gint16 *> (map.data);
          for (gsize i = 0; i < map.size / 2; i++) {
            if ((s[i] >= 0) != (self->last >= 0))
              self->zero_crossings++;
            self->last = s[i];
            self->sum_squares += (double) s[i] * s[i];
            self->samples++;
          }
          gst_buffer_unmap (buf, &map);
          return GST_PAD_PROBE_OK;
        },
        this, nullptr);
  }
  double seconds ()
  {
    std::lock_guard<std::mutex> guard (lock);
    return rate ? (double) samples / rate : 0;
  }
  double pitch_hz ()
  {
    std::lock_guard<std::mutex> guard (lock);
    return samples && rate ? zero_crossings / 2.0 / ((double) samples / rate) : 0;
  }
  double rms ()
  {
    std::lock_guard<std::mutex> guard (lock);
    return samples ? sqrt (sum_squares / samples) / 32768.0 : 0;
  }
};

static void listen_at (Pipeline &p, const char *name, Listener &listener)
{
  GstPad *pad = gst_element_get_static_pad (p.get (name), "src");
  listener.attach (pad);
  gst_object_unref (pad);
}

static const char *kTone = "audiotestsrc is-live=true freq=440 volume=0.5 ! ";
static const char *kHeard =
    "audioconvert ! audio/x-raw,format=S16LE,channels=1 ! identity name=ear";

static std::string receiver (const std::string &url, const std::string &pin,
                             const std::string &extra)
{
  return "gvwebrtcsrc name=viewer ice-loopback=true signaller::server=" + url + " pin=" + pin +
         " " + extra;
}

/* The receiver shows the video and plays the host's 440 Hz tone. */
GST_START_TEST (test_video_and_audio_arrive)
{
  BufferCounter frames;
  Listener ear;
  TestServer server;
  Pipeline host (host_description (server.ws_url (), "") + "  " + kTone + "host.audio_0");
  host.play ();
  fail_unless (wait_for_pin (host), "no PIN: %s", host.error.c_str ());

  Pipeline viewer (receiver (server.ws_url (), host.pin,
                             "viewer.video_0 ! identity name=tap ! fakesink sync=false "
                             "viewer.audio_0 ! ") +
                   kHeard + " ! fakesink sync=false");
  count_at (viewer, "tap", frames);
  listen_at (viewer, "ear", ear);
  /* no-more-pads comes once both streams have their pad. */
  std::atomic<int> pads_when_done{ -1 };
  g_signal_connect (viewer.get ("viewer"), "no-more-pads",
                    G_CALLBACK (+[] (GstElement *e, gpointer user) {
                      *static_cast<std::atomic<int> *> (user) = e->numsrcpads;
                    }),
                    &pads_when_done);
  viewer.play ();
  fail_unless (
      wait_until (
          [&] { return (frames.buffers >= 15 && ear.seconds () >= 1.5) || !viewer.error.empty (); },
          kTimeoutMs, &host, &viewer),
      "only %d frames and %.2f s of sound (%s)", (int) frames.buffers, ear.seconds (),
      viewer.error.c_str ());
  fail_unless (viewer.error.empty (), "%s", viewer.error.c_str ());
  fail_unless (pads_when_done == 2, "no-more-pads with %d pads", (int) pads_when_done);
  fail_unless (frames.caps_string ().find ("video/x-raw") == 0, "video caps %s",
               frames.caps_string ().c_str ());
  /* Opus at 48 kHz keeps the tone: loud enough and at its pitch. */
  fail_unless (ear.rate == 48000, "rate %d", ear.rate);
  fail_unless (ear.rms () > 0.1, "too quiet: RMS %.3f", ear.rms ());
  fail_unless (fabs (ear.pitch_hz () - 440) < 25, "pitch %.1f Hz, not 440", ear.pitch_hz ());

  /* The host counts what it sent to that viewer. */
  GstStructure *stats = nullptr;
  g_object_get (host.get ("host"), "stats", &stats, nullptr);
  const GValue *viewers = gst_structure_get_value (stats, "viewers");
  fail_unless (gst_value_array_get_size (viewers) == 1);
  const GstStructure *v = gst_value_get_structure (gst_value_array_get_value (viewers, 0));
  guint64 audio_packets = 0, frames_sent = 0;
  gst_structure_get_uint64 (v, "audio-packets-sent", &audio_packets);
  gst_structure_get_uint64 (v, "frames-sent", &frames_sent);
  fail_unless (audio_packets >= 50, "audio-packets-sent %" G_GUINT64_FORMAT, audio_packets);
  fail_unless (frames_sent >= 15, "frames-sent %" G_GUINT64_FORMAT, frames_sent);
  gst_structure_free (stats);
}
GST_END_TEST;

/* decode=false: VP8 and Opus go into one Matroska file, which is finalised
 * when the host ends the session, and plays back with both tracks. */
GST_START_TEST (test_record_video_and_audio)
{
  BufferCounter frames, packets, file_frames;
  Listener file_ear;
  TestServer server;
  Pipeline host (host_description (server.ws_url (), "") + "  " + kTone + "host.audio_0");
  host.play ();
  fail_unless (wait_for_pin (host));

  gchar *path = g_build_filename (g_get_tmp_dir (), "gvwebrtc-av-XXXXXX.mkv", nullptr);
  close (g_mkstemp (path));
  Pipeline viewer (receiver (server.ws_url (), host.pin,
                             "decode=false viewer.video_0 ! identity name=vtap ! queue ! "
                             "mux.video_0 viewer.audio_0 ! identity name=atap ! queue ! "
                             "mux.audio_0 matroskamux name=mux ! filesink location=") +
                   path);
  count_at (viewer, "vtap", frames);
  count_at (viewer, "atap", packets);
  viewer.play ();
  fail_unless (wait_until (
                   [&] {
                     return (frames.buffers >= 30 && packets.buffers >= 100) ||
                            !viewer.error.empty ();
                   },
                   kTimeoutMs, &host, &viewer),
               "only %d frames, %d audio packets (%s)", (int) frames.buffers, (int) packets.buffers,
               viewer.error.c_str ());
  fail_unless (packets.caps_string ().find ("audio/x-opus") == 0, "audio caps %s",
               packets.caps_string ().c_str ());

  /* The host stops: the session ends, the receiver's pads get EOS, the file
   * is finalised. */
  gst_element_send_event (host.pipeline, gst_event_new_eos ());
  fail_unless (wait_until ([&] { return host.eos && viewer.eos; }, 10000, &host, &viewer),
               "host EOS %d, recording EOS %d", host.eos, viewer.eos);
  gst_element_set_state (viewer.pipeline, GST_STATE_NULL);

  Pipeline check (std::string ("filesrc location=") + path +
                  " ! matroskademux name=d d.video_0 ! queue ! identity name=tap ! fakesink "
                  "sync=false d.audio_0 ! queue ! opusdec ! " +
                  kHeard + " ! fakesink sync=false");
  count_at (check, "tap", file_frames);
  listen_at (check, "ear", file_ear);
  check.play ();
  fail_unless (wait_until ([&] { return check.eos || !check.error.empty (); }, 10000, &check));
  fail_unless (check.error.empty (), "%s", check.error.c_str ());
  fail_unless (file_frames.buffers >= 25, "only %d frames in the file", (int) file_frames.buffers);
  fail_unless (file_frames.caps_string ().find ("video/x-vp8") == 0);
  fail_unless (file_ear.seconds () >= 1.5, "only %.2f s of sound in the file", file_ear.seconds ());
  fail_unless (fabs (file_ear.pitch_hz () - 440) < 25, "pitch %.1f Hz", file_ear.pitch_hz ());
  g_unlink (path);
  g_free (path);
}
GST_END_TEST;

/* A receiver written for video only (its audio pad stays unlinked) keeps
 * getting video from a host that also sends sound. */
GST_START_TEST (test_video_only_receiver_of_audio_host)
{
  BufferCounter frames;
  TestServer server;
  Pipeline host (host_description (server.ws_url (), "") + "  " + kTone + "host.audio_0");
  host.play ();
  fail_unless (wait_for_pin (host));
  Pipeline viewer (viewer_description (server.ws_url (), host.pin, "decode=false",
                                       "identity name=tap ! matroskamux ! fakesink"));
  count_at (viewer, "tap", frames);
  viewer.play ();
  fail_unless (wait_until ([&] { return frames.buffers >= 60 || !viewer.error.empty (); },
                           kTimeoutMs, &host, &viewer),
               "only %d frames (%s)", (int) frames.buffers, viewer.error.c_str ());
  fail_unless (viewer.error.empty (), "%s", viewer.error.c_str ());
  fail_unless (frames.caps_string ().find ("video/x-vp8") == 0, "caps %s",
               frames.caps_string ().c_str ());
  GstElement *src = viewer.get ("viewer");
  fail_unless (src->numsrcpads == 2, "%d pads", src->numsrcpads);
}
GST_END_TEST;

/* A host with sound only (no video pad), from raw audio and from Opus. */
static const char *audio_only_hosts[] = {
  "audiotestsrc is-live=true freq=440 volume=0.5 ! gvwebrtcsink name=host",
  "audiotestsrc is-live=true freq=440 volume=0.5 ! opusenc ! gvwebrtcsink name=host",
};

GST_START_TEST (test_audio_only_host)
{
  Listener ear;
  TestServer server;
  Pipeline host (std::string (audio_only_hosts[__i__]) +
                 " ice-loopback=true signaller::server=" + server.ws_url ());
  host.play ();
  fail_unless (wait_for_pin (host), "no PIN: %s", host.error.c_str ());
  Pipeline viewer (receiver (server.ws_url (), host.pin, "viewer.audio_0 ! ") + kHeard +
                   " ! fakesink sync=false");
  listen_at (viewer, "ear", ear);
  viewer.play ();
  fail_unless (wait_until ([&] { return ear.seconds () >= 1.5 || !viewer.error.empty (); },
                           kTimeoutMs, &host, &viewer),
               "%s: only %.2f s of sound (%s)", audio_only_hosts[__i__], ear.seconds (),
               viewer.error.c_str ());
  fail_unless (fabs (ear.pitch_hz () - 440) < 25, "pitch %.1f Hz", ear.pitch_hz ());
  fail_unless (host.error.empty (), "%s", host.error.c_str ());
}
GST_END_TEST;

static Suite *webrtc_audio_suite (void)
{
  Suite *s = suite_create ("webrtc-audio");
  TCase *tc = tcase_create ("audio");
  tcase_set_timeout (tc, 60);
  tcase_add_test (tc, test_video_and_audio_arrive);
  tcase_add_test (tc, test_record_video_and_audio);
  tcase_add_test (tc, test_video_only_receiver_of_audio_host);
  tcase_add_loop_test (tc, test_audio_only_host, 0, G_N_ELEMENTS (audio_only_hosts));
  suite_add_tcase (s, tc);
  return s;
}

GST_CHECK_MAIN (webrtc_audio);
