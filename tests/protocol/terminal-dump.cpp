/* GhostView
 * Copyright (C) 2026 GhostView contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The terminal channel's C++ definition (plugins/webrtc/gvterminaljson.h),
 * for terminal-parity.test.mjs to hold web/js/terminal-protocol.js to:
 *
 *   terminal-dump          constants and kinds, as one JSON object
 *   terminal-dump parse    each line of stdin through the viewer-message
 *                          parser; one JSON result a line
 *                          ({"ok":true,"t":KIND,"data":TEXT,"cols":C,"rows":R}
 *                          or {"ok":false})
 *   terminal-dump build    the host's messages the C++ builds (size, exit,
 *                          refusals), one a line
 */
#include "gvterminaljson.h"

#include <json-glib/json-glib.h>

#include <iostream>
#include <string>

namespace terminal = gv::terminal;

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

void member (JsonBuilder *b, const char *name, const std::string &value)
{
  json_builder_set_member_name (b, name);
  json_builder_add_string_value (b, value.c_str ());
}

template <size_t N> void array (JsonBuilder *b, const char *name, const char *const (&items)[N])
{
  json_builder_set_member_name (b, name);
  json_builder_begin_array (b);
  for (const char *item : items)
    json_builder_add_string_value (b, item);
  json_builder_end_array (b);
}

} // namespace

int main (int argc, char **argv)
{
  std::string mode = argc > 1 ? argv[1] : "";
  if (mode.empty ()) {
    JsonBuilder *b = json_builder_new ();
    json_builder_begin_object (b);
    member (b, "channel_label", terminal::kChannelLabel);
    member (b, "max_viewer_message_bytes", (gint64) terminal::kMaxViewerMessageBytes);
    member (b, "max_input_bytes", (gint64) terminal::kMaxInputBytes);
    member (b, "min_cols", terminal::kMinCols);
    member (b, "max_cols", terminal::kMaxCols);
    member (b, "min_rows", terminal::kMinRows);
    member (b, "max_rows", terminal::kMaxRows);
    array (b, "kinds", terminal::kKinds);
    array (b, "refused_what", terminal::kRefusedWhat);
    member (b, "input_refused_message", terminal::kInputRefusedMessage);
    member (b, "malformed_message", terminal::kMalformedMessage);
    json_builder_end_object (b);
    print (b);
    return 0;
  }
  if (mode == "parse") {
    std::string line;
    while (std::getline (std::cin, line)) {
      terminal::ViewerMessage msg;
      std::string error;
      JsonBuilder *b = json_builder_new ();
      json_builder_begin_object (b);
      bool ok = terminal::parse_viewer_message (line.data (), line.size (), msg, error);
      json_builder_set_member_name (b, "ok");
      json_builder_add_boolean_value (b, ok);
      if (ok) {
        member (b, "t",
                msg.kind == terminal::Kind::Input ? terminal::kInputKind : terminal::kResizeKind);
        member (b, "data", msg.data);
        member (b, "cols", msg.cols);
        member (b, "rows", msg.rows);
      }
      json_builder_end_object (b);
      print (b);
    }
    return 0;
  }
  if (mode == "build") {
    std::cout << terminal::make_size (132, 43) << "\n";
    std::cout << terminal::make_exit (0) << "\n";
    std::cout << terminal::make_exit (137) << "\n";
    std::cout << terminal::make_refused (terminal::kRefusedInput, terminal::kInputRefusedMessage)
              << "\n";
    std::cout << terminal::make_refused (terminal::kRefusedMessage, terminal::kMalformedMessage)
              << "\n";
    return 0;
  }
  std::cerr << "usage: terminal-dump [parse|build]\n";
  return 2;
}
