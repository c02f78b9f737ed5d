#include "viewer_console.h"

#include "source_console.h"

#include <cstdio>

#include "chat_text.h"
#include "console.h"

namespace gv::launcher {
namespace {

GstElement *find_source (GstElement *pipeline)
{
  GstElement *found = nullptr;
  GstIterator *it = gst_bin_iterate_recurse (GST_BIN (pipeline));
  GValue item = G_VALUE_INIT;
  while (!found && gst_iterator_next (it, &item) == GST_ITERATOR_OK) {
    auto *e = GST_ELEMENT (g_value_get_object (&item));
    GstElementFactory *f = gst_element_get_factory (e);
    if (f && g_str_equal (GST_OBJECT_NAME (f), "gvwebrtcsrc"))
      found = GST_ELEMENT (gst_object_ref (e));
    g_value_reset (&item);
  }
  g_value_unset (&item);
  gst_iterator_free (it);
  return found;
}

} // namespace

ViewerConsole::ViewerConsole (GstElement *pipeline, const std::string &transcript)
    : src_ (find_source (pipeline))
{
  if (!src_)
    return;
  if (!transcript.empty ())
    transcript_.set_path (transcript);
  pad_added_ = g_signal_connect (src_, "pad-added", G_CALLBACK (on_pad_added), this);
}

ViewerConsole::~ViewerConsole ()
{
  if (!src_)
    return;
  if (pad_added_)
    g_signal_handler_disconnect (src_, pad_added_);
  gst_object_unref (src_);
}

void ViewerConsole::on_pad_added (GstElement *, GstPad *pad, gpointer self)
{
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, first_buffer, self, nullptr);
  if (g_str_has_prefix (GST_OBJECT_NAME (pad), "video"))
    gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, picture_size, self, nullptr);
}

GstPadProbeReturn ViewerConsole::picture_size (GstPad *, GstPadProbeInfo *info, gpointer data)
{
  auto *self = static_cast<ViewerConsole *> (data);
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
  if (GST_EVENT_TYPE (event) != GST_EVENT_CAPS)
    return GST_PAD_PROBE_OK;
  GstCaps *caps;
  gst_event_parse_caps (event, &caps);
  gint width = 0, height = 0;
  const GstStructure *s = gst_caps_get_structure (caps, 0);
  if (!s || !gst_structure_get_int (s, "width", &width) ||
      !gst_structure_get_int (s, "height", &height))
    return GST_PAD_PROBE_OK;
  const gint old_width = self->picture_width_.exchange (width);
  const gint old_height = self->picture_height_.exchange (height);
  if (old_width == width && old_height == height)
    return GST_PAD_PROBE_OK;
  g_main_context_invoke_full (
      nullptr, G_PRIORITY_DEFAULT,
      [] (gpointer text) {
        print_event (static_cast<std::string *> (text)->c_str ());
        return G_SOURCE_REMOVE;
      },
      new std::string ("picture: " + std::to_string (width) + "x" + std::to_string (height)),
      [] (gpointer text) { delete static_cast<std::string *> (text); });
  return GST_PAD_PROBE_OK;
}

GstPadProbeReturn ViewerConsole::first_buffer (GstPad *, GstPadProbeInfo *, gpointer data)
{
  auto *self = static_cast<ViewerConsole *> (data);
  gint64 unset = -1;
  self->media_start_us_.compare_exchange_strong (unset, g_get_monotonic_time ());
  return GST_PAD_PROBE_REMOVE;
}

bool ViewerConsole::handle_message (GstMessage *msg)
{
  const GstStructure *s = gst_message_get_structure (msg);
  if (!src_ || !s)
    return false;
  if (gst_structure_has_name (s, "gvwebrtcsrc-refused")) {
    const char *message = gst_structure_get_string (s, "message");
    print_event ("the host refused: " +
                 terminal_safe (message && *message ? message : "(no reason given)", " "));
    return true;
  }
  if (gst_structure_has_name (s, "gvwebrtcsrc-terminal")) {
    const char *message = gst_structure_get_string (s, "message");
    print_event (std::string ("the host's shared terminal ended: ") +
                 terminal_safe (message ? message : "[process exited]", " "));
    return true;
  }
  if (gst_structure_has_name (s, "gvwebrtcsrc-shared")) {
    print_event (shared_line (s, true));
    return true;
  }
  if (gst_structure_has_name (s, "gvwebrtcsrc-sources")) {
    print_sources (s);
    return true;
  }
  /* gvclipboard (view.pipeline): the clipboard shared with the host */
  if (gst_structure_has_name (s, "gvclipboard-received") ||
      gst_structure_has_name (s, "gvclipboard-sent")) {
    const char *mime = gst_structure_get_string (s, "mime");
    guint64 size = 0;
    gst_structure_get_uint64 (s, "size", &size);
    std::string what = g_strcmp0 (mime, "image/png") == 0 ? "an image" : "text";
    what += " (" + std::to_string (size) + " bytes)";
    print_event (gst_structure_has_name (s, "gvclipboard-sent")
                     ? "clipboard: " + what + " copied here sent to the host"
                     : "clipboard: " + what + " the host copied is on this display's clipboard");
    return true;
  }
  if (!gst_structure_has_name (s, "gvwebrtcsrc-chat"))
    return false;
  const char *from = gst_structure_get_string (s, "from");
  const char *peer = gst_structure_get_string (s, "peer");
  const char *text = gst_structure_get_string (s, "text");
  gint64 time_ms = 0;
  if (!text)
    return true;
  if (!gst_structure_get_int64 (s, "time", &time_ms))
    time_ms = g_get_real_time () / 1000;
  std::string name = from && *from ? from : "viewer " + std::string (peer ? peer : "?");
  /* The cue is on disk before the line shows. */
  gint64 start = media_start_us_.load ();
  if (start >= 0)
    transcript_.start (start);
  std::string error;
  if (!transcript_.add (g_get_monotonic_time (), name, text, error))
    print_error (error);
  print_line (format_chat_line (time_ms, name, text));
  return true;
}

void ViewerConsole::handle_line (const std::string &line)
{
  if (!src_ || line.find_first_not_of (" \t") == std::string::npos)
    return;
  gboolean ok = FALSE;
  /* `/send FILE` offers a file to the host (it takes it only when it
   * granted `file`); /sources and /share ID ask what it shares (with
   * `source`); every other line is chat. */
  if (line.rfind ("/resize", 0) == 0) {
    int width = 0, height = 0;
    if (sscanf (line.c_str () + 7, " %dx%d", &width, &height) != 2) {
      print_error ("/resize WxH: the size to ask the host's display for, e.g. /resize 1280x720");
      return;
    }
    g_signal_emit_by_name (src_, "request-resize", width, height, &ok);
    if (!ok)
      print_error ("/resize: 64x64 to 8192x8192, once connected");
    return;
  }
  if (line == "/sources" || line.rfind ("/share", 0) == 0) {
    std::string id = line == "/sources" ? "" : line.substr (6);
    id.erase (0, id.find_first_not_of (" \t"));
    if (line == "/sources")
      g_signal_emit_by_name (src_, "list-sources", &ok);
    else
      g_signal_emit_by_name (src_, "share", id.c_str (), &ok);
    if (!ok)
      print_error (line == "/sources" ? "/sources: not connected to the host yet"
                                      : "/share ID: screen, display:N or window:0xID, as "
                                        "/sources lists them, once connected");
    return;
  }
  if (line.rfind ("/send ", 0) == 0) {
    std::string path = line.substr (6);
    path.erase (0, path.find_first_not_of (" \t"));
    if (!g_file_test (path.c_str (), G_FILE_TEST_IS_REGULAR)) {
      print_error ("/send: " + path + " is not a file here");
      return;
    }
    g_signal_emit_by_name (src_, "send-file", path.c_str (), &ok);
    return; /* (a failure is printed from gvwebrtcsrc-file) */
  }
  g_signal_emit_by_name (src_, "send-chat", line.c_str (), &ok);
  if (!ok)
    print_error ("not sent: a chat line is 1 to 4000 bytes of text without control characters, "
                 "sent once connected");
}

} // namespace gv::launcher
