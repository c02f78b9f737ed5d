/* serve, presets and devices. */
#include "commands.h"
#include "console.h"
#include "devices.h"
#include "embedded_server.h"
#include "exit_codes.h"
#include "preset.h"

#include <gst/gst.h>
#include <glib-unix.h>

#include <cstdio>

namespace gv::launcher {
namespace {

/* Parses a command with no options of its own (--help and GStreamer's). */
bool parse_plain (const char *name, const char *parameters, const char *summary, int *argc,
                  char ***argv, const GOptionEntry *entries)
{
  GOptionContext *ctx = g_option_context_new (parameters);
  g_option_context_set_summary (ctx, summary);
  if (entries)
    g_option_context_add_main_entries (ctx, entries, nullptr);
  g_option_context_add_group (ctx, gst_init_get_option_group ());
  GError *error = nullptr;
  bool ok = g_option_context_parse (ctx, argc, argv, &error);
  g_option_context_free (ctx);
  if (!ok) {
    print_error (std::string ("ghostview ") + name + ": " + error->message);
    print_error (std::string ("Run 'ghostview ") + name + " --help' for the options.");
    g_error_free (error);
  } else if (*argc > 1) {
    print_error (std::string ("ghostview ") + name + ": unexpected argument '" + (*argv)[1] + "'");
    ok = false;
  }
  return ok;
}

gboolean quit_loop (gpointer loop)
{
  g_main_loop_quit (static_cast<GMainLoop *> (loop));
  return G_SOURCE_CONTINUE; /* removed by command_serve */
}

} // namespace

int command_serve (int argc, char **argv)
{
  gv::signaling::ServerConfig config;
  gboolean local = FALSE;
  const GOptionEntry extra[] = {
    { "local", 0, 0, G_OPTION_ARG_NONE, &local,
      "Listen on 127.0.0.1 only (same as --address 127.0.0.1)", nullptr },
    { nullptr, 0, 0, G_OPTION_ARG_NONE, nullptr, nullptr, nullptr },
  };
  GOptionContext *ctx = g_option_context_new ("- run the signalling server");
  g_option_context_set_summary (
      ctx, "Runs the GhostView signalling server alone (the same options as ghostview-signaling):\n"
           "hosts register sessions, viewers join by PIN, and the web viewer is served at /.\n"
           "See signaling/PROTOCOL.md for the protocol, limits and production settings.");
  g_option_context_set_main_group (ctx, gv::signaling::server_option_group (config));
  g_option_context_add_main_entries (ctx, extra, nullptr);
  GError *error = nullptr;
  bool ok = g_option_context_parse (ctx, &argc, &argv, &error);
  g_option_context_free (ctx);
  if (!ok) {
    print_error (std::string ("ghostview serve: ") + error->message);
    print_error ("Run 'ghostview serve --help' for the options.");
    g_error_free (error);
    return kExitUsage;
  }
  if (argc > 1) {
    print_error (std::string ("ghostview serve: unexpected argument '") + argv[1] + "'");
    return kExitUsage;
  }
  if (local)
    config.address = "127.0.0.1";
  complete_server_config (config);
  auto server = start_server (config, "serve");
  if (!server)
    return kExitFailure;
  GMainLoop *loop = g_main_loop_new (nullptr, FALSE);
  guint sigint = g_unix_signal_add (SIGINT, quit_loop, loop);
  guint sigterm = g_unix_signal_add (SIGTERM, quit_loop, loop);
  g_main_loop_run (loop);
  g_source_remove (sigint);
  g_source_remove (sigterm);
  server->stop ();
  g_main_loop_unref (loop);
  return kExitOk;
}

int command_presets (int argc, char **argv)
{
  gboolean verbose = FALSE;
  const GOptionEntry entries[] = {
    { "verbose", 'v', 0, G_OPTION_ARG_NONE, &verbose,
      "Show each preset's header: variables, defaults and an example", nullptr },
    { nullptr, 0, 0, G_OPTION_ARG_NONE, nullptr, nullptr, nullptr },
  };
  if (!parse_plain ("presets", "- list the pipeline presets",
                    "Lists the presets that 'ghostview run NAME' runs.", &argc, &argv, entries))
    return kExitUsage;
  auto presets = list_presets ();
  if (presets.empty ()) {
    std::string dirs;
    for (const auto &d : preset_dirs ())
      dirs += " " + d;
    print_error ("ghostview presets: no presets found in" + dirs +
                 " (GHOSTVIEW_PIPELINES_DIR overrides)");
    return kExitFailure;
  }
  for (const auto &p : presets) {
    if (verbose) {
      std::printf ("== %s (%s)\n%s\n", p.name.c_str (), p.path.c_str (), p.header.c_str ());
    } else {
      std::printf ("  %-15s %s\n", p.name.c_str (), p.description.c_str ());
    }
  }
  if (!verbose)
    std::printf ("\n'ghostview presets --verbose' shows each one's variables; "
                 "'ghostview run NAME --print-pipeline' its launch line.\n");
  return kExitOk;
}

int command_devices (int argc, char **argv)
{
  if (!parse_plain ("devices", "- list displays and windows",
                    "Lists the displays and windows that 'ghostview host --source' can share\n"
                    "(GstDeviceMonitor, class Source/Video/Screen).",
                    &argc, &argv, nullptr))
    return kExitUsage;
  return print_devices ();
}

} // namespace gv::launcher
