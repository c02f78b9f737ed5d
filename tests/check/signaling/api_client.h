/* A client of the session API for tests: HTTP requests with a key and a
 * body (asynchronous, so WebSocket clients on this thread keep working while
 * one waits), and a validator that checks every answer against the
 * server's own OpenAPI document: its status is documented for that path and
 * method, and its body fits the schema (the JSON-schema subset that
 * openapi.json uses; an unknown keyword fails, so the document cannot drift
 * into what is not checked). */
#pragma once

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include <functional>
#include <string>

namespace gv::test {

struct ApiReply {
  guint status = 0;
  std::string body;
  std::string content_type;
  std::string allow;
  std::string www_authenticate;
  std::string location;
  JsonNode *json = nullptr; /* the body parsed, when it is JSON */

  ApiReply () = default;
  ApiReply (const ApiReply &) = delete;
  ApiReply &operator= (const ApiReply &) = delete;
  ApiReply (ApiReply &&other) noexcept;
  ApiReply &operator= (ApiReply &&other) noexcept;
  ~ApiReply ();

  /* Members of the JSON object body (or of `json_path`'s object, e.g.
   * "session"); "" / -1 when missing. */
  std::string str (const char *member, const char *object = nullptr) const;
  gint64 num (const char *member, const char *object = nullptr) const;
  /* The error's code ({"code", "message"}); "" when the body is none. */
  std::string code () const { return str ("code"); }
};

struct ApiRequest {
  std::string method = "GET";
  std::string path;                    /* under the server, e.g. "/api/v1/sessions" */
  const char *key = nullptr;           /* Authorization: Bearer KEY */
  const char *authorization = nullptr; /* the whole header instead */
  std::string body;
  bool send_body = false;
  bool chunked = false;
};

class ApiClient {
public:
  /* `base` is the server's http URL. Loads /api/v1/openapi.json from it
   * (failing the test if it is missing or not OpenAPI 3). */
  explicit ApiClient (const std::string &base);
  ~ApiClient ();
  ApiClient (const ApiClient &) = delete;
  ApiClient &operator= (const ApiClient &) = delete;

  /* Sends the request and waits (iterating this thread's main context,
   * and calling `while_waiting` each round when set) for the answer, which
   * is checked against the document: a failure fails the test. */
  ApiReply send (const ApiRequest &req, const std::function<void ()> &while_waiting = nullptr);
  ApiReply get (const std::string &path, const char *key);
  ApiReply post (const std::string &path, const char *key, const std::string &body);
  ApiReply del (const std::string &path, const char *key);

  /* How many answers were checked against a schema. */
  guint validated = 0;
  /* The document's operationIds, path templates and methods, in order. */
  JsonNode *doc = nullptr;

private:
  void check_against_document (const ApiRequest &req, const ApiReply &reply);
  std::string base_;
  SoupSession *session_ = nullptr;
};

/* Validates `value` against `schema` (resolving "$ref" within `doc`);
 * false with the first problem in `error`. */
bool validate_schema (JsonNode *doc, JsonNode *schema, JsonNode *value, const std::string &where,
                      std::string &error);

} // namespace gv::test
