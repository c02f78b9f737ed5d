/* Lines typed (or piped) on standard input, handed one at a time to a
 * callback on the main loop; never blocks. End of input (or a read error)
 * stops the watch quietly; so does a terminal of which this process is
 * not in the foreground (a background job is never stopped by reading). A line longer than
 * kMaxLineBytes is cut there, the rest of it dropped. */
#pragma once

#include <glib.h>

#include <functional>
#include <string>

namespace gv::launcher {

class StdinLines {
public:
  static constexpr gsize kMaxLineBytes = 16 * 1024;

  /* Starts watching stdin; `on_line` gets each line without its newline. */
  explicit StdinLines (std::function<void (const std::string &line)> on_line);
  ~StdinLines ();
  StdinLines (const StdinLines &) = delete;
  StdinLines &operator= (const StdinLines &) = delete;

private:
  static gboolean readable (GIOChannel *, GIOCondition condition, gpointer self);
  void take_lines ();

  std::function<void (const std::string &)> on_line_;
  GIOChannel *channel_ = nullptr;
  int stdin_flags_ = -1;
  guint watch_ = 0;
  std::string pending_;     /* a line not ended yet */
  bool discarding_ = false; /* the rest of an overlong line */
};

} // namespace gv::launcher
