/* GhostView — gvinputinject with the record backend: what would be injected,
 * the safety rules (unknown keys, flood limit, release-all, stop) and the
 * bus messages other elements' tests rely on. No X server needed. */
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/video/navigation.h>

struct Recorder {
  GstHarness *h;
  GstBus *bus;
};

static Recorder recorder_new (const gchar *props)
{
  Recorder r;
  /* configured before the harness takes it: the backend opens in READY */
  GstElement *element = gst_element_factory_make ("gvinputinject", nullptr);
  fail_unless (element != nullptr);
  gst_util_set_object_arg (G_OBJECT (element), "backend", "record");
  if (props) {
    gchar **kv = g_strsplit (props, "=", 2);
    gst_util_set_object_arg (G_OBJECT (element), kv[0], kv[1]);
    g_strfreev (kv);
  }
  r.h = gst_harness_new_with_element (element, "sink", "src");
  gst_object_unref (element);
  r.bus = gst_bus_new ();
  gst_element_set_bus (r.h->element, r.bus);
  gst_harness_set_src_caps_str (r.h, "video/x-raw,format=BGRx,width=320,height=240,"
                                     "framerate=30/1");
  gst_harness_play (r.h);
  return r;
}

static void recorder_free (Recorder *r)
{
  gst_harness_teardown (r->h);
  gst_bus_set_flushing (r->bus, TRUE);
  gst_object_unref (r->bus);
}

static void send (Recorder *r, GstEvent *event)
{
  fail_unless (gst_harness_push_upstream_event (r->h, event));
}

/* Next "gvinputinject-event" structure (owned by the returned message). */
static GstMessage *next_event (Recorder *r)
{
  GstMessage *msg = gst_bus_pop_filtered (r->bus, GST_MESSAGE_ELEMENT);
  if (msg)
    fail_unless (gst_structure_has_name (gst_message_get_structure (msg), "gvinputinject-event"));
  return msg;
}

static void expect_event (Recorder *r, const gchar *type, const gchar *field, gint value,
                          gboolean synthetic = FALSE)
{
  GstMessage *msg = next_event (r);
  fail_unless (msg != nullptr, "expected a %s message", type);
  const GstStructure *s = gst_message_get_structure (msg);
  fail_unless_equals_string (gst_structure_get_string (s, "type"), type);
  if (field) {
    gint v = 0;
    guint u = 0;
    if (gst_structure_get_uint (s, field, &u))
      v = (gint) u;
    else
      fail_unless (gst_structure_get_int (s, field, &v), "no field %s", field);
    fail_unless_equals_int (v, value);
  }
  gboolean synth = FALSE;
  gst_structure_get_boolean (s, "synthetic", &synth);
  fail_unless_equals_int (synth, synthetic);
  gst_message_unref (msg);
}

static guint64 stat (Recorder *r, const gchar *name)
{
  GstStructure *stats = nullptr;
  g_object_get (r->h->element, "stats", &stats, NULL);
  guint64 v = 0;
  guint u = 0;
  if (!gst_structure_get_uint64 (stats, name, &v) && gst_structure_get_uint (stats, name, &u))
    v = u;
  gst_structure_free (stats);
  return v;
}

GST_START_TEST (test_passthrough_and_motion)
{
  Recorder r = recorder_new (nullptr);
  GstBuffer *in = gst_buffer_new_allocate (nullptr, 320 * 240 * 4, nullptr);
  GstBuffer *out = gst_harness_push_and_pull (r.h, gst_buffer_ref (in));
  fail_unless (out == in, "the buffer was copied");
  gst_buffer_unref (out);
  gst_buffer_unref (in);

  send (&r, gst_navigation_event_new_mouse_move (100.0, 50.0, GST_NAVIGATION_MODIFIER_NONE));
  GstMessage *msg = next_event (&r);
  fail_unless (msg != nullptr);
  const GstStructure *s = gst_message_get_structure (msg);
  gint x = 0, y = 0;
  gdouble sx = 0;
  fail_unless_equals_string (gst_structure_get_string (s, "type"), "motion");
  fail_unless (gst_structure_get_int (s, "x", &x) && gst_structure_get_int (s, "y", &y));
  fail_unless (gst_structure_get_double (s, "stream-x", &sx));
  fail_unless_equals_int (x, 100);
  fail_unless_equals_int (y, 50);
  fail_unless_equals_float (sx, 100.0);
  gst_message_unref (msg);

  /* outside the stream: clamped to it */
  send (&r, gst_navigation_event_new_mouse_move (5000.0, -20.0, GST_NAVIGATION_MODIFIER_NONE));
  msg = next_event (&r);
  s = gst_message_get_structure (msg);
  fail_unless (gst_structure_get_int (s, "x", &x) && gst_structure_get_int (s, "y", &y));
  fail_unless_equals_int (x, 319);
  fail_unless_equals_int (y, 0);
  gst_message_unref (msg);
  fail_unless_equals_int (stat (&r, "injected"), 2);
  recorder_free (&r);
}
GST_END_TEST;

GST_START_TEST (test_click_scroll_and_keys)
{
  Recorder r = recorder_new (nullptr);
  send (&r, gst_navigation_event_new_mouse_button_press (1, 10, 20, GST_NAVIGATION_MODIFIER_NONE));
  expect_event (&r, "motion", "x", 10);
  expect_event (&r, "button-press", "button", 1);
  send (&r,
        gst_navigation_event_new_mouse_button_release (1, 10, 20, GST_NAVIGATION_MODIFIER_NONE));
  expect_event (&r, "motion", "y", 20);
  expect_event (&r, "button-release", "button", 1);
  /* The wheel turns where the pointer is, not at 0,0. */
  send (&r, gst_navigation_event_new_mouse_scroll (30, 40, 0, 2, GST_NAVIGATION_MODIFIER_NONE));
  expect_event (&r, "motion", "x", 30);
  expect_event (&r, "scroll", "y", 40);

  struct {
    const gchar *name;
    guint keysym;
  } keys[] = {
    { "a", 0x61 },           { "A", 0x41 },    { "Enter", 0xff0d },          { "Return", 0xff0d },
    { "ArrowLeft", 0xff51 }, { "F5", 0xffc2 }, { "\xe2\x98\xba", 0x100263a }
  };
  for (auto &k : keys) {
    send (&r, gst_navigation_event_new_key_press (k.name, GST_NAVIGATION_MODIFIER_NONE));
    expect_event (&r, "key-press", "keysym", k.keysym);
    send (&r, gst_navigation_event_new_key_release (k.name, GST_NAVIGATION_MODIFIER_NONE));
    expect_event (&r, "key-release", "keysym", k.keysym);
  }
  fail_unless_equals_int (stat (&r, "held-keys"), 0);
  recorder_free (&r);
}
GST_END_TEST;

GST_START_TEST (test_unknown_key_dropped)
{
  Recorder r = recorder_new (nullptr);
  send (&r, gst_navigation_event_new_key_press ("NoSuchKeyAnywhere", GST_NAVIGATION_MODIFIER_NONE));
  send (&r, gst_navigation_event_new_key_press ("", GST_NAVIGATION_MODIFIER_NONE));
  send (&r, gst_navigation_event_new_key_press ("\x01", GST_NAVIGATION_MODIFIER_NONE));
  fail_unless (next_event (&r) == nullptr);
  fail_unless_equals_int (stat (&r, "dropped-unknown-key"), 3);
  guint64 dropped = 0;
  g_object_get (r.h->element, "dropped", &dropped, NULL);
  fail_unless_equals_int (dropped, 3);
  recorder_free (&r);
}
GST_END_TEST;

GST_START_TEST (test_flood_limit)
{
  Recorder r = recorder_new ("max-rate=10");
  send (&r, gst_navigation_event_new_key_press ("x", GST_NAVIGATION_MODIFIER_NONE));
  for (int i = 0; i < 100; i++)
    send (&r, gst_navigation_event_new_mouse_move (i, i, GST_NAVIGATION_MODIFIER_NONE));
  guint64 injected = 0;
  g_object_get (r.h->element, "injected", &injected, NULL);
  fail_unless (injected <= 11, "%" G_GUINT64_FORMAT " injected past a 10/s limit", injected);
  fail_unless (stat (&r, "dropped-flood") >= 90);
  /* releases are never limited: no key stays down */
  send (&r, gst_navigation_event_new_key_release ("x", GST_NAVIGATION_MODIFIER_NONE));
  fail_unless_equals_int (stat (&r, "held-keys"), 0);
  recorder_free (&r);
}
GST_END_TEST;

static void hold_some (Recorder *r)
{
  send (r, gst_navigation_event_new_key_press ("Control_L", GST_NAVIGATION_MODIFIER_NONE));
  send (r, gst_navigation_event_new_key_press ("c", GST_NAVIGATION_MODIFIER_CONTROL_MASK));
  send (r, gst_navigation_event_new_mouse_button_press (3, 1, 1, GST_NAVIGATION_MODIFIER_NONE));
  while (GstMessage *msg = next_event (r))
    gst_message_unref (msg);
  fail_unless_equals_int (stat (r, "held-keys"), 2);
  fail_unless_equals_int (stat (r, "held-buttons"), 1);
}

static void expect_all_released (Recorder *r)
{
  expect_event (r, "button-release", "button", 3, TRUE);
  expect_event (r, "key-release", "keysym", 'c', TRUE);
  expect_event (r, "key-release", "keysym", 0xffe3, TRUE); /* modifiers last */
  fail_unless (next_event (r) == nullptr);
  fail_unless_equals_int (stat (r, "held-keys"), 0);
  fail_unless_equals_int (stat (r, "held-buttons"), 0);
}

GST_START_TEST (test_release_all_signal)
{
  Recorder r = recorder_new (nullptr);
  hold_some (&r);
  g_signal_emit_by_name (r.h->element, "release-all");
  expect_all_released (&r);
  g_signal_emit_by_name (r.h->element, "release-all"); /* nothing left: nothing posted */
  fail_unless (next_event (&r) == nullptr);
  recorder_free (&r);
}
GST_END_TEST;

GST_START_TEST (test_release_all_event)
{
  Recorder r = recorder_new (nullptr);
  hold_some (&r);
  send (&r, gst_event_new_custom (GST_EVENT_CUSTOM_UPSTREAM,
                                  gst_structure_new_empty ("gv-release-all")));
  expect_all_released (&r);
  recorder_free (&r);
}
GST_END_TEST;

GST_START_TEST (test_release_on_stop)
{
  Recorder r = recorder_new (nullptr);
  hold_some (&r);
  gst_element_set_state (r.h->element, GST_STATE_READY);
  expect_all_released (&r);
  recorder_free (&r);
}
GST_END_TEST;

GST_START_TEST (test_release_on_eos)
{
  Recorder r = recorder_new (nullptr);
  hold_some (&r);
  gst_harness_push_event (r.h, gst_event_new_eos ());
  expect_all_released (&r);
  recorder_free (&r);
}
GST_END_TEST;

GST_START_TEST (test_disabled)
{
  Recorder r = recorder_new (nullptr);
  hold_some (&r);
  g_object_set (r.h->element, "enabled", FALSE, NULL);
  expect_all_released (&r);
  send (&r, gst_navigation_event_new_mouse_move (1, 1, GST_NAVIGATION_MODIFIER_NONE));
  send (&r, gst_navigation_event_new_key_press ("a", GST_NAVIGATION_MODIFIER_NONE));
  fail_unless (next_event (&r) == nullptr);
  fail_unless_equals_int (stat (&r, "dropped-disabled"), 2);
  recorder_free (&r);
}
GST_END_TEST;

GST_START_TEST (test_modifier_state)
{
  Recorder r = recorder_new (nullptr);
  /* ctrl-click from a viewer whose Ctrl press we never saw */
  send (&r, gst_navigation_event_new_mouse_button_press (1, 5, 5,
                                                         GST_NAVIGATION_MODIFIER_CONTROL_MASK));
  expect_event (&r, "motion", nullptr, 0);
  expect_event (&r, "key-press", "keysym", 0xffe3, TRUE);
  expect_event (&r, "button-press", "button", 1);
  expect_event (&r, "key-release", "keysym", 0xffe3, TRUE);
  fail_unless_equals_int (stat (&r, "held-keys"), 0);
  recorder_free (&r);
}
GST_END_TEST;

GST_START_TEST (test_touch)
{
  Recorder r = recorder_new (nullptr);
  send (&r, gst_navigation_event_new_touch_down (7, 30, 40, 1.0, GST_NAVIGATION_MODIFIER_NONE));
  expect_event (&r, "motion", "x", 30);
  expect_event (&r, "button-press", "button", 1);
  /* a second finger does not move the pointer */
  send (&r, gst_navigation_event_new_touch_down (8, 200, 200, 1.0, GST_NAVIGATION_MODIFIER_NONE));
  fail_unless (next_event (&r) == nullptr);
  send (&r, gst_navigation_event_new_touch_motion (7, 50, 60, 1.0, GST_NAVIGATION_MODIFIER_NONE));
  expect_event (&r, "motion", "y", 60);
  send (&r, gst_navigation_event_new_touch_up (7, 50, 60, GST_NAVIGATION_MODIFIER_NONE));
  expect_event (&r, "motion", nullptr, 0);
  expect_event (&r, "button-release", "button", 1);
  fail_unless_equals_int (stat (&r, "held-buttons"), 0);
  recorder_free (&r);
}
GST_END_TEST;

static Suite *record_suite (void)
{
  Suite *s = suite_create ("gvinputinject-record");
  TCase *tc = tcase_create ("record");
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_passthrough_and_motion);
  tcase_add_test (tc, test_click_scroll_and_keys);
  tcase_add_test (tc, test_unknown_key_dropped);
  tcase_add_test (tc, test_flood_limit);
  tcase_add_test (tc, test_release_all_signal);
  tcase_add_test (tc, test_release_all_event);
  tcase_add_test (tc, test_release_on_stop);
  tcase_add_test (tc, test_release_on_eos);
  tcase_add_test (tc, test_disabled);
  tcase_add_test (tc, test_modifier_state);
  tcase_add_test (tc, test_touch);
  return s;
}

GST_CHECK_MAIN (record);
