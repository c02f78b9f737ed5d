/* GhostView — what an X11 display offers for capture: its monitors (XRandR)
 * and its top-level windows (EWMH _NET_CLIENT_LIST, or the mapped children
 * of the root window when no window manager publishes that list). */
#pragma once

#include <X11/Xlib.h>
#include <string>
#include <vector>

struct GvX11Monitor {
  std::string name;
  int x = 0, y = 0, width = 0, height = 0;
  bool primary = false;
};

struct GvX11Window {
  unsigned long xid = 0;
  std::string title;
  std::string application;
  long pid = 0; /* 0 when the window does not publish _NET_WM_PID */
  int x = 0, y = 0, width = 0, height = 0;
};

std::vector<GvX11Monitor> gv_x11_list_monitors (Display *dpy);
std::vector<GvX11Window> gv_x11_list_windows (Display *dpy);

/* Root-relative geometry of @xid; false when the window no longer exists. */
bool gv_x11_window_geometry (Display *dpy, unsigned long xid, int *x, int *y, int *width,
                             int *height);
