/* GhostView
 * Copyright (C) 2024 GhostView contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "gvnavjson.h"

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

bool fail (std::string &error, std::string why)
{
  error = std::move (why);
  return false;
}

enum class Form { Compact, Control };

const char *kind_name (const KindSpec &kind, Form form)
{
  return form == Form::Compact ? kind.compact : kind.control;
}

const char *field_name (const FieldSpec &spec, Form form)
{
  return form == Form::Compact ? spec.compact : spec.control;
}

bool valid_key (const char *key)
{
  const FieldSpec &spec = field_spec (Field::Key);
  gsize len = key ? strlen (key) : 0;
  if (len < spec.min || len > spec.max || !g_utf8_validate (key, (gssize) len, nullptr))
    return false;
  for (const char *p = key; *p; p++)
    if ((guchar) *p < 0x20 || *p == 0x7f)
      return false;
  return true;
}

GstNavigationModifierType modifiers (const Fields &f, Form form)
{
  const FieldSpec &spec = field_spec (Field::ModifierState);
  const char *m = f.string (field_name (spec, form));
  if (!m || !*m || strlen (m) > spec.max)
    return GST_NAVIGATION_MODIFIER_NONE;
  GValue v = G_VALUE_INIT;
  g_value_init (&v, GST_TYPE_NAVIGATION_MODIFIER_TYPE);
  guint bits = 0;
  if (gst_value_deserialize (&v, m)) {
    /* A number is taken as is ("4294967295"): keep the bits the type has,
     * or the value is no GstNavigationModifierType at all. */
    auto *flags = static_cast<GFlagsClass *> (g_type_class_ref (GST_TYPE_NAVIGATION_MODIFIER_TYPE));
    bits = g_value_get_flags (&v) & flags->mask;
    g_type_class_unref (flags);
  }
  g_value_unset (&v);
  return (GstNavigationModifierType) bits;
}

/* What a message carries, by Field; NAN where absent without a fallback. */
struct Values {
  double number[kFieldCount];
  const char *key = nullptr;

  Values ()
  {
    for (double &n : number)
      n = NAN;
  }
  double operator[] (Field f) const { return number[(gsize) f]; }
  double &operator[] (Field f) { return number[(gsize) f]; }
};

/* Reads one present field as the table says. Coordinates are mapped into
 * [0, size]; compact ones are normalised and scaled first. */
bool read_field (const Fields &f, const FieldSpec &spec, Form form, int width, int height,
                 Values &v, std::string &error)
{
  const char *name = field_name (spec, form);
  auto range = [&] () {
    return g_strdup_printf ("\"%s\" out of range %g..%g", name, spec.min, spec.max);
  };
  switch (spec.type) {
  case FieldType::Coordinate: {
    double c;
    if (!f.number (name, c))
      return fail (error, std::string ("\"") + name + "\" must be a number");
    int size = spec.field == Field::Y ? height : width;
    if (form == Form::Compact) {
      c = CLAMP (c, spec.min, spec.max);
      if (size > 0)
        c *= (double) size;
    } else if (size > 0) {
      c = CLAMP (c, 0.0, (double) size);
    } else if (c < 0) {
      c = 0;
    }
    v[spec.field] = c;
    return true;
  }
  case FieldType::Integer: {
    gint64 i;
    if (!f.integer (name, i))
      return fail (error, std::string ("\"") + name + "\" must be an integer");
    if (i < spec.min || i > spec.max) {
      g_autofree gchar *why = range ();
      return fail (error, why);
    }
    v[spec.field] = (double) i;
    return true;
  }
  case FieldType::Number: {
    double n;
    if (!f.number (name, n))
      return fail (error, std::string ("\"") + name + "\" must be a number");
    if (n < spec.min || n > spec.max) {
      g_autofree gchar *why = range ();
      return fail (error, why);
    }
    v[spec.field] = n;
    return true;
  }
  case FieldType::Key: {
    const char *key = f.string (name);
    if (!valid_key (key)) {
      g_autofree gchar *why =
          g_strdup_printf ("\"%s\" must be a key name of %g..%g bytes (e.g. \"a\", \"Return\")",
                           name, spec.min, spec.max);
      return fail (error, why);
    }
    v.key = key;
    return true;
  }
  case FieldType::Modifiers:
    break;
  }
  return fail (error, std::string ("\"") + name + "\" cannot be read");
}

/* Reads the fields `kind` lists, in the table's order and presence. */
bool read_fields (const Fields &f, const KindSpec &kind, Form form, int width, int height,
                  Values &v, std::string &error)
{
  bool previous_present = true;
  for (gsize i = 0; i < kind_field_count (kind); i++) {
    const FieldUse &use = kind.fields[i];
    const FieldSpec &spec = field_spec (use.field);
    bool present = f.has (field_name (spec, form));
    bool required = use.presence == Presence::Required;
    if (use.presence == Presence::WithPrevious) {
      required = previous_present;
      present = present && previous_present; /* without the previous one: ignored */
    }
    previous_present = present;
    if (!present) {
      if (required)
        return fail (error, std::string (kind_name (kind, form)) + " needs \"" +
                                field_name (spec, form) + "\"");
      v[use.field] = spec.fallback;
      continue;
    }
    if (!read_field (f, spec, form, width, height, v, error))
      return false;
  }
  return true;
}

/* Builds the event of `kind` from the fields of `f`. */
bool make_event (const Fields &f, const KindSpec &kind, Form form, int width, int height,
                 GstEvent *&event, std::string &error)
{
  Values v;
  if (!read_fields (f, kind, form, width, height, v, error))
    return false;
  GstNavigationModifierType state = modifiers (f, form);
  double x = v[Field::X], y = v[Field::Y];
  /* Read only by the kinds that carry them: the others leave them NaN,
   * which converting to an integer is undefined for. */
  auto button = [&v] () { return (gint) v[Field::Button]; };
  auto id = [&v] () { return (guint) v[Field::TouchId]; };
  switch (kind.event) {
  case GST_NAVIGATION_EVENT_MOUSE_MOVE:
    event = gst_navigation_event_new_mouse_move (x, y, state);
    break;
  case GST_NAVIGATION_EVENT_MOUSE_BUTTON_PRESS:
    event = gst_navigation_event_new_mouse_button_press (button (), x, y, state);
    break;
  case GST_NAVIGATION_EVENT_MOUSE_BUTTON_RELEASE:
    event = gst_navigation_event_new_mouse_button_release (button (), x, y, state);
    break;
  case GST_NAVIGATION_EVENT_MOUSE_SCROLL:
    event = gst_navigation_event_new_mouse_scroll (x, y, v[Field::DeltaX], v[Field::DeltaY], state);
    break;
  case GST_NAVIGATION_EVENT_KEY_PRESS:
    event = gst_navigation_event_new_key_press (v.key, state);
    break;
  case GST_NAVIGATION_EVENT_KEY_RELEASE:
    event = gst_navigation_event_new_key_release (v.key, state);
    break;
  case GST_NAVIGATION_EVENT_TOUCH_DOWN:
    event = gst_navigation_event_new_touch_down (id (), x, y, v[Field::Pressure], state);
    break;
  case GST_NAVIGATION_EVENT_TOUCH_MOTION:
    event = gst_navigation_event_new_touch_motion (id (), x, y, v[Field::Pressure], state);
    break;
  case GST_NAVIGATION_EVENT_TOUCH_UP:
    event = gst_navigation_event_new_touch_up (id (), x, y, state);
    break;
  case GST_NAVIGATION_EVENT_TOUCH_FRAME:
    event = gst_navigation_event_new_touch_frame (state);
    break;
  case GST_NAVIGATION_EVENT_TOUCH_CANCEL:
    event = gst_navigation_event_new_touch_cancel (state);
    break;
  default:
    /* A kind in kKinds without a case here: test_navjson's table walk fails. */
    return fail (error, std::string ("unsupported input event ") + kind_name (kind, form));
  }
  return true;
}

/* The values of a navigation event, by Field; false if it is not one of
 * kKinds or cannot be sent (a key name the host would refuse). */
bool event_values (GstEvent *event, GstNavigationEventType type, Values &v)
{
  double x = 0, y = 0, dx = 0, dy = 0, pressure = NAN;
  gint button = 0;
  guint id = 0;
  switch (type) {
  case GST_NAVIGATION_EVENT_MOUSE_MOVE:
    gst_navigation_event_parse_mouse_move_event (event, &x, &y);
    break;
  case GST_NAVIGATION_EVENT_MOUSE_BUTTON_PRESS:
  case GST_NAVIGATION_EVENT_MOUSE_BUTTON_RELEASE:
    gst_navigation_event_parse_mouse_button_event (event, &button, &x, &y);
    break;
  case GST_NAVIGATION_EVENT_MOUSE_SCROLL:
    gst_navigation_event_parse_mouse_scroll_event (event, &x, &y, &dx, &dy);
    break;
  case GST_NAVIGATION_EVENT_KEY_PRESS:
  case GST_NAVIGATION_EVENT_KEY_RELEASE:
    if (!gst_navigation_event_parse_key_event (event, &v.key) || !valid_key (v.key))
      return false;
    break;
  case GST_NAVIGATION_EVENT_TOUCH_DOWN:
  case GST_NAVIGATION_EVENT_TOUCH_MOTION:
    gst_navigation_event_parse_touch_event (event, &id, &x, &y, &pressure);
    break;
  case GST_NAVIGATION_EVENT_TOUCH_UP:
    gst_navigation_event_parse_touch_up_event (event, &id, &x, &y);
    break;
  case GST_NAVIGATION_EVENT_TOUCH_FRAME:
  case GST_NAVIGATION_EVENT_TOUCH_CANCEL:
    break;
  default:
    return false;
  }
  v[Field::X] = x;
  v[Field::Y] = y;
  v[Field::Button] = button;
  v[Field::DeltaX] = dx;
  v[Field::DeltaY] = dy;
  v[Field::TouchId] = id;
  v[Field::Pressure] = pressure;
  return true;
}

std::string to_text (JsonBuilder *b)
{
  JsonNode *root = json_builder_get_root (b);
  gchar *text = json_to_string (root, FALSE);
  std::string out = text;
  g_free (text);
  json_node_unref (root);
  return out;
}

} // namespace

const KindSpec *kind_by_compact (const char *name)
{
  for (const KindSpec &k : kKinds)
    if (name && strcmp (k.compact, name) == 0)
      return &k;
  return nullptr;
}

const KindSpec *kind_by_control (const char *name)
{
  for (const KindSpec &k : kKinds)
    if (name && k.control && strcmp (k.control, name) == 0)
      return &k;
  return nullptr;
}

const KindSpec *kind_by_event (GstNavigationEventType event)
{
  for (const KindSpec &k : kKinds)
    if (k.direction == Direction::ViewerToHost && k.event == event)
      return &k;
  return nullptr;
}

gsize kind_field_count (const KindSpec &kind)
{
  gsize n = 0;
  while (n < G_N_ELEMENTS (kind.fields) && kind.fields[n].field != Field::Count)
    n++;
  return n;
}

namespace {

/* One message of the channel as a JSON object; null (with `error` set) if
 * it is not one. The parser owns the object: unref it after. */
JsonParser *load_object (const char *data, gsize length, Fields &top, std::string &error)
{
  const char *why = nullptr;
  if (!data || length == 0)
    why = "empty message";
  else if (length > kMaxMessageBytes)
    why = "message too large";
  else if (!g_utf8_validate (data, (gssize) length, nullptr))
    why = "message is not UTF-8";
  if (why) {
    fail (error, why);
    return nullptr;
  }

  JsonParser *parser = json_parser_new_immutable ();
  if (!json_parser_load_from_data (parser, data, (gssize) length, nullptr)) {
    g_object_unref (parser);
    fail (error, "message is not JSON");
    return nullptr;
  }
  JsonNode *root = json_parser_get_root (parser);
  if (!root || !JSON_NODE_HOLDS_OBJECT (root)) {
    g_object_unref (parser);
    fail (error, "message is not a JSON object");
    return nullptr;
  }
  top.obj = json_node_get_object (root);
  return parser;
}

} // namespace

bool parse_input_message (const char *data, gsize length, int width, int height, InputMessage &out,
                          std::string &error)
{
  Fields top{ nullptr };
  JsonParser *parser = load_object (data, length, top, error);
  if (!parser)
    return false;
  bool ok;
  if (const char *t = top.string (kKindField)) {
    const KindSpec *kind = kind_by_compact (t);
    if (strcmp (t, kRequestControl) == 0) {
      out.request_control = true;
      ok = true;
    } else if (!kind) {
      ok = fail (error, "unknown input event");
    } else if (kind->direction != Direction::ViewerToHost) {
      ok = fail (error, std::string ("\"") + t + "\" is the host's to send, not a viewer's");
    } else {
      ok = make_event (top, *kind, Form::Compact, width, height, out.event, error);
    }
  } else {
    gint64 id;
    if (top.integer (kControlIdField, id)) {
      out.has_id = true;
      out.id = id;
    }
    JsonNode *req = json_object_get_member (top.obj, kControlRequestField);
    if (!out.has_id || !req || !JSON_NODE_HOLDS_OBJECT (req)) {
      ok = fail (error, std::string ("message has neither \"") + kKindField + "\" nor \"" +
                            kControlIdField + "\" and \"" + kControlRequestField + "\"");
    } else {
      Fields request{ json_node_get_object (req) };
      const char *type = request.string (kControlTypeField);
      JsonNode *ev = json_object_get_member (request.obj, kControlEventField);
      if (!type || strcmp (type, kControlRequestType) != 0) {
        ok = fail (error, "unsupported request type");
      } else if (!ev || !JSON_NODE_HOLDS_OBJECT (ev)) {
        ok = fail (error, std::string (kControlRequestType) + " request without an event");
      } else {
        Fields event{ json_node_get_object (ev) };
        const char *name = event.string (kControlEventField);
        const KindSpec *kind = kind_by_control (name);
        if (!name)
          ok = fail (error, std::string ("navigation event without an \"") + kControlEventField +
                                "\" name");
        else if (!kind)
          ok = fail (error, "unknown input event");
        else
          ok = make_event (event, *kind, Form::Control, width, height, out.event, error);
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
  json_builder_set_member_name (b, kControlTypeField);
  json_builder_add_string_value (b, kControlResponseType);
  json_builder_set_member_name (b, kControlIdField);
  json_builder_add_int_value (b, id);
  json_builder_set_member_name (b, kControlErrorField);
  if (error)
    json_builder_add_string_value (b, error);
  else
    json_builder_add_null_value (b);
  json_builder_end_object (b);
  std::string out = to_text (b);
  g_object_unref (b);
  return out;
}

std::string make_request_control ()
{
  JsonBuilder *b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, kKindField);
  json_builder_add_string_value (b, kRequestControl);
  json_builder_end_object (b);
  std::string out = to_text (b);
  g_object_unref (b);
  return out;
}

/* A number json-glib writes so that a parser reads it back. json-glib 1.6
 * prints a double with "%.17g" and appends ".0" when it sees no point, so a
 * value that prints with an exponent and no point (1e-05, 1e-83) becomes
 * "1e-05.0": no JSON at all (the fuzz target fuzz_nav_input found it with
 * a scroll of 1e-83). "%.17g" uses an exponent below 1e-4 (and from 1e17,
 * beyond every range here): such a value goes as 0. */
static double json_writable (double value)
{
  return std::fabs (value) < 1e-4 ? 0.0 : value;
}

std::string compact_from_event (GstEvent *event, int width, int height)
{
  GstNavigationEventType type = gst_navigation_event_get_type (event);
  const KindSpec *kind = kind_by_event (type);
  Values v;
  if (!kind || !event_values (event, type, v))
    return {};

  JsonBuilder *b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, kKindField);
  json_builder_add_string_value (b, kind->compact);
  for (gsize i = 0; i < kind_field_count (*kind); i++) {
    const FieldSpec &spec = field_spec (kind->fields[i].field);
    double value = v[spec.field];
    switch (spec.type) {
    case FieldType::Coordinate: {
      int size = spec.field == Field::Y ? height : width;
      json_builder_set_member_name (b, spec.compact);
      json_builder_add_double_value (
          b, size > 0 ? json_writable (CLAMP (value / size, spec.min, spec.max)) : 0.0);
      break;
    }
    case FieldType::Integer:
      json_builder_set_member_name (b, spec.compact);
      json_builder_add_int_value (b, (gint64) value);
      break;
    case FieldType::Number:
      if (std::isfinite (value)) { /* an unknown pressure is left out */
        json_builder_set_member_name (b, spec.compact);
        json_builder_add_double_value (b, json_writable (CLAMP (value, spec.min, spec.max)));
      }
      break;
    case FieldType::Key:
      json_builder_set_member_name (b, spec.compact);
      json_builder_add_string_value (b, v.key);
      break;
    case FieldType::Modifiers:
      break;
    }
  }
  json_builder_end_object (b);
  std::string out = to_text (b);
  g_object_unref (b);
  return out;
}

std::string make_link_message (const LinkReport &link)
{
  const KindSpec *kind = kind_by_compact (kLinkKind);
  Values v;
  v[Field::LinkEstimate] = (double) link.estimate_bps;
  v[Field::LinkLayer] = link.layer >= 0 ? link.layer : NAN;
  v[Field::LinkBitrate] = (double) link.bitrate_bps;

  JsonBuilder *b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, kKindField);
  json_builder_add_string_value (b, kind->compact);
  for (gsize i = 0; i < kind_field_count (*kind); i++) {
    const FieldSpec &spec = field_spec (kind->fields[i].field);
    double value = v[spec.field];
    if (std::isnan (value)) /* an optional field without a value is left out */
      continue;
    json_builder_set_member_name (b, spec.compact);
    json_builder_add_int_value (b, (gint64) CLAMP (value, spec.min, spec.max));
  }
  json_builder_end_object (b);
  std::string out = to_text (b);
  g_object_unref (b);
  return out;
}

bool parse_host_message (const char *data, gsize length, LinkReport &out, std::string &error)
{
  Fields top{ nullptr };
  JsonParser *parser = load_object (data, length, top, error);
  if (!parser)
    return false;
  const char *t = top.string (kKindField);
  const KindSpec *kind = kind_by_compact (t);
  Values v;
  bool ok;
  if (!t)
    ok = fail (error, std::string ("message has no \"") + kKindField + "\"");
  else if (!kind || kind->direction != Direction::HostToViewer)
    ok = fail (error, std::string ("\"") + t + "\" is not a message the host sends");
  else
    ok = read_fields (top, *kind, Form::Compact, 0, 0, v, error);
  g_object_unref (parser);
  if (!ok)
    return false;
  out.estimate_bps = (guint64) v[Field::LinkEstimate];
  out.layer = std::isnan (v[Field::LinkLayer]) ? -1 : (int) v[Field::LinkLayer];
  out.bitrate_bps = (guint64) v[Field::LinkBitrate];
  return true;
}

} // namespace gv::nav
