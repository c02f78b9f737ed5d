#include "server_config.h"

#include <cstdlib>
#include <cstring>

namespace gv::signaling {
namespace {

std::vector<std::string> split_list (const char *text)
{
  std::vector<std::string> out;
  if (!text)
    return out;
  gchar **parts = g_strsplit_set (text, ", ", -1);
  for (gchar **p = parts; *p; p++)
    if (**p)
      out.emplace_back (*p);
  g_strfreev (parts);
  return out;
}

void append_strv (std::vector<std::string> &dst, gchar **strv)
{
  for (gchar **p = strv; p && *p; p++)
    for (auto &s : split_list (*p))
      dst.push_back (std::move (s));
}

std::string normalise_origin (std::string origin)
{
  for (auto &c : origin)
    c = g_ascii_tolower (c);
  while (!origin.empty () && origin.back () == '/')
    origin.pop_back ();
  return origin;
}

bool env_true (const char *name)
{
  const char *v = g_getenv (name);
  return v && (strcmp (v, "1") == 0 || g_ascii_strcasecmp (v, "true") == 0 ||
               g_ascii_strcasecmp (v, "yes") == 0);
}

} // namespace

bool parse_server_options (ServerConfig &config, int *argc, char ***argv, GError **error)
{
  /* Environment first; the command line overrides it below. */
  if (const char *env = g_getenv ("GHOSTVIEW_ENV"))
    config.production = g_ascii_strcasecmp (env, "production") == 0;
  config.behind_tls_proxy = env_true ("GHOSTVIEW_BEHIND_TLS_PROXY");
  for (auto &o : split_list (g_getenv ("GHOSTVIEW_ALLOWED_ORIGINS")))
    config.allowed_origins.push_back (normalise_origin (o));
  if (const char *v = g_getenv ("GHOSTVIEW_TLS_CERT"))
    config.tls_cert_file = v;
  if (const char *v = g_getenv ("GHOSTVIEW_TLS_KEY"))
    config.tls_key_file = v;
  if (const char *v = g_getenv ("GHOSTVIEW_PUBLIC_URL"))
    config.public_url = v;
  if (const char *v = g_getenv ("GHOSTVIEW_TURN_SECRET"))
    config.turn_secret = v;
  for (auto &u : split_list (g_getenv ("GHOSTVIEW_STUN_URLS")))
    config.stun_urls.push_back (u);
  for (auto &u : split_list (g_getenv ("GHOSTVIEW_TURN_URLS")))
    config.turn_urls.push_back (u);

  gchar *address = nullptr, *web_root = nullptr, *cert = nullptr, *key = nullptr;
  gchar *public_url = nullptr, *secret_file = nullptr;
  gchar **origins = nullptr, **stun = nullptr, **turn = nullptr;
  gint port = -1, pin_ttl = -1, idle = -1, turn_ttl = -1, max_sessions = -1;
  gboolean production = FALSE, tls_proxy = FALSE, trust_proxy = FALSE;

  GOptionEntry entries[] = {
    { "address", 'a', 0, G_OPTION_ARG_STRING, &address, "Address to listen on (default 0.0.0.0)",
      "ADDR" },
    { "port", 'p', 0, G_OPTION_ARG_INT, &port,
      "Port to listen on (default 8443; 0 picks a free one)", "PORT" },
    { "web-root", 0, 0, G_OPTION_ARG_FILENAME, &web_root, "Folder of web pages to serve at /",
      "DIR" },
    { "tls-cert", 0, 0, G_OPTION_ARG_FILENAME, &cert, "TLS certificate (PEM); serves https/wss",
      "FILE" },
    { "tls-key", 0, 0, G_OPTION_ARG_FILENAME, &key, "TLS private key (PEM)", "FILE" },
    { "behind-tls-proxy", 0, 0, G_OPTION_ARG_NONE, &tls_proxy,
      "A reverse proxy terminates TLS in front of this server", nullptr },
    { "trust-proxy", 0, 0, G_OPTION_ARG_NONE, &trust_proxy,
      "Take the client IP from X-Forwarded-For (only behind a proxy you run)", nullptr },
    { "production", 0, 0, G_OPTION_ARG_NONE, &production,
      "Refuse to start without TLS and an allowed-origins list (also GHOSTVIEW_ENV=production)",
      nullptr },
    { "allowed-origin", 'o', 0, G_OPTION_ARG_STRING_ARRAY, &origins,
      "Origin allowed to open the WebSocket (repeat, or comma-separated)", "ORIGIN" },
    { "public-url", 0, 0, G_OPTION_ARG_STRING, &public_url,
      "Base URL viewers open (default: derived from the request)", "URL" },
    { "pin-ttl", 0, 0, G_OPTION_ARG_INT, &pin_ttl, "PIN time-to-live in seconds (default 600)",
      "SECONDS" },
    { "idle-timeout", 0, 0, G_OPTION_ARG_INT, &idle,
      "Close connections silent for this long (default 60)", "SECONDS" },
    { "max-sessions", 0, 0, G_OPTION_ARG_INT, &max_sessions, "Most live sessions (default 100000)",
      "N" },
    { "stun", 0, 0, G_OPTION_ARG_STRING_ARRAY, &stun, "STUN URL handed to peers (repeatable)",
      "URL" },
    { "turn", 0, 0, G_OPTION_ARG_STRING_ARRAY, &turn,
      "TURN URL handed to peers with short-term credentials (repeatable)", "URL" },
    { "turn-secret-file", 0, 0, G_OPTION_ARG_FILENAME, &secret_file,
      "File holding coturn's static-auth-secret (or GHOSTVIEW_TURN_SECRET)", "FILE" },
    { "turn-ttl", 0, 0, G_OPTION_ARG_INT, &turn_ttl,
      "Lifetime of TURN credentials in seconds (default 86400)", "SECONDS" },
    { nullptr, 0, 0, G_OPTION_ARG_NONE, nullptr, nullptr, nullptr },
  };

  GOptionContext *ctx = g_option_context_new ("- GhostView signalling server");
  g_option_context_set_summary (
      ctx,
      "Pairs GhostView hosts and viewers by 6-digit PIN over WebSocket (/ws) and serves the web "
      "pages.\nSee signaling/PROTOCOL.md for the protocol, limits and production settings.");
  g_option_context_add_main_entries (ctx, entries, nullptr);
  bool ok = g_option_context_parse (ctx, argc, argv, error);
  g_option_context_free (ctx);

  if (ok) {
    if (address)
      config.address = address;
    if (port >= 0) {
      if (port > 65535) {
        g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "--port %d is not a port",
                     port);
        ok = false;
      }
      config.port = (guint) port;
    }
    if (web_root)
      config.web_root = web_root;
    if (cert)
      config.tls_cert_file = cert;
    if (key)
      config.tls_key_file = key;
    if (public_url)
      config.public_url = public_url;
    if (production)
      config.production = true;
    if (tls_proxy)
      config.behind_tls_proxy = true;
    if (trust_proxy)
      config.trust_proxy = true;
    if (pin_ttl > 0)
      config.pin_ttl_s = pin_ttl;
    if (idle > 0)
      config.idle_timeout_s = idle;
    if (turn_ttl > 0)
      config.turn_ttl_s = turn_ttl;
    if (max_sessions > 0)
      config.max_sessions = (guint) max_sessions;
    std::vector<std::string> list;
    append_strv (list, origins);
    for (auto &o : list)
      config.allowed_origins.push_back (normalise_origin (o));
    append_strv (config.stun_urls, stun);
    append_strv (config.turn_urls, turn);
    if (ok && secret_file) {
      gchar *contents = nullptr;
      if (!g_file_get_contents (secret_file, &contents, nullptr, error)) {
        ok = false;
      } else {
        config.turn_secret = g_strstrip (contents);
        g_free (contents);
      }
    }
  }

  g_free (address);
  g_free (web_root);
  g_free (cert);
  g_free (key);
  g_free (public_url);
  g_free (secret_file);
  g_strfreev (origins);
  g_strfreev (stun);
  g_strfreev (turn);
  return ok && validate_server_config (config, error);
}

bool validate_server_config (const ServerConfig &config, GError **error)
{
  auto bad = [error] (const char *text) {
    g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, text);
    return false;
  };
  if (config.tls_cert_file.empty () != config.tls_key_file.empty ())
    return bad ("TLS needs both --tls-cert and --tls-key");
  if (!config.turn_urls.empty () && config.turn_secret.empty ())
    return bad ("--turn needs the coturn secret (--turn-secret-file or GHOSTVIEW_TURN_SECRET)");
  if (config.production) {
    if (!config.tls () && !config.behind_tls_proxy)
      return bad ("production mode needs TLS: give --tls-cert and --tls-key, or "
                  "--behind-tls-proxy when a reverse proxy terminates TLS");
    if (config.allowed_origins.empty ())
      return bad ("production mode needs an allowed-origins list: --allowed-origin "
                  "https://your.domain (or GHOSTVIEW_ALLOWED_ORIGINS)");
  }
  if (config.pin_ttl_s < 1 || config.pin_ttl_s > 24 * 3600)
    return bad ("--pin-ttl must be between 1 and 86400 seconds");
  return true;
}

} // namespace gv::signaling
