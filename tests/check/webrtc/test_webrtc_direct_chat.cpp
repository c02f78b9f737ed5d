/* The assistance channel ("assist"), host and receivers paired in one
 * process: a viewer's chat line reaches the host's bus and every viewer
 * with `chat`, the sender too; a viewer without `chat` is refused and
 * counted; set-capabilities grants and revokes it; the host's own lines
 * (send-chat) reach viewers with `chat`; malformed messages and a flood
 * are dropped and counted; invalid text is refused by both send-chat. */
#include "direct_harness.h"

#include "capabilities.h"
#include "gvassistjson.h"

#include <gst/check/gstcheck.h>
#include <gst/webrtc/webrtc.h>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

using namespace gvtest;

static const int kTimeoutMs = 15000;

/* The chat element messages a pipeline posted, as text. */
struct MessageLog {
  std::mutex lock;
  std::vector<std::string> lines;

  void attach (Pipeline &p)
  {
    GstBus *bus = gst_element_get_bus (p.pipeline);
    gst_bus_set_sync_handler (
        bus,
        [] (GstBus *, GstMessage *msg, gpointer data) {
          const GstStructure *s = gst_message_get_structure (msg);
          if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ELEMENT && s &&
              (gst_structure_has_name (s, "gvwebrtcsink-chat") ||
               gst_structure_has_name (s, "gvwebrtcsrc-chat") ||
               gst_structure_has_name (s, "gvwebrtcsrc-refused"))) {
            auto *self = static_cast<MessageLog *> (data);
            /* Name and fields as plain text (no escaping): `from=(gchararray)alice`. */
            std::string text = gst_structure_get_name (s);
            gst_structure_foreach (
                s,
                +[] (GQuark field, const GValue *value, gpointer out) -> gboolean {
                  gchar *v = G_VALUE_HOLDS_STRING (value) ? g_value_dup_string (value)
                                                          : gst_value_serialize (value);
                  *static_cast<std::string *> (out) += std::string (" ") +
                                                       g_quark_to_string (field) + "=(" +
                                                       G_VALUE_TYPE_NAME (value) + ")" + v;
                  g_free (v);
                  return TRUE;
                },
                &text);
            std::lock_guard<std::mutex> guard (self->lock);
            self->lines.push_back (text);
          }
          return GST_BUS_PASS;
        },
        this, nullptr);
    gst_object_unref (bus);
  }
  /* How many lines hold every one of `parts`. */
  int count (std::initializer_list<std::string> parts)
  {
    std::lock_guard<std::mutex> guard (lock);
    int n = 0;
    for (const std::string &l : lines) {
      bool all = true;
      for (const std::string &p : parts)
        all = all && l.find (p) != std::string::npos;
      n += all ? 1 : 0;
    }
    return n;
  }
};

/* A host that admits with `allow`, and two receivers, alice and bob. */
struct Room {
  DirectRoom room;
  SinkLog log;
  MessageLog host_messages, alice_messages, bob_messages;
  std::unique_ptr<DirectHost> host;
  std::unique_ptr<DirectViewer> alice, bob;
  std::mutex lock;
  GObject *alice_channel = nullptr; /* alice's end of the assistance channel */

  explicit Room (const std::string &allow)
  {
    host.reset (new DirectHost (room, video_host ("allow=" + allow)));
    log.attach (host->sink ());
    host_messages.attach (*host);
    host->play ();
    alice.reset (new DirectViewer (room, tapped_viewer (), "alice"));
    alice_messages.attach (*alice);
    /* webrtcbin is made on the way to PAUSED. */
    gst_element_set_state (alice->pipeline, GST_STATE_PAUSED);
    GstElement *webrtcbin = gst_bin_get_by_name (GST_BIN (alice->src ()), "webrtcbin");
    fail_unless (webrtcbin != nullptr);
    g_signal_connect (webrtcbin, "on-data-channel",
                      G_CALLBACK (+[] (GstElement *, GObject *ch, gpointer d) {
                        auto *self = static_cast<Room *> (d);
                        gchar *label = nullptr;
                        g_object_get (ch, "label", &label, nullptr);
                        bool assist = label && g_str_equal (label, gv::assist::kChannelLabel);
                        g_free (label);
                        std::lock_guard<std::mutex> guard (self->lock);
                        if (assist && !self->alice_channel)
                          self->alice_channel = G_OBJECT (g_object_ref (ch));
                      }),
                      this);
    gst_object_unref (webrtcbin);
    alice->play ();
    bob.reset (new DirectViewer (room, tapped_viewer (), "bob"));
    bob_messages.attach (*bob);
    bob->play ();
    fail_unless (wait ([&] { return !log.peer ("alice").empty () && !log.peer ("bob").empty (); }),
                 "viewers not added (%s / %s)", alice->error.c_str (), bob->error.c_str ());
  }

  ~Room ()
  {
    alice.reset ();
    bob.reset ();
    host.reset ();
    if (alice_channel)
      g_object_unref (alice_channel);
  }

  template <typename Cond> bool wait (Cond cond, int ms = kTimeoutMs)
  {
    return wait_until (cond, ms, host.get (), alice.get (), bob.get ());
  }

  static bool send (DirectViewer &v, const char *text)
  {
    gboolean ok = FALSE;
    g_signal_emit_by_name (v.src (), "send-chat", text, &ok);
    return ok;
  }
  /* Sends once the viewer's assistance channel is open. */
  bool send_when_open (DirectViewer &v, const char *text)
  {
    return wait ([&] { return send (v, text); });
  }
  guint64 viewer_stat (const std::string &name, const char *field)
  {
    GstStructure *s = viewer_stats (host->sink (), log.peer (name));
    guint64 v = 0;
    if (s) {
      gst_structure_get_uint64 (s, field, &v);
      gst_structure_free (s);
    }
    return v;
  }
};

GST_START_TEST (test_chat_relayed_to_viewers_with_chat)
{
  Room r ("view+chat");
  fail_unless (r.send_when_open (*r.alice, "hello from alice"));
  /* The host's bus, alice herself and bob all get it, once. */
  fail_unless (r.wait ([&] {
    return r.host_messages.count ({ "gvwebrtcsink-chat", "hello from alice", "alice" }) == 1 &&
           r.alice_messages.count (
               { "gvwebrtcsrc-chat", "hello from alice", "from=(gchararray)alice" }) == 1 &&
           r.bob_messages.count ({ "gvwebrtcsrc-chat", "hello from alice" }) == 1;
  }));
  fail_unless_equals_int (r.host_messages.count ({ "peer-id=(gchararray)" + r.log.peer ("alice") }),
                          1);

  /* The host's own line, from "Host", peer "host"; invalid text refused. */
  gboolean ok = FALSE;
  g_signal_emit_by_name (r.host->sink (), "send-chat", "two\nlines from the host", &ok);
  fail_unless (ok);
  fail_unless (r.wait ([&] {
    return r.alice_messages.count ({ "from=(gchararray)Host", "peer=(gchararray)host" }) == 1 &&
           r.bob_messages.count ({ "from=(gchararray)Host", "lines from the host" }) == 1;
  }));
  g_signal_emit_by_name (r.host->sink (), "send-chat", "bell\a", &ok);
  fail_if (ok);
  g_signal_emit_by_name (r.host->sink (), "send-chat", std::string (4001, 'x').c_str (), &ok);
  fail_if (ok);
  fail_if (Room::send (*r.alice, ""));
  fail_if (Room::send (*r.alice, "escape\x1b[2J"));
  fail_unless (Room::send (*r.alice, std::string (4000, 'y').c_str ()));
  fail_unless (r.wait ([&] { return r.bob_messages.count ({ std::string (4000, 'y') }) == 1; }));
  fail_unless_equals_int ((int) r.viewer_stat ("alice", "assist-chat"), 2);
  fail_unless_equals_int ((int) sink_stat (r.host->sink (), "assist-refused"), 0);
}
GST_END_TEST;

GST_START_TEST (test_chat_refused_then_granted_then_revoked)
{
  Room r ("view");
  /* Without chat: refused, counted, and nobody hears it. */
  fail_unless (r.send_when_open (*r.bob, "may I?"));
  fail_unless (r.wait ([&] {
    return r.bob_messages.count ({ "gvwebrtcsrc-refused", "what=(gchararray)chat",
                                   "The host has not allowed chat." }) == 1;
  }));
  fail_unless (r.wait ([&] { return r.viewer_stat ("bob", "assist-refused") == 1; }));
  fail_unless_equals_int ((int) sink_stat (r.host->sink (), "assist-refused"), 1);
  fail_unless_equals_int (r.host_messages.count ({ "may I?" }), 0);

  /* Granted at run time: the line goes through, to bob (alice has no chat). */
  gboolean ok = FALSE;
  guint caps = GV_CAPABILITY_VIEW | GV_CAPABILITY_CHAT;
  g_signal_emit_by_name (r.host->sink (), "set-capabilities", r.log.peer ("bob").c_str (), caps,
                         &ok);
  fail_unless (ok);
  g_signal_emit_by_name (r.host->sink (), "set-capabilities", "nobody", caps, &ok);
  fail_if (ok);
  fail_unless (Room::send (*r.bob, "thanks"));
  fail_unless (r.wait ([&] {
    return r.host_messages.count ({ "gvwebrtcsink-chat", "thanks" }) == 1 &&
           r.bob_messages.count ({ "gvwebrtcsrc-chat", "thanks" }) == 1;
  }));
  r.wait ([] { return false; }, 300);
  fail_unless_equals_int (r.alice_messages.count ({ "thanks" }), 0);
  GstStructure *s = viewer_stats (r.host->sink (), r.log.peer ("bob"));
  fail_unless (s != nullptr);
  const GValue *flags = gst_structure_get_value (s, "capabilities");
  fail_unless (flags && G_VALUE_HOLDS_FLAGS (flags));
  fail_unless_equals_int (g_value_get_flags (flags), caps);
  gst_structure_free (s);

  /* Revoked: refused again. */
  g_signal_emit_by_name (r.host->sink (), "set-capabilities", r.log.peer ("bob").c_str (),
                         (guint) GV_CAPABILITY_VIEW, &ok);
  fail_unless (ok);
  fail_unless (Room::send (*r.bob, "again?"));
  fail_unless (r.wait ([&] { return r.bob_messages.count ({ "gvwebrtcsrc-refused" }) == 2; }));
  fail_unless_equals_int (r.host_messages.count ({ "again?" }), 0);
}
GST_END_TEST;

/* What a page could send, past send-chat's checks: malformed messages and
 * a flood, on alice's channel object. */
GST_START_TEST (test_malformed_and_flood_counted)
{
  Room r ("view+chat");
  fail_unless (r.send_when_open (*r.alice, "first"));
  GObject *channel;
  {
    std::lock_guard<std::mutex> guard (r.lock);
    fail_unless (r.alice_channel != nullptr);
    channel = G_OBJECT (g_object_ref (r.alice_channel));
  }
  for (const char *bad : { "not json", "{\"t\":\"chat\",\"text\":\"\"}",
                           "{\"t\":\"refused\",\"what\":\"chat\",\"message\":\"x\"}",
                           "{\"t\":\"chat\",\"text\":\"bell\\u0007\"}" })
    gst_webrtc_data_channel_send_string (GST_WEBRTC_DATA_CHANNEL (channel), bad);
  fail_unless (r.wait ([&] { return r.viewer_stat ("alice", "assist-malformed") == 4; }));
  /* The burst is 20: one spent on "first", four on the malformed ones. */
  for (int i = 0; i < 40; i++)
    gst_webrtc_data_channel_send_string (GST_WEBRTC_DATA_CHANNEL (channel),
                                         "{\"t\":\"chat\",\"text\":\"spam\"}");
  g_object_unref (channel);
  fail_unless (r.wait ([&] { return r.viewer_stat ("alice", "assist-flood") >= 15; }));
  guint64 relayed = r.viewer_stat ("alice", "assist-chat");
  fail_unless (relayed >= 16 && relayed <= 26, "%" G_GUINT64_FORMAT " relayed", relayed);
  fail_unless_equals_int ((int) sink_stat (r.host->sink (), "assist-malformed"), 4);
  /* The stream went on. */
  fail_unless (r.alice->error.empty () && r.host->error.empty ());
}
GST_END_TEST;

static Suite *chat_suite ()
{
  Suite *s = suite_create ("webrtc-direct-chat");
  TCase *tc = tcase_create ("chat");
  tcase_set_timeout (tc, 60);
  tcase_add_test (tc, test_chat_relayed_to_viewers_with_chat);
  tcase_add_test (tc, test_chat_refused_then_granted_then_revoked);
  tcase_add_test (tc, test_malformed_and_flood_counted);
  suite_add_tcase (s, tc);
  return s;
}

GST_CHECK_MAIN (chat);
