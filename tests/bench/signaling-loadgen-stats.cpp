/* ghostview-signaling-loadgen: statistics and the report. Process CPU
 * time, the error counters, latency percentiles (nearest rank, with the raw
 * samples so a driver can merge several generators), and the JSON lines
 * that answer the set-up ("ready"), a relay phase ("relay") and a probe
 * run ("probe").
 */
#include "signaling-loadgen-private.h"

#include <sys/resource.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace gv::loadgen {

double Generator::cpu_s () const
{
  struct rusage ru;
  getrusage (RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
         (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

std::string Generator::counters_json () const
{
  std::string e = "{";
  bool first = true;
  for (const auto &[k, v] : errors_) {
    e += (first ? "\"" : ",\"") + k + "\":" + std::to_string (v);
    first = false;
  }
  e += "}";
  return "{\"failed\":" + std::to_string (failed_) +
         ",\"unexpected_closes\":" + std::to_string (unexpected_closes_) +
         ",\"open_connections\":" + std::to_string (open_conns_) + ",\"errors\":" + e + "}";
}

std::string Generator::latency_json (std::vector<double> v)
{
  if (v.empty ())
    return "null";
  std::sort (v.begin (), v.end ());
  /* The raw values too, so a driver running several generators can merge
   * them into one distribution. */
  std::string all = "[";
  for (std::size_t i = 0; i < v.size (); i++) {
    char num[32];
    g_snprintf (num, sizeof num, i ? ",%.3f" : "%.3f", v[i]);
    all += num;
  }
  all += "]";
  auto pct = [&v] (double p) {
    /* nearest-rank */
    std::size_t rank = (std::size_t) std::ceil (p / 100.0 * v.size ());
    return v[std::min (v.size () - 1, rank == 0 ? 0 : rank - 1)];
  };
  char buf[256];
  g_snprintf (buf, sizeof buf,
              "{\"n\":%zu,\"p50\":%.3f,\"p90\":%.3f,\"p99\":%.3f,\"max\":%.3f,\"all\":", v.size (),
              pct (50), pct (90), pct (99), v.back ());
  return buf + all + "}";
}

/* ---- report lines (one JSON object per line on stdout) ---- */

void Generator::report_ready ()
{
  int live = 0;
  for (auto &s : sessions_)
    live += s->negotiated && !s->failed;
  std::string out =
      "{\"event\":\"ready\",\"sessions\":" + std::to_string (opt_.sessions) +
      ",\"live\":" + std::to_string (live) + ",\"failed\":" + std::to_string (failed_) +
      ",\"cut\":" + std::to_string (cut_) +
      ",\"setup_s\":" + std::to_string ((now_us () - setup_t0_) / 1e6) +
      ",\"cpu_s\":" + std::to_string (cpu_s () - setup_cpu0_) +
      ",\"concurrency\":" + std::to_string (opt_.concurrency) +
      ",\"window\":" + std::to_string (window_) +
      ",\"join_joined_ms\":" + latency_json (ramp_.joined_ms) +
      ",\"join_sdp_ms\":" + latency_json (ramp_.sdp_ms) +
      ",\"setup_ms\":" + latency_json (ramp_.setup_ms) + ",\"counters\":" + counters_json () + "}";
  std::printf ("%s\n", out.c_str ());
  std::fflush (stdout);
}

void Generator::report_relay ()
{
  double secs = (now_us () - relay_t0_) / 1e6;
  guint64 n = relay_count_ - relay_count0_;
  char buf[512];
  g_snprintf (buf, sizeof buf,
              "{\"event\":\"relay\",\"messages\":%" G_GUINT64_FORMAT
              ",\"seconds\":%.3f,\"rate\":%.1f,\"window\":%d,\"cpu_s\":%.3f,\"failed\":%d,"
              "\"counters\":%s}",
              n, secs, n / secs, window_, cpu_s () - relay_cpu0_, failed_,
              counters_json ().c_str ());
  std::printf ("%s\n", buf);
  std::fflush (stdout);
}

void Generator::report_probes ()
{
  std::string out = "{\"event\":\"probe\",\"count\":" + std::to_string (probes_.size ()) +
                    ",\"failed\":" + std::to_string (probe_failed_) +
                    ",\"join_joined_ms\":" + latency_json (probe_lat_.joined_ms) +
                    ",\"join_sdp_ms\":" + latency_json (probe_lat_.sdp_ms) +
                    ",\"setup_ms\":" + latency_json (probe_lat_.setup_ms) + "}";
  std::printf ("%s\n", out.c_str ());
  std::fflush (stdout);
}

} // namespace gv::loadgen
