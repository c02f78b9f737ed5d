/* GhostView
 * Copyright (C) 2026 GhostView contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The assistance channel's messages about what the host shares:
 * "list-sources", "sources", "share" and "shared"; see gvassistjson.h.
 */
#include "gvassistjson-private.h"

#include <json-glib/json-glib.h>

#include <cstring>

namespace gv::assist {

using namespace detail;

namespace {

bool one_of (const char *value, const char *const *list, gsize n)
{
  for (gsize i = 0; value && i < n; i++)
    if (strcmp (value, list[i]) == 0)
      return true;
  return false;
}

/* A member that is a whole number min..max, into a gint. */
bool whole_member (JsonObject *obj, const char *name, gint min, gint max, gint &out)
{
  gint64 v;
  if (!int_member (obj, name, min, max, v))
    return false;
  out = (gint) v;
  return true;
}

bool size_member (JsonObject *obj, const char *name, gint &out)
{
  return whole_member (obj, name, 0, kMaxSourceSize, out);
}

bool source_member (JsonObject *obj, const char *name, std::string &out, std::string &error)
{
  const char *id = json_string_member (obj, name);
  if (!valid_source_id (id))
    return fail (error, std::string ("\"") + name +
                            "\" must be \"screen\", \"display:N\" or \"window:0xHEX\"");
  out = id;
  return true;
}

bool name_member (JsonObject *obj, const char *name, gsize max, std::string &out,
                  std::string &error)
{
  const char *text = json_string_member (obj, name);
  if (!text || strlen (text) > max)
    return fail (error, std::string ("\"") + name + "\" must be a string of at most " +
                            std::to_string (max) + " bytes");
  out = text;
  return true;
}

bool parse_item (JsonNode *node, SourceItem &item, std::string &error)
{
  if (!node || !JSON_NODE_HOLDS_OBJECT (node))
    return fail (error, "each of \"items\" must be an object");
  JsonObject *obj = json_node_get_object (node);
  if (!source_member (obj, "id", item.id, error))
    return false;
  const char *kind = json_string_member (obj, "kind");
  if (!kind || source_kind (item.id) != kind)
    return fail (error, "an item's \"kind\" must be the kind its id names");
  item.kind = kind;
  if (!name_member (obj, "name", kMaxSourceNameBytes, item.name, error))
    return false;
  if (!size_member (obj, "width", item.width) || !size_member (obj, "height", item.height))
    return fail (error, "an item's \"width\" and \"height\" must be whole numbers 0.." +
                            std::to_string (kMaxSourceSize));
  return true;
}

bool parse_sources (JsonObject *obj, Message &out, std::string &error)
{
  const char *current = json_string_member (obj, "current");
  if (!current || (*current && !valid_source_id (current)))
    return fail (error, "\"current\" must be a source id or \"\"");
  JsonNode *items = json_object_get_member (obj, "items");
  if (!items || !JSON_NODE_HOLDS_ARRAY (items))
    return fail (error, "\"items\" must be an array");
  JsonArray *array = json_node_get_array (items);
  guint n = json_array_get_length (array);
  if (n > kMaxSources)
    return fail (error, "\"items\" holds " + std::to_string (n) + " sources, more than " +
                            std::to_string (kMaxSources));
  out.current = current;
  for (guint i = 0; i < n; i++) {
    SourceItem item;
    if (!parse_item (json_array_get_element (array, i), item, error))
      return false;
    out.sources.push_back (std::move (item));
  }
  out.kind = Kind::Sources;
  return true;
}

bool parse_shared (JsonObject *obj, Message &out, std::string &error)
{
  if (!source_member (obj, "source", out.source, error) ||
      !name_member (obj, "name", kMaxSourceNameBytes, out.name, error) ||
      !name_member (obj, "by", kMaxNameBytes, out.by, error))
    return false;
  if (!size_member (obj, "width", out.width) || !size_member (obj, "height", out.height))
    return fail (error, "\"width\" and \"height\" must be whole numbers 0.." +
                            std::to_string (kMaxSourceSize));
  const char *reason = json_string_member (obj, "reason");
  if (!one_of (reason, kSharedReasons, G_N_ELEMENTS (kSharedReasons)))
    return fail (error, "\"reason\" must be \"\", \"window-closed\" or \"resized\"");
  out.reason = reason;
  out.kind = Kind::Shared;
  return true;
}

void add_size (JsonBuilder *b, const char *name, gint value)
{
  add_int (b, name, CLAMP (value, 0, kMaxSourceSize));
}

/* A name as sent: valid UTF-8, cut on a character boundary. (Pages show
 * it as text, never as markup.) */
std::string clean_name (const std::string &name, gsize max)
{
  return truncate_utf8 (name.c_str (), max);
}

} // namespace

bool valid_source_id (const char *id)
{
  if (!id)
    return false;
  if (strcmp (id, "screen") == 0)
    return true;
  auto digits = [] (const char *p, gsize max, bool hex) {
    gsize n = 0;
    for (; *p; p++, n++)
      if (!(g_ascii_isdigit (*p) || (hex && *p >= 'a' && *p <= 'f')))
        return false;
    return n >= 1 && n <= max;
  };
  if (g_str_has_prefix (id, "display:"))
    return digits (id + strlen ("display:"), 3, false);
  if (g_str_has_prefix (id, "window:0x"))
    return digits (id + strlen ("window:0x"), 16, true);
  return false;
}

std::string source_kind (const std::string &id)
{
  if (g_str_has_prefix (id.c_str (), "display:"))
    return "display";
  if (g_str_has_prefix (id.c_str (), "window:"))
    return "window";
  return "screen";
}

bool parse_sources_kind (const char *kind, JsonObject *obj, Message &out, std::string &error)
{
  if (strcmp (kind, kListSourcesKind) == 0) {
    out.kind = Kind::ListSources;
    return true;
  }
  if (strcmp (kind, kShareKind) == 0) {
    out.kind = Kind::Share;
    return source_member (obj, "source", out.source, error);
  }
  if (strcmp (kind, kSourcesKind) == 0)
    return parse_sources (obj, out, error);
  if (strcmp (kind, kResizeKind) == 0) {
    JsonNode *w = json_object_get_member (obj, "width"),
             *h = json_object_get_member (obj, "height");
    auto whole = [] (JsonNode *n, gint &out) {
      if (!n || JSON_NODE_TYPE (n) != JSON_NODE_VALUE ||
          json_node_get_value_type (n) != G_TYPE_INT64)
        return false;
      gint64 v = json_node_get_int (n);
      out = (gint) CLAMP (v, 0, G_MAXINT);
      return v >= kMinResize && v <= kMaxResize;
    };
    if (!whole (w, out.width) || !whole (h, out.height))
      return fail (error, "a resize's \"width\" and \"height\" must be whole numbers " +
                              std::to_string (kMinResize) + ".." + std::to_string (kMaxResize));
    out.kind = Kind::Resize;
    return true;
  }
  return parse_shared (obj, out, error);
}

std::string make_resize (gint width, gint height)
{
  if (width < kMinResize || height < kMinResize || width > kMaxResize || height > kMaxResize)
    return "";
  JsonBuilder *b = json_builder_new ();
  json_builder_begin_object (b);
  add_string (b, kKindField, kResizeKind);
  add_int (b, "width", width);
  add_int (b, "height", height);
  json_builder_end_object (b);
  return generate (b);
}

std::string make_list_sources ()
{
  JsonBuilder *b = json_builder_new ();
  json_builder_begin_object (b);
  add_string (b, kKindField, kListSourcesKind);
  json_builder_end_object (b);
  return generate (b);
}

std::string make_sources (const std::string &current, const std::vector<SourceItem> &items)
{
  JsonBuilder *b = json_builder_new ();
  json_builder_begin_object (b);
  add_string (b, kKindField, kSourcesKind);
  json_builder_set_member_name (b, "items");
  json_builder_begin_array (b);
  gsize n = 0;
  for (const SourceItem &item : items) {
    if (n == kMaxSources || !valid_source_id (item.id.c_str ()))
      continue;
    n++;
    json_builder_begin_object (b);
    add_string (b, "id", item.id);
    add_string (b, "kind", source_kind (item.id));
    add_string (b, "name", clean_name (item.name, kMaxSourceNameBytes));
    add_size (b, "width", item.width);
    add_size (b, "height", item.height);
    json_builder_end_object (b);
  }
  json_builder_end_array (b);
  add_string (b, "current", valid_source_id (current.c_str ()) ? current : "");
  json_builder_end_object (b);
  return generate (b);
}

std::string make_share (const std::string &id)
{
  if (!valid_source_id (id.c_str ()))
    return "";
  JsonBuilder *b = json_builder_new ();
  json_builder_begin_object (b);
  add_string (b, kKindField, kShareKind);
  add_string (b, "source", id);
  json_builder_end_object (b);
  return generate (b);
}

std::string make_shared (const SourceItem &source, const std::string &by, const std::string &reason)
{
  if (!valid_source_id (source.id.c_str ()) ||
      !one_of (reason.c_str (), kSharedReasons, G_N_ELEMENTS (kSharedReasons)))
    return "";
  JsonBuilder *b = json_builder_new ();
  json_builder_begin_object (b);
  add_string (b, kKindField, kSharedKind);
  add_string (b, "source", source.id);
  add_string (b, "name", clean_name (source.name, kMaxSourceNameBytes));
  add_size (b, "width", source.width);
  add_size (b, "height", source.height);
  add_string (b, "by", clean_name (by, kMaxNameBytes));
  add_string (b, "reason", reason);
  json_builder_end_object (b);
  return generate (b);
}

} // namespace gv::assist
