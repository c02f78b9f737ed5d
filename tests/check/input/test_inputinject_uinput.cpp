/* GhostView — gvinputinject with uinput: the virtual pointer and keyboard
 * appear and take events. Skipped where /dev/uinput is not writable. */
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/video/navigation.h>
#include <stdio.h>
#include <unistd.h>

GST_START_TEST (test_uinput_devices)
{
  GstElement *element = gst_element_factory_make ("gvinputinject", nullptr);
  gst_util_set_object_arg (G_OBJECT (element), "backend", "uinput");
  GstHarness *h = gst_harness_new_with_element (element, "sink", "src");
  gst_object_unref (element);
  gst_harness_set_src_caps_str (h, "video/x-raw,format=BGRx,width=640,height=480");
  gst_harness_play (h);

  gchar *names = nullptr;
  g_spawn_command_line_sync ("sh -c 'cat /sys/class/input/*/name'", &names, nullptr, nullptr,
                             nullptr);
  fail_unless (names && strstr (names, "GhostView virtual pointer"));
  fail_unless (strstr (names, "GhostView virtual keyboard"));
  g_free (names);

  gst_harness_push_upstream_event (
      h, gst_navigation_event_new_mouse_move (320, 240, GST_NAVIGATION_MODIFIER_NONE));
  gst_harness_push_upstream_event (
      h, gst_navigation_event_new_key_press ("A", GST_NAVIGATION_MODIFIER_NONE));
  guint64 injected = 0;
  g_object_get (h->element, "injected", &injected, NULL);
  fail_unless_equals_int (injected, 2);
  gst_harness_teardown (h);
}
GST_END_TEST;

static Suite *uinput_suite (void)
{
  Suite *s = suite_create ("gvinputinject-uinput");
  TCase *tc = tcase_create ("uinput");
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_uinput_devices);
  return s;
}

int main (int argc, char **argv)
{
  if (access ("/dev/uinput", W_OK) != 0) {
    printf ("SKIP: /dev/uinput is absent or not writable\n");
    return 77;
  }
  gst_check_init (&argc, &argv);
  return gst_check_run_suite (uinput_suite (), "gvinputinject-uinput", __FILE__);
}
