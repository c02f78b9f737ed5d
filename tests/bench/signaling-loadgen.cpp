/* ghostview-signaling-loadgen: a load generator for signalling servers.
 *
 * Holds N concurrent sessions against one server, each a host connection
 * and a viewer connection, and drives the set-up a real session does: the
 * host registers, the viewer joins by PIN, the host accepts and sends an SDP
 * offer and ICE candidates, the viewer answers with its own. Then, on
 * command, it relays ICE candidates back and forth in every session as fast
 * as the server passes them (a closed loop with a fixed window per session)
 * and reports messages/s, or runs "probe" sessions one at a time while the N
 * sessions stay live, to measure join latency on a loaded but quiet server.
 *
 * Viewers may connect to another server than hosts (--viewer-url): a node
 * of the same --redis cluster, so every join crosses nodes.
 *
 * Two wire protocols:
 *   ghostview  GhostView's (signaling/protocol.h builders and parser), at
 *              ws://HOST:PORT/ws
 *   peerjs     the PeerJS server's (npm "peer"), at ws://HOST:PORT/peerjs:
 *              two peers per session exchange OFFER / ANSWER / CANDIDATE by
 *              id. PeerJS has no PINs: the viewer opens with its OFFER and
 *              the host answers (what a PeerJS caller does).
 *
 * One GMainContext, non-blocking libsoup WebSocket clients, one file
 * descriptor per connection (2 per session): the process raises its soft
 * open-files limit to the hard one and refuses a load it cannot hold; run
 * several processes for more (tests/bench/run-signaling-load.py does).
 *
 * Protocol with the driver: after the sessions are set up it prints one JSON
 * line {"event":"ready",...}; then it reads commands from stdin, one per
 * line, runs them in order and answers each with one JSON line:
 *   relay SECONDS   steady relay phase (1 s warm-up not counted)
 *   probe COUNT     COUNT extra sessions, one at a time, each closed after
 *                   its negotiation; join latency with the N sessions live
 *   stats           counters so far
 *   quit            close everything and exit (also at end of input)
 *
 * This file: main () with the command-line options, the Generator's
 * construction and run (). The rest, by concern, is listed in
 * signaling-loadgen-private.h.
 */
#include "signaling-loadgen-private.h"

#include <gio/gunixinputstream.h>

#include <sys/resource.h>

#include <algorithm>
#include <cstring>

namespace gv::loadgen {

Generator *g_gen = nullptr;

Generator::Generator (Options o) : opt_ (std::move (o))
{
  loop_ = g_main_loop_new (nullptr, FALSE);
  soup_ = soup_session_new_with_options ("max-conns", 1 << 20, "max-conns-per-host", 1 << 20,
                                         "timeout", 60, "idle-timeout", 0, nullptr);
  sdp_offer_ = make_sdp_text ("offer", opt_.sdp_bytes);
  sdp_answer_ = make_sdp_text ("answer", opt_.sdp_bytes);
  candidate_ = make_candidate_text (opt_.candidate_bytes);
  window_ = opt_.window > 0 ? opt_.window : std::clamp (4000 / std::max (1, opt_.sessions), 1, 64);
}

Generator::~Generator ()
{
  g_clear_object (&stdin_);
  g_clear_object (&soup_);
  g_main_loop_unref (loop_);
}

int Generator::run ()
{
  /* One descriptor per connection, two per session, plus probes. */
  struct rlimit rl;
  getrlimit (RLIMIT_NOFILE, &rl);
  if (rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit (RLIMIT_NOFILE, &rl);
    getrlimit (RLIMIT_NOFILE, &rl);
  }
  rlim_t need = (rlim_t) opt_.sessions * 2 + 64;
  if (rl.rlim_cur != RLIM_INFINITY && need > rl.rlim_cur) {
    g_printerr ("loadgen: %d sessions need %lu descriptors; this process may open %lu. "
                "Run several processes (run-signaling-load.py shards the load).\n",
                opt_.sessions, (unsigned long) need, (unsigned long) rl.rlim_cur);
    return 2;
  }

  GInputStream *in = g_unix_input_stream_new (0, FALSE);
  stdin_ = g_data_input_stream_new (in);
  g_object_unref (in);

  setup_t0_ = now_us ();
  setup_cpu0_ = cpu_s ();
  setup_timeout_id_ = g_timeout_add_seconds ((guint) opt_.setup_timeout_s, on_setup_timeout, this);
  if (opt_.sessions <= 0)
    setup_done ();
  else
    setup_next ();
  g_main_loop_run (loop_);
  return 0;
}

} // namespace gv::loadgen

int main (int argc, char **argv)
{
  using namespace gv::loadgen;

  Options o;
  gchar *wire = nullptr, *url = nullptr, *viewer_url = nullptr, *prefix = nullptr;
  GOptionEntry entries[] = {
    { "protocol", 0, 0, G_OPTION_ARG_STRING, &wire, "ghostview (default) or peerjs", "NAME" },
    { "url", 'u', 0, G_OPTION_ARG_STRING, &url,
      "WebSocket URL: ws://127.0.0.1:PORT/ws (ghostview) or ws://127.0.0.1:PORT/peerjs", "URL" },
    { "viewer-url", 0, 0, G_OPTION_ARG_STRING, &viewer_url,
      "Viewers connect here instead of --url: another node of a --redis cluster (ghostview)",
      "URL" },
    { "sessions", 'n', 0, G_OPTION_ARG_INT, &o.sessions, "Concurrent sessions to hold (100)", "N" },
    { "concurrency", 'c', 0, G_OPTION_ARG_INT, &o.concurrency, "Sessions being set up at once (64)",
      "N" },
    { "candidates", 0, 0, G_OPTION_ARG_INT, &o.candidates,
      "ICE candidates each side sends in set-up (3)", "N" },
    { "sdp-bytes", 0, 0, G_OPTION_ARG_INT, &o.sdp_bytes, "SDP size (4096)", "BYTES" },
    { "candidate-bytes", 0, 0, G_OPTION_ARG_INT, &o.candidate_bytes, "Candidate size (100)",
      "BYTES" },
    { "window", 'w', 0, G_OPTION_ARG_INT, &o.window,
      "Relay messages in flight per session (default: 4000/N, 1..64)", "N" },
    { "id-prefix", 0, 0, G_OPTION_ARG_STRING, &prefix, "PeerJS id prefix (lg)", "TEXT" },
    { "setup-timeout", 0, 0, G_OPTION_ARG_INT, &o.setup_timeout_s,
      "Give up on set-up after this long (90)", "SECONDS" },
    { nullptr, 0, 0, G_OPTION_ARG_NONE, nullptr, nullptr, nullptr },
  };
  GOptionContext *ctx = g_option_context_new ("- signalling load generator");
  g_option_context_set_summary (
      ctx, "Holds N host+viewer sessions against a GhostView or PeerJS signalling server.\n"
           "After set-up reads commands from stdin: relay SECONDS | probe COUNT | stats | quit.");
  g_option_context_add_main_entries (ctx, entries, nullptr);
  GError *error = nullptr;
  if (!g_option_context_parse (ctx, &argc, &argv, &error)) {
    g_printerr ("loadgen: %s\n", error->message);
    return 2;
  }
  g_option_context_free (ctx);
  if (wire && strcmp (wire, "peerjs") == 0)
    o.wire = Wire::PeerJS;
  else if (wire && strcmp (wire, "ghostview") != 0) {
    g_printerr ("loadgen: --protocol is ghostview or peerjs\n");
    return 2;
  }
  if (!url) {
    g_printerr ("loadgen: --url is required\n");
    return 2;
  }
  o.url = url;
  if (viewer_url)
    o.viewer_url = viewer_url;
  if (prefix)
    o.id_prefix = prefix;
  o.concurrency = std::max (1, o.concurrency);
  g_free (wire);
  g_free (url);
  g_free (viewer_url);
  g_free (prefix);

  Generator gen (o);
  g_gen = &gen;
  return gen.run ();
}
