/* What `ghostview host` tells the operator: the banner with the PIN, the
 * viewer URL and the expiry (again on every new registration), one line per
 * viewer event (joined, left, control, a viewer's report of why it sees no
 * picture, its Retry), and a status line (viewers, bitrate). */
#pragma once

#include <gst/gst.h>

#include <map>
#include <string>

namespace gv::launcher {

class HostConsole {
public:
  /* Finds the gvwebrtcsink in `pipeline` and connects to it; `what` is the
   * banner's "Sharing: ..." text. Does nothing without a gvwebrtcsink. */
  HostConsole (GstElement *pipeline, std::string what, bool allow_control);
  ~HostConsole ();
  HostConsole (const HostConsole &) = delete;
  HostConsole &operator= (const HostConsole &) = delete;

  bool active () const { return sink_ != nullptr; }
  /* Asks the sink's signaller for an invite link standing for
   * `capabilities`, admitting `uses` viewers (before the pipeline runs);
   * false when the sink's signaller takes no invites. */
  bool request_invite (guint capabilities, int uses);
  /* Feed every element message; returns true when it was the sink's. */
  bool handle_message (GstMessage *msg);

private:
  struct Viewer {
    std::string name;
    bool control = false;
  };
  static void on_viewer_added (GstElement *, const char *peer, const char *name, gpointer self);
  static void on_viewer_removed (GstElement *, const char *peer, gpointer self);
  static void on_control_requested (GstElement *, const char *peer, gpointer self);
  static void on_control_changed (GstElement *, const char *peer, gboolean control, gpointer self);
  void viewer_added (const std::string &peer, const std::string &name);
  void viewer_removed (const std::string &peer);
  void control_requested (const std::string &peer);
  void control_changed (const std::string &peer, bool control);
  /* gvwebrtcsink-viewer-report / -restart: one event line. */
  void viewer_report (const GstStructure *s);
  std::string label (const std::string &peer) const;
  void viewer_codec (const GstStructure *s);
  void invite_ready (const GstStructure *s);
  void show_status ();

  GstElement *sink_ = nullptr;
  std::string what_;
  bool allow_control_;
  std::map<std::string, Viewer> viewers_;
  guint status_timer_ = 0; /* on the main loop; reading the sink's stats never waits */
  gulong handlers_[4] = { 0, 0, 0, 0 };
  bool registered_ = false;
  std::string pin_; /* the PIN shown, to tell a resumed session from a new one */
};

} // namespace gv::launcher
