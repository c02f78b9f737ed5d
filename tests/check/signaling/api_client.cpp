#include "api_client.h"

#include <check.h>

#include <cstring>
#include <set>
#include <vector>

namespace gv::test {
namespace {

/* The keywords the validator knows. Annotations are skipped; anything else
 * in a schema fails validation. */
const std::set<std::string> kAnnotations = { "description", "default", "format", "example" };

JsonObject *object_of (JsonNode *node)
{
  return node && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : nullptr;
}

JsonNode *member (JsonNode *node, const char *name)
{
  JsonObject *o = object_of (node);
  return o && json_object_has_member (o, name) ? json_object_get_member (o, name) : nullptr;
}

/* "#/components/schemas/Session" in `doc`; nullptr when it is not there. */
JsonNode *resolve (JsonNode *doc, JsonNode *node)
{
  for (int depth = 0; depth < 8; depth++) {
    JsonNode *ref = member (node, "$ref");
    if (!ref)
      return node;
    const char *target = json_node_get_string (ref);
    if (!target || strncmp (target, "#/", 2) != 0)
      return nullptr;
    gchar **parts = g_strsplit (target + 2, "/", -1);
    JsonNode *at = doc;
    for (gchar **p = parts; *p && at; p++)
      at = member (at, *p);
    g_strfreev (parts);
    node = at;
  }
  return nullptr;
}

const char *json_type_of (JsonNode *value)
{
  if (JSON_NODE_HOLDS_NULL (value))
    return "null";
  if (JSON_NODE_HOLDS_OBJECT (value))
    return "object";
  if (JSON_NODE_HOLDS_ARRAY (value))
    return "array";
  GType t = json_node_get_value_type (value);
  if (t == G_TYPE_INT64)
    return "integer";
  if (t == G_TYPE_DOUBLE)
    return "number";
  if (t == G_TYPE_BOOLEAN)
    return "boolean";
  return "string";
}

bool refuse (std::string &error, const std::string &where, const std::string &what)
{
  error = where + ": " + what;
  return false;
}

/* Splits "/a/b/c" into its segments, empty ones kept ("/a/" is not "/a"). */
std::vector<std::string> segments (const std::string &path)
{
  std::vector<std::string> out;
  gchar **parts = g_strsplit (path.c_str (), "/", -1);
  for (gchar **p = parts; *p; p++)
    out.emplace_back (*p);
  g_strfreev (parts);
  return out;
}

/* The document's path item whose template ("/sessions/{pin}") matches
 * `path` (relative to the server URL, "/sessions/123456"). */
JsonNode *path_item (JsonNode *doc, const std::string &path)
{
  JsonObject *paths = object_of (member (doc, "paths"));
  if (!paths)
    return nullptr;
  std::vector<std::string> want = segments (path);
  GList *names = json_object_get_members (paths);
  JsonNode *found = nullptr;
  for (GList *l = names; l && !found; l = l->next) {
    std::vector<std::string> have = segments (static_cast<const char *> (l->data));
    bool match = have.size () == want.size ();
    for (std::size_t i = 0; match && i < have.size (); i++)
      match = have[i] == want[i] || (!have[i].empty () && have[i].front () == '{' &&
                                     have[i].back () == '}' && !want[i].empty ());
    if (match)
      found = json_object_get_member (paths, static_cast<const char *> (l->data));
  }
  g_list_free (names);
  return found;
}

std::string header (SoupMessage *msg, const char *name)
{
  const char *v = soup_message_headers_get_one (soup_message_get_response_headers (msg), name);
  return v ? v : "";
}

} // namespace

bool validate_schema (JsonNode *doc, JsonNode *schema_in, JsonNode *value, const std::string &where,
                      std::string &error)
{
  JsonNode *schema = resolve (doc, schema_in);
  JsonObject *s = object_of (schema);
  if (!s)
    return refuse (error, where, "the schema (or its $ref) is not an object");

  GList *keys = json_object_get_members (s);
  std::set<std::string> keywords;
  for (GList *l = keys; l; l = l->next)
    keywords.insert (static_cast<const char *> (l->data));
  g_list_free (keys);
  static const std::set<std::string> known = {
    "type",    "nullable", "enum",      "properties", "required", "items",    "minimum",
    "maximum", "pattern",  "minLength", "maxLength",  "minItems", "maxItems", "additionalProperties"
  };
  for (const auto &k : keywords)
    if (!known.count (k) && !kAnnotations.count (k))
      return refuse (error, where, "the validator does not know the keyword \"" + k + "\"");

  if (JSON_NODE_HOLDS_NULL (value)) {
    JsonNode *nullable = member (schema, "nullable");
    if (nullable && json_node_get_boolean (nullable))
      return true;
    return refuse (error, where, "null, and the schema is not nullable");
  }
  std::string type = keywords.count ("type") ? json_object_get_string_member (s, "type") : "";
  std::string actual = json_type_of (value);
  if (!type.empty () && type != actual && !(type == "number" && actual == "integer"))
    return refuse (error, where, "a " + actual + " where the schema has " + type);

  if (keywords.count ("enum")) {
    JsonArray *options = json_object_get_array_member (s, "enum");
    bool listed = false;
    for (guint i = 0; i < json_array_get_length (options) && !listed; i++)
      listed = json_node_equal (json_array_get_element (options, i), value);
    if (!listed) {
      gchar *text = json_to_string (value, FALSE);
      std::string shown = text;
      g_free (text);
      return refuse (error, where, shown + " is not one of the enum's values");
    }
  }
  if (actual == "integer" || actual == "number") {
    double v =
        actual == "integer" ? (double) json_node_get_int (value) : json_node_get_double (value);
    if (keywords.count ("minimum") && v < json_object_get_double_member (s, "minimum"))
      return refuse (error, where, std::to_string (v) + " is below the minimum");
    if (keywords.count ("maximum") && v > json_object_get_double_member (s, "maximum"))
      return refuse (error, where, std::to_string (v) + " is above the maximum");
  }
  if (actual == "string") {
    const char *text = json_node_get_string (value);
    glong chars = g_utf8_strlen (text, -1);
    if (keywords.count ("minLength") && chars < json_object_get_int_member (s, "minLength"))
      return refuse (error, where, "a string shorter than minLength");
    if (keywords.count ("maxLength") && chars > json_object_get_int_member (s, "maxLength"))
      return refuse (error, where, "a string longer than maxLength");
    if (keywords.count ("pattern") &&
        !g_regex_match_simple (json_object_get_string_member (s, "pattern"), text,
                               (GRegexCompileFlags) 0, (GRegexMatchFlags) 0))
      return refuse (error, where, std::string ("\"") + text + "\" does not match the pattern");
  }
  if (actual == "array") {
    JsonArray *arr = json_node_get_array (value);
    guint n = json_array_get_length (arr);
    if (keywords.count ("minItems") && n < json_object_get_int_member (s, "minItems"))
      return refuse (error, where, "fewer items than minItems");
    if (keywords.count ("maxItems") && n > json_object_get_int_member (s, "maxItems"))
      return refuse (error, where, "more items than maxItems");
    if (keywords.count ("items"))
      for (guint i = 0; i < n; i++)
        if (!validate_schema (doc, json_object_get_member (s, "items"),
                              json_array_get_element (arr, i),
                              where + "[" + std::to_string (i) + "]", error))
          return false;
  }
  if (actual == "object") {
    JsonObject *obj = json_node_get_object (value);
    JsonObject *props =
        keywords.count ("properties") ? json_object_get_object_member (s, "properties") : nullptr;
    if (keywords.count ("required")) {
      JsonArray *req = json_object_get_array_member (s, "required");
      for (guint i = 0; i < json_array_get_length (req); i++) {
        const char *name = json_array_get_string_element (req, i);
        if (!json_object_has_member (obj, name))
          return refuse (error, where, std::string ("lacks the required \"") + name + "\"");
      }
    }
    bool closed = keywords.count ("additionalProperties") &&
                  !json_object_get_boolean_member (s, "additionalProperties");
    GList *names = json_object_get_members (obj);
    bool ok = true;
    for (GList *l = names; l && ok; l = l->next) {
      const char *name = static_cast<const char *> (l->data);
      if (props && json_object_has_member (props, name))
        ok = validate_schema (doc, json_object_get_member (props, name),
                              json_object_get_member (obj, name), where + "." + name, error);
      else if (closed)
        ok = refuse (error, where, std::string ("has \"") + name + "\", which the schema does not");
    }
    g_list_free (names);
    if (!ok)
      return false;
  }
  return true;
}

ApiReply::ApiReply (ApiReply &&o) noexcept
    : status (o.status), body (std::move (o.body)), content_type (std::move (o.content_type)),
      allow (std::move (o.allow)), www_authenticate (std::move (o.www_authenticate)),
      location (std::move (o.location)), json (o.json)
{
  o.json = nullptr;
}

ApiReply &ApiReply::operator= (ApiReply &&o) noexcept
{
  if (this != &o) {
    if (json)
      json_node_unref (json);
    status = o.status;
    body = std::move (o.body);
    content_type = std::move (o.content_type);
    allow = std::move (o.allow);
    www_authenticate = std::move (o.www_authenticate);
    location = std::move (o.location);
    json = o.json;
    o.json = nullptr;
  }
  return *this;
}

ApiReply::~ApiReply ()
{
  if (json)
    json_node_unref (json);
}

std::string ApiReply::str (const char *name, const char *object) const
{
  JsonNode *at = object ? member (json, object) : json;
  JsonNode *v = member (at, name);
  return v && JSON_NODE_HOLDS_VALUE (v) && json_node_get_value_type (v) == G_TYPE_STRING
             ? json_node_get_string (v)
             : "";
}

gint64 ApiReply::num (const char *name, const char *object) const
{
  JsonNode *at = object ? member (json, object) : json;
  JsonNode *v = member (at, name);
  return v && JSON_NODE_HOLDS_VALUE (v) && json_node_get_value_type (v) == G_TYPE_INT64
             ? json_node_get_int (v)
             : -1;
}

ApiClient::ApiClient (const std::string &base) : base_ (base)
{
  session_ = soup_session_new ();
  ApiRequest req;
  req.path = "/api/v1/openapi.json";
  /* Fetched before the document exists to check it against. */
  ApiReply reply = send (req);
  ck_assert_uint_eq (reply.status, 200);
  ck_assert_msg (reply.json && object_of (reply.json), "openapi.json is not a JSON object");
  doc = json_node_copy (reply.json);
  std::string version = reply.str ("openapi");
  ck_assert_msg (g_str_has_prefix (version.c_str (), "3."), "not OpenAPI 3: \"%s\"",
                 version.c_str ());
  ck_assert_msg (member (doc, "paths") && member (doc, "components"),
                 "openapi.json has no paths or components");
}

ApiClient::~ApiClient ()
{
  if (doc)
    json_node_unref (doc);
  g_object_unref (session_);
}

ApiReply ApiClient::send (const ApiRequest &req, const std::function<void ()> &while_waiting)
{
  SoupMessage *msg = soup_message_new (req.method.c_str (), (base_ + req.path).c_str ());
  ck_assert_msg (msg, "not a URL: %s", (base_ + req.path).c_str ());
  SoupMessageHeaders *h = soup_message_get_request_headers (msg);
  if (req.key)
    soup_message_headers_replace (h, "Authorization", (std::string ("Bearer ") + req.key).c_str ());
  if (req.authorization)
    soup_message_headers_replace (h, "Authorization", req.authorization);
  if (req.send_body) {
    GBytes *bytes = g_bytes_new (req.body.data (), req.body.size ());
    soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
    g_bytes_unref (bytes);
    if (req.chunked)
      soup_message_headers_set_encoding (h, SOUP_ENCODING_CHUNKED);
  }
  struct Result {
    GBytes *bytes = nullptr;
    bool done = false;
  } r;
  soup_session_send_and_read_async (
      session_, msg, G_PRIORITY_DEFAULT, nullptr,
      [] (GObject *src, GAsyncResult *res, gpointer data) {
        auto *out = static_cast<Result *> (data);
        out->bytes = soup_session_send_and_read_finish (SOUP_SESSION (src), res, nullptr);
        out->done = true;
      },
      &r);
  gint64 end = g_get_monotonic_time () + 15 * G_USEC_PER_SEC;
  while (!r.done && g_get_monotonic_time () < end) {
    g_main_context_iteration (nullptr, FALSE);
    if (while_waiting)
      while_waiting ();
    g_usleep (1000);
  }
  ck_assert_msg (r.done, "%s %s: no answer", req.method.c_str (), req.path.c_str ());

  ApiReply reply;
  reply.status = soup_message_get_status (msg);
  if (r.bytes) {
    gsize len = 0;
    const char *data = static_cast<const char *> (g_bytes_get_data (r.bytes, &len));
    reply.body.assign (data ? data : "", len);
    g_bytes_unref (r.bytes);
  }
  reply.content_type = header (msg, "Content-Type");
  reply.allow = header (msg, "Allow");
  reply.www_authenticate = header (msg, "WWW-Authenticate");
  reply.location = header (msg, "Location");
  g_object_unref (msg);
  if (g_str_has_prefix (reply.content_type.c_str (), "application/json")) {
    JsonParser *parser = json_parser_new ();
    ck_assert_msg (json_parser_load_from_data (parser, reply.body.data (),
                                               (gssize) reply.body.size (), nullptr),
                   "%s %s: the answer is not JSON: %s", req.method.c_str (), req.path.c_str (),
                   reply.body.c_str ());
    reply.json = json_node_copy (json_parser_get_root (parser));
    g_object_unref (parser);
  }
  if (doc)
    check_against_document (req, reply);
  return reply;
}

/* The answer's status must be documented for this path and method, and
 * its body fit that response's schema; an error (any 4xx or 5xx) is the
 * Error schema even where the path is none of the document's. */
void ApiClient::check_against_document (const ApiRequest &req, const ApiReply &reply)
{
  const std::string where = req.method + " " + req.path + " -> " + std::to_string (reply.status);
  std::string path = req.path.substr (0, req.path.find ('?'));
  const std::string prefix = "/api/v1";
  JsonNode *error_schema = member (member (member (doc, "components"), "schemas"), "Error");
  ck_assert (error_schema);
  std::string error;

  bool under = path.compare (0, prefix.size (), prefix) == 0;
  JsonNode *item = under ? path_item (doc, path.substr (prefix.size ())) : nullptr;
  gchar *lower = g_ascii_strdown (req.method.c_str (), -1);
  JsonNode *operation = member (item, lower);
  g_free (lower);
  if (!operation) {
    /* No such endpoint (404) or method (405): still the one error shape. */
    ck_assert_msg (reply.status == (item ? 405u : 404u), "%s: undocumented, and not %s",
                   where.c_str (), item ? "405" : "404");
    ck_assert_msg (reply.json, "%s: the error is not JSON", where.c_str ());
    ck_assert_msg (validate_schema (doc, error_schema, reply.json, "body", error), "%s: %s",
                   where.c_str (), error.c_str ());
    if (reply.status == 405)
      ck_assert_msg (!reply.allow.empty (), "%s: no Allow header", where.c_str ());
    validated++;
    return;
  }
  JsonNode *response = resolve (
      doc, member (member (operation, "responses"), std::to_string (reply.status).c_str ()));
  ck_assert_msg (response, "%s: the document has no such response for this operation (%s)",
                 where.c_str (), reply.body.substr (0, 200).c_str ());
  JsonNode *content = member (response, "content");
  if (!content) {
    ck_assert_msg (reply.body.empty (), "%s: a body where the document has none", where.c_str ());
    validated++;
    return;
  }
  if (member (content, "image/jpeg")) {
    ck_assert_msg (g_str_has_prefix (reply.content_type.c_str (), "image/jpeg"), "%s: %s",
                   where.c_str (), reply.content_type.c_str ());
    ck_assert_msg (reply.body.size () >= 2 && (guchar) reply.body[0] == 0xFF &&
                       (guchar) reply.body[1] == 0xD8,
                   "%s: not a JPEG", where.c_str ());
    validated++;
    return;
  }
  JsonNode *media = member (content, "application/json");
  ck_assert_msg (media && reply.json, "%s: JSON documented, \"%s\" answered", where.c_str (),
                 reply.content_type.c_str ());
  ck_assert_msg (validate_schema (doc, member (media, "schema"), reply.json, "body", error),
                 "%s: %s\n%s", where.c_str (), error.c_str (), reply.body.substr (0, 400).c_str ());
  JsonObject *headers = object_of (member (response, "headers"));
  if (headers && json_object_has_member (headers, "Allow"))
    ck_assert_msg (!reply.allow.empty (), "%s: no Allow header", where.c_str ());
  if (headers && json_object_has_member (headers, "WWW-Authenticate"))
    ck_assert_msg (!reply.www_authenticate.empty (), "%s: no WWW-Authenticate", where.c_str ());
  if (headers && json_object_has_member (headers, "Location"))
    ck_assert_msg (!reply.location.empty (), "%s: no Location", where.c_str ());
  validated++;
}

ApiReply ApiClient::get (const std::string &path, const char *key)
{
  ApiRequest req;
  req.path = path;
  req.key = key;
  return send (req);
}

ApiReply ApiClient::post (const std::string &path, const char *key, const std::string &body)
{
  ApiRequest req;
  req.method = "POST";
  req.path = path;
  req.key = key;
  req.body = body;
  req.send_body = true;
  return send (req);
}

ApiReply ApiClient::del (const std::string &path, const char *key)
{
  ApiRequest req;
  req.method = "DELETE";
  req.path = path;
  req.key = key;
  return send (req);
}

} // namespace gv::test
