/* GhostView — the "gv-clipboard" events that carry clipboard content along
 * the video path.
 *
 * Viewer -> host: a GST_EVENT_CUSTOM_UPSTREAM event whose structure is named
 * "gv-clipboard", with the fields
 *   "mime" (string): GV_CLIPBOARD_MIME_TEXT or GV_CLIPBOARD_MIME_PNG,
 *   "data" (GBytes): the content (text: UTF-8, no NUL; image: a PNG file),
 *   "peer" (string): who sent it (a viewer's peer id), for logs and refusals.
 * gvinputinject takes it (it is not forwarded) and puts it on the host's
 * clipboard.
 *
 * Host -> viewers: a downstream custom event, same name, with "mime" and
 * "data" (no "peer"). gvinputinject sends it when an application on the
 * host copies something, as a GST_EVENT_CUSTOM_DOWNSTREAM_STICKY event: a
 * leaky queue between it and the encoders (the host's launch line has one)
 * drops the events it leaks unless they are sticky, and keeps the latest
 * sticky one for the next frame it lets through. gvwebrtcsrc, on a
 * receiver, passes the host's copy on as a plain GST_EVENT_CUSTOM_DOWNSTREAM
 * event (not sticky: a relinked pad would paste a stale copy again).
 *
 * Header only (static inline), so any plugin can build and read these
 * events without linking to the input plugin.
 */
#pragma once

#include <gst/gst.h>
#include <string.h>

G_BEGIN_DECLS

#define GV_CLIPBOARD_EVENT_NAME "gv-clipboard"
#define GV_CLIPBOARD_MIME_TEXT "text/plain;charset=utf-8"
#define GV_CLIPBOARD_MIME_PNG "image/png"
#define GV_CLIPBOARD_DEFAULT_MAX_BYTES (10 * 1024 * 1024)

/* TRUE for the two kinds of content the clipboard exchange carries. */
static inline gboolean gv_clipboard_mime_is_known (const gchar *mime)
{
  return mime &&
         (strcmp (mime, GV_CLIPBOARD_MIME_TEXT) == 0 || strcmp (mime, GV_CLIPBOARD_MIME_PNG) == 0);
}

/* A new "gv-clipboard" event of @type (GST_EVENT_CUSTOM_UPSTREAM or
 * GST_EVENT_CUSTOM_DOWNSTREAM[_STICKY]). @data is referenced, not copied; @peer may be
 * NULL (then the field is left out). */
static inline GstEvent *gv_clipboard_event_new (GstEventType type, const gchar *mime, GBytes *data,
                                                const gchar *peer)
{
  g_return_val_if_fail (mime != NULL && data != NULL, NULL);
  GstStructure *s = gst_structure_new (GV_CLIPBOARD_EVENT_NAME, "mime", G_TYPE_STRING, mime, "data",
                                       G_TYPE_BYTES, data, NULL);
  if (peer)
    gst_structure_set (s, "peer", G_TYPE_STRING, peer, NULL);
  return gst_event_new_custom (type, s);
}

/* What a viewer pasted, on its way upstream to gvinputinject. */
static inline GstEvent *gv_clipboard_event_new_from_viewer (const gchar *mime, GBytes *data,
                                                            const gchar *peer)
{
  return gv_clipboard_event_new (GST_EVENT_CUSTOM_UPSTREAM, mime, data, peer);
}

/* What the host copied, on its way downstream to the viewers. */
static inline GstEvent *gv_clipboard_event_new_from_host (const gchar *mime, GBytes *data)
{
  return gv_clipboard_event_new (GST_EVENT_CUSTOM_DOWNSTREAM, mime, data, NULL);
}

/* TRUE when @event is a custom event named "gv-clipboard" (either
 * direction), whatever its fields. */
static inline gboolean gv_clipboard_event_is (GstEvent *event)
{
  return (GST_EVENT_TYPE (event) == GST_EVENT_CUSTOM_UPSTREAM ||
          GST_EVENT_TYPE (event) == GST_EVENT_CUSTOM_DOWNSTREAM ||
          GST_EVENT_TYPE (event) == GST_EVENT_CUSTOM_DOWNSTREAM_STICKY) &&
         gst_event_has_name (event, GV_CLIPBOARD_EVENT_NAME);
}

/* TRUE when @event is a "gv-clipboard" event on its way downstream: what
 * the host copied. */
static inline gboolean gv_clipboard_event_is_from_host (GstEvent *event)
{
  return GST_EVENT_IS_DOWNSTREAM (event) && gv_clipboard_event_is (event);
}

/* Reads a "gv-clipboard" event. Every out argument may be NULL; the strings
 * and the GBytes are borrowed from the event (valid while it lives), *peer is
 * NULL when the event has no peer. Returns FALSE, touching nothing, when the
 * event is not a "gv-clipboard" event or "mime"/"data" are missing or of the
 * wrong type. The mime type is returned as is: check it with
 * gv_clipboard_mime_is_known(). */
static inline gboolean gv_clipboard_event_parse (GstEvent *event, const gchar **mime, GBytes **data,
                                                 const gchar **peer)
{
  if (!gv_clipboard_event_is (event))
    return FALSE;
  const GstStructure *s = gst_event_get_structure (event);
  const gchar *m = gst_structure_get_string (s, "mime");
  const GValue *d = gst_structure_get_value (s, "data");
  if (!m || !d || !G_VALUE_HOLDS (d, G_TYPE_BYTES) || !g_value_get_boxed (d))
    return FALSE;
  if (mime)
    *mime = m;
  if (data)
    *data = (GBytes *) g_value_get_boxed (d);
  if (peer)
    *peer = gst_structure_get_string (s, "peer");
  return TRUE;
}

G_END_DECLS
