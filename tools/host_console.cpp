#include "host_console.h"

#include "capabilities.h"
#include "chat_text.h"
#include "console.h"
#include "source_console.h"

#include <cstring>
#include <functional>

namespace gv::launcher {
namespace {

/* The sink emits its signals from its own threads: run `fn` on the main one. */
void on_main_thread (std::function<void ()> fn)
{
  g_main_context_invoke_full (
      nullptr, G_PRIORITY_DEFAULT,
      [] (gpointer data) {
        (*static_cast<std::function<void ()> *> (data)) ();
        return G_SOURCE_REMOVE;
      },
      new std::function<void ()> (std::move (fn)),
      [] (gpointer data) { delete static_cast<std::function<void ()> *> (data); });
}

GstElement *find_sink (GstElement *pipeline)
{
  GstElement *found = nullptr;
  GstIterator *it = gst_bin_iterate_recurse (GST_BIN (pipeline));
  GValue item = G_VALUE_INIT;
  while (!found && gst_iterator_next (it, &item) == GST_ITERATOR_OK) {
    auto *e = GST_ELEMENT (g_value_get_object (&item));
    GstElementFactory *f = gst_element_get_factory (e);
    if (f && g_str_equal (GST_OBJECT_NAME (f), "gvwebrtcsink"))
      found = GST_ELEMENT (gst_object_ref (e));
    g_value_reset (&item);
  }
  g_value_unset (&item);
  gst_iterator_free (it);
  return found;
}

std::string format_expiry (gint64 expires_at)
{
  if (expires_at <= 0)
    return "unknown";
  GDateTime *t = g_date_time_new_from_unix_local (expires_at);
  gchar *clock = g_date_time_format (t, "%H:%M:%S");
  gint64 minutes = (expires_at - g_get_real_time () / G_USEC_PER_SEC + 30) / 60;
  std::string out = std::string (clock) + " (in " + std::to_string (minutes) + " min)";
  g_free (clock);
  g_date_time_unref (t);
  return out;
}

std::string format_bitrate (double bps)
{
  gchar *text = bps >= 1e6 ? g_strdup_printf ("%.1f Mbit/s", bps / 1e6)
                           : g_strdup_printf ("%.0f kbit/s", bps / 1e3);
  std::string out (text);
  g_free (text);
  return out;
}

/* A viewer's report (gvwebrtcsink-viewer-report), for the operator. */
std::string report_text (const std::string &problem, const std::string &codec)
{
  std::string named = codec.empty () ? "" : " (" + codec + ")";
  if (problem == "no-common-codec")
    return "cannot play the video: their browser decodes none of the codecs offered (--codec "
           "vp8 suits every browser)";
  if (problem == "connection-blocked")
    return "cannot connect: the network between you blocks the connection (a TURN server "
           "would help)";
  if (problem == "connection-lost")
    return "lost the connection: the network between you stopped carrying the video";
  if (problem == "no-media")
    return "is connected but receives no video (is the source running?)";
  if (problem == "media-stopped")
    return "stopped receiving video (is the source still running?)";
  if (problem == "cannot-decode")
    return "receives the video but their browser cannot decode it" + named;
  if (problem == "resolved")
    return "sees the picture again";
  return "reports \"" + problem + "\"";
}

} // namespace

void HostConsole::on_viewer_added (GstElement *, const char *peer, const char *name, gpointer user)
{
  auto *self = static_cast<HostConsole *> (user);
  std::string p (peer ? peer : ""), n (name ? name : "");
  on_main_thread ([self, p, n] { self->viewer_added (p, n); });
}

void HostConsole::on_viewer_removed (GstElement *, const char *peer, gpointer user)
{
  auto *self = static_cast<HostConsole *> (user);
  std::string p (peer ? peer : "");
  on_main_thread ([self, p] { self->viewer_removed (p); });
}

void HostConsole::on_control_requested (GstElement *, const char *peer, gpointer user)
{
  auto *self = static_cast<HostConsole *> (user);
  std::string p (peer ? peer : "");
  on_main_thread ([self, p] { self->control_requested (p); });
}

void HostConsole::on_control_changed (GstElement *, const char *peer, gboolean control,
                                      gpointer user)
{
  auto *self = static_cast<HostConsole *> (user);
  std::string p (peer ? peer : "");
  on_main_thread ([self, p, control] { self->control_changed (p, control); });
}

HostConsole::HostConsole (GstElement *pipeline, std::string what)
    : sink_ (find_sink (pipeline)), what_ (std::move (what))
{
  if (!sink_)
    return;
  g_object_get (sink_, "allow", &allow_, nullptr);
  handlers_[0] = g_signal_connect (sink_, "viewer-added", G_CALLBACK (on_viewer_added), this);
  handlers_[1] = g_signal_connect (sink_, "viewer-removed", G_CALLBACK (on_viewer_removed), this);
  handlers_[2] =
      g_signal_connect (sink_, "control-requested", G_CALLBACK (on_control_requested), this);
  handlers_[3] = g_signal_connect (sink_, "control-changed", G_CALLBACK (on_control_changed), this);
  status_timer_ = g_timeout_add_seconds (
      stdout_is_tty () ? 1 : 5,
      [] (gpointer self) -> gboolean {
        static_cast<HostConsole *> (self)->show_status ();
        return G_SOURCE_CONTINUE;
      },
      this);
}

HostConsole::~HostConsole ()
{
  if (!sink_)
    return;
  g_source_remove (status_timer_);
  for (gulong h : handlers_)
    if (h)
      g_signal_handler_disconnect (sink_, h);
  /* Callbacks already queued for the main loop must not run on a dead
   * console: drain them while the handlers are gone. */
  while (g_main_context_iteration (nullptr, FALSE))
    ;
  gst_object_unref (sink_);
}

bool HostConsole::request_invite (guint capabilities, int uses)
{
  if (!sink_)
    return false;
  GObject *signaller = nullptr;
  g_object_get (sink_, "signaller", &signaller, nullptr);
  bool ok = signaller && g_object_class_find_property (G_OBJECT_GET_CLASS (signaller), "invite");
  if (ok)
    g_object_set (signaller, "invite", capabilities, "invite-uses", uses, nullptr);
  if (signaller)
    g_object_unref (signaller);
  return ok;
}

bool HostConsole::claim_reservation (const std::string &token)
{
  if (!sink_)
    return false;
  GObject *signaller = nullptr;
  g_object_get (sink_, "signaller", &signaller, nullptr);
  bool ok =
      signaller && g_object_class_find_property (G_OBJECT_GET_CLASS (signaller), "reservation");
  if (ok)
    g_object_set (signaller, "reservation", token.c_str (), nullptr);
  if (signaller)
    g_object_unref (signaller);
  return ok;
}

/* gvwebrtcsink-invite: the link, with what it stands for. */
void HostConsole::invite_ready (const GstStructure *s)
{
  const char *url = gst_structure_get_string (s, "invite-url");
  const char *caps = gst_structure_get_string (s, "capabilities");
  gint uses = 1;
  gint64 expires = 0;
  gst_structure_get_int (s, "uses", &uses);
  gst_structure_get_int64 (s, "expires-at", &expires);
  const bool control = caps && strstr (caps, "control");
  print_line ("  Invite link (" + std::string (control ? "view and control" : "view only") + ", " +
              std::to_string (uses) + (uses == 1 ? " viewer" : " viewers") + ", no PIN needed):");
  print_line ("    " + std::string (url && *url ? url : "(the server gave none)"));
  print_line ("  It expires " + format_expiry (expires) + ".");
  print_line ("");
}

bool HostConsole::handle_message (GstMessage *msg)
{
  const GstStructure *s = gst_message_get_structure (msg);
  if (!sink_ || !s)
    return false;
  if (gst_structure_has_name (s, "gvwebrtcsink-viewer-report") ||
      gst_structure_has_name (s, "gvwebrtcsink-viewer-restart")) {
    viewer_report (s);
    return true;
  }
  if (gst_structure_has_name (s, "gvwebrtcsink-codec")) {
    viewer_codec (s);
    return true;
  }
  if (gst_structure_has_name (s, "gvwebrtcsink-viewer-fallback")) {
    viewer_fallback (s);
    return true;
  }
  if (gst_structure_has_name (s, "gvwebrtcsink-snapshot")) {
    const char *by = gst_structure_get_string (s, "by");
    const char *reason = gst_structure_get_string (s, "reason");
    gboolean taken = FALSE;
    gst_structure_get_boolean (s, "taken", &taken);
    std::string who = by && *by ? std::string ("API key '") + by + "'" : "the server's API";
    print_event (taken ? "a snapshot of the screen was taken through " + who
                       : "a snapshot asked for by " + who +
                             " was refused: " + (reason ? reason : ""));
    return true;
  }
  if (gst_structure_has_name (s, "gvwebrtcsink-invite")) {
    invite_ready (s);
    return true;
  }
  if (gst_structure_has_name (s, "gvwebrtcsink-chat")) {
    viewer_chat (s);
    return true;
  }
  if (gst_structure_has_name (s, "gvwebrtcsink-shared")) {
    print_event (shared_line (s));
    return true;
  }
  if (gst_structure_has_name (s, "gvwebrtcsink-terminal")) {
    /* The shared terminal's program ended; viewers see the same line. */
    const char *message = gst_structure_get_string (s, "message");
    print_event (std::string ("the shared terminal's program ended: ") +
                 (message ? message : "[process exited]"));
    return true;
  }
  if (!gst_structure_has_name (s, "gvwebrtcsink-session"))
    return false;
  const char *pin = gst_structure_get_string (s, "pin");
  const char *url = gst_structure_get_string (s, "viewer-url");
  gint64 expires = 0;
  gst_structure_get_int64 (s, "expires-at", &expires);
  if (registered_ && pin && pin_ == pin) {
    /* The signaller resumed its session: same PIN, nothing new to show. */
    print_event ("signalling server reconnected; PIN " + pin_ + " kept");
    return true;
  }
  if (registered_)
    print_event ("new session registered with a new PIN (the previous one was used, expired or "
                 "could not be kept when the server reconnected)");
  registered_ = true;
  pin_ = pin ? pin : "";
  print_line ("");
  print_line ("  GhostView host: " + what_);
  print_line ("  PIN: " + std::string (pin ? pin : "?"));
  print_line ("  Viewer URL: " + std::string (url && *url ? url : "(the server gave none)"));
  print_line ("  Expires: " + format_expiry (expires));
  std::string gets = "  Viewers get: " + capability_list (allow_ | GV_CAPABILITY_VIEW);
  if (!(allow_ & (GV_CAPABILITY_CONTROL | GV_CAPABILITY_CHAT)))
    gets += " (--allow control,chat lets them use mouse and keyboard, and chat)";
  print_line (gets);
  print_line ("  Type a line to chat with viewers who have chat; /help lists the commands.");
  print_line ("  Press Ctrl-C to stop.");
  print_line ("");
  return true;
}

std::string HostConsole::label (const std::string &peer) const
{
  auto it = viewers_.find (peer);
  if (it == viewers_.end () || it->second.name.empty ())
    return "viewer " + terminal_safe (peer, " ");
  return terminal_safe (it->second.name, " ") + " (" + terminal_safe (peer, " ") + ")";
}

void HostConsole::viewer_added (const std::string &peer, const std::string &name)
{
  viewers_[peer] = Viewer{ name, false, next_number_++ };
  print_event ("viewer joined: " + label (peer) + " (number " +
               std::to_string (viewers_[peer].number) + ")");
}

/* On the main thread (bus messages are handled there). The detail comes
 * from the viewer's page: the server lets through one line of text only. */
void HostConsole::viewer_report (const GstStructure *s)
{
  auto field = [s] (const char *name) {
    const char *v = gst_structure_get_string (s, name);
    return std::string (v ? v : "");
  };
  std::string peer = field ("peer-id");
  if (viewers_.find (peer) == viewers_.end () && !field ("name").empty ())
    viewers_[peer] = Viewer{ field ("name"), false, next_number_++ };
  if (gst_structure_has_name (s, "gvwebrtcsink-viewer-restart")) {
    print_event (label (peer) + " asked for the video again (Retry)");
    return;
  }
  std::string problem = field ("problem");
  std::string detail = field ("detail");
  std::string text = label (peer) + " " + report_text (problem, field ("codec"));
  if (!detail.empty ())
    text += " - " + detail;
  print_event (text + " [" + problem + "]");
}

/* A viewer whose peer connection did not connect watches JPEG pictures over
 * the signalling connection (or was refused them), or is back on WebRTC. */
void HostConsole::viewer_fallback (const GstStructure *s)
{
  const char *peer = gst_structure_get_string (s, "peer-id");
  const char *reason = gst_structure_get_string (s, "reason");
  gboolean active = FALSE;
  gst_structure_get_boolean (s, "active", &active);
  if (!peer)
    return;
  if (active)
    print_event (label (peer) + " could not connect over WebRTC: it now watches pictures over the "
                                "signalling connection (fallback, slower)");
  else if (reason && *reason)
    print_event (label (peer) + " asked for the fallback; refused: " + reason);
  else
    print_event (label (peer) + " left the fallback (back on WebRTC, or gone)");
}

/* Which video codec a viewer's answer picked: the operator sees who gets
 * the fallback, and who can decode none of the codecs offered. */
void HostConsole::viewer_codec (const GstStructure *s)
{
  const char *peer = gst_structure_get_string (s, "peer-id");
  const char *codec = gst_structure_get_string (s, "codec");
  if (!peer || !codec)
    return;
  if (g_str_equal (codec, "none"))
    print_event (label (peer) + " can decode none of the video codecs offered: no video");
  else
    print_event (label (peer) + " gets " + codec + " video");
}

void HostConsole::viewer_removed (const std::string &peer)
{
  print_event ("viewer left: " + label (peer));
  viewers_.erase (peer);
}

void HostConsole::control_requested (const std::string &peer)
{
  auto it = viewers_.find (peer);
  std::string number = it == viewers_.end () ? "N" : std::to_string (it->second.number);
  print_event (label (peer) + " asks for control" +
               (allow_ & GV_CAPABILITY_CONTROL ? "" : " (type /grant " + number + " control)"));
}

void HostConsole::control_changed (const std::string &peer, bool control)
{
  auto it = viewers_.find (peer);
  if (it == viewers_.end () || it->second.control == control)
    return;
  it->second.control = control;
  print_event (label (peer) + (control ? " was granted control" : " lost control"));
}

/* The status line: viewers, how many have control, what is sent. */
void HostConsole::show_status ()
{
  if (!registered_)
    return;
  GstStructure *stats = nullptr;
  g_object_get (sink_, "stats", &stats, nullptr);
  if (!stats)
    return;
  double bitrate = 0;
  guint with_control = 0, count = 0;
  std::string links;
  static const char *const kLayerNames[] = { "full", "half", "quarter" };
  const GValue *list = gst_structure_get_value (stats, "viewers");
  for (guint i = 0; list && i < gst_value_array_get_size (list); i++) {
    const GstStructure *v = gst_value_get_structure (gst_value_array_get_value (list, i));
    gboolean control = FALSE;
    double rate = 0;
    guint64 estimate = 0;
    gint layer = -1;
    gst_structure_get_boolean (v, "control", &control);
    gst_structure_get_double (v, "bitrate", &rate);
    gst_structure_get_uint64 (v, "estimated-bitrate", &estimate);
    gst_structure_get_int (v, "layer", &layer);
    bitrate += rate;
    count++;
    with_control += control ? 1 : 0;
    /* What each viewer's link takes (its bandwidth estimate) and the size
     * it watches. */
    if (estimate) {
      links += links.empty () ? "" : ", ";
      links += format_bitrate ((double) estimate);
      if (layer >= 0 && layer < (gint) G_N_ELEMENTS (kLayerNames))
        links += std::string (" ") + kLayerNames[layer];
    }
  }
  gst_structure_free (stats);
  std::string status = "viewers: " + std::to_string (count);
  if (with_control)
    status += " (" + std::to_string (with_control) + " with control)";
  if (count)
    status += ", sending " + format_bitrate (bitrate);
  if (!links.empty ())
    status += "; links " + links;
  update_status (status);
}

/* A viewer's line (the sink relayed it to every viewer with chat); the
 * operator's own lines (peer "host") are not shown again. */
void HostConsole::viewer_chat (const GstStructure *s)
{
  const char *peer = gst_structure_get_string (s, "peer-id");
  const char *name = gst_structure_get_string (s, "name");
  const char *text = gst_structure_get_string (s, "text");
  gint64 time_ms = 0;
  if (!peer || !text || g_str_equal (peer, "host"))
    return;
  if (!gst_structure_get_int64 (s, "time", &time_ms))
    time_ms = g_get_real_time () / 1000;
  std::string who = name && *name ? name : "viewer " + std::string (peer);
  print_line (format_chat_line (time_ms, who, text));
}

std::map<std::string, guint> HostConsole::capabilities_now () const
{
  std::map<std::string, guint> out;
  GstStructure *stats = nullptr;
  g_object_get (sink_, "stats", &stats, nullptr);
  const GValue *list = stats ? gst_structure_get_value (stats, "viewers") : nullptr;
  for (guint i = 0; list && i < gst_value_array_get_size (list); i++) {
    const GstStructure *v = gst_value_get_structure (gst_value_array_get_value (list, i));
    const char *peer = gst_structure_get_string (v, "peer-id");
    const GValue *caps = gst_structure_get_value (v, "capabilities");
    if (peer && caps && G_VALUE_HOLDS_FLAGS (caps))
      out[peer] = g_value_get_flags (caps);
  }
  if (stats)
    gst_structure_free (stats);
  return out;
}

/* How many chat lines of each viewer the sink refused (no chat). */
static std::map<std::string, guint64> chat_refused (GstElement *sink)
{
  std::map<std::string, guint64> out;
  GstStructure *stats = nullptr;
  g_object_get (sink, "stats", &stats, nullptr);
  const GValue *list = stats ? gst_structure_get_value (stats, "viewers") : nullptr;
  for (guint i = 0; list && i < gst_value_array_get_size (list); i++) {
    const GstStructure *v = gst_value_get_structure (gst_value_array_get_value (list, i));
    const char *peer = gst_structure_get_string (v, "peer-id");
    guint64 refused = 0;
    if (peer && gst_structure_get_uint64 (v, "assist-refused", &refused))
      out[peer] = refused;
  }
  if (stats)
    gst_structure_free (stats);
  return out;
}

void HostConsole::list_viewers ()
{
  std::map<std::string, guint> caps = capabilities_now ();
  std::map<std::string, guint64> refused = chat_refused (sink_);
  if (viewers_.empty ()) {
    print_line ("  no viewers yet");
    return;
  }
  for (const auto &[peer, viewer] : viewers_) {
    auto it = caps.find (peer);
    std::string has = it == caps.end () ? "(connecting)" : capability_list (it->second);
    auto r = refused.find (peer);
    if (r != refused.end () && r->second)
      has += " (chat lines refused: " + std::to_string (r->second) + ")";
    print_line ("  " + std::to_string (viewer.number) + "  " + label (peer) + ": " + has);
  }
}

void HostConsole::change_capabilities (const std::string &args, bool add)
{
  const char *command = add ? "/grant" : "/revoke";
  gchar **words = g_strsplit_set (args.c_str (), " \t", 2);
  std::string number = words[0] ? words[0] : "";
  std::string list = words[0] && words[1] ? g_strstrip (words[1]) : "";
  g_strfreev (words);
  std::string peer;
  for (const auto &[p, viewer] : viewers_)
    if (std::to_string (viewer.number) == number)
      peer = p;
  guint bits = 0;
  std::string error;
  if (number.empty () || list.empty ()) {
    print_error (std::string ("usage: ") + command + " N CAP[,CAP...] (N from /viewers; " +
                 "capabilities: " + capability_list (gv::kAllCapabilities) + ")");
    return;
  }
  if (peer.empty ()) {
    print_error (std::string (command) + ": no viewer " + terminal_safe (number, " ") +
                 " (/viewers lists them)");
    return;
  }
  if (!parse_capability_list (list, bits, error)) {
    print_error (std::string (command) + ": " + terminal_safe (error, " "));
    return;
  }
  if (!add && (bits & GV_CAPABILITY_VIEW)) {
    print_error ("/revoke: every viewer keeps view (remove a viewer by ending the session)");
    return;
  }
  std::map<std::string, guint> caps = capabilities_now ();
  auto it = caps.find (peer);
  if (it == caps.end ()) {
    print_error (std::string (command) + ": viewer " + number + " is not connected yet");
    return;
  }
  guint now = add ? it->second | bits : it->second & ~bits;
  gboolean ok = FALSE;
  g_signal_emit_by_name (sink_, "set-capabilities", peer.c_str (), now, &ok);
  if (!ok) {
    print_error (std::string (command) + ": viewer " + number + " has left");
    return;
  }
  print_event ("viewer " + number + " " + label (peer) +
               " now has: " + capability_list (now | GV_CAPABILITY_VIEW));
}

void HostConsole::send_chat (const std::string &text)
{
  gboolean ok = FALSE;
  g_signal_emit_by_name (sink_, "send-chat", text.c_str (), &ok);
  if (!ok) {
    print_error ("not sent: a chat line is 1 to 4000 bytes of text, without control characters");
    return;
  }
  bool anyone = false;
  for (const auto &kv : capabilities_now ())
    anyone = anyone || (kv.second & GV_CAPABILITY_CHAT);
  if (!anyone)
    print_line ("  (no viewer has chat: /grant N chat, or start with --allow chat)");
}

/* `/send N FILE` or `/send all FILE`: offered on the viewers' file
 * channels; how it goes is printed from the sink's gvwebrtcsink-file
 * messages (file_console.h). */
void HostConsole::send_file (const std::string &args)
{
  size_t space = args.find_first_of (" \t");
  std::string who = args.substr (0, space);
  std::string path =
      space == std::string::npos ? "" : args.substr (args.find_first_not_of (" \t", space));
  if (who.empty () || path.empty ()) {
    print_error ("/send N FILE: a viewer's number (/viewers lists them) or all, then a file");
    return;
  }
  if (!g_file_test (path.c_str (), G_FILE_TEST_IS_REGULAR)) {
    print_error ("/send: " + terminal_safe (path, " ") + " is not a file here");
    return;
  }
  int sent = 0;
  for (const auto &[peer, viewer] : viewers_) {
    if (who != "all" && std::to_string (viewer.number) != who)
      continue;
    gboolean ok = FALSE;
    g_signal_emit_by_name (sink_, "send-file", peer.c_str (), path.c_str (), &ok);
    sent += ok ? 1 : 0;
  }
  if (sent == 0)
    print_error ("/send: no viewer " + terminal_safe (who, " ") +
                 " took it (/viewers lists them; one file at a time each way)");
}

void HostConsole::handle_line (const std::string &line)
{
  if (!sink_)
    return;
  std::string trimmed = line;
  trimmed.erase (0, trimmed.find_first_not_of (" \t"));
  trimmed.erase (trimmed.find_last_not_of (" \t") + 1);
  if (trimmed.empty ())
    return;
  if (trimmed[0] != '/') {
    send_chat (line);
    return;
  }
  size_t space = trimmed.find_first_of (" \t");
  std::string command = trimmed.substr (0, space);
  std::string args = space == std::string::npos ? "" : trimmed.substr (space + 1);
  if (command == "/viewers") {
    list_viewers ();
  } else if (command == "/grant" || command == "/revoke") {
    change_capabilities (args, command == "/grant");
  } else if (command == "/send") {
    send_file (args);
  } else if (command == "/sources") {
    list_sources (sink_);
  } else if (command == "/share") {
    share_source (sink_, args);
  } else if (command == "/help") {
    print_line ("  /viewers                  list viewers: number, name, capabilities");
    print_line ("  /grant N CAP[,CAP...]     give viewer N capabilities (" +
                capability_list (gv::kAllCapabilities & ~GV_CAPABILITY_VIEW) + ")");
    print_line ("  /revoke N CAP[,CAP...]    take them back");
    print_line (
        "  /send N FILE              send FILE to viewer N (/send all FILE: to every viewer)");
    print_line ("  /sources                  what can be shared: the screen, each display, each "
                "window");
    print_line ("  /share ID                 share that instead (screen, display:N, window:0xID)");
    print_line ("  /help                     this list");
    print_line ("  any other line            a chat line to every viewer with chat");
  } else {
    print_error ("unknown command " + terminal_safe (command, " ") + " (/help lists them)");
  }
}

} // namespace gv::launcher
