/* The fallback (signaling/PROTOCOL.md, "Fallback"), through the real
 * signalling server: a viewer whose peer connection does not connect (here
 * it never answers the offer) asks a real gvwebrtcsink for pictures over
 * its WebSocket, gets JPEG stills that decode at the expected size, never
 * more than the host lets be unacknowledged, sends mouse input back that
 * reaches upstream of the sink as a navigation event, and stops. Refusals:
 * a host with the fallback off says why; the server refuses input from a
 * viewer without control and binary messages from viewers, and drops
 * pictures beyond its in-flight limit. The same pictures answer the
 * session API's snapshot (GET /api/v1/sessions/{pin}/snapshot.jpg with an
 * API key), only where the host allows it. The browser side:
 * tests/browser/38-viewer-fallback. */
#include "bare_viewer.h"
#include "webrtc_harness.h"

#include "fallback_frame.h"
#include "protocol.h"

#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <glib/gstdio.h>

#include <mutex>
#include <string>
#include <vector>

using namespace gvtest;
namespace proto = gv::proto;

static const int kTimeoutMs = 20000;

/* A wide input: the pictures come at most 1280 wide, same aspect. */
static std::string fallback_host (const std::string &url, const std::string &extra)
{
  return "videotestsrc is-live=true ! "
         "video/x-raw,format=I420,width=1440,height=360,framerate=30/1 ! identity name=up ! "
         "gvwebrtcsink name=host ice-loopback=true signaller::server=" +
         url + " " + extra;
}

/* Element messages of the host's bus, serialised. */
struct BusLog {
  std::mutex lock;
  std::vector<std::string> messages;
  bool has (const std::string &part)
  {
    std::lock_guard<std::mutex> guard (lock);
    for (const auto &m : messages)
      if (m.find (part) != std::string::npos)
        return true;
    return false;
  }
  void attach (Pipeline &host)
  {
    GstBus *bus = gst_element_get_bus (host.pipeline);
    gst_bus_set_sync_handler (
        bus,
        [] (GstBus *, GstMessage *msg, gpointer data) {
          const GstStructure *s = gst_message_get_structure (msg);
          if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ELEMENT && s) {
            gchar *text = gst_structure_to_string (s);
            auto *log = static_cast<BusLog *> (data);
            std::lock_guard<std::mutex> guard (log->lock);
            log->messages.emplace_back (text);
            g_free (text);
          }
          return GST_BUS_PASS;
        },
        this, nullptr);
    gst_object_unref (bus);
  }
};

/* Decodes a JPEG with jpegdec; its width and height (0 if it did not
 * decode). */
static void decode_jpeg (const guint8 *data, gsize size, int &width, int &height)
{
  width = height = 0;
  GstHarness *h = gst_harness_new_parse ("jpegdec");
  gst_harness_set_src_caps_str (h, "image/jpeg");
  GstBuffer *in = gst_buffer_new_memdup (data, size);
  fail_unless_equals_int (gst_harness_push (h, in), GST_FLOW_OK);
  GstBuffer *out = gst_harness_try_pull (h);
  if (out) {
    GstCaps *caps = gst_pad_get_current_caps (h->sinkpad);
    GstStructure *s = gst_caps_get_structure (caps, 0);
    gst_structure_get_int (s, "width", &width);
    gst_structure_get_int (s, "height", &height);
    gst_caps_unref (caps);
    gst_buffer_unref (out);
  }
  gst_harness_teardown (h);
}

/* The viewer's next picture, parsed and checked; its frame number. */
static guint32 take_picture (BareViewer &viewer, bool decode)
{
  fail_unless (viewer.wait_binary (kTimeoutMs), "no fallback picture");
  std::string bytes = std::move (viewer.binary.front ());
  viewer.binary.pop_front ();
  proto::FallbackFrame frame;
  std::string why;
  fail_unless (proto::parse_fallback_frame (reinterpret_cast<const guint8 *> (bytes.data ()),
                                            bytes.size (), frame, why),
               "not a picture message: %s", why.c_str ());
  fail_unless (frame.peer.empty (), "the server passed the viewer's own id on: %s",
               frame.peer.c_str ());
  fail_unless_equals_int (frame.width, 1280);
  fail_unless_equals_int (frame.height, 320);
  if (decode) {
    int w = 0, h = 0;
    decode_jpeg (frame.jpeg, frame.jpeg_size, w, h);
    fail_unless_equals_int (w, 1280);
    fail_unless_equals_int (h, 320);
  }
  return frame.frame;
}

static guint64 stats_uint64 (Pipeline &host, const char *field)
{
  GstStructure *stats = nullptr;
  g_object_get (host.get ("host"), "stats", &stats, nullptr);
  guint64 v = 0;
  guint u = 0;
  if (!gst_structure_get_uint64 (stats, field, &v) && gst_structure_get_uint (stats, field, &u))
    v = u;
  gst_structure_free (stats);
  return v;
}

GST_START_TEST (test_pictures_and_input)
{
  TestServer server;
  BusLog log;
  Pipeline host (fallback_host (server.ws_url (), "allow-control=true fallback-pictures=10"));
  log.attach (host);
  UpstreamCatcher upstream;
  GstPad *up = gst_element_get_static_pad (host.get ("up"), "src");
  upstream.attach (up);
  gst_object_unref (up);
  host.play ();
  fail_unless (wait_for_pin (host), "no PIN: %s", host.error.c_str ());

  BareViewer viewer (server.ws_url ());
  viewer.send (proto::make_join (host.pin, "Bob"));
  fail_unless (viewer.expect (proto::Type::Joined).type == proto::Type::Joined, "not admitted");
  /* The offer stays unanswered: this peer connection never connects. */
  fail_unless (viewer.expect (proto::Type::Sdp).type == proto::Type::Sdp, "no offer");

  viewer.send (proto::make_fallback ("", proto::kFallbackStart));
  guint32 first_picture = take_picture (viewer, true);
  fail_unless_equals_int (first_picture, 1);
  fail_unless (
      wait_until ([&] { return log.has ("gvwebrtcsink-viewer-fallback"); }, kTimeoutMs, &host));
  fail_unless (log.has ("active=(boolean)true"));

  /* Nothing acknowledged: the host stops at two pictures. */
  fail_unless (viewer.wait_binary (kTimeoutMs), "no second picture");
  viewer.spin (1500);
  fail_unless_equals_int ((int) viewer.binary.size (), 1);
  guint32 second = take_picture (viewer, false);
  fail_unless_equals_int (second, 2);

  /* Acknowledged pictures keep them coming, numbered in order. */
  guint32 last = second;
  viewer.send (proto::make_fallback ("", proto::kFallbackAck, first_picture));
  viewer.send (proto::make_fallback ("", proto::kFallbackAck, second));
  for (int i = 0; i < 6; i++) {
    guint32 next = take_picture (viewer, i == 5);
    fail_unless (next == last + 1, "picture %u after %u", next, last);
    last = next;
    viewer.send (proto::make_fallback ("", proto::kFallbackAck, next));
  }
  fail_unless (stats_uint64 (host, "fallback-viewers") == 1);
  fail_unless (stats_uint64 (host, "fallback-pictures") >= 8);

  /* Input over the socket: a pointer move at the middle, a quarter down,
   * upstream in the input's pixels. */
  JsonArray *events = json_array_new ();
  JsonObject *move = json_object_new ();
  json_object_set_string_member (move, "t", "mm");
  json_object_set_double_member (move, "x", 0.5);
  json_object_set_double_member (move, "y", 0.25);
  json_array_add_object_element (events, move);
  viewer.send (proto::make_input ("", events));
  json_array_unref (events);
  fail_unless (wait_until (
                   [&] {
                     std::lock_guard<std::mutex> guard (upstream.lock);
                     return upstream.navigation > 0;
                   },
                   kTimeoutMs, &host),
               "the input did not reach upstream");
  {
    std::lock_guard<std::mutex> guard (upstream.lock);
    fail_unless_equals_string (upstream.last_type.c_str (), "mouse-move");
    fail_unless (G_APPROX_VALUE (upstream.last_x, 720.0, 1.0), "x %f", upstream.last_x);
    fail_unless (G_APPROX_VALUE (upstream.last_y, 90.0, 1.0), "y %f", upstream.last_y);
  }

  /* Stop: no more pictures (one already under way may still land). */
  viewer.send (proto::make_fallback ("", proto::kFallbackStop));
  fail_unless (wait_until ([&] { return log.has ("active=(boolean)false"); }, kTimeoutMs, &host),
               "no message that the viewer left the fallback");
  viewer.spin (300);
  viewer.binary.clear ();
  viewer.spin (1000);
  fail_unless_equals_int ((int) viewer.binary.size (), 0);
  fail_unless (stats_uint64 (host, "fallback-viewers") == 0);
  fail_unless (host.error.empty (), "%s", host.error.c_str ());
}
GST_END_TEST;

GST_START_TEST (test_refusals)
{
  TestServer server;
  Pipeline host (fallback_host (server.ws_url (), "fallback-pictures=0"));
  host.play ();
  fail_unless (wait_for_pin (host), "no PIN: %s", host.error.c_str ());
  BareViewer viewer (server.ws_url ());
  viewer.send (proto::make_join (host.pin, "Eve"));
  fail_unless (viewer.expect (proto::Type::Joined).type == proto::Type::Joined, "not admitted");

  /* The host's fallback is off: it says so. */
  viewer.send (proto::make_fallback ("", proto::kFallbackStart));
  proto::Message answer = viewer.expect (proto::Type::Fallback);
  fail_unless_equals_string (proto::get_string (answer, "action").c_str (),
                             proto::kFallbackUnavailable);
  fail_unless (proto::get_string (answer, "reason").find ("switched the fallback off") !=
                   std::string::npos,
               "%s", proto::get_string (answer, "reason").c_str ());

  /* No control: the server relays no input. */
  JsonArray *events = json_array_new ();
  JsonObject *click = json_object_new ();
  json_object_set_string_member (click, "t", "md");
  json_object_set_int_member (click, "b", 1);
  json_array_add_object_element (events, click);
  viewer.send (proto::make_input ("", events));
  json_array_unref (events);
  proto::Message refused = viewer.expect (proto::Type::Error);
  fail_unless_equals_string (proto::get_string (refused, "code").c_str (), "NOT_ALLOWED");

  /* A viewer sends no binary messages. */
  GBytes *fake = proto::make_fallback_frame ("", 1, 2, 2, (const guint8 *) "\xff\xd8\xff\xd9", 4);
  soup_websocket_connection_send_message (viewer.ws, SOUP_WEBSOCKET_DATA_BINARY, fake);
  g_bytes_unref (fake);
  refused = viewer.expect (proto::Type::Error);
  fail_unless_equals_string (proto::get_string (refused, "code").c_str (), "NOT_ALLOWED");
  fail_unless (host.error.empty (), "%s", host.error.c_str ());
}
GST_END_TEST;

/* A host that ignores acknowledgements: the server passes the viewer four
 * pictures and drops the rest; a malformed picture is refused. */
GST_START_TEST (test_server_in_flight_limit)
{
  TestServer server;
  BareViewer host (server.ws_url ());
  proto::RegisterParams params;
  host.send (proto::make_register (params));
  proto::Message registered = host.expect (proto::Type::Registered);
  std::string pin = proto::get_string (registered, "pin");
  BareViewer viewer (server.ws_url ());
  viewer.send (proto::make_join (pin, "Ann"));
  proto::Message request = host.expect (proto::Type::JoinRequest);
  std::string peer = proto::get_string (request, "peer");
  host.send (proto::make_accept (peer, GV_CAPABILITY_VIEW));
  fail_unless (viewer.expect (proto::Type::Joined).type == proto::Type::Joined);

  const guint8 jpeg[] = { 0xff, 0xd8, 0xff, 0xd9 };
  auto send_picture = [&] (guint32 n) {
    GBytes *b = proto::make_fallback_frame (peer, n, 2, 2, jpeg, sizeof jpeg);
    soup_websocket_connection_send_message (host.ws, SOUP_WEBSOCKET_DATA_BINARY, b);
    g_bytes_unref (b);
  };
  /* Before the viewer asks: nothing reaches it. */
  send_picture (1);
  viewer.spin (300);
  fail_unless_equals_int ((int) viewer.binary.size (), 0);

  viewer.send (proto::make_fallback ("", proto::kFallbackStart));
  fail_unless (host.expect (proto::Type::Fallback).type == proto::Type::Fallback);
  for (guint32 n = 1; n <= 6; n++)
    send_picture (n);
  viewer.spin (500);
  fail_unless_equals_int ((int) viewer.binary.size (), (int) proto::kMaxFallbackInFlight);
  viewer.send (proto::make_fallback ("", proto::kFallbackAck, 1));
  proto::Message ack = host.expect (proto::Type::Fallback);
  fail_unless_equals_string (proto::get_string (ack, "action").c_str (), proto::kFallbackAck);
  fail_unless_equals_int ((int) proto::get_int (ack, "frame"), 1);
  send_picture (7);
  viewer.spin (300);
  fail_unless_equals_int ((int) viewer.binary.size (), (int) proto::kMaxFallbackInFlight + 1);

  /* Not a picture: refused, nothing relayed. */
  GBytes *junk = g_bytes_new_static ("GVJ1\x01", 5);
  soup_websocket_connection_send_message (host.ws, SOUP_WEBSOCKET_DATA_BINARY, junk);
  g_bytes_unref (junk);
  proto::Message refused = host.expect (proto::Type::Error);
  fail_unless_equals_string (proto::get_string (refused, "code").c_str (), "BAD_MESSAGE");
}
GST_END_TEST;

/* An HTTP GET with `key` as its bearer token (none when empty): the status,
 * the body and the Content-Type / WWW-Authenticate headers. */
struct HttpAnswer {
  guint status = 0;
  std::string body, type, authenticate;
};

static HttpAnswer http_get (const std::string &url, const std::string &key)
{
  SoupSession *session = soup_session_new ();
  SoupMessage *msg = soup_message_new ("GET", url.c_str ());
  if (!key.empty ())
    soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization",
                                  ("Bearer " + key).c_str ());
  GError *error = nullptr;
  GBytes *body = soup_session_send_and_read (session, msg, nullptr, &error);
  fail_unless (body != nullptr, "GET %s: %s", url.c_str (), error ? error->message : "?");
  HttpAnswer a;
  a.status = soup_message_get_status (msg);
  gsize size = 0;
  const char *data = static_cast<const char *> (g_bytes_get_data (body, &size));
  a.body.assign (data ? data : "", size);
  SoupMessageHeaders *h = soup_message_get_response_headers (msg);
  const char *type = soup_message_headers_get_one (h, "Content-Type");
  const char *auth = soup_message_headers_get_one (h, "WWW-Authenticate");
  a.type = type ? type : "";
  a.authenticate = auth ? auth : "";
  g_bytes_unref (body);
  g_object_unref (msg);
  g_object_unref (session);
  return a;
}

static std::string sha256_hex (const std::string &text)
{
  gchar *hex = g_compute_checksum_for_string (G_CHECKSUM_SHA256, text.c_str (), -1);
  std::string out (hex);
  g_free (hex);
  return out;
}

GST_START_TEST (test_snapshot)
{
  gchar *dir = g_dir_make_tmp ("gv-snapshot-XXXXXX", nullptr);
  std::string keys = std::string (dir) + "/api-keys";
  std::string file = "# name scopes sha256\nreader read " + sha256_hex ("reader-key-1") +
                     "\npusher write " + sha256_hex ("pusher-key-2") + "\n";
  fail_unless (g_file_set_contents (keys.c_str (), file.c_str (), -1, nullptr));
  TestServer server (600, keys);
  BusLog log;
  Pipeline host (fallback_host (server.ws_url (), "allow-snapshot=true"));
  log.attach (host);
  host.play ();
  fail_unless (wait_for_pin (host), "no PIN: %s", host.error.c_str ());
  std::string url = server.http_url () + "/api/v1/sessions/" + host.pin + "/snapshot.jpg";

  HttpAnswer a = http_get (url, "");
  fail_unless_equals_int (a.status, 401);
  fail_unless (a.authenticate.rfind ("Bearer", 0) == 0, "%s", a.authenticate.c_str ());
  fail_unless (a.body.find ("\"UNAUTHORIZED\"") != std::string::npos, "%s", a.body.c_str ());
  fail_unless_equals_int (http_get (url, "not-a-key").status, 401);
  a = http_get (url, "pusher-key-2");
  fail_unless_equals_int (a.status, 403);
  fail_unless (a.body.find ("read") != std::string::npos, "%s", a.body.c_str ());

  a = http_get (url, "reader-key-1");
  fail_unless_equals_int (a.status, 200);
  fail_unless_equals_string (a.type.c_str (), "image/jpeg");
  int w = 0, h = 0;
  decode_jpeg (reinterpret_cast<const guint8 *> (a.body.data ()), a.body.size (), w, h);
  fail_unless_equals_int (w, 1280);
  fail_unless_equals_int (h, 320);
  fail_unless (wait_until ([&] { return log.has ("gvwebrtcsink-snapshot"); }, kTimeoutMs, &host));
  fail_unless (log.has ("by=(string)reader, taken=(boolean)true"));

  std::string other = host.pin == "123456" ? "654321" : "123456";
  a = http_get (server.http_url () + "/api/v1/sessions/" + other + "/snapshot.jpg", "reader-key-1");
  fail_unless_equals_int (a.status, 404);
  fail_unless (a.body.find ("SESSION_NOT_FOUND") != std::string::npos, "%s", a.body.c_str ());

  /* A host that does not allow it: the server says the host refused. */
  Pipeline shy (fallback_host (server.ws_url (), ""));
  shy.play ();
  fail_unless (wait_for_pin (shy), "no PIN: %s", shy.error.c_str ());
  a = http_get (server.http_url () + "/api/v1/sessions/" + shy.pin + "/snapshot.jpg",
                "reader-key-1");
  fail_unless_equals_int (a.status, 403);
  fail_unless (a.body.find ("HOST_REFUSED") != std::string::npos, "%s", a.body.c_str ());
  fail_unless (a.body.find ("does not allow snapshots") != std::string::npos, "%s",
               a.body.c_str ());
  fail_unless (host.error.empty (), "%s", host.error.c_str ());
  g_unlink (keys.c_str ());
  g_rmdir (dir);
  g_free (dir);
}
GST_END_TEST;

static Suite *fallback_suite (void)
{
  Suite *s = suite_create ("webrtc-server-fallback");
  TCase *tc = tcase_create ("fallback");
  tcase_set_timeout (tc, 60);
  tcase_add_test (tc, test_pictures_and_input);
  tcase_add_test (tc, test_refusals);
  tcase_add_test (tc, test_server_in_flight_limit);
  tcase_add_test (tc, test_snapshot);
  suite_add_tcase (s, tc);
  return s;
}

GST_CHECK_MAIN (fallback);
