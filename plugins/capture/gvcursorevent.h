/* GhostView — the pointer, along the pipeline, for receivers that draw it
 * themselves (gvscreensrc cursor-events=true, usually with show-cursor=false).
 *
 * Two serialized custom downstream events, sent by gvscreensrc before the
 * frame they belong to, only when something changed:
 * - "gv-cursor-shape": "shape" (guint, an id for it, never 0), "width",
 *   "height", "hot-x", "hot-y" (gint), "rgba" (GBytes: width x height
 *   pixels, 8-bit R, G, B, A, straight alpha, rows top to bottom). Shapes
 *   larger than GV_CURSOR_MAX_SIZE square are not sent.
 * - "gv-cursor": "x", "y" (gint: the hot spot in the frame's pixels, may lie
 *   outside it), "visible" (gboolean: inside the frame), "shape" (guint, 0
 *   while no shape was sent).
 *
 * Header only (static inline), so any element or application can use them
 * without linking to the capture plugin.
 */
#pragma once

#include <gst/gst.h>

#define GV_CURSOR_EVENT_NAME "gv-cursor"
#define GV_CURSOR_SHAPE_EVENT_NAME "gv-cursor-shape"
#define GV_CURSOR_MAX_SIZE 96

struct GvCursorPosition {
  gint x = 0, y = 0;
  bool visible = false;
  guint shape = 0;
  bool operator== (const GvCursorPosition &o) const
  {
    return x == o.x && y == o.y && visible == o.visible && shape == o.shape;
  }
};

static inline GstEvent *gv_cursor_event_new (const GvCursorPosition &p)
{
  return gst_event_new_custom (GST_EVENT_CUSTOM_DOWNSTREAM,
                               gst_structure_new (GV_CURSOR_EVENT_NAME, "x", G_TYPE_INT, p.x, "y",
                                                  G_TYPE_INT, p.y, "visible", G_TYPE_BOOLEAN,
                                                  (gboolean) p.visible, "shape", G_TYPE_UINT,
                                                  p.shape, NULL));
}

static inline bool gv_cursor_event_parse (GstEvent *event, GvCursorPosition &p)
{
  const GstStructure *s = gst_event_get_structure (event);
  gboolean visible = FALSE;
  if (GST_EVENT_TYPE (event) != GST_EVENT_CUSTOM_DOWNSTREAM || !s ||
      !gst_structure_has_name (s, GV_CURSOR_EVENT_NAME) || !gst_structure_get_int (s, "x", &p.x) ||
      !gst_structure_get_int (s, "y", &p.y) ||
      !gst_structure_get_boolean (s, "visible", &visible) ||
      !gst_structure_get_uint (s, "shape", &p.shape))
    return false;
  p.visible = visible;
  return true;
}

/* @rgba is referenced. */
static inline GstEvent *gv_cursor_shape_event_new (guint shape, gint width, gint height, gint hot_x,
                                                   gint hot_y, GBytes *rgba)
{
  return gst_event_new_custom (
      GST_EVENT_CUSTOM_DOWNSTREAM,
      gst_structure_new (GV_CURSOR_SHAPE_EVENT_NAME, "shape", G_TYPE_UINT, shape, "width",
                         G_TYPE_INT, width, "height", G_TYPE_INT, height, "hot-x", G_TYPE_INT,
                         hot_x, "hot-y", G_TYPE_INT, hot_y, "rgba", G_TYPE_BYTES, rgba, NULL));
}

static inline bool gv_cursor_event_is (GstEvent *event)
{
  const GstStructure *s = gst_event_get_structure (event);
  return GST_EVENT_TYPE (event) == GST_EVENT_CUSTOM_DOWNSTREAM && s &&
         (gst_structure_has_name (s, GV_CURSOR_EVENT_NAME) ||
          gst_structure_has_name (s, GV_CURSOR_SHAPE_EVENT_NAME));
}

/* @rgba: borrowed from the event. */
static inline bool gv_cursor_shape_event_parse (GstEvent *event, guint &shape, gint &width,
                                                gint &height, gint &hot_x, gint &hot_y,
                                                GBytes *&rgba)
{
  const GstStructure *s = gst_event_get_structure (event);
  if (GST_EVENT_TYPE (event) != GST_EVENT_CUSTOM_DOWNSTREAM || !s ||
      !gst_structure_has_name (s, GV_CURSOR_SHAPE_EVENT_NAME) ||
      !gst_structure_get_uint (s, "shape", &shape) || !gst_structure_get_int (s, "width", &width) ||
      !gst_structure_get_int (s, "height", &height) ||
      !gst_structure_get_int (s, "hot-x", &hot_x) || !gst_structure_get_int (s, "hot-y", &hot_y))
    return false;
  const GValue *v = gst_structure_get_value (s, "rgba");
  if (!v || !G_VALUE_HOLDS (v, G_TYPE_BYTES))
    return false;
  rgba = (GBytes *) g_value_get_boxed (v);
  return rgba != nullptr;
}
