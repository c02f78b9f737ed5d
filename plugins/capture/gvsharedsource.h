/* GhostView — what is shared, along the pipeline: the query, event and
 * announcement that let any element downstream of gvscreensrc (gvwebrtcsink,
 * an application holding a pad) list what could be shared and switch it.
 *
 * - "gv-sources", a custom query sent upstream: gvscreensrc answers with
 *   "current" (string, the source id shared now, "" for a plain region) and
 *   the arrays "ids", "kinds", "names" (strings) and "widths", "heights"
 *   (ints), one entry per source, in the same order.
 * - "gv-share", a custom upstream event with "source" (string) and "by"
 *   (string, who asked: a viewer's name, or "" for the host itself).
 *   gvscreensrc takes it (it is not forwarded); the push returns FALSE when
 *   the source is unknown or this capture cannot switch.
 * - "gv-shared", a sticky custom downstream event that gvscreensrc sends
 *   before the first frame of a new source: "source", "name", "by",
 *   "reason" (strings; reason "" when asked, "window-closed" when the shared
 *   window closed and its display took its place, "resized" when a viewer
 *   resized the display), "width", "height".
 *   It comes after the new caps; a force-key-unit event follows it. Sticky
 *   so that a leaky queue on the way, which drops the events it leaks
 *   unless they are sticky, keeps it for the next frame it lets through.
 *
 * - "gv-resize", a custom query sent upstream with "width", "height"
 *   (gint) and "by" (string): asks the display to take that size (a
 *   virtual X display, with gvscreensrc allow-resize=true). gvscreensrc
 *   answers "done" (gboolean), "width", "height" (the size it took, within
 *   what the display allows) and "reason" (string, why not).
 *
 * Source ids: "screen" (every monitor as one canvas), "display:N" (monitor
 * N, in `ghostview devices` order) and "window:0xHEX" (a top-level window).
 *
 * Header only (static inline), so any plugin or application can use it
 * without linking to the capture plugin.
 */
#pragma once

#include <gst/gst.h>

#include <string>
#include <vector>

#define GV_SOURCES_QUERY_NAME "gv-sources"
#define GV_SHARE_EVENT_NAME "gv-share"
#define GV_SHARED_EVENT_NAME "gv-shared"
#define GV_SHARED_REASON_WINDOW_CLOSED "window-closed"
#define GV_SHARED_REASON_RESIZED "resized"
#define GV_RESIZE_QUERY_NAME "gv-resize"

struct GvShareableSource {
  std::string id;   /* "screen", "display:N", "window:0xHEX" */
  std::string kind; /* "screen", "display", "window" */
  std::string name;
  gint width = 0, height = 0;
};

static inline GstQuery *gv_sources_query_new (void)
{
  return gst_query_new_custom (GST_QUERY_CUSTOM, gst_structure_new_empty (GV_SOURCES_QUERY_NAME));
}

static inline bool gv_custom_named (const GstStructure *s, const char *name)
{
  return s && gst_structure_has_name (s, name);
}

static inline bool gv_sources_query_is (GstQuery *query)
{
  return GST_QUERY_TYPE (query) == GST_QUERY_CUSTOM &&
         gv_custom_named (gst_query_get_structure (query), GV_SOURCES_QUERY_NAME);
}

/* Sets "current" and the five arrays on @s (the query's answer, or an
 * element message of the same shape). */
static inline void gv_sources_fill (GstStructure *s, const std::string &current,
                                    const std::vector<GvShareableSource> &sources)
{
  GValue ids = G_VALUE_INIT, kinds = G_VALUE_INIT, names = G_VALUE_INIT, widths = G_VALUE_INIT,
         heights = G_VALUE_INIT;
  for (GValue *array : { &ids, &kinds, &names, &widths, &heights })
    gst_value_array_init (array, sources.size ());
  for (const GvShareableSource &source : sources) {
    GValue v = G_VALUE_INIT;
    g_value_init (&v, G_TYPE_STRING);
    g_value_set_string (&v, source.id.c_str ());
    gst_value_array_append_value (&ids, &v);
    g_value_set_string (&v, source.kind.c_str ());
    gst_value_array_append_value (&kinds, &v);
    g_value_set_string (&v, source.name.c_str ());
    gst_value_array_append_value (&names, &v);
    g_value_unset (&v);
    g_value_init (&v, G_TYPE_INT);
    g_value_set_int (&v, source.width);
    gst_value_array_append_value (&widths, &v);
    g_value_set_int (&v, source.height);
    gst_value_array_append_value (&heights, &v);
    g_value_unset (&v);
  }
  gst_structure_set (s, "current", G_TYPE_STRING, current.c_str (), NULL);
  gst_structure_take_value (s, "ids", &ids);
  gst_structure_take_value (s, "kinds", &kinds);
  gst_structure_take_value (s, "names", &names);
  gst_structure_take_value (s, "widths", &widths);
  gst_structure_take_value (s, "heights", &heights);
}

static inline void gv_sources_query_set (GstQuery *query, const std::string &current,
                                         const std::vector<GvShareableSource> &sources)
{
  gv_sources_fill (gst_query_writable_structure (query), current, sources);
}

/* Entry @i of the array field @name, or nullptr. */
static inline const GValue *gv_sources_entry (const GstStructure *s, const char *name, guint i)
{
  const GValue *array = gst_structure_get_value (s, name);
  if (!array || !GST_VALUE_HOLDS_ARRAY (array) || i >= gst_value_array_get_size (array))
    return nullptr;
  return gst_value_array_get_value (array, i);
}

/* Reads what gv_sources_fill set. */
static inline bool gv_sources_parse (const GstStructure *s, std::string &current,
                                     std::vector<GvShareableSource> &sources)
{
  const char *now = s ? gst_structure_get_string (s, "current") : nullptr;
  const GValue *ids = s ? gst_structure_get_value (s, "ids") : nullptr;
  if (!now || !ids || !GST_VALUE_HOLDS_ARRAY (ids))
    return false;
  current = now;
  sources.clear ();
  for (guint i = 0; i < gst_value_array_get_size (ids); i++) {
    const GValue *id = gv_sources_entry (s, "ids", i), *kind = gv_sources_entry (s, "kinds", i),
                 *name = gv_sources_entry (s, "names", i),
                 *width = gv_sources_entry (s, "widths", i),
                 *height = gv_sources_entry (s, "heights", i);
    if (!id || !kind || !name || !width || !height || !G_VALUE_HOLDS_STRING (id) ||
        !G_VALUE_HOLDS_STRING (kind) || !G_VALUE_HOLDS_STRING (name) ||
        !G_VALUE_HOLDS_INT (width) || !G_VALUE_HOLDS_INT (height))
      return false;
    GvShareableSource source;
    source.id = g_value_get_string (id) ? g_value_get_string (id) : "";
    source.kind = g_value_get_string (kind) ? g_value_get_string (kind) : "";
    source.name = g_value_get_string (name) ? g_value_get_string (name) : "";
    source.width = g_value_get_int (width);
    source.height = g_value_get_int (height);
    sources.push_back (std::move (source));
  }
  return true;
}

static inline bool gv_sources_query_parse (GstQuery *query, std::string &current,
                                           std::vector<GvShareableSource> &sources)
{
  return gv_sources_parse (gst_query_get_structure (query), current, sources);
}

static inline GstQuery *gv_resize_query_new (gint width, gint height, const char *by)
{
  return gst_query_new_custom (GST_QUERY_CUSTOM,
                               gst_structure_new (GV_RESIZE_QUERY_NAME, "width", G_TYPE_INT, width,
                                                  "height", G_TYPE_INT, height, "by", G_TYPE_STRING,
                                                  by ? by : "", NULL));
}

static inline bool gv_resize_query_is (GstQuery *query)
{
  return GST_QUERY_TYPE (query) == GST_QUERY_CUSTOM &&
         gv_custom_named (gst_query_get_structure (query), GV_RESIZE_QUERY_NAME);
}

/* The answer: @done, the size taken, or why not. */
static inline void gv_resize_query_answer (GstQuery *query, bool done, gint width, gint height,
                                           const std::string &reason)
{
  gst_structure_set (gst_query_writable_structure (query), "done", G_TYPE_BOOLEAN, (gboolean) done,
                     "width", G_TYPE_INT, width, "height", G_TYPE_INT, height, "reason",
                     G_TYPE_STRING, reason.c_str (), NULL);
}

static inline bool gv_resize_query_parse_answer (GstQuery *query, bool &done, gint &width,
                                                 gint &height, std::string &reason)
{
  const GstStructure *s = gst_query_get_structure (query);
  gboolean d = FALSE;
  if (!s || !gst_structure_get_boolean (s, "done", &d))
    return false;
  done = d;
  gst_structure_get_int (s, "width", &width);
  gst_structure_get_int (s, "height", &height);
  const char *why = gst_structure_get_string (s, "reason");
  reason = why ? why : "";
  return true;
}

static inline GstEvent *gv_share_event_new (const char *source, const char *by)
{
  return gst_event_new_custom (GST_EVENT_CUSTOM_UPSTREAM,
                               gst_structure_new (GV_SHARE_EVENT_NAME, "source", G_TYPE_STRING,
                                                  source, "by", G_TYPE_STRING, by ? by : "", NULL));
}

static inline bool gv_share_event_parse (GstEvent *event, std::string &source, std::string &by)
{
  if (GST_EVENT_TYPE (event) != GST_EVENT_CUSTOM_UPSTREAM)
    return false;
  const GstStructure *s = gst_event_get_structure (event);
  if (!gv_custom_named (s, GV_SHARE_EVENT_NAME))
    return false;
  const char *id = gst_structure_get_string (s, "source");
  const char *who = gst_structure_get_string (s, "by");
  if (!id)
    return false;
  source = id;
  by = who ? who : "";
  return true;
}

static inline GstEvent *gv_shared_event_new (const GvShareableSource &source, const char *by,
                                             const char *reason)
{
  return gst_event_new_custom (
      GST_EVENT_CUSTOM_DOWNSTREAM_STICKY,
      gst_structure_new (GV_SHARED_EVENT_NAME, "source", G_TYPE_STRING, source.id.c_str (), "name",
                         G_TYPE_STRING, source.name.c_str (), "by", G_TYPE_STRING, by ? by : "",
                         "reason", G_TYPE_STRING, reason ? reason : "", "width", G_TYPE_INT,
                         source.width, "height", G_TYPE_INT, source.height, NULL));
}

static inline bool gv_shared_event_is (GstEvent *event)
{
  return GST_EVENT_TYPE (event) == GST_EVENT_CUSTOM_DOWNSTREAM_STICKY &&
         gv_custom_named (gst_event_get_structure (event), GV_SHARED_EVENT_NAME);
}

static inline bool gv_shared_event_parse (GstEvent *event, GvShareableSource &source,
                                          std::string &by, std::string &reason)
{
  if (!gv_shared_event_is (event))
    return false;
  const GstStructure *s = gst_event_get_structure (event);
  const char *id = gst_structure_get_string (s, "source");
  const char *name = gst_structure_get_string (s, "name");
  const char *who = gst_structure_get_string (s, "by");
  const char *why = gst_structure_get_string (s, "reason");
  if (!id || !gst_structure_get_int (s, "width", &source.width) ||
      !gst_structure_get_int (s, "height", &source.height))
    return false;
  source.id = id;
  source.name = name ? name : "";
  by = who ? who : "";
  reason = why ? why : "";
  return true;
}
