/* GhostView — gvinputinject
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SECTION:element-gvinputinject
 * @title: gvinputinject
 *
 * A pass-through video element (buffers go through untouched) that takes the
 * GstNavigation events travelling upstream — mouse move, button press and
 * release, scroll, key press and release, touch — and injects them into the
 * operating system with one of its backends: `xtest` (X11), `uinput` (Linux
 * virtual devices), `sendinput` (Windows) or `record`, which injects nothing
 * and posts each event as a bus message.
 *
 * Coordinates arrive in the pixel space of the stream at this element's pad
 * (elements downstream, such as videoscale, already mapped them). They are
 * scaled to the capture region that the upstream `gvscreensrc` reports
 * through the "gv-capture-region" query, and clamped to it: a viewer cannot
 * click outside what is shared. Without an answer the stream is taken to be
 * the screen at 0,0.
 *
 * Keys are named as in GstNavigation: X keysym names ("Return", "Shift_L"),
 * DOM KeyboardEvent.key names ("Enter", "ArrowLeft", "Shift") or one
 * character ("a", "A", "€"). An unknown name is dropped and counted. The
 * event's modifier state is honoured: a click or key press carrying Shift,
 * Control, Alt (Mod1) or Super/Meta that is not held is wrapped in a press
 * and release of that modifier.
 *
 * Safety: `enabled=false` drops everything (and releases what is held);
 * presses, moves and scrolls beyond `max-rate` per second are dropped
 * (releases never are). Every key and button still held is released by the
 * `release-all` action signal, by a custom upstream event whose structure is
 * named "gv-release-all" (gvwebrtcsink sends it when a viewer leaves or loses
 * control), by EOS and flushes, and when the element goes from PLAYING to
 * PAUSED or lower.
 *
 * With `backend=record` each injected event is posted as an element message
 * whose structure is named "gvinputinject-event", with the fields
 * `type` (string: "motion", "button-press", "button-release", "scroll",
 * "key-press", "key-release"), `x`, `y` (gint, screen pixels after mapping),
 * `stream-x`, `stream-y` (gdouble, as received), `button` (gint, 1 left,
 * 2 middle, 3 right), `key` (string, the name received), `keysym` (guint),
 * `delta-x`, `delta-y` (gdouble, scroll; positive y is up),
 * `modifiers` (guint, GstNavigationModifierType) and `synthetic` (gboolean,
 * true for releases made by release-all and for modifier-state wrapping).
 * A touch point is injected as the pointer: down = move + button 1 press.
 *
 * ## Clipboard
 *
 * With the `xtest` backend (chosen or picked by `auto`) and `clipboard=true`
 * (the default), the element also exchanges the X11 CLIPBOARD selection with
 * the viewers; the other backends ignore `clipboard` (they have no
 * clipboard, and refuse what viewers send with the reason "unavailable").
 * The events are defined in gvclipboardevent.h, which has helpers to build
 * and read them:
 *
 * - Viewer to host: a custom upstream event whose structure is named
 *   "gv-clipboard", with `mime` (string: "text/plain;charset=utf-8" or
 *   "image/png"), `data` (GBytes: UTF-8 text without NUL bytes, or a PNG
 *   file) and `peer` (string, who sent it). The element takes the event (it
 *   is not forwarded; sending it returns TRUE when the content was taken),
 *   becomes the owner of CLIPBOARD a moment later and serves TARGETS, TIMESTAMP and, for
 *   text, UTF8_STRING, TEXT, text/plain;charset=utf-8, text/plain and STRING
 *   (only when Latin-1 can hold the text); for a PNG, image/png. Content
 *   above 256 KiB (less when the server takes smaller requests) goes by INCR.
 *   What is refused (larger than `clipboard-max-bytes`, invalid UTF-8, not a
 *   PNG, empty, unknown mime type, no clipboard) is counted and posted as an
 *   element message "gvinputinject-clipboard-refused" with `reason`
 *   ("too-large", "invalid-utf8", "invalid-png", "empty", "unsupported-mime",
 *   "malformed", "unavailable"), `mime`, `size` (guint64) and `peer`.
 * - Host to viewers: when another X client becomes the owner of CLIPBOARD
 *   (watched with XFixes), the element reads its content — UTF8_STRING
 *   first, else image/png, else STRING; INCR transfers are followed — and
 *   pushes a serialized custom downstream event "gv-clipboard" with `mime`
 *   and `data` from its src pad, just before the next buffer, then, when
 *   downstream took it, posts an element message "gvinputinject-clipboard"
 *   with `mime` and `size` (guint64); what nobody took counts as
 *   clipboard-refused-from-host. Only the newest content waits for that
 *   buffer. Content over
 *   `clipboard-max-bytes` or text that is not UTF-8 is not sent, and
 *   counted.
 * - Loops: content that a viewer sent is never sent back while the element
 *   owns the clipboard, nor when another client puts the same content there
 *   within 2 seconds (a clipboard manager taking it over).
 *
 * The X11 side runs on a thread of its own with its own display connection,
 * from NULL to READY until READY to NULL: streaming threads never wait for
 * the X server. The counters are in `stats` (clipboard-from-viewers,
 * clipboard-to-viewers, clipboard-refused-from-viewers,
 * clipboard-refused-from-host, clipboard-suppressed); details in the
 * "gvclipboard" debug category.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 gvscreensrc ! gvinputinject backend=xtest ! videoconvert ! ximagesink
 * ]|
 * Clicks and keys in the window reach the captured screen.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstgvinputinject.h"
#include "gvcaptureregion.h"
#include "gvclipboardevent.h"
#include "gvinputbackend.h"
#include "gvclipboardexchange.h"
#include "gvkeymap.h"
#include "token_bucket.h"

#include <gst/video/navigation.h>
#include <gst/video/video.h>

#include <map>
#include <mutex>
#include <set>
#include <vector>

GST_DEBUG_CATEGORY_STATIC (gv_input_inject_debug);
#define GST_CAT_DEFAULT gv_input_inject_debug

#define RELEASE_ALL_EVENT_NAME "gv-release-all"

enum {
  PROP_0,
  PROP_BACKEND,
  PROP_DISPLAY,
  PROP_ENABLED,
  PROP_MAX_RATE,
  PROP_CLIPBOARD,
  PROP_CLIPBOARD_MAX_BYTES,
  PROP_INJECTED,
  PROP_DROPPED,
  PROP_STATS,
};

enum {
  SIGNAL_RELEASE_ALL,
  LAST_SIGNAL,
};

#define DEFAULT_BACKEND GV_INPUT_INJECT_BACKEND_AUTO
#define DEFAULT_ENABLED TRUE
#define DEFAULT_MAX_RATE 1000
#define DEFAULT_CLIPBOARD TRUE

struct GvInputInjectPrivate {
  std::mutex lock;
  /* properties */
  GvInputInjectBackend backend_kind = DEFAULT_BACKEND;
  std::string display;
  bool enabled = DEFAULT_ENABLED;
  guint max_rate = DEFAULT_MAX_RATE;
  bool clipboard_enabled = DEFAULT_CLIPBOARD;

  /* runtime */
  std::unique_ptr<GvInputBackend> backend;
  gint stream_width = 0, stream_height = 0;
  std::map<guint32, std::string> held_keys; /* keysym -> name */
  std::set<gint> held_buttons;
  gint touch_id = -1; /* the touch point that drives the pointer */
  /* the flood limit: max_rate per second, bursts up to one second's worth */
  gv::TokenBucket flood{ DEFAULT_MAX_RATE, DEFAULT_MAX_RATE };
  std::vector<GstStructure *> pending;            /* record backend messages, posted unlocked */
  std::unique_ptr<GvClipboardExchange> clipboard; /* lives as long as the element */

  /* counters */
  guint64 injected = 0;
  guint64 dropped_disabled = 0, dropped_flood = 0, dropped_unknown_key = 0;
  guint64 dropped_failed = 0, released = 0;
  guint64 dropped () const
  {
    return dropped_disabled + dropped_flood + dropped_unknown_key + dropped_failed;
  }
};

struct _GvInputInject {
  GstBaseTransform parent;
  GvInputInjectPrivate *priv;
};

static guint signals[LAST_SIGNAL];

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE (
    "sink", GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS ("video/x-raw(ANY)"));
static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE (
    "src", GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS ("video/x-raw(ANY)"));

#define gv_input_inject_parent_class parent_class
G_DEFINE_TYPE (GvInputInject, gv_input_inject, GST_TYPE_BASE_TRANSFORM);
GST_ELEMENT_REGISTER_DEFINE (gvinputinject, "gvinputinject", GST_RANK_NONE, GV_TYPE_INPUT_INJECT);

/* ---- injection (priv->lock held) ----------------------------------------- */

static void inject_locked (GvInputInject *self, const GvInputEvent &ev)
{
  GvInputInjectPrivate *priv = self->priv;
  if (!priv->backend || !priv->backend->inject (ev)) {
    priv->dropped_failed++;
    GST_DEBUG_OBJECT (self, "%s not injected", gv_input_event_type_name (ev.type));
    return;
  }
  priv->injected++;
  switch (ev.type) {
  case GvInputEventType::BUTTON_PRESS:
    priv->held_buttons.insert (ev.button);
    break;
  case GvInputEventType::BUTTON_RELEASE:
    priv->held_buttons.erase (ev.button);
    break;
  case GvInputEventType::KEY_PRESS:
    priv->held_keys[ev.keysym] = ev.key;
    break;
  case GvInputEventType::KEY_RELEASE:
    priv->held_keys.erase (ev.keysym);
    break;
  default:
    break;
  }
}

static void release_all_locked (GvInputInject *self, const char *why)
{
  GvInputInjectPrivate *priv = self->priv;
  if (priv->held_keys.empty () && priv->held_buttons.empty ())
    return;
  GST_INFO_OBJECT (self, "releasing %zu keys and %zu buttons (%s)", priv->held_keys.size (),
                   priv->held_buttons.size (), why);
  std::set<gint> buttons = priv->held_buttons;
  for (gint button : buttons) {
    GvInputEvent ev;
    ev.type = GvInputEventType::BUTTON_RELEASE;
    ev.button = button;
    ev.synthetic = true;
    inject_locked (self, ev);
    priv->released++;
  }
  /* modifiers last, so a held Ctrl does not turn the other releases into shortcuts */
  std::map<guint32, std::string> keys = priv->held_keys;
  for (int pass = 0; pass < 2; pass++) {
    for (const auto &k : keys) {
      if ((pass == 0) == (bool) gv_keysym_is_modifier (k.first))
        continue;
      GvInputEvent ev;
      ev.type = GvInputEventType::KEY_RELEASE;
      ev.keysym = k.first;
      ev.key = k.second;
      ev.synthetic = true;
      inject_locked (self, ev);
      priv->released++;
    }
  }
  /* a backend that failed must not leave us believing keys are down forever */
  priv->held_keys.clear ();
  priv->held_buttons.clear ();
  priv->touch_id = -1;
}

static void post_pending (GvInputInject *self)
{
  std::vector<GstStructure *> pending;
  {
    std::lock_guard<std::mutex> guard (self->priv->lock);
    pending.swap (self->priv->pending);
  }
  for (GstStructure *s : pending)
    gst_element_post_message (GST_ELEMENT (self), gst_message_new_element (GST_OBJECT (self), s));
}

static void release_all (GvInputInject *self, const char *why)
{
  {
    std::lock_guard<std::mutex> guard (self->priv->lock);
    release_all_locked (self, why);
  }
  post_pending (self);
}

static bool flood_allows_locked (GvInputInjectPrivate *priv)
{
  return priv->max_rate == 0 || priv->flood.try_take (g_get_monotonic_time ());
}

struct ModifierKey {
  guint mask;
  guint32 keysym;        /* what we press when the state asks for it */
  guint32 alternates[3]; /* held keysyms that already satisfy it */
};

static const ModifierKey modifier_keys[] = {
  { GST_NAVIGATION_MODIFIER_SHIFT_MASK, 0xffe1, { 0xffe1, 0xffe2, 0 } },
  { GST_NAVIGATION_MODIFIER_CONTROL_MASK, 0xffe3, { 0xffe3, 0xffe4, 0 } },
  { GST_NAVIGATION_MODIFIER_MOD1_MASK, 0xffe9, { 0xffe9, 0xffea, 0xffe7 } },
  { GST_NAVIGATION_MODIFIER_SUPER_MASK | GST_NAVIGATION_MODIFIER_META_MASK,
    0xffeb,
    { 0xffeb, 0xffec, 0xffe8 } },
};

/* Injects @ev, wrapped in presses/releases of the modifiers its state asks
 * for and that are not held. */
static void inject_with_modifiers_locked (GvInputInject *self, const GvInputEvent &ev)
{
  GvInputInjectPrivate *priv = self->priv;
  std::vector<guint32> added;
  bool wrap = ev.type == GvInputEventType::BUTTON_PRESS || ev.type == GvInputEventType::KEY_PRESS;
  for (const ModifierKey &m : modifier_keys) {
    if (!wrap || !(ev.modifiers & m.mask) || gv_keysym_is_modifier (ev.keysym))
      continue;
    bool held = false;
    for (guint32 alt : m.alternates)
      held |= alt && priv->held_keys.count (alt);
    if (held)
      continue;
    GvInputEvent mod;
    mod.type = GvInputEventType::KEY_PRESS;
    mod.keysym = m.keysym;
    mod.synthetic = true;
    inject_locked (self, mod);
    added.push_back (m.keysym);
  }
  inject_locked (self, ev);
  for (auto it = added.rbegin (); it != added.rend (); ++it) {
    GvInputEvent mod;
    mod.type = GvInputEventType::KEY_RELEASE;
    mod.keysym = *it;
    mod.synthetic = true;
    inject_locked (self, mod);
  }
}

/* ---- navigation ---------------------------------------------------------- */

/* Maps stream coordinates to the screen; call without priv->lock. */
static void map_pointer (GvInputInject *self, gdouble sx, gdouble sy, GvInputEvent *ev)
{
  GvInputInjectPrivate *priv = self->priv;
  gint sw, sh;
  {
    std::lock_guard<std::mutex> guard (priv->lock);
    sw = priv->stream_width;
    sh = priv->stream_height;
  }
  GvCaptureRegion region;
  GstQuery *query = gv_capture_region_query_new ();
  bool have_region = gst_pad_peer_query (GST_BASE_TRANSFORM_SINK_PAD (self), query) &&
                     gv_capture_region_query_parse (query, &region);
  gst_query_unref (query);
  if (!have_region) {
    region = GvCaptureRegion ();
    region.width = sw > 0 ? sw : G_MAXINT / 2;
    region.height = sh > 0 ? sh : G_MAXINT / 2;
  }
  if (sw <= 0 || sh <= 0) {
    sw = region.width;
    sh = region.height;
  }
  gdouble x = region.x + sx * region.width / sw;
  gdouble y = region.y + sy * region.height / sh;
  ev->x = (gint) CLAMP (x, (gdouble) region.x, (gdouble) region.x + region.width - 1);
  ev->y = (gint) CLAMP (y, (gdouble) region.y, (gdouble) region.y + region.height - 1);
  ev->stream_x = sx;
  ev->stream_y = sy;
  ev->screen_width = region.screen_width > 0 ? region.screen_width : region.x + region.width;
  ev->screen_height = region.screen_height > 0 ? region.screen_height : region.y + region.height;
}

static gboolean handle_navigation (GvInputInject *self, GstEvent *event)
{
  GvInputInjectPrivate *priv = self->priv;
  GstNavigationEventType type = gst_navigation_event_get_type (event);
  GstNavigationModifierType state = GST_NAVIGATION_MODIFIER_NONE;
  gst_navigation_event_parse_modifier_state (event, &state);

  std::vector<GvInputEvent> events;
  gdouble x = 0, y = 0;
  bool pointer = gst_navigation_event_get_coordinates (event, &x, &y);
  GvInputEvent base;
  base.modifiers = state;
  if (pointer)
    map_pointer (self, x, y, &base);

  guint touch_id = 0;
  gdouble pressure = 0;
  switch (type) {
  case GST_NAVIGATION_EVENT_MOUSE_MOVE:
    base.type = GvInputEventType::MOTION;
    events.push_back (base);
    break;
  case GST_NAVIGATION_EVENT_MOUSE_BUTTON_PRESS:
  case GST_NAVIGATION_EVENT_MOUSE_BUTTON_RELEASE: {
    gst_navigation_event_parse_mouse_button_event (event, &base.button, nullptr, nullptr);
    GvInputEvent move = base;
    move.type = GvInputEventType::MOTION;
    events.push_back (move);
    base.type = type == GST_NAVIGATION_EVENT_MOUSE_BUTTON_PRESS ? GvInputEventType::BUTTON_PRESS
                                                                : GvInputEventType::BUTTON_RELEASE;
    events.push_back (base);
    break;
  }
  case GST_NAVIGATION_EVENT_MOUSE_SCROLL: {
    /* GStreamer 1.22's get_coordinates() does not cover scroll events. */
    gst_navigation_event_parse_mouse_scroll_event (event, &x, &y, &base.delta_x, &base.delta_y);
    map_pointer (self, x, y, &base);
    GvInputEvent move = base;
    move.type = GvInputEventType::MOTION;
    events.push_back (move);
    base.type = GvInputEventType::SCROLL;
    events.push_back (base);
    break;
  }
  case GST_NAVIGATION_EVENT_KEY_PRESS:
  case GST_NAVIGATION_EVENT_KEY_RELEASE: {
    const gchar *key = nullptr;
    gst_navigation_event_parse_key_event (event, &key);
    base.key = key ? key : "";
    base.keysym = gv_keysym_from_name (key);
    base.type = type == GST_NAVIGATION_EVENT_KEY_PRESS ? GvInputEventType::KEY_PRESS
                                                       : GvInputEventType::KEY_RELEASE;
    events.push_back (base);
    break;
  }
  case GST_NAVIGATION_EVENT_TOUCH_DOWN:
  case GST_NAVIGATION_EVENT_TOUCH_MOTION:
  case GST_NAVIGATION_EVENT_TOUCH_UP:
  case GST_NAVIGATION_EVENT_TOUCH_CANCEL: {
    if (type == GST_NAVIGATION_EVENT_TOUCH_UP)
      gst_navigation_event_parse_touch_up_event (event, &touch_id, nullptr, nullptr);
    else if (type != GST_NAVIGATION_EVENT_TOUCH_CANCEL)
      gst_navigation_event_parse_touch_event (event, &touch_id, nullptr, nullptr, &pressure);
    std::lock_guard<std::mutex> guard (priv->lock);
    bool primary = priv->touch_id == (gint) touch_id;
    if (type == GST_NAVIGATION_EVENT_TOUCH_DOWN && priv->touch_id < 0) {
      priv->touch_id = (gint) touch_id;
      primary = true;
    }
    if (type == GST_NAVIGATION_EVENT_TOUCH_CANCEL)
      primary = priv->touch_id >= 0;
    if (!primary)
      break; /* further fingers have no pointer to drive */
    base.button = 1;
    if (type != GST_NAVIGATION_EVENT_TOUCH_CANCEL) {
      GvInputEvent move = base;
      move.type = GvInputEventType::MOTION;
      events.push_back (move);
    }
    if (type == GST_NAVIGATION_EVENT_TOUCH_DOWN) {
      base.type = GvInputEventType::BUTTON_PRESS;
      events.push_back (base);
    } else if (type != GST_NAVIGATION_EVENT_TOUCH_MOTION) {
      base.type = GvInputEventType::BUTTON_RELEASE;
      events.push_back (base);
      priv->touch_id = -1;
    }
    break;
  }
  default:
    return FALSE; /* commands, touch frames: not ours */
  }

  {
    std::lock_guard<std::mutex> guard (priv->lock);
    for (const GvInputEvent &ev : events) {
      bool release =
          ev.type == GvInputEventType::BUTTON_RELEASE || ev.type == GvInputEventType::KEY_RELEASE;
      if (!priv->enabled || !priv->backend) {
        priv->dropped_disabled++;
      } else if ((ev.type == GvInputEventType::KEY_PRESS ||
                  ev.type == GvInputEventType::KEY_RELEASE) &&
                 ev.keysym == 0) {
        priv->dropped_unknown_key++;
        GST_DEBUG_OBJECT (self, "unknown key '%s' dropped", ev.key.c_str ());
      } else if (release) {
        /* only what we pressed; a release whose press was dropped is dropped */
        bool held = ev.type == GvInputEventType::KEY_RELEASE
                        ? priv->held_keys.count (ev.keysym) > 0
                        : priv->held_buttons.count (ev.button) > 0;
        if (held)
          inject_locked (self, ev);
      } else if (!flood_allows_locked (priv)) {
        priv->dropped_flood++;
      } else {
        inject_with_modifiers_locked (self, ev);
      }
    }
  }
  post_pending (self);
  return TRUE;
}

/* ---- GstBaseTransform ----------------------------------------------------- */

static gboolean gv_input_inject_src_event (GstBaseTransform *trans, GstEvent *event)
{
  GvInputInject *self = GV_INPUT_INJECT (trans);
  if (GST_EVENT_TYPE (event) == GST_EVENT_NAVIGATION) {
    if (handle_navigation (self, event)) {
      gst_event_unref (event);
      return TRUE;
    }
  } else if (GST_EVENT_TYPE (event) == GST_EVENT_CUSTOM_UPSTREAM &&
             gst_event_has_name (event, RELEASE_ALL_EVENT_NAME)) {
    release_all (self, RELEASE_ALL_EVENT_NAME " event");
    gst_event_unref (event);
    return TRUE;
  } else if (GST_EVENT_TYPE (event) == GST_EVENT_CUSTOM_UPSTREAM &&
             gst_event_has_name (event, GV_CLIPBOARD_EVENT_NAME)) {
    gboolean taken = self->priv->clipboard->receive (event);
    gst_event_unref (event);
    return taken;
  }
  return GST_BASE_TRANSFORM_CLASS (parent_class)->src_event (trans, event);
}

static gboolean gv_input_inject_sink_event (GstBaseTransform *trans, GstEvent *event)
{
  if (GST_EVENT_TYPE (event) == GST_EVENT_EOS || GST_EVENT_TYPE (event) == GST_EVENT_FLUSH_START)
    release_all (GV_INPUT_INJECT (trans), GST_EVENT_TYPE_NAME (event));
  return GST_BASE_TRANSFORM_CLASS (parent_class)->sink_event (trans, event);
}

static gboolean gv_input_inject_set_caps (GstBaseTransform *trans, GstCaps *incaps, GstCaps *)
{
  GvInputInjectPrivate *priv = GV_INPUT_INJECT (trans)->priv;
  GstStructure *s = gst_caps_get_structure (incaps, 0);
  std::lock_guard<std::mutex> guard (priv->lock);
  if (!gst_structure_get_int (s, "width", &priv->stream_width) ||
      !gst_structure_get_int (s, "height", &priv->stream_height))
    priv->stream_width = priv->stream_height = 0;
  return TRUE;
}

/* What the host copied goes downstream in stream order, before this buffer. */
static void gv_input_inject_before_transform (GstBaseTransform *trans, GstBuffer *buffer)
{
  if (GST_BASE_TRANSFORM_CLASS (parent_class)->before_transform)
    GST_BASE_TRANSFORM_CLASS (parent_class)->before_transform (trans, buffer);
  GV_INPUT_INJECT (trans)->priv->clipboard->push_pending (GST_BASE_TRANSFORM_SRC_PAD (trans));
}

static GstFlowReturn gv_input_inject_transform_ip (GstBaseTransform *, GstBuffer *)
{
  return GST_FLOW_OK;
}

static GstStateChangeReturn gv_input_inject_change_state (GstElement *element,
                                                          GstStateChange transition)
{
  GvInputInject *self = GV_INPUT_INJECT (element);
  GvInputInjectPrivate *priv = self->priv;

  if (transition == GST_STATE_CHANGE_NULL_TO_READY) {
    GvInputInjectBackend kind, opened;
    bool clipboard;
    std::string display, error;
    {
      std::lock_guard<std::mutex> guard (priv->lock);
      kind = priv->backend_kind;
      display = priv->display;
      clipboard = priv->clipboard_enabled;
    }
    /* the record backend is called with priv->lock held: queue, post after unlocking */
    auto backend = gv_input_backend_open (
        kind, display, [priv] (GstStructure *s) { priv->pending.push_back (s); }, &opened, &error);
    if (backend && kind == GV_INPUT_INJECT_BACKEND_AUTO)
      GST_INFO_OBJECT (
          self, "using the %s backend",
          g_enum_get_value (G_ENUM_CLASS (g_type_class_peek (GV_TYPE_INPUT_INJECT_BACKEND)), opened)
              ->value_nick);
    if (!backend && kind != GV_INPUT_INJECT_BACKEND_AUTO) {
      GST_ELEMENT_ERROR (self, RESOURCE, OPEN_WRITE, ("Cannot inject input: %s", error.c_str ()),
                         (nullptr));
      return GST_STATE_CHANGE_FAILURE;
    }
    if (!backend) /* auto: video still flows, input is dropped and counted */
      GST_ELEMENT_WARNING (self, RESOURCE, OPEN_WRITE,
                           ("No input backend available, remote control is off"),
                           ("%s", error.c_str ()));
    if (backend && opened == GV_INPUT_INJECT_BACKEND_XTEST && clipboard &&
        !priv->clipboard->start (display, &error))
      GST_ELEMENT_WARNING (self, RESOURCE, OPEN_READ_WRITE,
                           ("Clipboard sharing is off: %s", error.c_str ()), (nullptr));
    std::lock_guard<std::mutex> guard (priv->lock);
    priv->backend = std::move (backend);
    priv->flood.reset (priv->max_rate, priv->max_rate);
  }
  if (transition == GST_STATE_CHANGE_PLAYING_TO_PAUSED ||
      transition == GST_STATE_CHANGE_PAUSED_TO_READY)
    release_all (self, "state change");

  GstStateChangeReturn ret = GST_ELEMENT_CLASS (parent_class)->change_state (element, transition);

  if (transition == GST_STATE_CHANGE_READY_TO_NULL) {
    priv->clipboard->stop ();
    release_all (self, "state change");
    std::lock_guard<std::mutex> guard (priv->lock);
    if (priv->backend)
      priv->backend->reset ();
    priv->backend.reset ();
  }
  return ret;
}

/* ---- GObject -------------------------------------------------------------- */

static void gv_input_inject_release_all_action (GvInputInject *self)
{
  release_all (self, "release-all signal");
}

static void gv_input_inject_set_property (GObject *object, guint prop_id, const GValue *value,
                                          GParamSpec *pspec)
{
  GvInputInject *self = GV_INPUT_INJECT (object);
  GvInputInjectPrivate *priv = self->priv;
  bool disabled = false;
  {
    std::lock_guard<std::mutex> guard (priv->lock);
    switch (prop_id) {
    case PROP_BACKEND:
      priv->backend_kind = (GvInputInjectBackend) g_value_get_enum (value);
      break;
    case PROP_DISPLAY: {
      const gchar *s = g_value_get_string (value);
      priv->display = s ? s : "";
      break;
    }
    case PROP_ENABLED:
      priv->enabled = g_value_get_boolean (value);
      disabled = !priv->enabled;
      break;
    case PROP_MAX_RATE:
      priv->max_rate = g_value_get_uint (value);
      priv->flood.reset (priv->max_rate, priv->max_rate);
      break;
    case PROP_CLIPBOARD:
      priv->clipboard_enabled = g_value_get_boolean (value);
      break;
    case PROP_CLIPBOARD_MAX_BYTES:
      priv->clipboard->set_max_bytes (g_value_get_uint64 (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
    }
  }
  if (disabled)
    release_all (self, "injection disabled");
}

static void gv_input_inject_get_property (GObject *object, guint prop_id, GValue *value,
                                          GParamSpec *pspec)
{
  GvInputInjectPrivate *priv = GV_INPUT_INJECT (object)->priv;
  std::lock_guard<std::mutex> guard (priv->lock);
  switch (prop_id) {
  case PROP_BACKEND:
    g_value_set_enum (value, priv->backend_kind);
    break;
  case PROP_DISPLAY:
    g_value_set_string (value, priv->display.empty () ? nullptr : priv->display.c_str ());
    break;
  case PROP_ENABLED:
    g_value_set_boolean (value, priv->enabled);
    break;
  case PROP_MAX_RATE:
    g_value_set_uint (value, priv->max_rate);
    break;
  case PROP_CLIPBOARD:
    g_value_set_boolean (value, priv->clipboard_enabled);
    break;
  case PROP_CLIPBOARD_MAX_BYTES:
    g_value_set_uint64 (value, priv->clipboard->max_bytes ());
    break;
  case PROP_INJECTED:
    g_value_set_uint64 (value, priv->injected);
    break;
  case PROP_DROPPED:
    g_value_set_uint64 (value, priv->dropped ());
    break;
  case PROP_STATS: {
    GstStructure *stats = gst_structure_new (
        "gvinputinject-stats", "injected", G_TYPE_UINT64, priv->injected, "dropped", G_TYPE_UINT64,
        priv->dropped (), "dropped-disabled", G_TYPE_UINT64, priv->dropped_disabled,
        "dropped-flood", G_TYPE_UINT64, priv->dropped_flood, "dropped-unknown-key", G_TYPE_UINT64,
        priv->dropped_unknown_key, "dropped-failed", G_TYPE_UINT64, priv->dropped_failed,
        "released", G_TYPE_UINT64, priv->released, "held-keys", G_TYPE_UINT,
        (guint) priv->held_keys.size (), "held-buttons", G_TYPE_UINT,
        (guint) priv->held_buttons.size (), NULL);
    priv->clipboard->fill_stats (stats);
    g_value_take_boxed (value, stats);
    break;
  }
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    break;
  }
}

static void gv_input_inject_finalize (GObject *object)
{
  GvInputInjectPrivate *priv = GV_INPUT_INJECT (object)->priv;
  for (GstStructure *s : priv->pending)
    gst_structure_free (s);
  priv->clipboard.reset ();
  delete priv;
  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void gv_input_inject_class_init (GvInputInjectClass *klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseTransformClass *trans_class = GST_BASE_TRANSFORM_CLASS (klass);
  const auto rw = (GParamFlags) (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  const auto rw_playing = (GParamFlags) (rw | GST_PARAM_MUTABLE_PLAYING);
  const auto ro = (GParamFlags) (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  gobject_class->set_property = gv_input_inject_set_property;
  gobject_class->get_property = gv_input_inject_get_property;
  gobject_class->finalize = gv_input_inject_finalize;

  g_object_class_install_property (
      gobject_class, PROP_BACKEND,
      g_param_spec_enum ("backend", "Backend", "How to inject input (set in NULL)",
                         GV_TYPE_INPUT_INJECT_BACKEND, DEFAULT_BACKEND, rw));
  g_object_class_install_property (gobject_class, PROP_DISPLAY,
                                   g_param_spec_string ("display", "Display",
                                                        "X11 display for xtest (default: $DISPLAY)",
                                                        nullptr, rw));
  g_object_class_install_property (
      gobject_class, PROP_ENABLED,
      g_param_spec_boolean ("enabled", "Enabled",
                            "Inject events; when false every event is dropped and counted, and "
                            "what is held is released",
                            DEFAULT_ENABLED, rw_playing));
  g_object_class_install_property (
      gobject_class, PROP_MAX_RATE,
      g_param_spec_uint ("max-rate", "Max rate",
                         "Presses, moves and scrolls injected per second at most (bursts up to "
                         "one second's worth); 0 = no limit. Releases are never limited",
                         0, G_MAXUINT, DEFAULT_MAX_RATE, rw_playing));
  g_object_class_install_property (
      gobject_class, PROP_CLIPBOARD,
      g_param_spec_boolean ("clipboard", "Clipboard",
                            "Exchange the X11 clipboard with the viewers (xtest backend only; "
                            "set before READY)",
                            DEFAULT_CLIPBOARD, rw));
  g_object_class_install_property (
      gobject_class, PROP_CLIPBOARD_MAX_BYTES,
      g_param_spec_uint64 ("clipboard-max-bytes", "Clipboard max bytes",
                           "Clipboard content larger than this is refused, either way", 1,
                           G_MAXUINT32, GV_CLIPBOARD_DEFAULT_MAX_BYTES, rw_playing));
  g_object_class_install_property (
      gobject_class, PROP_INJECTED,
      g_param_spec_uint64 ("injected", "Injected", "Events injected", 0, G_MAXUINT64, 0, ro));
  g_object_class_install_property (
      gobject_class, PROP_DROPPED,
      g_param_spec_uint64 ("dropped", "Dropped",
                           "Events dropped (disabled, flood limit, unknown key, backend failure)",
                           0, G_MAXUINT64, 0, ro));
  g_object_class_install_property (
      gobject_class, PROP_STATS,
      g_param_spec_boxed ("stats", "Statistics",
                          "injected, dropped, dropped-disabled, dropped-flood, "
                          "dropped-unknown-key, dropped-failed, released, held-keys, "
                          "held-buttons, clipboard-from-viewers, clipboard-to-viewers, "
                          "clipboard-refused-from-viewers, clipboard-refused-from-host, "
                          "clipboard-suppressed",
                          GST_TYPE_STRUCTURE, ro));

  /**
   * GvInputInject::release-all:
   *
   * Releases every key and mouse button this element holds down. Call it when
   * a viewer leaves or loses control.
   */
  signals[SIGNAL_RELEASE_ALL] = g_signal_new_class_handler (
      "release-all", G_TYPE_FROM_CLASS (klass),
      (GSignalFlags) (G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION),
      G_CALLBACK (gv_input_inject_release_all_action), nullptr, nullptr, nullptr, G_TYPE_NONE, 0);

  element_class->change_state = gv_input_inject_change_state;
  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (
      element_class, "GhostView input injector", "Filter/Video",
      "Injects upstream navigation events (mouse, keyboard, touch) into the OS and shares the "
      "clipboard with the viewers",
      "GhostView developers");

  trans_class->src_event = gv_input_inject_src_event;
  trans_class->sink_event = gv_input_inject_sink_event;
  trans_class->set_caps = gv_input_inject_set_caps;
  trans_class->before_transform = gv_input_inject_before_transform;
  trans_class->transform_ip = gv_input_inject_transform_ip;
  trans_class->passthrough_on_same_caps = TRUE;
  trans_class->transform_ip_on_passthrough = FALSE;
  gst_type_mark_as_plugin_api (GV_TYPE_INPUT_INJECT_BACKEND, (GstPluginAPIFlags) 0);

  GST_DEBUG_CATEGORY_INIT (gv_input_inject_debug, "gvinputinject", 0, "GhostView input injection");
}

static void gv_input_inject_init (GvInputInject *self)
{
  self->priv = new GvInputInjectPrivate ();
  self->priv->clipboard =
      std::make_unique<GvClipboardExchange> (GST_ELEMENT (self), gv_clipboard_role_host);
  gst_base_transform_set_passthrough (GST_BASE_TRANSFORM (self), TRUE);
  gst_base_transform_set_in_place (GST_BASE_TRANSFORM (self), TRUE);
}
