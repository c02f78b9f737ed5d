/* GhostView — X11 error handling shared by the capture and input plugins.
 *
 * Xlib's default error handler exits the process. A shared window that closes
 * while ximagesrc grabs it raises BadDrawable/BadWindow/BadMatch; for a host
 * that must not kill the session. gv_x11_install_error_handler() installs,
 * once per process, a handler that logs and ignores those three (chaining any
 * other error to the previous handler), and GvX11ErrorTrap catches every
 * error raised by our own requests in a scope.
 */
#pragma once

#include <X11/Xlib.h>

void gv_x11_install_error_handler ();

class GvX11ErrorTrap {
public:
  explicit GvX11ErrorTrap (Display *dpy);
  ~GvX11ErrorTrap ();
  /* XSyncs, then returns the first error code seen in the scope (0 = none). */
  int sync ();

  GvX11ErrorTrap (const GvX11ErrorTrap &) = delete;
  GvX11ErrorTrap &operator= (const GvX11ErrorTrap &) = delete;

private:
  Display *dpy_;
  int saved_code_;
  bool saved_active_;
};
