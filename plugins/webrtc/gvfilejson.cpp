/* GhostView
 * Copyright (C) 2024 GhostView contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "gvfilejson.h"

#include <json-glib/json-glib.h>

#include <cstring>
#include <memory>

namespace gv::files {

namespace {

struct KindName {
  Kind kind;
  const char *name;
};

constexpr KindName kKinds[] = {
  { Kind::Offer, "offer" },       { Kind::Accept, "accept" }, { Kind::Reject, "reject" },
  { Kind::Progress, "progress" }, { Kind::Done, "done" },     { Kind::Failed, "failed" },
  { Kind::Cancel, "cancel" },
};

constexpr gsize kIdMin = 16, kIdMax = 64, kSha256Chars = 64;

bool lower_hex (const std::string &s)
{
  for (char c : s)
    if (!g_ascii_isdigit (c) && !(c >= 'a' && c <= 'f'))
      return false;
  return !s.empty ();
}

struct ObjectDeleter {
  void operator() (JsonObject *o) const { json_object_unref (o); }
};

/* A string member of `o`: present, a string, valid UTF-8 (a lone
 * surrogate escape, "\ud800", parses to bytes that are not: found by
 * fuzzing), within `min`..`max` bytes. */
bool string_member (JsonObject *o, const char *name, gsize min, gsize max, std::string &out,
                    std::string &why)
{
  JsonNode *n = json_object_get_member (o, name);
  if (!n || !JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_STRING) {
    why = std::string ("\"") + name + "\" must be a string";
    return false;
  }
  out = json_node_get_string (n);
  if (!g_utf8_validate (out.data (), (gssize) out.size (), nullptr)) {
    why = std::string ("\"") + name + "\" is not UTF-8 text";
    return false;
  }
  if (out.size () < min || out.size () > max) {
    why = std::string ("\"") + name + "\" has a bad length";
    return false;
  }
  return true;
}

/* A whole number of bytes, 0 to kMaxFileBytes. */
bool size_member (JsonObject *o, const char *name, guint64 &out, std::string &why)
{
  JsonNode *n = json_object_get_member (o, name);
  if (!n || !JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_INT64 ||
      json_node_get_int (n) < 0 || (guint64) json_node_get_int (n) > kMaxFileBytes) {
    why = std::string ("\"") + name + "\" must be a whole number of bytes";
    return false;
  }
  out = (guint64) json_node_get_int (n);
  return true;
}

bool known_code (const std::string &code)
{
  for (const char *c : kCodes)
    if (code == c)
      return true;
  return false;
}

} // namespace

const char *kind_name (Kind kind)
{
  for (const KindName &k : kKinds)
    if (k.kind == kind)
      return k.name;
  return "unknown";
}

std::vector<const char *> kind_names ()
{
  std::vector<const char *> names;
  for (const KindName &k : kKinds)
    names.push_back (k.name);
  return names;
}

bool is_transfer_id (const std::string &id)
{
  return id.size () >= kIdMin && id.size () <= kIdMax && lower_hex (id);
}

bool is_sha256_hex (const std::string &hex)
{
  return hex.size () == kSha256Chars && lower_hex (hex);
}

bool parse (const char *data, gsize length, Message &out, std::string &why)
{
  if (!data || length == 0 || length > kMaxControlBytes) {
    why = "empty or too large";
    return false;
  }
  if (!g_utf8_validate_len (data, length, nullptr)) {
    why = "not UTF-8 text";
    return false;
  }
  JsonParser *parser = json_parser_new_immutable ();
  bool parsed = json_parser_load_from_data (parser, data, (gssize) length, nullptr);
  JsonNode *root = parsed ? json_parser_get_root (parser) : nullptr;
  std::unique_ptr<JsonObject, ObjectDeleter> o (root && JSON_NODE_HOLDS_OBJECT (root)
                                                    ? json_object_ref (json_node_get_object (root))
                                                    : nullptr);
  g_object_unref (parser);
  if (!o) {
    why = "not a JSON object";
    return false;
  }
  std::string kind;
  if (!string_member (o.get (), "t", 1, 16, kind, why))
    return false;
  const KindName *k = nullptr;
  for (const KindName &candidate : kKinds)
    if (kind == candidate.name)
      k = &candidate;
  if (!k) {
    why = "unknown kind";
    return false;
  }
  Message m;
  m.kind = k->kind;
  if (!string_member (o.get (), "id", kIdMin, kIdMax, m.id, why))
    return false;
  if (!is_transfer_id (m.id)) {
    why = "\"id\" must be lowercase hex";
    return false;
  }
  switch (m.kind) {
  case Kind::Offer:
    if (!string_member (o.get (), "name", 1, kMaxNameBytes, m.name, why) ||
        !size_member (o.get (), "size", m.size, why) ||
        !string_member (o.get (), "sha256", kSha256Chars, kSha256Chars, m.sha256, why))
      return false;
    if (!is_sha256_hex (m.sha256)) {
      why = "\"sha256\" must be lowercase hex";
      return false;
    }
    break;
  case Kind::Accept:
    if (!size_member (o.get (), "offset", m.offset, why))
      return false;
    break;
  case Kind::Progress:
    if (!size_member (o.get (), "received", m.received, why))
      return false;
    break;
  case Kind::Done:
    if (!string_member (o.get (), "name", 1, kMaxNameBytes, m.name, why))
      return false;
    break;
  case Kind::Reject:
  case Kind::Failed:
    if (!string_member (o.get (), "code", 1, 32, m.code, why) ||
        !string_member (o.get (), "message", 0, kMaxTextBytes, m.text, why))
      return false;
    if (!known_code (m.code)) {
      why = "unknown code";
      return false;
    }
    break;
  case Kind::Cancel:
    break;
  }
  out = std::move (m);
  return true;
}

std::string build (const Message &m)
{
  JsonBuilder *b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "t");
  json_builder_add_string_value (b, kind_name (m.kind));
  json_builder_set_member_name (b, "id");
  json_builder_add_string_value (b, m.id.c_str ());
  auto str = [b] (const char *name, const std::string &value) {
    json_builder_set_member_name (b, name);
    json_builder_add_string_value (b, value.c_str ());
  };
  auto num = [b] (const char *name, guint64 value) {
    json_builder_set_member_name (b, name);
    json_builder_add_int_value (b, (gint64) value);
  };
  switch (m.kind) {
  case Kind::Offer:
    str ("name", m.name);
    num ("size", m.size);
    str ("sha256", m.sha256);
    break;
  case Kind::Accept:
    num ("offset", m.offset);
    break;
  case Kind::Progress:
    num ("received", m.received);
    break;
  case Kind::Done:
    str ("name", m.name);
    break;
  case Kind::Reject:
  case Kind::Failed:
    str ("code", m.code);
    str ("message", m.text);
    break;
  case Kind::Cancel:
    break;
  }
  json_builder_end_object (b);
  JsonNode *root = json_builder_get_root (b);
  gchar *text = json_to_string (root, FALSE);
  std::string out = text;
  g_free (text);
  json_node_unref (root);
  g_object_unref (b);
  return out;
}

bool parse_chunk (const guint8 *data, gsize length, guint64 &offset, const guint8 *&bytes,
                  gsize &count)
{
  if (!data || length < kChunkHeaderBytes || length > kChunkHeaderBytes + kMaxChunkBytes)
    return false;
  offset = 0;
  for (gsize i = 0; i < kChunkHeaderBytes; i++)
    offset = (offset << 8) | data[i];
  if (offset > kMaxFileBytes)
    return false;
  bytes = data + kChunkHeaderBytes;
  count = length - kChunkHeaderBytes;
  return true;
}

std::vector<guint8> make_chunk (guint64 offset, const guint8 *bytes, gsize count)
{
  std::vector<guint8> out (kChunkHeaderBytes + count);
  for (gsize i = 0; i < kChunkHeaderBytes; i++)
    out[i] = (guint8) (offset >> (8 * (kChunkHeaderBytes - 1 - i)));
  if (count)
    memcpy (out.data () + kChunkHeaderBytes, bytes, count);
  return out;
}

} // namespace gv::files
