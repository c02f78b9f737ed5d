/* The HTTP and WebSocket surface seen from a raw TCP socket, so every byte
 * is the test's own: methods, body limits, slow and idle clients,
 * connections per address, paths outside the web root, WebSocket frames
 * over the limit, and the JSON errors. */
#include "harness.h"

#include "gv_check.h"
#include <glib/gstdio.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace gv;
using namespace gv::test;

namespace {

guint16 port_of (const ServerProcess &server)
{
  const std::string &url = server.http_url ();
  return (guint16) atoi (url.c_str () + url.rfind (':') + 1);
}

/* A TCP connection to the server from `local_ip` (127.0.0.x). */
int raw_connect (const ServerProcess &server, const char *local_ip = "127.0.0.1")
{
  int fd = socket (AF_INET, SOCK_STREAM, 0);
  ck_assert_int_ge (fd, 0);
  sockaddr_in local{};
  local.sin_family = AF_INET;
  inet_pton (AF_INET, local_ip, &local.sin_addr);
  ck_assert_int_eq (bind (fd, (sockaddr *) &local, sizeof local), 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons (port_of (server));
  inet_pton (AF_INET, "127.0.0.1", &addr.sin_addr);
  ck_assert_int_eq (connect (fd, (sockaddr *) &addr, sizeof addr), 0);
  return fd;
}

void send_all (int fd, const std::string &data)
{
  for (size_t sent = 0; sent < data.size ();) {
    ssize_t n = send (fd, data.data () + sent, data.size () - sent, MSG_NOSIGNAL);
    if (n <= 0)
      return; /* the server closed: the caller looks at what came back */
    sent += (size_t) n;
  }
}

/* Reads until the server closes or `timeout_ms` of silence. */
std::string read_reply (int fd, int timeout_ms = 3000, bool *closed = nullptr)
{
  std::string out;
  char buf[4096];
  for (;;) {
    pollfd p{ fd, POLLIN, 0 };
    if (poll (&p, 1, timeout_ms) <= 0) {
      if (closed)
        *closed = false;
      return out;
    }
    ssize_t n = recv (fd, buf, sizeof buf, 0);
    if (n <= 0) {
      if (closed)
        *closed = true;
      return out;
    }
    out.append (buf, (size_t) n);
  }
}

/* How long until the server closes `fd` (sending nothing), in ms; -1 if it
 * is still open after `limit_ms`. */
gint64 ms_until_closed (int fd, int limit_ms)
{
  gint64 start = g_get_monotonic_time ();
  bool closed = false;
  std::string got = read_reply (fd, limit_ms, &closed);
  ck_assert_msg (got.empty (), "the server answered: %s", got.c_str ());
  return closed ? (g_get_monotonic_time () - start) / 1000 : -1;
}

guint status_of (const std::string &reply)
{
  return reply.size () > 12 ? (guint) atoi (reply.c_str () + 9) : 0;
}

std::string body_of (const std::string &reply)
{
  size_t at = reply.find ("\r\n\r\n");
  return at == std::string::npos ? "" : reply.substr (at + 4);
}

bool has_header (const std::string &reply, const std::string &line)
{
  std::string head = reply.substr (0, reply.find ("\r\n\r\n"));
  return g_strstr_len (head.c_str (), -1, ("\r\n" + line + "\r\n").c_str ()) ||
         g_str_has_suffix (head.c_str (), ("\r\n" + line).c_str ());
}

std::string exchange (const ServerProcess &server, const std::string &request)
{
  int fd = raw_connect (server);
  send_all (fd, request);
  std::string reply = read_reply (fd);
  close (fd);
  return reply;
}

std::string get (const ServerProcess &server, const std::string &path)
{
  return exchange (server, "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
}

/* The reply's body is {"code": code, "message": non-empty}. */
void assert_json_error (const std::string &reply, const char *code)
{
  ck_assert_msg (has_header (reply, "Content-Type: application/json"), "not JSON: %s",
                 reply.c_str ());
  JsonParser *parser = json_parser_new ();
  std::string body = body_of (reply);
  ck_assert_msg (json_parser_load_from_data (parser, body.c_str (), -1, nullptr), "%s",
                 body.c_str ());
  JsonObject *o = json_node_get_object (json_parser_get_root (parser));
  GV_ASSERT_STR_EQ (json_object_get_string_member (o, "code"), code);
  ck_assert (strlen (json_object_get_string_member (o, "message")) > 10);
  g_object_unref (parser);
}

/* A raw WebSocket handshake offering permessage-deflate; returns the
 * server's 101 response head. */
std::string ws_handshake (int fd)
{
  send_all (fd, "GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                "Sec-WebSocket-Version: 13\r\n"
                "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n");
  std::string head;
  char c;
  while (head.find ("\r\n\r\n") == std::string::npos && recv (fd, &c, 1, 0) == 1)
    head += c;
  return head;
}

/* The header of a masked client frame (the mask is zero: payload as is). */
std::string frame_header (guint8 first_byte, guint64 payload_len)
{
  std::string h (1, (char) first_byte);
  if (payload_len < 126) {
    h += (char) (0x80 | payload_len);
  } else if (payload_len <= 0xffff) {
    h += (char) (0x80 | 126);
    h += (char) (payload_len >> 8);
    h += (char) (payload_len & 0xff);
  } else {
    h += (char) (0x80 | 127);
    for (int shift = 56; shift >= 0; shift -= 8)
      h += (char) ((payload_len >> shift) & 0xff);
  }
  return h + std::string (4, '\0');
}

/* Reads frames until a close frame; returns its code (0: none came within
 * `timeout_ms`). */
int read_close_code (int fd, int timeout_ms)
{
  std::string got;
  gint64 deadline = g_get_monotonic_time () + timeout_ms * 1000;
  while (g_get_monotonic_time () < deadline) {
    for (size_t at = 0; at + 2 <= got.size ();) {
      guint8 opcode = (guint8) got[at] & 0x0f;
      size_t len = (guint8) got[at + 1] & 0x7f, head = 2;
      if (len == 126 && at + 4 <= got.size ()) {
        len = ((guint8) got[at + 2] << 8) | (guint8) got[at + 3];
        head = 4;
      }
      if (opcode == 0x8 && len >= 2 && at + head + 2 <= got.size ())
        return ((guint8) got[at + head] << 8) | (guint8) got[at + head + 1];
      at += head + len;
    }
    char buf[4096];
    pollfd p{ fd, POLLIN, 0 };
    if (poll (&p, 1, 100) <= 0)
      continue;
    ssize_t n = recv (fd, buf, sizeof buf, 0);
    if (n <= 0)
      return 0;
    got.append (buf, (size_t) n);
  }
  return 0;
}

/* Sockets the server process holds open. */
int open_sockets (const ServerProcess &server)
{
  gchar *dir_path = g_strdup_printf ("/proc/%d/fd", server.pid);
  GDir *dir = g_dir_open (dir_path, 0, nullptr);
  ck_assert (dir);
  int n = 0;
  while (const char *name = g_dir_read_name (dir)) {
    gchar *link = g_file_read_link ((std::string (dir_path) + "/" + name).c_str (), nullptr);
    if (link && g_str_has_prefix (link, "socket:"))
      n++;
    g_free (link);
  }
  g_dir_close (dir);
  g_free (dir_path);
  return n;
}

void assert_still_serving (const ServerProcess &server)
{
  ck_assert_uint_eq (status_of (get (server, "/healthz")), 200);
}

std::string make_web_root ()
{
  gchar *dir = g_dir_make_tmp ("gv-surface-XXXXXX", nullptr);
  std::string base (dir);
  g_free (dir);
  std::string root = base + "/web";
  for (const char *sub : { "", "/js", "/empty", "/files" })
    g_mkdir ((root + sub).c_str (), 0755);
  g_file_set_contents ((root + "/index.html").c_str (), "<!doctype html><title>GV</title>", -1,
                       nullptr);
  g_file_set_contents ((root + "/js/app.js").c_str (), "export const x = 1;\n", -1, nullptr);
  g_file_set_contents ((root + "/files/listed-name.txt").c_str (), "x", -1, nullptr);
  g_file_set_contents ((base + "/secret.txt").c_str (), "TOP-SECRET", -1, nullptr);
  ck_assert_int_eq (symlink ((base + "/secret.txt").c_str (), (root + "/escape.txt").c_str ()), 0);
  ck_assert_int_eq (symlink (base.c_str (), (root + "/up").c_str ()), 0);
  return root;
}

} // namespace

START_TEST (test_methods_and_json_errors)
{
  auto server = start_server ({ "--web-root", make_web_root () });
  for (const char *method : { "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE" }) {
    for (const char *path : { "/", "/healthz", "/js/app.js" }) {
      std::string reply = exchange (*server, std::string (method) + " " + path +
                                                 " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                                 "Content-Length: 0\r\n\r\n");
      ck_assert_msg (status_of (reply) == 405, "%s %s: %s", method, path, reply.c_str ());
      ck_assert_msg (has_header (reply, "Allow: GET, HEAD"), "%s", reply.c_str ());
      assert_json_error (reply, "METHOD_NOT_ALLOWED");
    }
  }
  std::string head = exchange (*server, "HEAD / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  ck_assert_uint_eq (status_of (head), 200);
  ck_assert (body_of (head).empty ());

  assert_json_error (get (*server, "/missing.html"), "NOT_FOUND");
  std::string ws = get (*server, "/ws");
  ck_assert_uint_eq (status_of (ws), 400);
  assert_json_error (ws, "NOT_WEBSOCKET");
}
END_TEST

START_TEST (test_no_way_out_of_the_web_root)
{
  auto server = start_server ({ "--web-root", make_web_root () });
  struct {
    const char *path;
    guint status;
    const char *code;
  } attempts[] = {
    { "/../secret.txt", 404, "NOT_FOUND" }, /* dot segments resolved first: /secret.txt */
    { "/js/../../secret.txt", 404, "NOT_FOUND" },
    { "/%2e%2e/secret.txt", 404, "NOT_FOUND" },
    { "/js/%2e%2e/%2E%2E/secret.txt", 404, "NOT_FOUND" },
    { "/..%2fsecret.txt", 400, "BAD_PATH" },
    { "/js%2F..%2F..%2Fsecret.txt", 400, "BAD_PATH" },
    { "/%252e%252e/secret.txt", 404, "NOT_FOUND" }, /* decoded once: a literal %2e%2e */
    { "/js/..%5c..%5csecret.txt", 400, "BAD_PATH" },
    { "/js\\..\\..\\secret.txt", 400, "BAD_PATH" },
    { "/%00index.html", 400, "BAD_PATH" },
    { "/index.html%00.js", 400, "BAD_PATH" },
    { "/escape.txt", 403, "FORBIDDEN" },    /* a symlink to a file outside */
    { "/up/secret.txt", 403, "FORBIDDEN" }, /* through a symlink to a folder outside */
    { "/.git/config", 403, "FORBIDDEN" },
    { "/files/", 404, "NOT_FOUND" }, /* a folder without index.html: no listing */
    { "/files", 404, "NOT_FOUND" },
    { "/empty/", 404, "NOT_FOUND" },
  };
  for (const auto &a : attempts) {
    std::string reply = get (*server, a.path);
    ck_assert_msg (reply.find ("TOP-SECRET") == std::string::npos, "%s leaked the file", a.path);
    ck_assert_msg (reply.find ("listed-name") == std::string::npos, "%s listed a folder", a.path);
    ck_assert_msg (status_of (reply) == a.status, "%s answered %u, not %u:\n%s", a.path,
                   status_of (reply), a.status, reply.c_str ());
    assert_json_error (reply, a.code);
  }
  ck_assert_uint_eq (status_of (get (*server, "/js/app.js")), 200);
  ck_assert_uint_eq (status_of (get (*server, "/js/./app.js")), 200);
}
END_TEST

START_TEST (test_request_body_limit)
{
  auto server = start_server ();
  std::string small =
      exchange (*server, "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\n" +
                             std::string (100, 'x'));
  ck_assert_uint_eq (status_of (small), 200);

  /* 32 MiB announced and sent: refused, and never held in memory. */
  const size_t big = 32 * 1024 * 1024;
  std::string reply = exchange (
      *server, "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: " + std::to_string (big) +
                   "\r\n\r\n" + std::string (big, 'x'));
  ck_assert_msg (status_of (reply) == 413, "%s", reply.c_str ());
  assert_json_error (reply, "PAYLOAD_TOO_LARGE");

  /* Chunked: no length up front, counted as it arrives. */
  std::string chunked = "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 40; i++)
    chunked += "400\r\n" + std::string (1024, 'y') + "\r\n";
  chunked += "0\r\n\r\n";
  reply = exchange (*server, chunked);
  ck_assert_msg (status_of (reply) == 413, "%s", reply.c_str ());
  assert_json_error (reply, "PAYLOAD_TOO_LARGE");

  gchar *status_file = g_strdup_printf ("/proc/%d/status", server->pid);
  gchar *status = nullptr;
  ck_assert (g_file_get_contents (status_file, &status, nullptr, nullptr));
  const char *hwm = strstr (status, "VmHWM:");
  ck_assert (hwm);
  long peak_kib = atol (hwm + 6);
  ck_assert_msg (peak_kib < 24 * 1024, "the server's memory peaked at %ld KiB", peak_kib);
  g_free (status);
  g_free (status_file);
  std::string metrics;
  http_request (server->http_url () + "/metrics", &metrics);
  ck_assert (metrics.find ("ghostview_http_too_large_total 2") != std::string::npos);
}
END_TEST

START_TEST (test_slow_and_idle_connections_closed)
{
  auto server = start_server ({ "--http-timeout", "2" });

  int idle = raw_connect (*server);
  gint64 ms = ms_until_closed (idle, 8000);
  ck_assert_msg (ms >= 1500 && ms <= 5000,
                 "an idle connection closed after %" G_GINT64_FORMAT " ms (timeout 2 s)", ms);
  close (idle);

  /* Headers a byte every 200 ms never complete within 2 s. */
  int slow = raw_connect (*server);
  std::string request = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: "
                        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n";
  gint64 start = g_get_monotonic_time ();
  bool closed = false;
  for (char c : request) {
    if (send (slow, &c, 1, MSG_NOSIGNAL) != 1) {
      closed = true;
      break;
    }
    std::string got = read_reply (slow, 200, &closed);
    ck_assert_msg (got.empty (), "answered a slow request: %s", got.c_str ());
    if (closed)
      break;
  }
  ms = (g_get_monotonic_time () - start) / 1000;
  ck_assert_msg (closed && ms <= 5000,
                 "byte-a-time headers still open after %" G_GINT64_FORMAT " ms", ms);
  close (slow);

  /* Over TLS the deadline starts at accept too: a client that never
   * finishes its handshake is closed like any. */
  std::string key;
  std::string cert = make_test_certificate (key);
  auto tls = start_server ({ "--http-timeout", "2", "--tls-cert", cert, "--tls-key", key });
  ck_assert (tls);
  int half_hello = raw_connect (*tls);
  send_all (half_hello, std::string ("\x16\x03\x01\x00\xff", 5)); /* a record header only */
  ms = ms_until_closed (half_hello, 8000);
  ck_assert_msg (ms >= 1500 && ms <= 5000,
                 "an unfinished TLS handshake closed after %" G_GINT64_FORMAT " ms", ms);
  close (half_hello);

  /* A WebSocket is not an HTTP request: it outlives the deadline. */
  auto ws = WsClient::connect (server->ws_url ());
  ck_assert (ws);
  spin (3000);
  ws->send (proto::make_ping ());
  ws->expect (proto::Type::Pong);
  assert_still_serving (*server);
  std::string metrics;
  http_request (server->http_url () + "/metrics", &metrics);
  ck_assert_msg (metrics.find ("ghostview_http_timeouts_total 2") != std::string::npos, "%s",
                 metrics.c_str ());
}
END_TEST

START_TEST (test_connections_per_address)
{
  auto server = start_server ({ "--max-connections-per-address", "3" });
  int held[3];
  for (int &fd : held)
    fd = raw_connect (*server);
  /* The idle connections are all open, so the fourth is closed at once. */
  int extra = raw_connect (*server);
  gint64 ms = ms_until_closed (extra, 2000);
  ck_assert_msg (ms >= 0 && ms < 1000, "the 4th connection from one address: %" G_GINT64_FORMAT,
                 ms);
  close (extra);
  for (int fd : held) {
    bool closed = true;
    read_reply (fd, 10, &closed);
    ck_assert_msg (!closed, "a connection within the bound was closed");
  }

  /* Another address is not affected; a WebSocket counts like any. */
  std::string other_reply;
  int other = raw_connect (*server, "127.0.0.2");
  send_all (other, "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  ck_assert_uint_eq (status_of (read_reply (other)), 200);
  close (other);
  auto ws = WsClient::connect (server->ws_url (), nullptr, "127.0.0.3");
  ck_assert (ws);
  int beside_ws[2];
  for (int &fd : beside_ws)
    fd = raw_connect (*server, "127.0.0.3");
  int over_ws = raw_connect (*server, "127.0.0.3");
  ck_assert_int_ge (ms_until_closed (over_ws, 2000), 0);
  close (over_ws);
  for (int fd : beside_ws)
    close (fd);

  /* Closed connections give their slots back. */
  for (int fd : held)
    close (fd);
  spin (300);
  for (int i = 0; i < 3; i++)
    ck_assert_uint_eq (status_of (get (*server, "/healthz")), 200);
  std::string metrics;
  http_request (server->http_url () + "/metrics", &metrics);
  ck_assert_msg (metrics.find ("ghostview_http_refused_total 2") != std::string::npos, "%s",
                 metrics.c_str ());
}
END_TEST

START_TEST (test_websocket_limits)
{
  auto server = start_server ();

  /* No compression: permessage-deflate would inflate without a bound. */
  int fd = raw_connect (*server);
  std::string head = ws_handshake (fd);
  ck_assert_msg (g_str_has_prefix (head.c_str (), "HTTP/1.1 101"), "%s", head.c_str ());
  ck_assert_msg (head.find ("permessage-deflate") == std::string::npos, "%s", head.c_str ());

  /* A message in fragments within the limit is one message. */
  std::string ping = proto::make_ping ();
  size_t half = ping.size () / 2;
  send_all (fd, frame_header (0x01, half) + ping.substr (0, half));
  send_all (fd, frame_header (0x80, ping.size () - half) + ping.substr (half));
  std::string reply;
  for (int i = 0; i < 20 && reply.find ("\"pong\"") == std::string::npos; i++)
    reply += read_reply (fd, 100);
  ck_assert_msg (reply.find ("\"pong\"") != std::string::npos, "no pong: %s", reply.c_str ());

  /* A frame announced over 1 MiB: closed with 1009 before its payload. */
  send_all (fd, frame_header (0x81, 2 * 1024 * 1024));
  ck_assert_int_eq (read_close_code (fd, 3000), SOUP_WEBSOCKET_CLOSE_TOO_BIG);
  close (fd);

  /* Fragments of 256 KiB each within the frame limit, until the message
   * passes 1 MiB: closed with 1009 too, and nothing past it is kept. */
  fd = raw_connect (*server);
  ws_handshake (fd);
  const std::string chunk (256 * 1024, 'x');
  send_all (fd, frame_header (0x01, chunk.size ()) + chunk);
  for (int i = 0; i < 4; i++)
    send_all (fd, frame_header (0x00, chunk.size ()) + chunk);
  ck_assert_int_eq (read_close_code (fd, 3000), SOUP_WEBSOCKET_CLOSE_TOO_BIG);
  close (fd);

  assert_still_serving (*server);
}
END_TEST

START_TEST (test_one_request_per_connection)
{
  auto server = start_server ();
  assert_still_serving (*server);
  spin (200);
  int before = open_sockets (*server);
  /* HTTP/1.1 keeps a connection by default; the server ends each after its
   * answer (libsoup 3.2 would leak one its client closes while idle). */
  for (int i = 0; i < 20; i++) {
    int fd = raw_connect (*server);
    send_all (fd, "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    bool closed = false;
    std::string reply = read_reply (fd, 2000, &closed);
    ck_assert_uint_eq (status_of (reply), 200);
    ck_assert_msg (has_header (reply, "Connection: close"), "%s", reply.c_str ());
    ck_assert_msg (closed, "the server kept the connection after its answer");
    close (fd);
  }
  spin (200);
  ck_assert_int_eq (open_sockets (*server), before);
}
END_TEST

static Suite *surface_suite ()
{
  Suite *s = suite_create ("server-surface");
  TCase *tc = tcase_create ("surface");
  tcase_set_timeout (tc, 30);
  tcase_add_test (tc, test_methods_and_json_errors);
  tcase_add_test (tc, test_no_way_out_of_the_web_root);
  tcase_add_test (tc, test_request_body_limit);
  tcase_add_test (tc, test_slow_and_idle_connections_closed);
  tcase_add_test (tc, test_connections_per_address);
  tcase_add_test (tc, test_websocket_limits);
  tcase_add_test (tc, test_one_request_per_connection);
  suite_add_tcase (s, tc);
  return s;
}

int main ()
{
  SRunner *sr = srunner_create (surface_suite ());
  srunner_run_all (sr, CK_NORMAL);
  int failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed == 0 ? 0 : 1;
}
