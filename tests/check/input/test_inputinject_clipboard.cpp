/* GhostView — gvinputinject's clipboard exchange under a private Xvfb, with
 * xclip as the other X client: what a viewer sends is pasted by xclip exactly
 * (text, Latin-1 STRING, PNG, INCR sizes), what xclip copies reaches the
 * element's downstream as a "gv-clipboard" event, nothing echoes back, and
 * limits are kept both ways. */
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>

#include "gv_check.h"
#include "gvclipboardevent.h"
#include "gvpadblock.h"
#include "gvxclip.h"
#include "gvxvfb.h"

#include <algorithm>
#include <mutex>
#include <string>
#include <vector>

struct ClipboardEvent {
  std::string mime, data;
  gint64 time;
};

static GstElement *pipeline, *inject, *sink;
static std::mutex events_lock;
static std::vector<ClipboardEvent> events;
static std::vector<GPid> xclips;

static GstPadProbeReturn on_sink_event (GstPad *, GstPadProbeInfo *info, gpointer)
{
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
  const gchar *mime = nullptr;
  GBytes *data = nullptr;
  if (gv_clipboard_event_is_from_host (event) &&
      gv_clipboard_event_parse (event, &mime, &data, nullptr)) {
    gsize size = 0;
    const char *bytes = (const char *) g_bytes_get_data (data, &size);
    std::lock_guard<std::mutex> guard (events_lock);
    events.push_back ({ mime, std::string (bytes, size), g_get_monotonic_time () });
  }
  return GST_PAD_PROBE_OK;
}

static void start_pipeline (const char *inject_properties)
{
  gchar *desc = g_strdup_printf (
      "videotestsrc is-live=true ! video/x-raw,width=64,height=48,framerate=30/1 ! "
      "gvinputinject name=inject backend=xtest %s ! fakesink name=sink sync=false",
      inject_properties);
  pipeline = gst_parse_launch (desc, nullptr);
  g_free (desc);
  fail_unless (pipeline != nullptr);
  inject = gst_bin_get_by_name (GST_BIN (pipeline), "inject");
  sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  GstPad *pad = gst_element_get_static_pad (sink, "sink");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, on_sink_event, nullptr, nullptr);
  gst_object_unref (pad);
  fail_unless (gst_element_set_state (pipeline, GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE);
  fail_unless (gst_element_get_state (pipeline, nullptr, nullptr, 5 * GST_SECOND) ==
               GST_STATE_CHANGE_SUCCESS);
}

/* Called at the end of each test body: gstcheck reaps streaming threads
 * before checked fixtures' teardown runs. */
static void stop_pipeline (void)
{
  if (!pipeline)
    return;
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (inject);
  gst_object_unref (sink);
  gst_object_unref (pipeline);
  pipeline = nullptr;
}

static void setup (void)
{
  std::lock_guard<std::mutex> guard (events_lock);
  events.clear ();
}

static void teardown (void)
{
  stop_pipeline ();
  gv_xclip_end (&xclips);
}

/* ---- the other X client: xclip (gvxclip.h), on $DISPLAY ------------------- */

static bool xclip_out (const char *target, std::string *out)
{
  return gv_xclip_out (nullptr, target, out);
}

static void xclip_in (const std::string &data, const char *target)
{
  xclips.push_back (gv_xclip_in (nullptr, data, target));
}

/* The element takes the clipboard on its own thread, a moment after the
 * event was taken: pastes until @expected comes (up to 3 s). */
static bool pasted (const std::string &expected, const char *target = "UTF8_STRING")
{
  std::string out;
  if (gv_xclip_pasted (nullptr, expected, target, 3000, &out))
    return true;
  fail_unless_equals_int (out.size (), expected.size ());
  return false;
}

static std::vector<std::string> xclip_targets (void)
{
  std::string out;
  fail_unless (xclip_out ("TARGETS", &out), "TARGETS refused");
  std::vector<std::string> names;
  gchar **lines = g_strsplit (out.c_str (), "\n", -1);
  for (gchar **l = lines; *l; l++)
    if (**l)
      names.push_back (*l);
  g_strfreev (lines);
  return names;
}

static bool has (const std::vector<std::string> &list, const char *name)
{
  return std::find (list.begin (), list.end (), name) != list.end ();
}

/* ---- the viewer's side: events and messages ------------------------------- */

static gboolean send_from_viewer (const char *mime, const std::string &data)
{
  GBytes *bytes = g_bytes_new (data.data (), data.size ());
  gboolean taken =
      gst_element_send_event (sink, gv_clipboard_event_new_from_viewer (mime, bytes, "viewer-1"));
  g_bytes_unref (bytes);
  return taken;
}

/* The next downstream gv-clipboard event, waiting up to @timeout_ms. */
static bool next_event (ClipboardEvent *out, int timeout_ms)
{
  gint64 end = g_get_monotonic_time () + timeout_ms * G_TIME_SPAN_MILLISECOND;
  std::unique_lock<std::mutex> lock (events_lock);
  while (events.empty ()) {
    lock.unlock ();
    g_usleep (2 * 1000);
    lock.lock ();
    if (g_get_monotonic_time () >= end)
      return false;
  }
  *out = events.front ();
  events.erase (events.begin ());
  return true;
}

/* The next element message named @name on the pipeline's bus. */
static GstStructure *next_message (const char *name, int timeout_ms)
{
  GstBus *bus = gst_element_get_bus (pipeline);
  GstStructure *found = nullptr;
  gint64 end = g_get_monotonic_time () + timeout_ms * G_TIME_SPAN_MILLISECOND;
  while (!found && g_get_monotonic_time () < end) {
    GstMessage *msg = gst_bus_timed_pop_filtered (bus, 50 * GST_MSECOND, GST_MESSAGE_ELEMENT);
    if (msg && gst_message_has_name (msg, name))
      found = gst_structure_copy (gst_message_get_structure (msg));
    if (msg)
      gst_message_unref (msg);
  }
  gst_object_unref (bus);
  return found;
}

static guint64 counter (const char *field)
{
  GstStructure *stats = nullptr;
  g_object_get (inject, "stats", &stats, NULL);
  guint64 value = 0;
  fail_unless (gst_structure_get_uint64 (stats, field, &value), "no %s in stats", field);
  gst_structure_free (stats);
  return value;
}

/* Waits until stats field @field reaches @value (the clipboard thread counts
 * asynchronously). */
static bool counter_reaches (const char *field, guint64 value, int timeout_ms)
{
  for (int waited = 0; waited < timeout_ms; waited += 10) {
    if (counter (field) >= value)
      return true;
    g_usleep (10 * 1000);
  }
  return counter (field) >= value;
}

/* ---- content -------------------------------------------------------------- */

static const char *const UNICODE_TEXT = "Grüße aus Köln — 世界 ✓\n\tzweite Zeile 🙂";

/* ---- viewer -> host ------------------------------------------------------- */

GST_START_TEST (test_viewer_text_is_pasted_exactly)
{
  start_pipeline ("");
  fail_unless (send_from_viewer (GV_CLIPBOARD_MIME_TEXT, UNICODE_TEXT));
  fail_unless (pasted (UNICODE_TEXT));
  std::string out;
  for (const char *target : { "TEXT", "text/plain;charset=utf-8", "text/plain" }) {
    fail_unless (xclip_out (target, &out), "target %s refused", target);
    GV_ASSERT_STR_EQ (out, UNICODE_TEXT);
  }
  /* Latin-1 cannot hold this text: STRING is refused and not offered */
  fail_if (xclip_out ("STRING", &out), "STRING served for non-Latin-1 text");
  std::vector<std::string> targets = xclip_targets ();
  for (const char *t : { "TARGETS", "TIMESTAMP", "UTF8_STRING", "TEXT", "text/plain" })
    fail_unless (has (targets, t), "TARGETS lacks %s", t);
  fail_if (has (targets, "STRING"));
  fail_if (has (targets, "image/png"));
  fail_unless (xclip_out ("TIMESTAMP", &out));
  fail_unless (g_ascii_strtoull (out.c_str (), nullptr, 10) > 0, "TIMESTAMP '%s'", out.c_str ());
  fail_unless_equals_int (counter ("clipboard-from-viewers"), 1);

  /* text that Latin-1 can hold is also served as STRING, in Latin-1 */
  fail_unless (send_from_viewer (GV_CLIPBOARD_MIME_TEXT, "Grüße"));
  fail_unless (pasted ("Gr\xfc\xdf"
                       "e",
                       "STRING"));
  fail_unless (has (xclip_targets (), "STRING"));
  fail_unless (xclip_out ("UTF8_STRING", &out));
  GV_ASSERT_STR_EQ (out, "Grüße");
  stop_pipeline ();
}
GST_END_TEST;

GST_START_TEST (test_viewer_png_is_pasted_exactly)
{
  start_pipeline ("");
  std::string png = gv_make_png (32, 24, false);
  fail_unless (send_from_viewer (GV_CLIPBOARD_MIME_PNG, png));
  fail_unless (pasted (png, "image/png"));
  std::string out;
  std::vector<std::string> targets = xclip_targets ();
  fail_unless (has (targets, "image/png"));
  fail_if (has (targets, "UTF8_STRING"));
  fail_if (xclip_out ("UTF8_STRING", &out), "a PNG served as text");

  /* an incompressible one, larger than one property change: INCR */
  std::string big = gv_make_png (320, 320, true);
  fail_unless (big.size () > 256 * 1024);
  fail_unless (send_from_viewer (GV_CLIPBOARD_MIME_PNG, big));
  fail_unless (pasted (big, "image/png"));
  stop_pipeline ();
}
GST_END_TEST;

GST_START_TEST (test_viewer_large_text_goes_by_incr)
{
  start_pipeline ("");
  std::string text = gv_big_text (3 * 1024 * 1024);
  gint64 t0 = g_get_monotonic_time ();
  fail_unless (send_from_viewer (GV_CLIPBOARD_MIME_TEXT, text));
  fail_unless (pasted (text));
  printf ("3 MiB from a viewer pasted by xclip after %" G_GINT64_FORMAT " ms\n",
          (g_get_monotonic_time () - t0) / 1000);
  stop_pipeline ();
}
GST_END_TEST;

/* ---- host -> viewers ------------------------------------------------------- */

GST_START_TEST (test_host_copy_reaches_downstream)
{
  start_pipeline ("");
  ClipboardEvent ev;
  xclip_in (UNICODE_TEXT, "UTF8_STRING");
  fail_unless (next_event (&ev, 3000), "no downstream event for a host text copy");
  GV_ASSERT_STR_EQ (ev.mime, GV_CLIPBOARD_MIME_TEXT);
  GV_ASSERT_STR_EQ (ev.data, UNICODE_TEXT);
  GstStructure *msg = next_message ("gvinputinject-clipboard", 2000);
  fail_unless (msg != nullptr, "no gvinputinject-clipboard message");
  GV_ASSERT_STR_EQ (gst_structure_get_string (msg, "mime"), GV_CLIPBOARD_MIME_TEXT);
  guint64 size = 0;
  fail_unless (gst_structure_get_uint64 (msg, "size", &size));
  fail_unless_equals_int (size, strlen (UNICODE_TEXT));
  gst_structure_free (msg);

  std::string png = gv_make_png (40, 30, false);
  xclip_in (png, "image/png");
  fail_unless (next_event (&ev, 3000), "no downstream event for a host PNG copy");
  GV_ASSERT_STR_EQ (ev.mime, GV_CLIPBOARD_MIME_PNG);
  fail_unless (ev.data == png);

  /* xclip sends 3 MiB by INCR */
  std::string text = gv_big_text (3 * 1024 * 1024);
  xclip_in (text, "UTF8_STRING");
  fail_unless (next_event (&ev, 8000), "no downstream event for a 3 MiB host copy");
  fail_unless_equals_int (ev.data.size (), text.size ());
  fail_unless (ev.data == text);
  fail_unless_equals_int (counter ("clipboard-to-viewers"), 3);
  fail_unless_equals_int (counter ("clipboard-refused-from-host"), 0);
  stop_pipeline ();
}
GST_END_TEST;

/* Frames into the queue after a host copy went in (counted from then). */
static GstPadProbeReturn count_frames_after_copy (GstPad *, GstPadProbeInfo *info, gpointer data)
{
  auto *frames = static_cast<gint *> (data);
  if (GST_PAD_PROBE_INFO_TYPE (info) & GST_PAD_PROBE_TYPE_BUFFER) {
    if (g_atomic_int_get (frames) >= 0)
      g_atomic_int_inc (frames);
  } else if (gv_clipboard_event_is_from_host (GST_PAD_PROBE_INFO_EVENT (info))) {
    g_atomic_int_set (frames, 0);
  }
  return GST_PAD_PROBE_OK;
}

/* The host's launch line has a leaky queue before the encoders, which
 * fills while they are busy and drops what it leaks: a copy made then
 * still reaches the viewers, with the next frame that gets through. */
GST_START_TEST (test_host_copy_survives_a_leaky_queue)
{
  start_pipeline ("! queue name=leaky max-size-buffers=1 leaky=downstream");
  GstElement *queue = gst_bin_get_by_name (GST_BIN (pipeline), "leaky");
  GstPad *queue_src = gst_element_get_static_pad (queue, "src");
  GstPad *queue_sink = gst_element_get_static_pad (queue, "sink");
  gint frames = -1;
  gst_pad_add_probe (
      queue_sink,
      (GstPadProbeType) (GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM),
      count_frames_after_copy, &frames, nullptr);
  /* A frame is held there, so whatever comes next waits in the queue. */
  gulong block = gv_pad_block_held (queue_src);
  fail_unless (block != 0, "nothing came to the blocked pad");
  xclip_in (UNICODE_TEXT, "UTF8_STRING");
  /* Three frames after it into a queue that holds one: it was leaked. */
  gint64 deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
  while (g_atomic_int_get (&frames) < 3 && g_get_monotonic_time () < deadline)
    g_usleep (20 * 1000);
  fail_unless (g_atomic_int_get (&frames) >= 3, "the copy never went into the queue");
  gst_pad_remove_probe (queue_src, block);
  ClipboardEvent ev;
  fail_unless (next_event (&ev, 3000), "the host's copy was lost in the leaky queue");
  GV_ASSERT_STR_EQ (ev.data, UNICODE_TEXT);
  gst_object_unref (queue_sink);
  gst_object_unref (queue_src);
  gst_object_unref (queue);
  stop_pipeline ();
}
GST_END_TEST;

GST_START_TEST (test_no_echo_to_viewers)
{
  start_pipeline ("");
  fail_unless (send_from_viewer (GV_CLIPBOARD_MIME_TEXT, UNICODE_TEXT));
  fail_unless (pasted (UNICODE_TEXT)); /* it is on the host's clipboard */
  ClipboardEvent ev;
  fail_if (next_event (&ev, 500), "a viewer's own paste came back downstream");

  /* another client takes it over with the same content (as a clipboard
   * manager would) right away: still not sent back */
  xclip_in (UNICODE_TEXT, "UTF8_STRING");
  fail_unless (counter_reaches ("clipboard-suppressed", 1, 3000));
  fail_if (next_event (&ev, 300), "the echo went downstream");

  /* a real host copy still goes */
  xclip_in ("something new", "UTF8_STRING");
  fail_unless (next_event (&ev, 3000));
  GV_ASSERT_STR_EQ (ev.data, "something new");
  stop_pipeline ();
}
GST_END_TEST;

/* ---- limits ------------------------------------------------------------- */

GST_START_TEST (test_limits_both_ways)
{
  start_pipeline ("clipboard-max-bytes=1000");
  std::string out;

  /* from a viewer: too large, invalid UTF-8, not a PNG */
  fail_if (send_from_viewer (GV_CLIPBOARD_MIME_TEXT, std::string (1001, 'a')));
  GstStructure *msg = next_message ("gvinputinject-clipboard-refused", 2000);
  fail_unless (msg != nullptr);
  GV_ASSERT_STR_EQ (gst_structure_get_string (msg, "reason"), "too-large");
  GV_ASSERT_STR_EQ (gst_structure_get_string (msg, "peer"), "viewer-1");
  gst_structure_free (msg);
  fail_if (xclip_out ("UTF8_STRING", &out), "refused text reached the clipboard");

  fail_if (send_from_viewer (GV_CLIPBOARD_MIME_TEXT, std::string ("ab\xff\xfe", 4)));
  msg = next_message ("gvinputinject-clipboard-refused", 2000);
  fail_unless (msg != nullptr);
  GV_ASSERT_STR_EQ (gst_structure_get_string (msg, "reason"), "invalid-utf8");
  gst_structure_free (msg);
  fail_if (send_from_viewer (GV_CLIPBOARD_MIME_PNG, "GIF89a, not a PNG"));
  fail_if (send_from_viewer ("text/html", "<b>x</b>"));
  fail_unless_equals_int (counter ("clipboard-refused-from-viewers"), 4);
  fail_unless_equals_int (counter ("clipboard-from-viewers"), 0);

  /* from the host: in one property, then by INCR */
  ClipboardEvent ev;
  xclip_in (std::string (2000, 'b'), "UTF8_STRING");
  fail_unless (counter_reaches ("clipboard-refused-from-host", 1, 3000));
  xclip_in (gv_big_text (3 * 1024 * 1024), "UTF8_STRING");
  fail_unless (counter_reaches ("clipboard-refused-from-host", 2, 5000));
  fail_if (next_event (&ev, 200), "over-limit host content went downstream");

  /* what fits still goes both ways */
  xclip_in (std::string (1000, 'c'), "UTF8_STRING");
  fail_unless (next_event (&ev, 3000));
  fail_unless_equals_int (ev.data.size (), 1000);
  fail_unless (send_from_viewer (GV_CLIPBOARD_MIME_TEXT, std::string (1000, 'd')));
  fail_unless (pasted (std::string (1000, 'd')));
  stop_pipeline ();
}
GST_END_TEST;

GST_START_TEST (test_other_backends_and_malformed_events_refused)
{
  pipeline = gst_parse_launch ("videotestsrc is-live=true ! gvinputinject name=inject "
                               "backend=record ! fakesink name=sink sync=false",
                               nullptr);
  inject = gst_bin_get_by_name (GST_BIN (pipeline), "inject");
  sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  fail_unless (gst_element_set_state (pipeline, GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE);
  fail_unless (gst_element_get_state (pipeline, nullptr, nullptr, 5 * GST_SECOND) ==
               GST_STATE_CHANGE_SUCCESS);
  fail_if (send_from_viewer (GV_CLIPBOARD_MIME_TEXT, "hello"));
  GstStructure *msg = next_message ("gvinputinject-clipboard-refused", 2000);
  fail_unless (msg != nullptr);
  GV_ASSERT_STR_EQ (gst_structure_get_string (msg, "reason"), "unavailable");
  gst_structure_free (msg);

  /* data that is not GBytes: refused before anything else, no crash */
  GstStructure *bad =
      gst_structure_new (GV_CLIPBOARD_EVENT_NAME, "mime", G_TYPE_STRING, GV_CLIPBOARD_MIME_TEXT,
                         "data", G_TYPE_STRING, "hello", NULL);
  fail_if (gst_element_send_event (sink, gst_event_new_custom (GST_EVENT_CUSTOM_UPSTREAM, bad)));
  msg = next_message ("gvinputinject-clipboard-refused", 2000);
  fail_unless (msg != nullptr);
  GV_ASSERT_STR_EQ (gst_structure_get_string (msg, "reason"), "malformed");
  gst_structure_free (msg);
  fail_unless_equals_int (counter ("clipboard-refused-from-viewers"), 2);
  stop_pipeline ();
}
GST_END_TEST;

/* ---- latency (a figure, not a benchmark: no threshold) --------------------- */

GST_START_TEST (test_host_copy_latency)
{
  start_pipeline ("");
  std::vector<gint64> us;
  for (int i = 0; i < 20; i++) {
    std::string text = "copy number " + std::to_string (i) + " ✓";
    /* a copy lands anywhere between two frames, not right after one */
    g_usleep (g_random_int_range (0, 34) * 1000);
    gint64 t0 = g_get_monotonic_time ();
    xclip_in (text, "UTF8_STRING");
    ClipboardEvent ev;
    fail_unless (next_event (&ev, 3000), "copy %d lost", i);
    GV_ASSERT_STR_EQ (ev.data, text);
    us.push_back (ev.time - t0);
  }
  std::sort (us.begin (), us.end ());
  printf ("host copy (xclip started) -> downstream event, 20 copies at 30 fps: "
          "p50 %.1f ms, p95 %.1f ms, max %.1f ms\n",
          us[us.size () / 2] / 1000.0, us[us.size () * 95 / 100] / 1000.0, us.back () / 1000.0);
  stop_pipeline ();
}
GST_END_TEST;

static Suite *clipboard_suite (void)
{
  Suite *s = suite_create ("gvinputinject-clipboard");
  TCase *tc = tcase_create ("clipboard");
  suite_add_tcase (s, tc);
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_add_test (tc, test_viewer_text_is_pasted_exactly);
  tcase_add_test (tc, test_viewer_png_is_pasted_exactly);
  tcase_add_test (tc, test_viewer_large_text_goes_by_incr);
  tcase_add_test (tc, test_host_copy_reaches_downstream);
  tcase_add_test (tc, test_host_copy_survives_a_leaky_queue);
  tcase_add_test (tc, test_no_echo_to_viewers);
  tcase_add_test (tc, test_limits_both_ways);
  tcase_add_test (tc, test_other_backends_and_malformed_events_refused);
  tcase_add_test (tc, test_host_copy_latency);
  return s;
}

int main (int argc, char **argv)
{
  gv_xclip_require ();
  gv_xvfb_start ();
  gst_check_init (&argc, &argv);
  return gst_check_run_suite (clipboard_suite (), "gvinputinject-clipboard", __FILE__);
}
