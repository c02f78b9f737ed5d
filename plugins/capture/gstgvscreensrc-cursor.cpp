/* GhostView — gvscreensrc's cursor-events: the pointer's shape (XFixes) and
 * where it is (XQueryPointer, once per frame) as "gv-cursor-shape" and
 * "gv-cursor" events (gvcursorevent.h), for receivers that draw the pointer
 * themselves over frames captured without it.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "gstgvscreensrc-private.h"

#ifdef GV_HAVE_X11
#include "gvx11errors.h"

#include <X11/extensions/Xfixes.h>
#endif

GST_DEBUG_CATEGORY_EXTERN (gv_screen_src_debug);
#define GST_CAT_DEFAULT gv_screen_src_debug

#ifdef GV_HAVE_X11

void gv_screen_src_cursor_start_locked (GvScreenSrc *self)
{
  GvScreenSrcPrivate *priv = self->priv;
  int error_base = 0;
  priv->fixes_event_base = -1;
  priv->cursor_shape = 0;
  priv->cursor_ever_sent = false;
  if (!priv->cursor_events || !priv->dpy)
    return;
  if (!XFixesQueryExtension (priv->dpy, &priv->fixes_event_base, &error_base)) {
    GST_ELEMENT_WARNING (self, RESOURCE, SETTINGS,
                         ("This X server has no XFixes: the pointer's shape cannot be sent"),
                         (nullptr));
    priv->fixes_event_base = -1;
    return;
  }
  XFixesSelectCursorInput (priv->dpy, DefaultRootWindow (priv->dpy), XFixesDisplayCursorNotifyMask);
  priv->cursor_shape_dirty = true;
}

bool gv_screen_src_cursor_x_event_locked (GvScreenSrc *self, XEvent *ev)
{
  GvScreenSrcPrivate *priv = self->priv;
  if (priv->fixes_event_base < 0 || ev->type != priv->fixes_event_base + XFixesCursorNotify)
    return false;
  priv->cursor_shape_dirty = true;
  return true;
}

namespace {

constexpr gint64 GV_CURSOR_REPEAT_US = 2 * G_USEC_PER_SEC;

/* The shape now as an event, or nullptr (too large, or none). */
GstEvent *shape_event (GvScreenSrc *self)
{
  GvScreenSrcPrivate *priv = self->priv;
  GvX11ErrorTrap trap (priv->dpy);
  XFixesCursorImage *image = XFixesGetCursorImage (priv->dpy);
  if (!image)
    return nullptr;
  GstEvent *event = nullptr;
  const gint width = image->width, height = image->height;
  if (width >= 1 && height >= 1 && width <= GV_CURSOR_MAX_SIZE && height <= GV_CURSOR_MAX_SIZE) {
    /* XFixes: one premultiplied ARGB pixel per unsigned long. */
    guint8 *rgba = (guint8 *) g_malloc ((gsize) width * height * 4);
    for (gint i = 0; i < width * height; i++) {
      const guint32 argb = (guint32) image->pixels[i];
      const guint a = argb >> 24;
      guint rgb[3] = { (argb >> 16) & 0xff, (argb >> 8) & 0xff, argb & 0xff };
      for (gint c = 0; c < 3; c++)
        rgba[i * 4 + c] = (guint8) (a ? MIN (255u, (rgb[c] * 255 + a / 2) / a) : 0);
      rgba[i * 4 + 3] = (guint8) a;
    }
    guint shape = (guint) image->cursor_serial;
    if (shape == 0)
      shape = 1;
    priv->cursor_shape = shape;
    GBytes *bytes = g_bytes_new_take (rgba, (gsize) width * height * 4);
    event = gv_cursor_shape_event_new (shape, width, height, CLAMP (image->xhot, 0, width - 1),
                                       CLAMP (image->yhot, 0, height - 1), bytes);
    g_bytes_unref (bytes);
  } else {
    GST_DEBUG_OBJECT (self, "pointer shape %dx%d not sent (over %d)", width, height,
                      GV_CURSOR_MAX_SIZE);
  }
  XFree (image);
  return event;
}

} // namespace

void gv_screen_src_cursor_events_locked (GvScreenSrc *self, std::vector<GstEvent *> &out)
{
  GvScreenSrcPrivate *priv = self->priv;
  if (!priv->cursor_events || !priv->dpy || priv->window_gone)
    return;
  /* Sent only on change, an event lost downstream would leave receivers
   * without the pointer's shape for good: both go again every 2 s (a
   * receiver skips what it has). */
  const gint64 now_us = g_get_monotonic_time ();
  bool repeat = now_us - priv->cursor_repeated_us >= GV_CURSOR_REPEAT_US;
  if (repeat) {
    priv->cursor_repeated_us = now_us;
    priv->cursor_shape_dirty = true;
  }
  if (priv->cursor_shape_dirty && priv->fixes_event_base >= 0) {
    priv->cursor_shape_dirty = false;
    if (GstEvent *event = shape_event (self))
      out.push_back (event);
  }
  Window root_return, child;
  int root_x, root_y, win_x, win_y;
  unsigned int mask;
  GvX11ErrorTrap trap (priv->dpy);
  if (!XQueryPointer (priv->dpy, DefaultRootWindow (priv->dpy), &root_return, &child, &root_x,
                      &root_y, &win_x, &win_y, &mask))
    return;
  /* Into the frame's pixels: from the captured area's top-left. */
  int origin_x = priv->capture.x, origin_y = priv->capture.y;
  if (priv->window) {
    origin_x += priv->window_x;
    origin_y += priv->window_y;
  }
  GvCursorPosition now;
  now.x = CLAMP (root_x - origin_x, -65535, 65535);
  now.y = CLAMP (root_y - origin_y, -65535, 65535);
  now.visible =
      now.x >= 0 && now.y >= 0 && now.x < priv->capture.width && now.y < priv->capture.height;
  now.shape = priv->cursor_shape;
  if (priv->cursor_ever_sent && now == priv->cursor_sent && !repeat)
    return;
  priv->cursor_sent = now;
  priv->cursor_ever_sent = true;
  out.push_back (gv_cursor_event_new (now));
}

#else

void gv_screen_src_cursor_events_locked (GvScreenSrc *, std::vector<GstEvent *> &) {}

#endif
