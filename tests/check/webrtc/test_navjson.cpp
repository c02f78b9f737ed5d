/* The input channel's message forms <-> GstNavigation events, without
 * WebRTC: the table of accepted and refused messages. */
#include "gvnavjson.h"

#include <gst/check/gstcheck.h>
#include <gst/video/navigation.h>

#include <string>

struct Accepted {
  const char *json;
  GstNavigationEventType type;
  double x, y; /* pixels of a 640x480 stream; -1: not a pointer event */
};

static const Accepted accepted[] = {
  { "{\"t\":\"mm\",\"x\":0.5,\"y\":0.25}", GST_NAVIGATION_EVENT_MOUSE_MOVE, 320, 120 },
  { "{\"t\":\"md\",\"x\":1,\"y\":0,\"b\":3}", GST_NAVIGATION_EVENT_MOUSE_BUTTON_PRESS, 640, 0 },
  { "{\"t\":\"mu\",\"x\":2.5,\"y\":-1}", GST_NAVIGATION_EVENT_MOUSE_BUTTON_RELEASE, 640, 0 },
  { "{\"t\":\"wh\",\"x\":0.1,\"y\":0.1,\"dx\":0,\"dy\":-1}", GST_NAVIGATION_EVENT_MOUSE_SCROLL, 64,
    48 },
  { "{\"t\":\"kd\",\"k\":\"Shift_L\"}", GST_NAVIGATION_EVENT_KEY_PRESS, -1, -1 },
  { "{\"t\":\"ku\",\"k\":\"a\"}", GST_NAVIGATION_EVENT_KEY_RELEASE, -1, -1 },
  { "{\"t\":\"td\",\"id\":0,\"x\":0.5,\"y\":0.5,\"p\":0.5}", GST_NAVIGATION_EVENT_TOUCH_DOWN, 320,
    240 },
  { "{\"t\":\"tf\"}", GST_NAVIGATION_EVENT_TOUCH_FRAME, -1, -1 },
  { "{\"id\":3,\"request\":{\"type\":\"navigationEvent\",\"event\":{\"event\":\"MouseMove\","
    "\"x\":100,\"y\":200,\"modifier_state\":\"shift-mask\"}}}",
    GST_NAVIGATION_EVENT_MOUSE_MOVE, 100, 200 },
  { "{\"id\":4,\"request\":{\"type\":\"navigationEvent\",\"event\":{\"event\":\"KeyPress\","
    "\"key\":\"Return\"}}}",
    GST_NAVIGATION_EVENT_KEY_PRESS, -1, -1 },
};

GST_START_TEST (test_accepted)
{
  const Accepted &a = accepted[__i__];
  gv::nav::InputMessage msg;
  std::string error;
  fail_unless (gv::nav::parse_input_message (a.json, strlen (a.json), 640, 480, msg, error),
               "%s refused: %s", a.json, error.c_str ());
  fail_unless (msg.event != nullptr);
  fail_unless_equals_int (gst_navigation_event_get_type (msg.event), a.type);
  if (a.x >= 0) {
    double x = -1, y = -1;
    const GstStructure *s = gst_event_get_structure (msg.event);
    gst_structure_get_double (s, "pointer_x", &x);
    gst_structure_get_double (s, "pointer_y", &y);
    fail_unless (G_APPROX_VALUE (x, a.x, 0.001) && G_APPROX_VALUE (y, a.y, 0.001), "%s at %f,%f",
                 a.json, x, y);
  }
  gst_event_unref (msg.event);
}
GST_END_TEST;

static const char *refused[] = {
  "",
  "null",
  "not json",
  "[]",
  "{}",
  "{\"t\":\"zz\"}",
  "{\"t\":\"mm\",\"x\":0.5}",
  "{\"t\":\"mm\",\"x\":\"0.5\",\"y\":0}",
  "{\"t\":\"md\",\"x\":0,\"y\":0,\"b\":0}",
  "{\"t\":\"kd\"}",
  "{\"t\":\"kd\",\"k\":\"\\u0001\"}",
  "{\"t\":\"kd\",\"k\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}",
  "{\"t\":\"td\",\"x\":0,\"y\":0}",
  "{\"t\":\"wh\",\"dy\":1e300}",
  "{\"id\":1}",
  "{\"id\":1,\"request\":{\"type\":\"other\"}}",
  "{\"id\":1,\"request\":{\"type\":\"navigationEvent\",\"event\":{\"event\":\"Nope\"}}}",
};

GST_START_TEST (test_refused)
{
  const char *json = refused[__i__];
  gv::nav::InputMessage msg;
  std::string error;
  fail_if (gv::nav::parse_input_message (json, strlen (json), 640, 480, msg, error), "%s accepted",
           json);
  fail_if (error.empty ());
  fail_unless (msg.event == nullptr);
}
GST_END_TEST;

GST_START_TEST (test_oversized)
{
  std::string big = "{\"t\":\"kd\",\"k\":\"" + std::string (gv::nav::kMaxMessageBytes, 'a') + "\"}";
  gv::nav::InputMessage msg;
  std::string error;
  fail_if (gv::nav::parse_input_message (big.c_str (), big.size (), 640, 480, msg, error));
}
GST_END_TEST;

GST_START_TEST (test_response_and_compact)
{
  std::string response = gv::nav::make_control_response (7, nullptr);
  fail_unless_equals_string (response.c_str (),
                             "{\"type\":\"ControlResponseMessage\",\"id\":7,\"error\":null}");
  GstEvent *ev = gst_navigation_event_new_mouse_move (160, 60, GST_NAVIGATION_MODIFIER_NONE);
  std::string text = gv::nav::compact_from_event (ev, 320, 240);
  gst_event_unref (ev);
  /* ... and back, at another size: the same relative position. */
  gv::nav::InputMessage msg;
  std::string error;
  fail_unless (gv::nav::parse_input_message (text.c_str (), text.size (), 640, 480, msg, error),
               "%s", text.c_str ());
  double x = 0, y = 0;
  gst_navigation_event_parse_mouse_move_event (msg.event, &x, &y);
  fail_unless (G_APPROX_VALUE (x, 320.0, 0.001) && G_APPROX_VALUE (y, 120.0, 0.001));
  gst_event_unref (msg.event);
}
GST_END_TEST;

static Suite *navjson_suite (void)
{
  Suite *s = suite_create ("webrtc-navjson");
  TCase *tc = tcase_create ("general");
  suite_add_tcase (s, tc);
  tcase_add_loop_test (tc, test_accepted, 0, G_N_ELEMENTS (accepted));
  tcase_add_loop_test (tc, test_refused, 0, G_N_ELEMENTS (refused));
  tcase_add_test (tc, test_oversized);
  tcase_add_test (tc, test_response_and_compact);
  return s;
}

GST_CHECK_MAIN (navjson);
