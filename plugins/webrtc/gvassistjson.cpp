/* GhostView
 * Copyright (C) 2026 GhostView contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The assistance channel's messages; see gvassistjson.h.
 */
#include "gvassistjson-private.h"

#include <json-glib/json-glib.h>

#include <cmath>
#include <cstring>

namespace gv::assist {

namespace detail {

bool fail (std::string &error, std::string why)
{
  error = std::move (why);
  return false;
}

bool int_member (JsonObject *obj, const char *name, gint64 min, gint64 max, gint64 &out)
{
  JsonNode *node = json_object_get_member (obj, name);
  if (!node || JSON_NODE_TYPE (node) != JSON_NODE_VALUE ||
      json_node_get_value_type (node) != G_TYPE_INT64)
    return false;
  out = json_node_get_int (node);
  return out >= min && out <= max;
}

std::string generate (JsonBuilder *b)
{
  JsonNode *root = json_builder_get_root (b);
  gchar *text = json_to_string (root, FALSE);
  std::string out (text);
  g_free (text);
  json_node_unref (root);
  g_object_unref (b);
  return out;
}

void add_string (JsonBuilder *b, const char *name, const std::string &value)
{
  json_builder_set_member_name (b, name);
  json_builder_add_string_value (b, value.c_str ());
}

void add_int (JsonBuilder *b, const char *name, gint64 value)
{
  json_builder_set_member_name (b, name);
  json_builder_add_int_value (b, value);
}

} // namespace detail

using namespace detail;

namespace {

/* A control character the chat text may not hold: U+0000..U+0008,
 * U+000B..U+001F and U+007F (newline and tab are allowed). */
bool is_refused_control (unsigned char c)
{
  return (c < 0x20 && c != '\n' && c != '\t') || c == 0x7f;
}

/* True when the JSON text holds a NUL character, raw or escaped: json-glib
 * ends its strings there, so such a message is refused whole. */
bool holds_nul (const char *data, gsize length)
{
  for (gsize i = 0; i < length; i++) {
    if (data[i] == '\0')
      return true;
    if (data[i] != '\\' || i + 1 >= length)
      continue;
    if (data[i + 1] == 'u' && i + 5 < length && strncmp (data + i + 2, "0000", 4) == 0)
      return true;
    i++; /* skip the escaped character, so "\\u0000" is text */
  }
  return false;
}

/* Length in UTF-16 code units of valid UTF-8, as JavaScript counts it. */
gsize utf16_length (const char *text)
{
  gsize n = 0;
  for (const char *p = text; *p; p = g_utf8_next_char (p))
    n += g_utf8_get_char (p) > 0xffff ? 2 : 1;
  return n;
}

const char *string_member (JsonObject *obj, const char *name)
{
  return json_string_member (obj, name);
}

/* A member that is a whole number 0..kMaxTime, spelt as an integer or as
 * a number with an integral value (1.0, 1e3: integers to JavaScript). */
bool time_member (JsonObject *obj, const char *name, gint64 &out)
{
  JsonNode *node = json_object_get_member (obj, name);
  if (!node || JSON_NODE_TYPE (node) != JSON_NODE_VALUE)
    return false;
  GType type = json_node_get_value_type (node);
  if (type == G_TYPE_INT64) {
    out = json_node_get_int (node);
  } else if (type == G_TYPE_DOUBLE) {
    double d = json_node_get_double (node);
    if (!std::isfinite (d) || d != std::floor (d) || d < 0 || d > (double) kMaxTime)
      return false;
    out = (gint64) d;
  } else {
    return false;
  }
  return out >= 0 && out <= kMaxTime;
}

bool is_refused_what (const char *what)
{
  for (const char *w : kRefusedWhat)
    if (what && strcmp (what, w) == 0)
      return true;
  return false;
}

bool parse_chat (JsonObject *obj, Message &out, std::string &error)
{
  const char *text = string_member (obj, "text");
  if (!text)
    return fail (error, "a chat message needs \"text\", a string");
  if (!valid_chat_text (text, &error))
    return false;
  out.text = text;
  bool has_from = json_object_has_member (obj, "from");
  bool has_peer = json_object_has_member (obj, "peer");
  bool has_time = json_object_has_member (obj, "time");
  if (!has_from && !has_peer && !has_time) {
    out.kind = Kind::ViewerChat;
    return true;
  }
  const char *from = string_member (obj, "from");
  if (!from || strlen (from) > kMaxNameBytes)
    return fail (error, "a relayed chat line's \"from\" must be a name of at most " +
                            std::to_string (kMaxNameBytes) + " bytes");
  const char *peer = string_member (obj, "peer");
  if (!peer || !*peer || utf16_length (peer) > kMaxPeerLength)
    return fail (error, "a relayed chat line's \"peer\" must be a peer id of 1 to " +
                            std::to_string (kMaxPeerLength) + " characters");
  if (!time_member (obj, "time", out.time))
    return fail (error, "a relayed chat line's \"time\" must be Unix milliseconds, a whole number");
  out.kind = Kind::HostChat;
  out.from = from;
  out.peer = peer;
  return true;
}

bool parse_refused (JsonObject *obj, Message &out, std::string &error)
{
  const char *what = string_member (obj, "what");
  if (!is_refused_what (what))
    return fail (error, "a refusal's \"what\" must be \"chat\", \"clipboard\", \"file\", "
                        "\"source\" or \"resize\"");
  const char *message = string_member (obj, "message");
  if (!message || strlen (message) > kMaxRefusedMessageBytes)
    return fail (error, "a refusal's \"message\" must be a sentence of at most " +
                            std::to_string (kMaxRefusedMessageBytes) + " bytes");
  out.kind = Kind::Refused;
  out.what = what;
  out.message = message;
  return true;
}

} // namespace

const char *json_string_member (JsonObject *obj, const char *name)
{
  JsonNode *node = json_object_get_member (obj, name);
  if (!node || JSON_NODE_TYPE (node) != JSON_NODE_VALUE ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    return nullptr;
  const char *s = json_node_get_string (node);
  return s && g_utf8_validate (s, -1, nullptr) ? s : nullptr;
}

bool valid_chat_text (const char *text, std::string *error)
{
  std::string ignored;
  std::string &why = error ? *error : ignored;
  if (!text || !*text)
    return fail (why, "chat text is empty");
  gsize len = strlen (text);
  if (len > kMaxChatBytes)
    return fail (why, "chat text is " + std::to_string (len) + " bytes, more than " +
                          std::to_string (kMaxChatBytes));
  if (!g_utf8_validate (text, (gssize) len, nullptr))
    return fail (why, "chat text is not UTF-8");
  for (gsize i = 0; i < len; i++)
    if (is_refused_control ((unsigned char) text[i]))
      return fail (why, "chat text holds a control character (only newline and tab are allowed)");
  return true;
}

bool parse_message (const char *data, gsize length, Message &out, std::string &error)
{
  if (!data)
    return fail (error, "no message");
  if (length > kMaxMessageBytes)
    return fail (error, "message is " + std::to_string (length) + " bytes, more than " +
                            std::to_string (kMaxMessageBytes));
  if (!g_utf8_validate (data, (gssize) length, nullptr))
    return fail (error, "message is not UTF-8 text");
  if (holds_nul (data, length))
    return fail (error, "message holds a NUL character");
  JsonParser *parser = json_parser_new ();
  GError *err = nullptr;
  if (!json_parser_load_from_data (parser, data, (gssize) length, &err)) {
    fail (error, std::string ("message is not JSON: ") + (err ? err->message : "?"));
    g_clear_error (&err);
    g_object_unref (parser);
    return false;
  }
  JsonNode *root = json_parser_get_root (parser);
  bool ok;
  if (!root || !JSON_NODE_HOLDS_OBJECT (root)) {
    ok = fail (error, "message is not a JSON object");
  } else {
    JsonObject *obj = json_node_get_object (root);
    const char *t = string_member (obj, kKindField);
    out = Message{};
    if (!t)
      ok = fail (error, std::string ("message has no \"") + kKindField + "\" naming its kind");
    else if (strcmp (t, kChatKind) == 0)
      ok = parse_chat (obj, out, error);
    else if (strcmp (t, kRefusedKind) == 0)
      ok = parse_refused (obj, out, error);
    else if (strcmp (t, kClipboardKind) == 0)
      ok = parse_clipboard (obj, out, error);
    else if (strcmp (t, kListSourcesKind) == 0 || strcmp (t, kSourcesKind) == 0 ||
             strcmp (t, kShareKind) == 0 || strcmp (t, kSharedKind) == 0 ||
             strcmp (t, kResizeKind) == 0)
      ok = parse_sources_kind (t, obj, out, error);
    else if (strcmp (t, kCursorKind) == 0 || strcmp (t, kCursorShapeKind) == 0)
      ok = parse_cursor_kind (t, obj, out, error);
    else
      ok = fail (error,
                 std::string ("\"") + truncate_utf8 (t, 32) + "\" is not an assist message kind");
  }
  g_object_unref (parser);
  return ok;
}

std::string truncate_utf8 (const char *text, gsize max_bytes)
{
  if (!text)
    return "";
  gchar *valid = g_utf8_make_valid (text, -1);
  std::string s (valid);
  g_free (valid);
  if (s.size () <= max_bytes)
    return s;
  gsize cut = max_bytes;
  while (cut > 0 && ((unsigned char) s[cut] & 0xc0) == 0x80)
    cut--;
  return s.substr (0, cut);
}

std::string make_chat (const char *text)
{
  if (!valid_chat_text (text))
    return "";
  JsonBuilder *b = json_builder_new ();
  json_builder_begin_object (b);
  add_string (b, kKindField, kChatKind);
  add_string (b, "text", text);
  json_builder_end_object (b);
  return generate (b);
}

std::string make_host_chat (const char *from, const char *peer, const char *text, gint64 time_ms)
{
  if (!valid_chat_text (text))
    return "";
  /* Cut as the parser counts a peer id: in UTF-16 code units. */
  std::string peer_id = truncate_utf8 (peer, G_MAXSIZE);
  gsize units = 0, cut = 0;
  for (const char *p = peer_id.c_str (); *p; p = g_utf8_next_char (p)) {
    units += g_utf8_get_char (p) > 0xffff ? 2 : 1;
    if (units > kMaxPeerLength)
      break;
    cut = g_utf8_next_char (p) - peer_id.c_str ();
  }
  peer_id.resize (cut);
  if (peer_id.empty ())
    return "";
  JsonBuilder *b = json_builder_new ();
  json_builder_begin_object (b);
  add_string (b, kKindField, kChatKind);
  add_string (b, "from", truncate_utf8 (from, kMaxNameBytes));
  add_string (b, "peer", peer_id);
  add_string (b, "text", text);
  json_builder_set_member_name (b, "time");
  json_builder_add_int_value (b, CLAMP (time_ms, 0, kMaxTime));
  json_builder_end_object (b);
  return generate (b);
}

std::string make_refused (const char *what, const char *message)
{
  if (!is_refused_what (what))
    return "";
  JsonBuilder *b = json_builder_new ();
  json_builder_begin_object (b);
  add_string (b, kKindField, kRefusedKind);
  add_string (b, "what", what);
  add_string (b, "message", truncate_utf8 (message, kMaxRefusedMessageBytes));
  json_builder_end_object (b);
  return generate (b);
}

} // namespace gv::assist
