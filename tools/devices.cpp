#include "devices.h"

#include "exit_codes.h"

#include <gst/gst.h>

#include <cstdio>

namespace gv::launcher {
namespace {

std::string get_string (const GstStructure *s, const char *field)
{
  const char *v = s ? gst_structure_get_string (s, field) : nullptr;
  return v ? v : "";
}

} // namespace

std::vector<ScreenDevice> list_screen_devices (ScreenKind kind)
{
  std::vector<ScreenDevice> monitors, windows;
  GstDeviceMonitor *monitor = gst_device_monitor_new ();
  gst_device_monitor_add_filter (monitor, "Source/Video/Screen", nullptr);
  GList *devices = gst_device_monitor_get_devices (monitor);
  for (GList *l = devices; l; l = l->next) {
    GstDevice *device = GST_DEVICE (l->data);
    GstStructure *props = gst_device_get_properties (device);
    ScreenDevice d;
    d.kind = get_string (props, "gv.kind");
    gchar *display_name = gst_device_get_display_name (device);
    d.display_name = display_name ? display_name : "";
    g_free (display_name);
    if (props) {
      d.name = get_string (props, d.kind == "window" ? "gv.title" : "gv.name");
      gst_structure_get_int (props, "gv.x", &d.x);
      gst_structure_get_int (props, "gv.y", &d.y);
      gst_structure_get_int (props, "gv.width", &d.width);
      gst_structure_get_int (props, "gv.height", &d.height);
      gst_structure_get_uint64 (props, "gv.window", &d.window);
      gboolean primary = FALSE;
      if (gst_structure_get_boolean (props, "gv.primary", &primary))
        d.primary = primary;
      gst_structure_free (props);
    }
    if (d.kind == "window")
      windows.push_back (d);
    else
      monitors.push_back (d);
  }
  g_list_free_full (devices, gst_object_unref);
  gst_object_unref (monitor);

  if (kind == ScreenKind::Monitor)
    return monitors;
  if (kind == ScreenKind::Window)
    return windows;
  monitors.insert (monitors.end (), windows.begin (), windows.end ());
  return monitors;
}

int print_devices ()
{
  auto monitors = list_screen_devices (ScreenKind::Monitor);
  auto windows = list_screen_devices (ScreenKind::Window);
  if (monitors.empty () && windows.empty ()) {
    std::printf ("No displays or windows found (no X11 display here? On Wayland the portal asks "
                 "when sharing starts). 'ghostview host --source test' shares a test pattern.\n");
    return kExitOk;
  }
  std::printf ("Displays (--source display:N):\n");
  for (size_t i = 0; i < monitors.size (); i++) {
    const auto &d = monitors[i];
    std::printf ("  display:%zu  %-12s %dx%d+%d+%d%s\n", i,
                 d.name.empty () ? d.display_name.c_str () : d.name.c_str (), d.width, d.height,
                 d.x, d.y, d.primary ? "  (primary)" : "");
  }
  std::printf ("Windows (--source window:ID):\n");
  for (const auto &w : windows)
    std::printf ("  window:0x%08" G_GINT64_MODIFIER "x  %dx%d+%d+%d  %s\n", w.window, w.width,
                 w.height, w.x, w.y, w.name.empty () ? w.display_name.c_str () : w.name.c_str ());
  if (windows.empty ())
    std::printf ("  (none)\n");
  return kExitOk;
}

} // namespace gv::launcher
