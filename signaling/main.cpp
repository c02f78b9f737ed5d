/* ghostview-signaling: the signalling server on its own. */
#include "server.h"

#include <glib-unix.h>

#include <cstdio>
#include <sys/resource.h>

namespace {

gboolean on_signal (gpointer loop)
{
  g_main_loop_quit (static_cast<GMainLoop *> (loop));
  return G_SOURCE_REMOVE;
}

/* SIGHUP: the API keys again; a bad file keeps the keys in use. */
gboolean on_hangup (gpointer data)
{
  auto *server = static_cast<gv::signaling::Server *> (data);
  std::string error;
  if (server->reload_api_keys (error))
    std::printf ("ghostview-signaling: API keys reloaded: %zu key(s)\n", server->api_key_count ());
  else
    std::printf ("ghostview-signaling: API keys not reloaded, the keys in use stay: %s\n",
                 error.c_str ());
  std::fflush (stdout);
  return G_SOURCE_CONTINUE;
}

/* Each viewer and host holds a socket: take every file the hard limit
 * allows (the soft limit is often 1,024), and say so. */
void raise_open_file_limit ()
{
  struct rlimit files;
  if (getrlimit (RLIMIT_NOFILE, &files) != 0 || files.rlim_cur == files.rlim_max)
    return;
  rlim_t before = files.rlim_cur;
  files.rlim_cur = files.rlim_max;
  if (setrlimit (RLIMIT_NOFILE, &files) == 0)
    std::printf ("ghostview-signaling: open files limit raised from %llu to the hard limit %llu "
                 "(about %llu connections)\n",
                 (unsigned long long) before, (unsigned long long) files.rlim_max,
                 (unsigned long long) (files.rlim_max > 64 ? files.rlim_max - 64 : 0));
}

} // namespace

int main (int argc, char **argv)
{
  gv::signaling::ServerConfig config;
  GError *error = nullptr;
  if (!gv::signaling::parse_server_options (config, &argc, &argv, &error)) {
    g_printerr ("ghostview-signaling: %s\n", error->message);
    g_printerr ("Run 'ghostview-signaling --help' for the options.\n");
    g_error_free (error);
    return 2;
  }
  raise_open_file_limit ();
  auto server = gv::signaling::Server::create (config, &error);
  if (!server || !server->start (&error)) {
    g_printerr ("ghostview-signaling: %s\n", error ? error->message : "cannot start");
    g_clear_error (&error);
    return 1;
  }

  std::printf ("ghostview-signaling: listening on %s (WebSocket %s)\n",
               server->http_url ().c_str (), server->ws_url ().c_str ());
  if (!config.production && config.allowed_origins.empty ())
    std::printf ("ghostview-signaling: development mode: only this server's own pages may "
                 "connect; use --production with --allowed-origin for deployment\n");
  if (!config.api_keys_file.empty ())
    std::printf (
        "ghostview-signaling: session API on /api/v1 with %zu key(s) (SIGHUP reloads %s)\n",
        server->api_key_count (), config.api_keys_file.c_str ());
  if (config.webhooks.any ())
    std::printf ("ghostview-signaling: notifications to %zu webhook(s)%s\n",
                 config.webhooks.urls.size (),
                 config.webhooks.gotify_url.empty () ? "" : " and Gotify");
  std::fflush (stdout);

  GMainLoop *loop = g_main_loop_new (nullptr, FALSE);
  g_unix_signal_add (SIGINT, on_signal, loop);
  g_unix_signal_add (SIGTERM, on_signal, loop);
  g_unix_signal_add (SIGHUP, on_hangup, server.get ());
  g_main_loop_run (loop);
  server->stop ();
  g_main_loop_unref (loop);
  return 0;
}
