#include "console.h"

#include <glib.h>
#include <unistd.h>

#include <cstdio>

namespace gv::launcher {
namespace {

bool status_drawn = false;
std::string last_status;
gint64 last_status_us = 0;
constexpr gint64 kPlainStatusIntervalUs = 10 * G_USEC_PER_SEC;

void clear_status ()
{
  if (status_drawn) {
    std::fputs ("\r\033[K", stdout);
    status_drawn = false;
  }
}

} // namespace

bool stdout_is_tty ()
{
  static const bool tty = isatty (STDOUT_FILENO) && g_strcmp0 (g_getenv ("TERM"), "dumb") != 0;
  return tty;
}

void print_line (const std::string &text)
{
  clear_status ();
  std::printf ("%s\n", text.c_str ());
  std::fflush (stdout);
}

void print_event (const std::string &text)
{
  GDateTime *now = g_date_time_new_now_local ();
  gchar *stamp = g_date_time_format (now, "%H:%M:%S");
  print_line (std::string ("[") + stamp + "] " + text);
  g_free (stamp);
  g_date_time_unref (now);
}

void print_error (const std::string &text)
{
  clear_status ();
  std::fflush (stdout);
  std::fprintf (stderr, "%s\n", text.c_str ());
  std::fflush (stderr);
}

void update_status (const std::string &text)
{
  if (stdout_is_tty ()) {
    std::printf ("\r\033[K%s", text.c_str ());
    status_drawn = true;
    std::fflush (stdout);
    return;
  }
  gint64 now = g_get_monotonic_time ();
  if (text == last_status || now - last_status_us < kPlainStatusIntervalUs)
    return;
  last_status = text;
  last_status_us = now;
  print_event (text);
}

void end_status ()
{
  clear_status ();
  std::fflush (stdout);
}

} // namespace gv::launcher
