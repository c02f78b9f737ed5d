/* GhostView — gvscreensrc
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SECTION:element-gvscreensrc
 * @title: gvscreensrc
 *
 * A live source for the screen, a region of it, or one window, built on the
 * platform's own capture element: `ximagesrc` on X11 (XDamage off, the
 * cheapest path for a full-frame encoder), `pipewiresrc` through the
 * xdg-desktop-portal ScreenCast on Wayland, `d3d11screencapturesrc` on
 * Windows and `avfvideosrc` on macOS.
 *
 * The source answers the custom upstream query "gv-capture-region" (see
 * gvcaptureregion.h) with the captured area in screen pixels — x, y, width,
 * height, screen-width, screen-height, window — computed when asked, so a
 * moved window is followed. `gvinputinject` uses it to map viewer clicks onto
 * the screen.
 *
 * What is shared can change while it runs (X11): set `source` to
 * "screen", "display:N" or "window:0xID", or send the "gv-share" upstream
 * event; the "gv-sources" query lists what there is (gvsharedsource.h).
 * Before the first frame of the new source the element sends a "gv-shared"
 * event and a force-key-unit event downstream; a new size flows down as new
 * caps. A shared window that moves is followed, one that changes size
 * restarts the capture at its new size, and one that closes gives way to
 * the display it was on, with a RESOURCE/NOT_FOUND warning ("The shared
 * window was closed; sharing display:N instead") and a "gv-shared" event
 * whose reason is "window-closed". When an X11 screen is resized during a
 * full-screen capture the inner source is restarted and the new size is
 * negotiated downstream.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 gvscreensrc show-cursor=false region="<0,0,640,480>" framerate=15/1 \
 *     ! videoconvert ! autovideosink
 * ]|
 * Shows the top-left 640x480 of the screen.
 *
 * With `cursor-events=true` the pointer's shape and where it is go
 * downstream as "gv-cursor-shape" and "gv-cursor" events (gvcursorevent.h;
 * gvwebrtcsink sends them to viewers, whose page draws the pointer itself),
 * typically with `show-cursor=false` so the frames do not carry it too.
 * |[
 * gst-launch-1.0 gvscreensrc source=display:0 ! videoconvert ! vp8enc deadline=1 \
 *     ! gvwebrtcsink signaller::server=ws://127.0.0.1:8443/ws allow=view+source
 * ]|
 * Shares the first monitor; viewers granted `source` can list the displays and
 * windows and switch between them.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstgvscreensrc-private.h"
#include "gvcaptureregion.h"

#include <gst/video/video.h>

#include <cstdlib>
#include <mutex>
#include <string>

#ifdef GV_HAVE_X11
#include "gvx11errors.h"
#include "gvx11screens.h"
#include <X11/Xlib.h>
#include <X11/extensions/Xrandr.h>
#endif

GST_DEBUG_CATEGORY (gv_screen_src_debug);
#define GST_CAT_DEFAULT gv_screen_src_debug

enum {
  PROP_0,
  PROP_BACKEND,
  PROP_DISPLAY,
  PROP_WINDOW,
  PROP_SHOW_CURSOR,
  PROP_REGION,
  PROP_FRAMERATE,
  PROP_SOURCE,
  PROP_CURSOR_EVENTS,
  PROP_ALLOW_RESIZE,
};

/* The portal may show the user a picker; give them time to answer. */
#define PORTAL_TIMEOUT_S 120

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE (
    "src", GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS ("video/x-raw(ANY)"));

#define gv_screen_src_parent_class parent_class
G_DEFINE_TYPE (GvScreenSrc, gv_screen_src, GST_TYPE_BIN);
GST_ELEMENT_REGISTER_DEFINE (gvscreensrc, "gvscreensrc", GST_RANK_NONE, GV_TYPE_SCREEN_SRC);

GType gv_screen_src_backend_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    { GV_SCREEN_SRC_BACKEND_AUTO, "Pick the platform's capture", "auto" },
    { GV_SCREEN_SRC_BACKEND_XIMAGE, "X11 (ximagesrc)", "ximage" },
    { GV_SCREEN_SRC_BACKEND_PIPEWIRE, "PipeWire through the ScreenCast portal (pipewiresrc)",
      "pipewire" },
    { GV_SCREEN_SRC_BACKEND_D3D11, "Windows (d3d11screencapturesrc)", "d3d11" },
    { GV_SCREEN_SRC_BACKEND_AVF, "macOS (avfvideosrc)", "avf" },
    { 0, nullptr, nullptr },
  };
  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GvScreenSrcBackend", values);
    g_once_init_leave (&type, t);
  }
  return type;
}

static GvScreenSrcBackend resolve_auto_backend ()
{
#if defined(G_OS_WIN32)
  return GV_SCREEN_SRC_BACKEND_D3D11;
#elif defined(__APPLE__)
  return GV_SCREEN_SRC_BACKEND_AVF;
#else
  const char *session = g_getenv ("XDG_SESSION_TYPE");
  bool wayland = (session && g_str_equal (session, "wayland")) || g_getenv ("WAYLAND_DISPLAY");
#ifdef GV_HAVE_PIPEWIRE
  if (wayland)
    return GV_SCREEN_SRC_BACKEND_PIPEWIRE;
#endif
  (void) wayland;
  return GV_SCREEN_SRC_BACKEND_XIMAGE;
#endif
}

static void set_if_exists (GstElement *element, const char *name, const GValue *value)
{
  if (g_object_class_find_property (G_OBJECT_GET_CLASS (element), name))
    g_object_set_property (G_OBJECT (element), name, value);
}

static void set_int_if_exists (GstElement *element, const char *name, gint v)
{
  GParamSpec *pspec = g_object_class_find_property (G_OBJECT_GET_CLASS (element), name);
  if (!pspec)
    return;
  GValue value = G_VALUE_INIT;
  g_value_init (&value, G_TYPE_INT);
  g_value_set_int (&value, v);
  GValue converted = G_VALUE_INIT;
  g_value_init (&converted, pspec->value_type);
  if (g_value_transform (&value, &converted))
    set_if_exists (element, name, &converted);
  g_value_unset (&converted);
  g_value_unset (&value);
}

/* Clips the requested region to a width x height area; false if empty. */
static bool clip_region (const GvRect &want, gint width, gint height, GvRect *out)
{
  GvRect r;
  r.x = CLAMP (want.x, 0, width);
  r.y = CLAMP (want.y, 0, height);
  r.width = want.width > 0 ? MIN (want.width, width - r.x) : width - r.x;
  r.height = want.height > 0 ? MIN (want.height, height - r.y) : height - r.y;
  *out = r;
  return r.width > 1 && r.height > 1; /* ximagesrc needs endx > startx */
}

/* ---- X11 ---------------------------------------------------------------- */

#ifdef GV_HAVE_X11
/* The part of the shared window that is on the screen, in the window's own
 * coordinates: XShmGetImage fails (BadMatch) for pixels off the screen, and
 * ximagesrc then sends black frames. */
static GvRect visible_part_of_window (GvScreenSrcPrivate *priv)
{
  gint screen_width = DisplayWidth (priv->dpy, DefaultScreen (priv->dpy));
  gint screen_height = DisplayHeight (priv->dpy, DefaultScreen (priv->dpy));
  GvRect r;
  r.x = MAX (0, -priv->window_x);
  r.y = MAX (0, -priv->window_y);
  r.width = MIN (priv->base_width, screen_width - priv->window_x) - r.x;
  r.height = MIN (priv->base_height, screen_height - priv->window_y) - r.y;
  return r;
}

/* What to capture now: the region clipped to the screen or window, and a
 * window's region clipped to its visible part. False if nothing is left.
 * Call with priv->lock held. */
static bool capture_rect_locked (GvScreenSrcPrivate *priv, GvRect *out)
{
  if (!clip_region (priv->region, priv->base_width, priv->base_height, out))
    return false;
  if (!priv->window)
    return true;
  GvRect visible = visible_part_of_window (priv);
  gint x0 = MAX (out->x, visible.x), y0 = MAX (out->y, visible.y);
  gint x1 = MIN (out->x + out->width, visible.x + visible.width);
  gint y1 = MIN (out->y + out->height, visible.y + visible.height);
  out->x = x0;
  out->y = y0;
  out->width = x1 - x0;
  out->height = y1 - y0;
  return out->width > 1 && out->height > 1;
}

/* Sets priv->capture for what is shared now; notes (for a warning from the
 * stream) when a window starts reaching past the screen's edge. */
static bool update_capture_locked (GvScreenSrcPrivate *priv)
{
  GvRect r;
  if (!capture_rect_locked (priv, &r))
    return false;
  GvRect whole;
  clip_region (priv->region, priv->base_width, priv->base_height, &whole);
  bool clipped = priv->window && (r.width != whole.width || r.height != whole.height);
  if (clipped && !priv->window_clipped)
    priv->clip_notice_pending = true;
  priv->window_clipped = clipped;
  priv->capture = r;
  return true;
}

/* True when the shared window moved so that a different part of it is on
 * the screen. Call with priv->lock held. */
static bool visible_part_changed_locked (GvScreenSrcPrivate *priv)
{
  GvRect r;
  if (!capture_rect_locked (priv, &r))
    return false; /* nothing on screen now: keep what was captured last */
  return r.x != priv->capture.x || r.y != priv->capture.y || r.width != priv->capture.width ||
         r.height != priv->capture.height;
}

/* Call with priv->lock held. */
/* A new ximagesrc for what is shared now (window, region), or nullptr with
 * an error posted. Call with priv->lock held. */
static GstElement *make_ximagesrc_locked (GvScreenSrc *self)
{
  GvScreenSrcPrivate *priv = self->priv;
  GstElement *source = gst_element_factory_make ("ximagesrc", nullptr);
  if (!source) {
    GST_ELEMENT_ERROR (self, CORE, MISSING_PLUGIN, ("ximagesrc is missing"),
                       ("install gstreamer1.0-plugins-good (gstreamer1.0-x)"));
    return nullptr;
  }
  g_object_set (source, "use-damage", FALSE, "show-pointer", (gboolean) priv->show_cursor, "remote",
                FALSE, NULL);
  if (!priv->display.empty ())
    g_object_set (source, "display-name", priv->display.c_str (), NULL);
  if (priv->window)
    g_object_set (source, "xid", (guint64) priv->window, NULL);
  const GvRect &c = priv->capture;
  bool full = c.x == 0 && c.y == 0 && c.width == priv->base_width && c.height == priv->base_height;
  /* ximagesrc's end coordinates are inclusive; 0/0/0/0 means everything */
  g_object_set (source, "startx", (guint) (full ? 0 : c.x), "starty", (guint) (full ? 0 : c.y),
                "endx", (guint) (full ? 0 : c.x + c.width - 1), "endy",
                (guint) (full ? 0 : c.y + c.height - 1), NULL);
  return source;
}

static bool build_ximage (GvScreenSrc *self)
{
  GvScreenSrcPrivate *priv = self->priv;
  const char *name = priv->display.empty () ? nullptr : priv->display.c_str ();
  gv_x11_install_error_handler ();
  priv->dpy = XOpenDisplay (name);
  if (!priv->dpy) {
    GST_ELEMENT_ERROR (self, RESOURCE, OPEN_READ, ("Could not open X display %s", name ? name : ""),
                       ("XOpenDisplay failed; is DISPLAY set?"));
    return false;
  }
  int rr_error_base = 0;
  if (XRRQueryExtension (priv->dpy, &priv->rr_event_base, &rr_error_base))
    XRRSelectInput (priv->dpy, DefaultRootWindow (priv->dpy), RRScreenChangeNotifyMask);
  else
    priv->rr_event_base = -1;

  if (!priv->source_spec.empty ()) {
    std::string why;
    if (!gv_screen_src_choose_locked (self, priv->source_spec, why)) {
      GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND, ("%s", why.c_str ()),
                         ("source=%s", priv->source_spec.c_str ()));
      return false;
    }
  } else {
    gv_screen_src_describe_locked (self);
  }
  if (priv->window) {
    int x, y;
    if (!gv_x11_window_geometry (priv->dpy, priv->window, &x, &y, &priv->base_width,
                                 &priv->base_height)) {
      GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND,
                         ("Window 0x%" G_GINT64_MODIFIER "x not found", priv->window), (nullptr));
      return false;
    }
    priv->window_x = x;
    priv->window_y = y;
    GvX11ErrorTrap trap (priv->dpy);
    XSelectInput (priv->dpy, priv->window, StructureNotifyMask);
  } else {
    priv->base_width = DisplayWidth (priv->dpy, DefaultScreen (priv->dpy));
    priv->base_height = DisplayHeight (priv->dpy, DefaultScreen (priv->dpy));
  }
  if (!update_capture_locked (priv)) {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS, ("The capture region is empty"),
                       ("region %d,%d %dx%d outside a %dx%d %s", priv->region.x, priv->region.y,
                        priv->region.width, priv->region.height, priv->base_width,
                        priv->base_height, priv->window ? "window" : "screen"));
    return false;
  }

  priv->source = make_ximagesrc_locked (self);
  if (!priv->source)
    return false;
  gv_screen_src_cursor_start_locked (self);
  return true;
}

/* Drains X events on our own connection. Call with priv->lock held. Returns
 * true when the inner source must be restarted: the screen, or the shared
 * window, changed size. */
static bool poll_x_events (GvScreenSrc *self)
{
  GvScreenSrcPrivate *priv = self->priv;
  bool screen_changed = false, window_resized = false;
  while (priv->dpy && XPending (priv->dpy)) {
    XEvent ev;
    XNextEvent (priv->dpy, &ev);
    if (gv_screen_src_cursor_x_event_locked (self, &ev)) {
      continue;
    } else if (ev.type == DestroyNotify && priv->window &&
               ev.xdestroywindow.window == priv->window) {
      priv->window_gone = true;
    } else if (ev.type == ConfigureNotify && priv->window && ev.xconfigure.window == priv->window) {
      int x, y, w, h;
      if (gv_x11_window_geometry (priv->dpy, priv->window, &x, &y, &w, &h)) {
        priv->window_x = x;
        priv->window_y = y;
        window_resized |= w != priv->base_width || h != priv->base_height;
        window_resized |= visible_part_changed_locked (priv);
      }
    } else if (priv->rr_event_base >= 0 && ev.type == priv->rr_event_base + RRScreenChangeNotify) {
      XRRUpdateConfiguration (&ev);
      screen_changed = true;
    }
  }
  if (screen_changed && priv->window)
    window_resized |= visible_part_changed_locked (priv);
  if (window_resized && !priv->window_gone) {
    GST_INFO_OBJECT (self, "the shared window changed size or how much of it is on the screen");
    return true;
  }
  if (!screen_changed || priv->window)
    return false;
  gint w = DisplayWidth (priv->dpy, DefaultScreen (priv->dpy));
  gint h = DisplayHeight (priv->dpy, DefaultScreen (priv->dpy));
  if (w == priv->base_width && h == priv->base_height)
    return false;
  GST_INFO_OBJECT (self, "screen resized %dx%d -> %dx%d", priv->base_width, priv->base_height, w,
                   h);
  return true;
}

/* The size of what is captured now: the window's, or the screen's. False
 * when the window is gone. Call with priv->lock held. */
static bool measure_base (GvScreenSrc *self)
{
  GvScreenSrcPrivate *priv = self->priv;
  if (!priv->window) {
    priv->base_width = DisplayWidth (priv->dpy, DefaultScreen (priv->dpy));
    priv->base_height = DisplayHeight (priv->dpy, DefaultScreen (priv->dpy));
    return true;
  }
  int x, y;
  if (!gv_x11_window_geometry (priv->dpy, priv->window, &x, &y, &priv->base_width,
                               &priv->base_height))
    return false;
  priv->window_x = x;
  priv->window_y = y;
  return true;
}
#endif /* GV_HAVE_X11 */

void gv_screen_src_restart (GstElement *element, gpointer)
{
#ifdef GV_HAVE_X11
  GvScreenSrc *self = GV_SCREEN_SRC (element);
  GvScreenSrcPrivate *priv = self->priv;
  std::lock_guard<std::mutex> restarting (priv->restart_lock);
  GstElement *old = nullptr, *capsfilter = nullptr;
  {
    std::lock_guard<std::mutex> guard (priv->lock);
    priv->restart_pending = false;
    if (!priv->source || !priv->dpy)
      return;
    if (!measure_base (self)) {
      priv->window_gone = true; /* nothing left to capture */
      return;
    }
    if (!update_capture_locked (priv)) {
      if (!priv->window) {
        priv->window_gone = true;
        return;
      }
      /* The window is off the screen: keep the last capture until it is
       * back (its ConfigureNotify restarts again). */
    }
    old = GST_ELEMENT (gst_object_ref (priv->source));
    capsfilter = GST_ELEMENT (gst_object_ref (priv->capsfilter));
  }
  /* Stops the old capture's thread: no frame of it follows. A fresh
   * ximagesrc replaces it rather than the same one restarted: a buffer of
   * the old one that came back between its stop and start went into its
   * pool, bound to the X connection it had closed, and was then sent again
   * and again, the old picture frozen (1 switch in 20, found by
   * tests/bench/media/run-switch-bench.py). */
  gst_element_set_state (old, GST_STATE_NULL);
  GstElement *fresh = nullptr;
  {
    std::lock_guard<std::mutex> guard (priv->lock);
    if (priv->source == old) { /* else the element stopped meanwhile */
      fresh = make_ximagesrc_locked (self);
      if (fresh) {
        priv->source = fresh;
        /* One not yet sent (no frame came before this restart) stays. */
        priv->announce_pending = priv->announce_pending || priv->announce_requested;
        priv->announce_requested = false;
      }
    }
  }
  if (fresh) {
    gst_element_unlink (old, capsfilter);
    gst_bin_remove (GST_BIN (self), old);
    gst_bin_add (GST_BIN (self), fresh);
    gst_element_link (fresh, capsfilter);
    gst_element_sync_state_with_parent (fresh);
  }
  gst_object_unref (capsfilter);
  gst_object_unref (old);
#else
  (void) element;
#endif
}

/* ---- other platforms ---------------------------------------------------- */

static bool build_other (GvScreenSrc *self, GvScreenSrcBackend backend)
{
  GvScreenSrcPrivate *priv = self->priv;
  const char *factory = backend == GV_SCREEN_SRC_BACKEND_PIPEWIRE ? "pipewiresrc"
                        : backend == GV_SCREEN_SRC_BACKEND_D3D11  ? "d3d11screencapturesrc"
                                                                  : "avfvideosrc";
  bool built_in = false;
#ifdef GV_HAVE_PIPEWIRE
  built_in |= backend == GV_SCREEN_SRC_BACKEND_PIPEWIRE;
#endif
#ifdef G_OS_WIN32
  built_in |= backend == GV_SCREEN_SRC_BACKEND_D3D11;
#endif
#ifdef __APPLE__
  built_in |= backend == GV_SCREEN_SRC_BACKEND_AVF;
#endif
  if (!built_in) {
    GST_ELEMENT_ERROR (self, CORE, NOT_IMPLEMENTED,
                       ("This build has no %s capture backend", factory), (nullptr));
    return false;
  }
  priv->source = gst_element_factory_make (factory, nullptr);
  if (!priv->source) {
    GST_ELEMENT_ERROR (self, CORE, MISSING_PLUGIN, ("%s is missing", factory),
                       ("pipewiresrc is in gstreamer1.0-pipewire; d3d11screencapturesrc and "
                        "avfvideosrc in gst-plugins-bad"));
    return false;
  }
  gint index = priv->display.empty () ? 0 : atoi (priv->display.c_str ());
  const GvRect &r = priv->region;
  if (backend == GV_SCREEN_SRC_BACKEND_PIPEWIRE) {
#ifdef GV_HAVE_PIPEWIRE
    GError *err = nullptr;
    guint types = priv->window ? 2 : 1;
    if (!gv_portal_open (types, priv->show_cursor, PORTAL_TIMEOUT_S, &priv->portal, &err)) {
      GST_ELEMENT_ERROR (self, RESOURCE, OPEN_READ, ("Screen-cast portal failed: %s", err->message),
                         (nullptr));
      g_clear_error (&err);
      return false;
    }
    gchar *path = g_strdup_printf ("%u", priv->portal.node_id);
    g_object_set (priv->source, "fd", priv->portal.fd, "path", path, NULL);
    g_free (path);
    /* PipeWire sends a frame only when the screen changes: a still screen
     * would look to a receiver like a network that is down (gvwebrtcsrc
     * media-timeout, the page's stall check). The last frame once a second
     * keeps a still picture alive at little cost. */
    set_int_if_exists (priv->source, "keepalive-time", 1000);
    priv->base_width = priv->portal.width;
    priv->base_height = priv->portal.height;
#endif
  } else if (backend == GV_SCREEN_SRC_BACKEND_D3D11) {
    set_int_if_exists (priv->source, "monitor-index", index);
    g_object_set (priv->source, "show-cursor", (gboolean) priv->show_cursor, NULL);
    if (priv->window) {
      if (!g_object_class_find_property (G_OBJECT_GET_CLASS (priv->source), "window-handle")) {
        GST_ELEMENT_ERROR (self, CORE, NOT_IMPLEMENTED,
                           ("Window capture needs GStreamer 1.24's d3d11screencapturesrc"),
                           (nullptr));
        return false;
      }
      g_object_set (priv->source, "window-handle", (guint64) priv->window, NULL);
    }
    if (r.width > 0 && r.height > 0) {
      set_int_if_exists (priv->source, "crop-x", r.x);
      set_int_if_exists (priv->source, "crop-y", r.y);
      set_int_if_exists (priv->source, "crop-width", r.width);
      set_int_if_exists (priv->source, "crop-height", r.height);
    }
  } else {
    if (priv->window) {
      GST_ELEMENT_ERROR (self, CORE, NOT_IMPLEMENTED,
                         ("Window capture is not available with avfvideosrc"), (nullptr));
      return false;
    }
    g_object_set (priv->source, "capture-screen", TRUE, "capture-screen-cursor",
                  (gboolean) priv->show_cursor, NULL);
    set_int_if_exists (priv->source, "device-index", index);
  }
  priv->capture = r;
  return true;
}

/* ---- the bin ------------------------------------------------------------ */

/* Before the first frame of a new source: what is shared now, then a
 * request for a keyframe (a switch to a source of the same size changes no
 * caps, and the encoders would go on from their last keyframe). */
static void announce (GstPad *pad, const GvShareableSource &source, const std::string &by,
                      const std::string &reason)
{
  gst_pad_push_event (pad, gv_shared_event_new (source, by.c_str (), reason.c_str ()));
  gst_pad_push_event (
      pad, gst_video_event_new_downstream_force_key_unit (GST_CLOCK_TIME_NONE, GST_CLOCK_TIME_NONE,
                                                          GST_CLOCK_TIME_NONE, TRUE, 0));
}

static GstPadProbeReturn buffer_probe (GstPad *pad, GstPadProbeInfo *, gpointer user_data)
{
  GvScreenSrc *self = GV_SCREEN_SRC (user_data);
  GvScreenSrcPrivate *priv = self->priv;
  bool window_closed = false, restart = false, announcing = false;
  std::vector<GstEvent *> pointer;
  GvShareableSource shared;
  std::string by, reason;
  GvRect clipped;
  guint64 clipped_window = 0;
  {
    std::lock_guard<std::mutex> guard (priv->lock);
#ifdef GV_HAVE_X11
    if (poll_x_events (self) && !priv->restart_pending) {
      priv->restart_pending = true;
      restart = true;
    }
#endif
    if (priv->window_gone && !priv->error_posted) {
      priv->error_posted = true;
      window_closed = true;
    }
    if (priv->window_gone && !window_closed)
      return GST_PAD_PROBE_DROP;
#ifdef GV_HAVE_X11
    if (priv->clip_notice_pending) {
      priv->clip_notice_pending = false;
      clipped = priv->capture;
      clipped_window = priv->window;
    }
#endif
    if (priv->announce_pending && !window_closed) {
      priv->announce_pending = false;
      announcing = true;
      shared.id = priv->current_id;
      shared.name = priv->current_name;
      shared.width = priv->capture.width;
      shared.height = priv->capture.height;
      by = priv->announce_by;
      reason = priv->announce_reason;
    }
    if (!window_closed)
      gv_screen_src_cursor_events_locked (self, pointer);
  }
  if (window_closed) {
    gv_screen_src_window_closed (self);
    return GST_PAD_PROBE_DROP;
  }
  if (clipped_window)
    GST_ELEMENT_WARNING (self, RESOURCE, READ,
                         ("The shared window reaches past the screen's edge: only its visible "
                          "part (%dx%d) is shared",
                          clipped.width, clipped.height),
                         ("window 0x%" G_GINT64_MODIFIER "x, visible from %d,%d", clipped_window,
                          clipped.x, clipped.y));
  if (announcing)
    announce (pad, shared, by, reason);
  for (GstEvent *event : pointer)
    gst_pad_push_event (pad, event);
  if (restart)
    gst_element_call_async (GST_ELEMENT (self), gv_screen_src_restart, nullptr, nullptr);
  return GST_PAD_PROBE_OK;
}

/* ximagesrc makes its own buffers (X shared memory) and takes no pool from
 * downstream, so its ALLOCATION query is answered here. Sent on, the query
 * waits behind the caps in every queue downstream until the encoders have
 * been set up for the new size (a switch to a larger source with VP8:
 * ~190 ms), and the first capture, which makes its X images (~65 ms at
 * 1920x1080), only starts then; answered here, both run at once
 * (tests/bench/media/run-switch-bench.py). */
static GstPadProbeReturn answer_allocation (GstPad *, GstPadProbeInfo *info, gpointer)
{
  GstQuery *query = GST_PAD_PROBE_INFO_QUERY (info);
  return GST_QUERY_TYPE (query) == GST_QUERY_ALLOCATION ? GST_PAD_PROBE_HANDLED : GST_PAD_PROBE_OK;
}

static bool build (GvScreenSrc *self)
{
  GvScreenSrcPrivate *priv = self->priv;
  std::unique_lock<std::mutex> guard (priv->lock);
  priv->window_gone = priv->error_posted = priv->restart_pending = false;
  priv->active =
      priv->backend == GV_SCREEN_SRC_BACKEND_AUTO ? resolve_auto_backend () : priv->backend;
  bool ok;
  if (priv->active == GV_SCREEN_SRC_BACKEND_XIMAGE) {
#ifdef GV_HAVE_X11
    ok = build_ximage (self);
#else
    GST_ELEMENT_ERROR (self, CORE, NOT_IMPLEMENTED, ("This build has no X11 capture"), (nullptr));
    ok = false;
#endif
  } else {
    ok = build_other (self, priv->active);
  }
  if (!ok) {
    if (priv->source)
      gst_object_unref (gst_object_ref_sink (priv->source));
    priv->source = nullptr;
    return false;
  }
  priv->capsfilter = gst_element_factory_make ("capsfilter", nullptr);
  GstCaps *caps = gst_caps_new_simple ("video/x-raw", "framerate", GST_TYPE_FRACTION, priv->fps_n,
                                       priv->fps_d, NULL);
  gst_caps_set_features (caps, 0, gst_caps_features_new_any ());
  g_object_set (priv->capsfilter, "caps", caps, NULL);
  gst_caps_unref (caps);
  GstElement *source = priv->source, *capsfilter = priv->capsfilter;
  guard.unlock ();

  gst_bin_add_many (GST_BIN (self), source, capsfilter, NULL);
  gst_element_link (source, capsfilter);
  GstPad *pad = gst_element_get_static_pad (capsfilter, "src");
  gst_ghost_pad_set_target (GST_GHOST_PAD (self->srcpad), pad);
  guard.lock ();
  priv->probe_id = gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, buffer_probe, self, nullptr);
  const bool own_buffers = priv->active == GV_SCREEN_SRC_BACKEND_XIMAGE;
  guard.unlock ();
  if (own_buffers)
    gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_QUERY_DOWNSTREAM, answer_allocation, nullptr,
                       nullptr);
  gst_object_unref (pad);
  return true;
}

static void teardown (GvScreenSrc *self)
{
  GvScreenSrcPrivate *priv = self->priv;
  std::lock_guard<std::mutex> restarting (priv->restart_lock);
  gst_ghost_pad_set_target (GST_GHOST_PAD (self->srcpad), nullptr);
  GstElement *source, *capsfilter;
  {
    std::lock_guard<std::mutex> guard (priv->lock);
    source = priv->source;
    capsfilter = priv->capsfilter;
    priv->source = priv->capsfilter = nullptr;
  }
  for (GstElement *e : { source, capsfilter }) {
    if (e) {
      gst_element_set_state (e, GST_STATE_NULL);
      gst_bin_remove (GST_BIN (self), e);
    }
  }
  std::lock_guard<std::mutex> guard (priv->lock);
#ifdef GV_HAVE_X11
  gv_screen_src_restore_size_locked (self);
  if (priv->dpy)
    XCloseDisplay (priv->dpy);
  priv->dpy = nullptr;
#endif
#ifdef GV_HAVE_PIPEWIRE
  gv_portal_close (&priv->portal);
#endif
}

static bool current_region (GvScreenSrc *self, GvCaptureRegion *out)
{
  GvScreenSrcPrivate *priv = self->priv;
  std::lock_guard<std::mutex> guard (priv->lock);
  if (!priv->source || priv->window_gone)
    return false;
  out->x = priv->capture.x;
  out->y = priv->capture.y;
  out->width = priv->capture.width;
  out->height = priv->capture.height;
  out->window = priv->window;
#ifdef GV_HAVE_X11
  if (priv->dpy) {
    out->screen_width = DisplayWidth (priv->dpy, DefaultScreen (priv->dpy));
    out->screen_height = DisplayHeight (priv->dpy, DefaultScreen (priv->dpy));
    if (priv->window) {
      int wx, wy, ww, wh;
      if (!gv_x11_window_geometry (priv->dpy, priv->window, &wx, &wy, &ww, &wh))
        return false;
      out->x += wx;
      out->y += wy;
    }
  }
#endif
#ifdef GV_HAVE_PIPEWIRE
  if (priv->active == GV_SCREEN_SRC_BACKEND_PIPEWIRE) {
    out->x += priv->portal.x;
    out->y += priv->portal.y;
  }
#endif
  if (out->width <= 0 || out->height <= 0) {
    out->width = priv->base_width;
    out->height = priv->base_height;
  }
  return out->width > 0 && out->height > 0;
}

/* The ghost pad's own query function, which proxies to the inner source. */
static GstPadQueryFunction ghost_query_default = nullptr;

static gboolean gv_screen_src_src_query (GstPad *pad, GstObject *parent, GstQuery *query)
{
  if (gv_resize_query_is (query)) {
    const GstStructure *s = gst_query_get_structure (query);
    gint width = 0, height = 0, taken_width = 0, taken_height = 0;
    const char *by = gst_structure_get_string (s, "by");
    gst_structure_get_int (s, "width", &width);
    gst_structure_get_int (s, "height", &height);
    std::string why;
    bool done = gv_screen_src_resize (GV_SCREEN_SRC (parent), width, height, by ? by : "",
                                      taken_width, taken_height, why);
    gv_resize_query_answer (query, done, taken_width, taken_height, why);
    return TRUE;
  }
  if (gv_sources_query_is (query)) {
    GvScreenSrcPrivate *priv = GV_SCREEN_SRC (parent)->priv;
    std::lock_guard<std::mutex> guard (priv->lock);
    std::vector<GvShareableSource> sources = gv_screen_src_sources_locked (GV_SCREEN_SRC (parent));
    if (sources.empty ())
      return FALSE; /* this capture cannot switch */
    gv_sources_query_set (query, priv->current_id, sources);
    return TRUE;
  }
  if (gv_capture_region_query_is (query)) {
    GvCaptureRegion region;
    if (!current_region (GV_SCREEN_SRC (parent), &region))
      return FALSE;
    gv_capture_region_query_set (query, region);
    GST_LOG_OBJECT (parent, "capture region %d,%d %dx%d", region.x, region.y, region.width,
                    region.height);
    return TRUE;
  }
  return ghost_query_default (pad, parent, query);
}

/* The ghost pad's own event function, which forwards upstream events. */
static GstPadEventFunction ghost_event_default = nullptr;

static gboolean gv_screen_src_src_event (GstPad *pad, GstObject *parent, GstEvent *event)
{
  std::string source, by;
  if (gv_share_event_parse (event, source, by)) {
    gst_event_unref (event);
    std::string why;
    if (gv_screen_src_switch (GV_SCREEN_SRC (parent), source, by, "", why))
      return TRUE;
    GST_INFO_OBJECT (parent, "not switching to %s: %s", source.c_str (), why.c_str ());
    return FALSE;
  }
  return ghost_event_default (pad, parent, event);
}

static GstStateChangeReturn gv_screen_src_change_state (GstElement *element,
                                                        GstStateChange transition)
{
  GvScreenSrc *self = GV_SCREEN_SRC (element);
  if (transition == GST_STATE_CHANGE_NULL_TO_READY && !build (self)) {
    teardown (self);
    return GST_STATE_CHANGE_FAILURE;
  }
  GstStateChangeReturn ret = GST_ELEMENT_CLASS (parent_class)->change_state (element, transition);
  if (transition == GST_STATE_CHANGE_READY_TO_NULL ||
      (transition == GST_STATE_CHANGE_NULL_TO_READY && ret == GST_STATE_CHANGE_FAILURE))
    teardown (self);
  return ret;
}

/* `source`: before READY, what to share once started; while running, a
 * switch (by the host). Called with the lock held in @guard. */
static void set_source (GvScreenSrc *self, const char *id, std::unique_lock<std::mutex> &guard)
{
  GvScreenSrcPrivate *priv = self->priv;
  if (!priv->source) {
    priv->source_spec = id ? id : "";
    return;
  }
  guard.unlock ();
  std::string why;
  if (!gv_screen_src_switch (self, id ? id : "", "", "", why))
    GST_ELEMENT_WARNING (self, RESOURCE, NOT_FOUND,
                         ("Not sharing %s: %s", id ? id : "", why.c_str ()), (nullptr));
  guard.lock ();
}

static void gv_screen_src_set_property (GObject *object, guint prop_id, const GValue *value,
                                        GParamSpec *pspec)
{
  GvScreenSrcPrivate *priv = GV_SCREEN_SRC (object)->priv;
  std::unique_lock<std::mutex> guard (priv->lock);
  switch (prop_id) {
  case PROP_BACKEND:
    priv->backend = (GvScreenSrcBackend) g_value_get_enum (value);
    break;
  case PROP_DISPLAY: {
    const gchar *s = g_value_get_string (value);
    priv->display = s ? s : "";
    break;
  }
  case PROP_WINDOW:
    priv->window = g_value_get_uint64 (value);
    break;
  case PROP_SHOW_CURSOR:
    priv->show_cursor = g_value_get_boolean (value);
    break;
  case PROP_REGION: {
    guint n = gst_value_array_get_size (value);
    if (n == 0) {
      priv->region = GvRect ();
    } else if (n == 4) {
      gint v[4];
      for (guint i = 0; i < 4; i++)
        v[i] = g_value_get_int (gst_value_array_get_value (value, i));
      priv->region.x = MAX (v[0], 0);
      priv->region.y = MAX (v[1], 0);
      priv->region.width = MAX (v[2], 0);
      priv->region.height = MAX (v[3], 0);
    } else {
      GST_WARNING_OBJECT (object, "region needs 4 values <x,y,width,height>, got %u", n);
    }
    break;
  }
  case PROP_FRAMERATE:
    priv->fps_n = gst_value_get_fraction_numerator (value);
    priv->fps_d = gst_value_get_fraction_denominator (value);
    break;
  case PROP_SOURCE:
    set_source (GV_SCREEN_SRC (object), g_value_get_string (value), guard);
    break;
  case PROP_CURSOR_EVENTS:
    priv->cursor_events = g_value_get_boolean (value);
    break;
  case PROP_ALLOW_RESIZE:
    priv->allow_resize = g_value_get_boolean (value);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    break;
  }
}

static void gv_screen_src_get_property (GObject *object, guint prop_id, GValue *value,
                                        GParamSpec *pspec)
{
  GvScreenSrcPrivate *priv = GV_SCREEN_SRC (object)->priv;
  std::lock_guard<std::mutex> guard (priv->lock);
  switch (prop_id) {
  case PROP_BACKEND:
    g_value_set_enum (value, priv->backend);
    break;
  case PROP_DISPLAY:
    g_value_set_string (value, priv->display.empty () ? nullptr : priv->display.c_str ());
    break;
  case PROP_WINDOW:
    g_value_set_uint64 (value, priv->window);
    break;
  case PROP_SHOW_CURSOR:
    g_value_set_boolean (value, priv->show_cursor);
    break;
  case PROP_REGION: {
    const GvRect &r = priv->region;
    if (r.x || r.y || r.width || r.height) {
      for (gint v : { r.x, r.y, r.width, r.height }) {
        GValue item = G_VALUE_INIT;
        g_value_init (&item, G_TYPE_INT);
        g_value_set_int (&item, v);
        gst_value_array_append_and_take_value (value, &item);
      }
    }
    break;
  }
  case PROP_FRAMERATE:
    gst_value_set_fraction (value, priv->fps_n, priv->fps_d);
    break;
  case PROP_CURSOR_EVENTS:
    g_value_set_boolean (value, priv->cursor_events);
    break;
  case PROP_ALLOW_RESIZE:
    g_value_set_boolean (value, priv->allow_resize);
    break;
  case PROP_SOURCE:
    g_value_set_string (value,
                        priv->source ? priv->current_id.c_str () : priv->source_spec.c_str ());
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    break;
  }
}

static void gv_screen_src_finalize (GObject *object)
{
  delete GV_SCREEN_SRC (object)->priv;
  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void gv_screen_src_class_init (GvScreenSrcClass *klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  const auto flags = (GParamFlags) (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  gobject_class->set_property = gv_screen_src_set_property;
  gobject_class->get_property = gv_screen_src_get_property;
  gobject_class->finalize = gv_screen_src_finalize;

  g_object_class_install_property (
      gobject_class, PROP_BACKEND,
      g_param_spec_enum ("backend", "Backend", "Platform capture element to use (set in NULL)",
                         GV_TYPE_SCREEN_SRC_BACKEND, DEFAULT_BACKEND, flags));
  g_object_class_install_property (
      gobject_class, PROP_DISPLAY,
      g_param_spec_string ("display", "Display",
                           "X11 display name (default: $DISPLAY); on Windows and macOS the "
                           "monitor index",
                           nullptr, flags));
  g_object_class_install_property (
      gobject_class, PROP_WINDOW,
      g_param_spec_uint64 ("window", "Window",
                           "Id of the window to capture (X11 XID, Windows HWND), 0 for the "
                           "whole display",
                           0, G_MAXUINT64, DEFAULT_WINDOW, flags));
  g_object_class_install_property (gobject_class, PROP_SHOW_CURSOR,
                                   g_param_spec_boolean ("show-cursor", "Show cursor",
                                                         "Draw the mouse pointer into the frames",
                                                         DEFAULT_SHOW_CURSOR, flags));
  g_object_class_install_property (
      gobject_class, PROP_REGION,
      gst_param_spec_array (
          "region", "Region",
          "Area to capture as <x, y, width, height>, relative to the display "
          "or window; width/height 0 reach the edge; empty: everything",
          g_param_spec_int ("value", "Value", "Coordinate", 0, G_MAXINT, 0,
                            (GParamFlags) (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS)),
          flags));
  g_object_class_install_property (
      gobject_class, PROP_FRAMERATE,
      gst_param_spec_fraction ("framerate", "Frame rate", "Frames per second to capture", 1, 1, 240,
                               1, DEFAULT_FPS_N, DEFAULT_FPS_D, flags));

  g_object_class_install_property (
      gobject_class, PROP_SOURCE,
      g_param_spec_string (
          "source", "Source",
          "What to share: \"screen\" (every monitor as one canvas), \"display:N\" (monitor N, "
          "as 'ghostview devices' lists them) or \"window:0xID\"; overrides window and region. "
          "Set while playing, switches what is shared (X11); reads what is shared now",
          nullptr, flags));

  g_object_class_install_property (
      gobject_class, PROP_CURSOR_EVENTS,
      g_param_spec_boolean (
          "cursor-events", "Cursor events",
          "Send the pointer's shape and position downstream as gv-cursor-shape and gv-cursor "
          "events (gvcursorevent.h), for receivers that draw it themselves; usually with "
          "show-cursor=false (X11; set in NULL)",
          FALSE, flags));

  g_object_class_install_property (
      gobject_class, PROP_ALLOW_RESIZE,
      g_param_spec_boolean (
          "allow-resize", "Allow resize",
          "Let viewers resize the display to their window (the gv-resize query): for a virtual X "
          "display (Xvfb, Xdummy) with one output, while the whole screen is shared; the first "
          "size comes back when the element stops",
          FALSE, flags));

  element_class->change_state = gv_screen_src_change_state;
  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (
      element_class, "GhostView screen source", "Source/Video/Screen",
      "Captures a display, a region of it or a window with the platform's capture element",
      "GhostView developers");
  gst_type_mark_as_plugin_api (GV_TYPE_SCREEN_SRC_BACKEND, (GstPluginAPIFlags) 0);

  GST_DEBUG_CATEGORY_INIT (gv_screen_src_debug, "gvscreensrc", 0, "GhostView screen source");
}

static void gv_screen_src_init (GvScreenSrc *self)
{
  self->priv = new GvScreenSrcPrivate ();
  self->srcpad = gst_ghost_pad_new_no_target_from_template (
      "src", gst_element_class_get_pad_template (GST_ELEMENT_GET_CLASS (self), "src"));
  ghost_query_default = GST_PAD_QUERYFUNC (self->srcpad);
  gst_pad_set_query_function (self->srcpad, gv_screen_src_src_query);
  ghost_event_default = GST_PAD_EVENTFUNC (self->srcpad);
  gst_pad_set_event_function (self->srcpad, gv_screen_src_src_event);
  gst_element_add_pad (GST_ELEMENT (self), self->srcpad);
  GST_OBJECT_FLAG_SET (self, GST_ELEMENT_FLAG_SOURCE);
}
