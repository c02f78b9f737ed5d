#include "http_errors.h"

#include <json-glib/json-glib.h>

#include <cstring>

namespace gv::signaling {

void respond_error (SoupServerMessage *msg, guint status, const char *code,
                    const std::string &message)
{
  JsonBuilder *b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "code");
  json_builder_add_string_value (b, code);
  json_builder_set_member_name (b, "message");
  json_builder_add_string_value (b, message.c_str ());
  json_builder_end_object (b);
  JsonNode *root = json_builder_get_root (b);
  gchar *text = json_to_string (root, FALSE);
  gsize len = strlen (text);
  json_node_unref (root);
  g_object_unref (b);
  soup_server_message_set_status (msg, status, nullptr);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_TAKE, text, len);
}

} // namespace gv::signaling
