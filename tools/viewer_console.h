/* What `ghostview view` and `ghostview record` do with the host's
 * assistance channel: print its chat lines and refusals ("[HH:MM:SS]
 * NAME: text"); view sends each line typed on stdin as a chat line; record
 * writes the lines beside the recording as WebVTT (chat_transcript.h). */
#pragma once

#include "chat_transcript.h"

#include <gst/gst.h>

#include <atomic>
#include <string>

namespace gv::launcher {

class ViewerConsole {
public:
  /* Finds the gvwebrtcsrc in `pipeline`; `transcript`: the .vtt to write
   * ("" for none). Does nothing without a gvwebrtcsrc. */
  ViewerConsole (GstElement *pipeline, const std::string &transcript);
  ~ViewerConsole ();
  ViewerConsole (const ViewerConsole &) = delete;
  ViewerConsole &operator= (const ViewerConsole &) = delete;

  bool active () const { return src_ != nullptr; }
  /* Feed every element message; true when it was the source's chat or
   * refusal, or gvclipboard's exchange (each printed). */
  bool handle_message (GstMessage *msg);
  /* A line typed on stdin: sent as chat. */
  void handle_line (const std::string &line);

private:
  static void on_pad_added (GstElement *, GstPad *pad, gpointer self);
  static GstPadProbeReturn first_buffer (GstPad *, GstPadProbeInfo *, gpointer self);
  /* Prints "picture: WxH" each time the decoded picture changes size. */
  static GstPadProbeReturn picture_size (GstPad *, GstPadProbeInfo *info, gpointer self);

  GstElement *src_ = nullptr;
  gulong pad_added_ = 0;
  /* When the first media buffer left the source (monotonic us; -1: not
   * yet): the start of the recording's timeline, and of its cues. Set on a
   * streaming thread. */
  std::atomic<gint64> media_start_us_{ -1 };
  std::atomic<gint> picture_width_{ 0 }, picture_height_{ 0 };
  ChatTranscript transcript_;
};

} // namespace gv::launcher
