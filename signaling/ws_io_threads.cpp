#include "ws_io_threads.h"

#include "fd_watch.h"
#include "wake_queue.h"
#include "ws_limited_stream.h"

#include <algorithm>
#include <unordered_map>

namespace gv::signaling {
namespace {

struct BytesUnref {
  void operator() (GBytes *b) const { g_bytes_unref (b); }
};
struct ObjectUnref {
  void operator() (gpointer o) const { g_object_unref (o); }
};
struct UriUnref {
  void operator() (GUri *u) const { g_uri_unref (u); }
};
using BytesPtr = std::unique_ptr<GBytes, BytesUnref>;

/* One event on its way to the owner's thread. */
struct Delivery {
  WsEvent::Kind kind;
  std::shared_ptr<WsChannel> channel;
  BytesPtr data;
};

enum class OpKind { Adopt, Text, Binary, Close, Drop, Quit };

/* One request on its way to an I/O thread. */
struct Op {
  Op (OpKind k, std::shared_ptr<WsChannel> ch) : kind (k), channel (std::move (ch)) {}
  OpKind kind;
  std::shared_ptr<WsChannel> channel;
  std::string text; /* Text; Close's reason; Adopt's Origin */
  bool has_text = false;
  BytesPtr bytes;
  gushort code = 0;
  std::unique_ptr<GIOStream, ObjectUnref> stream;
  std::unique_ptr<GUri, UriUnref> uri;
};

} // namespace

/* Events on their way to the owner's thread. When that thread falls
 * behind by kHoldAt messages (about 100 MB of small ones), the I/O threads
 * stop reading (fd_watch.h: the sockets' bytes wait in the kernel, and TCP
 * slows the senders) until fewer than kResumeAt wait: many clients sending
 * at their rate limit at once cannot grow the server's memory without
 * bound (the rate limits are applied on the owner's thread). The marks
 * sit above what the relay benchmark keeps in flight: lower ones cost its
 * throughput (tests/bench/README.md). */
struct WsIoThreads::Inbox {
  static constexpr size_t kHoldAt = 262144, kResumeAt = 131072;
  std::atomic<bool> hold{ false };
  std::vector<GMainContext *> readers; /* the I/O threads'; owner's thread */
  WakeQueue<Delivery> queue;

  Inbox (GMainContext *context, Sink sink)
      : queue (context, "ghostview websocket events", [this, sink] (std::vector<Delivery> &batch) {
          for (auto &d : batch) {
            if (d.kind == WsEvent::Kind::Closed && d.channel->on_closed)
              d.channel->on_closed ();
            if (d.channel->user)
              sink (WsEvent{ d.kind, d.channel, d.data.get () });
          }
          resume_when_caught_up ();
        })
  {
    queue.set_high_water (kHoldAt, &hold);
  }

  void resume_when_caught_up ()
  {
    /* The queue's lock only while held (raised under it, so seen here). */
    if (hold.load (std::memory_order_acquire) && queue.queued () < kResumeAt &&
        hold.exchange (false, std::memory_order_acq_rel))
      for (GMainContext *reader : readers)
        g_main_context_wakeup (reader);
  }
};

/* One I/O thread: its context, its loop, its share of the WebSockets. */
struct WsShard {
  WsShard (guint index, const WsIoThreads::Options &options, WakeQueue<Delivery> *inbox,
           const std::atomic<bool> *hold)
      : options (options), inbox (inbox), hold (hold), context (g_main_context_new ()),
        loop (g_main_loop_new (context, FALSE)),
        ops (context, "ghostview websocket requests", [this] (std::vector<Op> &batch) {
          for (auto &op : batch)
            run (op);
        })
  {
    gchar *name = g_strdup_printf ("gv-ws-io-%u", index);
    thread = g_thread_new (name, thread_main, this);
    g_free (name);
  }

  ~WsShard ()
  {
    ops.push (Op (OpKind::Quit, nullptr));
    g_thread_join (thread);
    g_main_loop_unref (loop);
    g_main_context_unref (context);
  }

  static gpointer thread_main (gpointer data)
  {
    auto *self = static_cast<WsShard *> (data);
    g_main_context_push_thread_default (self->context);
    /* The sockets this thread adopts wait in one epoll set (fd_watch.h). */
    auto watch = std::make_shared<FdWatch> (self->context);
    watch->set_hold (self->hold);
    FdWatch::set_current (std::move (watch));
    if (self->sweeps_keepalive ())
      self->arm_timer = self->add_timeout (self->options.keepalive_s * 1000, arm_keepalive);
    g_main_loop_run (self->loop);
    self->stop_timer (self->arm_timer);
    self->stop_timer (self->disarm_timer);
    self->drop_all ();
    FdWatch::set_current (nullptr);
    g_main_context_pop_thread_default (self->context);
    return nullptr;
  }

  /* ---- on the I/O thread ---- */

  void run (Op &op)
  {
    WsChannel *ch = op.channel.get ();
    SoupWebsocketConnection *ws = ch ? ch->ws_ : nullptr;
    bool open = ws && soup_websocket_connection_get_state (ws) == SOUP_WEBSOCKET_STATE_OPEN;
    switch (op.kind) {
    case OpKind::Adopt:
      adopt (op);
      return;
    case OpKind::Text:
      if (open)
        soup_websocket_connection_send_text (ws, op.text.c_str ());
      return;
    case OpKind::Binary:
      if (open)
        soup_websocket_connection_send_message (ws, SOUP_WEBSOCKET_DATA_BINARY, op.bytes.get ());
      return;
    case OpKind::Close:
      if (open)
        soup_websocket_connection_close (ws, op.code, op.has_text ? op.text.c_str () : nullptr);
      return;
    case OpKind::Drop:
      drop (*ch);
      if (live.erase (ch))
        sockets.fetch_sub (1, std::memory_order_relaxed);
      return;
    case OpKind::Quit:
      g_main_loop_quit (loop);
      return;
    }
  }

  void adopt (Op &op)
  {
    GIOStream *limited = ws_limited_stream_new (op.stream.get (), options.max_message_bytes);
    SoupWebsocketConnection *ws =
        soup_websocket_connection_new (limited, op.uri.get (), SOUP_WEBSOCKET_CONNECTION_SERVER,
                                       op.has_text ? op.text.c_str () : nullptr, nullptr, nullptr);
    ws_limited_stream_close_on_too_big (limited, ws);
    g_object_unref (limited);
    /* ws_limited_stream holds such frames back first; libsoup's own check
     * stays as a second line. */
    soup_websocket_connection_set_max_incoming_payload_size (ws, options.max_message_bytes);
    if (options.keepalive_s && !sweeps_keepalive ())
      soup_websocket_connection_set_keepalive_interval (ws, options.keepalive_s);
    WsChannel *ch = op.channel.get ();
    ch->ws_ = ws;
    g_signal_connect (ws, "message", G_CALLBACK (on_message), ch);
    g_signal_connect (ws, "pong", G_CALLBACK (on_pong), ch);
    g_signal_connect (ws, "closed", G_CALLBACK (on_closed), ch);
    live.emplace (ch, op.channel);
  }

  /* Keepalive pings. libsoup keeps a timer per WebSocket for them, and the
   * thread's main loop looks at every source it holds on each wake-up, so
   * here the timers exist only while pings are due: every keepalive_s the
   * thread gives each open WebSocket a keepalive interval of one second
   * (libsoup's seconds timer then pings within two) and takes it away
   * when the pong comes, or 2.5 s later. Intervals of 3 s or less keep
   * libsoup's own timer. */
  static constexpr guint kArmedMs = 2500;

  bool sweeps_keepalive () const { return options.keepalive_s * 1000 > kArmedMs + 500; }

  GSource *add_timeout (guint ms, GSourceFunc func)
  {
    GSource *source = g_timeout_source_new (ms);
    g_source_set_callback (source, func, this, nullptr);
    g_source_set_static_name (source, "ghostview keepalive sweep");
    g_source_attach (source, context);
    return source;
  }

  static void stop_timer (GSource *&source)
  {
    if (!source)
      return;
    g_source_destroy (source);
    g_source_unref (source);
    source = nullptr;
  }

  static gboolean arm_keepalive (gpointer data)
  {
    auto *self = static_cast<WsShard *> (data);
    for (auto &[ch, keep] : self->live)
      if (ch->ws_ && soup_websocket_connection_get_state (ch->ws_) == SOUP_WEBSOCKET_STATE_OPEN)
        soup_websocket_connection_set_keepalive_interval (ch->ws_, 1);
    stop_timer (self->disarm_timer);
    self->disarm_timer = self->add_timeout (kArmedMs, disarm_keepalive);
    return G_SOURCE_CONTINUE;
  }

  static gboolean disarm_keepalive (gpointer data)
  {
    auto *self = static_cast<WsShard *> (data);
    for (auto &[ch, keep] : self->live)
      if (ch->ws_)
        soup_websocket_connection_set_keepalive_interval (ch->ws_, 0);
    g_source_unref (self->disarm_timer);
    self->disarm_timer = nullptr;
    return G_SOURCE_REMOVE;
  }

  static void on_message (SoupWebsocketConnection *, gint type, GBytes *bytes, gpointer data)
  {
    auto *ch = static_cast<WsChannel *> (data);
    auto kind = type == SOUP_WEBSOCKET_DATA_BINARY ? WsEvent::Kind::Binary : WsEvent::Kind::Text;
    ch->shard_->inbox->push (
        Delivery{ kind, ch->shared_from_this (), BytesPtr (g_bytes_ref (bytes)) });
  }

  static void on_pong (SoupWebsocketConnection *ws, GBytes *, gpointer data)
  {
    auto *ch = static_cast<WsChannel *> (data);
    ch->last_pong_us_.store (g_get_monotonic_time (), std::memory_order_relaxed);
    /* Answered: no second ping before the disarm. */
    if (ch->shard_->sweeps_keepalive ())
      soup_websocket_connection_set_keepalive_interval (ws, 0);
  }

  /* The WebSocket is gone: tell the owner, and let go of it once libsoup
   * has returned from this signal. */
  static void on_closed (SoupWebsocketConnection *, gpointer data)
  {
    auto *ch = static_cast<WsChannel *> (data);
    ch->closed_.store (true, std::memory_order_release);
    auto self = ch->shared_from_this ();
    ch->shard_->inbox->push (Delivery{ WsEvent::Kind::Closed, self, nullptr });
    ch->shard_->ops.push (Op (OpKind::Drop, self));
  }

  static void drop (WsChannel &ch)
  {
    if (!ch.ws_)
      return;
    g_signal_handlers_disconnect_by_data (ch.ws_, &ch);
    g_object_unref (ch.ws_);
    ch.ws_ = nullptr;
  }

  /* The loop has stopped: what is still open closes without a handshake,
   * and the streams' own closing is let run to its end. */
  void drop_all ()
  {
    for (auto &[ch, keep] : live) {
      ch->closed_.store (true, std::memory_order_release);
      drop (*ch);
    }
    live.clear ();
    sockets.store (0, std::memory_order_relaxed);
    for (int i = 0; i < 100 && g_main_context_iteration (context, FALSE); i++)
      ;
  }

  const WsIoThreads::Options options;
  std::atomic<guint> sockets{ 0 }; /* WebSockets it carries */
  WakeQueue<Delivery> *const inbox;
  const std::atomic<bool> *const hold; /* stop reading: the inbox is full */
  GMainContext *context;
  GMainLoop *loop;
  GThread *thread = nullptr;
  WakeQueue<Op> ops;
  std::unordered_map<WsChannel *, std::shared_ptr<WsChannel>> live; /* I/O thread only */
  GSource *arm_timer = nullptr;                                     /* I/O thread only */
  GSource *disarm_timer = nullptr;                                  /* I/O thread only */
};

/* ---- WsChannel, on the owner's thread ---- */

void WsChannel::send_text (std::string text)
{
  if (!open ())
    return;
  Op op{ OpKind::Text, shared_from_this () };
  op.text = std::move (text);
  shard_->ops.push (std::move (op));
}

void WsChannel::send_binary (GBytes *bytes)
{
  if (!open ())
    return;
  Op op{ OpKind::Binary, shared_from_this () };
  op.bytes.reset (g_bytes_ref (bytes));
  shard_->ops.push (std::move (op));
}

void WsChannel::close (gushort code, const char *reason)
{
  if (!open ())
    return;
  close_asked_ = true;
  Op op{ OpKind::Close, shared_from_this () };
  op.code = code;
  op.has_text = reason != nullptr;
  if (reason)
    op.text = reason;
  shard_->ops.push (std::move (op));
}

/* ---- WsIoThreads ---- */

WsIoThreads::WsIoThreads (Options options, Sink sink)
    : inbox_ (std::make_unique<Inbox> (g_main_context_get_thread_default ()
                                           ? g_main_context_get_thread_default ()
                                           : g_main_context_default (),
                                       std::move (sink))),
      options_ (options)
{
  options_.threads = std::max (1u, options_.threads);
  options_.max_threads = std::max (options_.threads, options_.max_threads);
  for (guint i = 0; i < options_.threads; i++)
    start_thread ();
}

WsIoThreads::~WsIoThreads ()
{
  shards_.clear (); /* each joins its thread */
  inbox_.reset ();
}

WsShard *WsIoThreads::start_thread ()
{
  shards_.push_back (
      std::make_unique<WsShard> ((guint) shards_.size (), options_, &inbox_->queue, &inbox_->hold));
  inbox_->readers.push_back (shards_.back ()->context);
  return shards_.back ().get ();
}

std::shared_ptr<WsChannel> WsIoThreads::adopt (GIOStream *stream, GUri *uri, const char *origin)
{
  WsShard *shard = shards_.front ().get ();
  for (auto &s : shards_)
    if (s->sockets.load (std::memory_order_relaxed) <
        shard->sockets.load (std::memory_order_relaxed))
      shard = s.get ();
  if (shard->sockets.load (std::memory_order_relaxed) >= options_.sockets_per_thread &&
      shards_.size () < options_.max_threads) {
    shard = start_thread ();
  }
  shard->sockets.fetch_add (1, std::memory_order_relaxed);
  auto channel = std::make_shared<WsChannel> (shard);
  Op op{ OpKind::Adopt, channel };
  op.stream.reset (G_IO_STREAM (g_object_ref (stream)));
  op.uri.reset (g_uri_ref (uri));
  op.has_text = origin != nullptr;
  if (origin)
    op.text = origin;
  shard->ops.push (std::move (op));
  return channel;
}

WsIoThreads::Options WsIoThreads::sized (guint wanted, guint64 max_message_bytes, guint keepalive_s)
{
  if (wanted)
    return Options{ max_message_bytes, keepalive_s, wanted, wanted, G_MAXUINT };
  guint threads = std::clamp (g_get_num_processors (), 2u, 16u);
  return Options{ max_message_bytes, keepalive_s, threads, 32, 1024 };
}

} // namespace gv::signaling
