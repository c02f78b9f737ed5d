/* A recording's chat as WebVTT beside it (session.mkv -> session.vtt): one
 * cue per line, at the time it arrived since the recording started, 4 s
 * long, "NAME: text". Written and flushed cue by cue, so a recorder that is
 * killed still leaves a valid file with every line it got. */
#pragma once

#include <glib.h>

#include <cstdio>
#include <string>

namespace gv::launcher {

class ChatTranscript {
public:
  static constexpr gint64 kCueMs = 4000;

  /* The transcript's path for `recording`: its extension replaced by .vtt
   * (added when it has none). */
  static std::string path_for (const std::string &recording);

  ChatTranscript () = default;
  ~ChatTranscript ();
  ChatTranscript (const ChatTranscript &) = delete;
  ChatTranscript &operator= (const ChatTranscript &) = delete;

  /* Creates the file (with its WEBVTT header) on the first line. */
  void set_path (std::string path) { path_ = std::move (path); }
  /* The recording started at `monotonic_us`; cues count from there (from
   * the first cue when never told). */
  void start (gint64 monotonic_us) { start_us_ = monotonic_us; }
  /* One cue at `monotonic_us`; false (with `error`) when the file cannot be
   * written. */
  bool add (gint64 monotonic_us, const std::string &name, const std::string &text,
            std::string &error);
  const std::string &path () const { return path_; }
  int cues () const { return cues_; }

  /* "hh:mm:ss.ttt". */
  static std::string timestamp (gint64 ms);
  /* `text` as WebVTT cue text: & < > escaped, control characters dropped,
   * no empty line (which would end the cue). */
  static std::string cue_text (const std::string &text);

private:
  std::string path_;
  FILE *file_ = nullptr;
  gint64 start_us_ = -1;
  int cues_ = 0;
};

} // namespace gv::launcher
