/* GhostView — the xdg-desktop-portal ScreenCast handshake (Wayland/PipeWire).
 *
 * CreateSession -> SelectSources -> Start -> OpenPipeWireRemote over the
 * session bus, with GIO's D-Bus only (no libpipewire headers). The result is
 * a PipeWire remote fd and a node id for pipewiresrc's `fd` and `path`. The
 * portal may show the user a dialog, so gv_portal_open() blocks for up to
 * @timeout_s seconds.
 */
#pragma once

#include <gio/gio.h>

struct GvPortalStream {
  guint node_id = 0;
  gint fd = -1;      /* owned: close with gv_portal_close() */
  gint x = 0, y = 0; /* the stream's position, when the portal tells it */
  gint width = 0, height = 0;
  gchar *session = nullptr; /* session object path */
  GDBusConnection *bus = nullptr;
};

/* @source_types: 1 = monitor, 2 = window (bit mask). */
gboolean gv_portal_open (guint source_types, gboolean show_cursor, guint timeout_s,
                         GvPortalStream *out, GError **error);
void gv_portal_close (GvPortalStream *stream);
