/* WebSocket I/O on threads of their own.
 *
 * GLib's main loop visits every source of its context on each iteration,
 * so one context holding 20,000 WebSockets spends most of its time looking
 * at sockets with nothing to read. Here each WebSocket lives on one of a few
 * I/O threads (its own GMainContext, a share of the sockets each), where
 * libsoup reads, frames and writes it; the server's logic stays on the
 * thread that created the WsIoThreads (the main loop), which holds no
 * per-connection source at all. Between the two, messages travel through a
 * queue in each direction, woken once per batch. Within a thread, the
 * sockets wait in one epoll set (fd_watch.h), and libsoup's keepalive
 * timers exist only while pings are due, so a wake-up costs the kernel one
 * descriptor and GLib one read source per socket.
 *
 * Threading: WsIoThreads and WsChannel's public methods are for the owner's
 * thread only (the one that created WsIoThreads); events are delivered
 * there, through the sink, in the order each WebSocket produced them. */
#pragma once

#include <libsoup/soup.h>

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace gv::signaling {

struct WsShard;

/* One WebSocket, seen from the owner's thread. */
class WsChannel : public std::enable_shared_from_this<WsChannel> {
public:
  explicit WsChannel (WsShard *shard) : shard_ (shard) {}
  WsChannel (const WsChannel &) = delete;
  WsChannel &operator= (const WsChannel &) = delete;

  /* Queued to the I/O thread in order; dropped once the socket is closed
   * or a close was asked for. */
  void send_text (std::string text);
  void send_binary (GBytes *bytes);
  void close (gushort code, const char *reason);
  /* Neither closed by the peer nor asked to close. */
  bool open () const { return !close_asked_ && !closed_.load (std::memory_order_acquire); }
  /* When the peer last answered a keepalive ping (0: never). */
  gint64 last_pong_us () const { return last_pong_us_.load (std::memory_order_relaxed); }

  /* The owner's object for this WebSocket (the server's Connection);
   * owner's thread only. Events of a channel whose `user` is null are
   * dropped. */
  void *user = nullptr;
  /* Runs on the owner's thread once the WebSocket has closed, whether or
   * not `user` is set (not when the threads stop first). */
  std::function<void ()> on_closed;

private:
  friend struct WsShard;
  WsShard *const shard_;
  bool close_asked_ = false;          /* owner's thread */
  std::atomic<bool> closed_{ false }; /* set on the I/O thread */
  std::atomic<gint64> last_pong_us_{ 0 };
  SoupWebsocketConnection *ws_ = nullptr; /* I/O thread only */
};

struct WsEvent {
  enum class Kind { Text, Binary, Closed };
  Kind kind;
  std::shared_ptr<WsChannel> channel;
  GBytes *data = nullptr; /* Text and Binary; valid during the sink's call */
};

class WsIoThreads {
public:
  using Sink = std::function<void (const WsEvent &)>;
  struct Options {
    guint64 max_message_bytes;
    guint keepalive_s;
    /* Threads at the start; more are started, up to `max_threads`, while
     * every thread carries `sockets_per_thread` WebSockets or more. */
    guint threads;
    guint max_threads;
    guint sockets_per_thread;
  };

  /* Starts the first threads. Events reach `sink` on the thread-default
   * main context of the caller. */
  WsIoThreads (Options options, Sink sink);
  /* Lets every queued send and close go out, then stops the threads; the
   * WebSockets still open are closed without a handshake. */
  ~WsIoThreads ();
  WsIoThreads (const WsIoThreads &) = delete;
  WsIoThreads &operator= (const WsIoThreads &) = delete;

  /* Takes over `stream` (an upgraded, stolen server connection) as a
   * server-side WebSocket on the I/O thread that carries the fewest. */
  std::shared_ptr<WsChannel> adopt (GIOStream *stream, GUri *uri, const char *origin);

  guint threads () const { return (guint) shards_.size (); }

  /* For `wanted` threads (0: as many as suit this machine): one per core,
   * at least 2, then one more per 1,024 WebSockets up to 32, which keeps
   * the share of sockets each thread's main loop looks at small. */
  static Options sized (guint wanted, guint64 max_message_bytes, guint keepalive_s);

private:
  struct Inbox;
  WsShard *start_thread ();
  std::unique_ptr<Inbox> inbox_;
  Options options_;
  std::vector<std::unique_ptr<WsShard>> shards_;
};

} // namespace gv::signaling
