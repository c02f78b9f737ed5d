#include "server_config.h"

#include "origins.h"

#include <cstdlib>
#include <cstring>

namespace gv::signaling {
namespace {

void append_strv (std::vector<std::string> &dst, gchar **strv)
{
  for (gchar **p = strv; p && *p; p++)
    for (auto &s : split_option_list (*p))
      dst.push_back (std::move (s));
}

bool env_true (const char *name)
{
  const char *v = g_getenv (name);
  return v && (strcmp (v, "1") == 0 || g_ascii_strcasecmp (v, "true") == 0 ||
               g_ascii_strcasecmp (v, "yes") == 0);
}

} // namespace

namespace {

/* The raw option values of one server option group; GOptionEntry needs
 * stable addresses, so the group owns this on the heap. */
struct ServerOptionValues {
  ServerConfig *config = nullptr;
  gchar *address = nullptr, *web_root = nullptr, *cert = nullptr, *key = nullptr;
  gchar *public_url = nullptr, *secret_file = nullptr, *secret = nullptr;
  gchar **origins = nullptr, **stun = nullptr, **turn = nullptr;
  /* Earlier spellings, still accepted (hidden from --help). */
  gchar *address_alias = nullptr;
  gchar **origins_alias = nullptr, **stun_alias = nullptr, **turn_alias = nullptr;
  gboolean tls_proxy_alias = FALSE;
  gchar *session_key_file = nullptr;
  gchar *api_keys_file = nullptr;
  gchar *whip_relay = nullptr, *whip_relay_server = nullptr;
  gchar *redis_url = nullptr, *node_id = nullptr;
  gchar **webhooks = nullptr;
  gchar *webhook_secret_file = nullptr, *gotify_url = nullptr, *gotify_token_file = nullptr;
  gint webhook_timeout = -1, webhook_retries = -1, webhook_retry_ms = -1;
  gint webhook_concurrency = -1, webhook_queue = -1;
  gint port = -1, pin_ttl = -1, idle = -1, keepalive = G_MININT, turn_ttl = -1, max_sessions = -1;
  gint http_timeout = -1, max_per_address = -1, whip_max_relays = -1, io_threads = -1;
  gint flood_networks = G_MININT; /* unset */
  gboolean production = FALSE, tls_proxy = FALSE, trust_proxy = FALSE;
  gdouble create_rate = -1, message_rate = -1; /* rate-limit tuning; see validate */

  ~ServerOptionValues ()
  {
    g_free (address);
    g_free (web_root);
    g_free (cert);
    g_free (key);
    g_free (public_url);
    g_free (secret_file);
    g_free (session_key_file);
    g_free (api_keys_file);
    g_free (whip_relay);
    g_free (whip_relay_server);
    g_free (redis_url);
    g_free (node_id);
    g_strfreev (webhooks);
    g_free (webhook_secret_file);
    g_free (gotify_url);
    g_free (gotify_token_file);
    g_free (secret);
    g_free (address_alias);
    g_strfreev (origins_alias);
    g_strfreev (stun_alias);
    g_strfreev (turn_alias);
    g_strfreev (origins);
    g_strfreev (stun);
    g_strfreev (turn);
  }
};

/* --webhook and its delivery settings; the files are read when the server
 * is created (Notifier::create), so an embedding program's config is
 * checked the same way. */
bool apply_webhook_options (const ServerOptionValues &v, WebhookSettings &w, GError **error)
{
  append_strv (w.urls, v.webhooks);
  if (v.webhook_secret_file)
    w.secret_file = v.webhook_secret_file;
  if (v.gotify_url)
    w.gotify_url = v.gotify_url;
  if (v.gotify_token_file)
    w.gotify_token_file = v.gotify_token_file;
  struct {
    const char *name;
    gint value;
    gint min, max;
    guint *field;
  } numbers[] = {
    { "--webhook-timeout", v.webhook_timeout, 1, 300, &w.timeout_s },
    { "--webhook-retries", v.webhook_retries, 0, 20, &w.retries },
    { "--webhook-retry-ms", v.webhook_retry_ms, 10, 600000, &w.retry_base_ms },
    { "--webhook-concurrency", v.webhook_concurrency, 1, 64, &w.concurrency },
    { "--webhook-queue", v.webhook_queue, 1, 1000000, &w.queue_limit },
  };
  for (auto &n : numbers) {
    if (n.value == -1)
      continue;
    if (n.value < n.min || n.value > n.max) {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "%s %d: must be between %d and %d", n.name, n.value, n.min, n.max);
      return false;
    }
    *n.field = (guint) n.value;
  }
  return true;
}

/* Environment first; the command line overrides it in apply_command_line. */
gboolean apply_environment (GOptionContext *, GOptionGroup *, gpointer data, GError **)
{
  ServerConfig &config = *static_cast<ServerOptionValues *> (data)->config;
  if (const char *env = g_getenv ("GHOSTVIEW_ENV"))
    config.production = g_ascii_strcasecmp (env, "production") == 0;
  config.behind_tls_proxy =
      env_true ("GHOSTVIEW_BEHIND_PROXY") || env_true ("GHOSTVIEW_BEHIND_TLS_PROXY");
  for (auto &o : split_option_list (g_getenv ("GHOSTVIEW_ALLOWED_ORIGINS")))
    config.allowed_origins.push_back (normalise_origin (o));
  if (const char *v = g_getenv ("GHOSTVIEW_TLS_CERT"))
    config.tls_cert_file = v;
  if (const char *v = g_getenv ("GHOSTVIEW_TLS_KEY"))
    config.tls_key_file = v;
  if (const char *v = g_getenv ("GHOSTVIEW_PUBLIC_URL"))
    config.public_url = v;
  if (const char *v = g_getenv ("GHOSTVIEW_TURN_SECRET"))
    config.turn_secret = v;
  if (const char *v = g_getenv ("GHOSTVIEW_REDIS"))
    config.redis_url = v;
  if (const char *v = g_getenv ("GHOSTVIEW_API_KEYS"))
    config.api_keys_file = v;
  for (auto &u : split_option_list (g_getenv ("GHOSTVIEW_WEBHOOKS")))
    config.webhooks.urls.push_back (u);
  if (const char *v = g_getenv ("GHOSTVIEW_WEBHOOK_SECRET_FILE"))
    config.webhooks.secret_file = v;
  if (const char *v = g_getenv ("GHOSTVIEW_GOTIFY_URL"))
    config.webhooks.gotify_url = v;
  if (const char *v = g_getenv ("GHOSTVIEW_GOTIFY_TOKEN_FILE"))
    config.webhooks.gotify_token_file = v;
  for (auto &u : split_option_list (g_getenv ("GHOSTVIEW_STUN_URLS")))
    config.stun_urls.push_back (u);
  for (auto &u : split_option_list (g_getenv ("GHOSTVIEW_TURN_URLS")))
    config.turn_urls.push_back (u);
  return TRUE;
}

gboolean apply_command_line (GOptionContext *, GOptionGroup *, gpointer data, GError **error)
{
  auto &v = *static_cast<ServerOptionValues *> (data);
  ServerConfig &config = *v.config;
  if (v.address || v.address_alias)
    config.address = v.address ? v.address : v.address_alias;
  if (v.port >= 0) {
    if (v.port > 65535) {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "--port %d is not a port",
                   v.port);
      return FALSE;
    }
    config.port = (guint) v.port;
  }
  if (v.web_root)
    config.web_root = v.web_root;
  if (v.cert)
    config.tls_cert_file = v.cert;
  if (v.key)
    config.tls_key_file = v.key;
  if (v.public_url)
    config.public_url = v.public_url;
  if (v.production)
    config.production = true;
  if (v.tls_proxy || v.tls_proxy_alias)
    config.behind_tls_proxy = true;
  if (v.trust_proxy)
    config.trust_proxy = true;
  if (v.pin_ttl > 0)
    config.pin_ttl_s = v.pin_ttl;
  if (v.idle > 0)
    config.idle_timeout_s = v.idle;
  if (v.keepalive != G_MININT) /* given */
    config.keepalive_s = v.keepalive;
  if (v.turn_ttl > 0)
    config.turn_ttl_s = v.turn_ttl;
  if (v.max_sessions > 0)
    config.max_sessions = (guint) v.max_sessions;
  if (v.http_timeout >= 0)
    config.http_timeout_s = v.http_timeout;
  if (v.max_per_address >= 0)
    config.max_connections_per_address = (guint) v.max_per_address;
  if (v.io_threads != -1) {
    if (v.io_threads < 1 || v.io_threads > 64) {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "--io-threads %d: between 1 and 64", v.io_threads);
      return FALSE;
    }
    config.io_threads = (guint) v.io_threads;
  }
  if (v.flood_networks != G_MININT) {
    if (v.flood_networks < 0) {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "--flood-networks %d: a number of networks, 0 or more", v.flood_networks);
      return FALSE;
    }
    config.guess_limits.flood_networks = (std::size_t) v.flood_networks;
  }
  if (v.create_rate >= 0) {
    if (v.create_rate < 1) {
      g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                           "--create-rate must be at least 1 per minute");
      return FALSE;
    }
    config.create_burst = v.create_rate;
    config.create_per_s = v.create_rate / 60;
  }
  if (v.message_rate >= 0) {
    if (v.message_rate < 1) {
      g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                           "--message-rate must be at least 1 per second");
      return FALSE;
    }
    config.msg_burst = 4 * v.message_rate;
    config.msg_per_s = v.message_rate;
  }
  std::vector<std::string> list;
  append_strv (list, v.origins);
  append_strv (list, v.origins_alias);
  for (auto &o : list)
    config.allowed_origins.push_back (normalise_origin (o));
  append_strv (config.stun_urls, v.stun);
  append_strv (config.stun_urls, v.stun_alias);
  append_strv (config.turn_urls, v.turn);
  append_strv (config.turn_urls, v.turn_alias);
  if (v.secret)
    config.turn_secret = v.secret;
  if (v.session_key_file)
    config.session_key_file = v.session_key_file;
  if (v.api_keys_file)
    config.api_keys_file = v.api_keys_file;
  if (v.whip_relay)
    config.whip_relay = v.whip_relay;
  if (v.whip_relay_server)
    config.whip_relay_server = v.whip_relay_server;
  if (v.whip_max_relays >= 0)
    config.whip_max_relays = (guint) v.whip_max_relays;
  if (v.redis_url)
    config.redis_url = v.redis_url;
  if (v.node_id)
    config.node_id = v.node_id;
  if (!apply_webhook_options (v, config.webhooks, error))
    return FALSE;
  if (v.secret_file) {
    gchar *contents = nullptr;
    if (!g_file_get_contents (v.secret_file, &contents, nullptr, error))
      return FALSE;
    config.turn_secret = g_strstrip (contents);
    g_free (contents);
  }
  return validate_server_config (config, error);
}

} // namespace

GOptionGroup *server_option_group (ServerConfig &config)
{
  auto *v = new ServerOptionValues ();
  v->config = &config;

  const GOptionEntry entries[] = {
    { "bind", 0, 0, G_OPTION_ARG_STRING, &v->address,
      "Address to listen on (default 0.0.0.0; 127.0.0.1 for this machine only)", "ADDR" },
    { "port", 'p', 0, G_OPTION_ARG_INT, &v->port,
      "Port to listen on (default 8443; 0 picks a free one)", "PORT" },
    { "web-root", 0, 0, G_OPTION_ARG_FILENAME, &v->web_root, "Folder of web pages to serve at /",
      "DIR" },
    { "tls-cert", 0, 0, G_OPTION_ARG_FILENAME, &v->cert,
      "TLS certificate (PEM); serves https/wss (or GHOSTVIEW_TLS_CERT)", "FILE" },
    { "tls-key", 0, 0, G_OPTION_ARG_FILENAME, &v->key,
      "TLS private key (PEM; or GHOSTVIEW_TLS_KEY)", "FILE" },
    { "behind-proxy", 0, 0, G_OPTION_ARG_NONE, &v->tls_proxy,
      "A reverse proxy terminates TLS in front of this server (or GHOSTVIEW_BEHIND_PROXY=1)",
      nullptr },
    { "trust-proxy", 0, 0, G_OPTION_ARG_NONE, &v->trust_proxy,
      "Take the client IP from X-Forwarded-For (only behind a proxy you run)", nullptr },
    { "production", 0, 0, G_OPTION_ARG_NONE, &v->production,
      "Refuse to start without TLS and an allowed-origins list (also GHOSTVIEW_ENV=production)",
      nullptr },
    { "allowed-origins", 'o', 0, G_OPTION_ARG_STRING_ARRAY, &v->origins,
      "Origins allowed to open the WebSocket, comma-separated or repeated (or "
      "GHOSTVIEW_ALLOWED_ORIGINS)",
      "ORIGINS" },
    { "public-url", 0, 0, G_OPTION_ARG_STRING, &v->public_url,
      "Base URL viewers open (default: derived from the request; or GHOSTVIEW_PUBLIC_URL)", "URL" },
    { "pin-ttl", 0, 0, G_OPTION_ARG_INT, &v->pin_ttl, "PIN time-to-live in seconds (default 600)",
      "SECONDS" },
    { "idle-timeout", 0, 0, G_OPTION_ARG_INT, &v->idle,
      "Close connections silent for this long (default 60)", "SECONDS" },
    { "keepalive", 0, 0, G_OPTION_ARG_INT, &v->keepalive,
      "Send each WebSocket a ping this often (default 20; 0: never); keep it well below "
      "--idle-timeout and any proxy's idle timeout",
      "SECONDS" },
    { "max-sessions", 0, 0, G_OPTION_ARG_INT, &v->max_sessions,
      "Most live sessions (default 100000)", "N" },
    { "http-timeout", 0, 0, G_OPTION_ARG_INT, &v->http_timeout,
      "Close an HTTP connection whose request has not fully arrived, or that sits idle between "
      "requests, after this long (default 10)",
      "SECONDS" },
    { "max-connections-per-address", 0, 0, G_OPTION_ARG_INT, &v->max_per_address,
      "TCP connections one client address may hold at once; more are closed at once (default "
      "64; not applied with --trust-proxy)",
      "N" },
    { "io-threads", 0, 0, G_OPTION_ARG_INT, &v->io_threads,
      "Threads that read and write the WebSockets (default: one per core, at least 2, and one "
      "more per 1,024 WebSockets up to 32)",
      "N" },
    { "flood-networks", 0, 0, G_OPTION_ARG_INT, &v->flood_networks,
      "Flood mode when more than N networks sent a wrong PIN in 10 minutes: new sessions get "
      "9-digit PINs until 10 minutes after (default 200; 0: after any wrong PIN)",
      "N" },
    { "create-rate", 0, 0, G_OPTION_ARG_DOUBLE, &v->create_rate,
      "Sessions one client IP may create per minute, also the burst (default 10). Above the "
      "default is for tests and benchmarks from one address; --production refuses it",
      "PER_MIN" },
    { "message-rate", 0, 0, G_OPTION_ARG_DOUBLE, &v->message_rate,
      "Messages one connection may send per second, burst 4x (default 50). Above the default "
      "is for tests and benchmarks; --production refuses it",
      "PER_S" },
    { "stun-url", 0, 0, G_OPTION_ARG_STRING_ARRAY, &v->stun,
      "STUN URL handed to peers, repeatable (or GHOSTVIEW_STUN_URLS, comma-separated)", "URL" },
    { "turn-url", 0, 0, G_OPTION_ARG_STRING_ARRAY, &v->turn,
      "TURN URL handed to peers with short-term credentials, repeatable (or "
      "GHOSTVIEW_TURN_URLS)",
      "URL" },
    { "turn-secret", 0, 0, G_OPTION_ARG_STRING, &v->secret,
      "coturn's static-auth-secret. Other users can read a command line: prefer "
      "--turn-secret-file or GHOSTVIEW_TURN_SECRET",
      "SECRET" },
    { "turn-secret-file", 0, 0, G_OPTION_ARG_FILENAME, &v->secret_file,
      "File holding coturn's static-auth-secret", "FILE" },
    { "session-key-file", 0, 0, G_OPTION_ARG_FILENAME, &v->session_key_file,
      "Key that signs hosts' resume tokens, so a host keeps its PIN across a restart of this "
      "server (created, mode 0600, when missing; without it a restart gives hosts new PINs)",
      "FILE" },
    { "api-keys", 0, 0, G_OPTION_ARG_FILENAME, &v->api_keys_file,
      "Keys of the session API (/api/v1/...): lines 'NAME SCOPES SHA256HEX', the hash of each "
      "key, not the key (or GHOSTVIEW_API_KEYS); reloaded on SIGHUP. Without it there is no API",
      "FILE" },
    { "whip-relay", 0, 0, G_OPTION_ARG_FILENAME, &v->whip_relay,
      "The ghostview program that relays each WHIP publisher (POST /whip/PIN) to its viewers "
      "(default: ghostview beside this program, else on PATH; 'off': no WHIP ingest)",
      "PATH" },
    { "whip-relay-server", 0, 0, G_OPTION_ARG_STRING, &v->whip_relay_server,
      "WebSocket URL a WHIP relay reaches this server at (default: ws://127.0.0.1:PORT/ws, or "
      "wss://localhost:PORT/ws trusting --tls-cert)",
      "URL" },
    { "whip-max-relays", 0, 0, G_OPTION_ARG_INT, &v->whip_max_relays,
      "WHIP publishers relayed at once, each a decode and an encode (default 8; more get 503)",
      "N" },
    { "redis", 0, 0, G_OPTION_ARG_STRING, &v->redis_url,
      "Join a cluster of signalling nodes through this Redis server: PINs unique across the "
      "nodes, a viewer on any node reaches a host on any other, wrong-PIN and creation limits "
      "counted for the cluster (or GHOSTVIEW_REDIS). Every node needs the same "
      "--session-key-file. Without it this node is alone, all in memory",
      "redis://HOST:PORT[/DB]" },
    { "node-id", 0, 0, G_OPTION_ARG_STRING, &v->node_id,
      "This node's name in the cluster: letters, digits, '-' and '_', up to 32 (default: a "
      "random one)",
      "NAME" },
    { "webhook", 0, 0, G_OPTION_ARG_STRING_ARRAY, &v->webhooks,
      "POST each session event (created, viewer joined/left, control granted/revoked, ended) "
      "as signed JSON to this http(s) URL; repeatable (or GHOSTVIEW_WEBHOOKS, comma-separated)",
      "URL" },
    { "webhook-secret-file", 0, 0, G_OPTION_ARG_FILENAME, &v->webhook_secret_file,
      "File holding the key that signs webhook bodies (HMAC-SHA-256; or "
      "GHOSTVIEW_WEBHOOK_SECRET_FILE). Required with --webhook",
      "FILE" },
    { "gotify", 0, 0, G_OPTION_ARG_STRING, &v->gotify_url,
      "Also send each session event as a message to this Gotify server (or GHOSTVIEW_GOTIFY_URL)",
      "URL" },
    { "gotify-token-file", 0, 0, G_OPTION_ARG_FILENAME, &v->gotify_token_file,
      "File holding the Gotify application token (or GHOSTVIEW_GOTIFY_TOKEN_FILE)", "FILE" },
    { "webhook-timeout", 0, 0, G_OPTION_ARG_INT, &v->webhook_timeout,
      "Seconds one notification request may take (default 5)", "SECONDS" },
    { "webhook-retries", 0, 0, G_OPTION_ARG_INT, &v->webhook_retries,
      "Re-sends of a notification that failed before it is given up (default 5)", "N" },
    { "webhook-retry-ms", 0, 0, G_OPTION_ARG_INT, &v->webhook_retry_ms,
      "Wait before the first re-send, doubling for each next (default 1000: 1, 2, 4, 8, 16 s); "
      "small values are for tests",
      "MS" },
    { "webhook-concurrency", 0, 0, G_OPTION_ARG_INT, &v->webhook_concurrency,
      "Notifications being delivered to one target at once (default 4)", "N" },
    { "webhook-queue", 0, 0, G_OPTION_ARG_INT, &v->webhook_queue,
      "Notifications one target may have waiting; more drop the oldest (default 1000)", "N" },
    { "turn-ttl", 0, 0, G_OPTION_ARG_INT, &v->turn_ttl,
      "Lifetime of TURN credentials in seconds (default 86400)", "SECONDS" },
    /* Earlier spellings. */
    { "address", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_STRING, &v->address_alias, nullptr,
      nullptr },
    { "allowed-origin", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_STRING_ARRAY, &v->origins_alias,
      nullptr, nullptr },
    { "behind-tls-proxy", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_NONE, &v->tls_proxy_alias, nullptr,
      nullptr },
    { "stun", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_STRING_ARRAY, &v->stun_alias, nullptr,
      nullptr },
    { "turn", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_STRING_ARRAY, &v->turn_alias, nullptr,
      nullptr },
    { nullptr, 0, 0, G_OPTION_ARG_NONE, nullptr, nullptr, nullptr },
  };

  GOptionGroup *group = g_option_group_new (
      "server", "Signalling server options:", "Show the signalling server's options", v,
      [] (gpointer data) { delete static_cast<ServerOptionValues *> (data); });
  g_option_group_add_entries (group, entries);
  g_option_group_set_parse_hooks (group, apply_environment, apply_command_line);
  return group;
}

bool parse_server_options (ServerConfig &config, int *argc, char ***argv, GError **error)
{
  GOptionContext *ctx = g_option_context_new ("- GhostView signalling server");
  g_option_context_set_summary (
      ctx, "Pairs GhostView hosts and viewers by PIN over WebSocket (/ws) and serves the "
           "web pages.\nSee signaling/PROTOCOL.md for the protocol, limits and production "
           "settings.");
  g_option_context_set_main_group (ctx, server_option_group (config));
  bool ok = g_option_context_parse (ctx, argc, argv, error);
  g_option_context_free (ctx);
  return ok;
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
    return bad ("--turn-url needs the coturn secret (--turn-secret-file, --turn-secret or "
                "GHOSTVIEW_TURN_SECRET)");
  if (config.production) {
    if (!config.tls () && !config.behind_tls_proxy)
      return bad ("production mode needs TLS: give --tls-cert and --tls-key, or "
                  "--behind-proxy when a reverse proxy terminates TLS");
    if (config.allowed_origins.empty ())
      return bad ("production mode needs an allowed-origins list: --allowed-origins "
                  "https://your.domain (or GHOSTVIEW_ALLOWED_ORIGINS)");
    /* Rate limits may be tightened in production, never loosened: the
     * higher --create-rate / --message-rate are test and benchmark knobs. */
    const ServerConfig safe;
    if (config.create_burst > safe.create_burst || config.create_per_s > safe.create_per_s)
      return bad ("--create-rate above the default (10 per minute) is for tests and benchmarks; "
                  "production mode refuses it");
    if (config.msg_burst > safe.msg_burst || config.msg_per_s > safe.msg_per_s)
      return bad ("--message-rate above the default (50 per second) is for tests and "
                  "benchmarks; production mode refuses it");
  }
  for (const auto &url : config.webhooks.urls) {
    std::string why;
    if (!webhook_url_ok (url, why)) {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "--webhook: %s", why.c_str ());
      return false;
    }
  }
  if (!config.webhooks.gotify_url.empty ()) {
    std::string why;
    if (!webhook_url_ok (config.webhooks.gotify_url, why)) {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "--gotify: %s", why.c_str ());
      return false;
    }
  }
  if (!config.webhooks.urls.empty () && config.webhooks.secret_file.empty ())
    return bad ("--webhook needs a signing secret: --webhook-secret-file FILE (or "
                "GHOSTVIEW_WEBHOOK_SECRET_FILE)");
  if (!config.webhooks.gotify_url.empty () && config.webhooks.gotify_token_file.empty ())
    return bad ("--gotify needs the application token: --gotify-token-file FILE (or "
                "GHOSTVIEW_GOTIFY_TOKEN_FILE)");
  if (config.webhooks.concurrency < 1 || config.webhooks.queue_limit < 1)
    return bad ("--webhook-concurrency and --webhook-queue must be at least 1");
  if (config.pin_ttl_s < 1 || config.pin_ttl_s > 24 * 3600)
    return bad ("--pin-ttl must be between 1 and 86400 seconds");
  if (config.keepalive_s < 0 || config.keepalive_s > 3600)
    return bad ("--keepalive must be between 0 (no pings) and 3600 seconds");
  if (config.http_timeout_s < 1 || config.http_timeout_s > 3600)
    return bad ("--http-timeout must be between 1 and 3600 seconds");
  if (config.max_connections_per_address < 1)
    return bad ("--max-connections-per-address must be at least 1");
  return true;
}

} // namespace gv::signaling
