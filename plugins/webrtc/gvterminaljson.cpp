/* GhostView
 * Copyright (C) 2026 GhostView contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The terminal channel's messages; see gvterminaljson.h.
 */
#include "gvterminaljson.h"

#include <json-glib/json-glib.h>

#include <cstring>

namespace gv::terminal {

namespace {

bool fail (std::string &error, const char *why)
{
  error = why;
  return false;
}

bool int_member (JsonObject *obj, const char *name, gint64 min, gint64 max, gint &out)
{
  JsonNode *node = json_object_get_member (obj, name);
  if (!node || JSON_NODE_TYPE (node) != JSON_NODE_VALUE ||
      json_node_get_value_type (node) != G_TYPE_INT64)
    return false;
  gint64 value = json_node_get_int (node);
  if (value < min || value > max)
    return false;
  out = (gint) value;
  return true;
}

/* A NUL, raw or escaped: json-glib ends its strings there. */
bool holds_nul (const char *data, gsize length)
{
  for (gsize i = 0; i < length; i++) {
    if (data[i] == '\0')
      return true;
    if (data[i] != '\\' || i + 1 >= length)
      continue;
    if (data[i + 1] == 'u' && i + 5 < length && g_ascii_strncasecmp (data + i + 2, "0000", 4) == 0)
      return true;
    i++; /* skip the escaped character (an escaped backslash too) */
  }
  return false;
}

bool valid_input (const char *text, gsize length)
{
  return length >= 1 && length <= kMaxInputBytes && g_utf8_validate (text, length, nullptr) &&
         !memchr (text, '\0', length);
}

std::string generate (JsonBuilder *b)
{
  json_builder_end_object (b);
  JsonNode *root = json_builder_get_root (b);
  gchar *text = json_to_string (root, FALSE);
  std::string out (text);
  g_free (text);
  json_node_unref (root);
  g_object_unref (b);
  return out;
}

JsonBuilder *begin (const char *kind)
{
  JsonBuilder *b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, kKindField);
  json_builder_add_string_value (b, kind);
  return b;
}

void add_int (JsonBuilder *b, const char *name, gint64 value)
{
  json_builder_set_member_name (b, name);
  json_builder_add_int_value (b, value);
}

void add_string (JsonBuilder *b, const char *name, const char *value)
{
  json_builder_set_member_name (b, name);
  json_builder_add_string_value (b, value);
}

bool size_in_range (gint cols, gint rows)
{
  return cols >= kMinCols && cols <= kMaxCols && rows >= kMinRows && rows <= kMaxRows;
}

} // namespace

bool parse_viewer_message (const char *data, gsize length, ViewerMessage &out, std::string &error)
{
  if (!data || length == 0)
    return fail (error, "empty message");
  if (length > kMaxViewerMessageBytes)
    return fail (error, "message too large");
  if (holds_nul (data, length))
    return fail (error, "a NUL character");
  if (!g_utf8_validate (data, length, nullptr))
    return fail (error, "not UTF-8");
  JsonParser *parser = json_parser_new ();
  bool ok = false;
  if (!json_parser_load_from_data (parser, data, length, nullptr)) {
    error = "not JSON";
  } else if (!json_parser_get_root (parser) ||
             JSON_NODE_TYPE (json_parser_get_root (parser)) != JSON_NODE_OBJECT) {
    error = "not a JSON object";
  } else {
    JsonObject *obj = json_node_get_object (json_parser_get_root (parser));
    JsonNode *kind_node = json_object_get_member (obj, kKindField);
    const char *kind = kind_node && JSON_NODE_HOLDS_VALUE (kind_node) &&
                               json_node_get_value_type (kind_node) == G_TYPE_STRING
                           ? json_node_get_string (kind_node)
                           : nullptr;
    if (!kind) {
      error = "no kind";
    } else if (g_str_equal (kind, kInputKind)) {
      JsonNode *node = json_object_get_member (obj, "data");
      const char *text =
          node && JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING
              ? json_node_get_string (node)
              : nullptr;
      if (!text || !valid_input (text, strlen (text))) {
        error = "input: data must be 1 to 4096 bytes of text";
      } else {
        out = ViewerMessage ();
        out.kind = Kind::Input;
        out.data = text;
        ok = true;
      }
    } else if (g_str_equal (kind, kResizeKind)) {
      gint cols = 0, rows = 0;
      if (!int_member (obj, "cols", kMinCols, kMaxCols, cols) ||
          !int_member (obj, "rows", kMinRows, kMaxRows, rows)) {
        error = "resize: cols and rows out of range";
      } else {
        out = ViewerMessage ();
        out.kind = Kind::Resize;
        out.cols = cols;
        out.rows = rows;
        ok = true;
      }
    } else {
      error = "not a kind a viewer sends";
    }
  }
  g_object_unref (parser);
  return ok;
}

std::string make_input (const std::string &text)
{
  if (!valid_input (text.data (), text.size ()))
    return "";
  JsonBuilder *b = begin (kInputKind);
  add_string (b, "data", text.c_str ());
  return generate (b);
}

std::string make_resize (gint cols, gint rows)
{
  if (!size_in_range (cols, rows))
    return "";
  JsonBuilder *b = begin (kResizeKind);
  add_int (b, "cols", cols);
  add_int (b, "rows", rows);
  return generate (b);
}

std::string make_size (gint cols, gint rows)
{
  JsonBuilder *b = begin (kSizeKind);
  add_int (b, "cols", cols);
  add_int (b, "rows", rows);
  return generate (b);
}

std::string exit_sentence (gint status)
{
  return "[process exited with status " + std::to_string (status) + "]";
}

std::string make_exit (gint status)
{
  JsonBuilder *b = begin (kExitKind);
  add_int (b, "status", status);
  add_string (b, "message", exit_sentence (status).c_str ());
  return generate (b);
}

std::string make_refused (const char *what, const char *message)
{
  JsonBuilder *b = begin (kRefusedKind);
  add_string (b, "what", what);
  add_string (b, "message", message);
  return generate (b);
}

std::string Utf8Stream::feed (const char *bytes, gsize length)
{
  pending_.append (bytes, length);
  std::string out;
  gsize i = 0;
  const gsize n = pending_.size ();
  while (i < n) {
    const char *p = pending_.data () + i;
    if (*p == '\0') { /* a terminal shows nothing for it; JSON text need not hold it */
      i++;
      continue;
    }
    gunichar c = g_utf8_get_char_validated (p, n - i);
    if (c == (gunichar) -2) /* incomplete: wait for more */
      break;
    if (c == (gunichar) -1) { /* invalid: one replacement per byte */
      out += "\xEF\xBF\xBD";
      i++;
      continue;
    }
    const gsize len = g_utf8_next_char (p) - p;
    out.append (p, len);
    i += len;
  }
  pending_.erase (0, i);
  /* An incomplete sequence is at most 3 bytes; more means it never ends. */
  if (pending_.size () > 3) {
    out += "\xEF\xBF\xBD";
    pending_.erase (0, 1);
    out += feed ("", 0);
  }
  return out;
}

std::string Utf8Stream::flush ()
{
  std::string out;
  if (!pending_.empty ())
    out = "\xEF\xBF\xBD";
  pending_.clear ();
  return out;
}

} // namespace gv::terminal
