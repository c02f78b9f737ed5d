/* GhostView — end to end under Xvfb: a host shares a region of the screen
 *   gvscreensrc ! gvinputinject backend=xtest ! videoconvert ! videoscale ! gvwebrtcsink
 * through the real signalling server; a gvwebrtcsrc receiver in the same
 * process is granted control and clicks in its (scaled) picture; the X
 * client that owns the window under the region receives the ButtonPress at
 * the matching screen coordinates. */
#include "gvxvfb.h"
#include "webrtc_harness.h"

#include <gst/check/gstcheck.h>
#include <gst/video/navigation.h>

#include <mutex>
#include <string>

using namespace gvtest;

/* The test window sits exactly on the shared region, so window coordinates
 * are region coordinates. The host scales the region down 2x before
 * encoding, so the receiver's picture is 200x150. */
#define REGION_X 200
#define REGION_Y 100
#define REGION_W 400
#define REGION_H 300

static const int kTimeoutMs = 20000;

/* Waits up to `ms` for an event of `type` on the test window. */
static bool next_x_event (Display *dpy, int type, XEvent *out, int ms)
{
  for (int i = 0; i < ms / 10; i++) {
    while (XPending (dpy)) {
      XNextEvent (dpy, out);
      if (out->type == type)
        return true;
    }
    g_usleep (10 * 1000);
  }
  return false;
}

struct PeerLog {
  std::mutex lock;
  std::string peer;
};

GST_START_TEST (test_receiver_click_reaches_x_client)
{
  Display *dpy = XOpenDisplay (nullptr);
  fail_unless (dpy != nullptr);
  Window win = gv_xvfb_colour_window (dpy, REGION_X, REGION_Y, REGION_W, REGION_H, 0x336699);
  XSelectInput (dpy, win, ButtonPressMask | ButtonReleaseMask);
  XSync (dpy, False);

  {
    BufferCounter frames;
    PeerLog log;
    TestServer server;
    gchar *host_desc =
        g_strdup_printf ("gvscreensrc show-cursor=false framerate=15/1 region=\"<%d,%d,%d,%d>\" ! "
                         "gvinputinject name=inject backend=xtest ! videoconvert ! videoscale ! "
                         "video/x-raw,width=%d,height=%d ! "
                         "gvwebrtcsink name=host ice-loopback=true signaller::server=%s",
                         REGION_X, REGION_Y, REGION_W, REGION_H, REGION_W / 2, REGION_H / 2,
                         server.ws_url ().c_str ());
    Pipeline host (host_desc);
    g_free (host_desc);
    g_signal_connect (host.get ("host"), "viewer-added",
                      G_CALLBACK (+[] (GstElement *, const char *peer, const char *, gpointer d) {
                        auto *l = static_cast<PeerLog *> (d);
                        std::lock_guard<std::mutex> guard (l->lock);
                        l->peer = peer;
                      }),
                      &log);
    host.play ();
    fail_unless (wait_for_pin (host), "no PIN: %s", host.error.c_str ());

    Pipeline viewer (viewer_description (server.ws_url (), host.pin, "",
                                         "identity name=tap ! fakesink sync=false"));
    count_at (viewer, "tap", frames);
    viewer.play ();
    auto peer = [&] {
      std::lock_guard<std::mutex> guard (log.lock);
      return log.peer;
    };
    fail_unless (wait_until ([&] { return frames.buffers >= 5 && !peer ().empty (); }, kTimeoutMs,
                             &host, &viewer),
                 "no picture: %d frames (%s / %s)", (int) frames.buffers, host.error.c_str (),
                 viewer.error.c_str ());

    /* The host grants control; the receiver learns it. */
    gboolean found = FALSE;
    g_signal_emit_by_name (host.get ("host"), "grant-control", peer ().c_str (), TRUE, &found);
    fail_unless (found);
    fail_unless (wait_until (
                     [&] {
                       gboolean control = FALSE;
                       g_object_get (viewer.get ("viewer"), "control", &control, nullptr);
                       return control;
                     },
                     5000, &host, &viewer),
                 "control was not granted to the receiver");

    /* A click at 50,40 of the receiver's 200x150 picture, sent upstream as
     * its video sink's window would: 100,80 in the region, 300,180 on the
     * screen. */
    GstPad *pad = gst_element_get_static_pad (viewer.get ("tap"), "src");
    gst_pad_send_event (
        pad, gst_navigation_event_new_mouse_button_press (1, 50, 40, GST_NAVIGATION_MODIFIER_NONE));
    gst_pad_send_event (pad, gst_navigation_event_new_mouse_button_release (
                                 1, 50, 40, GST_NAVIGATION_MODIFIER_NONE));
    gst_object_unref (pad);

    XEvent ev;
    bool pressed = false;
    wait_until (
        [&] {
          pressed = pressed || next_x_event (dpy, ButtonPress, &ev, 10);
          return pressed;
        },
        5000, &host, &viewer);
    fail_unless (pressed, "the X client got no ButtonPress");
    fail_unless_equals_int (ev.xbutton.button, 1);
    fail_unless_equals_int (ev.xbutton.x, 100);
    fail_unless_equals_int (ev.xbutton.y, 80);
    fail_unless_equals_int (ev.xbutton.x_root, REGION_X + 100);
    fail_unless_equals_int (ev.xbutton.y_root, REGION_Y + 80);
    fail_unless (next_x_event (dpy, ButtonRelease, &ev, 3000), "the X client got no ButtonRelease");
    fail_unless_equals_int (ev.xbutton.button, 1);

    guint64 injected = 0;
    g_object_get (host.get ("inject"), "injected", &injected, nullptr);
    fail_unless (injected >= 2, "gvinputinject injected %" G_GUINT64_FORMAT, injected);
    fail_unless (host.error.empty (), "%s", host.error.c_str ());
    fail_unless (viewer.error.empty (), "%s", viewer.error.c_str ());
  }

  XDestroyWindow (dpy, win);
  XCloseDisplay (dpy);
}
GST_END_TEST;

static Suite *e2e_suite (void)
{
  Suite *s = suite_create ("webrtc-input-e2e");
  TCase *tc = tcase_create ("e2e");
  tcase_set_timeout (tc, 60);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_receiver_click_reaches_x_client);
  return s;
}

int main (int argc, char **argv)
{
  gv_xvfb_start ();
  gst_check_init (&argc, &argv);
  return gst_check_run_suite (e2e_suite (), "webrtc-input-e2e", __FILE__);
}
