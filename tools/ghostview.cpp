/* ghostview: the GhostView launcher. One binary, one subcommand per job. */
#include "commands.h"
#include "exit_codes.h"
#include "paths.h"

#include <gst/gst.h>
#ifdef GV_HAVE_LIBCRYPTO
#include <openssl/crypto.h>
#endif

#include <cstdio>
#include <cstring>

namespace {

using Handler = int (*) (int, char **);

struct Subcommand {
  const char *name;
  Handler handler;
  const char *summary;
};

const Subcommand kCommands[] = {
  { "host", gv::launcher::command_host,
    "share this screen; starts the signalling server unless --server" },
  { "view", gv::launcher::command_view, "watch a session in a window (--pin)" },
  { "record", gv::launcher::command_record,
    "record a session (--pin, --output .mkv/.webm as sent, .mp4 transcoded)" },
  { "serve", gv::launcher::command_serve, "run the signalling server and web viewer alone" },
  { "run", gv::launcher::command_run, "run a preset or a .pipeline file" },
  { "whip-relay", gv::launcher::command_whip_relay,
    "share a WHIP publisher's stream (the signalling server starts it)" },
  { "recorder-worker", gv::launcher::command_recorder_worker,
    "record sessions queued through the session API (--redis, --out)" },
  { "presets", gv::launcher::command_presets, "list the presets" },
  { "devices", gv::launcher::command_devices, "list displays and windows to share" },
};

void print_usage (FILE *out)
{
  std::fprintf (out, "Usage: ghostview COMMAND [OPTIONS]\n\nCommands:\n");
  for (const auto &c : kCommands)
    std::fprintf (out, "  %-16s %s\n", c.name, c.summary);
  std::fprintf (out, "\n'ghostview COMMAND --help' shows a command's options.\n"
                     "Exit status: 0 ok, 1 failure (e.g. the server cannot listen, files not "
                     "finalized in time),\n2 usage error (option, preset, variable), 3 pipeline "
                     "error, 130 a second Ctrl-C.\n");
}

/* libnice's UPnP helper (gupnp) warns on every machine where a port is
 * taken or no router answers; that is noise to an operator, not a fault of
 * the session. Shown with G_MESSAGES_DEBUG=all. */
void quiet_library_noise ()
{
  for (const char *domain : { "gupnp-context", "gupnp-context-manager", "GUPnP", "GSSDP" })
    g_log_set_handler (
        domain, (GLogLevelFlags) (G_LOG_LEVEL_WARNING | G_LOG_LEVEL_MESSAGE),
        [] (const gchar *log_domain, GLogLevelFlags, const gchar *message, gpointer) {
          g_debug ("%s: %s", log_domain, message);
        },
        nullptr);
}

} // namespace

int main (int argc, char **argv)
{
  /* GStreamer's DTLS and libnice threads may still be winding down when we
   * exit; OpenSSL's atexit cleanup would free state under them (OpenSSL's
   * documented remedy for threaded programs). */
#ifdef GV_HAVE_LIBCRYPTO
  OPENSSL_init_crypto (OPENSSL_INIT_NO_ATEXIT, nullptr);
#endif
  gv::launcher::add_build_plugin_path ();
  quiet_library_noise ();
  if (argc < 2) {
    print_usage (stderr);
    return gv::launcher::kExitUsage;
  }
  const char *name = argv[1];
  if (!strcmp (name, "--help") || !strcmp (name, "-h") || !strcmp (name, "help")) {
    if (argc > 2 && strcmp (name, "help") == 0) {
      /* "ghostview help record" is "ghostview record --help". */
      for (const auto &c : kCommands)
        if (!strcmp (c.name, argv[2])) {
          char help[] = "--help";
          char *args[] = { argv[2], help, nullptr };
          return c.handler (2, args);
        }
    }
    print_usage (stdout);
    return gv::launcher::kExitOk;
  }
  if (!strcmp (name, "--version")) {
    std::printf ("ghostview %s\n", VERSION);
    return gv::launcher::kExitOk;
  }
  for (const auto &c : kCommands) {
    if (strcmp (c.name, name) == 0) {
      /* The command sees itself as argv[0]. */
      g_set_prgname ((std::string ("ghostview ") + c.name).c_str ());
      return c.handler (argc - 1, argv + 1);
    }
  }
  std::fprintf (stderr, "ghostview: unknown command '%s'\n\n", name);
  print_usage (stderr);
  return gv::launcher::kExitUsage;
}
