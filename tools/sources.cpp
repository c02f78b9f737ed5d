#include "sources.h"

#include "devices.h"

#include <gio/gio.h>
#include <gst/gst.h>

#include <cstdlib>

namespace gv::launcher {

std::string test_source_fragment ()
{
  return "videotestsrc is-live=true pattern=ball ! video/x-raw,width=1280,height=720";
}

/* Whether `e` (consumed) reaches READY. A bus of its own, so the probe's
 * error is not printed as the session's; `error_text`: that error's text. */
static bool reaches_ready (GstElement *e, std::string &error_text)
{
  GstBus *bus = gst_bus_new ();
  gst_element_set_bus (e, bus);
  bool ok = gst_element_set_state (e, GST_STATE_READY) == GST_STATE_CHANGE_SUCCESS;
  if (!ok) {
    if (GstMessage *msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR)) {
      GError *err = nullptr;
      gst_message_parse_error (msg, &err, nullptr);
      error_text = err->message;
      g_error_free (err);
      gst_message_unref (msg);
    }
  }
  gst_element_set_state (e, GST_STATE_NULL);
  gst_element_set_bus (e, nullptr);
  gst_object_unref (bus);
  gst_object_unref (e);
  return ok;
}

bool screen_available (std::string *why)
{
  GstElement *src = gst_element_factory_make ("gvscreensrc", nullptr);
  if (!src) {
    if (why)
      *why = "the gvscreensrc element is missing";
    return false;
  }
  std::string error_text;
  if (reaches_ready (src, error_text))
    return true;
  if (why)
    *why = error_text.empty () ? "no display could be opened" : error_text;
  return false;
}

/* Whether a pulsesrc for `device` (empty: the default input) reaches
 * READY, i.e. a PulseAudio or PipeWire-pulse server answers; `why` says
 * why not. */
static bool sound_server_available (const std::string &device, std::string &why)
{
  GstElement *src = gst_element_factory_make ("pulsesrc", nullptr);
  if (!src) {
    why = "the pulsesrc element is missing (Debian: gstreamer1.0-pulseaudio)";
    return false;
  }
  if (!device.empty ())
    g_object_set (src, "device", device.c_str (), nullptr);
  std::string error_text;
  if (reaches_ready (src, error_text))
    return true;
  why = "no PulseAudio or PipeWire sound server answered";
  if (!error_text.empty ())
    why += " (" + error_text + ")";
  return false;
}

bool resolve_audio (const std::string &spec, std::string &fragment, GError **error)
{
  /* Into the host presets' sink; the queue keeps a slow sound server from
   * holding up anything else. */
  const std::string to_sink =
      " ! queue max-size-time=200000000 max-size-bytes=0 max-size-buffers=0 leaky=downstream"
      " ! webrtc.audio_0";
  if (spec == "none") {
    fragment.clear ();
    return true;
  }
  if (spec == "test") {
    fragment = "audiotestsrc is-live=true wave=sine freq=440 volume=0.2" + to_sink;
    return true;
  }
  if (spec != "desktop" && spec != "mic") {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                 "--audio %s: choose desktop, mic, test or none", spec.c_str ());
    return false;
  }
  /* desktop: the monitor of the default output; mic: the default input.
   * The system clock stays the pipeline's (the sound follows it). */
  const std::string device = spec == "desktop" ? "@DEFAULT_MONITOR@" : "";
  std::string why;
  if (!sound_server_available (device, why)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                 "--audio %s: %s; give --audio test or none, or start PulseAudio or PipeWire",
                 spec.c_str (), why.c_str ());
    return false;
  }
  fragment = "pulsesrc client-name=GhostView provide-clock=false" +
             (device.empty () ? std::string () : " device=" + device) + to_sink;
  return true;
}

bool resolve_source (const std::string &spec, SourceChoice &out, GError **error)
{
  auto bad = [&] (const std::string &why) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "--source %s: %s", spec.c_str (),
                 why.c_str ());
    return false;
  };
  out = SourceChoice ();
  if (spec == "test") {
    out.fragment = test_source_fragment ();
    out.input = "record";
    return true;
  }
  if (spec.empty () || spec == "screen") {
    std::string why;
    if (spec.empty () && !screen_available (&why)) {
      out.fragment = test_source_fragment ();
      out.input = "record";
      out.note = "No screen to capture (" + why +
                 "); sharing a test pattern instead. Give --source screen to insist.";
      return true;
    }
    out.fragment = "gvscreensrc show-cursor=true";
    return true;
  }
  if (g_str_has_prefix (spec.c_str (), "display:")) {
    const char *index_text = spec.c_str () + strlen ("display:");
    char *end = nullptr;
    long index = strtol (index_text, &end, 10);
    if (!*index_text || *end || index < 0)
      return bad ("give display:N with N the number 'ghostview devices' shows");
    auto displays = list_screen_devices (ScreenKind::Monitor);
    if ((size_t) index >= displays.size ())
      return bad ("there is no display " + std::to_string (index) + " (" +
                  std::to_string (displays.size ()) + " found; see 'ghostview devices')");
    const auto &d = displays[index];
    out.fragment = "gvscreensrc show-cursor=true region=\"<" + std::to_string (d.x) + "," +
                   std::to_string (d.y) + "," + std::to_string (d.width) + "," +
                   std::to_string (d.height) + ">\"";
    return true;
  }
  if (g_str_has_prefix (spec.c_str (), "window:")) {
    const char *id_text = spec.c_str () + strlen ("window:");
    char *end = nullptr;
    guint64 id = g_ascii_strtoull (id_text, &end, 0);
    if (!*id_text || *end || id == 0)
      return bad ("give window:ID with the window id (decimal or 0x hex) 'ghostview devices' "
                  "shows");
    out.fragment = "gvscreensrc show-cursor=true window=" + std::to_string (id);
    return true;
  }
  return bad ("choose screen, test, display:N or window:ID");
}

} // namespace gv::launcher
