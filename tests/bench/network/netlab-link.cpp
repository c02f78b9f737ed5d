/* gvnl-forwarder, the link model (see netlab-link.h). */
#include "netlab-link.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <sstream>

namespace gvnl {

namespace {

constexpr double kFullFrame = 1514; /* Ethernet header + 1500 */

bool parse_number (const std::string &text, double &out)
{
  char *end = nullptr;
  out = std::strtod (text.c_str (), &end);
  return !text.empty () && end && *end == '\0' && std::isfinite (out) && out >= 0;
}

std::string format_double (double value)
{
  char buf[32];
  std::snprintf (buf, sizeof buf, "%.6g", value);
  return buf;
}

} // namespace

bool parse_settings (const std::string &text, Settings &settings, std::string &error)
{
  Settings out = settings;
  std::istringstream words (text);
  std::string word;
  while (words >> word) {
    size_t eq = word.find ('=');
    std::string key = word.substr (0, eq);
    if (key == "udp" && eq != std::string::npos) {
      std::string what = word.substr (eq + 1);
      if (what != "drop" && what != "pass") {
        error = "expected udp=drop or udp=pass, got \"" + word + "\"";
        return false;
      }
      out.drop_udp = what == "drop";
      continue;
    }
    double value = 0;
    if (eq == std::string::npos || !parse_number (word.substr (eq + 1), value)) {
      error = "expected key=number, got \"" + word + "\"";
      return false;
    }
    if (key == "rate")
      out.rate_kbps = value;
    else if (key == "burst")
      out.burst_bytes = value;
    else if (key == "delay")
      out.delay_ms = value;
    else if (key == "jitter")
      out.jitter_ms = value;
    else if (key == "loss" && value <= 100)
      out.loss_pct = value;
    else if (key == "queue")
      out.queue_ms = value;
    else if (key == "tcp-only" && value <= 65535 && value == std::floor (value))
      out.tcp_only_port = (int) value;
    else {
      error = "unknown or out-of-range setting \"" + word +
              "\" (rate, burst, delay, jitter, loss, queue, udp, tcp-only)";
      return false;
    }
  }
  settings = out;
  return true;
}

std::string settings_json (const Settings &s)
{
  return "{\"rate_kbps\":" + format_double (s.rate_kbps) +
         ",\"burst_bytes\":" + format_double (s.burst_bytes) +
         ",\"delay_ms\":" + format_double (s.delay_ms) +
         ",\"jitter_ms\":" + format_double (s.jitter_ms) +
         ",\"loss_pct\":" + format_double (s.loss_pct) +
         ",\"queue_ms\":" + format_double (s.queue_ms) +
         ",\"udp\":" + (s.drop_udp ? "\"drop\"" : "\"pass\"") +
         ",\"tcp_only\":" + std::to_string (s.tcp_only_port) + "}";
}

bool parse_schedule (const std::string &text, std::vector<Phase> &phases, std::string &error)
{
  std::vector<Phase> out;
  std::istringstream parts (text);
  std::string part;
  while (std::getline (parts, part, ';')) {
    std::istringstream words (part);
    std::string seconds;
    if (!(words >> seconds))
      continue;
    Phase phase;
    if (!parse_number (seconds, phase.seconds)) {
      error = "a phase starts with its length in seconds, got \"" + seconds + "\"";
      return false;
    }
    std::getline (words, phase.changes);
    Settings probe;
    if (!parse_settings (phase.changes, probe, error))
      return false;
    out.push_back (phase);
  }
  phases = out;
  return true;
}

bool carries_udp (const uint8_t *frame, size_t size)
{
  constexpr size_t kEthernetHeader = 14; /* destination, source, EtherType */
  constexpr uint8_t kUdp = 17;
  if (!frame || size < kEthernetHeader)
    return false;
  unsigned type = (unsigned) frame[12] << 8 | frame[13];
  const uint8_t *ip = frame + kEthernetHeader;
  size_t ip_size = size - kEthernetHeader;
  if (type == 0x0800) /* IPv4: version in the high nibble, protocol at 9 */
    return ip_size >= 10 && (ip[0] >> 4) == 4 && ip[9] == kUdp;
  if (type == 0x86dd) /* IPv6: next header at 6 */
    return ip_size >= 7 && (ip[0] >> 4) == 6 && ip[6] == kUdp;
  return false;
}

bool firewall_passes (const uint8_t *frame, size_t size, int port)
{
  constexpr size_t kEthernetHeader = 14;
  constexpr uint8_t kTcp = 6;
  if (!frame || size < kEthernetHeader)
    return false;
  unsigned type = (unsigned) frame[12] << 8 | frame[13];
  if (type != 0x0800 && type != 0x86dd)
    return true; /* ARP and the like */
  const uint8_t *ip = frame + kEthernetHeader;
  size_t ip_size = size - kEthernetHeader, header = 0;
  if (type == 0x0800) {
    if (ip_size < 20 || (ip[0] >> 4) != 4 || ip[9] != kTcp)
      return false;
    if (((ip[6] & 0x1f) << 8 | ip[7]) != 0) /* a later fragment: no ports */
      return false;
    header = (size_t) (ip[0] & 0x0f) * 4;
  } else {
    if (ip_size < 40 || (ip[0] >> 4) != 6 || ip[6] != kTcp)
      return false;
    header = 40;
  }
  if (header < 20 || ip_size < header + 4)
    return false;
  const uint8_t *tcp = ip + header;
  int source = tcp[0] << 8 | tcp[1], destination = tcp[2] << 8 | tcp[3];
  return source == port || destination == port;
}

Direction::Direction (std::string name, uint64_t seed) : name_ (std::move (name)), rng_ (seed) {}

double Direction::burst () const
{
  if (settings_.burst_bytes > 0)
    return settings_.burst_bytes;
  return std::max (2 * kFullFrame, bytes_per_ns () * 2e6);
}

void Direction::settle_tokens (int64_t t)
{
  if (t > token_time_) {
    tokens_ = std::min (burst (), tokens_ + (t - token_time_) * bytes_per_ns ());
    token_time_ = t;
  }
}

void Direction::configure (const Settings &settings, int64_t now)
{
  if (settings_.rate_kbps > 0)
    settle_tokens (now);
  bool was_capped = settings_.rate_kbps > 0;
  settings_ = settings;
  if (settings_.rate_kbps > 0 && !was_capped) {
    tokens_ = burst ();
    token_time_ = now;
  }
  tokens_ = std::min (tokens_, burst ());
}

bool Direction::set_schedule (const std::vector<Phase> &phases, int64_t now, std::string &error)
{
  schedule_ = phases;
  phase_ = 0;
  phase_end_ = INT64_MAX;
  if (schedule_.empty ())
    return true;
  Settings next = settings_;
  if (!parse_settings (schedule_[0].changes, next, error))
    return false;
  configure (next, now);
  if (schedule_.size () > 1)
    phase_end_ = now + (int64_t) (schedule_[0].seconds * 1e9);
  return true;
}

void Direction::advance_schedule (int64_t now)
{
  while (phase_end_ <= now && phase_ + 1 < schedule_.size ()) {
    /* The phase changes at its exact time: frames served late in the same
     * wake-up still leave the bottleneck at the old rate until then. */
    int64_t at = phase_end_;
    phase_++;
    Settings next = settings_;
    std::string ignored;
    parse_settings (schedule_[phase_].changes, next, ignored);
    configure (next, at);
    phase_end_ = phase_ + 1 < schedule_.size () ? at + (int64_t) (schedule_[phase_].seconds * 1e9)
                                                : INT64_MAX;
  }
}

void Direction::arrive (Frame &&frame, int64_t now)
{
  advance_schedule (now); /* `now` is the frame's arrival here */
  counters_.rx_frames++;
  counters_.rx_bytes += frame.wire_bytes;
  if (settings_.drop_udp && frame.wire_bytes <= frame.bytes.size () &&
      carries_udp (frame.bytes.data () + (frame.bytes.size () - frame.wire_bytes),
                   frame.wire_bytes)) {
    counters_.dropped_udp++;
    return;
  }
  if (settings_.tcp_only_port > 0 && frame.wire_bytes <= frame.bytes.size () &&
      !firewall_passes (frame.bytes.data () + (frame.bytes.size () - frame.wire_bytes),
                        frame.wire_bytes, settings_.tcp_only_port)) {
    counters_.dropped_firewall++;
    return;
  }
  if (settings_.loss_pct > 0) {
    std::uniform_real_distribution<double> coin (0.0, 100.0);
    if (coin (rng_) < settings_.loss_pct) {
      counters_.lost_random++;
      return;
    }
  }
  if (settings_.rate_kbps > 0 && !bottleneck_.empty ()) {
    /* Tail drop: the frame would wait longer than the queue holds. */
    settle_tokens (now);
    double backlog = bottleneck_bytes_ + frame.wire_bytes - std::max (tokens_, 0.0);
    if (backlog / bytes_per_ns () > settings_.queue_ms * 1e6) {
      counters_.dropped_queue++;
      return;
    }
  }
  frame.arrival = now;
  bottleneck_bytes_ += frame.wire_bytes;
  bottleneck_.push_back (std::move (frame));
}

int64_t Direction::head_departure () const
{
  const Frame &head = bottleneck_.front ();
  if (settings_.rate_kbps <= 0)
    return head.arrival;
  double rate = bytes_per_ns ();
  int64_t t0 = std::max (token_time_, head.arrival);
  double tokens = std::min (burst (), tokens_ + (t0 - token_time_) * rate);
  double need = std::min ((double) head.wire_bytes, burst ());
  if (tokens >= need)
    return t0;
  return t0 + (int64_t) std::ceil ((need - tokens) / rate);
}

int64_t Direction::next_event () const
{
  int64_t next = phase_end_;
  if (!bottleneck_.empty ())
    next = std::min (next, head_departure ());
  if (!in_flight_.empty ())
    next = std::min (next, in_flight_.front ().release);
  return next;
}

std::string Direction::stats_json ()
{
  const Counters &c = counters_;
  std::string out =
      "{\"rx_frames\":" + std::to_string (c.rx_frames) +
      ",\"rx_bytes\":" + std::to_string (c.rx_bytes) +
      ",\"lost_random\":" + std::to_string (c.lost_random) +
      ",\"dropped_udp\":" + std::to_string (c.dropped_udp) +
      ",\"dropped_firewall\":" + std::to_string (c.dropped_firewall) +
      ",\"dropped_queue\":" + std::to_string (c.dropped_queue) +
      ",\"sent_frames\":" + std::to_string (c.sent_frames) +
      ",\"sent_bytes\":" + std::to_string (c.sent_bytes) +
      ",\"send_errors\":" + std::to_string (c.send_errors) +
      ",\"queued_frames\":" + std::to_string (bottleneck_.size ()) +
      ",\"in_flight_frames\":" + std::to_string (in_flight_.size ()) +
      ",\"queue_wait_max_ms\":" + format_double (c.queue_wait_max_ms) +
      ",\"late_max_ms\":" + format_double (c.late_max_ms) +
      ",\"late_over_1ms\":" + std::to_string (c.late_over_1ms) +
      ",\"late_mean_ms\":" + format_double (c.sent_frames ? c.late_sum_ms / c.sent_frames : 0) +
      ",\"phase\":" + std::to_string (phase_) + ",\"settings\":" + settings_json (settings_) + "}";
  counters_.queue_wait_max_ms = 0;
  counters_.late_max_ms = 0;
  return out;
}

} // namespace gvnl
