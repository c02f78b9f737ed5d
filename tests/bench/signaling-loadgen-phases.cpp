/* ghostview-signaling-loadgen: the phases the driver runs. Set-up of the N
 * held sessions (at most --concurrency at once, cut at --setup-timeout),
 * the commands read from stdin one line at a time (relay, probe, stats,
 * quit), the relay phase's timers, probe sessions and closing everything at
 * the end.
 */
#include "signaling-loadgen-private.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace gv::loadgen {

/* ---- setup phase ---- */

void Generator::setup_next ()
{
  while (in_flight_ < opt_.concurrency && next_ < opt_.sessions) {
    next_++;
    start_session (new_session (false));
  }
  if (done_ >= opt_.sessions)
    setup_done ();
}

gboolean Generator::on_setup_timeout (gpointer data)
{
  auto *self = static_cast<Generator *> (data);
  self->setup_timeout_id_ = 0;
  g_printerr ("loadgen: set-up did not finish in %d s (%d of %d done)\n",
              self->opt_.setup_timeout_s, self->done_, self->opt_.sessions);
  self->next_ = self->opt_.sessions; /* start no more */
  for (auto &s : self->sessions_)
    if (!s->negotiated && !s->failed) {
      self->cut_++;
      self->failed_--; /* counted as cut, not failed */
      self->fail (s.get (), "set-up timeout");
    }
  self->setup_done ();
  return G_SOURCE_REMOVE;
}

void Generator::setup_done ()
{
  if (setup_finished_)
    return;
  setup_finished_ = true;
  if (setup_timeout_id_)
    g_source_remove (setup_timeout_id_);
  setup_timeout_id_ = 0;
  report_ready ();
  read_command ();
}

/* ---- commands ---- */

void Generator::read_command ()
{
  if (quitting_)
    return;
  g_data_input_stream_read_line_async (stdin_, G_PRIORITY_DEFAULT, nullptr, on_line, this);
}

void Generator::on_line (GObject *source, GAsyncResult *res, gpointer data)
{
  auto *self = static_cast<Generator *> (data);
  gsize len = 0;
  gchar *line =
      g_data_input_stream_read_line_finish (G_DATA_INPUT_STREAM (source), res, &len, nullptr);
  if (!line) {
    self->quit ();
    return;
  }
  std::string cmd = g_strstrip (line);
  g_free (line);
  self->run_command (cmd);
}

void Generator::run_command (const std::string &line)
{
  gchar **argv = g_strsplit (line.c_str (), " ", 2);
  std::string cmd = argv[0] ? argv[0] : "";
  std::string arg = argv[0] && argv[1] ? argv[1] : "";
  g_strfreev (argv);
  if (cmd.empty ()) {
    command_done ();
  } else if (cmd == "relay") {
    start_relay (arg.empty () ? 5.0 : g_ascii_strtod (arg.c_str (), nullptr));
  } else if (cmd == "probe") {
    start_probes (arg.empty () ? 20 : atoi (arg.c_str ()));
  } else if (cmd == "stats") {
    std::printf ("{\"event\":\"stats\",\"counters\":%s}\n", counters_json ().c_str ());
    std::fflush (stdout);
    command_done ();
  } else if (cmd == "quit") {
    quit ();
  } else {
    std::printf ("{\"event\":\"error\",\"message\":\"unknown command\"}\n");
    std::fflush (stdout);
    command_done ();
  }
}

/* ---- relay phase ---- */

void Generator::start_relay (double seconds)
{
  relay_seconds_ = std::max (0.1, seconds);
  relay_active_ = true;
  relay_count_ = 0;
  for (auto &s : sessions_) {
    if (!s->negotiated || s->failed)
      continue;
    for (int i = 0; i < window_; i++)
      send (s->host, s->host_relay);
  }
  /* One second of warm-up, then the measured window. */
  g_timeout_add (1000, on_relay_warm, this);
}

gboolean Generator::on_relay_warm (gpointer data)
{
  auto *self = static_cast<Generator *> (data);
  self->relay_count0_ = self->relay_count_;
  self->relay_t0_ = now_us ();
  self->relay_cpu0_ = self->cpu_s ();
  g_timeout_add ((guint) (self->relay_seconds_ * 1000), on_relay_end, self);
  return G_SOURCE_REMOVE;
}

gboolean Generator::on_relay_end (gpointer data)
{
  auto *self = static_cast<Generator *> (data);
  self->relay_active_ = false;
  self->report_relay ();
  /* Let what is still in flight arrive (and be ignored) before the next
   * command measures anything. */
  g_timeout_add (300, on_relay_drained, self);
  return G_SOURCE_REMOVE;
}

gboolean Generator::on_relay_drained (gpointer data)
{
  static_cast<Generator *> (data)->command_done ();
  return G_SOURCE_REMOVE;
}

/* ---- probes ---- */

void Generator::start_probes (int count)
{
  probe_lat_ = Latencies ();
  probe_failed_ = 0;
  probes_.clear ();
  if (count <= 0) {
    std::printf ("{\"event\":\"probe\",\"count\":0}\n");
    std::fflush (stdout);
    command_done ();
    return;
  }
  probes_left_ = count - 1;
  start_session (new_session (true));
}

/* ---- end ---- */

void Generator::quit ()
{
  if (quitting_)
    return;
  quitting_ = true;
  for (auto *list : { &sessions_, &probes_ })
    for (auto &s : *list)
      close_session (s.get ());
  if (open_conns_ <= 0)
    g_main_loop_quit (loop_);
  else
    g_timeout_add_seconds (2, on_quit_timeout, this);
}

gboolean Generator::on_quit_timeout (gpointer data)
{
  g_main_loop_quit (static_cast<Generator *> (data)->loop_);
  return G_SOURCE_REMOVE;
}

} // namespace gv::loadgen
