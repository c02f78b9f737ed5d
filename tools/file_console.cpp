#include "file_console.h"

#include "console.h"

namespace gv::launcher {

std::string printable (const std::string &text)
{
  std::string out;
  for (unsigned char c : text)
    out += (c < 0x20 || c == 0x7f) ? '?' : (char) c;
  return out;
}

static std::string size_text (guint64 bytes)
{
  gchar *t = g_format_size_full (bytes, G_FORMAT_SIZE_IEC_UNITS);
  std::string out = t;
  g_free (t);
  /* GLib puts a no-break space (U+00A0) before the unit: a plain one. */
  for (std::size_t at; (at = out.find ("\xc2\xa0")) != std::string::npos;)
    out.replace (at, 2, " ");
  return out;
}

bool FileConsole::handle_message (GstMessage *msg)
{
  const GstStructure *s = gst_message_get_structure (msg);
  if (!s || !(gst_structure_has_name (s, "gvwebrtcsink-file") ||
              gst_structure_has_name (s, "gvwebrtcsrc-file")))
    return false;
  const bool incoming = g_strcmp0 (gst_structure_get_string (s, "direction"), "incoming") == 0;
  const std::string state = gst_structure_get_string (s, "state") ?: "";
  const std::string file = printable (gst_structure_get_string (s, "file") ?: "");
  const char *viewer = gst_structure_get_string (s, "name");
  const std::string who = gst_structure_has_name (s, "gvwebrtcsink-file")
                              ? std::string (viewer && *viewer ? printable (viewer) : "a viewer")
                              : std::string ("the host");
  guint64 size = 0, bytes = 0;
  gst_structure_get_uint64 (s, "size", &size);
  gst_structure_get_uint64 (s, "bytes", &bytes);
  const std::string key = (incoming ? "in:" : "out:") + file;
  if (state == "offered") {
    shown_tenths_[key] = 0;
    print_event (incoming ? "receiving " + file + " (" + size_text (size) + ") from " + who
                          : "sending " + file + " (" + size_text (size) + ") to " + who);
  } else if (state == "progress" && size >= 10 * 1024 * 1024) {
    int tenths = (int) (bytes * 10 / MAX (size, 1));
    if (tenths > shown_tenths_[key]) {
      shown_tenths_[key] = tenths;
      print_event ((incoming ? "receiving " : "sending ") + file + ": " +
                   std::to_string (tenths * 10) + " %");
    }
  } else if (state == "done") {
    shown_tenths_.erase (key);
    print_event (incoming ? "saved " + file + " (" + size_text (size) + ", SHA-256 checked)"
                          : file + " delivered to " + who);
  } else if (state == "failed") {
    shown_tenths_.erase (key);
    const std::string why = printable (gst_structure_get_string (s, "message") ?: "");
    print_event ("file " + file + (incoming ? " from " : " to ") + who + " failed: " +
                 (why.empty () ? printable (gst_structure_get_string (s, "code") ?: "") : why));
  }
  return true;
}

} // namespace gv::launcher
