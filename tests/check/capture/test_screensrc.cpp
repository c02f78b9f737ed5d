/* GhostView — gvscreensrc under Xvfb: what is on the screen is in the frames. */
#include "gvxvfb.h"
#include "gvcaptureregion.h"

#include <gst/app/gstappsink.h>
#include <gst/check/gstcheck.h>
#include <gst/video/video.h>

#define ROOT_PIXEL 0x204080UL
#define RED_PIXEL 0xff0000UL
#define GREEN_PIXEL 0x00ff00UL

static Display *dpy; /* per test: Check forks each test */

static void open_display (void)
{
  dpy = XOpenDisplay (nullptr);
  fail_unless (dpy != nullptr);
}

static void close_display (void)
{
  XCloseDisplay (dpy);
}

struct Frame {
  GstElement *pipeline = nullptr;
  GstSample *sample = nullptr;
  GstVideoFrame vframe;
  gint width = 0, height = 0;
};

/* Starts "<src> ! videoconvert ! BGRx ! appsink" and maps its first frame. */
static void frame_grab (Frame *f, const gchar *src)
{
  gchar *desc = g_strdup_printf ("%s name=src ! videoconvert ! video/x-raw,format=BGRx ! "
                                 "appsink name=sink sync=false",
                                 src);
  GError *error = nullptr;
  f->pipeline = gst_parse_launch (desc, &error);
  g_free (desc);
  fail_unless (f->pipeline != nullptr, "parse: %s", error ? error->message : "?");
  GstElement *sink = gst_bin_get_by_name (GST_BIN (f->pipeline), "sink");
  fail_unless (gst_element_set_state (f->pipeline, GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE);
  f->sample = gst_app_sink_try_pull_sample (GST_APP_SINK (sink), 5 * GST_SECOND);
  gst_object_unref (sink);
  fail_unless (f->sample != nullptr, "no frame within 5 s");
  GstVideoInfo info;
  fail_unless (gst_video_info_from_caps (&info, gst_sample_get_caps (f->sample)));
  fail_unless (
      gst_video_frame_map (&f->vframe, &info, gst_sample_get_buffer (f->sample), GST_MAP_READ));
  f->width = GST_VIDEO_INFO_WIDTH (&info);
  f->height = GST_VIDEO_INFO_HEIGHT (&info);
}

static guint32 frame_pixel (Frame *f, gint x, gint y)
{
  const guint8 *p = (const guint8 *) GST_VIDEO_FRAME_PLANE_DATA (&f->vframe, 0) +
                    y * GST_VIDEO_FRAME_PLANE_STRIDE (&f->vframe, 0) + x * 4;
  return (guint32) (p[2] << 16 | p[1] << 8 | p[0]); /* BGRx -> 0xRRGGBB */
}

static void frame_free (Frame *f)
{
  gst_video_frame_unmap (&f->vframe);
  gst_sample_unref (f->sample);
  gst_element_set_state (f->pipeline, GST_STATE_NULL);
  gst_object_unref (f->pipeline);
}

static gboolean query_region (Frame *f, GvCaptureRegion *region)
{
  GstElement *src = gst_bin_get_by_name (GST_BIN (f->pipeline), "src");
  GstPad *pad = gst_element_get_static_pad (src, "src");
  GstQuery *query = gv_capture_region_query_new ();
  gboolean ok = gst_pad_query (pad, query) && gv_capture_region_query_parse (query, region);
  gst_query_unref (query);
  gst_object_unref (pad);
  gst_object_unref (src);
  return ok;
}

GST_START_TEST (test_full_screen)
{
  Frame f;
  frame_grab (&f, "gvscreensrc show-cursor=false framerate=10/1");
  fail_unless_equals_int (f.width, 1280);
  fail_unless_equals_int (f.height, 720);
  fail_unless_equals_int (frame_pixel (&f, 10, 10), ROOT_PIXEL);
  fail_unless_equals_int (frame_pixel (&f, 1270, 700), ROOT_PIXEL);
  fail_unless_equals_int (frame_pixel (&f, 100, 80), RED_PIXEL);
  fail_unless_equals_int (frame_pixel (&f, 419, 319), RED_PIXEL);
  fail_unless_equals_int (frame_pixel (&f, 420, 320), ROOT_PIXEL);
  frame_free (&f);
}
GST_END_TEST;

GST_START_TEST (test_region)
{
  Frame f;
  frame_grab (&f, "gvscreensrc show-cursor=false framerate=10/1 region=\"<60,40,200,160>\"");
  fail_unless_equals_int (f.width, 200);
  fail_unless_equals_int (f.height, 160);
  fail_unless_equals_int (frame_pixel (&f, 5, 5), ROOT_PIXEL);    /* screen 65,45 */
  fail_unless_equals_int (frame_pixel (&f, 39, 39), ROOT_PIXEL);  /* screen 99,79 */
  fail_unless_equals_int (frame_pixel (&f, 40, 40), RED_PIXEL);   /* screen 100,80 */
  fail_unless_equals_int (frame_pixel (&f, 199, 159), RED_PIXEL); /* screen 259,199 */
  GvCaptureRegion r;
  fail_unless (query_region (&f, &r));
  fail_unless_equals_int (r.x, 60);
  fail_unless_equals_int (r.y, 40);
  fail_unless_equals_int (r.width, 200);
  fail_unless_equals_int (r.height, 160);
  fail_unless_equals_int (r.screen_width, 1280);
  fail_unless_equals_int (r.screen_height, 720);
  frame_free (&f);
}
GST_END_TEST;

GST_START_TEST (test_window)
{
  Window green = gv_xvfb_colour_window (dpy, 600, 300, 160, 120, GREEN_PIXEL);
  gchar *src = g_strdup_printf ("gvscreensrc show-cursor=false framerate=10/1 window=%lu", green);
  Frame f;
  frame_grab (&f, src);
  g_free (src);
  fail_unless_equals_int (f.width, 160);
  fail_unless_equals_int (f.height, 120);
  fail_unless_equals_int (frame_pixel (&f, 0, 0), GREEN_PIXEL);
  fail_unless_equals_int (frame_pixel (&f, 80, 60), GREEN_PIXEL);
  fail_unless_equals_int (frame_pixel (&f, 159, 119), GREEN_PIXEL);

  /* the region follows the window when it moves */
  GvCaptureRegion r;
  fail_unless (query_region (&f, &r));
  fail_unless_equals_int (r.x, 600);
  fail_unless_equals_int (r.y, 300);
  fail_unless_equals_int (r.window, green);
  XMoveWindow (dpy, green, 700, 400);
  XSync (dpy, False);
  fail_unless (query_region (&f, &r));
  fail_unless_equals_int (r.x, 700);
  fail_unless_equals_int (r.y, 400);
  frame_free (&f);
  XDestroyWindow (dpy, green);
  XSync (dpy, False);
}
GST_END_TEST;

GST_START_TEST (test_window_closed)
{
  Window green = gv_xvfb_colour_window (dpy, 800, 100, 100, 100, GREEN_PIXEL);
  gchar *src = g_strdup_printf ("gvscreensrc show-cursor=false framerate=30/1 window=%lu", green);
  Frame f;
  frame_grab (&f, src);
  g_free (src);
  XDestroyWindow (dpy, green);
  XSync (dpy, False);

  GstBus *bus = gst_element_get_bus (f.pipeline);
  GstMessage *msg = gst_bus_timed_pop_filtered (bus, 5 * GST_SECOND, GST_MESSAGE_ERROR);
  fail_unless (msg != nullptr, "no error after the window closed");
  GError *error = nullptr;
  gst_message_parse_error (msg, &error, nullptr);
  fail_unless (g_error_matches (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_NOT_FOUND),
               "unexpected error: %s", error->message);
  fail_unless (strstr (error->message, "closed") != nullptr);
  g_error_free (error);
  gst_message_unref (msg);
  gst_object_unref (bus);
  frame_free (&f);
}
GST_END_TEST;

GST_START_TEST (test_missing_window)
{
  GstElement *src = gst_element_factory_make ("gvscreensrc", nullptr);
  g_object_set (src, "window", (guint64) 0x7ffffff0, NULL);
  fail_unless_equals_int (gst_element_set_state (src, GST_STATE_READY), GST_STATE_CHANGE_FAILURE);
  gst_element_set_state (src, GST_STATE_NULL);
  gst_object_unref (src);
}
GST_END_TEST;

static Suite *gvscreensrc_suite (void)
{
  Suite *s = suite_create ("gvscreensrc");
  TCase *tc = tcase_create ("x11");
  suite_add_tcase (s, tc);
  tcase_add_checked_fixture (tc, open_display, close_display);
  tcase_add_test (tc, test_full_screen);
  tcase_add_test (tc, test_region);
  tcase_add_test (tc, test_window);
  tcase_add_test (tc, test_window_closed);
  tcase_add_test (tc, test_missing_window);
  return s;
}

int main (int argc, char **argv)
{
  gv_xvfb_start ();
  /* The scene every test sees: a coloured root and a red window at 100,80
   * (320x240). This connection keeps the window alive; it is not used again. */
  Display *scene = XOpenDisplay (nullptr);
  Window root = DefaultRootWindow (scene);
  XSetWindowBackground (scene, root, ROOT_PIXEL);
  XClearWindow (scene, root);
  gv_xvfb_colour_window (scene, 100, 80, 320, 240, RED_PIXEL);
  gst_check_init (&argc, &argv);
  return gst_check_run_suite (gvscreensrc_suite (), "gvscreensrc", __FILE__);
}
