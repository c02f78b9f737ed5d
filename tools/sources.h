/* --source: what a host shares, as a launch-line fragment for ${SOURCE}. */
#pragma once

#include <glib.h>

#include <string>

namespace gv::launcher {

struct SourceChoice {
  std::string fragment;       /* "gvscreensrc show-cursor=true", "videotestsrc ..." */
  std::string input = "auto"; /* gvinputinject backend for ${INPUT} */
  std::string note;           /* said to the operator, e.g. the test-pattern fallback */
};

/* `spec`: screen | test | display:N | window:ID, or empty for the default
 * (screen, falling back to a test pattern when no display can be opened).
 * Needs gst_init (). */
bool resolve_source (const std::string &spec, SourceChoice &out, GError **error);

/* The test-pattern fragment used by --source test and the fallback. */
std::string test_source_fragment ();

/* True when a screen can be captured here (gvscreensrc reaches READY). */
bool screen_available (std::string *why);

/* --audio: desktop | mic | test | none as the fragment for ${AUDIO}: a
 * branch that ends in the host presets' sink (webrtc.audio_0), empty for
 * none. desktop and mic need a PulseAudio (or PipeWire's pulse) server: an
 * error saying so when none answers. Needs gst_init (). */
bool resolve_audio (const std::string &spec, std::string &fragment, GError **error);

} // namespace gv::launcher
