/* GhostView — gvscreenprovider
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SECTION:provider-gvscreenprovider
 * @title: gvscreenprovider
 *
 * A #GstDeviceProvider that lists, on X11, each display (XRandR monitor:
 * name, geometry, primary) and each top-level window (EWMH
 * `_NET_CLIENT_LIST`: title, application, pid, geometry; without a window
 * manager, the named mapped children of the root window) as devices of class
 * `Source/Video/Screen`. A device creates a `gvscreensrc` already set up for
 * it: `region` for a monitor, `window` for a window.
 *
 * Device properties (the #GstStructure of gst_device_get_properties()):
 * `device.api` ("x11"), `gv.kind` ("monitor" or "window"), `gv.display`,
 * `gv.x`, `gv.y`, `gv.width`, `gv.height`; monitors add `gv.name` and
 * `gv.primary`; windows add `gv.window` (guint64 XID), `gv.title`,
 * `gv.application` and `gv.pid` (0 when unknown).
 *
 * ## Example
 * |[
 * gst-device-monitor-1.0 Source/Video/Screen
 * ]|
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstgvscreenprovider.h"
#include "gvx11errors.h"
#include "gvx11screens.h"

#include <X11/Xlib.h>
#include <string>

GST_DEBUG_CATEGORY_STATIC (gv_screen_provider_debug);
#define GST_CAT_DEFAULT gv_screen_provider_debug

#define DEVICE_CLASS "Source/Video/Screen"

/* ---- the device --------------------------------------------------------- */

struct GvScreenDevicePrivate {
  std::string display;
  guint64 window = 0;
  gint x = 0, y = 0, width = 0, height = 0;
};

struct _GvScreenDevice {
  GstDevice parent;
  GvScreenDevicePrivate *priv;
};

G_DEFINE_TYPE (GvScreenDevice, gv_screen_device, GST_TYPE_DEVICE);

static GstElement *gv_screen_device_create_element (GstDevice *device, const gchar *name)
{
  GvScreenDevicePrivate *priv = GV_SCREEN_DEVICE (device)->priv;
  GstElement *src = gst_element_factory_make ("gvscreensrc", name);
  if (!src)
    return nullptr;
  if (!priv->display.empty ())
    g_object_set (src, "display", priv->display.c_str (), NULL);
  if (priv->window) {
    g_object_set (src, "window", priv->window, NULL);
  } else {
    GValue region = G_VALUE_INIT;
    g_value_init (&region, GST_TYPE_ARRAY);
    for (gint v : { priv->x, priv->y, priv->width, priv->height }) {
      GValue item = G_VALUE_INIT;
      g_value_init (&item, G_TYPE_INT);
      g_value_set_int (&item, v);
      gst_value_array_append_and_take_value (&region, &item);
    }
    g_object_set_property (G_OBJECT (src), "region", &region);
    g_value_unset (&region);
  }
  return src;
}

static void gv_screen_device_finalize (GObject *object)
{
  delete GV_SCREEN_DEVICE (object)->priv;
  G_OBJECT_CLASS (gv_screen_device_parent_class)->finalize (object);
}

static void gv_screen_device_class_init (GvScreenDeviceClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = gv_screen_device_finalize;
  GST_DEVICE_CLASS (klass)->create_element = gv_screen_device_create_element;
}

static void gv_screen_device_init (GvScreenDevice *self)
{
  self->priv = new GvScreenDevicePrivate ();
}

static GstDevice *new_device (const gchar *display_name, GstStructure *props,
                              const std::string &display, guint64 window, gint x, gint y,
                              gint width, gint height)
{
  GstCaps *caps = gst_caps_new_simple ("video/x-raw", "width", G_TYPE_INT, width, "height",
                                       G_TYPE_INT, height, NULL);
  gst_structure_set (props, "device.api", G_TYPE_STRING, "x11", "gv.display", G_TYPE_STRING,
                     display.c_str (), "gv.x", G_TYPE_INT, x, "gv.y", G_TYPE_INT, y, "gv.width",
                     G_TYPE_INT, width, "gv.height", G_TYPE_INT, height, NULL);
  auto *device = GV_SCREEN_DEVICE (g_object_new (GV_TYPE_SCREEN_DEVICE, "display-name",
                                                 display_name, "device-class", DEVICE_CLASS, "caps",
                                                 caps, "properties", props, NULL));
  gst_caps_unref (caps);
  gst_structure_free (props);
  device->priv->display = display;
  device->priv->window = window;
  device->priv->x = x;
  device->priv->y = y;
  device->priv->width = width;
  device->priv->height = height;
  return GST_DEVICE (device);
}

/* ---- the provider ------------------------------------------------------- */

struct _GvScreenDeviceProvider {
  GstDeviceProvider parent;
};

G_DEFINE_TYPE (GvScreenDeviceProvider, gv_screen_device_provider, GST_TYPE_DEVICE_PROVIDER);
GST_DEVICE_PROVIDER_REGISTER_DEFINE (gvscreenprovider, "gvscreenprovider", GST_RANK_PRIMARY,
                                     GV_TYPE_SCREEN_DEVICE_PROVIDER);

static GList *gv_screen_device_provider_probe (GstDeviceProvider *provider)
{
  gv_x11_install_error_handler ();
  Display *dpy = XOpenDisplay (nullptr);
  if (!dpy) {
    GST_INFO_OBJECT (provider, "no X display to list");
    return nullptr;
  }
  std::string display = DisplayString (dpy);
  GList *devices = nullptr;
  for (const GvX11Monitor &m : gv_x11_list_monitors (dpy)) {
    gchar *label = g_strdup_printf ("Display %s (%dx%d+%d+%d%s)", m.name.c_str (), m.width,
                                    m.height, m.x, m.y, m.primary ? ", primary" : "");
    GstStructure *props = gst_structure_new (
        "gv-screen-device", "gv.kind", G_TYPE_STRING, "monitor", "gv.name", G_TYPE_STRING,
        m.name.c_str (), "gv.primary", G_TYPE_BOOLEAN, (gboolean) m.primary, NULL);
    devices =
        g_list_append (devices, new_device (label, props, display, 0, m.x, m.y, m.width, m.height));
    g_free (label);
  }
  for (const GvX11Window &w : gv_x11_list_windows (dpy)) {
    gchar *label =
        w.title.empty () ? g_strdup_printf ("Window 0x%lx", w.xid) : g_strdup (w.title.c_str ());
    GstStructure *props = gst_structure_new (
        "gv-screen-device", "gv.kind", G_TYPE_STRING, "window", "gv.window", G_TYPE_UINT64,
        (guint64) w.xid, "gv.title", G_TYPE_STRING, w.title.c_str (), "gv.application",
        G_TYPE_STRING, w.application.c_str (), "gv.pid", G_TYPE_INT64, (gint64) w.pid, NULL);
    devices = g_list_append (
        devices, new_device (label, props, display, w.xid, w.x, w.y, w.width, w.height));
    g_free (label);
  }
  XCloseDisplay (dpy);
  return devices;
}

static void gv_screen_device_provider_class_init (GvScreenDeviceProviderClass *klass)
{
  GstDeviceProviderClass *dp_class = GST_DEVICE_PROVIDER_CLASS (klass);
  dp_class->probe = gv_screen_device_provider_probe;
  gst_device_provider_class_set_static_metadata (
      dp_class, "GhostView screen provider", DEVICE_CLASS,
      "Lists displays and windows that gvscreensrc can capture", "GhostView developers");
  GST_DEBUG_CATEGORY_INIT (gv_screen_provider_debug, "gvscreenprovider", 0,
                           "GhostView screen device provider");
}

static void gv_screen_device_provider_init (GvScreenDeviceProvider *) {}
