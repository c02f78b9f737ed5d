/* GhostView
 * Copyright (C) 2024 GhostView contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Clipboard content on the assistance channel (gvassistjson.h): its
 * pieces, parsed, built and put back together.
 */
#include "gvassistjson-private.h"

#include <json-glib/json-glib.h>

#include <cerrno>
#include <cstring>
#include <sys/random.h>

namespace gv::assist {

using namespace detail;

namespace {

constexpr gsize kMinIdChars = 16, kMaxIdChars = 64;

bool is_lower_hex (const char *s)
{
  for (; *s; s++)
    if (!g_ascii_isdigit (*s) && !(*s >= 'a' && *s <= 'f'))
      return false;
  return true;
}

bool known_mime (const char *mime)
{
  for (const char *m : kClipboardMimes)
    if (strcmp (m, mime) == 0)
      return true;
  return false;
}

/* Strict base64: its alphabet, padding only at the end, a multiple of 4. */
bool is_base64 (const char *s, gsize len)
{
  if (len % 4 != 0)
    return false;
  for (gsize i = 0; i < len; i++) {
    const char c = s[i];
    if (c == '=') {
      if (i < len - 2 || (i == len - 2 && s[len - 1] != '='))
        return false;
    } else if (!g_ascii_isalnum (c) && c != '+' && c != '/') {
      return false;
    }
  }
  return true;
}

const char *string_member (JsonObject *obj, const char *name)
{
  return json_string_member (obj, name);
}

bool size_member (JsonObject *obj, const char *name, guint64 max, guint64 &out)
{
  gint64 v;
  if (!int_member (obj, name, 0, (gint64) max, v))
    return false;
  out = (guint64) v;
  return true;
}

} // namespace

bool parse_clipboard (::_JsonObject *obj, Message &out, std::string &error)
{
  const char *id = string_member (obj, "id");
  const char *mime = string_member (obj, "mime");
  const char *data = string_member (obj, "data");
  JsonNode *last = json_object_get_member (obj, "last");
  if (!id || strlen (id) < kMinIdChars || strlen (id) > kMaxIdChars || !is_lower_hex (id))
    return fail (error, "clipboard content needs an \"id\" of 16 to 64 lowercase hex characters");
  if (!mime || !known_mime (mime))
    return fail (error,
                 std::string ("clipboard content is ") + kClipboardText + " or " + kClipboardPng);
  Message m;
  m.kind = Kind::Clipboard;
  m.id = id;
  m.mime = mime;
  if (!size_member (obj, "size", kMaxClipboardBytes, m.size))
    return fail (error, "clipboard \"size\" is a whole number of bytes, at most " +
                            std::to_string (kMaxClipboardBytes));
  if (!size_member (obj, "offset", m.size, m.offset))
    return fail (error, "clipboard \"offset\" is a whole number, at most \"size\"");
  if (!last || JSON_NODE_TYPE (last) != JSON_NODE_VALUE ||
      json_node_get_value_type (last) != G_TYPE_BOOLEAN)
    return fail (error, "clipboard \"last\" is true or false");
  m.last = json_node_get_boolean (last);
  const gsize data_len = data ? strlen (data) : 0;
  if (!data || data_len > (kClipboardChunkBytes / 3 + 1) * 4 || !is_base64 (data, data_len))
    return fail (error, "clipboard \"data\" is base64 of at most " +
                            std::to_string (kClipboardChunkBytes) + " bytes");
  gsize decoded = 0;
  guchar *bytes = data_len ? g_base64_decode (data, &decoded) : nullptr;
  m.data.assign ((const char *) bytes, decoded);
  g_free (bytes);
  if (decoded > kClipboardChunkBytes || m.offset + decoded > m.size)
    return fail (error, "clipboard \"data\" goes past \"size\"");
  if (m.last != (m.offset + decoded == m.size))
    return fail (error, "clipboard \"last\" is true exactly on the piece that ends at \"size\"");
  out = std::move (m);
  return true;
}

std::vector<std::string> make_clipboard (const std::string &id, const char *mime,
                                         const std::string &bytes)
{
  std::vector<std::string> pieces;
  if (!mime || !known_mime (mime) || bytes.size () > kMaxClipboardBytes ||
      id.size () < kMinIdChars || id.size () > kMaxIdChars || !is_lower_hex (id.c_str ()))
    return pieces;
  gsize offset = 0;
  do {
    const gsize n = MIN (kClipboardChunkBytes, bytes.size () - offset);
    gchar *b64 = g_base64_encode ((const guchar *) bytes.data () + offset, n);
    JsonBuilder *b = json_builder_new ();
    json_builder_begin_object (b);
    json_builder_set_member_name (b, kKindField);
    json_builder_add_string_value (b, kClipboardKind);
    json_builder_set_member_name (b, "id");
    json_builder_add_string_value (b, id.c_str ());
    json_builder_set_member_name (b, "mime");
    json_builder_add_string_value (b, mime);
    json_builder_set_member_name (b, "size");
    json_builder_add_int_value (b, (gint64) bytes.size ());
    json_builder_set_member_name (b, "offset");
    json_builder_add_int_value (b, (gint64) offset);
    json_builder_set_member_name (b, "data");
    json_builder_add_string_value (b, b64);
    json_builder_set_member_name (b, "last");
    json_builder_add_boolean_value (b, offset + n == bytes.size ());
    json_builder_end_object (b);
    JsonNode *root = json_builder_get_root (b);
    gchar *text = json_to_string (root, FALSE);
    pieces.emplace_back (text);
    g_free (text);
    json_node_unref (root);
    g_object_unref (b);
    g_free (b64);
    offset += n;
  } while (offset < bytes.size ());
  return pieces;
}

std::string new_clipboard_id ()
{
  guint8 b[16];
  gsize got = 0;
  while (got < sizeof b) {
    ssize_t n = getrandom (b + got, sizeof b - got, 0);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return "";
    got += (gsize) n;
  }
  std::string hex;
  for (guint8 c : b) {
    hex += "0123456789abcdef"[c >> 4];
    hex += "0123456789abcdef"[c & 15];
  }
  return hex;
}

bool ClipboardAssembler::add (const Message &piece, std::string &mime, std::string &bytes)
{
  if (piece.kind != Kind::Clipboard)
    return false;
  if (!active_ || piece.id != id_) {
    if (piece.offset != 0) { /* the start of this content was missed */
      active_ = false;
      return false;
    }
    active_ = true;
    id_ = piece.id;
    mime_ = piece.mime;
    size_ = piece.size;
    bytes_.clear ();
  }
  if (piece.offset != bytes_.size () || piece.size != size_ || piece.mime != mime_) {
    active_ = false; /* out of order, or changed on the way */
    return false;
  }
  bytes_ += piece.data;
  if (!piece.last)
    return false;
  active_ = false;
  mime = mime_;
  bytes.swap (bytes_);
  bytes_.clear ();
  return true;
}

} // namespace gv::assist
