/* GhostView — gvclipboard
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SECTION:element-gvclipboard
 * @title: gvclipboard
 * @short_description: share a native receiver's X11 clipboard with the host
 *
 * A pass-through element (buffers, caps and every other event go through
 * untouched) for the receiving end of a session: put it after gvwebrtcsrc,
 * and the CLIPBOARD selection of the receiver's X display is shared with
 * the host, both ways. The host must have granted this viewer `clipboard`
 * (`ghostview host --allow clipboard`, gvwebrtcsink `allow=view+clipboard`
 * or `/grant N clipboard`); without it nothing crosses either way.
 *
 * - Host to receiver: gvwebrtcsrc pushes what the host copied down its video
 *   pad as a serialized custom downstream event "gv-clipboard" (`mime`:
 *   "text/plain;charset=utf-8" or "image/png", `data`: GBytes; see
 *   gvclipboardevent.h). The element takes the event (it goes no further),
 *   checks it (known mime type, at most `max-bytes`, valid UTF-8 without NUL
 *   bytes, or a PNG signature), becomes the owner of CLIPBOARD on `display`
 *   and serves it to local applications: text as UTF8_STRING, TEXT,
 *   text/plain;charset=utf-8, text/plain and STRING (when Latin-1 can hold
 *   it), a PNG as image/png; large content by INCR. Each time it posts the
 *   element message "gvclipboard-received" (`mime`, `size` guint64); what is
 *   refused posts "gvclipboard-refused" (`reason`: "too-large",
 *   "invalid-utf8", "invalid-png", "empty", "unsupported-mime", "malformed"
 *   or "unavailable"; `mime`, `size`).
 * - Receiver to host: when another local application becomes the owner of
 *   CLIPBOARD (watched with XFixes) the element reads the new content
 *   (UTF8_STRING first, else image/png, else STRING; INCR followed) and
 *   sends it upstream as a custom upstream event "gv-clipboard", from a
 *   thread of GStreamer's pool (the video never waits for it). gvwebrtcsrc
 *   sends it to the host on the assistance channel when the host granted
 *   `clipboard`, and refuses the event otherwise. Content sent posts
 *   "gvclipboard-sent" (`mime`, `size`); content over `max-bytes`, text
 *   that is not UTF-8 and events nobody upstream took are counted as
 *   refused-local. Only the newest copy waits to be sent.
 * - Loops: what the host sent is never sent back while the element owns the
 *   clipboard, nor when another client puts the same content there within
 *   2 seconds (a clipboard manager taking it over); counted as suppressed.
 *   The host does the same with what this receiver sent.
 *
 * With no X display (`display` unset and no $DISPLAY), or a server without
 * XFixes, or a build without the X11 clipboard, the element posts a warning
 * ("Clipboard sharing is off: ...") when it goes to READY and passes
 * everything through: the picture never depends on the clipboard (what the
 * host sends is refused as "unavailable"). `enabled=false` leaves the
 * clipboard alone without a warning and forwards the "gv-clipboard" events
 * untouched, like every other event (`ghostview view` sets it from the
 * preset variable CLIPBOARD). The X11 side runs on a thread of
 * its own with its own display connection, from NULL to READY until READY
 * to NULL. Counters are in `stats` (active, received, sent,
 * refused-received, refused-local, suppressed); details in the
 * "gvclipboard" debug category.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 gvwebrtcsrc signaller::server=ws://127.0.0.1:8443/ws pin=123456 \
 *     ! gvclipboard ! videoconvert ! autovideosink
 * ]|
 * Watches the session; text or an image copied on either side can be pasted
 * on the other.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstgvclipboard.h"
#include "gvclipboardevent.h"
#include "gvclipboardexchange.h"

#include <memory>
#include <mutex>
#include <string>

#define GST_CAT_DEFAULT gv_clipboard_debug

enum {
  PROP_0,
  PROP_DISPLAY,
  PROP_ENABLED,
  PROP_MAX_BYTES,
  PROP_STATS,
};

#define DEFAULT_ENABLED TRUE

struct GvClipboardPrivate {
  std::mutex lock;
  /* properties */
  std::string display;
  bool enabled = DEFAULT_ENABLED;
  /* runtime */
  bool enabled_at_start = DEFAULT_ENABLED;       /* `enabled` when it went to READY */
  bool active = false;                           /* the X11 clipboard is ours */
  std::unique_ptr<GvClipboardExchange> exchange; /* lives as long as the element */
};

struct _GvClipboard {
  GstBaseTransform parent;
  GvClipboardPrivate *priv;
};

static GstStaticPadTemplate sink_template =
    GST_STATIC_PAD_TEMPLATE ("sink", GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS_ANY);
static GstStaticPadTemplate src_template =
    GST_STATIC_PAD_TEMPLATE ("src", GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS_ANY);

#define gv_clipboard_parent_class parent_class
G_DEFINE_TYPE (GvClipboard, gv_clipboard, GST_TYPE_BASE_TRANSFORM);
GST_ELEMENT_REGISTER_DEFINE (gvclipboard, "gvclipboard", GST_RANK_NONE, GV_TYPE_CLIPBOARD);

/* ---- GstBaseTransform ----------------------------------------------------- */

static gboolean gv_clipboard_sink_event (GstBaseTransform *trans, GstEvent *event)
{
  GvClipboard *self = GV_CLIPBOARD (trans);
  bool enabled;
  {
    std::lock_guard<std::mutex> guard (self->priv->lock);
    enabled = self->priv->enabled_at_start;
  }
  if (enabled && gv_clipboard_event_is_from_host (event)) {
    gboolean taken = self->priv->exchange->receive (event);
    gst_event_unref (event);
    return taken;
  }
  return GST_BASE_TRANSFORM_CLASS (parent_class)->sink_event (trans, event);
}

static GstFlowReturn gv_clipboard_transform_ip (GstBaseTransform *, GstBuffer *)
{
  return GST_FLOW_OK;
}

/* A local copy waits: sent upstream from GStreamer's thread pool, so neither
 * the clipboard thread nor the video waits for the data channel. */
static void push_local_copy (GstElement *element, gpointer)
{
  GvClipboard *self = GV_CLIPBOARD (element);
  self->priv->exchange->push_pending (GST_BASE_TRANSFORM_SINK_PAD (self));
}

static GstStateChangeReturn gv_clipboard_change_state (GstElement *element,
                                                       GstStateChange transition)
{
  GvClipboard *self = GV_CLIPBOARD (element);
  GvClipboardPrivate *priv = self->priv;

  if (transition == GST_STATE_CHANGE_NULL_TO_READY) {
    std::string display, error;
    bool enabled;
    {
      std::lock_guard<std::mutex> guard (priv->lock);
      display = priv->display;
      enabled = priv->enabled;
    }
    bool active = enabled && priv->exchange->start (display, &error);
    if (enabled && !active)
      GST_ELEMENT_WARNING (self, RESOURCE, OPEN_READ_WRITE,
                           ("Clipboard sharing is off: %s", error.c_str ()),
                           ("the video passes through; the clipboard is not shared"));
    else if (!enabled)
      GST_INFO_OBJECT (self, "disabled: the clipboard is not shared");
    std::lock_guard<std::mutex> guard (priv->lock);
    priv->active = active;
    priv->enabled_at_start = enabled;
  }

  GstStateChangeReturn ret = GST_ELEMENT_CLASS (parent_class)->change_state (element, transition);

  if (transition == GST_STATE_CHANGE_READY_TO_NULL) {
    priv->exchange->stop ();
    std::lock_guard<std::mutex> guard (priv->lock);
    priv->active = false;
  }
  return ret;
}

/* ---- GObject -------------------------------------------------------------- */

static void gv_clipboard_set_property (GObject *object, guint prop_id, const GValue *value,
                                       GParamSpec *pspec)
{
  GvClipboardPrivate *priv = GV_CLIPBOARD (object)->priv;
  switch (prop_id) {
  case PROP_DISPLAY: {
    std::lock_guard<std::mutex> guard (priv->lock);
    const gchar *display = g_value_get_string (value);
    priv->display = display ? display : "";
    break;
  }
  case PROP_ENABLED: {
    std::lock_guard<std::mutex> guard (priv->lock);
    priv->enabled = g_value_get_boolean (value);
    break;
  }
  case PROP_MAX_BYTES:
    priv->exchange->set_max_bytes (g_value_get_uint64 (value));
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    break;
  }
}

static void gv_clipboard_get_property (GObject *object, guint prop_id, GValue *value,
                                       GParamSpec *pspec)
{
  GvClipboardPrivate *priv = GV_CLIPBOARD (object)->priv;
  switch (prop_id) {
  case PROP_DISPLAY: {
    std::lock_guard<std::mutex> guard (priv->lock);
    g_value_set_string (value, priv->display.empty () ? nullptr : priv->display.c_str ());
    break;
  }
  case PROP_ENABLED: {
    std::lock_guard<std::mutex> guard (priv->lock);
    g_value_set_boolean (value, priv->enabled);
    break;
  }
  case PROP_MAX_BYTES:
    g_value_set_uint64 (value, priv->exchange->max_bytes ());
    break;
  case PROP_STATS: {
    bool active;
    {
      std::lock_guard<std::mutex> guard (priv->lock);
      active = priv->active;
    }
    GstStructure *stats =
        gst_structure_new ("gvclipboard-stats", "active", G_TYPE_BOOLEAN, active, NULL);
    priv->exchange->fill_stats (stats);
    g_value_take_boxed (value, stats);
    break;
  }
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    break;
  }
}

static void gv_clipboard_finalize (GObject *object)
{
  GvClipboardPrivate *priv = GV_CLIPBOARD (object)->priv;
  priv->exchange.reset ();
  delete priv;
  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void gv_clipboard_class_init (GvClipboardClass *klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseTransformClass *trans_class = GST_BASE_TRANSFORM_CLASS (klass);
  const auto rw = (GParamFlags) (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  const auto ro = (GParamFlags) (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  gobject_class->set_property = gv_clipboard_set_property;
  gobject_class->get_property = gv_clipboard_get_property;
  gobject_class->finalize = gv_clipboard_finalize;

  g_object_class_install_property (
      gobject_class, PROP_DISPLAY,
      g_param_spec_string ("display", "Display",
                           "X11 display whose CLIPBOARD is shared (default: $DISPLAY; set in NULL)",
                           nullptr, rw));
  g_object_class_install_property (
      gobject_class, PROP_ENABLED,
      g_param_spec_boolean ("enabled", "Enabled",
                            "Share the clipboard; false: pass everything through (set in NULL)",
                            DEFAULT_ENABLED, rw));
  g_object_class_install_property (
      gobject_class, PROP_MAX_BYTES,
      g_param_spec_uint64 ("max-bytes", "Max bytes",
                           "Clipboard content larger than this is refused, either way", 1,
                           G_MAXUINT32, GV_CLIPBOARD_DEFAULT_MAX_BYTES,
                           (GParamFlags) (rw | GST_PARAM_MUTABLE_PLAYING)));
  g_object_class_install_property (
      gobject_class, PROP_STATS,
      g_param_spec_boxed ("stats", "Statistics",
                          "active (gboolean: the X11 clipboard is shared), received, sent, "
                          "refused-received, refused-local, suppressed (guint64)",
                          GST_TYPE_STRUCTURE, ro));

  element_class->change_state = gv_clipboard_change_state;
  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (
      element_class, "GhostView receiver clipboard", "Filter",
      "Shares the local X11 clipboard with the host of a session: puts downstream gv-clipboard "
      "events on it and sends local copies upstream",
      "GhostView developers");

  trans_class->sink_event = gv_clipboard_sink_event;
  trans_class->transform_ip = gv_clipboard_transform_ip;
  trans_class->passthrough_on_same_caps = TRUE;
  trans_class->transform_ip_on_passthrough = FALSE;
}

static void gv_clipboard_init (GvClipboard *self)
{
  self->priv = new GvClipboardPrivate ();
  self->priv->exchange =
      std::make_unique<GvClipboardExchange> (GST_ELEMENT (self), gv_clipboard_role_receiver);
  self->priv->exchange->set_on_pending (
      [self] { gst_element_call_async (GST_ELEMENT (self), push_local_copy, nullptr, nullptr); });
  gst_base_transform_set_passthrough (GST_BASE_TRANSFORM (self), TRUE);
  gst_base_transform_set_in_place (GST_BASE_TRANSFORM (self), TRUE);
}
