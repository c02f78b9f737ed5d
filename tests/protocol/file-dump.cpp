/* GhostView
 * Copyright (C) 2024 GhostView contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The file-transfer channel's C++ definition (plugins/webrtc/gvfilejson.h),
 * for file-parity.test.mjs to hold web/js/filetransfer.js to:
 *
 *   file-dump              constants, kinds and codes, as one JSON object
 *   file-dump parse        each line of stdin through the parser; one JSON
 *                          result a line ({"ok":true,"t":KIND} or {"ok":false})
 *   file-dump parse-chunk  each line of stdin (hex bytes) through the chunk
 *                          parser; {"ok":true,"offset":N,"count":N} or {"ok":false}
 *   file-dump make-chunk OFFSET HEX   the binary message, in hex
 */
#include "gvfilejson.h"

#include <json-glib/json-glib.h>

#include <cstring>
#include <iostream>
#include <string>
#include <vector>

namespace files = gv::files;

namespace {

void print (JsonBuilder *b)
{
  JsonNode *root = json_builder_get_root (b);
  gchar *text = json_to_string (root, FALSE);
  std::cout << text << "\n";
  g_free (text);
  json_node_unref (root);
  g_object_unref (b);
}

void member (JsonBuilder *b, const char *name, gint64 value)
{
  json_builder_set_member_name (b, name);
  json_builder_add_int_value (b, value);
}

void member (JsonBuilder *b, const char *name, const char *value)
{
  json_builder_set_member_name (b, name);
  json_builder_add_string_value (b, value);
}

std::vector<guint8> from_hex (const std::string &hex)
{
  std::vector<guint8> out;
  for (std::size_t i = 0; i + 1 < hex.size (); i += 2)
    out.push_back ((guint8) std::stoi (hex.substr (i, 2), nullptr, 16));
  return out;
}

} // namespace

int main (int argc, char **argv)
{
  if (argc == 1) {
    JsonBuilder *b = json_builder_new ();
    json_builder_begin_object (b);
    member (b, "channel_label", files::kChannelLabel);
    member (b, "max_control_bytes", (gint64) files::kMaxControlBytes);
    member (b, "chunk_header_bytes", (gint64) files::kChunkHeaderBytes);
    member (b, "max_chunk_bytes", (gint64) files::kMaxChunkBytes);
    member (b, "max_name_bytes", (gint64) files::kMaxNameBytes);
    member (b, "max_text_bytes", (gint64) files::kMaxTextBytes);
    member (b, "max_file_bytes", (gint64) files::kMaxFileBytes);
    json_builder_set_member_name (b, "kinds");
    json_builder_begin_array (b);
    for (const char *k : files::kind_names ())
      json_builder_add_string_value (b, k);
    json_builder_end_array (b);
    json_builder_set_member_name (b, "codes");
    json_builder_begin_array (b);
    for (const char *c : files::kCodes)
      json_builder_add_string_value (b, c);
    json_builder_end_array (b);
    json_builder_end_object (b);
    print (b);
    return 0;
  }
  if (argc == 2 && strcmp (argv[1], "parse") == 0) {
    std::string line;
    while (std::getline (std::cin, line)) {
      files::Message m;
      std::string why;
      bool ok = files::parse (line.data (), line.size (), m, why);
      JsonBuilder *b = json_builder_new ();
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "ok");
      json_builder_add_boolean_value (b, ok);
      if (ok) {
        member (b, "t", files::kind_name (m.kind));
        /* The message built again from what was parsed: the same fields. */
        member (b, "rebuilt", files::build (m).c_str ());
      } else {
        member (b, "why", why.c_str ());
      }
      json_builder_end_object (b);
      print (b);
    }
    return 0;
  }
  if (argc == 2 && strcmp (argv[1], "parse-chunk") == 0) {
    std::string line;
    while (std::getline (std::cin, line)) {
      std::vector<guint8> bytes = from_hex (line);
      guint64 offset = 0;
      const guint8 *data = nullptr;
      gsize count = 0;
      bool ok = files::parse_chunk (bytes.data (), bytes.size (), offset, data, count);
      JsonBuilder *b = json_builder_new ();
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "ok");
      json_builder_add_boolean_value (b, ok);
      if (ok) {
        member (b, "offset", (gint64) offset);
        member (b, "count", (gint64) count);
      }
      json_builder_end_object (b);
      print (b);
    }
    return 0;
  }
  if (argc == 4 && strcmp (argv[1], "make-chunk") == 0) {
    std::vector<guint8> data = from_hex (argv[3]);
    std::vector<guint8> chunk =
        files::make_chunk (g_ascii_strtoull (argv[2], nullptr, 10), data.data (), data.size ());
    for (guint8 c : chunk)
      std::cout << "0123456789abcdef"[c >> 4] << "0123456789abcdef"[c & 15];
    std::cout << "\n";
    return 0;
  }
  std::cerr << "usage: " << argv[0] << " [parse | parse-chunk | make-chunk OFFSET HEX]\n";
  return 2;
}
