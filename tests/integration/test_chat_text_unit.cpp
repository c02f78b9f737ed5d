/* The launcher's chat helpers without a pipeline: terminal-safe chat lines,
 * capability lists, and the WebVTT transcript (escaping, timing, a file
 * that is valid after every cue). */
#include "chat_text.h"
#include "chat_transcript.h"

#include "capabilities.h"

#include <glib.h>
#include <glib/gstdio.h>

#include <string>

using namespace gv::launcher;

/* Compares a temporary string (g_assert_cmpstr would keep its c_str ()). */
static void assert_text (const std::string &got, const char *want)
{
  g_assert_cmpstr (got.c_str (), ==, want);
}

static void test_terminal_safe ()
{
  /* Escape sequences, bell, DEL, C1 controls and bidi overrides are shown, not obeyed. */
  std::string safe = terminal_safe ("a\x1b[2Jb\x07"
                                    "c\x7f\xc2\x9b"
                                    "d\xe2\x80\xae"
                                    "e\tf",
                                    " / ");
  g_assert_cmpstr (safe.c_str (), ==,
                   "a\xef\xbf\xbd[2Jb\xef\xbf\xbd"
                   "c\xef\xbf\xbd\xef\xbf\xbd"
                   "d\xef\xbf\xbd"
                   "e f");
  assert_text (terminal_safe ("one\ntwo", " / "), "one / two");
  assert_text (terminal_safe ("caf\xc3\xa9 \xe2\x98\x83", " "), "caf\xc3\xa9 \xe2\x98\x83");
  /* Bytes that are not UTF-8 are replaced, not passed on. */
  g_assert_true (g_utf8_validate (terminal_safe ("bad \xff\xfe end", " ").c_str (), -1, nullptr));
  std::string line = format_chat_line (0, "Ann\x1b]0;title\x07", "hi\nthere");
  g_assert_true (line.find ('\x1b') == std::string::npos &&
                 line.find ('\x07') == std::string::npos);
  g_assert_true (line.find ("] Ann") == 9);
  g_assert_true (line.find (": hi\n           there") != std::string::npos);
}

static void test_capability_lists ()
{
  guint caps = 0;
  std::string error;
  g_assert_true (parse_capability_list ("control,chat", caps, error));
  g_assert_cmpuint (caps, ==, GV_CAPABILITY_CONTROL | GV_CAPABILITY_CHAT);
  g_assert_true (parse_capability_list (" chat , file ", caps, error));
  g_assert_cmpuint (caps, ==, GV_CAPABILITY_CHAT | GV_CAPABILITY_FILE);
  g_assert_false (parse_capability_list ("chat,root", caps, error));
  g_assert_true (error.find ("unknown capability \"root\"") != std::string::npos);
  g_assert_true (error.find ("view, control, clipboard, file, chat") != std::string::npos);
  g_assert_false (parse_capability_list ("", caps, error));
  g_assert_false (parse_capability_list ("chat,", caps, error));
  assert_text (capability_list (GV_CAPABILITY_VIEW | GV_CAPABILITY_CHAT), "view, chat");
  assert_text (capability_list (GV_CAPABILITY_VIEW | GV_CAPABILITY_CONTROL, "+"), "view+control");
}

static void test_transcript_text ()
{
  assert_text (ChatTranscript::path_for ("/tmp/session.mkv"), "/tmp/session.vtt");
  assert_text (ChatTranscript::path_for ("out.d/session"), "out.d/session.vtt");
  assert_text (ChatTranscript::path_for ("/tmp/.hidden"), "/tmp/.hidden.vtt");
  assert_text (ChatTranscript::timestamp (0), "00:00:00.000");
  assert_text (ChatTranscript::timestamp (3723456), "01:02:03.456");
  assert_text (ChatTranscript::timestamp (-5), "00:00:00.000");
  /* & < > escaped ("-->" cannot end up in a cue); no empty line (it would end the cue). */
  assert_text (ChatTranscript::cue_text ("a <b> & c --> d"), "a &lt;b&gt; &amp; c --&gt; d");
  assert_text (ChatTranscript::cue_text ("one\n\n\ntwo\n"), "one\ntwo");
}

static void test_transcript_file ()
{
  gchar *dir = g_dir_make_tmp ("gv-vtt-XXXXXX", nullptr);
  std::string path = std::string (dir) + "/session.vtt";
  {
    ChatTranscript t;
    t.set_path (path);
    t.start (1000000);
    std::string error;
    g_assert_true (t.add (1000000 + 2500000, "Host", "hello <all>", error));
    /* Complete after one cue, before the writer goes away (a killed recorder). */
    gchar *text = nullptr;
    g_assert_true (g_file_get_contents (path.c_str (), &text, nullptr, nullptr));
    g_assert_cmpstr (text, ==,
                     "WEBVTT\n\n1\n00:00:02.500 --> 00:00:06.500\nHost: hello &lt;all&gt;\n");
    g_free (text);
    g_assert_true (t.add (1000000 + 61000000, "ann", "line\nbreak", error));
    g_assert_cmpint (t.cues (), ==, 2);
    g_assert_true (g_file_get_contents (path.c_str (), &text, nullptr, nullptr));
    g_assert_nonnull (strstr (text, "\n\n2\n00:01:01.000 --> 00:01:05.000\nann: line\nbreak\n"));
    g_free (text);
  }
  /* A directory that cannot be written: a clear error, once. */
  ChatTranscript bad;
  bad.set_path ("/nonexistent-gv-dir/x.vtt");
  std::string error;
  g_assert_false (bad.add (0, "a", "b", error));
  g_assert_true (error.find ("cannot write the chat transcript /nonexistent-gv-dir/x.vtt") == 0);
  g_unlink (path.c_str ());
  g_rmdir (dir);
  g_free (dir);
}

int main (int argc, char **argv)
{
  g_test_init (&argc, &argv, nullptr);
  g_test_add_func ("/chat/terminal-safe", test_terminal_safe);
  g_test_add_func ("/chat/capability-lists", test_capability_lists);
  g_test_add_func ("/chat/transcript-text", test_transcript_text);
  g_test_add_func ("/chat/transcript-file", test_transcript_file);
  return g_test_run ();
}
