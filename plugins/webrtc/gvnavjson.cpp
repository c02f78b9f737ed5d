/* GhostView
 * Copyright (C) 2024 GhostView contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "gvnavjson.h"

#include <gst/video/navigation.h>
#include <gst/video/video-enumtypes.h>
#include <json-glib/json-glib.h>

#include <cmath>
#include <cstring>

namespace gv::nav {

namespace {

struct Fields {
  JsonObject *obj;

  bool has (const char *name) const { return json_object_has_member (obj, name); }

  bool number (const char *name, double &out) const
  {
    JsonNode *n = json_object_get_member (obj, name);
    if (!n || !JSON_NODE_HOLDS_VALUE (n))
      return false;
    GType t = json_node_get_value_type (n);
    if (t == G_TYPE_INT64)
      out = (double) json_node_get_int (n);
    else if (t == G_TYPE_DOUBLE)
      out = json_node_get_double (n);
    else
      return false;
    return std::isfinite (out);
  }

  bool integer (const char *name, gint64 &out) const
  {
    JsonNode *n = json_object_get_member (obj, name);
    if (!n || !JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_INT64)
      return false;
    out = json_node_get_int (n);
    return true;
  }

  const char *string (const char *name) const
  {
    JsonNode *n = json_object_get_member (obj, name);
    if (!n || !JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_STRING)
      return nullptr;
    return json_node_get_string (n);
  }
};

bool fail (std::string &error, const char *why)
{
  error = why;
  return false;
}

/* Maps a coordinate into [0, size]; `normalised` ones are scaled first. */
bool coordinate (const Fields &f, const char *name, bool normalised, int size, double &out)
{
  double v;
  if (!f.number (name, v))
    return false;
  if (normalised) {
    v = CLAMP (v, 0.0, 1.0);
    if (size > 0)
      v *= (double) size;
  } else if (size > 0) {
    v = CLAMP (v, 0.0, (double) size);
  } else if (v < 0) {
    v = 0;
  }
  out = v;
  return true;
}

GstNavigationModifierType modifiers (const Fields &f)
{
  const char *m = f.string ("modifier_state");
  if (!m || !*m || strlen (m) > 256)
    return GST_NAVIGATION_MODIFIER_NONE;
  GValue v = G_VALUE_INIT;
  g_value_init (&v, GST_TYPE_NAVIGATION_MODIFIER_TYPE);
  GstNavigationModifierType out = GST_NAVIGATION_MODIFIER_NONE;
  if (gst_value_deserialize (&v, m))
    out = (GstNavigationModifierType) g_value_get_flags (&v);
  g_value_unset (&v);
  return out;
}

bool valid_key (const char *key)
{
  gsize len = key ? strlen (key) : 0;
  if (len == 0 || len > kMaxKeyBytes || !g_utf8_validate (key, (gssize) len, nullptr))
    return false;
  for (const char *p = key; *p; p++)
    if ((guchar) *p < 0x20 || *p == 0x7f)
      return false;
  return true;
}

/* Builds the event named `kind` (compact: "mm"; control form: "MouseMove"). */
bool make_event (const Fields &f, const char *kind, bool normalised, int width, int height,
                 GstEvent *&event, std::string &error)
{
  GstNavigationModifierType state = modifiers (f);
  double x = 0, y = 0;
  auto xy = [&] () {
    return coordinate (f, "x", normalised, width, x) && coordinate (f, "y", normalised, height, y);
  };
  auto is = [&] (const char *compact, const char *rs) {
    return strcmp (kind, normalised ? compact : rs) == 0;
  };
  const char *button_field = normalised ? "b" : "button";

  if (is ("mm", "MouseMove")) {
    if (!xy ())
      return fail (error, "mouse move needs numeric x and y");
    event = gst_navigation_event_new_mouse_move (x, y, state);
  } else if (is ("md", "MouseButtonPress") || is ("mu", "MouseButtonRelease")) {
    gint64 button = 1;
    if (f.has (button_field) && !f.integer (button_field, button))
      return fail (error, "mouse button must be an integer");
    if (button < 1 || button > 9)
      return fail (error, "mouse button out of range 1..9");
    if (!xy ())
      return fail (error, "mouse button needs numeric x and y");
    bool press = is ("md", "MouseButtonPress");
    event = press ? gst_navigation_event_new_mouse_button_press ((gint) button, x, y, state)
                  : gst_navigation_event_new_mouse_button_release ((gint) button, x, y, state);
  } else if (is ("wh", "MouseScroll")) {
    double dx = 0, dy = 0;
    const char *fx = normalised ? "dx" : "delta_x";
    const char *fy = normalised ? "dy" : "delta_y";
    if ((f.has (fx) && !f.number (fx, dx)) || (f.has (fy) && !f.number (fy, dy)))
      return fail (error, "scroll deltas must be numbers");
    if (std::fabs (dx) > 10000 || std::fabs (dy) > 10000)
      return fail (error, "scroll delta out of range");
    if (!f.has ("x")) {
      x = y = 0;
    } else if (!xy ()) {
      return fail (error, "scroll position must be numeric");
    }
    event = gst_navigation_event_new_mouse_scroll (x, y, dx, dy, state);
  } else if (is ("kd", "KeyPress") || is ("ku", "KeyRelease")) {
    const char *key = f.string (normalised ? "k" : "key");
    if (!valid_key (key))
      return fail (error, "key needs a key name (e.g. \"a\", \"Return\")");
    event = is ("kd", "KeyPress") ? gst_navigation_event_new_key_press (key, state)
                                  : gst_navigation_event_new_key_release (key, state);
  } else if (is ("td", "TouchDown") || is ("tm", "TouchMotion") || is ("tu", "TouchUp")) {
    gint64 id = 0;
    if (!f.integer (normalised ? "id" : "identifier", id) || id < 0 || id > 64)
      return fail (error, "touch needs an identifier 0..64");
    if (!xy ())
      return fail (error, "touch needs numeric x and y");
    double pressure = NAN;
    const char *pf = normalised ? "p" : "pressure";
    if (f.has (pf) && !f.number (pf, pressure))
      return fail (error, "touch pressure must be a number");
    if (is ("tu", "TouchUp"))
      event = gst_navigation_event_new_touch_up ((guint) id, x, y, state);
    else if (is ("td", "TouchDown"))
      event = gst_navigation_event_new_touch_down ((guint) id, x, y, pressure, state);
    else
      event = gst_navigation_event_new_touch_motion ((guint) id, x, y, pressure, state);
  } else if (is ("tf", "TouchFrame")) {
    event = gst_navigation_event_new_touch_frame (state);
  } else if (is ("tc", "TouchCancel")) {
    event = gst_navigation_event_new_touch_cancel (state);
  } else {
    return fail (error, "unknown input event");
  }
  return true;
}

} // namespace

bool parse_input_message (const char *data, gsize length, int width, int height, InputMessage &out,
                          std::string &error)
{
  if (!data || length == 0)
    return fail (error, "empty message");
  if (length > kMaxMessageBytes)
    return fail (error, "message too large");
  if (!g_utf8_validate (data, (gssize) length, nullptr))
    return fail (error, "message is not UTF-8");

  JsonParser *parser = json_parser_new_immutable ();
  if (!json_parser_load_from_data (parser, data, (gssize) length, nullptr)) {
    g_object_unref (parser);
    return fail (error, "message is not JSON");
  }
  JsonNode *root = json_parser_get_root (parser);
  if (!root || !JSON_NODE_HOLDS_OBJECT (root)) {
    g_object_unref (parser);
    return fail (error, "message is not a JSON object");
  }
  Fields top{ json_node_get_object (root) };
  bool ok;
  if (const char *t = top.string ("t")) {
    if (strcmp (t, "request-control") == 0) {
      out.request_control = true;
      ok = true;
    } else {
      ok = make_event (top, t, true, width, height, out.event, error);
    }
  } else {
    gint64 id;
    if (top.integer ("id", id)) {
      out.has_id = true;
      out.id = id;
    }
    JsonNode *req = json_object_get_member (top.obj, "request");
    if (!out.has_id || !req || !JSON_NODE_HOLDS_OBJECT (req)) {
      ok = fail (error, "message has neither \"t\" nor \"id\" and \"request\"");
    } else {
      Fields request{ json_node_get_object (req) };
      const char *type = request.string ("type");
      JsonNode *ev = json_object_get_member (request.obj, "event");
      if (!type || strcmp (type, "navigationEvent") != 0) {
        ok = fail (error, "unsupported request type");
      } else if (!ev || !JSON_NODE_HOLDS_OBJECT (ev)) {
        ok = fail (error, "navigationEvent request without an event");
      } else {
        Fields event{ json_node_get_object (ev) };
        const char *name = event.string ("event");
        ok = name ? make_event (event, name, false, width, height, out.event, error)
                  : fail (error, "navigation event without an \"event\" name");
      }
    }
  }
  g_object_unref (parser);
  return ok;
}

std::string make_control_response (gint64 id, const char *error)
{
  JsonBuilder *b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "type");
  json_builder_add_string_value (b, "ControlResponseMessage");
  json_builder_set_member_name (b, "id");
  json_builder_add_int_value (b, id);
  json_builder_set_member_name (b, "error");
  if (error)
    json_builder_add_string_value (b, error);
  else
    json_builder_add_null_value (b);
  json_builder_end_object (b);
  JsonNode *root = json_builder_get_root (b);
  gchar *text = json_to_string (root, FALSE);
  std::string out = text;
  g_free (text);
  json_node_unref (root);
  g_object_unref (b);
  return out;
}

std::string make_request_control ()
{
  return "{\"t\":\"request-control\"}";
}

std::string compact_from_event (GstEvent *event, int width, int height)
{
  GstNavigationEventType type = gst_navigation_event_get_type (event);
  JsonBuilder *b = json_builder_new ();
  json_builder_begin_object (b);
  auto put_str = [b] (const char *name, const char *value) {
    json_builder_set_member_name (b, name);
    json_builder_add_string_value (b, value);
  };
  auto put_num = [b] (const char *name, double value) {
    json_builder_set_member_name (b, name);
    json_builder_add_double_value (b, value);
  };
  auto put_xy = [&] (double x, double y) {
    put_num ("x", width > 0 ? CLAMP (x / width, 0.0, 1.0) : 0.0);
    put_num ("y", height > 0 ? CLAMP (y / height, 0.0, 1.0) : 0.0);
  };
  bool ok = true;
  double x = 0, y = 0, dx = 0, dy = 0;
  gint button = 0;
  const char *key = nullptr;
  switch (type) {
  case GST_NAVIGATION_EVENT_MOUSE_MOVE:
    gst_navigation_event_parse_mouse_move_event (event, &x, &y);
    put_str ("t", "mm");
    put_xy (x, y);
    break;
  case GST_NAVIGATION_EVENT_MOUSE_BUTTON_PRESS:
  case GST_NAVIGATION_EVENT_MOUSE_BUTTON_RELEASE:
    gst_navigation_event_parse_mouse_button_event (event, &button, &x, &y);
    put_str ("t", type == GST_NAVIGATION_EVENT_MOUSE_BUTTON_PRESS ? "md" : "mu");
    put_xy (x, y);
    json_builder_set_member_name (b, "b");
    json_builder_add_int_value (b, button);
    break;
  case GST_NAVIGATION_EVENT_MOUSE_SCROLL:
    gst_navigation_event_parse_mouse_scroll_event (event, &x, &y, &dx, &dy);
    put_str ("t", "wh");
    put_xy (x, y);
    put_num ("dx", dx);
    put_num ("dy", dy);
    break;
  case GST_NAVIGATION_EVENT_KEY_PRESS:
  case GST_NAVIGATION_EVENT_KEY_RELEASE:
    ok = gst_navigation_event_parse_key_event (event, &key) && valid_key (key);
    if (ok) {
      put_str ("t", type == GST_NAVIGATION_EVENT_KEY_PRESS ? "kd" : "ku");
      put_str ("k", key);
    }
    break;
  case GST_NAVIGATION_EVENT_TOUCH_DOWN:
  case GST_NAVIGATION_EVENT_TOUCH_MOTION: {
    guint id = 0;
    double pressure = NAN;
    gst_navigation_event_parse_touch_event (event, &id, &x, &y, &pressure);
    put_str ("t", type == GST_NAVIGATION_EVENT_TOUCH_DOWN ? "td" : "tm");
    json_builder_set_member_name (b, "id");
    json_builder_add_int_value (b, id);
    put_xy (x, y);
    if (std::isfinite (pressure))
      put_num ("p", pressure);
    break;
  }
  case GST_NAVIGATION_EVENT_TOUCH_UP: {
    guint id = 0;
    gst_navigation_event_parse_touch_up_event (event, &id, &x, &y);
    put_str ("t", "tu");
    json_builder_set_member_name (b, "id");
    json_builder_add_int_value (b, id);
    put_xy (x, y);
    break;
  }
  case GST_NAVIGATION_EVENT_TOUCH_FRAME:
    put_str ("t", "tf");
    break;
  case GST_NAVIGATION_EVENT_TOUCH_CANCEL:
    put_str ("t", "tc");
    break;
  default:
    ok = false;
    break;
  }
  json_builder_end_object (b);
  std::string out;
  if (ok) {
    JsonNode *root = json_builder_get_root (b);
    gchar *text = json_to_string (root, FALSE);
    out = text;
    g_free (text);
    json_node_unref (root);
  }
  g_object_unref (b);
  return out;
}

} // namespace gv::nav
