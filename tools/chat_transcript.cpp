#include "chat_transcript.h"

#include "chat_text.h"

#include <glib/gstdio.h>

#include <cerrno>
#include <cstring>

namespace gv::launcher {

ChatTranscript::~ChatTranscript ()
{
  if (file_)
    fclose (file_);
}

std::string ChatTranscript::path_for (const std::string &recording)
{
  size_t slash = recording.rfind ('/');
  size_t dot = recording.rfind ('.');
  bool has_extension =
      dot != std::string::npos && dot > 0 && (slash == std::string::npos || dot > slash + 1);
  return (has_extension ? recording.substr (0, dot) : recording) + ".vtt";
}

std::string ChatTranscript::timestamp (gint64 ms)
{
  if (ms < 0)
    ms = 0;
  gchar *text =
      g_strdup_printf ("%02" G_GINT64_FORMAT ":%02d:%02d.%03d", ms / 3600000,
                       (int) (ms / 60000 % 60), (int) (ms / 1000 % 60), (int) (ms % 1000));
  std::string out (text);
  g_free (text);
  return out;
}

std::string ChatTranscript::cue_text (const std::string &text)
{
  std::string safe = terminal_safe (text, "\n");
  std::string out;
  bool line_empty = true;
  for (char c : safe) {
    if (c == '\n') {
      if (!line_empty)
        out += '\n';
      line_empty = true;
      continue;
    }
    line_empty = false;
    if (c == '&')
      out += "&amp;";
    else if (c == '<')
      out += "&lt;";
    else if (c == '>')
      out += "&gt;";
    else
      out += c;
  }
  while (!out.empty () && out.back () == '\n')
    out.pop_back ();
  return out;
}

bool ChatTranscript::add (gint64 monotonic_us, const std::string &name, const std::string &text,
                          std::string &error)
{
  if (path_.empty ())
    return true;
  if (!file_) {
    file_ = g_fopen (path_.c_str (), "w");
    if (!file_) {
      error = "cannot write the chat transcript " + path_ + ": " + g_strerror (errno);
      path_.clear ();
      return false;
    }
    fputs ("WEBVTT\n", file_);
  }
  if (start_us_ < 0)
    start_us_ = monotonic_us;
  gint64 at_ms = (monotonic_us - start_us_) / 1000;
  std::string cue = "\n" + std::to_string (++cues_) + "\n" + timestamp (at_ms) + " --> " +
                    timestamp (at_ms + kCueMs) + "\n" + cue_text (name + ": " + text) + "\n";
  if (fputs (cue.c_str (), file_) < 0 || fflush (file_) != 0) {
    error = "cannot write the chat transcript " + path_ + ": " + g_strerror (errno);
    return false;
  }
  return true;
}

} // namespace gv::launcher
