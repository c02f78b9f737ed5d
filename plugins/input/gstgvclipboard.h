/* GhostView — gvclipboard: a native receiver's X11 clipboard, shared with the
 * host through "gv-clipboard" events. */
#pragma once

#include <gst/base/gstbasetransform.h>
#include <gst/gst.h>

G_BEGIN_DECLS

#define GV_TYPE_CLIPBOARD (gv_clipboard_get_type ())
G_DECLARE_FINAL_TYPE (GvClipboard, gv_clipboard, GV, CLIPBOARD, GstBaseTransform)

GST_ELEMENT_REGISTER_DECLARE (gvclipboard);

G_END_DECLS
