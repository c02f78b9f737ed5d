/* GhostView — gvscreensrc under Xvfb: what is on the screen is in the frames. */
#include "gvxvfb.h"
#include "gvcaptureregion.h"
#include "gvcursorevent.h"
#include "gvpadblock.h"
#include "gvsharedsource.h"

#include <X11/cursorfont.h>
#include <X11/extensions/Xrandr.h>
#include <gst/app/gstappsink.h>
#include <gst/check/gstcheck.h>
#include <gst/video/video.h>

#include <mutex>

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
                                 "appsink name=sink sync=false max-buffers=2 drop=true",
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

/* What came down to the appsink besides frames: each "gv-shared" as
 * "source|by|reason|WxH", and how many force-key-unit events. */
struct Announcements {
  GAsyncQueue *shared = g_async_queue_new_full (g_free);
  gint keyframe_requests = 0;
  ~Announcements () { g_async_queue_unref (shared); }
};

static GstPadProbeReturn announcement_probe (GstPad *, GstPadProbeInfo *info, gpointer data)
{
  auto *a = static_cast<Announcements *> (data);
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
  GvShareableSource source;
  std::string by, reason;
  if (gv_shared_event_parse (event, source, by, reason))
    g_async_queue_push (a->shared,
                        g_strdup_printf ("%s|%s|%s|%dx%d", source.id.c_str (), by.c_str (),
                                         reason.c_str (), source.width, source.height));
  else if (gst_video_event_is_force_key_unit (event))
    g_atomic_int_inc (&a->keyframe_requests);
  return GST_PAD_PROBE_OK;
}

/* @probe sees every event that reaches the appsink. */
static void watch_sink_events (Frame *f, GstPadProbeCallback probe, gpointer data)
{
  GstElement *sink = gst_bin_get_by_name (GST_BIN (f->pipeline), "sink");
  GstPad *pad = gst_element_get_static_pad (sink, "sink");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, probe, data, nullptr);
  gst_object_unref (pad);
  gst_object_unref (sink);
}

static void watch_announcements (Frame *f, Announcements *a)
{
  watch_sink_events (f, announcement_probe, a);
}

static gchar *next_announcement (Announcements *a)
{
  return (gchar *) g_async_queue_timeout_pop (a->shared, 5 * G_USEC_PER_SEC);
}

/* Pulls frames until one is @width x @height (within 5 s) and maps it. */
static void frame_wait_size (Frame *f, gint width, gint height)
{
  gst_video_frame_unmap (&f->vframe);
  gst_sample_unref (f->sample);
  f->sample = nullptr;
  GstElement *sink = gst_bin_get_by_name (GST_BIN (f->pipeline), "sink");
  gint64 deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
  GstVideoInfo info;
  while (g_get_monotonic_time () < deadline) {
    GstSample *sample = gst_app_sink_try_pull_sample (GST_APP_SINK (sink), GST_SECOND);
    if (!sample)
      continue;
    fail_unless (gst_video_info_from_caps (&info, gst_sample_get_caps (sample)));
    if (GST_VIDEO_INFO_WIDTH (&info) == width && GST_VIDEO_INFO_HEIGHT (&info) == height) {
      f->sample = sample;
      break;
    }
    gst_sample_unref (sample);
  }
  gst_object_unref (sink);
  fail_unless (f->sample != nullptr, "no %dx%d frame within 5 s", width, height);
  fail_unless (
      gst_video_frame_map (&f->vframe, &info, gst_sample_get_buffer (f->sample), GST_MAP_READ));
  f->width = width;
  f->height = height;
}

/* Pulls frames until one is @width x @height with @pixel at @x,@y (5 s): a
 * switch between two sources of one size changes no caps. */
static void frame_wait_pixel (Frame *f, gint width, gint height, gint x, gint y, guint32 pixel)
{
  gint64 deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
  do
    frame_wait_size (f, width, height);
  while (frame_pixel (f, x, y) != pixel && g_get_monotonic_time () < deadline);
  fail_unless_equals_int (frame_pixel (f, x, y), pixel);
}

static GstPad *src_pad (Frame *f)
{
  GstElement *src = gst_bin_get_by_name (GST_BIN (f->pipeline), "src");
  GstPad *pad = gst_element_get_static_pad (src, "src");
  gst_object_unref (src);
  return pad;
}

/* The source's answer to the gv-sources query. */
static void ask_sources (Frame *f, std::string &current, std::vector<GvShareableSource> &sources)
{
  GstPad *pad = src_pad (f);
  GstQuery *query = gv_sources_query_new ();
  fail_unless (gst_pad_query (pad, query));
  fail_unless (gv_sources_query_parse (query, current, sources));
  gst_query_unref (query);
  gst_object_unref (pad);
}

GST_START_TEST (test_sources_listed)
{
  Window green = gv_xvfb_colour_window (dpy, 600, 300, 200, 100, GREEN_PIXEL);
  XStoreName (dpy, green, "Green window");
  XSync (dpy, False);
  Frame f;
  frame_grab (&f, "gvscreensrc show-cursor=false framerate=10/1 source=display:0");
  std::string current;
  std::vector<GvShareableSource> sources;
  ask_sources (&f, current, sources);
  fail_unless_equals_string (current.c_str (), "display:0");
  fail_unless (sources.size () >= 3);
  fail_unless_equals_string (sources[0].id.c_str (), "screen");
  fail_unless_equals_int (sources[0].width, 1280);
  fail_unless_equals_string (sources[1].id.c_str (), "display:0");
  gchar *green_id = g_strdup_printf ("window:0x%lx", green);
  bool listed = false;
  for (const GvShareableSource &s : sources)
    if (s.id == green_id) {
      listed = true;
      fail_unless_equals_string (s.kind.c_str (), "window");
      fail_unless_equals_string (s.name.c_str (), "Green window");
      fail_unless_equals_int (s.width, 200);
      fail_unless_equals_int (s.height, 100);
    }
  fail_unless (listed, "%s is not among the sources", green_id);
  g_free (green_id);
  frame_free (&f);
  XDestroyWindow (dpy, green);
  XSync (dpy, False);
}
GST_END_TEST;

GST_START_TEST (test_switch_live)
{
  Window green = gv_xvfb_colour_window (dpy, 600, 300, 200, 100, GREEN_PIXEL);
  gchar *green_id = g_strdup_printf ("window:0x%lx", green);
  gchar *src = g_strdup_printf ("gvscreensrc show-cursor=false framerate=30/1 source=%s", green_id);
  Frame f;
  frame_grab (&f, src);
  g_free (src);
  Announcements a;
  watch_announcements (&f, &a);
  fail_unless_equals_int (f.width, 200);
  fail_unless_equals_int (frame_pixel (&f, 100, 50), GREEN_PIXEL);

  /* The host switches (the property): the whole screen, a keyframe asked. */
  GstElement *element = gst_bin_get_by_name (GST_BIN (f.pipeline), "src");
  g_object_set (element, "source", "screen", NULL);
  frame_wait_size (&f, 1280, 720);
  fail_unless_equals_int (frame_pixel (&f, 200, 100), RED_PIXEL);
  fail_unless_equals_int (frame_pixel (&f, 700, 350), GREEN_PIXEL);
  gchar *said = next_announcement (&a);
  fail_unless_equals_string (said, "screen|||1280x720");
  g_free (said);
  fail_unless (g_atomic_int_get (&a.keyframe_requests) >= 1);
  gchar *now = nullptr;
  g_object_get (element, "source", &now, NULL);
  fail_unless_equals_string (now, "screen");
  g_free (now);

  /* A viewer asks (the event): back to the window, named as asking. */
  GstPad *pad = src_pad (&f);
  fail_unless (gst_pad_send_event (pad, gv_share_event_new (green_id, "Ann")));
  frame_wait_size (&f, 200, 100);
  fail_unless_equals_int (frame_pixel (&f, 10, 10), GREEN_PIXEL);
  said = next_announcement (&a);
  gchar *expected = g_strdup_printf ("%s|Ann||200x100", green_id);
  fail_unless_equals_string (said, expected);
  g_free (expected);
  g_free (said);

  /* Something that is not there: refused, and the window stays shared. */
  fail_if (gst_pad_send_event (pad, gv_share_event_new ("window:0x7ffffff0", "Ann")));
  fail_if (gst_pad_send_event (pad, gv_share_event_new ("display:7", "Ann")));
  gst_object_unref (pad);
  frame_wait_size (&f, 200, 100);

  /* The shared window grows: followed. */
  XResizeWindow (dpy, green, 300, 150);
  XSync (dpy, False);
  frame_wait_size (&f, 300, 150);
  fail_unless_equals_int (frame_pixel (&f, 250, 120), GREEN_PIXEL);

  gst_object_unref (element);
  g_free (green_id);
  frame_free (&f);
  XDestroyWindow (dpy, green);
  XSync (dpy, False);
}
GST_END_TEST;

/* Frames that came after a "gv-shared" (counted once one has passed). */
struct FramesAfterAnnouncement {
  gint announced = 0;
  gint frames = 0;
};

static GstPadProbeReturn count_frames_after_announcement (GstPad *, GstPadProbeInfo *info,
                                                          gpointer data)
{
  auto *seen = static_cast<FramesAfterAnnouncement *> (data);
  if (GST_PAD_PROBE_INFO_TYPE (info) & GST_PAD_PROBE_TYPE_BUFFER) {
    if (g_atomic_int_get (&seen->announced))
      g_atomic_int_inc (&seen->frames);
  } else if (gv_shared_event_is (GST_PAD_PROBE_INFO_EVENT (info))) {
    g_atomic_int_set (&seen->announced, 1);
  }
  return GST_PAD_PROBE_OK;
}

/* The host's launch line has a leaky queue between the capture and the
 * encoders; while they set up for a new size it fills and drops what it
 * leaks. The announcement of a switch is still seen downstream, before
 * the new source's frames (a lost one left a viewer's "Sharing:" line on
 * the old source, 1 CI run in ~10). */
GST_START_TEST (test_switch_announced_through_a_leaky_queue)
{
  Frame f;
  frame_grab (&f, "gvscreensrc show-cursor=false framerate=30/1 name=capture ! "
                  "queue name=leaky max-size-buffers=1 leaky=downstream ! identity");
  Announcements a;
  watch_announcements (&f, &a);
  fail_unless_equals_int (f.width, 1280);
  Window green = gv_xvfb_colour_window (dpy, 600, 300, 200, 100, GREEN_PIXEL);
  gchar *green_id = g_strdup_printf ("window:0x%lx", green);

  /* Downstream stalls (an encoder being set up): the queue leaks. */
  GstElement *queue = gst_bin_get_by_name (GST_BIN (f.pipeline), "leaky");
  GstPad *queue_src = gst_element_get_static_pad (queue, "src");
  GstPad *queue_sink = gst_element_get_static_pad (queue, "sink");
  /* A frame is held there, so whatever comes next waits in the queue. */
  gulong block = gv_pad_block_held (queue_src);
  fail_unless (block != 0, "nothing came to the blocked pad");
  FramesAfterAnnouncement into_queue;
  gst_pad_add_probe (
      queue_sink,
      (GstPadProbeType) (GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM),
      count_frames_after_announcement, &into_queue, nullptr);
  GstElement *capture = gst_bin_get_by_name (GST_BIN (f.pipeline), "capture");
  GstPad *capture_src = gst_element_get_static_pad (capture, "src");
  fail_unless (gst_pad_send_event (capture_src, gv_share_event_new (green_id, "Ann")));
  /* Three frames after it into a queue that holds one: it was leaked. */
  gint64 deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
  while (g_atomic_int_get (&into_queue.frames) < 3 && g_get_monotonic_time () < deadline)
    g_usleep (20 * 1000);
  fail_unless (g_atomic_int_get (&into_queue.frames) >= 3, "the new source sent no frames");
  gst_pad_remove_probe (queue_src, block);

  frame_wait_size (&f, 200, 100);
  gchar *said = next_announcement (&a);
  gchar *expected = g_strdup_printf ("%s|Ann||200x100", green_id);
  fail_unless_equals_string (said, expected);
  g_free (expected);
  g_free (said);

  gst_object_unref (capture_src);
  gst_object_unref (capture);
  gst_object_unref (queue_sink);
  gst_object_unref (queue_src);
  gst_object_unref (queue);
  g_free (green_id);
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
  Announcements a;
  watch_announcements (&f, &a);
  XDestroyWindow (dpy, green);
  XSync (dpy, False);

  /* Its display takes its place, with a warning and an announcement. */
  GstBus *bus = gst_element_get_bus (f.pipeline);
  GstMessage *msg = gst_bus_timed_pop_filtered (
      bus, 5 * GST_SECOND, (GstMessageType) (GST_MESSAGE_WARNING | GST_MESSAGE_ERROR));
  fail_unless (msg != nullptr, "nothing said after the window closed");
  fail_unless_equals_int (GST_MESSAGE_TYPE (msg), GST_MESSAGE_WARNING);
  GError *error = nullptr;
  gst_message_parse_warning (msg, &error, nullptr);
  fail_unless (strstr (error->message, "The shared window was closed; sharing display:0") !=
                   nullptr,
               "unexpected warning: %s", error->message);
  g_error_free (error);
  gst_message_unref (msg);
  gst_object_unref (bus);
  frame_wait_size (&f, 1280, 720);
  fail_unless_equals_int (frame_pixel (&f, 200, 100), RED_PIXEL);
  gchar *said = next_announcement (&a);
  fail_unless_equals_string (said, "display:0||window-closed|1280x720");
  g_free (said);
  frame_free (&f);
}
GST_END_TEST;

/* What the pointer events said: positions as "x,y,visible", and the shapes. */
struct PointerSeen {
  GAsyncQueue *positions = g_async_queue_new_full (g_free);
  gint shapes = 0, shape_width = 0, shape_height = 0;
  gsize shape_bytes = 0;
  guint last_shape = 0;
  std::mutex lock;
  ~PointerSeen () { g_async_queue_unref (positions); }
};

static GstPadProbeReturn pointer_probe (GstPad *, GstPadProbeInfo *info, gpointer data)
{
  auto *seen = static_cast<PointerSeen *> (data);
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
  GvCursorPosition p;
  guint shape;
  gint w, h, hx, hy;
  GBytes *rgba;
  if (gv_cursor_event_parse (event, p)) {
    g_async_queue_push (seen->positions, g_strdup_printf ("%d,%d,%d", p.x, p.y, p.visible));
  } else if (gv_cursor_shape_event_parse (event, shape, w, h, hx, hy, rgba)) {
    std::lock_guard<std::mutex> guard (seen->lock);
    seen->shapes++;
    seen->shape_width = w;
    seen->shape_height = h;
    seen->shape_bytes = g_bytes_get_size (rgba);
    seen->last_shape = shape;
  }
  return GST_PAD_PROBE_OK;
}

/* Waits (5 s) for a position event equal to @want. */
static bool pointer_at (PointerSeen *seen, const char *want)
{
  gint64 deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
  while (g_get_monotonic_time () < deadline) {
    gchar *got = (gchar *) g_async_queue_timeout_pop (seen->positions, 200 * 1000);
    bool match = got && g_str_equal (got, want);
    g_free (got);
    if (match)
      return true;
  }
  return false;
}

GST_START_TEST (test_cursor_events)
{
  Frame f;
  frame_grab (&f, "gvscreensrc show-cursor=false cursor-events=true framerate=30/1 "
                  "region=\"<100,50,400,300>\"");
  PointerSeen seen;
  watch_sink_events (&f, pointer_probe, &seen);

  /* A new shape (a hand over the root window) is sent as it changes. */
  Cursor hand = XCreateFontCursor (dpy, XC_hand2);
  XDefineCursor (dpy, DefaultRootWindow (dpy), hand);
  /* Inside the region: in the frame's pixels. */
  XWarpPointer (dpy, None, DefaultRootWindow (dpy), 0, 0, 0, 0, 250, 150);
  XSync (dpy, False);
  fail_unless (pointer_at (&seen, "150,100,1"), "no gv-cursor at 150,100");
  /* Outside it: not visible, where it would be. */
  XWarpPointer (dpy, None, DefaultRootWindow (dpy), 0, 0, 0, 0, 20, 600);
  XSync (dpy, False);
  fail_unless (pointer_at (&seen, "-80,550,0"), "no gv-cursor outside the region");
  {
    std::lock_guard<std::mutex> guard (seen.lock);
    fail_unless (seen.shapes >= 1, "no gv-cursor-shape");
    fail_unless (seen.shape_width >= 1 && seen.shape_width <= GV_CURSOR_MAX_SIZE);
    fail_unless_equals_int ((gint) seen.shape_bytes, seen.shape_width * seen.shape_height * 4);
    fail_unless (seen.last_shape != 0);
  }
  XUndefineCursor (dpy, DefaultRootWindow (dpy));
  XFreeCursor (dpy, hand);
  XSync (dpy, False);
  /* Unchanged: not sent with every frame (30 in a second), only again
   * every 2 s, the same position and the shape with it, so an event lost
   * downstream (a leaky queue) is made good. */
  g_usleep (300 * 1000);
  while (gchar *queued = (gchar *) g_async_queue_try_pop (seen.positions))
    g_free (queued);
  int shapes_before;
  {
    std::lock_guard<std::mutex> guard (seen.lock);
    shapes_before = seen.shapes;
  }
  int repeats = 0;
  gint64 until = g_get_monotonic_time () + 2500 * 1000;
  while (g_get_monotonic_time () < until) {
    gchar *again = (gchar *) g_async_queue_timeout_pop (seen.positions, 100 * 1000);
    if (!again)
      continue;
    fail_unless (g_str_equal (again, "-80,550,0"), "a position that moved by itself: %s", again);
    g_free (again);
    repeats++;
  }
  fail_unless (repeats >= 1 && repeats <= 2, "%d positions in 2.5 s without a move", repeats);
  {
    std::lock_guard<std::mutex> guard (seen.lock);
    fail_unless (seen.shapes > shapes_before, "the shape was not sent again");
  }
  frame_free (&f);
}
GST_END_TEST;

static bool ask_resize (Frame *f, gint width, gint height, gint *taken_w, gint *taken_h,
                        std::string *why)
{
  GstPad *pad = src_pad (f);
  GstQuery *query = gv_resize_query_new (width, height, "Ann");
  fail_unless (gst_pad_query (pad, query));
  bool done = false;
  fail_unless (gv_resize_query_parse_answer (query, done, *taken_w, *taken_h, *why));
  gst_query_unref (query);
  gst_object_unref (pad);
  return done;
}

/* A viewer asks the (virtual) display to take its window's size. */
GST_START_TEST (test_resize_to_viewer)
{
  gint w = 0, h = 0;
  std::string why;
  {
    Frame f;
    frame_grab (&f, "gvscreensrc show-cursor=false framerate=30/1");
    fail_if (ask_resize (&f, 800, 600, &w, &h, &why));
    fail_unless (why.find ("does not resize") != std::string::npos, "%s", why.c_str ());
    frame_free (&f);
  }
  Frame f;
  frame_grab (&f, "gvscreensrc show-cursor=false framerate=30/1 allow-resize=true");
  Announcements a;
  watch_announcements (&f, &a);
  fail_unless (ask_resize (&f, 801, 601, &w, &h, &why), "refused: %s", why.c_str ());
  fail_unless_equals_int (w, 800); /* even sizes */
  fail_unless_equals_int (h, 600);
  frame_wait_size (&f, 800, 600);
  fail_unless_equals_int (frame_pixel (&f, 200, 100), RED_PIXEL);
  gchar *said = next_announcement (&a);
  fail_unless_equals_string (said, "screen|Ann|resized|800x600");
  g_free (said);
  /* Beyond what the display holds: as large as it goes. */
  fail_unless (ask_resize (&f, 4000, 3000, &w, &h, &why), "refused: %s", why.c_str ());
  fail_unless_equals_int (w, 1280);
  fail_unless_equals_int (h, 720);
  frame_wait_size (&f, 1280, 720);
  fail_unless (ask_resize (&f, 640, 480, &w, &h, &why));
  frame_wait_size (&f, 640, 480);
  /* A window shared: refused. */
  GstElement *src = gst_bin_get_by_name (GST_BIN (f.pipeline), "src");
  Window win = gv_xvfb_colour_window (dpy, 10, 10, 100, 100, GREEN_PIXEL);
  gchar *id = g_strdup_printf ("window:0x%lx", win);
  g_object_set (src, "source", id, NULL);
  g_free (id);
  frame_wait_size (&f, 100, 100);
  fail_if (ask_resize (&f, 800, 600, &w, &h, &why));
  fail_unless (why.find ("window") != std::string::npos, "%s", why.c_str ());
  gst_object_unref (src);
  frame_free (&f);
  /* Stopped: the display has its first size back. */
  Display *fresh = XOpenDisplay (nullptr);
  fail_unless_equals_int (DisplayWidth (fresh, DefaultScreen (fresh)), 1280);
  fail_unless_equals_int (DisplayHeight (fresh, DefaultScreen (fresh)), 720);
  XCloseDisplay (fresh);
  XDestroyWindow (dpy, win);
  XSync (dpy, False);
}
GST_END_TEST;

/* Two monitors side by side on one X screen (RandR 1.5 monitors, as a
 * desk with two screens has): each is a display:N, "screen" is the canvas
 * of both. Runs last: it changes the server's monitors, then restores one. */
static Atom add_monitor (const char *name, int x, int width, RROutput output)
{
  XRRMonitorInfo *monitor = XRRAllocateMonitor (dpy, output ? 1 : 0);
  monitor->name = XInternAtom (dpy, name, False);
  monitor->x = x;
  monitor->y = 0;
  monitor->width = width;
  monitor->height = 720;
  monitor->mwidth = width / 4;
  monitor->mheight = 180;
  monitor->primary = x == 0;
  if (output)
    monitor->outputs[0] = output;
  XRRSetMonitor (dpy, DefaultRootWindow (dpy), monitor);
  XRRFreeMonitors (monitor);
  XSync (dpy, False);
  return XInternAtom (dpy, name, False);
}

GST_START_TEST (test_two_monitors)
{
  XRRScreenResources *res = XRRGetScreenResources (dpy, DefaultRootWindow (dpy));
  fail_unless (res && res->noutput >= 1);
  RROutput output = res->outputs[0];
  XRRFreeScreenResources (res);
  Atom left = add_monitor ("GV-LEFT", 0, 640, output);
  Atom right = add_monitor ("GV-RIGHT", 640, 640, 0);
  Window green = gv_xvfb_colour_window (dpy, 700, 100, 100, 100, GREEN_PIXEL);

  Frame f;
  frame_grab (&f, "gvscreensrc show-cursor=false framerate=30/1 source=display:1");
  fail_unless_equals_int (f.width, 640);
  fail_unless_equals_int (frame_pixel (&f, 80, 120), GREEN_PIXEL); /* screen 720,220 */
  fail_unless_equals_int (frame_pixel (&f, 10, 10), ROOT_PIXEL);

  std::string current;
  std::vector<GvShareableSource> sources;
  ask_sources (&f, current, sources);
  GstPad *pad = src_pad (&f);
  fail_unless_equals_string (current.c_str (), "display:1");
  fail_unless_equals_string (sources[0].name.c_str (), "All displays");
  fail_unless_equals_string (sources[1].name.c_str (), "GV-LEFT");
  fail_unless_equals_string (sources[2].name.c_str (), "GV-RIGHT");

  /* The other display, then both as one canvas. */
  fail_unless (gst_pad_send_event (pad, gv_share_event_new ("display:0", "")));
  frame_wait_pixel (&f, 640, 720, 200, 100, RED_PIXEL);
  fail_unless (gst_pad_send_event (pad, gv_share_event_new ("screen", "")));
  frame_wait_size (&f, 1280, 720);
  fail_unless_equals_int (frame_pixel (&f, 200, 100), RED_PIXEL);
  fail_unless_equals_int (frame_pixel (&f, 720, 120), GREEN_PIXEL);
  gst_object_unref (pad);
  frame_free (&f);

  XDestroyWindow (dpy, green);
  XRRDeleteMonitor (dpy, DefaultRootWindow (dpy), right);
  XRRDeleteMonitor (dpy, DefaultRootWindow (dpy), left);
  XSync (dpy, False);
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
  tcase_add_test (tc, test_sources_listed);
  tcase_add_test (tc, test_switch_live);
  tcase_add_test (tc, test_switch_announced_through_a_leaky_queue);
  tcase_add_test (tc, test_window_closed);
  tcase_add_test (tc, test_missing_window);
  tcase_add_test (tc, test_cursor_events);
  tcase_add_test (tc, test_resize_to_viewer);
  tcase_add_test (tc, test_two_monitors);
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
