/* Sound through gvwebrtcsink's audio_%u pad and out of gvwebrtcsrc's
 * audio_%u pad, paired in one process: the tone a host sends is the tone the
 * receiver hears, beside the video; decode=false records both tracks into
 * one Matroska file, finalised when the host ends the session, that plays; a
 * receiver written for video only keeps its video; a host with sound only
 * works, from raw audio or from Opus. */
#include "direct_harness.h"

#include <gst/check/gstcheck.h>

#include <atomic>
#include <cmath>
#include <memory>
#include <mutex>
#include <string>

using namespace gvtest;

static const int kTimeoutMs = 15000;

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

static const char *kToneInto = "audiotestsrc is-live=true freq=440 volume=0.5 ! host.audio_0";
static const char *kHeard =
    "audioconvert ! audio/x-raw,format=S16LE,channels=1 ! identity name=ear";

/* Two receivers of a host with sound, side by side: one shows the video
 * and plays the host's 440 Hz tone; the other, written for video only (its
 * audio pad stays unlinked), keeps getting video. The host counts what it
 * sent. */
GST_START_TEST (test_video_and_audio_arrive)
{
  BufferCounter frames, video_only_frames;
  Listener ear;
  SinkLog log;
  DirectRoom room;
  DirectHost host (room, video_host ("", kToneInto));
  log.attach (host.sink ());
  DirectViewer viewer (room,
                       direct_viewer ("viewer.video_0 ! identity name=tap ! fakesink "
                                      "sync=false viewer.audio_0 ! " +
                                          std::string (kHeard) + " ! fakesink sync=false",
                                      ""),
                       "both");
  DirectViewer video_only (
      room, direct_viewer ("decode=false", "identity name=tap ! matroskamux ! fakesink"),
      "video-only");
  count_at (viewer, "tap", frames);
  count_at (video_only, "tap", video_only_frames);
  listen_at (viewer, "ear", ear);
  /* no-more-pads comes once both streams have their pad. */
  std::atomic<int> pads_when_done{ -1 };
  g_signal_connect (viewer.src (), "no-more-pads", G_CALLBACK (+[] (GstElement *e, gpointer user) {
                      *static_cast<std::atomic<int> *> (user) = e->numsrcpads;
                    }),
                    &pads_when_done);
  host.play ();
  viewer.play ();
  video_only.play ();
  fail_unless (wait_until (
                   [&] {
                     return (frames.buffers >= 15 && ear.seconds () >= 1.5 &&
                             video_only_frames.buffers >= 60) ||
                            !viewer.error.empty () || !video_only.error.empty ();
                   },
                   kTimeoutMs, &host, &viewer, &video_only),
               "only %d frames and %.2f s of sound, %d frames video only (%s / %s)",
               (int) frames.buffers, ear.seconds (), (int) video_only_frames.buffers,
               viewer.error.c_str (), video_only.error.c_str ());
  fail_unless (viewer.error.empty (), "%s", viewer.error.c_str ());
  fail_unless (pads_when_done == 2, "no-more-pads with %d pads", (int) pads_when_done);
  fail_unless (frames.caps_string ().find ("video/x-raw") == 0, "video caps %s",
               frames.caps_string ().c_str ());
  /* Opus at 48 kHz keeps the tone: loud enough and at its pitch. */
  fail_unless (ear.rate == 48000, "rate %d", ear.rate);
  fail_unless (ear.rms () > 0.1, "too quiet: RMS %.3f", ear.rms ());
  fail_unless (fabs (ear.pitch_hz () - 440) < 25, "pitch %.1f Hz, not 440", ear.pitch_hz ());

  fail_unless (video_only.error.empty (), "%s", video_only.error.c_str ());
  fail_unless (video_only_frames.caps_string ().find ("video/x-vp8") == 0, "caps %s",
               video_only_frames.caps_string ().c_str ());
  fail_unless (video_only.src ()->numsrcpads == 2, "%d pads", video_only.src ()->numsrcpads);

  GstStructure *v = viewer_stats (host.sink (), log.peer ("both"));
  fail_unless (v != nullptr, "no viewer in the stats");
  guint64 audio_packets = 0, frames_sent = 0;
  gst_structure_get_uint64 (v, "audio-packets-sent", &audio_packets);
  gst_structure_get_uint64 (v, "frames-sent", &frames_sent);
  gst_structure_free (v);
  fail_unless (audio_packets >= 50, "audio-packets-sent %" G_GUINT64_FORMAT, audio_packets);
  fail_unless (frames_sent >= 15, "frames-sent %" G_GUINT64_FORMAT, frames_sent);
}
GST_END_TEST;

/* decode=false: VP8 and Opus go into one Matroska file, which is finalised
 * when the host ends the session, and plays back with both tracks. */
GST_START_TEST (test_record_video_and_audio)
{
  BufferCounter frames, packets, file_frames;
  Listener file_ear;
  TempFile file ("gvwebrtc-direct-av-XXXXXX.mkv");
  {
    DirectRoom room;
    DirectHost host (room, video_host ("", kToneInto));
    DirectViewer viewer (room, direct_viewer ("decode=false viewer.video_0 ! identity name=vtap ! "
                                              "queue ! mux.video_0 viewer.audio_0 ! identity "
                                              "name=atap ! queue ! mux.audio_0 matroskamux "
                                              "name=mux ! filesink location=" +
                                                  file.path,
                                              ""));
    count_at (viewer, "vtap", frames);
    count_at (viewer, "atap", packets);
    host.play ();
    viewer.play ();
    fail_unless (wait_until (
                     [&] {
                       return (frames.buffers >= 30 && packets.buffers >= 100) ||
                              !viewer.error.empty ();
                     },
                     kTimeoutMs, &host, &viewer),
                 "only %d frames, %d audio packets (%s)", (int) frames.buffers,
                 (int) packets.buffers, viewer.error.c_str ());
    fail_unless (packets.caps_string ().find ("audio/x-opus") == 0, "audio caps %s",
                 packets.caps_string ().c_str ());

    /* The host stops: the session ends, the receiver's pads get EOS, the
     * file is finalised. */
    fail_unless (gst_element_send_event (host.pipeline, gst_event_new_eos ()));
    fail_unless (wait_until ([&] { return host.eos && viewer.eos; }, 10000, &host, &viewer),
                 "host EOS %d, recording EOS %d", host.eos, viewer.eos);
    fail_unless (viewer.error.empty (), "%s", viewer.error.c_str ());
  }

  Pipeline check ("filesrc location=" + file.path +
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
}
GST_END_TEST;

/* A host with sound only (no video pad), from raw audio and from Opus: two
 * rooms side by side, a receiver in each hears the tone. */
static const char *audio_only_hosts[] = {
  "audiotestsrc is-live=true freq=440 volume=0.5 ! gvwebrtcsink name=host ice-loopback=true",
  "audiotestsrc is-live=true freq=440 volume=0.5 ! opusenc ! gvwebrtcsink name=host "
  "ice-loopback=true",
};

GST_START_TEST (test_audio_only_hosts)
{
  const size_t n = G_N_ELEMENTS (audio_only_hosts);
  Listener ears[n];
  DirectRoom rooms[n];
  std::unique_ptr<DirectHost> hosts[n];
  std::unique_ptr<DirectViewer> viewers[n];
  for (size_t i = 0; i < n; i++) {
    hosts[i].reset (new DirectHost (rooms[i], audio_only_hosts[i]));
    viewers[i].reset (new DirectViewer (
        rooms[i],
        direct_viewer (std::string ("viewer.audio_0 ! ") + kHeard + " ! fakesink sync=false", "")));
    listen_at (*viewers[i], "ear", ears[i]);
    hosts[i]->play ();
    viewers[i]->play ();
  }
  fail_unless (wait_until (
                   [&] {
                     for (size_t i = 0; i < n; i++)
                       if (ears[i].seconds () < 1.5 && viewers[i]->error.empty ())
                         return false;
                     return true;
                   },
                   kTimeoutMs, hosts[0].get (), viewers[0].get (), hosts[1].get (),
                   viewers[1].get ()),
               "only %.2f and %.2f s of sound", ears[0].seconds (), ears[1].seconds ());
  for (size_t i = 0; i < n; i++) {
    const char *what = audio_only_hosts[i];
    fail_unless (viewers[i]->error.empty (), "%s: %s", what, viewers[i]->error.c_str ());
    fail_unless (hosts[i]->error.empty (), "%s: %s", what, hosts[i]->error.c_str ());
    fail_unless (fabs (ears[i].pitch_hz () - 440) < 25, "%s: pitch %.1f Hz", what,
                 ears[i].pitch_hz ());
    fail_unless (ears[i].rms () > 0.1, "%s: too quiet: RMS %.3f", what, ears[i].rms ());
    fail_unless (viewers[i]->src ()->numsrcpads == 1, "%s: %d pads", what,
                 viewers[i]->src ()->numsrcpads);
  }
  for (size_t i = 0; i < n; i++) {
    viewers[i].reset ();
    hosts[i].reset ();
  }
}
GST_END_TEST;

static Suite *webrtc_direct_audio_suite (void)
{
  Suite *s = suite_create ("webrtc-direct-audio");
  TCase *tc = tcase_create ("audio");
  tcase_set_timeout (tc, 30);
  tcase_add_test (tc, test_video_and_audio_arrive);
  tcase_add_test (tc, test_record_video_and_audio);
  tcase_add_test (tc, test_audio_only_hosts);
  suite_add_tcase (s, tc);
  return s;
}

GST_CHECK_MAIN (webrtc_direct_audio);
