/* host, view, record and run: choose a preset, fill its variables from the
 * options, then print or run the pipeline. */
#include "chat_transcript.h"
#include "cli_options.h"
#include "commands.h"
#include "console.h"
#include "embedded_server.h"
#include "exit_codes.h"
#include "file_console.h"
#include "host_console.h"
#include "preset.h"
#include "pipeline_run.h"
#include "sources.h"
#include "stdin_lines.h"
#include "viewer_console.h"

#include <gst/gst.h>

#include <memory>

namespace gv::launcher {
namespace {

enum class Command { Host, View, Record, Run, WhipRelay };

struct CommandInfo {
  const char *name;
  const char *parameters;
  const char *summary;
  unsigned options;
};

CommandInfo info_for (Command c)
{
  switch (c) {
  case Command::Host:
    return {
      "host", "- share this screen",
      "Shares the screen (or a window, a display, a test pattern) with viewers who join "
      "by PIN.\n--terminal shares a terminal instead (or beside it, with --source).\nWithout "
      "--server it starts the signalling server in this process, serving "
      "the web\nviewer on --port (default 8443): one command is a complete session.\n"
      "With --output it also records locally (preset host-record).",
      OPT_SERVER | OPT_SOURCE | OPT_AUDIO | OPT_ENCODE | OPT_ALLOW_CONTROL | OPT_OUTPUT |
          OPT_PRESET | OPT_LOCAL | OPT_INVITE | OPT_DOWNLOAD_DIR | OPT_TERMINAL | OPT_COMMON
    };
  case Command::View:
    return { "view", "- watch a session in a window",
             "Joins a session by PIN and shows it in a window; mouse and keyboard in the\n"
             "window reach the host once it grants control.",
             OPT_SERVER | OPT_PIN | OPT_INVITE_LINK | OPT_REQUEST_CONTROL | OPT_DOWNLOAD_DIR |
                 OPT_COMMON };
  case Command::Record:
    return { "record", "- record a session to a file",
             "Joins a session by PIN and records it. .mkv (default) and .webm keep the host's\n"
             "encoding (no re-encoding); .mp4 is transcoded to H.264; .cast records the host's\n"
             "shared terminal as asciicast v2. Ctrl-C finalizes the file.",
             OPT_SERVER | OPT_PIN | OPT_INVITE_LINK | OPT_OUTPUT | OPT_ENCODE |
                 OPT_TERMINAL_OUTPUT | OPT_COMMON };
  case Command::Run:
    return { "run", "PRESET|FILE - run a preset or a .pipeline file",
             "Runs a preset by name ('ghostview presets' lists them) or a .pipeline file.\n"
             "Options set the preset's variables: --server SERVER, --pin PIN, --codec CODEC,\n"
             "--fallback-codec FALLBACK_CODEC, --bitrate BITRATE, --fps FPS,\n"
             "--allow-control ALLOW_CONTROL, --allow ALLOW, --output OUTPUT,\n"
             "--source SOURCE, --audio AUDIO; --set KEY=VALUE sets any variable.",
             OPT_SERVER | OPT_PIN | OPT_SOURCE | OPT_AUDIO | OPT_ENCODE | OPT_ALLOW_CONTROL |
                 OPT_REQUEST_CONTROL | OPT_OUTPUT | OPT_COMMON };
  case Command::WhipRelay:
    return { "whip-relay", "- share a WHIP publisher's stream (started by the server)",
             "Receives the stream of a WHIP publisher (POST /whip/PIN) and shares it with\n"
             "the viewers of its session (preset whip-relay). The signalling server starts\n"
             "it for each publisher, with GHOSTVIEW_INGEST (which publisher) and\n"
             "GHOSTVIEW_RESERVATION (its session) in the environment.",
             OPT_SERVER | OPT_ENCODE | OPT_INVITE | OPT_COMMON };
  }
  return {};
}

/* `property` = `value` on every element of the pipeline that has it
 * (--download-dir: gvwebrtcsink and gvwebrtcsrc; --allow-snapshot). */
void set_where_offered (GstElement *pipeline, const char *property, const std::string &value)
{
  GstIterator *it = gst_bin_iterate_recurse (GST_BIN (pipeline));
  GValue item = G_VALUE_INIT;
  while (gst_iterator_next (it, &item) == GST_ITERATOR_OK) {
    GObject *e = G_OBJECT (g_value_get_object (&item));
    if (g_object_class_find_property (G_OBJECT_GET_CLASS (e), property))
      gst_util_set_object_arg (e, property, value.c_str ());
    g_value_reset (&item);
  }
  g_value_unset (&item);
  gst_iterator_free (it);
}

/* Whether an element of the pipeline has `property`. */
bool offers_property (GstElement *pipeline, const char *property)
{
  bool found = false;
  GstIterator *it = gst_bin_iterate_recurse (GST_BIN (pipeline));
  GValue item = G_VALUE_INIT;
  while (!found && gst_iterator_next (it, &item) == GST_ITERATOR_OK) {
    found = g_object_class_find_property (G_OBJECT_GET_CLASS (g_value_get_object (&item)),
                                          property) != nullptr;
    g_value_reset (&item);
  }
  g_value_unset (&item);
  gst_iterator_free (it);
  return found;
}

/* `property` = `value` on the signaller of every element that has one
 * offering it; false when none does. */
bool set_on_signallers (GstElement *pipeline, const char *property, const std::string &value)
{
  bool found = false;
  GstIterator *it = gst_bin_iterate_recurse (GST_BIN (pipeline));
  GValue item = G_VALUE_INIT;
  while (gst_iterator_next (it, &item) == GST_ITERATOR_OK) {
    GObject *e = G_OBJECT (g_value_get_object (&item));
    GObject *signaller = nullptr;
    if (g_object_class_find_property (G_OBJECT_GET_CLASS (e), "signaller"))
      g_object_get (e, "signaller", &signaller, nullptr);
    if (signaller && g_object_class_find_property (G_OBJECT_GET_CLASS (signaller), property)) {
      g_object_set (signaller, property, value.c_str (), nullptr);
      found = true;
    }
    if (signaller)
      g_object_unref (signaller);
    g_value_reset (&item);
  }
  g_value_unset (&item);
  gst_iterator_free (it);
  return found;
}

int usage_error (const char *command, const std::string &message)
{
  print_error (std::string ("ghostview ") + command + ": " + message);
  print_error (std::string ("Run 'ghostview ") + command + " --help' for the options.");
  return kExitUsage;
}

bool has_set (const LaunchOptions &o, const char *key)
{
  std::string prefix = std::string (key) + "=";
  for (const auto &s : o.sets)
    if (g_str_has_prefix (s.c_str (), prefix.c_str ()))
      return true;
  return false;
}

std::string default_recording_name ()
{
  GDateTime *now = g_date_time_new_now_local ();
  gchar *name = g_date_time_format (now, "ghostview-%Y%m%d-%H%M%S.mkv");
  std::string out (name);
  g_free (name);
  g_date_time_unref (now);
  return out;
}

std::string lowercase_extension (const std::string &path)
{
  size_t dot = path.rfind ('.');
  if (dot == std::string::npos || path.find ('/', dot) != std::string::npos)
    return "";
  gchar *lower = g_ascii_strdown (path.c_str () + dot, -1);
  std::string out (lower);
  g_free (lower);
  return out;
}

int run_command (Command command, int argc, char **argv)
{
  CommandInfo info = info_for (command);
  OptionValues values;
  auto entries = values.entries (info.options);
  gv::signaling::ServerConfig server_config;

  GOptionContext *ctx = g_option_context_new (info.parameters);
  g_option_context_set_summary (ctx, info.summary);
  g_option_context_add_main_entries (ctx, entries.data (), nullptr);
  if (command == Command::Host)
    g_option_context_add_group (ctx, gv::signaling::server_option_group (server_config));
  g_option_context_add_group (ctx, gst_init_get_option_group ());
  GError *error = nullptr;
  LaunchOptions options;
  bool parsed = g_option_context_parse (ctx, &argc, &argv, &error) && values.fill (options, &error);
  g_option_context_free (ctx);
  if (!parsed) {
    std::string message = error->message;
    g_error_free (error);
    return usage_error (info.name, message);
  }

  /* Which preset. */
  std::string preset_name;
  switch (command) {
  case Command::Host:
    /* --terminal without --source: the terminal alone. */
    preset_name = !options.preset.empty () ? options.preset
                  : options.terminal && options.source.empty () && options.output.empty ()
                      ? "host-terminal"
                  : options.output.empty () ? "host"
                                            : "host-record";
    break;
  case Command::View:
    preset_name = "view";
    break;
  case Command::Record:
    if (options.output.empty ())
      options.output = default_recording_name ();
    preset_name = lowercase_extension (options.output) == ".mp4"    ? "record-mp4"
                  : lowercase_extension (options.output) == ".cast" ? "record-terminal"
                                                                    : "record";
    if (lowercase_extension (options.output) == ".webm")
      options.sets.insert (options.sets.begin (), "MUX=webmmux");
    break;
  case Command::WhipRelay:
    preset_name = "whip-relay";
    break;
  case Command::Run:
    if (argc < 2)
      return usage_error (info.name, "name a preset or a .pipeline file ('ghostview presets' "
                                     "lists them)");
    if (argc > 2)
      return usage_error (info.name, std::string ("unexpected argument '") + argv[2] + "'");
    preset_name = argv[1];
    break;
  }
  if (command != Command::Run && argc > 1)
    return usage_error (info.name, std::string ("unexpected argument '") + argv[1] + "'");
  const bool has_pin = !options.pin.empty () || has_set (options, "PIN");
  const bool has_invite = !options.invite_token.empty () || has_set (options, "INVITE");
  if ((command == Command::View || command == Command::Record) && !has_pin && !has_invite)
    return usage_error (info.name, "--pin is required: the PIN the host shows (6 digits, or 9); "
                                   "or --invite-link with the link the host gave");
  if (has_pin && has_invite)
    return usage_error (info.name, "give --pin or --invite-link, not both");

  Preset preset;
  if (!find_preset (preset_name, preset, &error)) {
    std::string message = error->message;
    g_error_free (error);
    return usage_error (info.name, message);
  }

  std::map<std::string, std::string> vars;
  if (!options_to_variables (options, preset, vars, &error)) {
    std::string message = error->message;
    g_error_free (error);
    return usage_error (info.name, message);
  }
  /* A joining preset takes a PIN or an invite link's token: one of them. */
  if (preset.has_variable ("PIN") && preset.has_variable ("INVITE") && vars["PIN"].empty () &&
      vars["INVITE"].empty ())
    return usage_error (info.name, "preset '" + preset.name +
                                       "' needs PIN (the host's PIN) or INVITE (the token of "
                                       "the host's invite link): --pin, --invite-link or --set");

  /* The source: resolved for host always (screen, or the test-pattern
   * fallback), for run only when --source is given. */
  std::string sharing = preset.name + " (" + preset.description + ")";
  bool resolve =
      !has_set (options, "SOURCE") &&
      (!options.source.empty () || (command == Command::Host && preset.has_variable ("SOURCE")));
  if (resolve) {
    if (!preset.has_variable ("SOURCE"))
      return usage_error (info.name, "--source does not apply to preset '" + preset.name +
                                         "': it has no SOURCE variable");
    SourceChoice source;
    if (!resolve_source (options.source, source, &error)) {
      std::string message = error->message;
      g_error_free (error);
      return usage_error (info.name, message);
    }
    if (options.cursor == "local") {
      /* The pointer beside the picture, not in it. */
      const std::string burned = "gvscreensrc show-cursor=true";
      if (g_str_has_prefix (source.fragment.c_str (), burned.c_str ()))
        source.fragment = "gvscreensrc show-cursor=false cursor-events=true" +
                          source.fragment.substr (burned.size ());
      else
        source.note += std::string (source.note.empty () ? "" : " ") +
                       "--cursor local: a test pattern has no pointer to send.";
    }
    if (options.allow_resize) {
      if (g_str_has_prefix (source.fragment.c_str (), "gvscreensrc "))
        source.fragment.insert (strlen ("gvscreensrc "), "allow-resize=true ");
      else
        source.note += std::string (source.note.empty () ? "" : " ") +
                       "--allow-resize: a test pattern has no display to resize.";
    }
    vars["SOURCE"] = source.fragment;
    if (preset.has_variable ("INPUT") && !has_set (options, "INPUT"))
      vars["INPUT"] = source.input;
    if (!source.note.empty ()) {
      /* On stderr with --print-pipeline, so stdout stays a launch line. */
      if (options.print_pipeline)
        print_error (source.note);
      else
        print_line (source.note);
    }
    sharing = source.input == "record" ? "sharing a test pattern" : "sharing the screen";
    if (g_str_has_prefix (options.source.c_str (), "display:") ||
        g_str_has_prefix (options.source.c_str (), "window:"))
      sharing = "sharing " + options.source;
  }

  /* The sound: only when --audio is given (none is the default, for
   * privacy). */
  if (!options.audio.empty () && !has_set (options, "AUDIO")) {
    if (!preset.has_variable ("AUDIO"))
      return usage_error (info.name, "--audio does not apply to preset '" + preset.name +
                                         "': it has no AUDIO variable");
    std::string fragment;
    if (!resolve_audio (options.audio, fragment, &error)) {
      std::string message = error->message;
      const bool usage = error->domain == G_OPTION_ERROR;
      g_error_free (error);
      if (usage)
        return usage_error (info.name, message);
      print_error (std::string ("ghostview ") + info.name + ": " + message);
      return kExitFailure;
    }
    vars["AUDIO"] = fragment;
    if (options.audio != "none")
      sharing += options.audio == "test" ? " with a test tone" : " with sound";
  }

  /* Host without --server: the signalling server runs in this process. */
  std::unique_ptr<gv::signaling::Server> server;
  bool embedded =
      command == Command::Host && options.server.empty () && !has_set (options, "SERVER");
  if (embedded) {
    if (options.local)
      server_config.address = "127.0.0.1";
    complete_server_config (server_config);
    if (!preset.has_variable ("SERVER"))
      return usage_error (info.name, "preset '" + preset.name + "' has no SERVER variable");
    if (options.print_pipeline) {
      std::string host = server_config.address == "0.0.0.0" ? "127.0.0.1" : server_config.address;
      vars["SERVER"] = std::string (server_config.tls () ? "wss://" : "ws://") + host + ":" +
                       std::to_string (server_config.port) + "/ws";
    }
  }

  /* --terminal is set on gvwebrtcsink once the line is parsed; a printed
   * line says so beside it. */
  if (options.print_pipeline && options.terminal)
    print_error (
        std::string ("note: --terminal sets terminal=true") +
        (options.terminal_command.empty () ? "" : " terminal-command=<--terminal-command>") +
        " on gvwebrtcsink after this line is parsed; add them to it to run it yourself");
  std::string description;
  if (!expand_preset (preset, vars, description, &error)) {
    std::string message = error->message;
    g_error_free (error);
    return usage_error (info.name, message);
  }
  if (options.print_pipeline && !embedded) {
    g_print ("%s\n", description.c_str ());
    return kExitOk;
  }
  if (embedded) {
    if (options.print_pipeline) {
      g_print ("%s\n", description.c_str ());
      return kExitOk;
    }
    server = start_server (server_config, info.name);
    if (!server)
      return kExitFailure;
    vars["SERVER"] = server->ws_url ();
    expand_preset (preset, vars, description, nullptr);
  }

  GstElement *pipeline = build_pipeline ("preset '" + preset.name + "'", description);
  if (!pipeline)
    return kExitPipeline;
  if (!options.download_dir.empty ())
    set_where_offered (pipeline, "download-dir", options.download_dir);
  if (options.allow_snapshot)
    set_where_offered (pipeline, "allow-snapshot", "true");
  if (options.terminal) {
    if (!offers_property (pipeline, "terminal")) {
      gst_object_unref (pipeline);
      return usage_error (info.name, "--terminal needs a pipeline with gvwebrtcsink");
    }
    set_where_offered (pipeline, "terminal", "true");
    set_where_offered (pipeline, "terminal-command", options.terminal_command);
    sharing = options.terminal_command.empty ()
                  ? "sharing a terminal (your shell)"
                  : "sharing a terminal (" + options.terminal_command + ")";
    if (preset.name != "host-terminal")
      sharing += " beside " + preset.name;
  }
  if (!options.terminal_output.empty ())
    set_where_offered (pipeline, "terminal-location", options.terminal_output);
  PipelineRun run (pipeline, options.eos_timeout_s);
  HostConsole host (run.pipeline (), sharing);
  if (options.invite && !host.request_invite (options.invite, options.invite_uses))
    return usage_error (info.name, "--invite needs a pipeline with gvwebrtcsink and its PIN "
                                   "signaller");
  if (!options.reservation.empty () && !host.claim_reservation (options.reservation))
    return usage_error (info.name, "--reservation needs a pipeline with gvwebrtcsink and its "
                                   "PIN signaller");
  if (command == Command::WhipRelay) {
    const char *ingest = g_getenv ("GHOSTVIEW_INGEST");
    if (!ingest || !*ingest || options.reservation.empty ())
      return usage_error (info.name, "the signalling server starts it for a WHIP publisher, "
                                     "with GHOSTVIEW_INGEST and GHOSTVIEW_RESERVATION set");
    if (!set_on_signallers (run.pipeline (), "ingest", ingest))
      return usage_error (info.name, "the pipeline has no gvwebrtcsrc with the PIN signaller");
  }
  /* The recorder writes the chat it is let see beside the recording. */
  std::string transcript;
  if (command == Command::Record || (command == Command::Run && !options.output.empty ()))
    transcript = ChatTranscript::path_for (options.output);
  ViewerConsole viewer (run.pipeline (), transcript);
  FileConsole files;
  run.on_element_message = [&host, &viewer, &files] (GstMessage *msg) {
    if (!files.handle_message (msg) && !host.handle_message (msg))
      viewer.handle_message (msg);
  };
  /* What the operator types: host commands and chat, or a viewer's chat. */
  std::unique_ptr<StdinLines> typed;
  if (host.active ())
    typed = std::make_unique<StdinLines> ([&host] (const std::string &l) { host.handle_line (l); });
  else if (viewer.active () && command != Command::Record)
    typed =
        std::make_unique<StdinLines> ([&viewer] (const std::string &l) { viewer.handle_line (l); });
  if (command == Command::View || command == Command::Record)
    print_event ("joining session " +
                 (!options.invite_token.empty () ? std::string ("with the invite link")
                  : options.pin.empty ()         ? std::string ("(PIN from --set)")
                                                 : options.pin) +
                 "...");
  return run.run ();
}

} // namespace

int command_host (int argc, char **argv)
{
  return run_command (Command::Host, argc, argv);
}

int command_view (int argc, char **argv)
{
  return run_command (Command::View, argc, argv);
}

int command_record (int argc, char **argv)
{
  return run_command (Command::Record, argc, argv);
}

int command_run (int argc, char **argv)
{
  return run_command (Command::Run, argc, argv);
}

int command_whip_relay (int argc, char **argv)
{
  return run_command (Command::WhipRelay, argc, argv);
}

} // namespace gv::launcher
