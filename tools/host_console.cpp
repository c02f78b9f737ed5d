#include "host_console.h"

#include "console.h"

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

HostConsole::HostConsole (GstElement *pipeline, std::string what, bool allow_control)
    : sink_ (find_sink (pipeline)), what_ (std::move (what)), allow_control_ (allow_control)
{
  if (!sink_)
    return;
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
  if (gst_structure_has_name (s, "gvwebrtcsink-invite")) {
    invite_ready (s);
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
  print_line (std::string ("  Control: ") +
              (allow_control_ ? "viewers may use mouse and keyboard"
                              : "view only (--allow-control lets viewers use mouse and keyboard)"));
  print_line ("  Press Ctrl-C to stop.");
  print_line ("");
  return true;
}

std::string HostConsole::label (const std::string &peer) const
{
  auto it = viewers_.find (peer);
  if (it == viewers_.end () || it->second.name.empty ())
    return "viewer " + peer;
  return it->second.name + " (" + peer + ")";
}

void HostConsole::viewer_added (const std::string &peer, const std::string &name)
{
  viewers_[peer] = Viewer{ name, false };
  print_event ("viewer joined: " + label (peer));
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
    viewers_[peer] = Viewer{ field ("name"), false };
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
  print_event (label (peer) + " asks for control" +
               (allow_control_ ? "" : " (not granted: start with --allow-control)"));
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

} // namespace gv::launcher
