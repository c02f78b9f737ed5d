/* GhostView — the capture-region query shared by gvscreensrc and gvinputinject.
 *
 * gvinputinject needs to know where the pixels it sees came from on the
 * screen. It asks upstream with a custom query named "gv-capture-region";
 * gvscreensrc answers it (any element in between forwards it, as GStreamer
 * does for unknown queries). The answer is computed at query time, so a moved
 * window is followed.
 *
 * Fields of the answered query's structure:
 *   x, y            (gint)    top-left of the captured area in screen (root /
 *                             virtual desktop) pixels
 *   width, height   (gint)    size of the captured area in screen pixels
 *   screen-width,
 *   screen-height   (gint)    size of the whole screen (0 when unknown)
 *   window          (guint64) the captured window's id, 0 for a display
 */
#pragma once

#include <gst/gst.h>

#define GV_CAPTURE_REGION_QUERY_NAME "gv-capture-region"

struct GvCaptureRegion {
  gint x = 0;
  gint y = 0;
  gint width = 0;
  gint height = 0;
  gint screen_width = 0;
  gint screen_height = 0;
  guint64 window = 0;
};

static inline GstQuery *gv_capture_region_query_new (void)
{
  return gst_query_new_custom (GST_QUERY_CUSTOM,
                               gst_structure_new_empty (GV_CAPTURE_REGION_QUERY_NAME));
}

static inline gboolean gv_capture_region_query_is (GstQuery *query)
{
  if (GST_QUERY_TYPE (query) != GST_QUERY_CUSTOM)
    return FALSE;
  const GstStructure *s = gst_query_get_structure (query);
  return s && gst_structure_has_name (s, GV_CAPTURE_REGION_QUERY_NAME);
}

static inline void gv_capture_region_query_set (GstQuery *query, const GvCaptureRegion &r)
{
  GstStructure *s = gst_query_writable_structure (query);
  gst_structure_set (s, "x", G_TYPE_INT, r.x, "y", G_TYPE_INT, r.y, "width", G_TYPE_INT, r.width,
                     "height", G_TYPE_INT, r.height, "screen-width", G_TYPE_INT, r.screen_width,
                     "screen-height", G_TYPE_INT, r.screen_height, "window", G_TYPE_UINT64,
                     r.window, NULL);
}

static inline gboolean gv_capture_region_query_parse (GstQuery *query, GvCaptureRegion *r)
{
  const GstStructure *s = gst_query_get_structure (query);
  if (!s || !gst_structure_get_int (s, "x", &r->x) || !gst_structure_get_int (s, "y", &r->y) ||
      !gst_structure_get_int (s, "width", &r->width) ||
      !gst_structure_get_int (s, "height", &r->height) || r->width <= 0 || r->height <= 0)
    return FALSE;
  if (!gst_structure_get_int (s, "screen-width", &r->screen_width))
    r->screen_width = 0;
  if (!gst_structure_get_int (s, "screen-height", &r->screen_height))
    r->screen_height = 0;
  if (!gst_structure_get_uint64 (s, "window", &r->window))
    r->window = 0;
  return TRUE;
}
