/* GhostView — gvinputinject with XTest under Xvfb: an X client written for
 * the test receives the pointer, clicks and keys at the mapped coordinates,
 * and nothing stays held after stop. */
#include "gvxvfb.h"

#include <X11/Xutil.h>
#include <X11/keysym.h>
#include <gst/check/gstcheck.h>
#include <gst/video/navigation.h>

#include <string>

/* The test window sits exactly on the capture region, so window coordinates
 * are region coordinates. The stream is scaled down 2x after gvinputinject. */
#define REGION_X 200
#define REGION_Y 100
#define REGION_W 400
#define REGION_H 300

static Display *dpy;
static Window win;
static GstElement *pipeline, *sink;

static void setup (void)
{
  dpy = XOpenDisplay (nullptr);
  fail_unless (dpy != nullptr);
  win = gv_xvfb_colour_window (dpy, REGION_X, REGION_Y, REGION_W, REGION_H, 0x336699);
  XSelectInput (dpy, win, KeyPressMask | KeyReleaseMask | ButtonPressMask | ButtonReleaseMask);
  XSetInputFocus (dpy, win, RevertToParent, CurrentTime);
  XSync (dpy, False);

  gchar *desc = g_strdup_printf (
      "gvscreensrc show-cursor=false framerate=10/1 region=\"<%d,%d,%d,%d>\" ! "
      "gvinputinject name=inject backend=xtest ! videoscale ! video/x-raw,width=%d,height=%d ! "
      "fakesink name=sink sync=false",
      REGION_X, REGION_Y, REGION_W, REGION_H, REGION_W / 2, REGION_H / 2);
  pipeline = gst_parse_launch (desc, nullptr);
  g_free (desc);
  fail_unless (pipeline != nullptr);
  sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  fail_unless (gst_element_set_state (pipeline, GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE);
  fail_unless (gst_element_get_state (pipeline, nullptr, nullptr, 5 * GST_SECOND) ==
               GST_STATE_CHANGE_SUCCESS);
  /* caps must have reached the sink so videoscale can map coordinates */
  GstPad *pad = gst_element_get_static_pad (sink, "sink");
  for (int i = 0; i < 100 && !gst_pad_has_current_caps (pad); i++)
    g_usleep (20 * 1000);
  fail_unless (gst_pad_has_current_caps (pad));
  gst_object_unref (pad);
}

/* Called at the end of each test body: gstcheck reaps streaming threads
 * before checked fixtures' teardown runs. */
static void stop_pipeline (void)
{
  if (pipeline) {
    gst_element_set_state (pipeline, GST_STATE_NULL);
    gst_object_unref (sink);
    gst_object_unref (pipeline);
    pipeline = nullptr;
  }
}

static void teardown (void)
{
  stop_pipeline ();
  XDestroyWindow (dpy, win);
  XCloseDisplay (dpy);
}

/* Sends a navigation event the way a video sink does: upstream from it. */
static void navigate (GstEvent *event)
{
  fail_unless (gst_element_send_event (sink, event));
}

/* Waits up to 3 s for an event of @type on the test window. */
static bool next_x_event (int type, XEvent *out)
{
  for (int i = 0; i < 300; i++) {
    while (XPending (dpy)) {
      XNextEvent (dpy, out);
      if (out->type == MappingNotify)
        XRefreshKeyboardMapping (&out->xmapping);
      else if (out->type == type)
        return true;
    }
    g_usleep (10 * 1000);
  }
  return false;
}

static std::string typed_text (XEvent *ev)
{
  char buf[16] = { 0 };
  KeySym ks;
  int n = XLookupString (&ev->xkey, buf, sizeof buf - 1, &ks, nullptr);
  return std::string (buf, n);
}

GST_START_TEST (test_pointer_lands_on_mapped_coordinates)
{
  /* 30,25 in the 200x150 stream = 60,50 in the capture = 260,150 on screen */
  navigate (gst_navigation_event_new_mouse_move (30, 25, GST_NAVIGATION_MODIFIER_NONE));
  Window root_ret, child;
  int rx, ry, wx, wy;
  unsigned int mask;
  XQueryPointer (dpy, DefaultRootWindow (dpy), &root_ret, &child, &rx, &ry, &wx, &wy, &mask);
  fail_unless_equals_int (rx, REGION_X + 60);
  fail_unless_equals_int (ry, REGION_Y + 50);

  /* never outside the shared region */
  navigate (gst_navigation_event_new_mouse_move (-50, 1000, GST_NAVIGATION_MODIFIER_NONE));
  XQueryPointer (dpy, DefaultRootWindow (dpy), &root_ret, &child, &rx, &ry, &wx, &wy, &mask);
  fail_unless_equals_int (rx, REGION_X);
  fail_unless_equals_int (ry, REGION_Y + REGION_H - 1);
  stop_pipeline ();
}
GST_END_TEST;

GST_START_TEST (test_click_reaches_client)
{
  navigate (gst_navigation_event_new_mouse_button_press (1, 50, 40, GST_NAVIGATION_MODIFIER_NONE));
  navigate (
      gst_navigation_event_new_mouse_button_release (1, 50, 40, GST_NAVIGATION_MODIFIER_NONE));
  XEvent ev;
  fail_unless (next_x_event (ButtonPress, &ev), "no ButtonPress");
  fail_unless_equals_int (ev.xbutton.button, 1);
  fail_unless_equals_int (ev.xbutton.x, 100);
  fail_unless_equals_int (ev.xbutton.y, 80);
  fail_unless (next_x_event (ButtonRelease, &ev), "no ButtonRelease");
  fail_unless_equals_int (ev.xbutton.button, 1);
  stop_pipeline ();
}
GST_END_TEST;

static void type_key (const gchar *name)
{
  navigate (gst_navigation_event_new_key_press (name, GST_NAVIGATION_MODIFIER_NONE));
  navigate (gst_navigation_event_new_key_release (name, GST_NAVIGATION_MODIFIER_NONE));
}

GST_START_TEST (test_keys_reach_client)
{
  XEvent ev;
  type_key ("a");
  fail_unless (next_x_event (KeyPress, &ev));
  fail_unless_equals_string (typed_text (&ev).c_str (), "a");

  type_key ("A"); /* shifted: Shift is pressed around it */
  fail_unless (next_x_event (KeyPress, &ev));
  fail_unless_equals_int (XLookupKeysym (&ev.xkey, 0), XK_Shift_L);
  fail_unless (next_x_event (KeyPress, &ev));
  fail_unless (ev.xkey.state & ShiftMask);
  fail_unless_equals_string (typed_text (&ev).c_str (), "A");

  type_key ("!");
  fail_unless (next_x_event (KeyPress, &ev));
  fail_unless (next_x_event (KeyPress, &ev));
  fail_unless_equals_string (typed_text (&ev).c_str (), "!");

  type_key ("Enter");
  fail_unless (next_x_event (KeyPress, &ev));
  fail_unless_equals_int (XLookupKeysym (&ev.xkey, 0), XK_Return);

  /* U+263A has no keycode on a US keyboard: a spare keycode is borrowed */
  type_key ("\xe2\x98\xba");
  fail_unless (next_x_event (KeyPress, &ev));
  fail_unless_equals_int (XLookupKeysym (&ev.xkey, 0), 0x100263a);

  GstElement *inject = gst_bin_get_by_name (GST_BIN (pipeline), "inject");
  guint64 dropped = 0;
  g_object_get (inject, "dropped", &dropped, NULL);
  fail_unless_equals_int (dropped, 0);
  gst_object_unref (inject);
  stop_pipeline ();
}
GST_END_TEST;

GST_START_TEST (test_nothing_held_after_stop)
{
  navigate (gst_navigation_event_new_key_press ("b", GST_NAVIGATION_MODIFIER_NONE));
  navigate (gst_navigation_event_new_key_press ("Shift_L", GST_NAVIGATION_MODIFIER_NONE));
  navigate (gst_navigation_event_new_mouse_button_press (3, 20, 20, GST_NAVIGATION_MODIFIER_NONE));
  char keys[32];
  XQueryKeymap (dpy, keys);
  int down = 0;
  for (char k : keys)
    down += __builtin_popcount ((unsigned char) k);
  fail_unless_equals_int (down, 2);

  stop_pipeline ();
  XQueryKeymap (dpy, keys);
  for (int i = 0; i < 32; i++)
    fail_unless_equals_int (keys[i], 0);
  Window root_ret, child;
  int rx, ry, wx, wy;
  unsigned int mask = 0;
  XQueryPointer (dpy, DefaultRootWindow (dpy), &root_ret, &child, &rx, &ry, &wx, &wy, &mask);
  fail_unless_equals_int (mask & (Button1Mask | Button2Mask | Button3Mask | ShiftMask), 0);
  XEvent ev;
  fail_unless (next_x_event (KeyRelease, &ev), "the client saw no release");
}
GST_END_TEST;

static Suite *xtest_suite (void)
{
  Suite *s = suite_create ("gvinputinject-xtest");
  TCase *tc = tcase_create ("xtest");
  suite_add_tcase (s, tc);
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_add_test (tc, test_pointer_lands_on_mapped_coordinates);
  tcase_add_test (tc, test_click_reaches_client);
  tcase_add_test (tc, test_keys_reach_client);
  tcase_add_test (tc, test_nothing_held_after_stop);
  return s;
}

int main (int argc, char **argv)
{
  gv_xvfb_start ();
  gst_check_init (&argc, &argv);
  return gst_check_run_suite (xtest_suite (), "gvinputinject-xtest", __FILE__);
}
