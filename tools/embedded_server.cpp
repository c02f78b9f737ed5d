#include "embedded_server.h"

#include "console.h"
#include "paths.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>

namespace gv::launcher {
namespace {

/* The first up, non-loopback IPv4 address: what another machine on the LAN
 * most likely reaches us at. */
std::string lan_address ()
{
  struct ifaddrs *list = nullptr;
  if (getifaddrs (&list) != 0)
    return "";
  std::string found;
  for (auto *a = list; a && found.empty (); a = a->ifa_next) {
    if (!a->ifa_addr || a->ifa_addr->sa_family != AF_INET || !(a->ifa_flags & IFF_UP) ||
        (a->ifa_flags & IFF_LOOPBACK))
      continue;
    char text[INET_ADDRSTRLEN];
    auto *in = reinterpret_cast<struct sockaddr_in *> (a->ifa_addr);
    if (inet_ntop (AF_INET, &in->sin_addr, text, sizeof text))
      found = text;
  }
  freeifaddrs (list);
  return found;
}

} // namespace

void complete_server_config (gv::signaling::ServerConfig &config)
{
  if (config.web_root.empty ())
    config.web_root = default_web_root ();
  if (config.address == "0.0.0.0" && config.public_url.empty () && config.port != 0) {
    std::string ip = lan_address ();
    if (!ip.empty ())
      config.public_url =
          std::string (config.tls () || config.behind_tls_proxy ? "https://" : "http://") + ip +
          ":" + std::to_string (config.port);
  }
}

std::unique_ptr<gv::signaling::Server> start_server (const gv::signaling::ServerConfig &config,
                                                     const char *who)
{
  GError *error = nullptr;
  auto server = gv::signaling::Server::create (config, &error);
  if (!server || !server->start (&error)) {
    print_error (std::string ("ghostview ") + who + ": the signalling server cannot start: " +
                 (error ? error->message : "unknown error"));
    g_clear_error (&error);
    return nullptr;
  }
  std::string where = server->http_url ();
  if (config.address == "0.0.0.0")
    where = std::string (config.tls () ? "https" : "http") +
            "://0.0.0.0:" + std::to_string (server->port ()) + " (all interfaces)";
  print_line ("Signalling server listening on " + where + ", WebSocket " + server->ws_url ());
  if (config.web_root.empty ())
    print_line ("  No web root: the browser viewer is not served (--web-root DIR or "
                "GHOSTVIEW_WEB_DIR).");
  if (!config.production) {
    std::string note = "  Development mode: plain HTTP, only this server's own pages may connect";
    if (config.address == "0.0.0.0")
      note += "; reachable from the network (--local keeps it on this machine)";
    print_line (note + ". For deployment use 'ghostview serve --production' with TLS.");
  }
  return server;
}

} // namespace gv::launcher
