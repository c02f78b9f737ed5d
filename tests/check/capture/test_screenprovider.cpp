/* GhostView — gvscreenprovider under Xvfb: the screen and a titled window are
 * listed as Source/Video/Screen devices, and a device makes a working source. */
#include "gvxvfb.h"

#include <X11/Xatom.h>
#include <X11/Xutil.h>
#include <gst/check/gstcheck.h>

#define TITLE "GhostView test window \xe2\x98\xba"

static Window test_window;
static long owner_pid; /* the process that made the window (tests run forked) */

static GstDevice *find_device (GList *devices, const gchar *kind, const gchar *title)
{
  for (GList *l = devices; l; l = l->next) {
    GstStructure *props = gst_device_get_properties (GST_DEVICE (l->data));
    bool match = props && g_strcmp0 (gst_structure_get_string (props, "gv.kind"), kind) == 0 &&
                 (!title || g_strcmp0 (gst_structure_get_string (props, "gv.title"), title) == 0);
    if (props)
      gst_structure_free (props);
    if (match)
      return GST_DEVICE (l->data);
  }
  return nullptr;
}

static GList *monitor_devices (void)
{
  GstDeviceMonitor *monitor = gst_device_monitor_new ();
  gst_device_monitor_add_filter (monitor, "Source/Video/Screen", nullptr);
  fail_unless (gst_device_monitor_start (monitor));
  GList *devices = gst_device_monitor_get_devices (monitor);
  gst_device_monitor_stop (monitor);
  gst_object_unref (monitor);
  return devices;
}

GST_START_TEST (test_lists_screen_and_window)
{
  GList *devices = monitor_devices ();
  GstDevice *screen = find_device (devices, "monitor", nullptr);
  fail_unless (screen != nullptr, "Xvfb's screen is not listed");
  fail_unless (gst_device_has_classes (screen, "Source/Video/Screen"));
  GstStructure *props = gst_device_get_properties (screen);
  gint width = 0, height = 0;
  gboolean primary = FALSE;
  fail_unless (gst_structure_get_int (props, "gv.width", &width));
  fail_unless (gst_structure_get_int (props, "gv.height", &height));
  fail_unless (gst_structure_get_boolean (props, "gv.primary", &primary));
  fail_unless_equals_int (width, 1280);
  fail_unless_equals_int (height, 720);
  fail_unless (primary);
  gst_structure_free (props);

  GstDevice *window = find_device (devices, "window", TITLE);
  fail_unless (window != nullptr, "the test window is not listed");
  gchar *name = gst_device_get_display_name (window);
  fail_unless_equals_string (name, TITLE);
  g_free (name);
  props = gst_device_get_properties (window);
  guint64 xid = 0;
  gint64 pid = 0;
  gint x = 0, y = 0;
  fail_unless (gst_structure_get_uint64 (props, "gv.window", &xid));
  fail_unless (gst_structure_get_int64 (props, "gv.pid", &pid));
  fail_unless (gst_structure_get_int (props, "gv.x", &x));
  fail_unless (gst_structure_get_int (props, "gv.y", &y));
  fail_unless (gst_structure_get_int (props, "gv.width", &width));
  fail_unless_equals_uint64 (xid, test_window);
  fail_unless_equals_int64 (pid, owner_pid);
  fail_unless_equals_string (gst_structure_get_string (props, "gv.application"), "GhostViewTest");
  fail_unless_equals_int (x, 40);
  fail_unless_equals_int (y, 50);
  fail_unless_equals_int (width, 200);
  gst_structure_free (props);

  /* the device makes a gvscreensrc set to that window, and it runs */
  GstElement *src = gst_device_create_element (window, nullptr);
  fail_unless (src != nullptr);
  guint64 configured = 0;
  g_object_get (src, "window", &configured, NULL);
  fail_unless_equals_uint64 (configured, test_window);
  GstElement *pipeline = gst_pipeline_new (nullptr);
  GstElement *sink = gst_element_factory_make ("fakesink", nullptr);
  g_object_set (sink, "num-buffers", 1, NULL);
  gst_bin_add_many (GST_BIN (pipeline), src, sink, NULL);
  fail_unless (gst_element_link (src, sink));
  fail_unless (gst_element_set_state (pipeline, GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE);
  GstBus *bus = gst_element_get_bus (pipeline);
  GstMessage *msg = gst_bus_timed_pop_filtered (
      bus, 5 * GST_SECOND, (GstMessageType) (GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
  fail_unless (msg != nullptr && GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS);
  gst_message_unref (msg);
  gst_object_unref (bus);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (pipeline);
  g_list_free_full (devices, gst_object_unref);
}
GST_END_TEST;

GST_START_TEST (test_lists_windows_without_wm)
{
  /* without a window manager's _NET_CLIENT_LIST, named mapped windows count */
  Display *dpy = XOpenDisplay (nullptr);
  XDeleteProperty (dpy, DefaultRootWindow (dpy), XInternAtom (dpy, "_NET_CLIENT_LIST", False));
  XSync (dpy, False);
  GList *devices = monitor_devices ();
  fail_unless (find_device (devices, "window", TITLE) != nullptr);
  fail_unless (find_device (devices, "monitor", nullptr) != nullptr);
  g_list_free_full (devices, gst_object_unref);
  XCloseDisplay (dpy);
}
GST_END_TEST;

static Suite *gvscreenprovider_suite (void)
{
  Suite *s = suite_create ("gvscreenprovider");
  TCase *tc = tcase_create ("x11");
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_lists_screen_and_window);
  tcase_add_test (tc, test_lists_windows_without_wm);
  return s;
}

int main (int argc, char **argv)
{
  gv_xvfb_start ();
  /* A window as an application and its window manager would publish it. */
  Display *dpy = XOpenDisplay (nullptr);
  test_window = gv_xvfb_colour_window (dpy, 40, 50, 200, 100, 0x808080);
  XStoreName (dpy, test_window, "legacy name");
  XChangeProperty (dpy, test_window, XInternAtom (dpy, "_NET_WM_NAME", False),
                   XInternAtom (dpy, "UTF8_STRING", False), 8, PropModeReplace,
                   (const unsigned char *) TITLE, strlen (TITLE));
  XClassHint hint = { (char *) "gvtest", (char *) "GhostViewTest" };
  XSetClassHint (dpy, test_window, &hint);
  owner_pid = getpid ();
  XChangeProperty (dpy, test_window, XInternAtom (dpy, "_NET_WM_PID", False), XA_CARDINAL, 32,
                   PropModeReplace, (const unsigned char *) &owner_pid, 1);
  unsigned long list[1] = { test_window };
  XChangeProperty (dpy, DefaultRootWindow (dpy), XInternAtom (dpy, "_NET_CLIENT_LIST", False),
                   XA_WINDOW, 32, PropModeReplace, (const unsigned char *) list, 1);
  XSync (dpy, False);
  gst_check_init (&argc, &argv);
  return gst_check_run_suite (gvscreenprovider_suite (), "gvscreenprovider", __FILE__);
}
