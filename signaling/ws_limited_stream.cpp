#include "ws_limited_stream.h"

#include "fd_watch.h"

#include <cstring>
#include <memory>
#include <string>

namespace {

/* Follows client frame headers (RFC 6455 5.2) across reads. */
struct FrameTracker {
  guint8 head[10]; /* first byte, length byte, extended length */
  guint head_len = 0;
  guint64 skip = 0; /* mask and payload bytes of the current frame left */
  guint64 message = 0;

  /* Bytes of `data` that may pass before the header that breaks
   * `max_bytes`; `n` when none does. */
  gsize scan (const guint8 *data, gsize n, guint64 max_bytes)
  {
    for (gsize i = 0; i < n; i++) {
      if (skip) {
        guint64 run = MIN (skip, (guint64) (n - i));
        skip -= run;
        i += run - 1;
        continue;
      }
      head[head_len++] = data[i];
      if (head_len < 2)
        continue;
      guint len7 = head[1] & 0x7f;
      guint need = len7 == 126 ? 4 : len7 == 127 ? 10 : 2;
      if (head_len < need)
        continue;
      guint64 payload = len7;
      if (len7 >= 126) {
        payload = 0;
        for (guint b = 2; b < need; b++)
          payload = (payload << 8) | head[b];
      }
      guint opcode = head[0] & 0x0f;
      bool control = opcode & 0x8;
      if (!control)
        message = opcode ? payload : message + payload;
      if (payload > max_bytes || (!control && message > max_bytes))
        return i;
      head_len = 0;
      skip = payload + ((head[1] & 0x80) ? 4 : 0);
    }
    return n;
  }
};

/* Cuts a client's data frames longer than kPieceBytes into fragments of at
 * most that (RFC 6455 5.4), so libsoup's read buffer, which keeps the size
 * of the longest frame it ever held for the connection's whole life, stays
 * at 2 KiB instead of 8 KiB for a 4 KiB SDP (12 KiB a session). Pieces
 * start at multiples of 4 bytes, so the frame's masking key stays right for
 * each of them. Control frames and unmasked frames (which libsoup refuses
 * from a client) pass as they are. */
struct FrameSplitter {
  static constexpr guint64 kPieceBytes = 1000;
  static_assert (kPieceBytes % 4 == 0, "pieces keep the mask aligned");

  enum class Mode { Header, Pass, Split };
  Mode mode = Mode::Header;
  guint8 head[14];
  guint head_len = 0;
  guint64 left = 0;       /* payload bytes of the frame still to come */
  guint64 piece_left = 0; /* Split: of the current piece */
  guint8 first_byte = 0;  /* Split: RSV bits and opcode of the frame */
  bool fin = false;
  bool first_piece = false;
  guint8 key[4];

  guint header_size () const
  {
    if (head_len < 2)
      return 2;
    guint len7 = head[1] & 0x7f;
    return 2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0) + ((head[1] & 0x80) ? 4 : 0);
  }

  void start_frame (std::string &out)
  {
    guint len7 = head[1] & 0x7f;
    guint64 payload = len7;
    if (len7 >= 126) {
      guint end = len7 == 126 ? 4 : 10;
      payload = 0;
      for (guint b = 2; b < end; b++)
        payload = (payload << 8) | head[b];
    }
    bool control = head[0] & 0x08;
    bool masked = head[1] & 0x80;
    left = payload;
    if (control || !masked || payload <= kPieceBytes) {
      out.append (reinterpret_cast<const char *> (head), head_len);
      head_len = 0;
      mode = left ? Mode::Pass : Mode::Header;
      return;
    }
    first_byte = head[0] & 0x7f;
    fin = head[0] & 0x80;
    memcpy (key, head + head_len - 4, 4);
    head_len = 0;
    first_piece = true;
    piece_left = 0;
    mode = Mode::Split;
  }

  void start_piece (std::string &out)
  {
    guint64 size = MIN (kPieceBytes, left);
    guint8 h[8];
    guint n = 0;
    h[n] = first_piece ? first_byte : 0x00; /* then continuation frames */
    if (size == left && fin)
      h[n] |= 0x80;
    n++;
    if (size <= 125) {
      h[n++] = 0x80 | (guint8) size;
    } else {
      h[n++] = 0x80 | 126;
      h[n++] = (guint8) (size >> 8);
      h[n++] = (guint8) (size & 0xff);
    }
    out.append (reinterpret_cast<const char *> (h), n);
    out.append (reinterpret_cast<const char *> (key), 4);
    first_piece = false;
    piece_left = size;
  }

  void feed (const guint8 *data, gsize n, std::string &out)
  {
    gsize i = 0;
    while (i < n) {
      if (mode == Mode::Header) {
        head[head_len++] = data[i++];
        if (head_len == header_size ())
          start_frame (out);
        continue;
      }
      if (mode == Mode::Split && piece_left == 0)
        start_piece (out);
      guint64 &budget = mode == Mode::Split ? piece_left : left;
      gsize run = (gsize) MIN (budget, (guint64) (n - i));
      out.append (reinterpret_cast<const char *> (data + i), run);
      i += run;
      if (mode == Mode::Split) {
        piece_left -= run;
        left -= run;
      } else {
        left -= run;
      }
      if (left == 0)
        mode = Mode::Header;
    }
  }
};

} // namespace

/* The input side: a pollable filter over the connection's input. */
#define GV_TYPE_WS_LIMITED_INPUT (gv_ws_limited_input_get_type ())
G_DECLARE_FINAL_TYPE (GvWsLimitedInput, gv_ws_limited_input, GV, WS_LIMITED_INPUT,
                      GFilterInputStream)

struct _GvWsLimitedInput {
  GFilterInputStream parent;
  FrameTracker *tracker;
  FrameSplitter *splitter;
  std::string *ready; /* split frames not yet read by libsoup */
  gsize ready_at;
  guint64 max_bytes;
  bool over;   /* a frame broke the limit: drop everything from here on */
  GWeakRef ws; /* the SoupWebsocketConnection to close */
  int fd;      /* the plain TCP socket below, or -1 (TLS, or not a socket) */
  /* The epoll set the socket is registered in (null: it is not), and the
   * SocketReadSource it flags (null: none yet, or it went). libsoup makes
   * a new source after every read; the registration stays. */
  std::shared_ptr<gv::signaling::FdWatch> *watch;
  gv::signaling::FdWatchEntry entry;
  GSource *watched;
};

static void gv_ws_limited_input_pollable_init (GPollableInputStreamInterface *iface);

G_DEFINE_TYPE_WITH_CODE (GvWsLimitedInput, gv_ws_limited_input, G_TYPE_FILTER_INPUT_STREAM,
                         G_IMPLEMENT_INTERFACE (G_TYPE_POLLABLE_INPUT_STREAM,
                                                gv_ws_limited_input_pollable_init))

static GPollableInputStream *base_of (GvWsLimitedInput *self)
{
  return G_POLLABLE_INPUT_STREAM (
      g_filter_input_stream_get_base_stream (G_FILTER_INPUT_STREAM (self)));
}

static gboolean close_too_big (gpointer data)
{
  auto *ws =
      static_cast<SoupWebsocketConnection *> (g_weak_ref_get (&GV_WS_LIMITED_INPUT (data)->ws));
  if (ws) {
    if (soup_websocket_connection_get_state (ws) == SOUP_WEBSOCKET_STATE_OPEN)
      soup_websocket_connection_close (ws, SOUP_WEBSOCKET_CLOSE_TOO_BIG,
                                       "message over the size limit");
    g_object_unref (ws);
  }
  return G_SOURCE_REMOVE;
}

/* Lets through what stays within the limit; past it, schedules the close
 * on the connection's own thread. Returns how many bytes pass. */
static gsize limit (GvWsLimitedInput *self, const guint8 *buffer, gsize got)
{
  if (self->over)
    return 0;
  gsize pass = self->tracker->scan (buffer, got, self->max_bytes);
  if (pass < got) {
    self->over = true;
    GSource *idle = g_idle_source_new ();
    g_source_set_callback (idle, close_too_big, g_object_ref (self), g_object_unref);
    g_source_attach (idle, g_main_context_get_thread_default ());
    g_source_unref (idle);
  }
  return pass;
}

static gssize hand_over (GvWsLimitedInput *self, void *buffer, gsize count)
{
  gsize n = MIN (count, self->ready->size () - self->ready_at);
  memcpy (buffer, self->ready->data () + self->ready_at, n);
  self->ready_at += n;
  if (self->ready_at == self->ready->size ()) {
    /* Its memory goes too: a connection is idle most of its life. */
    std::string ().swap (*self->ready);
    self->ready_at = 0;
  }
  return (gssize) n;
}

/* Reads from the connection (nonblocking or not) until some bytes are
 * ready for libsoup: within the limits, long frames split. Past the limit,
 * reports "nothing to read yet" so libsoup waits while the close goes out. */
static gssize limited_read (GvWsLimitedInput *self, void *buffer, gsize count, bool blocking,
                            GCancellable *cancellable, GError **error)
{
  guint8 chunk[4096];
  while (self->ready->empty ()) {
    /* Past the limit the connection's bytes are still read (and dropped),
     * so its end or error reaches libsoup. */
    GInputStream *base = G_INPUT_STREAM (base_of (self));
    gsize want = MIN (count, sizeof chunk);
    gssize got = blocking ? g_input_stream_read (base, chunk, want, cancellable, error)
                          : g_pollable_input_stream_read_nonblocking (
                                G_POLLABLE_INPUT_STREAM (base), chunk, want, cancellable, error);
    if (got <= 0)
      return got;
    self->splitter->feed (chunk, limit (self, chunk, (gsize) got), *self->ready);
    if (self->ready->empty () && self->over) {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK, "message over the limit");
      return -1;
    }
  }
  return hand_over (self, buffer, count);
}

static gssize gv_ws_limited_input_read_nonblocking (GPollableInputStream *stream, void *buffer,
                                                    gsize count, GError **error)
{
  return limited_read (GV_WS_LIMITED_INPUT (stream), buffer, count, false, nullptr, error);
}

static gssize gv_ws_limited_input_read (GInputStream *stream, void *buffer, gsize count,
                                        GCancellable *cancellable, GError **error)
{
  return limited_read (GV_WS_LIMITED_INPUT (stream), buffer, count, true, cancellable, error);
}

static gboolean gv_ws_limited_input_can_poll (GPollableInputStream *stream)
{
  return g_pollable_input_stream_can_poll (base_of (GV_WS_LIMITED_INPUT (stream)));
}

static gboolean gv_ws_limited_input_is_readable (GPollableInputStream *stream)
{
  auto *self = GV_WS_LIMITED_INPUT (stream);
  return !self->ready->empty () || g_pollable_input_stream_is_readable (base_of (self));
}

/* What libsoup waits on between reads of a plain socket: one source for
 * the socket. GLib's own for a filter stream is a chain of three (this
 * stream's pollable source, the socket stream's, the socket's), all in the
 * I/O thread's context, and its main loop visits every source of the
 * context on each wake-up. On an I/O thread the socket goes into the
 * thread's epoll set (fd_watch.h), which flags the source when the socket
 * is ready, so the loop's poll() does not look at every socket either;
 * elsewhere the source carries the descriptor for GLib to poll. */
struct SocketReadSource {
  GSource source;
  GObject *stream; /* what the callback gets, as GLib's pollable sources do */
  bool ready;      /* the epoll set says the socket is ready */
};

/* Drops the socket from its epoll set (before the socket closes). */
static void unwatch (GvWsLimitedInput *self)
{
  if (!self->watch)
    return;
  (*self->watch)->remove (self->fd);
  delete self->watch;
  self->watch = nullptr;
}

/* The socket is ready: flag the source libsoup waits on. With none (libsoup
 * has stopped reading), leave the epoll set, which would otherwise report
 * the socket on every iteration; a later source registers again. */
static void socket_ready (void *owner)
{
  auto *self = static_cast<GvWsLimitedInput *> (owner);
  if (self->watched && !g_source_is_destroyed (self->watched))
    reinterpret_cast<SocketReadSource *> (self->watched)->ready = true;
  else
    unwatch (self);
}

/* Ready when the epoll set flagged it; a polled descriptor's events make
 * it ready without this (GLib looks at them when check says no). */
static gboolean socket_read_check (GSource *source)
{
  return reinterpret_cast<SocketReadSource *> (source)->ready;
}

static gboolean socket_read_dispatch (GSource *source, GSourceFunc callback, gpointer data)
{
  auto *self = reinterpret_cast<SocketReadSource *> (source);
  self->ready = false;
  /* Set with g_source_set_callback as a GSourceFunc, as for GLib's own. */
  auto func = reinterpret_cast<GPollableSourceFunc> (reinterpret_cast<void (*) ()> (callback));
  return func ? func (self->stream, data) : G_SOURCE_REMOVE;
}

static void socket_read_finalize (GSource *source)
{
  auto *self = reinterpret_cast<SocketReadSource *> (source);
  auto *input = GV_WS_LIMITED_INPUT (self->stream);
  if (input->watched == source)
    input->watched = nullptr;
  g_object_unref (self->stream);
}

/* No prepare: GLib checks it after every poll, and dispatches when the
 * epoll set flagged it or its descriptor has any event (readable, hung up,
 * an error: a read then tells which). */
static GSourceFuncs socket_read_funcs = {
  nullptr, socket_read_check, socket_read_dispatch, socket_read_finalize, nullptr, nullptr
};

static GSource *gv_ws_limited_input_create_source (GPollableInputStream *stream,
                                                   GCancellable *cancellable)
{
  auto *self = GV_WS_LIMITED_INPUT (stream);
  /* libsoup waits after a read would have blocked, so nothing is buffered
   * above the socket (the HTTP reader's leftovers were read first); if
   * something is, GLib's chain sees it. */
  if (self->fd >= 0 && !cancellable && self->ready->empty () &&
      !g_pollable_input_stream_is_readable (base_of (self))) {
    GSource *source = g_source_new (&socket_read_funcs, sizeof (SocketReadSource));
    auto *read_source = reinterpret_cast<SocketReadSource *> (source);
    read_source->stream = G_OBJECT (g_object_ref (stream));
    GMainContext *context = g_main_context_get_thread_default ();
    if (!self->watch) {
      auto watch = gv::signaling::FdWatch::current ();
      if (watch && watch->context () == context && watch->add (self->fd, &self->entry))
        self->watch = new std::shared_ptr<gv::signaling::FdWatch> (std::move (watch));
    }
    /* The source attaches to the thread-default context: the epoll set
     * flags it only where it watches. */
    if (self->watch && (*self->watch)->context () == context)
      self->watched = source;
    else
      g_source_add_unix_fd (source, self->fd, (GIOCondition) (G_IO_IN | G_IO_HUP | G_IO_ERR));
    g_source_set_static_name (source, "ghostview websocket read");
    return source;
  }
  /* Bytes already split and waiting: ready at once. */
  GSource *base = !self->ready->empty ()
                      ? g_timeout_source_new (0)
                      : g_pollable_input_stream_create_source (base_of (self), nullptr);
  GSource *source = g_pollable_source_new_full (stream, base, cancellable);
  g_source_unref (base);
  return source;
}

static void gv_ws_limited_input_pollable_init (GPollableInputStreamInterface *iface)
{
  iface->can_poll = gv_ws_limited_input_can_poll;
  iface->is_readable = gv_ws_limited_input_is_readable;
  iface->create_source = gv_ws_limited_input_create_source;
  iface->read_nonblocking = gv_ws_limited_input_read_nonblocking;
}

static void gv_ws_limited_input_finalize (GObject *object)
{
  unwatch (GV_WS_LIMITED_INPUT (object));
  delete GV_WS_LIMITED_INPUT (object)->tracker;
  delete GV_WS_LIMITED_INPUT (object)->splitter;
  delete GV_WS_LIMITED_INPUT (object)->ready;
  g_weak_ref_clear (&GV_WS_LIMITED_INPUT (object)->ws);
  G_OBJECT_CLASS (gv_ws_limited_input_parent_class)->finalize (object);
}

static void gv_ws_limited_input_class_init (GvWsLimitedInputClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = gv_ws_limited_input_finalize;
  G_INPUT_STREAM_CLASS (klass)->read_fn = gv_ws_limited_input_read;
}

static void gv_ws_limited_input_init (GvWsLimitedInput *self)
{
  self->tracker = new FrameTracker ();
  self->splitter = new FrameSplitter ();
  self->ready = new std::string ();
  self->ready_at = 0;
  self->fd = -1;
  self->watch = nullptr;
  self->entry.on_ready = socket_ready;
  self->entry.owner = self;
  self->watched = nullptr;
  g_weak_ref_init (&self->ws, nullptr);
}

/* The stream libsoup gets: the limited input, the connection's own output,
 * and closing closes the connection. */
#define GV_TYPE_WS_LIMITED_STREAM (gv_ws_limited_stream_get_type ())
G_DECLARE_FINAL_TYPE (GvWsLimitedStream, gv_ws_limited_stream, GV, WS_LIMITED_STREAM, GIOStream)

struct _GvWsLimitedStream {
  GIOStream parent;
  GIOStream *base;
  GInputStream *input;
};

G_DEFINE_TYPE (GvWsLimitedStream, gv_ws_limited_stream, G_TYPE_IO_STREAM)

static GInputStream *gv_ws_limited_stream_get_input (GIOStream *stream)
{
  return GV_WS_LIMITED_STREAM (stream)->input;
}

static GOutputStream *gv_ws_limited_stream_get_output (GIOStream *stream)
{
  return g_io_stream_get_output_stream (GV_WS_LIMITED_STREAM (stream)->base);
}

/* Before the base closes the socket: out of the epoll set, and no source
 * made later may use its descriptor (the number may be a new socket's). */
static void forget_socket (GvWsLimitedStream *self)
{
  auto *input = GV_WS_LIMITED_INPUT (self->input);
  unwatch (input);
  input->fd = -1;
}

static gboolean gv_ws_limited_stream_close (GIOStream *stream, GCancellable *cancellable,
                                            GError **error)
{
  forget_socket (GV_WS_LIMITED_STREAM (stream));
  return g_io_stream_close (GV_WS_LIMITED_STREAM (stream)->base, cancellable, error);
}

/* Closing asynchronously the base's own way (the default would run the
 * synchronous close in a thread). */
static void gv_ws_limited_stream_close_async (GIOStream *stream, int priority,
                                              GCancellable *cancellable,
                                              GAsyncReadyCallback callback, gpointer user_data)
{
  forget_socket (GV_WS_LIMITED_STREAM (stream));
  GTask *task = g_task_new (stream, cancellable, callback, user_data);
  g_io_stream_close_async (
      GV_WS_LIMITED_STREAM (stream)->base, priority, cancellable,
      [] (GObject *base, GAsyncResult *result, gpointer data) {
        GTask *t = G_TASK (data);
        GError *error = nullptr;
        if (g_io_stream_close_finish (G_IO_STREAM (base), result, &error))
          g_task_return_boolean (t, TRUE);
        else
          g_task_return_error (t, error);
        g_object_unref (t);
      },
      task);
}

static gboolean gv_ws_limited_stream_close_finish (GIOStream *, GAsyncResult *result,
                                                   GError **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void gv_ws_limited_stream_finalize (GObject *object)
{
  auto *self = GV_WS_LIMITED_STREAM (object);
  g_object_unref (self->input);
  g_object_unref (self->base);
  G_OBJECT_CLASS (gv_ws_limited_stream_parent_class)->finalize (object);
}

static void gv_ws_limited_stream_class_init (GvWsLimitedStreamClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = gv_ws_limited_stream_finalize;
  GIOStreamClass *io = G_IO_STREAM_CLASS (klass);
  io->get_input_stream = gv_ws_limited_stream_get_input;
  io->get_output_stream = gv_ws_limited_stream_get_output;
  io->close_fn = gv_ws_limited_stream_close;
  io->close_async = gv_ws_limited_stream_close_async;
  io->close_finish = gv_ws_limited_stream_close_finish;
}

static void gv_ws_limited_stream_init (GvWsLimitedStream *) {}

namespace gv::signaling {

/* The descriptor of the plain TCP socket under `stream` (libsoup hands an
 * upgraded connection over in a stream of its own, whose "base-iostream" is
 * the GSocketConnection), or -1: TLS, whose bytes are not the socket's. */
static int plain_socket_fd (GIOStream *stream)
{
  GIOStream *base = nullptr;
  if (g_object_class_find_property (G_OBJECT_GET_CLASS (stream), "base-iostream"))
    g_object_get (stream, "base-iostream", &base, nullptr);
  else
    base = G_IO_STREAM (g_object_ref (stream));
  int fd = -1;
  if (base && G_IS_SOCKET_CONNECTION (base)) /* a GTlsConnection is not one */
    fd = g_socket_get_fd (g_socket_connection_get_socket (G_SOCKET_CONNECTION (base)));
  if (base)
    g_object_unref (base);
  return fd;
}

GIOStream *ws_limited_stream_new (GIOStream *base, guint64 max_bytes)
{
  auto *input = GV_WS_LIMITED_INPUT (g_object_new (GV_TYPE_WS_LIMITED_INPUT, "base-stream",
                                                   g_io_stream_get_input_stream (base),
                                                   "close-base-stream", FALSE, nullptr));
  input->max_bytes = max_bytes;
  input->fd = plain_socket_fd (base);
  auto *self = GV_WS_LIMITED_STREAM (g_object_new (GV_TYPE_WS_LIMITED_STREAM, nullptr));
  self->base = G_IO_STREAM (g_object_ref (base));
  self->input = G_INPUT_STREAM (input);
  return G_IO_STREAM (self);
}

void ws_limited_stream_close_on_too_big (GIOStream *stream, SoupWebsocketConnection *ws)
{
  g_weak_ref_set (&GV_WS_LIMITED_INPUT (GV_WS_LIMITED_STREAM (stream)->input)->ws, ws);
}

} // namespace gv::signaling
