/* Displays and windows, from the gvscreenprovider device provider. */
#pragma once

#include <glib.h>

#include <string>
#include <vector>

namespace gv::launcher {

enum class ScreenKind { Monitor, Window, Any };

struct ScreenDevice {
  std::string kind;         /* "monitor" or "window" */
  std::string name;         /* monitor name or window title */
  std::string display_name; /* the device's own display name */
  guint64 window = 0;
  gint x = 0, y = 0, width = 0, height = 0;
  bool primary = false;
};

/* Monitors first, in the provider's order (that order numbers display:N). */
std::vector<ScreenDevice> list_screen_devices (ScreenKind kind);

/* `ghostview devices`: prints them; returns the exit code. */
int print_devices ();

} // namespace gv::launcher
