/* A native receiver's clipboard, end to end, with real components on two
 * private X servers: a host (videotestsrc ! gvinputinject backend=xtest on
 * display A ! gvwebrtcsink) and a receiver (gvwebrtcsrc ! gvclipboard on
 * display B ! fakesink), paired in one process by GvDirectSignaller (real
 * webrtcbins, ICE and DTLS on loopback, the assistance data channel), with
 * xclip as the application on each display. Text and PNGs copied on either
 * side are pasted on the other, byte for byte; nothing echoes back (the
 * counters stay where the copies put them); without the `clipboard`
 * capability nothing crosses either way; with no X display the receiver
 * still shows the video; enabled=false leaves the clipboard alone. */
#include "direct_harness.h"

#include "gvclipboardevent.h"
#include "gvxclip.h"
#include "gvxvfb.h"

#include <gst/check/gstcheck.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

using namespace gvtest;

static const char *display_a; /* the host's */
static const char *display_b; /* the receiver's */
static const int kTimeoutMs = 20000;

namespace {

guint64 stat (GstElement *element, const char *field)
{
  GstStructure *stats = nullptr;
  g_object_get (element, "stats", &stats, nullptr);
  guint64 value = 0;
  fail_unless (stats && gst_structure_get_uint64 (stats, field, &value), "no %s in stats", field);
  gst_structure_free (stats);
  return value;
}

struct Session {
  DirectRoom room;
  SinkLog log;
  BufferCounter frames; /* at the receiver, after gvclipboard */
  std::unique_ptr<DirectHost> host;
  std::unique_ptr<DirectViewer> viewer;
  std::vector<GPid> xclips;

  /* @allow: the capabilities the host gives; @clip: gvclipboard's properties
   * (without display=, it has none: $DISPLAY is unset in this program). */
  Session (const std::string &allow, const std::string &clip)
  {
    host.reset (new DirectHost (
        room, std::string (kSmallVideo) + " ! gvinputinject name=inject backend=xtest display=" +
                  display_a + " ! gvwebrtcsink name=host ice-loopback=true allow=" + allow));
    log.attach (host->sink ());
    host->play ();
    viewer.reset (
        new DirectViewer (room,
                          direct_viewer ("", "gvclipboard name=clip " + clip +
                                                 " ! identity name=tap ! fakesink sync=false"),
                          "bob"));
    count_at (*viewer, "tap", frames);
    viewer->play ();
    fail_unless (wait ([&] { return !log.peer ("bob").empty () && frames.buffers > 5; }),
                 "no video at the receiver (%s)", viewer->error.c_str ());
    /* The assistance channel is open once send-chat takes a line (the
     * host, not granting chat, refuses it); the host's end opens with it. */
    fail_unless (wait ([&] {
      gboolean sent = FALSE;
      g_signal_emit_by_name (viewer->get ("viewer"), "send-chat", "hello", &sent);
      return sent == TRUE;
    }));
    wait ([] { return false; }, 300);
  }
  ~Session ()
  {
    viewer.reset ();
    host.reset ();
    gv_xclip_end (&xclips);
  }
  template <typename Cond> bool wait (Cond cond, int ms = kTimeoutMs)
  {
    return wait_until (cond, ms, host.get (), viewer.get ());
  }
  GstElement *inject () { return host->get ("inject"); }
  GstElement *clip () { return viewer->get ("clip"); }
  void copy (const char *display, const std::string &data, const char *target)
  {
    xclips.push_back (gv_xclip_in (display, data, target));
  }
  /* Pastes on @display until it is @expected, pumping both buses. */
  bool pasted (const char *display, const std::string &expected, const char *target, int ms = 10000)
  {
    std::string out;
    return wait ([&] { return gv_xclip_out (display, target, &out) && out == expected; }, ms);
  }
};

const char *const HOST_TEXT = "copied on the host: Grüße ✓";
const char *const RECEIVER_TEXT = "copied on the receiver: 世界 🙂\n\tsecond line";

} // namespace

GST_START_TEST (test_text_and_png_both_ways_without_echo)
{
  Session s ("view+clipboard", std::string ("display=") + display_b);
  fail_unless_equals_int (s.viewer->warnings, 0);

  /* host -> receiver: text */
  s.copy (display_a, HOST_TEXT, "UTF8_STRING");
  fail_unless (s.pasted (display_b, HOST_TEXT, "UTF8_STRING"), "host text not on B");
  std::string out;
  fail_unless (gv_xclip_out (display_b, "text/plain;charset=utf-8", &out));
  fail_unless_equals_string (out.c_str (), HOST_TEXT);

  /* receiver -> host: text */
  s.copy (display_b, RECEIVER_TEXT, "UTF8_STRING");
  fail_unless (s.pasted (display_a, RECEIVER_TEXT, "UTF8_STRING"), "receiver text not on A");

  /* host -> receiver: a PNG larger than one property change (INCR on both
   * displays, many pieces on the data channel) */
  std::string big_png = gv_make_png (320, 320, true);
  fail_unless (big_png.size () > 256 * 1024);
  s.copy (display_a, big_png, "image/png");
  fail_unless (s.pasted (display_b, big_png, "image/png"), "host PNG not on B");

  /* receiver -> host: a PNG */
  std::string png = gv_make_png (48, 32, false);
  s.copy (display_b, png, "image/png");
  fail_unless (s.pasted (display_a, png, "image/png"), "receiver PNG not on A");

  /* No echo loop: each copy crossed once and nothing came back, also after
   * the 2 s in which a loop would have shown. */
  s.wait ([] { return false; }, 2500);
  fail_unless_equals_int (stat (s.inject (), "clipboard-to-viewers"), 2);
  fail_unless_equals_int (stat (s.inject (), "clipboard-from-viewers"), 2);
  fail_unless_equals_int (stat (s.clip (), "received"), 2);
  fail_unless_equals_int (stat (s.clip (), "sent"), 2);
  fail_unless_equals_int (stat (s.clip (), "refused-local"), 0);
  fail_unless (gv_xclip_out (display_a, "image/png", &out) && out == png);
  fail_unless (gv_xclip_out (display_b, "image/png", &out) && out == png);

  /* another client on B takes over what the host just sent, unchanged (a
   * clipboard manager would): not sent back */
  const std::string again = "the host again";
  s.copy (display_a, again, "UTF8_STRING");
  fail_unless (s.pasted (display_b, again, "UTF8_STRING"));
  s.copy (display_b, again, "UTF8_STRING");
  fail_unless (s.wait ([&] { return stat (s.clip (), "suppressed") == 1; }, 3000),
               "B's copy of the host's content was not recognised");
  s.wait ([] { return false; }, 1000);
  fail_unless_equals_int (stat (s.clip (), "sent"), 2);
  fail_unless_equals_int (stat (s.inject (), "clipboard-from-viewers"), 2);
  fail_unless_equals_int (stat (s.inject (), "clipboard-to-viewers"), 3);
  fail_unless (s.frames.buffers > 30, "the video stopped");
}
GST_END_TEST;

GST_START_TEST (test_nothing_crosses_without_the_capability)
{
  Session s ("view", std::string ("display=") + display_b);
  std::string out;
  /* the host's copy goes down its pipeline, gvwebrtcsink sends it to nobody */
  s.copy (display_a, HOST_TEXT, "UTF8_STRING");
  fail_unless (s.wait ([&] { return stat (s.inject (), "clipboard-to-viewers") == 1; }));
  s.wait ([] { return false; }, 1500);
  fail_if (gv_xclip_out (display_b, "UTF8_STRING", &out) && out == HOST_TEXT,
           "the host's copy is on B's clipboard");
  fail_unless_equals_int (stat (s.clip (), "received"), 0);
  /* the receiver's copy is refused by gvwebrtcsrc: counted as not sent */
  s.copy (display_b, RECEIVER_TEXT, "UTF8_STRING");
  fail_unless (s.wait ([&] { return stat (s.clip (), "refused-local") == 1; }));
  s.wait ([] { return false; }, 1500);
  fail_unless (gv_xclip_out (display_a, "UTF8_STRING", &out));
  fail_unless_equals_string (out.c_str (), HOST_TEXT); /* A's own, not the receiver's */
  fail_unless_equals_int (stat (s.clip (), "sent"), 0);
  fail_unless_equals_int (stat (s.inject (), "clipboard-from-viewers"), 0);
}
GST_END_TEST;

GST_START_TEST (test_no_display_passes_video_through)
{
  /* no display property, no $DISPLAY: a warning, and the video still flows */
  Session s ("view+clipboard", "");
  fail_unless (s.viewer->warnings >= 1);
  fail_unless (s.viewer->warning.find ("Clipboard sharing is off") != std::string::npos,
               "warning: %s", s.viewer->warning.c_str ());
  GstStructure *stats = nullptr;
  g_object_get (s.clip (), "stats", &stats, nullptr);
  gboolean active = TRUE;
  fail_unless (gst_structure_get_boolean (stats, "active", &active));
  fail_if (active);
  gst_structure_free (stats);
  /* what the host copies is refused ("unavailable"), the video goes on */
  s.copy (display_a, HOST_TEXT, "UTF8_STRING");
  fail_unless (s.wait ([&] { return stat (s.clip (), "refused-received") == 1; }));
  int before = s.frames.buffers;
  fail_unless (s.wait ([&] { return s.frames.buffers > before + 10; }));
  fail_unless (s.viewer->error.empty (), "error: %s", s.viewer->error.c_str ());
}
GST_END_TEST;

GST_START_TEST (test_disabled_leaves_the_clipboard_alone)
{
  Session s ("view+clipboard", std::string ("display=") + display_b + " enabled=false");
  fail_unless_equals_int (s.viewer->warnings, 0);
  /* the host's copy passes gvclipboard as an event, B's clipboard untouched */
  int events = 0;
  GstPad *pad = gst_element_get_static_pad (s.viewer->get ("tap"), "sink");
  gulong probe = gst_pad_add_probe (
      pad, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
      +[] (GstPad *, GstPadProbeInfo *info, gpointer d) -> GstPadProbeReturn {
        if (gv_clipboard_event_is (GST_PAD_PROBE_INFO_EVENT (info)))
          g_atomic_int_inc (static_cast<int *> (d));
        return GST_PAD_PROBE_OK;
      },
      &events, nullptr);
  s.copy (display_a, HOST_TEXT, "UTF8_STRING");
  fail_unless (s.wait ([&] { return g_atomic_int_get (&events) == 1; }),
               "the host's clipboard event did not pass through");
  std::string out;
  fail_if (gv_xclip_out (display_b, "UTF8_STRING", &out) && out == HOST_TEXT,
           "the host's copy is on B's clipboard");
  /* B's copies are not watched */
  s.copy (display_b, RECEIVER_TEXT, "UTF8_STRING");
  s.wait ([] { return false; }, 1500);
  fail_unless (gv_xclip_out (display_a, "UTF8_STRING", &out));
  fail_unless_equals_string (out.c_str (), HOST_TEXT);
  fail_unless_equals_int (stat (s.clip (), "received"), 0);
  fail_unless_equals_int (stat (s.clip (), "sent"), 0);
  gst_pad_remove_probe (pad, probe);
  gst_object_unref (pad);
}
GST_END_TEST;

/* A figure, not a benchmark (no threshold): from starting xclip on one
 * display to the first successful paste on the other, each way. */
GST_START_TEST (test_latency_figure)
{
  Session s ("view+clipboard", std::string ("display=") + display_b);
  for (bool to_receiver : { true, false }) {
    std::vector<gint64> us;
    for (int i = 0; i < 10; i++) {
      std::string text =
          std::string (to_receiver ? "host" : "receiver") + " copy " + std::to_string (i) + " ✓";
      gint64 t0 = g_get_monotonic_time ();
      s.copy (to_receiver ? display_a : display_b, text, "UTF8_STRING");
      fail_unless (s.pasted (to_receiver ? display_b : display_a, text, "UTF8_STRING"),
                   "copy %d lost", i);
      us.push_back (g_get_monotonic_time () - t0);
    }
    std::sort (us.begin (), us.end ());
    printf ("%s, 10 copies (xclip started -> pasted by xclip, 30 fps): p50 %.0f ms, "
            "max %.0f ms\n",
            to_receiver ? "host -> receiver" : "receiver -> host", us[us.size () / 2] / 1000.0,
            us.back () / 1000.0);
  }
}
GST_END_TEST;

static Suite *clipboard_receiver_suite (void)
{
  Suite *s = suite_create ("gvclipboard-receiver");
  TCase *tc = tcase_create ("general");
  tcase_set_timeout (tc, 90);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_text_and_png_both_ways_without_echo);
  tcase_add_test (tc, test_nothing_crosses_without_the_capability);
  tcase_add_test (tc, test_no_display_passes_video_through);
  tcase_add_test (tc, test_disabled_leaves_the_clipboard_alone);
  tcase_add_test (tc, test_latency_figure);
  return s;
}

int main (int argc, char **argv)
{
  gv_xclip_require ();
  display_a = gv_xvfb_start_another ();
  display_b = gv_xvfb_start_another ();
  /* every X client here names its display */
  g_unsetenv ("DISPLAY");
  gst_check_init (&argc, &argv);
  return gst_check_run_suite (clipboard_receiver_suite (), "gvclipboard-receiver", __FILE__);
}
