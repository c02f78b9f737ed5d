/* The clipboard over the assistance channel, host and receiver paired in
 * one process: what a viewer with `clipboard` copies (3 MiB of text, in
 * pieces) leaves gvwebrtcsink upstream as a "gv-clipboard" event, the very
 * bytes, naming the viewer (for gvinputinject, which owns the host's
 * clipboard); what the host copied (a "gv-clipboard" event going down the
 * pipeline) reaches the viewer as gvwebrtcsrc-clipboard and as a
 * "gv-clipboard" event down its video pad (for gvclipboard), and a
 * "gv-clipboard" event sent up that pad reaches the host. Without the
 * capability a viewer's content is refused (said, counted; the upstream
 * event is refused at the viewer) and the host's is not sent to it. */
#include "direct_harness.h"

#include "../../../plugins/input/gvclipboardevent.h"
#include "capabilities.h"

#include <gst/check/gstcheck.h>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

using namespace gvtest;

static const int kTimeoutMs = 20000;

namespace {

struct Room {
  DirectRoom room;
  SinkLog log;
  std::unique_ptr<DirectHost> host;
  std::unique_ptr<DirectViewer> viewer;
  std::mutex lock;
  std::vector<std::string> upstream;      /* gv-clipboard events that left the sink: data */
  std::vector<std::string> upstream_peer; /* and who sent them */
  std::vector<std::string> at_viewer;     /* gvwebrtcsrc-clipboard: data */
  std::vector<std::string> down_viewer;   /* gv-clipboard events down the video pad: data */
  int refused = 0;                        /* gvwebrtcsrc-refused, what=clipboard */

  explicit Room (const std::string &allow)
  {
    host.reset (new DirectHost (room, video_host ("allow=" + allow)));
    log.attach (host->sink ());
    GstElement *up = gst_bin_get_by_name (GST_BIN (host->pipeline), "host");
    GstPad *sinkpad = gst_element_get_static_pad (up, "video_0");
    if (!sinkpad) {
      GstIterator *it = gst_element_iterate_sink_pads (up);
      GValue v = G_VALUE_INIT;
      if (gst_iterator_next (it, &v) == GST_ITERATOR_OK)
        sinkpad = GST_PAD (g_value_dup_object (&v));
      g_value_unset (&v);
      gst_iterator_free (it);
    }
    fail_unless (sinkpad != nullptr);
    GstPad *peer = gst_pad_get_peer (sinkpad);
    gst_pad_add_probe (
        peer, GST_PAD_PROBE_TYPE_EVENT_UPSTREAM,
        +[] (GstPad *, GstPadProbeInfo *info, gpointer d) -> GstPadProbeReturn {
          auto *self = static_cast<Room *> (d);
          GstEvent *e = GST_PAD_PROBE_INFO_EVENT (info);
          const gchar *mime = nullptr, *from = nullptr;
          GBytes *data = nullptr;
          if (gv_clipboard_event_is (e) && gv_clipboard_event_parse (e, &mime, &data, &from)) {
            gsize n = 0;
            const char *p = (const char *) g_bytes_get_data (data, &n);
            std::lock_guard<std::mutex> guard (self->lock);
            self->upstream.emplace_back (p ? p : "", n);
            self->upstream_peer.emplace_back (from ? from : "");
          }
          return GST_PAD_PROBE_OK;
        },
        this, nullptr);
    upstream_pad = sinkpad;
    gst_object_unref (peer);
    gst_object_unref (up);
    host->play ();
    viewer.reset (new DirectViewer (room, tapped_viewer (), "alice"));
    GstBus *bus = gst_element_get_bus (viewer->pipeline);
    gst_bus_set_sync_handler (
        bus,
        +[] (GstBus *, GstMessage *msg, gpointer d) -> GstBusSyncReply {
          auto *self = static_cast<Room *> (d);
          const GstStructure *s = gst_message_get_structure (msg);
          if (GST_MESSAGE_TYPE (msg) != GST_MESSAGE_ELEMENT || !s)
            return GST_BUS_PASS;
          std::lock_guard<std::mutex> guard (self->lock);
          if (gst_structure_has_name (s, "gvwebrtcsrc-clipboard")) {
            GBytes *data = nullptr;
            gst_structure_get (s, "data", G_TYPE_BYTES, &data, nullptr);
            gsize n = 0;
            const char *p = data ? (const char *) g_bytes_get_data (data, &n) : nullptr;
            self->at_viewer.emplace_back (p ? p : "", n);
            if (data)
              g_bytes_unref (data);
          } else if (gst_structure_has_name (s, "gvwebrtcsrc-refused") &&
                     g_strcmp0 (gst_structure_get_string (s, "what"), "clipboard") == 0) {
            self->refused++;
          }
          return GST_BUS_PASS;
        },
        this, nullptr);
    gst_object_unref (bus);
    tap_pad = gst_element_get_static_pad (viewer->get ("tap"), "sink");
    gst_pad_add_probe (
        tap_pad, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
        +[] (GstPad *, GstPadProbeInfo *info, gpointer d) -> GstPadProbeReturn {
          auto *self = static_cast<Room *> (d);
          const gchar *mime = nullptr;
          GBytes *data = nullptr;
          GstEvent *e = GST_PAD_PROBE_INFO_EVENT (info);
          if (gv_clipboard_event_is_from_host (e) &&
              gv_clipboard_event_parse (e, &mime, &data, nullptr)) {
            gsize n = 0;
            const char *p = (const char *) g_bytes_get_data (data, &n);
            std::lock_guard<std::mutex> guard (self->lock);
            self->down_viewer.emplace_back (p ? p : "", n);
          }
          return GST_PAD_PROBE_OK;
        },
        this, nullptr);
    viewer->play ();
    fail_unless (wait ([&] { return !log.peer ("alice").empty (); }), "viewer not added (%s)",
                 viewer->error.c_str ());
  }
  ~Room ()
  {
    viewer.reset ();
    host.reset ();
    gst_object_unref (upstream_pad);
    gst_object_unref (tap_pad);
  }
  template <typename Cond> bool wait (Cond cond, int ms = kTimeoutMs)
  {
    return wait_until (cond, ms, host.get (), viewer.get ());
  }
  /* The viewer copies `text`, once its assistance channel is open. */
  bool viewer_copies (const std::string &text)
  {
    GBytes *data = g_bytes_new (text.data (), text.size ());
    bool ok = wait ([&] {
      gboolean sent = FALSE;
      g_signal_emit_by_name (viewer->src (), "send-clipboard", GV_CLIPBOARD_MIME_TEXT, data, &sent);
      return sent == TRUE;
    });
    g_bytes_unref (data);
    return ok;
  }
  /* The host copies `text`: the event gvinputinject would send, into the sink. */
  void host_copies (const std::string &text)
  {
    GBytes *data = g_bytes_new (text.data (), text.size ());
    fail_unless (gst_pad_send_event (
        upstream_pad, gv_clipboard_event_new_from_host (GV_CLIPBOARD_MIME_TEXT, data)));
    g_bytes_unref (data);
  }
  /* gvclipboard's way: one "gv-clipboard" event up the viewer's video pad
   * (once it is there); true when taken. */
  bool push_clipboard_event (const std::string &text)
  {
    fail_unless (wait ([&] { return gst_pad_is_linked (tap_pad); }), "no video pad");
    GBytes *data = g_bytes_new (text.data (), text.size ());
    gboolean taken = gst_pad_push_event (
        tap_pad,
        gv_clipboard_event_new (GST_EVENT_CUSTOM_UPSTREAM, GV_CLIPBOARD_MIME_TEXT, data, nullptr));
    g_bytes_unref (data);
    return taken == TRUE;
  }
  /* The same, retried until taken (the assistance channel opens a moment
   * after the video). */
  bool viewer_sends_event (const std::string &text)
  {
    return wait ([&] { return push_clipboard_event (text); });
  }
  size_t count (std::vector<std::string> &v)
  {
    std::lock_guard<std::mutex> guard (lock);
    return v.size ();
  }
  GstPad *upstream_pad = nullptr; /* the sink's video pad */
  GstPad *tap_pad = nullptr;      /* the viewer's, below gvwebrtcsrc */
};

std::string big_text (gsize n)
{
  std::string s;
  for (gsize i = 0; s.size () < n; i++)
    s += "line " + std::to_string (i) + ": grüße, ☃\n";
  s.resize (n);
  while (!g_utf8_validate (s.data (), (gssize) s.size (), nullptr))
    s.pop_back ();
  return s;
}

} // namespace

GST_START_TEST (test_clipboard_both_ways)
{
  Room r ("view+clipboard");
  const std::string copied = big_text (3 * 1024 * 1024);
  fail_unless (r.viewer_copies (copied));
  fail_unless (r.wait ([&] { return r.count (r.upstream) == 1; }), "nothing went upstream");
  {
    std::lock_guard<std::mutex> guard (r.lock);
    fail_unless (r.upstream[0] == copied, "%zu bytes upstream, %zu copied", r.upstream[0].size (),
                 copied.size ());
    fail_unless_equals_string (r.upstream_peer[0].c_str (), r.log.peer ("alice").c_str ());
  }
  const std::string host_text = "copied on the host: ünïcödé";
  r.host_copies (host_text);
  fail_unless (r.wait ([&] { return r.count (r.at_viewer) == 1; }), "nothing reached the viewer");
  fail_unless (r.wait ([&] { return r.count (r.down_viewer) == 1; }),
               "no gv-clipboard event down the viewer's video pad");
  {
    std::lock_guard<std::mutex> guard (r.lock);
    fail_unless (r.at_viewer[0] == host_text);
    fail_unless (r.down_viewer[0] == host_text);
  }

  /* gvclipboard's way up: an upstream event into the video pad */
  const std::string event_text = "sent as an event: ✓";
  fail_unless (r.viewer_sends_event (event_text), "the upstream event was not taken");
  fail_unless (r.wait ([&] { return r.count (r.upstream) == 2; }), "the event's content is lost");
  std::lock_guard<std::mutex> guard (r.lock);
  fail_unless (r.upstream[1] == event_text);
}
GST_END_TEST;

GST_START_TEST (test_clipboard_needs_the_capability)
{
  Room r ("view+chat");
  fail_unless (r.viewer_copies ("secret"));
  fail_unless (r.wait ([&] {
    std::lock_guard<std::mutex> guard (r.lock);
    return r.refused == 1;
  }));
  r.host_copies ("not for you");
  /* the viewer knows it has no clipboard: the event is refused at once */
  fail_if (r.push_clipboard_event ("not sent"), "an upstream event without the capability");
  pump_for (1000, r.host.get (), r.viewer.get ());
  fail_unless_equals_int ((int) r.count (r.upstream), 0);
  fail_unless_equals_int ((int) r.count (r.at_viewer), 0);
  fail_unless_equals_int ((int) r.count (r.down_viewer), 0);
  guint64 refused = 0;
  g_object_get (r.viewer->src (), "clipboard-refused", &refused, nullptr);
  fail_unless_equals_int ((int) refused, 1);
  fail_unless_equals_int ((int) sink_stat (r.host->sink (), "assist-refused"), 1);
}
GST_END_TEST;

static Suite *direct_clipboard_suite (void)
{
  Suite *s = suite_create ("webrtc-direct-clipboard");
  TCase *tc = tcase_create ("general");
  tcase_set_timeout (tc, 60);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_clipboard_both_ways);
  tcase_add_test (tc, test_clipboard_needs_the_capability);
  return s;
}

GST_CHECK_MAIN (direct_clipboard);
