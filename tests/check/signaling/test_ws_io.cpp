/* The WebSocket I/O path: long client frames cut into fragments below
 * libsoup (ws_limited_stream.h) arrive as the same messages, an I/O
 * thread's epoll set (fd_watch.h) reports exactly the sockets that are
 * ready, and sessions whose host and viewer sit on different I/O threads
 * (ws_io_threads.h) relay every byte. */
#include "fd_watch.h"
#include "harness.h"
#include "wake_queue.h"
#include "ws_limited_stream.h"

#include "gv_check.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <vector>

using namespace gv;
using namespace gv::test;
using proto::Type;

namespace {

/* One masked client frame, as a browser sends it. */
std::string client_frame (guint8 first_byte, const std::string &payload, const guint8 key[4])
{
  std::string f (1, (char) first_byte);
  guint64 n = payload.size ();
  if (n < 126) {
    f += (char) (0x80 | n);
  } else if (n <= 0xffff) {
    f += (char) (0x80 | 126);
    f += (char) (n >> 8);
    f += (char) (n & 0xff);
  } else {
    f += (char) (0x80 | 127);
    for (int shift = 56; shift >= 0; shift -= 8)
      f += (char) ((n >> shift) & 0xff);
  }
  f.append (reinterpret_cast<const char *> (key), 4);
  for (size_t i = 0; i < n; i++)
    f += (char) (payload[i] ^ key[i % 4]);
  return f;
}

std::string text_of_length (size_t n, char seed)
{
  std::string s;
  for (size_t i = 0; i < n; i++)
    s += (char) ('a' + (seed + i * 7) % 26);
  return s;
}

struct Received {
  std::vector<std::pair<int, std::string>> messages;
  int pongs_sent = 0;
};

void on_message (SoupWebsocketConnection *, gint type, GBytes *bytes, gpointer data)
{
  gsize n = 0;
  auto *p = static_cast<const char *> (g_bytes_get_data (bytes, &n));
  static_cast<Received *> (data)->messages.emplace_back (type, std::string (p, n));
}

} // namespace

START_TEST (test_long_frames_split_and_reassembled)
{
  const guint8 key[4] = { 0x37, 0xa1, 0x5c, 0xe9 };
  const guint8 key2[4] = { 0x01, 0xfe, 0x80, 0x7f };
  std::vector<std::pair<int, std::string>> sent = {
    { SOUP_WEBSOCKET_DATA_TEXT, text_of_length (5000, 1) },     /* an SDP's size */
    { SOUP_WEBSOCKET_DATA_BINARY, std::string (3001, '\x9c') }, /* not a multiple of 4 */
    { SOUP_WEBSOCKET_DATA_TEXT, text_of_length (1000, 2) },     /* one piece exactly */
    { SOUP_WEBSOCKET_DATA_TEXT, text_of_length (1001, 3) },     /* one byte over */
    { SOUP_WEBSOCKET_DATA_TEXT, text_of_length (70000, 4) },    /* 64-bit length */
  };
  std::string wire;
  for (auto &[type, payload] : sent)
    wire += client_frame ((type == SOUP_WEBSOCKET_DATA_TEXT ? 0x81 : 0x82), payload,
                          payload.size () % 2 ? key2 : key);
  /* A message the client sent in fragments, a ping between them. */
  std::string a = text_of_length (1500, 5), b = text_of_length (2502, 6);
  wire += client_frame (0x01, a, key);
  wire += client_frame (0x89, "are you there", key2);
  wire += client_frame (0x80, b, key2);
  sent.emplace_back (SOUP_WEBSOCKET_DATA_TEXT, a + b);

  GInputStream *in = g_memory_input_stream_new_from_data (g_memdup2 (wire.data (), wire.size ()),
                                                          (gssize) wire.size (), g_free);
  GOutputStream *out = g_memory_output_stream_new_resizable ();
  GIOStream *io = g_simple_io_stream_new (in, out);
  GIOStream *limited = signaling::ws_limited_stream_new (io, 1024 * 1024);
  GUri *uri = g_uri_parse ("ws://127.0.0.1/ws", G_URI_FLAGS_NONE, nullptr);
  SoupWebsocketConnection *ws = soup_websocket_connection_new (
      limited, uri, SOUP_WEBSOCKET_CONNECTION_SERVER, nullptr, nullptr, nullptr);
  Received got;
  g_signal_connect (ws, "message", G_CALLBACK (on_message), &got);
  gint64 deadline = g_get_monotonic_time () + 3 * G_USEC_PER_SEC;
  while (got.messages.size () < sent.size () && g_get_monotonic_time () < deadline)
    g_main_context_iteration (nullptr, FALSE);

  ck_assert_uint_eq (got.messages.size (), sent.size ());
  for (size_t i = 0; i < sent.size (); i++) {
    ck_assert_int_eq (got.messages[i].first, sent[i].first);
    ck_assert_msg (got.messages[i].second == sent[i].second, "message %zu (%zu bytes) changed", i,
                   sent[i].second.size ());
  }
  /* The ping in the middle was answered with its own payload. */
  std::string written (
      static_cast<const char *> (g_memory_output_stream_get_data (G_MEMORY_OUTPUT_STREAM (out))),
      g_memory_output_stream_get_data_size (G_MEMORY_OUTPUT_STREAM (out)));
  ck_assert_msg (written.find (std::string ("\x8a\x0d") + "are you there") != std::string::npos,
                 "no pong among %zu bytes written", written.size ());

  g_object_unref (ws);
  g_uri_unref (uri);
  g_object_unref (limited);
  g_object_unref (io);
  g_object_unref (out);
  g_object_unref (in);
}
END_TEST

/* Iterates `context` without blocking until it dispatches nothing (once,
 * when only the watch is there: its source never dispatches). */
static void drain (GMainContext *context)
{
  for (int i = 0; i < 10 && g_main_context_iteration (context, FALSE); i++)
    ;
}

static gboolean count_dispatch (GObject *, gpointer calls)
{
  ++*static_cast<int *> (calls);
  return G_SOURCE_CONTINUE;
}

/* The queue toward the owner's thread raises its high-water flag at the
 * push that fills it to the mark, and the flag stays up for the drain to
 * see. */
START_TEST (test_wake_queue_high_water)
{
  GMainContext *context = g_main_context_new ();
  size_t drained = 0, seen_queued = 99;
  signaling::WakeQueue<int> *queue_ptr = nullptr;
  signaling::WakeQueue<int> queue (context, "test", [&] (std::vector<int> &batch) {
    drained += batch.size ();
    seen_queued = queue_ptr->queued ();
  });
  queue_ptr = &queue;
  std::atomic<bool> high{ false };
  queue.set_high_water (3, &high);
  queue.push (1);
  queue.push (2);
  ck_assert (!high);
  ck_assert_uint_eq (queue.queued (), 2);
  queue.push (3);
  ck_assert (high);
  while (g_main_context_iteration (context, FALSE))
    ;
  ck_assert_uint_eq (drained, 3);
  ck_assert_uint_eq (seen_queued, 0);
  ck_assert (high); /* lowering it is the owner's call */
  g_main_context_unref (context);
}
END_TEST

/* The read source libsoup waits on, on a thread with an epoll set: it is
 * dispatched in the very iteration whose poll found its socket readable;
 * and when no source waits any more, a readable socket leaves the set
 * (a level-triggered set would report it on every iteration). */
START_TEST (test_read_source_flagged_by_the_epoll_set)
{
  GMainContext *context = g_main_context_new ();
  g_main_context_push_thread_default (context);
  auto watch = std::make_shared<signaling::FdWatch> (context);
  signaling::FdWatch::set_current (watch);
  int pair[2];
  ck_assert_int_eq (socketpair (AF_UNIX, SOCK_STREAM, 0, pair), 0);
  GSocket *socket = g_socket_new_from_fd (pair[0], nullptr);
  ck_assert (socket);
  GSocketConnection *connection = g_socket_connection_factory_create_connection (socket);
  GIOStream *limited = signaling::ws_limited_stream_new (G_IO_STREAM (connection), 1024 * 1024);
  auto *input = G_POLLABLE_INPUT_STREAM (g_io_stream_get_input_stream (limited));
  GSource *source = g_pollable_input_stream_create_source (input, nullptr);
  int dispatched = 0;
  g_source_set_callback (
      source, reinterpret_cast<GSourceFunc> (reinterpret_cast<void (*) ()> (count_dispatch)),
      &dispatched, nullptr);
  g_source_attach (source, context);
  signaling::FdWatchEntry probe{ [] (void *) {}, nullptr };
  ck_assert_msg (!watch->add (pair[0], &probe), "the socket is not in the epoll set");

  g_main_context_iteration (context, FALSE);
  ck_assert_int_eq (dispatched, 0);
  ck_assert_int_eq (write (pair[1], "x", 1), 1);
  g_main_context_iteration (context, FALSE);
  ck_assert_int_eq (dispatched, 1);
  char byte;
  ck_assert_int_eq (recv (pair[0], &byte, 1, 0), 1);
  g_main_context_iteration (context, FALSE);
  ck_assert_int_eq (dispatched, 1);

  g_source_destroy (source);
  g_source_unref (source);
  ck_assert_int_eq (write (pair[1], "y", 1), 1);
  g_main_context_iteration (context, FALSE);
  ck_assert_msg (watch->add (pair[0], &probe), "the socket stayed in the epoll set");
  watch->remove (pair[0]);

  signaling::FdWatch::set_current (nullptr);
  g_object_unref (limited);
  g_object_unref (connection);
  g_object_unref (socket);
  close (pair[1]);
  watch.reset ();
  g_main_context_pop_thread_default (context);
  g_main_context_unref (context);
}
END_TEST

START_TEST (test_fd_watch_reports_ready_sockets)
{
  GMainContext *context = g_main_context_new ();
  auto watch = std::make_shared<signaling::FdWatch> (context);
  int quiet[2], busy[2];
  ck_assert_int_eq (socketpair (AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, quiet), 0);
  ck_assert_int_eq (socketpair (AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, busy), 0);
  int quiet_calls = 0, busy_calls = 0;
  auto count = [] (void *calls) { ++*static_cast<int *> (calls); };
  signaling::FdWatchEntry quiet_entry{ count, &quiet_calls }, busy_entry{ count, &busy_calls };
  ck_assert (watch->add (quiet[0], &quiet_entry));
  ck_assert (watch->add (busy[0], &busy_entry));

  drain (context);
  ck_assert_int_eq (quiet_calls + busy_calls, 0);

  /* Readable: told on each iteration until the byte is read. */
  ck_assert_int_eq (write (busy[1], "x", 1), 1);
  g_main_context_iteration (context, FALSE);
  ck_assert_int_eq (busy_calls, 1);
  g_main_context_iteration (context, FALSE);
  ck_assert_int_eq (busy_calls, 2);
  char byte;
  ck_assert_int_eq (read (busy[0], &byte, 1), 1);
  drain (context);
  ck_assert_int_eq (busy_calls, 2);
  ck_assert_int_eq (quiet_calls, 0);

  /* Held (the owner's thread is behind): the loop does not look. */
  std::atomic<bool> held{ true };
  watch->set_hold (&held);
  ck_assert_int_eq (write (busy[1], "h", 1), 1);
  g_main_context_iteration (context, FALSE);
  ck_assert_int_eq (busy_calls, 2);
  held = false;
  g_main_context_iteration (context, FALSE);
  ck_assert_int_eq (busy_calls, 3);
  ck_assert_int_eq (read (busy[0], &byte, 1), 1);
  watch->set_hold (nullptr);

  /* A hung-up peer counts as ready; a removed socket is never told again. */
  close (quiet[1]);
  g_main_context_iteration (context, FALSE);
  ck_assert_int_eq (quiet_calls, 1);
  watch->remove (quiet[0]);
  ck_assert_int_eq (write (busy[1], "y", 1), 1);
  drain (context);
  ck_assert_int_eq (quiet_calls, 1);
  ck_assert_int_ge (busy_calls, 4);

  watch.reset ();
  close (quiet[0]);
  close (busy[0]);
  close (busy[1]);
  g_main_context_unref (context);
}
END_TEST

START_TEST (test_sessions_across_io_threads)
{
  /* Three I/O threads and eight sessions: hosts and viewers are spread
   * over the threads, so most pairs talk across two of them. */
  auto server = start_server ({ "--io-threads", "3" });
  struct Pair {
    std::unique_ptr<WsClient> host, viewer;
    std::string vid;
  };
  std::vector<Pair> pairs (8);
  for (size_t i = 0; i < pairs.size (); i++) {
    Pair &p = pairs[i];
    p.host = WsClient::connect (server->ws_url ());
    std::string pin = proto::get_string (register_host (*p.host), "pin");
    p.viewer = WsClient::connect (server->ws_url ());
    p.viewer->send (proto::make_join (pin, ""));
    p.vid = proto::get_string (p.viewer->expect (Type::Waiting), "peer");
    p.host->expect (Type::JoinRequest);
    p.host->send (proto::make_accept (p.vid, 0));
    p.viewer->expect (Type::Joined);
  }
  ck_assert_uint_eq (server->live_sessions (), pairs.size ());
  for (size_t i = 0; i < pairs.size (); i++) {
    Pair &p = pairs[i];
    std::string offer = "v=0\r\n" + text_of_length (6000 + i * 131, (char) i) + "\r\n";
    p.host->send (proto::make_sdp (p.vid, "offer", offer));
    std::string answer = "v=0\r\n" + text_of_length (3000 + i * 17, (char) (i + 9)) + "\r\n";
    p.viewer->send (proto::make_sdp ("", "answer", answer));
    proto::Message o = p.viewer->expect (Type::Sdp);
    ck_assert_msg (proto::get_string (o, "sdp") == offer, "offer %zu changed on the way", i);
    proto::Message a = p.host->expect (Type::Sdp);
    ck_assert_msg (proto::get_string (a, "sdp") == answer, "answer %zu changed on the way", i);
  }
  /* Half the hosts leave: their viewers are told, the others stay. */
  for (size_t i = 0; i < pairs.size (); i += 2) {
    pairs[i].host.reset ();
    proto::Message ended = pairs[i].viewer->expect (Type::SessionEnded);
    GV_ASSERT_STR_EQ (proto::get_string (ended, "reason").c_str (), "host-disconnected");
  }
  ck_assert_uint_eq (server->live_sessions (), pairs.size () / 2);
  for (size_t i = 1; i < pairs.size (); i += 2) {
    pairs[i].viewer->send (proto::make_ping ());
    pairs[i].viewer->expect (Type::Pong);
  }
}
END_TEST

/* The plain socket under a client's WebSocket (libsoup's stream of its
 * own, whose "base-iostream" is the GSocketConnection). */
static int client_socket_fd (WsClient &c)
{
  GIOStream *io = soup_websocket_connection_get_io_stream (c.ws);
  GIOStream *base = nullptr;
  g_object_get (io, "base-iostream", &base, nullptr);
  ck_assert (G_IS_SOCKET_CONNECTION (base));
  int fd = g_socket_get_fd (g_socket_connection_get_socket (G_SOCKET_CONNECTION (base)));
  g_object_unref (base);
  return fd;
}

/* CPU seconds the process has used (user and system). */
static double cpu_seconds (GPid pid)
{
  gchar *path = g_strdup_printf ("/proc/%d/stat", (int) pid), *text = nullptr;
  ck_assert (g_file_get_contents (path, &text, nullptr, nullptr));
  unsigned long utime = 0, stime = 0;
  /* After the command name: state and 10 more fields, then utime, stime. */
  ck_assert_int_eq (sscanf (strrchr (text, ')') + 2,
                            "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &utime, &stime),
                    2);
  g_free (text);
  g_free (path);
  return (double) (utime + stime) / (double) sysconf (_SC_CLK_TCK);
}

/* The I/O threads' epoll sets are level-triggered: a socket left in one
 * after libsoup stopped reading it would be reported on every iteration,
 * and its thread would spin. Seen from outside: connections that end every
 * way (a close handshake, a hang-up in the middle of a frame, a hang-up
 * after a message) leave the server idle and serving. */
START_TEST (test_closed_sockets_leave_the_server_idle)
{
  auto server = start_server ({ "--io-threads", "2" });
  std::vector<std::unique_ptr<WsClient>> clients;
  for (int i = 0; i < 30; i++) {
    clients.push_back (WsClient::connect (server->ws_url ()));
    ck_assert (clients.back ());
  }
  const guint8 key[4] = { 1, 2, 3, 4 };
  for (int i = 0; i < 30; i++) {
    WsClient &c = *clients[i];
    if (i % 3 == 0) {
      soup_websocket_connection_close (c.ws, SOUP_WEBSOCKET_CLOSE_NORMAL, nullptr);
      continue;
    }
    int fd = client_socket_fd (c);
    std::string bytes = client_frame (0x81, i % 3 == 1 ? text_of_length (3000, 7) : "{}", key);
    if (i % 3 == 1)
      bytes.resize (1500); /* the hang-up comes in the middle of the frame */
    ck_assert_int_eq (send (fd, bytes.data (), bytes.size (), MSG_NOSIGNAL),
                      (ssize_t) bytes.size ());
    shutdown (fd, SHUT_RDWR);
  }
  spin (1500);
  double before = cpu_seconds (server->pid);
  spin (1000);
  double used = cpu_seconds (server->pid) - before;
  ck_assert_msg (used < 0.3, "the server used %.2f s of CPU in 1 s with no client", used);

  auto after = WsClient::connect (server->ws_url ());
  after->send (proto::make_ping ());
  after->expect (Type::Pong);
}
END_TEST

static Suite *ws_io_suite ()
{
  Suite *s = suite_create ("ws-io");
  TCase *tc = tcase_create ("ws-io");
  tcase_set_timeout (tc, 30);
  tcase_add_test (tc, test_long_frames_split_and_reassembled);
  tcase_add_test (tc, test_fd_watch_reports_ready_sockets);
  tcase_add_test (tc, test_read_source_flagged_by_the_epoll_set);
  tcase_add_test (tc, test_wake_queue_high_water);
  tcase_add_test (tc, test_sessions_across_io_threads);
  tcase_add_test (tc, test_closed_sockets_leave_the_server_idle);
  suite_add_tcase (s, tc);
  return s;
}

int main ()
{
  SRunner *sr = srunner_create (ws_io_suite ());
  srunner_run_all (sr, CK_NORMAL);
  int failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed == 0 ? 0 : 1;
}
