/* GhostView
 * Copyright (C) 2026 GhostView contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The assistance channel's pointer messages, "cursor" and "cursor-shape";
 * see gvassistjson.h.
 */
#include "gvassistjson-private.h"

#include <json-glib/json-glib.h>

#include <cstring>

namespace gv::assist {

using namespace detail;

namespace {

bool parse_cursor (JsonObject *obj, Message &out, std::string &error)
{
  gint64 x, y, shape;
  if (!int_member (obj, "x", -kMaxCursorCoordinate, kMaxCursorCoordinate, x) ||
      !int_member (obj, "y", -kMaxCursorCoordinate, kMaxCursorCoordinate, y))
    return fail (error, "a cursor's \"x\" and \"y\" must be whole numbers within ±" +
                            std::to_string (kMaxCursorCoordinate));
  if (!int_member (obj, "shape", 0, G_MAXUINT32, shape))
    return fail (error, "a cursor's \"shape\" must be a whole number 0..4294967295");
  JsonNode *visible = json_object_get_member (obj, "visible");
  if (!visible || JSON_NODE_TYPE (visible) != JSON_NODE_VALUE ||
      json_node_get_value_type (visible) != G_TYPE_BOOLEAN)
    return fail (error, "a cursor's \"visible\" must be true or false");
  out.kind = Kind::Cursor;
  out.x = (gint) x;
  out.y = (gint) y;
  out.shape = (guint32) shape;
  out.visible = json_node_get_boolean (visible);
  return true;
}

bool parse_cursor_shape (JsonObject *obj, Message &out, std::string &error)
{
  gint64 shape, width, height, hot_x, hot_y;
  if (!int_member (obj, "shape", 1, G_MAXUINT32, shape))
    return fail (error, "a cursor shape's \"shape\" must be a whole number 1..4294967295");
  if (!int_member (obj, "width", 1, kMaxCursorSize, width) ||
      !int_member (obj, "height", 1, kMaxCursorSize, height))
    return fail (error, "a cursor shape's \"width\" and \"height\" must be 1.." +
                            std::to_string (kMaxCursorSize));
  if (!int_member (obj, "hot_x", 0, width - 1, hot_x) ||
      !int_member (obj, "hot_y", 0, height - 1, hot_y))
    return fail (error, "a cursor shape's hot spot must lie inside it");
  const char *rgba = json_string_member (obj, "rgba");
  const gsize expected = (gsize) (width * height * 4);
  /* Standard base64 of exactly `expected` bytes, padded. */
  const gsize encoded = (expected + 2) / 3 * 4;
  if (!rgba || strlen (rgba) != encoded)
    return fail (error, "a cursor shape's \"rgba\" must be base64 of width × height × 4 bytes");
  for (gsize i = 0; i < encoded; i++) {
    char c = rgba[i];
    bool pad = c == '=' && i >= encoded - 2 && (i == encoded - 1 || rgba[encoded - 1] == '=');
    if (!(g_ascii_isalnum (c) || c == '+' || c == '/' || pad))
      return fail (error, "a cursor shape's \"rgba\" is not base64");
  }
  gsize length = 0;
  guchar *bytes = g_base64_decode (rgba, &length);
  if (length != expected) {
    g_free (bytes);
    return fail (error, "a cursor shape's \"rgba\" must be base64 of width × height × 4 bytes");
  }
  out.data.assign ((const char *) bytes, length);
  g_free (bytes);
  out.kind = Kind::CursorShape;
  out.shape = (guint32) shape;
  out.width = (gint) width;
  out.height = (gint) height;
  out.hot_x = (gint) hot_x;
  out.hot_y = (gint) hot_y;
  return true;
}

} // namespace

bool parse_cursor_kind (const char *kind, JsonObject *obj, Message &out, std::string &error)
{
  return strcmp (kind, kCursorKind) == 0 ? parse_cursor (obj, out, error)
                                         : parse_cursor_shape (obj, out, error);
}

std::string make_cursor (gint x, gint y, bool visible, guint32 shape)
{
  if (ABS (x) > kMaxCursorCoordinate || ABS (y) > kMaxCursorCoordinate)
    return "";
  JsonBuilder *b = json_builder_new ();
  json_builder_begin_object (b);
  add_string (b, kKindField, kCursorKind);
  add_int (b, "x", x);
  add_int (b, "y", y);
  json_builder_set_member_name (b, "visible");
  json_builder_add_boolean_value (b, visible);
  add_int (b, "shape", shape);
  json_builder_end_object (b);
  return generate (b);
}

std::string make_cursor_shape (guint32 shape, gint width, gint height, gint hot_x, gint hot_y,
                               const std::string &rgba)
{
  if (shape == 0 || width < 1 || height < 1 || width > kMaxCursorSize || height > kMaxCursorSize ||
      hot_x < 0 || hot_y < 0 || hot_x >= width || hot_y >= height ||
      rgba.size () != (gsize) width * height * 4)
    return "";
  gchar *encoded = g_base64_encode ((const guchar *) rgba.data (), rgba.size ());
  JsonBuilder *b = json_builder_new ();
  json_builder_begin_object (b);
  add_string (b, kKindField, kCursorShapeKind);
  add_int (b, "shape", shape);
  add_int (b, "width", width);
  add_int (b, "height", height);
  add_int (b, "hot_x", hot_x);
  add_int (b, "hot_y", hot_y);
  add_string (b, "rgba", encoded);
  json_builder_end_object (b);
  g_free (encoded);
  return generate (b);
}

} // namespace gv::assist
