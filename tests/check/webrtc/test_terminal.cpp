/* The shared terminal's parts without a network: the channel's messages
 * (gvterminaljson.h), bad input refused (oversized, not UTF-8, NUL, wrong
 * kinds and ranges); output split anywhere made into valid UTF-8 for the
 * asciicast; the asciicast file (gvasciicast.h) as asciinema reads it; and
 * a real pseudo-terminal (gvterminal.h): a program's output reaches a
 * listener, typing reaches the program, TIOCSWINSZ reaches `stty size`, a
 * late listener gets the recent output (bounded), the exit status is told
 * and the program reaped, and stop () hangs up a program that would run on
 * (it and its child gone, no zombie). */
#include "gvasciicast.h"
#include "gvterminal.h"
#include "gvterminaljson.h"

#include <glib/gstdio.h>
#include <gst/check/gstcheck.h>
#include <json-glib/json-glib.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <mutex>
#include <sys/wait.h>

GST_DEBUG_CATEGORY (gv_webrtc_sink_debug);

namespace terminal = gv::terminal;
using gv::webrtc::Terminal;

static bool parses (const std::string &text, terminal::ViewerMessage *out = nullptr)
{
  terminal::ViewerMessage msg;
  std::string error;
  bool ok = terminal::parse_viewer_message (text.data (), text.size (), msg, error);
  if (!ok)
    ck_assert (!error.empty ());
  if (out)
    *out = msg;
  return ok;
}

GST_START_TEST (test_messages)
{
  terminal::ViewerMessage msg;
  ck_assert (parses ("{\"t\":\"input\",\"data\":\"echo gv$((6*7))\\r\"}", &msg));
  ck_assert (msg.kind == terminal::Kind::Input);
  ck_assert_str_eq (msg.data.c_str (), "echo gv$((6*7))\r");
  /* Escape sequences are data like any other. */
  ck_assert (parses ("{\"t\":\"input\",\"data\":\"\\u001b[A\\u001b]0;x\\u0007\"}", &msg));
  ck_assert_str_eq (msg.data.c_str (), "\x1b[A\x1b]0;x\x07");
  ck_assert (parses ("{\"t\":\"resize\",\"cols\":120,\"rows\":40,\"extra\":1}", &msg));
  ck_assert (msg.kind == terminal::Kind::Resize);
  ck_assert_int_eq (msg.cols, 120);
  ck_assert_int_eq (msg.rows, 40);
  /* The builders' messages parse back. */
  ck_assert (parses (terminal::make_input ("ls -l\r"), &msg));
  ck_assert_str_eq (msg.data.c_str (), "ls -l\r");
  ck_assert (parses (terminal::make_resize (80, 24), &msg));
  const std::string sentence = terminal::exit_sentence (3);
  ck_assert_str_eq (sentence.c_str (), "[process exited with status 3]");

  /* Refused. */
  ck_assert (!parses (""));
  ck_assert (!parses ("not json"));
  ck_assert (!parses ("[1,2]"));
  ck_assert (!parses ("{\"data\":\"x\"}"));
  ck_assert (!parses ("{\"t\":\"size\",\"cols\":80,\"rows\":24}")); /* the host's kind */
  ck_assert (!parses ("{\"t\":\"exit\",\"status\":0}"));
  ck_assert (!parses ("{\"t\":\"input\",\"data\":\"\"}"));
  ck_assert (!parses ("{\"t\":\"input\",\"data\":42}"));
  ck_assert (!parses ("{\"t\":\"input\",\"data\":\"a\\u0000b\"}"));
  ck_assert (!parses (std::string ("{\"t\":\"input\",\"data\":\"a\0b\"}", 26)));
  ck_assert (!parses ("{\"t\":\"input\",\"data\":\"\xff\xfe\"}"));
  ck_assert (!parses ("{\"t\":\"resize\",\"cols\":1,\"rows\":24}"));
  ck_assert (!parses ("{\"t\":\"resize\",\"cols\":80,\"rows\":301}"));
  ck_assert (!parses ("{\"t\":\"resize\",\"cols\":80.5,\"rows\":24}"));
  ck_assert (!parses ("{\"t\":\"resize\",\"cols\":\"80\",\"rows\":24}"));
  /* Keystrokes: at most kMaxInputBytes; a message at most kMaxViewerMessageBytes. */
  std::string most (terminal::kMaxInputBytes, 'x');
  ck_assert (parses (terminal::make_input (most)));
  ck_assert (terminal::make_input (most + "x").empty ());
  ck_assert (!parses ("{\"t\":\"input\",\"data\":\"" + most + "x\"}"));
  ck_assert (!parses ("{\"t\":\"input\",\"data\":\"x\",\"pad\":\"" +
                      std::string (terminal::kMaxViewerMessageBytes, 'p') + "\"}"));
  ck_assert (terminal::make_resize (1000, 24).empty ());
}
GST_END_TEST;

GST_START_TEST (test_utf8_stream)
{
  terminal::Utf8Stream s;
  /* "é" (C3 A9) split between two pieces comes out whole with the second. */
  ck_assert (s.feed ("caf\xc3", 4) == "caf");
  ck_assert (s.feed ("\xa9!", 2) == "\xc3\xa9!");
  /* Invalid bytes become U+FFFD; a NUL is dropped; text goes on. */
  ck_assert (s.feed ("a\xff"
                     "b",
                     3) == "a\xef\xbf\xbd"
                           "b");
  ck_assert (s.feed (std::string ("x\0y", 3).data (), 3) == "xy");
  /* An incomplete sequence at the end is flushed as one U+FFFD. */
  ck_assert (s.feed ("\xe2\x82", 2).empty ());
  ck_assert (s.flush () == "\xef\xbf\xbd");
  ck_assert (s.flush ().empty ());
}
GST_END_TEST;

GST_START_TEST (test_asciicast)
{
  gchar *dir = g_dir_make_tmp ("gv-asciicast-XXXXXX", nullptr);
  std::string path = std::string (dir) + "/s.cast";
  {
    gv::webrtc::AsciicastWriter w;
    ck_assert (w.open (path, nullptr));
    w.size (100, 30);
    w.output ("hello \xc3", 7);
    const char *rest = "\xa9t\xc3\xa9\r\n\x1b[1mbold\x1b[0m";
    w.output (rest, strlen (rest));
    w.exit (0);
    w.close ();
  }
  gchar *contents = nullptr;
  ck_assert (g_file_get_contents (path.c_str (), &contents, nullptr, nullptr));
  gchar **lines = g_strsplit (contents, "\n", -1);
  g_free (contents);
  std::string text;
  int n = 0;
  double last = -1;
  for (gchar **l = lines; *l && **l; l++) {
    std::string line = *l;
    JsonParser *p = json_parser_new ();
    ck_assert_msg (json_parser_load_from_data (p, line.c_str (), -1, nullptr), "%s", line.c_str ());
    JsonNode *root = json_parser_get_root (p);
    if (n == 0) {
      JsonObject *h = json_node_get_object (root);
      ck_assert_int_eq (json_object_get_int_member (h, "version"), 2);
      ck_assert_int_eq (json_object_get_int_member (h, "width"), 100);
      ck_assert_int_eq (json_object_get_int_member (h, "height"), 30);
    } else {
      JsonArray *e = json_node_get_array (root);
      ck_assert_int_eq (json_array_get_length (e), 3);
      double t = json_array_get_double_element (e, 0);
      ck_assert (t >= last);
      last = t;
      ck_assert_str_eq (json_array_get_string_element (e, 1), "o");
      text += json_array_get_string_element (e, 2);
    }
    g_object_unref (p);
    n++;
  }
  g_strfreev (lines);
  ck_assert_int_ge (n, 3);
  ck_assert_str_eq (
      text.c_str (),
      "hello \xc3\xa9t\xc3\xa9\r\n\x1b[1mbold\x1b[0m\r\n[process exited with status 0]\r\n");
  g_remove (path.c_str ());
  g_rmdir (dir);
  g_free (dir);
}
GST_END_TEST;

/* What a listener got, waited on. */
struct Seen {
  std::mutex lock;
  std::condition_variable cond;
  std::string output;
  gint cols = 0, rows = 0, status = -1;
  int sizes = 0;

  Terminal::Listener listener ()
  {
    return [this] (const Terminal::Event &e) {
      std::lock_guard<std::mutex> guard (lock);
      if (e.type == Terminal::Event::Type::Output)
        output += e.data;
      else if (e.type == Terminal::Event::Type::Size) {
        cols = e.cols;
        rows = e.rows;
        sizes++;
      } else
        status = e.status;
      cond.notify_all ();
    };
  }
  bool wait_output (const char *text, int seconds = 10)
  {
    std::unique_lock<std::mutex> guard (lock);
    return cond.wait_for (guard, std::chrono::seconds (seconds),
                          [&] () { return output.find (text) != std::string::npos; });
  }
  bool wait_exit (int seconds = 10)
  {
    std::unique_lock<std::mutex> guard (lock);
    return cond.wait_for (guard, std::chrono::seconds (seconds), [&] () { return status >= 0; });
  }
};

static bool reaped (GPid pid)
{
  /* Not our child any more (reaped), and no such process. */
  return waitpid (pid, nullptr, WNOHANG) == -1 && errno == ECHILD && kill (pid, 0) == -1 &&
         errno == ESRCH;
}

GST_START_TEST (test_pty)
{
  Terminal t ("printf 'ready\\n'; read line; echo \"got:$line\"; read x; stty size; read y; "
              "exit 5",
              nullptr);
  ck_assert (t.start (nullptr));
  GPid pid = t.pid ();
  ck_assert_int_gt (pid, 0);
  Seen seen;
  t.subscribe (seen.listener ());
  ck_assert_int_eq (seen.cols, terminal::kDefaultCols);
  ck_assert_int_eq (seen.rows, terminal::kDefaultRows);
  ck_assert (seen.wait_output ("ready"));
  ck_assert (t.write ("hello \x1b[1m\r"));
  ck_assert (seen.wait_output ("got:hello \x1b[1m"));
  t.resize (123, 45);
  ck_assert_int_eq (seen.cols, 123);
  ck_assert_int_eq (seen.rows, 45);
  ck_assert (t.write ("\r"));
  ck_assert (seen.wait_output ("45 123"));
  /* A late listener: the size and what came before, at once. */
  Seen late;
  t.subscribe (late.listener ());
  ck_assert_int_eq (late.cols, 123);
  ck_assert (late.output.find ("got:hello") != std::string::npos);
  ck_assert (t.write ("\r"));
  ck_assert (seen.wait_exit ());
  ck_assert_int_eq (seen.status, 5);
  ck_assert (late.wait_exit ());
  ck_assert_int_eq (t.exit_status (), 5);
  ck_assert_int_eq (t.pid (), 0);
  ck_assert (reaped (pid));
  ck_assert (!t.write ("ls\r")); /* nothing to type into */
  /* A listener after the end hears it too. */
  Seen after;
  t.subscribe (after.listener ());
  ck_assert_int_eq (after.status, 5);
  t.stop ();
  t.stop ();
}
GST_END_TEST;

GST_START_TEST (test_scrollback_bound)
{
  Terminal t ("head -c 200000 /dev/zero | tr '\\000' a; echo; echo END; exec sleep 60", nullptr);
  ck_assert (t.start (nullptr));
  Seen seen;
  t.subscribe (seen.listener ());
  ck_assert (seen.wait_output ("END"));
  Seen late;
  t.subscribe (late.listener ());
  ck_assert_uint_le (late.output.size (), terminal::kScrollbackBytes);
  ck_assert_uint_gt (late.output.size (), terminal::kScrollbackBytes / 2);
  ck_assert (late.output.find ("END") != std::string::npos);
  t.stop ();
}
GST_END_TEST;

GST_START_TEST (test_stop_hangs_up)
{
  gchar *dir = g_dir_make_tmp ("gv-terminal-XXXXXX", nullptr);
  std::string child_file = std::string (dir) + "/child";
  /* A program that would run on, with a child of its own, ignoring SIGTERM. */
  Terminal t ("trap '' TERM; sleep 600 & echo $! > " + child_file + "; echo started; wait",
              nullptr);
  ck_assert (t.start (nullptr));
  GPid pid = t.pid ();
  Seen seen;
  t.subscribe (seen.listener ());
  ck_assert (seen.wait_output ("started"));
  gchar *text = nullptr;
  ck_assert (g_file_get_contents (child_file.c_str (), &text, nullptr, nullptr));
  GPid child = (GPid) g_ascii_strtoll (text, nullptr, 10);
  g_free (text);
  ck_assert_int_gt (child, 0);
  ck_assert_int_eq (kill (child, 0), 0);
  t.stop ();
  ck_assert (reaped (pid));
  /* The child was hung up with its process group; reparented, it may take
   * a moment to be gone from the process table. */
  for (int i = 0; i < 50 && kill (child, 0) == 0; i++) {
    gchar *stat_path = g_strdup_printf ("/proc/%d/stat", child);
    gchar *stat = nullptr;
    bool zombie = g_file_get_contents (stat_path, &stat, nullptr, nullptr) && strstr (stat, ") Z ");
    g_free (stat);
    g_free (stat_path);
    if (zombie)
      break; /* dead, waiting for its new parent (not us) to reap it */
    g_usleep (100000);
  }
  gchar *stat_path = g_strdup_printf ("/proc/%d/stat", child);
  gchar *stat = nullptr;
  bool running = g_file_get_contents (stat_path, &stat, nullptr, nullptr) && !strstr (stat, ") Z ");
  g_free (stat);
  g_free (stat_path);
  ck_assert_msg (!running, "the program's child %d still runs", child);
  ck_assert_int_eq (t.pid (), 0);
  g_remove (child_file.c_str ());
  g_rmdir (dir);
  g_free (dir);
}
GST_END_TEST;

static Suite *terminal_suite (void)
{
  Suite *s = suite_create ("webrtc-terminal");
  TCase *tc = tcase_create ("general");
  tcase_set_timeout (tc, 60);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_messages);
  tcase_add_test (tc, test_utf8_stream);
  tcase_add_test (tc, test_asciicast);
  tcase_add_test (tc, test_pty);
  tcase_add_test (tc, test_scrollback_bound);
  tcase_add_test (tc, test_stop_hangs_up);
  return s;
}

GST_CHECK_MAIN (terminal);
