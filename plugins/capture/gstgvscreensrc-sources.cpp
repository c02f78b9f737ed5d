/* GhostView — gvscreensrc: what it can share, and switching between them
 * while it runs (X11). See gvsharedsource.h for the query and the events.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "gstgvscreensrc-private.h"

#ifdef GV_HAVE_X11
#include "gvx11errors.h"
#include "gvx11screens.h"
#endif

#include <cinttypes>
#include <cstdio>
#include <cstring>

GST_DEBUG_CATEGORY_EXTERN (gv_screen_src_debug);
#define GST_CAT_DEFAULT gv_screen_src_debug

#ifdef GV_HAVE_X11
namespace {

std::string window_id (guint64 xid)
{
  char id[40];
  g_snprintf (id, sizeof id, "window:0x%" G_GINT64_MODIFIER "x", xid);
  return id;
}

std::string display_id (size_t index)
{
  return "display:" + std::to_string (index);
}

/* "screen" is named for what it holds. */
std::string screen_name (size_t monitors)
{
  return monitors > 1 ? "All displays" : "Whole screen";
}

std::string monitor_name (const GvX11Monitor &m, size_t index)
{
  return m.name.empty () ? "Display " + std::to_string (index) : m.name;
}

/* The index of the monitor holding the point, else of the first. */
size_t monitor_at (const std::vector<GvX11Monitor> &monitors, int x, int y)
{
  for (size_t i = 0; i < monitors.size (); i++) {
    const GvX11Monitor &m = monitors[i];
    if (x >= m.x && y >= m.y && x < m.x + m.width && y < m.y + m.height)
      return i;
  }
  return 0;
}

} // namespace

std::vector<GvShareableSource> gv_screen_src_sources_locked (GvScreenSrc *self)
{
  GvScreenSrcPrivate *priv = self->priv;
  std::vector<GvShareableSource> sources;
  if (!priv->dpy || priv->active != GV_SCREEN_SRC_BACKEND_XIMAGE)
    return sources;
  std::vector<GvX11Monitor> monitors = gv_x11_list_monitors (priv->dpy);
  sources.push_back ({ "screen", "screen", screen_name (monitors.size ()),
                       DisplayWidth (priv->dpy, DefaultScreen (priv->dpy)),
                       DisplayHeight (priv->dpy, DefaultScreen (priv->dpy)) });
  for (size_t i = 0; i < monitors.size (); i++)
    sources.push_back ({ display_id (i), "display", monitor_name (monitors[i], i),
                         monitors[i].width, monitors[i].height });
  for (const GvX11Window &w : gv_x11_list_windows (priv->dpy))
    sources.push_back ({ window_id (w.xid), "window", w.title.empty () ? w.application : w.title,
                         w.width, w.height });
  return sources;
}

bool gv_screen_src_choose_locked (GvScreenSrc *self, const std::string &id, std::string &why)
{
  GvScreenSrcPrivate *priv = self->priv;
  if (!priv->dpy) {
    why = "no X display is open";
    return false;
  }
  std::vector<GvX11Monitor> monitors = gv_x11_list_monitors (priv->dpy);
  priv->window_clipped = false; /* a new window is told about anew */
  if (id == "screen") {
    priv->window = 0;
    priv->region = GvRect ();
    priv->current_name = screen_name (monitors.size ());
  } else if (g_str_has_prefix (id.c_str (), "display:")) {
    const char *digits = id.c_str () + strlen ("display:");
    char *end = nullptr;
    guint64 index = g_ascii_strtoull (digits, &end, 10);
    if (!*digits || *end || index >= monitors.size ()) {
      why = "there is no " + id + " (" + std::to_string (monitors.size ()) + " found)";
      return false;
    }
    const GvX11Monitor &m = monitors[index];
    priv->window = 0;
    /* The one monitor of the screen is all of it: no region (so the
     * capture follows the screen when it is resized). */
    const bool whole = m.x == 0 && m.y == 0 &&
                       m.width == DisplayWidth (priv->dpy, DefaultScreen (priv->dpy)) &&
                       m.height == DisplayHeight (priv->dpy, DefaultScreen (priv->dpy));
    priv->region = whole ? GvRect () : GvRect{ m.x, m.y, m.width, m.height };
    priv->current_name = monitor_name (m, index);
  } else if (g_str_has_prefix (id.c_str (), "window:")) {
    const char *digits = id.c_str () + strlen ("window:");
    char *end = nullptr;
    guint64 xid = g_ascii_strtoull (digits, &end, 0);
    int x, y, w, h;
    if (!*digits || *end || xid == 0 ||
        !gv_x11_window_geometry (priv->dpy, (unsigned long) xid, &x, &y, &w, &h)) {
      why = "there is no window " + std::string (digits);
      return false;
    }
    priv->window = xid;
    priv->region = GvRect ();
    priv->current_name.clear ();
    for (const GvX11Window &win : gv_x11_list_windows (priv->dpy))
      if (win.xid == xid)
        priv->current_name = win.title.empty () ? win.application : win.title;
  } else {
    why = "\"" + id + "\" is not screen, display:N or window:ID";
    return false;
  }
  priv->current_id =
      id == "screen" || g_str_has_prefix (id.c_str (), "display:") ? id : window_id (priv->window);
  return true;
}

void gv_screen_src_describe_locked (GvScreenSrc *self)
{
  GvScreenSrcPrivate *priv = self->priv;
  priv->current_id.clear ();
  priv->current_name.clear ();
  if (!priv->dpy)
    return;
  const GvRect &r = priv->region;
  if (priv->window) {
    if (r.empty ()) {
      std::string why;
      gv_screen_src_choose_locked (self, window_id (priv->window), why);
    }
    return;
  }
  std::vector<GvX11Monitor> monitors = gv_x11_list_monitors (priv->dpy);
  if (r.empty ()) {
    priv->current_id = "screen";
    priv->current_name = screen_name (monitors.size ());
    return;
  }
  for (size_t i = 0; i < monitors.size (); i++) {
    const GvX11Monitor &m = monitors[i];
    if (r.x == m.x && r.y == m.y && r.width == m.width && r.height == m.height) {
      priv->current_id = display_id (i);
      priv->current_name = monitor_name (m, i);
    }
  }
}

bool gv_screen_src_switch (GvScreenSrc *self, const std::string &id, const std::string &by,
                           const char *reason, std::string &why)
{
  GvScreenSrcPrivate *priv = self->priv;
  {
    std::lock_guard<std::mutex> guard (priv->lock);
    if (!priv->source || !priv->dpy || priv->active != GV_SCREEN_SRC_BACKEND_XIMAGE) {
      why = "only X11 capture switches while it runs";
      return false;
    }
    const guint64 old_window = priv->window;
    const GvRect old_region = priv->region;
    const std::string old_id = priv->current_id, old_name = priv->current_name;
    if (!gv_screen_src_choose_locked (self, id, why)) {
      priv->window = old_window;
      priv->region = old_region;
      priv->current_id = old_id;
      priv->current_name = old_name;
      return false;
    }
    {
      GvX11ErrorTrap trap (priv->dpy);
      if (old_window && old_window != priv->window && !priv->window_gone)
        XSelectInput (priv->dpy, old_window, NoEventMask);
      if (priv->window)
        XSelectInput (priv->dpy, priv->window, StructureNotifyMask);
    }
    priv->window_gone = false;
    priv->error_posted = false;
    priv->source_spec.clear ();
    priv->announce_requested = true;
    priv->announce_by = by;
    priv->announce_reason = reason ? reason : "";
    priv->restart_pending = true;
    GST_INFO_OBJECT (self, "switching to %s (%s)%s%s", priv->current_id.c_str (),
                     priv->current_name.c_str (), by.empty () ? "" : ", asked by ", by.c_str ());
  }
  gst_element_call_async (GST_ELEMENT (self), gv_screen_src_restart, nullptr, nullptr);
  return true;
}

void gv_screen_src_window_closed (GvScreenSrc *self)
{
  GvScreenSrcPrivate *priv = self->priv;
  std::string fallback;
  guint64 window;
  {
    std::lock_guard<std::mutex> guard (priv->lock);
    window = priv->window;
    if (!priv->dpy)
      return;
    std::vector<GvX11Monitor> monitors = gv_x11_list_monitors (priv->dpy);
    fallback = monitors.empty ()
                   ? "screen"
                   : display_id (monitor_at (monitors, priv->window_x, priv->window_y));
  }
  std::string why;
  if (gv_screen_src_switch (self, fallback, "", GV_SHARED_REASON_WINDOW_CLOSED, why)) {
    GST_ELEMENT_WARNING (self, RESOURCE, NOT_FOUND,
                         ("The shared window was closed; sharing %s instead", fallback.c_str ()),
                         ("window 0x%" G_GINT64_MODIFIER "x destroyed", window));
    return;
  }
  GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND, ("The captured window was closed"),
                     ("window 0x%" G_GINT64_MODIFIER "x destroyed; %s", window, why.c_str ()));
}

#else /* no X11: only the platform's picker chooses, at start */

std::vector<GvShareableSource> gv_screen_src_sources_locked (GvScreenSrc *)
{
  return {};
}

bool gv_screen_src_choose_locked (GvScreenSrc *, const std::string &, std::string &why)
{
  why = "this build chooses what to share with the platform's own picker";
  return false;
}

void gv_screen_src_describe_locked (GvScreenSrc *) {}

bool gv_screen_src_switch (GvScreenSrc *, const std::string &, const std::string &, const char *,
                           std::string &why)
{
  why = "only X11 capture switches while it runs";
  return false;
}

void gv_screen_src_window_closed (GvScreenSrc *self)
{
  GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND, ("The captured window was closed"), (nullptr));
}

#endif
