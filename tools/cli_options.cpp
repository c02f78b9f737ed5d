#include "cli_options.h"

#include "capabilities.h"
#include "chat_text.h"
#include "protocol.h"

#include <algorithm>
#include <cstring>

namespace gv::launcher {
namespace {

/* A value as one gst-launch token: quoted when it holds a space or a
 * character the parser would take for syntax. */
std::string launch_token (const std::string &value)
{
  if (value.find_first_of (" \t\"'!=,;()<>{}[]\\") == std::string::npos)
    return value;
  std::string out = "\"";
  for (char c : value) {
    if (c == '"' || c == '\\')
      out += '\\';
    out += c;
  }
  return out + "\"";
}

} // namespace

OptionValues::~OptionValues ()
{
  g_free (server_);
  g_free (pin_);
  g_free (source_);
  g_free (audio_);
  g_free (cursor_);
  g_free (codec_);
  g_free (fallback_codec_);
  g_free (output_);
  g_free (preset_);
  g_free (invite_);
  g_free (invite_link_);
  g_free (reservation_);
  g_free (download_dir_);
  g_free (allow_);
  g_free (terminal_command_);
  g_free (terminal_output_);
  g_strfreev (sets_);
}

std::vector<GOptionEntry> OptionValues::entries (unsigned which)
{
  which_ = which;
  std::vector<GOptionEntry> e;
  if (which & OPT_SERVER)
    e.push_back ({ "server", 's', 0, G_OPTION_ARG_STRING, &server_,
                   "Signalling server WebSocket URL (ws://HOST:PORT/ws or wss://...); several, "
                   "comma-separated, for nodes of a cluster: a host tries the next after a "
                   "failure",
                   "URL" });
  if (which & OPT_PIN)
    e.push_back (
        { "pin", 0, 0, G_OPTION_ARG_STRING, &pin_, "PIN of the session (6 digits, or 9)", "PIN" });
  if (which & OPT_SOURCE)
    e.push_back ({ "source", 0, 0, G_OPTION_ARG_STRING, &source_,
                   "What to share: screen (default; a test pattern when there is no display), "
                   "test, display:N (monitor N of 'ghostview devices'), window:ID",
                   "SOURCE" });
  if (which & OPT_SOURCE)
    e.push_back ({ "cursor", 0, 0, G_OPTION_ARG_STRING, &cursor_,
                   "The pointer: burned (default: drawn into the picture, seen by every viewer "
                   "and recording) or local (sent beside it; the viewer page draws it, crisp at "
                   "any scale, native viewers and recordings show none)",
                   "burned|local" });
  if (which & OPT_SOURCE)
    e.push_back ({ "allow-resize", 0, 0, G_OPTION_ARG_NONE, &allow_resize_,
                   "Let viewers with control resize this display to their window (a virtual "
                   "display such as Xvfb, while the whole screen is shared)",
                   nullptr });
  if (which & OPT_TERMINAL) {
    e.push_back ({ "terminal", 0, 0, G_OPTION_ARG_NONE, &terminal_,
                   "Share a terminal running your shell ($SHELL, else /bin/sh): alone, or beside "
                   "the screen with --source. Viewers watch it; typing needs control",
                   nullptr });
    e.push_back ({ "terminal-command", 0, 0, G_OPTION_ARG_STRING, &terminal_command_,
                   "Share a terminal running CMD (through /bin/sh -c) instead of your shell; "
                   "implies --terminal",
                   "CMD" });
  }
  if (which & OPT_TERMINAL_OUTPUT)
    e.push_back ({ "terminal-output", 0, 0, G_OPTION_ARG_FILENAME, &terminal_output_,
                   "Also record the host's shared terminal to FILE, as asciicast v2 "
                   "(asciinema play FILE); an --output ending in .cast records the terminal "
                   "alone",
                   "FILE" });
  if (which & OPT_AUDIO)
    e.push_back ({ "audio", 0, 0, G_OPTION_ARG_STRING, &audio_,
                   "Sound for viewers: none (default), desktop (what this machine plays, "
                   "through PulseAudio or PipeWire), mic (the default input), test (a tone)",
                   "SOUND" });
  if (which & OPT_ENCODE) {
    e.push_back ({ "codec", 'c', 0, G_OPTION_ARG_STRING, &codec_,
                   "Video codec: vp8 (default), vp9 or h264", "CODEC" });
    e.push_back ({ "fallback-codec", 0, 0, G_OPTION_ARG_STRING, &fallback_codec_,
                   "Codec for viewers that cannot decode --codec (a browser without H.264, "
                   "say): vp8 (default), vp9, h264 or none",
                   "CODEC" });
    e.push_back (
        { "bitrate", 'b', 0, G_OPTION_ARG_INT, &bitrate_, "Target bitrate in kbit/s", "KBPS" });
    e.push_back ({ "fps", 0, 0, G_OPTION_ARG_INT, &fps_, "Frames per second", "FPS" });
  }
  if (which & OPT_ALLOW_CONTROL) {
    e.push_back (
        { "allow", 0, 0, G_OPTION_ARG_STRING, &allow_,
          "What every viewer gets when admitted, besides view: a comma list of control "
          "(mouse and keyboard), chat, clipboard, file, source (list the displays and windows, "
          "and switch what is shared)",
          "CAPS" });
    e.push_back ({ "allow-control", 0, 0, G_OPTION_ARG_NONE, &allow_control_,
                   "Let viewers control mouse and keyboard (default: view only); the same as "
                   "--allow control",
                   nullptr });
    e.push_back ({ "allow-snapshot", 0, 0, G_OPTION_ARG_NONE, &allow_snapshot_,
                   "Answer the signalling server's snapshot API (GET "
                   "/api/v1/sessions/PIN/snapshot.jpg with an API key) with one still each; "
                   "each one taken is shown here (default: refused)",
                   nullptr });
  }
  if (which & OPT_REQUEST_CONTROL)
    e.push_back ({ "request-control", 0, 0, G_OPTION_ARG_NONE, &request_control_,
                   "Ask the host for mouse and keyboard control", nullptr });
  if (which & OPT_OUTPUT)
    e.push_back ({ "output", 0, 0, G_OPTION_ARG_FILENAME, &output_, "File to write", "FILE" });
  if (which & OPT_PRESET)
    e.push_back ({ "preset", 0, 0, G_OPTION_ARG_STRING, &preset_,
                   "Host preset to run (default: host, or host-record with --output)", "NAME" });
  if (which & OPT_LOCAL)
    e.push_back ({ "local", 0, 0, G_OPTION_ARG_NONE, &local_,
                   "Embedded server: listen on 127.0.0.1 only (default: all interfaces)",
                   nullptr });
  if (which & OPT_INVITE) {
    e.push_back ({ "invite", 0, 0, G_OPTION_ARG_STRING, &invite_,
                   "Also make an invite link that lets viewers in without the PIN, standing for "
                   "these capabilities: view (view only) or view,control",
                   "CAPS" });
    e.push_back ({ "invite-uses", 0, 0, G_OPTION_ARG_INT, &invite_uses_,
                   "Viewers the invite link admits (default 1)", "N" });
    e.push_back ({ "reservation", 0, 0, G_OPTION_ARG_STRING, &reservation_,
                   "Take the session an integrator reserved through the session API, and its "
                   "PIN (the reservation_token of POST /api/v1/sessions; or set "
                   "GHOSTVIEW_RESERVATION, which other users cannot read in the process list)",
                   "TOKEN" });
  }
  if (which & OPT_INVITE_LINK)
    e.push_back ({ "invite-link", 0, 0, G_OPTION_ARG_STRING, &invite_link_,
                   "Join with the host's invite link (the URL, or the token after ?invite=) "
                   "instead of a PIN",
                   "URL" });
  if (which & OPT_DOWNLOAD_DIR)
    e.push_back ({ "download-dir", 0, 0, G_OPTION_ARG_FILENAME, &download_dir_,
                   "Where files from the other side land (default: GhostView in your Downloads)",
                   "DIR" });
  if (which & OPT_COMMON) {
    e.push_back ({ "set", 0, 0, G_OPTION_ARG_STRING_ARRAY, &sets_,
                   "Set a preset variable (repeatable; see 'ghostview presets')", "KEY=VALUE" });
    e.push_back ({ "print-pipeline", 0, 0, G_OPTION_ARG_NONE, &print_pipeline_,
                   "Print the final gst-launch description and exit", nullptr });
    e.push_back ({ "eos-timeout", 0, 0, G_OPTION_ARG_INT, &eos_timeout_,
                   "Seconds Ctrl-C waits for files to be finalized (default 10)", "SECONDS" });
  }
  e.push_back ({ nullptr, 0, 0, G_OPTION_ARG_NONE, nullptr, nullptr, nullptr });
  return e;
}

bool OptionValues::fill (LaunchOptions &out, GError **error) const
{
  auto bad = [error] (const char *format, auto... args) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, format, args...);
    return false;
  };
  if (server_)
    out.server = server_;
  if (pin_)
    out.pin = pin_;
  if (source_)
    out.source = source_;
  if (audio_)
    out.audio = audio_;
  if (cursor_)
    out.cursor = cursor_;
  out.allow_resize = allow_resize_;
  out.terminal = terminal_ || terminal_command_;
  if (terminal_command_)
    out.terminal_command = terminal_command_;
  if (terminal_output_)
    out.terminal_output = terminal_output_;
  if (codec_)
    out.codec = codec_;
  if (fallback_codec_)
    out.fallback_codec = fallback_codec_;
  if (output_)
    out.output = output_;
  if (preset_)
    out.preset = preset_;
  out.bitrate = bitrate_;
  out.fps = fps_;
  out.allow_control = allow_control_;
  out.allow_snapshot = allow_snapshot_;
  if (allow_) {
    std::string why;
    guint bits = 0;
    if (!parse_capability_list (allow_, bits, why))
      return bad ("--allow %s: %s", allow_, why.c_str ());
    out.allow = bits | GV_CAPABILITY_VIEW;
  }
  if (out.allow_control)
    out.allow |= GV_CAPABILITY_VIEW | GV_CAPABILITY_CONTROL;
  out.request_control = request_control_;
  out.print_pipeline = print_pipeline_;
  out.local = local_;
  out.invite_uses = invite_uses_;
  if (reservation_ || (which_ & OPT_INVITE)) {
    const char *token = reservation_ ? reservation_ : g_getenv ("GHOSTVIEW_RESERVATION");
    out.reservation = token ? token : "";
    /* What the server signs: "r1.SESSION.MAC" (PROTOCOL.md, "Session API"). */
    if (!out.reservation.empty () && (out.reservation.size () > proto::kMaxResumeTokenBytes ||
                                      !g_str_has_prefix (out.reservation.c_str (), "r1.") ||
                                      std::any_of (out.reservation.begin (), out.reservation.end (),
                                                   [] (char c) { return !g_ascii_isgraph (c); })))
      return bad ("%s: not a reservation token (it starts with r1. and comes from POST "
                  "/api/v1/sessions, as reservation_token)",
                  reservation_ ? "--reservation" : "GHOSTVIEW_RESERVATION");
  }
  if (download_dir_)
    out.download_dir = download_dir_;
  if (invite_) {
    gchar **names = g_strsplit (invite_, ",", -1);
    bool known = names[0] != nullptr;
    for (gchar **n = names; *n && known; n++) {
      std::optional<guint> bit = proto::capability_from_name (g_strstrip (*n));
      known = bit.has_value ();
      out.invite |= bit.value_or (0);
    }
    g_strfreev (names);
    if (!known)
      return bad ("--invite %s: give capabilities separated by commas: view, or view,control",
                  invite_);
    out.invite |= GV_CAPABILITY_VIEW;
  }
  if (invite_link_) {
    /* The URL's token, or the token itself: what the server signed is
     * digits, lowercase hex and dots; anything else was not from it. */
    std::string link = invite_link_;
    std::size_t at = link.find ("invite=");
    out.invite_token = at == std::string::npos ? link : link.substr (at + strlen ("invite="));
    out.invite_token = out.invite_token.substr (0, out.invite_token.find_first_of ("&#"));
    if (out.invite_token.empty () || out.invite_token.size () > proto::kMaxInviteTokenBytes ||
        out.invite_token.find_first_not_of ("0123456789abcdef.i") != std::string::npos)
      return bad ("--invite-link %s: not an invite link (http://HOST/?invite=...) or its token",
                  invite_link_);
  }
  if (invite_uses_ < 1 || invite_uses_ > proto::kMaxInviteUses)
    return bad ("--invite-uses %d: give 1 to %d", invite_uses_, proto::kMaxInviteUses);
  out.eos_timeout_s = eos_timeout_;
  for (gchar **s = sets_; s && *s; s++)
    out.sets.emplace_back (*s);

  if (cursor_ && out.cursor != "burned" && out.cursor != "local")
    return bad ("--cursor %s: choose burned or local", cursor_);
  if (audio_ && out.audio != "desktop" && out.audio != "mic" && out.audio != "test" &&
      out.audio != "none")
    return bad ("--audio %s: choose desktop, mic, test or none", audio_);
  if (!out.codec.empty () && out.codec != "vp8" && out.codec != "vp9" && out.codec != "h264")
    return bad ("--codec %s: choose vp8, vp9 or h264", out.codec.c_str ());
  const std::string &fallback = out.fallback_codec;
  if (!fallback.empty () && fallback != "vp8" && fallback != "vp9" && fallback != "h264" &&
      fallback != "none")
    return bad ("--fallback-codec %s: choose vp8, vp9, h264 or none", fallback.c_str ());
  /* 9 digits: a session created while the server saw a flood of wrong PINs. */
  if (pin_ && (out.pin.size () < (std::size_t) proto::kMinPinDigits ||
               out.pin.size () > (std::size_t) proto::kMaxPinDigits ||
               out.pin.find_first_not_of ("0123456789") != std::string::npos))
    return bad ("--pin %s: a PIN is 6 digits, or 9", out.pin.c_str ());
  if (bitrate_ != -1 && (bitrate_ < 50 || bitrate_ > 100000))
    return bad ("--bitrate %d: give kbit/s between 50 and 100000", bitrate_);
  if (fps_ != -1 && (fps_ < 1 || fps_ > 240))
    return bad ("--fps %d: give 1 to 240", fps_);
  if (eos_timeout_ < 0)
    return bad ("--eos-timeout %d: give 0 or more seconds", eos_timeout_);
  /* Several, comma-separated: nodes of a cluster, tried in turn. */
  gchar **servers = server_ ? g_strsplit (server_, ",", -1) : nullptr;
  for (gchar **p = servers; p && *p; p++)
    if (!g_str_has_prefix (*p, "ws://") && !g_str_has_prefix (*p, "wss://")) {
      g_strfreev (servers);
      return bad ("--server %s: give a WebSocket URL, ws://HOST:PORT/ws or wss://HOST/ws, or "
                  "several separated by commas",
                  server_);
    }
  g_strfreev (servers);
  for (const auto &s : out.sets) {
    std::string key, value;
    if (!split_assignment (s, key, value))
      return bad ("--set %s: expected KEY=VALUE with an upper-case KEY", s.c_str ());
  }
  return true;
}

bool options_to_variables (const LaunchOptions &options, const Preset &preset,
                           std::map<std::string, std::string> &values, GError **error)
{
  struct Mapping {
    const char *option;
    const char *variable;
    bool given;
    std::string value;
  };
  const Mapping mappings[] = {
    { "--server", "SERVER", !options.server.empty (), launch_token (options.server) },
    { "--pin", "PIN", !options.pin.empty (), options.pin },
    { "--invite-link", "INVITE", !options.invite_token.empty (), options.invite_token },
    { "--codec", "CODEC", !options.codec.empty (), options.codec },
    { "--fallback-codec", "FALLBACK_CODEC", !options.fallback_codec.empty (),
      options.fallback_codec },
    { "--bitrate", "BITRATE", options.bitrate != -1, std::to_string (options.bitrate) },
    { "--fps", "FPS", options.fps != -1, std::to_string (options.fps) },
    { "--allow-control", "ALLOW_CONTROL", options.allow_control, "true" },
    { "--request-control", "REQUEST_CONTROL", options.request_control, "true" },
    { "--output", "OUTPUT", !options.output.empty (), launch_token (options.output) },
  };
  /* --allow: the sink's `allow` flags; its control also turns on the
   * presets' input injection (ALLOW_CONTROL), where there is one. */
  if (options.allow && !options.allow_control) {
    if (!preset.has_variable ("ALLOW")) {
      g_set_error (error, GV_PRESET_ERROR, PRESET_ERROR_UNKNOWN_VARIABLE,
                   "--allow does not apply to preset '%s': it has no ALLOW variable (its "
                   "variables: %s)",
                   preset.name.c_str (), preset.variable_names ().c_str ());
      return false;
    }
  }
  if (options.allow && preset.has_variable ("ALLOW"))
    values["ALLOW"] = capability_list (options.allow, "+");
  if ((options.allow & GV_CAPABILITY_CONTROL) && preset.has_variable ("ALLOW_CONTROL"))
    values["ALLOW_CONTROL"] = "true";
  for (const auto &m : mappings) {
    if (!m.given)
      continue;
    if (!preset.has_variable (m.variable)) {
      g_set_error (error, GV_PRESET_ERROR, PRESET_ERROR_UNKNOWN_VARIABLE,
                   "%s does not apply to preset '%s': it has no %s variable (its variables: %s)",
                   m.option, preset.name.c_str (), m.variable, preset.variable_names ().c_str ());
      return false;
    }
    values[m.variable] = m.value;
  }
  for (const auto &s : options.sets) {
    std::string key, value;
    split_assignment (s, key, value);
    values[key] = value;
  }
  return true;
}

} // namespace gv::launcher
