/* What `ghostview host`, `view` and `record` say about file transfers
 * (gvwebrtcsink-file / gvwebrtcsrc-file messages): one event line when a
 * file starts, every 10 % of a large one, when it arrives (where it was
 * saved) or fails (why). */
#pragma once

#include <gst/gst.h>

#include <map>
#include <string>

namespace gv::launcher {

class FileConsole {
public:
  /* Feed every element message; true when it was a file message. */
  bool handle_message (GstMessage *msg);

private:
  std::map<std::string, int> shown_tenths_; /* per transfer: progress printed */
};

/* "notes.txt" as a terminal may print it: control characters replaced. */
std::string printable (const std::string &text);

} // namespace gv::launcher
