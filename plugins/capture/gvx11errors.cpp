/* GhostView — X11 error handling, see gvx11errors.h. */
#include "gvx11errors.h"

#include <glib.h>

namespace {
thread_local bool trap_active = false;
thread_local int trap_code = 0;
XErrorHandler previous_handler = nullptr;

int gv_x11_error_handler (Display *dpy, XErrorEvent *ev)
{
  if (trap_active) {
    if (trap_code == 0)
      trap_code = ev->error_code;
    return 0;
  }
  /* A captured window that goes away or a screen that shrinks under a grab
   * raises these in ximagesrc (GetImage, and extension requests such as
   * MIT-SHM, DAMAGE, XFIXES on the dead window): the elements notice it
   * themselves and report it; do not exit. */
  if (ev->error_code == BadWindow || ev->error_code == BadDrawable || ev->error_code == BadMatch ||
      ev->request_code >= 128) {
    g_debug ("ignored X error %d (request %d.%d)", ev->error_code, ev->request_code,
             ev->minor_code);
    return 0;
  }
  return previous_handler ? previous_handler (dpy, ev) : 0;
}
} // namespace

void gv_x11_install_error_handler ()
{
  static gsize once = 0;
  if (g_once_init_enter (&once)) {
    previous_handler = XSetErrorHandler (gv_x11_error_handler);
    g_once_init_leave (&once, 1);
  }
}

GvX11ErrorTrap::GvX11ErrorTrap (Display *dpy)
    : dpy_ (dpy), saved_code_ (trap_code), saved_active_ (trap_active)
{
  gv_x11_install_error_handler ();
  XSync (dpy_, False);
  trap_code = 0;
  trap_active = true;
}

int GvX11ErrorTrap::sync ()
{
  XSync (dpy_, False);
  return trap_code;
}

GvX11ErrorTrap::~GvX11ErrorTrap ()
{
  XSync (dpy_, False);
  trap_active = saved_active_;
  trap_code = saved_code_;
}
