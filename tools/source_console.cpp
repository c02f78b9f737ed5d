#include "source_console.h"

#include "../plugins/capture/gvsharedsource.h"
#include "chat_text.h"
#include "console.h"

#include <cstdio>
#include <vector>

namespace gv::launcher {
namespace {

/* The sink's video input pad (a reference), or nullptr. */
GstPad *video_pad (GstElement *sink)
{
  GstPad *found = nullptr;
  GstIterator *it = gst_element_iterate_sink_pads (sink);
  GValue item = G_VALUE_INIT;
  while (!found && gst_iterator_next (it, &item) == GST_ITERATOR_OK) {
    auto *pad = GST_PAD (g_value_get_object (&item));
    if (g_str_has_prefix (GST_OBJECT_NAME (pad), "video"))
      found = GST_PAD (gst_object_ref (pad));
    g_value_reset (&item);
  }
  g_value_unset (&item);
  gst_iterator_free (it);
  return found;
}

bool ask_sources (GstElement *sink, std::string &current, std::vector<GvShareableSource> &sources)
{
  GstPad *pad = video_pad (sink);
  if (!pad)
    return false;
  GstQuery *query = gv_sources_query_new ();
  bool ok = gst_pad_peer_query (pad, query) && gv_sources_query_parse (query, current, sources);
  gst_query_unref (query);
  gst_object_unref (pad);
  return ok;
}

std::string size_text (int width, int height)
{
  return std::to_string (width) + "x" + std::to_string (height);
}

void print_list (const std::string &current, const std::vector<GvShareableSource> &sources)
{
  print_line ("  What can be shared (/share ID switches; * is shared now):");
  for (const GvShareableSource &s : sources) {
    gchar *line = g_strdup_printf ("  %s %-20s %-10s %s", s.id == current ? "*" : " ",
                                   s.id.c_str (), size_text (s.width, s.height).c_str (),
                                   terminal_safe (s.name, " ").c_str ());
    print_line (line);
    g_free (line);
  }
}

} // namespace

void list_sources (GstElement *sink)
{
  std::string current;
  std::vector<GvShareableSource> sources;
  if (!ask_sources (sink, current, sources)) {
    print_error ("/sources: what is shared cannot be switched here (only an X11 screen capture "
                 "can; a test pattern or a browser host cannot)");
    return;
  }
  print_list (current, sources);
}

void print_sources (const GstStructure *s)
{
  std::string current;
  std::vector<GvShareableSource> sources;
  if (gv_sources_parse (s, current, sources))
    print_list (current, sources);
}

void share_source (GstElement *sink, const std::string &id)
{
  if (id.empty ()) {
    print_error ("/share ID: give what to share, as /sources lists it (screen, display:N, "
                 "window:0xID)");
    return;
  }
  std::string current;
  std::vector<GvShareableSource> sources;
  if (!ask_sources (sink, current, sources)) {
    print_error ("/share: what is shared cannot be switched here (only an X11 screen capture can)");
    return;
  }
  GstPad *pad = video_pad (sink);
  bool ok = pad && gst_pad_push_event (pad, gv_share_event_new (id.c_str (), ""));
  if (pad)
    gst_object_unref (pad);
  if (!ok)
    print_error ("/share: there is no " + terminal_safe (id, " ") +
                 " to share (/sources lists "
                 "what there is)");
}

std::string shared_line (const GstStructure *s, bool viewer)
{
  const char *id = gst_structure_get_string (s, "source");
  const char *name = gst_structure_get_string (s, "name");
  const char *by = gst_structure_get_string (s, "by");
  const char *reason = gst_structure_get_string (s, "reason");
  gint width = 0, height = 0;
  gst_structure_get_int (s, "width", &width);
  gst_structure_get_int (s, "height", &height);
  std::string what = terminal_safe (name && *name ? name
                                    : id          ? id
                                                  : "?",
                                    " ") +
                     " (" + terminal_safe (id ? id : "?", " ") + ", " + size_text (width, height) +
                     ")";
  const std::string now = viewer ? "the host now shares " : "now sharing ";
  if (reason && g_str_equal (reason, GV_SHARED_REASON_WINDOW_CLOSED))
    return "the shared window was closed; " + now + what;
  if (reason && g_str_equal (reason, GV_SHARED_REASON_RESIZED))
    return "the display was resized by " + terminal_safe (by && *by ? by : "?", " ") + "; " + now +
           what;
  std::string line = now + what;
  if (by && *by && !g_str_equal (by, "Host"))
    line += ", picked by " + terminal_safe (by, " ");
  return line;
}

} // namespace gv::launcher
