/* The session API (PROTOCOL.md, "Session API") against the real server over
 * real HTTP and WebSockets on 127.0.0.1: every endpoint with a good key, no
 * key, a wrong key and a key without the scope; bad JSON, oversized bodies,
 * unknown paths and methods; a kick and an end seen by real WebSocket
 * clients; a reservation claimed by a real host connection, and one that
 * expires. Every answer is checked against the server's own OpenAPI
 * document (api_client.h). */
#include "api_client.h"
#include "fallback_frame.h"
#include "harness.h"
#include "reservation_token.h"
#include "resume_token.h"

#include "gv_check.h"

#include <set>

using namespace gv;
using namespace gv::test;
using proto::ErrorCode;
using proto::Type;

namespace {

constexpr const char *kAdmin = "admin-key-0123";
constexpr const char *kReader = "reader-key-0123";
constexpr const char *kWriter = "writer-key-0123"; /* write without read */
constexpr const char *kWrong = "not-a-key-0123";

std::string sha256_hex (const char *key)
{
  gchar *hex = g_compute_checksum_for_string (G_CHECKSUM_SHA256, key, -1);
  std::string s = hex;
  g_free (hex);
  return s;
}

/* A key file of the keys above, in a fresh directory. */
std::string write_key_file ()
{
  gchar *dir = g_dir_make_tmp ("gv-api-XXXXXX", nullptr);
  std::string path = std::string (dir) + "/keys";
  g_free (dir);
  std::string text = "ops admin " + sha256_hex (kAdmin) + "\nreader read " + sha256_hex (kReader) +
                     "\nwriter write " + sha256_hex (kWriter) + "\n";
  ck_assert (g_file_set_contents (path.c_str (), text.c_str (), -1, nullptr));
  return path;
}

std::unique_ptr<ServerProcess> start_api_server ()
{
  auto server = start_server ({ "--api-keys", write_key_file () });
  ck_assert (server);
  return server;
}

/* A viewer that joined `pin` and waits for the host; its id in `peer`. */
std::unique_ptr<WsClient> join (ServerProcess &server, const std::string &pin, std::string &peer,
                                const char *name = "Ann")
{
  auto viewer = WsClient::connect (server.ws_url ());
  ck_assert (viewer);
  viewer->send (proto::make_join (pin, name));
  peer = proto::get_string (viewer->expect (Type::Waiting), "peer");
  ck_assert (!peer.empty ());
  return viewer;
}

std::string metrics_of (ServerProcess &server)
{
  std::string body;
  ck_assert_uint_eq (http_request (server.http_url () + "/metrics", &body), 200);
  return body;
}

/* The value of metric line `name` (with its labels), or -1. */
gint64 metric (const std::string &text, const std::string &name)
{
  std::size_t at = text.find ("\n" + name + " ");
  if (at == std::string::npos)
    return -1;
  return g_ascii_strtoll (text.c_str () + at + name.size () + 2, nullptr, 10);
}

void assert_contains (const std::string &s, const std::string &part)
{
  ck_assert_msg (s.find (part) != std::string::npos, "\"%s\" does not contain \"%s\"", s.c_str (),
                 part.c_str ());
}

/* The answers a request without a usable key, and with a key without the
 * scope, gets. */
void assert_refusals (ApiClient &api, ApiRequest req, const char *key_without_scope)
{
  req.key = nullptr;
  ApiReply none = api.send (req);
  ck_assert_uint_eq (none.status, 401);
  GV_ASSERT_STR_EQ (none.code (), "UNAUTHORIZED");
  assert_contains (none.www_authenticate, "Bearer");

  req.key = kWrong;
  ApiReply wrong = api.send (req);
  ck_assert_uint_eq (wrong.status, 401);
  GV_ASSERT_STR_EQ (wrong.code (), "UNAUTHORIZED");

  req.key = nullptr;
  req.authorization = "Basic b3BzOmFkbWlu";
  ApiReply basic = api.send (req);
  ck_assert_uint_eq (basic.status, 401);
  req.authorization = nullptr;

  req.key = key_without_scope;
  ApiReply forbidden = api.send (req);
  ck_assert_uint_eq (forbidden.status, 403);
  GV_ASSERT_STR_EQ (forbidden.code (), "FORBIDDEN");
}

ApiRequest request (const char *method, const std::string &path)
{
  ApiRequest r;
  r.method = method;
  r.path = path;
  return r;
}

/* A host registered on its own connection; its PIN in `pin`. */
std::unique_ptr<WsClient> host_session (ServerProcess &server, int max_viewers, std::string &pin,
                                        std::string *resume_token = nullptr)
{
  auto host = WsClient::connect (server.ws_url ());
  ck_assert (host);
  proto::Message reg = register_host (*host, max_viewers);
  pin = proto::get_string (reg, "pin");
  if (resume_token)
    *resume_token = proto::get_string (reg, "resume_token");
  return host;
}

} // namespace

START_TEST (test_reservation_token)
{
  const std::string key (signaling::kSessionKeyBytes, 'k');
  const std::string id = "0123456789abcdef0123456789abcdef";
  std::string token = signaling::make_reservation_token (key, id);
  auto back = signaling::verify_reservation_token (key, token);
  ck_assert (back);
  GV_ASSERT_STR_EQ (*back, id);
  ck_assert (!signaling::verify_reservation_token (std::string (key.size (), 'x'), token));
  for (gsize i = 0; i < token.size (); i++) {
    std::string t = token;
    t[i] = t[i] == '1' ? '2' : '1';
    ck_assert_msg (!signaling::verify_reservation_token (key, t), "changed at %zu verified", i);
  }
  ck_assert (!signaling::verify_reservation_token (key, token + ".0"));
  ck_assert (!signaling::verify_reservation_token (key, ""));
  ck_assert (!signaling::verify_reservation_token (key, std::string (5000, '.')));
  /* A resume token of the same session is no reservation. */
  signaling::ResumeClaim r;
  r.session = id;
  r.pin = "123456";
  r.expires_at = 1900000000;
  ck_assert (!signaling::verify_reservation_token (key, signaling::make_resume_token (key, r)));
}
END_TEST

START_TEST (test_every_endpoint_with_every_kind_of_key)
{
  auto server = start_api_server ();
  ApiClient api (server->http_url ());
  std::string pin;
  auto host = host_session (*server, 2, pin);
  std::string viewer_id;
  auto viewer = join (*server, pin, viewer_id);
  host->expect (Type::JoinRequest);
  const std::string session = "/api/v1/sessions/" + pin;

  /* GET /sessions: read. */
  assert_refusals (api, request ("GET", "/api/v1/sessions"), kWriter);
  ApiReply list = api.get ("/api/v1/sessions", kReader);
  ck_assert_uint_eq (list.status, 200);
  ck_assert_int_eq (list.num ("total"), 1);
  assert_contains (list.body, "\"pin\":\"" + pin + "\"");
  ck_assert_uint_eq (api.get ("/api/v1/sessions", kAdmin).status, 200);

  /* POST /sessions: write. */
  ApiRequest create = request ("POST", "/api/v1/sessions");
  create.body = "{}";
  create.send_body = true;
  assert_refusals (api, create, kReader);
  create.key = kWriter;
  ApiReply made = api.send (create);
  ck_assert_uint_eq (made.status, 201);
  GV_ASSERT_STR_EQ (made.location, "/api/v1/sessions/" + made.str ("pin", "session"));
  GV_ASSERT_STR_EQ (made.str ("state", "session"), "reserved");

  /* GET /sessions/{pin}: read. */
  assert_refusals (api, request ("GET", session), kWriter);
  ApiReply one = api.get (session, kReader);
  ck_assert_uint_eq (one.status, 200);
  GV_ASSERT_STR_EQ (one.str ("state"), "live");
  GV_ASSERT_STR_EQ (one.str ("host_address"), "127.0.0.1");
  ck_assert_int_eq (one.num ("viewers_pending"), 1);

  /* GET /sessions/{pin}/viewers: read. */
  assert_refusals (api, request ("GET", session + "/viewers"), kWriter);
  ApiReply viewers = api.get (session + "/viewers", kReader);
  ck_assert_uint_eq (viewers.status, 200);
  assert_contains (viewers.body, "\"id\":\"" + viewer_id + "\"");
  assert_contains (viewers.body, "\"state\":\"pending\"");

  /* GET /sessions/{pin}/snapshot.jpg: read; the host answers with a
   * picture. */
  assert_refusals (api, request ("GET", session + "/snapshot.jpg"), kWriter);
  bool answered = false;
  ApiRequest snapshot = request ("GET", session + "/snapshot.jpg");
  snapshot.key = kReader;
  ApiReply picture = api.send (snapshot, [&] () {
    if (answered)
      return;
    proto::Message m = host->next (1);
    if (m.type != Type::Snapshot)
      return;
    GV_ASSERT_STR_EQ (proto::get_string (m, "by"), "reader");
    static const guint8 jpeg[] = { 0xFF, 0xD8, 0xFF, 0xD9 };
    GBytes *frame =
        proto::make_fallback_frame (proto::get_string (m, "request"), 1, 2, 2, jpeg, sizeof jpeg);
    gsize len = 0;
    const char *data = static_cast<const char *> (g_bytes_get_data (frame, &len));
    host->send_bytes (std::string (data, len));
    g_bytes_unref (frame);
    answered = true;
  });
  ck_assert_uint_eq (picture.status, 200);
  ck_assert_uint_eq (picture.body.size (), 4);

  /* DELETE /sessions/{pin}/viewers/{id}: write. */
  assert_refusals (api, request ("DELETE", session + "/viewers/" + viewer_id), kReader);
  ck_assert_uint_eq (api.del (session + "/viewers/" + viewer_id, kWriter).status, 204);
  viewer->expect (Type::SessionEnded);

  /* DELETE /sessions/{pin}: write. */
  assert_refusals (api, request ("DELETE", session), kReader);
  ck_assert_uint_eq (api.del (session, kAdmin).status, 204);
  host->expect (Type::SessionEnded);

  /* The document itself needs no key, and ignores a wrong one. */
  ck_assert_uint_eq (api.get ("/api/v1/openapi.json", nullptr).status, 200);
  ck_assert_uint_eq (api.get ("/api/v1/openapi.json", kWrong).status, 200);

  /* Each answer above was checked against the document. */
  ck_assert_uint_ge (api.validated, 38);
}
END_TEST

START_TEST (test_bad_requests)
{
  auto server = start_api_server ();
  ApiClient api (server->http_url ());

  struct {
    const char *body;
    const char *says;
  } bad[] = {
    { "{\"max_viewers\": 2", "not valid JSON" },
    { "not json", "not valid JSON" },
    { "[1, 2]", "not a JSON object" },
    { "\"text\"", "not a JSON object" },
    { "{\"max_viewers\": 0}", "max_viewers" },
    { "{\"max_viewers\": 65}", "max_viewers" },
    { "{\"max_viewers\": 1.5}", "max_viewers" },
    { "{\"max_viewers\": \"2\"}", "max_viewers" },
    { "{\"ttl\": 5}", "ttl" },
    { "{\"ttl\": 86401}", "ttl" },
    { "{\"capabilities\": [\"fly\"]}", "capabilities" },
    { "{\"capabilities\": \"view\"}", "capabilities" },
    { "{\"label\": \"two\\nlines\"}", "label" },
    { "{\"label\": 7}", "label" },
    { "{\"pin\": \"123456\"}", "Unknown member \"pin\"" },
    { "[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]", "nests deeper" },
  };
  for (const auto &b : bad) {
    ApiReply r = api.post ("/api/v1/sessions", kAdmin, b.body);
    ck_assert_msg (r.status == 400, "%s -> %u", b.body, r.status);
    GV_ASSERT_STR_EQ (r.code (), "BAD_REQUEST");
    assert_contains (r.str ("message"), b.says);
  }
  /* None of them reserved anything. */
  ck_assert_int_eq (api.get ("/api/v1/sessions", kReader).num ("total"), 0);

  /* An empty body takes every default. */
  ApiReply plain = api.post ("/api/v1/sessions", kAdmin, "");
  ck_assert_uint_eq (plain.status, 201);
  ck_assert_int_eq (plain.num ("max_viewers", "session"), 1);

  /* Over 16 KiB: 413, announced or chunked. */
  std::string big = "{\"label\": \"" + std::string (17 * 1024, 'a') + "\"}";
  ApiReply announced = api.post ("/api/v1/sessions", kAdmin, big);
  ck_assert_uint_eq (announced.status, 413);
  GV_ASSERT_STR_EQ (announced.code (), "PAYLOAD_TOO_LARGE");
  ApiRequest chunked = request ("POST", "/api/v1/sessions");
  chunked.key = kAdmin;
  chunked.body = big;
  chunked.send_body = true;
  chunked.chunked = true;
  ApiReply streamed = api.send (chunked);
  ck_assert_uint_eq (streamed.status, 413);
  GV_ASSERT_STR_EQ (streamed.code (), "PAYLOAD_TOO_LARGE");
  /* Just under the limit is read, and refused for what it says. */
  std::string near = "{\"label\": \"" + std::string (16 * 1024 - 20, 'a') + "\"}";
  ck_assert_uint_eq (api.post ("/api/v1/sessions", kAdmin, near).status, 400);

  /* Unknown paths: 404 in JSON, with or without a key. */
  for (const char *path :
       { "/api/v1/nothing", "/api/v1/sessions/123456/nothing", "/api/v1/", "/api/v1/sessions/",
         "/api/v2/sessions", "/api/v1/sessions/1/viewers/a/b" }) {
    ApiReply r = api.get (path, kAdmin);
    ck_assert_msg (r.status == 404, "%s -> %u", path, r.status);
    GV_ASSERT_STR_EQ (r.code (), "NOT_FOUND");
  }
  /* Wrong methods: 405 with Allow. */
  struct {
    const char *method;
    const char *path;
    const char *allow;
  } wrong[] = {
    { "PUT", "/api/v1/sessions", "GET, POST" },
    { "DELETE", "/api/v1/sessions", "GET, POST" },
    { "POST", "/api/v1/sessions/123456", "GET, DELETE" },
    { "PATCH", "/api/v1/sessions/123456/viewers", "GET" },
    { "GET", "/api/v1/sessions/123456/viewers/abc", "DELETE" },
    { "POST", "/api/v1/sessions/123456/snapshot.jpg", "GET" },
    { "DELETE", "/api/v1/openapi.json", "GET" },
    { "GET", "/api/v1/sessions/123456/recordings", "POST" },
    { "DELETE", "/api/v1/recordings/rec-0123456789abcdef", "GET" },
  };
  for (const auto &w : wrong) {
    ApiRequest r = request (w.method, w.path);
    r.key = kAdmin;
    ApiReply reply = api.send (r);
    ck_assert_msg (reply.status == 405, "%s %s -> %u", w.method, w.path, reply.status);
    GV_ASSERT_STR_EQ (reply.allow, w.allow);
    GV_ASSERT_STR_EQ (reply.code (), "METHOD_NOT_ALLOWED");
  }

  /* The recorder pool needs --redis: said, with its code (the document's
   * schema checked by the client). signaling-cluster and cluster-recorders
   * cover it with Redis. */
  ApiReply pool = api.post ("/api/v1/sessions/123456/recordings", kAdmin, "");
  ck_assert_uint_eq (pool.status, 501);
  GV_ASSERT_STR_EQ (pool.code (), "RECORDER_POOL_UNAVAILABLE");
  assert_contains (pool.str ("message"), "--redis");
  ApiReply job = api.get ("/api/v1/recordings/rec-0123456789abcdef", kAdmin);
  ck_assert_uint_eq (job.status, 501);
  ck_assert_uint_eq (api.post ("/api/v1/sessions/123456/recordings", kReader, "").status, 403);
  ck_assert_uint_eq (api.get ("/api/v1/recordings", kAdmin).status, 501);
  /* Without a cluster the node list is this node alone. */
  ApiReply nodes = api.get ("/api/v1/nodes", kAdmin);
  ck_assert_uint_eq (nodes.status, 200);
  JsonArray *listed = json_object_get_array_member (json_node_get_object (nodes.json), "nodes");
  ck_assert_uint_eq (json_array_get_length (listed), 1);
  ck_assert (json_object_get_boolean_member (json_array_get_object_element (listed, 0), "self"));
  ck_assert_uint_eq (api.get ("/api/v1/nodes", kReader).status, 403);

  /* Sessions that do not exist, and PINs that are none. */
  for (const char *pin : { "000000", "12345", "abcdef", "1234567890" }) {
    ApiReply r = api.get (std::string ("/api/v1/sessions/") + pin, kReader);
    ck_assert_uint_eq (r.status, 404);
    GV_ASSERT_STR_EQ (r.code (), "SESSION_NOT_FOUND");
    ck_assert_uint_eq (api.del (std::string ("/api/v1/sessions/") + pin, kAdmin).status, 404);
    ck_assert_uint_eq (
        api.get (std::string ("/api/v1/sessions/") + pin + "/viewers", kAdmin).status, 404);
    ck_assert_uint_eq (
        api.get (std::string ("/api/v1/sessions/") + pin + "/snapshot.jpg", kAdmin).status, 404);
  }
  /* A reservation has no host to take a snapshot. */
  std::string reserved = plain.str ("pin", "session");
  ApiReply no_host = api.get ("/api/v1/sessions/" + reserved + "/snapshot.jpg", kReader);
  ck_assert_uint_eq (no_host.status, 404);
  assert_contains (no_host.str ("message"), "no host yet");
  /* A viewer that is not there. */
  ApiReply no_viewer = api.del ("/api/v1/sessions/" + reserved + "/viewers/abcdef", kAdmin);
  ck_assert_uint_eq (no_viewer.status, 404);
  GV_ASSERT_STR_EQ (no_viewer.code (), "VIEWER_NOT_FOUND");

  /* Query parameters: known ones in range only. */
  for (const char *q : { "?limit=0", "?limit=1001", "?limit=x", "?offset=-1", "?color=red" }) {
    ApiReply r = api.get (std::string ("/api/v1/sessions") + q, kReader);
    ck_assert_msg (r.status == 400, "%s -> %u", q, r.status);
    GV_ASSERT_STR_EQ (r.code (), "BAD_REQUEST");
  }
  ck_assert_uint_eq (api.get ("/api/v1/sessions/" + reserved + "?x=1", kReader).status, 400);
  ck_assert_uint_eq (api.del ("/api/v1/sessions/" + reserved + "?reason=a%0Ab", kAdmin).status,
                     400);
  ck_assert_uint_eq (
      api.del ("/api/v1/sessions/" + reserved + "?reason=" + std::string (300, 'r'), kAdmin).status,
      400);

  /* Pages. */
  ck_assert_uint_eq (api.post ("/api/v1/sessions", kAdmin, "{\"label\":\"second\"}").status, 201);
  ApiReply page = api.get ("/api/v1/sessions?limit=1&offset=1", kReader);
  ck_assert_int_eq (page.num ("total"), 2);
  assert_contains (page.body, "\"label\":\"second\"");
  ck_assert_msg (page.body.find (reserved) == std::string::npos, "%s", page.body.c_str ());

  /* Without --api-keys the API is off: 404, in JSON. */
  auto bare = start_server ();
  ck_assert (bare);
  std::string body;
  ck_assert_uint_eq (http_request (bare->http_url () + "/api/v1/sessions", &body), 404);
  assert_contains (body, "not enabled");
}
END_TEST

START_TEST (test_kick_is_seen_by_the_viewer)
{
  auto server = start_api_server ();
  ApiClient api (server->http_url ());
  std::string pin, ann, bob;
  auto host = host_session (*server, 2, pin);
  auto first = join (*server, pin, ann, "Ann");
  host->expect (Type::JoinRequest);
  host->send (proto::make_accept (ann, GV_CAPABILITY_VIEW | GV_CAPABILITY_CONTROL));
  first->expect (Type::Joined);
  auto second = join (*server, pin, bob, "Bob");
  host->expect (Type::JoinRequest);

  ApiReply viewers = api.get ("/api/v1/sessions/" + pin + "/viewers", kReader);
  ck_assert_uint_eq (viewers.status, 200);
  assert_contains (viewers.body, "{\"id\":\"" + ann +
                                     "\",\"name\":\"Ann\",\"address\":\"127.0.0.1\",\"state\":"
                                     "\"admitted\",\"capabilities\":[\"view\",\"control\"],"
                                     "\"joined_with\":\"pin\"}");
  assert_contains (viewers.body, "\"id\":\"" + bob + "\",\"name\":\"Bob\"");

  ck_assert_uint_eq (
      api.del ("/api/v1/sessions/" + pin + "/viewers/" + ann + "?reason=Time%20is%20up", kAdmin)
          .status,
      204);
  proto::Message ended = first->expect (Type::SessionEnded);
  GV_ASSERT_STR_EQ (proto::get_string (ended, "reason"), proto::kReasonRemoved);
  GV_ASSERT_STR_EQ (proto::get_string (ended, "message"),
                    "The session's operator removed you from the session: Time is up");
  proto::Message left = host->expect (Type::PeerLeft);
  GV_ASSERT_STR_EQ (proto::get_string (left, "peer"), ann);
  GV_ASSERT_STR_EQ (proto::get_string (left, "reason"), proto::kReasonRemoved);
  /* The viewer's connection stays open, without a role. */
  first->send (proto::make_sdp ("", "answer", "v=0"));
  first->expect_error (ErrorCode::NotAllowed);

  /* A pending viewer can be kicked too; without a reason the message ends
   * plainly. */
  ck_assert_uint_eq (api.del ("/api/v1/sessions/" + pin + "/viewers/" + bob, kWriter).status, 204);
  GV_ASSERT_STR_EQ (proto::get_string (second->expect (Type::SessionEnded), "message"),
                    "The session's operator removed you from the session.");
  host->expect (Type::PeerLeft);

  ApiReply none = api.get ("/api/v1/sessions/" + pin + "/viewers", kReader);
  GV_ASSERT_STR_EQ (none.body, "{\"viewers\":[]}");
  ck_assert_uint_eq (api.del ("/api/v1/sessions/" + pin + "/viewers/" + ann, kAdmin).status, 404);
  /* The session goes on. */
  ck_assert_uint_eq (api.get ("/api/v1/sessions/" + pin, kReader).status, 200);
}
END_TEST

START_TEST (test_end_is_seen_by_host_and_viewer)
{
  auto server = start_api_server ();
  ApiClient api (server->http_url ());
  std::string pin, resume, peer;
  auto host = host_session (*server, 1, pin, &resume);
  auto viewer = join (*server, pin, peer);
  host->expect (Type::JoinRequest);
  host->send (proto::make_accept (peer, GV_CAPABILITY_VIEW));
  viewer->expect (Type::Joined);

  ck_assert_uint_eq (api.del ("/api/v1/sessions/" + pin + "?reason=Closing%20time", kAdmin).status,
                     204);
  proto::Message to_viewer = viewer->expect (Type::SessionEnded);
  GV_ASSERT_STR_EQ (proto::get_string (to_viewer, "reason"), proto::kReasonHostEnded);
  GV_ASSERT_STR_EQ (proto::get_string (to_viewer, "message"),
                    "The session was ended by its operator: Closing time");
  proto::Message to_host = host->expect (Type::SessionEnded);
  GV_ASSERT_STR_EQ (proto::get_string (to_host, "reason"), proto::kReasonRemoved);
  GV_ASSERT_STR_EQ (proto::get_string (to_host, "message"),
                    "The session was ended through the session API: Closing time");

  ck_assert_uint_eq (api.get ("/api/v1/sessions/" + pin, kReader).status, 404);
  ck_assert_uint_eq (server->live_sessions (), 0);
  /* The host's connection stays, without a role (no more viewers of it). */
  ck_assert (host->is_open ());
  host->send (proto::make_end ());
  host->expect_error (ErrorCode::NotAllowed);
  /* Its resume token does not bring the session back. */
  auto again = WsClient::connect (server->ws_url ());
  proto::RegisterParams p;
  p.resume_token = resume;
  again->send (proto::make_register (p));
  assert_contains (again->expect_error (ErrorCode::ResumeRefused), "ended through the session API");
  /* The PIN finds nothing. */
  auto late = WsClient::connect (server->ws_url ());
  late->send (proto::make_join (pin, ""));
  late->expect_error (ErrorCode::PinInvalid);
}
END_TEST

START_TEST (test_reservation_is_claimed_by_a_host)
{
  auto server = start_api_server ();
  ApiClient api (server->http_url ());
  ApiReply made = api.post ("/api/v1/sessions", kWriter,
                            "{\"max_viewers\": 2, \"ttl\": 3600, \"label\": \"Support #42\", "
                            "\"capabilities\": [\"control\"]}");
  ck_assert_uint_eq (made.status, 201);
  std::string pin = made.str ("pin", "session");
  std::string token = made.str ("reservation_token");
  std::string invite = made.str ("token", "invite");
  gint64 expires = made.num ("expires_at", "session");
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  ck_assert_int_ge (expires, now + 3590);
  ck_assert_int_le (expires, now + 3601);
  ck_assert_int_eq (made.num ("expires_at", "invite"), expires);
  ck_assert_int_eq (made.num ("uses", "invite"), 2);
  GV_ASSERT_STR_EQ (made.str ("label", "session"), "Support #42");
  assert_contains (made.str ("url", "invite"), server->http_url () + "/?invite=" + invite);
  assert_contains (made.str ("viewer_url", "session"), "/?pin=" + pin);
  assert_contains (made.body, "\"capabilities\":[\"view\",\"control\"]");

  /* Viewers who come before the host wait: one with the PIN, one with the
   * invite link. */
  std::string early;
  auto first = join (*server, pin, early, "Early");
  auto second = WsClient::connect (server->ws_url ());
  second->send (proto::make_join_by_invite (invite, "Linked"));
  std::string linked = proto::get_string (second->expect (Type::Waiting), "peer");
  ApiReply waiting = api.get ("/api/v1/sessions/" + pin, kReader);
  GV_ASSERT_STR_EQ (waiting.str ("state"), "reserved");
  ck_assert_int_eq (waiting.num ("viewers_pending"), 2);

  /* A tampered token is refused; the connection may register afresh. */
  auto forger = WsClient::connect (server->ws_url ());
  proto::RegisterParams bad;
  bad.reservation = token.substr (0, token.size () - 1) + (token.back () == '0' ? "1" : "0");
  forger->send (proto::make_register (bad));
  assert_contains (forger->expect_error (ErrorCode::ResumeRefused), "does not verify");
  bad.reservation.clear ();
  forger->send (proto::make_register (bad));
  ck_assert (proto::get_string (forger->expect (Type::Registered), "pin") != pin);
  /* Both a resume token and a reservation: refused. */
  auto both = WsClient::connect (server->ws_url ());
  proto::RegisterParams two;
  two.reservation = token;
  two.resume_token = "v1.x";
  both->send (proto::make_register (two));
  both->expect_error (ErrorCode::BadMessage);

  /* The host claims it: the reserved PIN, and it is asked about both. */
  auto host = WsClient::connect (server->ws_url ());
  proto::RegisterParams claim;
  claim.reservation = token;
  host->send (proto::make_register (claim));
  proto::Message reg = host->expect (Type::Registered);
  GV_ASSERT_STR_EQ (proto::get_string (reg, "pin"), pin);
  ck_assert_int_eq (proto::get_int (reg, "expires_at"), expires);
  ck_assert_int_eq (proto::get_int (reg, "max_viewers"), 2);
  std::set<std::string> asked;
  proto::Message r1 = host->expect (Type::JoinRequest);
  proto::Message r2 = host->expect (Type::JoinRequest);
  asked.insert (proto::get_string (r1, "peer"));
  asked.insert (proto::get_string (r2, "peer"));
  ck_assert (asked.count (early) && asked.count (linked));
  host->send (proto::make_accept (early, GV_CAPABILITY_VIEW));
  first->expect (Type::Joined);
  host->send (proto::make_accept (linked, GV_CAPABILITY_VIEW | GV_CAPABILITY_CONTROL));
  ck_assert_uint_eq (proto::get_capabilities (second->expect (Type::Joined)),
                     GV_CAPABILITY_VIEW | GV_CAPABILITY_CONTROL);

  ApiReply live = api.get ("/api/v1/sessions/" + pin, kReader);
  GV_ASSERT_STR_EQ (live.str ("state"), "live");
  GV_ASSERT_STR_EQ (live.str ("host_address"), "127.0.0.1");
  ck_assert_int_eq (live.num ("viewers_admitted"), 2);
  GV_ASSERT_STR_EQ (live.str ("label"), "Support #42");

  /* A second claim of the same reservation is refused. */
  auto thief = WsClient::connect (server->ws_url ());
  thief->send (proto::make_register (claim));
  assert_contains (thief->expect_error (ErrorCode::ResumeRefused), "already claimed");

  std::string m = metrics_of (*server);
  ck_assert_int_eq (metric (m, "ghostview_reservations_total{outcome=\"made\"}"), 1);
  ck_assert_int_eq (metric (m, "ghostview_reservations_total{outcome=\"claimed\"}"), 1);

  /* When the host leaves, the session ends as any other. */
  host.reset ();
  GV_ASSERT_STR_EQ (proto::get_string (first->expect (Type::SessionEnded), "reason"),
                    proto::kReasonHostDisconnected);
  auto after = WsClient::connect (server->ws_url ());
  after->send (proto::make_register (claim));
  assert_contains (after->expect_error (ErrorCode::ResumeRefused), "expired or was ended");
}
END_TEST

START_TEST (test_unclaimed_reservation_expires)
{
  auto server = start_api_server ();
  ApiClient api (server->http_url ());
  ApiReply made = api.post ("/api/v1/sessions", kAdmin, "{\"ttl\": 10}");
  ck_assert_uint_eq (made.status, 201);
  std::string pin = made.str ("pin", "session");
  std::string peer;
  auto viewer = join (*server, pin, peer);
  /* No host comes: the viewer is told, the PIN is free again. */
  proto::Message ended = viewer->expect (Type::SessionEnded, 14000);
  GV_ASSERT_STR_EQ (proto::get_string (ended, "reason"), proto::kReasonHostDisconnected);
  assert_contains (proto::get_string (ended, "message"), "reservation expired");
  ck_assert_uint_eq (api.get ("/api/v1/sessions/" + pin, kReader).status, 404);
  auto host = WsClient::connect (server->ws_url ());
  proto::RegisterParams claim;
  claim.reservation = made.str ("reservation_token");
  host->send (proto::make_register (claim));
  assert_contains (host->expect_error (ErrorCode::ResumeRefused), "expired");
  ck_assert_int_eq (
      metric (metrics_of (*server), "ghostview_reservations_total{outcome=\"expired\"}"), 1);
}
END_TEST

START_TEST (test_metrics_and_rate_limit)
{
  auto server = start_api_server ();
  ApiClient api (server->http_url ());
  ck_assert_uint_eq (api.get ("/api/v1/sessions", kReader).status, 200);
  ck_assert_uint_eq (api.get ("/api/v1/sessions", nullptr).status, 401);
  ck_assert_uint_eq (api.post ("/api/v1/sessions", kReader, "{}").status, 403);
  ck_assert_uint_eq (api.post ("/api/v1/sessions", kAdmin, "{").status, 400);
  ck_assert_uint_eq (api.get ("/api/v1/nothing", kAdmin).status, 404);

  /* One key's burst is 60: a run of requests is cut off with 429, and
   * another key is not. */
  guint limited = 0;
  for (int i = 0; i < 75; i++) {
    ApiReply r = api.get ("/api/v1/sessions", kReader);
    if (r.status == 429) {
      GV_ASSERT_STR_EQ (r.code (), "RATE_LIMITED");
      limited++;
    }
  }
  ck_assert_uint_ge (limited, 1);
  ck_assert_uint_eq (api.get ("/api/v1/sessions", kAdmin).status, 200);

  std::string m = metrics_of (*server);
  /* (The client's own fetch of openapi.json counts too.) */
  ck_assert_int_eq (
      metric (m, "ghostview_api_requests_total{endpoint=\"getOpenApi\",outcome=\"ok\"}"), 1);
  ck_assert_int_ge (
      metric (m, "ghostview_api_requests_total{endpoint=\"listSessions\",outcome=\"ok\"}"), 2);
  ck_assert_int_eq (
      metric (m,
              "ghostview_api_requests_total{endpoint=\"listSessions\",outcome=\"UNAUTHORIZED\"}"),
      1);
  ck_assert_int_eq (
      metric (m, "ghostview_api_requests_total{endpoint=\"createSession\",outcome=\"FORBIDDEN\"}"),
      1);
  ck_assert_int_eq (
      metric (m,
              "ghostview_api_requests_total{endpoint=\"createSession\",outcome=\"BAD_REQUEST\"}"),
      1);
  ck_assert_int_eq (
      metric (m, "ghostview_api_requests_total{endpoint=\"unknown\",outcome=\"NOT_FOUND\"}"), 1);
  ck_assert_int_eq (
      metric (m,
              "ghostview_api_requests_total{endpoint=\"listSessions\",outcome=\"RATE_LIMITED\"}"),
      limited);
  ck_assert_int_eq (metric (m, "ghostview_rate_limited_total{limit=\"api\"}"), limited);
}
END_TEST

START_TEST (test_openapi_document)
{
  auto server = start_api_server ();
  ApiClient api (server->http_url ());
  /* Every operation the server routes is in the document, and no other. */
  std::set<std::string> ids;
  JsonObject *paths = json_object_get_object_member (json_node_get_object (api.doc), "paths");
  GList *names = json_object_get_members (paths);
  for (GList *l = names; l; l = l->next) {
    JsonObject *item = json_object_get_object_member (paths, static_cast<const char *> (l->data));
    for (const char *method : { "get", "post", "delete", "put", "patch" })
      if (json_object_has_member (item, method))
        ids.insert (json_object_get_string_member (json_object_get_object_member (item, method),
                                                   "operationId"));
  }
  g_list_free (names);
  const std::set<std::string> routed = { "getOpenApi",      "listSessions", "createSession",
                                         "getSession",      "endSession",   "listViewers",
                                         "kickViewer",      "getSnapshot",  "getNode",
                                         "createRecording", "getRecording", "listNodes",
                                         "listRecordings" };
  ck_assert_msg (ids == routed, "the document's operations differ from the server's");

  /* The validator is not blind: it refuses what the schemas rule out. */
  JsonNode *session = json_from_string ("{\"$ref\": \"#/components/schemas/Session\"}", nullptr);
  ApiReply made = api.post ("/api/v1/sessions", kAdmin, "{}");
  JsonNode *good = json_object_get_member (json_node_get_object (made.json), "session");
  std::string error;
  ck_assert_msg (validate_schema (api.doc, session, good, "session", error), "%s", error.c_str ());
  for (const char *change :
       { "{\"pin\": 123456}", "{\"pin\": \"12345\"}", "{\"state\": \"asleep\"}",
         "{\"extra\": true}", "{\"host_address\": 7}", "{\"max_viewers\": 65}" }) {
    JsonNode *bad = json_node_copy (good);
    JsonNode *patch = json_from_string (change, nullptr);
    JsonObject *p = json_node_get_object (patch);
    GList *members = json_object_get_members (p);
    for (GList *l = members; l; l = l->next)
      json_object_set_member (
          json_node_get_object (bad), static_cast<const char *> (l->data),
          json_node_copy (json_object_get_member (p, static_cast<const char *> (l->data))));
    g_list_free (members);
    ck_assert_msg (!validate_schema (api.doc, session, bad, "session", error), "accepted %s",
                   change);
    json_node_unref (patch);
    json_node_unref (bad);
  }
  JsonNode *missing = json_node_copy (good);
  json_object_remove_member (json_node_get_object (missing), "pin");
  ck_assert (!validate_schema (api.doc, session, missing, "session", error));
  assert_contains (error, "lacks the required \"pin\"");
  json_node_unref (missing);
  json_node_unref (session);
}
END_TEST

START_TEST (test_node_and_sessions_with_viewers)
{
  auto server = start_api_server ();
  ApiClient api (server->http_url ());

  /* GET /node: admin only; read and write keys are refused with the scope
   * named. */
  assert_refusals (api, request ("GET", "/api/v1/node"), kReader);
  ApiReply writer = api.get ("/api/v1/node", kWriter);
  ck_assert_uint_eq (writer.status, 403);
  assert_contains (writer.str ("message"), "admin");
  ApiReply idle = api.get ("/api/v1/node", kAdmin);
  ck_assert_uint_eq (idle.status, 200);
  GV_ASSERT_STR_EQ (idle.str ("node"), g_get_host_name ());
  ck_assert_int_eq (idle.num ("sessions"), 0);
  ck_assert_int_eq (idle.num ("connections"), 0);
  ck_assert_int_gt (idle.num ("rss_bytes"), 1024 * 1024);
  ck_assert_int_ge (idle.num ("uptime_s"), 0);
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  ck_assert_int_le (idle.num ("started_at"), now);
  ck_assert_int_ge (idle.num ("started_at"), now - 60);
  assert_contains (idle.body, "\"recorder_pool\":false");

  /* A live session with a viewer, and a reservation: counted apart. */
  auto host = WsClient::connect (server->ws_url ());
  ck_assert (host);
  proto::Message reg = register_host (*host, 2);
  std::string pin = proto::get_string (reg, "pin");
  std::string host_peer = proto::get_string (reg, "peer");
  std::string viewer_id;
  auto viewer = join (*server, pin, viewer_id, "Vera");
  host->expect (Type::JoinRequest);
  ck_assert_uint_eq (api.post ("/api/v1/sessions", kAdmin, "{\"label\":\"later\"}").status, 201);
  ApiReply busy = api.get ("/api/v1/node", kAdmin);
  ck_assert_int_eq (busy.num ("sessions"), 2);
  ck_assert_int_eq (busy.num ("sessions_live"), 1);
  ck_assert_int_eq (busy.num ("sessions_reserved"), 1);
  ck_assert_int_eq (busy.num ("viewers"), 1);
  ck_assert_int_eq (busy.num ("connections"), 2);

  /* Each session names its node and its host's peer (null while
   * reserved); with include=viewers, its viewers too. */
  ApiReply one = api.get ("/api/v1/sessions/" + pin, kReader);
  GV_ASSERT_STR_EQ (one.str ("host_peer"), host_peer);
  GV_ASSERT_STR_EQ (one.str ("node"), g_get_host_name ());
  ApiReply plain = api.get ("/api/v1/sessions", kReader);
  ck_assert_msg (plain.body.find ("\"viewers\":") == std::string::npos, "%s", plain.body.c_str ());
  assert_contains (plain.body, "\"host_peer\":null");
  ApiReply full = api.get ("/api/v1/sessions?include=viewers", kReader);
  ck_assert_uint_eq (full.status, 200);
  assert_contains (full.body, "\"viewers\":[{\"id\":\"" + viewer_id +
                                  "\",\"name\":\"Vera\",\"address\":\"127.0.0.1\",\"state\":"
                                  "\"pending\"");
  assert_contains (full.body, "\"viewers\":[]"); /* the reservation's */
  ApiReply bad = api.get ("/api/v1/sessions?include=hosts", kReader);
  ck_assert_uint_eq (bad.status, 400);
  assert_contains (bad.str ("message"), "include");

  /* The node takes no query and only GET. */
  ck_assert_uint_eq (api.get ("/api/v1/node?x=1", kAdmin).status, 400);
  ApiRequest post = request ("POST", "/api/v1/node");
  post.key = kAdmin;
  ApiReply wrong = api.send (post);
  ck_assert_uint_eq (wrong.status, 405);
  GV_ASSERT_STR_EQ (wrong.allow, "GET");

  /* Gone with its host: the node says so. */
  host.reset ();
  viewer->expect (Type::SessionEnded);
  ApiReply after = api.get ("/api/v1/node", kAdmin);
  ck_assert_int_eq (after.num ("sessions_live"), 0);
  ck_assert_int_eq (after.num ("viewers"), 0);
  ck_assert_int_eq (metric (metrics_of (*server),
                            "ghostview_api_requests_total{endpoint=\"getNode\",outcome=\"ok\"}"),
                    3);
}
END_TEST

static Suite *api_suite ()
{
  Suite *s = suite_create ("server-api");
  TCase *tc = tcase_create ("api");
  tcase_set_timeout (tc, 60);
  tcase_add_test (tc, test_reservation_token);
  tcase_add_test (tc, test_every_endpoint_with_every_kind_of_key);
  tcase_add_test (tc, test_bad_requests);
  tcase_add_test (tc, test_kick_is_seen_by_the_viewer);
  tcase_add_test (tc, test_end_is_seen_by_host_and_viewer);
  tcase_add_test (tc, test_reservation_is_claimed_by_a_host);
  tcase_add_test (tc, test_unclaimed_reservation_expires);
  tcase_add_test (tc, test_metrics_and_rate_limit);
  tcase_add_test (tc, test_openapi_document);
  tcase_add_test (tc, test_node_and_sessions_with_viewers);
  suite_add_tcase (s, tc);
  return s;
}

int main ()
{
  SRunner *sr = srunner_create (api_suite ());
  srunner_run_all (sr, CK_NORMAL);
  int failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed == 0 ? 0 : 1;
}
