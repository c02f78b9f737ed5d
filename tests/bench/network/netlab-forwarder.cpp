/* gvnl-forwarder: an emulated link between two network interfaces.
 *
 * Bridges interfaces A and B at layer 2 with raw AF_PACKET sockets: every
 * frame that arrives on A goes out of B through the "a2b" direction of the
 * link model (netlab-link.h: a UDP filter, random loss, a token-bucket
 * bottleneck with a bounded queue, one-way delay with jitter, a schedule of
 * changes), and B to A through "b2a". tests/bench/network/netlab.py runs
 * one per emulated link, in a network namespace of its own between the two
 * ends; the kernel here has no netem, so delay and loss are done in user
 * space.
 *
 *   gvnl-forwarder --a IFACE --b IFACE [--a2b "rate=1000 delay=20"] [--b2a ...] [--seed N]
 *                  [--no-realtime]   (default: SCHED_FIFO priority 10 where allowed)
 *
 * Prints {"event":"ready",...} once both sockets are bound, then answers
 * each command on stdin with one JSON line:
 *   set a2b|b2a|both SETTINGS        e.g. "set both delay=20 loss=2";
 *                                    "set both udp=drop" loses all UDP (TCP
 *                                    passes) until "set both udp=pass"
 *   schedule a2b|b2a|both PHASES     e.g. "schedule a2b 10 rate=10000; 15 rate=500; 0 rate=10000"
 *   stats                            counters per direction, kernel drops (the
 *                                    maxima: since the previous stats)
 *   quit                             (also on end of input)
 *
 * The sockets use PACKET_VNET_HDR: frames from a local TCP/UDP stack on a
 * veth carry partial checksums (and may be GSO super-frames); the
 * virtio-net header carries that state through, as for a tap device.
 */
#include "netlab-link.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <climits>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

namespace {

/* struct virtio_net_hdr (<linux/virtio_net.h>, which is not valid C++):
 * flags, gso_type, hdr_len, gso_size, csum_start, csum_offset. */
constexpr size_t kVnetHeader = 10;

int64_t clock_ns (clockid_t clock)
{
  timespec ts;
  clock_gettime (clock, &ts);
  return (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t now_ns ()
{
  return clock_ns (CLOCK_MONOTONIC);
}

void emit (const std::string &line)
{
  std::fputs ((line + "\n").c_str (), stdout);
  std::fflush (stdout);
}

std::string json_string (const std::string &s)
{
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\')
      out += '\\';
    if ((unsigned char) c >= 0x20)
      out += c;
  }
  return out + "\"";
}

void fail (const std::string &message)
{
  emit ("{\"event\":\"error\",\"message\":" + json_string (message) + "}");
  std::exit (1);
}

/* A raw socket on `iface` that sees every frame arriving there (not the ones
 * it sends), with a virtio-net header in front of each. */
int open_port (const std::string &iface)
{
  unsigned index = if_nametoindex (iface.c_str ());
  if (!index)
    fail ("no interface " + iface + ": " + std::strerror (errno));
  int fd = socket (AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, htons (ETH_P_ALL));
  if (fd < 0)
    fail (std::string ("AF_PACKET socket: ") + std::strerror (errno));
  int one = 1;
  /* The kernel's receive time of each frame: the link model starts from
   * it, so the forwarder's own wake-up latency is measured, not hidden. */
  if (setsockopt (fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one) < 0)
    fail (std::string ("SO_TIMESTAMPNS: ") + std::strerror (errno));
  if (setsockopt (fd, SOL_PACKET, PACKET_VNET_HDR, &one, sizeof one) < 0)
    fail (std::string ("PACKET_VNET_HDR: ") + std::strerror (errno));
  if (setsockopt (fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof one) < 0)
    fail (std::string ("PACKET_IGNORE_OUTGOING: ") + std::strerror (errno));
  int buffer = 8 << 20; /* room for keyframe bursts while we sleep */
  setsockopt (fd, SOL_SOCKET, SO_RCVBUFFORCE, &buffer, sizeof buffer);
  setsockopt (fd, SOL_SOCKET, SO_SNDBUFFORCE, &buffer, sizeof buffer);
  sockaddr_ll addr{};
  addr.sll_family = AF_PACKET;
  addr.sll_protocol = htons (ETH_P_ALL);
  addr.sll_ifindex = (int) index;
  if (bind (fd, (sockaddr *) &addr, sizeof addr) < 0)
    fail ("bind to " + iface + ": " + std::strerror (errno));
  packet_mreq promisc{};
  promisc.mr_ifindex = (int) index;
  promisc.mr_type = PACKET_MR_PROMISC;
  setsockopt (fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &promisc, sizeof promisc);
  return fd;
}

uint64_t kernel_drops (int fd)
{
  tpacket_stats st{};
  socklen_t len = sizeof st;
  if (getsockopt (fd, SOL_PACKET, PACKET_STATISTICS, &st, &len) < 0)
    return 0;
  return st.tp_drops;
}

struct Port {
  std::string iface;
  int fd = -1;
  uint64_t kernel_drops = 0; /* PACKET_STATISTICS resets on read: summed here */
  uint64_t truncated = 0;
};

/* Reads what `from` has (a bounded batch, to stay fair to the other side). */
void receive (Port &from, gvnl::Direction &direction)
{
  static std::vector<uint8_t> buffer (kVnetHeader + 65536);
  alignas (cmsghdr) char control[CMSG_SPACE (sizeof (timespec))];
  for (int i = 0; i < 256; i++) {
    iovec iov{ buffer.data (), buffer.size () };
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    ssize_t n = recvmsg (from.fd, &msg, MSG_TRUNC);
    if (n < 0)
      return; /* EAGAIN, or an error the next poll reports again */
    int64_t now = now_ns ();
    int64_t arrival = now;
    for (cmsghdr *c = CMSG_FIRSTHDR (&msg); c; c = CMSG_NXTHDR (&msg, c)) {
      if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
        timespec ts;
        std::memcpy (&ts, CMSG_DATA (c), sizeof ts);
        int64_t age = clock_ns (CLOCK_REALTIME) - ((int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec);
        if (age > 0 && age < 1000000000)
          arrival = now - age;
      }
    }
    if ((size_t) n > buffer.size ()) {
      from.truncated++;
      continue;
    }
    if ((size_t) n <= kVnetHeader)
      continue;
    gvnl::Frame frame;
    frame.bytes.assign (buffer.begin (), buffer.begin () + n);
    frame.wire_bytes = n - kVnetHeader;
    direction.arrive (std::move (frame), arrival);
  }
}

struct Forwarder {
  Port a, b;
  gvnl::Direction a2b{ "a2b", 0 }, b2a{ "b2a", 0 };
  std::string input;
  bool quit = false;

  void service (int64_t now)
  {
    auto out_of = [] (Port &port) {
      return [&port] (const gvnl::Frame &frame) {
        return send (port.fd, frame.bytes.data (), frame.bytes.size (), MSG_DONTWAIT) >= 0;
      };
    };
    a2b.service (now, out_of (b));
    b2a.service (now, out_of (a));
  }

  std::string stats ()
  {
    a.kernel_drops += kernel_drops (a.fd);
    b.kernel_drops += kernel_drops (b.fd);
    return "{\"event\":\"stats\",\"mono_ns\":" + std::to_string (now_ns ()) +
           ",\"a2b\":" + a2b.stats_json () + ",\"b2a\":" + b2a.stats_json () +
           ",\"kernel_drops_a\":" + std::to_string (a.kernel_drops) +
           ",\"kernel_drops_b\":" + std::to_string (b.kernel_drops) +
           ",\"truncated\":" + std::to_string (a.truncated + b.truncated) + "}";
  }

  /* "a2b" / "b2a" / "both" -> the directions meant, or empty. */
  std::vector<gvnl::Direction *> directions (const std::string &word)
  {
    if (word == "a2b")
      return { &a2b };
    if (word == "b2a")
      return { &b2a };
    if (word == "both")
      return { &a2b, &b2a };
    return {};
  }

  std::string command (const std::string &line)
  {
    size_t sp = line.find (' ');
    std::string verb = line.substr (0, sp);
    std::string rest = sp == std::string::npos ? "" : line.substr (sp + 1);
    int64_t now = now_ns ();
    service (now); /* what was due goes out under the settings it met */
    if (verb == "stats")
      return stats ();
    if (verb == "quit") {
      quit = true;
      return "{\"ok\":true}";
    }
    if (verb == "set" || verb == "schedule") {
      sp = rest.find (' ');
      auto dirs = directions (rest.substr (0, sp));
      std::string args = sp == std::string::npos ? "" : rest.substr (sp + 1);
      if (dirs.empty ())
        return "{\"ok\":false,\"error\":\"direction: a2b, b2a or both\"}";
      std::string error;
      if (verb == "set") {
        gvnl::Settings s = dirs[0]->settings ();
        if (!gvnl::parse_settings (args, s, error))
          return "{\"ok\":false,\"error\":" + json_string (error) + "}";
        for (auto *d : dirs) {
          gvnl::Settings each = d->settings ();
          gvnl::parse_settings (args, each, error);
          d->set_schedule ({}, now, error);
          d->configure (each, now);
        }
      } else {
        std::vector<gvnl::Phase> phases;
        if (!gvnl::parse_schedule (args, phases, error))
          return "{\"ok\":false,\"error\":" + json_string (error) + "}";
        for (auto *d : dirs)
          if (!d->set_schedule (phases, now, error))
            return "{\"ok\":false,\"error\":" + json_string (error) + "}";
      }
      return "{\"ok\":true,\"a2b\":" + gvnl::settings_json (a2b.settings ()) +
             ",\"b2a\":" + gvnl::settings_json (b2a.settings ()) + "}";
    }
    return "{\"ok\":false,\"error\":" + json_string ("unknown command " + verb) + "}";
  }

  void read_commands ()
  {
    char buf[4096];
    ssize_t n = read (STDIN_FILENO, buf, sizeof buf);
    if (n <= 0) {
      quit = true;
      return;
    }
    input.append (buf, n);
    size_t nl;
    while ((nl = input.find ('\n')) != std::string::npos) {
      std::string line = input.substr (0, nl);
      input.erase (0, nl + 1);
      if (!line.empty ())
        emit (command (line));
    }
  }

  void run ()
  {
    while (!quit) {
      int64_t now = now_ns ();
      service (now);
      int64_t next = std::min (a2b.next_event (), b2a.next_event ());
      timespec timeout{};
      timespec *wait = nullptr; /* nothing scheduled: wait for input only */
      if (next != INT64_MAX) {
        int64_t left = std::max<int64_t> (next - now_ns (), 0);
        timeout.tv_sec = left / 1000000000;
        timeout.tv_nsec = left % 1000000000;
        wait = &timeout;
      }
      pollfd fds[3] = { { a.fd, POLLIN, 0 }, { b.fd, POLLIN, 0 }, { STDIN_FILENO, POLLIN, 0 } };
      if (ppoll (fds, 3, wait, nullptr) < 0 && errno != EINTR)
        fail (std::string ("ppoll: ") + std::strerror (errno));
      if (fds[0].revents & POLLIN)
        receive (a, a2b);
      if (fds[1].revents & POLLIN)
        receive (b, b2a);
      if (fds[2].revents & (POLLIN | POLLHUP))
        read_commands ();
      if ((fds[0].revents | fds[1].revents) & (POLLERR | POLLNVAL))
        fail ("an interface went away");
    }
  }
};

} // namespace

int main (int argc, char **argv)
{
  std::string a_name, b_name, a2b_text, b2a_text;
  bool realtime_wanted = true;
  uint64_t seed = (uint64_t) now_ns () ^ (uint64_t) getpid ();
  for (int i = 1; i < argc; i += 2) {
    std::string key = argv[i];
    if (key == "--no-realtime") {
      realtime_wanted = false;
      i--;
      continue;
    }
    if (i + 1 >= argc)
      fail ("option " + key + " needs a value");
    if (key == "--a")
      a_name = argv[i + 1];
    else if (key == "--b")
      b_name = argv[i + 1];
    else if (key == "--a2b")
      a2b_text = argv[i + 1];
    else if (key == "--b2a")
      b2a_text = argv[i + 1];
    else if (key == "--seed")
      seed = std::strtoull (argv[i + 1], nullptr, 10);
    else
      fail ("unknown option " + key);
  }
  if (a_name.empty () || b_name.empty ())
    fail ("usage: gvnl-forwarder --a IFACE --b IFACE [--a2b SETTINGS] [--b2a SETTINGS] [--seed N] "
          "[--no-realtime]");
  /* Wake-ups at the nanosecond asked, not 50 us later; and ahead of the
   * encoders and decoders sharing the CPUs, where allowed (root): the link
   * must not be slowed down by what it carries. */
  prctl (PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
  sched_param rt{};
  rt.sched_priority = 10;
  bool realtime = realtime_wanted && sched_setscheduler (0, SCHED_FIFO, &rt) == 0;
  Forwarder fw;
  fw.a2b = gvnl::Direction ("a2b", seed);
  fw.b2a = gvnl::Direction ("b2a", seed * 6364136223846793005ULL + 1442695040888963407ULL);
  int64_t now = now_ns ();
  for (auto [text, dir] : { std::pair{ a2b_text, &fw.a2b }, std::pair{ b2a_text, &fw.b2a } }) {
    gvnl::Settings s;
    std::string error;
    if (!gvnl::parse_settings (text, s, error))
      fail (error);
    dir->configure (s, now);
  }
  fw.a.iface = a_name;
  fw.b.iface = b_name;
  fw.a.fd = open_port (a_name);
  fw.b.fd = open_port (b_name);
  emit ("{\"event\":\"ready\",\"realtime\":" + std::string (realtime ? "true" : "false") +
        ",\"seed\":" + std::to_string (seed) + ",\"a\":" + json_string (a_name) +
        ",\"b\":" + json_string (b_name) + "}");
  fw.run ();
  return 0;
}
