/* GhostView
 * Copyright (C) 2026 GhostView contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "gvasciicast.h"

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include <gio/gio.h>

#include <cerrno>

namespace gv::webrtc {

namespace {

std::string json_string (const std::string &text)
{
  JsonNode *node = json_node_new (JSON_NODE_VALUE);
  json_node_set_string (node, text.c_str ());
  gchar *out = json_to_string (node, FALSE);
  std::string s (out);
  g_free (out);
  json_node_unref (node);
  return s;
}

} // namespace

AsciicastWriter::~AsciicastWriter ()
{
  close ();
}

bool AsciicastWriter::open (const std::string &path, GError **error)
{
  std::lock_guard<std::mutex> guard (lock_);
  if (file_)
    return true;
  file_ = g_fopen (path.c_str (), "w");
  if (!file_) {
    int e = errno;
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (e), "%s: %s", path.c_str (),
                 g_strerror (e));
    return false;
  }
  return true;
}

void AsciicastWriter::header (gint cols, gint rows)
{
  if (header_written_ || !file_)
    return;
  header_written_ = true;
  start_us_ = g_get_monotonic_time ();
  fprintf (file_,
           "{\"version\":2,\"width\":%d,\"height\":%d,\"timestamp\":%" G_GINT64_FORMAT
           ",\"env\":{\"TERM\":\"xterm-256color\"}}\n",
           cols, rows, g_get_real_time () / G_USEC_PER_SEC);
  fflush (file_);
}

void AsciicastWriter::event (const std::string &text)
{
  if (!file_ || text.empty ())
    return;
  header (gv::terminal::kDefaultCols, gv::terminal::kDefaultRows);
  const double seconds = (double) (g_get_monotonic_time () - start_us_) / G_USEC_PER_SEC;
  gchar number[G_ASCII_DTOSTR_BUF_SIZE];
  g_ascii_formatd (number, sizeof number, "%.6f", seconds);
  fprintf (file_, "[%s, \"o\", %s]\n", number, json_string (text).c_str ());
  fflush (file_);
}

void AsciicastWriter::size (gint cols, gint rows)
{
  std::lock_guard<std::mutex> guard (lock_);
  header (cols, rows);
}

void AsciicastWriter::output (const char *bytes, gsize length)
{
  std::lock_guard<std::mutex> guard (lock_);
  event (utf8_.feed (bytes, length));
}

void AsciicastWriter::exit (gint status)
{
  std::lock_guard<std::mutex> guard (lock_);
  event (utf8_.flush () + "\r\n" + gv::terminal::exit_sentence (status) + "\r\n");
}

void AsciicastWriter::close ()
{
  std::lock_guard<std::mutex> guard (lock_);
  if (!file_)
    return;
  event (utf8_.flush ());
  if (!header_written_)
    header (gv::terminal::kDefaultCols, gv::terminal::kDefaultRows);
  fclose (file_);
  file_ = nullptr;
}

} // namespace gv::webrtc
