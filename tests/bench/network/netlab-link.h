/* gvnl-forwarder, the link model: what happens to the frames of one
 * direction of an emulated link, with no sockets in it.
 *
 *   arrival -> UDP filter -> random loss -> bottleneck (token bucket,
 *   bounded FIFO that drops at the tail) -> propagation delay (+ jitter,
 *   order kept) -> out
 *
 * Times are CLOCK_MONOTONIC nanoseconds. The token bucket runs on virtual
 * time: a frame's departure is computed from the bucket, not from when the
 * forwarder happened to wake up, so a late wake-up delays a frame but never
 * costs the link capacity. Rates count whole Ethernet frames (as tc tbf
 * counts skb->len).
 */
#pragma once

#include <cstdint>
#include <deque>
#include <random>
#include <string>
#include <vector>

namespace gvnl {

/* One direction's impairments; text form "rate=1000 delay=20 loss=2". */
struct Settings {
  double rate_kbps = 0;   /* 0: no cap */
  double burst_bytes = 0; /* 0: max (2 full frames, 2 ms at the rate) */
  double delay_ms = 0;    /* one-way */
  double jitter_ms = 0;   /* uniform in [-jitter, +jitter], order kept */
  double loss_pct = 0;    /* independent random loss, per frame */
  double queue_ms = 100;  /* the bottleneck's queue: most waiting time */
  bool drop_udp = false;  /* udp=drop: every UDP frame is lost, TCP passes */
  /* tcp-only=PORT: a firewall that passes only TCP to or from PORT (the
   * signalling server's) and non-IP frames (ARP); 0: off. */
  int tcp_only_port = 0;
};

/* Applies "key=value ..." (rate, burst, delay, jitter, loss, queue: numbers;
 * udp: drop or pass; tcp-only: a port, 0 off) onto `settings`; false with `error` set on a bad word
 * (settings unchanged). */
bool parse_settings (const std::string &text, Settings &settings, std::string &error);
std::string settings_json (const Settings &settings);

/* A schedule: each phase's changes apply on top of the running settings for
 * `seconds`; the last phase holds. Text: "10 rate=10000; 15 rate=500; 0
 * rate=10000". */
struct Phase {
  double seconds = 0;
  std::string changes;
};
bool parse_schedule (const std::string &text, std::vector<Phase> &phases, std::string &error);

/* Whether an Ethernet frame of `size` bytes carries UDP: Ethernet II with
 * IPv4 protocol 17, or IPv6 next header 17. IPv6 extension headers are not
 * followed and 802.1Q tags not looked into (the lab has neither); a frame too
 * short to tell is not UDP. Reads nothing past `size`. */
bool carries_udp (const uint8_t *frame, size_t size);
/* Whether tcp-only=`port` lets an Ethernet frame through: a non-IP frame,
 * or TCP (IPv4, IPv6 without extension headers) whose source or
 * destination port is `port`. A later IPv4 fragment (no TCP header) or a
 * frame too short to hold the ports does not pass. Reads nothing past
 * `size`. */
bool firewall_passes (const uint8_t *frame, size_t size, int port);

struct Frame {
  std::vector<uint8_t> bytes; /* as read from the socket (virtio-net header + frame) */
  size_t wire_bytes = 0;      /* the Ethernet frame */
  int64_t arrival = 0;
  int64_t depart = 0;  /* left the bottleneck */
  int64_t release = 0; /* due out of the link */
};

struct Counters {
  uint64_t rx_frames = 0, rx_bytes = 0;
  uint64_t lost_random = 0;
  uint64_t dropped_udp = 0;      /* udp=drop */
  uint64_t dropped_firewall = 0; /* tcp-only=PORT */
  uint64_t dropped_queue = 0;
  uint64_t sent_frames = 0, sent_bytes = 0;
  uint64_t send_errors = 0;
  double queue_wait_max_ms = 0;
  /* Sent after its release time: what the forwarder itself adds (arrival
   * is the kernel's receive time, so a late wake-up on either side counts). */
  double late_max_ms = 0;
  double late_sum_ms = 0;
  uint64_t late_over_1ms = 0;
};

class Direction {
public:
  Direction (std::string name, uint64_t seed);

  void configure (const Settings &settings, int64_t now);
  const Settings &settings () const { return settings_; }
  /* Starts `phases` now (an empty list stops a running schedule). */
  bool set_schedule (const std::vector<Phase> &phases, int64_t now, std::string &error);

  /* `arrival`: when the kernel received the frame (at most now). */
  void arrive (Frame &&frame, int64_t arrival);
  /* Moves frames on whose time has come; `send` gets each frame due out and
   * returns false when the socket refused it. */
  template <class Send> void service (int64_t now, Send &&send);
  /* When service () next has work, or INT64_MAX. */
  int64_t next_event () const;

  /* Counters since the start; the two maxima since the previous call. */
  std::string stats_json ();

private:
  void advance_schedule (int64_t now);
  void settle_tokens (int64_t t);
  int64_t head_departure () const;
  double bytes_per_ns () const { return settings_.rate_kbps * 1000.0 / 8.0 / 1e9; }
  double burst () const;

  std::string name_;
  Settings settings_;
  std::mt19937_64 rng_;
  std::deque<Frame> bottleneck_;
  size_t bottleneck_bytes_ = 0;
  std::deque<Frame> in_flight_;
  double tokens_ = 0;
  int64_t token_time_ = 0;
  int64_t last_release_ = 0;
  std::vector<Phase> schedule_;
  size_t phase_ = 0;
  int64_t phase_end_ = INT64_MAX;
  Counters counters_;
};

template <class Send> void Direction::service (int64_t now, Send &&send)
{
  advance_schedule (now);
  while (!bottleneck_.empty ()) {
    int64_t depart = head_departure ();
    if (depart > now)
      break;
    Frame frame = std::move (bottleneck_.front ());
    bottleneck_.pop_front ();
    bottleneck_bytes_ -= frame.wire_bytes;
    if (settings_.rate_kbps > 0) {
      settle_tokens (depart);
      tokens_ -= frame.wire_bytes;
    }
    frame.depart = depart;
    double wait_ms = (depart - frame.arrival) / 1e6;
    if (wait_ms > counters_.queue_wait_max_ms)
      counters_.queue_wait_max_ms = wait_ms;
    double delay_ns = settings_.delay_ms * 1e6;
    if (settings_.jitter_ms > 0) {
      std::uniform_real_distribution<double> jitter (-settings_.jitter_ms, settings_.jitter_ms);
      delay_ns += jitter (rng_) * 1e6;
    }
    int64_t release = depart + (int64_t) (delay_ns > 0 ? delay_ns : 0);
    if (release < last_release_)
      release = last_release_; /* a link does not reorder */
    frame.release = last_release_ = release;
    in_flight_.push_back (std::move (frame));
  }
  while (!in_flight_.empty () && in_flight_.front ().release <= now) {
    Frame &frame = in_flight_.front ();
    if (send (frame)) {
      counters_.sent_frames++;
      counters_.sent_bytes += frame.wire_bytes;
      double late_ms = (now - frame.release) / 1e6;
      counters_.late_sum_ms += late_ms;
      if (late_ms > counters_.late_max_ms)
        counters_.late_max_ms = late_ms;
      if (late_ms > 1.0)
        counters_.late_over_1ms++;
    } else {
      counters_.send_errors++;
    }
    in_flight_.pop_front ();
  }
}

} // namespace gvnl
