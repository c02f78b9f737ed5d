/* GhostView
 * Copyright (C) 2026 GhostView contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A shared terminal written down as an asciicast v2 file (what `asciinema
 * play` and `asciinema cat` read): a header line
 * {"version":2,"width":W,"height":H,"timestamp":UNIX,"env":{"TERM":...}}
 * then one line per piece of output, [SECONDS, "o", TEXT], SECONDS since
 * the header. TEXT is valid UTF-8 (a character split between two pieces
 * is written whole with the second; invalid bytes become U+FFFD). The
 * header takes the terminal's first size; the program's end is written as
 * its "[process exited with status N]" line. Each line is flushed as it is
 * written, so a recording cut short still plays. Any thread.
 */
#pragma once

#include "gvterminaljson.h"

#include <glib.h>

#include <cstdio>
#include <mutex>
#include <string>

namespace gv::webrtc {

class AsciicastWriter {
public:
  ~AsciicastWriter ();
  /* Creates (truncates) `path`. */
  bool open (const std::string &path, GError **error);
  /* The terminal's size: the header's, when nothing was written yet. */
  void size (gint cols, gint rows);
  void output (const char *bytes, gsize length);
  void exit (gint status);
  void close ();

private:
  void header (gint cols, gint rows);   /* under lock_ */
  void event (const std::string &text); /* under lock_ */

  std::mutex lock_;
  FILE *file_ = nullptr;
  bool header_written_ = false;
  gint64 start_us_ = 0; /* monotonic, at the header */
  gv::terminal::Utf8Stream utf8_;
};

} // namespace gv::webrtc
