/* What `ghostview host` tells the operator: the banner with the PIN, the
 * viewer URL, the expiry and what viewers get (again on every new
 * registration), one line per viewer event (joined, left, control, a
 * viewer's report of why it sees no picture, its Retry), viewers' chat
 * lines, and a status line (viewers, bitrate). And what the operator types:
 * /viewers, /grant N CAPS, /revoke N CAPS, /help, or a chat line. */
#pragma once

#include <gst/gst.h>

#include <map>
#include <string>

namespace gv::launcher {

class HostConsole {
public:
  /* Finds the gvwebrtcsink in `pipeline` and connects to it; `what` is the
   * banner's "Sharing: ..." text. Does nothing without a gvwebrtcsink. */
  HostConsole (GstElement *pipeline, std::string what);
  ~HostConsole ();
  HostConsole (const HostConsole &) = delete;
  HostConsole &operator= (const HostConsole &) = delete;

  bool active () const { return sink_ != nullptr; }
  /* Asks the sink's signaller for an invite link standing for
   * `capabilities`, admitting `uses` viewers (before the pipeline runs);
   * false when the sink's signaller takes no invites. */
  bool request_invite (guint capabilities, int uses);
  /* Has the PIN signaller take the session reserved with `token` (the session
   * API's reservation_token); false when there is none to tell. */
  bool claim_reservation (const std::string &token);
  /* Feed every element message; returns true when it was the sink's. */
  bool handle_message (GstMessage *msg);
  /* One line the operator typed: a command or a chat line. */
  void handle_line (const std::string &line);
  /* /send N FILE */
  void send_file (const std::string &args);

private:
  struct Viewer {
    std::string name;
    bool control = false;
    int number = 0; /* what /grant and /revoke call it */
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
  void viewer_fallback (const GstStructure *s);
  void invite_ready (const GstStructure *s);
  void show_status ();
  void viewer_chat (const GstStructure *s);
  void list_viewers ();
  /* /grant (add) or /revoke (!add): "N CAP[,CAP...]". */
  void change_capabilities (const std::string &args, bool add);
  void send_chat (const std::string &text);
  /* Each viewer's capabilities as the sink has them now, by peer. */
  std::map<std::string, guint> capabilities_now () const;

  GstElement *sink_ = nullptr;
  std::string what_;
  guint allow_ = 0; /* the sink's `allow`: what viewers get when admitted */
  std::map<std::string, Viewer> viewers_;
  int next_number_ = 1;
  guint status_timer_ = 0; /* on the main loop; reading the sink's stats never waits */
  gulong handlers_[4] = { 0, 0, 0, 0 };
  bool registered_ = false;
  std::string pin_; /* the PIN shown, to tell a resumed session from a new one */
};

} // namespace gv::launcher
