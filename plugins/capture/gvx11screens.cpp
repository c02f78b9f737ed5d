/* GhostView — X11 monitor and window enumeration, see gvx11screens.h. */
#include "gvx11screens.h"
#include "gvx11errors.h"

#include <X11/Xatom.h>
#include <X11/Xutil.h>
#include <X11/extensions/Xrandr.h>

namespace {
/* Reads a window property; returns the raw items (freed by the caller with
 * XFree) or nullptr. */
unsigned char *get_property (Display *dpy, Window w, Atom prop, Atom type, unsigned long *n_items)
{
  Atom actual_type = None;
  int actual_format = 0;
  unsigned long after = 0;
  unsigned char *data = nullptr;
  *n_items = 0;
  if (XGetWindowProperty (dpy, w, prop, 0, 1 << 16, False, type, &actual_type, &actual_format,
                          n_items, &after, &data) != Success ||
      actual_type == None) {
    if (data)
      XFree (data);
    return nullptr;
  }
  return data;
}

std::string window_title (Display *dpy, Window w)
{
  unsigned long n = 0;
  Atom net_wm_name = XInternAtom (dpy, "_NET_WM_NAME", False);
  Atom utf8 = XInternAtom (dpy, "UTF8_STRING", False);
  if (unsigned char *data = get_property (dpy, w, net_wm_name, utf8, &n)) {
    std::string title (reinterpret_cast<char *> (data), n);
    XFree (data);
    return title;
  }
  char *name = nullptr;
  if (XFetchName (dpy, w, &name) && name) {
    std::string title (name);
    XFree (name);
    return title;
  }
  return {};
}

bool describe_window (Display *dpy, Window w, GvX11Window *out)
{
  if (!gv_x11_window_geometry (dpy, w, &out->x, &out->y, &out->width, &out->height))
    return false;
  out->xid = w;
  out->title = window_title (dpy, w);
  XClassHint hint = {};
  if (XGetClassHint (dpy, w, &hint)) {
    out->application = hint.res_class ? hint.res_class : (hint.res_name ? hint.res_name : "");
    if (hint.res_name)
      XFree (hint.res_name);
    if (hint.res_class)
      XFree (hint.res_class);
  }
  unsigned long n = 0;
  Atom net_wm_pid = XInternAtom (dpy, "_NET_WM_PID", False);
  if (unsigned char *data = get_property (dpy, w, net_wm_pid, XA_CARDINAL, &n)) {
    if (n > 0)
      out->pid = reinterpret_cast<long *> (data)[0];
    XFree (data);
  }
  return true;
}
} // namespace

std::vector<GvX11Monitor> gv_x11_list_monitors (Display *dpy)
{
  std::vector<GvX11Monitor> result;
  int n = 0;
  XRRMonitorInfo *monitors = XRRGetMonitors (dpy, DefaultRootWindow (dpy), True, &n);
  for (int i = 0; monitors && i < n; i++) {
    GvX11Monitor m;
    char *name = monitors[i].name != None ? XGetAtomName (dpy, monitors[i].name) : nullptr;
    m.name = name ? name : ("monitor-" + std::to_string (i));
    if (name)
      XFree (name);
    m.x = monitors[i].x;
    m.y = monitors[i].y;
    m.width = monitors[i].width;
    m.height = monitors[i].height;
    m.primary = monitors[i].primary;
    result.push_back (m);
  }
  if (monitors)
    XRRFreeMonitors (monitors);
  /* Without a primary output X treats the first one as the default. */
  bool have_primary = false;
  for (const GvX11Monitor &m : result)
    have_primary |= m.primary;
  if (!have_primary && !result.empty ())
    result[0].primary = true;
  if (result.empty ()) {
    /* No RandR monitor: the screen itself is the one display. */
    GvX11Monitor m;
    m.name = "screen";
    m.width = DisplayWidth (dpy, DefaultScreen (dpy));
    m.height = DisplayHeight (dpy, DefaultScreen (dpy));
    m.primary = true;
    result.push_back (m);
  }
  return result;
}

std::vector<GvX11Window> gv_x11_list_windows (Display *dpy)
{
  std::vector<GvX11Window> result;
  GvX11ErrorTrap trap (dpy); /* windows may vanish while we look at them */
  Window root = DefaultRootWindow (dpy);
  std::vector<Window> candidates;
  unsigned long n = 0;
  Atom client_list = XInternAtom (dpy, "_NET_CLIENT_LIST", False);
  bool from_wm = false;
  if (unsigned char *data = get_property (dpy, root, client_list, XA_WINDOW, &n)) {
    auto *windows = reinterpret_cast<unsigned long *> (data);
    candidates.assign (windows, windows + n);
    XFree (data);
    from_wm = true;
  } else {
    Window root_ret = None, parent = None, *children = nullptr;
    unsigned int n_children = 0;
    if (XQueryTree (dpy, root, &root_ret, &parent, &children, &n_children)) {
      candidates.assign (children, children + n_children);
      XFree (children);
    }
  }
  for (Window w : candidates) {
    if (!from_wm) {
      XWindowAttributes attrs;
      if (!XGetWindowAttributes (dpy, w, &attrs) || attrs.map_state != IsViewable ||
          attrs.c_class == InputOnly)
        continue;
    }
    GvX11Window info;
    if (!describe_window (dpy, w, &info))
      continue;
    if (!from_wm && info.title.empty ())
      continue; /* unnamed override-redirect helpers (menus, tooltips) */
    result.push_back (info);
  }
  return result;
}

bool gv_x11_window_geometry (Display *dpy, unsigned long xid, int *x, int *y, int *width,
                             int *height)
{
  GvX11ErrorTrap trap (dpy);
  XWindowAttributes attrs;
  if (!XGetWindowAttributes (dpy, xid, &attrs) || trap.sync () != 0)
    return false;
  Window child = None;
  int rx = 0, ry = 0;
  if (!XTranslateCoordinates (dpy, xid, DefaultRootWindow (dpy), 0, 0, &rx, &ry, &child) ||
      trap.sync () != 0)
    return false;
  *x = rx;
  *y = ry;
  *width = attrs.width;
  *height = attrs.height;
  return true;
}
