#include "stdin_lines.h"

#include <fcntl.h>
#include <unistd.h>

namespace gv::launcher {

StdinLines::StdinLines (std::function<void (const std::string &)> on_line)
    : on_line_ (std::move (on_line))
{
  /* A job started in the background (`ghostview host &`) would be stopped
   * (SIGTTIN) by reading its terminal: it leaves the terminal alone. */
  if (isatty (STDIN_FILENO) && tcgetpgrp (STDIN_FILENO) != getpgrp ())
    return;
  /* O_NONBLOCK is set on the open file, which a shell may share: put it
   * back as it was when done. */
  stdin_flags_ = fcntl (STDIN_FILENO, F_GETFL);
  channel_ = g_io_channel_unix_new (STDIN_FILENO);
  /* Bytes as they are (the callers check UTF-8), and no wait for input. */
  g_io_channel_set_encoding (channel_, nullptr, nullptr);
  g_io_channel_set_buffered (channel_, FALSE);
  g_io_channel_set_flags (
      channel_, (GIOFlags) (g_io_channel_get_flags (channel_) | G_IO_FLAG_NONBLOCK), nullptr);
  watch_ =
      g_io_add_watch (channel_, (GIOCondition) (G_IO_IN | G_IO_HUP | G_IO_ERR), readable, this);
}

StdinLines::~StdinLines ()
{
  if (watch_)
    g_source_remove (watch_);
  if (channel_)
    g_io_channel_unref (channel_);
  if (stdin_flags_ != -1)
    fcntl (STDIN_FILENO, F_SETFL, stdin_flags_);
}

gboolean StdinLines::readable (GIOChannel *, GIOCondition, gpointer data)
{
  auto *self = static_cast<StdinLines *> (data);
  char buffer[4096];
  while (true) {
    gsize got = 0;
    GError *error = nullptr;
    GIOStatus status =
        g_io_channel_read_chars (self->channel_, buffer, sizeof buffer, &got, &error);
    g_clear_error (&error);
    if (got > 0) {
      self->pending_.append (buffer, got);
      self->take_lines ();
    }
    if (status == G_IO_STATUS_AGAIN)
      return G_SOURCE_CONTINUE;
    if (status != G_IO_STATUS_NORMAL) {
      /* End of input: a last line without a newline still counts. */
      if (!self->pending_.empty () && !self->discarding_)
        self->on_line_ (self->pending_);
      self->pending_.clear ();
      self->watch_ = 0;
      return G_SOURCE_REMOVE;
    }
  }
}

void StdinLines::take_lines ()
{
  size_t start = 0, end;
  while ((end = pending_.find ('\n', start)) != std::string::npos) {
    std::string line = pending_.substr (start, end - start);
    start = end + 1;
    if (!line.empty () && line.back () == '\r')
      line.pop_back ();
    if (discarding_)
      discarding_ = false;
    else
      on_line_ (line);
  }
  pending_.erase (0, start);
  if (pending_.size () > kMaxLineBytes) {
    if (!discarding_)
      on_line_ (pending_.substr (0, kMaxLineBytes));
    discarding_ = true;
    pending_.clear ();
  }
}

} // namespace gv::launcher
